"""RRS at infinite context (α = ∞): the scalar landscape, its optimum and its gradient flow.

With ``Γ = γI`` (spec §5) and a spectrum ``(λ_k, ω_k)`` (:mod:`solvers.spectra`):

    R(γ) = Σ_k ω_kλ_k (1 − γλ_k/L)^{2L}     (L = ∞:  Σ_k ω_kλ_k e^{−2γλ_k}),
    F(γ) = −R'(γ) = 2 Σ_k ω_kλ_k² (1 − γλ_k/L)^{2L−1}.

(:mod:`theory.rrs` derives both.)

* **Sums.** Power laws at ``dim = ∞``: head modes plus Hurwitz-zeta moments of the kernel's
  Taylor series (:mod:`solvers.zeta_moments`; at small γ the exact ζ-moment polynomial
  ``Σ_j C(2L, j)(−γ/L)^j ζ(s + jν)/ζ(s)``), with the precision raised by the measured
  cancellation; at L = ∞ and large γ the Mellin asymptotics ``Γ(β)(2γ)^{−β}/(νζ(s))`` with its
  derived exponentially small remainder bound; at finite L and large γ the overshooting modes
  plus a complete beta integral plus the Poisson remainder envelope
  (:mod:`solvers.depth_asymptotics`: no head of ~γ^{2/3} modes, so depth 10⁶ flows that climb
  to γ* ≈ 2L cost what small depths do).  Other spectra: :meth:`Spectrum.wsum` (direct
  sums, or head + Euler–Maclaurin with incomplete gamma/beta tails); every power
  ``(1 − y)^n`` is ``exp(n·log1p(−y))`` so depth 10⁶ costs what depth 1 does.
* **Optimal γ.** R is convex (``R'' ≥ 0``), so ``F`` decreases and has one root ``γ*`` when L is
  finite.  ``F = P − N`` (modes below/above their flip point ``γ = L/λ_k``); the root of
  ``log P − log N`` is found by :func:`solvers.roots.find_root` (safeguarded Newton) inside a
  bracket from :func:`solvers.roots.expand_bracket`.  At ``L = ∞`` every term of F is positive:
  the infimum ``R → 0`` as ``γ → ∞`` is not attained; the solvers report ``gamma = inf``,
  ``risk = 0`` and say so.
* **Gradient flow** ``dγ/dt = V(γ)`` with ``V = F`` (``parameterization="reduced"``, from γ = 0),
  ``V = 5·2^{2/5} γ^{8/5} F`` (``"full"``: separate ``W_x, W_k, W_q, W_v`` from a balanced init
  of scale ``init_scale``, γ(0) = 2σ⁵; paper Result 9) or ``V = 25 γ^{8/5} F`` (``"tied"``: one
  scalar w, γ = w⁵).  Coefficients and γ(0) come from :func:`theory.rrs.full_attention_flow`.
  The flow is scalar and autonomous: ``t(γ) = ∫_{γ(0)}^{γ} dg / V(g)`` is built once as a
  cumulative Chebyshev quadrature and inverted for every requested time
  (:class:`solvers.flows.CumulativeFlow`; cached per spectrum, depth, parameterisation and dps).
  At L = ∞ on a power law the flow continues in closed form beyond the point where the Mellin
  asymptotics is exact to working precision (``t ∝ γ^{β+2}``), so any t is reachable.
"""
from __future__ import annotations

import math
import time as _time

import mpmath

from solvers.cache import register_memo
from solvers.progress import tick
from solvers.result import Result, round_dps, to_mpf
from solvers.roots import expand_bracket, find_root
from solvers.spectra import GUARD_DIGITS, PowerLaw, make_spectrum, pow1m
from solvers.validate import (is_inf, require_choice, require_dps, require_int,
                              require_gamma_work, require_nonnegative, require_positive)
from solvers import zeta_moments as zm
from solvers.depth_asymptotics import binomial_asymptotic

