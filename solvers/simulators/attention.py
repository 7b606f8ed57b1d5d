"""Masked deep linear self-attention (docs/theory.md §2), vectorised over a batch of contexts.

Tokens ``h¹_μ = W_x x_μ + w_y y_μ ∈ R^N`` (query tokens carry ``y = 0``); layer ``ℓ``:

    h^{ℓ+1}_μ = h^ℓ_μ + (1/(L P)) Σ_{ν ≤ P} M_{μν} (k^ℓ_ν · q^ℓ_μ) v^ℓ_ν,

``q = W_q h``, ``k = W_k h``, ``v = W_v h``; keys/values come from the ``P`` training tokens only;
``M_{μν} = −1`` for a training token μ, ``+1`` for a query token μ.  Output ``f = w_o · h^{L+1}``
at the query tokens.

Γ convention (checked in tests/test_attention.py).  With the x-information in its own block,
``Σ_ν (k_ν·q_μ) r_ν = Σ_ν (x_νᵀ B_kᵀ B_q x_μ) r_ν = x_μᵀ (B_qᵀ B_k) Xᵀ r``, so the forward pass
is preconditioned GD with ``Γ = (w_o·W_v w_y) W_xᵀ W_qᵀ W_k W_x`` — the transpose of the
``W_kᵀ W_q`` printed in docs/theory.md §2.  The two agree only for symmetric Γ.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from solvers.validate import require_int

__all__ = ["AttentionWeights", "forward", "aligned_weights", "random_weights"]


def _per_layer(M) -> bool:
    return isinstance(M, (list, tuple)) or (isinstance(M, np.ndarray) and M.ndim == 3)


@dataclass(frozen=True)
class AttentionWeights:
    """Weights of a depth-L linear-attention network with residual width N on inputs in R^D.

    ``W_x`` (N, D), ``w_y`` (N,), ``w_o`` (N,).  ``W_q``, ``W_k``, ``W_v``: one (N, N) matrix
    (tied layers; then ``depth`` must be given) or a list of ``L`` matrices (untied; ``depth``
    is their number).
    """

    W_x: np.ndarray
    w_y: np.ndarray
    W_q: Any
    W_k: Any
    W_v: Any
    w_o: np.ndarray
    depth: int | None = None

    def __post_init__(self):
        W_x = np.asarray(self.W_x, dtype=float)
        if W_x.ndim != 2:
            raise ValueError(f"W_x of shape {W_x.shape} is invalid: W_x must be (N, D)")
        N = W_x.shape[0]
        for name in ("w_y", "w_o"):
            v = np.asarray(getattr(self, name), dtype=float)
            if v.shape != (N,):
                raise ValueError(f"{name} of shape {v.shape} is invalid: {name} must be ({N},)")
        depths = set()
        for name in ("W_q", "W_k", "W_v"):
            M = getattr(self, name)
            mats = [np.asarray(m, dtype=float) for m in M] if _per_layer(M) else \
                [np.asarray(M, dtype=float)]
            if any(m.shape != (N, N) for m in mats):
                raise ValueError(f"{name} is invalid: {name} must be an ({N}, {N}) matrix or a "
                                 f"list of them, one per layer")
            if _per_layer(M):
                depths.add(len(mats))
        if len(depths) > 1:
            raise ValueError(f"W_q, W_k, W_v are invalid: per-layer lists of different lengths "
                             f"{sorted(depths)}")
        if depths:
            (n_layers,) = depths
            if self.depth is not None and require_int("depth", self.depth) != n_layers:
                raise ValueError(f"depth={self.depth!r} is invalid: the per-layer weights have "
                                 f"{n_layers} layers")
            object.__setattr__(self, "depth", n_layers)
        elif self.depth is None:
            raise ValueError("depth=None is invalid: tied weights need depth, an integer >= 1")
        else:
            object.__setattr__(self, "depth", require_int("depth", self.depth))

    @property
    def width(self) -> int:
        return np.shape(self.W_x)[0]

    @property
    def dim(self) -> int:
        return np.shape(self.W_x)[1]

    def layer(self, ell: int):
        """``(W_q, W_k, W_v)`` of layer ``ell`` (0-based)."""
        return tuple(np.asarray(M[ell] if _per_layer(M) else M, dtype=float)
                     for M in (self.W_q, self.W_k, self.W_v))


def forward(weights: AttentionWeights, X, y, Xq, *, mask=(-1.0, 1.0)) -> np.ndarray:
    """Predictions at the query tokens.

    ``X`` (B, P, D), ``y`` (B, P), ``Xq`` (B, K, D); returns ``f`` (B, K).  ``mask`` =
    (sign training tokens receive from training tokens, sign query tokens receive from training
    tokens); the model of docs/theory.md §2 is ``(-1, +1)``.  Linear attention lets each layer use
    ``C = Σ_ν k_ν v_νᵀ`` (B, N, N), so a layer costs O(B (P+K) N²) instead of O(B P² N).
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    Xq = np.asarray(Xq, dtype=float)
    D = weights.dim
    if X.ndim != 3 or X.shape[-1] != D:
        raise ValueError(f"X of shape {X.shape} is invalid: X must be (B, P, {D})")
    B, P, _ = X.shape
    if y.shape != (B, P):
        raise ValueError(f"y of shape {y.shape} is invalid: y must be ({B}, {P})")
    if Xq.ndim != 3 or Xq.shape[0] != B or Xq.shape[-1] != D:
        raise ValueError(f"Xq of shape {Xq.shape} is invalid: Xq must be ({B}, K, {D})")
    s_train, s_query = (float(s) for s in mask)
    L = weights.depth
    W_x = np.asarray(weights.W_x, dtype=float)
    w_y = np.asarray(weights.w_y, dtype=float)
    w_o = np.asarray(weights.w_o, dtype=float)
    H = X @ W_x.T + y[..., None] * w_y  # training tokens (B, P, N)
    Hq = Xq @ W_x.T                      # query tokens, y = 0 (B, K, N)
    scale = 1.0 / (L * P)
    for ell in range(L):
        W_q, W_k, W_v = weights.layer(ell)
        K_ = H @ W_k.T
        V_ = H @ W_v.T
        C = np.swapaxes(K_, -1, -2) @ V_  # (B, N, N): Σ_ν k_ν v_νᵀ
        # both updates use layer-ℓ states, so compute before overwriting H
        dH = (H @ W_q.T) @ C
        dHq = (Hq @ W_q.T) @ C
        H = H + (s_train * scale) * dH
        Hq = Hq + (s_query * scale) * dHq
    return Hq @ w_o


