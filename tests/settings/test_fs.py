"""FS at α = ∞: zero risk of Γ = LΣ⁻¹, closed-form flow vs ODE integrators, time exponent, OOD.

References: the trivial identity (1 − (L/λ)λ/L) = 0; scipy's DOP853 and mpmath's Taylor ODE
solver (independent of the closed form); sympy's verification that the closed form solves the
ODE; the sympy matrix formula for the OOD risk; numpy eigenvalues for the spectral radius.
"""
import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from solvers.settings import fs
from solvers.spectra import PowerLaw
from theory import fs as tfs
from theory.symbols import L as s_L, beta as s_beta, lam as s_lam, nu as s_nu, t as s_t

LAM = [1, 0.5, 0.2, 0.05]
OM = [0.3, 0.8, 1.5, 4.0]


@pytest.mark.parametrize("depth", [1, 2, 3, 10, 1000, 10 ** 6])
def test_gamma_L_inverse_sigma_gives_zero_risk(depth):
    gam = [mpmath.mpf(depth) / mpmath.mpf(l) for l in LAM]
    r = fs.risk(lam=LAM, omega=OM, depth=depth, gamma=gam)
    assert abs(r.risk) < 1e-25
    p = PowerLaw(1.5, 1.0, dim=12)
    lam, _ = p.modes(dps=30)
    r = fs.risk(nu=1.5, beta=1.0, dim=12, depth=depth, gamma=[depth / l for l in lam])
    assert abs(r.risk) < 1e-25


@pytest.mark.parametrize("depth", [1, 2, 5, 64, "inf"])
def test_fs_needs_no_depth_at_infinite_time(depth):
    for kw in (dict(nu=1.5, beta=1.0), dict(lam=LAM, omega=OM), dict(nu=2, beta=0.5, dim=40)):
        r = fs.risk(depth=depth, time="inf", **kw)
        assert r.risk == 0 and r.converged


@pytest.mark.parametrize("depth", [1, 2, 3, 7])
def test_closed_form_flow_vs_dop853(depth):
    # per-mode ODE dγ/dt = 2ωλ²(1 − γλ/L)^{2L−1}, integrated numerically from γ = 0
    for lam, om in zip(LAM, OM):
        rhs = lambda t, y: [2 * om * lam ** 2 * (1 - y[0] * lam / depth) ** (2 * depth - 1)]  # noqa
        ts = [0.5, 3.0, 40.0]
        sol = solve_ivp(rhs, (0, ts[-1]), [0.0], method="DOP853", rtol=1e-13, atol=1e-15,
                        t_eval=ts)
        for t, g_num in zip(ts, sol.y[0]):
            g = float(fs.mode_gamma_of_time(lam, om, t, depth))
            assert abs(g - g_num) <= 1e-10 * max(1.0, abs(g))
            r = float(fs.mode_risk_of_time(lam, om, t, depth))
            assert abs(r - om * lam * (1 - g_num * lam / depth) ** (2 * depth)) < 1e-10


@pytest.mark.parametrize("depth", [2, "inf"])
def test_mode_trajectories_vs_dop853(depth):
    """``mode_trajectories`` (the report's per-mode panel) on an explicit spectrum with
    distinct ω_k, λ_k, and on the power law (λ_k = k^{−ν}, ω_kλ_k = k^{−νβ−1}/ζ(νβ+1) written
    here): γ_k(t) against DOP853 on dγ/dt = 2ω_kλ_k²(1 − γλ_k/L)^{2L−1} (e^{−2γλ_k} at L = ∞),
    risk_k = ω_kλ_k(1 − γ_kλ_k/L)^{2L}; t = ∞ gives L/λ_k (inf at L = ∞) and risk 0."""
    ts = [0.5, 3.0, "inf"]
    z = float(mpmath.zeta(1.5 * 1.0 + 1))
    cases = [(dict(lam=LAM, omega=OM), [2, 4], [(LAM[1], OM[1]), (LAM[3], OM[3])]),
             (dict(nu=1.5, beta=1.0), [1, 3],
              [(k ** -1.5, k ** -2.5 / z / k ** -1.5) for k in (1, 3)])]
    for kw, ks, modes in cases:
        tr = fs.mode_trajectories(ks, ts, depth=depth, dps=20, **kw)
        for i, (lam, om) in enumerate(modes):
            if depth == "inf":
                rhs = lambda t, y: [2 * om * lam ** 2 * math.exp(-2 * y[0] * lam)]  # noqa: E731
                kern = lambda g: math.exp(-2 * g * lam)  # noqa: E731
            else:
                rhs = lambda t, y: [2 * om * lam ** 2 * (1 - y[0] * lam / 2) ** 3]  # noqa: E731
                kern = lambda g: (1 - g * lam / 2) ** 4  # noqa: E731
            sol = solve_ivp(rhs, (0, 3.0), [0.0], method="DOP853", rtol=1e-13, atol=1e-15,
                            t_eval=[0.5, 3.0])
            for j, g_num in enumerate(sol.y[0]):
                assert abs(float(tr.gamma[i][j]) - g_num) <= 1e-10 * max(1.0, g_num)
                assert abs(float(tr.risk[i][j]) - om * lam * kern(g_num)) < 1e-10
            assert tr.risk[i][2] == 0
            assert (tr.gamma[i][2] == mpmath.inf if depth == "inf"
                    else abs(float(tr.gamma[i][2]) - 2 / lam) < 1e-12 / lam)


