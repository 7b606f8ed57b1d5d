"""Exact asymptotic RRS risk with a width bottleneck *and* a finite context (the joint case).

Setting.  Per context the covariates have covariance ``O_cΛO_cᵀ`` and the task ``O_cΩO_cᵀ``; the
model runs ``L`` steps of GD with ``Γ = γ P_N`` (``P_N`` a frozen rank-N projection) on the
sample covariance ``Σ̂`` of ``P`` points.  In the frame of the context ``Σ = Λ`` is diagonal,
``Σ̂ = Λ^{1/2} W Λ^{1/2}`` (``W`` Wishart, ratio ``D/P``) and ``P̃ = O_cᵀP_NO_c`` is a Haar
projection free from ``{Σ̂, Λ, Ω}``.  With ``M₀ = P̃Σ̂`` the excess risk is exactly

    R = Tr[Λ p(M₀) Ω p(M₀)ᵀ] + (σ²/P) Tr[Λ h(M₀) P̃],   p(s) = (1 − γs/L)^L,  h(s) = s ψ(s)²,

``ψ(s) = (1 − p(s))/s`` (``e^{−γs}`` at ``L = ∞``); the noise term uses ``P̃ψ(M₀ᵀ) = ψ(M₀)P̃`` and
``P̃Σ̂P̃ = M₀P̃``.  Everything is written in the normalised variable ``w`` of ``M = (D/N)M₀``
(``E (D/N)P̃ = I``), with step ``γ_n = γN/D`` (finite D; at ``dim = inf`` the user's γ *is* the
normalised step, ``Γ = γ(D/N)P_N``, as in :mod:`solvers.settings.width`).

The nested deterministic equivalent (derived in :mod:`theory.joint`).  Let ``ρ_k = 1/(κ + λ_k)``,
``S(κ) = Σ_k λ_kρ_k``, ``φ = 1 − S/P`` (Wishart renormalisation), ``ψ_n = (1 − S/N)/(1 − S/D)``
(projection renormalisation; ``1 − S/N`` at ``D = ∞``; 1 at ``N = D``).

* one point: ``−w = f(κ) = κ φ(κ) ψ_n(κ)`` — the paper's pair of one-point equations
  (free-product relation with the projection, structured-Wishart relation for ``Σ̂``) combined
  (:class:`JointOnePoint`);
* two points: ``Tr[Λ(w − M)⁻¹Ω(w' − Mᵀ)⁻¹] ≍ (κκ'/(ww')) H(κ, κ')``,

      H = [U + ĉ Y (E U₂ + κκ' Y U/P) / (E (1 − ĉ V_P) − ĉ κκ' Y²/P)] / E,

  with the pair sums ``U = Σ ω_kλ_k ρ_kρ'_k``, ``U₂ = Σ ω_kλ_k² ρ_kρ'_k``, ``Y = Σ λ_k ρ_kρ'_k``,
  ``V_P = Σ λ_k² ρ_kρ'_k``, ``E = 1 − V_P/P`` (the Wishart Dyson denominator) and the projection's
  ladder coefficient ``ĉ = (D − N)/[(N − S)(N − S') + N(D − N)]`` (``1/N`` at ``D = ∞``, 0 at
  ``N = D``).  ``N = D`` gives case C (:mod:`solvers.settings.context`), ``P = ∞`` case W
  (:mod:`solvers.settings.width`);
* noise: ``σ² (2πi)⁻¹∮ ψ(w)² G(κ) S(κ)/P dw`` with ``G = κψ_n`` (no pole at 0).

**Every pair sum is a divided difference** of the one-point sums of
:mod:`solvers.settings.modesums` (``T(κ) = Σ ω_kλ_k/(λ_k + κ)``):
``U = −Δ[T]``, ``Y = −Δ[S]``, ``U₂ = Δ[κT]``, ``V_P = Δ[κS]`` with
``Δ[F]_{ij} = (F(κ_j) − F(κ_i))/(κ_j − κ_i)`` (``F'`` on the diagonal), so the kernel costs
O(n²) after n one-point sums, whatever the number of modes (power laws at ``dim = inf``: a head
plus exact tail series, independent of N and P).

**Numerics: the machinery of cases C and W** (:mod:`solvers.settings.contour`,
:mod:`solvers.settings.contour_solve`).  The limiting spectrum of ``M`` is an atom at 0 (mass
``1 − min(N, P)/D``) plus a continuous part ``[w₋, w₊]``; ``w₊`` from the critical point of f
left of ``−λ_max``, ``w₋`` from the first critical point below ``κ₀``, the largest real zero of f
(``S(κ₀) = min(N, P)``; ``κ₀ = 0`` at ``N = D ≤ P``).  The contour is the shared policy: a
log-ellipse around ``[w₋, w₊]`` plus the residue node of the atom (node count independent of γ,
L, N and P), or an ellipse with foci ``0, w₊`` when there is no gap (``N = P``: the zero of f is
double).  κ is continued along the upper half with the shared branch certificate
``Im κ·Im w < 0`` plus the nested one, ``Im(κφ)·Im w < 0`` (the projection's inner variable
``κφ`` is Herglotz too; equivalently ``V_P(κ, κ̄) < P``).  The risk is a quadratic form in the
filter values with exact γ-derivatives; the optimal γ is the root of ``∂R/∂γ``
(:mod:`solvers.roots`).  At ``L = ∞``, ``γ → ∞`` only the residue at 0 survives,
``R = κ₀² H(κ₀, κ₀) + σ² (GS)'(κ₀)/(P f'(κ₀))`` (:func:`ridgeless_limit`; ``N < P``: the
least-squares law ``R_W(N)·P/(P − N) + σ²N/(P − N)``; ``N = P``: ``inf``).

Precision: ``dps ≤ 15`` complex128; above, mpmath at ``dps`` + 10 guard digits (node values
polished by Newton, kernel in fixed point), as for cases C and W.  ``error_estimate`` = change
under halving the nodes + a rounding bound.
"""
from __future__ import annotations

