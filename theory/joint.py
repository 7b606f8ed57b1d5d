"""The joint case (finite width *and* finite context, RRS), symbolically: a nested deterministic
equivalent (sympy only).

Model.  The weight error after L GD steps is ``p(M₀)β`` (plus a label-noise term), with
``M₀ = P̃ Σ̂``: ``P̃`` a Haar rank-N projection (``α_N = N/D``), ``Σ̂ = Λ^{1/2} W Λ^{1/2}``
the sample covariance of ``P = αD`` points (``W`` Wishart, ratio ``q = D/P``).  Under RRS the covariance is
rotated per context, so ``P̃`` is free from ``{Σ̂, Λ, Ω}``.  The bias needs
``F(z, z') = tr Λ (z + M₀)⁻¹ Ω (z' + M₀ᵀ)⁻¹`` (test ``T = Λ``, source ``C = Ω``).

Step 1 — the Haar average over ``P̃`` at fixed ``S = Σ̂`` (docs/theory.md §8 with ``A = S``, ``B = P̃``).
One point: ``(z + P̃S)⁻¹ ≍ (z + ΨS)⁻¹``, ``Ψ = (α_N − τ)/(1 − τ)``, ``x = z/Ψ``,
``τ = tr S(x + S)⁻¹`` (:func:`conditional_one_point`).  Woodbury with ``P̃ = QQᵀ`` gives
``(z + P̃S)⁻¹ = (I − 𝒬S)/z`` and ``(z + P̃S)⁻¹P̃ = 𝒬``, ``𝒬 = Q(z + QᵀSQ)⁻¹Qᵀ ≍ r = (x + S)⁻¹``
(the sketched resolvent): the noise term needs only this one-point object.
Two points: ``F ≍ tr T R C R' − Ψ_χχ tr T R R'``, ``R = (z + ΨS)⁻¹ = r/Ψ``,
``Ψ_χχ = c·num/(1 + c𝒜)``, ``num = tr C S² R R'``, ``𝒜 = tr S² R R'``,
``c`` = :func:`theory.width.c_closed`.

*Operator ordering.*  ``S`` does not commute with ``T`` or ``C``, but ``R``, ``R'`` and ``S`` are
functions of the same matrix and commute with each other, and C (resp. T) appears once in each
trace; so ``tr[C S R S R'] = tr[C R S² R'] = tr[C S² R R']`` etc. — every placement of the
commuting factors around the single non-commuting one gives the same trace, and the first term is
``tr[T R C R']`` in the order of the resolvents.  Why the correction is ``scalar × R R'``:
in block form ``𝒬(z)Θ𝒬(z')`` is the off-diagonal block of the resolvent of
``diag(Q,Q)ᵀ[[S, −εΘ],[0, S]]diag(Q,Q)``, whose M₂-valued subordination keeps the form
``(𝕩 + 𝕊)⁻¹`` with an upper-triangular 2×2 ``𝕩``; its off-diagonal block is
``ε(rΘr' − ξ₀ r r')``, so ``𝒬Θ𝒬' ≍ rΘr' + ξ rr'`` with a scalar ξ linear in Θ.  Its value at
``z = z'`` follows from differentiating the one-point law in ``S → S − εΘ``
(:func:`check_equal_point_derivative`: it equals the dmft Dyson form for *any* Θ, no
commutation assumed), and case W (Monte-Carlo checked for all diagonal Θ) fixes ξ as a functional
``tr[Θ h(S)]`` with ``h = r r'`` away from the diagonal.

Step 2 — the Wishart average.  Every trace is a trace of resolvents of ``Σ̂`` against diagonal
matrices: ``r(x) ≍ (κ/x)ρ``, ``ρ = (κ + Λ)⁻¹``, ``x = κ(1 − S(κ)/P)`` (structured Wishart,
:func:`theory.freeprob.check_structured_wishart`), and the leave-one-out two-resolvent law
``tr[T₂ r T₁ r'] ≍ (κκ'/(xx'))[tr T₂ρT₁ρ' + (1/P)Tr[ΛρT₁ρ'] tr[T₂ρΛρ']/(1 − V)]``
(:func:`theory.freeprob.loo_two_point`), with ``Σ̂r = I − xr`` for the traces containing ``Σ̂``.
Products of traces concentrate, so the equivalent of ``F`` is ``F`` evaluated at these equivalents
(:func:`nested_two_point`).  Combining the two one-point laws gives the paper's pair of equations
(:func:`one_point`, :func:`check_paper_pair`):

    z = κ (1 − τ/α)(α_N − τ)/(1 − τ),      τ = tr Λ(κ + Λ)⁻¹.

In absolute sums (``S = Σ_kλ_kρ_k = Dτ``) and the normalised variable ``w = −zD/N``:
``−w = f(κ) = κ (1 − S/P) ψ_n``, ``ψ_n = (D/N)(N − S)/(D − S)``, and

    F = (κκ'/(ww')) H,   H = [U + ĉ Y (E U₂ + κκ' Y U/P)/(E(1 − ĉV_P) − ĉκκ'Y²/P)]/E

(:func:`kernel`; sums ``U = Σωλρρ'``, ``U₂ = Σωλ²ρρ'``, ``Y = Σλρρ'``, ``V_P = Σλ²ρρ'``,
``E = 1 − V_P/P``, ``ĉ = (D − N)/[(N − S)(N − S') + N(D − N)]``).  Reductions
(:func:`reductions`): ``N = D`` is case C's ``U/E``; ``P → ∞`` is case W's
``A_ωλ + ĉ A_ωλ² A_λ/(1 − ĉ A_λ²)``.  The noise term is
``(σ²/P) (2πi)⁻¹∮ ψ(w)² G S dw`` with ``G = κψ_n`` (:func:`noise_kernel`).

Checks: :func:`depth1_check` (the large-w expansion of the nested F and noise kernel against the
exact Haar × Wishart moments of depth 1, leading order in D), :func:`ridgeless_forms` (the
``L = ∞, γ → ∞`` residue in closed form: ``N < P`` gives the least-squares law
``R_W(N)·P/(P − N) + σ²N/(P − N)``).
"""
from __future__ import annotations

