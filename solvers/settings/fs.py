"""FS at infinite context (α = ∞): closed-form per-mode gradient flow and OOD brittleness.

With ``Σ̂ = Σ`` and a diagonal ``Γ = diag(γ_k)`` the modes decouple (:mod:`theory.fs`):

* risk at a given ``Γ``:  ``Σ_k ω_kλ_k (1 − γ_kλ_k/L)^{2L}``;
* gradient flow ``dΓ/dt = −∇_Γ R`` from 0, solved in closed form per mode with
  ``x_k = ω_kλ_k³ t``:  ``risk_k = ω_kλ_k e^{−4x_k}`` (L = 1),
  ``ω_kλ_k (1 + 4(L−1)x_k/L)^{−L/(L−1)}`` (L ≥ 2), ``ω_kλ_k/(1 + 4x_k)`` (L = ∞);
* ``t = ∞``: ``Γ = LΣ⁻¹`` and risk exactly 0 at every depth (depth is not needed).

Power laws at dim = ∞ sum the mode factor by Hurwitz-zeta moments (:mod:`solvers.zeta_moments`:
``ω_kλ_k³ = k^{−(s+2ν)}/Z``, a few head modes plus the Taylor series of the factor against
``ζ(s + m(s+2ν), K+1)``, cached per spectrum), so a curve of many times costs little more than
one point; other spectra use :meth:`solvers.spectra.Spectrum.wsum`.

Out of distribution (:func:`ood_risk`): the trained ``Γ = LΣ⁻¹`` tested on
``Σ' = e^{θS}Σe^{−θS}``.  With ``B = Σ^{−1/2}Σ'Σ^{−1/2} = V diag(μ) Vᵀ`` (so the eigenvalues of
``Σ⁻¹Σ'`` are the ``μ_i > 0``) the risk ``tr[Ω' Mᵀ Σ' M]/D``, ``M = (I − Σ⁻¹Σ')^L``, is exactly

    R_OOD(L) = Σ_i c_i μ_i (1 − μ_i)^{2L},   c = diag(Vᵀ Σ^{1/2} Ω'_w Σ^{1/2} V) ≥ 0,

an RRS-like landscape in the "modes" ``μ_i`` evaluated at γ = L.  Depth therefore drives the OOD
risk to 0 when the spectral radius ``r = max_i |1 − μ_i| < 1`` and makes it blow up when
``r > 1``; :func:`ood_risk` reports r and the decomposition.
"""
from __future__ import annotations

import math
import time as _time

import mpmath

from solvers.result import Result, round_dps, to_mpf
from solvers import zeta_moments as zm
from solvers.spectra import GUARD_DIGITS, PowerLaw, make_spectrum, pow1m
from solvers.validate import (is_inf, require_choice, require_dps, require_int,
                              require_gamma_work, require_nonnegative)

__all__ = ["risk", "mode_risk_of_time", "mode_gamma_of_time", "mode_trajectories", "ood_risk"]


_rd = round_dps
_mp = to_mpf
#: power laws at dim = ∞ through Hurwitz-zeta moments (False: Euler–Maclaurin of spectra.wsum)
ZETA_MOMENTS = True


def mode_risk_factor(x, depth):
    """``risk_k/(ω_kλ_k)`` along the flow as a function of ``x = ω_kλ_k³ t`` (stable forms)."""
    if is_inf(depth):
        return 1 / (1 + 4 * x)
    if depth == 1:
        return mpmath.exp(-4 * x)
    L = mpmath.mpf(depth)
    return mpmath.exp(-L / (L - 1) * mpmath.log1p(4 * (L - 1) / L * x))


def mode_gamma_factor(x, depth):
    """``γ_k(t)·λ_k`` as a function of ``x = ω_kλ_k³ t`` (stable forms of the closed form)."""
    if is_inf(depth):
        return mpmath.log1p(4 * x) / 2
    if depth == 1:
        return -mpmath.expm1(-2 * x)
    L = mpmath.mpf(depth)
    return -L * mpmath.expm1(-mpmath.log1p(4 * (L - 1) / L * x) / (2 * (L - 1)))


