"""Checking a claim: symbolic proof, evaluation points, numeric comparison, verdict.

For every claim the checker

1. tries a **symbolic proof**: where :mod:`theory` has an exact sympy expression for the quantity,
   ``claim − exact`` is simplified (``cancel`` first, then ``simplify``, each under a time limit)
   for every combination of listed values, with the ranged parameters as symbols; zero ⇒
   ``verified (symbolic)``;
2. otherwise checks **numerically** at the claim's deterministic point set
   (:mod:`solvers.checker.points`) at ``dps ≥ 30`` digits, with the package's numeric solvers
   (or the exact expression evaluated at high precision).  A point passes when
   ``|claim − exact| ≤ tol·max(|exact|, |claim|) + atol + error estimate`` (for ``<``/``>`` the
   difference must clear that slack with the right sign).  The worst failing point is the
   counterexample of ``REFUTED``; when the exact expression is symbolic the refutation also gives
   ``claim − exact`` simplified; a relation reports its smallest margin over the points.

Each claim runs under its time limit (:mod:`solvers.checker.limits`); exceeding it is an
``ERROR`` verdict naming the limit.
"""
from __future__ import annotations

import logging
from pathlib import Path

import mpmath
import sympy as sp

from solvers.checker.claims import Claim, ClaimsError, load_claims, parse_claim
from solvers.checker.limits import (DEFAULT_TIMEOUT, Deadline, TimeLimitExceeded, numeric_subs,
                                    substitute, time_limit)
from solvers.checker.params import PARAMS, is_variable, symbol
from solvers.checker.points import combinations
from solvers.checker.quantities import NotAvailable, to_mp
from solvers.checker.verdict import Verdict, fmt
from solvers.result import ConvergenceError
from theory.timeout import Timeout, run_with_timeout

__all__ = ["check_claim", "check_files", "load_files"]

log = logging.getLogger(__name__)

#: seconds sympy may spend on one simplification (each claim tries at most a few)
SYMBOLIC_TIMEOUT = 8.0
#: seconds for simplifying the difference of a refuted claim (a courtesy, not a proof)
DIFFERENCE_TIMEOUT = 4.0
#: longest ``claim − exact`` shown (characters); longer differences are left out
MAX_DIFFERENCE_CHARS = 160
#: integer parameter values above this switch symbolic evaluators to late substitution
LATE_INT = 10 ** 4


# ----------------------------------------------------------------------------- values

def _subs_map(values):
    return {symbol(k): v for k, v in values.items()
            if isinstance(v, sp.Basic) and is_variable(k)}


def _numeric_value(expr, values, dps, late=None):
    """mpf value of a sympy expression at ``values`` (and the symbol → value map ``late``; inf
    allowed; exact substitution unless it would build huge numbers,
    :func:`solvers.checker.limits.numeric_subs`)."""
    e = numeric_subs(expr, {**(late or {}), **_subs_map(values)}, dps + 10)
    if e is sp.oo:
        return mpmath.inf
    if e is -sp.oo:
        return -mpmath.inf
    v = sp.N(e, dps + 10)
    if not v.is_real:
        re_, im = v.as_real_imag()
        if abs(im) > sp.Float(10) ** (-dps):
            # an error, not a skip: a claim (or exact expression) that is not real at a point
            # of its domain is wrong there, and a skipped claim would let the check pass
            raise ValueError(f"the expression is complex ({v}) at {values}")
        v = re_
    return mpmath.mpf(v)


def _at(claim, values):
    """Fixed parameters (expressions in the free ones substituted) merged with ``values``."""
    m = _subs_map(values)
    out = {}
    for k, v in claim.fixed.items():
        if isinstance(v, sp.Basic) and not v.is_number and v.free_symbols:
            v = numeric_subs(v, m, claim.dps + 10)
        out[k] = v
    out.update(values)
    return out


def _fixed_with(claim, combo):
    """Fixed values with a combination of listed values substituted (symbolic work)."""
    out = {}
    for k, v in claim.fixed.items():
        if isinstance(v, sp.Basic):
            v = substitute(v, _subs_map(combo))
            if v is None:
                raise NotAvailable(f"fixed.{k} is too large to substitute exactly")
        out[k] = v
    return out


