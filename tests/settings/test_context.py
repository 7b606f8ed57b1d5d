"""Tests of solvers.settings.context (finite-context risk, case C of dmft.md).

Independent references: the ISO solver (Gauss–Chebyshev quadrature of the MP law), the
Monte-Carlo simulator, the α = ∞ solvers, a global fixed-point iteration and bisection for the
one-point root, whitening (FS with Γ ∝ Σ⁻¹ is ISO), and the context exponent of
theory.exponents.
"""
import math

import mpmath
import numpy as np
import pytest

from solvers.settings import context as C
from solvers.settings import fs, iso, rrs
from solvers.simulators.reduced import simulate
from solvers.spectra import PowerLaw


def _spectrum(D, nu=1.5, beta=1.0):
    lam, om = PowerLaw(nu, beta, dim=D).modes(dps=20)
    return [float(x) for x in lam], [float(x) for x in om]


# ---------------------------------------------------------------------------------------------
# ISO: the contour machinery against the MP quadrature, 10 digits (we get ~15 in float64)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [0.3, 0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("depth", [1, 3, 8, "inf"])
@pytest.mark.parametrize("sigma2", [0, 0.5])
def test_iso_equals_iso_solver_at_given_gamma(alpha, depth, sigma2):
    g = 1.3 if depth == "inf" else 0.7
    got = C.risk("iso", alpha=alpha, depth=depth, gamma=g, sigma2=sigma2, dps=15)
    ref = float(iso.risk(alpha, depth, sigma2=sigma2, gamma=g).risk)
    assert abs(got.risk - ref) <= 1e-10 * ref
    assert got.error_estimate <= 1e-11 and got.converged


@pytest.mark.parametrize("alpha,depth,sigma2", [(0.5, 3, 0), (2.0, 8, 0.5), (0.5, "inf", 0.5),
                                                (2.0, 1, 0.5)])
def test_iso_optimal_gamma_equals_iso_solver(alpha, depth, sigma2):
    got = C.risk("iso", alpha=alpha, depth=depth, sigma2=sigma2, dps=15)
    ref = iso.risk(alpha, depth, sigma2=sigma2)
    assert abs(got.risk - float(ref.risk)) <= 1e-10 * float(ref.risk)
    # the risk is flat at the optimum: γ itself is good to ~√ε relative at worst
    assert abs(got.gamma - float(ref.gamma)) <= 1e-7 * float(ref.gamma)


@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_iso_infinite_depth_noise_free_optimum_is_ridgeless(alpha):
    got = C.risk("iso", alpha=alpha, depth="inf", dps=15)
    assert got.gamma == math.inf
    assert abs(got.risk - max(0.0, 1 - alpha)) <= 1e-14


def test_fs_whitened_family_is_iso():
    # Γ = γΣ⁻¹ makes ΓΣ̂ = γ W exactly: the FS risk equals the ISO risk at every γ and depth
    lam, om = _spectrum(64)
    shape = [1 / x for x in lam]
    for depth, g, s2 in [(3, 0.9, 0.0), ("inf", 1.1, 0.3)]:
        got = C.risk("fs", alpha=0.75, depth=depth, gamma=g, gamma_shape=shape, sigma2=s2,
                     lam=lam, omega=om, dps=15)
        ref = float(iso.risk(0.75, depth, sigma2=s2, gamma=g).risk)
        assert abs(got.risk - ref) <= 1e-10 * ref


# ---------------------------------------------------------------------------------------------
# theory vs simulator: 3 standard errors + a 2% finite-D allowance at D = 256 (O(1/D): a direct
# matrix average at D = 128/256/512 shows relative deviations of ≲ 3%/0.5%/0.4%)
# ---------------------------------------------------------------------------------------------
SIM_ALLOW = 0.02


@pytest.mark.parametrize("alpha,sigma2", [(0.5, 0.0), (0.5, 0.5), (1.5, 0.0), (1.5, 0.5)])
def test_fs_matches_simulator(alpha, sigma2):
    D = 256
    lam, om = _spectrum(D)
    th = C.risk("fs", alpha=alpha, depth=3, gamma=2.0, sigma2=sigma2, lam=lam, omega=om, dps=15)
    sim = simulate("fs", alpha=alpha, depth=3, gamma=2.0, sigma2=sigma2, dim=D, contexts=800,
                   lam=lam, omega=om, seed=11)
    assert abs(sim.risk - th.risk) <= 3 * sim.stderr + SIM_ALLOW * th.risk


