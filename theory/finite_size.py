"""Finite-size (finite D, finite P) theory of the case-C risk for real Gaussian data, in sympy.

Two independent objects live here.

1. **Exact Wick expectations** (:func:`wishart_word`): for ``K = (1/P) Σ_μ x_μ x_μᵀ`` with
   ``x_μ ~ N(0, A)`` real, ``A = diag(a_k)``, and diagonal weights ``M_0 … M_{n−1}``,

       E Tr[M_0 K ⋯ M_{n−1} K] = Σ_π (P)_{|π|}/Pⁿ Σ_{pairings ∼ π} Π_c S(a^{|c|} Π_{j∈c} M_j),

   an exact polynomial in ``1/P`` and mode sums ``S(f) = Σ_k f(a_k, …)``: ``π`` runs over set
   partitions of the ``n`` factors ``K`` into distinct sample labels (``(P)_m`` the falling
   factorial), the pairings are the Isserlis pairings of the ``2n`` vector occurrences within
   each label, and each pairing glues the diagonal bilinear forms ``x_{j−1}ᵀ M_j x_j`` into
   components ``c``.  The risk at depth ``L`` expands into words of length ``≤ 2L``
   (:func:`risk_exact`), so this is the exact finite-size risk at small depth (the number of
   pairings grows like ``(2n−1)!!``: practical to ``L = 2``, ``n = 4`` symbolically).

2. **The O(1/D) correction** of the deterministic equivalents (what :mod:`solvers.settings.finite_size`
   evaluates).  Stein's lemma for real ``x`` (``E[x f(x)] = A E[∇f]``) applied to ``K G``,
   ``G = (s − K)⁻¹``, gives the exact identity

       (s − A) E G − I = E[τ̂ A G] + (1/P) A E[G K G],      τ̂ = Tr(KG)/P,

   whose last term is absent for complex data (β = 2).  Expanding ``E G = 𝒢 + δ𝒢``, dropping
   covariances (``O(D⁻²)``) and using ``E[GKG] = E[sG² − G] ≍ −s∂_s𝒢 − 𝒢`` gives
   :func:`one_point_correction`.  :func:`iso_moment_check` confirms it symbolically against
   the exact moments of item 1 (ISO, ``A = I``): the ``1/P`` coefficient of
   ``E Tr Kᵏ/D`` at fixed ``q = D/P`` equals the large-s series coefficient of the correction.
   The two-point version (stated in :mod:`solvers.settings.finite_size`) follows the same steps with
   two extra contractions.
"""
from __future__ import annotations

import itertools
from functools import lru_cache

import sympy as sp
from sympy.utilities.iterables import multiset_partitions

from theory.symbols import P, gamma, q, sigma2

__all__ = ["S", "a", "w", "wishart_word", "risk_exact", "depth1_risk", "depth1_gap",
           "one_point_correction", "iso_moment_check", "mp_series", "eval_modes",
           "haar_projection_moments", "width_depth1_risk"]

#: mode sum S(f) = Σ_k f(a_k, w_k)
S = sp.Function("S")
#: per-mode covariance eigenvalue a_k (of K's population covariance) and test weight w_k
a = sp.Symbol("a", positive=True)
w = sp.Symbol("w", positive=True)
s = sp.Symbol("s")


