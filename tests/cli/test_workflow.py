"""The paper workflow on the command line: --version, help on every flag, several quantities per
sweep, --latex tables, exponents resolved at (nu, beta), dynamics --out/--progress, risk
--progress, the equations command.  Expected numbers are closed forms derived by hand (cited
next to each comparison), never the command's own output recomputed the same way."""
import argparse
import configparser
import csv
import io
import json
import math
import os

import pytest
import sympy as sp

from solvers.cli import build_parser, main


# ------------------------------------------------------------------ version and help

def test_version_is_the_package_version(capsys):
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(os.path.dirname(__file__), "..", "..", "setup.cfg"))
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"icl-theory {cfg.get('metadata', 'version')}"


def _subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def test_every_flag_of_every_command_has_help():
    parser = build_parser()
    commands = _subparsers(parser)
    assert {"risk", "simulate", "dynamics", "exponents", "shape", "equations", "sweep", "plot",
            "check", "report"} <= set(commands)
    missing = []
    for name, sub in [("icl-theory", parser)] + sorted(commands.items()):
        for action in sub._actions:
            if not action.option_strings:
                continue                       # positionals and the subcommand slot
            if not (action.help or "").strip() or action.help == argparse.SUPPRESS:
                missing.append(f"{name} {'/'.join(action.option_strings)}")
        assert (sub.description or name == "icl-theory" or sub.format_help()), name
    assert not missing, f"flags without help: {missing}"


# ------------------------------------------------------------------ sweep

def test_sweep_several_quantities_one_column_each(cli):
    code, out, err = cli("sweep", "risk,gamma,error_estimate", "iso", "--grid", "alpha=0.5,2",
                         "--grid", "depth=1", "--grid", "sigma2=0.25", "--workers", "1")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["alpha", "depth", "sigma2", "risk", "gamma", "error_estimate"]
    for r in rows:
        a, s2 = float(r["alpha"]), 0.25
        # depth 1: R* = (1+σ²)/(α+1+σ²), γ* = α/(α+1+σ²) (README, derived by hand)
        assert float(r["risk"]) == pytest.approx((1 + s2) / (a + 1 + s2), rel=1e-14)
        assert float(r["gamma"]) == pytest.approx(a / (a + 1 + s2), rel=1e-14)
        assert 0 <= float(r["error_estimate"]) < 1e-20


@pytest.mark.parametrize("quantity,name", [("risk,risk", "given twice"),
                                           ("risk,,gamma", "quantity"),
                                           ("risk,alpha", "grid parameter")])
def test_sweep_bad_quantity_lists_exit_2(cli, quantity, name):
    code, out, err = cli("sweep", quantity, "iso", "--grid", "alpha=1", "--grid", "depth=1",
                         "--workers", "1")
    assert code == 2 and name in err and err.count("\n") == 1


def test_sweep_latex_table(cli, tmp_path):
    out = tmp_path / "t.tex"
    code, _, err = cli("sweep", "risk,gamma", "iso", "--grid", "alpha=2,0.5", "--grid",
                       "depth=1", "--workers", "1", "--latex", "--out", out)
    assert code == 0, err
    tex = out.read_text()
    lines = tex.strip().splitlines()
    assert lines[0] == r"\begin{tabular}{rrrr}" and lines[-1] == r"\end{tabular}"
    assert r"$\alpha$ & $L$ & $R$ & $\gamma$ \\" in lines
    # α = 2: R* = 1/3, γ* = 2/3; α = 1/2: R* = 2/3, γ* = 1/3, to 6 significant digits
    assert r"$2$ & $1$ & $0.333333$ & $0.666667$ \\" in lines
    assert r"$0.5$ & $1$ & $0.666667$ & $0.333333$ \\" in lines
    code, _, err = cli("sweep", "risk", "iso", "--grid", "alpha=2", "--grid", "depth=1",
                       "--latex", "--json")
    assert code == 2 and "--latex" in err


# ------------------------------------------------------------------ exponents and shape