def mode_risk_of_time(lam, omega, time, depth=1, dps=30):
    """Risk of one mode at time t (closed form)."""
    with mpmath.workdps(dps + GUARD_DIGITS):
        lam, omega, time = _mp(lam), _mp(omega), _mp(time)
        return +(omega * lam * mode_risk_factor(omega * lam ** 3 * time, depth))


def mode_gamma_of_time(lam, omega, time, depth=1, dps=30):
    """``γ_k(t)`` of one mode (closed form)."""
    with mpmath.workdps(dps + GUARD_DIGITS):
        lam, omega, time = _mp(lam), _mp(omega), _mp(time)
        return +(mode_gamma_factor(omega * lam ** 3 * time, depth) / lam)


def _head_hint(spec, time, depth):
    """Minimum head for power-law sums of the L = 1 flow kernel ``e^{−4x_k}``: beyond it the
    summand varies slowly in k (``|d log/dk| = 4b x_k/k ≤ 1``, ``x_k = k^{−b} t/Z``,
    ``b = νβ + 1 + 2ν``).  Other depths decay like powers of ``x_k`` and need no hint."""
    if isinstance(spec, PowerLaw) and depth == 1:
        nu, beta = float(spec.nu), float(spec.beta)
        b = nu * beta + 1 + 2 * nu
        return int(math.ceil((4 * b * float(time)) ** (1 / (b + 1)))) + 1
    return None


def risk(nu=None, beta=None, depth=1, time=math.inf, gamma=None, dim=math.inf, lam=None,
         omega=None, dps=30) -> Result:
    """FS risk at α = ∞ (spec §4).

    ``gamma`` given: a diagonal ``Γ`` as a list ``[γ_1, …]`` (finite spectra) or a scalar (Γ = γI);
    else ``time`` finite: the closed-form gradient flow from Γ = 0; ``time = inf``: Γ = LΣ⁻¹,
    risk exactly 0 at every depth.
    """
    dps = require_dps(dps)
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    spec = make_spectrum(nu=nu, beta=beta, dim=dim, lam=lam, omega=omega)
    params = {"nu": nu, "beta": beta, "depth": depth, "dim": dim}
    if lam is not None:
        params.update(lam=[str(x) for x in lam], omega=[str(x) for x in omega])
    t0 = _time.perf_counter()
    with mpmath.workdps(dps + GUARD_DIGITS):
        if gamma is not None:
            params["gamma"] = gamma
            if hasattr(gamma, "__len__"):
                if not spec.is_finite or len(gamma) != spec.dim:
                    raise ValueError(f"gamma (length {len(gamma)}) is invalid: a diagonal gamma "
                                     f"needs one entry per mode of a finite spectrum "
                                     f"(dim={spec.dim})")
                gs = [_mp(require_nonnegative(f"gamma[{i}]", g)) for i, g in enumerate(gamma)]
                lams, oms = spec.modes(dps=dps)
                terms = [w * l * (mpmath.exp(-2 * g * l) if is_inf(depth)
                                  else pow1m(g * l / depth, 2 * depth))
                         for g, l, w in zip(gs, lams, oms)]
                val = mpmath.fsum(terms)
                err = len(terms) * mpmath.eps * mpmath.fsum(abs(x) for x in terms)
                return Result("fs", params, _rd(val, dps), gamma=gs, error_estimate=err,
                              method="direct sum over modes", dps=dps)
            g = _mp(require_gamma_work(require_nonnegative("gamma", gamma), depth, spec))
            kern = ((lambda l: mpmath.exp(-2 * g * l)) if is_inf(depth)
                    else (lambda l: pow1m(g * l / depth, 2 * depth)))
            s = spec.wsum(kern, 1, dps, scale=2 * g)
            return Result("fs", params, _rd(s.value, dps), gamma=g, error_estimate=s.error,
                          method=f"Gamma = gamma I; {s.method}", dps=dps)
        time = require_nonnegative("time", time, allow_inf=True)
        params["time"] = time
        if is_inf(time):
            return Result("fs", params, mpmath.mpf(0), gamma="L/lambda_k",
                          error_estimate=mpmath.mpf(0), dps=dps,
                          method="exact: Gamma = L Sigma^-1 gives (I - Gamma Sigma / L) = 0")
        tm = _mp(time)
        out = _zeta_flow_risk(spec, depth, tm, dps) if ZETA_MOMENTS else None
        if out is not None:
            val, err = out
            return Result("fs", params, _rd(val, dps), gamma=None,
                          error_estimate=err, dps=dps,
                          method="closed-form per-mode gradient flow; head + Hurwitz-zeta "
                                 "moments of the mode factor",
                          extra={"seconds": _time.perf_counter() - t0, "gamma_convention": _DIAG})
        s = spec.wsum(lambda l, w: mode_risk_factor(w * l ** 3 * tm, depth), 1, dps,
                      head=_head_hint(spec, time, depth), with_omega=True)
    return Result("fs", params, _rd(s.value, dps), gamma=None,
                  error_estimate=s.error, dps=dps,
                  method=f"closed-form per-mode gradient flow; {s.method}",
                  extra={"seconds": _time.perf_counter() - t0, "head": s.head,
                         "gamma_convention": _DIAG})


