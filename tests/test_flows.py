"""Gradient flows at D = ∞ (RRS, FS, ISO) against independent references.

The reference for RRS (:mod:`tests.flow_reference`, shared with ``benchmarks/flows.py``) is
written independently of :mod:`solvers.zeta_moments` and :mod:`solvers.flows`: the ζ-moment
polynomial of a power law (λ_k = k^{−ν},
ω_kλ_k = k^{−νβ−1}/ζ(νβ+1)),

    R(γ) = Σ_{j≤2L} C(2L, j)(−γ/L)^j ζ(νβ+1+jν)/ζ(νβ+1)      (L = ∞: Σ_j (−2γ)^j/j! …),

with guard digits for its cancellation (|terms| ≤ (1 + γ/L)^{2L} resp. e^{2γ} times R), F = −R'
term by term, ``t(γ) = ∫_0^γ dg/F(g)`` by Gauss–Legendre quadrature and Newton on ``t(γ) = t``.
Large times are checked against the closed-form law from the Mellin asymptotics of the sum,
``R ≈ Γ(β)(2γ)^{−β}/(νζ)``, ``t ≈ γ^{β+2}/((β+2)A)``, ``A = Γ(β+1)2^{−β}/(νζ)``.
"""
from __future__ import annotations

import math

import mpmath
import pytest

from solvers.analysis import dynamics as dyn
from solvers.settings import fs, iso, rrs
from tests.flow_reference import BETA, NU, ref_R_F, ref_point as _ref_point


# ----------------------------------------------------------------------------- the reference

def ref_point(L, t, dps=40):
    """(γ(t), R(γ(t))) of the reference (:mod:`tests.flow_reference`) at ``dps`` digits."""
    return _ref_point(L, t, dps, mpmath.mpf(10) ** (-dps + 6))


def _rel(a, b):
    return abs(mpmath.mpf(a) - mpmath.mpf(b)) / abs(mpmath.mpf(b))


# ----------------------------------------------------------------------------- RRS flows

@pytest.mark.parametrize("depth", [1, 2, 4, 16, "inf"])
def test_rrs_flow_points_match_zeta_moment_reference(depth):
    """Two times per depth: the solver at dps 30 against the reference at 40 digits; the
    difference must be within the solver's own error estimate plus 1e-28·R (its digits)."""
    for t in ("0.7", "9"):
        g_ref, r_ref = ref_point(depth, t)
        res = rrs.risk(nu=1.5, beta=1, depth=depth, time=t, dps=30)
        assert _rel(res.gamma, g_ref) < mpmath.mpf("1e-27"), (depth, t, res.gamma, g_ref)
        assert abs(res.risk - r_ref) <= res.error_estimate + mpmath.mpf("1e-28") * r_ref


def test_rrs_briefing_point_depth4():
    """The point measured at 551 s before this module (depth 4, t = 11.6095): 28+ digits."""
    g_ref, r_ref = ref_point(4, "11.6095")
    res = rrs.risk(nu=1.5, beta=1, depth=4, time="11.6095", dps=30)
    assert _rel(res.risk, r_ref) < mpmath.mpf("1e-28")


def test_rrs_landscape_matches_zeta_moment_polynomial():
    """R and F at fixed γ on both sides of the head/ζ-moment switch, finite and infinite L."""
    for L, gs in ((4, ("0.3", "2.9", "5.5", "7.1")), (16, ("3", "20", "31")),
                  ("inf", ("0.5", "3.2", "12"))):
        for g in gs:
            with mpmath.workdps(50):     # γ exact to 50 digits for both sides
                g = mpmath.mpf(g)
            R_ref, F_ref = ref_R_F(L, g, 40)
            res = rrs.landscape(g, nu=1.5, beta=1, depth=L, dps=30)
            assert _rel(res.risk, R_ref) < mpmath.mpf("1e-29"), (L, g)
            F = rrs.flow_velocity(g, nu=1.5, beta=1, depth=L, dps=30)
            assert abs(F - F_ref) < mpmath.mpf("1e-29") * (abs(F_ref) + 1e-3), (L, g)


def _law_constant():
    """R(t)·t^{β/(β+2)} → Γ(β)2^{−β}/(νζ)·((β+2)A)^{−β/(β+2)} (Mellin asymptotics)."""
    with mpmath.workdps(30):
        nu, beta = mpmath.mpf(NU), mpmath.mpf(BETA)
        Z = mpmath.zeta(nu * beta + 1)
        A = mpmath.gamma(beta + 1) * 2 ** (-beta) / (nu * Z)
        return (mpmath.gamma(beta) * 2 ** (-beta) / (nu * Z)
                * ((beta + 2) * A) ** (-beta / (beta + 2))), beta / (beta + 2)


