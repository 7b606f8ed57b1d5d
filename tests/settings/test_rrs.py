"""RRS at α = ∞: landscape, optimum, depth dependence, gradient flow vs ODE integrators.

References: scipy DOP853 and mpmath's Taylor ODE solver for γ(t) (independent of the
quadrature inversion); direct integration of the four-weight gradient flow for the full
attention parameterisation (independent of the sympy derivation); the numpy simulator at
finite dimension; exact one-mode optimum γ* = L/λ.
"""
import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from solvers.settings import rrs
from theory import rrs as trrs

LAM = [1, 0.5, 0.2, 0.05]
OM = [0.3, 0.8, 1.5, 4.0]


def F_float(g, L, lam=LAM, om=OM):
    if L == "inf":
        return 2 * sum(w * l * l * math.exp(-2 * g * l) for l, w in zip(lam, om))
    return 2 * sum(w * l * l * (1 - g * l / L) ** (2 * L - 1) for l, w in zip(lam, om))


def test_landscape_matches_definition_and_symbolic():
    for L in (1, 3, 50):
        g = 2.7
        R = rrs.landscape(g, lam=LAM, omega=OM, depth=L).risk
        ref = sum(w * l * (1 - g * l / L) ** (2 * L) for l, w in zip(LAM, OM))
        assert abs(float(R) - ref) < 1e-13
        expr = trrs.landscape(L, sp.Float(g, 30), modes=list(zip(LAM, OM)))
        assert abs(float(expr) - float(R)) < 1e-13
    F = sp.lambdify(sp.Symbol("g"), trrs.flow(3, sp.Symbol("g"), modes=list(zip(LAM, OM))))
    assert abs(F(1.3) - F_float(1.3, 3)) < 1e-13


def test_one_mode_optimum_is_L_over_lambda():
    for L in (1, 2, 7, 10 ** 6):
        r = rrs.optimal_gamma(lam=[0.4], omega=[2.5], depth=L)
        assert abs(r.gamma - mpmath.mpf(L) / mpmath.mpf("0.4")) < 1e-25 * L
        assert abs(r.risk) < 1e-25


@pytest.mark.parametrize("depth", [1, 2, 5, 40])
def test_optimum_is_stationary_and_minimal(depth):
    r = rrs.optimal_gamma(lam=LAM, omega=OM, depth=depth)
    g = r.gamma
    assert abs(rrs.flow_velocity(g, lam=LAM, omega=OM, depth=depth)) < 1e-28
    for d in (mpmath.mpf("1e-6"), mpmath.mpf("1e-3")):
        assert rrs.landscape(g + d, lam=LAM, omega=OM, depth=depth).risk > r.risk
        assert rrs.landscape(g - d, lam=LAM, omega=OM, depth=depth).risk > r.risk


def test_optimal_risk_strictly_decreases_with_depth_power_law():
    # finite truncation (exact finite sums) and the infinite spectrum at a few depths
    prev = None
    for L in (1, 2, 4, 8, 16, 32, 64):
        R = rrs.risk(nu=1.5, beta=1.0, dim=400, depth=L).risk
        assert prev is None or R < prev
        prev = R
    prev = None
    for L in (1, 4, 16, 64):
        R = rrs.risk(nu=1.5, beta=1.0, depth=L, dps=15).risk
        assert prev is None or R < prev
        prev = R


def test_closed_form_tails_match_quadrature_tails(monkeypatch):
    # incomplete gamma/beta tails vs tanh-sinh quadrature of the same Euler-Maclaurin integral;
    # γ = 10⁶ at L = ∞ reaches the Mellin asymptotics of the ζ-moment landscape
    vals = {}
    for cf in (True, False):
        monkeypatch.setattr(rrs, "CLOSED_FORM_TAILS", cf)
        vals[cf] = [rrs.landscape(g, nu=1.3, beta=0.7, depth=L).risk
                    for g, L in ((5.0, 3), (150.0, 100), (2e6, 10 ** 6), (40.0, "inf"),
                                 (1e6, "inf"))]
    for a, b in zip(vals[True], vals[False]):
        assert abs(a - b) < 1e-28 * abs(a)


