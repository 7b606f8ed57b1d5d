"""Training dynamics (spec §7, docs/theory.md §8 "SGD at depth 1"), symbolically (sympy only).

Gradient-flow convention.  Every flow is ``dΓ/dt = −∇_Γ R`` with the full gradient (never
``−½∇R``).  For the scalar states used in ISO and RRS (``Γ = γI``) the gradient is taken with
respect to γ, ``dγ/dt = −dR/dγ`` — i.e. ``dΓ/dt = −D ∇_Γ R`` with the Frobenius gradient, the
gradient for the normalised inner product ``⟨A, B⟩ = tr(AᵀB)/D``.  FS is flowed per mode,
``dγ_k/dt = −∂R/∂γ_k`` (:mod:`theory.fs`).

Online SGD (depth 1, ISO).  A step draws ``B = τD`` fresh contexts of ``P = αD`` pairs and
``K = κD`` labelled query points each (query labels carry the same noise ``σε``) and moves

    Γ ← Γ + η G,   G = −(D/2) ∇_Γ ℓ̂,   ℓ̂ = mean over the B·K queries of (f(x) − y)²,

so that ``E G = I − c_D Γ`` and one SGD step advances the scalar flow ``dγ/dt = −dR/dγ`` by
``η/2`` (the per-mode FS flow by ``ηD/2``).  :func:`sgd_depth1` derives, from Gaussian second and
fourth moments only, the recursion ``C(n+1) = a C(n) + b`` for ``C = E|Γ − Γ*|²_F/D`` in the
proportional limit; :mod:`theory.sgd_finite` derives the exact map at finite ``D, P, K, B``.
Findings against docs/theory.md §8:

* ``a = (1 − ηc)² + (η²/τ)(1 + 1/κ)c²`` with ``c = 1 + (1 + σ²)/α`` — as printed;
* ``b = (η²/τ)[(1 + 1/κ)(1 + σ²)/α + c σ²/κ]``: docs/theory.md §8 omits ``c σ²/κ``, the noise of the
  *query* labels in the stochastic gradient (it is absent only if queries are noise-free;
  ``query_noise=False`` reproduces the printed b);
* ``C(0) = |Γ*|²/D = (α/(α + 1 + σ²))²`` from ``Γ(0) = 0`` — as corrected in docs/theory.md §8;
* at finite size C alone does not close: exactly ``E C(n+1) = a_D C(n) + a_m m(n) + b_D`` with
  ``m = tr(Γ − Γ*)/D`` (:func:`theory.sgd_finite.sgd_step`; the map needs only C and m of
  Γ_n, for any Γ_n); ``a_D − a``, ``a_m``, ``b_D − b`` are O(1/D) but large at small α and
  batch: at α = κ = 1, η = 0.02, D = 128, B = 12 the risk floor is 0.914 (the simulator: 0.915
  ± 0.001), against 0.893 with the concentration step and 0.886 at D = ∞ (τ = B/D);
* the ICL excess risk is exactly quadratic in Γ: ``R(Γ) = c|Γ − Γ*|²/D + R*`` with
  ``R* = (1 + σ²)/(α + 1 + σ²)`` the depth-1 optimum, hence ``E R(Γ_n) = c C(n) + R*`` (at
  ``C = 0`` this is R*, as it must be);
* the paper's proxy ``E|Γ − I|²/D`` is ``C(n) + 2(1/c − 1) m(n) + (1 − 1/c)²`` with the mean
  deviation ``m(n) = E tr(Γ_n − Γ*)/D = −(1 − ηc)^n / c``; it starts at 1 and does not tend to
  the risk.
"""
from __future__ import annotations

from types import SimpleNamespace

import sympy as sp

from theory import fs as tfs
from theory import iso as tiso
from theory import rrs as trrs
from theory import sgd_finite as tsf
# the SGD symbols η, τ_B, κ, n are re-exported here for callers of this module
from theory.symbols import L, alpha, eta, gamma, kappa, n_step, sigma2, t, tau_batch

__all__ = ["eta", "tau_batch", "kappa", "n_step", "iso_flow", "iso_depth1_flow", "fs_mode_flow",
           "rrs_flow", "time_to_reach", "gaussian_moments", "sgd_depth1", "sgd_solution",
           "stability_boundary"]

# finite sizes for the exact-moment stage of the derivation
_D, _P, _K, _B = tsf.D, tsf.P, tsf.K, tsf.B
_g = sp.Symbol("g", nonnegative=True)


# --------------------------------------------------------------------------- gradient flows

def iso_flow(depth, sigma2=sigma2, alpha=alpha, g=gamma):
    """ISO right-hand side ``dγ/dt = −∂R/∂γ`` (a polynomial in γ of degree 2L − 1, MP moments
    substituted), derived by differentiating :func:`theory.iso.risk_expr`."""
    return sp.expand(-sp.diff(tiso.risk_expr(depth, sigma2, alpha, _g), _g)).subs(_g, g)


