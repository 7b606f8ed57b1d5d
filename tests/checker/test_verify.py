"""Tests of checking claims (solvers.checker.verify, .verdict) and of ``icl-theory check``.

Expected values come from closed forms written out here (e.g. the depth-1 ISO optimum
1/(1 + α), the RRS time exponent β/(β + 2)), never from the checker's own evaluation path.
Counterexamples are checked against those closed forms at the reported parameters to 1e-25
relative (the checker works at dps = 30; the solvers' error estimates are ~1e-30).
"""
import json
import sys
from decimal import Decimal

import mpmath
import pytest
import sympy as sp

from solvers import cli
from solvers.checker import check_claim, check_files, parse_claim
from solvers.result import to_json

from tests.checker.conftest import GOOD, ISO1, claim as _claim, close as _close, write as _write


# ----------------------------------------------------------------------------- verdicts

def test_true_claim_is_proved_symbolically():
    v = check_claim(_claim(claim="1/(1 + alpha)"))
    assert (v.status, v.method, v.ok) == ("verified", "symbolic", True)
    assert v.line.endswith("verified (symbolic)")


def test_true_claim_numerically_at_many_points():
    v = check_claim(_claim(claim="1/(1 + alpha)", method="numeric", points=7))
    assert (v.status, v.method, v.points) == ("verified", "numeric", 7)
    assert v.max_rel_err < mpmath.mpf("1e-28")
    assert "verified (numeric: 7 points, max rel. err" in v.line


@pytest.mark.parametrize("claim, claimed_of", [
    ("2/(1 + alpha)", lambda a: 2 / (1 + a)),            # off by a factor
    ("1/(1 + alpha)**2", lambda a: 1 / (1 + a) ** 2),    # wrong exponent (the secondary source)
    ("-1/(1 + alpha)", lambda a: -1 / (1 + a)),          # wrong sign
])
def test_wrong_claims_are_refuted_with_a_correct_counterexample(claim, claimed_of):
    v = check_claim(_claim(claim=claim))
    assert v.status == "refuted" and not v.ok
    ce = v.counterexample
    a = ce["params"]["alpha"]
    assert mpmath.mpf("0.1") <= a <= 10
    assert _close(str(ce["exact"]), 1 / (1 + a))           # the true depth-1 optimum there
    assert _close(ce["claimed"], claimed_of(a))
    assert ce["rel_err"] > 0.01
    assert v.line.startswith("[UNEXPECTED]") and "REFUTED: at " in v.line


def test_wrong_exponent_of_a_scaling_law_is_refuted():
    v = check_claim({"name": "rrs time exponent", "quantity": "exponent.time",
                     "setting": "rrs", "free": {"nu": [1.1, 3], "beta": [0.2, 4]},
                     "claim": "beta/(beta + 1)"})
    assert v.status == "refuted"
    b = v.counterexample["params"]["beta"]
    assert _close(v.counterexample["exact"], b / (b + 2))
    assert _close(v.counterexample["claimed"], b / (b + 1))


def test_wrong_sign_of_optimal_gamma_is_refuted():
    v = check_claim({"name": "gamma sign", "quantity": "gamma", "setting": "iso",
                     "fixed": {"depth": 1}, "free": {"alpha": [0.5, 4], "sigma2": [0, 1]},
                     "claim": "-alpha/(alpha + 1 + sigma2)"})
    assert v.status == "refuted"
    p = v.counterexample["params"]
    assert _close(v.counterexample["exact"], p["alpha"] / (p["alpha"] + 1 + p["sigma2"]))


def test_expected_refutation_is_ok_and_deterministic():
    raw = _claim(claim="(1 + alpha)**-2", expect="refuted")
    v1, v2 = check_claim(raw), check_claim(raw)
    assert v1.ok and v1.status == "refuted" and "[expected refuted]" in v1.line
    assert v1.counterexample["params"] == v2.counterexample["params"]


def test_relation_and_slope():
    # R*_1 = 1/(1+α) ≥ max(0, 1 − α) holds; the reverse bound does not
    good = check_claim(_claim(claim="Max(0, 1 - alpha)", relation="<="))
    bad = check_claim(_claim(claim="Max(0, 1 - alpha)", relation=">"))
    assert good.status == "verified" and bad.status == "refuted"
    # d log R/d log α of 1/(1+α) is −α/(1+α)
    slope = check_claim(_claim(claim="-alpha/(1 + alpha)", slope_in="alpha", points=4))
    assert slope.status == "verified"
    assert check_claim(_claim(claim="-1", slope_in="alpha", points=4)).status == "refuted"


