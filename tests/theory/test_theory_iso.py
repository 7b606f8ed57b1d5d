"""ISO risk polynomial, its optima and its L → ∞ limit, each against an independent route."""
import math

import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from theory import iso, mp, symbols

alpha, gamma, sigma2, lam = symbols.alpha, symbols.gamma, symbols.sigma2, symbols.lam


# ----------------------------------------------------------------------------- depth 1

def test_depth1_optimum_matches_spec_noise_free():
    g_star, r_star = iso.optimal_depth1()
    assert sp.simplify(g_star.subs(sigma2, 0) - alpha / (1 + alpha)) == 0
    assert sp.simplify(r_star.subs(sigma2, 0) - 1 / (1 + alpha)) == 0


def test_depth1_optimum_with_noise_by_hand():
    # R = 1 − 2γ + γ²(1 + (1 + σ²)/α) from m_1 = 1, m_2 = 1 + 1/α; vertex of the parabola.
    g_star, r_star = iso.optimal_depth1()
    assert sp.simplify(g_star - alpha / (alpha + 1 + sigma2)) == 0
    assert sp.simplify(r_star - (1 + sigma2) / (alpha + 1 + sigma2)) == 0


def test_secondary_source_inverse_square_is_refuted():
    # A secondary source gives R* = (1 + α)^{-2} at depth 1: the exact optimum is 1/(1 + α).
    r_star = iso.optimal_depth1()[1].subs(sigma2, 0)
    assert sp.simplify(r_star - (1 + alpha) ** -2) != 0
    assert r_star.subs(alpha, 1) == sp.Rational(1, 2)        # the claim would give 1/4
    # and (1+α)^{-2} is not even attainable: it lies below the minimum of R(γ).
    R1 = iso.risk_expr(1, sigma2=0, alpha=1)
    assert sp.solve(sp.Eq(R1, sp.Rational(1, 4)), gamma) == [] or all(
        not r.is_real for r in sp.solve(sp.Eq(R1, sp.Rational(1, 4)), gamma))


# ----------------------------------------------------------------------------- risk polynomial

@pytest.mark.parametrize("depth", [1, 2, 3, 6])
def test_risk_is_one_at_zero_gamma(depth):
    assert sp.simplify(iso.risk_expr(depth).subs(gamma, 0)) == 1


def test_first_coefficients_and_degree_at_depth_30():
    coeffs = iso.risk_coefficients(30)
    assert len(coeffs) == 61 and coeffs[0] == 1 and coeffs[1] == -2   # m_1 = 1
    assert coeffs[-1] != 0


def test_infinite_context_is_plain_gd():
    # α = ∞: Σ̂ = I, so R = (1 − γ/L)^{2L} exactly.
    for L in (1, 3):
        assert sp.expand(iso.risk_expr(L, sigma2=0, alpha=sp.oo) - (1 - gamma / L) ** (2 * L)) == 0


@pytest.mark.parametrize("cv", [pytest.param(sp.Rational(1, 4), marks=pytest.mark.slow),
                                sp.Integer(4)])
def test_risk_equals_direct_integration(cv):
    # Independent route: sympy integration against the MP density (α = 4 and α = 1/4), at a
    # rational γ and σ².  The integrand is split as f(0) + λ g(λ); f(0) carries the total mass
    # 1 (atom + continuous part), λ·density is a semicircle that sympy integrates exactly.
    g0, s0 = sp.Rational(3, 5), sp.Rational(1, 3)
    lo, hi = mp.support(cv)
    f = sp.expand(iso.risk_integrand(2, alpha=1 / cv, sigma2=s0, gamma=g0))
    f0 = f.subs(lam, 0)
    g = sp.expand((f - f0) / lam)
    integral = sp.integrate(g * sp.sqrt((hi - lam) * (lam - lo)) / (2 * sp.pi * cv), (lam, lo, hi))
    direct = f0 + sp.simplify(integral)
    assert direct == iso.risk_expr(2, sigma2=s0, alpha=1 / cv).subs(gamma, g0)


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_risk_equals_jacobi_quadrature(depth):
    # ∫ f dρ = e₁ᵀ f(J) e₁ for polynomial f, with the Jacobi matrix of ρ_α.
    f = iso.risk_integrand(depth)
    via_jacobi = mp.expect_polynomial_jacobi(f, lam, 1 / alpha)
    assert sp.expand(via_jacobi - iso.risk_expr(depth)) == 0


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_noise_integrand_is_the_spec_formula(depth):
    u = gamma * lam / depth
    spec = sigma2 / (alpha * lam) * (1 - (1 - u) ** depth) ** 2
    assert sp.cancel(iso.noise_integrand(depth) - spec) == 0


