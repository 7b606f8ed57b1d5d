"""Case W (finite width N, infinite context): solvers.settings.width against independent references.

References: the unbottlenecked RRS sum (N = D), the exact Haar moments of a random projection at
depth 1, the least-squares projection limit, Monte Carlo (a sampler with the simulator's law,
and the simulator itself), empirical spectra of sampled matrices (branch checks), and sympy
derivations of the dmft.md relations.
"""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from solvers.settings import rrs, width
from solvers.result import ConvergenceError
from solvers.simulators.reduced import haar_orthogonal, simulate
from theory import exponents as texp
from tests.conftest import one_blas_thread, powerlaw_arrays
from theory import width as tw
from theory.symbols import beta as sym_beta, nu as sym_nu


def power_modes(D, nu=1.2, beta=1.0 / 1.2):
    """λ_k = k^{−ν}, ω_kλ_k ∝ k^{−νβ−1} (Σ ω_kλ_k = 1), k = 1..D, as float arrays."""
    return powerlaw_arrays(D, nu, beta)


# ------------------------------------------------------------------------------------------
# Monte Carlo with the simulator's law, fast (small batched QRs want one BLAS thread)
# ------------------------------------------------------------------------------------------
def matched_mc(lam, om, N, L, g, contexts, seed, chunk=200):
    """Risk of ``(I − (γ/L) P̃ Λ)^L b`` averaged over a fresh Haar rank-N projection ``P̃`` and
    ``b ~ N(0, Ω)`` per context.  This is the simulator's law: there ``Σ_c = OΛOᵀ`` (``O`` Haar
    per context), target ``O b`` and one fixed ``P_N``; rotating by ``Oᵀ`` gives ``Λ``, ``b`` and
    ``OᵀP_N O``, a Haar projection for every fixed ``P_N``, so contexts are i.i.d. copies of this."""
    rng = np.random.default_rng(seed)
    D = len(lam)
    out = []
    with one_blas_thread():
        while len(out) < contexts:
            m = min(chunk, contexts - len(out))
            U = haar_orthogonal(rng, (m, D, N))
            e = rng.standard_normal((m, D)) * np.sqrt(om)
            Ut = np.swapaxes(U, 1, 2)
            for _ in range(L):
                e = e - (g / L) * np.matmul(U, np.matmul(Ut, (lam * e)[..., None]))[..., 0]
            out.extend(np.sum(lam * e * e, axis=1))
    r = np.array(out)
    return r.mean(), r.std(ddof=1) / math.sqrt(len(r))


def allowance(R, D):
    """Finite-D allowance 10R/D: at depth 1 the exact finite-D Haar value exceeds the D → ∞ one
    by ``c R/D`` with c between 2 and 8 here (test_depth1_finite_dim_correction)."""
    return 10 * R / D


# ------------------------------------------------------------------------------------------
# theory (sympy)
# ------------------------------------------------------------------------------------------
def test_theory_reduced_relations():
    a, t = tw.alpha_N, tw.tau
    assert sp.simplify(tw.projection_x() - (a / t - 1)) == 0
    assert sp.simplify(tw.psi() - (a - t) / (1 - t)) == 0
    # the reduced one-point relation is x(α − τ) = z(1 − τ) (up to the factor 1/τ)
    assert sp.simplify(tw.one_point_relation() * t - (tw.x * (a - t) - tw.z * (1 - t))) == 0
    # dmft.md's c = 1/ℬ − 1/(Σ_vχ Σ'_vχ) equals the closed form the solver uses
    assert sp.simplify(tw.c_dmft() - tw.c_closed()) == 0
    # ... but not with ℬ in place of 1/ℬ (the printed closing sentence)
    assert sp.simplify(tw.c_dmft(printed=True) - tw.c_closed()) != 0


def test_theory_absolute_regime():
    ar = tw.absolute_regime()
    assert sp.simplify(ar.psi_limit - (1 - tw.S / tw.N)) == 0
    assert sp.simplify(ar.chat_limit - 1 / tw.N) == 0
    # at D = N the Dyson term vanishes (chat has the factor D − N)
    assert sp.simplify(ar.chat.subs(tw.D, tw.N)) == 0


