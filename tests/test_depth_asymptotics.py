"""Large-γ sums at finite depth (solvers.depth_asymptotics) and the L = 10⁶ full/tied flows that
use them, against references written here: explicit modes + Euler–Maclaurin with a quadrature
integral (no ζ-moments, no beta function, no Poisson envelope)."""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from solvers import zeta_moments as zm
from solvers.depth_asymptotics import binomial_asymptotic
from solvers.settings import rrs

NU, BETA = "1.5", "1"


def ref_sum(a, n, g, L, dps, start=None):
    """``(Σ_k k^{−a}(1 − γk^{−ν}/L)^n, error)`` for ν = 3/2 (not divided by ζ(s)).

    Overshooting modes (w_k = γk^{−ν}/L ≥ 1) explicitly with their sign; modes with
    ``u = γk^{−ν} > U`` skipped: there ``0 ≤ (1 − u/L)^n ≤ e^{−nu/L}``, so the block is below
    ``ζ(a)e^{−nU/L}`` (added to the error); then explicit modes up to K and Euler–Maclaurin from
    K (integral by tanh–sinh quadrature in log x, 8 Bernoulli orders by mpmath.diffs; error: the
    last order used plus the quadrature's estimate)."""
    with mpmath.workdps(dps + 20):
        nu = mpmath.mpf(NU)
        g, Lm, a = mpmath.mpf(g), mpmath.mpf(L), mpmath.mpf(a)
        k_over = int(mpmath.floor((g / Lm) ** (1 / nu)))
        total = mpmath.mpf(0)
        for k in range(1, k_over + 1):
            w = g * mpmath.mpf(k) ** (-nu) / Lm
            total += mpmath.mpf(k) ** (-a) * (1 - w) ** n
        U = (dps + 25) * math.log(10) * float(Lm / n) + 1
        k_lo = max(k_over + 1, int(float(g / U) ** (1 / 1.5)) + 1)
        err = mpmath.zeta(a) * mpmath.exp(-n * U / Lm) if k_lo > k_over + 1 else mpmath.mpf(0)

        def f(x):
            return x ** (-a) * mpmath.exp(n * mpmath.log1p(-g * x ** (-nu) / Lm))
        K = start if start is not None else max(2 * k_lo, 64)
        total += mpmath.fsum(f(mpmath.mpf(k)) for k in range(k_lo, K))
        Km = mpmath.mpf(K)
        integral, qerr = mpmath.quad(lambda y: f(mpmath.exp(y)) * mpmath.exp(y),
                                     [mpmath.log(Km), mpmath.log(Km) + 5, mpmath.inf],
                                     error=True)
        d = list(mpmath.diffs(f, Km, 15))
        em = f(Km) / 2
        last = mpmath.mpf(0)
        for j in range(1, 9):
            last = mpmath.bernoulli(2 * j) / mpmath.factorial(2 * j) * d[2 * j - 1]
            em -= last
        return total + integral + em, err + abs(qerr) + abs(last)


@pytest.mark.parametrize("L", [10 ** 6, 1000, 64])
def test_poisson_envelope_holds_and_is_tight(L):
    """Where the Poisson remainder is measurable (γ = 50, 100), |sum − asymptotic| is below
    the envelope and the envelope is within 100× of it (not vacuous); the reference is good to
    ~10^{−35} absolute (its own error asserted), far below the remainders (10^{−17}…10^{−9})."""
    sums = zm.power_law_sums(NU, BETA)
    with mpmath.workdps(40):
        Z = mpmath.zeta(mpmath.mpf("2.5"))
        for g in (50, 100):
            for shift, n in ((0, 2 * L), (1, 2 * L - 1), (2, 2 * L - 2)):
                val, bound = binomial_asymptotic(sums, shift, n, g, L, mpmath.mp.prec)
                ref, rerr = ref_sum(mpmath.mpf(5) / 2 + shift * mpmath.mpf(NU), n, g, L, 40,
                                    start=256)
                ref /= Z
                assert rerr / Z < mpmath.mpf("1e-32"), (L, g, shift, rerr)
                rem = abs(val - ref)
                assert rem <= bound, (L, g, shift, rem, bound)
                assert bound < 100 * rem, (L, g, shift, rem, bound)