def test_zeta_fallback_closed_form_tails_match_quadrature_tails(monkeypatch):
    """A ζ-moment head beyond zeta_moments.K_MAX falls back to head + Euler–Maclaurin with the
    closed-form incomplete gamma (L = ∞) / beta (finite L) tails of ``_Landscape._tail``:
    forced here with K_MAX = 0, against tanh–sinh quadrature tails (CLOSED_FORM_TAILS off)."""
    from solvers import zeta_moments
    monkeypatch.setattr(zeta_moments, "K_MAX", 0)
    rrs._OPT_CACHE.clear()
    tails = []
    closed_form = rrs._Landscape._tail
    monkeypatch.setattr(rrs._Landscape, "_tail",
                        lambda self, *a: tails.append(self.L) or closed_form(self, *a))
    vals = {}
    points = ((150.0, 100), (30.0, "inf"), (300.0, "inf"))   # each takes the fallback
    for cf in (True, False):
        monkeypatch.setattr(rrs, "CLOSED_FORM_TAILS", cf)
        vals[cf] = [rrs.landscape(g, nu=1.3, beta=0.7, depth=L, dps=20).risk for g, L in points]
    assert {str(L) for L in tails} == {"100", "inf"}   # the closed forms really ran, both kinds
    for a, b in zip(vals[True], vals[False]):
        assert abs(a - b) < 1e-18 * abs(a)


def test_depth_exponent_and_time_exponent_numerically():
    # local slopes of exact theory (not fits): R*(L) ∝ L^{−β};  reduced flow at L = ∞:
    # R(t) ∝ t^{−β/(β+2)} (spec §6) — checked at large resource, loose tolerance for the
    # sub-leading corrections
    nu, beta = 1.5, 1.0
    r1 = rrs.risk(nu=nu, beta=beta, depth=10 ** 4, dps=20).risk
    r2 = rrs.risk(nu=nu, beta=beta, depth=10 ** 5, dps=20).risk
    slope = -float(mpmath.log(r2 / r1) / mpmath.log(10))
    assert abs(slope - beta) < 0.02
    g1 = rrs.landscape(1e5, nu=nu, beta=beta, depth="inf", dps=20)
    g2 = rrs.landscape(1e6, nu=nu, beta=beta, depth="inf", dps=20)
    # along the L = ∞ flow: R(γ) ∝ γ^{−β}
    slope = -float(mpmath.log(g2.risk / g1.risk) / mpmath.log(10))
    assert abs(slope - beta) < 0.02


def test_infinite_depth_optimum_is_honest():
    """At L = ∞ the optimum is the infimum γ → ∞ (R → 0, not attained): reported as γ = inf,
    risk 0, and said so.  Independent check that it is an infimum: F = −R' > 0 and R decreases
    along γ = 10, 10³, 10⁵, with R(γ) → Γ(β)(2γ)^{−β}/(νζ(νβ+1)) (the Mellin asymptotics of
    Σ_k k^{−s}e^{−2γk^{−ν}}/ζ(s), written here; exponentially small remainder at γ = 10⁵)."""
    r = rrs.risk(nu=1.5, beta=1.0, depth="inf")
    assert r.gamma == mpmath.inf and r.risk == 0
    assert "only as gamma -> inf" in r.method
    Rs = [rrs.landscape(g, nu=1.5, beta=1.0, depth="inf", dps=20) for g in (10, 1e3, 1e5)]
    assert all(x.extra["flow"] > 0 for x in Rs)
    assert Rs[0].risk > Rs[1].risk > Rs[2].risk > 0
    with mpmath.workdps(30):
        mellin = mpmath.gamma(1) * (2 * mpmath.mpf(10) ** 5) ** -1 / (1.5 * mpmath.zeta(2.5))
        assert abs(Rs[2].risk / mellin - 1) < 1e-18


def test_trajectory_times_against_quadrature_and_round_trip():
    """``trajectory`` (t(γ_i) and R(γ_i) along the flow) against t(γ) = ∫_0^γ dg/F(g) by scipy's
    adaptive quadrature of the float64 velocity written here (rtol 1e-12), against the
    definition of R, and round-tripped through ``gamma_of_time``; finite spectrum, depth 4."""
    from scipy.integrate import quad
    gs = [0.5, 2.0, 5.0, 6.4]                       # below γ* ≈ 6.44
    tr = rrs.trajectory(gs, lam=LAM, omega=OM, depth=4)
    assert tr.error_estimate < 1e-15
    for g, t, R in zip(gs, tr.extra["times"], tr.risk):
        ref, err = quad(lambda x: 1 / F_float(x, 4), 0, g, epsabs=0, epsrel=1e-13, limit=200)
        assert abs(float(t) - ref) < 1e-10 * ref, (g, t, ref)
        R_ref = sum(w * l * (1 - g * l / 4) ** 8 for l, w in zip(LAM, OM))
        assert abs(float(R) - R_ref) < 1e-13
        assert abs(float(rrs.gamma_of_time(t, lam=LAM, omega=OM, depth=4, dps=20).gamma) - g) \
            < 1e-13 * g
    with pytest.raises(ValueError, match="gammas"):
        rrs.trajectory([1.0, 7.0], lam=LAM, omega=OM, depth=4)   # beyond γ*


