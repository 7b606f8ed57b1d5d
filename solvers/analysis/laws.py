"""Scaling laws with prefactors at given (ν, β): values, corrections, crossovers, bottlenecks.

:mod:`theory.laws` derives every law ``R ≈ c·x^{−a}(log x)^{l}`` (and its relative first
correction ``δ(x)``) by Mellin–Barnes expansion of the exact mode sums; this module evaluates
them at ``(ν, β)`` to ``dps`` digits, picks the regime (saturation, log boundary), computes the
one constant that has no closed form — the offset ``t₀`` of the time laws — and compares the
separable law with the exact solvers.

* :func:`laws` → :class:`LawsResult` (exponent, prefactor, expression, correction, log power per
  resource; crossover scales between resources).
* :func:`time_offset` → ``t₀ = lim_{γ→∞}[t(γ) − Aγ^{e}]`` of the flow ``dγ/dt = V(γ)``, by
  quadrature of ``1/V − 1/V_as`` (float64 mode sums: an explicit head plus a closed-form
  incomplete-gamma/beta tail with its Euler–Maclaurin midpoint correction).  The time laws read
  ``R = c·(t − t₀)^{−a} = c·t^{−a}(1 + a t₀/t + …)``.
* :func:`law_curve` — the law (optionally with its first correction) on a grid of resources, for
  reference lines in reports.
* :func:`phase` → :class:`PhaseResult`: at finite ``(N, L, P, t)`` the separable law
  ``Σ_r c_r r^{−a_r}``, which term dominates, and the exact risk where a solver exists.

Conventions as in the solvers: ``dγ/dt = −∂R/∂γ`` (full gradient), γ is the total step (the
per-layer step is γ/L), ``Σ_k ω_kλ_k = 1``, ``D = ∞`` with absolute resources.
"""
from __future__ import annotations

import math
import logging
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping

import mpmath
import numpy as np
import sympy as sp
from scipy import integrate as _sint
from scipy import special as _ss

from solvers.cache import register_memo
from solvers.analysis.exponents import _sym, _validate_nu_beta
from solvers.result import ConvergenceError, _jsonable, format_number, to_mpf
from solvers.validate import (WORK_LIMITS, is_inf, require_choice, require_dps, require_int,
                              require_nonnegative, require_positive, require_work_limit)
from theory import laws as tl
from theory.parse import sympify_value
from theory.symbols import beta as s_beta, nu as s_nu

__all__ = ["laws", "LawsResult", "time_offset", "law_value", "law_curve", "phase",
           "PhaseResult", "SETTINGS", "RESOURCES"]

SETTINGS = ("rrs", "fs")
RESOURCES = ("time", "depth", "width", "context")
_LAWS = {"rrs": ("depth", "time", "width", "context", "time_full"), "fs": ("time",)}
_log = logging.getLogger(__name__)
_T0_DPS = 30             # digits of the mpmath segments of the t₀ quadrature
_FLOOR64 = 2e-15         # relative rounding floor of the float64 force sums
_HEAD_MIN = 2000         # explicit modes of the float64 sums: the next Euler–Maclaurin term
                         # (7/5760)f'''(K) is ~(q/K)^4 of the tail, below rounding
_HEAD_MAX = 10 ** 7


# ---------------------------------------------------------------------------------------------
# evaluation of theory.laws at (ν, β)
# ---------------------------------------------------------------------------------------------
def _rational(x, dps=30):
    """Exact sympy number of a user value: floats and mpf through their shortest decimal form
    (``0.7`` → 7/10, also for the 80-digit mpf the CLI makes of ``"0.7"``).  A value with many
    digits (denominator above 10⁴) becomes a Float of ``dps + 10`` digits instead: exact
    rationals such as 151234567/10⁸ make sympy's automatic simplification of the laws'
    powers, Gamma and zeta values take minutes."""
    if isinstance(x, mpmath.mpf):
        r = sp.Rational(mpmath.nstr(x, 40))
    else:
        r = _sym(x)
    if isinstance(r, sp.Rational) and r.q > 10 ** 4:
        return sp.Float(r, dps + 10)
    return r


