"""Tests of the numpy simulator (solvers/simulate.py).

References come from outside the simulator: Wishart moments derived by hand, the exact
population limit, rotation invariance computed with an eigendecomposition, and an explicit
matrix-power form of the predictor.  Statistical tolerances are 3 standard errors (plus a stated
finite-D allowance where an asymptotic formula is compared).
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from solvers.result import to_json

from solvers.simulators.reduced import (
    context_risk,
    gd_predictor,
    gd_predictor_population,
    sample_contexts,
    simulate,
)


def power_law(D, nu=1.5, b=1.0):
    """λ_k = k^{-ν}, ω_k λ_k ∝ k^{-νb-1}, normalised so Σ ω_k λ_k = 1."""
    k = np.arange(1, D + 1, dtype=float)
    lam = k ** -nu
    wl = k ** (-nu * b - 1)
    wl /= wl.sum()
    return lam, wl / lam


# --------------------------------------------------------------------------------------------
# (a) ISO, depth 1: exact finite-D value from Wishart moments
# --------------------------------------------------------------------------------------------
def iso_depth1_exact(gamma, D, P, sigma2):
    """L = 1: w = γ Xᵀy/P, so w − β/√D = (γΣ̂ − I)β/√D + γσ Xᵀε/P.  Averaging over β ~ N(0, I)
    and ε: R = tr E[(γΣ̂ − I)²]/D + γ²σ² E tr(Σ̂)/P.  For Gaussian x, E Σ̂ = I and
    E[(XᵀX)²] = P(P + D + 1) I (the μ = ν terms give E[x|x|²xᵀ] = (D+2)I, the P(P−1) others I),
    hence R = 1 − 2γ + γ²(1 + (D+1)/P) + γ²σ² D/P exactly at every finite D, P."""
    return 1 - 2 * gamma + gamma**2 * (1 + (D + 1) / P) + gamma**2 * sigma2 * D / P


def iso_depth1_asymptotic(gamma, alpha, sigma2):
    """D → ∞ at fixed α: the MP moments m1 = 1, m2 = 1 + 1/α of Σ̂ give
    R = 1 − 2γ + γ²(1 + 1/α) + (σ²/α)γ²."""
    return 1 - 2 * gamma + gamma**2 * (1 + 1 / alpha) + sigma2 * gamma**2 / alpha


@pytest.mark.parametrize("alpha,sigma2", [(0.5, 0.0), (2.0, 0.0), (1.0, 0.5), (2.0, 1.0)])
def test_iso_depth1_matches_exact_finite_D(alpha, sigma2):
    D = 256
    gamma = alpha / (1 + alpha)  # the noise-free optimum; any γ would do
    res = simulate("iso", alpha=alpha, depth=1, gamma=gamma, sigma2=sigma2, dim=D,
                   contexts=600, seed=11)
    P = round(alpha * D)
    exact = iso_depth1_exact(gamma, D, P, sigma2)
    assert abs(res.risk - exact) < 3 * res.stderr, (res.risk, exact, res.stderr)
    # The asymptotic formula differs from the finite-D one by γ²/P (exactly); allow for it.
    asym = iso_depth1_asymptotic(gamma, alpha, sigma2)
    assert abs(exact - asym - gamma**2 / P) < 1e-12
    assert abs(res.risk - asym) < 3 * res.stderr + gamma**2 / P


# --------------------------------------------------------------------------------------------
# (b) FS at α = inf with Γ = L Σ⁻¹: zero risk at every depth
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [1, 2, 7, 50])
@pytest.mark.parametrize("form", ["vector", "matrix"])
def test_fs_population_inverse_preconditioner_is_exact(depth, form):
    D = 32
    lam, omega = power_law(D)
    gamma = depth / lam if form == "vector" else np.diag(depth / lam)
    res = simulate("fs", alpha=math.inf, depth=depth, gamma=gamma, dim=D, contexts=50,
                   seed=3, lam=lam, omega=omega)
    # I − ΓΣ/L = 0 up to rounding, so the error is a few ulps of a risk-1 quantity
    assert 0 <= res.risk < 1e-28
    assert res.params["context"] == math.inf


# --------------------------------------------------------------------------------------------
# (c) RRS with Γ = γI: rotation invariance
# --------------------------------------------------------------------------------------------
def test_rrs_population_per_context_closed_form():
    """Per context, with Σ_c = U diag(μ) Uᵀ from eigh (independent of the rotation used to
    build it): R_c = Σ_k μ_k (1 − γμ_k/L)^{2L} (u_kᵀ β/√D)², and μ must equal λ."""
    D, n, L, gamma = 24, 20, 5, 2.0
    lam, omega = power_law(D)
    ctx = sample_contexts("rrs", np.random.default_rng(5), n, D, math.inf, lam, omega)
    assert ctx.X is None and ctx.sigma.shape == (n, D, D)
    w = gd_predictor_population(ctx.sigma, ctx.beta, gamma, L)
    got = context_risk(w, ctx.beta, ctx.sigma)
    mu, U = np.linalg.eigh(ctx.sigma)
    np.testing.assert_allclose(mu, np.sort(lam)[None, :].repeat(n, 0), rtol=0, atol=1e-13)
    coef = np.einsum("nik,ni->nk", U, ctx.beta / math.sqrt(D))
    expected = np.sum(mu * (1 - gamma * mu / L) ** (2 * L) * coef**2, axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-11)


@pytest.mark.parametrize("alpha", [math.inf, 1.5])
def test_rrs_equals_fs_context_by_context(alpha):
    """The rrs draws are the fs draws rotated by O_c; with Γ = γI the rotation cancels, so the
    two simulations with one seed agree to rounding, at finite and infinite context."""
    D, L, gamma = 16, 4, 1.5
    lam, omega = power_law(D)
    kw = dict(alpha=alpha, depth=L, gamma=gamma, sigma2=0.3, dim=D, contexts=40, seed=9,
              lam=lam, omega=omega, chunk=40)
    r_rrs = simulate("rrs", **kw)
    r_fs = simulate("fs", **kw)
    assert r_rrs.risk == pytest.approx(r_fs.risk, rel=1e-11)
    assert r_rrs.stderr == pytest.approx(r_fs.stderr, rel=1e-9)


def test_rrs_population_mean_matches_theory():
    """E over β of the per-context risk is Σ_k ω_k λ_k (1 − γλ_k/L)^{2L} (theory.md §5)."""
    D, L, gamma = 32, 3, 4.0
    lam, omega = power_law(D)
    res = simulate("rrs", alpha=math.inf, depth=L, gamma=gamma, dim=D, contexts=2000, seed=1,
                   lam=lam, omega=omega)
    theory = float(np.sum(omega * lam * (1 - gamma * lam / L) ** (2 * L)))
    assert abs(res.risk - theory) < 3 * res.stderr, (res.risk, theory, res.stderr)


def test_fs_with_flat_spectrum_is_iso():
    """λ = 1, ω = 1/D is the iso normalisation (target β/√D with covariance I/D)."""
    D = 20
    kw = dict(alpha=0.8, depth=3, gamma=0.7, sigma2=0.2, dim=D, contexts=30, seed=4)
    r_iso = simulate("iso", **kw)
    r_fs = simulate("fs", lam=np.ones(D), omega=np.full(D, 1 / D), **kw)
    assert r_fs.risk == pytest.approx(r_iso.risk, rel=1e-12)


# --------------------------------------------------------------------------------------------
# the predictor itself, against the closed (matrix-power) form
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("depth,P", [(1, 9), (3, 9), (50, 40), (4, 40)])
def test_gd_predictor_matches_matrix_power_form(depth, P):
    """w_L = (1/L) Σ_{ℓ<L} (I − ΓΣ̂/L)^ℓ Γ Xᵀy/P (theory.md §2); (50, 40) takes the
    sample-covariance path of the implementation, the others the X path."""
    rng = np.random.default_rng(0)
    n, D = 3, 12
    X = rng.standard_normal((n, P, D))
    y = rng.standard_normal((n, P))
    G = rng.standard_normal((D, D)) / (2 * math.sqrt(D))  # non-symmetric
    w = gd_predictor(X, y, G, depth)
    for c in range(n):
        S = X[c].T @ X[c] / P
        T = np.eye(D) - G @ S / depth
        acc, Tl = np.zeros((D, D)), np.eye(D)
        for _ in range(depth):
            acc += Tl
            Tl = T @ Tl
        ref = acc @ G @ X[c].T @ y[c] / (P * depth)
        np.testing.assert_allclose(w[c], ref, rtol=1e-10, atol=1e-13)
    # single-context call
    np.testing.assert_allclose(gd_predictor(X[0], y[0], G, depth), w[0], rtol=1e-13)


def test_gd_predictor_untied_is_product_of_layers():
    """Noise-free weight error after untied layers: Π_ℓ (I − Γ_ℓ Σ̂/L) (−β/√D), later layers
    on the left."""
    rng = np.random.default_rng(1)
    n, P, D, L = 2, 15, 7, 4
    X = rng.standard_normal((n, P, D))
    beta = rng.standard_normal((n, D))
    y = X @ beta[..., None] / math.sqrt(D)
    y = y[..., 0]
    Gs = [rng.standard_normal((D, D)) / math.sqrt(D) for _ in range(L)]
    w = gd_predictor(X, y, Gs, L)
    np.testing.assert_allclose(gd_predictor(X, y, np.stack(Gs), L), w, rtol=1e-14)
    for c in range(n):
        S = X[c].T @ X[c] / P
        e = -beta[c] / math.sqrt(D)
        for G in Gs:
            e = (np.eye(D) - G @ S / L) @ e
        np.testing.assert_allclose(w[c] - beta[c] / math.sqrt(D), e, rtol=1e-10, atol=1e-13)
    with pytest.raises(ValueError, match="depth"):
        gd_predictor(X, y, Gs, L + 1)


def test_deep_population_iso_per_context():
    """Depth in the thousands runs (cost linear in L): at α = inf, Σ = I, Γ = γI the error is
    (1 − γ/L)^L (−β/√D), so R_c = (1 − γ/L)^{2L} |β|²/D per context."""
    D, n, L, gamma = 8, 10, 3000, 1.3
    ctx = sample_contexts("iso", np.random.default_rng(2), n, D, None)
    r = context_risk(gd_predictor_population(ctx.sigma, ctx.beta, gamma, L), ctx.beta, None)
    expected = (1 - gamma / L) ** (2 * L) * np.sum(ctx.beta**2, axis=1) / D
    np.testing.assert_allclose(r, expected, rtol=1e-9)


def test_width_bottleneck_population_iso():
    """Γ_eff = γ P_N: the N seen directions shrink by (1 − γ/L)^L, the D − N others keep their
    error, so E R = (N/D)(1 − γ/L)^{2L} + 1 − N/D."""
    D, N, L, gamma = 40, 10, 2, 1.0
    res = simulate("iso", alpha=math.inf, depth=L, gamma=gamma, dim=D, contexts=1000, seed=8,
                   width=N)
    theory = N / D * (1 - gamma / L) ** (2 * L) + 1 - N / D
    assert abs(res.risk - theory) < 3 * res.stderr
    full = simulate("iso", alpha=math.inf, depth=L, gamma=gamma, dim=D, contexts=1000, seed=8,
                    width=D)
    assert abs(full.risk - (1 - gamma / L) ** (2 * L)) < 3 * full.stderr


# --------------------------------------------------------------------------------------------
# (d) invalid inputs, (e) seeds, result object
# --------------------------------------------------------------------------------------------
BASE = dict(alpha=1.0, depth=2, gamma=0.5, dim=8, contexts=4, seed=0)


@pytest.mark.parametrize("setting,change,name", [
    ("iso", {"depth": math.inf}, "depth"),
    ("iso", {"depth": 0}, "depth"),
    ("iso", {"depth": 1.5}, "depth"),
    ("iso", {"alpha": 0}, "alpha"),
    ("iso", {"alpha": -1.0}, "alpha"),
    ("iso", {"alpha": 0.01}, "alpha"),  # P = round(0.08) = 0
    ("iso", {"alpha": float("nan")}, "alpha"),
    ("iso", {"gamma": -0.1}, "gamma"),
    ("iso", {"gamma": None}, "gamma"),
    ("iso", {"gamma": np.ones(5)}, "gamma"),
    ("iso", {"gamma": np.full((8, 8), np.inf)}, "gamma"),
    ("iso", {"sigma2": -1}, "sigma2"),
    ("iso", {"dim": 0}, "dim"),
    ("iso", {"contexts": 1}, "contexts"),
    ("iso", {"seed": -3}, "seed"),
    ("iso", {"seed": "abc"}, "seed"),
    ("iso", {"width": 9}, "width"),
    ("iso", {"width": 0}, "width"),
    ("iso", {"chunk": 0}, "chunk"),
    ("iso", {"lam": np.ones(8)}, "lam"),
    ("fs", {"omega": np.ones(8)}, "lam"),
    ("fs", {"lam": np.ones(8)}, "omega"),
    ("fs", {"lam": np.ones(7), "omega": np.ones(8)}, "lam"),
    ("rrs", {"lam": -np.ones(8), "omega": np.ones(8)}, "lam"),
    ("rrs", {"lam": np.ones(8), "omega": -np.ones(8)}, "omega"),
    ("cube", {}, "setting"),
])
def test_invalid_parameters_raise_naming_them(setting, change, name):
    with pytest.raises(ValueError, match=name):
        simulate(setting, **{**BASE, **change})


def test_seed_reproducibility():
    kw = dict(alpha=0.5, depth=3, gamma=0.8, sigma2=0.1, dim=16, contexts=20)
    a = simulate("iso", seed=7, **kw)
    b = simulate("iso", seed=7, **kw)
    c = simulate("iso", seed=8, **kw)
    assert a.risk == b.risk and a.stderr == b.stderr
    assert a.risk != c.risk
    # an explicit Generator is accepted (and recorded as seed=None)
    d = simulate("iso", seed=np.random.default_rng(7), **kw)
    assert d.risk == a.risk and d.seed is None


def test_result_object():
    D = 10
    lam, omega = power_law(D)
    res = simulate("rrs", alpha=2.0, depth=2, gamma=np.eye(D), dim=D, contexts=6, seed=1,
                   lam=lam, omega=omega, width=5, chunk=4)
    assert res.method == "monte-carlo"
    assert (res.dim, res.contexts, res.seed) == (D, 6, 1)
    assert res.stderr > 0 and res.risk >= 0
    assert res.params["context"] == 20 and res.params["width"] == 5
    assert len(res.extra["chunk_risks"]) == 2
    out = json.loads(to_json(res.to_dict()))
    for key in ("risk", "stderr", "dim", "contexts", "seed", "gamma"):
        assert key in out


def test_noise_and_bounds():
    """Noise only adds risk; the risk is ≥ 0."""
    kw = dict(alpha=0.5, depth=4, gamma=1.0, dim=32, contexts=50, seed=2)
    clean = simulate("iso", sigma2=0.0, **kw)
    noisy = simulate("iso", sigma2=1.0, **kw)
    assert 0 <= clean.risk < noisy.risk