__all__ = ["risk", "landscape", "flow_velocity", "optimal_gamma", "gamma_of_time", "trajectory",
           "flow_curve", "PARAMETERIZATIONS"]

PARAMETERIZATIONS = ("reduced", "full", "tied")
#: closed forms for power-law tails: Hurwitz-zeta moments at dim = ∞, incomplete gamma/beta
#: integrals (Euler–Maclaurin) at finite dim (False: Euler–Maclaurin with quadrature tails)
CLOSED_FORM_TAILS = True


_rd = round_dps
_mp = to_mpf


class _Landscape:
    """R, F = −R', F' of one (spectrum, depth) at the working precision, with error estimates."""

    def __init__(self, spec, depth, dps):
        self.spec, self.L, self.dps = spec, depth, dps
        self.evaluations = 0

    def _sum(self, n, power, g, atol=None):
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
        return s[0], s[1]

    def F(self, g):
        s = self._sum(None if is_inf(self.L) else 2 * self.L - 1, 2, g, atol=self.F_atol())
        return 2 * s[0], 2 * s[1]

    def dF(self, g):
        if is_inf(self.L):
            s = self._sum(None, 3, g)
            return -4 * s[0], 4 * s[1]
        L = self.L
        c = mpmath.mpf(2 * (2 * L - 1)) / L
        s = self._sum(2 * L - 2, 3, g)
        return -c * s[0], c * s[1]

    def F_atol(self):
        return None

    def modes(self, n=None):
        """The first n modes ``(λ_k, ω_k)`` (all of a finite spectrum if n is None)."""
        return self.spec.modes(n, dps=self.dps)

    def F_asymptote(self, coef=1, exponent=0):
        """:class:`solvers.flows.PowerAsymptote` of ``V = coef·γ^{exponent}·F`` (None: none)."""
        return None


