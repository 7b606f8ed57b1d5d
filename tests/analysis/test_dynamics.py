"""Tests of the training-dynamics theory (theory/dynamics.py, solvers/dynamics.py).

References are independent of the code under test: the depth-1 closed form γ(t) solved by
hand, a partial-fraction integral of the exact stationarity polynomial (theory.iso) for the ISO
flow at depth 2–3, mpmath's Taylor-series ODE solver for FS/RRS/full-attention flows, the depth-1
optimum of theory.iso / solvers.settings.iso, and a direct iteration of the SGD recursion.
"""
from __future__ import annotations

import json
import math

import mpmath
import pytest
import sympy as sp

from solvers.analysis import dynamics as dyn
from solvers.settings import iso as siso
from theory import dynamics as tdyn
from theory import iso as tiso
from theory import sgd_finite as tsf
from theory.symbols import alpha, gamma, sigma2

DPS = 30


def _rel(a, b):
    a, b = mpmath.mpf(a), mpmath.mpf(b)
    return abs(a - b) / max(abs(b), mpmath.mpf(10) ** -40)


def _digits(a, b):
    r = _rel(a, b)
    return 99 if r == 0 else float(-mpmath.log10(r))


# --------------------------------------------------------------------------- SGD theory


@pytest.fixture(scope="module")
def sgd():
    return tdyn.sgd_depth1(), tdyn.sgd_depth1(query_noise=False)


def test_sgd_a_matches_printed_form(sgd):
    s, _ = sgd
    eta, tau, kap = tdyn.eta, tdyn.tau_batch, tdyn.kappa
    c = 1 + (1 + sigma2) / alpha
    printed = (1 - eta * c) ** 2 + (eta ** 2 / tau) * (1 + 1 / kap) * c ** 2
    assert sp.simplify(s.a - printed) == 0


def test_sgd_b_query_noise_correction(sgd):
    """dmft.md's b is the noise-free-query case; noisy queries add η²cσ²/(κτ)."""
    s, s0 = sgd
    eta, tau, kap = tdyn.eta, tdyn.tau_batch, tdyn.kappa
    c = 1 + (1 + sigma2) / alpha
    printed = (eta ** 2 / tau) * (1 + 1 / kap) * (1 + sigma2) / alpha
    assert sp.simplify(s0.b - printed) == 0
    assert sp.simplify(s.b - printed - eta ** 2 * c * sigma2 / (kap * tau)) == 0


def test_sgd_initial_value_and_risk_at_optimum(sgd):
    s, _ = sgd
    assert sp.simplify(s.C0 - (alpha / (alpha + 1 + sigma2)) ** 2) == 0
    # E R at C = 0 must be the depth-1 optimum derived independently in theory.iso
    _, r_star = tiso.optimal_depth1()
    assert sp.simplify(s.risk.subs(s.C, 0) - r_star) == 0
    # and the risk is exactly c|Γ − Γ*|²/D + R*: the ISO depth-1 polynomial at Γ = γI
    R1 = tiso.risk_expr(1)
    assert sp.simplify(R1 - s.risk.subs(s.C, (gamma - s.gamma_star) ** 2)) == 0


def test_sgd_stability_boundary_symbolic(sgd):
    s, _ = sgd
    assert sp.simplify(s.a.subs(tdyn.eta, s.eta_max) - 1) == 0
    c = 1 + (1 + sigma2) / alpha
    expect = 2 * tdyn.tau_batch / (c * (tdyn.tau_batch + 1 + 1 / tdyn.kappa))
    assert sp.simplify(s.eta_max - expect) == 0


def test_sgd_numeric_kernels_match_symbolic(sgd):
    s, s0 = sgd
    pts = [dict(alpha=sp.Rational(3, 2), sigma2=sp.Rational(1, 3), eta=sp.Rational(1, 20),
                tau=sp.Rational(1, 4), kappa=sp.Rational(1, 2)),
           dict(alpha=sp.Rational(1, 2), sigma2=0, eta=sp.Rational(1, 7), tau=2, kappa=3)]
    for p in pts:
        subs = {alpha: p["alpha"], sigma2: p["sigma2"], tdyn.eta: p["eta"],
                tdyn.tau_batch: p["tau"], tdyn.kappa: p["kappa"]}
        args = (p["alpha"], p["sigma2"], p["eta"], p["tau"], p["kappa"])
        for sym, qn in ((s, True), (s0, False)):
            k = dyn.sgd_coefficients(*args, query_noise=qn, dps=DPS)
            for num, ex in ((k.a, sym.a), (k.b, sym.b), (k.c, sym.c), (k.C0, sym.C0),
                            (k.eta_max, sym.eta_max)):
                assert _digits(num, sp.N(ex.subs(subs), 40)) > 28
            assert k.a_m == 0
            # finite-D kernels (hand-typed moments) against the Wick-derived exact map, D = 64
            st = tsf.sgd_step(qn)
            D = 64
            fs_ = {**subs, tsf.D: D, tsf.P: p["alpha"] * D, tsf.K: p["kappa"] * D,
                   tsf.B: p["tau"] * D}
            k = dyn.sgd_coefficients(*args, query_noise=qn, dps=DPS, dim=D)
            for num, ex in ((k.a, st.a), (k.a_m, st.a_m), (k.b, st.b), (k.c, st.c)):
                assert _digits(num, sp.N(ex.subs(fs_), 40)) > 28
            a_at_max = st.a.subs({**fs_, tdyn.eta: sp.Float(mpmath.nstr(k.eta_max, 35), 35)})
            assert abs(sp.N(a_at_max, 40) - 1) < 1e-25  # eta_max is the root of a = 1