def test_infinite_depth_law_vs_mpmath_taylor_ode():
    # L = ∞: dγ/dt = 2ωλ² e^{−2γλ};  closed form e^{2γλ} = 1 + 4ωλ³t, to ≥ 15 digits
    lam, om = mpmath.mpf("0.5"), mpmath.mpf("0.8")
    with mpmath.workdps(25):
        sol = mpmath.odefun(lambda t, g: 2 * om * lam ** 2 * mpmath.exp(-2 * g * lam), 0, 0)
        for t in (mpmath.mpf("0.7"), mpmath.mpf(3)):
            g_num = sol(t)
            g = fs.mode_gamma_of_time(lam, om, t, "inf", dps=25)
            assert abs(g - g_num) < mpmath.mpf(10) ** -18 * g
            assert abs(mpmath.exp(2 * g * lam) - (1 + 4 * om * lam ** 3 * t)) < 1e-18
            r = fs.mode_risk_of_time(lam, om, t, "inf", dps=25)
            assert abs(r - om * lam / (1 + 4 * om * lam ** 3 * t)) < 1e-20


def test_finite_depth_closed_form_vs_mpmath_taylor_ode():
    lam, om, L = mpmath.mpf("0.5"), mpmath.mpf("0.8"), 3
    with mpmath.workdps(25):
        sol = mpmath.odefun(lambda t, g: 2 * om * lam ** 2 * (1 - g * lam / L) ** (2 * L - 1),
                            0, 0)
        g_num = sol(mpmath.mpf(2))
        assert abs(fs.mode_gamma_of_time(lam, om, 2, L, dps=25) - g_num) < 1e-18


@pytest.mark.parametrize("depth", [1, 2, 3, s_L, sp.oo])
def test_symbolic_closed_form_solves_the_ode(depth):
    assert tfs.check_mode_flow(depth) == (0, 0)


@pytest.mark.parametrize("depth", [1, 2, 5, "inf"])
def test_stable_kernel_matches_sympy_closed_form(depth):
    d = sp.oo if depth == "inf" else depth
    expr = tfs.mode_risk_of_time(d)
    f = sp.lambdify((tfs.omega, s_lam, s_t), expr, modules="mpmath")
    with mpmath.workdps(30):
        for lam, om, t in [(1, 0.3, 0.2), (0.05, 4, 1e3), (0.5, 0.8, 7)]:
            lam, om, t = mpmath.mpf(lam), mpmath.mpf(om), mpmath.mpf(t)
            a = f(om, lam, t)
            b = fs.mode_risk_of_time(lam, om, t, depth, dps=30)
            assert abs(a - b) < 1e-26 * abs(a)


def test_flow_risk_decreases_in_time_and_starts_at_one():
    for depth in (1, 4, "inf"):
        rs = [fs.risk(nu=1.5, beta=1.0, depth=depth, time=t, dps=20).risk
              for t in (0, 1, 10, 100)]
        assert abs(rs[0] - 1) < 1e-18
        assert all(a > b for a, b in zip(rs, rs[1:]))


@pytest.mark.parametrize("depth", [1, 3, "inf"])
def test_power_law_flow_zeta_moments_vs_euler_maclaurin(depth, monkeypatch):
    """The power-law flow risk Σ_k ω_kλ_k φ_L(ω_kλ_k³t) by head + Hurwitz-ζ moments of the mode
    factor (default) against head + Euler–Maclaurin of spectra.wsum on the stable closed-form
    factor (ZETA_MOMENTS off): two independent summations, 18 digits at dps 20."""
    vals = {}
    for zmv in (True, False):
        monkeypatch.setattr(fs, "ZETA_MOMENTS", zmv)
        vals[zmv] = [fs.risk(nu=1.5, beta=0.7, depth=depth, time=t, dps=20).risk
                     for t in (0.5, 50, 1e4)]
    for a, b in zip(vals[True], vals[False]):
        assert abs(a - b) < 1e-18 * abs(a)