def test_trajectory_at_infinite_depth_follows_the_mellin_law():
    """Power law at L = ∞: for large γ, V = F ≈ Aγ^{−β−1} with A = Γ(β+1)2^{−β}/(νζ(νβ+1)), so
    t(γ₂) − t(γ₁) = (γ₂^{β+2} − γ₁^{β+2})/((β+2)A) up to an exponentially small remainder
    (ν = 1.5, β = 1; A from mpmath's ζ, not from the solver)."""
    tr = rrs.trajectory([10, 1e3, 1e5], nu=1.5, beta=1, depth="inf")
    with mpmath.workdps(30):
        A = mpmath.gamma(2) / 2 / (mpmath.mpf(1.5) * mpmath.zeta(2.5))
        t = tr.extra["times"]
        dt = (mpmath.mpf(10) ** 15 - mpmath.mpf(10) ** 9) / (3 * A)
        assert abs((t[2] - t[1]) / dt - 1) < 1e-15
        assert 0 < t[0] < t[1] < t[2]


def test_huge_depth_approaches_infinite_depth_landscape():
    # (1 − γλ/L)^{2L} = e^{−2γλ}(1 − γ²λ²/L + O(L⁻²)): difference O(γ²/L)
    g = 3.0
    Rinf = rrs.landscape(g, lam=LAM, omega=OM, depth="inf").risk
    for L in (10 ** 3, 10 ** 6):
        RL = rrs.landscape(g, lam=LAM, omega=OM, depth=L).risk
        corr = sum(mpmath.mpf(w) * l * mpmath.exp(-2 * g * l) * (g * l) ** 2 for l, w in
                   zip(LAM, OM)) / L
        assert abs((Rinf - RL) - corr) < 10 * corr / L + 1e-25


@pytest.mark.parametrize("depth", [1, 3, 10, "inf"])
def test_gamma_of_time_vs_dop853(depth):
    ts = [0.3, 5.0, 60.0]
    sol = solve_ivp(lambda t, y: [F_float(y[0], depth)], (0, ts[-1]), [0.0], method="DOP853",
                    rtol=1e-13, atol=1e-14, t_eval=ts)
    for t, g_num in zip(ts, sol.y[0]):
        r = rrs.gamma_of_time(t, lam=LAM, omega=OM, depth=depth)
        assert abs(float(r.gamma) - g_num) < 1e-10 * max(1, g_num)


def test_gamma_of_time_vs_mpmath_taylor_ode():
    L = 3
    with mpmath.workdps(30):
        lam = [mpmath.mpf(x) for x in ("1", "0.5", "0.2")]
        om = [mpmath.mpf(x) for x in ("0.3", "0.8", "1.5")]
        F = lambda t, g: 2 * sum(w * l * l * (1 - g * l / L) ** (2 * L - 1)  # noqa: E731
                                 for l, w in zip(lam, om))
        sol = mpmath.odefun(F, 0, 0)
        g_num = sol(mpmath.mpf(2))
    r = rrs.gamma_of_time(2, lam=["1", "0.5", "0.2"], omega=["0.3", "0.8", "1.5"], depth=L)
    with mpmath.workdps(30):
        assert abs(r.gamma - g_num) < mpmath.mpf(10) ** -22


def test_flow_saturation_keeps_every_digit():
    """One mode (λ = ω = 1, L = 1): R = (1 − γ)², dγ/dt = 2(1 − γ), so γ(t) = 1 − e^{−2t}.  At
    t = 34 the gap γ* − γ ≈ 2.9·10⁻³⁰ lies below 10⁻²⁹ but above the flow's stop at
    10^{−(dps+5)}γ*: γ(t) must still be right to ~10⁻³¹, not rounded up to γ* = 1."""
    with mpmath.workdps(40):
        for t in (20, 34):
            exact = 1 - mpmath.exp(-2 * mpmath.mpf(t))
            r = rrs.gamma_of_time(t, lam=["1"], omega=["1"], depth=1, dps=30)
            assert abs(r.gamma - exact) < mpmath.mpf(10) ** -31
            assert abs(r.risk - (1 - exact) ** 2) <= r.error_estimate + mpmath.mpf(10) ** -90