from types import SimpleNamespace

import sympy as sp

from theory import width as tw
from theory.symbols import N, P, alpha, alpha_N, tau, tau2, z

__all__ = ["kap", "kap2", "x", "x2", "D", "S", "S2", "one_point", "check_paper_pair",
           "conditional_one_point", "check_equal_point_derivative", "conditional_two_point",
           "wishart_traces", "nested_two_point", "kernel", "check_nested_kernel",
           "reductions", "noise_kernel", "check_noise_kernel", "absolute_regime",
           "ridgeless_forms", "depth1_check", "depth1_closed_form", "check_depth1_closed_form",
           "T_mom", "s_mom", "gamma_n"]

#: Wishart renormalised arguments κ = κ(x), κ' and the Σ̂-side arguments x = x_Σ̂(τ), x'
kap, kap2 = sp.symbols("kappa kappa'")
x, x2 = sp.symbols("x x'")
#: dimension (mode count) and absolute one-point sums S = Σ λ/(κ + λ) at the two points
D = sp.Symbol("D", positive=True)
S, S2 = sp.symbols("S S'")
#: absolute pair sums (functions of κ, κ'): U = Σωλρρ', U₂ = Σωλ²ρρ', Y = Σλρρ', V_P = Σλ²ρρ'
U, U2, Y, VP = sp.symbols("U U_2 Y V_P")
#: the same sums with Ω replaced by I (needed for tr Ω r r' and tr r r'): W0 = Σωρρ', Z0 = Σρρ'
W0 = sp.Symbol("W_0")


# ---------------------------------------------------------------------------------------------
# one point
# ---------------------------------------------------------------------------------------------
def one_point(t=tau, a_N=alpha_N, a=alpha):
    """``z(κ)`` from the two one-point laws: projection ``x_B(τ) = α_N/τ − 1``, sample covariance
    ``x_Σ̂(τ) = κ(1 − τ/α)`` with ``τ = tr Λ(κ + Λ)⁻¹`` (structured Wishart), combined by the
    free-product relation ``x_Σ̂ x_B = z(1 − τ)/τ``.  Returns ``z`` as an expression in κ, τ."""
    xs = kap * (1 - t / a)
    sol = sp.solve(sp.Eq(xs * (a_N / t - 1), z * (1 - t) / t), z)
    assert len(sol) == 1
    return sp.factor(sol[0])


def check_paper_pair():
    """The paper's pair (appendix "orthogonal projection and structured Wishart"):
    ``(α_N/τ − 1) x_Σ̂ = (1/τ − 1) z`` and ``τ = tr Λ(x_Σ̂(1 − τ/α)⁻¹ + Λ)⁻¹``, i.e. the
    renormalised argument is ``κ = z(1/τ − 1)(α_N/τ − 1)⁻¹(1 − τ/α)⁻¹``.  Returns the
    simplified difference between that κ and the inverse of :func:`one_point` (0), and the
    absolute-sum form ``f(κ) = −w = κ(1 − S/P)(D/N)(N − S)/(D − S)`` minus ``−zD/N`` (0)."""
    kappa_paper = z * (1 / tau - 1) / ((alpha_N / tau - 1) * (1 - tau / alpha))
    kappa_ours = sp.solve(sp.Eq(one_point(), z), kap)[0]
    d1 = sp.simplify(kappa_paper - kappa_ours)
    f_abs = kap * (1 - S / P) * (D / N) * (N - S) / (D - S)
    subs = {tau: S / D, alpha_N: N / D, alpha: P / D}
    d2 = sp.simplify(f_abs - one_point().subs(subs) * D / N)
    return d1, d2


def conditional_one_point(t=tau, a_N=alpha_N):
    """At fixed ``S``: ``x(α_N − τ) = z(1 − τ)`` (docs/theory.md §8 case-W relation with A = S),
    ``Ψ = z/x = (α_N − τ)/(1 − τ)``.  Returns (x, Ψ) in terms of z, τ."""
    xs = sp.solve(tw.one_point_relation(t, z, a_N), tw.x)
    assert len(xs) == 1
    return xs[0], sp.simplify(z / xs[0])