def test_theory_depth1_coefficient_is_haar_moment():
    from_F, haar = tw.depth1_coefficient(n_modes=3)
    assert sp.simplify(from_F - haar) == 0


def test_theory_printed_sign_is_unphysical():
    pv = tw.printed_variants()
    # z → ∞: Ψ → E[P̃] = α_N with the corrected sign, −α_N with the printed (τ − 1)/τ
    assert sp.limit(tw.psi(), tw.tau, 0) == tw.alpha_N
    assert sp.limit(pv.psi_printed_sign, tw.tau, 0) == -tw.alpha_N
    # Ψ built from the rotated matrix is not 1 at α_N = 1 (no bottleneck)
    assert sp.simplify(pv.psi_rotated.subs(tw.alpha_N, 1) - 1) != 0


# ------------------------------------------------------------------------------------------
# limits and exact references
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("L,g", [(1, 1.0), (4, 3.0), (32, 20.0), ("inf", 5.0)])
def test_full_width_is_rrs(L, g):
    lam, om = power_modes(60)
    r = width.risk(width=60, depth=L, gamma=g, lam=list(lam), omega=list(om), dps=15)
    ref = float(rrs.risk(depth=L, gamma=g, lam=list(lam), omega=list(om)).risk)
    assert abs(r.risk - ref) <= 1e-12 * ref + 2 * r.error_estimate


@pytest.mark.parametrize("N,g", [(10, 0.5), (30, 2.0), (45, 4.0), (59, 1.0)])
def test_depth1_haar_moments(N, g):
    lam, om = power_modes(60)
    r = width.risk(width=N, depth=1, gamma=g, lam=list(lam), omega=list(om), dps=15)
    ref = width.depth1_risk(g, width=N, lam=lam, omega=om, exact_dim=False)
    assert abs(r.risk - ref) <= 1e-11 * ref


def test_depth1_dim_inf():
    """D → ∞, absolute N, normalised γ: R = 1 − 2γ m₂ + γ²(m₃ + m₂ Σλ/N), m_j = Σ ω λ^j."""
    nu, beta, N, g = 1.5, 1.0, 8, 1.3
    r = width.risk(width=N, depth=1, gamma=g, nu=nu, beta=beta, dps=15)
    s = nu * beta + 1
    Z = mpmath.zeta(s)
    m2, m3 = mpmath.zeta(s + nu) / Z, mpmath.zeta(s + 2 * nu) / Z
    ref = float(1 - 2 * g * m2 + g * g * (m3 + m2 * mpmath.zeta(nu) / N))
    assert abs(r.risk - ref) <= 1e-11 * ref