def _depth_sym(depth):
    return sp.oo if is_inf(depth) else sp.Integer(int(depth))


@register_memo
@lru_cache(maxsize=None)
def _regimes(setting, depth):
    return tl.laws(setting, depth)


def _require_law_limits(nu, beta, depth):
    """The closed forms are exact sympy algebra: refuse, naming the limit, what would take
    minutes (a finite depth of the time laws above 10⁴ — use inf, which differs by O(1/L) —
    or ν, β above 100)."""
    lim = WORK_LIMITS["law_exponent"]
    require_work_limit("nu", nu, lim, " for the closed-form laws")
    require_work_limit("beta", beta, lim, " for the closed-form laws")
    require_work_limit("depth", depth, WORK_LIMITS["law_depth"],
                       " for the closed-form laws (use inf: the finite-depth time laws differ "
                       "from it by O(1/L))")


def _selected(setting, nu, beta, depth, dps=30):
    """{name: Law} of ``setting`` at exact ``(ν, β)`` (regime chosen, values substituted) and
    the general (symbolic) Law of each regime."""
    values = {s_nu: _rational(nu, dps), s_beta: _rational(beta, dps)}
    out, general = {}, {}
    for name, regs in _regimes(setting, _depth_sym(depth)).items():
        out[name] = tl.select(regs, values)
        general[name] = next(r for r in regs if r.condition.subs(values) == sp.true)
    return out, general


def _num(expr, dps):
    """mpf of a closed sympy number at ``dps`` digits (a Python number converts; text is never
    parsed here)."""
    expr = sympify_value(expr, "expression")
    if not expr.is_number:
        raise ValueError(f"expression {expr} is not a number")
    with mpmath.workdps(dps + 5):
        v = sp.N(expr, dps + 5)
        if v.is_real is False:
            raise ValueError(f"expression {expr} is not real")
        return mpmath.mpf(str(v))


def law_value(law, x, dps=30, correction=False, t0=None):
    """``c·x^{−a}(log x)^{l}`` of a substituted :class:`theory.laws.Law` at resource ``x``;
    ``correction=True`` multiplies by ``1 + δ(x)`` (``t0`` = the offset for time laws)."""
    with mpmath.workdps(dps + 5):
        xm = to_mpf(x)
        c, a = _num(law.prefactor, dps), _num(law.exponent, dps)
        v = c * xm ** (-a) * mpmath.log(xm) ** law.log_power
        if correction:
            v *= 1 + _correction_value(law, xm, dps, t0)
        return +v


def _correction_value(law, xm, dps, t0=None):
    expr = law.correction
    if expr.has(tl.T0):
        if t0 is None:
            raise ValueError("t0=None is invalid: the correction of a time law needs the offset "
                             "t_0 (time_offset)")
        expr = expr.subs(tl.T0, sp.Float(mpmath.nstr(to_mpf(t0), dps + 5), dps + 5))
    f = sp.lambdify(law.resource, expr, modules="mpmath")
    with mpmath.workdps(dps + 5):
        return mpmath.mpf(f(xm))


