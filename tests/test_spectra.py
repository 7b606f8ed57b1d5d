"""Spectra: normalisation, verified power-law sums, validation.

References are independent of the Euler–Maclaurin code: brute-force partial sums plus the
integral tail bound of theory.spectra, exact Hurwitz-zeta identities, and direct finite sums.
"""
import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from tests.conftest import powerlaw_arrays

from solvers.spectra import Discrete, PowerLaw, make_spectrum, pow1m
from theory import spectra as tspec
from theory.symbols import beta as s_beta, k as s_k, lam as s_lam, nu as s_nu


@pytest.mark.parametrize("nu,beta", [(1.5, 1.0), (1.1, 0.3), (2.0, 2.5)])
def test_power_law_normalised(nu, beta):
    s = PowerLaw(nu, beta).wsum(lambda l: 1, dps=30)
    assert abs(s.value - 1) < mpmath.mpf(10) ** -28
    assert s.error < mpmath.mpf(10) ** -28


@pytest.mark.parametrize("m", [2, 3])
def test_power_law_moments_are_zeta_ratios(m):
    # Σ ω_k λ_k^m = ζ(νβ+1+ν(m−1)) / ζ(νβ+1): exact, independent of the summation code
    nu, beta = mpmath.mpf(1.5), mpmath.mpf(0.75)
    with mpmath.workdps(40):
        exact = mpmath.zeta(nu * beta + 1 + nu * (m - 1)) / mpmath.zeta(nu * beta + 1)
    s = PowerLaw(1.5, 0.75).wsum(lambda l: 1, power=m, dps=30)
    assert abs(s.value - exact) < mpmath.mpf(10) ** -28 * exact


def test_power_law_sum_vs_brute_force_plus_tail_bound():
    # g = e^{-2γλ}, γ = 30: brute-force partial sum to N plus the integral bound on the rest
    nu, beta, g = 1.5, 1.0, 30
    N = 4000
    with mpmath.workdps(25):
        z = mpmath.zeta(nu * beta + 1)
        brute = mpmath.fsum(mpmath.mpf(k) ** (-nu * beta - 1) / z
                            * mpmath.exp(-2 * g * mpmath.mpf(k) ** -nu) for k in range(1, N + 1))
        bound = sp.N(tspec.tail_integral_bound(N).subs({s_nu: sp.Rational(3, 2), s_beta: 1}), 25)
        bound = mpmath.mpf(str(bound))
    s = PowerLaw(nu, beta).wsum(lambda l: mpmath.exp(-2 * g * l), dps=30, scale=2 * g)
    assert brute <= s.value <= brute + bound
    # the tail itself is bracketed much more tightly: e^{-2γλ_N} ≤ g ≤ 1 on k > N
    assert s.value - brute >= bound * mpmath.exp(-2 * g * mpmath.mpf(N) ** -nu) * (1 - 1e-3)


def test_head_size_does_not_change_the_sum():
    # two different head/tail splits agree to the working precision
    p = PowerLaw(1.3, 0.8)
    f = lambda l: mpmath.exp(-2 * 500 * l)  # noqa: E731
    a = p.wsum(f, dps=30, scale=1000)
    b = p.wsum(f, dps=30, scale=1000 * 50)  # forces a much larger head
    assert a.head != b.head
    assert abs(a.value - b.value) < mpmath.mpf(10) ** -27 * abs(a.value)