import math
import time as _time

import mpmath
import numpy as np
from scipy.optimize import brentq

from solvers.result import ConvergenceError, Result
from solvers.settings import contour as ct
from solvers.settings import contour_solve as cs
from solvers.settings.fixedpoint import Fixed
from solvers.settings.modesums import HeadTooShort, sums_for, with_longer_heads
from solvers.spectra import make_spectrum
from solvers.validate import (is_inf, require_alpha_or_context, require_dps, require_int,
                              require_nonnegative)

__all__ = ["risk", "slope", "optimal_gamma", "ridgeless_limit", "JointOnePoint", "joint_problem"]

EPS = np.finfo(float).eps
FLOAT_DPS = cs.FLOAT_DPS


# ---------------------------------------------------------------------------------------------
# the one-point equation
# ---------------------------------------------------------------------------------------------
class JointOnePoint(ct.OnePoint):
    """``λ(κ) = κ φ ψ_n``, ``φ = 1 − S/P``, ``ψ_n = (1 − S/N)/(1 − S/D)`` (``ψ_n = 1`` at
    ``N = D``): :class:`~solvers.settings.contour.OnePoint` with a second renormalisation
    factor.  Real-axis structure: the largest zero ``κ₀`` solves ``S = min(N, P)`` (simple unless
    ``N = P``, where both factors vanish: no gap); the lower edge is the first critical point
    of λ below ``κ₀`` (λ has further zeros and critical points below, which the single-factor
    search of the base class would not skip)."""

    def __init__(self, sums, N, P, D):
        self.full = (not is_inf(D)) and N == D
        self.N_exact, self.P_exact = N, P
        self.Nf, self.Pf = float(N), float(P)
        super().__init__(sums, P if self.full else min(N, P, key=float), D)

    def _consts(self, mp):
        if mp:
            iD = mpmath.mpf(0) if is_inf(self.D) else 1 / mpmath.mpf(self.D)
            return 1 / mpmath.mpf(self.N_exact), 1 / mpmath.mpf(self.P_exact), iD
        return 1.0 / self.Nf, 1.0 / self.Pf, self.inv_D

    def psi_n(self, S, dS, mp=False):
        """``(ψ_n, dψ_n/dκ)`` from ``S, S'``."""
        if self.full:
            return (mpmath.mpf(1), mpmath.mpf(0)) if mp else (1.0, 0.0)
        iN, _, iD = self._consts(mp)
        den = 1 - S * iD
        a = 1 - S * iN
        return a / den, (-dS * iN * den + a * dS * iD) / (den * den)

    def lam_from(self, x, S, dS, mp=False):
        _, iP, _ = self._consts(mp)
        phi, dphi = 1 - S * iP, -dS * iP
        psi, dpsi = self.psi_n(S, dS, mp)
        f = phi * psi
        return x * f, f + x * (dphi * psi + phi * dpsi)

    def double_zero(self):
        """``N = P`` below the mode count: f has a double zero at κ₀ (the interpolation peak)."""
        return (not self.full and abs(self.Nf - self.Pf) <= 1e-12 * self.Nf
                and self.sums.count > self.Nf * (1 + 1e-12))

    def critical(self):
        return super().critical() or self.double_zero()

    def branch_ok(self, s, x):
        """Nested certificate: the projection's inner variable ``κφ`` is on its physical branch,
        ``Im(κφ)·Im s < 0`` (equivalently ``V_P(κ, κ̄) < P``)."""
        if s.imag == 0:
            return True
        S = self.sums.values_at(np.array([complex(x)]))[0][0]
        y = (x * (1 - S / self.Pf)).imag
        return y < 0 if s.imag > 0 else y > 0

    def _lower(self):
        if self.critical():
            return 0.0, 0.0
        x0 = self.x0
        if self.full or x0 <= 0:
            return super()._lower()
        left = -self.sums.a_min
        span = x0 - left
        t = np.concatenate([np.geomspace(1e-14, 0.5, 400), 1 - np.geomspace(0.5, 1e-13, 400)[1:]])
        xs = x0 - span * t
        _, dl = self.lam(xs + 0j)
        bad = np.nonzero(dl.real <= 0)[0]
        if len(bad) == 0:
            raise ConvergenceError("joint: no critical point of the one-point map below kappa0",
                                   where=f"kappa0={x0}")
        i = bad[0]
        lo = xs[i]
        hi = xs[i - 1] if i > 0 else x0
        xc = brentq(lambda v: self.lam_real(v)[1], lo, hi, xtol=1e-300, rtol=4 * EPS,
                    maxiter=500)
        return max(0.0, -self.lam_real(xc)[0]), xc