#: what stands for gamma after a finite FS training time: Γ is diagonal, no single scalar
_DIAG = "diagonal Gamma: each mode k follows its own closed-form flow gamma_k(t) (no scalar gamma)"


def _zeta_flow_risk(spec, depth, tm, dps):
    """``Σ_k ω_kλ_k φ_L(ω_kλ_k³ t)`` on a power law at dim = ∞ by head + Hurwitz-zeta moments
    (:mod:`solvers.zeta_moments`): ``ω_kλ_k³ = k^{−μ}/Z``, ``μ = s + 2ν``, and the mode factor
    is a kernel in ``y = k^{−μ}``: ``e^{−4ty/Z}`` (L = 1),
    ``(1 + 4(L−1)ty/(LZ))^{−L/(L−1)}`` (L ≥ 2), ``(1 + 4ty/Z)^{−1}`` (L = ∞).  None when it
    does not apply (explicit spectra, ≤ 64 modes, or a head beyond
    :data:`solvers.zeta_moments.K_MAX`).  A truncation to D modes subtracts ``ζ(x, D+1)``."""
    if not isinstance(spec, PowerLaw) or (spec.is_finite and spec.dim <= 64):
        return None
    sums = zm.power_law_sums(zm.exact_key(spec.nu), zm.exact_key(spec.beta),
                             spec.dim if spec.is_finite else None)
    Z = sums.constants(mpmath.mp.prec)[3]
    if tm == 0:
        return mpmath.mpf(1), mpmath.mpf(0)
    if is_inf(depth):
        kern = zm.power_kernel(mpmath.mpf(1), 4 * tm / Z)
    elif depth == 1:
        kern = zm.exp_kernel(-4 * tm / Z)
    else:
        L = mpmath.mpf(depth)
        kern = zm.power_kernel(L / (L - 1), 4 * (L - 1) * tm / (L * Z))
    return sums.wsum(kern, "fs", 0, dps + 3)


def mode_trajectories(k_list, times, nu=None, beta=None, depth=1, dim=math.inf, lam=None,
                      omega=None, dps=30) -> Result:
    """``γ_k(t)`` and ``risk_k(t)`` for modes ``k`` (1-based) at ``times`` (closed form).

    Returns a :class:`Result` with ``gamma[i][j] = γ_{k_i}(t_j)``, ``risk[i][j]`` the mode risk,
    and ``extra['k']``, ``extra['times']``.
    """
    dps = require_dps(dps)
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    spec = make_spectrum(nu=nu, beta=beta, dim=dim, lam=lam, omega=omega)
    ks = [require_int("k", kk, minimum=1) for kk in k_list]
    if spec.is_finite and max(ks) > spec.dim:
        raise ValueError(f"k={max(ks)} is invalid: k must be <= dim={spec.dim}")
    ts = [require_nonnegative("times", tt, allow_inf=True) for tt in times]
    lams, oms = spec.modes(max(ks), dps=dps)
    G, Rk = [], []
    for kk in ks:
        l, w = lams[kk - 1], oms[kk - 1]
        G.append([mpmath.mpf(depth) / l if is_inf(tt) and not is_inf(depth)
                  else (mpmath.inf if is_inf(tt) else mode_gamma_of_time(l, w, tt, depth, dps))
                  for tt in ts])
        Rk.append([mpmath.mpf(0) if is_inf(tt) else mode_risk_of_time(l, w, tt, depth, dps)
                   for tt in ts])
    return Result("fs", {"depth": depth, "nu": nu, "beta": beta, "dim": dim}, Rk, gamma=G,
                  method="closed-form per-mode gradient flow", dps=dps,
                  extra={"k": ks, "times": ts})


