"""Exact one-step conditional expectation of online SGD at depth 1 (ISO) at finite D, P, K, B.

Setting (:mod:`theory.dynamics`, :mod:`solvers.simulators.training`).  A context has ``P`` points
``x_μ ~ N(0, I_D)``, labels ``y_μ = sᵀx_μ + σε_μ`` with ``s = β/√D``, ``β ~ N(0, I_D)``; it
enters through ``h = Xᵀy/P = Σ̂s + σXᵀε/P``, ``Σ̂ = XᵀX/P``, and the depth-1 predictor is
``w = Γh``.  ``K`` query points of the same context give ``r = K⁻¹Σ_k x_k(x_kᵀe + σ_q ε_k)``
with the weight error ``e = s − Γh``.  One step with ``B`` independent contexts is

    Γ' = Γ + ηG,   G = B⁻¹ Σ_b g_b,   g_b = D r_b h_bᵀ   (= −(D/2)∇_Γ ℓ̂ of the query MSE).

Exact conditional expectation, for an *arbitrary* fixed matrix Γ (not only Γ ∝ I).  With
``Δ = Γ − Γ*``, ``Γ* = I/c_D``, ``c_D = E|h|²``, the realised statistics ``C = |Δ|²_F/D`` and
``m = tr Δ/D``:

* ``E g = I − c_DΓ = −c_DΔ`` (``E hhᵀ = c_D I/D``, ``E s hᵀ = I/D``);
* ``E|G|²/D = (1 − 1/B)c_D²C + (1/B)E|g|²/D`` (independent contexts);
* ``E|g|²/D = D E[|r|²|h|²]``, ``E_q|r|² = (1 + (D + 1)/K)|e|² + σ_q²D/K`` (Isserlis over the
  queries, exact for every K);
* ``E[|h|²|e|²] = E[|h|²|s|²] − 2E[|h|²sᵀΓh] + E[|h|²hᵀΓᵀΓh]``; the pair (h, s) is invariant in
  law under a common rotation, so ``E[|h|² hhᵀ] = (E|h|⁴/D) I`` and ``E[|h|² h sᵀ] =
  (E[|h|² sᵀh]/D) I``: the expectation depends on Γ *only* through ``tr Γ/D`` and ``|Γ|²_F/D``,
  i.e. through C and m — never through ``tr Δ²`` or the spectrum of Δ.

Hence, exactly,

    E[C' | Γ] = a C + a_m m + b,   E[m' | Γ] = (1 − ηc_D) m,

    a   = 1 − 2ηc_D + η²(1 − 1/B)c_D² + η²(D/B)(1 + (D+1)/K) M4,
    a_m = 2η²(D/B)(1 + (D+1)/K)(M4/c_D − M31),
    b   = η²(D/B)[(1 + (D+1)/K)(M22 − 2M31/c_D + M4/c_D²) + σ_q²(D/K)c_D],

with the context moments ``M4 = E|h|⁴``, ``M31 = E[|h|² sᵀh]``, ``M22 = E[|h|²|s|²]``.  The
pair (C, m) closes exactly; C alone does not (``a_m ≠ 0`` at finite D), but the mean is solved in
closed form, ``E m_n = −(1 − ηc_D)ⁿ/c_D`` from Γ_0 = 0.  The proportional-limit recursion of
:func:`theory.dynamics.sgd_depth1` replaces ``M4 → c_D²`` and ``E[|h|²|e|²] → c_D E|e|²`` (drops
the covariance of |h|² with |e|²): both are O(1/D) relative, but with large constants at small α
(``Var|h|² ≈ 2E tr Σ̂⁴/D²`` is ``28/D`` at α = 1), and near the stability edge they are amplified
by ``1/(1 − a)``.

The moments are exact rational functions of D, P, σ²: conditionally on X the pair (h, s) is
Gaussian (``Cov h = Σ̂²/D + σ²Σ̂/P``, ``Cov(h, s) = Σ̂/D``, ``Cov s = I/D``), Isserlis reduces the
quartic moments to traces of powers of Σ̂, and the Wishart trace moments
``E Π_j tr(XᵀX)^{k_j}`` are summed over all Wick pairings of the entries of X
(:func:`wishart_moment`; each pairing contributes ``P^{#row cycles} D^{#column cycles}``).
"""
from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace

import sympy as sp

from theory.symbols import eta, kappa, n_step, sigma2, tau_batch, alpha

__all__ = ["D", "P", "K", "B", "wishart_moment", "context_moments", "sgd_step",
           "sgd_finite_solution", "proportional_limit"]

#: finite sizes: dimension, context points, queries per context, contexts per step
D, P, K, B = sp.symbols("D P K B", positive=True)
#: realised statistics of Γ before the step: C = |Γ − Γ*|²/D, m = tr(Γ − Γ*)/D
C, m = sp.symbols("C m", real=True)


def _pairings(items):
    """All perfect matchings of the list ``items`` (Isserlis / Wick pairings)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for i, other in enumerate(rest):
        for tail in _pairings(rest[:i] + rest[i + 1:]):
            yield [(first, other)] + tail


def _find(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@lru_cache(maxsize=None)
def wishart_moment(powers, rows=P, cols=D):
    """``E Π_j tr((XᵀX)^{k_j})`` for a ``rows × cols`` matrix X of i.i.d. N(0, 1) entries, as a
    polynomial in ``rows`` and ``cols``, by summing over all Wick pairings.

    ``tr (XᵀX)^k = Σ Π_{j<k} X_{μ_j i_j} X_{μ_j i_{j+1}}`` (indices cyclic); pairing two entries
    identifies their row indices and their column indices, and a pairing contributes
    ``rows^{#row classes} · cols^{#column classes}``.  ``powers``: tuple of positive ints."""
    entries = []
    nr = nc = 0
    for k in powers:
        for j in range(k):
            entries.append((nr + j, nc + j))
            entries.append((nr + j, nc + (j + 1) % k))
        nr += k
        nc += k
    counts = {}
    for match in _pairings(list(range(len(entries)))):
        pr, pc = list(range(nr)), list(range(nc))
        for a, b in match:
            for parent, x, y in ((pr, entries[a][0], entries[b][0]),
                                 (pc, entries[a][1], entries[b][1])):
                rx, ry = _find(parent, x), _find(parent, y)
                if rx != ry:
                    parent[rx] = ry
        key = (len({_find(pr, i) for i in range(nr)}), len({_find(pc, i) for i in range(nc)}))
        counts[key] = counts.get(key, 0) + 1
    return sp.expand(sum(v * rows ** r * cols ** c_ for (r, c_), v in counts.items()))


def _sigma_hat(*powers):
    """``E Π_j tr Σ̂^{k_j}`` with ``Σ̂ = XᵀX/P`` (X: P × D)."""
    return wishart_moment(tuple(powers)) / P ** sum(powers)


@lru_cache(maxsize=None)
def context_moments():
    """Exact context moments (rational in D, P, σ²) used by the one-step map.

    Conditionally on X: ``Ch = Cov h = Σ̂²/D + σ²Σ̂/P``, ``Chs = Cov(h, s) = Σ̂/D``,
    ``Cs = I/D``; Isserlis gives ``E[|h|⁴|X] = (tr Ch)² + 2 tr Ch²``,
    ``E[|h|² sᵀh|X] = tr Ch tr Chs + 2 tr(Ch Chs)``, ``E[|h|²|s|²|X] = tr Ch + 2|Chs|²_F``.

    Returns a namespace with ``c`` (= E|h|²), ``M4``, ``M31``, ``M22``."""
    s2 = sigma2
    c = _sigma_hat(2) / D + s2 * _sigma_hat(1) / P
    M4 = (_sigma_hat(2, 2) / D ** 2 + 2 * s2 * _sigma_hat(2, 1) / (D * P)
          + s2 ** 2 * _sigma_hat(1, 1) / P ** 2
          + 2 * (_sigma_hat(4) / D ** 2 + 2 * s2 * _sigma_hat(3) / (D * P)
                 + s2 ** 2 * _sigma_hat(2) / P ** 2))
    M31 = ((_sigma_hat(2, 1) / D + s2 * _sigma_hat(1, 1) / P) / D
           + 2 * (_sigma_hat(3) / D ** 2 + s2 * _sigma_hat(2) / (D * P)))
    M22 = c + 2 * _sigma_hat(2) / D ** 2
    f = sp.factor
    return SimpleNamespace(c=f(c), M4=f(M4), M31=f(M31), M22=f(M22))


@lru_cache(maxsize=None)
def sgd_step(query_noise=True):
    """The exact one-step map ``E[C'|Γ] = a C + a_m m + b`` at finite D, P, K, B (module
    docstring), derived by expanding ``E|Δ + ηG|²/D`` with the moments of
    :func:`context_moments`.  Returns a namespace: ``a``, ``a_m``, ``b``, ``c``, ``rho``
    (``= 1 − ηc``, the factor of m), ``next_C`` (the full expression in ``C``, ``m``) and the
    moments."""
    mo = context_moments()
    c = mo.c
    sq = sigma2 if query_noise else 0
    # realised |Γ|²/D and tr Γ/D in terms of C, m (Γ = Γ* + Δ, Γ* = I/c)
    trG = m + 1 / c
    normG = C + 2 * m / c + 1 / c ** 2
    he2 = mo.M22 - 2 * mo.M31 * trG + mo.M4 * normG  # E[|h|²|e|²]
    r2h2 = (1 + (D + 1) / K) * he2 + sq * (D / K) * c  # E[|r|²|h|²]
    next_C = (C - 2 * eta * c * C + eta ** 2 * ((1 - 1 / B) * c ** 2 * C + (D / B) * r2h2))
    # next_C is affine in (C, m) by construction (C, m enter only through trG and normG):
    # the coefficients are read off by differentiation, left unsimplified (structured form)
    a = sp.diff(next_C, C)
    a_m = sp.diff(next_C, m)
    b = next_C.subs({C: 0, m: 0})
    assert all(sp.diff(next_C, *v) == 0 for v in ((C, C), (C, m), (m, m)))
    return SimpleNamespace(a=a, a_m=a_m, b=b, c=c, rho=1 - eta * c, next_C=next_C,
                           moments=mo)


@lru_cache(maxsize=None)
def sgd_finite_solution(query_noise=True):
    """Closed form of the exact finite-size recursion from Γ_0 = 0 (C_0 = 1/c², m_0 = −1/c):

        m_n = −ρⁿ/c,   C_n = aⁿC_0 + b(1 − aⁿ)/(1 − a) − (a_m/c)(aⁿ − ρⁿ)/(a − ρ),

    ``ρ = 1 − ηc``; the ICL excess risk ``E R_n = c C_n + 1 − 1/c`` (exact: R is quadratic in Γ).
    Returns a namespace with ``C``, ``mean``, ``risk`` (functions of ``n``) and the step."""
    st = sgd_step(query_noise)
    a, a_m, b, c, rho = st.a, st.a_m, st.b, st.c, st.rho
    Cn = a ** n_step / c ** 2 + b * (1 - a ** n_step) / (1 - a) \
        - (a_m / c) * (a ** n_step - rho ** n_step) / (a - rho)
    return SimpleNamespace(C=Cn, mean=-rho ** n_step / c, risk=c * Cn + 1 - 1 / c, step=st)


def proportional_limit(expr):
    """``D → ∞`` at ``P = αD``, ``K = κD``, ``B = τD`` (τ = :data:`theory.symbols.tau_batch`)."""
    sub = {P: alpha * D, K: kappa * D, B: tau_batch * D}
    return sp.simplify(sp.limit(sp.simplify(expr.subs(sub)), D, sp.oo))
