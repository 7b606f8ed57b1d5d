"""RRS at infinite context (α = ∞): the scalar landscape, its optimum and its gradient flow.

With ``Γ = γI`` (spec §5) and a spectrum ``(λ_k, ω_k)`` (:mod:`solvers.spectra`):

    R(γ) = Σ_k ω_kλ_k (1 − γλ_k/L)^{2L}     (L = ∞:  Σ_k ω_kλ_k e^{−2γλ_k}),
    F(γ) = −R'(γ) = 2 Σ_k ω_kλ_k² (1 − γλ_k/L)^{2L−1}.

(:mod:`theory.rrs` derives both.)  Every power ``(1 − y)^n`` is evaluated as
``exp(n·log1p(−y))`` so depth 10⁶ costs what depth 1 does.

* **Optimal γ.** R is convex (``R'' ≥ 0``), so ``F`` decreases and has one root ``γ*`` when L is
  finite; it is found by a safeguarded Newton iteration inside a bracket ``F(lo) > 0 > F(hi)``
  (no grid).  At ``L = ∞`` every term of F is positive: the infimum is ``R → 0`` as ``γ → ∞``
  and is not attained; the solvers report ``gamma = inf``, ``risk = 0`` and say so.
* **Gradient flow** ``dγ/dt = V(γ)`` with ``V = F`` (``parameterization="reduced"``, from γ = 0),
  ``V = 5·2^{2/5} γ^{8/5} F`` (``"full"``: separate ``W_x, W_k, W_q, W_v`` from a balanced init
  of scale ``init_scale``, γ(0) = 2σ⁵; paper Result 9) or ``V = 25 γ^{8/5} F`` (``"tied"``: one
  scalar w, γ = w⁵).  Coefficients and γ(0) come from :func:`theory.rrs.full_attention_flow`.
  The flow is scalar and autonomous, so ``t(γ) = ∫_{γ(0)}^{γ} dg / V(g)`` (tanh–sinh
  quadrature) is inverted by a safeguarded Newton iteration in ``s = −log(γ* − γ)`` (finite L:
  t is then nearly linear in s) or ``s = log γ`` (L = ∞).
"""
from __future__ import annotations

import math
import time as _time

import mpmath
import sympy as sp

from solvers.progress import tick
from solvers.result import ConvergenceError, Result, round_dps, to_mpf
from solvers.spectra import GUARD_DIGITS, PowerLaw, make_spectrum, pow1m
from solvers.validate import (is_inf, require_choice, require_dps, require_int,
                              require_nonnegative, require_positive)
from theory import rrs as trrs

__all__ = ["risk", "landscape", "flow_velocity", "optimal_gamma", "gamma_of_time", "trajectory",
           "PARAMETERIZATIONS"]

PARAMETERIZATIONS = ("reduced", "full", "tied")
_MAX_ITER = 200
FLOW_QUAD = "gauss-legendre"
#: use the incomplete gamma/beta closed forms for power-law tails (False: quadrature)
CLOSED_FORM_TAILS = True
FLOW_QUAD_DEGREE = 6


_rd = round_dps
_mp = to_mpf