# ---------------------------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------------------------
def _kernel_for(op):
    """The γ-independent two-point kernel ``H`` (module docstring) of a quadrature.

    With ``ĉ = D_m/Q`` (``D_m = D − N``, ``Q = (N − S)(N − S') + N D_m``; ``ĉ = 1/N`` at
    ``D = ∞``) numerator and denominator of the projection term are multiplied by ``Q/(D_m P)``
    (by ``N/P`` at ``D = ∞``), which leaves two matrix divisions and no scalar factors:

        H = [U·B + Y_P (E U₂ + κκ'Y_P U)] / (B E),   B = E (q − V_P/P) − κκ' Y_P²,

    ``Y_P = Y/P``, ``q = Q/(D_m P)`` (``N/P`` at ``D = ∞``); evaluated as numerator and
    denominator times P (``BP = E(qP − V_P) − κκ'Y Y_P``), so that no factor is O(1/P).  The four pair sums (``U``, ``V_P/P``,
    ``Y_P``, ``U₂``) share one ``1/(κ_j − κ_i)``."""
    N, P, D = op.N_exact, op.P_exact, op.D

    def kernel(q):
        ar = q.ar
        x, S, dS, T, dT = q.x, q.S, q.dS, q.T, q.dT
        n = len(x)
        diag = (np.arange(n), np.arange(n))
        if ar.mp:
            invP = 1 / mpmath.mpf(P)
            X = Fixed.of(x)
            dz = X[None, :] - X[:, None]
            dz.diag_set(1)
            inv = 1 / dz

            def dd(F, dF):
                F = Fixed.of(F)
                out = (F[None, :] - F[:, None]) * inv
                out.diag_set(dF)
                return out

            def outer(a, b):
                return Fixed.of(a)[:, None] * Fixed.of(b)[None, :]
        else:
            invP = 1.0 / float(P)
            dz = x[None, :] - x[:, None]
            dz[diag] = 1
            inv = 1 / dz

            def dd(F, dF):
                out = (F[None, :] - F[:, None]) * inv
                out[diag] = dF
                return out

            def outer(a, b):
                return a[:, None] * b[None, :]
        U = -dd(T, dT)
        V = dd(x * S, S + x * dS)
        E = 1 - V * invP
        if op.full:
            return U / E
        # numerator and denominator times P (B·P, Y = P·Y_P): every factor stays O(1) however
        # large P is — the fixed-point kernel has an absolute resolution, so O(1/P) factors
        # would lose digits in proportion to P
        Y = -dd(S, dS)
        U2 = dd(x * T, T + x * dT)
        kY = outer(x, x) * Y * invP
        if is_inf(D):
            qmP = N
        else:
            if ar.mp:
                Dm, Nm = mpmath.mpf(D) - N, mpmath.mpf(N)
            else:
                Dm, Nm = float(D - N), float(N)
            nS = Nm - S
            qmP = outer(nS / Dm, nS) + Nm
        BP = E * (qmP - V) - kY * Y
        return (U * BP + Y * (E * U2 + kY * U)) / (BP * E)
    return kernel


