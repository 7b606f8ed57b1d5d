"""FS — fixed structured covariance at infinite context (spec §4), symbolically (sympy only).

With ``Σ̂ = Σ = diag(λ_k)``, ``Ω = diag(ω_k)`` (spectrum weights, ``Σ_k ω_kλ_k = 1``) and a
diagonal preconditioner ``Γ = diag(γ_k)`` the modes decouple:

    R = Σ_k ω_k λ_k (1 − γ_k λ_k / L)^{2L}          (L → ∞:  Σ_k ω_k λ_k e^{−2γ_kλ_k}).

Gradient flow convention (spec §7): ``dΓ/dt = −∇_Γ R`` (full gradient, not ½∇R), hence
``dγ_k/dt = 2 ω_k λ_k² (1 − γ_kλ_k/L)^{2L−1}`` from ``γ_k(0) = 0``.  The flow is separable and
solved here in closed form (:func:`mode_gamma_of_time`):

    L = 1:   γ_k(t) = (1 − e^{−2ω_kλ_k³ t}) / λ_k,            risk_k = ω_kλ_k e^{−4ω_kλ_k³t};
    L ≥ 2:   (1 − γ_kλ_k/L)^{−(2L−2)} = 1 + 4 (L−1)/L · ω_kλ_k³ t,
             risk_k = ω_kλ_k (1 + 4 (L−1)/L · ω_kλ_k³ t)^{−L/(L−1)};
    L = ∞:   e^{2γ_kλ_k} = 1 + 4ω_kλ_k³t,                     risk_k = ω_kλ_k / (1 + 4ω_kλ_k³t).

``Γ = L Σ^{-1}`` (``γ_k = L/λ_k``) gives zero risk at every depth.  On a power law
(``ω_kλ_k³ ∝ k^{−νβ−1−2ν}``) the unlearned modes at time t are ``k > k* ∝ t^{1/(νβ+2ν+1)}`` and
the risk decays as ``t^{−νβ/(νβ+2ν+1)}`` (:func:`time_exponent`), not the printed β/(ν+νβ+1).

Out of distribution (brittleness): the trained ``Γ = LΣ^{-1}`` tested on ``Σ'``, ``Ω'`` has
``R_OOD = tr[Ω' ((I − Σ⁻¹Σ')^L)ᵀ Σ' (I − Σ⁻¹Σ')^L] / D`` (:func:`ood_risk`).
"""
from __future__ import annotations

import sympy as sp

from theory.parse import sympify_value
from theory.symbols import L, beta, gamma, lam, nu, t, theta

__all__ = ["omega", "u", "mode_risk", "mode_flow", "mode_gamma_of_time", "mode_risk_of_time",
           "check_mode_flow", "time_exponent", "rotated", "ood_matrix", "ood_risk",
           "ood_risk_spectrum"]

#: task variance of one mode
omega = sp.Symbol("omega", positive=True)
#: per-mode contraction factor ``u = 1 − γλ/L``
u = sp.Symbol("u", positive=True)
_g = sp.Symbol("g", nonnegative=True)


def _depth(depth):
    return sp.oo if depth in (sp.oo, float("inf")) else sympify_value(depth, "depth")


def mode_risk(depth=L, g=gamma):
    """Risk of one mode with preconditioner entry ``g``: ``ωλ(1 − gλ/L)^{2L}``, or ``ωλe^{−2gλ}``
    at ``depth = oo``."""
    depth = _depth(depth)
    if depth == sp.oo:
        return omega * lam * sp.exp(-2 * g * lam)
    return omega * lam * (1 - g * lam / depth) ** (2 * depth)


def mode_flow(depth=L, g=gamma):
    """Right-hand side of ``dγ_k/dt = −∂R/∂γ_k`` (derived, not typed):
    ``2ωλ²(1 − γλ/L)^{2L−1}``."""
    return sp.simplify(-sp.diff(mode_risk(depth, _g), _g)).subs(_g, g)


def _time_to_reach(depth):
    """``t(γ) = ∫_0^γ dg / flow(g)`` for one mode, by sympy integration in ``u = 1 − gλ/L``."""
    depth = _depth(depth)
    if depth == sp.oo:
        return sp.integrate(1 / mode_flow(depth, _g), (_g, 0, gamma))
    # dg = −(L/λ) du;  flow = 2ωλ² u^{2L−1}
    integrand = (depth / lam) / (2 * omega * lam ** 2) * u ** (1 - 2 * depth)
    return sp.integrate(integrand, (u, 1 - gamma * lam / depth, 1), conds="none")