# ---------------------------------------------------------------------------------------------
# t₀: the offset of the time laws (float64 mode sums)
# ---------------------------------------------------------------------------------------------
class _Force:
    """``F(γ) = 2Σ_k ω_kλ_k²K'(γλ_k)`` of a power law in float64, with ``K = e^{−2u}`` (L = ∞)
    or ``(1 − u/L)^{2L}`` (finite L, valid for γ ≤ L): ``F = (2/Z)Σ_k k^{−q}κ(γk^{−ν})``,
    ``q = νβ + 1 + ν``, ``κ(u) = e^{−2u}`` or ``(1 − u/L)^{2L−1}``.  Modes ``k ≤ K`` are summed
    explicitly; the tail is ``∫_{K+1/2}^∞`` in closed form (incomplete gamma / beta) plus the
    midpoint Euler–Maclaurin term ``f'(K + 1/2)/24``."""

    def __init__(self, nu, beta, depth):
        self.nu, self.beta, self.L = float(nu), float(beta), depth
        self.q = self.nu * self.beta + 1 + self.nu
        self.m = (self.q - 1) / self.nu                      # = β + 1
        self.Z = float(mpmath.zeta(self.nu * self.beta + 1))
        self.n = None if is_inf(depth) else 2 * int(depth) - 1

    def _kern(self, w):
        if self.n is None:
            return np.exp(-2 * w), -2 * np.exp(-2 * w)
        y = 1 - w / self.L
        return y ** self.n, -(self.n / self.L) * y ** (self.n - 1)

    def __call__(self, g):
        nu, q = self.nu, self.q
        K = max(_HEAD_MIN, int(40 * (2 * g) ** (1 / nu)) + 1)
        if K > _HEAD_MAX:
            raise ConvergenceError("float64 force sum: too many head modes", where=f"gamma={g}")
        k = np.arange(1, K + 1, dtype=float)
        head = np.sum(k ** (-q) * self._kern(g * k ** (-nu))[0])
        a = K + 0.5
        if g == 0:
            tail = a ** (1 - q) / (q - 1)
        elif self.n is None:   # ∫_a^∞ x^{−q}e^{−2gx^{−ν}}dx = (2g)^{−m}γ(m, 2ga^{−ν})/ν
            tail = (2 * g) ** (-self.m) * _ss.gamma(self.m) * _ss.gammainc(
                self.m, 2 * g * a ** (-nu)) / nu
        else:                  # u = gx^{−ν}/L: (g/L)^{−m} B(m, n+1) I_v(m, n+1)/ν
            v = g * a ** (-nu) / self.L
            tail = ((g / self.L) ** (-self.m) * _ss.beta(self.m, self.n + 1)
                    * _ss.betainc(self.m, self.n + 1, v) / nu)
        w = g * a ** (-nu)
        kv, dkv = self._kern(w)
        dfa = -q * a ** (-q - 1) * kv - nu * w * a ** (-q - 1) * dkv   # f'(a)
        return 2 * (head + tail + dfa / 24) / self.Z


