"""Tests of the joint case (finite width and finite context, RRS): theory.joint, solvers.settings.joint and
solvers.simulators.joint.

Independent references, named in each test: the case-C solver (solvers.settings.context, N = D), the
case-W solver (solvers.settings.width, α → ∞ by Richardson extrapolation), ordinary least squares on the
projected features (ridgeless limit, N < P), exact finite-D Haar × Wishart moments (depth 1), the
GD simulator (solvers.simulators.reduced), the exact-in-(β, ε) simulator (solvers.simulators.joint) and
finite differences (slope).  Monte-Carlo tolerances: 3 standard errors plus a finite-D allowance
``c·R/D``; the allowance and its 1/D decay are documented in derivations/joint.md (table of
D = 64…512 runs).
"""
import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from solvers.result import ConvergenceError
from solvers.settings import context, width
from solvers.settings import joint
from solvers.simulators.reduced import simulate
from solvers.simulators.joint import filter_psi, simulate_joint
from tests import joint_reference
from solvers.spectra import PowerLaw
from theory import joint as TJ


def _spectrum(D, nu=1.5, beta=1.0):
    lam, om = PowerLaw(nu, beta, dim=D).modes(dps=20)
    return np.array([float(x) for x in lam]), np.array([float(x) for x in om])


# ---------------------------------------------------------------------------------------------
# theory.joint: the symbolic derivation (each check returns expressions that must be 0)
# ---------------------------------------------------------------------------------------------
def test_one_point_is_the_papers_pair_and_symmetric_at_infinite_dimension():
    assert TJ.check_paper_pair() == (0, 0)
    N, P = sp.Symbol("N", positive=True), sp.Symbol("P", positive=True)
    f = TJ.absolute_regime()
    assert sp.simplify(f - f.subs({N: P, P: N}, simultaneous=True)) == 0


def test_conditional_dyson_term_equals_the_derivative_of_the_one_point_law():
    # reference: differentiating the (free-probability) one-point law in S → S − εΘ, for an
    # arbitrary, non-commuting Θ — independent of the dmft Dyson resummation it checks
    assert TJ.check_equal_point_derivative() == 0


def test_wishart_traces_from_the_leave_one_out_law():
    assert TJ.wishart_traces().residuals == (0, 0, 0, 0)


@pytest.mark.slow
def test_nested_kernel_closed_form():
    assert TJ.check_nested_kernel() == (0, 0)


def test_reductions_to_case_c_case_w_and_infinite_dimension():
    assert TJ.reductions() == (0, 0, 0, 0)
    assert TJ.check_noise_kernel() == (0, 0)


def test_ridgeless_closed_forms():
    assert TJ.ridgeless_forms() == (0, 0)


def test_depth1_closed_form_of_the_equivalent_for_a_generic_spectrum():
    # the large-w expansion of the nested equivalent with moment symbols (no spectrum assumed,
    # D, N, P symbolic) equals the closed form exactly — not only as D → ∞
    assert TJ.check_depth1_closed_form() == 0


@pytest.mark.parametrize("aN,a", [(sp.Rational(1, 3), sp.Rational(3, 2)),
                                  (sp.Rational(1, 2), sp.Rational(1, 4))])
def test_depth1_expansion_equals_exact_haar_wishart_moments(aN, a):
    # reference: exact finite-D Haar moments of the projection and Wishart moments of Σ̂; the
    # second-order coefficient c₂₂ tests the whole nested two-point equivalent
    diffs, refs = TJ.depth1_check(a_N=aN, a=a)
    assert diffs == [0, 0, 0, 0]
    assert all(r != 0 for r in refs)


# ---------------------------------------------------------------------------------------------
# exact reductions
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha,depth,sigma2,gamma", [(2.0, 4, 0.25, 1.0), (0.5, "inf", 0.25, 3.0),
                                                      (0.5, 3, 0.0, 2.0), (1.5, 1, 0.5, 0.8)])