def _noise_for(op):
    """Node values ``G S/P`` (``G = κψ_n``) of the noise kernel ``σ²∮ψ²GS/P``."""
    def noise(q):
        mp = q.ar.mp
        psi, _ = op.psi_n(q.S, q.dS, mp)
        iP = 1 / mpmath.mpf(op.P_exact) if mp else 1.0 / op.Pf
        return q.x * psi * q.S * iP
    return noise


def _H_diag(op, x, S, dS, T, dT, mp):
    """``H(κ, κ)`` from the one-point sums at κ (the diagonal of :func:`_kernel_for`)."""
    _, iP, iD = op._consts(mp)
    U, Y, U2, VP = -dT, -dS, T + x * dT, S + x * dS
    E = 1 - VP * iP
    if op.full:
        return U / E
    if is_inf(op.D):
        c = 1 / mpmath.mpf(op.N_exact) if mp else 1.0 / op.Nf
    else:
        N = mpmath.mpf(op.N_exact) if mp else op.Nf
        Dm = (mpmath.mpf(op.D) if mp else float(op.D)) - N
        c = Dm / ((N - S) ** 2 + N * Dm)
    kY = x * x * Y
    return (U + c * Y * (E * U2 + kY * U * iP) / (E * (1 - c * VP) - c * kY * Y * iP)) / E


