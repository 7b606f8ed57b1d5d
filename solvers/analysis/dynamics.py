"""Training dynamics at high precision: gradient flows on a time grid and the depth-1 SGD theory.

Convention (spec §7, :mod:`theory.dynamics`): ``dΓ/dt = −∇_Γ R`` with the full gradient.  Scalar
states (ISO, RRS, ``Γ = γI``) flow by ``dγ/dt = −dR/dγ``; FS flows per mode,
``dγ_k/dt = −∂R/∂γ_k``.  One online-SGD step of learning rate η (``Γ ← Γ − η(D/2)∇ℓ̂``, see
:mod:`solvers.simulators.training`) advances the scalar flow by ``η/2``.

* :func:`iso_flow` — ISO at finite α, noise and depth.  The flow is scalar and autonomous, so
  ``t(γ) = ∫_0^γ dg / V(g)``, ``V = −∂R/∂γ`` (exact, from the Gauss–Chebyshev integrator of
  :mod:`solvers.settings.iso`).  The integral is taken in ``s = −log(γ* − γ)`` (finite γ*: the integrand
  tends to the constant ``1/R''(γ*)``) or ``s = log(1 + γ)`` (γ* = ∞) by Gauss–Legendre
  quadrature, and inverted for each requested t by a safeguarded Newton iteration.
* :func:`fs_flow` — FS at α = ∞: the closed forms of :mod:`solvers.settings.fs`; :func:`integrate_flow`
  (mpmath's Taylor-series ODE solver) is the independent check.
* :func:`rrs_flow` — RRS at α = ∞, reduced and full-attention (paper's Result 9:
  ``γ = w⁵``, ``w = γ^{1/5}``) parameterisations, via :func:`solvers.settings.rrs.gamma_of_time`.
* :func:`width_flow` — RRS at α = ∞ and finite width N (case W, :mod:`solvers.settings.width`): the
  scalar flow of ``Γ = γ P_N`` with ``∂R/∂γ`` from the width contour (float64), same
  quadrature-and-inversion scheme as the ISO flow.
* :func:`context_flow`, :func:`joint_flow` — the same scalar flow at finite context (case C) and
  at finite width *and* context (:mod:`solvers.settings.joint`).
* :func:`sgd_theory` — the depth-1 ISO recursion ``C(n+1) = aC(n) + b`` (coefficients derived in
  :func:`theory.dynamics.sgd_depth1`; the kernels here are checked against those expressions in
  the tests), the true ICL risk ``cC + R*`` and the paper's proxy ``E|Γ − I|²/D``; with ``dim``
  the exact finite-size recursion ``C(n+1) = aC(n) + a_m m(n) + b`` of
  :func:`theory.sgd_finite.sgd_step`.
"""
from __future__ import annotations

import math
from types import SimpleNamespace
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import mpmath
import numpy as np

from solvers.settings import fs as sfs
from solvers.settings import iso as siso
from solvers.settings import joint as sjoint
from solvers.settings import rrs as srrs
from solvers.progress import tick, tqdm_reporting
from solvers.result import ConvergenceError, ReprMixin, fields_to_dict, to_mpf
from solvers.validate import (is_inf, require_choice, require_dps, require_int,
                              require_nonnegative, require_positive)

__all__ = ["TimeSeries", "SgdTheory", "iso_slope", "iso_time_of_gamma", "iso_flow", "fs_flow",
           "fs_mode_flow", "rrs_flow", "width_flow",
           "context_flow", "joint_flow", "integrate_flow", "sgd_context_moments", "sgd_coefficients",
           "sgd_theory", "dynamics", "parse_times"]

GUARD = 10
_MAX_NEWTON = 100


@dataclass(frozen=True)
class TimeSeries(ReprMixin):
    """A trajectory on a time grid: ``times``, ``risk`` and (scalar state) ``gamma`` lists,
    with an overall error estimate (max over the grid)."""

    setting: str
    params: Mapping[str, Any]
    times: Sequence[Any]
    risk: Sequence[Any]
    gamma: Sequence[Any] | None = None
    converged: bool = True
    error_estimate: Any = None
    method: str = ""
    dps: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def value(self):
        return self.risk

    def to_dict(self) -> dict:
        return fields_to_dict(self, self.dps, omit_none=("gamma",))


_mp = to_mpf


def parse_times(times, *, integer=False):
    """A list of times (``"0,1,2.5"`` or a sequence); each ``≥ 0`` (or inf), integers for SGD."""
    if isinstance(times, str):
        items = [s for s in times.replace(" ", "").split(",") if s]
    elif isinstance(times, (bytes, bytearray, dict, set)) or times is None:
        # list(b"1") is [49]: bytes would silently become times
        raise ValueError(f"times={times!r} is invalid: times must be a non-empty list of "
                         f"numbers >= 0")
    elif np.ndim(times) == 0:
        items = [times]            # one time: a number, a 0-d array, a Decimal
    else:
        try:
            items = list(times)
        except TypeError:          # None, an object: not a TypeError traceback
            raise ValueError(f"times={times!r} is invalid: times must be a non-empty list of "
                             f"numbers >= 0") from None
    if not items:
        raise ValueError(f"times={times!r} is invalid: times must be a non-empty list of "
                         f"numbers >= 0")
    if integer:
        return [require_int("times", x, minimum=0) for x in items]
    return [require_nonnegative("times", x, allow_inf=True) for x in items]


# --------------------------------------------------------------------------- ISO


