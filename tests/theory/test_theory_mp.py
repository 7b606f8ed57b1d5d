"""Marchenko–Pastur layer: Narayana moments against integration, a recurrence and Jacobi."""
import pytest
import sympy as sp

from theory import mp, symbols

c = symbols.c
lam = symbols.lam


def test_first_moments_by_hand():
    # Hand-expanded values of the first Narayana polynomials.
    assert mp.moment(0) == 1
    assert sp.expand(mp.moment(1) - 1) == 0
    assert sp.expand(mp.moment(2) - (1 + c)) == 0
    assert sp.expand(mp.moment(3) - (1 + 3 * c + c ** 2)) == 0
    assert sp.expand(mp.moment(4) - (1 + 6 * c + 6 * c ** 2 + c ** 3)) == 0


def test_moment_alpha_is_moment_at_inverse_ratio():
    a = symbols.alpha
    assert sp.expand(mp.moment_alpha(3) - (1 + 3 / a + 1 / a ** 2)) == 0


def _moments_by_recurrence(kmax, cv):
    # Independent route: the MP Stieltjes transform s(z) solves c z s² − (z − 1 + c) s + 1 = 0,
    # so the generating function M(x) = Σ m_k x^k satisfies M = 1 + x M (1 − c + c M).
    # Matching powers of x gives m_k = (1 − c) m_{k−1} + c Σ_{i+j=k−1} m_i m_j.
    m = [sp.Integer(1)]
    for k in range(1, kmax + 1):
        conv = sum(m[i] * m[k - 1 - i] for i in range(k))
        m.append(sp.expand((1 - cv) * m[k - 1] + cv * conv))
    return m


@pytest.mark.parametrize("cv", [c, sp.Rational(1, 3), sp.Integer(5)])
def test_moments_match_independent_recurrence(cv):
    rec = _moments_by_recurrence(10, cv)
    assert all(sp.expand(mp.moment(k, cv) - rec[k]) == 0 for k in range(11))


@pytest.mark.parametrize("cv", [sp.Rational(1, 4), sp.Integer(4)])
def test_moments_equal_integrals_of_density(cv):
    # Direct sympy integration of λ^k against the continuous density; the atom adds 0·λ^k
    # for k ≥ 1 and its mass for k = 0 (c > 1 only).
    lo, hi = mp.support(cv)
    for k in (2, 3):
        integral = sp.integrate(lam ** k * mp.density(lam, cv), (lam, lo, hi))
        assert sp.simplify(integral - mp.moment(k, cv)) == 0


@pytest.mark.parametrize("cv", [sp.Rational(1, 4), sp.Integer(4), sp.Integer(1)])
def test_density_mass_plus_atom_is_one(cv):
    # sympy's integrator does not always close the 1/λ integral, so the mass is checked by
    # 30-digit tanh-sinh quadrature in t = √λ (smooth at the edges, also at c = 1 where the
    # density blows up like λ^{-1/2}); tolerance 1e-20 is far above its error.
    mpmath = pytest.importorskip("mpmath")
    lo, hi = mp.support(cv)
    f = sp.lambdify(lam, mp.density(lam, cv), modules="mpmath")
    with mpmath.workdps(30):
        edges = [mpmath.sqrt(mpmath.mpf(sp.N(x, 40))) for x in (lo, 1 + cv, hi)]
        mass = mpmath.quad(lambda t: 2 * t * f(t ** 2), edges)
        assert abs(mass - mpmath.mpf(sp.N(mp.continuous_mass(cv), 40))) < mpmath.mpf("1e-20")
        assert abs(mass + mpmath.mpf(sp.N(mp.atom_mass(cv), 40)) - 1) < mpmath.mpf("1e-20")


def test_atom_mass():
    assert mp.atom_mass(sp.Integer(4)) == sp.Rational(3, 4)      # alpha = 1/4 -> 1 - alpha
    assert mp.atom_mass(sp.Rational(1, 2)) == 0
    assert sp.simplify(mp.atom_mass(1 / symbols.alpha).subs(symbols.alpha, sp.Rational(1, 3))
                       - sp.Rational(2, 3)) == 0


def test_jacobi_parameters():
    diag, off = mp.jacobi_parameters(4)
    assert diag == [1, 1 + c, 1 + c, 1 + c]
    assert off == [sp.sqrt(c)] * 3


def test_jacobi_matrix_moments_equal_narayana():
    assert all(d == 0 for d in mp.check_jacobi_moments(12))
    # A deliberately large truncation gives the same numbers (the truncation is exact).
    J = mp.jacobi_matrix(8, sp.Rational(2, 3))
    for k in range(8):
        assert (J ** k)[0, 0] - mp.moment(k, sp.Rational(2, 3)) == 0


def test_expectation_routes_agree():
    f = 3 - 2 * lam + lam ** 5 / 7 + c * lam ** 2
    assert sp.expand(mp.expect_polynomial(f) - mp.expect_polynomial_jacobi(f)) == 0


def test_rejects_bad_order():
    with pytest.raises(ValueError, match="k="):
        mp.moment(-1)
