"""The model of spec §2 written with explicit sympy matrices (sympy only).

Three descriptions of the same predictor, for small explicit sizes:

* the reduced-Γ predictor ``f(x*) = (1/(LP)) x*ᵀ Γ Σ_{ℓ=0}^{L−1} (I − Σ̂Γ/L)^ℓ Xᵀ y``;
* L steps of preconditioned gradient descent ``w ← w + (1/(LP)) Γ Xᵀ(y − Xw)`` from ``w = 0``
  (step ``1/L``, preconditioner ``Γ``, loss ``|y − Xw|²/(2P)``), prediction ``x*ᵀ w_L``;
* masked linear attention on the residual stream, spec §2.

**Which product of key and query weights is Γ.**  With scores ``k_ν·q_μ = x_νᵀ B x_μ``,
``B = W_xᵀ W_kᵀ W_q W_x`` (ν the attended training token, μ the receiving token), the aligned
network (x in the first D coordinates, label in coordinate D+1 with gain ``w_y``, value
``W_v = g e e ᵀ`` along the label coordinate ``e``, readout ``w_o e``) keeps the x-part fixed and
updates the label coordinate of the training tokens as the GD residual
``r ← (I − (g/(LP)) X Bᵀ Xᵀ) r``.  Hence the attention output is

    f_attn(x*) = (w_o w_y) · f_GD(x*; Γ = g Bᵀ = g W_xᵀ W_qᵀ W_k W_x),

i.e. Γ is the *transpose* of the ``W_kᵀ W_q`` block printed in the paper; the two agree only for a
symmetric block (checked symbolically by :func:`check_attention_equals_gd`).  The scalar
``w_oᵀ W_v w_y = w_o g w_y`` can be folded into Γ only when ``w_o w_y = 1`` (or ``L = 1``, where
the predictor is linear in Γ): for ``L ≥ 2`` the value gain ``g`` enters every layer, the
readout/embedding product ``w_o w_y`` only once.
"""
from __future__ import annotations

import sympy as sp
from sympy.polys.constructor import construct_domain
from sympy.polys.matrices import DomainMatrix

__all__ = [
    "sample_covariance", "reduced_gamma_predictor", "gd_weights", "gd_predictor",
    "weight_error", "attention_mask", "embed_tokens", "attention_forward", "aligned_weights",
    "attention_predictor", "symbolic_context", "check_gd_equals_reduced",
    "check_attention_equals_gd", "check_weight_error",
]


def _expand(M):
    return M.applyfunc(sp.expand)


def _check_depth(depth):
    if not (isinstance(depth, (int, sp.Integer)) and int(depth) >= 1):
        raise ValueError(f"depth={depth!r} is invalid: depth must be an integer >= 1")
    return int(depth)


def _to_domain(mats, scalars=()):
    """Convert sympy matrices (and scalars) to one common polynomial domain.

    Exact polynomial arithmetic on ``DomainMatrix`` is orders of magnitude faster than
    expanding sympy expressions after every product; results are converted back at the end.
    """
    mats = [sp.Matrix(M) for M in mats]
    entries = [sp.sympify(e, strict=True) for M in mats for e in M] + \
        [sp.sympify(x, strict=True) for x in scalars]
    K, _ = construct_domain(entries)
    dms = [DomainMatrix.from_list_sympy(*M.shape, M.tolist()).convert_to(K) for M in mats]
    return K, dms, [K.from_sympy(sp.sympify(x, strict=True)) for x in scalars]


def sample_covariance(X):
    """``Σ̂ = XᵀX / P`` for the ``P × D`` matrix of training covariates."""
    return X.T * X / X.shape[0]


def _reduced(Xq, X, y, Gamma, L, s, K):
    D = X.shape[1]
    step = DomainMatrix.eye(D, K) - X.transpose() * X * Gamma * s
    term = X.transpose() * y
    acc = DomainMatrix.zeros((D, 1), K)
    for _ in range(L):
        acc = acc + term
        term = step * term
    return Xq * Gamma * acc * s


def _gd_weights(X, y, Gamma, L, s, K):
    w = DomainMatrix.zeros((X.shape[1], 1), K)
    for _ in range(L):
        w = w + Gamma * X.transpose() * (y - X * w) * s
    return w


def _weight_error(X, beta, Gamma, L, s, K):
    step = DomainMatrix.eye(X.shape[1], K) - Gamma * X.transpose() * X * s
    v = beta
    for _ in range(L):
        v = step * v
    return v


def _attention(H, W_q, W_k, W_v, Ms, Mt, L, s):
    for _ in range(L):
        Q, Km, V = H * W_q.transpose(), H * W_k.transpose(), H * W_v.transpose()
        H = H + Ms * (Q * Km.transpose()) * Mt * V * s
    return H