@pytest.mark.parametrize("D", [7, 300, 20000])
def test_truncated_power_law(D):
    """Normalisation, and Σ_k ω_kλ_k e^{−3λ_k} over the D modes against a reference built here
    from λ_k = k^{−ν}, ω_kλ_k ∝ k^{−νβ−1} alone (not from the spectrum's own modes): mpmath
    at 35 digits (D ≤ 300: direct sums in the package too; D = 20000: head + Euler–Maclaurin
    with its finite-D end corrections, against all 20000 terms)."""
    p = PowerLaw(1.5, 1.0, dim=D)
    s = p.wsum(lambda l: 1, dps=30)
    assert abs(s.value - 1) < mpmath.mpf(10) ** -27
    f = lambda l: mpmath.exp(-3 * l)  # noqa: E731
    got = p.wsum(f, dps=30)
    assert (got.head < D) == (D > 4096)      # the Euler–Maclaurin path for the largest D
    with mpmath.workdps(35):
        ks = [mpmath.mpf(k) for k in range(1, D + 1)]
        wl = [k ** mpmath.mpf(-2.5) for k in ks]
        ref = mpmath.fsum(w * mpmath.exp(-3 * k ** mpmath.mpf(-1.5)) for w, k in zip(wl, ks))
        ref /= mpmath.fsum(wl)
        assert abs(got.value - ref) < mpmath.mpf(10) ** -27 * ref
    lam, wlf = powerlaw_arrays(D)                 # float64, numpy (tests/conftest.py)
    assert abs(float(got.value) - float(np.sum(wlf * lam * np.exp(-3 * lam)))) < 1e-13


def test_discrete_sum_and_normalize():
    d = Discrete([1, 0.5, 0.25], [2, 4, 8])
    s = d.wsum(lambda l: l, dps=30)
    assert abs(s.value - (2 * 1 + 4 * 0.25 + 8 * 0.0625)) < 1e-28
    dn = Discrete([1, 0.5, 0.25], [2, 4, 8], normalize=True)
    assert abs(dn.wsum(lambda l: 1, dps=30).value - 1) < 1e-28


def test_symbolic_summand_matches_numeric():
    expr = tspec.weighted_summand(sp.exp(-2 * s_lam), m=2)
    f = sp.lambdify((s_k, s_nu, s_beta), expr, modules="mpmath")
    p = PowerLaw(1.5, 1.0)
    with mpmath.workdps(30):
        lam, om = p.modes(5, dps=30)
        for k in range(1, 6):
            ref = om[k - 1] * lam[k - 1] ** 2 * mpmath.exp(-2 * lam[k - 1])
            assert abs(f(k, mpmath.mpf(1.5), mpmath.mpf(1)) - ref) < 1e-28


def test_pow1m_large_exponent():
    with mpmath.workdps(30):
        L = 10 ** 6
        y = mpmath.mpf(3) / L
        assert abs(pow1m(y, 2 * L) / mpmath.exp(-6) - 1) < 1e-4  # (1−3/L)^{2L} ≈ e^{−6}
        assert pow1m(mpmath.mpf(1), 5) == 0
        assert pow1m(mpmath.mpf(3), 3) == -8 and pow1m(mpmath.mpf(3), 2) == 4


@pytest.mark.parametrize("kwargs,name", [
    (dict(nu=1.0, beta=1.0), "nu"),
    (dict(nu=0.5, beta=1.0), "nu"),
    (dict(nu=1.5, beta=0.0), "beta"),
    (dict(nu=1.5, beta=-1.0), "beta"),
    (dict(nu=1.5, beta=1.0, dim=0), "dim"),
    (dict(nu=1.5, beta=1.0, dim=2.5), "dim"),
    (dict(lam=[1, 2], omega=[1]), "omega"),
    (dict(lam=[1, -2], omega=[1, 1]), "lam[1]"),
    (dict(lam=[1, 2]), "omega"),
    (dict(beta=1.0), "nu"),
])
def test_invalid_spectra_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=re_escape(name)):
        make_spectrum(**kwargs)


def re_escape(s):
    import re
    return re.escape(s)


def test_finite_dim_allows_nu_below_one():
    # only the infinite spectrum diverges for ν ≤ 1
    s = PowerLaw(0.8, 1.0, dim=50).wsum(lambda l: 1, dps=20)
    assert abs(s.value - 1) < 1e-18
    assert math.isinf(PowerLaw(1.5, 1).dim)