def iso_slope(gamma, alpha, depth, sigma2=0, dps=30):
    """``(∂R/∂γ, error)`` of the ISO risk at γ (exact, Gauss–Chebyshev; :mod:`solvers.settings.iso`)."""
    alpha = require_positive("alpha", alpha)
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    sigma2 = require_nonnegative("sigma2", sigma2)
    dps = require_dps(dps)
    with mpmath.workdps(dps + GUARD):
        integ = siso._IsoIntegrator(_mp(alpha), _mp(depth), _mp(sigma2), dps)
        return integ.slope(_mp(gamma))


class _ScalarFlow:
    """``dγ/dt = V(γ)``, ``γ(0) = 0``, ``V > 0`` on ``[0, γ*)``: t(γ) by quadrature in s and its
    inverse by safeguarded Newton.  ``velocity(γ)`` returns ``(V, error)``."""

    def __init__(self, velocity, gstar, dps):
        self.V, self.gstar, self.dps = velocity, gstar, dps
        if is_inf(gstar):
            self.gam = lambda s: mpmath.expm1(s)
            self.dgds = lambda s: mpmath.exp(s)
            self.s0 = mpmath.mpf(0)
            self.s_sat = None
        else:
            self.gam = lambda s: gstar - mpmath.exp(-s)
            self.dgds = lambda s: mpmath.exp(-s)
            self.s0 = -mpmath.log(gstar)
            # beyond s_sat, γ* − γ < 10^{−dps−3} γ*: γ(t) equals γ* at the requested precision
            self.s_sat = -mpmath.log(gstar * mpmath.mpf(10) ** (-dps - 3))
        self.known = {self.s0: (mpmath.mpf(0), mpmath.mpf(0))}
        self.evaluations = 0

    def dTds(self, s):
        g = self.gam(s)
        v, _ = self.V(g)
        self.evaluations += 1
        if not v > 0:
            raise ConvergenceError("flow velocity is not positive below the optimum",
                                   where=f"gamma={mpmath.nstr(g, 12)}", residual=v)
        return self.dgds(s) / v

    def T(self, s):
        ref = min(self.known, key=lambda r: abs(r - s))
        Tr, er = self.known[ref]
        if s == ref:
            return Tr, er
        val, err = mpmath.quad(self.dTds, [ref, s], error=True, method="gauss-legendre")
        self.known[s] = (Tr + val, er + abs(err))
        return self.known[s]

    def gamma_of_time(self, t, s_start=None):
        """(γ(t), error of t(γ), note)."""
        if t == 0:
            return mpmath.mpf(0), mpmath.mpf(0), "t=0"
        if is_inf(t):
            return self.gstar, mpmath.mpf(0), "t=inf: the flow's limit (optimal gamma)"
        tol = mpmath.mpf(10) ** (-self.dps - 2)
        s_lo, s_hi = self.s0, None
        s = s_start if s_start is not None else self.s0 + t / self.dTds(self.s0)
        if self.s_sat is not None:
            s = min(s, self.s_sat)
        for _ in range(_MAX_NEWTON):
            Ts, Terr = self.T(s)
            if Ts < t:
                s_lo = s
                if self.s_sat is not None and s >= self.s_sat:
                    return self.gstar, Terr, "saturated at the optimum"
            else:
                s_hi = s
            sn = s - (Ts - t) / self.dTds(s)
            if abs(sn - s) <= tol * (1 + abs(s)):
                return self.gam(sn), Terr, ""
            if s_hi is None:
                if sn <= s_lo:
                    sn = s_lo + 2 * (s_lo - self.s0) + 1
                if self.s_sat is None:  # t(s) may grow like exp(e^s): expand gently
                    sn = min(sn, s + 2)
            elif not (s_lo < sn < s_hi):
                sn = (s_lo + s_hi) / 2
            if self.s_sat is not None:
                sn = min(sn, self.s_sat)
            s = sn
        raise ConvergenceError("gamma(t): Newton inversion of t(gamma) did not converge",
                               where=f"t={mpmath.nstr(t, 10)}, s in [{s_lo}, {s_hi}]")


def _iso_validate(alpha, depth, sigma2, dps):
    return (require_positive("alpha", alpha, allow_inf=True),
            require_int("depth", depth, minimum=1, allow_inf=True),
            require_nonnegative("sigma2", sigma2), require_dps(dps))


def iso_time_of_gamma(gamma, alpha, depth, sigma2=0, dps=30):
    """``t(γ) = ∫_0^γ dg / (−∂R/∂g)`` of the ISO flow (finite α), with its quadrature error."""
    alpha, depth, sigma2, dps = _iso_validate(alpha, depth, sigma2, dps)
    gamma = require_nonnegative("gamma", gamma)
    wd = 2 * dps + 5
    with mpmath.workdps(wd + GUARD):
        integ = siso._IsoIntegrator(_mp(alpha), _mp(depth), _mp(sigma2), wd)
        val, err = mpmath.quad(lambda g: -1 / integ.slope(g)[0], [0, _mp(gamma)], error=True,
                               method="gauss-legendre")
    with mpmath.workdps(dps):
        return +val, +err