def test_stationarity_is_derivative_and_integral_of_derivative_integrands():
    L = 3
    assert sp.expand(iso.stationarity_expr(L) - sp.diff(iso.risk_expr(L), gamma)) == 0
    d_integrand = iso.bias_integrand_dgamma(L) + iso.noise_integrand_dgamma(L)
    assert sp.expand(mp.expect_polynomial(d_integrand, lam, 1 / alpha)
                     - iso.stationarity_expr(L)) == 0


@settings(max_examples=25, deadline=None)
@given(depth=st.integers(1, 5), a=st.fractions(sp.Rational(1, 10), 10),
       g=st.fractions(0, 8), s2=st.fractions(0, 2))
def test_risk_bounded_below_by_atom(depth, a, g, s2):
    # Every integrand is ≥ 0 and equals 1 at λ = 0, so R ≥ mass of the atom = max(0, 1 − α).
    a, g, s2 = sp.Rational(a), sp.Rational(g), sp.Rational(s2)
    R = iso.risk_expr(depth, sigma2=s2, alpha=a).subs(gamma, g)
    assert R >= max(0, 1 - a)


# ----------------------------------------------------------------------------- optima

@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_noise_free_optimum_is_L_alpha_over_one_plus_alpha(depth):
    # Route 1: symmetry proof + sympy check (optimal_noise_free); route 2: factor/solve with
    # the minimiser confirmed at sample α (optimal_closed_form).
    g1, r1 = iso.optimal_noise_free(depth)
    found = iso.optimal_closed_form(depth)
    assert found is not None
    assert sp.simplify(found[0] - g1) == 0 and sp.simplify(found[1] - r1) == 0
    assert sp.simplify(g1 - depth * alpha / (1 + alpha)) == 0


def test_noise_free_optimum_against_grid_and_depth_monotone():
    # At α = 3/2 the optimal risk is below the risk on a fine γ grid, and decreases with depth
    # towards the L = ∞ value max(0, 1 − α) = 0.
    a = sp.Rational(3, 2)
    previous = 1
    for L in (1, 2, 3, 4):
        g_star, r_star = iso.optimal_noise_free(L)
        r_star = r_star.subs(alpha, a)
        R = sp.lambdify(gamma, iso.risk_expr(L, sigma2=0, alpha=a))
        grid_min = min(R(L * 2.0 * k / 400) for k in range(401))
        assert float(r_star) <= grid_min + 1e-12     # float rounding of R on the grid
        assert grid_min - float(r_star) < 1e-4          # grid spacing L/200 around the vertex
        assert 0 < r_star < previous
        previous = r_star


@pytest.mark.parametrize("a", [sp.Rational(1, 3), sp.Rational(3, 2), sp.Integer(5)])
def test_noise_free_optimum_converges_geometrically_in_depth(a):
    # atom ≤ R*_L ≤ atom + min(1, α) (4α/(1+α)²)^L, from |1 − λ/(1+c)| ≤ 2√c/(1+c) on the support.
    atom = max(0, 1 - a)
    rate = 4 * a / (1 + a) ** 2
    for L in (1, 2, 4, 8):
        r_star = iso.optimal_noise_free(L)[1].subs(alpha, a)
        assert atom < r_star <= atom + min(1, a) * rate ** L


def test_noisy_depth2_closed_form():
    found = iso.optimal_closed_form(2, sigma2=sigma2)
    assert found is not None
    g_star, r_star = found
    point = {alpha: sp.Rational(3), sigma2: sp.Rational(7, 10)}   # not a sample point
    g_val = complex(sp.N(g_star.subs(point), 30))
    assert abs(g_val.imag) < 1e-20 and g_val.real > 0
    dR = sp.lambdify(gamma, iso.stationarity_expr(2, sigma2=point[sigma2], alpha=point[alpha]))
    R = sp.lambdify(gamma, iso.risk_expr(2, sigma2=point[sigma2], alpha=point[alpha]))
    assert abs(dR(g_val.real)) < 1e-12
    assert R(g_val.real) <= min(R(0.01 * k) for k in range(400)) + 1e-15