# ---------------------------------------------------------------------------------------------
# conditional two point (fixed S, arbitrary test/source matrices)
# ---------------------------------------------------------------------------------------------
def check_equal_point_derivative():
    """At ``z = z'``: ``𝒬Θ𝒬 = −∂_ε 𝒬|_{S → S − εΘ}`` with ``𝒬 ≍ (x_ε + S − εΘ)⁻¹`` gives
    ``𝒬Θ𝒬 ≍ rΘr − (dx/dε) r²`` for an arbitrary (non-commuting) Θ, where differentiating
    ``x(α_N − τ) = z(1 − τ)``, ``τ = 1 − x tr r`` at fixed z gives
    ``dx/dε = −(x − z) x tr(Θr²)/[(α_N − τ) + (x − z) tr(Sr²)]``.
    The dmft Dyson form says ``ξ = −x x' c tr(Θrr')/(ΨΨ' + c tr(S²rr'))`` (``num``, ``𝒜`` in r
    form, ``tr S²r² = τ − x tr Sr²``).  Returns ``ξ_dmft − (−dx/dε)`` simplified (0)."""
    a1, tT = sp.symbols("a_1 t_Theta")           # tr S r², tr Θ r²
    a_N = alpha_N
    zz = x * (a_N - tau) / (1 - tau)
    dx = -(x - zz) * x * tT / ((a_N - tau) + (x - zz) * a1)
    Psi = (a_N - tau) / (1 - tau)
    c = tw.c_closed(tau, tau, a_N)
    b2 = tau - x * a1
    xi_dmft = -x * x * c * tT / (Psi * Psi + c * b2)
    return sp.simplify(xi_dmft - (-dx))


def conditional_two_point(trTrCr, trCSSrr, trSSrr, trTrr, t=tau, t2=tau2, a_N=alpha_N):
    """``Ψ Ψ' F`` at fixed S in terms of r-traces (``r = (x + S)⁻¹``):
    ``tr[T r C r'] + c₁ tr[C S² r r'] tr[T r r']/(1 − c₁ tr[S² r r'])``,
    ``c₁ = −c/(ΨΨ') = (1 − α_N)/[(α_N − τ)(α_N − τ') + α_N(1 − α_N)]`` (normalised traces)."""
    c1 = sp.simplify(-tw.c_closed(t, t2, a_N) / (tw.psi(t, z, a_N) * tw.psi(t2, z, a_N)))
    return trTrCr + c1 * trCSSrr * trTrr / (1 - c1 * trSSrr), c1


# ---------------------------------------------------------------------------------------------
# Wishart step
# ---------------------------------------------------------------------------------------------
def wishart_traces(n_modes=2):
    """Absolute-trace equivalents over W (``φ = 1 − S/P``, ``κκ'/(xx') = 1/(φφ')``,
    ``E = 1 − V_P/P``) of the four traces of :func:`conditional_two_point`:

    * ``Tr[Λ r Ω r'] = U/(φφ'E)``                       (LOO law, T₂ = Λ, T₁ = Ω);
    * ``Tr[Λ r r'] = Y/(φφ'E)``                         (T₂ = Λ, T₁ = I);
    * ``Tr[Ω Σ̂² r r'] = U₂ + κκ' Y U/(P E)``           (``Σ̂r = I − xr`` and the LOO law);
    * ``Tr[Σ̂² r r'] = V_P + κκ' Y²/(P E)``.

    The last two are derived here from the expansion
    ``Tr[Ω(I − xr)(I − x'r')] = Tr Ω − x Tr Ωr − x' Tr Ωr' + xx' Tr Ωrr'`` with one-point
    ``Tr Ωr = (κ/x) Σωρ`` and ``Tr Ωrr'`` from the LOO law, summed termwise with the partial
    fractions ``1 − κρ = λρ``.  Returns a namespace with the four expressions and the symbolic
    residuals of the derivations (0) on an ``n_modes``-mode symbolic spectrum."""
    lam = sp.symbols(f"l1:{n_modes + 1}", positive=True)
    om = sp.symbols(f"o1:{n_modes + 1}", positive=True)
    Pp = sp.Symbol("P_", positive=True)
    k1, k2 = kap, kap2
    rho1 = [1 / (k1 + l) for l in lam]
    rho2 = [1 / (k2 + l) for l in lam]
    phi1 = 1 - sum(l * r for l, r in zip(lam, rho1)) / Pp
    phi2 = 1 - sum(l * r for l, r in zip(lam, rho2)) / Pp
    x1, xx2 = k1 * phi1, k2 * phi2
    Vp = sum(l * l * a * b for l, a, b in zip(lam, rho1, rho2))
    E = 1 - Vp / Pp

    def loo(T2, T1):  # Tr[T2 r T1 r'] (T's as per-mode lists)
        first = sum(t2 * t1 * a * b for t2, t1, a, b in zip(T2, T1, rho1, rho2))
        ladder = (sum(l * t1 * a * b for l, t1, a, b in zip(lam, T1, rho1, rho2)) / Pp
                  * sum(t2 * l * a * b for t2, l, a, b in zip(T2, lam, rho1, rho2)) / E)
        return k1 * k2 / (x1 * xx2) * (first + ladder)
    one = [1] * n_modes
    Uv = sum(o * l * a * b for o, l, a, b in zip(om, lam, rho1, rho2))
    U2v = sum(o * l * l * a * b for o, l, a, b in zip(om, lam, rho1, rho2))
    Yv = sum(l * a * b for l, a, b in zip(lam, rho1, rho2))
    # Tr Ω Σ̂² r r' by the expansion, against the closed form
    tr_Om = sum(om)
    tr_Or1 = k1 / x1 * sum(o * a for o, a in zip(om, rho1))
    tr_Or2 = k2 / xx2 * sum(o * b for o, b in zip(om, rho2))
    expand_O = tr_Om - x1 * tr_Or1 - xx2 * tr_Or2 + x1 * xx2 * loo(om, one)
    res_O = sp.simplify(expand_O - (U2v + k1 * k2 * Yv * Uv / (Pp * E)))
    tr_r1 = k1 / x1 * sum(rho1)
    tr_r2 = k2 / xx2 * sum(rho2)
    expand_I = n_modes - x1 * tr_r1 - xx2 * tr_r2 + x1 * xx2 * loo(one, one)
    res_I = sp.simplify(expand_I - (Vp + k1 * k2 * Yv * Yv / (Pp * E)))
    res_LO = sp.simplify(loo(lam, om) - Uv / (phi1 * phi2 * E))
    res_L1 = sp.simplify(loo(lam, one) - Yv / (phi1 * phi2 * E))
    phi, phi2s = sp.symbols("phi phi'")
    Es = 1 - VP / P
    return SimpleNamespace(
        trLrOr=U / (phi * phi2s * Es), trLrr=Y / (phi * phi2s * Es),
        trOSSrr=U2 + kap * kap2 * Y * U / (P * Es), trSSrr=VP + kap * kap2 * Y ** 2 / (P * Es),
        phi=phi, phi2=phi2s, residuals=(res_LO, res_L1, res_O, res_I))