def time_to_reach(flow_rhs, g=gamma, g0=0):
    """``t(γ) = ∫_{γ0}^{γ} dg / V(g)`` of the autonomous scalar flow ``dγ/dt = V(γ)``."""
    return sp.integrate(1 / flow_rhs.subs(g, _g), (_g, g0, g), conds="none")


def iso_depth1_flow():
    """Closed-form depth-1 ISO flow: ``dγ/dt = 2(1 − cγ)``, ``c = 1 + (1 + σ²)/α``, so
    ``γ(t) = (1 − e^{−2ct})/c`` and ``R(t) = R* + (1 − R*) e^{−4ct}``.

    Returns a namespace with ``c``, ``rhs``, ``gamma_of_time``, ``risk_of_time``, ``risk_star``;
    the solution is obtained by ``dsolve`` and checked against the ODE."""
    c = sp.factor(1 + (1 + sigma2) / alpha)
    rhs = iso_flow(1)
    assert sp.simplify(rhs - 2 * (1 - c * gamma)) == 0
    f = sp.Function("f")
    sol = sp.dsolve(sp.Eq(f(t).diff(t), rhs.subs(gamma, f(t))), f(t), ics={f(0): 0}).rhs
    sol = sp.simplify(sol)
    assert sp.simplify(sol.diff(t) - rhs.subs(gamma, sol)) == 0 and sol.subs(t, 0) == 0
    R = tiso.risk_expr(1)
    risk_t = sp.simplify(R.subs(gamma, sol))
    r_star = sp.factor(sp.simplify(R.subs(gamma, 1 / c)))
    return SimpleNamespace(c=c, rhs=rhs, gamma_of_time=sol, risk_of_time=risk_t,
                           risk_star=r_star)


def fs_mode_flow(depth=L):
    """FS per-mode flow ``dγ_k/dt = 2ω_kλ_k²(1 − γ_kλ_k/L)^{2L−1}`` (:func:`theory.fs.mode_flow`)
    and its closed-form solution (:func:`theory.fs.mode_gamma_of_time`)."""
    return tfs.mode_flow(depth), tfs.mode_gamma_of_time(depth)


def rrs_flow(depth=L, modes=None):
    """RRS scalar flow ``dγ/dt = 2Σ_k ω_kλ_k²(1 − γλ_k/L)^{2L−1}`` (:func:`theory.rrs.flow`)
    and the full-attention flow ``dγ/dt = C γ^{8/5} F(γ)`` (:func:`theory.rrs.full_attention_flow`;
    the paper's Result 9; ``w = γ^{1/5}`` for the tied scalar ``γ = w⁵``)."""
    return trrs.flow(depth, gamma, modes), trrs.full_attention_flow()


# --------------------------------------------------------------------------- SGD, depth 1

def gaussian_moments():
    """The moment facts the SGD derivation uses, as exact finite-size expressions.

    For ``x ~ N(0, I_D)``: ``E[x xᵀ A x xᵀ] = A + Aᵀ + tr(A) I`` (Isserlis), so with
    ``Σ̂ = XᵀX/P`` and ``h = Xᵀy/P``, ``y = Xβ/√D + σε``, ``β ~ N(0, I)``:

    * ``E Σ̂² = (1 + (D + 1)/P) I``  ⇒  ``E hhᵀ = c_D I/D``, ``c_D = 1 + (D + 1 + σ²D)/P``;
    * ``E β hᵀ/√D = I/D``;
    * per query average ``r = K⁻¹Σ_k x_k(x_kᵀe + σε_k)`` at fixed weight error e:
      ``E|r|² = |e|²(1 + (D + 1)/K) + σ²D/K`` (``E|x|²(xᵀe)² = (D + 2)|e|²``).

    The fourth moments are recomputed here from the scalar Isserlis sums (3 pairings of 4
    indices) rather than typed."""
    # E[x_i x_j x_k x_l] = δ_ij δ_kl + δ_ik δ_jl + δ_il δ_jk.  Contract for E|x|²(xᵀe)²:
    # pairings (ij)(kl) with i=j summed: D|e|²; the two others give |e|² each.
    e2 = sp.Symbol("e2", nonnegative=True)  # |e|²
    fourth_xxe = _D * e2 + 2 * e2
    # E[(xᵀx)(xᵀx)] traced the same way: D² + 2D  ⇒  E[x xᵀ x xᵀ] = (D + 2) I
    fourth_xx = (_D ** 2 + 2 * _D) / _D
    ESigma2 = sp.simplify(((_P - 1) + fourth_xx) / _P)  # (P(P−1)·1 + P(D+2)) / P²
    c_D = sp.simplify(ESigma2 + sigma2 * _D / _P)
    Er2 = sp.expand(e2 + (fourth_xxe + sigma2 * _D - e2) / _K)
    return SimpleNamespace(ESigma2=ESigma2, c_D=c_D, Er2=Er2, e2=e2)