def test_wishart_moments_against_known_forms():
    """Wick-pairing sums against the classical real-Wishart moments (W = XᵀX, X: P × D):
    E tr W = DP, E tr W² = DP(D + P + 1), E (tr W)² = DP(DP + 2),
    E tr W³ = DP(D² + P² + 3DP + 3D + 3P + 4); and the D ↔ P symmetry of every moment."""
    D, P = tsf.D, tsf.P
    known = {(1,): D * P, (2,): D * P * (D + P + 1), (1, 1): D * P * (D * P + 2),
             (3,): D * P * (D ** 2 + P ** 2 + 3 * D * P + 3 * D + 3 * P + 4)}
    for powers, ref in known.items():
        assert sp.expand(tsf.wishart_moment(powers) - ref) == 0
    for powers in ((4,), (2, 2), (2, 1)):
        w = tsf.wishart_moment(powers)
        assert sp.expand(w - w.subs({D: P, P: D}, simultaneous=True)) == 0


def test_context_moments_at_dimension_one():
    """D = 1 by hand: Σ̂ = Q/P with Q ~ χ²_P (E Q^k = P(P+2)…(P+2k−2)), s ~ N(0, 1), and
    h = (Q s + σ√Q ξ)/P with ξ ~ N(0, 1) independent: E h² = E[Q² + σ²Q]/P²,
    E h⁴ = E[3Q⁴ + 6σ²Q³ + 3σ⁴Q²]/P⁴, E[h² s h] = E[3Q³ + 3σ²Q²]/P³,
    E[h² s²] = E[3Q² + σ²Q]/P²."""
    P, s2 = tsf.P, sigma2

    def EQ(k):
        return sp.prod([P + 2 * j for j in range(k)])
    mo = tsf.context_moments()
    ref = {"c": (EQ(2) + s2 * EQ(1)) / P ** 2,
           "M4": (3 * EQ(4) + 6 * s2 * EQ(3) + 3 * s2 ** 2 * EQ(2)) / P ** 4,
           "M31": (3 * EQ(3) + 3 * s2 * EQ(2)) / P ** 3,
           "M22": (3 * EQ(2) + s2 * EQ(1)) / P ** 2}
    for name, r in ref.items():
        assert sp.cancel(getattr(mo, name).subs(tsf.D, 1) - r) == 0, name


def test_sgd_exact_map_limit_and_what_concentration_misses(sgd):
    """The exact finite-size map tends to Result 10's a, b (corrected) as D → ∞ at P = αD,
    K = κD, B = τD, and a_m → 0; at finite D it differs from the concentration step of
    sgd_depth1 by E|h|⁴ − c_D² > 0 (the variance of |h|², ≈ 2E tr Σ̂⁴/D² ≈ 28/D at α = 1)."""
    s, _ = sgd
    st = tsf.sgd_step()
    assert sp.simplify(tsf.proportional_limit(st.a) - s.a) == 0
    assert sp.simplify(tsf.proportional_limit(st.b) - s.b) == 0
    assert tsf.proportional_limit(st.a_m) == 0
    mo = tsf.context_moments()
    var_h2 = sp.cancel(mo.M4 - mo.c ** 2)
    at = {tsf.P: tsf.D, sigma2: 0}
    assert sp.limit(tsf.D * var_h2.subs(at), tsf.D, sp.oo) == 28  # 2·(Catalan C_4 = 14)
    # the concentration map (sgd_depth1().concentration) is not the exact one at finite D
    f = s.concentration
    num = {tsf.D: 64, tsf.P: 64, tsf.K: 64, tsf.B: 8, tdyn.eta: sp.Rational(1, 50), sigma2: 0}
    assert st.a.subs(num) - f.a.subs(num) > 0 and st.b.subs(num) - f.b.subs(num) > 0