def iso_flow(times, alpha, depth, sigma2=0, dps=30, progress=False) -> TimeSeries:
    """ISO gradient flow ``dγ/dt = −∂R(γ; α, σ², L)/∂γ`` from ``γ(0) = 0``: ``γ(t)`` and
    ``R(γ(t))`` on the grid ``times`` (any order; ``inf`` gives the optimum).

    ``t(γ)`` is one cumulative Chebyshev quadrature of ``1/V`` (:class:`solvers.flows.CumulativeFlow`,
    logit variable around the finite optimum, ``log(1 + γ)`` when γ* = ∞), inverted at every
    time; ``V`` is the exact Gauss–Chebyshev slope of :mod:`solvers.settings.iso`.
    At ``alpha = inf`` (``Σ̂ = I``) the flow is FS with one mode λ = ω = 1 (closed form)."""
    alpha, depth, sigma2, dps = _iso_validate(alpha, depth, sigma2, dps)
    ts = parse_times(times)
    params = {"alpha": alpha, "depth": depth, "sigma2": sigma2}
    if is_inf(alpha):
        gs = [mpmath.mpf(depth) if is_inf(t) and not is_inf(depth) else
              (mpmath.inf if is_inf(t) else sfs.mode_gamma_of_time(1, 1, t, depth, dps))
              for t in ts]
        rs = [siso.risk(alpha, depth, 0, gamma=g, dps=dps).risk for g in gs]
        return TimeSeries("iso", params, ts, rs, gs, True, mpmath.mpf(10) ** (-dps),
                          "closed form (alpha=inf: one FS mode)", dps)
    from solvers.flows import CumulativeFlow
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(desc="t(gamma) panels", unit="panel", leave=False)
    try:
        with mpmath.workdps(dps + GUARD):
            a, L, s2 = _mp(alpha), _mp(depth), _mp(sigma2)
            gstar = _mp(siso.optimal_gamma(alpha, depth, sigma2, dps=dps + 5))
            # the slope three digits beyond the quadrature's 10^{−(dps+3)}: its noise stays below
            integ = siso._IsoIntegrator(a, L, s2, dps + 3)

            def velocity(g):
                v, e = integ.slope(g)
                return -v, e

            flow = CumulativeFlow(velocity, 0, gstar, dps, progress=bar)
            order = sorted(range(len(ts)), key=lambda i: _mp(ts[i]))
            points = [None] * len(ts)
            notes = set()
            for i in order:
                points[i] = flow.point(_mp(ts[i]))
                if points[i].note and points[i].note != "t=0":
                    notes.add(points[i].note)
            risks, errs, gam = [], [], []
            for pt in points:
                g = pt.gamma
                res = siso.risk(alpha, depth, sigma2, gamma=g, dps=dps)
                risks.append(res.risk)
                err = mpmath.mpf(res.error_estimate)
                if pt.note.startswith("saturated"):
                    # R − R* ≤ ½R''(γ*)δγ², R'' bounded by the slope's change over the gap
                    v = velocity(gstar - pt.gamma_error)[0] if pt.gamma_error else 0
                    err += abs(v) * pt.gamma_error
                elif not is_inf(g) and pt.gamma_error:
                    err += abs(velocity(g)[0]) * pt.gamma_error   # |dR| = V δγ
                errs.append(err)
                gam.append(g)
    finally:
        if bar is not None:
            bar.close()
    with mpmath.workdps(dps):
        gam = [g if is_inf(g) else +g for g in gam]
    method = ("t(gamma) by one cumulative Chebyshev quadrature of 1/(-dR/dgamma), inverted at "
              "every time")
    if notes:
        method += "; " + "; ".join(sorted(notes))
    return TimeSeries("iso", params, ts, risks, gam, True, max(errs), method, dps,
                      extra={"gamma_star": gstar if is_inf(gstar) else +gstar,
                             "evaluations": flow.evaluations, "panels": len(flow.panels)})


# --------------------------------------------------------------------------- FS


def fs_flow(times, nu=None, beta=None, depth=1, dim=math.inf, lam=None, omega=None,
            dps=30, progress=False) -> TimeSeries:
    """FS (α = ∞) per-mode flow ``dγ_k/dt = 2ω_kλ_k²(1 − γ_kλ_k/L)^{2L−1}``: total risk on the
    grid (closed form per mode, :func:`solvers.settings.fs.risk`; on a power law at dim = ∞ the
    Hurwitz-zeta moments are shared by every time).  The state is a vector, so ``gamma`` is
    omitted; :func:`fs_mode_flow` gives individual modes.  ``progress``: a tqdm bar over times."""
    ts = parse_times(times)
    seq = ts
    if progress:
        from tqdm import tqdm
        seq = tqdm(ts, desc="fs flow", unit="time", leave=False)
    out = [sfs.risk(nu=nu, beta=beta, depth=depth, time=t, dim=dim, lam=lam, omega=omega,
                    dps=dps) for t in seq]
    return TimeSeries("fs", {**out[0].params, "time": None}, ts, [r.risk for r in out], None,
                      all(r.converged for r in out), max(mpmath.mpf(r.error_estimate)
                                                         for r in out),
                      "closed-form per-mode gradient flow (solvers.settings.fs)", dps)


def fs_mode_flow(lam, omega, times, depth=1, dps=30) -> TimeSeries:
    """One FS mode: ``γ_k(t)`` and ``risk_k(t) = ω_kλ_k(1 − γ_kλ_k/L)^{2L}`` (closed form)."""
    lam = require_positive("lam", lam)
    omega = require_positive("omega", omega)
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    dps = require_dps(dps)
    ts = parse_times(times)
    gs = [(mpmath.mpf(depth) / _mp(lam) if not is_inf(depth) else mpmath.inf) if is_inf(t)
          else sfs.mode_gamma_of_time(lam, omega, t, depth, dps) for t in ts]
    rs = [mpmath.mpf(0) if is_inf(t) else sfs.mode_risk_of_time(lam, omega, t, depth, dps)
          for t in ts]
    return TimeSeries("fs", {"lam": lam, "omega": omega, "depth": depth}, ts, rs, gs, True,
                      mpmath.mpf(10) ** (-dps), "closed-form per-mode flow", dps)


