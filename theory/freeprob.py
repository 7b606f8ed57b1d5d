"""Free-probability objects of the finite-context / finite-width theory (docs/theory.md §8), in sympy.

Conventions (docs/theory.md §8).  ``tr`` is the normalised trace.  The τ-transform of a matrix ``M`` is
``τ_M(z) = tr M (z + M)⁻¹`` and ``x_M(τ)`` its functional inverse.  With the ψ-transform
``ψ_M(u) = tr uM(1 − uM)⁻¹`` one has ``τ_M(z) = −ψ_M(−1/z)``, so with the S-transform
``S_M(m) = (1 + m) χ_M(m)/m`` (``χ = ψ⁻¹``)

    x_M(τ) = (1 − τ) / (τ S_M(−τ)).

Because ``S_{AB} = S_A S_B`` for free ``A, B``, the free product ``M = O B Oᵀ A`` obeys
``x_M = x_A x_B τ/(1 − τ)``, i.e. the free-product relation ``x_A(τ) x_B(τ) = z (1 − τ)/τ`` at
``z = x_M(τ)`` (the corrected sign of docs/theory.md §8 ✎).

Building blocks: Wishart ``W = ZᵀZ/P`` of ratio ``q = D/P`` (``S_W(m) = 1/(1 + qm)``,
``x_W = (1 − τ)(1 − qτ)/τ``), the rank-N projection (``τ = α_N/(z + 1)``), diagonal spectra
(``τ = Σ_k w_k a_k/(z + a_k)``, inverse defined implicitly).

One-point response (docs/theory.md §8): ``Ψ(z) = z/x_A(τ)``, ``R(z) = (z + ΨA)⁻¹``, ``Σ_vχ = τ/Ψ``,
``y = x_B(τ)``.  Two-point (Dyson-resummed): ``Σ_vv = num/(1 − [1/(Σ_vχΣ'_vχ) − 1/ℬ]𝒜)``,
``Ψ_χχ = Σ_vv (1/ℬ − 1/(Σ_vχΣ'_vχ))``, ``F = tr T R (C − Ψ_χχ) R'`` and
``risk = (2πi)⁻² ∮∮ p(z)p(z') F dz dz'``.

Checks provided here (each returns sympy expressions that must simplify to 0):
:func:`check_structured_wishart` (the free-product relation with ``B = W`` is the ridge
renormalisation ``τ = tr Λ(z(1 − qτ)⁻¹ + Λ)⁻¹``, ``Ψ = 1 − qτ``) and
:func:`check_two_point_wishart` (the dmft two-point equations with ``B = W``, ``C = I`` equal the
leave-one-out result ``F = (xx'/(zz')) tr[T r r'] / (1 − q tr[A² r r'])``, ``r = (x + A)⁻¹``,
which is what :mod:`solvers.settings.context` evaluates).
"""
from __future__ import annotations

import sympy as sp

from theory.symbols import L, alpha_N, gamma, q, tau, tau2, z, z2

__all__ = [
    "q", "alpha_N", "tau2", "z2", "y", "y2", "x", "x2",
    "tau_of_x", "x_of_s", "s_of_x", "tau_diagonal", "tau_wishart", "x_wishart", "s_wishart",
    "g_wishart_equation", "g_wishart", "tau_projection", "x_projection", "x_free_product",
    "free_product_relation", "one_point", "structured_wishart_equation",
    "check_structured_wishart", "check_inverse", "b_wishart", "b_projection", "two_point",
    "check_two_point_wishart", "loo_two_point", "filter_poly", "filter_exp", "noise_filter",
    "contour_integrand", "check_contour_residues", "moments_from_tau", "mp_moments_from_tau",
    "free_product_moments",
]

#: Wishart-side arguments y = x_B(τ); A-side arguments x = x_A(τ)
y, y2 = sp.symbols("y y'")
x, x2 = sp.symbols("x x'")
m = sp.Symbol("m")


# ---------------------------------------------------------------------------------------------
# transforms
# ---------------------------------------------------------------------------------------------
def tau_of_x(x_expr, t=tau):
    """Rewrite ``z = x(τ)`` as the polynomial/rational equation ``x(τ) − z = 0``."""
    return sp.together(x_expr - z)


def x_of_s(S_expr, var=m, t=tau):
    """``x(τ) = (1 − τ)/(τ S(−τ))`` from an S-transform ``S(m)``."""
    return sp.simplify((1 - t) / (t * S_expr.subs(var, -t)))