def test_sgd_finite_theory_against_direct_iteration():
    """sgd_theory(dim=D) (closed form with the m-driven term, stable geometric differences)
    against iterating E C(n+1) = a C(n) + a_m m(n) + b, m(n+1) = ρ m(n) from (1/c², −1/c) in
    mpmath; a_m ≠ 0 here, so dropping m would show."""
    steps = [0, 1, 2, 9, 60]
    args = dict(alpha="0.75", lr="0.02", tau="0.25", kappa="0.5", sigma2="0.3", dim=32)
    res = dyn.sgd_theory(steps, dps=DPS, **args)
    assert res.extra["stable"]
    with mpmath.workdps(45):
        k = dyn.sgd_coefficients(args["alpha"], args["sigma2"], args["lr"], args["tau"],
                                 args["kappa"], dps=40, dim=32)
        assert k.a_m > 1e-4
        C, m, it = k.C0, k.m0, {}
        for n in range(61):
            it[n] = (C, m)
            C, m = k.a * C + k.a_m * m + k.b, k.rho * m
        for n, Cn, g in zip(steps, res.extra["C"], res.gamma):
            assert _digits(Cn, it[n][0]) > 25
            assert abs(g - (1 / k.c + it[n][1])) < 1e-27  # γ̄(n) = 1/c + m(n); γ̄(0) = 0
        assert abs(k.a_m * _m_drive(k, 60)) > 1e-6  # dropping the m term would be visible


def _m_drive(k, n):
    """Σ_{j<n} a^{n−1−j} m(j): the contribution of the m-term per unit a_m."""
    return sum(k.a ** (n - 1 - j) * k.m0 * k.rho ** j for j in range(n))


def test_sgd_theory_against_iteration_and_solver():
    steps = [0, 1, 2, 7, 40]
    res = dyn.sgd_theory(steps, alpha="1.5", lr="0.05", tau="0.5", kappa=1, sigma2="0.25")
    it = {}
    with mpmath.workdps(40):
        a, b = mpmath.mpf(res.extra["a"]), mpmath.mpf(res.extra["b"])
        C = mpmath.mpf(res.extra["C0"])
        for n in range(41):
            it[n] = C
            C = a * C + b
    for n, Cn in zip(steps, res.extra["C"]):
        assert _digits(Cn, it[n]) > 25
    # risk at C = 0 is the optimum of the exact ISO solver (independent quadrature)
    rstar = siso.risk("1.5", 1, sigma2="0.25", dps=DPS).risk
    assert _digits(res.extra["risk_star"], rstar) > 25
    assert res.risk[0] == 1 and res.extra["proxy"][0] == 1  # zero predictor
    assert res.extra["stable"] and mpmath.mpf(res.extra["floor"]) > 0
    unstable = dyn.sgd_theory([0, 5], alpha=1, lr=0.5, tau=1, kappa=1)
    assert not unstable.extra["stable"] and unstable.extra["floor"] == mpmath.inf
    assert unstable.converged is False   # a diverging recursion never reports converged
    assert unstable.risk[1] > unstable.risk[0]