def integrate_flow(rhs, times, gamma0=0, dps=30):
    """Independent check: ``γ(t)`` of ``dγ/dt = rhs(γ)`` by mpmath's Taylor-series ODE solver
    (``mpmath.odefun``) at ``dps`` digits; ``rhs`` takes and returns mpf."""
    dps = require_dps(dps)
    ts = parse_times(times)
    with mpmath.workdps(dps + GUARD):
        sol = mpmath.odefun(lambda t, g: rhs(g), 0, _mp(gamma0))
        out = [sol(_mp(t)) for t in sorted(ts, key=float)]
        by_t = dict(zip(sorted(ts, key=float), out))
        return [+by_t[t] for t in ts]


# --------------------------------------------------------------------------- RRS


def rrs_flow(times, nu=None, beta=None, depth=1, dim=math.inf, lam=None, omega=None,
             parameterization="reduced", init_scale=0.01, dps=30, progress=False) -> TimeSeries:
    """RRS (α = ∞) scalar flow on the grid: ``dγ/dt = F(γ)`` (reduced) or ``C γ^{8/5}F(γ)``
    (``full``/``tied``: paper's Result 9, ``γ = w⁵``; ``extra['w'] = γ^{1/5}``).  One cumulative
    quadrature of ``t(γ)`` serves every time (:func:`solvers.settings.rrs.flow_curve`);
    ``progress`` shows a tqdm bar over its panels."""
    require_choice("parameterization", parameterization, srrs.PARAMETERIZATIONS)
    ts = parse_times(times)
    gs, rs, errs, notes, info = srrs.flow_curve(
        ts, nu=nu, beta=beta, depth=depth, dim=dim, lam=lam, omega=omega,
        parameterization=parameterization, init_scale=init_scale, dps=dps, progress=progress)
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    params = {"nu": nu, "beta": beta, "depth": depth, "dim": dim,
              "parameterization": parameterization}
    if parameterization != "reduced":
        params["init_scale"] = init_scale
    if lam is not None:
        params.update(lam=[str(x) for x in lam], omega=[str(x) for x in omega])
    extra = {"evaluations": info["evaluations"], "panels": info["panels"]}
    with mpmath.workdps(dps):
        gam = [g if is_inf(g) else +g for g in gs]
        risks = [+r for r in rs]
        if parameterization != "reduced":
            extra["w"] = [g if is_inf(g) else mpmath.root(_mp(g), 5) for g in gam]
    method = (f"gradient flow ({parameterization}): t(gamma) by one cumulative Chebyshev "
              "quadrature, inverted at every time (solvers.settings.rrs.flow_curve)")
    if notes:
        method += "; " + "; ".join(sorted(notes))
    return TimeSeries("rrs", params, ts, risks, gam, True, max(errs), method, dps, extra=extra)


# Digits to which the width and context flows resolve γ(t): their velocity is a float64 contour
# sum (relative error ~1e-12, and γ* is the root of a separately converged contour), so the
# inversion stops at 1e-10 in s and γ counts as saturated once γ* − γ < 1e-11 γ*, above that noise.
FLOAT64_FLOW_DIGITS = 8
WIDTH_FLOW_DIGITS = FLOAT64_FLOW_DIGITS


def _float64_flow(ts, slope, value, opt):
    """Scalar flow ``dγ/dt = −slope(γ)`` from 0 whose velocity is a float64 contour sum
    (``slope``/``value`` return ``(number, error)`` at a float γ; ``opt`` is the optimum's
    :class:`Result`).  γ(t) is resolved to ``FLOAT64_FLOW_DIGITS``; returns
    ``(γ list, R list, error list, notes, velocity evaluations)``."""
    fd = FLOAT64_FLOW_DIGITS
    with mpmath.workdps(opt.dps + 5):   # γ* at the optimum's own precision
        gstar_full = mpmath.inf if is_inf(opt.gamma) else mpmath.mpf(opt.gamma)
    with mpmath.workdps(fd + 2):
        gstar = +gstar_full

        def velocity(g):
            v, e = slope(float(g))
            return -mpmath.mpf(v), mpmath.mpf(e)

        flow = _ScalarFlow(velocity, gstar, fd)
        order = sorted(range(len(ts)), key=lambda i: _mp(ts[i]))
        gam, terr = [None] * len(ts), [None] * len(ts)
        notes, s_prev = set(), None
        for i in order:
            g, e, note = flow.gamma_of_time(_mp(ts[i]), s_prev)
            tick("gamma(t)")        # one time of the grid solved (drives a --progress bar)
            # the flow runs at fd + 2 digits; report the saturated state as the full γ*
            gam[i], terr[i] = (gstar_full if g == gstar else g), e
            if note and note != "t=0":
                notes.add(note)
            if not is_inf(ts[i]) and g != 0 and g != gstar:
                s_prev = mpmath.log1p(g) if is_inf(gstar) else -mpmath.log(gstar - g)
    risks, errs = [], []
    for i, (g, e) in enumerate(zip(gam, terr)):
        if is_inf(g) or g is gstar_full:   # saturated: the optimum itself, at its own precision
            risks.append(opt.risk)
            errs.append(mpmath.mpf(opt.error_estimate))
            continue
        R, Re = value(float(g))
        v = float(velocity(g)[0])
        # dR/dt = −V²: an error δt of t(γ) moves R by V²δt; γ itself is resolved to 10^{−fd−1}
        err = mpmath.mpf(Re) + v * v * float(e) + abs(v) * float(g) * 10.0 ** (-fd - 1)
        err = max(err, 4 * mpmath.mpf(2) ** -53 * abs(R))   # at least float64 rounding
        # a float64 value carries no digits beyond its error: report only those it has
        R, rounding = _significant(mpmath.mpf(R), err)
        risks.append(R)
        errs.append(err + rounding)
        gam[i] = _significant(g, abs(g) * mpmath.mpf(10) ** (-fd - 1))[0]   # fd + 3 digits
    return gam, risks, errs, notes, flow.evaluations


