"""An exponent formula resolved in the regime of given parameter values (sympy only).

The scaling laws of :mod:`theory.exponents` and :mod:`theory.shape` hold across regimes and are
written with ``Min``/``Max``/``Piecewise`` (e.g. the width exponent ``ν·min(β, 1)``).  At given
values (ν₀, β₀) only one side of each ``Min`` applies; :func:`resolve` replaces every
``Min``/``Max`` by the argument that is smallest/largest at those values and every ``Piecewise``
by the branch whose condition holds there, keeps the result symbolic in the parameters, and
returns the inequalities it used (the regime).  At a tie (e.g. β₀ = 1 in ``Min(1, β)``) the
``Min`` is kept: the point is on a regime boundary, where both forms agree.

Example: ``ν·Min(1, β)`` at β = 1/2 is ``β·ν`` in the regime ``β < 1``.
"""
from __future__ import annotations

import sympy as sp

__all__ = ["resolve"]


def _value(expr, subs):
    v = sp.nsimplify(expr.subs(subs)) if expr.free_symbols else expr
    v = sp.simplify(v)
    return v if v.is_number else None


def resolve(expr, subs):
    """``(resolved, regime)``: ``expr`` with each Min/Max/Piecewise replaced by the side that
    holds at ``subs`` (``{symbol: number}``), simplified; ``regime`` the list of relations used
    (sympy ``Lt``/``Gt``/``Eq`` or conditions), in the order met.  Unresolvable pieces (symbolic
    values, ties) are kept."""
    regime = []

    def walk(e):
        if not isinstance(e, sp.Basic) or e.is_Atom:
            return e
        args = [walk(a) for a in e.args]
        if isinstance(e, (sp.Min, sp.Max)):
            vals = [_value(a, subs) for a in args]
            if any(v is None for v in vals):
                return e.func(*args)
            best = min(vals) if isinstance(e, sp.Min) else max(vals)
            winners = [a for a, v in zip(args, vals) if v == best]
            if len(winners) > 1 and len(set(winners)) > 1:
                return e.func(*args)          # on a regime boundary: keep the Min
            pick = winners[0]
            for a, v in zip(args, vals):
                if a is pick or a == pick:
                    continue
                regime.append(sp.Lt(pick, a) if isinstance(e, sp.Min) else sp.Gt(pick, a))
            return pick
        if isinstance(e, sp.Piecewise):
            for ex, cond in e.args:
                c = cond.subs(subs) if cond not in (sp.true, sp.false) else cond
                c = sp.simplify(c)
                if c is sp.true:
                    if cond is not sp.true:
                        regime.append(cond)
                    return walk(ex)
                if c is not sp.false:
                    return e.func(*e.args)    # undecidable at these values: keep it
            return e
        return e.func(*args)

    out = walk(sp.sympify(expr))
    return sp.simplify(out), _tidy(regime)


def _tidy(relations):
    """Relations without repeats or implied ones (``β < 1`` makes ``β < 2`` redundant), the
    parameter on the left (``β > 1``, not ``1 < β``)."""
    if not relations:
        return []
    combined = sp.simplify(sp.And(*relations))
    parts = list(combined.args) if isinstance(combined, sp.And) else [combined]
    out = []
    for r in parts:
        if isinstance(r, sp.core.relational.Relational) and r.lhs.is_number \
                and not r.rhs.is_number:
            r = r.reversed
        if r not in out and r is not sp.true:
            out.append(r)
    return out