def test_full_width_equals_case_c(alpha, depth, sigma2, gamma):
    # reference: solvers.settings.context (case C, its own contour and kernel U/(1 − V))
    got = joint.risk(width=64, alpha=alpha, depth=depth, gamma=gamma, sigma2=sigma2, nu=1.5,
                     beta=1.0, dim=64, dps=15)
    ref = context.risk("rrs", alpha=alpha, depth=depth, gamma=gamma, sigma2=sigma2, nu=1.5,
                       beta=1.0, dim=64, dps=15)
    assert abs(got.risk - ref.risk) <= 1e-10 * ref.risk


@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_full_width_ridgeless_equals_case_c(alpha):
    # reference: solvers.settings.context.ridgeless_limit (κ₀²U₀/(1 − V₀), σ²V₀/(1 − V₀)); α = 2 is
    # least squares with D < P: bias 0, variance σ²D/(P − D) = 0.25
    kw = dict(alpha=alpha, depth="inf", gamma="inf", sigma2=0.25, nu=1.5, beta=1.0, dim=64,
              dps=15)
    got = joint.risk(width=64, **kw).risk
    ref = context.risk("rrs", **kw).risk
    assert abs(got - ref) <= 1e-12 * ref


def test_full_width_optimum_equals_case_c():
    got = joint.risk(width=64, alpha=0.75, depth=6, sigma2=0.25, nu=1.5, beta=1.0, dim=64,
                     dps=15)
    ref = context.risk("rrs", alpha=0.75, depth=6, sigma2=0.25, nu=1.5, beta=1.0, dim=64,
                       dps=15)
    assert abs(got.risk - ref.risk) <= 1e-10 * ref.risk
    assert abs(got.gamma - ref.gamma) <= 1e-6 * ref.gamma


@pytest.mark.parametrize("depth,gamma", [(4, 2.0), ("inf", 2.0), (1, 3.0)])
def test_infinite_context_limit_equals_case_w(depth, gamma):
    # reference: solvers.settings.width (case W).  The joint risk is analytic in 1/α at α = ∞, so
    # Richardson's (10 R(10α) − R(α))/9 removes the O(1/α) term.
    kw = dict(width=32, depth=depth, gamma=gamma, nu=1.5, beta=1.0, dim=64, dps=15)
    r5 = joint.risk(alpha=1e5, **kw).risk
    r6 = joint.risk(alpha=1e6, **kw).risk
    ref = float(width.risk(**kw).risk)
    assert abs(r6 - ref) <= 1e-6 * ref         # the O(1/α) gap itself
    assert abs((10 * r6 - r5) / 9 - ref) <= 1e-9 * ref


def test_infinite_width_or_context_routes_to_the_single_bottleneck_solvers():
    a = joint.risk(width="inf", alpha=2, depth=4, gamma=1.0, sigma2=0.1, nu=1.5, beta=1, dim=64,
                   dps=15)
    b = context.risk("rrs", alpha=2, depth=4, gamma=1.0, sigma2=0.1, nu=1.5, beta=1, dim=64,
                     dps=15)
    assert a.risk == b.risk
    c = joint.risk(width=16, alpha="inf", depth=4, gamma=1.0, nu=1.5, beta=1, dim=64, dps=15)
    d = width.risk(width=16, depth=4, gamma=1.0, nu=1.5, beta=1, dim=64, dps=15)
    assert c.risk == d.risk


@pytest.mark.parametrize("N,alpha,sigma2", [(16, 2.0, 0.25), (8, 0.5, 0.0), (40, 1.0, 0.5)])
def test_ridgeless_below_interpolation_is_least_squares_on_projected_features(N, alpha, sigma2):
    # reference: ordinary least squares with N Gaussian features and P samples, the projection
    # residual R_W(N) (solvers.settings.width.projection_risk, case W) acting as noise:
    # excess risk = R_W P/(P − N) + σ² N/(P − N)  (leading order of (R_W + σ²) N/(P − N − 1))
    D = 64
    P = alpha * D
    got = joint.risk(width=N, alpha=alpha, depth="inf", gamma="inf", sigma2=sigma2, nu=1.5,
                     beta=1.0, dim=D, dps=15)
    rw = float(width.projection_risk(width=N, nu=1.5, beta=1.0, dim=D).risk)
    ref = rw * P / (P - N) + sigma2 * N / (P - N)
    assert abs(got.risk - ref) <= 1e-11 * ref