def test_sgd_small_lr_mean_follows_the_gradient_flow_at_flow_time():
    """``extra['flow_time']`` t = ηn/2 is the gradient-flow clock of SGD: the mean γ̄(n) =
    (1 − (1 − ηc)ⁿ)/c of the SGD theory and the depth-1 flow γ(t) = (1 − e^{−2ct})/c (here
    from iso_flow at the reported flow_time, independent code) differ by
    (1/c)e^{−ηcn}(e^{nη²c²/2 + …} − 1) = O(η) at a fixed flow time: below 1e-3 at η = 0.002,
    and halving η (doubling n) halves the gap (ratio 2 ± 0.1)."""
    gaps = []
    for eta, n in (("0.002", 1000), ("0.001", 2000)):
        s = dyn.sgd_theory([n // 4, n], alpha="1.5", lr=eta, tau=1, kappa=1, sigma2="0.25",
                           dps=20)
        ft = s.extra["flow_time"]
        assert [float(x) for x in ft] == [0.25, 1.0]
        f = dyn.iso_flow(ft, alpha="1.5", depth=1, sigma2="0.25", dps=20)
        gaps.append([float(a - b) for a, b in zip(s.gamma, f.gamma)])
        assert all(0 < gap < 1e-3 for gap in gaps[-1])
    for g1, g2 in zip(*gaps):
        assert 1.9 < g1 / g2 < 2.1


# --------------------------------------------------------------------------- ISO flow


def test_iso_depth1_flow_closed_form():
    f = tdyn.iso_depth1_flow()
    ts = ["0.05", 1, 4]
    res = dyn.iso_flow(ts, alpha="0.75", depth=1, sigma2="0.5", dps=DPS)
    g_of_t = sp.lambdify((sp.Symbol("t", nonnegative=True), alpha, sigma2), f.gamma_of_time,
                         modules="mpmath")
    with mpmath.workdps(40):
        for t, g in zip(ts, res.gamma):
            ref = g_of_t(mpmath.mpf(t), mpmath.mpf("0.75"), mpmath.mpf("0.5"))
            assert _digits(g, ref) > 27


def _partial_fraction_time(depth, a, s2, g):
    """t(γ) = ∫_0^γ dg/(−R'(g)) exactly: −R' is a polynomial (theory.iso), so the integrand is
    Σ_j A_j/(g − r_j) over its roots and t = Σ_j A_j log(1 − γ/r_j)."""
    poly = sp.Poly(sp.expand(-tiso.stationarity_expr(depth, sp.nsimplify(s2), sp.nsimplify(a))),
                   gamma)
    coeffs = [mpmath.mpf(sp.N(cf, 60)) for cf in poly.all_coeffs()]
    dpoly = [cf * (len(coeffs) - 1 - i) for i, cf in enumerate(coeffs[:-1])]
    roots = mpmath.polyroots(coeffs, maxsteps=400, extraprec=200)
    total = mpmath.mpc(0)
    for r in roots:
        A = 1 / mpmath.polyval(dpoly, r)
        total += A * mpmath.log(1 - g / r)
    return total.real, roots


@pytest.mark.parametrize("depth,a,s2", [(2, "0.6", "0"), (3, "2", "0.3")])
def test_iso_flow_partial_fractions(depth, a, s2):
    ts = ["0.3", 2]
    res = dyn.iso_flow(ts, alpha=a, depth=depth, sigma2=s2, dps=DPS)
    with mpmath.workdps(60):
        for t, g in zip(ts, res.gamma):
            t_back, _ = _partial_fraction_time(depth, a, s2, mpmath.mpf(g))
            # γ(t) to 30 digits moves t by ≈ δγ/V: compare t(γ(t)) with t
            assert _digits(t_back, mpmath.mpf(t)) > 24


def test_iso_flow_against_ode():
    """Second method: mpmath's Taylor ODE solver on the exact polynomial right-hand side
    −∂R/∂γ of theory.dynamics.iso_flow (MP moments), depth 2 with noise."""
    a, s2 = sp.Rational(3, 4), sp.Rational(1, 4)
    rhs = sp.lambdify(gamma, tdyn.iso_flow(2, s2, a), modules="mpmath")
    ts = ["0.5", 2]
    res = dyn.iso_flow(ts, alpha="0.75", depth=2, sigma2="0.25", dps=25)
    ode = dyn.integrate_flow(rhs, ts, dps=25)
    for g, ref in zip(res.gamma, ode):
        assert _digits(g, ref) > 22


def test_iso_flow_limit_is_optimum():
    """At large t the flow saturates at the smallest positive root of R' — computed here from
    the exact polynomial — which is also solvers.settings.iso's optimal γ."""
    with mpmath.workdps(60):
        _, roots = _partial_fraction_time(2, "0.6", "0.2", mpmath.mpf("0.1"))
        pos = min(r.real for r in roots if abs(r.imag) < 1e-40 and r.real > 0)
    res = dyn.iso_flow([200], alpha="0.6", depth=2, sigma2="0.2", dps=DPS)
    assert _digits(res.gamma[0], pos) > 27
    assert _digits(siso.optimal_gamma("0.6", 2, "0.2", dps=DPS), pos) > 27
    # the time series is monotone in t (γ increases, risk decreases along the flow)
    ser = dyn.iso_flow([0, "0.5", 1, 3, 10], alpha="0.6", depth=2, sigma2="0.2", dps=20)
    assert all(x < y for x, y in zip(ser.gamma, ser.gamma[1:]))
    assert all(x > y for x, y in zip(ser.risk, ser.risk[1:]))


def test_iso_time_of_gamma_consistent():
    g = mpmath.mpf("0.4")
    t, _ = dyn.iso_time_of_gamma(g, alpha=1, depth=2, dps=DPS)
    with mpmath.workdps(60):
        ref, _ = _partial_fraction_time(2, "1", "0", g)
    assert _digits(t, ref) > 27


def test_iso_alpha_inf_is_one_fs_mode():
    res = dyn.iso_flow([1, 3], alpha="inf", depth=2, dps=DPS)
    ode = dyn.integrate_flow(lambda g: 2 * (1 - g / 2) ** 3, [1, 3], dps=DPS)
    for g, ref in zip(res.gamma, ode):
        assert _digits(g, ref) > 25


# --------------------------------------------------------------------------- FS, RRS


@pytest.mark.parametrize("depth", ["inf", 3])
def test_fs_mode_flow_against_ode(depth):
    lam, om = mpmath.mpf("0.7"), mpmath.mpf("0.3")
    ts = ["0.5", 3]
    res = dyn.fs_mode_flow(lam, om, ts, depth=depth, dps=25)
    if depth == "inf":
        rhs = lambda g: 2 * om * lam ** 2 * mpmath.exp(-2 * g * lam)  # noqa: E731
    else:
        rhs = lambda g: 2 * om * lam ** 2 * (1 - g * lam / 3) ** 5  # noqa: E731
    ode = dyn.integrate_flow(rhs, ts, dps=25)
    for g, ref in zip(res.gamma, ode):
        assert _digits(g, ref) > 20  # ≥ 15 digits asked; both sides carry 25


def test_fs_flow_total_risk():
    lam, om = ["1", "0.5", "0.25"], ["0.4", "0.6", "1.2"]
    res = dyn.fs_flow([0, 2], lam=lam, omega=om, depth="inf", dps=DPS)
    with mpmath.workdps(40):
        ref = sum(mpmath.mpf(w) * mpmath.mpf(l) / (1 + 4 * mpmath.mpf(w) * mpmath.mpf(l) ** 3 * 2)
                  for l, w in zip(lam, om))
    assert _digits(res.risk[1], ref) > 25
    assert _digits(res.risk[0], sum(float(l) * float(w) for l, w in zip(lam, om))) > 14


@pytest.mark.parametrize("param", ["reduced", pytest.param("full", marks=pytest.mark.slow)])
def test_rrs_flow_against_ode(param):
    """mpmath's Taylor ODE solver on the RRS flow; the full parameterisation (~4 s here: the
    γ^{8/5} right-hand side) is also checked fast against a four-weight DOP853 flow in
    tests/settings/test_rrs.py."""
    lam, om = [1, "0.5", "0.2"], ["0.5", "0.6", "1"]
    L = 2
    ts = [1, 3] if param == "reduced" else [1]
    init = "0.5"
    res = dyn.rrs_flow(ts, lam=lam, omega=om, depth=L, parameterization=param,
                       init_scale=init, dps=20)
    with mpmath.workdps(40):  # the spectrum exactly as the solver parses it (0.2 is not binary)
        lm = [mpmath.mpf(x) for x in lam]
        wm = [mpmath.mpf(x) for x in om]

    def F(g):
        return 2 * sum(w * l ** 2 * (1 - g * l / L) ** (2 * L - 1) for l, w in zip(lm, wm))

    if param == "reduced":
        rhs, g0 = F, 0
    else:  # Result 9: dγ/dt = 5·2^{2/5} γ^{8/5} F(γ), γ(0) = 2σ⁵
        def rhs(g):
            return 5 * mpmath.mpf(2) ** (mpmath.mpf(2) / 5) * g ** (mpmath.mpf(8) / 5) * F(g)
        g0 = 2 * mpmath.mpf(init) ** 5
    ode = dyn.integrate_flow(rhs, ts, gamma0=g0, dps=20)
    for g, ref in zip(res.gamma, ode):
        assert _digits(g, ref) > 16
    if param == "full":
        assert _digits(res.extra["w"][0] ** 5, res.gamma[0]) > 16


# --------------------------------------------------------------------------- inputs, CLI


@pytest.mark.parametrize("call,name", [
    (lambda: dyn.iso_flow([1], alpha=-1, depth=1), "alpha"),
    (lambda: dyn.iso_flow([-1], alpha=1, depth=1), "times"),
    (lambda: dyn.iso_flow([1], alpha=1, depth=0), "depth"),
    (lambda: dyn.sgd_theory([1], alpha=1, lr=0, tau=1, kappa=1), "lr"),
    (lambda: dyn.sgd_theory([1], alpha=1, lr=1, tau=-1, kappa=1), "tau"),
    (lambda: dyn.sgd_theory(["1.5"], alpha=1, lr=1, tau=1, kappa=1), "times"),
    (lambda: dyn.dynamics("iso", [1], sgd=True, alpha=1, lr=1, tau=1, kappa=1, depth=2),
     "depth"),
])
def test_invalid_inputs_name_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def _cli(*args):
    """The command line in-process (the ``python -m solvers`` entry point itself is tested in
    tests/cli/test_cli.py): an object with ``returncode``, ``stdout``, ``stderr``."""
    import contextlib
    import io
    import types

    from solvers.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return types.SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def test_cli_dynamics_json():
    p = _cli("dynamics", "iso", "--alpha", "1", "--depth", "1", "--times", "0,0.5,inf",
             "--dps", "20", "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert len(d["times"]) == len(d["risk"]) == len(d["gamma"]) == 3
    # depth 1, α = 1: c = 2, γ(t) = (1 − e^{−4t})/2
    assert abs(float(d["gamma"][1]) - (1 - math.exp(-2.0)) / 2) < 1e-15
    assert abs(float(d["risk"][2]) - 0.5) < 1e-15
    p = _cli("dynamics", "iso", "--sgd", "--alpha", "1", "--lr", "0.1", "--tau", "1",
             "--kappa", "1", "--times", "0,10", "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert float(d["risk"][0]) == 1.0 and d["stable"] is True
    p = _cli("dynamics", "iso", "--sgd", "--alpha", "1", "--lr", "-1", "--tau", "1",
             "--kappa", "1", "--times", "0,10")
    assert p.returncode == 2 and "lr" in p.stderr and "Traceback" not in p.stderr


# --------------------------------------------------------------------------- RRS at finite width

_LAM, _OM = [1, "0.5", "0.2", "0.1", "0.05"], ["0.5", "0.6", "1", "1", "1"]


def test_width_slope_matches_finite_difference():
    """∂R/∂γ of the contour against a Richardson-extrapolated central difference of
    width.risk (h = 1e-4, 2e-4: truncation ~h⁴R⁽⁵⁾ ≲ 1e-14, rounding ~1e-16/h ≈ 1e-12), on a
    finite spectrum and at dim = inf, finite and infinite depth."""
    from solvers.settings import width as swidth
    cases = [dict(width=3, depth=2, lam=_LAM, omega=_OM), dict(width=3, depth="inf", lam=_LAM,
                                                                omega=_OM),
             dict(width=10, depth=2, nu="1.5", beta=1)]
    for kw, g in zip(cases * 2, (0.3, 2.0, 0.7, 2.0, 0.3)):
        d, _ = swidth.slope(g, **kw)
        fd = [(swidth.risk(gamma=g + h, dps=15, **kw).risk
               - swidth.risk(gamma=g - h, dps=15, **kw).risk) / (2 * h) for h in (1e-4, 2e-4)]
        ref = (4 * fd[0] - fd[1]) / 3
        assert abs(d - ref) <= 1e-9 * abs(ref), (kw, g, d, ref)


@pytest.fixture(scope="module")
def width_series():
    ts = ["0.5", 2, 60]
    return ts, dyn.width_flow(ts, width=3, depth=2, lam=_LAM, omega=_OM)


def test_width_flow_against_ode(width_series):
    """Second method: scipy's DOP853 on dγ/dt = −∂R/∂γ with ∂R/∂γ a Richardson-extrapolated
    central difference of the risk R(γ) itself (h = 1e-4, 2e-4: truncation ~h⁴, rounding
    ~1e-16/h), not the flow's own exact derivative; rtol 1e-10.  The flow resolves γ(t) to
    ~1e-9 (float64 contour), so 1e-7 leaves room for the difference quotient and the ODE."""
    from scipy.integrate import solve_ivp

    from solvers.settings import width as swidth
    ts, res = width_series
    tf = [float(t) for t in ts[:2]]
    land = swidth._landscape(width=3, depth=2, lam=_LAM, omega=_OM)

    def dR(g):
        fd = [(land.value(g + h)[0] - land.value(g - h)[0]) / (2 * h) for h in (1e-4, 2e-4)]
        return (4 * fd[0] - fd[1]) / 3
    sol = solve_ivp(lambda t, y: [-dR(y[0])], (0.0, tf[-1]), [0.0],
                    method="DOP853", rtol=1e-10, atol=1e-13, t_eval=tf)
    assert sol.success
    for g, ref in zip(res.gamma[:2], sol.y[0]):
        assert abs(float(g) - ref) <= 1e-7 * ref, (g, ref)


def test_width_flow_depth1_closed_form_up_to_a_late_time():
    """Depth 1: R(γ) = A − 2Bγ + Cγ² exactly, with A, B, C from the Haar moments of the
    projection (width.depth1_risk, D → ∞ form; independent of the contour), so the flow is
    γ(t) = γ*(1 − e^{−2Ct}), γ* = B/C.  The late time has γ* − γ = 1e-7 γ*: the flow must still
    resolve it (γ < γ*, agreeing to 1e-10 γ*), not report the optimum — the saturation cutoff
    is γ* − γ < 1e-11 γ* (FLOAT64_FLOW_DIGITS + 3)."""
    from solvers.settings import width as swidth
    r = [swidth.depth1_risk(g, width=3, lam=_LAM, omega=_OM, exact_dim=False) for g in (0, 1, 2)]
    C = (r[2] - 2 * r[1] + r[0]) / 2
    B = (r[0] - r[1] + C) / 2
    gstar = B / C
    ts = [0.5, 3.0, math.log(1e7) / (2 * C)]
    res = dyn.width_flow(ts, width=3, depth=1, lam=_LAM, omega=_OM)
    assert abs(float(res.extra["gamma_star"]) - gstar) < 1e-11 * gstar
    for t, g in zip(ts, res.gamma):
        ref = gstar * -math.expm1(-2 * C * t)
        assert abs(float(g) - ref) < 1e-10 * gstar, (t, g, ref)
    assert float(res.gamma[-1]) < gstar and "saturated" not in res.method


def test_width_flow_tends_to_optimum(width_series):
    """γ(t) increases towards γ* and R(t) decreases to min R; γ* checked against a bounded
    scalar minimisation of width.risk (independent of the solver's Newton on ∂R/∂γ)."""
    from scipy.optimize import minimize_scalar

    from solvers.settings import width as swidth
    _, res = width_series
    gs = [float(g) for g in res.gamma]
    rs = [float(r) for r in res.risk]
    assert all(a < b for a, b in zip(gs, gs[1:]))
    assert all(a > b for a, b in zip(rs, rs[1:]))
    opt = minimize_scalar(lambda g: swidth.risk(width=3, depth=2, gamma=g, lam=_LAM,
                                                omega=_OM, dps=15).risk,
                          bounds=(1, 6), method="bounded", options={"xatol": 1e-7})
    gstar = float(res.extra["gamma_star"])
    assert abs(gstar - opt.x) < 1e-5 * gstar   # ~sqrt(eps) resolution of a minimiser
    gaps = [gstar - g for g in gs]
    assert all(a > b > 0 for a, b in zip(gaps, gaps[1:]))
    assert gaps[-1] < 2e-3 * gstar              # t = 60: slowest mode e^{-2·R''·t} ≈ 0
    assert 0 <= rs[-1] - opt.fun < 1e-5 * opt.fun   # excess ≈ R''(γ*)·gap²/2
    inf = dyn.width_flow(["inf"], width=3, depth=2, lam=_LAM, omega=_OM)
    assert float(inf.gamma[0]) == gstar and abs(float(inf.risk[0]) - opt.fun) < 1e-10


def test_width_flow_full_width_is_rrs_flow():
    """At N = D the projection is the identity: the case-W flow (contour, ĉ = 0) must equal
    the bottleneck-free RRS flow of solvers.settings.rrs (closed-form velocity) to ~1e-10."""
    for depth, ts in ((2, ["0.5", 3]), ("inf", ["1"])):
        a = dyn.width_flow(ts, width=5, depth=depth, lam=_LAM, omega=_OM)
        b = dyn.rrs_flow(ts, depth=depth, lam=_LAM, omega=_OM, dps=20)
        for x, y in zip(a.gamma, b.gamma):
            assert _rel(x, y) < 1e-10, (depth, x, y)
        for x, y in zip(a.risk, b.risk):
            assert _rel(x, y) < 1e-10, (depth, x, y)
    # γ = 0 at N = D (the flow's start) once failed a rounding-tight bracket: R = Σ ω_kλ_k
    from solvers.settings import width as swidth
    r0 = swidth.risk(width=5, depth=2, gamma=0, lam=_LAM, omega=_OM).risk
    assert abs(r0 - 1.15) < 1e-12


@pytest.mark.parametrize("call", [
    lambda: dyn.width_flow([1], width=0, depth=2, lam=_LAM, omega=_OM),
    lambda: dyn.width_flow([1], width=6, depth=2, lam=_LAM, omega=_OM),
    lambda: dyn.width_flow([1], width="2.5", depth=2, lam=_LAM, omega=_OM),
    lambda: dyn.dynamics("rrs", [1], width=-3, depth=2, lam=_LAM, omega=_OM),
])
def test_width_flow_invalid_width(call):
    with pytest.raises(ValueError, match="width"):
        call()


def test_cli_dynamics_width():
    p = _cli("dynamics", "rrs", "--width", "2", "--depth", "2", "--nu", "2", "--beta", "1",
             "--dim", "4", "--times", "0,1", "--dps", "15", "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["params"]["width"] == 2 and len(d["gamma"]) == 2 and float(d["gamma"][0]) == 0
    # t = 0: the zero predictor, R = Σ ω_kλ_k = 1 for the normalised power law
    assert abs(float(d["risk"][0]) - 1) < 1e-12 and float(d["risk"][1]) < 1
    p = _cli("dynamics", "rrs", "--width", "0", "--depth", "2", "--nu", "2", "--beta", "1",
             "--times", "1")
    assert p.returncode == 2 and "width" in p.stderr and "Traceback" not in p.stderr


# --------------------------------------------------------------------------- finite context (C)

def test_context_slope_matches_finite_difference():
    """context.slope against a Richardson-extrapolated central difference of context.risk
    (h = 1e-4, 2e-4: truncation ≲ 1e-14, rounding of the float64 contour ~1e-13/h ≈ 1e-9 at
    worst, so 1e-8 relative): ISO at finite α, RRS power law at absolute P, FS discrete."""
    from solvers.settings import context as sctx
    cases = [("iso", dict(alpha=2, depth=3, sigma2=0.1), 0.4),
             ("rrs", dict(context=30, depth=2, nu="1.5", beta=1), 0.7),
             ("fs", dict(alpha="0.5", depth="inf", sigma2=0.2, lam=_LAM, omega=_OM), 1.5)]
    for setting, kw, g in cases:
        d, err = sctx.slope(setting, g, **kw)
        fd = [(sctx.risk(setting, gamma=g + h, dps=15, **kw).risk
               - sctx.risk(setting, gamma=g - h, dps=15, **kw).risk) / (2 * h)
              for h in (1e-4, 2e-4)]
        ref = (4 * fd[0] - fd[1]) / 3
        assert abs(d - ref) <= 1e-8 * abs(ref), (setting, d, ref)
        assert err < 1e-10 * abs(d)


def test_context_flow_flat_spectrum_is_iso_flow():
    """Case C with a flat spectrum (D equal modes, P = αD) is ISO at α: the contour flow
    (context_flow, routed by dynamics('rrs'/'fs', alpha=…)) against iso_flow's exact
    Gauss–Chebyshev velocity, at two times and t = inf; γ(t) resolved to ~1e-9 by design."""
    ts = ["0.5", 3, "inf"]
    ref = dyn.iso_flow(ts, alpha=2, depth=2, sigma2="0.1", dps=20)
    # ω = 1/D keeps the zero predictor's risk Σω_kλ_k = 1, as in ISO
    flat = dict(alpha=2, depth=2, sigma2="0.1", lam=[1] * 4, omega=["0.25"] * 4)
    for res in (dyn.dynamics("rrs", ts, dps=15, **flat),
                dyn.dynamics("fs", ts, dps=15, **flat)):
        for a, b in zip(res.gamma + res.risk, ref.gamma + ref.risk):
            assert _rel(a, b) < 1e-9, (res.setting, a, b)


def test_context_flow_rises_to_optimum():
    """Power law (D = 40 modes, P = 20): γ(t) increases from 0 toward γ* of context.risk
    (reached at t = inf), R(t) decreases from Σω_kλ_k = 1; CLI --context gives the same γ."""
    ts = [0, 1, 4, 20, "inf"]
    kw = dict(context=20, depth=2, nu="1.5", beta=1, dim=40, sigma2="0.05")
    res = dyn.context_flow(ts, setting="rrs", dps=15, **kw)
    g = [float(x) for x in res.gamma]
    r = [float(x) for x in res.risk]
    gstar = float(res.extra["gamma_star"])
    assert g[0] == 0 and all(a < b for a, b in zip(g, g[1:-1])) and g[-2] < gstar
    assert g[-1] == gstar and gstar - g[-2] < 0.5 * gstar
    assert abs(r[0] - 1) < 1e-10 and all(a > b for a, b in zip(r, r[1:]))
    p = _cli("dynamics", "rrs", "--context", "20", "--depth", "2", "--nu", "1.5", "--beta", "1",
             "--dim", "40", "--sigma2", "0.05", "--times", "4", "--dps", "15", "--json")
    assert p.returncode == 0, p.stderr
    assert _rel(json.loads(p.stdout)["gamma"][0], res.gamma[2]) < 1e-12


@pytest.mark.parametrize("kw", [dict(width=16), dict(alpha=2), dict(width=16, alpha=2)],
                         ids=["width", "context", "joint"])
def test_finite_width_and_context_flows_report_progress(kw, capsys):
    """``progress`` must drive a bar for the contour flows too (it was silently ignored): the
    float64 flow ticks once per time of the grid, so a reporter counts exactly len(times)
    'gamma(t)' steps; with ``progress=True`` a tqdm bar appears on stderr and the series is the
    one computed without it."""
    from solvers.analysis.dynamics import dynamics
    from solvers.progress import reporting
    args = dict(nu=1.5, beta=1, depth=2, dim=64, dps=15, **kw)
    times = [0.5, 5, 50]
    steps = []
    with reporting(lambda what, n: steps.append(what)):
        plain = dynamics("rrs", times, **args)
    assert steps.count("gamma(t)") == len(times)
    capsys.readouterr()
    shown = dynamics("rrs", times, progress=True, **args)
    assert "dynamics rrs" in capsys.readouterr().err
    assert [float(g) for g in shown.gamma] == [float(g) for g in plain.gamma]


def test_float64_flows_show_only_the_digits_they_have():
    """The finite-width x context flow is float64 (γ(t) to ~1e-10): at dps 30 its risks carry
    no digits beyond their error (plus two guard digits), and t = inf is the optimum itself at
    the full 30 digits, as computed by the joint solver."""
    from solvers.settings import joint as sjoint
    kw = dict(width=32, alpha=2, depth=4, nu=1.5, beta=1, dim=128)
    res = dyn.joint_flow([1, 100, "inf"], dps=30, **kw)
    opt = sjoint.risk(gamma=None, dps=30, **kw)
    assert res.gamma[-1] == opt.gamma and res.risk[-1] == opt.risk
    for r in res.risk[:2]:
        digits = mpmath.nstr(r, 30, strip_zeros=True).lstrip("0.").replace(".", "")
        assert len(digits) <= math.ceil(math.log10(float(r) / float(res.error_estimate))) + 2