def _json(cli, *argv):
    code, out, err = cli(*argv)
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("b,expr,regime,others", [
    ("0.5", "beta*nu", ["beta < 1"], ("0.2", "0.9")),
    ("3", "nu", ["beta > 1"], ("1.5", "7")),
])
def test_exponents_resolved_in_the_regime_of_the_values(cli, b, expr, regime, others):
    d = _json(cli, "exponents", "rrs", "--nu", "1.5", "--beta", b, "--json")
    w = d["width"]
    assert w["expr"] == expr and w["regime"] == regime and w["general"] == "nu*Min(1, beta)"
    nu, beta = sp.symbols("nu beta", positive=True)
    resolved = sp.sympify(w["expr"], locals={"nu": nu, "beta": beta})
    general = nu * sp.Min(1, beta)
    # the resolved form is the general law everywhere in the same regime …
    for bb in (b,) + others:
        pt = {nu: sp.Rational(3, 2), beta: sp.Rational(bb)}
        assert resolved.subs(pt) == general.subs(pt)
    # … and its value is the number reported
    assert float(resolved.subs({nu: 1.5, beta: float(b)})) == pytest.approx(float(w["value"]))
    assert w["latex"] == sp.latex(resolved)


def test_exponents_on_a_regime_boundary_keep_the_min(cli):
    d = _json(cli, "exponents", "rrs", "--nu", "1.5", "--beta", "1", "--json")
    assert d["width"]["expr"] == "nu*Min(1, beta)" and d["width"]["regime"] == []
    assert d["context"]["expr"] == "beta*nu" and d["context"]["regime"] == ["beta < 2"]


def test_exponents_and_shape_latex(cli):
    code, out, err = cli("exponents", "rrs", "--nu", "1.5", "--beta", "0.5", "--latex")
    assert code == 0, err
    assert r"\begin{tabular}{llrl}" in out and r"width $N$ & $\beta \nu$ & $0.75$ & $1$ \\" in out
    assert r"time $t$ & $\frac{\beta}{\beta + 2}$ & $0.2$" in out
    code, out, err = cli("shape", "--nu", "1.5", "--beta", "3", "--latex", "--digits", "4")
    assert code == 0, err
    # beta > 2: every Min resolved; L ~ N^(nu/beta) = N^0.5
    assert "min" not in out and r"$L \propto N^{q}$ & $\frac{\nu}{\beta}$ & $0.5$ \\" in out


def test_shape_json_entries_resolved(cli):
    d = _json(cli, "shape", "--nu", "1.5", "--beta", "3", "--json")
    nu, beta = sp.symbols("nu beta", positive=True)
    for key in ("t", "P", "N", "L", "risk", "L_vs_N"):
        e = d[key]
        assert "Min" not in e["expr"] and "Min" in e["general"]
        # L ~ N^q involves only min(β, 1); the others min(β, 1) and min(β, 2)
        assert e["regime"] == (["beta > 1"] if key == "L_vs_N" else ["beta > 2"])
        res = sp.sympify(e["expr"], locals={"nu": nu, "beta": beta})
        gen = sp.sympify(e["general"], locals={"nu": nu, "beta": beta})
        for bb in (3, 5, sp.Rational(9, 4)):                # same regime β > 2
            pt = {nu: sp.Rational(3, 2), beta: bb}
            assert sp.simplify(res.subs(pt) - gen.subs(pt)) == 0


# ------------------------------------------------------------------ dynamics

SGD = ("dynamics", "iso", "--sgd", "--lr", "0.2", "--tau", "1", "--kappa", "1", "--alpha", "1",
       "--times", "0,1,10")


def test_dynamics_out_csv_and_json(cli, tmp_path):
    f = tmp_path / "sgd.csv"
    code, out, err = cli(*SGD, "--out", f)
    assert code == 0 and out == "", err
    rows = list(csv.DictReader(io.StringIO(f.read_text())))
    assert [r["time"] for r in rows] == ["0", "1", "10"]
    assert {"risk", "gamma", "C", "proxy"} <= set(rows[0])
    # n = 0: C(0) = (α/(α+1+σ²))² = 1/4, risk c·C0 + 1 − 1/c with c = 1 + (1+σ²)/α = 2 → 1
    assert float(rows[0]["C"]) == 0.25 and float(rows[0]["risk"]) == 1.0
    j = tmp_path / "sgd.json"
    code, _, err = cli(*SGD, "--out", j)
    assert code == 0, err
    code, printed, _ = cli(*SGD, "--json")
    assert json.loads(j.read_text()) == json.loads(printed)
    # an existing file without --force, and an unknown extension: exit 2 before computing
    code, _, err = cli(*SGD, "--out", f)
    assert code == 2 and "--force" in err
    code, _, err = cli(*SGD, "--out", tmp_path / "x.txt")
    assert code == 2 and ".csv or .json" in err
    code, _, err = cli(*SGD, "--out", f, "--force")
    assert code == 0, err


