"""Tests of the finite-size risk (solvers.settings.finite_size) and its derivation (theory.finite_size).

Independent references:
* exact Wick expectations of real-Wishart words (theory.finite_size.wishart_word: a sum over
  Isserlis pairings, no resolvents, no contour) — the exact finite-(D, P) risk at depth 1 and 2;
* the Gaussian fourth-moment closed form at depth 1;
* exact ISO moments E Tr Kᵏ (Wick) against the series of the symbolic correction;
* seeded Monte Carlo of resolvent traces on the real axis and of the package simulator;
* solvers.settings.context (the leading term must be the proportional-limit risk at α = P/D).
"""
import math

import numpy as np
import pytest
import sympy as sp

from solvers.settings import context
from solvers.settings import finite_size as F
from solvers.simulators.reduced import simulate
from solvers.spectra import PowerLaw
from theory import finite_size as T
from theory.symbols import gamma as s_gamma, sigma2 as s_sigma2


def _spectrum(D, nu=1.25, beta=1.0):
    lam, om = PowerLaw(nu, beta, dim=D).modes(dps=20)
    return [float(x) for x in lam], [float(x) for x in om]


def _exact(expr, lam, om, P, g, s2):
    """Exact value of a Wick expression for given modes (30-digit floats)."""
    return float(T.eval_modes(expr, [sp.Float(x, 30) for x in lam],
                              [sp.Float(x, 30) for x in om], P, {s_gamma: g, s_sigma2: s2}))


# ---------------------------------------------------------------------------------------------
# symbolic derivation
# ---------------------------------------------------------------------------------------------
def test_wick_depth1_equals_fourth_moment_closed_form():
    assert sp.simplify(T.risk_exact(1) - T.depth1_risk()) == 0


def test_wick_small_words_by_hand():
    # E Tr K = Σ a ;  E Tr[M K M' K] for real data = (1 + 1/P) Σ M M' a² + (Σ M a)(Σ M' a)/P
    a, w = T.a, T.w
    assert sp.simplify(T.wishart_word([w]) - T.S(w * a)) == 0
    got = T.wishart_word([w, a])
    want = (1 + 1 / T.P) * T.S(w * a ** 3) + T.S(w * a) * T.S(a ** 2) / T.P
    assert sp.simplify(got - want) == 0


@pytest.mark.parametrize("kmax", [3, pytest.param(5, marks=pytest.mark.slow)])
def test_one_point_correction_matches_exact_iso_moments(kmax):
    """The 1/P coefficient of the exact E Tr Kᵏ/D (real Wishart, D = qP) equals the series
    coefficient of the Stein correction δg(s) — exact polynomial identities in q."""
    pairs = T.iso_moment_check(kmax)
    assert len(pairs) == kmax
    for exact, pred in pairs:
        assert sp.expand(exact - pred) == 0
    # not vacuous: the β = 1 term is non-zero from k = 2 on (E Tr K²/D = 1 + q + 1/P)
    assert pairs[1][0] == 1


# ---------------------------------------------------------------------------------------------
# numerics: depth 1 exact, depth 2 residual O(1/D²)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("setting,alpha,g,s2", [("iso", 2.0, 0.6, 0.0), ("iso", 0.5, 1.1, 0.4),
                                                ("rrs", 2.0, 1.3, 0.2), ("fs", 0.5, 2.0, 0.0)])
def test_depth1_is_exact(setting, alpha, g, s2):
    """At depth 1 the risk is quadratic in K: deterministic equivalent + O(1/D) correction is
    the exact finite-size risk (tolerance: contour rounding, 1e-10 relative)."""
    D = 24
    P = round(alpha * D)
    if setting == "iso":
        lam, om = [1.0] * D, [1.0 / D] * D
        got = F.finite_size_risk("iso", dim=D, alpha=alpha, depth=1, gamma=g, sigma2=s2)
    else:
        lam, om = _spectrum(D)
        got = F.finite_size_risk(setting, dim=D, alpha=alpha, depth=1, gamma=g, sigma2=s2,
                                 lam=lam, omega=om)
    ref = _exact(T.depth1_risk(), lam, om, P, g, s2)
    assert abs(got.risk - ref) <= 1e-10 * ref
    # and the proportional limit misses exactly γ²S₃/P
    gap = _exact(T.depth1_gap(), lam, om, P, g, s2)
    assert abs((ref - got.extra["asymptotic"]) - gap) <= 1e-10 * ref
    assert gap > 1e-4 * ref


