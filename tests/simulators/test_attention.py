"""Tests of the masked linear-attention forward pass (solvers/attention.py).

The reference is the reduced-Γ predictor of the simulator (preconditioned GD, written as a
recursion on the weights), a different computation from the token-level attention.  Agreement is
to rounding (rtol 1e-10: a few dozen matrix products of O(1) entries).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from solvers.simulators.attention import AttentionWeights, aligned_weights, forward, random_weights
from solvers.simulators.reduced import gd_predictor

B, P, K, D = 4, 11, 3, 6


@pytest.fixture
def data():
    rng = np.random.default_rng(42)
    X = rng.standard_normal((B, P, D))
    y = rng.standard_normal((B, P))
    Xq = rng.standard_normal((B, K, D))
    return X, y, Xq


def nonsymmetric(rng, scale=1.0):
    G = rng.standard_normal((D, D)) * scale / math.sqrt(D)
    assert np.abs(G - G.T).max() > 0.1
    return G


def gd_prediction(X, y, Xq, Gamma, depth):
    w = gd_predictor(X, y, Gamma, depth)
    return np.einsum("bkd,bd->bk", Xq, w)


@pytest.mark.parametrize("depth", [1, 2, 3, 8])
@pytest.mark.parametrize("N", [D + 1, D + 4])
def test_aligned_tied_equals_gd(data, depth, N):
    X, y, Xq = data
    G = nonsymmetric(np.random.default_rng(depth))
    f = forward(aligned_weights(G, D, N, depth=depth), X, y, Xq)
    assert f.shape == (B, K)
    np.testing.assert_allclose(f, gd_prediction(X, y, Xq, G, depth), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("depth", [1, 2, 3, 8])
def test_aligned_untied_equals_gd(data, depth):
    X, y, Xq = data
    rng = np.random.default_rng(10 + depth)
    Gs = [nonsymmetric(rng) for _ in range(depth)]
    weights = aligned_weights(Gs, D)
    assert weights.depth == depth
    f = forward(weights, X, y, Xq)
    np.testing.assert_allclose(f, gd_prediction(X, y, Xq, Gs, depth), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("gamma", [0.7, np.linspace(0.2, 1.5, D)])
def test_aligned_scalar_and_diagonal(data, gamma):
    X, y, Xq = data
    f = forward(aligned_weights(gamma, D, depth=3), X, y, Xq)
    np.testing.assert_allclose(f, gd_prediction(X, y, Xq, gamma, 3), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("depth", [1, 3])
def test_transpose_convention_general_weights(data, depth):
    """Reduced-form weights that are not the aligned ones: x mixed by an invertible R in the x
    block, random key/query blocks, value gain c.  The forward pass is GD with
    Γ = c W_xᵀ W_qᵀ W_k W_x (x block) — not with its transpose W_xᵀ W_kᵀ W_q W_x."""
    X, y, Xq = data
    rng = np.random.default_rng(7)
    N = D + 2
    R = np.eye(D) + 0.3 * rng.standard_normal((D, D)) / math.sqrt(D)
    Bq = rng.standard_normal((D, D)) / math.sqrt(D)
    Bk = rng.standard_normal((D, D)) / math.sqrt(D)
    W_x = np.zeros((N, D))
    W_x[:D] = R
    e_y = np.zeros(N)
    e_y[D] = 1.0
    W_q = np.zeros((N, N))
    W_q[:D, :D] = Bq
    W_k = np.zeros((N, N))
    W_k[:D, :D] = Bk
    c_v, c_o, c_y = 1.3, 0.8, 1.1
    W_v = c_v * np.outer(e_y, e_y)
    weights = AttentionWeights(W_x, c_y * e_y, W_q, W_k, W_v, c_o * e_y, depth=depth)
    # the model computes c_o · (GD prediction on labels c_y y with Γ' = c_v W_xᵀ W_qᵀ W_k W_x)
    Gamma = c_v * W_x.T @ W_q.T @ W_k @ W_x
    f = forward(weights, X, y, Xq)
    ref = c_o * gd_prediction(X, c_y * y, Xq, Gamma, depth)
    np.testing.assert_allclose(f, ref, rtol=1e-10, atol=1e-12)
    # spec's gain (w_o·W_v w_y) Γ': the same number at depth 1, where the predictor is linear in Γ
    if depth == 1:
        gain = float(c_o * e_y @ W_v @ (c_y * e_y))
        np.testing.assert_allclose(f, gd_prediction(X, y, Xq, gain / c_v * Gamma, 1),
                                   rtol=1e-10, atol=1e-12)
    wrong = c_o * gd_prediction(X, c_y * y, Xq, Gamma.T, depth)
    assert np.abs(f - wrong).max() > 1e-3 * np.abs(f).max()


@pytest.mark.parametrize("depth", [1, 3])
def test_aligned_weights_reproduce_gamma(depth):
    G = nonsymmetric(np.random.default_rng(0))
    w = aligned_weights(G, D, depth=depth)
    W_q, W_k, W_v = w.layer(0)
    gain = float(w.w_o @ W_v @ w.w_y)
    np.testing.assert_allclose(gain * w.W_x.T @ W_q.T @ W_k @ w.W_x, G, rtol=0, atol=0)


@pytest.mark.parametrize("mask", [(1.0, 1.0), (-1.0, -1.0), (0.0, 1.0)])
@pytest.mark.parametrize("depth", [2, 3, 8])
def test_mask_matters(data, mask, depth):
    """Any other sign convention breaks the match (at depth ≥ 2 the training tokens' sign
    enters; the query sign flips the output at every depth)."""
    X, y, Xq = data
    G = nonsymmetric(np.random.default_rng(depth), scale=0.8)
    weights = aligned_weights(G, D, depth=depth)
    ref = gd_prediction(X, y, Xq, G, depth)
    np.testing.assert_allclose(forward(weights, X, y, Xq, mask=(-1.0, 1.0)), ref, rtol=1e-10,
                               atol=1e-12)
    f = forward(weights, X, y, Xq, mask=mask)
    assert np.abs(f - ref).max() > 1e-3 * np.abs(ref).max()


@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("depth", [1, 4])
def test_random_weights_finite(data, tied, depth):
    X, y, Xq = data
    w = random_weights(np.random.default_rng(3), D, 9, depth, tied=tied, scale=0.5)
    assert w.depth == depth and w.width == 9 and w.dim == D
    f = forward(w, X, y, Xq)
    assert f.shape == (B, K) and np.all(np.isfinite(f))
    # query tokens do not attend to each other: each query's output ignores the other queries
    f0 = forward(w, X, y, Xq[:, :1])
    np.testing.assert_allclose(f0[:, 0], f[:, 0], rtol=1e-12, atol=1e-14)


def test_invalid_inputs(data):
    X, y, Xq = data
    w = aligned_weights(0.5, D, depth=2)
    with pytest.raises(ValueError, match="X"):
        forward(w, X[..., :-1], y, Xq)
    with pytest.raises(ValueError, match="y"):
        forward(w, X, y[:, :-1], Xq)
    with pytest.raises(ValueError, match="Xq"):
        forward(w, X, y, Xq[1:])
    with pytest.raises(ValueError, match="depth"):
        aligned_weights(0.5, D)  # tied without a depth
    with pytest.raises(ValueError, match="N"):
        aligned_weights(0.5, D, N=D, depth=1)
    with pytest.raises(ValueError, match="Gamma"):
        aligned_weights(np.ones(D + 1), D, depth=1)
    with pytest.raises(ValueError, match="W_q"):
        AttentionWeights(np.zeros((7, D)), np.zeros(7), np.zeros((6, 6)), np.zeros((7, 7)),
                         np.zeros((7, 7)), np.zeros(7), depth=1)
    with pytest.raises(ValueError, match="depth"):
        AttentionWeights(np.zeros((7, D)), np.zeros(7), [np.zeros((7, 7))] * 2,
                         [np.zeros((7, 7))] * 2, [np.zeros((7, 7))] * 2, np.zeros(7), depth=3)