def test_rrs_infinite_depth_large_times_follow_the_asymptotic_law():
    """t = 1e6 … 1e30 at L = ∞ (1e6 used to raise ConvergenceError): R(t)t^{β/(β+2)} tends to the
    law's constant; the offset of t(γ) makes the relative deviation O(1/t) (< 1e-5 at 1e6)."""
    C, a = _law_constant()
    ser = dyn.rrs_flow(["1e6", "1e9", "1e12", "1e30"], nu=1.5, beta=1, depth="inf", dps=20)
    devs = [abs(r * mpmath.mpf(t) ** a / C - 1) for r, t in zip(ser.risk, ser.times)]
    assert devs[0] < 1e-5 and devs[2] < 1e-10 and devs[3] < 1e-18, devs
    assert all(x > y for x, y in zip(devs, devs[1:]))   # O(1/t): shrinking


def test_rrs_finite_depth_saturates_without_error():
    """Any valid t: far beyond the approach to γ* the flow reports γ* (within its error)."""
    opt = rrs.risk(nu=1.5, beta=1, depth=4, dps=25)
    for t in ("1e8", "1e40"):
        r = rrs.risk(nu=1.5, beta=1, depth=4, time=t, dps=25)
        assert abs(r.gamma - opt.gamma) < mpmath.mpf("1e-24") * opt.gamma
        assert abs(r.risk - opt.risk) <= r.error_estimate + mpmath.mpf("1e-24") * opt.risk


@pytest.mark.parametrize("depth,param", [(4, "reduced"), (10 ** 6, "reduced"), ("inf", "full"),
                                         (2, "tied")])
def test_curve_equals_pointwise_values(depth, param):
    """A 12-time curve (one cumulative quadrature) against each time solved from a fresh flow
    (cache cleared): the inversion, not the cache, must produce the same numbers."""
    ts = ["0.1", "0.5", "2", "7", "30", "1e2", "5e2", "3e3", "1e4", "1e5", "1e7", "1e9"]
    kw = dict(nu=1.5, beta=1, depth=depth, parameterization=param, init_scale="0.3", dps=20)
    ser = dyn.rrs_flow(ts, **kw)
    for i in (0, 4, 8, 11):
        rrs._FLOW_CACHE.clear()
        p = rrs.risk(time=ts[i], **kw)
        assert _rel(p.gamma, ser.gamma[i]) < mpmath.mpf("1e-18"), (i, p.gamma, ser.gamma[i])
        assert _rel(p.risk, ser.risk[i]) < mpmath.mpf("1e-18")


def test_huge_depth_flow_tracks_infinite_depth_at_small_gamma():
    """(1 − γλ/L)^{2L} = e^{−2γλ}(1 + O(γ²/L)): at t = 1, L = 10⁶ the risks differ by ≲ 1e-6."""
    a = rrs.risk(nu=1.5, beta=1, depth=10 ** 6, time=1, dps=20).risk
    b = rrs.risk(nu=1.5, beta=1, depth="inf", time=1, dps=20).risk
    assert 0 < abs(a - b) / b < 1e-5


# ----------------------------------------------------------------------------- FS

def _hurwitz(x, N, dps):
    """ζ(x, N) = ζ(x) − Σ_{k<N} k^{−x}, with the digits that subtraction cancels added."""
    with mpmath.workdps(dps + int(float(x) * math.log10(N)) + 10):
        return +(mpmath.zeta(x) - mpmath.fsum(mpmath.mpf(k) ** (-x) for k in range(1, N)))


@pytest.mark.parametrize("depth", [1, 3, "inf"])
def test_fs_flow_matches_hurwitz_series_reference(depth):
    """FS risk Σω_kλ_k φ_L(ω_kλ_k³t): 8 explicit modes + the Taylor series of φ_L against
    ζ(s + mμ, 9), μ = s + 2ν (independent Hurwitz values from ζ minus the head)."""
    t = mpmath.mpf(40)
    with mpmath.workdps(45):
        nu, beta = mpmath.mpf(NU), mpmath.mpf(BETA)
        s = nu * beta + 1
        mu = s + 2 * nu
        Z = mpmath.zeta(s)
        b, e = ((4 * t / Z, mpmath.mpf(1)) if depth == "inf" else
                (4 * (depth - 1) * t / (depth * Z), mpmath.mpf(depth) / (depth - 1))
                if depth != 1 else (4 * t / Z, None))
        phi = ((lambda y: mpmath.exp(-b * y)) if e is None else
               (lambda y: (1 + b * y) ** (-e)))
        head = mpmath.fsum(mpmath.mpf(k) ** (-s) * phi(mpmath.mpf(k) ** (-mu))
                           for k in range(1, 9))
        tail, c, m = mpmath.mpf(0), mpmath.mpf(1), 0
        while True:
            term = c * _hurwitz(s + m * mu, 9, 45)
            tail += term
            if abs(term) < mpmath.mpf(10) ** -50 and m > 2:
                break
            c *= (-b / (m + 1)) if e is None else (-b * (e + m) / (m + 1))
            m += 1
        ref = (head + tail) / Z
    res = fs.risk(nu=1.5, beta=1, depth=depth, time=t, dps=30)
    assert _rel(res.risk, ref) < mpmath.mpf("1e-29")