def test_depth2_residual_shrinks_faster_than_correction():
    """Depth 2 (degree-4 polynomial): exact − asymptotic ~ 1/D, exact − corrected ≲ 1/D²."""
    expr = T.risk_exact(2)
    res_a, res_f = [], []
    for D in (8, 16, 32):
        lam, om = _spectrum(D)
        r = F.finite_size_risk("rrs", dim=D, alpha=2, depth=2, gamma=1.5, sigma2=0.3, lam=lam,
                               omega=om)
        ex = _exact(expr, lam, om, 2 * D, 1.5, 0.3)
        res_a.append(abs(ex - r.extra["asymptotic"]))
        res_f.append(abs(ex - r.risk))
    for i in range(2):
        assert 1.6 <= res_a[i] / res_a[i + 1] <= 2.6       # first order: halves with D
        assert res_f[i] / res_f[i + 1] >= 3.5               # at least second order
        assert res_f[i + 1] <= 0.05 * res_a[i + 1]


def test_iso_depth2_residual_is_second_order():
    """ISO, α = 1/2, depth 2: exact (Wick) minus corrected falls ~4× per doubling of D
    (exactly (31/16)/P² + (5/4)/P³ at γ = 1, q = 2, from the exact moment polynomials)."""
    expr = T.risk_exact(2)
    res = []
    for D in (16, 32, 64):
        ex = _exact(expr, [1.0] * D, [1.0 / D] * D, D // 2, 1.0, 0.0)
        res.append(abs(ex - F.finite_size_risk("iso", dim=D, alpha=0.5, depth=2,
                                               gamma=1.0).risk))
    assert res[0] / res[1] >= 3.5 and res[1] / res[2] >= 3.5
    assert abs(res[2] - (31 / 16 / 32 ** 2 + 1.25 / 32 ** 3)) <= 1e-12


def test_leading_term_is_context_risk():
    lam, om = _spectrum(64, nu=1.5)
    r = F.finite_size_risk("rrs", dim=64, alpha=0.5, depth=4, gamma=3.0, sigma2=0.1, lam=lam,
                           omega=om)
    ref = context.risk("rrs", alpha=0.5, depth=4, gamma=3.0, sigma2=0.1, lam=lam, omega=om)
    assert abs(r.extra["asymptotic"] - ref.risk) <= 1e-10 * ref.risk
    assert r.converged and r.error_estimate <= 1e-10


def test_infinite_depth_and_kernel_contour():
    # α < 1: K has a kernel, the contour must enclose 0; L = ∞ uses e^{−γs}
    r = F.finite_size_risk("iso", dim=64, alpha=0.5, depth="inf", gamma=2.0, sigma2=0.2)
    ref = context.risk("iso", alpha=0.5, depth="inf", gamma=2.0, sigma2=0.2)
    assert abs(r.extra["asymptotic"] - ref.risk) <= 1e-10 * ref.risk
    assert 0 < r.extra["correction"] < 0.05 * ref.risk
    # large depth: the shared contour policy has no N > L + 1 floor (the old solver refused
    # depth 5000); the leading term still equals case C (a log contour with a residue node,
    # against the ellipse enclosing 0 here) and the correction stays small
    r = F.finite_size_risk("iso", dim=64, alpha=0.5, depth=5000, gamma=2.0)
    ref = context.risk("iso", alpha=0.5, depth=5000, gamma=2.0, dps=15)
    assert abs(r.extra["asymptotic"] - ref.risk) <= 1e-12 * ref.risk
    assert 0 < r.extra["correction"] < 0.05 * ref.risk


# ---------------------------------------------------------------------------------------------
# Monte Carlo
# ---------------------------------------------------------------------------------------------
def test_two_point_symmetric_and_matches_real_axis_monte_carlo():
    """E Tr[B G(s) A G(s')] at s, s' < 0 (D = 16, P = 32, 40 000 seeded draws): the leading
    equivalent is off by > 8 s.e., the corrected one within 4 s.e."""
    D, P = 16, 32
    lam, om = _spectrum(D, nu=1.3)
    a, b = np.array(lam), np.array(om)
    s = np.array([-0.05, -0.2])
    out = F.corrected_resolvents(a=a, b=b, P=P, s=s)
    lead, corr = out["two"]
    assert abs(corr[0, 1] - corr[1, 0]) <= 1e-12 * abs(corr[0, 1])
    rng = np.random.default_rng(12345)
    n, vals = 40000, []
    for _ in range(n // 2000):
        X = rng.standard_normal((2000, P, D)) * np.sqrt(a)
        K = np.swapaxes(X, 1, 2) @ X / P
        w, V = np.linalg.eigh(K)
        G1 = (V / (s[0] - w)[:, None, :]) @ np.swapaxes(V, 1, 2)
        G2 = (V / (s[1] - w)[:, None, :]) @ np.swapaxes(V, 1, 2)
        vals.append(np.einsum("i,nij,j,nji->n", b, G1, a, G2))
    vals = np.concatenate(vals)
    m, se = vals.mean(), vals.std() / math.sqrt(n)
    assert abs(m - lead[0, 1].real) > 8 * se
    assert abs(m - (lead[0, 1] + corr[0, 1]).real) < 4 * se


def test_simulator_agrees_after_correction():
    """Package simulator (ISO, D = 32, α = 2, L = 4, 20 000 contexts, seed 7): the asymptotic
    theory is many s.e. off, the finite-size risk within 4 s.e."""
    kw = dict(alpha=2.0, depth=4, gamma=4 * 2 / 3 * 0.5, dim=32)
    sim = simulate("iso", contexts=20000, seed=7, **kw)
    th = F.finite_size_risk("iso", **kw)
    assert abs(sim.risk - th.extra["asymptotic"]) > 6 * sim.stderr
    assert abs(sim.risk - th.risk) < 4 * sim.stderr


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw,name", [
    (dict(setting="iso", dim=1, alpha=2, depth=2, gamma=1), "dim"),
    (dict(setting="iso", dim=16, depth=2, gamma=1), "alpha"),
    (dict(setting="iso", dim=16, alpha=2, context=32, depth=2, gamma=1), "alpha"),
    (dict(setting="iso", dim=16, alpha=2, depth=0, gamma=1), "depth"),
    (dict(setting="iso", dim=16, alpha=2, depth=2, gamma=-1), "gamma"),
    (dict(setting="iso", dim=16, alpha=2, depth=2, gamma=1, nu=1.5), "nu"),
    (dict(setting="rrs", dim=16, alpha=2, depth=2, gamma=1, nu=1.5, beta=1,
          gamma_shape=[1] * 16), "gamma_shape"),
    (dict(setting="ridge", dim=16, alpha=2, depth=2, gamma=1), "setting"),
])
def test_invalid_input_names_parameter(kw, name):
    with pytest.raises(ValueError, match=name):
        F.finite_size_risk(**kw)