def test_dynamics_progress_matches_one_call_and_the_closed_form(cli):
    argv = ("dynamics", "iso", "--alpha", "1", "--depth", "1", "--times", "0.5,1", "--json")
    code, out, err = cli(*argv, "--progress")
    assert code == 0, err
    assert "\r" in err and "it" in err or "panel" in err   # a tqdm bar, on stderr
    with_bar = json.loads(out)
    code, out, _ = cli(*argv)
    plain = json.loads(out)
    assert with_bar["times"] == plain["times"] == [0.5, 1]
    c = 2                                              # c = 1 + (1+σ²)/α at α = 1, σ² = 0
    for got, ref, t in zip(with_bar["gamma"], plain["gamma"], (0.5, 1)):
        # depth-1 ISO flow: γ(t) = (1 − e^{−2ct})/c (theory.dynamics.iso_depth1_flow)
        exact = (1 - math.exp(-2 * c * t)) / c
        assert float(got) == pytest.approx(exact, rel=1e-14)
        assert abs(float(got) - float(ref)) < 1e-25


def test_risk_progress_reports_the_optimal_gamma_steps(cli):
    import solvers
    from solvers.progress import reporting
    # parameters no other test uses: a cached optimum would (rightly) show no search steps
    params = dict(nu="1.37", beta="0.83", depth=5)
    steps = []
    with reporting(lambda what, n: steps.append(what)):
        solvers.risk("rrs", cache=False, **params)
    assert "optimal gamma" in steps
    code, out, err = cli("risk", "rrs", "--nu", "1.41", "--beta", "0.87", "--depth", "5",
                         "--progress")
    assert code == 0 and "risk rrs" in err and "risk:" in out     # the bar, on stderr


# ------------------------------------------------------------------ equations

def test_equations_text_json_latex(cli):
    code, out, err = cli("equations", "rrs")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("risk: R(gamma) = Sum(") and lines[1].startswith("    # ")
    eqs = _json(cli, "equations", "rrs", "--width", "--json")
    names = [e["name"] for e in eqs]
    assert {"risk", "stationarity", "flow", "one_point", "psi", "two_point"} <= set(names)
    assert all(set(e) == {"name", "description", "sympy", "latex"} for e in eqs)
    assert all(e["description"] and e["latex"] for e in eqs)
    code, out, err = cli("equations", "iso", "--context", "--latex")
    assert code == 0, err
    assert out.startswith(r"\begin{align}") and out.rstrip().endswith(r"\end{align}")
    assert r"\label{icl:iso:risk}" in out and r"\sigma^{2}" in out
    code, _, err = cli("equations", "iso", "--width")
    assert code == 2 and "width" in err
    code, _, err = cli("equations", "rrs", "--depth", "0")
    assert code == 2 and "depth" in err


def test_dynamics_times_accept_a_range_like_sweep_grids(cli):
    """``--times 0.1:10:log3`` is 0.1, 1, 10 (the sweep grid syntax; it was refused with
    'times must be >= 0 or inf').  Values checked against the depth-1 ISO closed form
    γ(t) = (1 − e^{−2ct})/c, c = 1 + (1+σ²)/α = 2 at α = 1."""
    d = _json(cli, "dynamics", "iso", "--alpha", "1", "--depth", "1", "--times", "0.1:10:log3",
              "--json")
    assert [float(t) for t in d["times"]] == pytest.approx([0.1, 1, 10], rel=1e-15)
    for t, g in zip((0.1, 1, 10), d["gamma"]):
        assert float(g) == pytest.approx((1 - math.exp(-4 * t)) / 2, rel=1e-14)
    s = _json(cli, "dynamics", "iso", "--sgd", "--alpha", "1", "--lr", "0.01", "--tau", "1",
              "--kappa", "1", "--times", "0:20:lin3", "--json")
    assert s["times"] == [0, 10, 20]
    code, _, err = cli("dynamics", "iso", "--alpha", "1", "--depth", "1", "--times", "0:1:log3")
    assert code == 2 and "times" in err and "log range" in err


def test_laws_progress_draws_the_phase_solves(cli):
    """The phase point's exact risks take seconds: --progress draws a bar on stderr, and the
    numbers are those of a run without it."""
    argv = ("laws", "rrs", "--nu", "1.5", "--beta", "1", "--width", "64", "--context", "256",
            "--json")
    code, out, err = cli(*argv, "--progress")
    assert code == 0 and "laws rrs (phase)" in err
    code, plain, _ = cli(*argv)
    assert json.loads(out)["exact"] == json.loads(plain)["exact"]
