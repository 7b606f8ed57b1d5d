"""Precision and cost of the contour solvers (cases C and W) against independent references.

References (none uses the contour machinery):
* ISO: :mod:`solvers.settings.iso` (Gauss–Chebyshev quadrature of the Marchenko–Pastur law,
  exact to the requested digits); case C with a flat spectrum is ISO.
* depth 1, case C: the deterministic equivalent expanded by hand.  With ``p = 1 − γK₀``,
  ``ψ = γ`` and the Wishart second moments ``E W_ij² = 1/P (i ≠ j)``, ``E W_ii² = 1 + 2/P``,
  ``R = Σw − 2γΣwa + γ²[Σwa²(1 + 1/P) + (Σw)(Σa²)/P] + σ²γ²Σa²/P``; the ``Σwa²/P`` term is a
  single sum over modes divided by P, i.e. O(1/D) in the proportional limit and absent from
  the asymptotic theory, so the asymptotic value is
  ``R₁ = Σw − 2γΣwa + γ²[Σwa² + (Σw)(Σa²)/P] + σ²γ²Σa²/P``  (w = ωλ, a = λ),
  at ``dim = inf`` with Hurwitz/Riemann ζ moments (mpmath, exact).
* depth 1, case W at dim = inf: ``R = 1 − 2γm₂ + γ²(m₃ + m₂ζ(ν)/N)``, ``m_j = Σωλ^j``
  (Haar moments of the projection, :func:`solvers.settings.width.depth1_risk` in the D → ∞ form).
* case W at full width N = D: :mod:`solvers.settings.rrs` (exact spectral sum).
Tolerances: the solvers run at dps + 10 guard digits; agreement to 1e-28 relative at dps 30
leaves two digits for the final rounding and the references' own last digit.  The reported
error_estimate must bound the observed error and itself be ≤ 1e-27 relative.
"""
import math

import mpmath
import pytest

from solvers.settings import context as C
from solvers.settings import iso, rrs
from solvers.settings import width as W

DPS = 30
TOL = mpmath.mpf("1e-28")


def _check(got, ref):
    with mpmath.workdps(DPS + 10):
        err = abs(mpmath.mpf(got.risk) - ref)
        assert err <= TOL * abs(ref), (got.risk, ref, err)
        assert got.error_estimate >= err                # the estimate bounds the true error
        assert got.error_estimate <= 10 * TOL * abs(ref)
    assert got.dps == DPS


@pytest.mark.parametrize("alpha,depth,gamma,sigma2", [
    ("2", 3, "0.7", "0"), ("0.5", 3, "0.7", "0.5"), ("0.5", "inf", "1.3", "0.5"),
    ("1", 8, "0.7", "0.25"), ("2", 1, "0.6", "0.3")])
def test_iso_30_digits(alpha, depth, gamma, sigma2):
    got = C.risk("iso", alpha=alpha, depth=depth, gamma=gamma, sigma2=sigma2, dps=DPS)
    ref = iso.risk(alpha, depth, sigma2=sigma2, gamma=gamma, dps=DPS + 10).risk
    _check(got, ref)


def test_iso_optimal_gamma_30_digits():
    got = C.risk("iso", alpha="0.5", depth=3, sigma2="0.5", dps=DPS)
    ref = iso.risk("0.5", 3, sigma2="0.5", dps=DPS + 10)
    _check(got, ref.risk)
    # R is flat at γ*: γ is fixed to about sqrt(10^-30) relative by the risk alone, but both
    # solvers root the exact derivative, so they agree far better
    with mpmath.workdps(DPS + 10):
        assert abs(got.gamma - ref.gamma) <= mpmath.mpf("1e-20") * ref.gamma


def test_flat_spectrum_is_iso_30_digits():
    # D equal modes with ω = 1/D: case C at α = P/D is ISO at α, at every digit
    got = C.risk("rrs", alpha="1.5", depth=4, gamma="0.8", sigma2="0.2", lam=[1] * 4,
                 omega=["0.25"] * 4, dps=DPS)
    ref = iso.risk("1.5", 4, sigma2="0.2", gamma="0.8", dps=DPS + 10).risk
    _check(got, ref)


@pytest.mark.parametrize("context", [pytest.param(64, marks=pytest.mark.slow), 10 ** 6])
def test_context_depth1_closed_form_power_law(context):
    nu, beta, g, s2 = "1.5", "1", "1.3", "0.1"
    got = C.risk("rrs", context=context, depth=1, gamma=g, sigma2=s2, nu=nu, beta=beta,
                 dps=DPS)
    with mpmath.workdps(DPS + 10):
        n, b, g, s2 = (mpmath.mpf(v) for v in (nu, beta, g, s2))
        c = n * b + 1
        Z = mpmath.zeta(c)
        m2, m3, t2 = mpmath.zeta(c + n) / Z, mpmath.zeta(c + 2 * n) / Z, mpmath.zeta(2 * n)
        ref = 1 - 2 * g * m2 + g * g * (m3 + t2 / context) + s2 * g * g * t2 / context
    _check(got, ref)