def test_gamma_zero_is_zero_predictor():
    lam, om = _spectrum(16)
    r = F.finite_size_risk("fs", dim=16, alpha=1, depth=3, gamma=0, lam=lam, omega=om)
    assert abs(r.risk - sum(x * y for x, y in zip(lam, om))) <= 1e-12


# ---------------------------------------------------------------------------------------------
# case W (finite width, infinite context)
# ---------------------------------------------------------------------------------------------
def _haar_depth1(lam, om, N, g):
    """Exact depth-1 case-W risk (theory.finite_size.width_depth1_risk: real Haar projection
    moments, no resolvents)."""
    expr = T.width_depth1_risk(N=sp.Integer(N), D=sp.Integer(len(lam)))
    return _exact(expr, lam, om, 1, g, 0.0)


def test_haar_moments_against_monte_carlo():
    """E[QMQ] = uM + v Tr(M) I (real Haar rank-2 projection in D = 5, 20 000 seeded draws)."""
    u, v = (float(x) for x in T.haar_projection_moments(sp.Integer(2), sp.Integer(5)))
    rng = np.random.default_rng(4)
    Mdiag = np.array([1.0, 0.5, 0.2, 0.1, 0.05])
    G = rng.standard_normal((20000, 5, 2))
    Qs, _ = np.linalg.qr(G)
    Q = Qs @ np.swapaxes(Qs, 1, 2)
    est = (Q * Mdiag[None, None, :]) @ Q
    mean = est.mean(0)
    se = est.std(0) / math.sqrt(20000)
    want = u * np.diag(Mdiag) + v * Mdiag.sum() * np.eye(5)
    assert np.all(np.abs(mean - want) <= 4 * se + 1e-12)


