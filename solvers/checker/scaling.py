"""Claimable quantities about scaling laws: decay exponents (``exponent.*``), the laws with
their prefactors (``law.*``), extrapolated local slopes of the exact risk (``slope.*``) and
compute-optimal shapes (``shape.*``).  Registered by :mod:`solvers.checker.quantities`."""
from __future__ import annotations

import mpmath
import sympy as sp

from solvers.checker.registry import Evaluator, NotAvailable
from theory import symbols as S

__all__ = ["ExponentLaw", "LawField", "SlopeLaw", "ShapeExponent"]


_SLOPE_LAW = {("rrs", "time"): "time", ("rrs", "time_full"): "time_full",
              ("rrs", "depth"): "depth", ("rrs", "width"): "width",
              ("rrs", "context"): "context", ("fs", "time"): "time_fs"}


class ExponentLaw(Evaluator):
    """Decay exponent of a scaling law (:func:`theory.exponents.exponents`)."""

    def __init__(self, law, setting):
        self.law, self.setting = law, setting

    def symbolic(self, p):
        from theory import exponents as tex
        e = tex.exponents(self.setting).get(self.law)
        if e is None:
            raise NotAvailable(f"exponent.{self.law} is not defined for setting "
                               f"{self.setting!r}")
        return e.expr.subs({S.nu: p["nu"], S.beta: p["beta"]})


class LawField(Evaluator):
    """``law.<resource>.<field>``: the prefactor, exponent or log power of the scaling law of
    :mod:`theory.laws` (a Piecewise over the law's regimes in ν, β; time laws at ``depth``)."""

    def __init__(self, law, field, setting):
        self.law, self.field, self.setting = law, field, setting

    def symbolic(self, p):
        from theory import laws as tl
        d = p.get("depth", sp.oo)
        if not (d is sp.oo or (isinstance(d, sp.Basic) and d.is_number)):
            raise NotAvailable("law.*: depth must be a fixed number")
        try:
            regimes = tl.law_regimes(self.law, self.setting,
                                     sp.oo if d is sp.oo or d.is_infinite else sp.Integer(int(d)))
        except ValueError as exc:
            raise NotAvailable(str(exc)) from None
        pieces = [(_as_expr(getattr(r, self.field)), r.condition) for r in regimes]
        expr = pieces[0][0] if len(pieces) == 1 else sp.Piecewise(*pieces)
        return expr.subs({S.nu: p["nu"], S.beta: p["beta"]})


class SlopeLaw(Evaluator):
    """Extrapolated local slope of the exact risk
    (:func:`solvers.analysis.exponents.check_exponent`)."""

    def __init__(self, law, setting):
        self.law, self.setting = law, setting

    def numeric(self, p, dps):
        from solvers.analysis.exponents import check_exponent
        key = _SLOPE_LAW.get((self.setting, self.law))
        if key is None:
            raise NotAvailable(f"slope.{self.law} is not available for setting "
                               f"{self.setting!r}")
        res = check_exponent(key, p["nu"], p["beta"], dps=dps)
        return res.value, mpmath.mpf(res.error_estimate)


class ShapeExponent(Evaluator):
    """Compute-optimal exponent of a resource (:func:`theory.shape.optimal_shape`)."""

    def __init__(self, resource, setting):
        self.resource, self.setting = resource, setting

    def symbolic(self, p):
        from theory import shape as tshape
        budget = p.get("budget", tshape.DEFAULT_BUDGET)
        sol = tshape.optimal_shape(budget, setting=self.setting)
        sub = {S.nu: p["nu"], S.beta: p["beta"]}
        if self.resource == "risk":
            return sol.risk.subs(sub)
        if self.resource == "L_vs_N":
            if S.L not in sol.exponents or S.N not in sol.exponents:
                raise NotAvailable(f"budget {budget!r} does not contain both L and N")
            return sol.ratio(S.L, S.N).subs(sub)
        sym = tshape.RESOURCES[self.resource]
        if sym not in sol.exponents:
            raise NotAvailable(f"resource {self.resource} is not in budget {budget!r}")
        return sol.exponents[sym].subs(sub)


def _as_expr(v):
    """A law field as a sympy expression: already one, or a Python integer (a log power).
    Never a parse of text."""
    if isinstance(v, sp.Basic):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return sp.Integer(v)
    raise TypeError(f"law field {v!r} is neither a sympy expression nor an integer")