@pytest.mark.parametrize("N,alpha", [(16, 2.0), (48, 0.5)])
def test_large_gamma_contour_tends_to_the_ridgeless_residue(N, alpha):
    # reference: the residue formula (one node) against the full double contour at γ → ∞
    kw = dict(width=N, alpha=alpha, depth="inf", sigma2=0.25, nu=1.5, beta=1.0, dim=64, dps=15)
    lim = joint.risk(gamma="inf", **kw).risk
    big = joint.risk(gamma=1e7, **kw).risk
    assert abs(big - lim) <= 1e-6 * lim


def test_interpolation_peak_at_width_equal_context():
    kw = dict(alpha=0.5, depth="inf", gamma="inf", nu=1.5, beta=1.0, dim=64)
    assert joint.risk(width=32, **kw).risk == math.inf
    near = [joint.risk(width=n, **kw).risk for n in (24, 28, 30, 34, 36, 40)]
    assert near[2] > near[1] > near[0] and near[3] > near[4] > near[5]


# ---------------------------------------------------------------------------------------------
# optimum and slope
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("depth,sigma2", [(4, 0.25), ("inf", 0.25), (16, 0.0)])
def test_optimal_gamma_is_a_minimum(depth, sigma2):
    kw = dict(width=24, alpha=0.5, depth=depth, sigma2=sigma2, nu=1.5, beta=1.0, dim=64)
    opt = joint.risk(dps=15, **kw)
    assert math.isfinite(opt.gamma)
    for f in (0.99, 1.01):
        assert joint.risk(gamma=opt.gamma * f, dps=15, **kw).risk > opt.risk
    d, err = joint.slope(opt.gamma, **kw)
    assert abs(d) <= 1e-8 * opt.risk / opt.gamma + err


@pytest.mark.parametrize("depth,sigma2,gamma", [(4, 0.25, 3.0), ("inf", 0.0, 20.0)])
def test_slope_equals_finite_difference(depth, sigma2, gamma):
    # reference: central difference of the risk (h = 1e-4 γ; error O(h²) ≈ 1e-8 relative)
    kw = dict(width=16, alpha=2.0, depth=depth, sigma2=sigma2, nu=1.5, beta=1.0, dim=64)
    h = 1e-4 * gamma
    fd = (joint.risk(gamma=gamma + h, dps=15, **kw).risk
          - joint.risk(gamma=gamma - h, dps=15, **kw).risk) / (2 * h)
    d, err = joint.slope(gamma, **kw)
    assert abs(d - fd) <= 1e-6 * abs(d) + err


# ---------------------------------------------------------------------------------------------
# infinite dimension (absolute N, P)
# ---------------------------------------------------------------------------------------------
def test_dim_inf_is_the_limit_of_truncated_power_laws():
    # reference: the proportional solver at growing D with the same absolute N, P and the
    # normalised step (γ_user = γ D/N).  ν = 3 so that the truncation of the spectrum (S tail
    # ~ D^{1−ν}) is negligible against the 1/D of ψ_n and ĉ: Richardson 2R(2D) − R(D)
    N, P, g = 16, 24, 1.5
    kw = dict(width=N, context=P, depth=4, sigma2=0.1, nu=3.0, beta=1.0, dps=15)
    ref = joint.risk(gamma=g, **kw).risk
    r1, r2 = (joint.risk(gamma=g * D / N, dim=D, **kw).risk for D in (1024, 2048))
    assert abs(r2 - ref) <= 2e-3 * ref                     # the O(1/D) gap itself
    assert abs(2 * r2 - r1 - ref) <= 2e-6 * ref


def test_dim_inf_full_context_equals_case_w():
    # reference: solvers.settings.width at dim = inf; R(P) is analytic in 1/P: Richardson 2R(2P) − R(P)
    ref = float(width.risk(width=20, depth=4, gamma=1.2, nu=1.5, beta=1.0, dps=15).risk)
    r1, r2 = (joint.risk(width=20, context=P, depth=4, gamma=1.2, nu=1.5, beta=1.0, dps=15).risk
              for P in (2000, 4000))
    assert abs(r2 - ref) <= 1e-3 * ref
    assert abs(2 * r2 - r1 - ref) <= 1e-6 * ref


