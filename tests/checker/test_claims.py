"""Reading claims files (solvers.checker.claims): malformed files and fields name the file, the
line, the claim and the field; values outside the model's domain or beyond the work limits are
errors, never verdicts; every field takes its type only."""
import sys

import pytest
import sympy as sp

from solvers import cli
from solvers.checker import ClaimsError, check_claim, check_files, load_claims
from solvers.checker.params import PARAMS, domain_problem
from tests.checker.conftest import GOOD, claim as _claim, write as _write


@pytest.mark.parametrize("text, line, words", [
    # invalid TOML: tomllib's own line/column
    ('[[claim]]\nname = "x"\nquantity = \n', 3, ["invalid TOML", "line 3"]),
    # unknown quantity: the line of the field
    ('[[claim]]\nname = "x"\nquantity = "riskk"\nclaim = "1"\n', 3,
     ["field 'quantity'", "unknown quantity 'riskk'"]),
    # missing claim expression: the [[claim]] header line
    ('title = "t"\n\n[[claim]]\nname = "x"\nquantity = "risk"\nsetting = "iso"\n', 3,
     ["missing required field 'claim'"]),
    # unknown parameter of a quantity
    ('[[claim]]\nname = "x"\nquantity = "risk"\nsetting = "iso"\n'
     'fixed = { depht = 1 }\nclaim = "1"\n', 5, ["field 'fixed'", "unknown parameter 'depht'"]),
    # an empty range
    ('[[claim]]\nname = "x"\nquantity = "risk"\nsetting = "iso"\nfixed = { depth = 1 }\n'
     'free = { alpha = [2, 1] }\nclaim = "1"\n', 6, ["free.alpha", "empty range"]),
    # a symbol the claim does not define
    ('[[claim]]\nname = "x"\nquantity = "risk"\nsetting = "iso"\nfixed = { depth = 1 }\n'
     'free = { alpha = [1, 2] }\nclaim = "1/(1 + alfa)"\n', 7, ["field 'claim'", "alfa"]),
    # precision below 30 digits
    ('[[claim]]\nname = "x"\nquantity = "risk"\nsetting = "iso"\nfixed = { depth = 1 }\n'
     'dps = 15\nclaim = "1"\n', 6, ["field 'dps'", ">= 30"]),
    # bad expectation and bad setting
    ('[[claim]]\nname = "x"\nquantity = "risk"\nsetting = "iso"\nexpect = "maybe"\n'
     'claim = "1"\n', 5, ["field 'expect'"]),
    ('[[claim]]\nname = "x"\nquantity = "risk"\nsetting = "isotropic"\nclaim = "1"\n', 4,
     ["field 'setting'"]),
])
def test_malformed_files_name_file_line_and_field(tmp_path, capsys, text, line, words):
    p = _write(tmp_path, "m.toml", text)
    with pytest.raises(ClaimsError) as exc:
        load_claims(p)
    msg = str(exc.value)
    assert str(p) in msg
    assert f"{p}:{line}:" in msg or f"line {line}," in msg
    for w in words:
        assert w in msg
    assert cli.main(["check", str(p)]) == 2
    err = capsys.readouterr().err
    assert str(p) in err and "Traceback" not in err


def test_all_files_are_validated_before_any_claim_is_checked(tmp_path):
    good = _write(tmp_path, "good.toml", GOOD)
    bad = _write(tmp_path, "bad.toml", GOOD.replace('"risk"', '"nope"', 1))
    with pytest.raises(ClaimsError, match="bad.toml"):
        check_files([good, bad])


