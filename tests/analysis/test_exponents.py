"""Scaling exponents: symbolic derivation (theory.exponents) versus extrapolated local slopes of
the exact risk (solvers.analysis.exponents.check_exponent).

Tolerance 0.01 on exponents (the brief's requirement); the extrapolated slopes typically agree to
1e-4 or better, and each check also asserts that its own error estimate is below the tolerance.
Expected closed forms in the symbolic tests were derived by hand from the cutoff argument
(spec §6), independently of the power-counting code that produces them.
"""
import functools
import json
from decimal import Decimal
import math

import mpmath
import pytest

from solvers.result import to_json
import sympy as sp

from solvers.analysis.exponents import LAWS, check_exponent, exponents
from theory import exponents as tex
from theory.symbols import beta, nu

TOL = 0.01
DPS = 15

# three (ν, β) pairs per law; width includes a saturating case β > 1, context one with β > 2
PAIRS = {
    "time": [(1.5, 1.0), (1.2, 0.3), (3.0, 2.5)],
    "time_fs": [(1.5, 1.0), (3.0, 0.5), (1.2, 4.0)],
    "time_full": [(1.5, 1.0), (3.0, 0.5), (2.0, 3.0)],
    "depth": [(1.5, 1.0), (2.0, 0.5), (1.3, 2.5)],
    "width": [(1.5, 0.5), (2.0, 0.75), (1.5, 3.0)],
    "context": [(1.2, 1.5), (3.0, 0.7), (1.2, 2.5)],
}
# the third pair of the two flow laws (each ~5 s) runs with the slow marker to keep the file fast
CASES = [pytest.param(law, n, b, marks=[pytest.mark.slow]
                      if law in ("time", "time_full") and i == 2 else [])
         for law in LAWS for i, (n, b) in enumerate(PAIRS[law])]


@functools.lru_cache(maxsize=None)
def _check(law, nu_v, beta_v):
    return check_exponent(law, nu_v, beta_v, dps=DPS)


# ---------------------------------------------------------------- symbolic derivation

def test_symbolic_closed_forms():
    assert sp.simplify(tex.time_exponent_rrs().expr - beta / (beta + 2)) == 0
    assert sp.simplify(tex.time_exponent_full().expr - 5 * beta / (5 * beta + 2)) == 0
    assert sp.simplify(tex.time_exponent_fs().expr - nu * beta / (nu * beta + 2 * nu + 1)) == 0
    assert sp.simplify(tex.depth_exponent_rrs().expr - beta) == 0
    m = sp.Symbol("m", positive=True)
    a, cut, _ = tex.time_exponent(m)
    assert sp.simplify(a - m * beta / (m * beta + 2)) == 0   # γ = w^m; m = 1 is the reduced law


def test_cutoff_exponents():
    assert sp.simplify(tex.time_exponent_rrs().cutoff - 1 / (nu * (beta + 2))) == 0
    assert sp.simplify(tex.time_exponent_fs().cutoff - 1 / (nu * beta + 2 * nu + 1)) == 0
    assert sp.simplify(tex.depth_exponent_rrs().cutoff - 1 / nu) == 0
    assert tex.width_exponent().cutoff == 1 and tex.context_exponent().cutoff == 1


# width: the projection limit κΣωλ/(κ+λ) is linear in κ (head modes give κ¹, saturation at
# β = 1); context: dmft.md's ridge form κ²Σωλ/(κ+λ)² (κ², saturation at β = 2)
@pytest.mark.parametrize("law,p", [(tex.width_exponent, 1), (tex.context_exponent, 2)])
def test_width_context_saturation_symbolic(law, p):
    e = law()
    for b in (sp.Rational(1, 2), sp.Rational(3, 4), 1, sp.Rational(3, 2), sp.Rational(5, 2), 3, 7):
        for n in (sp.Rational(3, 2), 2, 5):
            expected = n * min(b, p)
            assert sp.simplify(e.expr.subs({nu: n, beta: b}) - expected) == 0
            # the Piecewise built from the convergence of the head integral agrees with the Min
            assert sp.simplify(e.regimes.subs({nu: n, beta: b}) - expected) == 0
    assert f"beta - {p} >= 0" in e.note or f"beta >= {p}" in e.note
    assert f"log correction at β = {p}" in e.note