class _Landscape:
    """R, F = −R', F' of one (spectrum, depth) at the working precision, with error estimates."""

    def __init__(self, spec, depth, dps):
        self.spec, self.L, self.dps = spec, depth, dps
        self.evaluations = 0

    def _sum(self, n, power, g):
        """Σ ω λ^power (1 − γλ/L)^{n}  (n = 2L − j; at L = ∞ the kernel is e^{−2γλ})."""
        self.evaluations += 1
        extra = {}
        if isinstance(self.spec, PowerLaw) and CLOSED_FORM_TAILS:
            extra["tail_integral"] = self._tail(n, power, g)
            if not is_inf(self.L) and g > 0:  # the tail must have γλ/L ≤ 1/2
                extra["head"] = int((2 * g / self.L) ** (1 / float(self.spec.nu))) + 2
        if is_inf(self.L):
            return self.spec.wsum(lambda l: mpmath.exp(-2 * g * l), power, self.dps,
                                  scale=2 * g, **extra)
        Lm = mpmath.mpf(self.L)
        return self.spec.wsum(lambda l: pow1m(g * l / Lm, n), power, self.dps, scale=2 * g,
                              **extra)

    def _tail(self, n, power, g):
        """Closed form of ``∫_a^b x^{−p} K(γx^{−ν}) dx / Z`` (the continuous power-law summand,
        ``p = νβ + 1 + ν(m − 1)``, ``c = (p − 1)/ν``): with ``u = γx^{−ν}``
        ``∫_a^∞ = γ^{−c}/ν ∫_0^{γa^{−ν}} u^{c−1} K(u) du``, an incomplete gamma function for
        ``K = e^{−2u}`` and an incomplete beta function ``L^c B(u/L; c, n+1)`` for
        ``K = (1 − u/L)^n``."""
        nu, b = self.spec._params()
        Z = self.spec.normaliser()
        p = nu * b + 1 + nu * (power - 1)
        c = (p - 1) / nu
        L = self.L

        def upper(x):  # ∫_x^∞
            x = mpmath.mpf(x)
            if g == 0:
                return x ** (1 - p) / (p - 1)
            if is_inf(L):
                u = 2 * g * x ** (-nu)
                return g ** (-c) * 2 ** (-c) * mpmath.gammainc(c, 0, u) / nu
            v = g * x ** (-nu) / L
            return g ** (-c) * mpmath.mpf(L) ** c * mpmath.betainc(c, n + 1, 0, v) / nu

        def tail(a, bnd):
            val = upper(a) - (0 if is_inf(bnd) else upper(bnd))
            return val / Z, mpmath.eps * 10 * abs(val / Z)
        return tail

    def R(self, g):
        if is_inf(g):
            if is_inf(self.L):
                return mpmath.mpf(0), mpmath.mpf(0)
            return mpmath.inf, mpmath.mpf(0)
        s = self._sum(None if is_inf(self.L) else 2 * self.L, 1, g)
        return s.value, s.error

    def F(self, g):
        s = self._sum(None if is_inf(self.L) else 2 * self.L - 1, 2, g)
        return 2 * s.value, 2 * s.error

    def dF(self, g):
        if is_inf(self.L):
            s = self._sum(None, 3, g)
            return -4 * s.value, 4 * s.error
        L = self.L
        c = mpmath.mpf(2 * (2 * L - 1)) / L
        s = self._sum(2 * L - 2, 3, g)
        return -c * s.value, c * s.error


def _validate(nu, beta, depth, dim, lam, omega, dps):
    dps = require_dps(dps)
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    spec = make_spectrum(nu=nu, beta=beta, dim=dim, lam=lam, omega=omega)
    return spec, depth, dps


def _params(nu, beta, depth, dim, lam, omega, **more):
    p = {"nu": nu, "beta": beta, "depth": depth, "dim": dim}
    if lam is not None:
        p["lam"] = [str(x) for x in lam]
        p["omega"] = [str(x) for x in omega]
    p.update(more)
    return p


def _overshoot(land, g):
    """``N(γ) = 2 Σ_{λ_k > L/γ} ω_kλ_k² (γλ_k/L − 1)^{2L−1}`` and ``dN/dγ``: the modes pushed
    past zero, so that ``F = P − N`` with ``P, N ≥ 0`` (finitely many modes, all explicit)."""
    L = land.L
    spec = land.spec
    if spec.is_finite:
        lams, oms = spec.modes(dps=land.dps)
    else:  # power law: λ_k > L/γ  ⇔  k < (γ/L)^{1/ν}
        n = int(mpmath.floor((g / L) ** (1 / mpmath.mpf(spec.nu)))) + 1
        lams, oms = spec.modes(n, dps=land.dps)
    N = dN = mpmath.mpf(0)
    for l, w in zip(lams, oms):
        y = g * l / L - 1
        if y > 0:
            N += 2 * w * l * l * y ** (2 * L - 1)
            dN += 2 * w * l ** 3 * (2 * L - 1) / L * y ** (2 * L - 2)
    return N, dN