def test_numeric_closed_form_at_depth3():
    g_star, r_star = iso.optimal_closed_form(3, sigma2=0, alpha=2)
    assert g_star == 2                                # = Lα/(1+α)
    assert r_star == sp.Rational(29, 243)
    # with noise the root is an algebraic number; it must be stationary and beat γ = 2
    g_n, r_n = iso.optimal_closed_form(3, sigma2=sp.Rational(1, 2), alpha=2)
    assert abs(sp.N(iso.stationarity_expr(3, sp.Rational(1, 2), 2).subs(gamma, g_n), 30)) < 1e-25
    assert sp.N(r_n) < sp.N(iso.risk_expr(3, sp.Rational(1, 2), 2).subs(gamma, 2))


# ----------------------------------------------------------------------------- L → ∞

def test_infinite_depth_integrands():
    lim = iso.infinite_depth_limit()
    assert sp.simplify(lim["bias_integrand"] - sp.exp(-2 * gamma * lam)) == 0
    spec = sigma2 / (alpha * lam) * (1 - sp.exp(-gamma * lam)) ** 2
    assert sp.simplify(lim["noise_integrand"] - spec) == 0
    assert sp.simplify(iso.bias_integrand(math.inf) - sp.exp(-2 * gamma * lam)) == 0


def test_infinite_depth_noise_free_optimum():
    opt = iso.infinite_depth_limit()["optimal_risk_noise_free"]
    assert opt.subs(alpha, sp.Rational(1, 3)) == sp.Rational(2, 3)
    assert opt.subs(alpha, 3) == 0
    assert opt.subs(alpha, 1) == 0


def _mp_expectation(f, a, dps=30):
    """∫ f dρ_α by tanh-sinh quadrature in t = √λ plus the atom (test-only reference)."""
    mpmath = pytest.importorskip("mpmath")
    c = 1 / a
    with mpmath.workdps(dps):
        dens = sp.lambdify(lam, mp.density(lam, sp.Rational(c)), modules="mpmath")
        lo, hi = (mpmath.sqrt(mpmath.mpf(sp.N(x, dps + 10))) for x in mp.support(sp.Rational(c)))
        cont = mpmath.quad(lambda t: 2 * t * dens(t ** 2) * f(t ** 2), [lo, hi])
        return cont + mpmath.mpf(sp.N(mp.atom_mass(sp.Rational(c)), dps)) * f(mpmath.mpf(0))


@pytest.mark.parametrize("a", [sp.Integer(2), sp.Rational(1, 2)])
def test_large_depth_approaches_exponential_form(a):
    # R_L − R_∞ = O(1/L): at γ = 1 the error at L = 64 is below 1/64 and halves at L = 128.
    mpmath = pytest.importorskip("mpmath")
    s2 = sp.Rational(1, 2)
    lim = iso.infinite_depth_limit()
    bias = sp.lambdify(lam, lim["bias_integrand"].subs(gamma, 1), modules="mpmath")
    noise = sp.lambdify(lam, lim["noise_integrand"].subs({gamma: 1, sigma2: s2, alpha: a}),
                        modules="mpmath")
    r_inf = _mp_expectation(lambda x: bias(x) + (noise(x) if x != 0 else 0), a)
    err = [abs(mpmath.mpf(sp.N(iso.risk_expr(L, s2, a).subs(gamma, 1), 30)) - r_inf)
           for L in (64, 128)]
    assert err[0] < 1 / 64
    assert 0.4 < err[1] / err[0] < 0.6


def test_large_gamma_at_infinite_depth_reaches_atom():
    # α = 1/2: R_∞(γ) → 1 − α; the continuous part decays like e^{−2γ λ₋}, λ₋ = (1 − √2)².
    bias = sp.lambdify(lam, iso.infinite_depth_limit()["bias_integrand"].subs(gamma, 60),
                       modules="mpmath")
    assert abs(_mp_expectation(bias, sp.Rational(1, 2)) - 0.5) < 1e-8


def test_depth_validation():
    with pytest.raises(ValueError, match="depth"):
        iso.risk_expr(0)
    with pytest.raises(ValueError, match="infinite_depth_limit"):
        iso.risk_expr(math.inf)
    with pytest.raises(ValueError, match="alpha"):
        iso.risk_expr(1, alpha=-1)