def test_fs_diagonal_gamma_matches_simulator():
    D = 256
    lam, om = _spectrum(D, nu=1.2, beta=0.8)
    rng = np.random.default_rng(5)
    gvec = list(rng.uniform(0.5, 3.0, D))
    th = C.risk("fs", alpha=0.7, depth=4, gamma=gvec, sigma2=0.25, lam=lam, omega=om, dps=15)
    sim = simulate("fs", alpha=0.7, depth=4, gamma=np.array(gvec), sigma2=0.25, dim=D,
                   contexts=800, lam=lam, omega=om, seed=12)
    assert abs(sim.risk - th.risk) <= 3 * sim.stderr + SIM_ALLOW * th.risk


@pytest.mark.slow
@pytest.mark.parametrize("alpha,sigma2", [(0.5, 0.5), (1.5, 0.0)])
def test_rrs_matches_simulator(alpha, sigma2):
    D = 256
    lam, om = _spectrum(D)
    th = C.risk("rrs", alpha=alpha, depth=3, gamma=2.0, sigma2=sigma2, lam=lam, omega=om, dps=15)
    sim = simulate("rrs", alpha=alpha, depth=3, gamma=2.0, sigma2=sigma2, dim=D, contexts=150,
                   lam=lam, omega=om, seed=13)
    assert abs(sim.risk - th.risk) <= 3 * sim.stderr + SIM_ALLOW * th.risk


# ---------------------------------------------------------------------------------------------
# limits
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("depth,gamma", [(2, 1.5), ("inf", 4.0)])
def test_large_alpha_approaches_alpha_inf(depth, gamma):
    lam, om = _spectrum(50)
    ref = float(rrs.risk(lam=lam, omega=om, depth=depth, gamma=gamma).risk)
    diffs = []
    for a in (1e3, 1e4):
        got = C.risk("rrs", alpha=a, depth=depth, gamma=gamma, lam=lam, omega=om, dps=15)
        diffs.append(got.risk - ref)
    # corrections are O(1/α): the difference shrinks tenfold
    assert abs(diffs[1]) < 1e-3 * ref
    assert 5 < diffs[0] / diffs[1] < 20
    gvec = list(np.linspace(0.5, 2.0, 50))
    ref_fs = float(fs.risk(lam=lam, omega=om, depth=depth, gamma=gvec).risk)
    got_fs = C.risk("fs", alpha=1e5, depth=depth, gamma=gvec, lam=lam, omega=om, dps=15)
    assert abs(got_fs.risk - ref_fs) < 1e-3 * ref_fs


def test_alpha_inf_is_delegated():
    r = C.risk("rrs", alpha="inf", depth=3, gamma=1.0, nu=1.5, beta=1.0)
    ref = rrs.risk(nu=1.5, beta=1.0, depth=3, gamma=1.0)
    assert float(r.risk) == float(ref.risk)


def test_power_law_absolute_context_is_the_large_dim_limit():
    # D → ∞ at fixed P: the proportional solver at α = P/D converges to the context=P solver
    P = 64
    ref = C.risk("rrs", context=P, depth=4, gamma=3.0, nu=2.0, beta=1.0, sigma2=0.1, dps=15).risk
    prev = None
    for D in (1024, 8192):
        got = C.risk("rrs", alpha=P / D, depth=4, gamma=3.0, nu=2.0, beta=1.0, dim=D,
                     sigma2=0.1, dps=15).risk
        if prev is not None:
            assert abs(got - ref) < abs(prev - ref)
        prev = got
    assert abs(prev - ref) < 1e-3 * ref


def test_tail_expansion_independent_of_head_split():
    # the explicit head of the power law (K₁ = 64 or 512 modes) is only a split: the tail
    # expansions (Hurwitz ζ for large κ, Mellin–Barnes for small κ) are exact, so the risk may
    # not depend on it beyond float64 rounding (~1e-15 relative)
    vals = []
    for head in (64, 512):
        m = C.modes_for("rrs", P=64, nu=1.5, beta=1.0, dim=math.inf, head=head)
        b, v, err, _ = C._Problem(m, 4, 0.1).evaluate(3.0)
        vals.append(b + v)
        assert err < 1e-13
    assert abs(vals[0] - vals[1]) < 1e-13