def time_offset(nu, beta, depth=math.inf, parameterization="reduced", init_scale=0.01,
                tol=1e-4):
    """``t₀ = lim_{γ→∞}[t(γ) − Aγ^{e}]`` of the RRS flow (α = ∞) — the constant of the first
    correction ``R = c (t − t₀)^{−a}`` of the time laws.  Returns ``(t₀, error estimate)``.

    ``t(γ) = ∫_{γ(0)}^γ dg/V(g)`` with ``V = F`` (reduced, γ(0) = 0) or ``V = Cγ^{8/5}F``
    (full/tied, γ(0) from ``init_scale`` as in :func:`solvers.settings.rrs.gamma_of_time`), and
    ``V_as`` the same with ``F_as = βK̃(β)γ^{−β−1}/(νZ)`` (:mod:`theory.laws`), so
    ``t₀ = ∫_{γ(0)}^∞ (1/V − 1/V_as) dg − Aγ(0)^{e}``.  The integrand is
    ``−r/((1 + r)V_as)`` with ``r = F/F_as − 1`` the Poisson remainder, ``|r| ≈ exp(−c_P
    γ^{1/(ν+1)})`` (:func:`theory.laws.poisson_rate`), while ``1/V_as`` grows like ``γ^{e−1}``:
    the integral is cut where ``|r|`` reaches the arithmetic's rounding floor, and that floor
    times ``∫1/V_as`` is added to the error of each segment.  Segments run in float64
    (:class:`_Force`, floor 2e-15) while that bound stays below ``tol/10·max(1, |t₀|)``, else
    with :func:`solvers.settings.rrs.flow_velocity` at 30 digits (slow Poisson decay at large ν: seconds
    to minutes).  At finite depth the integral stops at γ = L, the end of the law's range.
    """
    nu, beta = _validate_nu_beta(nu, beta)
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    require_choice("parameterization", parameterization, ("reduced", "full", "tied"))
    require_positive("tol", tol)
    ktil = _num(tl.rrs_kernel(_depth_sym(depth)).subs(tl.zm, s_beta)
                .subs({s_nu: _rational(nu), s_beta: _rational(beta)}), 40)
    if parameterization == "reduced":
        C, p, g0 = 1, 0, 0
    else:
        from theory import rrs as trrs
        ns = trrs.full_attention_flow()
        C = ns.coefficient if parameterization == "full" else ns.tied_coefficient
        p = ns.exponent
        g0 = trrs.initial_gamma(parameterization, sp.Rational(mpmath.nstr(
            to_mpf(require_positive("init_scale", init_scale)), 30)))
    top = math.inf if is_inf(depth) else int(depth)
    force64 = _Force(nu, beta, depth)

    def force_mp(g):
        from solvers.settings import rrs
        return rrs.flow_velocity(g, nu=nu, beta=beta, depth=depth, dps=_T0_DPS)
    with mpmath.workdps(_T0_DPS):
        return _offset_quadrature(force64, force_mp, ktil, nu, beta, C, p, g0, top, tol)