class _ZetaLandscape(_Landscape):
    """Power law at dim = ∞: head + Hurwitz-zeta moments (:mod:`solvers.zeta_moments`), and the
    L = ∞ Mellin asymptotics (finite L: overshooting modes + a beta integral + the Poisson
    remainder envelope, :mod:`solvers.depth_asymptotics`) where its remainder bound is below
    the target.  Falls back to
    :class:`_Landscape` when the head would be too long."""

    def __init__(self, spec, depth, dps):
        super().__init__(spec, depth, dps)
        self.sums = zm.power_law_sums(_key(spec.nu), _key(spec.beta),
                                      None if not spec.is_finite else spec.dim)
        # two digits beyond the flow quadrature's 10^{−(dps+3)}: V's noise stays below it
        self.rtol = mpmath.mpf(10) ** (-(dps + 5))
        self._F0 = None
        self._asym_fail = {}     # (n, power) → largest γ where the large-γ form missed

    def F_atol(self):
        """Absolute target of F at finite depth: F vanishes at γ*, where only an absolute error
        makes sense.  ``10^{−(dps+6)}·F(0)`` resolves γ* to ``~10^{−(dps+5)}`` relative and lets
        the flow follow γ* − γ down to ``~10^{−(dps+2)}γ*`` (then γ(t) counts as γ*)."""
        if is_inf(self.L):
            return None
        if self._F0 is None:   # F(0) = 2Σω_kλ_k² (any dim) from the sums themselves
            self._F0 = 2 * self.sums.wsum(zm.exp_kernel(mpmath.mpf(0)), "nu", 1, self.dps)[0]
        return mpmath.mpf(10) ** (-(self.dps + 6)) * self._F0

    def modes(self, n=None):
        n = self.spec.dim if n is None else (min(n, self.spec.dim) if self.spec.is_finite else n)
        lam, wl = self.sums.head(n, mpmath.mp.prec)
        return lam[:n], [w / l for w, l in zip(wl[:n], lam[:n])]

    def _sum(self, n, power, g, atol=None):
        self.evaluations += 1
        g = mpmath.mpf(g)
        if is_inf(self.L):
            c = 2 * g
            if c > 40 and not self.spec.is_finite:   # the Mellin law is for D = ∞
                val, err = zm.exp_asymptotic(self.sums, power - 1, c, mpmath.mp.prec)
                if err <= self.rtol * val:
                    return val, err
            kern = zm.exp_kernel(-c)
        else:
            # large γ: beta integral + Poisson envelope.  The envelope grows as γ decreases, so
            # below the largest γ where it missed its target the attempt (a third of a ζ-moment
            # sum's cost) is skipped: only a shortcut, the ζ-moment sum is exact either way
            if (2 * g > 40 and not self.spec.is_finite
                    and g > self._asym_fail.get((n, power), 0)):
                out = binomial_asymptotic(self.sums, power - 1, n, g, self.L, mpmath.mp.prec)
                # the ζ-moment target, or its relative one where |F| ≫ atol (past 2L)
                if out is not None and out[1] <= max(atol or 0, self.rtol * abs(out[0])):
                    return out
                self._asym_fail[(n, power)] = g
            kern = zm.binomial_kernel(n, -g / self.L)
        out = self.sums.wsum(kern, "nu", power - 1, self.dps + 3, atol=atol,
                             rtol=None if atol is not None else self.rtol)
        if out is None:
            self.evaluations -= 1
            s = super()._sum(n, power, g)
            return s.value, s.error
        return out

    def F_asymptote(self, coef=1, exponent=0):
        """``V = coef·γ^e·F`` ≈ ``coef·A γ^{e−β−1}``, ``A = Γ(β+1)2^{−β}/(νζ(s))`` (L = ∞)."""
        if not is_inf(self.L) or self.spec.is_finite:
            return None
        from solvers.flows import PowerAsymptote
        nu, beta, s, Z = self.sums.constants(mpmath.mp.prec)
        A = mpmath.gamma(beta + 1) * mpmath.mpf(2) ** (-beta) / (nu * Z)
        a = s + nu

        def rel(g):
            c = 2 * g
            return zm.exp_remainder_bound(a, nu, c) / (mpmath.gamma(beta + 1) * c ** (-beta - 1)
                                                      / nu)
        g = mpmath.mpf(16)
        while rel(g) > self.rtol:
            g *= 2
        return PowerAsymptote(coef * A, beta + 1 - exponent, g, rel)


def _key(x):
    """Exact key of a spectrum parameter, read as :meth:`PowerLaw._params` reads it."""
    return zm.exact_key(x)


#: truncated power laws with more modes than this use the Hurwitz-zeta sums (fewer: direct)
ZETA_FROM_DIM = 64


def _landscape_of(spec, depth, dps):
    if (isinstance(spec, PowerLaw) and CLOSED_FORM_TAILS
            and (not spec.is_finite or spec.dim > ZETA_FROM_DIM)):
        return _ZetaLandscape(spec, depth, dps)
    return _Landscape(spec, depth, dps)


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
    if isinstance(spec, PowerLaw):  # λ_k > L/γ  ⇔  k < (γ/L)^{1/ν}: only the first few modes
        n = int(mpmath.floor((g / L) ** (1 / float(spec._params()[0])))) + 1
        lams, oms = land.modes(n)
    else:
        lams, oms = land.modes()
    N = dN = mpmath.mpf(0)
    for l, w in zip(lams, oms):
        y = g * l / L - 1
        if y > 0:
            N += 2 * w * l * l * y ** (2 * L - 1)
            dN += 2 * w * l ** 3 * (2 * L - 1) / L * y ** (2 * L - 2)
    return N, dN