def _rotation_generator(dim, seed):
    import numpy as np
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((dim, dim))
    return (G - G.T) / math.sqrt(2 * dim)


def ood_risk(theta, depth, dim, nu=None, beta=None, S=None, seed=0, rotate_omega=True,
             lam=None, omega=None, dps=30, backend="auto") -> Result:
    """OOD risk of the trained ``Γ = LΣ⁻¹`` on ``Σ' = e^{θS}Σe^{−θS}`` (spec §4).

    ``S``: antisymmetric ``dim×dim`` array; default ``(G − Gᵀ)/√(2·dim)`` with ``G`` standard
    normal from ``seed`` (operator norm ≈ 2).  ``rotate_omega``: ``Ω' = e^{θS}Ωe^{−θS}`` (True)
    or ``Ω' = Ω`` (False).  Spectrum: power law ``(nu, beta)`` truncated to ``dim`` modes or
    explicit ``lam``/``omega``.  ``backend``: ``"mpmath"`` (``dps`` digits; O(dim³) pure Python,
    slow beyond dim ≈ 48), ``"numpy"`` (float64; error estimated by comparing the eigen form with
    a direct matrix power), ``"auto"`` (mpmath for dim ≤ 24).

    Returns the risk, ``extra['spectral_radius']`` ``r = max|1 − μ_i|`` of ``I − Σ⁻¹Σ'``,
    ``extra['mu']`` (eigenvalues of Σ⁻¹Σ'), ``extra['weights']`` (c_i; see module docstring).
    """
    theta = float(as_real("theta", theta))
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    dim = require_int("dim", dim, minimum=1)
    dps = require_dps(dps)
    require_choice("backend", backend, ("auto", "mpmath", "numpy"))
    spec = make_spectrum(nu=nu, beta=beta, dim=dim, lam=lam, omega=omega)
    if S is None:
        S = _rotation_generator(dim, seed)
    import numpy as np
    S = np.asarray(S, dtype=float)
    if S.shape != (dim, dim) or not np.allclose(S, -S.T, atol=1e-14):
        raise ValueError(f"S (shape {S.shape}) is invalid: S must be an antisymmetric "
                         f"{dim}x{dim} matrix")
    if backend == "auto":
        backend = "mpmath" if dim <= 24 else "numpy"
    params = {"theta": theta, "depth": depth, "dim": dim, "nu": nu, "beta": beta, "seed": seed,
              "rotate_omega": rotate_omega, "backend": backend}
    t0 = _time.perf_counter()
    if backend == "mpmath":
        out = _ood_mpmath(spec, S, theta, depth, rotate_omega, dps)
    else:
        out = _ood_numpy(spec, S, theta, depth, rotate_omega)
    val, err, r, mu, c = out
    return Result("fs", params, val, gamma="L/lambda_k (trained on Sigma)", error_estimate=err,
                  method=f"eigen-decomposition of Sigma^-1/2 Sigma' Sigma^-1/2 ({backend})",
                  dps=dps if backend == "mpmath" else 15,
                  extra={"spectral_radius": r, "mu": mu, "weights": c,
                         "seconds": _time.perf_counter() - t0})


def as_real(name, value):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} is invalid: {name} must be a finite real number")
    if not math.isfinite(v):
        raise ValueError(f"{name}={value!r} is invalid: {name} must be a finite real number")
    return v


def _ood_sum(mu, c, depth):
    """``Σ_i c_i μ_i (1 − μ_i)^{2L}`` (depth = inf: 0 if all |1 − μ| < 1, else inf)."""
    if is_inf(depth):
        r = max(abs(1 - m) for m in mu)
        if r < 1:
            return 0
        return float("inf") if r > 1 else sum(ci * m for ci, m in zip(c, mu) if abs(1 - m) == 1)
    return None