def _combo_key(claim, values):
    combo = {k: v for k, v in values.items() if claim.free.get(k, ("",))[0] == "values"}
    return combo, tuple(sorted((k, str(v)) for k, v in combo.items()))


def _symbolic_args(p):
    """``(arguments for an evaluator's symbolic(), late substitutions)``.  With an integer value
    above :data:`LATE_INT` (a large depth or step) the theory's closed forms contain huge powers;
    the real-valued numbers (and the SGD step) are then passed as their symbols and substituted
    afterwards by the bounded substitution (:mod:`solvers.checker.limits`) — the evaluator itself
    would substitute them exactly, in one uninterruptible big-number operation."""
    big = any(PARAMS[k].kind == "int" and isinstance(v, sp.Basic) and v.is_number
              and v is not sp.oo and abs(v) > LATE_INT for k, v in p.items() if k in PARAMS)
    if not big:
        return p, {}
    args, late = dict(p), {}
    for k, v in p.items():
        if k in PARAMS and (PARAMS[k].kind == "real" or k == "step") and is_variable(k) \
                and isinstance(v, sp.Basic) and v.is_number and v != 0 and v is not sp.oo:
            args[k] = symbol(k)
            late[symbol(k)] = v
    return args, late


def _exact_expr(claim, symbolic, values, cache):
    """``(expression, late)``: the exact expression with the range parameters symbolic and the
    listed values substituted, and the late substitutions (:func:`_symbolic_args`) still to make
    (built once per combination of listed values and cached)."""
    combo, key = _combo_key(claim, values)
    if key not in cache:
        ranges = {n: symbol(n) for n, s in claim.free.items() if s[0] == "range"}
        args, late = _symbolic_args({**_fixed_with(claim, combo), **ranges, **combo})
        cache[key] = (symbolic(args), late)
    return cache[key]


def _exact_at(claim, numeric, symbolic, values, cache):
    """(exact value, error estimate) at one point: the numeric solver if any, else the exact
    symbolic expression evaluated at high precision."""
    dps = claim.dps
    p = _at(claim, values)
    with mpmath.workdps(dps + 10):
        if numeric is not None and claim.method != "symbolic":
            mp_params = {k: ([to_mp(x) for x in v] if isinstance(v, list) else to_mp(v))
                         for k, v in p.items()}
            val, err = numeric(mp_params, dps)
            return mpmath.mpf(val), mpmath.mpf(err)
        if symbolic is None:
            raise NotAvailable(f"no evaluator for {claim.quantity.name} in setting "
                               f"{claim.setting!r}")
        expr, late = _exact_expr(claim, symbolic, values, cache)
        if expr is None:
            raise NotAvailable(f"{claim.quantity.name} has no exact expression at these "
                               f"parameters and no numeric solver")
        return _numeric_value(expr, values, dps, late), mpmath.mpf(0)


