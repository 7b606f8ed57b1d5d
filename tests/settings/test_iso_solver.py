"""The numeric ISO solver against independent references.

References used: the sympy closed forms and exact moment polynomials of ``theory.iso`` (exact
rationals), a second quadrature (tanh–sinh on the Marchenko–Pastur density, ``method=
"density-quad"``), the analytic noise-free optimum ``γ* = Lα/(1+α)`` (odd-symmetry argument, see
README), the ``L → ∞`` limit, and the numpy simulator.
"""
import math

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from solvers.settings import iso
from solvers.result import Result
from theory import iso as tiso
from theory import symbols as S


def rel(a, b):
    a, b = mpmath.mpf(a), mpmath.mpf(b)
    return abs(a - b) / max(abs(b), mpmath.mpf(10) ** -300)


# ---------------------------------------------------------------- closed forms from theory

@pytest.mark.parametrize("alpha", ["0.001", "0.3", "1", "2.5", "1000"])
@pytest.mark.parametrize("sigma2", ["0", "0.25", "2"])
def test_depth1_optimum_matches_sympy_closed_form(alpha, sigma2):
    g_expr, r_expr = tiso.optimal_depth1()
    subs = {S.alpha: sp.Rational(alpha), S.sigma2: sp.Rational(sigma2)}
    with mpmath.workdps(40):
        a, s2 = mpmath.mpf(alpha), mpmath.mpf(sigma2)
    res = iso.risk(a, 1, sigma2=s2, dps=30)
    assert isinstance(res, Result) and res.converged
    g_exact = sp.N(g_expr.subs(subs), 40)
    r_exact = sp.N(r_expr.subs(subs), 40)
    assert rel(res.gamma, str(g_exact)) < mpmath.mpf("1e-27")
    assert rel(res.risk, str(r_exact)) < mpmath.mpf("1e-27")