def _optimal(land):
    """(γ*, iterations, residual) for finite depth.

    ``F = P − N`` (positive and overshooting modes); between consecutive points ``γ = L/λ_k``
    both parts are positive and ``h = log P − log N`` is smooth, so the root of F is found by a
    Newton iteration on h, kept inside a bracket ``F(lo) > 0 > F(hi)`` with bisection as the
    fallback.  A root exactly at a flip point (e.g. a single mode, γ* = L/λ, where F has a zero
    of order 2L − 1) is caught by ``|F| ≤ its error``.
    """
    L = land.L
    eps = mpmath.mpf(10) ** (-land.dps - 3)
    lam_max = max(land.spec.modes(1 if not land.spec.is_finite else None, dps=land.dps)[0])
    lo, hi = mpmath.mpf(0), None
    x = L / lam_max  # every factor (1 − γλ/L) is ≥ 0 here, so F(x) ≥ 0
    Fx, Ferr = land.F(x)
    if abs(Fx) <= Ferr:
        return x, 0, abs(Fx)
    if Fx > 0:
        lo = x
        h = 2 * x
        for _ in range(200):
            Fh, Fherr = land.F(h)
            if abs(Fh) <= Fherr:
                return h, 0, abs(Fh)
            if Fh < 0:
                hi = h
                break
            lo, h = h, 2 * h
        if hi is None:
            raise ConvergenceError("no upper bracket for the optimal gamma", where=f"gamma={h}")
    else:
        hi = x
    x = (lo + hi) / 2
    steps = [mpmath.inf] * 3
    for it in range(1, _MAX_ITER + 1):
        tick("optimal gamma")
        Fx, Ferr = land.F(x)
        if abs(Fx) <= Ferr:
            return x, it, abs(Fx)
        if Fx > 0:
            lo = x
        else:
            hi = x
        dFx, _ = land.dF(x)
        N, dN = _overshoot(land, x)
        P, dP = Fx + N, dFx + dN
        if N > 0 and P > 0:
            step = -(mpmath.log(P) - mpmath.log(N)) / (dP / P - dN / N)
        else:
            step = -Fx / dFx if dFx != 0 else None
        if step is not None and abs(step) <= eps * abs(x):
            return x + step, it, abs(Fx)
        xn = x + step if step is not None else None
        steps = steps[1:] + [abs(step) if step is not None else mpmath.inf]
        # bisect if Newton leaves the bracket or its steps are not shrinking fast (linear
        # convergence, e.g. at a root of high multiplicity)
        if xn is None or not (lo < xn < hi) or steps[-1] > steps[0] / 4:
            xn = (lo + hi) / 2
            steps = [mpmath.inf] * 3
        if (hi - lo) <= eps * abs(x):
            return xn, it, abs(Fx)
        x = xn
    raise ConvergenceError("optimal gamma: Newton/bisection did not converge",
                           where=f"gamma in [{lo}, {hi}]", residual=abs(Fx))


def landscape(gamma, nu=None, beta=None, depth=1, dim=math.inf, lam=None, omega=None,
              dps=30) -> Result:
    """``R(γ) = Σ_k ω_kλ_k (1 − γλ_k/L)^{2L}`` at one γ (``extra['flow']`` = −R'(γ))."""
    spec, depth, dps = _validate(nu, beta, depth, dim, lam, omega, dps)
    gamma = require_nonnegative("gamma", gamma, allow_inf=True)
    with mpmath.workdps(dps + GUARD_DIGITS):
        land = _Landscape(spec, depth, dps)
        g = _mp(gamma)
        R, Rerr = land.R(g)
        F = land.F(g)[0] if not is_inf(g) else mpmath.mpf(0)
    return Result("rrs", _params(nu, beta, depth, dim, lam, omega, gamma=gamma), _rd(R, dps), gamma=_rd(g, dps),
                  converged=True, error_estimate=Rerr, method="spectral-sum", dps=dps,
                  extra={"flow": F})