def ridgeless_limit(op, sigma2=0, dps=FLOAT_DPS):
    """``L = ∞``, ``γ → ∞``: ``(bias, variance, κ₀)`` from the residue at ``w = 0``:
    ``bias = κ₀² H(κ₀, κ₀)``, ``variance = σ² (GS)'(κ₀)/(P f'(κ₀))`` (``(GS)' = G'S + GS'``);
    bias 0 when M has no kernel (κ₀ = 0) and ``(inf, inf)`` at a double zero (``N = P``: the
    interpolation peak).  float64 for ``dps ≤ 15``, else mpmath at ``dps`` + guard digits.

    Closed form (a test reference): ``N < P`` gives ``bias = R_W(N)·P/(P − N)``,
    ``variance = σ²N/(P − N)`` (least squares on the N projected features, the projection
    residual ``R_W(N) = κ_N Σ ω_kλ_k/(κ_N + λ_k)`` acting as extra noise)."""
    k0 = op.x0
    mp = dps > FLOAT_DPS
    if op.double_zero():
        return (mpmath.inf, mpmath.inf, k0) if mp else (math.inf, math.inf, k0)
    if mp:
        with mpmath.workdps(dps + ct.GUARD):
            if k0 > 0:
                x, (S, dS, T, dT), dl = op.polish(mpmath.mpf(0), mpmath.mpf(k0))
            else:
                x = mpmath.mpf(0)
                S, dS, T, dT = op.sums.values_at_mp(x)
                dl = op.lam_from(x, S, dS, mp=True)[1]
            return _residue(op, x, S, dS, T, dT, dl, mpmath.mpf(sigma2), True)
    S, dS, T, dT = (v[0].real for v in op.sums.values_at(np.array([complex(k0)])))
    dl = op.lam_from(k0, S, dS)[1]
    return _residue(op, k0, S, dS, T, dT, dl, float(sigma2), False)


def _residue(op, x, S, dS, T, dT, dl, s2, mp):
    inf = mpmath.inf if mp else math.inf
    if not dl > 0:
        return inf, inf, x
    _, iP, _ = op._consts(mp)
    psi, dpsi = op.psi_n(S, dS, mp)
    G, dG = x * psi, psi + x * dpsi
    var = s2 * (dG * S + G * dS) * iP / dl
    bias = x * x * _H_diag(op, x, S, dS, T, dT, mp) if x != 0 else 0 * var
    return bias, var, x


def joint_problem(op, depth, sigma2=0, dps=FLOAT_DPS, rtol=1e-12):
    """The shared :class:`~solvers.settings.contour_solve.ContourProblem` with the joint kernel
    and noise kernel."""
    return cs.ContourProblem(op, _kernel_for(op), depth, sigma2, dps, rtol, "joint",
                             noise=_noise_for(op))


# ---------------------------------------------------------------------------------------------
# input
# ---------------------------------------------------------------------------------------------
def _validate(width, alpha, context, depth, gamma, sigma2, nu, beta, dim, lam, omega, dps):
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    sigma2 = require_nonnegative("sigma2", sigma2)
    dps = require_dps(dps)
    alpha, context = require_alpha_or_context(alpha, context)
    if gamma is not None:
        gamma = require_nonnegative("gamma", gamma, allow_inf=True)
    if lam is not None or omega is not None:
        if lam is None or omega is None:
            raise ValueError("lam and omega are invalid: give both lists or neither")
        spec = make_spectrum(lam=lam, omega=omega)
    else:
        spec = make_spectrum(nu=nu, beta=beta, dim=dim)
    D = spec.dim
    N = require_int("width", width, minimum=1, allow_inf=True)
    if not is_inf(N) and not is_inf(D) and N > D:
        raise ValueError(f"width={width!r} is invalid: width must be an integer in "
                         f"[1, dim={D}] or inf")
    if is_inf(D) and alpha is not None and not is_inf(alpha):
        raise ValueError("alpha is invalid with dim=inf: give context (absolute P) instead, or "
                         "a finite dim")
    if alpha is not None and is_inf(alpha):
        P = math.inf
    elif alpha is not None:
        if isinstance(alpha, mpmath.mpf):
            with mpmath.workdps(80):       # an exact decimal alpha keeps P exact
                P = alpha * D
        else:
            P = alpha * D
    else:
        P = context
    return spec, N, D, P, depth, gamma, sigma2, dps


def _params(width, alpha, context, depth, gamma, sigma2, nu, beta, dim, lam, omega):
    p = {"width": width, "alpha": alpha, "context": context, "depth": depth,
         "sigma2": sigma2, "nu": nu, "beta": beta, "dim": dim}
    if gamma is not None:
        p["gamma"] = gamma
    if lam is not None:
        p["lam"] = [str(x) for x in lam]
        p["omega"] = [str(x) for x in omega]
    return p