def sgd_depth1(query_noise=True):
    """Derive the SGD recursion ``C(n+1) = a C(n) + b`` for ``C = E|Γ − Γ*|²_F/D``, ISO, depth 1.

    With ``Δ = Γ − Γ*``, ``E G = −c_D Δ`` and ``G = B⁻¹Σ_b g_b``, ``g_b = D r_b h_bᵀ``:

        E|Δ + ηG|²/D = C − 2ηc_D C + η²[(1 − 1/B) c_D² C + (D/B) E(|r|²|h|²)],

    where ``E(|r|²|h|²) → E|r|² · c_D`` (both concentrate; their covariance is O(1/D), so it
    vanishes as D → ∞) and ``E|e|² = R(Γ) = c_D C + R*_D``.  That concentration step is exact
    only in the limit: at finite D the covariance of |h|² with |e|² and ``E|h|⁴ − c_D²`` are
    O(1/D) with large constants (``≈ 28/D`` relative at α = 1) and the map also depends on
    ``m = tr(Γ − Γ*)/D``; the exact finite-size map is :func:`theory.sgd_finite.sgd_step`, whose
    proportional limit is checked to coincide with ``a``, ``b`` below.

    Returns a namespace: ``concentration`` (a_D, b_D with the concentration step at finite
    size — not exact, kept to show what it misses), ``a``, ``b`` (proportional limit ``P = αD``, ``K = κD``, ``B = τD``,
    ``D → ∞``), ``c``, ``gamma_star``, ``risk_star``, ``C0``, ``risk`` (``E R`` as a function of
    C), ``floor`` (``b/(1 − a)``), ``risk_floor``, ``eta_max`` (``a = 1``)."""
    m = gaussian_moments()
    C = sp.Symbol("C", nonnegative=True)
    c_D = m.c_D
    s2q = sigma2 if query_noise else 0
    risk_star_D = 1 - 1 / c_D  # min over Γ of c_D|Γ|²/D − 2trΓ/D + 1
    Er2 = m.Er2.subs(sigma2, s2q).subs(m.e2, c_D * C + risk_star_D) if query_noise else \
        m.Er2.subs(sigma2, 0).subs(m.e2, c_D * C + risk_star_D)
    next_C = (C - 2 * eta * c_D * C
              + eta ** 2 * ((1 - 1 / _B) * c_D ** 2 * C + (_D / _B) * Er2 * c_D))
    next_C = sp.expand(next_C)
    a_D = sp.simplify(next_C.coeff(C, 1))
    b_D = sp.simplify(next_C.coeff(C, 0))
    prop = {_P: alpha * _D, _K: kappa * _D, _B: tau_batch * _D}
    a = sp.simplify(sp.limit(a_D.subs(prop), _D, sp.oo))
    b = sp.simplify(sp.limit(b_D.subs(prop), _D, sp.oo))
    c = sp.simplify(sp.limit(c_D.subs(prop), _D, sp.oo))
    gamma_star = 1 / c
    risk_star = sp.factor(sp.simplify(1 - 1 / c))
    C0 = sp.factor(gamma_star ** 2)  # Γ(0) = 0: |0 − Γ*|²/D
    floor = sp.simplify(b / (1 - a))
    roots = [r for r in sp.solve(sp.Eq(a, 1), eta) if r != 0]
    (eta_max,) = roots
    return SimpleNamespace(concentration=SimpleNamespace(a=a_D, b=b_D, c=c_D, D=_D, P=_P, K=_K,
                                                         B=_B),
                           a=a, b=b, c=c, gamma_star=gamma_star, risk_star=risk_star, C0=C0,
                           C=C, risk=c * C + risk_star, floor=floor,
                           risk_floor=sp.simplify(c * floor + risk_star),
                           eta_max=sp.factor(eta_max))


def sgd_solution(query_noise=True):
    """Closed forms at step n: ``C(n) = aⁿ(C0 − C∞) + C∞``, ``E R = c C(n) + R*``, mean
    deviation ``m(n) = −(1 − ηc)ⁿ/c`` and the proxy ``E|Γ − I|²/D = C + 2(1/c − 1)m + (1 − 1/c)²``.
    """
    s = sgd_depth1(query_noise)
    Cinf = s.floor
    Cn = s.a ** n_step * (s.C0 - Cinf) + Cinf
    mn = -(1 - eta * s.c) ** n_step / s.c
    proxy = Cn + 2 * (1 / s.c - 1) * mn + (1 - 1 / s.c) ** 2
    return SimpleNamespace(C=Cn, risk=s.c * Cn + s.risk_star, mean=mn, proxy=proxy, base=s)


def stability_boundary(query_noise=True):
    """``η_max = 2τ/(c(τ + 1 + 1/κ))``: ``a < 1`` iff ``0 < η < η_max`` (a is a convex quadratic
    in η with ``a(0) = 1``)."""
    return sgd_depth1(query_noise).eta_max