def flow_velocity(gamma, nu=None, beta=None, depth=1, dim=math.inf, lam=None, omega=None,
                  parameterization="reduced", dps=30):
    """``dγ/dt`` at γ: ``F(γ)`` (reduced) or ``C γ^{8/5} F(γ)`` (full/tied).  Returns mpf."""
    spec, depth, dps = _validate(nu, beta, depth, dim, lam, omega, dps)
    require_choice("parameterization", parameterization, PARAMETERIZATIONS)
    with mpmath.workdps(dps + GUARD_DIGITS):
        land = _Landscape(spec, depth, dps)
        return _velocity(land, parameterization)(_mp(gamma))


def trajectory(gammas, nu=None, beta=None, depth=1, dim=math.inf, lam=None, omega=None,
               parameterization="reduced", init_scale=0.01, dps=20) -> Result:
    """The gradient-flow curve parametrised by γ: ``t(γ_i) = ∫_{γ(0)}^{γ_i} dg / V(g)`` and
    ``R(γ_i)`` for increasing ``gammas`` below the optimum — a whole time series without
    inverting ``t(γ)`` point by point (cf. :func:`gamma_of_time`).  Segment quadratures are
    accumulated; ``risk`` and ``extra['times']`` are lists, ``error_estimate`` bounds the
    accumulated quadrature error of the times."""
    spec, depth, dps = _validate(nu, beta, depth, dim, lam, omega, dps)
    require_choice("parameterization", parameterization, PARAMETERIZATIONS)
    params = _params(nu, beta, depth, dim, lam, omega, parameterization=parameterization)
    with mpmath.workdps(dps + GUARD_DIGITS):
        land = _Landscape(spec, depth, dps)
        V = _velocity(land, parameterization)
        g_prev = _gamma0(parameterization, init_scale)
        gs = [_mp(require_nonnegative("gammas", g)) for g in gammas]
        if any(b <= a for a, b in zip(gs, gs[1:])) or (gs and gs[0] <= g_prev):
            raise ValueError(f"gammas={list(gammas)[:4]}... is invalid: gammas must increase "
                             f"from above gamma(0)={g_prev}")
        t, err, times, risks = mpmath.mpf(0), mpmath.mpf(0), [], []
        for g in gs:
            v_end = V(g)
            if not v_end > 0:
                raise ValueError(f"gammas contains {mpmath.nstr(g, 8)}, at or beyond the optimum "
                                 "where the flow stops: keep gammas below optimal_gamma")
            seg, e = mpmath.quad(lambda x: 1 / V(x), [g_prev, g], error=True,
                                 method=FLOW_QUAD, maxdegree=FLOW_QUAD_DEGREE + 2)
            t, err = t + seg, err + abs(e)
            times.append(_rd(t, dps))
            risks.append(_rd(land.R(g)[0], dps))
            g_prev = g
    return Result("rrs", params, risks, gamma=[_rd(g, dps) for g in gs], error_estimate=err,
                  method=f"t(gamma) by segment quadrature of 1/V ({parameterization})", dps=dps,
                  extra={"times": times})


def optimal_gamma(nu=None, beta=None, depth=1, dim=math.inf, lam=None, omega=None,
                  dps=30) -> Result:
    """The minimiser ``γ*`` of R (root of ``∂R/∂γ = 0``) and the optimal risk ``R(γ*)``.

    ``depth = inf``: ``γ* = inf`` and ``risk = 0`` (infimum, not attained; method says so).
    """
    spec, depth, dps = _validate(nu, beta, depth, dim, lam, omega, dps)
    params = _params(nu, beta, depth, dim, lam, omega)
    t0 = _time.perf_counter()
    with mpmath.workdps(dps + GUARD_DIGITS):
        land = _Landscape(spec, depth, dps)
        if is_inf(depth):
            return Result("rrs", params, mpmath.mpf(0), gamma=mpmath.inf, converged=True,
                          error_estimate=mpmath.mpf(0), dps=dps,
                          method="limit: at depth=inf F(gamma) > 0 for all gamma, so the "
                                 "infimum R -> 0 is reached only as gamma -> inf")
        g, its, resid = _optimal(land)
        R, Rerr = land.R(g)
    return Result("rrs", params, _rd(R, dps), gamma=_rd(g, dps), converged=True, error_estimate=Rerr,
                  method="safeguarded Newton on dR/dgamma=0 + spectral sums", dps=dps,
                  iterations=its,
                  extra={"residual": resid, "seconds": _time.perf_counter() - t0,
                         "evaluations": land.evaluations})