def _offset_quadrature(force64, force_mp, ktil, nu, beta, C, p, g0, top, tol):
    """The quadrature of :func:`time_offset`: ``[0, 1]`` in γ (reduced) or ``[γ(0), 1]`` in
    ``log γ`` (full/tied), then segments ``[4^j, 4^{j+1}]`` in ``log γ`` until the Poisson
    remainder ``|F/F_as − 1|`` at a segment's end is below the floor of its arithmetic.  Each
    segment runs in float64 (scipy ``quad``) when its cancellation bound
    ``floor·A·(b^e − a^e)`` is below ``tol/10`` (relative to the running total), else in mpmath
    (Gauss–Legendre) with the 30-digit force."""
    mp = mpmath.mpf
    b, n_ = to_mpf(beta), to_mpf(nu)
    Z = mpmath.zeta(n_ * b + 1)
    K, Cc, pp = mp(ktil), mp(_num(C, _T0_DPS)), mp(_num(p, _T0_DPS))
    e = b + 2 - pp                                           # t ∝ γ^e
    A = n_ * Z / (Cc * b * K * e)
    f64 = [float(x) for x in (b, n_, Z, K, Cc, pp)]

    def fas(g, arith):
        bb, nn, zz, kk = (f64[:4] if arith == "f" else (b, n_, Z, K))
        return bb * kk * g ** (-bb - 1) / (nn * zz)

    def integrand(g, arith):  # 1/V − 1/V_as
        force = force64 if arith == "f" else force_mp
        cc, ppp = (f64[4], f64[5]) if arith == "f" else (Cc, pp)
        return (1 / force(g) - 1 / fas(g, arith)) / (cc * g ** ppp)

    def segment(lo, hi, log_var, arith, eps):
        if arith == "f":
            if log_var:
                def fn(s):
                    return integrand(math.exp(s), "f") * math.exp(s)
            else:
                def fn(g):
                    return integrand(g, "f")
            with warnings.catch_warnings():   # cancellation-limited: judged by eps
                warnings.simplefilter("ignore", _sint.IntegrationWarning)
                v, er = _sint.quad(fn, float(lo), float(hi), epsabs=float(eps), epsrel=1e-13,
                                   limit=100)
            return mp(v), mp(er) + eps
        fn = ((lambda s: integrand(mpmath.exp(s), "m") * mpmath.exp(s)) if log_var
              else (lambda g: integrand(g, "m")))
        # the Poisson remainder oscillates (a few periods per segment): 8 pieces
        pts = [lo + (hi - lo) * j / 8 for j in range(9)]
        v, er = mpmath.quad(fn, pts, method="gauss-legendre", maxdegree=4, error=True)
        return v, abs(er) + eps

    def floor(arith):
        return mp(_FLOOR64) if arith == "f" else mp(10) ** (-_T0_DPS + 10)

    total, err = mp(0), mp(0)
    if g0 == 0:  # reduced: the integrand is smooth on [0, 1]
        pieces = [(mp(0), mp(1), False)]
    else:
        lo = mpmath.log(mp(_num(g0, _T0_DPS)))
        n = max(1, int(-lo / 2))
        pieces = [(lo * (1 - mp(j) / n), lo * (1 - mp(j + 1) / n), True) for j in range(n)]
    for lo, hi, lv in pieces:
        span = (mpmath.exp(e * hi) - mpmath.exp(e * lo)) if lv else mp(1)
        arith = "f" if floor("f") * A * span < tol / 10 * max(1, abs(total)) else "m"
        v, er = segment(lo, hi, lv, arith, floor(arith) * A * span)
        total, err = total + v, err + er
    s_top = mpmath.log(top) if top != math.inf else None
    a_ = mp(0)
    for _ in range(200):
        b_ = a_ + mpmath.log(4)
        if s_top is not None:
            b_ = min(b_, s_top)
        span = mpmath.exp(e * b_) - mpmath.exp(e * a_)
        arith = "f" if floor("f") * A * span < tol / 10 * max(1, abs(total)) else "m"
        v, er = segment(a_, b_, True, arith, floor(arith) * A * span)
        _log.debug("t0 segment [%s, %s] %s: %s +- %s", mpmath.nstr(mpmath.exp(a_), 5),
                   mpmath.nstr(mpmath.exp(b_), 5), arith, mpmath.nstr(v, 10), mpmath.nstr(er, 3))
        total, err = total + v, err + er
        if s_top is not None and b_ >= s_top:
            break
        g = mpmath.exp(b_)
        if arith == "f":
            r = abs(force64(float(g)) / fas(float(g), "f") - 1)
        else:
            r = abs(force_mp(g) / fas(g, "m") - 1)
        # the rest of the integral is ~ r·∫1/V_as near the cut (r decays stretched-exponentially)
        if r < floor(arith) or r * A * g ** e < tol / 100 * max(1, abs(total)):
            break
        a_ = b_
    else:
        raise ConvergenceError("time_offset: the Poisson remainder did not decay",
                               where=f"gamma={mpmath.exp(a_)}")
    if g0 != 0:
        total -= A * mp(_num(g0, _T0_DPS)) ** e
    return +total, +err


# ---------------------------------------------------------------------------------------------
# the laws at (ν, β)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LawsResult:
    """Scaling laws of one setting at ``(ν, β)``.

    ``laws``: {resource: {exponent, prefactor, expression, correction, correction_order,
    log_power, regime, note, …}} — numbers as mpf (JSON: decimal strings of ``dps`` digits),
    expressions as strings of the general (symbolic in ν, β) form of the regime;
    ``crossovers``: {"time_vs_width": {prefactor, exponent, log_power, expression}, …} with
    ``x₁×(x₂) = prefactor · x₂^{exponent} (log x₂)^{log_power}``.
    """

    setting: str
    nu: Any
    beta: Any
    laws: Mapping[str, Mapping[str, Any]]
    crossovers: Mapping[str, Mapping[str, Any]]
    depth: Any = math.inf
    dps: int = 30
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"setting": self.setting, "nu": _jsonable(self.nu, self.dps),
                "beta": _jsonable(self.beta, self.dps), "depth": _jsonable(self.depth, self.dps),
                "laws": _jsonable(self.laws, self.dps),
                "crossovers": _jsonable(self.crossovers, self.dps), "dps": self.dps,
                **_jsonable(self.extra, self.dps)}