# ---------------------------------------------------------------------------------------------
# validation of input
# ---------------------------------------------------------------------------------------------
def test_optimal_gamma_search_reports_progress():
    """A long joint optimum (tens of seconds at dps = 30) drives a --progress bar: every contour
    rule built under doubling and every root iteration is one tick.  Checked against the
    solver's own bookkeeping: the rule sizes ticked are powers of two from N_START, and the
    rule the result reports (``nodes``) is among them."""
    from solvers.progress import reporting
    from solvers.settings import contour as ct
    kw = dict(width=16, alpha=2, depth=3, nu=1.5, beta=1, dim=64, dps=15)
    steps = []
    with reporting(lambda what, n: steps.append(what)):
        r = joint.risk(**kw)
    rules = [int(s.split(": ")[-1].split("-")[0]) for s in steps if "contour rule" in s]
    assert rules and all(n >= ct.N_START and n & (n - 1) == 0 for n in rules)
    assert r.to_dict()["nodes"] in rules
    assert any(s.startswith("optimal gamma") for s in steps)


def test_invalid_input_names_the_parameter():
    with pytest.raises(ValueError, match="width"):
        joint.risk(width=100, alpha=1, depth=2, gamma=1, nu=1.5, beta=1, dim=64)
    with pytest.raises(ValueError, match="alpha"):
        joint.risk(width=10, alpha=-1, depth=2, gamma=1, nu=1.5, beta=1, dim=64)
    with pytest.raises(ValueError, match="alpha"):
        joint.risk(width=10, depth=2, gamma=1, nu=1.5, beta=1, dim=64)
    with pytest.raises(ValueError, match="gamma"):
        joint.risk(width=10, alpha=1, depth=2, gamma="inf", nu=1.5, beta=1, dim=64)
    with pytest.raises(ValueError, match="depth"):
        joint.risk(width=10, alpha=1, depth=0, gamma=1, nu=1.5, beta=1, dim=64)


# ---------------------------------------------------------------------------------------------
# Monte Carlo
# ---------------------------------------------------------------------------------------------
def test_filter_psi_is_the_gd_sum():
    u = np.array([0.0, 1e-10, 0.3, 2.0, 7.5])
    for L in (1, 3, 10):
        ref = [sum((1 - x / L) ** l for l in range(L)) / L for x in u]
        assert np.allclose(filter_psi(u, L), ref, rtol=1e-12, atol=0)
    assert np.allclose(filter_psi(u, math.inf)[2:], -np.expm1(-u[2:]) / u[2:], rtol=1e-14)


@pytest.mark.slow
def test_exact_simulator_equals_the_gd_simulator():
    # reference: solvers.simulators.reduced (L GD steps on sampled β, ε, Haar rotations): same model
    lam, om = _spectrum(32)
    a = simulate_joint(width=16, alpha=2, depth=4, gamma=2.0, lam=lam, omega=om, sigma2=0.25,
                       contexts=6000, seed=3)
    b = simulate("rrs", alpha=2, depth=4, gamma=2.0, sigma2=0.25, dim=32, contexts=12000,
                 seed=5, lam=lam, omega=om, width=16)
    assert abs(a.risk - b.risk) <= 3 * math.hypot(a.stderr, b.stderr)


def _depth1_exact(gamma, N, P, lam, om, sigma2):
    """Exact finite-D depth-1 risk: Haar moments E[P̃XP̃] = aX + b Tr(X) I and Gaussian Wishart
    moments E[Σ̂AΣ̂] = (1 + 1/P)ΛAΛ + Tr(AΛ)Λ/P."""
    D = len(lam)
    a = N / D - N * (D - N) / ((D + 2) * (D - 1))
    b = N * (D - N) / (D * (D + 2) * (D - 1))
    wl = lam * om
    trL, trL2 = lam.sum(), (lam * lam).sum()
    ES_L = (1 + 1 / P) * (wl * lam * lam).sum() + wl.sum() * trL2 / P
    ES_1 = (1 + 1 / P) * (wl * lam).sum() + wl.sum() * trL / P
    return (wl.sum() - 2 * gamma * (N / D) * (wl * lam).sum()
            + gamma ** 2 * (a * ES_L + b * trL * ES_1)
            + sigma2 * gamma ** 2 * (a * trL2 + b * trL ** 2) / P)