def test_depth1_finite_dim_correction():
    """The exact finite-D depth-1 risk approaches the asymptotic one as O(1/D) (sets the MC
    allowance): 0 < (R_D − R_∞) D/R_∞ < 10 for these spectra and steps."""
    for D in (64, 256, 1024):
        lam, om = power_modes(D)
        for N, g in ((D // 4, 3.0), (D // 2, 2.0), (D // 8, 6.0)):
            ex = width.depth1_risk(g, width=N, lam=lam, omega=om, exact_dim=True)
            asy = width.depth1_risk(g, width=N, lam=lam, omega=om, exact_dim=False)
            assert 0 < (ex - asy) * D / asy < 10


def test_dim_inf_limit_of_truncated_power_law():
    """dim = D with Γ = γP_N tends to dim = inf with the normalised γ_n = γ N/D (slowly: the
    missing tail Σ_{k>D} λ_k ~ D^{1−ν} enters S)."""
    N, gn = 8, 2.0
    inf = width.risk(width=N, depth=4, gamma=gn, nu=1.5, beta=1.0, dps=15).risk
    gaps = [abs(width.risk(width=N, depth=4, gamma=gn * D / N, nu=1.5, beta=1.0, dim=D,
                           dps=15).risk - inf) for D in (256, 1024, 4096)]
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 0.012 * inf
    # successive gaps shrink like D^{-(ν-1)} = 4^{-1/2} per step (ratio ≈ 0.45 ± 0.15)
    assert 0.3 < gaps[2] / gaps[1] < 0.6 and 0.3 < gaps[1] / gaps[0] < 0.6


def test_large_width_dim_inf_tends_to_rrs():
    """N → ∞ at dim = inf with E Γ = γI recovers the unbottlenecked RRS risk (gap ∝ 1/N)."""
    ref = float(rrs.risk(nu=1.5, beta=1.0, depth=4, gamma=2.0).risk)
    gaps = [width.risk(width=N, depth=4, gamma=2.0, nu=1.5, beta=1.0, dps=15).risk - ref
            for N in (64, 256)]
    assert gaps[0] > gaps[1] > 0
    assert 2.5 < gaps[0] / gaps[1] < 5.5


def test_optimal_gamma_is_minimum():
    """γ* from the root of ∂R/∂γ against a bounded 1-D minimisation of the exact risk."""
    from scipy.optimize import minimize_scalar
    lam, om = power_modes(80)
    kw = dict(width=20, depth=4, lam=list(lam), omega=list(om), dps=15)  # float64 path
    opt = width.risk(**kw)
    g = float(opt.gamma)
    res = minimize_scalar(lambda x: width.risk(gamma=x, **kw).risk, bounds=(0.5 * g, 2 * g),
                          method="bounded", options={"xatol": 1e-7 * g})
    assert abs(res.x - g) <= 1e-4 * g            # a flat minimum fixes γ to ~sqrt(eps)
    assert opt.risk <= res.fun + 1e-12
    assert abs(opt.risk - res.fun) <= 1e-9 * opt.risk


def test_projection_limit_and_depth_monotone():
    """R(N, L, γ*) ≥ R_∞(N) = κΣωλ/(κ+λ) (GD iterates stay in the N-dim subspace), decreasing
    in L; at L = ∞ the risk decreases in γ towards R_∞."""
    kw = dict(width=16, nu=1.5, beta=1.0, dps=15)     # inequalities: float64 suffices
    Rinf = float(width.projection_risk(**kw).risk)
    Rs = [width.risk(depth=L, **kw).risk for L in (1, 4, 16)]
    assert Rs[0] > Rs[1] > Rs[2] > Rinf
    Rg = [width.risk(depth="inf", gamma=g, **kw).risk for g in (1.0, 10.0, 100.0)]
    assert Rg[0] > Rg[1] > Rg[2] > Rinf
    assert Rg[2] - Rinf < 0.1 * Rinf


def test_projection_limit_vs_sampled_least_squares():
    """R_∞ against E Tr Ω(Λ − ΛU(UᵀΛU)⁻¹UᵀΛ) over Haar U at D = 512 (finite-D allowance 10R/D),
    in the saturated regime β = 2 > 1 where R_∞ ∝ N^{−ν}; the ridge-type form
    κ²Σωλ/(κ+λ)²/(1 − df₂/N) (∝ N^{−2ν}) is far off."""
    D, N = 512, 32
    lam, om = power_modes(D, nu=1.5, beta=2.0)
    rng = np.random.default_rng(3)
    vals = []
    with one_blas_thread():
        for _ in range(40):
            U = haar_orthogonal(rng, (D, N))
            LU = lam[:, None] * U
            proj = np.einsum("dn,dn->d", LU, np.linalg.solve(U.T @ LU, LU.T).T)
            vals.append(np.sum(om * (lam - proj)))
    m, se = np.mean(vals), np.std(vals, ddof=1) / math.sqrt(len(vals))
    pr = width.projection_risk(width=N, lam=list(lam), omega=list(om))
    R, kap = float(pr.risk), float(pr.extra["kappa"])
    assert abs(m - R) <= 3 * se + allowance(R, D)
    df2 = np.sum(lam**2 / (kap + lam) ** 2)
    ridge = kap**2 * np.sum(om * lam / (kap + lam) ** 2) / (1 - df2 / N)
    assert abs(m - ridge) > 0.5 * m


# ------------------------------------------------------------------------------------------
# Monte Carlo
# ------------------------------------------------------------------------------------------
MC_CASES = [  # (D, N, L, γ): γ keeps γ_n E/L ≤ 2 so finite-D edge eigenvalues do not blow up
    (256, 64, 4, 4.0),
    pytest.param(256, 128, 8, 12.0, marks=pytest.mark.slow),   # ~2-3 s each: the slow set
    (256, 32, 2, 6.0),
    pytest.param(512, 64, 3, 8.0, marks=pytest.mark.slow),
]


@pytest.mark.parametrize("D,N,L,g", MC_CASES)
def test_matches_monte_carlo(D, N, L, g):
    lam, om = power_modes(D)
    r = width.risk(width=N, depth=L, gamma=g, lam=list(lam), omega=list(om), dps=15)
    assert r.extra["gamma_normalized"] * r.extra["support_edge"] / L <= 2
    m, se = matched_mc(lam, om, N, L, g, contexts=1500, seed=D + N + L)
    assert abs(m - r.risk) <= 3 * se + allowance(r.risk, D)


@pytest.mark.slow
def test_matches_monte_carlo_smooth_profile():
    """A spectrum that is a fixed profile of k/D (λ = e^{−3k/D}, ω_kλ_k = 1/D) has no isolated
    top modes, so finite-D corrections are small: at D = 128..512 the measured offsets were
    |R_MC − R|·D/R ≤ 0.3 ± 0.4.  Tolerance 3σ + R/D."""
    D, N, L, g = 256, 64, 4, 6.0
    k = np.arange(1, D + 1)
    lam = np.exp(-3 * (k - 0.5) / D)
    om = 1.0 / (D * lam)
    r = width.risk(width=N, depth=L, gamma=g, lam=list(lam), omega=list(om), dps=15)
    m, se = matched_mc(lam, om, N, L, g, contexts=2500, seed=11)
    assert abs(m - r.risk) <= 3 * se + r.risk / D


@pytest.mark.slow
def test_matches_simulator():
    """The package simulator itself (Haar O per context, one P_N per call)."""
    D, N, L, g = 256, 64, 4, 4.0
    lam, om = power_modes(D)
    r = width.risk(width=N, depth=L, gamma=g, lam=list(lam), omega=list(om))
    with one_blas_thread():
        s = simulate("rrs", alpha="inf", width=N, lam=lam, omega=om, gamma=g, depth=L, dim=D,
                     contexts=120, seed=5)
    assert abs(s.risk - r.risk) <= 3 * s.stderr + allowance(r.risk, D)


# ------------------------------------------------------------------------------------------
# width scaling law
# ------------------------------------------------------------------------------------------
def _aitken_slope(nu, beta, Ns):
    R = [width.projection_risk(width=N, nu=nu, beta=beta, dps=20).risk for N in Ns]
    s = [float(mpmath.log(R[i + 1] / R[i]) / mpmath.log(Ns[i + 1] / Ns[i]))
         for i in range(len(R) - 1)]
    d1, d2 = s[-2] - s[-3], s[-1] - s[-2]
    return s[-1] - d2 * d2 / (d2 - d1), s


@pytest.mark.parametrize("nu,beta", [(1.5, 0.5), (2.0, 0.75), (1.5, 2.0), (1.25, 3.0)])
def test_width_law_slopes(nu, beta):
    """Infinite depth, optimal γ (= ∞): R(N) = κ_N Σωλ/(κ_N+λ) ∝ N^{−ν min(β, 1)}.  The
    extrapolated local slope matches; for β < 1 this is theory.exponents' −νβ; for β > 1 it
    saturates at −ν (not −2ν: R ≥ κ_N Σ_{k≲N} ω_k ∝ N^{−ν} when Σ ω_k converges)."""
    slope, raw = _aitken_slope(nu, beta, [64, 256, 1024, 4096])
    expect = -nu * min(beta, 1.0)
    assert abs(slope - expect) < 5e-3, (slope, raw)
    if beta < 1:  # theory.exponents' decay exponent ν min(β, 2) agrees below β = 1
        val = float(texp.width_exponent().subs({sym_nu: nu, sym_beta: beta}))
        assert abs(val + expect) < 1e-12


# ------------------------------------------------------------------------------------------
# branch choice and continuation
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("D", [10, 100, 1000, 10000])
def test_branch_on_contour(D):
    lam, om = power_modes(D, nu=1.3, beta=1.0)
    pb = width.WidthProblem(width.make_spectrum(lam=list(lam), omega=list(om)), max(1, D // 3),
                            D)
    E = width.support_edge(pb)
    con = width._Contour(pb, E, 0.05, 256)
    up = con.w.imag > 0
    assert np.all(con.x.imag[up] >= 0)          # Im x · Im w ≥ 0  ⇔  Im τ · Im z ≤ 0
    assert con.residual <= 1e-12 * E
    # the negative real point left of the support: x real, below −λ_max, τ = S/D < 0
    i = len(con.w) // 2
    assert abs(con.x[i].imag) <= 1e-10 * abs(con.x[i]) and con.x[i].real < -lam.max()
    assert con.S[i].real < 0


@pytest.mark.parametrize("w", [-1e-3, -1e-2, -0.3])
def test_branch_near_zero_against_sampled_spectrum(w):
    """τ(w) at w = −δ + iη (inside the support, near z → 0⁻) against the empirical τ of one
    sampled M₀ = P̃Λ/α_N at D = 2000 (self-averaging; allowance a few/D plus the η smoothing)."""
    D, N = 2000, 500
    lam, om = power_modes(D, nu=1.3, beta=1.0)
    pb = width.WidthProblem(width.make_spectrum(lam=list(lam), omega=list(om)), N, D)
    E = width.support_edge(pb)
    wt = complex(w, 0.02)
    path = np.array([E * 0.5 + 0.02j, wt])
    kap = width._kappa(pb)
    from scipy.optimize import brentq
    x0 = brentq(lambda x: pb.w_of_x(x)[0] - E * 0.5, max(kap, 1e-12), 10 * E + 10)
    x_start, _ = width.one_point(pb, np.array([E * 0.5 + 0j, path[0]]), complex(x0))
    xs, _ = width.one_point(pb, path, x_start[-1])
    tau_th = pb.S(xs[-1])[0] / D
    rng = np.random.default_rng(0)
    with one_blas_thread():
        U = haar_orthogonal(rng, (D, N))
        mu = np.linalg.eigvalsh(U.T @ (lam[:, None] * U)) * D / N
    tau_emp = np.sum(mu / (wt + mu)) / D
    assert tau_th.imag <= 0                      # Im τ · Im z ≤ 0
    assert abs(tau_th - tau_emp) <= 3e-3 * abs(tau_emp) + 3 / D


def test_contour_failure_raises(monkeypatch):
    lam, om = power_modes(40)
    monkeypatch.setattr(width, "N_MAX", 16)   # the first rule pair is 16 vs 8 nodes
    with pytest.raises(ConvergenceError, match="trapezoid rule did not converge"):
        width.risk(width=10, depth=64, gamma=400.0, lam=list(lam), omega=list(om), dps=15)


# ------------------------------------------------------------------------------------------
# validation
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw,name", [
    (dict(width=0, depth=1), "width"),
    (dict(width=70, depth=1), "width"),
    (dict(width=2.5, depth=1), "width"),
    (dict(width=4, depth=0), "depth"),
    (dict(width=4, depth=1, gamma=-1), "gamma"),
    (dict(width=4, depth=1, dps=5), "dps"),
    (dict(width=4, depth=2, gamma="inf"), "gamma"),
])
def test_invalid_inputs(kw, name):
    lam, om = power_modes(60)
    with pytest.raises(ValueError, match=name):
        width.risk(lam=list(lam), omega=list(om), **kw)


def test_invalid_power_law():
    with pytest.raises(ValueError, match="nu"):
        width.risk(width=4, depth=1, nu=0.5, beta=1.0)
    with pytest.raises(ValueError, match="beta"):
        width.risk(width=4, depth=1, nu=1.5, beta=-1.0)