def s_of_x(x_expr, t=tau):
    """Inverse of :func:`x_of_s`: ``S(m) = (1 + m)/(−m x(−m))``."""
    return sp.simplify(((1 - t) / (t * x_expr)).subs(t, -m))


def tau_diagonal(a, w=None, var=z):
    """``τ(z) = Σ_k w_k a_k/(z + a_k)`` of a diagonal spectrum (weights default to 1/n)."""
    n = len(a)
    w = [sp.Rational(1, n)] * n if w is None else w
    return sp.Add(*[wk * ak / (var + ak) for ak, wk in zip(a, w)])


def s_wishart(ratio=q):
    """S-transform of a Wishart matrix of ratio q (mean 1): ``1/(1 + q m)``."""
    return 1 / (1 + ratio * m)


def x_wishart(ratio=q, t=tau):
    """``x_W(τ) = (1 − τ)(1 − qτ)/τ``."""
    return (1 - t) * (1 - ratio * t) / t


def tau_wishart(ratio=q, var=z):
    """``τ_W(z)``: the root of ``qτ² − (1 + q + z)τ + 1 = 0`` with ``τ → 0`` as ``z → ∞``."""
    b = 1 + ratio + var
    return (b - sp.sqrt(b ** 2 - 4 * ratio)) / (2 * ratio)


def g_wishart_equation(ratio=q, var=y, g=None):
    """``q y g² + (1 − q + y) g − 1`` for ``g(y) = tr (y + W)⁻¹`` (= ``(1 − τ_W(y))/y``)."""
    g = sp.Symbol("g") if g is None else g
    return ratio * var * g ** 2 + (1 - ratio + var) * g - 1


def g_wishart(ratio=q, var=y):
    """``g(y) = tr (y + W)⁻¹ = (1 − τ_W(y))/y`` (physical root: ``g ≈ 1/y`` at large y)."""
    return sp.simplify((1 - tau_wishart(ratio, var)) / var)


def tau_projection(ratio=alpha_N, var=z):
    """``τ`` of a rank-N orthogonal projection: ``α_N/(z + 1)``."""
    return ratio / (var + 1)


def x_projection(ratio=alpha_N, t=tau):
    """``x_B(τ) = α_N/τ − 1``."""
    return ratio / t - 1


def x_free_product(xA, xB, t=tau):
    """``x_{AB}(τ) = x_A x_B τ/(1 − τ)`` (multiplicativity of S)."""
    return sp.simplify(xA * xB * t / (1 - t))


def free_product_relation(xA, xB, var=z, t=tau):
    """The relation ``x_A(τ)·x_B(τ) − z(1 − τ)/τ = 0`` (docs/theory.md §8 step 1, corrected sign)."""
    return xA * xB - var * (1 - t) / t


def check_inverse(tau_expr, x_expr, var=z, t=tau):
    """``τ(x(τ)) − τ``, simplified (0 when ``x`` inverts ``τ``)."""
    return sp.simplify(tau_expr.subs(var, x_expr) - t)


# ---------------------------------------------------------------------------------------------
# one-point equations
# ---------------------------------------------------------------------------------------------
def one_point(xA=x, xB=None, var=z, t=tau):
    """docs/theory.md §8 one-point objects: ``Ψ = z/x_A``, ``Σ_vχ = τ/Ψ``, ``y = x_B(τ)``."""
    Psi = var / xA
    return {"Psi": Psi, "Sigma_vchi": t / Psi, "y": xB}


def structured_wishart_equation(a, w=None, ratio=q, var=z, t=tau):
    """``τ − Σ_k w_k a_k/(z/(1 − qτ) + a_k)`` (the ridge-renormalised / structured-Wishart
    equation ``τ = tr Λ(z(1 − τ/α)⁻¹ + Λ)⁻¹`` with ``q = 1/α``)."""
    return t - tau_diagonal(a, w, var / (1 - ratio * t))


def check_structured_wishart(a=None, ratio=q):
    """Derivation check: solve the free-product relation with ``B = W`` for ``x_A`` and insert
    it into ``τ = τ_A(x)``.  Returns ``(x_A − z/(1 − qτ), Ψ − (1 − qτ), residual)`` with
    ``residual`` the difference of the resulting equation and
    :func:`structured_wishart_equation` (all three simplify to 0)."""
    a = list(sp.symbols("a1:4", positive=True)) if a is None else a
    xa = sp.solve(free_product_relation(x, x_wishart(ratio)), x)
    if len(xa) != 1:
        raise AssertionError(f"free-product relation with B = W: roots {xa}")
    xa = xa[0]
    Psi = one_point(xa)["Psi"]
    eq = tau - tau_diagonal(a, None, xa)
    return (sp.simplify(xa - z / (1 - ratio * tau)), sp.simplify(Psi - (1 - ratio * tau)),
            sp.simplify(eq - structured_wishart_equation(a, None, ratio)))