def test_time_exponent_derived_and_checked_numerically():
    a = tfs.time_exponent()
    assert sp.simplify(a - s_nu * s_beta / (s_nu * s_beta + 2 * s_nu + 1)) == 0
    printed = s_beta / (s_nu + s_nu * s_beta + 1)
    assert sp.simplify(a - printed) != 0
    nu, beta = 1.5, 1.0
    for depth in ("inf", 4, 1):
        r1 = fs.risk(nu=nu, beta=beta, depth=depth, time=1e12, dps=20).risk
        r2 = fs.risk(nu=nu, beta=beta, depth=depth, time=1e14, dps=20).risk
        slope = -float(mpmath.log(r2 / r1) / mpmath.log(100))
        assert abs(slope - float(a.subs({s_nu: nu, s_beta: beta}))) < 1e-8
        assert abs(slope - 0.25) > 0.02  # the printed β/(ν+νβ+1) = 1/4 is not the law


def test_ood_zero_at_theta_zero_and_grows():
    for depth in (1, 2, 4):
        r0 = fs.ood_risk(0.0, depth, 8, nu=1.5, beta=1.0)
        assert abs(r0.risk) <= r0.error_estimate + 1e-300
        vals = [fs.ood_risk(th, depth, 8, nu=1.5, beta=1.0).risk
                for th in (0.001, 0.002, 0.004, 0.008)]
        assert all(0 < a < b for a, b in zip(vals, vals[1:]))


def test_ood_backends_agree_and_match_symbolic_formula():
    D, th, L = 3, 0.3, 2
    S = np.array([[0, 1, -0.5], [-1, 0, 0.25], [0.5, -0.25, 0]])
    rm = fs.ood_risk(th, L, D, nu=1.5, beta=1.0, S=S, backend="mpmath")
    rn = fs.ood_risk(th, L, D, nu=1.5, beta=1.0, S=S, backend="numpy")
    assert abs(rm.risk - rn.risk) < 1e-12 * abs(rm.risk) + rn.error_estimate
    for rot in (True, False):
        lam, om = PowerLaw(1.5, 1.0, dim=D).modes(dps=30)
        Ssym = sp.Matrix(S.tolist()).applyfunc(lambda x: sp.Float(x, 30))
        sym = tfs.ood_risk_spectrum([sp.Float(x, 30) for x in lam], [sp.Float(x, 30) for x in om],
                                    Ssym, depth=L, th=sp.Float(th, 30), rotate_omega=rot)
        r = fs.ood_risk(th, L, D, nu=1.5, beta=1.0, S=S, rotate_omega=rot, backend="mpmath")
        assert abs(float(sym) - float(r.risk)) < 1e-12 * abs(float(r.risk))


def test_ood_spectral_radius_and_depth():
    th = 0.05
    for D in (8, 32):
        r = fs.ood_risk(th, 1, D, nu=1.5, beta=1.0, backend="numpy")
        Q = __import__("scipy.linalg", fromlist=["expm"]).expm(th * fs._rotation_generator(D, 0))
        lam = np.array([float(x) for x in PowerLaw(1.5, 1.0, dim=D).modes(dps=15)[0]])
        Sp = (Q * lam) @ Q.T
        eig = np.linalg.eigvals(np.eye(D) - Sp / lam[:, None])
        assert abs(r.extra["spectral_radius"] - np.max(np.abs(eig))) < 1e-9
        # depth makes the OOD risk vanish when r < 1 and explode when r > 1
        rad = r.extra["spectral_radius"]
        deep = fs.ood_risk(th, 64, D, nu=1.5, beta=1.0, backend="numpy").risk
        if rad < 1:
            assert deep < r.risk
        else:
            assert deep > r.risk
        inf_r = fs.ood_risk(th, "inf", D, nu=1.5, beta=1.0, backend="numpy").risk
        assert inf_r == (0 if rad < 1 else math.inf)


@pytest.mark.parametrize("kwargs,name", [
    (dict(nu=1.5, beta=1.0, depth=0), "depth"),
    (dict(nu=1.5, beta=1.0, depth=2.5), "depth"),
    (dict(nu=1.5, beta=1.0, time=-1), "time"),
    (dict(nu=1.5, beta=1.0, dps=10), "dps"),
    (dict(nu=0.9, beta=1.0), "nu"),
    (dict(nu=1.5, beta=0), "beta"),
    (dict(lam=LAM, omega=OM, gamma=[1, 2]), "gamma"),
    (dict(lam=LAM, omega=OM, gamma=-1), "gamma"),
])
def test_invalid_inputs_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        fs.risk(**kwargs)


def test_ood_invalid_inputs():
    with pytest.raises(ValueError, match="dim"):
        fs.ood_risk(0.1, 2, 0, nu=1.5, beta=1.0)
    with pytest.raises(ValueError, match="theta"):
        fs.ood_risk(float("nan"), 2, 4, nu=1.5, beta=1.0)
    with pytest.raises(ValueError, match="S"):
        fs.ood_risk(0.1, 2, 3, nu=1.5, beta=1.0, S=np.ones((3, 3)))


def test_dispatch_through_api():
    from solvers import api
    assert api.risk("fs", nu=1.5, beta=1.0, depth=3).risk == 0
    with pytest.raises(ValueError, match="width"):
        api.risk("fs", nu=1.5, beta=1.0, width=3)