def _optimal(land):
    """(γ*, iterations, residual) for finite depth.

    ``F = P − N`` (positive and overshooting modes, :func:`_overshoot`); past the top mode's flip
    point ``γ = L/λ_max`` both parts are positive and ``h = log P − log N`` is smooth and nearly
    linear, so γ* is the root of h found by :func:`solvers.roots.find_root` (safeguarded Newton,
    ``h' = P'/P − N'/N``) in the bracket ``[L/λ_max, hi]`` grown by
    :func:`solvers.roots.expand_bracket` until ``F(hi) < 0``.  A root exactly at the flip point
    (e.g. a single mode, γ* = L/λ, where F has a zero of order 2L − 1) is caught by
    ``|F| ≤ its error``.
    """
    L = land.L
    lam_max = max(land.modes(1 if isinstance(land.spec, PowerLaw) else None)[0])
    x = L / lam_max  # every factor (1 − γλ/L) is ≥ 0 here, so F(x) ≥ 0
    Fx, Ferr = land.F(x)
    if abs(Fx) <= Ferr:
        return x, 0, abs(Fx)

    def minus_F(g):
        tick("optimal gamma")
        v, e = land.F(g)
        return -v, e
    lo, hi = expand_bracket(minus_F, 2 * x, lo=x, where="optimal gamma (dR/dgamma)")
    if lo == hi:
        return hi, 0, abs(land.F(hi)[0])

    def h(g):
        Fg, Fe = land.F(g)
        N, _ = _overshoot(land, g)
        if N == 0:
            return (mpmath.inf, 0) if Fg > 0 else (-mpmath.inf, 0)
        P = Fg + N
        if P <= 0:
            return -mpmath.inf, 0
        # N is an explicit sum over the few overshooting modes (exact to rounding), so the error
        # of h = log P − log N is that of P = F + N: δF/P
        return mpmath.log(P) - mpmath.log(N), Fe / P

    def dh(g):
        Fg, _ = land.F(g)
        dFg, _ = land.dF(g)
        N, dN = _overshoot(land, g)
        P = Fg + N
        return (dFg + dN) / P - dN / N

    root = find_root(h, lo, hi, df=dh, rtol=mpmath.mpf(10) ** (-(land.dps + 3)),
                     where="optimal gamma (dR/dgamma)")
    g = root.root
    return g, root.iterations, abs(land.F(g)[0])


def landscape(gamma, nu=None, beta=None, depth=1, dim=math.inf, lam=None, omega=None,
              dps=30) -> Result:
    """``R(γ) = Σ_k ω_kλ_k (1 − γλ_k/L)^{2L}`` at one γ (``extra['flow']`` = −R'(γ))."""
    spec, depth, dps = _validate(nu, beta, depth, dim, lam, omega, dps)
    gamma = require_gamma_work(require_nonnegative("gamma", gamma, allow_inf=True), depth, spec)
    with mpmath.workdps(dps + GUARD_DIGITS):
        land = _landscape_of(spec, depth, dps)
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
        land = _landscape_of(spec, depth, dps)
        return _velocity(land, parameterization)(_mp(gamma))


def trajectory(gammas, nu=None, beta=None, depth=1, dim=math.inf, lam=None, omega=None,
               parameterization="reduced", init_scale=0.01, dps=20) -> Result:
    """The gradient-flow curve parametrised by γ: ``t(γ_i) = ∫_{γ(0)}^{γ_i} dg / V(g)`` and
    ``R(γ_i)`` for increasing ``gammas`` below the optimum — a whole time series without
    inverting ``t(γ)`` (cf. :func:`flow_curve`).  ``risk`` and ``extra['times']`` are lists,
    ``error_estimate`` bounds the accumulated quadrature error of the times."""
    spec, depth, dps = _validate(nu, beta, depth, dim, lam, omega, dps)
    require_choice("parameterization", parameterization, PARAMETERIZATIONS)
    params = _params(nu, beta, depth, dim, lam, omega, parameterization=parameterization)
    with mpmath.workdps(dps + GUARD_DIGITS):
        g0 = _gamma0(parameterization, init_scale)
        gs = [_mp(require_nonnegative("gammas", g)) for g in gammas]
        if any(b <= a for a, b in zip(gs, gs[1:])) or (gs and gs[0] <= g0):
            raise ValueError(f"gammas={list(gammas)[:4]}... is invalid: gammas must increase "
                             f"from above gamma(0)={g0}")
        flow, land = _flow(spec, depth, parameterization, init_scale, dps)
        V = _velocity(land, parameterization)
        times, risks, err = [], [], mpmath.mpf(0)
        for g in gs:
            if not V(g) > 0:
                raise ValueError(f"gammas contains {mpmath.nstr(g, 8)}, at or beyond the optimum "
                                 "where the flow stops: keep gammas below optimal_gamma")
            t, e = flow.time_of_gamma(g)
            err = max(err, e)
            times.append(_rd(t, dps))
            risks.append(_rd(land.R(g)[0], dps))
    return Result("rrs", params, risks, gamma=[_rd(g, dps) for g in gs], error_estimate=err,
                  method=f"t(gamma) by cumulative Chebyshev quadrature of 1/V ({parameterization})",
                  dps=dps, extra={"times": times})