def _matchings(items):
    """All perfect matchings of a list (Isserlis pairings)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for i, other in enumerate(rest):
        for m in _matchings(rest[:i] + rest[i + 1:]):
            yield [(first, other)] + m


@lru_cache(maxsize=None)
def _pairing_structure(n):
    """For words of length n: list of (number of labels, tuple of components), components as
    sorted tuples of form indices, one entry per (partition, pairing)."""
    out = []
    for part in multiset_partitions(list(range(n))):
        per_block = []
        for block in part:
            # vector i occurs as the right end of form i and the left end of form i+1 (mod n)
            occ = [f for i in block for f in (i, (i + 1) % n)]
            per_block.append(list(_matchings(occ)))
        for choice in itertools.product(*per_block):
            parent = list(range(n))

            def find(u):
                while parent[u] != u:
                    parent[u] = parent[parent[u]]
                    u = parent[u]
                return u
            for pairs in choice:
                for f1, f2 in pairs:
                    parent[find(f1)] = find(f2)
            comps = {}
            for f in range(n):
                comps.setdefault(find(f), []).append(f)
            out.append((len(part), tuple(sorted(tuple(c) for c in comps.values()))))
    return tuple(out)


def wishart_word(weights):
    """Exact ``E Tr[M_0 K M_1 K ⋯ M_{n−1} K]`` (n = len(weights) ≥ 1) for real Gaussian
    ``x ~ N(0, diag a)``: ``weights[j]`` is the per-mode expression of ``M_j`` (in ``a``, ``w``).
    Returns a polynomial in ``1/P`` with mode sums ``S(·)``."""
    n = len(weights)
    if n == 0:
        raise ValueError("weights=[] is invalid: a word needs at least one factor K")
    total = sp.Integer(0)
    counts = {}
    for m, comps in _pairing_structure(n):
        counts[(m, comps)] = counts.get((m, comps), 0) + 1
    for (m, comps), cnt in counts.items():
        falling = sp.Integer(1)
        for i in range(m):
            falling *= (P - i)
        term = sp.Integer(cnt) * falling / P ** n
        for c in comps:
            term *= S(sp.expand(a ** len(c) * sp.Mul(*[weights[j] for j in c])))
        total += term
    return sp.expand(total)


def _word_weights(left, m, right, m2):
    """Weights of ``Tr[left K^m right K^m2]`` as a word (``left``, ``right`` per-mode)."""
    if m + m2 == 0:
        return None
    if m == 0:
        return [left * right] + [sp.Integer(1)] * (m2 - 1)
    if m2 == 0:
        return [left * right] + [sp.Integer(1)] * (m - 1)
    return [left] + [sp.Integer(1)] * (m - 1) + [right] + [sp.Integer(1)] * (m2 - 1)


def risk_exact(depth, g=gamma, noise=sigma2):
    """Exact finite-(D, P) risk of ``depth`` GD steps with ``Γ = γI`` (test weight ``w_k``
    standing for ``ω_k``, covariance ``a_k = λ_k``):
    ``E Tr[Ω p(K) Λ p(K)] + (σ²/P) E Tr[Λ K ψ(K)²]``, ``p = (1 − γK/L)^L``, ``ψ = (1 − p)/K``.
    """
    L = int(depth)
    c = [sp.binomial(L, j) * (-g / L) ** j for j in range(L + 1)]
    total = sp.Integer(0)
    for m in range(L + 1):
        for m2 in range(L + 1):
            ww = _word_weights(w, m, a, m2)
            val = S(w * a) if ww is None else wishart_word(ww)
            total += c[m] * c[m2] * val
    # ψ(K) = −Σ_{j≥1} c_j K^{j−1};  K ψ(K)² = Σ_{j,j'} c_j c_j' K^{j+j'−1}
    for j in range(1, L + 1):
        for j2 in range(1, L + 1):
            n = j + j2 - 1
            ww = [a] + [sp.Integer(1)] * (n - 1)
            total += noise / P * c[j] * c[j2] * wishart_word(ww)
    return sp.expand(total)


def depth1_risk(g=gamma, noise=sigma2):
    """Closed form at depth 1 from the Gaussian fourth moment
    ``E[x xᵀ M x xᵀ] = Tr(MA) A + 2 A M A`` (real): with ``S_j = Σ ω_kλ_k^j``, ``T_j = Σ λ_k^j``,
    ``R = S₁ − 2γS₂ + γ²[(1 + 1/P) S₃ + S₁T₂/P] + σ²γ²T₂/P``."""
    S1, S2, S3 = S(w * a), S(w * a ** 2), S(w * a ** 3)
    T2 = S(a ** 2)
    return S1 - 2 * g * S2 + g ** 2 * ((1 + 1 / P) * S3 + S1 * T2 / P) + noise * g ** 2 * T2 / P


def depth1_gap():
    """Exact minus proportional-limit risk at depth 1: ``γ²S₃/P`` (the deterministic
    equivalent keeps ``S₁T₂/P`` since ``T₂ = O(D) = O(P)``, and drops ``S₃/P``)."""
    return gamma ** 2 * S(w * a ** 3) / P


# ---------------------------------------------------------------------------------------------
# the O(1/D) one-point correction
# ---------------------------------------------------------------------------------------------
def one_point_correction():
    """Per-mode correction ``δg`` of ``E G_kk`` in terms of the leading quantities.

    Symbols: ``g`` (= 𝒢_kk), ``a`` (= a_k), ``tau``, ``dtau`` (= τ'(s)), ``dtau1`` (= δτ) and
    ``P``.  Returns ``(delta_g, e)`` with ``e = a g²(1 + τ − sτ')/P`` the β = 1 source term and
    ``δg = a g² δτ + a g e``; δτ then solves ``δτ = (s/P) Σ_k δg_k`` (linear)."""
    g, tau, dtau, dtau1 = sp.symbols("g tau dtau dtau1")
    e = a * g ** 2 * (1 + tau - s * dtau) / P
    return a * g ** 2 * dtau1 + a * g * e, e


def mp_series(order):
    """ISO (``A = I``, ``D = qP`` equal modes) leading ``g(s)`` and ``τ(s)`` as truncated series in
    ``u = 1/s`` (to ``u^order``): fixed-point iteration of ``g = u/(1 − u(1 + τ))``,
    ``τ = q(sg − 1)`` (rational arithmetic only; each sweep fixes one more order)."""
    u = sp.Symbol("u")
    g = u
    for _ in range(order + 1):
        tau_ = sp.expand(q * (g / u - 1))
        g = sp.series(u / (1 - u * (1 + tau_)), u, 0, order + 1).removeO()
    tau_ = sp.expand(q * (g / u - 1))
    return u, sp.expand(g), tau_


def iso_moment_check(kmax=4):
    """``[(exact_k, predicted_k)]`` for ``k = 1..kmax``: the ``1/P`` coefficient (at fixed
    ``q = D/P``) of the exact ``E Tr Kᵏ / D`` (Wick, :func:`wishart_word` with ``a = 1``) and the
    coefficient of ``s^{−k−1}`` in ``P·δg(s)`` from :func:`one_point_correction`.  Equal pairs
    confirm the β = 1 correction independently of the numerics."""
    D = sp.Symbol("D", positive=True)
    order = kmax + 2
    u, g0, tau0 = mp_series(order)
    # d/ds = −u² d/du
    dtau0 = sp.expand(-u ** 2 * sp.diff(tau0, u))

    def trunc(x):
        return sp.series(sp.expand(x), u, 0, order + 1).removeO()
    e = trunc(g0 ** 2 * (1 + tau0 - dtau0 / u))           # P·e (s = 1/u)
    # δτ = q s g e/(1 − q s g²)  (P·δτ)
    dtau1 = trunc(q * g0 * e / u * sp.series(1 / (1 - q * g0 ** 2 / u), u, 0, order + 1)
                  .removeO())
    dg = trunc(g0 ** 2 * dtau1 + g0 * e)                  # P·δg
    out = []
    for k in range(1, kmax + 1):
        word = wishart_word([sp.Integer(1)] * k)
        word = word.subs({fn: fn.args[0].subs(a, 1) * D for fn in word.atoms(S)})
        exact = sp.expand((word / D).subs(D, q * P))
        out.append((sp.expand(exact.coeff(P, -1)), sp.expand(dg.coeff(u, k + 1))))
    return out


def eval_modes(expr, a_vals, w_vals, P_val, extra=None):
    """Numeric value of an expression with mode sums ``S(f)`` for given per-mode arrays
    (exact rationals if the inputs are)."""
    subs = {}
    for fn in expr.atoms(S):
        f = sp.lambdify((a, w), fn.args[0], "sympy")
        subs[fn] = sp.Add(*[f(x, y) for x, y in zip(a_vals, w_vals)])
    out = expr.subs(subs).subs(P, P_val)
    if extra:
        out = out.subs(extra)
    return out


# ---------------------------------------------------------------------------------------------
# case W at depth 1: real Haar projection moments
# ---------------------------------------------------------------------------------------------
def haar_projection_moments(N=None, D=None):
    """``(u, v)`` with ``E[Q M Q] = u M + v Tr(M) I`` for a real Haar rank-N projection Q in
    dimension D and symmetric M: the trace condition ``u + vD = N/D`` and
    ``u + v = E Q₁₁² = N(N+2)/(D(D+2))`` (``Q₁₁ ~ Beta(N/2, (D−N)/2)``)."""
    N = sp.Symbol("N", positive=True) if N is None else N
    D = sp.Symbol("D", positive=True) if D is None else D
    u, v = sp.symbols("u v")
    sol = sp.solve([u + v * D - N / D, u + v - N * (N + 2) / (D * (D + 2))], [u, v], dict=True)[0]
    return sp.simplify(sol[u]), sp.simplify(sol[v])


def width_depth1_risk(N=None, D=None, g=gamma):
    """Exact case-W risk at depth 1 (``Γ = γQ``, infinite context, real Haar Q):
    ``S₁ − 2γ(N/D)S₂ + γ²(u S₃ + v T₁ S₂)`` with mode sums ``S_j = S(w a^j)``, ``T₁ = S(a)``."""
    N = sp.Symbol("N", positive=True) if N is None else N
    D = sp.Symbol("D", positive=True) if D is None else D
    u, v = haar_projection_moments(N, D)
    S1, S2, S3, T1 = S(w * a), S(w * a ** 2), S(w * a ** 3), S(a)
    return S1 - 2 * g * N / D * S2 + g ** 2 * (u * S3 + v * T1 * S2)
