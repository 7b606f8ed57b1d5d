"""Tests of theory.freeprob: transforms invert, derivation checks, moments from transforms.

References are independent of the code under test: theory.mp's Narayana polynomials, the known
moments of free multiplicative convolutions (Fuss–Catalan numbers), explicit residue sums.
"""
import random

import sympy as sp

from theory import freeprob as fp
from theory import mp
from theory.symbols import tau, z


def test_wishart_tau_and_x_invert_at_random_points():
    # the closed-form τ_W has a square root, so check τ(x(τ)) = τ and x(τ(z)) = z at points on
    # the physical branch (0 < τ < min(1, 1/q), z > 0) to 30 digits
    rnd = random.Random(3)
    for _ in range(10):
        qv = sp.Rational(rnd.randint(1, 40), 10)
        tv = sp.Rational(rnd.randint(1, 99), 100) * min(1, 1 / qv)
        xv = fp.x_wishart(qv, tau).subs(tau, tv)
        assert abs(sp.N(fp.tau_wishart(qv, z).subs(z, xv) - tv, 40)) < 1e-30
        zv = sp.Rational(rnd.randint(1, 500), 37)
        tz = fp.tau_wishart(qv, z).subs(z, zv)
        assert abs(sp.N(fp.x_wishart(qv, tau).subs(tau, tz) - zv, 40)) < 1e-30


def test_projection_and_s_transform_inverses_are_symbolic_identities():
    assert fp.check_inverse(fp.tau_projection(), fp.x_projection()) == 0
    assert sp.simplify(fp.s_of_x(fp.x_wishart()) - fp.s_wishart()) == 0
    assert sp.simplify(fp.x_of_s(fp.s_wishart()) - fp.x_wishart()) == 0
    # a diagonal spectrum with two atoms: τ(x) inverts the implicit equation at a point
    a = [sp.Integer(2), sp.Rational(1, 3)]
    tv = fp.tau_diagonal(a).subs(z, sp.Rational(5, 7))
    sols = sp.solve(sp.Eq(fp.tau_diagonal(a), tv), z)
    assert sp.Rational(5, 7) in sols


def test_free_product_with_wishart_is_the_structured_wishart_equation():
    assert fp.check_structured_wishart() == (0, 0, 0)
    # and with alpha = 1/q it is τ = tr Λ(z(1 − τ/α)⁻¹ + Λ)⁻¹ term by term
    alpha = sp.Symbol("alpha", positive=True)
    a = sp.symbols("a1:3", positive=True)
    eq = fp.structured_wishart_equation(a, None, 1 / alpha)
    target = tau - sum(ak / (z / (1 - tau / alpha) + ak) for ak in a) / 2
    assert sp.simplify(eq - target) == 0


def test_free_product_relation_sign():
    # x_A x_B = z (1 − τ)/τ with z = x_{AB}: the printed (τ − 1)/τ would give −z
    xa, xb = fp.x_wishart(sp.Rational(1, 3)), fp.x_projection(sp.Rational(1, 2))
    zab = fp.x_free_product(xa, xb)
    assert sp.simplify(fp.free_product_relation(xa, xb, zab)) == 0
    assert sp.simplify(xa * xb - zab * (tau - 1) / tau) != 0


def test_two_point_dmft_equals_leave_one_out_form():
    assert fp.check_two_point_wishart() == 0


def test_wishart_b_is_the_resolvent_identity():
    # ℬ(τ,τ') from g = τ/(1 − qτ) equals (g(y) − g(y'))/(y' − y) with g from its quadratic
    qv, t1, t2 = sp.Rational(3, 2), sp.Rational(1, 5), sp.Rational(1, 3)
    y1 = fp.x_wishart(qv, tau).subs(tau, t1)
    y2 = fp.x_wishart(qv, tau).subs(tau, t2)
    g = sp.Symbol("g")
    roots1 = sp.solve(fp.g_wishart_equation(qv, y1, g), g)
    roots2 = sp.solve(fp.g_wishart_equation(qv, y2, g), g)
    g1 = [r for r in roots1 if r > 0][0]
    g2 = [r for r in roots2 if r > 0][0]
    b = fp.b_wishart(qv).subs({fp.tau: t1, fp.tau2: t2})
    assert sp.simplify(b - (g1 - g2) / (y2 - y1)) == 0


def test_mp_moments_from_tau_series_equal_narayana():
    got = fp.mp_moments_from_tau(5)
    assert [sp.expand(g - mp.moment(k, fp.q)) for k, g in enumerate(got, 1)] == [0] * 5


def test_free_multiplicative_convolution_moments():
    # MP(q) ⊠ MP(q) with q = 1/2 (each of mean 1, second moment 3/2): 1, 2, 21/4, 63/4.
    # Independent check from the freeness moment formulas for mean-1 laws:
    # m₂ = m₂ᵃ + m₂ᵇ − 1 and m₃ = m₃ᵃ + m₃ᵇ + 3(m₂ᵃ − 1)(m₂ᵇ − 1) − 1 (= 11/2 + 3/4 − 1).
    h = sp.Rational(1, 2)
    got = fp.free_product_moments([fp.x_wishart(h), fp.x_wishart(h)], 4)
    assert got == [1, 2, sp.Rational(21, 4), sp.Rational(63, 4)]
    m2 = [mp.moment(k, h) for k in range(4)]
    assert got[1] == 2 * m2[2] - 1
    assert got[2] == 2 * m2[3] + 3 * (m2[2] - 1) ** 2 - 1
    # q = 1: Fuss–Catalan numbers C(3k, k)/(2k + 1)
    got1 = fp.free_product_moments([fp.x_wishart(1), fp.x_wishart(1)], 5)
    assert got1 == [sp.binomial(3 * k, k) / (2 * k + 1) for k in range(1, 6)]


def test_cauchy_double_contour_residues():
    p = fp.filter_poly(3, sp.Rational(2, 5))
    assert fp.check_contour_residues([1, sp.Rational(1, 3), 2], [2, 5, 1], [1, 3, 2], p) == 0


def test_noise_filter_is_entire():
    s = sp.Symbol("s")
    for depth in (1, 2, 5):
        qf = sp.cancel(fp.noise_filter(depth, sp.Rational(3, 2), s))
        assert sp.denom(qf).free_symbols == set()
