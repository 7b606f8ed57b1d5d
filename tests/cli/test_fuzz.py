"""Hostile input, kept as tests (issue 16): every case gives one line on stderr, the right exit
status (2 bad input, 3 did not converge or diverged, 130 interrupted), no traceback, no silent
nan/inf, no ignored flag, no hang — and no payload ever runs.

Payloads only ever write marker files inside ``tmp_path``; each test asserts its marker is absent.
Runs go through the in-process command line (the ``cli`` fixture of tests/conftest.py); hang cases
are bounded by :data:`FAST` seconds of wall time (a refusal must come before any work).  Exact
references are computed here independently (closed forms), never by the code under test.
"""
from __future__ import annotations

import json
import os
import sys
import time
from decimal import Decimal
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

import solvers
from solvers.checker import ClaimsError, check_claim

#: wall-clock bound (s) for a refusal or a bounded run: generous for a loaded 2-core machine;
#: the unbounded cases this guards against run for minutes to hours
FAST = 5.0

BASE = {"name": '"c"', "quantity": '"risk"', "setting": '"iso"',
        "fixed": "{ depth = 1, sigma2 = 0 }", "free": "{ alpha = [0.1, 10] }",
        "claim": '"1/(1 + alpha)"'}


def _toml(fields=None, defaults=None, drop=()):
    """A one-claim file with ``fields`` (TOML value text) replacing those of :data:`BASE` (a
    None value drops the field, as does a name in ``drop``)."""
    fields = {**BASE, **(fields or {})}
    head = "[defaults]\n" + "".join(f"{k} = {v}\n" for k, v in defaults.items()) + "\n" \
        if defaults else ""
    return head + "[[claim]]\n" + "".join(f"{k} = {v}\n" for k, v in fields.items()
                                          if k not in drop and v is not None)


def _lit(s):
    return "'''" + s + "'''"


def _one_line(err):
    """stderr is exactly one non-empty line and no traceback."""
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def check(cli, tmp_path):
    """``check(text) -> (status, stdout, the one stderr line or '', path, seconds)``."""
    def run(text, *flags, name="claims.toml", mode="w"):
        p = tmp_path / name
        if mode == "wb":
            p.write_bytes(text)
        else:
            p.write_text(text)
        t0 = time.perf_counter()
        code, out, err = cli("check", str(p), *flags)
        dt = time.perf_counter() - t0
        return code, out, (_one_line(err) if code == 2 else err), p, dt
    return run


def refused(cli, *argv, status=2, words=()):
    """Run ``argv``; assert the status, one stderr line naming ``words``, and speed."""
    t0 = time.perf_counter()
    code, out, err = cli(*argv)
    dt = time.perf_counter() - t0
    assert code == status, (code, out, err)
    line = _one_line(err)
    for w in words:
        assert w in line, line
    assert dt < FAST, f"{argv}: {dt:.1f} s"
    return line, out


# ----------------------------------------------------------------------------- code execution

PAYLOADS = [
    "__import__('os').system('touch {m}')",
    "open('{m}', 'w')",
    "(lambda: open('{m}', 'w'))()",
    "getattr(__builtins__, chr(111) + chr(112) + chr(101) + chr(110))('{m}', 'w')",
    "[c for c in ().__class__.__base__.__subclasses__()]",
]

# every string field of a claims file that a former checker evaluated as Python
FIELDS = {
    "claim": lambda p: {"claim": p},
    "where": lambda p: {"where": "{ c = " + p + " }", "claim": '"c"'},
    "fixed formula": lambda p: {"fixed": "{ depth = 1, sigma2 = 0, gamma = " + p + " }"},
    "fixed number": lambda p: {"fixed": "{ depth = 1, sigma2 = " + p + " }"},
    "fixed lam list": lambda p: {"setting": '"fs"', "free": "{ gamma = [0, 1] }",
                                 "fixed": "{ depth = 1, omega = [1], lam = [" + p + "] }",
                                 "claim": '"0"'},
    "budget": lambda p: {"quantity": '"shape.L"', "setting": '"rrs"',
                         "fixed": "{ budget = " + p + " }",
                         "free": "{ nu = [1.1, 3], beta = [0.2, 1] }", "claim": '"1"'},
    "free lo": lambda p: {"free": "{ alpha = [" + p + ", 10] }"},
    "free hi": lambda p: {"free": "{ alpha = [0.1, " + p + "] }"},
    "free values": lambda p: {"free": "{ alpha = { values = [" + p + "] } }"},
    "tolerance": lambda p: {"tolerance": p},
    "atol": lambda p: {"atol": p},
    "requires": lambda p: {"requires": p},
    "quantity": lambda p: {"quantity": p},
    "setting": lambda p: {"setting": p},
    "relation": lambda p: {"relation": p},
    "method": lambda p: {"method": p},
    "expect": lambda p: {"expect": p},
    "slope_in": lambda p: {"slope_in": p},
}


@pytest.mark.parametrize("field", list(FIELDS))
@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_claims_field_runs_code(check, tmp_path, field, payload):
    m = tmp_path / "marker"
    code, out, line, p, dt = check(_toml(FIELDS[field](_lit(payload.format(m=m)))))
    assert code == 2 and str(p) in line and "field" in line and dt < FAST
    assert not m.exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_defaults_tolerance_runs_no_code(check, tmp_path, payload):
    m = tmp_path / "marker"
    code, out, line, p, dt = check(_toml(defaults={"tolerance": _lit(payload.format(m=m))}))
    assert code == 2 and "defaults.tolerance" in line and not m.exists()


