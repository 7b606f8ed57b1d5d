"""Model of spec §2: attention = preconditioned GD = reduced-Γ predictor, symbolically."""
import pytest
import sympy as sp

from theory import model


def _is_zero(M):
    return all(sp.expand(e) == 0 for e in M)


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_gd_equals_reduced_gamma_predictor(depth):
    # General non-symmetric Γ and symbolic data: the two predictors are the same polynomial.
    assert _is_zero(model.check_gd_equals_reduced(depth, D=2, P=3))


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_weight_error_recursion(depth):
    assert _is_zero(model.check_weight_error(depth, D=2, P=3))


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_attention_equals_gd_with_transposed_block(depth):
    # Γ = g W_qᵀ W_k on the x block: exact identity for a non-symmetric key-query block.
    assert _is_zero(model.check_attention_equals_gd(depth, D=2, P=3))


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_attention_equals_gd_general_key_and_gains(depth):
    # Symbolic key and query blocks and gains g, w_o, w_y: f_attn = w_o w_y f_GD(g Qᵀ K).
    assert _is_zero(model.check_attention_equals_gd(depth, D=2, P=2, gains=True,
                                                    general_key=True))


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_spec_printed_block_fails_for_nonsymmetric_weights(depth):
    # The spec's W_kᵀ W_q (untransposed) is wrong unless the block is symmetric: the difference
    # is a nonzero polynomial, and at a concrete non-symmetric point it is a nonzero number.
    diff = model.check_attention_equals_gd(depth, D=2, P=3, transpose=False)
    assert not _is_zero(diff)
    point = {s: sp.Rational(i % 5 + 1, i % 3 + 2) for i, s in
             enumerate(sorted(diff.free_symbols, key=sp.default_sort_key))}
    point[sp.Symbol("b_01", real=True)] = 3
    point[sp.Symbol("b_10", real=True)] = -1
    assert diff[0].subs(point) != 0


def test_transpose_irrelevant_for_symmetric_block():
    X, y, Xq, B = model.symbolic_context(2, 3, 1)
    S = B + B.T
    wts = model.aligned_weights(S)
    f_attn = model.attention_predictor(Xq, X, y, wts, 2)
    assert _is_zero(f_attn - model.gd_predictor(Xq, X, y, S, 2))


def test_spec_gain_folding_fails_beyond_depth_one():
    # Folding w_oᵀ W_v w_y = g w_o w_y into Γ is exact at L = 1 but not at L = 2: the value
    # gain enters every layer, the readout/embedding product only once.
    X, y, Xq, B = model.symbolic_context(2, 2, 1)
    g, w_o, w_y = sp.symbols("g w_o w_y", real=True)
    wts = model.aligned_weights(B, g=g, w_o=w_o, w_y=w_y)
    assert wts["Gamma"] == g * B.T
    for depth, zero in ((1, True), (2, False)):
        f_attn = model.attention_predictor(Xq, X, y, wts, depth)
        folded = model.gd_predictor(Xq, X, y, g * w_o * w_y * B.T, depth)
        assert _is_zero(f_attn - folded) is zero


def test_public_routes_agree_with_checks():
    X, y, Xq, G = model.symbolic_context(2, 3, 2)
    f_red = model.reduced_gamma_predictor(Xq, X, y, G, 2)
    f_gd = model.gd_predictor(Xq, X, y, G, 2)
    assert f_red.shape == (2, 1) and _is_zero(f_red - f_gd)
    assert _is_zero(Xq * model.gd_weights(X, y, G, 2) - f_gd)
    beta = sp.Matrix(sp.symbols("beta_0 beta_1", real=True))
    assert _is_zero(beta - model.gd_weights(X, X * beta, G, 3) - model.weight_error(X, beta, G, 3))


def test_one_gd_step_by_hand():
    # L = 1, P = 1, D = 1: f = x* γ x y / 1.
    x, y0, xq, gam = sp.symbols("x y0 xq gam", real=True)
    f = model.gd_predictor(sp.Matrix([[xq]]), sp.Matrix([[x]]), sp.Matrix([[y0]]),
                           sp.Matrix([[gam]]), 1)
    assert sp.expand(f[0] - xq * gam * x * y0) == 0


def test_mask():
    M = model.attention_mask(2, 1)
    assert M == sp.Matrix([[-1, -1, 0], [-1, -1, 0], [1, 1, 0]])


def test_rejects_bad_depth():
    with pytest.raises(ValueError, match="depth"):
        model.check_gd_equals_reduced(0)