def kernel(chat=None, Pv=P):
    """``H(κ, κ')`` of the module docstring (absolute sums, ``ĉ`` symbolic by default)."""
    c = sp.Symbol("chat") if chat is None else chat
    E = 1 - VP / Pv
    return (U + c * Y * (E * U2 + kap * kap2 * Y * U / Pv)
            / (E * (1 - c * VP) - c * kap * kap2 * Y ** 2 / Pv)) / E


def chat_finite(s1=S, s2=S2):
    """``ĉ = c₁/D`` in absolute variables: ``(D − N)/[(N − S)(N − S') + N(D − N)]``."""
    return (D - N) / ((N - s1) * (N - s2) + N * (D - N))


def nested_two_point():
    """``ΨΨ'F`` (normalised traces) with the Wishart equivalents inserted, times D, versus
    ``(ΨΨ'/(ψ_nψ'_n))·…``: returns ``(F_abs, c1_abs)`` where ``F_abs = D·F·ΨΨ'`` expressed
    through the absolute sums, and ``c1_abs = c₁/D`` in absolute variables."""
    wt = wishart_traces()
    # normalised traces = absolute/D; c₁ tr·tr/(1 − c₁ tr) → (c₁/D) Tr·Tr/(1 − (c₁/D) Tr)
    _, c1 = conditional_two_point(0, 0, 0, 0)
    c1_abs = sp.simplify((c1 / D).subs({tau: S / D, tau2: S2 / D, alpha_N: N / D}))
    Fabs = wt.trLrOr + c1_abs * wt.trOSSrr * wt.trLrr / (1 - c1_abs * wt.trSSrr)
    return Fabs, c1_abs, wt


def check_nested_kernel():
    """``D·ΨΨ'F`` from :func:`nested_two_point` equals ``H/(φφ')`` (:func:`kernel` with the
    finite-D ĉ), and ``c₁/D`` equals :func:`chat_finite`.  Returns both differences (0)."""
    Fabs, c1_abs, wt = nested_two_point()
    d1 = sp.simplify(Fabs - kernel(chat_finite()) / (wt.phi * wt.phi2))
    d2 = sp.simplify(c1_abs - chat_finite())
    return d1, d2


def reductions():
    """``N = D``: ``H = U/E`` (case C, :mod:`theory.freeprob`'s leave-one-out form);
    ``P → ∞``: ``H = U + ĉ U₂ Y/(1 − ĉ V_P)`` — case W's ``A_ωλ + ĉA_ωλ²A_λ/(1 − ĉA_λ²)`` of
    :mod:`theory.width` (there ``κ = x``, the W-renormalisation is trivial);
    ``D → ∞``: ``ĉ → 1/N`` and ``ψ_n → 1 − S/N`` (absolute regime).  Returns the four
    simplified differences (0)."""
    H = kernel(chat_finite())
    d_C = sp.simplify(H.subs(N, D) - U / (1 - VP / P))
    d_W = sp.simplify(sp.limit(H, P, sp.oo) - (U + chat_finite() * U2 * Y
                                                   / (1 - chat_finite() * VP)))
    d_chat = sp.simplify(sp.limit(chat_finite(), D, sp.oo) - 1 / N)
    psi_n = (D / N) * (N - S) / (D - S)
    d_psi = sp.simplify(sp.limit(psi_n, D, sp.oo) - (1 - S / N))
    return d_C, d_W, d_chat, d_psi