def test_width_leading_term_is_width_solver():
    from solvers.settings import width
    th = width.risk(width=16, depth=4, nu="1.25", beta="1", dim=128)
    r = F.width_finite_size_risk(width=16, depth=4, gamma=float(th.gamma), nu="1.25", beta="1",
                                 dim=128)
    assert abs(r.extra["asymptotic"] - float(th.risk)) <= 1e-10 * float(th.risk)


@pytest.mark.parametrize("D", [64, 256])
def test_width_depth1_against_exact_haar_moments(D):
    """exact − asymptotic ~ 1/N; exact − corrected ≲ 1/(N D) (≤ 1/N²): at least 10× smaller."""
    lam, om = _spectrum(D)
    res_a, res_f = [], []
    for N in (8, 32):
        g = D / N
        r = F.width_finite_size_risk(width=N, depth=1, gamma=g, lam=lam, omega=om)
        ex = _haar_depth1(lam, om, N, g)
        res_a.append(abs(ex - r.extra["asymptotic"]))
        res_f.append(abs(ex - r.risk))
    assert res_a[0] / res_a[1] >= 3          # first order in 1/N
    for ra, rf in zip(res_a, res_f):
        assert rf <= 0.1 * ra


def test_width_simulator_agrees_after_correction():
    """Simulator (D = 64, N = 8, L = 1, 4000 contexts): asymptotic > 5 s.e. off, corrected
    within 3 s.e."""
    lam, om = _spectrum(64)
    g = 8.0
    sim = simulate("rrs", alpha="inf", depth=1, gamma=g, lam=lam, omega=om, dim=64, width=8,
                   contexts=4000, seed=3)
    th = F.width_finite_size_risk(width=8, depth=1, gamma=g, lam=lam, omega=om)
    assert abs(sim.risk - th.extra["asymptotic"]) > 5 * sim.stderr
    assert abs(sim.risk - th.risk) < 3 * sim.stderr


def test_width_invalid_input():
    with pytest.raises(ValueError, match="width"):
        F.width_finite_size_risk(width=64, depth=1, gamma=1.0, nu=1.25, beta=1, dim=64)
    with pytest.raises(ValueError, match="dim"):
        F.width_finite_size_risk(width=8, depth=1, gamma=1.0, nu=1.25, beta=1)


def test_risk_dispatch():
    lam, om = _spectrum(32)
    a = F.risk("rrs", dim=32, depth=2, gamma=4.0, width=8, alpha="inf", lam=lam, omega=om)
    b = F.width_finite_size_risk(width=8, depth=2, gamma=4.0, lam=lam, omega=om)
    assert a.risk == b.risk
    c = F.risk("rrs", dim=32, depth=2, gamma=1.0, alpha="inf", lam=lam, omega=om)
    exact = sum(w * x * (1 - x / 2) ** 4 for x, w in zip(lam, om))  # K = Σ: p(λ)² ω λ
    assert abs(float(c.risk) - exact) <= 1e-12
    d = F.risk("iso", dim=32, depth=2, gamma=1.0, alpha=2)
    assert d.risk == F.finite_size_risk("iso", dim=32, depth=2, gamma=1.0, alpha=2).risk
    with pytest.raises(ValueError, match="alpha"):
        F.risk("rrs", dim=32, depth=2, gamma=1.0, alpha=2, width=8, lam=lam, omega=om)
