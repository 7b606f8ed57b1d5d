"""Case W of docs/theory.md §8, symbolically: RRS at infinite context with a rank-N projection (sympy only).

The weight error after L steps is ``p(−M)β`` with ``M = O B Oᵀ A``, ``A = Λ`` (fixed),
``B = P_N`` (rank-N projection, ``α_N = N/D``, Haar-rotated by ``O``), ``C = Ω``, test matrix
``T = Λ``.  This module derives, from the general free-product and two-point relations of
docs/theory.md §8, the case-W forms that :mod:`solvers.settings.width` evaluates:

* ``τ_B(y) = α_N/(y + 1)``, ``x_B(τ) = α_N/τ − 1`` (:func:`projection_tau`, :func:`projection_x`);
* the free-product relation ``x_A(τ) x_B(τ) = z(1 − τ)/τ`` (docs/theory.md §8 ✎: not ``(τ − 1)/τ``)
  reduces to ``x (α_N − τ) = z (1 − τ)`` and ``Ψ = z/x_A = (α_N − τ)/(1 − τ)``
  (:func:`one_point_relation`, :func:`psi`);
* ``ℬ = tr (y + B)⁻¹(y' + B)⁻¹ = α_N/((y+1)(y'+1)) + (1 − α_N)/(y y')``, ``Σ_vχ = τ/Ψ``;
* the Dyson-resummed ``Ψ_χχ = c·num/(1 + c𝒜)`` with ``c = 1/ℬ − 1/(Σ_vχ Σ'_vχ)`` (docs/theory.md §8 ✎:
  ``1/ℬ``, not ``ℬ``), which simplifies to the closed form
  ``c = −(1 − α_N) Ψ Ψ' / [(α_N − τ)(α_N − τ') + α_N (1 − α_N)]`` (:func:`c_closed`);
* ``F(z, z') = tr Λ R Ω R' − Ψ_χχ tr Λ R R'``, ``R = (z + ΨΛ)⁻¹``;
* the ``D → ∞`` regime with absolute N (:func:`absolute_regime`): with ``τ = S/D``,
  ``Ψ = α_N ψ`` and ``w = z/α_N``, ``ψ → 1 − S/N`` and ``c D/N² → −ψψ'/N``.

The checks :func:`depth1_coefficient` (large-``z`` expansion of F against the Haar moment
``E[P̃ X P̃] = α_N² X + α_N(1 − α_N) tr(X) I``) and :func:`printed_variants` (what the paper's
printed forms would give) are used by the tests.
"""
from __future__ import annotations

from types import SimpleNamespace

import sympy as sp

from theory.symbols import N, alpha_N, tau, tau2, z, z2

__all__ = ["alpha_N", "tau2", "z2", "y", "y2", "x", "D", "S", "S2", "psi_n", "psi_n2",
           "projection_tau", "projection_x", "one_point_relation", "psi", "B_two_point",
           "sigma_vchi", "c_dmft", "c_closed", "two_point", "absolute_regime",
           "depth1_coefficient", "printed_variants"]

#: width ratio α_N = N/D, the second contour point z' and its τ' come from theory.symbols;
#: the B-side spectral variables y, y'
y = sp.Symbol("y")
y2 = sp.Symbol("y'")
#: A-side spectral variable x = x_A(τ)
x = sp.Symbol("x")
#: dimension D (absolute regime) and absolute sums S = Σ λ/(x + λ) at the two points
D = sp.Symbol("D", positive=True)
S = sp.Symbol("S")
S2 = sp.Symbol("S'")
#: normalised renormalisation ψ = Ψ/α_N at the two points
psi_n = sp.Symbol("psi")
psi_n2 = sp.Symbol("psi'")


def projection_tau(yv=y, a=alpha_N):
    """``τ_B(y) = tr B (y + B)⁻¹`` for a projection with ``α_N`` unit eigenvalues."""
    return a * 1 / (yv + 1) + (1 - a) * 0 / yv


def projection_x(t=tau, a=alpha_N):
    """Functional inverse ``x_B(τ)`` of :func:`projection_tau`, solved by sympy."""
    sol = sp.solve(sp.Eq(projection_tau(y, a), t), y)
    assert len(sol) == 1
    return sp.simplify(sol[0])


def one_point_relation(t=tau, zv=z, a=alpha_N, printed=False):
    """``x_A x_B = z (1 − τ)/τ`` with ``x_B`` of the projection, as ``lhs − rhs = 0`` in ``x``
    (``printed=True``: the main text's ``(τ − 1)/τ``).  Equals ``(x(α_N − τ) − z(1 − τ))/τ``."""
    rhs = zv * ((t - 1) if printed else (1 - t)) / t
    return sp.together(x * projection_x(t, a) - rhs)


def psi(t=tau, zv=z, a=alpha_N, printed=False):
    """``Ψ = z/x_A(τ)`` from the reduced one-point relation: ``(α_N − τ)/(1 − τ)``."""
    xs = sp.solve(one_point_relation(t, zv, a, printed), x)
    assert len(xs) == 1
    return sp.simplify(zv / xs[0])


def B_two_point(yv=y, yv2=y2, a=alpha_N):
    """``ℬ(y, y') = tr (y + B)⁻¹ (y' + B)⁻¹`` over the projection's spectrum {1: α_N, 0: 1−α_N}."""
    return a / ((yv + 1) * (yv2 + 1)) + (1 - a) / (yv * yv2)


def sigma_vchi(t=tau, a=alpha_N):
    """``Σ_vχ = τ/Ψ``."""
    return t / psi(t, z, a)