def _slope_at(claim, numeric, symbolic, values, cache):
    """d log Q / d log x at a point (x = ``slope_in``): secant x → 2x for integers, centred
    difference with step 10^{-dps/3} otherwise."""
    x = claim.slope_in
    v0 = values[x]
    with mpmath.workdps(claim.dps + 10):
        if PARAMS[x].kind == "int":
            q1, e1 = _exact_at(claim, numeric, symbolic, values, cache)
            q2, e2 = _exact_at(claim, numeric, symbolic, {**values, x: 2 * v0}, cache)
            s = mpmath.log(q2 / q1) / mpmath.log(2)
            return s, (e1 / abs(q1) + e2 / abs(q2)) / mpmath.log(2)
        h = sp.Rational(1, 10 ** (claim.dps // 3))
        qp, ep = _exact_at(claim, numeric, symbolic, {**values, x: v0 * sp.exp(h)}, cache)
        qm, em = _exact_at(claim, numeric, symbolic, {**values, x: v0 * sp.exp(-h)}, cache)
        hh = mpmath.mpf(sp.N(h, claim.dps + 10))
        s = (mpmath.log(qp) - mpmath.log(qm)) / (2 * hh)
        return s, (ep / abs(qp) + em / abs(qm)) / (2 * hh) + hh ** 2


def _compare(relation, c, e, tol, atol, err):
    """(passes, relative error, slack) of ``claimed relation exact`` with tolerances; the slack
    is the signed room of a relation (``e − c`` for ``<=``/``<``, ``c − e`` for ``>=``/``>``)."""
    slack = {"<=": e - c, "<": e - c, ">=": c - e, ">": c - e}.get(relation)
    if mpmath.isinf(c) or mpmath.isinf(e):
        ok = {"==": c == e, "<=": c <= e, ">=": c >= e, "<": c < e, ">": c > e}[relation]
        return ok, (mpmath.mpf(0) if c == e else mpmath.inf), None
    diff = c - e
    scale = max(abs(e), abs(c))
    room = tol * scale + atol + err
    # below the absolute tolerance both numbers are zero for this check: report 0, not 1
    rel = abs(diff) / scale if scale > atol else mpmath.mpf(0)
    if relation == "==":
        return abs(diff) <= room, rel, None
    # exact relation claimed ⋚ exact: the sign of (claimed − exact) must hold beyond the slack
    ok = {"<=": diff <= room, ">=": diff >= -room, "<": diff < -room,
          ">": diff > room}[relation]
    return ok, rel, slack


# ----------------------------------------------------------------------------- symbolic proof

def _simplify(expr, timeout=SYMBOLIC_TIMEOUT):
    """``(is_zero, form)``: is_zero True/False (a nonzero constant)/None (undecided in time) and
    the simplest form reached (``cancel``, then ``simplify``, each within ``timeout`` s)."""
    if isinstance(expr, sp.MatrixBase):
        vals = [_simplify(e, timeout)[0] for e in expr]
        return (False if False in vals else (None if None in vals else True)), expr
    form = expr
    try:
        form = run_with_timeout(lambda: sp.cancel(sp.together(sp.expand(expr))), timeout)
        if form == 0:
            return True, form
        form = run_with_timeout(lambda: sp.simplify(form), timeout)
    except (Timeout, RecursionError, TypeError, NotImplementedError):
        return None, form
    if form == 0:
        return True, form
    if form.is_number and form.is_nonzero:
        return False, form
    return None, form


def _is_zero(expr, timeout=SYMBOLIC_TIMEOUT):
    """True if ``expr`` simplifies to 0, False if to a nonzero constant, None if undecided."""
    return _simplify(expr, timeout)[0]


def _claimed(claim, combo):
    """The claim with the fixed values, then a combination of listed values, substituted
    (None when that would build huge exact numbers)."""
    e = substitute(claim.claim_expr, _subs_map(claim.fixed))
    return None if e is None else substitute(e, _subs_map(combo))


def _try_symbolic(claim, symbolic, cache):
    """'verified' if claim − exact simplifies to 0 for every combination of listed values;
    ('refuted', counterexample) for a matrix identity that fails; None = undecided.  The
    simplified differences are kept in ``cache["difference"]`` for the report."""
    if symbolic is None or claim.relation != "==" or claim.slope_in or claim.method == "numeric":
        return None
    ranges = {n: symbol(n) for n, s in claim.free.items() if s[0] == "range"}
    for combo in combinations(claim.free):
        try:
            args, late = _symbolic_args({**_fixed_with(claim, combo), **ranges, **combo})
            exact = run_with_timeout(lambda: symbolic(args), SYMBOLIC_TIMEOUT)
        except (Timeout, NotAvailable, ArithmeticError, ValueError):
            return None
        if exact is not None and late:
            exact = substitute(exact, late)
        if exact is None:
            return None
        claimed = _claimed(claim, combo)
        if claimed is None:
            return None
        if isinstance(exact, sp.MatrixBase):
            nz = [e for e in exact if _is_zero(e) is not True]
            if claimed != 0:
                return None
            if nz:
                witness, value = _numeric_witness(nz[0])
                return ("refuted", {"entry": _short(nz[0]), "params": {**claim.fixed, **combo},
                                    "witness": witness, "claimed": 0, "exact": value})
            continue
        if exact is sp.oo or claimed is sp.oo:
            if exact == claimed:
                continue
            return None
        zero, form = _simplify(_refine_on_domain(claimed - exact, claim.free))
        if zero is not True:
            cache.setdefault("difference", {})[_combo_key(claim, combo)[1]] = form
            return None
    return "verified"


def _difference(claim, symbolic, values, cache):
    """``claim − exact`` simplified at the combination of listed values of ``values`` (ranged
    parameters symbolic), as short text; None if there is no symbolic exact expression, it is a
    matrix, or the result is long."""
    if symbolic is None or claim.relation != "==" or claim.slope_in:
        return None
    combo, key = _combo_key(claim, values)
    diffs = cache.setdefault("difference", {})
    if key not in diffs:
        try:
            exact, late = run_with_timeout(lambda: _exact_expr(claim, symbolic, values, cache),
                                           DIFFERENCE_TIMEOUT)
            if exact is not None and late:
                exact = substitute(exact, late)
            claimed = _claimed(claim, combo)
            if exact is None or claimed is None or isinstance(exact, sp.MatrixBase):
                diffs[key] = None
            else:
                diffs[key] = _simplify(_refine_on_domain(claimed - exact, claim.free),
                                       DIFFERENCE_TIMEOUT)[1]
        except (Timeout, NotAvailable, ArithmeticError, ValueError, TypeError):
            diffs[key] = None
    form = diffs[key]
    if form is None or not isinstance(form, sp.Basic) or form.has(sp.nan, sp.zoo):
        return None
    text = sp.sstr(form)
    return text if len(text) <= MAX_DIFFERENCE_CHARS else None


def _refine_on_domain(expr, free):
    """Resolve ``Min``/``Max`` whose argument difference is affine in one ranged parameter and
    keeps a strict sign over its range (e.g. ``Min(2, β)`` → ``β`` for β ∈ [0.5, 1.9])."""
    ranges = {symbol(n): (s[1], s[2]) for n, s in free.items() if s[0] == "range"}
    reps = {}
    for atom in expr.atoms(sp.Min, sp.Max):
        if len(atom.args) != 2:
            continue
        a, b = atom.args
        d = sp.expand(a - b)
        syms = d.free_symbols
        if len(syms) != 1:
            continue
        (x,) = syms
        if x not in ranges or sp.Poly(d, x).degree() > 1:
            continue
        lo, hi = ranges[x]
        dl, dh = d.subs(x, lo), d.subs(x, hi)
        if dl > 0 and dh > 0:
            reps[atom] = b if isinstance(atom, sp.Min) else a
        elif dl < 0 and dh < 0:
            reps[atom] = a if isinstance(atom, sp.Min) else b
    return expr.xreplace(reps) if reps else expr


def _numeric_witness(expr, tries=20):
    """Small integer values of the symbols of ``expr`` at which it is nonzero (deterministic)."""
    syms = sorted(expr.free_symbols, key=str)
    for k in range(tries):
        vals = {x: sp.Integer((3 * i + 2 * k + 1) % 7 - 3) for i, x in enumerate(syms)}
        v = expr.xreplace(vals)
        if v != 0:
            return {str(x): int(vals[x]) for x in syms}, v
    return {}, expr


def _short(e, n=160):
    s = str(e)
    return s if len(s) <= n else s[:n] + "…"


# ----------------------------------------------------------------------------- one claim

def _verdict(claim, status, method, points=0, max_rel=None, ce=None, message="", **extra):
    return Verdict(claim.name, claim.file, claim.quantity.name, claim.setting, claim.claim_text,
                   status, method, claim.expect, status == claim.expect, points, max_rel, ce,
                   message, claim.note, claim.result, claim.dps, claim.relation, **extra)


def _shown(values):
    return ", ".join(f"{k}={fmt(to_mp(v), 8)}" for k, v in values.items()) or "the fixed point"


def check_claim(raw, file=None, timeout=DEFAULT_TIMEOUT) -> Verdict:
    """Check one claim (a dict in the claims-file format, or a parsed :class:`Claim`) within its
    time limit: the claim's ``timeout`` field, else ``timeout`` seconds (None: no limit)."""
    claim = raw if isinstance(raw, Claim) else parse_claim(raw, file, timeout=timeout)
    if claim.requires:
        try:
            __import__(claim.requires)  # a name of claims.REQUIRES: validated when parsed
        except ImportError:
            return _verdict(claim, "skipped", "none",
                            message=f"requires {claim.requires}, not installed")
    seconds = claim.timeout if claim.timeout is not None else timeout
    state = {"done": 0}
    try:
        with time_limit(seconds):
            return _check(claim, Deadline(seconds), state)
    except TimeLimitExceeded as exc:
        return _verdict(claim, "error", "none", state["done"],
                        message=f"{exc} after {state['done']} of {len(claim.point_set)} points "
                                "(raise the claim's 'timeout' field or use fewer points)")


def _check(claim, deadline, state):
    ev = claim.quantity.evaluator(claim.setting)
    numeric, symbolic = ev.numeric, ev.symbolic
    cache = {}
    sym = _try_symbolic(claim, symbolic, cache)
    if sym == "verified":
        return _verdict(claim, "verified", "symbolic")
    if isinstance(sym, tuple):
        return _verdict(claim, "refuted", "symbolic", ce=sym[1])
    if claim.method == "symbolic" and numeric is None and symbolic is None:
        # a claim that cannot be checked is an error, never a silent pass: only a missing
        # optional module (``requires``) makes a claim "skipped"
        return _verdict(claim, "error", "none", message="no symbolic expression")
    tol = mpmath.mpf(sp.N(claim.tolerance, claim.dps))
    atol = mpmath.mpf(sp.N(claim.atol, claim.dps))
    worst_fail, worst_rel, margin, margin_at = None, mpmath.mpf(0), None, None
    with mpmath.workdps(claim.dps + 10):
        for values in claim.point_set:
            deadline.check()
            try:
                if claim.slope_in:
                    e, err = _slope_at(claim, numeric, symbolic, values, cache)
                else:
                    e, err = _exact_at(claim, numeric, symbolic, values, cache)
                c = _numeric_value(claim.claim_expr, _at(claim, values), claim.dps)
            except NotAvailable as exc:
                return _verdict(claim, "error", "none", message=f"not available: {exc}")
            except (ConvergenceError, ValueError, ArithmeticError, TypeError, RecursionError,
                    MemoryError) as exc:
                # the exact side could not be computed at this point: no verdict, an error
                return _verdict(claim, "error", "numeric", state["done"],
                                message=f"{type(exc).__name__} at {_shown(values)}: {exc}")
            ok, rel, slack = _compare(claim.relation, c, e, tol, atol, err)
            state["done"] += 1
            if slack is not None and (margin is None or slack < margin):
                margin, margin_at = slack, {k: to_mp(v) for k, v in values.items()}
            if ok:
                worst_rel = max(worst_rel, rel) if mpmath.isfinite(rel) else worst_rel
                continue
            if worst_fail is None or rel > worst_fail["rel_err"]:
                shown = {**{k: v for k, v in _at(claim, values).items()
                            if not isinstance(v, (str, bool, list))}, **values}
                worst_fail = {"params": {k: (mpmath.inf if v is sp.oo else to_mp(v))
                                         for k, v in shown.items()},
                              "claimed": c, "exact": e, "rel_err": rel, "error_estimate": err,
                              "relation": claim.relation, "_values": values}
    extra = {"margin": margin, "margin_at": margin_at} if claim.relation != "==" else {}
    if worst_fail is not None:
        values = worst_fail.pop("_values")
        diff = _difference(claim, symbolic, values, cache)
        return _verdict(claim, "refuted", "numeric", state["done"], worst_rel, worst_fail,
                        difference=diff, **extra)
    return _verdict(claim, "verified", "numeric", state["done"], worst_rel, **extra)


# ----------------------------------------------------------------------------- files

def _expand_paths(paths):
    files = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(p.glob("*.toml"))
            if not found:
                raise ClaimsError(f"{p}: directory holds no *.toml claims files")
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            raise ClaimsError(f"{p}: no such file or directory")
    return files


def load_files(paths, timeout=DEFAULT_TIMEOUT) -> list[Claim]:
    """Parse and validate every claim of the given files (a directory means all its ``*.toml``);
    ClaimsError on the first malformed one.  ``timeout``: the per-claim time limit (seconds) for
    claims that set none."""
    return [c for f in _expand_paths(paths) for c in load_claims(f, timeout=timeout)]


def check_files(paths, progress=None, timeout=DEFAULT_TIMEOUT) -> list[Verdict]:
    """Check every claim of the given files (a directory means all its ``*.toml``).

    All files are parsed and validated first (ClaimsError on the first malformed one), then each
    claim is checked in order.  ``progress(verdict)`` is called after each claim if given.
    """
    out = []
    for c in load_files(paths, timeout):
        v = check_claim(c)
        log.debug("%s", v.line)
        out.append(v)
        if progress is not None:
            progress(v)
    return out