def noise_kernel():
    """Label noise: ``(σ²/P)Tr[Λh(M₀)P̃]``, ``h(s) = sψ(s)²``; with ``(z + P̃S)⁻¹P̃ = 𝒬 ≍ r``,
    ``Tr[Λ(w − M)⁻¹P̃](D/N) ≍ −Tr Λr·(…) = −S/φ`` and the noise is
    ``−(σ²/P)(2πi)⁻¹∮ wψ² S/φ dw``; since ``w = −φG`` (``G = κψ_n``) the integrand is
    ``(σ²/P)ψ² G S`` (no pole at w = 0).  Returns the two kernels (as functions of the symbols)."""
    phi = 1 - S / P
    G = kap * (D / N) * (N - S) / (D - S)
    w = -phi * G
    return -w * S / phi, G * S


def check_noise_kernel():
    """The two forms of :func:`noise_kernel` agree, and at ``N = D`` the kernel differs from case
    C's ``Pκ`` (``σ²∮ψ²κ``) by ``−Pw`` (``wψ²`` is entire: no contribution).  Returns both
    differences (0)."""
    k1, k2 = noise_kernel()
    w = -(1 - S / P) * kap
    return sp.simplify(k1 - k2), sp.simplify(k2.subs(N, D) - P * kap - P * w)


def absolute_regime():
    """``D → ∞`` at fixed N, P: ``f = κ(1 − S/P)(1 − S/N)``, ``ĉ = 1/N`` — symmetric in
    ``(N, P)`` at the one-point level.  Returns the limit of f."""
    f = kap * (1 - S / P) * (D / N) * (N - S) / (D - S)
    return sp.simplify(sp.limit(f, D, sp.oo))


# ---------------------------------------------------------------------------------------------
# ridgeless (L = ∞, γ → ∞) residue in closed form
# ---------------------------------------------------------------------------------------------
def ridgeless_forms():
    """Bias ``κ₀²H(κ₀, κ₀)`` at the zero κ₀ of f, using ``Σλρ = Σλ²ρ² + κΣλρ²``
    (``S = V_P + κY``) and ``κU + U₂ = Σωλρ =: R_sum``:

    * ``N < P`` (``S = N``, ĉ = 1/N): ``bias = κ₀ R_sum·P/(P − N)`` — the projection residual
      ``R_W(N) = κ_N Σωλ/(κ_N + λ)`` inflated by least squares on N features from P points;
    * ``P < N < D`` (``S = P``): ``bias = κ₀PU/Y + κ₀R_sum·P(D − N)/((N − P)(D − P))``
      (case C's min-norm bias plus a width term; at ``D → ∞`` the factor is ``P/(N − P)``).

    Returns the two simplified differences (0)."""
    Rsum = sp.Symbol("R_sum")
    H = kernel(chat_finite(S, S)).subs({kap2: kap, S2: S})
    b = kap ** 2 * H.subs(VP, S - kap * Y)
    b = b.subs(U2, Rsum - kap * U)
    dN = sp.simplify(b.subs(S, N) - kap * Rsum * P / (P - N))
    dP = sp.simplify(b.subs(S, P) - (kap * P * U / Y
                                     + kap * Rsum * P * (D - N) / ((N - P) * (D - P))))
    return dN, dP


# ---------------------------------------------------------------------------------------------
# depth 1: the large-w expansion against exact Haar × Wishart moments
# ---------------------------------------------------------------------------------------------
def _solve_order_by_order(uf, cs, n, reduce):
    """Solve ``uf[k] = 0`` (k = 1 … n+1) for the series coefficient ``cs[k−1]`` in turn, each
    equation ``reduce``d (``sp.cancel`` or ``sp.expand``) after the earlier solutions are
    substituted; returns ``sub(series)``, which substitutes them all into a series."""
    sol = {}
    for k in range(1, n + 2):
        eq = reduce(uf[k].subs(sol))
        sol[cs[k - 1]] = sp.cancel(sp.solve(eq, cs[k - 1])[0])

    def sub(ser):
        return [sp.cancel((sp.Integer(c) if isinstance(c, int) else c).subs(sol)) for c in ser]
    return sub


def _smul(a, b, n):
    """Product of truncated power series (coefficient lists) to order n."""
    return [sp.cancel(sum(a[i] * b[k - i] for i in range(k + 1) if i < len(a) and k - i < len(b)))
            for k in range(n + 1)]


def _sinv(a, n):
    """1/a as a truncated series (a[0] ≠ 0)."""
    out = [sp.cancel(1 / a[0])]
    for k in range(1, n + 1):
        out.append(sp.cancel(-sum(a[i] * out[k - i] for i in range(1, k + 1) if i < len(a))
                             / a[0]))
    return out


def _bmul(A, B, n):
    """Product of bivariate truncated series (n+1)×(n+1) coefficient arrays."""
    return [[sp.cancel(sum(A[i][j] * B[k - i][l - j] for i in range(k + 1)
                           for j in range(l + 1))) for l in range(n + 1)] for k in range(n + 1)]


def _binv(A, n):
    """1/A for a bivariate series with A[0][0] ≠ 0 (coefficient recursion)."""
    out = [[sp.Integer(0)] * (n + 1) for _ in range(n + 1)]
    for k in range(n + 1):
        for l in range(n + 1):
            acc = sp.Integer(1) if (k, l) == (0, 0) else sp.Integer(0)
            acc -= sum(A[i][j] * out[k - i][l - j] for i in range(k + 1) for j in range(l + 1)
                       if (i, j) != (0, 0))
            out[k][l] = sp.cancel(acc / A[0][0])
    return out