def c_dmft(t=tau, t2=tau2, a=alpha_N, printed=False):
    """``c = 1/ℬ − 1/(Σ_vχ Σ'_vχ)`` at ``y = x_B(τ)``, ``y' = x_B(τ')``, so that
    ``Σ_vv = num/(1 + c𝒜)`` and ``Ψ_χχ = c Σ_vv``.  ``printed=True`` uses ``ℬ`` for ``1/ℬ``."""
    Bv = B_two_point(projection_x(t, a), projection_x(t2, a), a)
    first = Bv if printed else 1 / Bv
    return first - 1 / (sigma_vchi(t, a) * sigma_vchi(t2, a))


def c_closed(t=tau, t2=tau2, a=alpha_N):
    """Closed form of :func:`c_dmft`: ``−(1 − α_N) Ψ Ψ' / [(α_N − τ)(α_N − τ') + α_N(1 − α_N)]``."""
    P1, P2 = psi(t, z, a), psi(t2, z, a)
    return -(1 - a) * P1 * P2 / ((a - t) * (a - t2) + a * (1 - a))


def two_point(trLRORp, trLLRRp_num, trL2RRp, trLRRp, t=tau, t2=tau2, a=alpha_N):
    """``F = tr Λ R Ω R' − Ψ_χχ tr Λ R R'`` with ``Ψ_χχ = c·num/(1 + c𝒜)``, ``num = tr Ω Λ² R R'``,
    ``𝒜 = tr Λ² R R'`` (arguments are those traces, as symbols or expressions)."""
    c = c_closed(t, t2, a)
    return trLRORp - c * trLLRRp_num / (1 + c * trL2RRp) * trLRRp


def absolute_regime():
    """The ``D → ∞`` reduction at fixed N: substitutions ``α_N = N/D``, ``τ = S/D``,
    ``Ψ = α_N ψ``.  Returns the exact finite-D forms and their limits:
    ``psi`` (ψ from the one-point relation), ``chat`` = ``−c D/(N² ψψ')`` and their D → ∞ limits
    ``1 − S/N`` and ``1/N``."""
    subs = {alpha_N: N / D, tau: S / D, tau2: S2 / D}
    psi_exact = sp.simplify(psi().subs(subs) / (N / D))
    c = c_closed().subs(subs)
    P1, P2 = psi().subs(subs), psi(tau2).subs(subs)
    chat = sp.simplify(-c * D / N**2 / ((P1 / (N / D)) * (P2 / (N / D))))
    return SimpleNamespace(psi=psi_exact, psi_limit=sp.limit(psi_exact, D, sp.oo),
                           chat=chat, chat_limit=sp.limit(chat, D, sp.oo))


def depth1_coefficient(n_modes=2):
    """Coefficient of ``1/(z² z'²)`` in the large-``z`` expansion of F for a symbolic
    ``n_modes``-point spectrum (``tr = (1/n)Σ``), which must be ``tr Λ M Ω Mᵀ``: returns
    ``(from_F, haar)`` with ``haar = α_N² tr Λ³Ω + α_N(1 − α_N) tr Λ tr Λ²Ω``.

    Orders: ``R = u/(1 + ΨΛu)`` (``u = 1/z``) so ``tr ΛRΩR'`` needs Ψ at ``u = 0`` (``Ψ → α_N``:
    τ → 0 in :func:`psi`), and ``num``, ``𝒜``, ``tr ΛRR'`` are ``O(u u')``, so the resummed term
    needs only ``c`` at ``τ = τ' = 0``.  This checks the one-point Ψ, ℬ, Σ_vχ and the sign and
    normalisation of the Dyson term against the exact Haar moment."""
    lams = sp.symbols(f"l1:{n_modes + 1}", positive=True)
    oms = sp.symbols(f"o1:{n_modes + 1}", positive=True)
    u, u2 = sp.symbols("u u2")
    a = alpha_N

    def tr(f):
        return sp.Rational(1, n_modes) * sum(f(l, o) for l, o in zip(lams, oms))

    P0 = sp.limit(psi(), tau, 0)
    c0 = sp.limit(sp.limit(c_dmft(), tau, 0), tau2, 0)

    def R(uv, l):  # (z + ΨΛ)⁻¹ to O(u²)
        return uv - P0 * l * uv**2

    def coeff(expr, pu, pu2):
        return sp.expand(expr).coeff(u, pu).coeff(u2, pu2)
    first = coeff(tr(lambda l, o: l * o * R(u, l) * R(u2, l)), 2, 2)
    num = coeff(tr(lambda l, o: o * l**2 * R(u, l) * R(u2, l)), 1, 1)
    T = coeff(tr(lambda l, o: l * R(u, l) * R(u2, l)), 1, 1)
    from_F = first - c0 * num * T
    haar = a**2 * tr(lambda l, o: l**3 * o) + a * (1 - a) * tr(lambda l, o: l) * tr(
        lambda l, o: l**2 * o)
    return sp.expand(from_F), sp.expand(haar)


def printed_variants():
    """What the printed forms give, for the record (tests check they are wrong):
    ``psi_printed_sign`` — Ψ from ``(τ − 1)/τ`` (→ ``−α_N`` as z → ∞, a negative preconditioner);
    ``psi_rotated`` — ``z/x_B(τ)`` (the rotated matrix), which at ``α_N = 1`` is not 1."""
    psi_sign = psi(printed=True)
    xs = sp.solve(one_point_relation(), x)[0]
    # Ψ from the rotated matrix B instead of A
    psi_rot = sp.simplify(z / projection_x())
    return SimpleNamespace(psi_printed_sign=psi_sign, psi_rotated=psi_rot, x_A=xs)