# ---------------------------------------------------------------------------------------------
# two-point equations
# ---------------------------------------------------------------------------------------------
def b_wishart(ratio=q, t=tau, t2=tau2):
    """``ℬ = tr (y + W)⁻¹(y' + W)⁻¹ = (g(y) − g(y'))/(y' − y)`` at ``y = x_W(τ)``, ``y' = x_W(τ')``,
    in terms of τ, τ' (``g = τ/(1 − qτ)`` on that branch)."""
    gy = t / (1 - ratio * t)
    gy2 = t2 / (1 - ratio * t2)
    return (gy - gy2) / (x_wishart(ratio, t2) - x_wishart(ratio, t))


def b_projection(ratio=alpha_N, yy=y, yy2=y2):
    """``ℬ`` of the rank-N projection: ``α_N/((y+1)(y'+1)) + (1 − α_N)/(y y')``."""
    return ratio / ((yy + 1) * (yy2 + 1)) + (1 - ratio) / (yy * yy2)


def two_point(A, B, num, s_vchi, s_vchi2):
    """docs/theory.md §8 two-point equations: returns ``(Σ_vv, Ψ_χχ)`` from ``𝒜 = tr A²RR'``,
    ``ℬ``, ``num = tr C A² R R'`` and ``Σ_vχ, Σ'_vχ``.
    (✎ ``Ψ_χχ = Σ_vv (1/ℬ − 1/(Σ_vχΣ'_vχ))``: the paper's closing sentence inverts ℬ.)"""
    d = 1 / B - 1 / (s_vchi * s_vchi2)
    s_vv = num / (1 + d * A)
    return s_vv, s_vv * d


def loo_two_point(xx=x, xx2=x2, zz=z, zz2=z2, trT=None, V=None):
    """Leave-one-out two-resolvent equivalent for ``K = A^{1/2} W A^{1/2}``, ``Q = (z + K)⁻¹``.

    Derivation (rows ``x_μ ~ N(0, A)``, ``K = Σ_μ x_μx_μᵀ/P``): Sherman–Morrison gives
    ``x_μᵀQ = x_μᵀQ₋/(1 + δ)``, ``δ = tr_P A Q``, hence ``Q ≍ (x/z)(A + x)⁻¹`` with ``x = z(1 + δ)``
    (:func:`structured_wishart_equation`).  Expanding ``Q T Q'`` with
    ``Q = Q̄ + Q̄(A/(1 + δ) − K)Q`` the ``A/(1+δ)`` terms cancel against the diagonal part of
    ``K Q T Q'`` and what remains is the ladder sum ``ε = (1/P)Tr[A Q T Q']``, so
    ``Q T₁ Q' ≍ (xx'/(zz'))[r T₁ r' + q tr[A r T₁ r']·r A r'/(1 − q tr[A² r r'])]``.  Under a
    trace with ``T₂`` such that ``T₁ A = T₁T₂`` up to the pairing (case C: ``T₁ = Ω/γ_k``,
    ``T₂ = γ_kΛ``, ``A = γΛ``) both terms share ``tr[T r r']`` and the sum is
    ``(xx'/(zz')) tr[T r r'] / (1 − V)``, ``V = q tr[A² r r']``, ``T = ΩΛ``."""
    trT = sp.Symbol("trTrr") if trT is None else trT
    V = sp.Symbol("V") if V is None else V
    return xx * xx2 / (zz * zz2) * trT / (1 - V)


def check_two_point_wishart(ratio=q):
    """The dmft two-point equations with ``B = W``, ``C = I`` versus :func:`loo_two_point`.

    With ``R = (x/z) r``, ``𝒜 = (xx'/(zz')) V/q``, ``num = 𝒜``, ``Σ_vχ = τx/z`` and
    ``ℬ`` = :func:`b_wishart`, ``z = x(1 − qτ)``, the claim is ``1 − Ψ_χχ = 1/(1 − V)``,
    i.e. ``F = tr T R (I − Ψ_χχ) R'`` equals the leave-one-out form.  Returns the simplified
    difference ``(1 − Ψ_χχ) − 1/(1 − V)`` (0)."""
    V = sp.Symbol("V")
    zz, zz2 = x * (1 - ratio * tau), x2 * (1 - ratio * tau2)
    A = x * x2 / (zz * zz2) * V / ratio
    _, psi_cc = two_point(A, b_wishart(ratio), A, tau * x / zz, tau2 * x2 / zz2)
    return sp.simplify((1 - psi_cc) - 1 / (1 - V))


