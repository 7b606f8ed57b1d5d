"""Case W of docs/theory.md §8: exact asymptotic RRS risk at finite width N and infinite context (α = ∞).

The model runs ``L`` steps of GD with ``Γ = γ P_N`` (``P_N`` a Haar rank-N projection) on a
randomly rotated covariance, so the weight error is ``p(−M)β`` with ``M = O P_N Oᵀ Λ`` and
``p(z) = (1 + γz/L)^L`` (``e^{γz}`` at ``L = ∞``).  By Cauchy's formula

    R = (2πi)⁻² ∮∮ p(z) p(z') F(z, z') dz dz',      F = ⟨Tr Λ (z + M)⁻¹ Ω (z' + Mᵀ)⁻¹⟩,

and :mod:`theory.width` derives the deterministic equivalent of ``F``.  Everything is written in
the *normalised* spectral variable ``w = z/α_N`` of ``M₀ = M/α_N`` (``α_N = N/D``), whose spectrum
stays bounded when ``D → ∞`` at fixed N; the step in that variable is ``γ_n = γ α_N``.
With absolute sums ``S(x) = Σ_k λ_k/(x + λ_k)`` and ``u_k(x) = 1/(x + λ_k)``:

* one point:  ``w = x ψ(x)``, ``ψ = (1 − S/N)/(1 − S/D)``  (docs/theory.md §8's ``x(α_N − τ) = z(1 − τ)``
  with ``τ = S/D``, ``Ψ = α_N ψ``; the resolvent is ``(w + ψΛ)⁻¹``);
* two points: ``F = [A_{ωλ} + ĉ A_{ωλ²} A_λ/(1 − ĉ A_{λ²})]/(ψψ')`` with
  ``A_g = Σ_k g_k u_k(x) u_k(x')`` and ``ĉ = 1/[N + (N − S)(N − S')/(D − N)]``
  (the Dyson-resummed ``Ψ_χχ`` of docs/theory.md §8 in closed form; ``ĉ = 0`` at N = D).

**The D → ∞ regime with absolute N** (``dim = inf``, power laws): ``1/D → 0`` in the formulas above
(``ψ = 1 − S/N``, ``ĉ = 1/N``) with every normalised trace ``tr = Tr/D`` replaced by the absolute
sum ``Tr``.  The projection ``P_N`` with ``Γ = γ P_N`` has no limit there (``M → 0``), so at
``dim = inf`` the user's ``gamma`` is the *normalised* scale ``Γ = γ (D/N) P_N`` (``E Γ = γ I``,
the same as ``γ_n``): a truncated power law at ``dim = D`` with ``gamma = g`` corresponds to
``dim = inf`` with ``gamma ≈ g N/D``.  The infinite sums are an explicit head plus exact tail
expansions (:mod:`solvers.settings.modesums`): width 10⁶ costs what width 64 costs.

**Numerics** (:mod:`solvers.settings.contour`, shared with case C).  In the spectral variable
``s = −w ≥ 0`` of ``M₀`` the one-point equation is ``λ(x) = −s`` with ``λ = xψ(S(x))`` and the
filter is ``p = (1 − γ_n s/L)^L``; ``dw/ψ = x ds/s``, so ``R = Re Σ_ij v_i G_ij v_j`` with
``v = W p x/s`` (W the trapezoid weights) and the γ-independent kernel

    G = A_{ωλ} + ĉ A_{ωλ²} A_λ/(1 − ĉ A_{λ²}),   A_g(x, x') = (T_g(x') − T_g(x))/(x − x'),

every ``A`` a divided difference of one-point sums (``T_{ωλ} = Σωλ/(x+λ)``, ``T_λ = S``,
``T_{λ²} = Σλ − xS``, ``T_{ωλ²} = Σωλ − xT_{ωλ}``; at ``dim = inf``
``1 − A_{λ²}/N = (w − w')/(x − x')`` exactly).  The atom of ``M₀`` at 0 (mass ``1 − N/D``) is one
residue node (``x/s → κ``, the root of ``S(κ) = N``) outside a log-ellipse around the non-zero
spectrum, so the node count depends neither on γ nor on N.  ``x`` is continued along the
contour with the branch certificate ``Im x · Im w ≥ 0`` (a τ-transform maps the upper half plane
to the lower; :class:`ConvergenceError` names a failing node).  float64 for ``dps ≤ 15``, mpmath
above; ``error_estimate`` = change under halving the nodes + rounding.  The risk is convex in γ
(``Σ_i v_i (1 − γκ_i/L)^{2L}`` over the eigenvalues of the PSD ``Λ^{1/2} P̃_N Λ^{1/2}``), and
the optimal γ is the root of the exact ``∂R/∂γ`` (:mod:`solvers.roots`).  At ``L = ∞`` R
decreases in γ, the optimum is ``γ = ∞`` and its value is the residue at ``w = w' = 0``:
``R_∞ = κ Σ_k ω_kλ_k/(κ + λ_k)`` with ``Σ_k λ_k/(κ + λ_k) = N``.
"""
from __future__ import annotations