def _significant(x, err):
    """``(x rounded to the significant digits its error supports plus two guard digits,
    rounding error)`` — a float64 result shows no digits it does not have."""
    if x == 0 or err <= 0:
        return x, mpmath.mpf(0)
    n = max(1, min(17, int(mpmath.ceil(mpmath.log10(abs(x) / err))) + 2))
    with mpmath.workdps(40):   # the decimal rounding exactly, not its nearest float
        y = mpmath.mpf(mpmath.nstr(x, n, min_fixed=-mpmath.inf, max_fixed=mpmath.inf))
        return y, abs(y - x)


def width_flow(times, *, width, depth, nu=None, beta=None, dim=math.inf, lam=None, omega=None,
               dps=15) -> TimeSeries:
    """RRS gradient flow at finite width N, infinite context (case W): ``dγ/dt = −∂R/∂γ``,
    ``γ(0) = 0``, in the γ of :func:`solvers.settings.width.risk` — ``Γ = γ P_N`` for a finite spectrum
    (``lam``/``omega`` or a power law truncated to ``dim``), the normalised ``Γ = γ (D/N) P_N``
    at ``dim = inf`` — so ``t`` is measured in units of that γ.  At ``width = D`` this is
    :func:`rrs_flow` (no bottleneck); ``width = inf`` is :func:`rrs_flow`.

    ``∂R/∂γ`` is the exact derivative of the contour integral (:func:`solvers.settings.width.slope`,
    float64); ``t(γ)`` by Gauss–Legendre quadrature of ``1/(−∂R/∂γ)`` and its Newton inverse
    resolve γ(t) to about ``1e-9`` relative (``FLOAT64_FLOW_DIGITS``), whatever ``dps``.
    ``γ* =`` :func:`solvers.settings.width.risk`'s optimum (``inf`` at depth = inf, where R(t) tends to
    the projection risk)."""
    dps = require_dps(dps)
    ts = parse_times(times)
    N = require_int("width", width, minimum=1, allow_inf=True)
    spec_kw = dict(nu=nu, beta=beta, dim=dim, lam=lam, omega=omega)
    if is_inf(N):
        return rrs_flow(ts, depth=depth, dps=dps, **spec_kw)
    from solvers.settings import width as swidth   # lazy: case W loads its own machinery
    land = swidth._landscape(width=N, depth=depth, **spec_kw)
    opt = swidth.risk(width=N, depth=depth, gamma=None, dps=dps, **spec_kw)
    gam, risks, errs, notes, evaluations = _float64_flow(ts, land.slope, land.value, opt)
    method = ("case-W width contour (float64 dR/dgamma); t(gamma) by Gauss-Legendre quadrature "
              "of 1/(-dR/dgamma) + Newton inversion")
    if notes:
        method += "; " + "; ".join(sorted(notes))
    params = {"width": N, "depth": opt.params["depth"], "nu": nu, "beta": beta, "dim": dim}
    if lam is not None:
        params.update(lam=[str(x) for x in lam], omega=[str(x) for x in omega])
    return TimeSeries("rrs", params, ts, risks, gam, True,
                      max(errs), method, dps,
                      extra={"gamma_star": opt.gamma, "evaluations": evaluations,
                             "gamma_convention": "Gamma = gamma P_N" if not is_inf(dim) or
                             lam is not None else "Gamma = gamma (D/N) P_N (dim = inf)"})


def context_flow(times, *, setting="rrs", alpha=None, context=None, depth, sigma2=0, nu=None,
                 beta=None, dim=math.inf, lam=None, omega=None, dps=15) -> TimeSeries:
    """Gradient flow at finite context (case C, :mod:`solvers.settings.context`) of ``Γ = γI``:
    ``dγ/dt = −∂R/∂γ``, ``γ(0) = 0``, for ``iso`` (``alpha``), ``rrs`` or ``fs`` (Γ = γI only;
    ``alpha`` = P/D or absolute ``context`` = P).  ``∂R/∂γ`` is :func:`solvers.settings.context.slope`
    (exact derivative of the double-contour integrand, float64), so γ(t) is resolved to about
    ``1e-9`` relative (``FLOAT64_FLOW_DIGITS``) whatever ``dps``; ``γ* =`` the optimum of
    :func:`solvers.settings.context.risk` (``inf`` when the flow tends to the ridgeless limit)."""
    dps = require_dps(dps)
    ts = parse_times(times)
    kw = dict(alpha=alpha, context=context, depth=depth, sigma2=sigma2, nu=nu, beta=beta,
              dim=dim, lam=lam, omega=omega)
    if any(v is not None and is_inf(v) for v in (alpha, context)):
        raise ValueError(f"alpha={alpha!r}, context={context!r} is invalid here: context_flow "
                         "is for finite context (use iso_flow / rrs_flow / fs_flow)")
    from solvers.settings import context as scontext   # lazy: case C loads its own machinery
    opt = scontext.risk(setting, gamma=None, dps=dps, **kw)
    # one landscape for the whole flow: the modes, edges and the γ-independent contour data
    # (κ at the nodes and the kernel) are built once per contour layout and reused by every
    # velocity and risk evaluation (float64)
    land = scontext._slope_fn(setting, **kw)
    gam, risks, errs, notes, evaluations = _float64_flow(ts, land, land.value, opt)
    method = ("case-C double contour (float64 dR/dgamma); t(gamma) by Gauss-Legendre "
              "quadrature of 1/(-dR/dgamma) + Newton inversion")
    if notes:
        method += "; " + "; ".join(sorted(notes))
    params = dict(opt.params)
    return TimeSeries(opt.setting, params, ts, risks, gam, True, max(errs), method, dps,
                      extra={"gamma_star": opt.gamma, "evaluations": evaluations,
                             "gamma_convention": "Gamma = gamma I"})