def test_width_is_not_the_squared_kappa_form():
    """dmft.md's width law ν min(β, 2) (from κ²Σωλ/(κ+λ)²) differs from the derived one for β > 1."""
    e = tex.width_exponent().expr
    assert sp.simplify(e.subs({nu: 2, beta: 3}) - 2) == 0            # ν, not 2ν
    assert sp.simplify(e.subs({nu: 2, beta: sp.Rational(3, 2)}) - 2) == 0   # ν, not νβ


def test_fs_time_exponent_is_not_the_printed_one():
    derived = tex.time_exponent_fs().expr
    assert sp.simplify(derived - tex.FS_TIME_PAPER) != 0
    # they differ on the whole domain except where νβ(νβ+ν+1) = β(νβ+2ν+1), i.e. never for ν > 1
    diff = sp.factor(sp.together(derived - tex.FS_TIME_PAPER))
    assert diff.subs({nu: 2, beta: 1}) != 0


def test_leading_power_counts_powers_and_exponentials():
    u = tex.u
    assert tex.leading_power(u**3 * (1 + u**nu) ** 2, u, sp.oo) == 3 + 2 * nu
    assert tex.leading_power(u**3 * (1 + u**nu) ** 2, u, 0) == 3
    assert tex.leading_power(sp.exp(-2 / u**nu), u, 0) == sp.oo     # faster than any power
    assert tex.leading_power(sp.exp(-u), u, sp.oo) == -sp.oo
    with pytest.raises(ValueError):
        tex.leading_power(u**u, u, sp.oo)


def test_mode_sum_scaling_detects_head_divergence():
    lam_k, wl = tex.power_law_modes()
    sc = tex.mode_sum_scaling(tex.kappa**2 * wl / (tex.kappa + lam_k) ** 2, tex.kappa,
                              lam_k / tex.kappa, scale_to=0)
    assert sc.scale_power == beta and sc.head_power == 2
    assert sc.head_converges == (beta < 2) or sp.simplify(sc.head_converges.subs(beta, 1)) == sp.true
    assert sp.simplify(sc.head_converges.subs(beta, 3)) == sp.false


# ---------------------------------------------------------------- numerical confirmation

@pytest.mark.parametrize("law,nu_v,beta_v", CASES)
def test_symbolic_matches_extrapolated_slope(law, nu_v, beta_v):
    r = _check(law, nu_v, beta_v)
    assert r.error_estimate < TOL
    assert abs(r.value - r.symbolic) < TOL, (law, nu_v, beta_v, r.value, r.symbolic, r.slopes)
    # the symbolic value is the expression of theory.exponents evaluated at (ν, β)
    expr = sp.sympify(r.expr, locals={"nu": nu, "beta": beta})
    assert abs(float(expr.subs({nu: nu_v, beta: beta_v})) - float(r.symbolic)) < 1e-12


@pytest.mark.parametrize("nu_v,beta_v", PAIRS["context"])
def test_context_law_against_the_exact_case_c_solver(nu_v, beta_v):
    """The context check extrapolates slopes of dmft.md's leading-order ridge form; here the
    exact finite-context risk (solvers.settings.context, ridgeless optimum at depth ∞, absolute
    P = 64·4^j up to 65536, float64) gives its own local slopes, Aitken-extrapolated: they must
    agree with the derived exponent ν min(β, 2) and with the ridge-form check, within 0.01."""
    from solvers.settings import context as C
    from solvers.analysis.exponents import _extrapolate
    Ps = [64 * 4 ** j for j in range(6)]
    R = [mpmath.mpf(C.risk("rrs", context=P, depth="inf", gamma="inf", nu=nu_v, beta=beta_v,
                           dps=15).risk) for P in Ps]
    with mpmath.workdps(15):
        sl = [-mpmath.log(R[i + 1] / R[i]) / mpmath.log(4) for i in range(len(R) - 1)]
        val, err = _extrapolate(sl)
    assert err < TOL
    assert abs(val - nu_v * min(beta_v, 2)) < TOL
    assert abs(val - _check("context", nu_v, beta_v).value) < TOL