def _velocity(land, parameterization):
    if parameterization == "reduced":
        return lambda g: land.F(g)[0]
    ns = trrs.full_attention_flow()
    coef = ns.coefficient if parameterization == "full" else ns.tied_coefficient
    C = mpmath.mpf(sp.N(coef, land.dps + 2 * GUARD_DIGITS))
    e = mpmath.mpf(ns.exponent.p) / ns.exponent.q
    return lambda g: C * g ** e * land.F(g)[0]


def _gamma0(parameterization, init_scale):
    if parameterization == "reduced":
        return mpmath.mpf(0)
    sigma = sp.Symbol("sigma", positive=True)
    f = sp.lambdify(sigma, trrs.initial_gamma(parameterization, sigma), modules="mpmath")
    return f(_mp(init_scale))


def _flow_variable(gstar, g0):
    """Integration/inversion variable s for the flow: returns (γ(s), dγ/ds, s0)."""
    if is_inf(gstar):
        shift = 1 if g0 == 0 else 0  # s = log(γ + 1) or log γ: t grows like a power of γ

        def gam(s):
            return mpmath.exp(s) - shift

        def dgds(s):
            return mpmath.exp(s)
        return gam, dgds, mpmath.log(g0 + shift)
    if g0 == 0:  # s = −log(γ* − γ): t(s) is nearly linear as γ → γ*
        def gam(s):
            return gstar - mpmath.exp(-s)

        def dgds(s):
            return mpmath.exp(-s)
        return gam, dgds, -mpmath.log(gstar)

    # γ = γ*/(1 + e^{−s}): logarithmic near γ(0) ≈ 0 (where V ∝ γ^{8/5}) and near γ*
    def gam(s):
        return gstar / (1 + mpmath.exp(-s))

    def dgds(s):
        g = gam(s)
        return g * (gstar - g) / gstar
    return gam, dgds, mpmath.log(g0 / (gstar - g0))


def _flow_dps(spec, dps):
    """Working digits of the finite-depth flow.  Near γ*, V(γ) ∝ γ* − γ is a difference of O(1)
    terms, so finite spectra (cheap sums) get ``2·dps + 5`` digits and γ(t) resolves γ* − γ down
    to ``10^{−dps}·γ*``; infinite power laws get ``dps + 15`` (their sums cost much more at high
    precision) and γ(t) is taken equal to γ* once ``γ* − γ < 10^{−(dps/2+…)}γ*``-level, where
    the risk error ``½|F'(γ*)|(γ* − γ)²`` is added to the error estimate."""
    return 2 * dps + 5 if spec.is_finite else dps + 15


def _quad_checked(f, a, b, tol, depth=0):
    """``∫_a^b f`` with error estimate; subdivides (up to 4 levels of 4 pieces) until the
    estimate is below ``tol·(1 + |value|)``, else raises ConvergenceError."""
    val, err = mpmath.quad(f, [a, b], error=True, maxdegree=FLOW_QUAD_DEGREE, method=FLOW_QUAD)
    if err <= tol * (1 + abs(val)):
        return val, abs(err)
    if depth >= 4:
        raise ConvergenceError("t(gamma) quadrature did not converge", where=f"[{a}, {b}]",
                               residual=err)
    pts = [a + (b - a) * j / 4 for j in range(5)]
    parts = [_quad_checked(f, pts[j], pts[j + 1], tol, depth + 1) for j in range(4)]
    return mpmath.fsum(p[0] for p in parts), mpmath.fsum(p[1] for p in parts)