def _ood_mpmath(spec, S, theta, depth, rotate_omega, dps):
    with mpmath.workdps(dps + GUARD_DIGITS):
        lams, oms = spec.modes(dps=dps)
        n = len(lams)
        Sm = mpmath.matrix([[mpmath.mpf(float(S[i, j])) for j in range(n)] for i in range(n)])
        Q = mpmath.expm(theta * Sm) if theta != 0 else mpmath.eye(n)
        sq = [mpmath.sqrt(l) for l in lams]
        # B = Σ^{-1/2} Q Σ Qᵀ Σ^{-1/2}
        QL = Q * mpmath.diag(lams)
        Sp = QL * Q.T
        B = mpmath.matrix(n, n)
        for i in range(n):
            for j in range(n):
                B[i, j] = Sp[i, j] / (sq[i] * sq[j])
        B = (B + B.T) / 2
        mu, V = mpmath.eigsy(B)
        Om = mpmath.diag(oms)
        Omp = Q * Om * Q.T if rotate_omega else Om
        W = mpmath.matrix(n, n)
        for i in range(n):
            for j in range(n):
                W[i, j] = sq[i] * Omp[i, j] * sq[j]
        C = V.T * W * V
        mu = [mu[i] for i in range(n)]
        c = [C[i, i] for i in range(n)]
        r = max(abs(1 - m) for m in mu)
        special = _ood_sum(mu, c, depth)
        if special is not None:
            return mpmath.mpf(special), mpmath.mpf(0), r, mu, c
        terms = [ci * m * pow1m(m, 2 * depth) for ci, m in zip(c, mu)]
        val = mpmath.fsum(terms)
        # eigen-decomposition accuracy: perturbations of μ of size eps·‖B‖ enter through
        # d/dμ[μ(1−μ)^{2L}] = (1−μ)^{2L−1}(1 − (2L+1)μ)
        deriv = mpmath.fsum(abs(ci * pow1m(m, 2 * depth - 1) * (1 - (2 * depth + 1) * m))
                            for ci, m in zip(c, mu))
        normB = max(abs(m) for m in mu)
        err = n * mpmath.eps * (mpmath.fsum(abs(x) for x in terms) + deriv * normB)
        return +val, err, +r, mu, c


def _ood_numpy(spec, S, theta, depth, rotate_omega):
    import numpy as np
    from scipy.linalg import expm
    lams, oms = spec.modes(dps=15)
    lam = np.array([float(x) for x in lams])
    om = np.array([float(x) for x in oms])
    Q = expm(theta * S)
    Sp = (Q * lam) @ Q.T
    sq = np.sqrt(lam)
    B = Sp / np.outer(sq, sq)
    B = (B + B.T) / 2
    mu, V = np.linalg.eigh(B)
    Omp = (Q * om) @ Q.T if rotate_omega else np.diag(om)
    C = V.T @ (Omp * np.outer(sq, sq)) @ V
    c = np.diag(C)
    r = float(np.max(np.abs(1 - mu)))
    special = _ood_sum(mu, c, depth)
    if special is not None:
        return float(special), 0.0, r, mu.tolist(), c.tolist()
    with np.errstate(over="ignore"):
        terms = c * mu * (1 - mu) ** (2 * depth)
    val = float(np.sum(terms))
    eps = np.finfo(float).eps
    # independent evaluation by the matrix power (I − Σ⁻¹Σ')^L for moderate depth
    err_direct = 0.0
    if depth <= 4096:
        A = np.eye(len(lam)) - Sp / lam[:, None]
        M = np.linalg.matrix_power(A, int(depth))
        direct = float(np.trace((Omp) @ M.T @ Sp @ M))
        err_direct = abs(direct - val)
    deriv = np.sum(np.abs(c * (1 - mu) ** (2 * depth - 1) * (1 - (2 * depth + 1) * mu)))
    err = max(err_direct, len(lam) * eps * (np.sum(np.abs(terms)) + deriv * np.max(mu)))
    return val, float(err), r, mu.tolist(), c.tolist()