# ---------------------------------------------------------------- the extrapolation itself

def test_aitken_is_exact_on_one_geometric_correction():
    """``_extrapolate`` on ``s_j = a + A q^j`` (one power-law correction on a geometric ladder,
    ``q = r^{−ω}``): Aitken Δ² is exact, so the limit comes back to the working precision with
    an error estimate at that level, e.g. 1 + 2^{−k} → 1 (a sign error gave 1.0104)."""
    from solvers.analysis.exponents import _extrapolate
    with mpmath.workdps(30):
        for a, A, q in ((1, 1, mpmath.mpf(1) / 2), (mpmath.mpf("0.75"), -2, mpmath.mpf(4) ** -1.3),
                        (mpmath.mpf(5) / 3, mpmath.mpf("0.1"), mpmath.mpf("0.9"))):
            seq = [a + A * q ** k for k in range(1, 7)]
            val, err = _extrapolate(seq)
            assert abs(val - a) < mpmath.mpf(10) ** -22, (a, A, q, val)
            assert abs(val - a) <= err < mpmath.mpf(10) ** -20
        # two corrections: not exact, but the error estimate must cover the truth
        seq = [1 + mpmath.mpf(2) ** -k + 3 * mpmath.mpf(3) ** -k for k in range(1, 9)]
        val, err = _extrapolate(seq)
        assert abs(val - 1) <= err < 1e-3


def test_log_extrapolant_is_exact_on_its_model():
    """``_extrapolate(slopes, u)`` on the saturation-boundary model ``s(u) = s∞ − A/(u + a)``
    (u = log(1/κ) on a geometric κ ladder) returns s∞ exactly (a sign error in the
    extrapolant returns a value off by the slopes' own spread)."""
    from solvers.analysis.exponents import _extrapolate
    with mpmath.workdps(30):
        u = [mpmath.log(10) * j for j in range(3, 9)]
        for s_inf, A, a in ((3, 3, mpmath.mpf("1.7")), (mpmath.mpf("1.5"), -2, -1)):
            seq = [s_inf - A / (x + a) for x in u]
            val, err = _extrapolate(seq, u)
            assert abs(val - s_inf) < mpmath.mpf(10) ** -22, (s_inf, A, a, val)
            # exact extrapolants differ by rounding only, whose ratio is noise: the estimate
            # may then fall back to the distance to the last raw slope (conservative)
            assert abs(val - s_inf) <= err


def test_richardson_with_the_derived_correction_exponent_is_exact():
    """``_ridge_extrapolate`` with a known correction κ^ω (ω > 0, beyond the crossover) removes
    it by one Richardson step; a second, geometric correction κ^{2ω} is then removed by Aitken:
    ``s = a + Bκ^ω + Cκ^{2ω}`` on κ = 10^{−3..−8} comes back exactly."""
    from solvers.analysis.exponents import _ridge_extrapolate
    with mpmath.workdps(30):
        ladder = [mpmath.mpf(10) ** -j for j in range(3, 9)]
        om = mpmath.mpf("0.6")
        seq = [mpmath.mpf("2.25") + 3 * k ** om - 5 * k ** (2 * om) for k in ladder]
        val, err, note = _ridge_extrapolate(seq, ladder, om, 1.5)
        assert abs(val - mpmath.mpf("2.25")) < mpmath.mpf(10) ** -20, val
        assert "Richardson" in note and "near the saturation boundary" not in note