def test_fixed_value_as_expression_of_free_parameters():
    # FS one mode with Γ = L/λ: zero risk (Result 3); Γ = L/(2λ) leaves ωλ 2^{−2L}
    base = {"name": "fs", "quantity": "risk", "setting": "fs",
            "free": {"lam": [0.1, 1], "omega": [0.5, 2], "depth": {"values": [1, 3]}}}
    assert check_claim({**base, "fixed": {"gamma": "depth/lam"}, "claim": "0"}).ok
    v = check_claim({**base, "fixed": {"gamma": "depth/(2*lam)"}, "claim": "omega*lam*4**(-L)",
                     "method": "numeric", "points": 3})
    assert v.status == "verified"


def test_matrix_identity_refutation_gives_a_numeric_witness():
    v = check_claim({"name": "printed gamma", "quantity": "model.attention_minus_gd",
                     "fixed": {"transpose": False, "depth": 1}, "claim": "0"})
    assert v.status == "refuted" and v.method == "symbolic"
    assert v.counterexample["exact"] != 0 and v.counterexample["witness"]


def test_verdict_to_dict_is_json_with_every_digit():
    v = check_claim(_claim(claim="2/(1 + alpha)", expect="refuted"))
    d = json.loads(to_json(v.to_dict()), parse_float=Decimal)
    assert d["status"] == "refuted" and d["ok"] is True
    ce = d["counterexample"]
    # numbers are JSON numbers carrying the claim's 30 digits: the exact value there is the
    # depth-1 optimum 1/(1 + alpha) at the reported alpha (closed form, recomputed here)
    assert isinstance(ce["exact"], Decimal) and isinstance(ce["params"]["alpha"], Decimal)
    assert _close(str(ce["exact"]), 1 / (1 + mpmath.mpf(str(ce["params"]["alpha"]))), "1e-28")
    assert len(ce["exact"].as_tuple().digits) >= 28


# ----------------------------------------------------------------------------- files and CLI

