"""The quantity registry (solvers.checker.quantities): every quantity has evaluators for its
settings; new quantities register as classes or functions and are checked like the built-in
ones."""
import pytest
import sympy as sp

from solvers.checker import (QUANTITIES, Evaluator, Quantity, check_claim, parse_claim,
                             register_quantity)
from solvers.checker.params import PARAMS
from theory import symbols as S


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
    monkeypatch.setattr("solvers.checker.quantities.QUANTITIES", dict(QUANTITIES))
    import solvers.checker.claims as claims
    import solvers.checker.quantities as quantities
    monkeypatch.setattr(claims, "QUANTITIES", quantities.QUANTITIES)
    return quantities.QUANTITIES


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