def reduced_gamma_predictor(Xq, X, y, Gamma, depth):
    """Reduced-Γ predictions ``(1/(LP)) x*ᵀ Γ Σ_{ℓ<L} (I − Σ̂Γ/L)^ℓ Xᵀ y`` for each query row.

    ``Xq`` is ``K × D`` (one query per row), ``X`` is ``P × D``, ``y`` is ``P × 1``; returns ``K × 1``.
    """
    L = _check_depth(depth)
    K, mats, (s,) = _to_domain([Xq, X, y, Gamma], [sp.Rational(1, L * X.shape[0])])
    return _reduced(*mats, L, s, K).to_Matrix()


def gd_weights(X, y, Gamma, depth):
    """``w_L`` after L steps ``w ← w + (1/(LP)) Γ Xᵀ (y − X w)`` from ``w = 0``, i.e.
    preconditioned GD with step ``1/L`` on ``|y − Xw|²/(2P)``."""
    L = _check_depth(depth)
    K, mats, (s,) = _to_domain([X, y, Gamma], [sp.Rational(1, L * X.shape[0])])
    return _gd_weights(*mats, L, s, K).to_Matrix()


def gd_predictor(Xq, X, y, Gamma, depth):
    """Predictions ``x*ᵀ w_L`` of preconditioned GD (see :func:`gd_weights`)."""
    L = _check_depth(depth)
    K, (Xq, *mats), (s,) = _to_domain([Xq, X, y, Gamma], [sp.Rational(1, L * X.shape[0])])
    return (Xq * _gd_weights(*mats, L, s, K)).to_Matrix()


def weight_error(X, beta, Gamma, depth):
    """Noise-free weight error ``v_L = (I − ΓΣ̂/L)^L β`` (labels ``y = Xβ``)."""
    L = _check_depth(depth)
    K, mats, (s,) = _to_domain([X, beta, Gamma], [sp.Rational(1, L * X.shape[0])])
    return _weight_error(*mats, L, s, K).to_Matrix()


def _mask_factors(P, K):
    # The mask is rank one, M[μ, ν] = s_μ t_ν (s = −1 on training rows, +1 on queries; t = 1 on
    # training columns, 0 on queries), so M ∘ S = diag(s) S diag(t).
    s = [-1] * P + [1] * K
    t = [1] * P + [0] * K
    return sp.diag(*s), sp.diag(*t)


def attention_mask(P, K):
    """``(P+K) × (P+K)`` mask ``M[μ, ν]``: −1 training←training, +1 query←training, 0 for ν a query."""
    Ms, Mt = _mask_factors(P, K)
    return Ms * sp.ones(P + K, P + K) * Mt


def embed_tokens(X, y, Xq, W_x, w_y):
    """First residual stream ``h¹_μ = W_x x_μ + w_y y_μ`` as rows (queries carry ``y = 0``).

    ``W_x`` is ``N × D``, ``w_y`` is ``N × 1``; returns the ``(P+K) × N`` matrix of rows ``h¹_μ``.
    """
    Xall = X.col_join(Xq)
    yall = y.col_join(sp.zeros(Xq.shape[0], 1))
    return Xall * W_x.T + yall * w_y.T


def attention_forward(H, W_q, W_k, W_v, P, depth):
    """Run ``h^{ℓ+1}_μ = h^ℓ_μ + (1/(LP)) Σ_{ν≤P} M_{μν} (k_ν·q_μ) v_ν`` for ``L`` tied layers.

    ``H`` holds the tokens as rows (training tokens first).  In matrix form the update is
    ``H ← H + (M ∘ (Q Kᵀ)) V / (LP)`` with rows ``q_μ = W_q h_μ``, ``k_ν = W_k h_ν``, ``v_ν = W_v h_ν``.
    """
    L = _check_depth(depth)
    Ms, Mt = _mask_factors(P, H.shape[0] - P)
    _, mats, (s,) = _to_domain([H, W_q, W_k, W_v, Ms, Mt], [sp.Rational(1, L * P)])
    return _attention(*mats, L, s).to_Matrix()


def aligned_weights(query, key=None, g=1, w_o=1, w_y=1):
    """Aligned weights on the stream ``R^{D+1}`` from D×D query and key blocks.

    ``W_x = [I_D; 0]``, ``w_y = w_y e``, ``W_q = diag(query, 0)``, ``W_k = diag(key, 0)`` (key
    defaults to ``I_D``), ``W_v = g e eᵀ``, readout ``w_o e``, ``e = e_{D+1}``.  Returns a dict with
    the weights (``W_x, w_y, W_k, W_q, W_v, w_o``) plus the derived

    * ``Gamma = g · W_xᵀ W_qᵀ W_k W_x`` (the preconditioner the network runs, see module doc), and
    * ``scale = w_o w_y`` (the output factor: ``f_attn = scale · f_GD(Γ)``).
    """
    D = query.shape[0]
    key = sp.eye(D) if key is None else key
    e = sp.zeros(D + 1, 1)
    e[D] = 1
    W_x = sp.eye(D).col_join(sp.zeros(1, D))
    W_k, W_q = sp.diag(key, 0), sp.diag(query, 0)
    return dict(W_x=W_x, w_y=w_y * e, W_k=W_k, W_q=W_q, W_v=g * e * e.T, w_o=w_o * e,
                Gamma=g * W_x.T * W_q.T * W_k * W_x, scale=w_o * w_y)