# ---------------------------------------------------------------------------------------------
# context scaling law: ridgeless (depth = inf, γ → ∞, the noise-free optimum) at absolute P
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("nu,beta", [(1.5, 1.0), (1.5, 3.0), (2.0, 0.5)])
def test_context_scaling_slopes(nu, beta):
    from theory import exponents as tex
    expected = float(tex.context_exponent().regimes.subs({tex.nu: nu, tex.beta: beta}))
    assert expected == pytest.approx(nu * min(beta, 2))
    r = [C.risk("rrs", context=P, depth="inf", gamma="inf", nu=nu, beta=beta, dps=15).risk
         for P in (1024, 4096)]
    slope = math.log(r[1] / r[0]) / math.log(4)
    assert abs(slope + expected) < 0.01
    # the optimiser (noise-free, infinite depth) reports γ* = ∞ with the ridgeless residue
    # κ₀²U₀/(1 − V₀); second evaluation: the contour quadrature (filters, kernel, residue node)
    # at a large finite γ = 40/s₋ (the gap closes like e^{−γs₋}), and R(γ) still decreasing at
    # a moderate γ
    opt = C.risk("rrs", context=64, depth="inf", nu=nu, beta=beta, dps=15)
    s_lo = C.lower_edge(C.modes_for("rrs", P=64, nu=nu, beta=beta))[0]
    far = C.risk("rrs", context=64, depth="inf", gamma=40 / s_lo, nu=nu, beta=beta, dps=15)
    near = C.risk("rrs", context=64, depth="inf", gamma=10, nu=nu, beta=beta, dps=15)
    assert opt.gamma == math.inf
    assert abs(far.risk - opt.risk) < 1e-10 * opt.risk < near.risk - far.risk


LAM4, OM4 = [1, 0.5, 0.2, 0.05], [0.3, 0.8, 1.5, 4.0]


@pytest.mark.parametrize("dps", [15, 30])
def test_ridgeless_with_label_noise_is_least_squares(dps):
    """Min-norm interpolation with more samples than modes (α > 1) is least squares on D
    features: bias 0 and variance σ²D/(P − D) = σ²/(α − 1), whatever the spectrum (ISO, and
    RRS on 4 modes); ISO below the interpolation point: bias 1 − α, variance σ²α/(1 − α).
    Float64 (dps 15) and mpmath (dps 30) residue paths."""
    tol = 1e-13 if dps == 15 else 1e-25
    for setting, kw in (("iso", {}), ("rrs", dict(lam=LAM4, omega=OM4))):
        for alpha in (2, 4):
            r = C.risk(setting, alpha=alpha, depth="inf", gamma="inf", sigma2=0.5, dps=dps, **kw)
            with mpmath.workdps(40):
                var = mpmath.mpf(1) / (2 * (alpha - 1))
                assert abs(r.extra["variance"] - var) < tol
                assert abs(r.risk - var) < tol
    r = C.risk("iso", alpha=0.5, depth="inf", gamma="inf", sigma2=0.5, dps=dps)
    assert abs(r.extra["variance"] - 0.5) < tol and abs(r.risk - 1.0) < tol


@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_ridgeless_with_label_noise_is_the_large_gamma_limit(alpha):
    """The residue formula ``(κ₀²U₀ + σ²V₀)/(1 − V₀)`` against the contour quadrature at a large
    finite γ (depth ∞, σ² = 1/2, 4 modes; s₋ ≥ 0.0087 so the gap e^{−γs₋} is negligible at
    γ = 10⁴), bias and variance separately."""
    kw = dict(alpha=alpha, depth="inf", sigma2=0.5, lam=LAM4, omega=OM4, dps=15)
    lim = C.risk("rrs", gamma="inf", **kw)
    far = C.risk("rrs", gamma=1e4, **kw)
    for key in ("bias", "variance"):
        assert abs(far.extra[key] - lim.extra[key]) < 1e-11 * lim.risk
    assert lim.extra["variance"] > 0.1