def joint_flow(times, *, width, alpha=None, context=None, depth, sigma2=0, nu=None, beta=None,
               dim=math.inf, lam=None, omega=None, dps=15) -> TimeSeries:
    """RRS gradient flow at finite width N *and* finite context (:mod:`solvers.settings.joint`):
    ``dγ/dt = −∂R/∂γ``, ``γ(0) = 0``, in the γ of :func:`solvers.settings.joint.risk`
    (``Γ = γ P_N``; the normalised ``Γ = γ (D/N) P_N`` at ``dim = inf``).  ``∂R/∂γ`` is the exact
    derivative of the nested double-contour integrand (float64), so γ(t) is resolved to about
    ``1e-9`` relative (``FLOAT64_FLOW_DIGITS``) whatever ``dps``; ``γ* =`` the optimum of
    :func:`solvers.settings.joint.risk` (``inf`` when the flow tends to the ridgeless limit).
    ``width = inf`` is :func:`context_flow`."""
    dps = require_dps(dps)
    ts = parse_times(times)
    kw = dict(alpha=alpha, context=context, depth=depth, sigma2=sigma2, nu=nu, beta=beta,
              dim=dim, lam=lam, omega=omega)
    if is_inf(require_int("width", width, minimum=1, allow_inf=True)):
        return context_flow(ts, setting="rrs", dps=dps, **kw)
    opt = sjoint.risk(width=width, gamma=None, dps=dps, **kw)
    # one landscape (edges and γ-independent contour data built once per layout)
    land = sjoint._landscape(width=width, **kw)
    gam, risks, errs, notes, evaluations = _float64_flow(ts, land.slope, land.value, opt)
    method = ("joint (width x context) double contour (float64 dR/dgamma); t(gamma) by "
              "Gauss-Legendre quadrature of 1/(-dR/dgamma) + Newton inversion")
    if notes:
        method += "; " + "; ".join(sorted(notes))
    return TimeSeries("rrs", dict(opt.params), ts, risks, gam, True, max(errs), method, dps,
                      extra={"gamma_star": opt.gamma, "evaluations": evaluations,
                             "gamma_convention": opt.extra.get("gamma_convention",
                                                               "Gamma = gamma P_N")})


# --------------------------------------------------------------------------- SGD theory


@dataclass(frozen=True)
class SgdTheory(TimeSeries):
    """:class:`TimeSeries` of the depth-1 SGD theory plus the recursion's constants in
    ``extra`` (``a``, ``a_m``, ``b``, ``C0``, ``floor``, ``risk_floor``, ``eta_max``,
    ``stable``, ``C``, ``proxy``)."""


def sgd_context_moments(alpha, sigma2, dim, dps=30):
    """Exact Gaussian context moments of the depth-1 SGD step at ``D = dim``, ``P = αD``
    (derived by Wick pairings in :func:`theory.sgd_finite.context_moments`; hand-typed here,
    checked against the symbolic expressions in the tests):

    ``c = E|h|² = 1 + (D(1+σ²) + 1)/P``,
    ``M4 = E|h|⁴ = (D+2)(P+2)(D²(1+σ²)² + 2DP(1+σ²) + 6Dσ² + 8D + (P+3)(P+5))/(DP³)``,
    ``M31 = E[|h|² sᵀh] = (D+2)(P+2)(D(1+σ²) + P + 3)/(DP²)``,
    ``M22 = E[|h|²|s|²] = (D²(1+σ²) + DP + 3D + 2P + 2)/(DP)``  (``s = β/√D``).

    Returns ``(c, M4, M31, M22)`` as mpf (``P`` need not be an integer: rational in P)."""
    with mpmath.workdps(dps + GUARD):
        al, s2 = _mp(alpha), _mp(sigma2)
        D = _mp(dim)
        P = al * D
        u = 1 + s2
        c = 1 + (D * u + 1) / P
        M4 = (D + 2) * (P + 2) * (D ** 2 * u ** 2 + 2 * D * P * u + 6 * D * s2 + 8 * D
                                  + (P + 3) * (P + 5)) / (D * P ** 3)
        M31 = (D + 2) * (P + 2) * (D * u + P + 3) / (D * P ** 2)
        M22 = (D ** 2 * u + D * P + 3 * D + 2 * P + 2) / (D * P)
        return c, M4, M31, M22


