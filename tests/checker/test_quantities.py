"""The quantity registry (solvers.checker.quantities): every quantity has evaluators for its
settings; new quantities register as classes or functions and are checked like the built-in
ones."""
import pytest

from solvers.checker import (QUANTITIES, Evaluator, Quantity, check_claim, parse_claim,
                             register_quantity)
from solvers.checker.params import PARAMS


def test_every_quantity_has_an_evaluator_for_each_setting():
    for name, q in QUANTITIES.items():
        assert set(q.params) <= set(PARAMS), name
        settings = q.settings or (None,)
        for s in settings:
            ev = q.evaluator(s)
            assert ev.numeric is not None or ev.symbolic is not None, (name, s)
    assert QUANTITIES["risk"].settings == ("iso", "rrs", "fs")
    assert QUANTITIES["flow.iso"].evaluator("rrs").symbolic is not None  # no setting: one


class _Square(Evaluator):
    def symbolic(self, p):
        return p["alpha"] ** 2


@pytest.fixture
def registry(monkeypatch):
    """A private copy of the registry, seen by every module that holds it."""
    import solvers.checker.claims as claims
    import solvers.checker.quantities as quantities
    import solvers.checker.registry as reg
    private = dict(QUANTITIES)
    for module in (reg, quantities, claims):
        monkeypatch.setattr(module, "QUANTITIES", private)
    return private


def test_register_a_quantity_class(registry):
    register_quantity(Quantity("test.square", "alpha squared", ("alpha",), _Square()))
    v = check_claim({"name": "sq", "quantity": "test.square", "free": {"alpha": [1, 2]},
                     "claim": "alpha**2"})
    assert (v.status, v.method) == ("verified", "symbolic")
    v = check_claim({"name": "sq", "quantity": "test.square", "free": {"alpha": [1, 2]},
                     "claim": "alpha**2 + alpha/10**6"})
    assert v.status == "refuted" and v.difference == "alpha/1000000"


def test_register_functions_per_setting(registry):
    register_quantity("test.twice", "2 alpha", ("alpha",), settings=("iso",),
                      numeric=lambda p, dps: (2 * p["alpha"], 0))
    c = parse_claim({"name": "t", "quantity": "test.twice", "free": {"alpha": [1, 2]},
                     "claim": "2*alpha"})
    assert c.setting == "iso"   # the only setting is the default
    v = check_claim(c)
    assert (v.status, v.method) == ("verified", "numeric")
    assert "test.twice" not in dict.fromkeys(QUANTITIES)


@pytest.mark.parametrize("which", ["proxy", "C", "risk", "mean"])
def test_sgd_quantities_at_step_inf_are_the_limit_of_late_steps(which):
    """``step = inf`` asks for the n → ∞ limit of the SGD recursion (it used to fail on
    ``int(inf)``): against the closed-form sgd_theory at n = 20000 steps (ρⁿ, aⁿ ~ 1e-20 here),
    independent of the fixed-point formulas."""
    import mpmath

    from solvers.analysis import dynamics as sdyn
    ev = QUANTITIES[f"sgd.{which}"].evaluator(None)
    p = {"alpha": mpmath.mpf(2), "sigma2": mpmath.mpf("0.25"), "eta": mpmath.mpf("0.01"),
         "tau": mpmath.mpf(1), "kappa": mpmath.mpf(1), "step": mpmath.inf}
    with mpmath.workdps(40):
        val, _ = ev.numeric(p, 30)
        late = sdyn.sgd_theory([20000], alpha=2, sigma2="0.25", lr="0.01", tau=1, kappa=1)
        ref = {"proxy": late.extra["proxy"][0], "C": late.extra["C"][0],
               "risk": late.risk[0], "mean": late.gamma[0] - 1 / late.extra["c"]}[which]
        assert abs(val - ref) < mpmath.mpf(10) ** -15