def optimal_gamma(nu=None, beta=None, depth=1, dim=math.inf, lam=None, omega=None,
                  dps=30) -> Result:
    """The minimiser ``γ*`` of R (root of ``∂R/∂γ = 0``) and the optimal risk ``R(γ*)``.

    ``depth = inf``: ``γ* = inf`` and ``risk = 0`` (infimum, not attained; method says so).
    """
    spec, depth, dps = _validate(nu, beta, depth, dim, lam, omega, dps)
    params = _params(nu, beta, depth, dim, lam, omega)
    t0 = _time.perf_counter()
    if is_inf(depth):
        return Result("rrs", params, mpmath.mpf(0), gamma=mpmath.inf, converged=True,
                      error_estimate=mpmath.mpf(0), dps=dps,
                      method="limit: at depth=inf F(gamma) > 0 for all gamma, so the "
                             "infimum R -> 0 is reached only as gamma -> inf")
    with mpmath.workdps(dps + GUARD_DIGITS):
        g, its, resid, R, Rerr, evals = _optimum(spec, depth, dps)
    return Result("rrs", params, _rd(R, dps), gamma=_rd(g, dps), converged=True,
                  error_estimate=Rerr,
                  method="bracketed Newton root of dR/dgamma (solvers.roots) + spectral sums",
                  dps=dps, iterations=its,
                  extra={"residual": resid, "seconds": _time.perf_counter() - t0,
                         "evaluations": evals})


_OPT_CACHE = register_memo({})


def _spec_key(spec):
    if isinstance(spec, PowerLaw):
        return ("powerlaw", _key(spec.nu), _key(spec.beta), spec.dim)
    lam, om = spec.modes(dps=40)
    return ("discrete", tuple(str(x) for x in lam), tuple(str(x) for x in om))


def _optimum(spec, depth, dps):
    """``(γ*, iterations, residual, R*, error, evaluations)`` at finite depth (cached)."""
    key = (_spec_key(spec), depth, dps)
    if key not in _OPT_CACHE:
        land = _landscape_of(spec, depth, dps)
        g, its, resid = _optimal(land)
        R, Rerr = land.R(g)
        if len(_OPT_CACHE) > 256:
            _OPT_CACHE.clear()
        _OPT_CACHE[key] = (g, its, resid, R, Rerr, land.evaluations)
    return _OPT_CACHE[key]


def _velocity(land, parameterization):
    if parameterization == "reduced":
        return lambda g: land.F(g)[0]
    C, e = _full_coefficient(parameterization, land.dps)
    return lambda g: C * g ** e * land.F(g)[0]


def _full_coefficient(parameterization, dps):
    """``(C, 8/5)`` of ``V = C γ^{8/5} F`` (:func:`theory.rrs.full_attention_flow`)."""
    import sympy as sp

    ns = _full_attention_flow()
    coef = ns.coefficient if parameterization == "full" else ns.tied_coefficient
    C = mpmath.mpf(sp.N(coef, dps + 2 * GUARD_DIGITS))
    return C, mpmath.mpf(ns.exponent.p) / ns.exponent.q