def _symbol_name(law):
    return {"time": "t", "time_full": "t", "depth": "L", "width": "N", "context": "P"}[law.name]


def laws(setting, nu, beta, dps=30, depth=math.inf, offsets=False, init_scale=0.01):
    """The scaling laws of ``setting`` (``rrs``: depth, time, time_full, width, context;
    ``fs``: time) at capacity ``nu`` > 1 and source ``beta`` > 0, with numbers at ``dps``.

    ``depth``: the depth of the time laws (default inf; finite L changes only their prefactor,
    ``Γ(β)2^{−β} → L^βB(β, 2L+1)``, valid while γ(t) ≤ L).  ``offsets=True`` also computes the
    time offsets ``t₀`` (:func:`time_offset`, a few seconds) that fix the first correction of
    the time laws (``init_scale``: the full-attention init).
    """
    require_choice("setting", setting, SETTINGS)
    nu, beta = _validate_nu_beta(nu, beta)
    dps = require_dps(dps)
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    _require_law_limits(nu, beta, depth)
    sel, general = _selected(setting, nu, beta, depth, dps)
    out = {}
    for name in _LAWS[setting]:
        law, gen = sel[name], general[name]
        entry = {
            "exponent": _num(law.exponent, dps), "prefactor": _num(law.prefactor, dps),
            "log_power": law.log_power,
            "expression": f"R ~ {sp.sstr(gen.expression)}",
            "correction": sp.sstr(gen.correction),
            "correction_order": sp.sstr(gen.order),
            "correction_order_here": sp.sstr(law.order),
            "regime": sp.sstr(gen.condition),
            "remainder": sp.sstr(gen.remainder) if gen.remainder is not None else "none",
            "resource": _symbol_name(law),
            "latex": f"R \\simeq {sp.latex(gen.expression)}",
            "note": gen.note,
        }
        if law.validity is not None:
            entry["valid_below"] = _num(law.validity, dps)
        if offsets and name in ("time", "time_full") and setting == "rrs":
            par = "reduced" if name == "time" else "full"
            t0, t0err = time_offset(nu, beta, depth, par, init_scale)
            entry["t_0"], entry["t_0_error"] = t0, t0err
        out[name] = entry
    cross = {}
    if setting == "rrs":
        pick = {k: sel[k] for k in RESOURCES if k in sel}
        for key, (c, e, l) in tl.crossovers(pick).items():
            first, second = key.split("_vs_")
            sx, sy = _symbol_name(pick[first]), _symbol_name(pick[second])
            cross[key] = {"prefactor": _num(c, dps), "exponent": _num(e, dps),
                          "log_power": _num(l, dps),
                          "expression": f"{sx}_x = c * {sy}**e * log({sy})**l",
                          "meaning": f"below {sx}_x({sy}) the {first} term dominates the "
                                     f"{second} term"}
    return LawsResult(setting, nu, beta, out, cross, depth, dps,
                      {"normalisation": "lambda_k = k^-nu, omega_k lambda_k = "
                                        "k^-(nu beta+1)/zeta(nu beta+1)"})


def law_curve(setting, resource, nu, beta, xs, depth=math.inf, dps=30, correction=False,
              t0=None):
    """The law of ``resource`` (``time``, ``time_full``, ``depth``, ``width``, ``context``) at
    each ``x`` of ``xs``: ``c·x^{−a}(log x)^{l}`` (× ``1 + δ(x)`` with ``correction=True``;
    time laws then need ``t0`` from :func:`time_offset`).  Returns a list of mpf — reference
    lines with the exact prefactor for reports."""
    require_choice("setting", setting, SETTINGS)
    require_choice("resource", resource, _LAWS[setting])
    nu, beta = _validate_nu_beta(nu, beta)
    dps = require_dps(dps)
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    law = _selected(setting, nu, beta, depth)[0][resource]
    return [law_value(law, require_positive("xs", x), dps, correction, t0) for x in xs]