def test_cli_exit_status_and_json(tmp_path, capsys):
    good = _write(tmp_path, "good.toml", GOOD)
    assert cli.main(["check", str(good)]) == 0
    out = capsys.readouterr().out
    assert "verified (symbolic)" in out and "REFUTED" in out and "0 unexpected" in out
    bad = _write(tmp_path, "bad.toml", GOOD.replace('expect = "refuted"\n', ""))
    assert cli.main(["check", str(bad), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["unexpected"] == 1 and len(data["verdicts"]) == 2
    assert [v["status"] for v in data["verdicts"]] == ["verified", "refuted"]


def test_directory_means_every_toml(tmp_path):
    _write(tmp_path, "a.toml", GOOD)
    _write(tmp_path, "b.toml", GOOD)
    _write(tmp_path, "notes.md", "not a claims file")
    assert len(check_files([tmp_path])) == 4




# ----------------------------------------------------------------------------- sensitivity

@pytest.mark.parametrize("raw, claim", [
    # through the numeric ISO solver (the symbolic proof finds a nonzero constant difference)
    (ISO1, "(1 + 1e-12)/(1 + alpha)"),
    (ISO1, "1/(1 + alpha) + 1e-12"),
    # through an exact expression evaluated at dps + 10 digits (no numeric solver)
    ({"name": "t", "quantity": "exponent.time", "setting": "rrs",
      "free": {"nu": [1.1, 3], "beta": [0.2, 4]}}, "(1 + 1e-12)*beta/(beta + 2)"),
])
def test_a_claim_off_by_1e_12_is_refuted_at_dps_30(raw, claim):
    """The default tolerance is 10^-(dps/2) = 1e-15 relative: a claim wrong in the 12th digit is
    refuted (a tolerance 10^6 times too loose would verify it), and the reported relative error
    is the offset, 1e-12 to 1 %, at the worst point."""
    v = check_claim({**raw, "claim": claim})
    assert v.status == "refuted", v.line
    ce = v.counterexample
    exact = (1 / (1 + ce["params"]["alpha"]) if "alpha" in ce["params"]
             else ce["params"]["beta"] / (ce["params"]["beta"] + 2))
    assert _close(ce["exact"], exact)
    assert abs(ce["rel_err"] / mpmath.mpf("1e-12") - 1) < 0.01 or "+ 1e-12" in claim


def test_a_claim_off_by_1e_20_passes_only_with_the_default_tolerance():
    """The converse: 1e-20 relative is below the default tolerance (verified); with an explicit
    tolerance of 1e-25 it is refuted — the tolerance is the only thing between them."""
    claim = "(1 + 1e-20)/(1 + alpha)"
    assert check_claim(_claim(claim=claim, method="numeric", points=3)).status == "verified"
    v = check_claim(_claim(claim=claim, method="numeric", points=3, tolerance="1e-25"))
    assert v.status == "refuted"


# ----------------------------------------------------------------------------- reports

def test_refutation_gives_the_symbolic_difference():
    """claim − exact for the printed (1 + α)⁻² against 1/(1 + α) is −α/(1 + α)²: the reported
    text parses (whitelist parser) to an expression equal to it."""
    from theory import symbols as S
    from theory.parse import parse_expression
    v = check_claim(_claim(claim="(1 + alpha)**-2"))
    assert v.status == "refuted" and v.difference
    got = parse_expression(v.difference, {"alpha": S.alpha})
    a = S.alpha
    assert sp.simplify(got - (-a / (1 + a) ** 2)) == 0
    assert f"claim - exact = {v.difference}" in v.line
    # a numeric solver without an exact expression gives no difference
    w = check_claim({"name": "w", "quantity": "context.risk", "setting": "iso", "points": 2,
                     "fixed": {"depth": 1, "sigma2": 0}, "free": {"alpha": [0.5, 2]},
                     "claim": "2/(1 + alpha)"})
    assert w.status == "refuted" and w.difference is None


def test_inequality_reports_its_margin():
    """R*_1 = 1/(1 + α) ≥ max(0, 1 − α): the margin is the smallest exact − claim over the
    points, computed here from the closed form at every point of the claim."""
    raw = _claim(claim="Max(0, 1 - alpha)", relation="<=", method="numeric")
    v = check_claim(raw)
    assert v.status == "verified" and v.margin is not None
    parsed = parse_claim(raw)
    slack = [1 / (1 + mpmath.mpf(sp.N(pt["alpha"], 40))) - max(0, 1 - mpmath.mpf(
        sp.N(pt["alpha"], 40))) for pt in parsed.point_set]
    assert _close(v.margin, min(slack), "1e-20")
    assert _close(v.margin_at["alpha"], parsed.point_set[slack.index(min(slack))]["alpha"])
    assert "smallest margin exact - claim = " in v.line
    bad = check_claim(_claim(claim="1 - alpha/10", relation="<=", method="numeric"))
    assert bad.status == "refuted" and bad.margin < 0


def test_check_progress_bar_on_a_terminal(tmp_path, capsys, monkeypatch):
    """On a terminal an overall progress bar (claims done / total) goes to stderr; verdict lines
    stay on stdout; with --json there is none."""
    good = _write(tmp_path, "good.toml", GOOD)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert cli.main(["check", str(good)]) == 0
    out, err = capsys.readouterr()
    assert "2/2" in err and "claim" in err
    assert out.count("[ok]") == 2 and "2 claims:" in out
    assert cli.main(["check", str(good), "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and json.loads(out)["ok"] is True


def test_a_claim_that_cannot_be_checked_is_an_error_not_a_pass(tmp_path, capsys):
    """A quantity that is not available at the claim's parameters (here the exponent of t
    under a budget without t) gives ERROR and exit 1 — never "skipped" with exit 0, which
    would let CI pass a claim nobody checked.  Only a missing optional module skips."""
    raw = {"name": "no t", "quantity": "shape.t", "setting": "rrs",
           "fixed": {"nu": 1.5, "beta": 1, "budget": "P*N"}, "claim": "1"}
    v = check_claim(raw)
    assert v.status == "error" and not v.ok and "not in budget" in v.line
    path = tmp_path / "c.toml"
    path.write_text('[[claim]]\nname = "no t"\nquantity = "shape.t"\nsetting = "rrs"\n'
                    'fixed = { nu = 1.5, beta = 1, budget = "P*N" }\nclaim = "1"\n')
    assert cli.main(["check", str(path)]) == 1
    assert "1 unexpected" in capsys.readouterr().out