@pytest.mark.parametrize("nu_v,beta_v", PAIRS["time_fs"])
def test_fs_time_numerics_refute_printed_exponent(nu_v, beta_v):
    r = _check("time_fs", nu_v, beta_v)
    printed = float(tex.FS_TIME_PAPER.subs({nu: nu_v, beta: beta_v}))
    # the printed value is outside the tolerance and far outside the extrapolation error
    assert abs(float(r.value) - printed) > TOL
    assert abs(float(r.value) - printed) > 100 * float(r.error_estimate)
    assert abs(float(r.value) - float(r.symbolic)) < TOL


@pytest.mark.parametrize("nu_v,beta_v", [(1.5, 3.5), (2.0, 1.5)])
def test_width_saturates_at_nu(nu_v, beta_v):
    r = _check("width", nu_v, beta_v)
    assert abs(float(r.value) - nu_v) < TOL
    assert abs(float(r.value) - nu_v * min(beta_v, 2)) > 25 * TOL    # not dmft.md's ν min(β, 2)


def test_width_slope_from_projection_risk_at_integer_widths():
    """Second route: secant slopes of solvers.settings.width.projection_risk (κ found by Newton from N,
    exact Hurwitz tail) on N = 16·4^j, Aitken-extrapolated, agree with the κ-parametrised check
    and with ν (saturated, β = 3) to 0.01; the largest N = 4096 leaves a secant bias < 1e-3."""
    from solvers.analysis.exponents import _extrapolate
    from solvers.settings.width import projection_risk
    nu_v, beta_v = 1.5, 3.0
    Ns = [16 * 4**j for j in range(5)]
    with mpmath.workdps(20):
        R = [projection_risk(width=n, nu=nu_v, beta=beta_v, dps=20).value for n in Ns]
        sl = [-mpmath.log(R[i + 1] / R[i]) / mpmath.log(4) for i in range(len(Ns) - 1)]
        val, err = _extrapolate(sl)
    assert err < TOL
    assert abs(float(val) - nu_v) < TOL
    assert abs(float(val) - float(_check("width", nu_v, beta_v).value)) < TOL
    assert abs(float(val) - 2 * nu_v) > 50 * TOL                   # dmft.md's saturation 2ν


@pytest.mark.parametrize("depth", [1, 3])
def test_fs_time_exponent_is_depth_independent(depth):
    assert sp.simplify(tex.time_exponent_fs(depth).expr - tex.time_exponent_fs().expr) == 0
    r = check_exponent("time_fs", 2.0, 0.7, dps=DPS, depth=depth)
    assert abs(r.value - r.symbolic) < TOL and r.error_estimate < TOL


def test_fs_mode_factors():
    x = sp.Symbol("x", positive=True)
    assert sp.simplify(tex.fs_mode_factor(1)[0] - sp.exp(-4 * x)) == 0
    assert sp.simplify(tex.fs_mode_factor(2)[0] - (1 + 2 * x) ** -2) == 0
    assert sp.simplify(tex.fs_mode_factor(sp.oo)[0] - 1 / (1 + 4 * x)) == 0


@pytest.mark.slow
def test_time_quadrature_agrees_with_rrs_flow():
    """t(γ) of the check's own quadrature at the γ(t = 1000) returned by solvers.settings.rrs."""
    from solvers.settings import rrs
    from solvers.analysis.exponents import _time_slopes
    r = rrs.risk(nu=1.5, beta=1.0, depth=math.inf, time=1000, dps=DPS)
    with mpmath.workdps(DPS):
        res, _ = _time_slopes(1.5, 1.0, DPS, [r.gamma], full=False)
    assert abs(res[0] / 1000 - 1) < 1e-8


@pytest.mark.slow
def test_depth_optimum_agrees_with_rrs_solver():
    from solvers.settings import rrs
    from solvers.analysis.exponents import _optimal_depth_risk, _spectrum
    with mpmath.workdps(DPS):
        mine = _optimal_depth_risk(_spectrum(1.5, 1.0), 300, 1.5, 1.0, DPS)
    ref = rrs.optimal_gamma(nu=1.5, beta=1.0, depth=300, dps=DPS).risk
    assert abs(mine / ref - 1) < 1e-12


