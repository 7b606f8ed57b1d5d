"""Compute-optimal shape: the sympy Lagrange solution versus a brute-force numerical minimisation
of the separable law (an independent route), plus the default-budget shape L ∝ N^{ν min(β,1)/β}
(L ∝ N^ν for β ≤ 1) and input validation.

Brute force: minimise ``Σ c_i r_i^{−a_i}`` over ``log r_i`` on the budget surface with scipy at
several budgets, then read the exponents off as slopes of ``log r_i*`` against ``log C``; the
separable law's optimum is an exact power law in C, so the slopes agree to the optimiser's
tolerance (1e-6); we allow 1e-4.
"""
import json
from decimal import Decimal

import numpy as np
import pytest

from solvers.result import to_json
import sympy as sp
from scipy.optimize import minimize, minimize_scalar
from scipy.special import logsumexp

from solvers.analysis.shape import shape
from theory import shape as tshape
from theory.symbols import L, N, beta, nu

PAIRS = [(1.5, 1.0), (2.0, 0.5), (1.3, 1.7), (2.5, 3.0)]


def _a(nu_v, beta_v):
    """Decay exponents of the RRS separable law (typed here on purpose as the independent
    reference for the brute force): width saturates at ν for β > 1 (projection limit, linear in
    κ), context at 2ν for β > 2 (dmft.md ridge form)."""
    return {"t": beta_v / (beta_v + 2), "N": nu_v * min(beta_v, 1.0), "L": beta_v,
            "P": nu_v * min(beta_v, 2.0)}


def _brute_force(a, c, powers, logC):
    """argmin of Σ c_i r_i^{−a_i} subject to Σ b_i log r_i = logC: eliminate the last resource."""
    names = list(powers)
    last = names[-1]

    def logs(z):
        x = dict(zip(names[:-1], z))
        x[last] = (logC - sum(powers[r] * x[r] for r in names[:-1])) / powers[last]
        return x

    def obj(z):
        x = logs(z)
        return logsumexp([np.log(c[r]) - a[r] * x[r] for r in names])

    z0 = np.full(len(names) - 1, logC / sum(powers.values()))
    if len(names) == 2:
        res = minimize_scalar(lambda s: obj([s]), bracket=(z0[0] - 1, z0[0] + 1), tol=1e-12)
        z = [res.x]
        val = res.fun
    else:
        res = minimize(obj, z0, method="BFGS", options={"gtol": 1e-11})
        z, val = res.x, res.fun
    return logs(z), val


def _brute_exponents(a, c, powers, logCs=(40.0, 60.0, 80.0)):
    xs, vals = zip(*[_brute_force(a, c, powers, lc) for lc in logCs])
    ex = {r: np.polyfit(logCs, [x[r] for x in xs], 1)[0] for r in powers}
    risk = -np.polyfit(logCs, vals, 1)[0]
    return ex, risk, xs, vals


@pytest.mark.parametrize("nu_v,beta_v", PAIRS)
def test_default_budget_gives_L_proportional_to_N_to_the_nu(nu_v, beta_v):
    r = shape(nu_v, beta_v)
    q = float(r.L_vs_N[1])
    expected = nu_v if beta_v <= 1 else nu_v / beta_v         # width saturates beyond β = 1
    assert q == pytest.approx(expected, rel=1e-12)
    assert float(r.exponent("L")) / float(r.exponent("N")) == pytest.approx(expected, rel=1e-12)


def test_default_budget_symbolic_ratio_is_nu_below_saturation():
    sol = tshape.optimal_shape()
    ratio = sol.ratio(L, N)                                   # symbolic in ν, β
    for bv in (sp.Rational(1, 3), sp.Rational(9, 10), 1):
        assert sp.simplify(ratio.subs(beta, bv) - nu) == 0
    for bv in (sp.Rational(3, 2), sp.Rational(19, 10), sp.Rational(5, 2), 4):
        assert sp.simplify(ratio.subs(beta, bv) - nu / bv) == 0


@pytest.mark.parametrize("budget", ["L*N", "L*N**2"])
@pytest.mark.parametrize("nu_v,beta_v", PAIRS)
def test_parameter_budget_matches_brute_force(budget, nu_v, beta_v):
    r = shape(nu_v, beta_v, budget=budget)
    powers = {"L": 1.0, "N": 1.0 if budget == "L*N" else 2.0}
    a = {k: v for k, v in _a(nu_v, beta_v).items() if k in powers}
    c = {"L": 0.7, "N": 2.0}
    ex, risk, _, _ = _brute_exponents(a, c, powers)
    for k in powers:
        assert float(r.exponent(k)) == pytest.approx(ex[k], abs=1e-4)
    assert float(r.risk[1]) == pytest.approx(risk, abs=1e-4)
    # closed form derived by hand for C = L N: e_L = a_N/(a_L + a_N), e_N = a_L/(a_L + a_N)
    if budget == "L*N":
        aL, aN = a["L"], a["N"]
        assert float(r.exponent("L")) == pytest.approx(aN / (aL + aN), rel=1e-12)
        assert float(r.exponent("N")) == pytest.approx(aL / (aL + aN), rel=1e-12)