def sgd_coefficients(alpha, sigma2, lr, tau, kappa, query_noise=True, dps=30, dim=None):
    """Coefficients of the depth-1 ISO SGD recursion for ``C = |Γ − Γ*|²_F/D`` and
    ``m = tr(Γ − Γ*)/D`` (derived in :func:`theory.dynamics.sgd_depth1` and, exactly at finite
    size, :func:`theory.sgd_finite.sgd_step`):

        E C(n+1) = a E C(n) + a_m E m(n) + b,   E m(n+1) = ρ E m(n),   ρ = 1 − ηc.

    Proportional limit (``dim=None``): ``c = 1 + (1+σ²)/α``, ``a = (1 − ηc)² +
    (η²/τ)(1 + 1/κ)c²``, ``b = (η²/τ)[(1 + 1/κ)(c − 1) + cσ²/κ]`` (last term: query-label
    noise), ``a_m = 0``.

    ``dim = D``: the exact finite-size map (``P = αD``, ``K = κD``, ``B = τD``; for a simulator
    pass ``tau = B/D`` etc. exactly), with the moments of :func:`sgd_context_moments` and
    ``q = (D/B)(1 + (D+1)/K)``:
    ``a = 1 − 2ηc + η²[(1 − 1/B)c² + q M4]``, ``a_m = 2η²q(M4/c − M31)``,
    ``b = η²[q(M22 − 2M31/c + M4/c²) + (D/B)σ_q²(D/K)c]``.

    Returns a namespace with ``a, a_m, b, c, rho, C0`` (``= 1/c²``, from Γ_0 = 0), ``m0``
    (``= −1/c``) and ``eta_max`` (the nonzero root of ``a = 1`` in η).
    """
    with mpmath.workdps(dps + GUARD):
        al, s2, et, ta, ka = (_mp(x) for x in (alpha, sigma2, lr, tau, kappa))
        s2q = s2 if query_noise else 0
        if dim is None:
            c = 1 + (1 + s2) / al
            q = (1 + 1 / ka) / ta  # noise factor multiplying c·E|r|²
            quad = c ** 2 * (1 + q)  # a = 1 − 2ηc + η²·quad
            a = (1 - et * c) ** 2 + et ** 2 * q * c ** 2
            b = et ** 2 * c * (q * (1 - 1 / c) + s2q / (ka * ta))
            a_m = mpmath.mpf(0)
        else:
            D = _mp(require_int("dim", dim))
            K, B = ka * D, ta * D
            c, M4, M31, M22 = sgd_context_moments(al, s2, D, dps)
            q = (D / B) * (1 + (D + 1) / K)
            quad = (1 - 1 / B) * c ** 2 + q * M4
            a = 1 - 2 * et * c + et ** 2 * quad
            a_m = 2 * et ** 2 * q * (M4 / c - M31)
            b = et ** 2 * (q * (M22 - 2 * M31 / c + M4 / c ** 2) + (D / B) * s2q * (D / K) * c)
        return SimpleNamespace(a=a, a_m=a_m, b=b, c=c, rho=1 - et * c, C0=1 / c ** 2,
                               m0=-1 / c, eta_max=2 * c / quad)


def _geometric_difference(a, rho, n):
    """``(aⁿ − ρⁿ)/(a − ρ)`` (``= Σ_{j<n} a^j ρ^{n−1−j}``), stable when ``a ≈ ρ``."""
    if n == 0:
        return mpmath.mpf(0)
    if rho > 0 and a > 0:
        x = (a - rho) / rho
        if x == 0:
            return n * rho ** (n - 1)
        return rho ** (n - 1) * mpmath.expm1(n * mpmath.log1p(x)) / x
    if a == rho:
        return n * rho ** (n - 1)
    return (a ** n - rho ** n) / (a - rho)


def sgd_theory(steps, alpha, lr, tau, kappa, sigma2=0, query_noise=True, dps=30,
               dim=None) -> SgdTheory:
    """Online SGD at depth 1 in ISO (docs/theory.md §8, corrected): at each integer step n in ``steps``,
    from ``Γ_0 = 0``,

        C(n) = aⁿC0 + b(1 − aⁿ)/(1 − a) + a_m m0 (aⁿ − ρⁿ)/(a − ρ),   m(n) = m0 ρⁿ,

    (:func:`sgd_coefficients`; ``a_m = 0`` in the proportional limit), the ICL excess risk
    ``E R(Γ_n) = c C(n) + R*`` (``risk``, exact: R is quadratic in Γ), the mean
    ``γ̄(n) = E tr Γ_n/D = (1 − ρⁿ)/c`` (``gamma``) and the paper's proxy ``E|Γ_n − I|²/D``
    (``extra['proxy']``).

    ``lr`` = η; ``tau`` = B/D; ``kappa`` = K/D; ``query_noise``: query labels carry σε;
    ``dim``: the exact finite-size recursion at ``D = dim`` (``P = αD``, ``K = κD``,
    ``B = τD``; pass ``tau = B/D`` etc. to match a simulator's integer sizes); default D → ∞."""
    alpha = require_positive("alpha", alpha)
    lr = require_positive("lr", lr)
    tau = require_positive("tau", tau)
    kappa = require_positive("kappa", kappa)
    sigma2 = require_nonnegative("sigma2", sigma2)
    dps = require_dps(dps)
    ns = parse_times(steps, integer=True)
    with mpmath.workdps(dps + GUARD):
        k = sgd_coefficients(alpha, sigma2, lr, tau, kappa, query_noise, dps, dim)
        a, b, c, C0, rho, m0 = k.a, k.b, k.c, k.C0, k.rho, k.m0
        rstar = 1 - 1 / c
        stable = a < 1
        Cs = []
        for n in ns:
            drive = k.a_m * m0 * _geometric_difference(a, rho, n) if k.a_m else 0
            # b(1 − aⁿ)/(1 − a) = b Σ_{j<n} a^j (n b at a = 1)
            Cs.append(a ** n * C0 + b * _geometric_difference(a, 1, n) + drive)
        Cinf = b / (1 - a) if stable else mpmath.inf
        ms = [m0 * rho ** n for n in ns]  # E tr(Γ_n − Γ*)/D
        risks = [c * C + rstar for C in Cs]
        gbar = [1 / c + m for m in ms]
        proxy = [C + 2 * (1 / c - 1) * m + (1 - 1 / c) ** 2 for C, m in zip(Cs, ms)]
    with mpmath.workdps(dps):
        r = lambda xs: [+x for x in xs]  # noqa: E731
        # an unstable recursion (a ≥ 1) has no floor: C(n) grows without bound
        extra = {"a": +a, "a_m": +k.a_m, "b": +b, "c": +c, "C0": +C0,
                 "floor": +Cinf if stable else mpmath.inf,
                 "risk_floor": (c * Cinf + rstar) if stable else mpmath.inf,
                 "risk_star": +rstar, "eta_max": +k.eta_max, "stable": bool(stable),
                 "C": r(Cs), "proxy": r(proxy), "flow_time": [_mp(lr) * n / 2 for n in ns]}
        method = ("closed-form solution of the linear recursion C(n+1) = a C(n) + b"
                  if dim is None else
                  "closed-form solution of the exact finite-size recursion "
                  "C(n+1) = a C(n) + a_m m(n) + b, m(n+1) = (1 - eta c) m(n)")
        return SgdTheory("iso", {"alpha": alpha, "sigma2": sigma2, "lr": lr, "tau": tau,
                                 "kappa": kappa, "depth": 1, "query_noise": query_noise,
                                 "dim": "inf" if dim is None else dim},
                         # converged = stable: a step past eta_max diverges (exit 3 on the
                         # command line), though the values at the given steps are exact
                         ns, r(risks), r(gbar), bool(stable), mpmath.mpf(10) ** (-dps) * len(ns),
                         method, dps, extra=extra)