# ---------------------------------------------------------------------------------------------
# filters and the Cauchy representation
# ---------------------------------------------------------------------------------------------
def filter_poly(depth=L, g=gamma, var=z):
    """``p(z) = (1 + γz/L)^L`` so that ``p(−M) = (I − γM/L)^L`` (L GD steps)."""
    return (1 + g * var / depth) ** depth


def filter_exp(g=gamma, var=z):
    """Infinite depth: ``p(z) = e^{γz}`` (``p(−M) = e^{−γM}``)."""
    return sp.exp(g * var)


def noise_filter(depth=L, g=gamma, var=sp.Symbol("s")):
    """``q(s) = [1 − (1 − γs/L)^L]/s`` (entire: a polynomial of degree L − 1)."""
    return (1 - (1 - g * var / depth) ** depth) / var


def contour_integrand(p, F, var=z, var2=z2):
    """``(2πi)⁻² p(z) p(z') F(z, z')`` — integrated over two contours around the spectrum of
    ``−M`` it gives ``tr T p(−M) C p(−M)ᵀ``."""
    return p * p.subs(var, var2) * F / (2 * sp.pi * sp.I) ** 2


def check_contour_residues(eigs, T, C, p):
    """For a diagonal ``M = diag(eigs)``, ``F = Σ_k T_k C_k /((z + μ_k)(z' + μ_k))``: the double
    residue sum of :func:`contour_integrand` minus ``Σ_k T_k C_k p(−μ_k)²`` (0)."""
    F = sp.Add(*[t * c / ((z + mu) * (z2 + mu)) for mu, t, c in zip(eigs, T, C)])
    f = contour_integrand(p, F) * (2 * sp.pi * sp.I) ** 2
    total = 0
    for mu in eigs:
        inner = sp.residue(f, z2, -mu)
        for mu2 in eigs:
            total += sp.residue(inner, z, -mu2)
    return sp.simplify(total - sp.Add(*[t * c * p.subs(z, -mu) ** 2
                                        for mu, t, c in zip(eigs, T, C)]))


# ---------------------------------------------------------------------------------------------
# moments from transforms
# ---------------------------------------------------------------------------------------------
def moments_from_tau(x_expr, kmax, t=tau):
    """Moments ``m_1..m_kmax`` of a law from its ``x(τ)`` (mean ``m_1`` free).

    ``τ(z) = Σ_{k≥1} (−1)^{k−1} m_k z^{−k}``; with ``u = 1/z``, invert ``1/x(τ) = u`` as a power
    series ``τ(u)`` by Lagrange/series reversion."""
    u = sp.Symbol("u")
    # u = 1/x(τ) = τ φ(τ) with φ analytic at 0 for the laws here; reverse the series
    ser = sp.series(1 / x_expr, t, 0, kmax + 1).removeO()
    coeffs = [sp.Integer(0)] * (kmax + 1)  # τ = Σ c_k u^k
    tau_u = sp.Integer(0)
    for k in range(1, kmax + 1):
        ck = sp.Symbol("c")
        trial = tau_u + ck * u ** k
        eq = sp.expand(sp.series(ser.subs(t, trial), u, 0, k + 1).removeO()).coeff(u, k) - (
            1 if k == 1 else 0)
        sol = sp.solve(eq, ck)
        coeffs[k] = sp.simplify(sol[0])
        tau_u = tau_u + coeffs[k] * u ** k
    return [sp.simplify((-1) ** (k - 1) * coeffs[k]) for k in range(1, kmax + 1)]


def mp_moments_from_tau(kmax, ratio=q):
    """Marchenko–Pastur moments from ``x_W``: equal to :func:`theory.mp.moment` with ``c = q``."""
    return moments_from_tau(x_wishart(ratio), kmax)


def free_product_moments(x_list, kmax):
    """Moments of the free product of laws given by their ``x(τ)`` (S-transforms multiply)."""
    xprod = x_list[0]
    for xb in x_list[1:]:
        xprod = x_free_product(xprod, xb)
    return moments_from_tau(xprod, kmax)