def _solve_flow(land, t, parameterization, init_scale):
    """γ(t) of ``dγ/dt = V(γ)``; returns (γ, iterations, error estimate of t(γ), note).

    Newton on ``log t(s) − log t`` in the flow variable s (:func:`_flow_variable`), safeguarded
    by a bracket and bisection; ``t(s)`` is accumulated from the nearest point already known.
    """
    g0 = _gamma0(parameterization, init_scale)
    dps = land.dps
    if t == 0:
        return g0, 0, mpmath.mpf(0), "t=0"
    if is_inf(land.L):
        gstar = mpmath.inf
    else:
        if is_inf(t):
            return _optimal(land)[0], 0, mpmath.mpf(0), "t=inf: the flow's limit (optimal gamma)"
        # near γ*, V(γ) ∝ γ* − γ is a difference of O(1) terms: double the precision (for γ*
        # too) so that γ(t) resolves γ* − γ down to 10^{−dps}·γ*
        land = _Landscape(land.spec, land.L, _flow_dps(land.spec, dps))
        with mpmath.workdps(land.dps + GUARD_DIGITS):
            gstar = _optimal(land)[0]
    if is_inf(t):
        return gstar, 0, mpmath.mpf(0), "t=inf: the flow's limit (optimal gamma)"
    V = _velocity(land, parameterization)
    gam, dgds, s0 = _flow_variable(gstar, g0)

    def dTds(s):
        g = gam(s)
        v = V(g)
        if v <= 0:
            raise ConvergenceError("flow velocity not positive", where=f"gamma={g}", residual=v)
        return dgds(s) / v

    tol = mpmath.mpf(10) ** (-dps - 2)
    known = {s0: (mpmath.mpf(0), mpmath.mpf(0))}  # s -> (t(s), accumulated error)

    def T(s):
        ref = min(known, key=lambda r: abs(r - s))
        Tr, er = known[ref]
        if s == ref:
            return Tr, er
        val, err = _quad_checked(dTds, ref, s, mpmath.mpf(10) ** (-dps - 2))
        known[s] = (Tr + val, er + abs(err))
        return known[s]

    s_sat = None
    if not is_inf(gstar):  # γ(t) indistinguishable from γ* at the requested precision
        # V near γ* has relative error ~ 10^{−(flow digits − dps)}·γ*/(γ* − γ) at most
        resolved = min(dps + 3, land.dps + GUARD_DIGITS - dps - 2)
        s_sat = -mpmath.log(abs(gstar) * mpmath.mpf(10) ** (-resolved))
        if g0 != 0:
            s_sat += mpmath.log(abs(gstar))
    s_lo, s_hi = s0, None
    s = s0 + t / dTds(s0)
    if is_inf(gstar):
        s = min(s, s0 + 2)
    if s_sat is not None and s > s_sat:
        s = s_sat
    logt = mpmath.log(t)
    for it in range(1, _MAX_ITER + 1):
        tick("gamma(t)")
        Ts, Terr = T(s)
        if Ts < t:
            s_lo = s
            if s_sat is not None and s >= s_sat:
                return gstar, it, Terr, "saturated: gamma(t) equals the optimum to working precision"
        else:
            s_hi = s
        sn = s - (mpmath.log(Ts) - logt) * Ts / dTds(s)
        if abs(sn - s) <= tol * (1 + abs(s)):
            return gam(sn), it, Terr, ""
        if s_hi is None:
            if sn <= s_lo:
                sn = s_lo + 2 * (s_lo - s0) + 1
            if is_inf(gstar):  # t(s) may grow like exp(e^s): expand the bracket gently
                sn = min(sn, s + 2)
        elif not (s_lo < sn < s_hi):
            sn = (s_lo + s_hi) / 2
        if s_sat is not None and sn > s_sat:
            sn = s_sat
        s = sn
    raise ConvergenceError("gamma(t): inversion of t(gamma) did not converge",
                           where=f"t={t}, s in [{s_lo}, {s_hi}]")