def _outer(a, b, n):
    return [[sp.cancel(a[i] * b[j]) for j in range(n + 1)] for i in range(n + 1)]


def _badd(*terms):
    n = len(terms[0])
    return [[sp.cancel(sum(t[i][j] for t in terms)) for j in range(n)] for i in range(n)]


def _bscale(A, c):
    return [[sp.cancel(c * a) for a in row] for row in A]


def depth1_check(lam=(1, sp.Rational(1, 3)), obar=(2, 5), a_N=sp.Rational(1, 3),
                 a=sp.Rational(3, 2)):
    """Depth-1 coefficients of the nested equivalent versus the exact moments of the model.

    Spectrum: eigenvalues ``λ_i`` each with multiplicity ``D/2`` and task weights ``ω_i = ō_i/D``
    (so ``Σωλ = O(1)``), ``N = a_N D``, ``P = aD``, D symbolic.  With ``u = 1/w`` and
    ``κ = −1/u + c₀ + c₁u + …`` solved from ``−1/u = f(κ)`` order by order, the expansion
    ``F = (κκ'/(ww'))H = Σ c_ij u^i v^j`` gives the depth-1 bias
    ``c₁₁ − γ(c₂₁ + c₁₂) + γ²c₂₂`` and the noise ``σ²γ²[u¹](GS/P)``.  Exact model values
    (``M = (D/N)P̃Σ̂``): ``c₂₂ = E Tr[ΛMΩMᵀ] = (D/N)²(a_h Tr[ΛE(Σ̂ΩΣ̂)] + b_h TrΛ·Tr E(Σ̂ΩΣ̂))``
    with the exact Haar coefficients ``a_h = α_N − N(D−N)/((D+2)(D−1))``,
    ``b_h = N(D−N)/(D(D+2)(D−1))`` and ``E[Σ̂AΣ̂] = (1 + 1/P)ΛAΛ + Tr(AΛ)Λ/P`` (Gaussian
    data); noise ``(D/N)²(a_h TrΛ² + b_h (TrΛ)²)/P``.  Returns the ``D → ∞`` limits of
    ``(c₁₁ − TrΛΩ, c₂₁ − TrΛ²Ω, c₂₂ − moment, noise − moment)`` (all 0) and the limits of
    the moments themselves (non-zero, so the check is not vacuous)."""
    n = 2
    Dd = D
    Nn, Pp = a_N * Dd, a * Dd
    mult = Dd / 2
    lam = [sp.nsimplify(v) for v in lam]
    om = [sp.nsimplify(v) / Dd for v in obar]
    cs = sp.symbols("c0:%d" % (n + 1))
    # κ u = −1 + c0 u + c1 u² + c2 u³ ; ρ = 1/(κ + λ) = u/(κu + λu)
    ku = [sp.Integer(-1)] + list(cs)

    def rho_series(l):
        den = [ku[0]] + [ku[k] + (l if k == 1 else 0) for k in range(1, n + 2)]
        inv = _sinv(den, n + 1)
        return [sp.Integer(0)] + inv[:n + 1]          # times u

    def msum(fn):
        return mult * sum(fn(l, o) for l, o in zip(lam, om))

    rho = [rho_series(l) for l in lam]
    Sser = [sp.cancel(mult * sum(l * r[k] for l, r in zip(lam, rho))) for k in range(n + 2)]
    # u f(κ) = (κu)(1 − S/P)(D/N)(N − S)/(D − S) ; solve u f + 1 = 0 order by order
    phi = [1 - Sser[0] / Pp] + [-c / Pp for c in Sser[1:]]
    num = [(Dd / Nn) * (Nn - Sser[0])] + [-(Dd / Nn) * c for c in Sser[1:]]
    den = [Dd - Sser[0]] + [-c for c in Sser[1:]]
    psi_n = _smul(num, _sinv(den, n + 1), n + 1)
    uf = _smul(_smul(ku, phi, n + 1), psi_n, n + 1)
    sub = _solve_order_by_order(uf, cs, n, sp.cancel)
    rho = [sub(r) for r in rho]
    Sser = sub(Sser)
    psi_n = sub(psi_n)
    kus = sub(ku)

    def pair(weight):   # bivariate Σ g ρ(u)ρ(v), coefficients up to u^n v^n (starts at uv)
        out = None
        for l, o, r in zip(lam, om, rho):
            term = _bscale(_outer(r[:n + 1], r[:n + 1], n), mult * weight(l, o))
            out = term if out is None else _badd(out, term)
        return out
    Ub, U2b = pair(lambda l, o: o * l), pair(lambda l, o: o * l * l)
    Yb, VPb = pair(lambda l, o: l), pair(lambda l, o: l * l)
    one = [[sp.Integer(1 if (i, j) == (0, 0) else 0) for j in range(n + 1)] for i in range(n + 1)]
    E = _badd(one, _bscale(VPb, -1 / Pp))
    # ĉ = (D − N)/[(N − S)(N − S') + N(D − N)]
    NmS = [Nn - Sser[0]] + [-c for c in Sser[1:n + 1]]
    chat = _bscale(_binv(_badd(_outer(NmS, NmS, n), _bscale(one, Nn * (Dd - Nn))), n), Dd - Nn)
    kk = _outer(kus[:n + 1], kus[:n + 1], n)        # (κu)(κ'v)
    # H with κκ' = kk/(uv): κκ'YU/P and κκ'Y²/P; YU and Y² start at u²v², so divide by uv
    def shift(A):
        return [[A[i + 1][j + 1] if i + 1 <= n and j + 1 <= n else sp.Integer(0)
                 for j in range(n + 1)] for i in range(n + 1)]
    kYU = _bmul(kk, shift(_bmul(_pad(Yb, n + 1), _pad(Ub, n + 1), n + 1)), n)
    kYY = _bmul(kk, shift(_bmul(_pad(Yb, n + 1), _pad(Yb, n + 1), n + 1)), n)
    inner_num = _badd(_bmul(E, U2b, n), _bscale(kYU, 1 / Pp))
    inner_den = _badd(_bmul(E, _badd(one, _bscale(_bmul(chat, VPb, n), -1)), n),
                      _bscale(_bmul(chat, kYY, n), -1 / Pp))
    corr = _bmul(_bmul(chat, Yb, n), _bmul(inner_num, _binv(inner_den, n), n), n)
    Hb = _bmul(_badd(Ub, corr), _binv(E, n), n)
    Fb = _bmul(kk, Hb, n)                            # F = (κκ'/(ww'))H = (κu)(κ'v)H
    c = lambda i, j: sp.cancel(Fb[i][j])  # noqa: E731  coefficient of u^i v^j
    c11, c21, c22 = c(1, 1), c(2, 1), c(2, 2)
    # noise: [u¹] of G S/P with G = κψ_n: (κu)ψ_n · (S/u)/P
    Sdiv = Sser[1:]
    GS = _smul(_smul(kus, psi_n, n), Sdiv, n)
    noise = sp.cancel(GS[1] / Pp)
    trLO = msum(lambda l, o: l * o)
    trL2O = msum(lambda l, o: l * l * o)
    trL3O = msum(lambda l, o: l ** 3 * o)
    trL, trL2 = msum(lambda l, o: l), msum(lambda l, o: l * l)
    ah = Nn / Dd - Nn * (Dd - Nn) / ((Dd + 2) * (Dd - 1))
    bh = Nn * (Dd - Nn) / (Dd * (Dd + 2) * (Dd - 1))
    ES_L = (1 + 1 / Pp) * trL3O + trLO * trL2 / Pp
    ES_1 = (1 + 1 / Pp) * trL2O + trLO * trL / Pp
    mom22 = (Dd / Nn) ** 2 * (ah * ES_L + bh * trL * ES_1)
    mom_noise = (Dd / Nn) ** 2 * (ah * trL2 + bh * trL ** 2) / Pp
    lim = lambda e: sp.limit(sp.cancel(e), Dd, sp.oo)  # noqa: E731
    diffs = [lim(c11 - trLO), lim(c21 - trL2O), lim(c22 - mom22), lim(noise - mom_noise)]
    refs = [lim(trLO), lim(trL2O), lim(mom22), lim(mom_noise)]
    return diffs, refs