def _retry(op, fn):
    """``(op, fn(op))`` with the power-law head doubled while a tail expansion is out of range."""
    return with_longer_heads(
        op, fn, lambda o: JointOnePoint(o.sums.bigger(), o.N_exact, o.P_exact, o.D), "joint")


def _to_norm(N, D, mp):
    """Factor from the user's γ to the normalised step γ_n: ``N/D`` (finite D), 1 at dim=inf."""
    if is_inf(D):
        return 1
    if mp:
        with mpmath.workdps(80):
            return mpmath.mpf(N) / D
    return N / D


# ---------------------------------------------------------------------------------------------
# public entry points
# ---------------------------------------------------------------------------------------------
def risk(*, width, alpha=None, context=None, depth, gamma=None, sigma2=0, nu=None, beta=None,
         dim=math.inf, lam=None, omega=None, dps=30, rtol=1e-12) -> Result:
    """Exact asymptotic RRS risk at width N, context P and depth L (width and context
    bottlenecks together; excess risk, zero predictor = ``Σ ω_kλ_k``).

    ``R = (2πi)⁻² ∮∮ p(w)p(w') (κκ'/(ww')) H dw dw' + σ² (2πi)⁻¹∮ ψ(w)² G S/P dw``
    (module docstring; derivation in :mod:`theory.joint`).

    width : N (integer ≥ 1, ≤ dim; ``inf``: no bottleneck → :mod:`solvers.settings.context`).
    alpha : P/D (proportional regime, D = number of modes).  context : absolute P
        (power law at ``dim = inf``, or any spectrum).  ``inf`` → :mod:`solvers.settings.width`.
    depth : L ≥ 1 or inf.  gamma : ``Γ = γ P_N`` (finite D; the simulator's convention) or the
        normalised ``Γ = γ (D/N) P_N`` at ``dim = inf``; ``None``: the optimal γ (``inf`` when
        the risk decreases to its ridgeless limit at depth = inf).
    sigma2 : label-noise variance.  nu, beta, dim / lam, omega : the spectrum.
    dps : ``≤ 15`` complex128 contour sums (≈ 13–15 digits); above, mpmath at ``dps`` + 10 guard
        digits (≈ dps digits).  rtol : float64 convergence target of the node doubling.
    """
    t0 = _time.perf_counter()
    spec, N, D, P, depth, gamma, sigma2, dps = _validate(width, alpha, context, depth, gamma,
                                                         sigma2, nu, beta, dim, lam, omega, dps)
    params = _params(width, alpha, context, depth, gamma, sigma2, nu, beta, dim, lam, omega)
    if is_inf(N):
        from solvers.settings import context as ctx_mod
        kw = dict(alpha=alpha, context=context) if not is_inf(P) else dict(alpha=math.inf)
        r = ctx_mod.risk("rrs", depth=depth, gamma=gamma, sigma2=sigma2, nu=nu, beta=beta,
                         dim=dim, lam=lam, omega=omega, dps=dps, rtol=rtol, **kw)
        return Result("rrs", params, r.risk, gamma=r.gamma, converged=r.converged,
                      error_estimate=r.error_estimate, method="width=inf: " + r.method,
                      dps=dps, iterations=r.iterations, extra=dict(r.extra))
    if is_inf(P):
        from solvers.settings import width as width_mod   # label noise averages out at P = ∞
        r = width_mod.risk(width=N, depth=depth, gamma=gamma, nu=nu, beta=beta, dim=dim,
                           lam=lam, omega=omega, dps=dps)
        return Result("rrs", params, r.risk, gamma=r.gamma, converged=r.converged,
                      error_estimate=r.error_estimate, method="context=inf: " + r.method,
                      dps=dps, iterations=r.iterations, extra=dict(r.extra))
    if gamma is not None and is_inf(gamma) and not is_inf(depth):
        raise ValueError("gamma=inf is invalid at finite depth: the risk diverges; give a "
                         "finite gamma >= 0 or omit it for the optimum")
    mp = dps > FLOAT_DPS
    to_norm = _to_norm(N, D, mp)
    op = JointOnePoint(sums_for(spec), N, P, D)
    try:
        op, out = _retry(op, lambda o: _solve(o, depth, sigma2, gamma, to_norm, dps, rtol))
    except ConvergenceError as e:
        if not op.double_zero():
            raise
        raise ConvergenceError(
            f"joint: width = context (N = P = {N}) is the interpolation point: the spectrum of "
            "M has no gap at 0, so the contour must pass within about 1/gamma of 0, where the "
            "filter e^(-gamma w) (or (1 - gamma w/L)^L) grows; at this gamma that needs more "
            f"nodes than the cap ({ct.N_MAX_MP if mp else ct.N_MAX}). Give a smaller gamma or a "
            "context slightly different from the width (the risk is continuous in P at fixed "
            "gamma)", where=e.where, residual=e.residual) from e
    b, v, err, n, lay, gn, note = out
    wp = f"mpmath {dps + ct.GUARD} digits" if mp else "complex128"
    method = ("nested (projection x Wishart) two-point deterministic equivalent "
              f"(divided-difference kernel), double contour, {wp} ({note})")
    with mpmath.workdps(dps):
        value = b + v
        if mp and mpmath.isfinite(value):
            err = err + abs(value) * mpmath.mpf(10) ** (-dps)   # rounding to dps digits
        if is_inf(gn):
            g_user = mpmath.inf if mp else math.inf
        elif mp:
            g_user = +(mpmath.mpf(gn) / to_norm)
        else:
            g_user = float(gn) / to_norm
        if gamma is not None and not is_inf(gamma):
            g_user = gamma
        return Result("rrs", params, +value if mp else value, gamma=g_user, converged=True,
                      error_estimate=+err if mp else err, method=method, dps=dps, iterations=n,
                      extra={"bias": +b if mp else b, "variance": +v if mp else v, "nodes": n,
                             "gamma_normalized": +gn if mp and not is_inf(gn) else gn,
                             "width_ratio": 0.0 if is_inf(D) else N / D,
                             "P": P, "kappa0": op.x0,
                             "support": [op.lower[0], op.upper[0]],
                             "contour": None if lay is None else lay.describe(),
                             "modes_head": int(getattr(op.sums, "head", 0)),
                             "gamma_convention": "Gamma = gamma (D/N) P_N (dim = inf)"
                             if is_inf(D) else "Gamma = gamma P_N",
                             "working_precision": wp,
                             "seconds": _time.perf_counter() - t0})