def gamma_of_time(time, nu=None, beta=None, depth=1, dim=math.inf, lam=None, omega=None,
                  parameterization="reduced", init_scale=0.01, dps=30) -> Result:
    """γ(t) of the gradient flow (γ(0) = 0 reduced; 2σ⁵ full; σ⁵ tied with σ = init_scale)
    and the risk R(γ(t)).  ``time = inf`` gives the optimum (:func:`optimal_gamma`)."""
    spec, depth, dps = _validate(nu, beta, depth, dim, lam, omega, dps)
    time = require_nonnegative("time", time, allow_inf=True)
    require_choice("parameterization", parameterization, PARAMETERIZATIONS)
    if parameterization != "reduced":
        init_scale = require_positive("init_scale", init_scale)
    params = _params(nu, beta, depth, dim, lam, omega, time=time,
                     parameterization=parameterization,
                     **({"init_scale": init_scale} if parameterization != "reduced" else {}))
    t0 = _time.perf_counter()
    with mpmath.workdps(dps + GUARD_DIGITS):
        land = _Landscape(spec, depth, dps)
        flow_dps = (mpmath.mp.dps if is_inf(depth)
                    else _flow_dps(spec, dps) + GUARD_DIGITS)
        with mpmath.workdps(flow_dps):
            g, its, terr, note = _solve_flow(land, _mp(time), parameterization, init_scale)
        R, Rerr = land.R(g)
        gamma_err = mpmath.mpf(0)
        # error in γ from the error of t(γ): δγ = V(γ) δt; in R: F(γ) δγ
        if not is_inf(g) and terr:
            Fg = land.F(g)[0]
            gamma_err = abs(_velocity(land, parameterization)(g) * terr)
            Rerr += abs(Fg) * gamma_err
        if note.startswith("saturated"):  # γ(t) replaced by γ*: R − R* ≤ ½|F'(γ*)|(γ* − γ)²
            resolved = min(dps + 3, _flow_dps(spec, dps) + GUARD_DIGITS - dps - 2)
            gamma_err = abs(g) * mpmath.mpf(10) ** (-resolved)
            Rerr += abs(land.dF(g)[0]) * gamma_err ** 2 / 2
    method = f"t(gamma) quadrature + safeguarded Newton inversion ({parameterization})"
    if note:
        method += f"; {note}"
    return Result("rrs", params, _rd(R, dps), gamma=_rd(g, dps), converged=True, error_estimate=Rerr,
                  method=method, dps=dps, iterations=its,
                  extra={"t_error": terr, "gamma_error": gamma_err,
                         "seconds": _time.perf_counter() - t0,
                         "evaluations": land.evaluations})


def risk(nu=None, beta=None, depth=1, time=math.inf, gamma=None, dim=math.inf, lam=None,
         omega=None, parameterization="reduced", init_scale=0.01, dps=30) -> Result:
    """RRS risk at α = ∞ (spec §5).

    Spectrum: power law ``(nu, beta, dim)`` or explicit ``lam``/``omega``.  ``gamma`` given ⇒
    R at that γ; else ``time`` finite ⇒ γ(t) of the gradient flow (``parameterization``
    reduced/full/tied, see :func:`gamma_of_time`); ``time = inf`` ⇒ the optimum (at
    ``depth = inf``: γ = inf, risk 0).  Returns a :class:`Result` with ``gamma`` the γ used.
    """
    if gamma is not None:
        r = landscape(gamma, nu=nu, beta=beta, depth=depth, dim=dim, lam=lam, omega=omega,
                      dps=dps)
        return r
    time = require_nonnegative("time", time, allow_inf=True)
    if is_inf(time):
        require_choice("parameterization", parameterization, PARAMETERIZATIONS)
        return optimal_gamma(nu=nu, beta=beta, depth=depth, dim=dim, lam=lam, omega=omega,
                             dps=dps)
    return gamma_of_time(time, nu=nu, beta=beta, depth=depth, dim=dim, lam=lam, omega=omega,
                         parameterization=parameterization, init_scale=init_scale, dps=dps)