def _pad(A, n):
    """Embed an (m+1)×(m+1) bivariate series into (n+1)×(n+1) (zeros beyond)."""
    m = len(A) - 1
    return [[A[i][j] if i <= m and j <= m else sp.Integer(0) for j in range(n + 1)]
            for i in range(n + 1)]


# ---------------------------------------------------------------------------------------------
# depth 1: the exact closed form of the nested equivalent at finite D, N, P (generic spectrum)
# ---------------------------------------------------------------------------------------------
#: moment sums of a generic spectrum: T_j = Σ_k λ_k^j, s_j = Σ_k ω_kλ_k^j
T_mom = sp.symbols("T1:6")
s_mom = sp.symbols("s1:6")
#: the normalised step γ_n = γN/D of the variable w (γ is the user's step, Γ = γP_N)
gamma_n, sigma2_ = sp.symbols("gamma_n sigma2", nonnegative=True)


def depth1_closed_form():
    """The depth-1 risk of the nested deterministic equivalent, exact at finite D, N, P, for any
    spectrum (``c = 1/N − 1/D``; ``c = 0`` is case C, ``P = ∞`` case W):

        R₁ = s₁ − 2γ_n s₂ + γ_n² [s₃ + s₁T₂/P + c T₁ (s₂ + s₁T₁/P)] + σ²γ_n² (T₂ + c T₁²)/P

    with ``s_j = Σωλ^j``, ``T_j = Σλ^j`` (:data:`s_mom`, :data:`T_mom`).  Proved by
    :func:`check_depth1_closed_form`."""
    T1, T2 = T_mom[0], T_mom[1]
    s1, s2, s3 = s_mom[:3]
    c = 1 / N - 1 / D
    g = gamma_n
    return (s1 - 2 * g * s2 + g ** 2 * (s3 + s1 * T2 / P + c * T1 * (s2 + s1 * T1 / P))
            + sigma2_ * g ** 2 * (T2 + c * T1 ** 2) / P)