# ---------------------------------------------------------------------------------------------
# phase: which resource limits the risk
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PhaseResult:
    """The separable law at finite resources: ``terms`` {resource: {law, exact}} (exact =
    that resource alone, the others infinite, where computed), ``bottleneck`` (largest term),
    ``predicted`` (sum of the terms), ``exact`` (the joint exact risk where a solver exists,
    else None) with ``exact_method``."""

    setting: str
    params: Mapping[str, Any]
    terms: Mapping[str, Mapping[str, Any]]
    bottleneck: str | None
    predicted: Any
    exact: Any = None
    exact_method: str = ""
    dps: int = 30

    def to_dict(self) -> dict:
        return {"setting": self.setting, "params": _jsonable(self.params, self.dps),
                "terms": _jsonable(self.terms, self.dps), "bottleneck": self.bottleneck,
                "predicted": format_number(self.predicted, self.dps),
                "exact": format_number(self.exact, self.dps), "exact_method": self.exact_method,
                "dps": self.dps}


def _exact_risk(setting, nu, beta, finite, dps):
    """Exact risk for the combination ``finite`` ({resource: value}); (value, method) or
    (None, reason)."""
    keys = set(finite)
    L = finite.get("depth", math.inf)
    if setting == "fs":
        if keys <= {"time", "depth"} and "time" in keys:
            from solvers.settings import fs
            return fs.risk(nu=nu, beta=beta, depth=L, time=finite["time"], dps=dps).risk, \
                "solvers.settings.fs.risk (closed-form per-mode flow)"
        if keys == {"depth"}:
            return mpmath.mpf(0), "FS at t = inf: Gamma = L Sigma^-1, risk 0 at every depth"
        return None, "no FS solver for this combination"
    if keys <= {"time", "depth"}:
        from solvers.settings import rrs
        r = rrs.risk(nu=nu, beta=beta, depth=L, time=finite.get("time", math.inf), dps=dps)
        return r.risk, "solvers.settings.rrs.risk (alpha = inf)"
    if keys <= {"width", "depth"}:
        from solvers.settings import width
        if is_inf(L):
            return width.projection_risk(width=finite["width"], nu=nu, beta=beta,
                                         dps=dps).risk, \
                "solvers.settings.width.projection_risk (L = inf)"
        return width.risk(width=finite["width"], depth=L, nu=nu, beta=beta, dps=dps).risk, \
            "solvers.settings.width.risk (case W, optimal gamma, at dps)"
    if keys <= {"context", "depth"}:
        from solvers.settings import context
        return context.risk("rrs", context=finite["context"], depth=L, nu=nu, beta=beta,
                            dps=dps).risk, \
            "solvers.settings.context.risk (case C, optimal gamma, at dps)"
    if keys <= {"time", "width", "depth"}:
        from solvers.analysis import dynamics
        ts = dynamics.width_flow([finite["time"]], width=finite["width"], depth=L, nu=nu,
                                 beta=beta)
        return ts.risk[0], "solvers.analysis.dynamics.width_flow (case W, float64)"
    if keys <= {"time", "context", "depth"}:
        from solvers.analysis import dynamics
        ts = dynamics.context_flow([finite["time"]], setting="rrs", context=finite["context"],
                                   depth=L, nu=nu, beta=beta)
        return ts.risk[0], "solvers.analysis.dynamics.context_flow (case C, float64)"
    if keys <= {"width", "context", "depth"}:
        # both bottlenecks together (the full model): nested deterministic equivalent
        from solvers.settings import joint
        r = joint.risk(width=finite["width"], context=finite["context"], depth=L, nu=nu,
                       beta=beta, dps=15)   # float64: the dps-30 optimum takes ~50 s at L = inf
        return r.risk, ("solvers.settings.joint.risk (width x context, optimal gamma, float64: "
                        "~13 digits; risk rrs --width --context --dps gives more)")
    if keys <= {"time", "width", "context", "depth"}:
        from solvers.analysis import dynamics
        ts = dynamics.joint_flow([finite["time"]], width=finite["width"],
                                 context=finite["context"], depth=L, nu=nu, beta=beta)
        return ts.risk[0], "solvers.analysis.dynamics.joint_flow (width x context, float64)"
    return None, "no exact solver couples " + " and ".join(sorted(keys))