def test_exact_simulator_at_depth_one_equals_exact_moments():
    # reference: exact finite-D moments (no asymptotics): agreement to 3 standard errors
    lam, om = _spectrum(48, beta=1.0)
    N, alpha, g, s2 = 12, 0.5, 3.0, 0.25
    mc = simulate_joint(width=N, alpha=alpha, depth=1, gamma=g, lam=lam, omega=om, sigma2=s2,
                        contexts=4000, seed=2)
    ref = _depth1_exact(g, N, round(alpha * 48), lam, om, s2)
    assert abs(mc.risk - ref) <= 3 * mc.stderr


def test_depth_one_theory_is_the_large_d_limit_of_exact_moments():
    # reference: exact finite-D moments on a spectrum with a D-independent limit law; the gap
    # to the deterministic equivalent is O(1/D): D·gap converges
    def spec(D):
        t = (np.arange(1, D + 1) - 0.5) / D
        lam = np.exp(-3 * t)
        wl = lam / lam.sum()
        return lam, wl / lam
    gaps = []
    for D in (200, 400, 800, 1600):
        lam, om = spec(D)
        th = joint.risk(width=D // 4, alpha=0.5, depth=1, gamma=2.0, sigma2=0.25,
                        lam=list(lam), omega=list(om), dps=15).risk
        gaps.append(D * (_depth1_exact(2.0, D // 4, D // 2, lam, om, 0.25) - th))
    assert abs(gaps[3] - gaps[2]) < 0.6 * abs(gaps[2] - gaps[1])   # D·gap converges
    assert abs(gaps[3] - gaps[2]) <= 0.05 * abs(gaps[3])


# the Monte-Carlo grid: β ∈ {0.5, 1, 2}, N/D ∈ {1/4, 1/2}, α ∈ {0.5, 2}, L ∈ {1, 4, 16, ∞},
# σ² ∈ {0, 0.25}; γ = 0.7 γ* (below the optimum: no contexts near the stability edge)
MC_POINTS = [
    (0.5, 0.25, 0.5, 1, 0.0), (0.5, 0.5, 2.0, 4, 0.25), (1.0, 0.25, 2.0, 16, 0.25),
    (1.0, 0.5, 0.5, 4, 0.0), (2.0, 0.25, 0.5, 16, 0.25), (2.0, 0.5, 2.0, 1, 0.0),
    (1.0, 0.5, 2.0, "inf", 0.25), (0.5, 0.25, 0.5, "inf", 0.0), (2.0, 0.5, 0.5, 4, 0.25),
]
#: finite-D allowance c·R/D: D·(MC − theory)/R measured at D = 64…512 on these power laws stays
#: below ~9 (derivations/joint.md, table "finite D") and decays like 1/D in absolute terms
C_FINITE_D = 10.0


@pytest.mark.slow
@pytest.mark.parametrize("beta,aN,alpha,depth,sigma2", MC_POINTS)
def test_theory_against_monte_carlo(beta, aN, alpha, depth, sigma2):
    D = 128
    N = int(aN * D)
    kw = dict(width=N, alpha=alpha, depth=depth, sigma2=sigma2, nu=1.5, beta=beta, dim=D, dps=15)
    g = 0.7 * joint.risk(**kw).gamma
    th = joint.risk(gamma=g, **kw).risk
    lam, om = _spectrum(D, beta=beta)
    mc = simulate_joint(width=N, alpha=alpha, depth=depth, gamma=g, lam=lam, omega=om,
                        sigma2=sigma2, contexts=1500, seed=11)
    assert abs(mc.risk - th) <= 3 * mc.stderr + C_FINITE_D * th / D


@pytest.mark.slow
def test_monte_carlo_gap_decays_like_one_over_d():
    # a spectrum with a D-independent limit law (λ_k = e^{−3(k−½)/D}, ω_kλ_k ∝ λ_k): the gap
    # MC − theory must be O(1/D) — D·gap the same at D = 64 and 128 (3 standard errors), and
    # non-zero (the test resolves the finite-size term; D = 256, 512 in derivations/joint.md)
    out = []
    for D, n in ((64, 6000), (128, 3000)):
        t = (np.arange(1, D + 1) - 0.5) / D
        lam = np.exp(-3 * t)
        om = np.full(D, 1 / lam.sum())
        th = joint.risk(width=D // 2, alpha=2, depth="inf", gamma=10.0, lam=list(lam),
                        omega=list(om), dps=15).risk
        mc = simulate_joint(width=D // 2, alpha=2, depth="inf", gamma=10.0, lam=lam, omega=om,
                            contexts=n, seed=D)
        out.append((D * (mc.risk - th), D * mc.stderr))
    (g1, s1), (g2, s2) = out
    assert abs(g1 - g2) <= 3 * math.hypot(s1, s2)
    assert g1 > 3 * s1 and g2 > 3 * s2


# ---------------------------------------------------------------------------------------------
# any precision: dps 30 against independent references
# ---------------------------------------------------------------------------------------------
# The solver runs at dps + 10 guard digits; 1e-28 relative at dps 30 leaves two digits for the
# final rounding and the references' last digit.  The error estimate must bound the observed
# error and itself be ≤ 1e-27 relative (as for cases C and W, tests/settings/test_contour_precision.py).
DPS = 30
TOL = mpmath.mpf("1e-28")
LAM = ["1", "0.6", "0.35", "0.2", "0.1", "0.05"]
OM = ["0.5", "0.3", "0.4", "0.2", "0.9", "0.7"]


def _check(got, ref):
    with mpmath.workdps(DPS + 10):
        err = abs(mpmath.mpf(got.risk) - ref)
        assert err <= TOL * abs(ref), (got.risk, ref, err)
        assert got.error_estimate >= err
        assert got.error_estimate <= 10 * TOL * abs(ref)
    assert got.dps == DPS


@pytest.mark.parametrize("alpha,depth,gamma,sigma2", [
    ("1.5", 3, "0.7", "0.5"),
    pytest.param("0.5", "inf", "1.3", "0.25", marks=pytest.mark.slow),   # ~2.5 s each
    pytest.param("0.5", 2, "0.9", "0", marks=pytest.mark.slow)])
def test_full_width_equals_case_c_30_digits(alpha, depth, gamma, sigma2):
    # reference: solvers.settings.context at dps 40 — its kernel (T_j − T_i)/(s_j − s_i) and
    # noise kernel κ against the joint U/(1 − V_P/P) and κS/P (α = 0.5: an atom, residue node)
    kw = dict(alpha=alpha, depth=depth, gamma=gamma, sigma2=sigma2, lam=LAM, omega=OM)
    got = joint.risk(width=6, dps=DPS, **kw)
    ref = context.risk("rrs", dps=DPS + 10, **kw).risk
    _check(got, ref)


_closed_depth1 = joint_reference.closed_depth1


@pytest.mark.parametrize("N,alpha", [pytest.param(2, "0.75", marks=pytest.mark.slow), (4, "2.5"),
                                     pytest.param(3, "0.5", marks=pytest.mark.slow)])
def test_depth1_closed_form_explicit_30_digits(N, alpha):
    # reference: the exact depth-1 closed form of the equivalent (theory.joint, proved
    # symbolically above) with the moments summed in mpmath; γ_n = γN/D
    g, s2 = "1.7", "0.3"
    got = joint.risk(width=N, alpha=alpha, depth=1, gamma=g, sigma2=s2, lam=LAM, omega=OM,
                     dps=DPS)
    with mpmath.workdps(DPS + 10):
        lam = [mpmath.mpf(v) for v in LAM]
        w = [x * mpmath.mpf(o) for x, o in zip(lam, OM)]
        D = len(lam)
        s = [mpmath.fsum(a * x ** j for a, x in zip(w, lam)) for j in range(3)]
        T = [mpmath.fsum(x ** (j + 1) for x in lam) for j in range(2)]
        ref = _closed_depth1(s, T, N, mpmath.mpf(alpha) * D, D, mpmath.mpf(g) * N / D,
                             mpmath.mpf(s2))
    _check(got, ref)


@pytest.mark.parametrize("N,P", [pytest.param(16, 40, marks=pytest.mark.slow),
                                 pytest.param(64, 24, marks=pytest.mark.slow), (10 ** 6, 10 ** 5)])
def test_depth1_closed_form_power_law_dim_inf_30_digits(N, P):
    # dim = inf: s_j = ζ(νβ + 1 + (j − 1)ν)/ζ(νβ + 1), T_j = ζ(jν), c = 1/N; the solver's sums
    # are a head plus Mellin–Barnes / Hurwitz tails (solvers.settings.modesums)
    nu, beta, g, s2 = "1.5", "1", "1.3", "0.1"
    got = joint.risk(width=N, context=P, depth=1, gamma=g, sigma2=s2, nu=nu, beta=beta,
                     dps=DPS)
    with mpmath.workdps(DPS + 10):
        n, b = mpmath.mpf(nu), mpmath.mpf(beta)
        c = n * b + 1
        s = [mpmath.zeta(c + j * n) / mpmath.zeta(c) for j in range(3)]
        T = [mpmath.zeta((j + 1) * n) for j in range(2)]
        ref = _closed_depth1(s, T, N, P, math.inf, mpmath.mpf(g), mpmath.mpf(s2))
    _check(got, ref)


@pytest.mark.parametrize("N,alpha,sigma2", [(2, "1.5", "0.5"), (4, "2", "0")])
def test_ridgeless_least_squares_30_digits(N, alpha, sigma2):
    # reference: R_W(N)·P/(P − N) + σ²N/(P − N) with κ_N from plain bisection on
    # Σλ/(κ + λ) = N and R_W = κ_N Σωλ/(κ_N + λ) (no solver code)
    got = joint.risk(width=N, alpha=alpha, depth="inf", gamma="inf", sigma2=sigma2, lam=LAM,
                     omega=OM, dps=DPS)
    with mpmath.workdps(DPS + 10):
        ref = joint_reference.ridgeless_least_squares(LAM, OM, N, mpmath.mpf(alpha) * len(LAM),
                                                      sigma2)
    _check(got, ref)


def test_ridgeless_above_interpolation_30_digits():
    # P < N < D, σ² = 0: theory.joint.ridgeless_forms' closed form
    # bias = κ₀PU/Y + κ₀R·P(D − N)/((N − P)(D − P)) (case C's min-norm bias plus a width term),
    # κ₀ by bisection on Σλ/(κ + λ) = P, U = Σωλ/(κ₀ + λ)², Y = Σλ/(κ₀ + λ)², R = Σωλ/(κ₀ + λ)
    N, alpha = 5, "0.5"
    got = joint.risk(width=N, alpha=alpha, depth="inf", gamma="inf", lam=LAM, omega=OM,
                     dps=DPS)
    with mpmath.workdps(DPS + 10):
        ls = [mpmath.mpf(v) for v in LAM]
        wl = [x * mpmath.mpf(o) for x, o in zip(ls, OM)]
        D = len(ls)
        P = mpmath.mpf(alpha) * D
        lo, hi = mpmath.mpf(0), mpmath.mpf(10)
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if mpmath.fsum(x / (mid + x) for x in ls) > P else (lo, mid)
        k = (lo + hi) / 2
        U = mpmath.fsum(w / (k + x) ** 2 for w, x in zip(wl, ls))
        Y = mpmath.fsum(x / (k + x) ** 2 for x in ls)
        R = mpmath.fsum(w / (k + x) for w, x in zip(wl, ls))
        ref = k * P * U / Y + k * R * P * (D - N) / ((N - P) * (D - P))
    _check(got, ref)


def test_optimal_gamma_30_digits_agrees_with_float64():
    # the mpmath optimum refines the float64 root of dR/dγ: the two agree to float64 accuracy,
    # and the mpmath risk at γ* is the minimum to its error estimate
    kw = dict(width=3, alpha="1.5", depth=4, sigma2="0.25", lam=LAM, omega=OM)
    r30 = joint.risk(dps=DPS, **kw)
    r15 = joint.risk(dps=15, **kw)
    assert abs(float(r30.gamma) - r15.gamma) <= 1e-9 * r15.gamma
    assert abs(float(r30.risk) - r15.risk) <= 1e-13 * r15.risk
    assert r30.error_estimate <= 1e-27 * r30.risk


# ---------------------------------------------------------------------------------------------
# cost: node counts independent of γ, depth, N and P; the interpolation point N = P
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("N,P", [(64, 256), (256, 64), (10 ** 6, 10 ** 7)])
@pytest.mark.parametrize("depth,gamma", [(4, 3.0), (2048, 3.0), (4, 50.0)])
def test_nodes_and_modes_bounded(N, P, depth, gamma):
    r = joint.risk(width=N, context=P, depth=depth, gamma=gamma, nu=1.5, beta=1.0, sigma2=0.1,
                   dps=15)
    assert r.extra["nodes"] <= 256          # the old solver needed ≥ L + 2 nodes (cap 4096)
    assert r.extra["modes_head"] <= 1024    # the same head at N, P = 64 and 10⁶
    assert r.error_estimate <= 1e-12 * max(1.0, r.risk)


def test_width_equal_context_no_gap():
    # N = P: the zero of f is double, the spectrum of M reaches 0 and the contour encloses it
    # (ellipse with foci 0, w₊).  Reference: the risk is continuous in P at fixed γ — the
    # gapped problems at P = N(1 ± 1e-6) (log contour + residue node) bracket it
    kw = dict(width=64, depth="inf", gamma=10.0, nu=1.5, beta=1.0, dps=15)
    at = joint.risk(context=64, **kw)
    assert at.extra["contour"]["log_contour"] is False
    near = [joint.risk(context=64 * (1 + e), **kw).risk for e in (-1e-6, 1e-6)]
    assert abs(at.risk - 0.5 * sum(near)) <= 1e-4 * at.risk
    # at the optimum (γ* finite: the ridgeless limit is the interpolation peak, inf)
    opt = joint.risk(width=64, context=64, depth="inf", nu=1.5, beta=1.0, dps=15)
    assert math.isfinite(opt.gamma) and opt.risk < at.risk
    # beyond the node cap: a clear error naming the cause, quickly
    with pytest.raises(ConvergenceError, match="width = context"):
        joint.risk(width=64, context=64, depth="inf", gamma=1e5, nu=1.5, beta=1.0, dps=15)


@pytest.mark.parametrize("alpha", ["2", "1e40"])
def test_depth1_free_probability_closed_form_at_any_context(alpha):
    """Depth 1, Γ = γP_N (q = N/D), P = αD: averaging the Haar projection (free moments
    E tr(P_N A P_N B)/D) and the Wishart gives
    ``R = 1 − 2γqS₂ + γ²[q²S₃ + q(1−q)T₁S₂/D + C] + γ²σ²C``, ``C = (q²T₂ + q(1−q)T₁²/D)/P``
    (``S_j = Σω_kλ_k^j``, ``T_j = Σλ_k^j``; q = 1 is the issue's case-C formula).  At
    α = 1e40 the O(1/P) terms sit 40 orders below the rest: the nested kernel must still give
    30 digits (its factors are O(1), not O(1/P)), with an honest error estimate."""
    D, N = 16, 4
    with mpmath.workdps(60):
        lam = [mpmath.mpf(k) ** mpmath.mpf("-1.5") for k in range(1, D + 1)]
        wl = [mpmath.mpf(k) ** mpmath.mpf("-2.5") for k in range(1, D + 1)]
        Z = mpmath.fsum(wl)
        om = [w / Z / l for w, l in zip(wl, lam)]
        S = lambda j: mpmath.fsum(o * l ** j for o, l in zip(om, lam))   # noqa: E731
        T = lambda j: mpmath.fsum(l ** j for l in lam)                   # noqa: E731
        q, g, s2, P = mpmath.mpf(N) / D, mpmath.mpf(3), mpmath.mpf("0.25"), mpmath.mpf(alpha) * D
        C = (q ** 2 * T(2) + q * (1 - q) * T(1) ** 2 / D) / P
        exact = (1 - 2 * g * q * S(2) + g ** 2 * (q ** 2 * S(3) + q * (1 - q) * T(1) * S(2) / D + C)
                 + g ** 2 * s2 * C)
        r = joint.risk(nu="1.5", beta="1", dim=D, width=N, alpha=alpha, gamma="3", depth=1,
                       sigma2="0.25", dps=30)
        err = abs(mpmath.mpf(r.risk) - exact)
        assert err <= mpmath.mpf(r.error_estimate) and err < mpmath.mpf(10) ** -30