def _moment_map(poly_in_l, l, moments):
    """Replace ``l^j`` by ``moments[j − 1]`` (``Σ_k g_k λ_k^j``) in a polynomial in ``l``
    (``l⁰`` must not occur: every sum here carries at least one λ)."""
    p = sp.Poly(sp.expand(poly_in_l), l)
    out = 0
    for (j,), c in p.terms():
        if j == 0:
            raise ValueError("a zeroth moment occurred")
        out += c * moments[j - 1]
    return out


def check_depth1_closed_form():
    """The large-w expansion of the nested equivalent for a *generic* spectrum (moment symbols,
    symbolic D, N, P), against :func:`depth1_closed_form`.

    At depth 1, ``p(w) = 1 − γ_n w`` and ``ψ = γ_n``, so with ``u = 1/w`` and
    ``F = (κκ'/(ww'))H = Σ c_ij u^i v^j`` (the contour encloses every singularity, the atom at
    0 included) the bias is ``c₁₁ − γ_n(c₂₁ + c₁₂) + γ_n²c₂₂`` and the noise ``σ²γ_n²[u¹](GS/P)``.
    ``κu = −1 + c₀u + c₁u² + …`` is solved from ``uf(κ) + 1 = 0`` order by order;
    ``ρ_k = u/(κu + λ_ku)`` is a series whose coefficients are polynomials in ``λ_k``, and each
    sum ``Σ_k g_kλ_k^m ρ_kρ'_k`` maps ``λ^j`` to the moment ``Σ g λ^j`` — so no spectrum is
    assumed.  Returns the simplified difference (0)."""
    n = 2
    l = sp.Symbol("lambda")
    cs = sp.symbols("c0:%d" % (n + 1))
    ku = [sp.Integer(-1)] + list(cs)

    def rho():                                       # ρ(u)/u as a series with λ = l
        den = [ku[0]] + [ku[k] + (l if k == 1 else 0) for k in range(1, n + 2)]
        return _sinv(den, n + 1)

    r = rho()
    # one-point sums S = Σλρ (series in u, starts at u) and the one-point equation
    Sser = [sp.Integer(0)] + [_moment_map(l * r[k], l, T_mom) for k in range(n + 1)]
    phi = [1 - Sser[0] / P] + [-c / P for c in Sser[1:]]
    num = [1 - Sser[0] / N] + [-c / N for c in Sser[1:]]
    den = [1 - Sser[0] / D] + [-c / D for c in Sser[1:]]
    psi_n = _smul(num, _sinv(den, n + 1), n + 1)
    uf = _smul(_smul(ku, phi, n + 1), psi_n, n + 1)
    sub = _solve_order_by_order(uf, cs, n, sp.expand)
    r, Sser, psi_n, kus = sub(r), sub(Sser), sub(psi_n), sub(ku)

    def pair(moments, m):
        # Σ g λ^m ρ(u)ρ(v) = uv Σ_ij u^i v^j [λ^m r_i r_j]: coefficient (i+1, j+1)
        out = [[sp.Integer(0)] * (n + 1) for _ in range(n + 1)]
        for i in range(n):
            for j in range(n):
                out[i + 1][j + 1] = _moment_map(l ** m * r[i] * r[j], l, moments)
        return out
    Ub, U2b = pair(s_mom, 1), pair(s_mom, 2)
    Yb, VPb = pair(T_mom, 1), pair(T_mom, 2)
    one = [[sp.Integer(1 if (i, j) == (0, 0) else 0) for j in range(n + 1)] for i in range(n + 1)]
    E = _badd(one, _bscale(VPb, -1 / P))
    NmS = [N - Sser[0]] + [-c for c in Sser[1:n + 1]]
    chat = _bscale(_binv(_badd(_outer(NmS, NmS, n), _bscale(one, N * (D - N))), n), D - N)
    kk = _outer(kus[:n + 1], kus[:n + 1], n)         # (κu)(κ'v)

    def shift(A):                                    # divide a series starting at u²v² by uv
        return [[A[i + 1][j + 1] if i + 1 <= n and j + 1 <= n else sp.Integer(0)
                 for j in range(n + 1)] for i in range(n + 1)]
    kYU = _bmul(kk, shift(_bmul(_pad(Yb, n + 1), _pad(Ub, n + 1), n + 1)), n)
    kYY = _bmul(kk, shift(_bmul(_pad(Yb, n + 1), _pad(Yb, n + 1), n + 1)), n)
    inner_num = _badd(_bmul(E, U2b, n), _bscale(kYU, 1 / P))
    inner_den = _badd(_bmul(E, _badd(one, _bscale(_bmul(chat, VPb, n), -1)), n),
                      _bscale(_bmul(chat, kYY, n), -1 / P))
    corr = _bmul(_bmul(chat, Yb, n), _bmul(inner_num, _binv(inner_den, n), n), n)
    Fb = _bmul(kk, _bmul(_badd(Ub, corr), _binv(E, n), n), n)
    bias = Fb[1][1] - gamma_n * (Fb[2][1] + Fb[1][2]) + gamma_n ** 2 * Fb[2][2]
    GS = _smul(_smul(kus, psi_n, n), Sser[1:], n)    # (κu)ψ_n·(S/u)
    noise = sigma2_ * gamma_n ** 2 * GS[1] / P
    return sp.simplify(sp.cancel(bias + noise - depth1_closed_form()))