def phase(setting, nu, beta, width=math.inf, depth=math.inf, context=math.inf, time=math.inf,
          dps=30, exact=True):
    """Which resource limits the risk at ``(N, L, P, t)``.

    The separable law ``R ≈ Σ_r c_r r^{−a_r}(log r)^{l_r}`` over the finite resources (the laws
    of :func:`laws`, each at infinite other resources; the time term at L = ∞); the largest
    term is the bottleneck.  With ``exact=True`` each term is compared with its exact
    single-resource risk and the joint exact risk is computed where a solver couples the finite
    resources (rrs: time+depth, width+depth, context+depth, time+width(+depth),
    time+context(+depth), width+context(+depth) and width+context+time(+depth) through the
    joint solver and its flow; fs: time+depth) — these can take seconds to minutes.
    """
    require_choice("setting", setting, SETTINGS)
    nu, beta = _validate_nu_beta(nu, beta)
    dps = require_dps(dps)
    vals = {"width": require_int("width", width, minimum=1, allow_inf=True),
            "depth": require_int("depth", depth, minimum=1, allow_inf=True),
            "context": require_positive("context", context, allow_inf=True),
            "time": require_nonnegative("time", time, allow_inf=True)}
    if not is_inf(vals["context"]) and vals["context"] < 1:
        raise ValueError(f"context={context!r} is invalid: context must be >= 1 (a number of "
                         "context points) or inf")
    _require_law_limits(nu, beta, vals["depth"] if setting == "fs" else math.inf)
    if exact:   # the exact risks use the solvers: their work limits apply
        for k in ("width", "context"):
            require_work_limit(k, vals[k])
    finite = {k: v for k, v in vals.items() if not is_inf(v)}
    if setting == "fs":
        bad = set(finite) - {"time", "depth"}
        if bad:
            raise ValueError(f"{sorted(bad)[0]}={vals[sorted(bad)[0]]!r} is invalid: setting "
                             "'fs' has only a time law (width/context laws are for rrs)")
    if finite.get("time") == 0:
        raise ValueError("time=0 is invalid: the laws need time > 0")
    terms = {}
    if setting == "rrs":
        sel = _selected("rrs", nu, beta, math.inf)[0]
        names = [k for k in RESOURCES if k in finite]
    else:  # FS: the time law at the given depth; depth itself is no bottleneck
        sel = _selected("fs", nu, beta, vals["depth"])[0]
        names = ["time"] if "time" in finite else []
    for k in names:
        terms[k] = {"law": law_value(sel[k], finite[k], dps)}
        if exact and len(finite) > 1:
            terms[k]["exact"] = _exact_risk(setting, nu, beta, {k: finite[k]}, dps)[0]
    predicted = mpmath.fsum(v["law"] for v in terms.values()) if terms else mpmath.mpf(0)
    bottleneck = max(terms, key=lambda k: terms[k]["law"]) if terms else None
    ex, how = (None, "not computed")
    if exact and finite:
        ex, how = _exact_risk(setting, nu, beta, finite, dps)
    elif exact:
        ex, how = mpmath.mpf(0), "every resource infinite"
    return PhaseResult(setting, vals, terms, bottleneck, predicted, ex, how, dps)