import math
import time as _time

import mpmath
import numpy as np

from solvers.result import ConvergenceError, Result
from solvers.settings import contour as ct
from solvers.settings import contour_solve as cs
from solvers.settings.fixedpoint import Fixed
from solvers.settings.modesums import HeadTooShort, sums_for, with_longer_heads
from solvers.spectra import make_spectrum
from solvers.validate import (is_inf, require_dps, require_int, require_nonnegative)

__all__ = ["risk", "slope", "one_point", "support_edge", "projection_risk", "depth1_risk",
           "WidthProblem"]

EPS = np.finfo(float).eps
N_MAX = ct.N_MAX          # node cap of the float64 contour (tests lower it)
FLOAT_DPS = cs.FLOAT_DPS


# ----------------------------------------------------------------------------------------------
# the problem: spectrum sums, width, dimension
# ----------------------------------------------------------------------------------------------
class WidthProblem:
    """Mode sums of one spectrum (``a_k = λ_k``, ``w_k = ω_kλ_k``), width ``N`` and dimension
    ``D`` (int or inf); ``op`` is the one-point problem ``λ(x) = x(1 − S/N)/(1 − S/D)``."""

    def __init__(self, spec, N, D, sums=None):
        self.spec, self.N, self.D = spec, N, D
        self.infinite = is_inf(D)
        self.sums = sums if sums is not None else sums_for(spec)
        self.op = ct.OnePoint(self.sums, N, D)
        self.lam_max = self.sums.a_max

    def bigger(self):
        return WidthProblem(self.spec, self.N, self.D, self.sums.bigger())

    @property
    def K(self):
        return int(getattr(self.sums, "head", 0))

    # float64 scalar helpers (branch tests, one_point)
    def S(self, x):
        """``(S(x), S'(x))`` at one point."""
        S, dS, _, _ = self.sums.values_at(np.array([complex(x)]))
        return S[0], dS[0]

    def w_of_x(self, x):
        """``(w, dw/dx)`` with ``w = x ψ(x)``."""
        lv, dl = self.op.lam(np.array([complex(x)]))
        if np.isrealobj(x) or (isinstance(x, complex) is False and np.imag(x) == 0):
            return lv[0].real, dl[0].real
        return lv[0], dl[0]


def _kernel_for(pb):
    """The γ-independent kernel ``G`` (module docstring) of a quadrature of ``pb``."""
    N, D = pb.N, pb.D

    def kernel(q):
        ar = q.ar
        x, S, dS, T, dT = q.x, q.S, q.dS, q.T, q.dT

        def dd(F, dF):
            return ct.divided_difference(F, x, dF, ar)
        A_wl = -dd(T, dT)
        if not is_inf(D) and N == D:
            return A_wl
        A_l = -dd(S, dS)
        A_wl2 = dd(x * T, T + x * dT)
        if is_inf(D):
            # 1 − A_{λ²}/N = (λ_j − λ_i)/(x_j − x_i) with λ = −s exactly on the fixed point
            den = dd(-q.s, q.dlam)
            return A_wl + A_wl2 * A_l / den * (mpmath.mpf(1) / N if ar.mp else 1.0 / N)
        A_l2 = dd(x * S, S + x * dS)
        nS = N - S
        if ar.mp:
            nS = Fixed.of(nS)
            Dm = mpmath.mpf(D) - N
        else:
            Dm = float(D - N)
        chat = 1 / (N + nS[:, None] * nS[None, :] / Dm)
        return A_wl + chat * A_wl2 * A_l / (1 - chat * A_l2)
    return kernel