def attention_predictor(Xq, X, y, weights, depth):
    """Outputs ``f_μ = w_o · h^{L+1}_μ`` of the masked linear attention on the query tokens."""
    P = X.shape[0]
    H = embed_tokens(X, y, Xq, weights["W_x"], weights["w_y"])
    H = attention_forward(H, weights["W_q"], weights["W_k"], weights["W_v"], P, depth)
    return _expand(H[P:, :] * weights["w_o"])


def symbolic_context(D=2, P=3, K=1):
    """General symbolic data: ``X`` (P×D), ``y`` (P×1), queries ``Xq`` (K×D) and a D×D block
    ``B``, one local dummy symbol per entry (real)."""
    X = sp.Matrix(P, D, lambda i, j: sp.Symbol(f"x_{i}{j}", real=True))
    y = sp.Matrix(P, 1, lambda i, j: sp.Symbol(f"y_{i}", real=True))
    Xq = sp.Matrix(K, D, lambda i, j: sp.Symbol(f"xq_{i}{j}", real=True))
    B = sp.Matrix(D, D, lambda i, j: sp.Symbol(f"b_{i}{j}", real=True))
    return X, y, Xq, B


def check_gd_equals_reduced(depth, D=2, P=3, K=1):
    """``f_GD − f_reduced`` for a general (non-symmetric) symbolic Γ: the zero ``K × 1`` matrix."""
    L = _check_depth(depth)
    X, y, Xq, Gamma = symbolic_context(D, P, K)
    Kd, (Xq, X, y, Gamma), (s,) = _to_domain([Xq, X, y, Gamma], [sp.Rational(1, L * P)])
    diff = Xq * _gd_weights(X, y, Gamma, L, s, Kd) - _reduced(Xq, X, y, Gamma, L, s, Kd)
    return diff.to_Matrix()


def check_attention_equals_gd(depth, D=2, P=3, K=1, transpose=True, gains=False,
                              general_key=False):
    """``f_attn − (w_o w_y) f_GD(Γ)`` for general symbolic X, y, x* and key-query weights.

    ``transpose=True`` uses ``Γ = g W_qᵀ W_k`` (x block; the correct identification, zero matrix
    expected); ``transpose=False`` uses the paper's printed ``Γ = g W_kᵀ W_q`` (nonzero for a
    non-symmetric product).  ``gains=True`` makes ``g, w_o, w_y`` symbols (else all 1);
    ``general_key=True`` makes the key block symbolic too (else ``I``, query block ``B``).
    """
    L = _check_depth(depth)
    X, y, Xq, B = symbolic_context(D, P, K)
    g, w_o, w_y = sp.symbols("g w_o w_y", real=True) if gains else (1, 1, 1)
    key = (sp.Matrix(D, D, lambda i, j: sp.Symbol(f"k_{i}{j}", real=True))
           if general_key else None)
    wts = aligned_weights(B, key, g=g, w_o=w_o, w_y=w_y)
    Gamma = wts["Gamma"] if transpose else wts["Gamma"].T
    H = embed_tokens(X, y, Xq, wts["W_x"], wts["w_y"])
    Ms, Mt = _mask_factors(P, K)
    Kd, (H, W_q, W_k, W_v, Ms, Mt, w_o_vec, Xq, X, y, Gamma), (s, scale) = _to_domain(
        [H, wts["W_q"], wts["W_k"], wts["W_v"], Ms, Mt, wts["w_o"], Xq, X, y, Gamma],
        [sp.Rational(1, L * P), wts["scale"]])
    H = _attention(H, W_q, W_k, W_v, Ms, Mt, L, s)
    f_attn = H.extract(list(range(P, P + K)), list(range(H.shape[1]))) * w_o_vec
    diff = f_attn - Xq * _gd_weights(X, y, Gamma, L, s, Kd) * scale
    return diff.to_Matrix()


def check_weight_error(depth, D=2, P=3):
    """``β − w_L − (I − ΓΣ̂/L)^L β`` for labels ``y = Xβ`` (zero expected), general Γ."""
    L = _check_depth(depth)
    X, _, _, Gamma = symbolic_context(D, P, 1)
    beta = sp.Matrix(D, 1, lambda i, j: sp.Symbol(f"beta_{i}", real=True))
    Kd, (X, beta, Gamma), (s,) = _to_domain([X, beta, Gamma], [sp.Rational(1, L * P)])
    w_L = _gd_weights(X, X * beta, Gamma, L, s, Kd)
    diff = beta - w_L - _weight_error(X, beta, Gamma, L, s, Kd)
    return diff.to_Matrix()