# ---------------------------------------------------------------- API and errors

def test_exponents_api_keys_and_values():
    res = exponents("rrs", nu=1.5, beta=1.0)
    d = res.to_dict()
    json.loads(to_json(d), parse_float=Decimal)  # valid JSON, numbers with all digits
    for key in ("time", "width", "depth", "context", "shape"):
        assert set(d[key]) >= {"expr", "value"}
        expr = sp.sympify(d[key]["expr"], locals={"nu": nu, "beta": beta})
        assert abs(float(expr.subs({nu: 1.5, beta: 1.0})) - float(d[key]["value"])) < 1e-20
    assert float(d["time"]["value"]) == pytest.approx(1 / 3)
    assert float(d["width"]["value"]) == pytest.approx(1.5)
    assert float(d["depth"]["value"]) == pytest.approx(1.0)
    assert float(d["shape"]["value"]) == pytest.approx(1.5)          # L ∝ N^ν
    assert float(d["time_full"]["value"]) == pytest.approx(5 / 7)
    with pytest.raises(Exception):
        res.setting = "fs"                                           # frozen


def test_exponents_fs_reports_undefined_depth_honestly():
    d = exponents("fs", nu=2.0, beta=1.0).to_dict()
    assert float(d["time"]["value"]) == pytest.approx(2 / 7)
    assert d["depth"]["expr"] == "nan" and math.isnan(float(d["depth"]["value"]))
    assert "zero risk" in d["notes"]["depth"]


def test_symbolic_inputs_give_symbolic_outputs():
    res = exponents("rrs", nu=nu, beta=beta)
    assert sp.simplify(res.time - beta / (beta + 2)) == 0


@pytest.mark.parametrize("kwargs,name", [
    (dict(setting="iso", nu=1.5, beta=1.0), "setting"),
    (dict(setting="xyz", nu=1.5, beta=1.0), "setting"),
    (dict(setting="rrs", nu=1.0, beta=1.0), "nu"),
    (dict(setting="rrs", nu=0.5, beta=1.0), "nu"),
    (dict(setting="rrs", nu=1.5, beta=0), "beta"),
    (dict(setting="rrs", nu=1.5, beta=-1), "beta"),
    (dict(setting="rrs", nu=1.5, beta=1.0, dps=5), "dps"),
])
def test_invalid_inputs_raise(kwargs, name):
    with pytest.raises(ValueError, match=name):
        exponents(**kwargs)


def test_check_exponent_invalid_law():
    with pytest.raises(ValueError, match="law"):
        check_exponent("height", 1.5, 1.0)
    with pytest.raises(ValueError, match="nu"):
        check_exponent("time", 0.9, 1.0)


@pytest.mark.parametrize("law,nu_v,beta_v", [("width", 1.5, 1.0), ("width", 3.0, 1.0),
                                             ("context", 1.5, 2.0), ("width", 1.5, 0.95),
                                             ("width", 1.5, 1.05), ("context", 1.5, 1.9)])
def test_saturation_boundary_error_estimates_are_honest(law, nu_v, beta_v):
    """At β = 1 (width) / 2 (context) the law carries log(1/κ): the slopes approach the exponent
    like 1/log, which Aitken's power-law model cannot extrapolate (it was 0.044 off with an
    error estimate of 0.0072 at ν = 1.5, β = 1).  The derived log-corrected model at the
    boundary, and the comparison of both models near it, must bound the true difference."""
    r = _check(law, nu_v, beta_v)
    assert abs(r.value - r.symbolic) <= r.error_estimate, (r.value, r.symbolic, r.error_estimate)
    if beta_v in (1.0, 2.0):
        assert r.error_estimate < 0.05 and "log-corrected" in r.method