_FULL_FLOW = []


def _full_attention_flow():
    """The sympy derivation of the full-attention flow, done once per process."""
    if not _FULL_FLOW:
        from theory import rrs as trrs
        _FULL_FLOW.append(trrs.full_attention_flow())
    return _FULL_FLOW[0]


def _gamma0(parameterization, init_scale):
    if parameterization == "reduced":
        return mpmath.mpf(0)
    import sympy as sp

    from theory import rrs as trrs
    sigma = sp.Symbol("sigma", positive=True)
    f = sp.lambdify(sigma, trrs.initial_gamma(parameterization, sigma), modules="mpmath")
    return f(_mp(init_scale))


_FLOW_CACHE = register_memo({})


def _flow(spec, depth, parameterization, init_scale, dps, progress=None):
    """The cached :class:`solvers.flows.CumulativeFlow` of one flow and its landscape; the
    caller runs inside ``workdps(dps + GUARD_DIGITS)``."""
    from solvers.flows import CumulativeFlow
    key = (_spec_key(spec), depth, parameterization,
           str(init_scale) if parameterization != "reduced" else None, dps)
    hit = _FLOW_CACHE.get(key)
    if hit is not None:
        hit[0].progress = progress
        return hit
    land = _landscape_of(spec, depth, dps)
    switch = None
    if is_inf(depth):
        gstar = mpmath.inf
    else:
        # γ* ≥ L/λ_max (every factor 1 − γλ/L ≥ 0 there, so F > 0): below L/(2λ_max) the flow
        # runs in log(1 + γ) and γ* is computed only when a time needs γ beyond it
        def gstar():
            return _optimum(spec, depth, dps)[0]
        lam_max = max(land.modes(1 if isinstance(spec, PowerLaw) else None)[0])
        switch = depth / (2 * lam_max)
    g0 = _gamma0(parameterization, init_scale)
    if g0 > 0 and not is_inf(depth) and g0 >= gstar():
        # the flow integrates t(γ) = ∫ dγ/V upward from γ(0) to γ*: started at or past γ* it
        # would take roots of V < 0 (once a TypeError on complex numbers)
        raise ValueError(f"init_scale={init_scale!r} is invalid: the initial step gamma(0) = "
                         f"{mpmath.nstr(g0, 6)} is at or beyond the optimum gamma* = "
                         f"{mpmath.nstr(gstar(), 6)} (depth {depth}); the flow runs from below "
                         "gamma*, so init_scale must be smaller")
    if parameterization == "reduced":
        C, e = mpmath.mpf(1), mpmath.mpf(0)
    else:
        C, e = _full_coefficient(parameterization, dps)

    def velocity(g):
        v, err = land.F(g)
        f = C * g ** e
        return f * v, f * err
    asym = land.F_asymptote(C, e) if is_inf(depth) else None
    flow = CumulativeFlow(velocity, g0, gstar, dps, asymptote=asym, progress=progress,
                          switch=switch)
    if len(_FLOW_CACHE) > 32:
        _FLOW_CACHE.clear()
    _FLOW_CACHE[key] = (flow, land)
    return flow, land


def _validate_flow(nu, beta, depth, dim, lam, omega, parameterization, init_scale, dps):
    spec, depth, dps = _validate(nu, beta, depth, dim, lam, omega, dps)
    require_choice("parameterization", parameterization, PARAMETERIZATIONS)
    if parameterization != "reduced":
        init_scale = require_positive("init_scale", init_scale)
    return spec, depth, dps, init_scale