@pytest.mark.parametrize("field", ["name", "note"])
def test_display_fields_are_only_shown(check, tmp_path, field):
    m = tmp_path / "marker"
    code, out, err, p, dt = check(_toml({field: _lit(PAYLOADS[1].format(m=m))}))
    assert code == 0 and "verified (symbolic)" in out and not m.exists()


@pytest.mark.parametrize("module", ["this", "os", "antigravity", "solvers.no_such_module"])
def test_requires_imports_only_documented_modules(check, module):
    before = set(sys.modules)
    code, out, line, p, dt = check(_toml({"requires": f'"{module}"'}))
    assert code == 2 and "field 'requires'" in line and "valid: " in line
    assert "Zen of Python" not in out
    assert not ({"this", "antigravity"} & (set(sys.modules) - before))


def test_power_tower_in_a_claim_fails_fast(check):
    code, out, line, p, dt = check(_toml({"claim": '"9**9**9**9"'}))
    assert code == 2 and "exponent" in line and dt < FAST


@pytest.mark.parametrize("budget", ["__import__('os').system('touch {m}')", "open('{m}','w')"])
def test_shape_budget_runs_no_code(cli, tmp_path, budget):
    m = tmp_path / "marker"
    refused(cli, "shape", "--nu", "1.5", "--beta", "1", "--budget", budget.format(m=m),
            words=["budget="])
    with pytest.raises(ValueError, match="budget"):
        solvers.shape(1.5, 1, budget=budget.format(m=m))
    assert not m.exists()


def test_shape_budget_power_tower_fails_fast(cli):
    refused(cli, "shape", "--nu", "1.5", "--beta", "1", "--budget", "9**9**9*t",
            words=["budget=", "max_exponent"])


# ----------------------------------------------------------------------------- wrong verdicts

@pytest.mark.parametrize("fields, words", [
    ({"free": "{ alpha = [-2, -1] }"}, ["free.alpha", "alpha=-2", "> 0"]),
    ({"fixed": "{ depth = 0, sigma2 = 0 }"}, ["fixed.depth", "depth=0", "integer >= 1"]),
    ({"fixed": "{ depth = 1, sigma2 = -1 }"}, ["fixed.sigma2", "sigma2=-1", ">= 0"]),
    ({"free": "{ alpha = [nan, 10] }"}, ["free.alpha", "nan"]),
    ({"free": "[nan, 10]"}, ["field 'free' must be a table"]),
    ({"free": "{ alpha = { values = [1, -3] } }"}, ["free.alpha", "alpha=-3"]),
    ({"fixed": '{ depth = 1, sigma2 = 0, gamma = "-alpha" }'},
     ["fixed.gamma", "gamma=-", ">= 0"]),
    ({"fixed": "{ depth = 1.5, sigma2 = 0 }"}, ["fixed.depth", "not an integer"]),
    ({"quantity": '"exponent.time"', "setting": '"rrs"', "fixed": "{}",
      "free": "{ nu = [0.5, 0.9], beta = [0.2, 1] }", "claim": '"1"'},
     ["free.nu", "nu=", "> 1"]),
    ({"quantity": '"exponent.time"', "setting": '"rrs"', "fixed": "{ nu = 1 }",
      "free": "{ beta = [0.2, 1] }", "claim": '"1"'}, ["fixed.nu", "nu=1", "> 1"]),
    ({"quantity": '"exponent.time"', "setting": '"rrs"', "fixed": "{}",
      "free": "{ nu = [1.1, 3], beta = [-1, 1] }", "claim": '"1"'},
     ["free.beta", "beta=-1", "> 0"]),
    ({"setting": '"fs"', "fixed": "{ depth = 1, gamma = 1, lam = [1, -0.5], omega = [1, 1] }",
      "free": "{}", "claim": '"0"'}, ["fixed.lam", "lam=-1/2", "> 0"]),
])
def test_parameters_outside_the_domain_are_errors_not_verdicts(check, fields, words):
    code, out, line, p, dt = check(_toml(fields))
    assert code == 2 and str(p) in line and "claim 'c'" in line and out == ""
    for w in words:
        assert w in line, line


def test_domain_errors_from_the_python_api():
    raw = {"name": "c", "quantity": "risk", "setting": "iso", "fixed": {"depth": 1},
           "free": {"alpha": [-2, -1]}, "claim": "1/(1 + alpha)"}
    with pytest.raises(ClaimsError, match=r"alpha=-2 is outside the domain: alpha must be a "
                                          r"real number > 0, or inf"):
        check_claim(raw)


# ----------------------------------------------------------------------------- number fields

@pytest.mark.parametrize("fields, words", [
    ({"tolerance": '"1e-3*2"'}, ["field 'tolerance'"]),
    ({"tolerance": '"pi/100"'}, ["field 'tolerance'"]),
    ({"tolerance": '"inf"'}, ["field 'tolerance'", "inf"]),
    ({"tolerance": "nan"}, ["field 'tolerance'", "nan"]),
    ({"tolerance": "-1e-3"}, ["field 'tolerance'", ">= 0"]),
    ({"atol": "[1]"}, ["field 'atol'"]),
    ({"points": "1e9"}, ["field 'points'", "<= 1000"]),
    ({"points": "1000000000"}, ["field 'points'", "<= 1000"]),
    ({"points": "0"}, ["field 'points'"]),
    ({"points": "true"}, ["field 'points'"]),
    ({"dps": "100000"}, ["field 'dps'", "<= 1000"]),
    ({"dps": "50.0"}, ["field 'dps'"]),
    ({"timeout": '"1"'}, ["field 'timeout'"]),
    ({"timeout": "0"}, ["field 'timeout'"]),
    ({"result": "{ a = 1 }"}, ["field 'result'"]),
    ({"name": "1"}, ["field 'name'"]),
    ({"quantity": "[1]"}, ["field 'quantity'"]),
])
def test_number_and_choice_fields_take_their_type_only(check, fields, words):
    code, out, line, p, dt = check(_toml(fields))
    assert code == 2 and dt < FAST
    for w in words:
        assert w in line, line