def _solve(op, depth, sigma2, gamma, to_norm, dps, rtol):
    """``(bias, var, err, nodes, layout, γ_n, note)`` for one problem."""
    mp = dps > FLOAT_DPS
    prob = joint_problem(op, depth, sigma2, dps, rtol)
    note, q = "gamma given", None
    if gamma is None:
        rb, rv, _ = ridgeless_limit(op, sigma2) if is_inf(depth) else (0.0, 0.0, 0)
        w0 = op.sums.w_sum()
        r_inf = rb + rv

        def at_limit(r):
            # once R(γ) equals the γ → ∞ limit to float64 rounding the sign of R' is noise
            return math.isfinite(r_inf) and abs(r - r_inf) <= 1e3 * EPS * w0
        gn, q = prob.optimal(at_limit=at_limit)
        if is_inf(gn):
            note = "optimal gamma = inf (ridgeless limit, depth = inf)"
        else:
            note = "optimal gamma: root of the exact dR/dgamma (solvers.roots)"
    elif is_inf(gamma):
        gn = math.inf
    elif mp:
        with mpmath.workdps(dps + ct.GUARD):
            gn = mpmath.mpf(gamma) * to_norm
    else:
        gn = float(gamma) * to_norm
    if is_inf(gn):
        b, v, _ = ridgeless_limit(op, sigma2, dps)
        if mp:
            with mpmath.workdps(dps + ct.GUARD):
                tiny = mpmath.mpf(10) ** (-dps - 2) * (b + v)
        else:
            tiny = 1e-14 * (b + v)
        return b, v, tiny, 0, None, gn, (note if note != "gamma given" else
                                         "ridgeless limit gamma = inf")
    if gn == 0:
        w0 = op.sums.w_sum(mp)
        return w0, 0 * w0, 0 * w0, 0, None, gn, "gamma = 0"
    b, v, err, q = prob.evaluate(gn, q)
    return b, v, err, q.N, q.lay, gn, note