# --------------------------------------------------------------------------- dispatch + CLI


def dynamics(setting, times, *, sgd=False, lr=None, tau=None, kappa=None, dps=30,
             progress=False, **params):
    """One entry point for the CLI: the gradient flow of ``setting`` on ``times``, or (``sgd``)
    the depth-1 ISO SGD theory at the integer steps ``times``.  ``progress``: a tqdm bar on
    stderr (over the quadrature panels for the α = ∞ flows; for the finite-width/context flows
    over the solver's steps: contour rules, root iterations and the times solved)."""
    require_choice("setting", setting, ("iso", "fs", "rrs"))
    if sgd:
        if setting != "iso":
            raise ValueError(f"setting={setting!r} is invalid with --sgd: the SGD theory is "
                             f"for 'iso' at depth 1")
        depth = params.pop("depth", 1)
        if require_int("depth", depth) != 1:
            raise ValueError(f"depth={depth!r} is invalid with --sgd: depth must be 1")
        for name, v in (("lr", lr), ("tau", tau), ("kappa", kappa)):
            if v is None:
                raise ValueError(f"{name}=None is invalid: --sgd needs {name} > 0")
        allowed = {"alpha", "sigma2", "query_noise", "dim"}
        _reject(params, allowed, "iso --sgd")
        return sgd_theory(times, lr=lr, tau=tau, kappa=kappa, dps=dps, **params)
    if setting == "iso":
        _reject(params, {"alpha", "depth", "sigma2"}, "iso")
        if "alpha" not in params:
            raise ValueError("alpha=None is invalid: dynamics iso needs alpha > 0 or inf")
        return iso_flow(times, dps=dps, progress=progress, **params)
    finite = [k for k in ("alpha", "context") if params.get(k) is not None
              and not is_inf(params[k])]
    if finite and params.get("width") is not None and not is_inf(params["width"]):
        # rrs at finite width and context (the joint case), Γ = γ P_N
        if setting != "rrs":
            raise ValueError(f"width={params['width']!r} is invalid for setting={setting!r}: "
                             "finite width is for 'rrs'")
        _reject(params, {"alpha", "context", "depth", "sigma2", "nu", "beta", "dim", "lam",
                         "omega", "width"}, f"rrs --width --{finite[0]} (joint case)")
        if "depth" not in params:
            raise ValueError(f"depth=None is invalid: dynamics rrs --width --{finite[0]} needs "
                             "depth >= 1 or inf")
        with tqdm_reporting(f"dynamics {setting}", enabled=progress):
            return joint_flow(times, dps=dps, **params)
    if finite:   # fs / rrs at finite context (case C), Γ = γI
        params.pop("width", None)      # width = inf: no bottleneck
        _reject(params, {"alpha", "context", "depth", "sigma2", "nu", "beta", "dim", "lam",
                         "omega"}, f"{setting} --{finite[0]} (case C, Gamma = gamma I)")
        if "depth" not in params:
            raise ValueError(f"depth=None is invalid: dynamics {setting} --{finite[0]} needs "
                             "depth >= 1 or inf")
        with tqdm_reporting(f"dynamics {setting}", enabled=progress):
            return context_flow(times, setting=setting, dps=dps, **params)
    params.pop("alpha", None)    # alpha/context = inf: the population flows below
    params.pop("context", None)
    if setting == "fs":
        _reject(params, {"nu", "beta", "depth", "dim", "lam", "omega"}, "fs")
        return fs_flow(times, dps=dps, progress=progress, **params)
    if params.get("width") is not None and not is_inf(params["width"]):
        _reject(params, {"nu", "beta", "depth", "dim", "lam", "omega", "width"},
                "rrs --width (reduced parameterization only)")
        if "depth" not in params:
            raise ValueError("depth=None is invalid: dynamics rrs --width needs depth >= 1 "
                             "or inf")
        with tqdm_reporting(f"dynamics {setting}", enabled=progress):
            return width_flow(times, dps=dps, **params)
    params.pop("width", None)
    _reject(params, {"nu", "beta", "depth", "dim", "lam", "omega", "parameterization",
                     "init_scale"}, "rrs")
    return rrs_flow(times, dps=dps, progress=progress, **params)


def _reject(params, allowed, where):
    for k, v in params.items():
        if k not in allowed:
            raise ValueError(f"{k}={v!r} is invalid: not a parameter of dynamics {where}")