def test_large_gamma_velocity_l1e6():
    """F(γ) = −R'(γ) at L = 10⁶ for γ from 10³ past γ* (≈ 1999984.6, where F changes sign) and
    beyond 2L: the package (asymptotic path) against the reference sum to 25 digits of F(0) —
    the flow's absolute scale — and to 20 digits relative where F is not a cancellation."""
    L = 10 ** 6
    with mpmath.workdps(40):
        Z = mpmath.zeta(mpmath.mpf("2.5"))
        F0 = 2 * mpmath.zeta(4) / Z
        for g in ("1000", "123456.7", "1900000", "1999984", "1999985", "2100000"):
            ours = rrs.flow_velocity(g, nu=NU, beta=BETA, depth=L, dps=30)
            ref, err = ref_sum(4, 2 * L - 1, mpmath.mpf(g), L, 40)
            ref = 2 * ref / Z
            assert err < mpmath.mpf("1e-30") * F0
            assert abs(ours - ref) <= mpmath.mpf("1e-25") * F0 + mpmath.mpf("1e-20") * abs(ref), (
                g, ours, ref)
        # the sign change brackets the optimum
        assert rrs.flow_velocity("1999984", nu=NU, beta=BETA, depth=L, dps=30) > 0
        assert rrs.flow_velocity("1999985", nu=NU, beta=BETA, depth=L, dps=30) < 0


def _gauss_legendre(f, a, b, m):
    """m-point Gauss–Legendre rule on [a, b] (float64 nodes and weights: ~10^{−16} relative,
    below the tolerance they are used for)."""
    x, w = np.polynomial.legendre.leggauss(m)
    h, c = (b - a) / 2, (a + b) / 2
    return h * mpmath.fsum(mpmath.mpf(float(wi)) * f(c + h * mpmath.mpf(float(xi)))
                           for xi, wi in zip(x, w))


# ~8 s each; the full flow differs from the tied one only by C and γ(0): slow
@pytest.mark.parametrize("par, coef", [("tied", 25),
                                       pytest.param("full", None, marks=pytest.mark.slow)])
def test_l1e6_flow_times_against_quadrature(par, coef):
    """Tied/full flow at L = 10⁶, dps 15: ``t(γ_2) − t(γ_1) = ∫ dγ / V`` with
    ``V = Cγ^{8/5}F`` (tied C = 25, full C = 5·2^{2/5}; paper Result 9) and F from the reference
    sum, by 32-point Gauss–Legendre in log γ (checked against 24 points: geometric convergence), between points of the large-γ regime up to
    γ* − γ ≈ 5·10⁵ (F there is a 25 % cancellation of the modes pushed past their flip point).
    Tolerance 10⁻¹³ relative: the flow's quadrature targets 10^{−18} of the
    cumulative time (so also of the differences here, which are of its size), the reference
    is good to > 20 digits."""
    L = 10 ** 6
    gs = ["3000", "250000", "1500000"]
    tr = rrs.trajectory(gs, nu=NU, beta=BETA, depth=L, parameterization=par, dps=15)
    times = tr.extra["times"]
    with mpmath.workdps(20):
        C = mpmath.mpf(25) if coef else 5 * mpmath.mpf(2) ** (mpmath.mpf(2) / 5)
        Z = mpmath.zeta(mpmath.mpf("2.5"))

        def inv_v(y):
            g = mpmath.exp(y)
            F = 2 * ref_sum(4, 2 * L - 1, g, L, 20)[0] / Z
            return g / (C * g ** (mpmath.mpf(8) / 5) * F)
        for i in range(len(gs) - 1):
            a, b = mpmath.log(mpmath.mpf(gs[i])), mpmath.log(mpmath.mpf(gs[i + 1]))
            ref, coarse = (_gauss_legendre(inv_v, a, b, m) for m in (32, 24))
            assert abs(ref - coarse) < mpmath.mpf("1e-15") * ref    # the rule has converged
            ours = mpmath.mpf(times[i + 1]) - mpmath.mpf(times[i])
            assert abs(ours - ref) <= mpmath.mpf("1e-13") * ref, (par, gs[i], ours, ref)