def aligned_weights(Gamma, D: int, N: int | None = None, *, depth: int | None = None
                    ) -> AttentionWeights:
    """Weights for which :func:`forward` is exactly ``depth`` steps of GD with preconditioner
    ``Gamma`` (:func:`solvers.simulators.reduced.gd_predictor`), in the reduced-Γ layout:
    x in coordinates ``0..D-1``, y in coordinate ``D`` (``N ≥ D+1``, default ``D+1``); value
    reads and writes the y coordinate; ``W_k = I`` and ``W_q = Γᵀ`` on the x block, so
    ``W_qᵀ W_k = Γ`` (see the module docstring for why the transpose).

    ``Gamma``: scalar, length-D vector, D×D matrix (tied; ``depth`` required), or a list of
    those per layer (untied; depth = its length).
    """
    D = require_int("D", D)
    N = D + 1 if N is None else require_int("N", N, minimum=D + 1)

    def block(G):
        G = np.asarray(G, dtype=float)
        if G.ndim == 0:
            G = float(G) * np.eye(D)
        elif G.shape == (D,):
            G = np.diag(G)
        elif G.shape != (D, D):
            raise ValueError(f"Gamma of shape {G.shape} is invalid: Gamma must be a scalar, "
                             f"a vector of length {D} or a {D}x{D} matrix")
        W_q = np.zeros((N, N))
        W_q[:D, :D] = G.T
        return W_q

    W_x = np.zeros((N, D))
    W_x[:D, :D] = np.eye(D)
    e_y = np.zeros(N)
    e_y[D] = 1.0
    W_k = np.zeros((N, N))
    W_k[:D, :D] = np.eye(D)
    W_v = np.outer(e_y, e_y)
    if _per_layer(Gamma):
        W_q = [block(G) for G in Gamma]
        L = len(W_q)
        return AttentionWeights(W_x, e_y, W_q, [W_k] * L, [W_v] * L, e_y.copy(), depth=L)
    return AttentionWeights(W_x, e_y, block(Gamma), W_k, W_v, e_y.copy(), depth=depth)


def random_weights(rng: np.random.Generator, D: int, N: int, depth: int, *, tied: bool = True,
                   scale: float = 1.0) -> AttentionWeights:
    """Gaussian weights with entries of variance ``scale²/fan-in`` (for tests and as a training
    starting point)."""
    D = require_int("D", D)
    N = require_int("N", N)
    depth = require_int("depth", depth)

    def mat(n_out, n_in):
        return rng.standard_normal((n_out, n_in)) * (scale / np.sqrt(n_in))

    def layers():
        return mat(N, N) if tied else [mat(N, N) for _ in range(depth)]

    return AttentionWeights(mat(N, D), rng.standard_normal(N) * scale, layers(), layers(),
                            layers(), rng.standard_normal(N) * (scale / np.sqrt(N)),
                            depth=depth)