def test_fs_flow_curve_is_fast_path_consistent():
    """fs_flow over 30 times equals fs.risk per time, and the Euler–Maclaurin path agrees."""
    ts = [10 ** (k / 3) for k in range(-3, 27)]
    ser = dyn.fs_flow(ts, nu=1.5, beta=1, depth=2, dps=20)
    assert all(x > y for x, y in zip(ser.risk, ser.risk[1:]))
    fs.ZETA_MOMENTS = False
    try:
        for i in (0, 15, 29):
            em = fs.risk(nu=1.5, beta=1, depth=2, time=ts[i], dps=20)
            assert abs(em.risk - ser.risk[i]) <= em.error_estimate + 1e-19 * em.risk
    finally:
        fs.ZETA_MOMENTS = True


# ----------------------------------------------------------------------------- ISO

@pytest.mark.parametrize("alpha", ["0.5", "1", "2"])
def test_iso_infinite_depth_closed_form_slope_and_tail(alpha):
    """L = ∞: the Bessel-I₁ slope and its tail integral against the density quadrature (an
    independent tanh–sinh integral of the Marchenko–Pastur density)."""
    for g in ("25", "80"):
        a = iso.risk(alpha, "inf", gamma=g, dps=30)
        b = iso.risk(alpha, "inf", gamma=g, dps=40, method="density-quad")
        assert abs(a.risk - b.risk) <= a.error_estimate + mpmath.mpf("1e-29") * b.risk


def test_iso_infinite_depth_flow_reaches_large_times():
    """α = 1, L = ∞: R ∝ γ^{−1/2} and t ∝ γ^{5/2}; t = 1e12 in seconds (hours before)."""
    ser = dyn.iso_flow(["1e8", "1e12"], alpha=1, depth="inf", dps=15)
    slope = -mpmath.log(ser.risk[1] / ser.risk[0]) / mpmath.log(10 ** 4)
    assert abs(slope - mpmath.mpf(1) / 5) < 1e-3          # R ∝ t^{−1/5}


@pytest.mark.parametrize("alpha,depth", [("0.3", 1000), ("0.5", 7)])
def test_iso_optimum_float_root_polished(alpha, depth):
    """γ* = Lα/(1+α) (noise-free; exact symmetry argument) from the float64 root + mpmath
    polish, in a handful of mpmath slope evaluations."""
    with mpmath.workdps(40):
        a = mpmath.mpf(alpha)
        expected = depth * a / (1 + a)
    res = iso.risk(a, depth, dps=30)
    assert _rel(res.gamma, expected) < mpmath.mpf("1e-27")
    assert res.extra["root_iterations"] <= 10


@pytest.mark.parametrize("depth", [3, "inf"])
def test_truncated_power_law_zeta_sums_match_direct_mode_sums(depth):
    """dim = 300: head + (ζ(x, K+1) − ζ(x, 301)) moments against the direct sum over the 300
    explicit modes (the same spectrum passed as lam/omega lists), and FS likewise."""
    from solvers.spectra import PowerLaw
    lam, om = PowerLaw(1.5, 1, dim=300).modes(dps=45)
    for g in ("0.4", "9", "150"):
        a = rrs.landscape(g, nu=1.5, beta=1, depth=depth, dim=300, dps=30).risk
        b = rrs.landscape(g, lam=lam, omega=om, depth=depth, dps=30).risk
        assert _rel(a, b) < mpmath.mpf("1e-28"), (g, a, b)
    a = fs.risk(nu=1.5, beta=1, depth=depth, dim=300, time=50, dps=30).risk
    b = fs.risk(lam=lam, omega=om, depth=depth, time=50, dps=30).risk
    assert _rel(a, b) < mpmath.mpf("1e-28")


def test_mellin_remainder_bound_holds():
    """|R(γ) − Γ(β)(2γ)^{−β}/(νζ)| ≤ the saddle-point bound of solvers.zeta_moments, with R
    from the reference series (guard digits ~ 4γ/ln 10), at γ where the remainder is
    measurable; and the bound is not vacuous (within 100× of the true remainder)."""
    from solvers import zeta_moments as zm
    sums = zm.power_law_sums(NU, BETA)
    for g in ("12", "25"):
        R, _ = ref_R_F("inf", g, 40)
        with mpmath.workdps(60):
            val, bound = zm.exp_asymptotic(sums, 0, 2 * mpmath.mpf(g), mpmath.mp.prec)
            rem = abs(R - val)
            assert rem <= bound, (g, rem, bound)
            assert bound < 100 * rem