def flow_curve(times, nu=None, beta=None, depth=1, dim=math.inf, lam=None, omega=None,
               parameterization="reduced", init_scale=0.01, dps=30, progress=False):
    """γ(t) and R(γ(t)) of the gradient flow at every time of ``times`` (any order, ``inf``
    allowed), from one cumulative quadrature of ``t(γ)`` (:class:`solvers.flows.CumulativeFlow`).

    Returns ``(gammas, risks, errors, notes, info)``: mpf lists (``errors`` bound the risk error:
    the sums' own error plus ``F·δγ``, δγ = V·δt from the time quadrature, or the saturation gap
    ``½|F'(γ*)|δγ²``), a set of notes, and ``info`` (``evaluations``, ``panels``).
    ``progress``: show a tqdm bar over the quadrature panels."""
    spec, depth, dps, init_scale = _validate_flow(nu, beta, depth, dim, lam, omega,
                                                  parameterization, init_scale, dps)
    ts = [require_nonnegative("times", t, allow_inf=True) for t in times]
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(desc="t(gamma) panels", unit="panel", leave=False)
    try:
        with mpmath.workdps(dps + GUARD_DIGITS):
            flow, land = _flow(spec, depth, parameterization, init_scale, dps, progress=bar)
            order = sorted(range(len(ts)), key=lambda i: _mp(ts[i]))
            gam, risks, errs, notes = [None] * len(ts), [None] * len(ts), [None] * len(ts), set()
            for i in order:
                pt = flow.point(_mp(ts[i]))
                g = pt.gamma
                R, Rerr = land.R(g)
                if pt.note.startswith("saturated"):
                    Rerr += abs(land.dF(g)[0]) * pt.gamma_error ** 2 / 2
                elif not is_inf(g) and pt.gamma_error:
                    Rerr += abs(land.F(g)[0]) * pt.gamma_error
                if pt.note and pt.note != "t=0":
                    notes.add(pt.note)
                gam[i], risks[i], errs[i] = g, R, Rerr
            info = {"evaluations": land.evaluations, "panels": len(flow.panels),
                    "gamma_errors": None}
    finally:
        if bar is not None:
            bar.close()
    return gam, risks, errs, notes, info


def gamma_of_time(time, nu=None, beta=None, depth=1, dim=math.inf, lam=None, omega=None,
                  parameterization="reduced", init_scale=0.01, dps=30) -> Result:
    """γ(t) of the gradient flow (γ(0) = 0 reduced; 2σ⁵ full; σ⁵ tied with σ = init_scale)
    and the risk R(γ(t)).  ``time = inf`` gives the optimum (:func:`optimal_gamma`)."""
    time = require_nonnegative("time", time, allow_inf=True)
    spec, depth, dps, init_scale = _validate_flow(nu, beta, depth, dim, lam, omega,
                                                  parameterization, init_scale, dps)
    params = _params(nu, beta, depth, dim, lam, omega, time=time,
                     parameterization=parameterization,
                     **({"init_scale": init_scale} if parameterization != "reduced" else {}))
    t0 = _time.perf_counter()
    with mpmath.workdps(dps + GUARD_DIGITS):
        flow, land = _flow(spec, depth, parameterization, init_scale, dps)
        ev0 = land.evaluations
        pt = flow.point(_mp(time))
        g = pt.gamma
        R, Rerr = land.R(g)
        if pt.note.startswith("saturated"):  # γ(t) replaced by γ*: R − R* ≤ ½|F'(γ*)|(γ* − γ)²
            Rerr += abs(land.dF(g)[0]) * pt.gamma_error ** 2 / 2
        elif not is_inf(g) and pt.gamma_error:
            Rerr += abs(land.F(g)[0]) * pt.gamma_error
    method = f"t(gamma) cumulative Chebyshev quadrature + inversion ({parameterization})"
    if pt.note:
        method += f"; {pt.note}"
    return Result("rrs", params, _rd(R, dps), gamma=_rd(g, dps), converged=True,
                  error_estimate=Rerr, method=method, dps=dps,
                  iterations=len(flow.panels),
                  extra={"t_error": pt.t_error, "gamma_error": pt.gamma_error,
                         "seconds": _time.perf_counter() - t0,
                         "evaluations": land.evaluations - ev0 if ev0 else land.evaluations})


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