@pytest.mark.parametrize("nu_v,beta_v", PAIRS[:2])
def test_constants_of_the_optimum_match_brute_force(nu_v, beta_v):
    c = {"L": 0.7, "N": 2.0}
    r = shape(nu_v, beta_v, budget="L*N", constants=c)
    a = {k: v for k, v in _a(nu_v, beta_v).items() if k in c}
    logC = 50.0
    x, val = _brute_force(a, c, {"L": 1.0, "N": 1.0}, logC)
    for k in c:
        predicted = np.log(float(r.constants[k])) + float(r.exponent(k)) * logC
        assert predicted == pytest.approx(x[k], abs=1e-5)
    predicted_risk = np.log(float(r.risk_constant)) - float(r.risk[1]) * logC
    assert predicted_risk == pytest.approx(val, abs=1e-8)


@pytest.mark.parametrize("nu_v,beta_v", PAIRS[:3])
def test_default_budget_matches_brute_force(nu_v, beta_v):
    r = shape(nu_v, beta_v)
    powers = {"t": 1.0, "P": 2.0, "N": 2.0, "L": 1.0}
    c = {"t": 1.3, "P": 0.4, "N": 2.0, "L": 0.9}
    ex, risk, _, _ = _brute_exponents(_a(nu_v, beta_v), c, powers)
    for k in powers:
        assert float(r.exponent(k)) == pytest.approx(ex[k], abs=1e-4)
    assert float(r.risk[1]) == pytest.approx(risk, abs=1e-4)


def test_parameter_budget_two_thirds_allocation_needs_nu_two():
    """Mehta–Gupta's L* ∝ (LN)^{2/3}: holds under the RRS law exactly when ν = 2 (β ≤ 1)."""
    assert float(shape(2.0, 1.0, budget="L*N").exponent("L")) == pytest.approx(2 / 3)
    assert float(shape(1.5, 1.0, budget="L*N").exponent("L")) != pytest.approx(2 / 3, abs=1e-3)
    sol = tshape.optimal_shape("L*N")
    assert sp.solve(sp.Eq(sol.exponents[L].subs(beta, 1), sp.Rational(2, 3)), nu) == [2]


def test_to_dict_keys_and_parsable_exprs():
    d = shape(1.5, 1.0, budget="L*N**2").to_dict()
    json.loads(to_json(d), parse_float=Decimal)  # valid JSON, numbers with all digits
    for k in ("L", "N", "risk"):
        expr = sp.sympify(d[k]["expr"], locals={"nu": nu, "beta": beta})
        assert float(expr.subs({nu: 1.5, beta: 1.0})) == pytest.approx(float(d[k]["value"]))
    assert "t" not in d and "P" not in d and set(d["dropped"]) == {"t", "P"}


def test_fs_budget_puts_everything_into_time():
    r = shape(2.0, 1.0, setting="fs")
    assert float(r.exponent("t")) == pytest.approx(1.0)
    assert all(float(r.exponent(k)) == 0 for k in ("P", "N", "L"))
    assert set(r.fixed) == {"P", "N", "L"}
    assert float(r.risk[1]) == pytest.approx(2 / 7)


@pytest.mark.parametrize("budget", ["x*N", "N+L", "N**-1*L", "", "L*N*nu", "sin(N)", "N**L",
                                    "L*N)", 3, "0*N"])
def test_invalid_budget_raises_naming_budget(budget):
    with pytest.raises(ValueError, match="budget"):
        shape(1.5, 1.0, budget=budget)


@pytest.mark.parametrize("kwargs,name", [
    (dict(setting="iso"), "setting"),
    (dict(nu=1.0), "nu"),
    (dict(beta=-1), "beta"),
    (dict(budget="L*N", constants={"L": 1.0}), "constants"),
    (dict(budget="L*N", constants={"L": 1.0, "N": -2.0}), "constants"),
])
def test_invalid_inputs_raise(kwargs, name):
    args = dict(nu=1.5, beta=1.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        shape(**args)


def test_fs_budget_without_time_is_rejected():
    with pytest.raises(ValueError, match="budget"):
        shape(1.5, 1.0, budget="L*N", setting="fs")