def test_flow_monotone_and_reaches_the_optimum():
    gs = [rrs.gamma_of_time(t, lam=LAM, omega=OM, depth=4).gamma for t in (0, 1, 10, 100)]
    assert gs[0] == 0 and all(a < b for a, b in zip(gs, gs[1:]))
    gstar = rrs.optimal_gamma(lam=LAM, omega=OM, depth=4).gamma
    late = rrs.gamma_of_time(1e6, lam=LAM, omega=OM, depth=4).gamma
    assert abs(late - gstar) < 1e-25 * gstar
    assert rrs.gamma_of_time("inf", lam=LAM, omega=OM, depth=4).gamma == gstar


def test_full_attention_coefficients_derived():
    ns = trrs.full_attention_flow()
    assert sp.simplify(ns.coefficient - 5 * 2 ** sp.Rational(2, 5)) == 0
    assert ns.tied_coefficient == 25
    assert ns.exponent == sp.Rational(8, 5)


@pytest.mark.parametrize("depth", [2, "inf"])
def test_full_parameterization_vs_four_weight_gradient_flow(depth):
    # integrate dw_i/dt = −∂R(w_v w_k w_q w_x²)/∂w_i directly (no reduction to γ)
    sigma = 0.4
    Rp = lambda g: -F_float(g, depth)  # noqa: E731  (R'(γ) = −F)

    def rhs(t, w):
        wv, wk, wq, wx = w
        g = wv * wk * wq * wx ** 2
        d = Rp(g)
        return [-d * wk * wq * wx ** 2, -d * wv * wq * wx ** 2, -d * wv * wk * wx ** 2,
                -d * 2 * wv * wk * wq * wx]
    ts = [1.0, 20.0]
    w0 = [sigma, sigma, sigma, math.sqrt(2) * sigma]
    sol = solve_ivp(rhs, (0, ts[-1]), w0, method="DOP853", rtol=1e-13, atol=1e-15, t_eval=ts)
    for j, t in enumerate(ts):
        wv, wk, wq, wx = sol.y[:, j]
        g_num = wv * wk * wq * wx ** 2
        r = rrs.gamma_of_time(t, lam=LAM, omega=OM, depth=depth, parameterization="full",
                              init_scale=sigma)
        assert abs(float(r.gamma) - g_num) < 1e-9 * max(1, g_num)
    # the tied scalar (γ = w⁵, dw/dt = −dR/dw) is a different, faster clock
    sol = solve_ivp(lambda t, w: [-Rp(w[0] ** 5) * 5 * w[0] ** 4], (0, 1.0), [sigma],
                    method="DOP853", rtol=1e-13, atol=1e-15)
    r = rrs.gamma_of_time(1.0, lam=LAM, omega=OM, depth=depth, parameterization="tied",
                          init_scale=sigma)
    assert abs(float(r.gamma) - sol.y[0, -1] ** 5) < 1e-9


def test_rrs_vs_numpy_simulator():
    sim = pytest.importorskip("solvers.simulators.reduced")
    D = 12
    k = np.arange(1, D + 1)
    lam = k ** -1.5
    wl = k ** -2.5 / np.sum(k ** -2.5)
    om = wl / lam
    for L, g in ((1, 1.0), (3, 2.5)):
        theory = float(rrs.landscape(g, lam=list(lam), omega=list(om), depth=L).risk)
        r = sim.simulate("rrs", alpha=math.inf, depth=L, gamma=g, dim=D, contexts=4000,
                         seed=3, lam=lam, omega=om)
        # statistical tolerance: 4 standard errors (the β draw is the only randomness)
        assert abs(r.risk - theory) < 4 * r.stderr


@pytest.mark.parametrize("kwargs,name", [
    (dict(nu=1.5, beta=1.0, depth=0), "depth"),
    (dict(nu=1.0, beta=1.0), "nu"),
    (dict(nu=1.5, beta=-0.5), "beta"),
    (dict(nu=1.5, beta=1.0, time=-2), "time"),
    (dict(nu=1.5, beta=1.0, gamma=-1), "gamma"),
    (dict(nu=1.5, beta=1.0, dps=5), "dps"),
    (dict(nu=1.5, beta=1.0, time=3, parameterization="weird"), "parameterization"),
    (dict(nu=1.5, beta=1.0, time=3, parameterization="full", init_scale=0), "init_scale"),
    (dict(lam=[1, 2], omega=[1, 1], nu=1.5), "nu"),
])
def test_invalid_inputs_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        rrs.risk(**kwargs)


def test_dispatch_through_api():
    from solvers import api
    r = api.risk("rrs", lam=LAM, omega=OM, depth=2)
    assert r.setting == "rrs" and r.to_dict()["converged"] is True
    assert float(r.to_dict()["risk"]) == pytest.approx(float(r.risk))
