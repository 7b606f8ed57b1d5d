"""Marchenko–Pastur law of the sample covariance with identity population (sympy only).

``Σ̂ = XᵀX/P`` with ``Σ = I`` and ratio ``c = D/P = 1/α`` has the spectral law

    ρ_c(dλ) = max(0, 1 − 1/c) δ_0(dλ) + √((λ₊ − λ)(λ − λ₋)) / (2π c λ) dλ   on [λ₋, λ₊],

``λ_± = (1 ± √c)²``.  Its mean is 1 and its moments are the Narayana polynomials

    m_k(c) = Σ_{j=1}^{k} (1/k) C(k, j) C(k, j−1) c^{j−1}     (k ≥ 1),  m_0 = 1,

valid for every ``c > 0`` (the atom at 0 adds nothing to ``k ≥ 1``).  The orthogonal
polynomials of ρ_c have constant recurrence coefficients: diagonal ``(1, 1+c, 1+c, …)`` and
off-diagonal ``√c``, so ``m_k = e₁ᵀ J^k e₁`` for the Jacobi matrix ``J``; ``n`` Gauss nodes are
exact for polynomials of degree ``2n − 1``.
"""
from __future__ import annotations

import math

import sympy as sp

from theory import symbols

__all__ = [
    "moment", "moment_alpha", "moments", "support", "density", "atom_mass",
    "continuous_mass", "jacobi_parameters", "jacobi_matrix", "jacobi_moment",
    "check_jacobi_moments", "expect_polynomial", "expect_polynomial_jacobi",
]


def _check_order(k):
    if not (isinstance(k, (int, sp.Integer)) and int(k) >= 0):
        raise ValueError(f"k={k!r} is invalid: k must be an integer >= 0")
    return int(k)


def moment(k, c=symbols.c):
    """k-th moment ``∫ λ^k dρ_c`` as the Narayana polynomial in ``c`` (``m_0 = 1``).

    ``m_k = Σ_{j=1}^k C(k,j) C(k,j−1) c^{j−1} / k``; e.g. ``1, 1+c, 1+3c+c², …``.
    """
    k = _check_order(k)
    if k == 0:
        return sp.Integer(1)
    return sp.Add(*[sp.Rational(math.comb(k, j) * math.comb(k, j - 1), k) * c ** (j - 1)
                    for j in range(1, k + 1)])


def moments(kmax, c=symbols.c):
    """List ``[m_0, …, m_kmax]`` of MP moments in ``c`` (see :func:`moment`)."""
    return [moment(k, c) for k in range(_check_order(kmax) + 1)]


def moment_alpha(k, alpha=symbols.alpha):
    """k-th MP moment in the context ratio ``α = 1/c``: a polynomial in ``1/α``."""
    return sp.expand(moment(k, 1 / alpha))


def support(c=symbols.c):
    """Edges ``(λ₋, λ₊) = ((1 − √c)², (1 + √c)²)`` of the continuous part."""
    return (1 - sp.sqrt(c)) ** 2, (1 + sp.sqrt(c)) ** 2


def density(lam=symbols.lam, c=symbols.c):
    """Density of the continuous part, ``√((λ₊ − λ)(λ − λ₋)) / (2π c λ)``, on ``[λ₋, λ₊]``.

    Valid only on the support (zero outside, not encoded here); its total mass is
    ``min(1, 1/c)`` (see :func:`continuous_mass`).
    """
    lo, hi = support(c)
    return sp.sqrt((hi - lam) * (lam - lo)) / (2 * sp.pi * c * lam)


def atom_mass(c=symbols.c):
    """Mass of the atom at ``λ = 0``: ``max(0, 1 − 1/c)`` (= ``1 − α`` when ``α < 1``)."""
    return sp.Max(0, 1 - 1 / c)


def continuous_mass(c=symbols.c):
    """Mass of the continuous part, ``min(1, 1/c) = 1 − atom_mass(c)``."""
    return sp.Min(1, 1 / c)


def jacobi_parameters(n, c=symbols.c):
    """First ``n`` diagonal and ``n − 1`` off-diagonal recurrence coefficients of ρ_c.

    Diagonal ``a = (1, 1+c, 1+c, …)``, off-diagonal ``b = (√c, √c, …)``.
    """
    n = _check_order(n)
    diag = [sp.Integer(1)] + [1 + c] * max(n - 1, 0)
    return diag[:n], [sp.sqrt(c)] * max(n - 1, 0)


def jacobi_matrix(n, c=symbols.c):
    """The ``n × n`` truncated Jacobi (tridiagonal) matrix of ρ_c."""
    diag, off = jacobi_parameters(n, c)
    J = sp.zeros(n, n)
    for i, a in enumerate(diag):
        J[i, i] = a
    for i, b in enumerate(off):
        J[i, i + 1] = J[i + 1, i] = b
    return J


def jacobi_moment(k, c=symbols.c):
    """``e₁ᵀ J^k e₁`` with ``J`` truncated at ``⌊k/2⌋ + 1`` (a walk of length k from the first
    index and back cannot go deeper), hence equal to the untruncated value."""
    k = _check_order(k)
    J = jacobi_matrix(k // 2 + 1, c)
    v = sp.zeros(J.shape[0], 1)
    v[0] = 1
    for _ in range(k):
        v = (J * v).applyfunc(sp.expand)
    return sp.expand(v[0])


def check_jacobi_moments(kmax, c=symbols.c):
    """Differences ``e₁ᵀ J^k e₁ − m_k(c)`` for ``k = 0..kmax`` (all zero expected)."""
    return [sp.expand(jacobi_moment(k, c) - moment(k, c)) for k in range(_check_order(kmax) + 1)]


def expect_polynomial(f, var=symbols.lam, c=symbols.c):
    """``∫ f dρ_c`` for ``f`` a polynomial in ``var``: replace ``var^k`` by ``m_k(c)``."""
    poly = sp.Poly(sp.expand(f), var)
    return sp.Add(*[coef * moment(k, c) for (k,), coef in poly.terms()])


def expect_polynomial_jacobi(f, var=symbols.lam, c=symbols.c):
    """``∫ f dρ_c = e₁ᵀ f(J) e₁`` for a polynomial ``f`` (Gauss quadrature via the Jacobi
    matrix, an independent route to :func:`expect_polynomial`)."""
    poly = sp.Poly(sp.expand(f), var)
    n = poly.degree() // 2 + 1 if poly.degree() > 0 else 1
    J = jacobi_matrix(n, c)
    # Horner on the vector J^k e₁ keeps every entry polynomial in c.
    acc = sp.zeros(n, 1)
    for coef in poly.all_coeffs():
        acc = (J * acc).applyfunc(sp.expand)
        acc[0] += coef
    return sp.expand(acc[0])