@pytest.mark.parametrize("depth", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("alpha", ["1/3", "1", "7/2"])
@pytest.mark.parametrize("sigma2", ["0", "1/2"])
def test_risk_equals_exact_moment_polynomial(depth, alpha, sigma2):
    """Gauss–Chebyshev quadrature vs the exact rational value of the moment polynomial."""
    gamma = sp.Rational(3, 4) * depth
    exact = tiso.risk_expr(depth, sigma2=sp.Rational(sigma2), alpha=sp.Rational(alpha),
                           gamma=gamma)
    exact = sp.nsimplify(exact)
    assert exact.is_Rational
    with mpmath.workdps(40):
        a = mpmath.mpf(sp.Rational(alpha).p) / sp.Rational(alpha).q
        s2 = mpmath.mpf(sp.Rational(sigma2).p) / sp.Rational(sigma2).q
        g = mpmath.mpf(gamma.p) / gamma.q
    res = iso.risk(a, depth, sigma2=s2, gamma=g, dps=30)
    with mpmath.workdps(40):
        ref = mpmath.mpf(exact.p) / exact.q
    assert rel(res.risk, ref) < mpmath.mpf("1e-28")
    assert abs(res.risk - ref) <= 10 * res.error_estimate + mpmath.mpf("1e-35")


@pytest.mark.parametrize("depth", [2, 3, 5])
def test_optimal_gamma_is_a_root_of_the_sympy_stationarity_polynomial(depth):
    alpha, sigma2 = sp.Rational(3, 2), sp.Rational(1, 3)
    poly = sp.Poly(tiso.stationarity_expr(depth, sigma2=sigma2, alpha=alpha), S.gamma)
    res = iso.risk(mpmath.mpf(3) / 2, depth, sigma2=mpmath.mpf(1) / 3, dps=30)
    roots = [r for r in poly.nroots(n=35) if abs(sp.im(r)) < 1e-25]
    best = min(roots, key=lambda r: abs(sp.re(r) - sp.Float(str(res.gamma), 35)))
    assert rel(res.gamma, str(sp.re(best))) < mpmath.mpf("1e-25")


@pytest.mark.parametrize("depth,alpha", [(L, a) for L in (3, 5, 7, 100) for a in ("0.3", "1", "4")]
                         + [pytest.param(1000, "0.3", marks=pytest.mark.slow)])
def test_noise_free_optimal_gamma_is_L_alpha_over_1_plus_alpha(depth, alpha):
    """With λ = 1 + c + 2√c cosθ, 1 − λ/(1+c) ∝ cosθ, so ∂R/∂γ at γ = Lα/(1+α) integrates an odd
    power of cosθ against the even weight sin²θ: zero.  Convexity makes it the minimum."""
    with mpmath.workdps(40):
        a = mpmath.mpf(alpha)
        expected = depth * a / (1 + a)
    res = iso.risk(a, depth, dps=30)
    assert rel(res.gamma, expected) < mpmath.mpf("1e-25")


@pytest.mark.parametrize("alpha", ["0.01", "0.5", "0.9", "1", "1.5", "100"])
def test_infinite_depth_noise_free_limit(alpha):
    limit = tiso.infinite_depth_limit()["optimal_risk_noise_free"]
    expected = sp.N(limit.subs(S.alpha, sp.Rational(alpha)), 30)
    res = iso.risk(alpha, "inf", dps=30)
    assert res.gamma == mpmath.inf
    with mpmath.workdps(40):
        assert abs(res.risk - mpmath.mpf(str(expected))) < mpmath.mpf("1e-28")


@pytest.mark.parametrize("alpha", ["2", "4", "0.5", "0.25"])
def test_ridgeless_limit_with_label_noise(alpha):
    """γ = ∞ at L = ∞ is min-norm least squares: bias (1 − α)₊ and noise variance σ²/(α − 1)
    for α > 1, σ²α/(1 − α) for α < 1 (the classical ridgeless formulas: tr(XᵀX)⁻¹ of a Wishart
    matrix), e.g. 0.5 at α = 2, σ² = 1/2.  Second reference: the same risk at a large finite γ
    (the gap closes like e^{−γs₋}, s₋ = (1 − α^{−1/2})² ≥ 0.086 here: below 1e-14 at γ = 400)."""
    s2 = mpmath.mpf("0.5")
    with mpmath.workdps(40):
        a = mpmath.mpf(alpha)
        var = s2 / (a - 1) if a > 1 else s2 * a / (1 - a)
        expected = max(0, 1 - a) + var
    res = iso.risk(alpha, "inf", sigma2="0.5", gamma="inf", dps=30)
    assert rel(res.risk, expected) < mpmath.mpf("1e-25")
    assert rel(res.extra["variance"], var) < mpmath.mpf("1e-25")
    far = iso.risk(alpha, "inf", sigma2="0.5", gamma=400, dps=20)
    assert abs(far.risk - expected) < mpmath.mpf("1e-12")


@pytest.mark.parametrize("alpha", ["0.5", "2"])
@pytest.mark.parametrize("sigma2", ["0", "0.5"])
def test_large_depth_approaches_infinite_depth(alpha, sigma2):
    """(1 − γλ/L)^{2L} = e^{−2γλ}(1 − γ²λ²/L + O(L⁻²)): the gap shrinks like 1/L."""
    g = mpmath.mpf("1.3")
    inf_r = iso.risk(alpha, "inf", sigma2=sigma2, gamma=g, dps=30).risk
    gaps = [abs(iso.risk(alpha, L, sigma2=sigma2, gamma=g, dps=30).risk - inf_r)
            for L in (256, 512, 1024)]
    assert gaps[0] > gaps[1] > gaps[2] > 0
    assert 1.8 < gaps[0] / gaps[1] < 2.2 and 1.8 < gaps[1] / gaps[2] < 2.2


def test_infinite_depth_noisy_optimum_between_finite_depths():
    r_inf = iso.risk("0.5", "inf", sigma2="0.5", dps=30)
    r_big = iso.risk("0.5", 4096, sigma2="0.5", dps=30)
    assert r_inf.converged and math.isfinite(float(r_inf.gamma))
    assert abs(r_inf.risk - r_big.risk) < mpmath.mpf("1e-4")


# ---------------------------------------------------------------- two numeric methods

GRID = [(a, L, s2, g) for a in ("0.001", "0.4", "1", "3", "1000")
        for (L, g) in ((1, "0.7"), (4, "2.5"), (64, "20"), ("inf", "1.2"))
        for s2 in ("0", "0.3")]


@pytest.mark.parametrize("alpha,depth,sigma2,gamma", GRID)
def test_two_methods_agree_to_20_digits(alpha, depth, sigma2, gamma):
    a, g = mpmath.mpf(alpha), mpmath.mpf(gamma)
    if a < 0.01 or a > 100:  # keep γλ/L in the support's natural range for extreme α
        g = g * a / (1 + a)
    gc = iso.risk(a, depth, sigma2=sigma2, gamma=g, dps=30)
    dq = iso.risk(a, depth, sigma2=sigma2, gamma=g, dps=30, method="density-quad")
    assert gc.converged and dq.converged
    assert rel(gc.risk, dq.risk) < mpmath.mpf("1e-20")


@pytest.mark.parametrize("depth", [16, 256, 4096])
def test_large_depth_stable_against_density_quadrature(depth):
    a = mpmath.mpf("0.7")
    res = iso.risk(a, depth, sigma2="0.1", dps=30)
    dq = iso.risk(a, depth, sigma2="0.1", gamma=res.gamma, dps=30, method="density-quad")
    assert rel(res.risk, dq.risk) < mpmath.mpf("1e-20")


def test_error_estimate_is_honest_when_precision_changes():
    lo = iso.risk("0.7", 33, sigma2="0.2", gamma="9.5", dps=20)
    hi = iso.risk("0.7", 33, sigma2="0.2", gamma="9.5", dps=50)
    assert abs(lo.risk - hi.risk) <= lo.error_estimate + mpmath.mpf(10) ** -20


# ---------------------------------------------------------------- properties

@settings(max_examples=25, deadline=None)
@given(alpha=st.floats(0.01, 50), depth=st.integers(1, 40), sigma2=st.floats(0, 2),
       frac=st.floats(0.0, 2.0))
def test_optimum_is_below_any_other_gamma_and_bounded(alpha, depth, sigma2, frac):
    opt = iso.risk(alpha, depth, sigma2=sigma2, dps=20)
    other = iso.risk(alpha, depth, sigma2=sigma2, gamma=opt.gamma * frac, dps=20)
    assert 0 <= opt.risk <= 1
    assert opt.risk - other.risk <= mpmath.mpf(10) ** -18


@pytest.mark.parametrize("alpha", ["0.25", "1", "4"])
def test_optimal_risk_decreases_with_depth(alpha):
    risks = [iso.risk(alpha, L, dps=25).risk for L in (1, 2, 4, 8, 16, 32)]
    risks.append(iso.risk(alpha, "inf", dps=25).risk)
    assert all(x > y for x, y in zip(risks, risks[1:]))


def test_alpha_infinite_closed_form():
    assert iso.risk("inf", 3, gamma=1.5).risk == mpmath.mpf("0.25") ** 3 * mpmath.mpf(1)
    assert iso.risk("inf", 5).risk == 0


# ---------------------------------------------------------------- validation

@pytest.mark.parametrize("kwargs,name", [
    (dict(alpha=0, depth=1), "alpha"), (dict(alpha=-1, depth=1), "alpha"),
    (dict(alpha="nan", depth=1), "alpha"), (dict(alpha=1, depth=0), "depth"),
    (dict(alpha=1, depth=2.5), "depth"), (dict(alpha=1, depth="x"), "depth"),
    (dict(alpha=1, depth=1, sigma2=-0.1), "sigma2"), (dict(alpha=1, depth=1, gamma=-1), "gamma"),
    (dict(alpha=1, depth=1, dps=10), "dps"), (dict(alpha=1, depth=1, method="grid"), "method"),
])
def test_invalid_parameters_raise_value_error_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        iso.risk(**kwargs)


@pytest.mark.parametrize("spelling", ["inf", "infinity", "Inf", math.inf])
def test_inf_spellings(spelling):
    assert iso.risk(2, spelling).gamma == mpmath.inf


# ---------------------------------------------------------------- theory vs simulator

SIM_GRID = [  # (alpha, depth, sigma2, gamma as a multiple of the optimum)
    (0.5, 1, 0.0, 1.0), (0.5, 4, 0.25, 1.0), (0.5, 8, 0.0, 0.6),
    (2.0, 1, 0.5, 1.3), (2.0, 4, 0.0, 1.0), (2.0, 16, 0.25, 1.0), (1.0, 3, 0.0, 0.8),
]


@pytest.mark.parametrize("alpha,depth,sigma2,mult", SIM_GRID)
def test_theory_matches_simulator(alpha, depth, sigma2, mult):
    """Within 3 standard errors plus a finite-D allowance of 4/D (relative): the Wishart
    corrections to the MP moments are O(1/D); at depth 1 the exact finite-D correction is γ²/P."""
    from solvers.simulators.reduced import simulate

    D = 256
    gamma = float(iso.risk(alpha, depth, sigma2=sigma2, dps=20).gamma) * mult
    theory = float(iso.risk(alpha, depth, sigma2=sigma2, gamma=gamma, dps=20).risk)
    sim = simulate("iso", alpha=alpha, depth=depth, gamma=gamma, sigma2=sigma2, dim=D,
                   contexts=300, seed=7)
    allowance = 4.0 / D * theory
    assert abs(sim.risk - theory) <= 3 * sim.stderr + allowance, (sim.risk, sim.stderr, theory)