class _Landscape:
    """``γ ↦ (R, error)`` and ``γ ↦ (∂R/∂γ, error)`` in the user's γ (float64) for one problem:
    the one-point problem, its edges and the γ-independent contour data are built once per
    contour layout (a gradient flow re-evaluates the filters only)."""

    def __init__(self, op, depth, sigma2, to_norm, rtol=1e-12):
        self.op, self.depth, self.sigma2, self.rtol = op, depth, float(sigma2), rtol
        self.to_norm = float(to_norm)
        self.prob = joint_problem(op, depth, sigma2, FLOAT_DPS, rtol)

    def _at(self, gamma, fn):
        gn = float(gamma) * self.to_norm
        for _attempt in range(12):
            try:
                return fn(gn)
            except HeadTooShort:
                self.op = JointOnePoint(self.op.sums.bigger(), self.op.N_exact,
                                        self.op.P_exact, self.op.D)
                self.prob = joint_problem(self.op, self.depth, self.sigma2, FLOAT_DPS,
                                          self.rtol)
        raise ConvergenceError("joint: head of the power law did not stabilise")

    def value(self, gamma):
        """``(R, error)`` at γ."""
        def fn(gn):
            if gn == 0:
                return self.op.sums.w_sum(), 0.0
            b, v, err, _ = self.prob.evaluate(gn)
            return b + v, err
        return self._at(gamma, fn)

    def slope(self, gamma):
        """``(∂R/∂γ, error)`` (chain factor ``γ_n/γ``)."""
        def fn(gn):
            d, e = self.prob.slope(gn)
            return d * self.to_norm, e * self.to_norm
        return self._at(gamma, fn)

    __call__ = slope


def _landscape(*, width, alpha=None, context=None, depth, sigma2=0, nu=None, beta=None,
               dim=math.inf, lam=None, omega=None, rtol=1e-12):
    spec, N, D, P, depth, _, sigma2, _ = _validate(width, alpha, context, depth, None, sigma2,
                                                   nu, beta, dim, lam, omega, 15)
    if is_inf(N) or is_inf(P):
        raise ValueError("width and alpha/context must be finite here (use "
                         "solvers.settings.context / solvers.settings.width for one bottleneck)")
    return _Landscape(JointOnePoint(sums_for(spec), N, P, D), depth, sigma2,
                      _to_norm(N, D, False), rtol)


def slope(gamma, *, width, alpha=None, context=None, depth, sigma2=0, nu=None, beta=None,
          dim=math.inf, lam=None, omega=None, rtol=1e-12):
    """``(∂R/∂γ, error)`` of :func:`risk` at ``gamma`` (same γ convention), from the exact
    γ-derivative of the contour integrand (``∂p = −w p̂``, ``∂ψ = p̂``); error = change under
    halving the nodes plus rounding.  float64; finite width and context only."""
    gamma = require_nonnegative("gamma", gamma)
    if is_inf(gamma):
        raise ValueError(f"gamma={gamma!r} is invalid: slope needs a finite gamma >= 0")
    return _landscape(width=width, alpha=alpha, context=context, depth=depth, sigma2=sigma2,
                      nu=nu, beta=beta, dim=dim, lam=lam, omega=omega, rtol=rtol).slope(gamma)


def optimal_gamma(**kw):
    """The γ of :func:`risk` with ``gamma=None`` (``inf``: ridgeless limit at depth = inf)."""
    return risk(gamma=None, **kw).gamma