def mode_gamma_of_time(depth=L):
    """Closed-form solution ``γ_k(t)`` of the per-mode flow from ``γ_k(0) = 0``.

    Obtained by separation of variables (:func:`_time_to_reach`) and inversion; ``depth`` is a
    positive integer, the symbol :data:`theory.symbols.L` (meaning ``L ≥ 2``), or ``oo``.
    """
    depth = _depth(depth)
    T = _time_to_reach(depth)
    if isinstance(T, sp.Piecewise):  # symbolic L: the branch L ≠ 1
        T = T.args[0][0]
    if depth == sp.oo:
        sols = sp.solve(sp.Eq(T, t), gamma)
        return sp.simplify(sols[0])
    if depth == 1:
        sols = sp.solve(sp.Eq(T, t), gamma)
        return sp.simplify(sols[0])
    # solve for v = (1 − γλ/L)^{2−2L}, which enters linearly
    v = sp.Symbol("v", positive=True)
    Tv = T.subs((1 - gamma * lam / depth) ** (2 - 2 * depth), v)
    Tv = Tv.replace(lambda e: e.is_Pow and e.base == 1 - gamma * lam / depth,
                    lambda e: v ** (e.exp / (2 - 2 * depth)))
    vsol = sp.solve(sp.Eq(Tv, t), v)[0]
    usol = vsol ** (1 / (2 - 2 * depth))
    return sp.simplify(depth * (1 - usol) / lam)


def mode_risk_of_time(depth=L):
    """Per-mode risk along the flow, ``ωλ(1 − γ_k(t)λ/L)^{2L}`` (or the L = ∞ form)."""
    depth = _depth(depth)
    r = mode_risk(depth, mode_gamma_of_time(depth))
    return sp.simplify(sp.powsimp(sp.expand_power_base(r, force=True), force=True))


def check_mode_flow(depth=L):
    """Residual ``dγ/dt − flow(γ(t))`` of the closed form (simplifies to 0) and ``γ(0)``."""
    depth = _depth(depth)
    g_t = mode_gamma_of_time(depth)
    res = sp.diff(g_t, t) - mode_flow(depth, g_t)
    res = sp.powdenest(sp.expand_power_base(res, force=True), force=True)
    return sp.simplify(sp.powsimp(res, force=True)), \
        sp.simplify(g_t.subs(t, 0))


def time_exponent():
    """FS time exponent on a power law, derived from the mode cutoff.

    Mode k is learned once ``4ω_kλ_k³ t ≳ 1`` with ``ω_kλ_k³ ∝ k^{−(νβ+1+2ν)}``, so
    ``k* = t^{1/(νβ+1+2ν)}`` and the unlearned tail ``Σ_{k>k*} k^{−νβ−1} ∝ k*^{−νβ}``.
    Returns ``a`` in ``R ∝ t^{−a}``.
    """
    kstar = sp.Symbol("kstar", positive=True)
    rate_exponent = sp.simplify(-sp.log((kstar ** (-nu * beta - 1)) * (kstar ** (-nu)) ** 2)
                                / sp.log(kstar))  # ω λ³ ∝ k^{-rate_exponent}
    kstar_of_t = sp.solve(sp.Eq(kstar ** rate_exponent, t), kstar)[0]
    risk = kstar_of_t ** (-nu * beta)
    return sp.simplify(-sp.log(sp.powsimp(risk, force=True)).expand(force=True) / sp.log(t))


def rotated(M, S, th=theta):
    """``e^{θS} M e^{−θS}`` for an explicit antisymmetric sympy matrix ``S``."""
    R = (th * S).exp()
    return sp.simplify(R * M * R.T)


def ood_matrix(Sigma, Sigma_test, depth=L):
    """``(I − Σ⁻¹Σ')^L`` — the weight-error map of the trained ``Γ = LΣ⁻¹`` on ``Σ'``."""
    n = Sigma.shape[0]
    return (sp.eye(n) - Sigma.inv() * Sigma_test) ** depth


def ood_risk(Sigma, Omega, Sigma_test, Omega_test=None, depth=L):
    """``R_OOD = tr[Ω' Mᵀ Σ' M] / D``, ``M = (I − Σ⁻¹Σ')^L`` (matrices; ``Ω' = Ω`` if None).

    Normalisation as spec §1 (``tr(ΩΣ)/D = 1``).  Both choices of test task covariance are
    meaningful: ``Ω'`` rotated with ``Σ'`` (the whole task distribution moved) or ``Ω`` unchanged.
    """
    n = Sigma.shape[0]
    Om = Omega if Omega_test is None else Omega_test
    M = ood_matrix(Sigma, Sigma_test, depth)
    return (Om * M.T * Sigma_test * M).trace() / n


def ood_risk_spectrum(lams, omegas, S, depth=L, th=theta, rotate_omega=True):
    """OOD risk on ``Σ' = e^{θS}Σe^{−θS}`` with spectrum weights ω (``Σ_k ω_kλ_k = 1``):
    ``tr[Ω'_w Mᵀ Σ' M]`` with ``Ω_w = diag(ω)`` (= the matrix form with ``Ω = D·diag(ω)``)."""
    Sigma = sp.diag(*lams)
    Om = sp.diag(*omegas)
    Sp = rotated(Sigma, S, th)
    Omp = rotated(Om, S, th) if rotate_omega else Om
    n = len(lams)
    return sp.simplify(ood_risk(Sigma, n * Om, Sp, n * Omp, depth))