def test_missing_optional_module_is_skipped_not_failed(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    v = check_claim(_claim(claim="1/(1 + alpha)", requires="pandas"))
    assert v.status == "skipped" and "requires pandas, not installed" in v.line


def test_requires_names_only_documented_modules():
    with pytest.raises(ClaimsError, match="field 'requires': 'solvers.no_such_module' is not a "
                                          "known optional module"):
        check_claim(_claim(claim="1/(1 + alpha)", requires="solvers.no_such_module"))


# ----------------------------------------------------------------------------- domains

@pytest.mark.parametrize("field, value, words", [
    ("free", {"alpha": [-2, -1]}, ["free.alpha", "alpha=-2 is outside the domain",
                                   "alpha must be a real number > 0, or inf"]),
    ("free", {"alpha": [0, 1]}, None),                 # the points lie inside: 0 itself is fine
    ("free", {"alpha": {"values": [0]}}, ["alpha=0 is outside the domain"]),
    ("fixed", {"depth": 1, "sigma2": "-1/2"}, ["fixed.sigma2", "sigma2=-1/2", ">= 0"]),
    ("fixed", {"depth": "inf", "sigma2": 0}, None),
    ("fixed", {"depth": 0}, ["fixed.depth", "depth=0", "an integer >= 1"]),
    ("fixed", {"depth": 10 ** 8}, ["fixed.depth", "work limit", "<= 10000000"]),
    ("fixed", {"depth": 1, "gamma": "alpha - 1"}, ["fixed.gamma", "gamma=-", "at alpha="]),
])
def test_parameter_domains(field, value, words):
    raw = _claim(claim="1/(1 + alpha)", **{field: value})
    if field == "fixed" and "alpha" not in str(value) and "free" not in raw:
        raw["free"] = {"alpha": [0.1, 10]}
    if words is None:
        check_claim({**raw, "method": "symbolic"})
        return
    with pytest.raises(ClaimsError) as exc:
        check_claim(raw)
    msg = str(exc.value)
    assert "claim 'iso depth-1 optimum'" in msg
    for w in words:
        assert w in msg, msg


def test_every_numeric_parameter_has_a_stated_domain():
    for name, par in PARAMS.items():
        if par.kind in ("real", "int"):
            assert par.domain.startswith(("a real number", "an integer"))
            assert domain_problem(name, sp.nan) is not None
    assert domain_problem("nu", sp.Integer(1)) and domain_problem("nu", sp.Rational(11, 10)) is None
    assert domain_problem("beta", sp.Integer(0)) and domain_problem("beta", sp.oo)
    assert domain_problem("alpha", sp.oo) is None and domain_problem("sigma2", sp.oo)
    assert domain_problem("step", sp.Integer(0)) is None
    assert domain_problem("depth", sp.Rational(3, 2))


# ----------------------------------------------------------------------------- options

@pytest.mark.parametrize("key, value, ok", [
    ("tolerance", "1e-10", True), ("tolerance", 1e-10, True), ("tolerance", "1/3", True),
    ("tolerance", "pi/1000", False), ("tolerance", "2*1e-3", False), ("tolerance", "inf", False),
    ("atol", 0, True), ("atol", -1, False), ("points", 1000, True), ("points", 1001, False),
    ("points", 2.0, False), ("dps", 1000, True), ("dps", 1001, False), ("dps", 29, False),
    ("timeout", 0.5, True), ("timeout", 10 ** 9, False), ("method", "numeric", True),
    ("method", 1, False), ("relation", "<=", True), ("relation", "=<", False),
])
def test_option_types_and_bounds(key, value, ok):
    raw = {**_claim(claim="1/(1 + alpha)", method="symbolic", points=1), key: value}
    if ok:
        check_claim(raw)
    else:
        with pytest.raises(ClaimsError, match=f"field '{key}'"):
            check_claim(raw)


def test_parsed_claim_keeps_exact_values(tmp_path):
    p = _write(tmp_path, "t.toml", """\
        [defaults]
        tolerance = "1e-20"
        points = 3
        timeout = 5

        [[claim]]
        name = "x"
        quantity = "risk"
        setting = "iso"
        fixed = { depth = 1, sigma2 = 0 }
        free = { alpha = [0.1, 10] }
        claim = "1/(1 + alpha)"
        atol = 0.1
        """)
    (c,) = load_claims(p)
    assert c.tolerance == sp.Rational(1, 10 ** 20) and c.atol == sp.Rational(1, 10)
    assert c.points == 3 and c.timeout == 5 and len(c.point_set) == 3
    assert all(sp.Rational(1, 10) < pt["alpha"] < 10 for pt in c.point_set)


def test_budget_and_parameterization_are_checked_when_read():
    raw = {"name": "s", "quantity": "shape.L", "setting": "rrs", "claim": "1",
           "free": {"nu": [1.1, 3], "beta": [0.2, 1]}}
    with pytest.raises(ClaimsError, match="fixed.budget"):
        check_claim({**raw, "fixed": {"budget": "L*N + t"}})
    with pytest.raises(ClaimsError, match="fixed.parameterization"):
        check_claim({"name": "f", "quantity": "flow.rrs", "claim": "0",
                     "fixed": {"lam": [1], "omega": [1], "gamma": 1,
                               "parameterization": "untied"}})