def test_context_depth1_closed_form_explicit_modes():
    lam, om = ["1", "0.5", "0.25", "0.2", "0.125"], ["0.3", "0.4", "0.5", "0.2", "0.6"]
    g, s2, alpha = "0.9", "0.3", "0.7"
    got = C.risk("fs", alpha=alpha, depth=1, gamma=g, sigma2=s2, lam=lam, omega=om, dps=DPS)
    with mpmath.workdps(DPS + 10):
        a = [mpmath.mpf(v) for v in lam]
        w = [x * mpmath.mpf(o) for x, o in zip(a, om)]
        P = mpmath.mpf(alpha) * len(a)
        g, s2 = mpmath.mpf(g), mpmath.mpf(s2)
        sw, swa = mpmath.fsum(w), mpmath.fsum(x * y for x, y in zip(w, a))
        swa2, sa2 = mpmath.fsum(x * y * y for x, y in zip(w, a)), mpmath.fsum(x * x for x in a)
        ref = sw - 2 * g * swa + g * g * (swa2 + sw * sa2 / P) + s2 * g * g * sa2 / P
    _check(got, ref)


@pytest.mark.parametrize("N", [pytest.param(8, marks=pytest.mark.slow), 10 ** 6])
def test_width_depth1_closed_form_dim_inf(N):
    got = W.risk(width=N, depth=1, gamma="1.3", nu="1.5", beta="1", dps=DPS)
    with mpmath.workdps(DPS + 10):
        nu, g = mpmath.mpf("1.5"), mpmath.mpf("1.3")
        s = nu + 1
        Z = mpmath.zeta(s)
        m2, m3 = mpmath.zeta(s + nu) / Z, mpmath.zeta(s + 2 * nu) / Z
        ref = 1 - 2 * g * m2 + g * g * (m3 + m2 * mpmath.zeta(nu) / N)
    _check(got, ref)


@pytest.mark.parametrize("depth,gamma", [(3, "2.5"), ("inf", "4")])
def test_width_full_width_is_rrs_30_digits(depth, gamma):
    lam = ["1", "0.6", "0.35", "0.2", "0.1", "0.05"]
    om = ["0.5", "0.3", "0.4", "0.2", "0.9", "0.7"]
    got = W.risk(width=6, depth=depth, gamma=gamma, lam=lam, omega=om, dps=DPS)
    ref = rrs.risk(depth=depth, gamma=gamma, lam=lam, omega=om, dps=DPS + 10).risk
    _check(got, ref)


def test_width_projection_limit_against_bisection():
    # κ of the L = ∞ optimum by plain bisection on Σ λ/(κ+λ) = N (explicit modes, mpmath)
    lam = ["1", "0.6", "0.35", "0.2", "0.1", "0.05"]
    om = ["0.5", "0.3", "0.4", "0.2", "0.9", "0.7"]
    got = W.projection_risk(width=3, lam=lam, omega=om, dps=DPS)
    with mpmath.workdps(DPS + 10):
        ls = [mpmath.mpf(v) for v in lam]
        wl = [x * mpmath.mpf(o) for x, o in zip(ls, om)]
        lo, hi = mpmath.mpf(0), mpmath.mpf(10)
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if mpmath.fsum(x / (mid + x) for x in ls) > 3 else (lo, mid)
        k = (lo + hi) / 2
        ref = k * mpmath.fsum(w / (k + x) for w, x in zip(wl, ls))
    _check(got, ref)


# ---------------------------------------------------------------------------------------------
# cost: node counts and explicit modes independent of γ, depth and the context length / width
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("context", [64, 10 ** 6])
@pytest.mark.parametrize("depth,gamma", [(4, 3.0), (2048, 3.0), (2048, 50.0), (2, 50.0),
                                         ("inf", 50.0)])
def test_context_nodes_and_modes_bounded(context, depth, gamma):
    r = C.risk("rrs", context=context, depth=depth, gamma=gamma, nu=1.5, beta=1.0,
               sigma2=0.1, dps=15)
    # the old floor N > L + 1 gave 4096 nodes at L = 2048; now the geometry alone decides
    assert r.extra["nodes"] <= 256
    assert r.extra["modes_head"] <= 1024            # the same head at P = 64 and P = 10⁶
    assert r.error_estimate <= 1e-12 * max(1.0, r.risk)


@pytest.mark.parametrize("N", [64, 10 ** 6])
@pytest.mark.parametrize("depth,gamma", [(4, 3.0), (64, 40.0)])
def test_width_nodes_and_modes_bounded(N, depth, gamma):
    r = W.risk(width=N, depth=depth, gamma=gamma, nu=1.5, beta=1.0, dps=15)
    assert r.extra["nodes"] <= 256
    assert r.extra["head_modes"] <= 1024
    assert r.error_estimate <= 1e-12 * max(1.0, r.risk)


@pytest.mark.slow
def test_mellin_barnes_tail_against_explicit_head():
    # (slow set: the 65k-mode head costs ~5 s; test_context's head-split test is the fast one)
    # at P = 4096 the contour reaches κ ~ 1e-5: with the default head (K₁ = 64) the small-κ
    # Mellin–Barnes series carries the tail there; with K₁ = 16384 every node uses the explicit
    # head (65k modes) + the large-κ Hurwitz series instead.  float64 agreement.
    vals = []
    for head in (64, 16384):
        m = C.modes_for("rrs", P=4096, nu=1.5, beta=1.0, dim=math.inf, head=head)
        b, v, err, _ = C._Problem(m, 4, 0.1).evaluate(3.0)
        vals.append(b + v)
        assert err < 1e-13
    assert abs(vals[0] - vals[1]) < 1e-13 * vals[0]