# ---------------------------------------------------------------------------------------------
# branch choice
# ---------------------------------------------------------------------------------------------
def _fixed_point(a, P, lam_r):
    """Independent: κ = λ + (1/P)Σ aκ/(a+κ) iterated (a contraction of the lower half-plane)."""
    k = lam_r
    for _ in range(100000):
        kn = lam_r + (k / P) * np.sum(a / (a + k))
        if abs(kn - k) < 1e-15 * abs(k):
            return kn
        k = kn
    raise AssertionError("fixed point did not converge")


@pytest.mark.parametrize("n", [10, 100, 1000, 10000])
@pytest.mark.parametrize("ratio", [0.5, 2.0])
def test_branch_on_contour_matches_fixed_point(n, ratio):
    rng = np.random.default_rng(n)
    a = rng.uniform(0.01, 2.0, n) ** 2
    m = C.Modes(a, np.full(n, 1.0 / n), ratio * n)
    se, _ = C.upper_edge(m)
    con = C.kappa_on_contour(m, se / 2, se / 2, 1.2, 128)
    for j in (5, 20, 32, 50):  # upper half, away from the real vertices
        ref = _fixed_point(a, m.P, -con.s[j])
        assert abs(con.kap[j] - ref) <= 1e-12 * abs(ref)
    assert np.all(con.kap[1:64].imag < 0)  # Herglotz: Im κ < 0 where Im s > 0


@pytest.mark.parametrize("n", [10, 10000])
@pytest.mark.parametrize("ratio", [0.5, 2.0])
def test_branch_on_negative_real_axis_and_near_zero(n, ratio):
    rng = np.random.default_rng(n + 1)
    a = rng.uniform(0.01, 2.0, n) ** 2
    P = ratio * n
    m = C.Modes(a, np.full(n, 1.0 / n), P)

    def lam_of(k):
        return k * (1 - np.sum(a / (a + k)) / P)
    for lam_r in (1e-12, 1e-6, 0.1, 10.0):
        k = C.kappa(m, lam_r)
        # bisection on the increasing branch (κ₀, ∞) as an independent root
        lo, hi = C.kappa0(m), lam_r + a.sum() / P
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if lam_of(mid) < lam_r else (lo, mid)
        assert abs(k - 0.5 * (lo + hi)) <= 1e-12 * max(k, 1e-300) + 1e-300
    k0 = C.kappa0(m)
    if ratio > 1:  # more samples than modes: κ(λ) ≈ λ/(1 − n/P) as λ → 0⁺
        assert k0 == 0.0
        assert C.kappa(m, 1e-10) == pytest.approx(1e-10 / (1 - n / P), rel=1e-6)
    else:
        assert abs(np.sum(a / (a + k0)) - P) <= 1e-10 * P
        assert C.kappa(m, 1e-12) == pytest.approx(k0, rel=1e-9)


# ---------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,name", [
    (dict(setting="iso", alpha=-1, depth=2), "alpha"),
    (dict(setting="iso", alpha=1, depth=0), "depth"),
    (dict(setting="iso", alpha=1, depth=2, sigma2=-0.1), "sigma2"),
    (dict(setting="bogus", alpha=1, depth=2), "setting"),
    (dict(setting="iso", alpha=1, context=5, depth=2), "alpha"),
    (dict(setting="rrs", alpha=1, depth=2, gamma=[1, 2], lam=[1, 0.5], omega=[0.5, 1]),
     "gamma"),
    (dict(setting="iso", alpha=1, depth=2, nu=1.5), "nu"),
    (dict(setting="rrs", context=-3, depth=2, nu=1.5, beta=1), "context"),
    (dict(setting="rrs", context=10, depth=2, nu=0.5, beta=1), "nu"),
    (dict(setting="iso", alpha=1, depth=2, dps=3), "dps"),
    (dict(setting="fs", alpha=1, depth=2, gamma=[1, 2, 3], lam=[1, 0.5], omega=[0.5, 1]),
     "gamma"),
])
def test_invalid_inputs(kwargs, name):
    setting = kwargs.pop("setting")
    with pytest.raises(ValueError, match=name):
        C.risk(setting, **kwargs)