def test_defaults_are_validated_like_claims(check):
    code, out, line, p, dt = check(_toml(defaults={"points": "1000000000"}))
    assert code == 2 and "defaults.points" in line


# ----------------------------------------------------------------------------- TOML itself

def test_deeply_nested_toml_is_one_line(check):
    code, out, line, p, dt = check("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert code == 2 and "invalid TOML" in line and dt < FAST


def test_binary_and_oversized_files_are_one_line(check, tmp_path):
    code, out, line, p, dt = check(b"\xff\xfe\x00claim", mode="wb")
    assert code == 2 and "UTF-8" in line
    code, out, line, p, dt = check("# " + "x" * 2_000_000 + "\n", name="big.toml")
    assert code == 2 and "limit" in line


# ----------------------------------------------------------------------------- unbounded work

@pytest.mark.parametrize("fields, words", [
    ({"fixed": "{ depth = 1000000000, sigma2 = 0 }"}, ["fixed.depth", "work limit"]),
    ({"quantity": '"risk"', "setting": '"rrs"', "fixed": "{ nu = 1.5, beta = 1, depth = 2 }",
      "free": "{ dim = { values = [1000000000] } }", "claim": '"1"'},
     ["free.dim", "work limit", "inf"]),
    ({"quantity": '"model.attention_minus_gd"', "setting": None, "fixed": "{ D = 100 }",
      "free": "{}", "claim": '"0"'}, ["fixed.D", "<= 8"]),
])
def test_sizes_beyond_the_work_limits_are_refused(check, fields, words):
    code, out, line, p, dt = check(_toml(fields))
    assert code == 2 and dt < FAST
    for w in words:
        assert w in line, line


HUGE_DEPTH = {"setting": '"rrs"', "method": '"symbolic"',
              "fixed": '{ depth = 100000, lam = ["1/3"], omega = [2], gamma = 1 }',
              "free": "{}"}


@pytest.mark.parametrize("claim", ['"(1/3)**L"', '"3**(L**2)"', '"(1 + 1/gamma)**(L*L)"',
                                   '"Gamma(L*L)"', '"binomial(L*L, L)"'])
def test_huge_values_substituted_into_a_formula_do_not_hang(check, claim):
    """x**L with L = 10**5 from the same file: exact rational arithmetic would build numbers of
    a million to 10**10 digits (one uninterruptible big-integer operation, minutes to forever);
    the checker evaluates such powers in floats instead — in the claim and in the exact closed
    form (ω λ (1 − λγ/L)^{2L} here, whose exact value has millions of digits)."""
    code, out, err, p, dt = check(_toml({**HUGE_DEPTH, "claim": claim}))
    assert code in (0, 1) and ("REFUTED" in out or "verified" in out), (out, err)
    assert "Traceback" not in err and dt < FAST


def test_the_float_path_keeps_the_digits():
    """The float evaluation of a huge power is still right to the claim's precision: at L = 10**5
    the one-mode RRS landscape ω λ (1 − λγ/L)^{2L} (λ = 1/3, ω = 2, γ = 1) equals the closed
    form written out here, evaluated independently with mpmath at 80 digits, to 1e-45 at
    dps = 60; a claim 1e-35 off is refuted."""
    with mpmath.workdps(80):
        L = 10 ** 5
        lam = mpmath.mpf(1) / 3
        ref = 2 * lam * (1 - lam / L) ** (2 * L)
        text, off = mpmath.nstr(ref, 60), mpmath.nstr(ref * (1 + mpmath.mpf("1e-35")), 60)
    raw = {"name": "c", "quantity": "risk", "setting": "rrs", "method": "symbolic", "dps": 60,
           "tolerance": "1e-45", "atol": "1e-55",
           "fixed": {"depth": L, "lam": ["1/3"], "omega": [2], "gamma": 1}}
    assert check_claim({**raw, "claim": text}).status == "verified"
    assert check_claim({**raw, "claim": off}).status == "refuted"


def test_slow_closed_forms_stop_at_the_time_limit(check):
    """theory.fs.mode_flow simplifies (1 − λγ/L)^{2L−1}: at L = 10**5 that takes very long; the
    claim's time limit ends it with an ERROR naming the limit."""
    code, out, err, p, dt = check(_toml({"quantity": '"fs.mode_flow"', "setting": None,
                                         "fixed": '{ depth = 100000, lam = "1/3", omega = 2, '
                                                  'gamma = 1 }',
                                         "free": "{}", "claim": '"0"', "timeout": "2"}))
    assert code == 1 and "time limit of 2 s exceeded" in out and dt < FAST


def test_claim_time_limit_is_an_error_verdict(check):
    """The optimal γ of ISO at depth 10**5 takes about a minute; with ``timeout = 1`` the claim
    stops after about a second with an ERROR naming the limit (exit status 1)."""
    code, out, err, p, dt = check(_toml({"fixed": "{ depth = 100000, sigma2 = 0 }",
                                         "free": "{ alpha = [0.5, 2] }", "claim": '"0"',
                                         "timeout": "1"}))
    assert code == 1 and "ERROR (time limit of 1 s exceeded" in out and dt < FAST
    assert "Traceback" not in err


def test_check_timeout_flag(check):
    code, out, line, p, dt = check(_toml(), "--timeout", "-1")
    assert code == 2 and "timeout=" in line


# ----------------------------------------------------------------------------- command line

@pytest.mark.parametrize("argv, words", [
    # tracebacks once
    (["simulate", "iso"], ["depth=None"]),
    (["sweep", "simulate.risk", "iso", "--grid", "alpha=1"], ["None"]),
    (["risk", "iso", "--alpha", "1", "--depth", "2", "--dps", "100000"], ["dps=", "<= 1000"]),
    (["dynamics", "iso", "--alpha", "1", "--times", "1"], ["depth=None"]),
    # memory bombs in the simulator
    (["simulate", "iso", "--alpha", "1", "--depth", "2", "--dim", "1e9"], ["dim="]),
    (["simulate", "iso", "--alpha", "1", "--depth", "2", "--contexts", "1e12"], ["contexts="]),
    (["simulate", "iso", "--alpha", "1", "--depth", "1e9"], ["depth=", "100000"]),
    (["simulate", "iso", "--alpha", "1e12", "--depth", "2"], ["context P="]),
    # hangs: refused before any work, the limit named
    (["risk", "iso", "--alpha", "1", "--depth", "1e9"], ["depth=", "work limit"]),
    (["risk", "rrs", "--nu", "1.5", "--beta", "1", "--depth", "1e9"], ["depth=", "work limit"]),
    (["risk", "rrs", "--nu", "1.5", "--beta", "1", "--depth", "2", "--dim", "1e9"],
     ["dim=", "work limit"]),
    (["risk", "rrs", "--nu", "1.5", "--beta", "1", "--depth", "2", "--width", "1e9"],
     ["width=", "work limit"]),
    (["risk", "rrs", "--nu", "1.5", "--beta", "1", "--depth", "2", "--context", "1e9"],
     ["context=", "work limit"]),
    (["dynamics", "iso", "--alpha", "1", "--depth", "1e9", "--times", "1"], ["depth="]),
    (["dynamics", "rrs", "--nu", "1.5", "--beta", "1", "--depth", "2", "--dim", "1e9",
      "--times", "1"], ["dim="]),
    (["dynamics", "iso", "--alpha", "1", "--depth", "2",
      "--times", ",".join(str(i / 100) for i in range(20_000))], ["20000 values", "1000"]),
    (["sweep", "risk", "iso", "--grid", "alpha=0.1:10:log1000000000", "--grid", "depth=1"],
     ["point count", "100000"]),
    # ignored flags
    (["risk", "iso", "--alpha", "1", "--depth", "1", "--time", "1", "--gamma", "1"],
     ["time=", "gamma"]),
    (["simulate", "iso", "--alpha", "1", "--depth", "1", "--gamma", "1", "--train-steps", "5",
      "--lr", "0.1"], ["gamma=", "--train-steps"]),
    (["simulate", "iso", "--alpha", "1", "--depth", "1", "--untied"], ["--untied"]),
    (["simulate", "iso", "--alpha", "1", "--depth", "1", "--lr", "0.1"], ["--lr"]),
    (["simulate", "iso", "--alpha", "1", "--depth", "1", "--batch", "4"], ["--batch"]),
    # outputs validated before computing
    (["report", "--out", ""], ["out=''"]),
])
def test_bad_command_lines_are_one_line_and_fast(cli, argv, words):
    refused(cli, *argv, words=words)


def test_sweep_and_report_outputs_are_checked_first(cli, tmp_path):
    refused(cli, "sweep", "risk", "iso", "--grid", "alpha=1", "--grid", "depth=1", "--out",
            tmp_path / "missing" / "x.csv", words=["does not exist"])
    refused(cli, "sweep", "risk", "iso", "--grid", "alpha=1", "--grid", "depth=1", "--out",
            tmp_path, words=["directory"])
    f = tmp_path / "file"
    f.write_text("keep")
    refused(cli, "report", "--out", f, words=["existing file"])
    assert f.read_text() == "keep"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write everywhere")
def test_unwritable_outputs_are_refused(cli, tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    try:
        refused(cli, "sweep", "risk", "iso", "--grid", "alpha=1", "--grid", "depth=1", "--out",
                d / "x.csv", words=["not writable"])
        refused(cli, "report", "--out", d / "r", words=["not writable"])
    finally:
        d.chmod(0o700)


def test_finite_context_large_depth_is_cheap(cli):
    """Depth 10**5 (and gamma up to 50) at finite context once needed N×N kernels with N > depth
    (terabytes); the contour's node count no longer grows with depth or gamma, so it runs in
    about a second with a few hundred nodes."""
    import json
    t0 = time.perf_counter()
    code, out, err = cli("risk", "rrs", "--nu", "1.5", "--beta", "1", "--alpha", "1", "--dim",
                         "100", "--depth", "100000", "--gamma", "30", "--dps", "15", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["nodes"] <= 1024 and 0 < d["risk"] < 1
    assert time.perf_counter() - t0 < 30


def test_unreachable_scheduler_is_one_line(cli, monkeypatch):
    pytest.importorskip("distributed")
    import solvers.sweep
    monkeypatch.setattr(solvers.sweep, "CONNECT_TIMEOUT", 1)
    refused(cli, "sweep", "risk", "iso", "--grid", "alpha=1", "--grid", "depth=1",
            "--scheduler", "tcp://127.0.0.1:9", words=["scheduler="])


# ----------------------------------------------------------------------------- silent numbers

@pytest.mark.parametrize("json_flag", [(), ("--json",)])
def test_diverging_simulation_exits_3_not_a_nan(cli, json_flag):
    line, out = refused(cli, "simulate", "iso", "--alpha", "1", "--depth", "2", "--gamma",
                        "1e300", "--dim", "16", "--contexts", "10", *json_flag, status=3,
                        words=["diverged"])
    assert out == "" and "nan" not in line.lower().split("diverged")[0]


def test_diverging_training_exits_3(cli):
    refused(cli, "simulate", "iso", "--alpha", "2", "--depth", "1", "--dim", "8", "--contexts",
            "10", "--train-steps", "30", "--lr", "100", status=3, words=["diverged"])


def test_decimal_budget_exponent_is_exact(cli):
    """``P**0.5`` is the exact power 1/2 (read as a float it made the printed exponents wrong
    from the 17th digit).  At ν = 3/2, β = 1 the printed formulas give, by hand,
    t: 2ν(β+2)·min(2,β)/(β + 2ν(β+2)·min(2,β)) = 9/10, P: 2β/10 = 1/5, risk: 2βν/10 = 3/10;
    the JSON numbers must be exactly these, and the formulas must hold no float."""
    from theory.parse import parse_expression
    from theory import symbols as S
    code, out, err = cli("shape", "--nu", "1.5", "--beta", "1", "--budget", "t*P**0.5",
                         "--json")
    assert code == 0
    got = json.loads(out, parse_float=Decimal)
    at = {S.nu: sp.Rational(3, 2), S.beta: 1}
    for key, exact in (("t", sp.Rational(9, 10)), ("P", sp.Rational(1, 5)),
                       ("risk", sp.Rational(3, 10))):
        assert sp.Rational(str(got[key]["value"])) == exact
        formula = parse_expression(got[key]["expr"], {"nu": S.nu, "beta": S.beta})
        assert not formula.atoms(sp.Float) and formula.subs(at) == exact


# ----------------------------------------------------------------------------- data loss

class _FakeSweep:
    rows = [{"alpha": 1, "risk": 0.5}]

    def to_csv(self):
        return "alpha,risk\n1,0.5\n"


def test_sweep_out_needs_force_to_overwrite(cli, tmp_path, monkeypatch):
    import solvers.sweep
    monkeypatch.setattr(solvers.sweep, "sweep", lambda *a, **k: _FakeSweep())
    out = tmp_path / "s.csv"
    out.write_text("precious\n")
    refused(cli, "sweep", "risk", "iso", "--grid", "alpha=1", "--out", out,
            words=["exists", "--force"])
    assert out.read_text() == "precious\n"
    code, _, err = cli("sweep", "risk", "iso", "--grid", "alpha=1", "--out", out, "--force")
    assert code == 0 and out.read_text() == "alpha,risk\n1,0.5\n"


def test_interrupted_report_leaves_the_directory_as_it_was(cli, tmp_path, monkeypatch):
    import solvers.report.build as report
    from solvers.report import Figure

    def first(cfg):
        return Figure("first", "Fig. 0", "First", "finding", "caption",
                      [{"title": "t", "xlabel": "x", "ylabel": "y",
                        "curves": [{"label": "c", "x": [1, 2], "y": [1, 2]}]}])

    def second(cfg):
        raise KeyboardInterrupt
    monkeypatch.setattr(report, "FIGURES", [first, second])
    out = tmp_path / "rep"
    out.mkdir()
    (out / "index.md").write_text("old index\n")
    line, _ = refused(cli, "report", "--out", out, "--json", status=130, words=["interrupted"])
    assert sorted(p.name for p in out.iterdir()) == ["index.md"]
    assert (out / "index.md").read_text() == "old index\n"
    assert not [p for p in tmp_path.iterdir() if p.name != "rep"]  # no staging left behind


def test_interrupted_check_is_one_line_130(check, monkeypatch):
    import solvers.checker.verify as verify

    def interrupt(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(verify, "_check", interrupt)
    code, out, err, p, dt = check(_toml())
    assert code == 130 and _one_line(err).startswith("icl-theory: interrupted")


# ----------------------------------------------------------------------------- Python API types

@pytest.mark.parametrize("alpha", [np.array(2.0), Decimal("2"), Fraction(2), np.float32(2.0),
                                   np.int64(2), "2"])
def test_numeric_types_are_numbers(alpha):
    """Depth-1 noise-free optimum at α = 2: R* = 1/(1 + α) = 1/3 (closed form)."""
    r = solvers.risk("iso", alpha=alpha, depth=1, dps=30).risk
    with mpmath.workdps(40):
        assert abs(r - mpmath.mpf(1) / 3) < mpmath.mpf(10) ** -25


@pytest.mark.parametrize("bad", [b"2", None, [2], {"a": 2}, "1 + 1", float("nan")])
def test_non_numbers_are_value_errors_naming_the_parameter(bad):
    with pytest.raises(ValueError, match="alpha="):
        solvers.risk("iso", alpha=bad, depth=1, dps=20)


def test_simulate_without_gamma_or_contexts_is_a_value_error():
    with pytest.raises(ValueError, match="contexts=None"):
        solvers.simulate("iso", alpha=1, depth=1, dim=16)
    # without gamma the simulator runs at the theory's optimum γ* = Lα/(1 + α) = 1/2 (depth 1,
    # α = 1, noise-free: closed form), never a TypeError
    res = solvers.simulate("iso", alpha=1, depth=1, dim=8, contexts=4, seed=0)
    assert abs(float(res.gamma) - 0.5) < 1e-12


# ----------------------------------------------------------------------------- audit (issue 16)

@pytest.mark.parametrize("gamma", ['"sqrt(2)"', '"exp(2)"', '"zeta(3)"', '"pi/4"',
                                   '"exp(-1)*alpha"'])
def test_irrational_fixed_formulas_are_numbers_not_tracebacks(check, gamma):
    """A fixed value that is a formula without names (``gamma = "sqrt(2)"``) once crashed the
    cost estimate of the substitution (``sp.Float(sqrt(2))`` is a TypeError).  The claim is
    the depth-1 ISO risk at a given step, written out by hand:
    R = E(1 − γλ̂)² = (1 − γ)² + γ²/α (E Σ̂² = (1 + 1/α) I for the Wishart Σ̂)."""
    code, out, err, p, dt = check(_toml({"fixed": "{ depth = 1, sigma2 = 0, gamma = " + gamma
                                                   + " }",
                                         "claim": '"(1 - gamma)**2 + gamma**2/alpha"'}))
    assert code == 0 and "verified" in out, (out, err)
    assert "Traceback" not in err


def test_a_complex_claim_is_an_error_not_a_skip(check):
    """sqrt(alpha − 2) is imaginary on part of alpha ∈ [0.1, 10]: once 'skipped' (exit 0, the
    claim never checked), now an ERROR verdict (exit 1)."""
    code, out, err, p, dt = check(_toml({"claim": '"sqrt(alpha - 2)"', "method": '"numeric"'}))
    assert code == 1 and "ERROR" in out and "complex" in out and "skipped" not in out


@pytest.mark.parametrize("argv, words", [
    (["risk", "iso", "--alpha", "1", "--depth", "2", "--gamma", "1e400"],
     ["gamma=mpf('1.0e+400')", "at most 1.8e+308", "inf for the limit"]),
    (["risk", "iso", "--alpha", "1e99999999", "--depth", "2"], ["alpha=", "at most 1.8e+308"]),
    (["simulate", "iso", "--alpha", "1", "--depth", "2", "--gamma", "1e309", "--dim", "8",
      "--contexts", "4"], ["gamma=mpf('1.0e+309')", "at most 1.8e+308"]),
])
def test_finite_values_beyond_the_float_range_are_refused_not_read_as_inf(cli, argv, words):
    """1e400 is finite: read as inf it gave risk = inf at a finite depth (the risk at that γ
    is finite), and 1e99999999 once ended in Python's int→str digit limit (a message naming
    no parameter)."""
    refused(cli, *argv, words=words)


def test_huge_numbers_have_cache_keys():
    """The cache key of a number with thousands of digits no longer hits Python's int→str
    limit (a ValueError naming no parameter); equal values give equal keys."""
    from solvers.cache import canonical
    big = mpmath.mpf("1e5000")
    assert canonical(big) == canonical(mpmath.mpf(10) ** 5000 * 1) != canonical(big * 2)
    with pytest.raises(ValueError, match="gamma="):
        solvers.risk("iso", alpha=1, depth=1, gamma=big)


_TRAIN = ["simulate", "iso", "--alpha", "2", "--depth", "1", "--dim", "8", "--contexts", "10"]


@pytest.mark.parametrize("extra, words", [
    # once ran for hours (a Python loop of 1e9 steps)
    (["--train-steps", "1e9", "--lr", "0.1"], ["steps=1000000000", "<= 1000000"]),
    # once a MemoryError: exit 3 'out of memory' naming no parameter
    (["--train-steps", "5", "--lr", "0.1", "--batch", "1e12"], ["batch=1000000000000", "GB"]),
    (["--train-steps", "5", "--lr", "0.1", "--queries", "1e12"], ["queries=1000000000000"]),
    (["--train-steps", "1000000", "--lr", "0.1", "--batch", "1e6"], ["operations", "steps="]),
])
def test_training_sizes_are_refused_before_any_work(cli, extra, words):
    refused(cli, *_TRAIN, *extra, words=words)


@pytest.mark.parametrize("extra", [["--lr", "1e300"], ["--lr", "100", "--depth", "3",
                                                       "--untied"]])
def test_diverging_training_is_one_line_without_numpy_warnings(cli, extra):
    """An overflowing run once printed numpy's RuntimeWarnings (8 to 12 more stderr lines)
    before the one-line 'diverged' report."""
    line, out = refused(cli, *_TRAIN, "--train-steps", "30", *extra, status=3,
                        words=["diverged"])
    assert out == ""


_RRS = ["--nu", "1.5", "--beta", "1"]


@pytest.mark.parametrize("argv, words", [
    # hung for hours: the landscape sums every mode pushed past zero, (gamma/L)^(1/nu) of them
    (["risk", "rrs", *_RRS, "--depth", "2", "--gamma", "1e10"], ["gamma=", "<= 6.32e+07"]),
    (["risk", "fs", *_RRS, "--depth", "2", "--gamma", "1e300"], ["gamma=", "work limit"]),
    # was an OverflowError traceback (int of a float infinity)
    (["risk", "rrs", *_RRS, "--depth", "2", "--gamma", "1e300", "--dim", "1000"],
     ["gamma=", "work limit"]),
])
def test_huge_steps_on_a_power_law_are_refused_fast(cli, argv, words):
    refused(cli, *argv, words=words)


def test_infinite_depth_huge_step_prints_its_digits(cli):
    """At L = inf, γ = 1e300 the risk is about 2.5e-301; its error bound underflowed to an
    exponent of 10^124 digits, which no Decimal can hold (a decimal.InvalidOperation
    traceback).  Now one JSON object with finite numbers."""
    code, out, err = cli("risk", "rrs", *_RRS, "--depth", "inf", "--gamma", "1e300", "--json")
    assert code == 0 and "Traceback" not in err
    d = json.loads(out, parse_float=Decimal)
    assert 0 < d["risk"] < Decimal("1e-290") and d["error_estimate"] < d["risk"]


@pytest.mark.parametrize("argv", [
    ["sweep", "risk", "iso", "--grid", "alpha=1", "--grid", "depth=1", "--workers", "1",
     "--out", "/proc/x.csv"],
    ["report", "--out", "/proc/rep"],
])
def test_unusable_output_paths_are_one_line(cli, argv):
    """/proc accepts no new files (even for root): an OSError traceback once."""
    if not os.path.isdir("/proc"):
        pytest.skip("no /proc")
    refused(cli, *argv, words=["/proc/"])


def test_long_output_name_is_one_line(cli, tmp_path):
    refused(cli, "sweep", "risk", "iso", "--grid", "alpha=1", "--grid", "depth=1", "--workers",
            "1", "--out", tmp_path / ("a" * 300 + ".csv"), words=["out=", "longer than"])


_SW = ["sweep", "risk", "iso", "--grid", "alpha=1", "--grid", "depth=1", "--workers", "1"]


@pytest.mark.parametrize("argv, words", [
    # hung: 1e9 significant digits per LaTeX number
    ([*_SW, "--latex", "--digits", "1e9"], ["digits=", "<= 1000"]),
    # ignored flags
    ([*_SW, "--digits", "5"], ["--digits=", "without --latex"]),
    (["exponents", "rrs", "--nu", "1.5", "--beta", "1", "--digits", "3"], ["without --latex"]),
    ([*_SW, "--force"], ["--force", "without --out"]),
    (["dynamics", "iso", "--alpha", "1", "--depth", "1", "--times", "1", "--force"],
     ["--force", "without --out"]),
    # 'cannot convert inf or nan to int', naming nothing
    (["sweep", "risk", "iso", "--grid", "alpha=nan:10:lin5", "--grid", "depth=1"],
     ["grid alpha=", "finite"]),
    (["sweep", "risk", "iso", "--grid", "alpha=1:inf:lin5", "--grid", "depth=1"],
     ["grid alpha=", "finite"]),
])
def test_output_flags_are_checked_not_ignored(cli, argv, words):
    refused(cli, *argv, words=words)


def test_a_scheduler_answering_garbage_is_one_line(cli, monkeypatch):
    """A server that is not a Dask scheduler made distributed read a bogus frame length and
    allocate exabytes: a MemoryError reported as 'out of memory' (exit 3).  Any failure to
    connect is now the one-line scheduler error (exit 2); simulated here by a Client that
    raises MemoryError."""
    distributed = pytest.importorskip("distributed")

    class Garbage:
        def __init__(self, *a, **k):
            raise MemoryError("Unable to allocate 3.07 EiB")
    monkeypatch.setattr(distributed, "Client", Garbage)
    import dask.distributed
    monkeypatch.setattr(dask.distributed, "Client", Garbage)
    refused(cli, *_SW[:-2], "--scheduler", "tcp://127.0.0.1:1", words=["scheduler="])


@pytest.mark.parametrize("times", [np.array(1.0), Decimal("1"), Fraction(1), np.float32(1.0),
                                   1, [np.float64(1.0)]])
def test_dynamics_takes_one_time_of_any_numeric_type(times):
    """ISO depth 1, α = 1: R = 1 − 2γ + 2γ², the flow dγ/dt = 2 − 4γ gives
    γ(t) = (1 − e^{−4t})/2 and R(1) = 1/2 + e^{−8}/2 (closed form, by hand).  A 0-d array was
    a TypeError ('iteration over a 0-d array')."""
    ts = solvers.dynamics("iso", alpha=1, depth=1, times=times, dps=30)
    with mpmath.workdps(40):
        ref = mpmath.mpf(1) / 2 + mpmath.exp(-8) / 2
        assert len(ts.risk) == 1 and abs(ts.risk[0] - ref) < mpmath.mpf(10) ** -25


@pytest.mark.parametrize("times", [None, b"1", bytearray(b"12"), {}, object()])
def test_dynamics_times_garbage_is_a_value_error(times):
    """None was a TypeError; b"1" silently became the time 49 (list(b"1") == [49])."""
    with pytest.raises(ValueError, match="times="):
        solvers.dynamics("iso", alpha=1, depth=1, times=times, dps=20)


@pytest.mark.parametrize("extra", [["--context", "100"], ["--width", "100"]])
def test_huge_step_at_finite_context_or_width_is_one_line_3(cli, extra):
    """The float64 contour overflows at γ = 1e300: 'did not converge' (exit 3) — once with a
    numpy RuntimeWarning on stderr before it."""
    refused(cli, "risk", "rrs", *_RRS, "--depth", "2", "--gamma", "1e300", *extra, status=3,
            words=["did not converge"])


def test_endless_claims_file_is_one_line(cli):
    """/dev/zero reports size 0 and never ends: it was read until memory ran out (the process
    was killed); now at most one byte past the 1 MB limit is read."""
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    refused(cli, "check", "/dev/zero", words=["/dev/zero", "limit"])


def test_deeply_nested_plot_input_is_one_line(cli, tmp_path):
    f = tmp_path / "deep.json"
    f.write_text("[" * 100_000)
    refused(cli, "plot", f, "--x", "a", "--y", "b", "--out", tmp_path / "p.png",
            words=["file=", "nested too deeply"])


@pytest.mark.parametrize("argv, words", [
    # a TypeError on complex numbers: gamma(0) = 2 sigma^5 = 64 beyond gamma* ≈ 2.55
    (["dynamics", "rrs", "--nu", "1.5", "--beta", "1", "--depth", "2", "--times", "1",
      "--parameterization", "full", "--init-scale", "2"], ["init_scale=2", "gamma*"]),
    # ignored flags
    (["dynamics", "iso", "--alpha", "1", "--depth", "1", "--times", "1", "--lr", "0.1"],
     ["--lr", "without --sgd"]),
    (["dynamics", "rrs", "--nu", "1.5", "--beta", "1", "--depth", "2", "--times", "1",
      "--init-scale", "1"], ["init_scale=1", "reduced"]),
    # hung: the explicit symbolic risk polynomial at depth 1e9
    (["equations", "iso", "--depth", "1e9"], ["depth=", "<= 20"]),
    (["equations", "rrs", "--depth", "1000"], ["depth=", "<= 200"]),
])
def test_dynamics_and_equations_inputs_are_checked(cli, argv, words):
    refused(cli, *argv, words=words)


@pytest.mark.parametrize("extra, words", [
    (["--no-exact"], ["--no-exact", "phase point"]),
    (["--json", "--latex"], ["--json and --latex"]),
    (["--width", "100", "--offsets"], ["--offsets"]),
    (["--width", "100", "--latex"], ["--latex"]),
])
def test_laws_flags_are_not_ignored(cli, extra, words):
    refused(cli, "laws", "rrs", "--nu", "1.5", "--beta", "1", *extra, words=words)


@pytest.mark.parametrize("extra, words", [
    # hung for minutes in the exact sympy algebra of the closed forms
    (["--depth", "100000"], ["depth=100000", "<= 10000", "use inf"]),
    (["--nu", "1e300"], ["nu=", "<= 100"]),
    (["--beta", "1e3"], ["beta=", "<= 100"]),
    # accepted although the help says >= 1; a three-line not-bracketed error
    (["--width", "10", "--context", "0.5"], ["context=", ">= 1"]),
    (["--width", "100", "--context", "1e300"], ["context=", "<= 100000"]),
])
def test_laws_inputs_are_bounded(cli, extra, words):
    refused(cli, "laws", "rrs", "--nu", "1.5", "--beta", "1", *extra, words=words)


def test_laws_with_many_digits_finish(cli):
    """ν = 1.51234567 made sympy simplify rationals with 10⁸ denominators for minutes; the
    depth exponent is β and the time exponent β/(β + 2) whatever ν."""
    code, out, err = cli("laws", "rrs", "--nu", "1.51234567", "--beta", "0.123456789",
                         "--json")
    assert code == 0, err
    laws = json.loads(out)["laws"]
    assert abs(float(laws["depth"]["exponent"]) - 0.123456789) < 1e-15
    assert abs(float(laws["time"]["exponent"]) - 0.123456789 / 2.123456789) < 1e-15


def test_tiny_beta_is_refused_not_a_risk_above_one(cli):
    """νβ = 1.5e-35 printed a risk 1.0000000000192 (> 1, impossible): the normalising
    ζ(νβ + 1) sits on its pole.  Now refused with the bound named."""
    refused(cli, "risk", "rrs", "--nu", "1.5", "--beta", "1e-35", "--depth", "2",
            words=["beta=", "nu*beta must be >= 1e-06"])


def test_a_large_seed_is_taken_exactly(cli):
    code, out, err = cli("simulate", "iso", "--alpha", "1", "--depth", "2", "--gamma", "1",
                         "--dim", "8", "--contexts", "4", "--seed", "1e30", "--json")
    assert code == 0, err
    assert json.loads(out)["seed"] == 10 ** 30


def test_an_unstable_sgd_theory_exits_3(cli):
    """lr = 1e300 > eta_max: the recursion diverges (floor inf); it printed the numbers with
    converged: True and exit 0."""
    refused(cli, "dynamics", "iso", "--alpha", "1", "--depth", "1", "--sgd", "--lr", "1e300",
            "--tau", "1", "--kappa", "1", "--times", "1,10", status=3, words=["diverged"])


@pytest.mark.parametrize("argv", [
    ["sweep", "risk", "iso", "--grid", "alpha=1,2", "--grid", "depth=1", "--out", "/proc/x.csv"],
    ["report", "--quick", "--out", "/proc/rep"],
])
def test_an_unwritable_output_is_refused_before_computing(cli, argv):
    """/proc says writable to os.access (and root passes every access check): a scratch file
    written up front is the real test; the message names the flag, before any solve."""
    refused(cli, *argv, words=["out=", "cannot write in"])
