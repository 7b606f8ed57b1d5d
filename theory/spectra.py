"""Spectra of the structured settings (spec §4–6), symbolically (sympy only).

A spectrum is a list of modes ``(λ_k, ω_k)``: ``λ_k`` the covariate eigenvalue, ``ω_k`` the task
variance of mode k, normalised so that the zero predictor has risk ``Σ_k ω_k λ_k = 1``.

Power law (source/capacity): ``λ_k = k^{−ν}`` (capacity ``ν > 1``) and
``ω_k λ_k = k^{−νβ−1} / Z`` (source ``β > 0``), with ``Z = ζ(νβ+1)`` for infinitely many modes
and ``Z = H_D(νβ+1) = Σ_{k≤D} k^{−νβ−1}`` when the spectrum is truncated to ``k = 1..D``.
Expressed through λ, ``ω λ = λ^{β + 1/ν} / Z``, so every spectral sum of the form
``Σ_k ω_k λ_k^m g(λ_k)`` is a sum of ``k^{−νβ−1−ν(m−1)} g(k^{−ν}) / Z``.
"""
from __future__ import annotations

import sympy as sp

from theory.symbols import beta, k, lam, nu

__all__ = ["D", "power_law_lambda", "power_law_omega_lambda", "power_law_omega",
           "power_law_normaliser", "weighted_summand", "omega_lambda_of_lambda",
           "tail_integral_bound"]

#: number of modes of a truncated spectrum (the dimension)
D = sp.Symbol("D", positive=True, integer=True)


def power_law_normaliser(dim=sp.oo):
    """``Z`` with ``Σ_k ω_kλ_k = 1``: ``ζ(νβ+1)`` (dim = ∞) or the generalised harmonic number."""
    s = nu * beta + 1
    if dim == sp.oo:
        return sp.zeta(s)
    return sp.Sum(k ** (-s), (k, 1, dim))


def power_law_lambda(kk=k):
    """``λ_k = k^{−ν}``."""
    return kk ** (-nu)


def power_law_omega_lambda(kk=k, dim=sp.oo):
    """``ω_k λ_k = k^{−νβ−1} / Z``."""
    return kk ** (-nu * beta - 1) / power_law_normaliser(dim)


def power_law_omega(kk=k, dim=sp.oo):
    """``ω_k = k^{ν − νβ − 1} / Z``."""
    return sp.simplify(power_law_omega_lambda(kk, dim) / power_law_lambda(kk))


def omega_lambda_of_lambda(dim=sp.oo):
    """``ωλ`` as a function of λ on a power law: ``λ^{β + 1/ν} / Z``."""
    return lam ** (beta + 1 / nu) / power_law_normaliser(dim)


def weighted_summand(g, m=1, dim=sp.oo):
    """Summand (as a function of k) of ``Σ_k ω_k λ_k^m g(λ_k)`` on a power law.

    ``g`` is a sympy expression in :data:`theory.symbols.lam`.
    """
    return (power_law_omega_lambda(k, dim) * power_law_lambda(k) ** (m - 1)
            * g.subs(lam, power_law_lambda(k)))


def tail_integral_bound(K, m=1):
    """Bound on ``Σ_{k>K} ω_kλ_k^m`` (dim = ∞): for a decreasing summand the tail is at most
    ``∫_K^∞ x^{−a} dx = K^{1−a}/(a−1)``, ``a = νβ + 1 + ν(m−1)``, divided by ζ(νβ+1).
    Multiplied by ``sup|g|`` it bounds the tail of any weighted sum."""
    a = nu * beta + 1 + nu * (m - 1)
    return K ** (1 - a) / (a - 1) / power_law_normaliser()