def _problem(pb, L, dps=FLOAT_DPS, rtol=1e-12):
    prob = cs.ContourProblem(pb.op, _kernel_for(pb), L, 0, dps, rtol, "width")
    prob.n_max = lambda mp: ct.N_MAX_MP if mp else N_MAX
    return prob


def _retry(pb, fn):
    """``(pb, fn(pb))`` with the power-law head doubled while a tail expansion is out of range."""
    return with_longer_heads(pb, fn, lambda p: p.bigger(), "width")


# ----------------------------------------------------------------------------------------------
# compatibility helpers: support edge, κ, a contour in the old cosh parameterisation, and the
# continuation of x along an arbitrary path (used by the branch tests)
# ----------------------------------------------------------------------------------------------
def support_edge(pb):
    """``E``: the spectrum of ``M₀`` lies in ``[0, E]`` (``−E = max_{x < −λ_max} x ψ(x)``)."""
    return pb.op.upper[0]


def _kappa(pb):
    """Root κ > 0 of ``S(κ) = N`` (``w → 0⁺`` limit of x); 0 when N = D (no atom)."""
    return pb.op.x0


class _Contour:
    """x on the ellipse ``w(θ) = −E/2 + (E/2)cosh(sp + iθ)`` (foci −E and 0), n nodes:
    ``w``, ``x``, ``S`` and the largest one-point ``residual``."""

    def __init__(self, pb, E, sp, n):
        lay = ct.Layout(False, 0.5 * E, 0.5 * E, math.exp(sp), False)
        s, x = ct.continue_upper(pb.op, lay, n)
        # θ shifted by π: index n/2 is then the negative real point of w (as in the cosh form)
        s, x = np.roll(s, n // 2), np.roll(x, n // 2)
        self.w, self.x = -s, x
        lv, _ = pb.op.lam(x)
        self.residual = float(np.max(np.abs(lv + s)))
        self.S = pb.sums.values_at(x)[0]


def one_point(pb, w_nodes, x_start):
    """Continue ``x(w)`` along ``w_nodes`` from ``x_start`` (a solution at ``w_nodes[0]``) by
    Newton steps with step halving; returns ``(x, residuals)``; raises ConvergenceError where
    continuation fails or leaves the physical branch (``Im x · Im w ≥ 0``)."""
    xs, res = [x_start], [0.0]
    scale = max(abs(w) for w in w_nodes)
    for j in range(1, len(w_nodes)):
        w_a, w_b = w_nodes[j - 1], w_nodes[j]
        x, t, dt, r = xs[-1], 0.0, 1.0, 0.0
        while t < 1.0:
            step = min(dt, 1.0 - t)
            w_from, w_to = w_a + t * (w_b - w_a), w_a + (t + step) * (w_b - w_a)
            xn = x + (w_to - w_from) / pb.w_of_x(x)[1]
            ok = False
            for _ in range(60):
                wv, dw = pb.w_of_x(xn)
                dx = (wv - w_to) / dw
                xn = xn - dx
                if abs(dx) <= 1e-14 * abs(xn):
                    r = abs(pb.w_of_x(xn)[0] - w_to)
                    ok = r <= 1e-12 * scale
                    break
            if ok and w_to.imag > 1e-12 * scale and xn.imag < -1e-12 * abs(xn):
                ok = False
            if ok:
                x, t, dt = xn, t + step, min(1.0, 2 * step)
            else:
                dt = step / 2
                if dt < 1e-9:
                    raise ConvergenceError("width one-point continuation failed",
                                           where=f"w={complex(w_to)} (node {j})")
        xs.append(x)
        res.append(r)
    return np.array(xs, dtype=complex), np.array(res)


# ----------------------------------------------------------------------------------------------
# closed forms used as limits and checks
# ----------------------------------------------------------------------------------------------
def projection_risk(*, width, nu=None, beta=None, dim=math.inf, lam=None, omega=None,
                    dps=30) -> Result:
    """``L = ∞``, ``γ → ∞`` limit (the optimum at infinite depth): GD converges to the
    Λ-weighted projection of the target onto the N-dimensional subspace, with deterministic
    equivalent ``R_∞ = κ Σ_k ω_kλ_k/(κ + λ_k)``, ``Σ_k λ_k/(κ + λ_k) = N`` (0 at N = D); κ by
    Newton in mpmath from the float64 root, the sums by :mod:`solvers.settings.modesums`."""
    spec, N, D, dps = _validate(width, nu, beta, dim, lam, omega, dps)

    def solve(pb):
        with mpmath.workdps(dps + ct.GUARD):
            if not is_inf(D) and N >= D:
                return mpmath.mpf(0), mpmath.mpf(0), mpmath.mpf(0)
            k0 = pb.op.x0
            kap, (_, _, T, _), _ = pb.op.polish(mpmath.mpf(0), mpmath.mpf(k0))
            Rv = kap * T
            return kap, Rv, abs(Rv) * mpmath.mpf(10) ** (-dps - 3)
    _, (kap, Rv, err) = _retry(WidthProblem(spec, N, D), solve)
    with mpmath.workdps(dps):
        return Result("rrs", _params(width, nu, beta, dim, lam, omega, depth=math.inf), +Rv,
                      gamma=mpmath.inf, converged=True,
                      error_estimate=+(err + mpmath.mpf(10) ** (-dps) * abs(Rv)),
                      method="limit L=inf, gamma->inf: residue at w=0, "
                             "R=kappa*sum(w l/(kappa+l))",
                      dps=dps, extra={"kappa": +kap, "width_ratio": _ratio(N, D)})


def depth1_risk(gamma, *, width, lam, omega, exact_dim=True):
    """Depth 1, by Haar moments of the projection (independent of the contour machinery):
    ``R = Σωλ − 2γα Σωλ² + γ² [a Σωλ³ + b Σλ Σωλ²]`` with ``E[P X P] = aX + b Tr(X) I``,
    ``a = α − N(D−N)/((D+2)(D−1))``, ``b = N(D−N)/(D(D+2)(D−1))`` (exact at finite D;
    ``exact_dim=False`` gives the D → ∞ values ``a = α²``, ``b = α(1−α)/D``).  Returns a float."""
    lam = np.asarray(lam, float)
    wl = lam * np.asarray(omega, float)
    D, N = len(lam), int(width)
    al = N / D
    if exact_dim:
        a = al - N * (D - N) / ((D + 2) * (D - 1)) if D > 1 else 1.0
        b = N * (D - N) / (D * (D + 2) * (D - 1)) if D > 1 else 0.0
    else:
        a, b = al * al, al * (1 - al) / D
    g = float(gamma)
    return float(wl.sum() - 2 * g * al * (wl * lam).sum()
                 + g * g * (a * (wl * lam ** 2).sum() + b * lam.sum() * (wl * lam).sum()))


# ----------------------------------------------------------------------------------------------
# public entry point
# ----------------------------------------------------------------------------------------------
def _ratio(N, D):
    return 0.0 if is_inf(D) else N / D


def _params(width, nu, beta, dim, lam, omega, **more):
    p = {"width": width, "nu": nu, "beta": beta, "dim": dim}
    if lam is not None:
        p["lam"] = [str(x) for x in lam]
        p["omega"] = [str(x) for x in omega]
    p.update(more)
    return p


def _validate(width, nu, beta, dim, lam, omega, dps):
    dps = require_dps(dps)
    if lam is not None or omega is not None:
        spec = make_spectrum(lam=lam, omega=omega, dim=dim if dim is not None else math.inf)
        D = spec.dim
    else:
        spec = make_spectrum(nu=nu, beta=beta, dim=dim)
        D = spec.dim
    N = require_int("width", width, minimum=1, allow_inf=True)
    if not is_inf(N) and not is_inf(D) and N > D:
        raise ValueError(f"width={width!r} is invalid: width must be an integer in [1, dim={D}] "
                         "or inf")
    return spec, N, D, dps


def risk(*, width, depth, gamma=None, nu=None, beta=None, dim=math.inf, lam=None, omega=None,
         dps=30) -> Result:
    """Exact asymptotic RRS risk at width N, depth L, infinite context (case W of docs/theory.md §8).

    ``R = (2πi)⁻² ∮∮ p(w)p(w') F(w,w') dw dw'`` with the deterministic equivalent F of
    :mod:`theory.width` (module docstring).  ``gamma``: ``Γ = γ P_N`` for a finite spectrum
    (``lam``/``omega`` or a power law truncated to ``dim``, width ratio N/D; the simulator's
    convention); at ``dim = inf`` the normalised ``Γ = γ (D/N) P_N``.  ``gamma=None``: the
    optimal γ (root of the exact ∂R/∂γ; ``inf`` at ``depth = inf``).  ``width = inf``: no
    bottleneck (:func:`solvers.settings.rrs.risk`).  ``dps ≤ 15``: float64 contour sums; above,
    mpmath at ``dps`` + guard digits; ``error_estimate`` is the doubling change plus rounding.
    """
    spec, N, D, dps = _validate(width, nu, beta, dim, lam, omega, dps)
    L = require_int("depth", depth, minimum=1, allow_inf=True)
    if gamma is not None:
        gamma = require_nonnegative("gamma", gamma, allow_inf=True)
    if is_inf(N):
        from solvers.settings import rrs
        r = rrs.risk(nu=nu, beta=beta, depth=L, gamma=gamma, dim=dim, lam=lam, omega=omega,
                     dps=dps)
        return Result("rrs", _params(width, nu, beta, dim, lam, omega, depth=L, gamma=gamma),
                      r.risk, gamma=r.gamma, converged=r.converged,
                      error_estimate=r.error_estimate, method="width=inf: " + r.method,
                      dps=dps, extra=dict(r.extra))
    params = _params(width, nu, beta, dim, lam, omega, depth=L, gamma=gamma)
    if is_inf(L) and (gamma is None or is_inf(gamma)):
        r = projection_risk(width=N, nu=nu, beta=beta, dim=dim, lam=lam, omega=omega, dps=dps)
        return Result("rrs", params, r.risk, gamma=mpmath.inf, converged=True,
                      error_estimate=r.error_estimate, dps=dps,
                      method="depth=inf: R decreases in gamma, optimum gamma=inf; " + r.method,
                      extra=dict(r.extra))
    if gamma is not None and is_inf(gamma):
        raise ValueError("gamma=inf is invalid at finite depth: the risk diverges; give a "
                         "finite gamma >= 0 or omit it for the optimum")
    t0 = _time.perf_counter()
    mp = dps > FLOAT_DPS
    al = _ratio(N, D)
    # γ_n = γ α_N (finite D) or γ (dim = inf); exact in the mpmath path
    if mp:
        with mpmath.workdps(dps + 20):
            to_norm = mpmath.mpf(1) if is_inf(D) else mpmath.mpf(N) / D
    else:
        to_norm = 1.0 if is_inf(D) else al

    def solve(pb):
        prob = _problem(pb, L, dps)
        if gamma is None:
            gn, q = prob.optimal()
        elif mp:
            with mpmath.workdps(dps + ct.GUARD):
                gn, q = mpmath.mpf(gamma) * to_norm, None
        else:
            gn, q = float(gamma) * to_norm, None
        if gn == 0:
            w0 = pb.sums.w_sum(mp)
            return gn, w0, 0 * w0, None
        b, _, err, q = prob.evaluate(gn, q)
        return gn, b, err, q
    pb, (gn, R, err, q) = _retry(WidthProblem(spec, N, D), solve)
    with mpmath.workdps(dps):
        if mp:
            err = err + abs(R) * mpmath.mpf(10) ** (-dps)
        gamma_out = gamma if gamma is not None else (+(gn / to_norm) if mp else gn / to_norm)
        return Result("rrs", params, +R if mp else R, gamma=gamma_out, converged=True,
                      error_estimate=+err if mp else err,
                      method="case-W two-point deterministic equivalent (divided-difference "
                             "kernel), ellipse contour, " +
                             (f"mpmath {dps + ct.GUARD} digits" if mp else "float64") +
                             (", optimal gamma: root of dR/dgamma (solvers.roots)"
                              if gamma is None else ""),
                      dps=dps, iterations=0 if q is None else q.N,
                      extra={"gamma_normalized": +gn if mp else gn, "width_ratio": al,
                             "support_edge": pb.op.upper[0],
                             "nodes": 0 if q is None else q.N, "head_modes": pb.K,
                             "contour": None if q is None else q.lay.describe(),
                             "working_precision": f"mpmath {dps + ct.GUARD} digits" if mp
                             else "float64",
                             "seconds": _time.perf_counter() - t0})


class _Landscape:
    """``R(γ)`` and ``∂R/∂γ`` at fixed spectrum, width and finite-width depth, in the user's γ
    (``Γ = γ P_N``, or the normalised ``Γ = γ (D/N) P_N`` at dim = inf; see :func:`risk`), float64.
    The problem, its edges and the γ-independent contour data are built once per contour
    layout, so repeated evaluations (a gradient flow) cost one filter sum each."""

    def __init__(self, spec, N, D, L):
        self.pb, self.L = WidthProblem(spec, N, D), L
        self.to_norm = 1.0 if is_inf(D) else _ratio(N, D)
        self.prob = _problem(self.pb, L)

    def _at(self, gamma, fn):
        gn = float(gamma) * self.to_norm
        for _attempt in range(12):
            try:
                return fn(gn)
            except HeadTooShort:   # dim = inf: grow the head, as in risk()
                self.pb = self.pb.bigger()
                self.prob = _problem(self.pb, self.L)
        raise ConvergenceError("width: head of the infinite spectrum did not stabilise",
                               where=f"K={self.pb.K}")

    def value(self, gamma):
        """``(R, error)`` at ``gamma``."""
        def fn(gn):
            if gn == 0:
                return self.pb.sums.w_sum(), 0.0
            b, _, err, _ = self.prob.evaluate(gn)
            return b, err
        return self._at(gamma, fn)

    def slope(self, gamma):
        """``(∂R/∂γ, error)`` (chain factor ``γ_n/γ``); error = change under halving the nodes
        plus rounding."""
        def fn(gn):
            d, e = self.prob.slope(gn)
            return d * self.to_norm, e * self.to_norm
        return self._at(gamma, fn)


def _landscape(*, width, depth, nu=None, beta=None, dim=math.inf, lam=None, omega=None):
    spec, N, D, _ = _validate(width, nu, beta, dim, lam, omega, 15)
    L = require_int("depth", depth, minimum=1, allow_inf=True)
    if is_inf(N):
        raise ValueError(f"width={width!r} is invalid here: give a finite width >= 1 (at "
                         "width = inf use solvers.settings.rrs)")
    return _Landscape(spec, N, D, L)


def slope(gamma, *, width, depth, nu=None, beta=None, dim=math.inf, lam=None, omega=None):
    """``(∂R/∂γ, error)`` of the case-W risk of :func:`risk` at ``gamma`` (same γ convention:
    ``Γ = γ P_N`` for a finite spectrum, ``Γ = γ (D/N) P_N`` at dim = inf), from the exact
    derivative of the contour integrand, ``∂R/∂γ = 2 (2πi)⁻² ∮∮ ∂_γp(w) p(w') F dw dw'``.
    float64 contour sums; finite width only."""
    gamma = require_nonnegative("gamma", gamma)
    return _landscape(width=width, depth=depth, nu=nu, beta=beta, dim=dim, lam=lam,
                      omega=omega).slope(gamma)
