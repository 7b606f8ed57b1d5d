"""The main job: ``icl-theory report --quick`` writes valid figures and JSON whose numbers are the
solvers' values (recomputed here through the public API, and anchored to closed forms), every
simulator point series carries its own theory and standard error and meets the z-score rule,
and every derived law agrees with the exact curve's last local slope."""
import json
import math
import re
import struct

import pytest

from solvers.cli import main
from solvers.settings import iso, rrs

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NAMES = ["iso_landscape", "iso_optimal", "fs", "rrs", "compute", "sgd"]
#: the default (fast) run checks the two ISO figures (~3 s); every figure, through the command
#: line, is the slow set (~13 s of CPU)
QUICK = ["iso_landscape", "iso_optimal"]
_RUNS = {}


def _report(tmp_path_factory, names):
    """``report --quick`` for ``names`` (every figure: the command line itself), run once."""
    key = tuple(names)
    if key not in _RUNS:
        out = tmp_path_factory.mktemp("report")
        if key == tuple(NAMES):
            assert main(["report", "--quick", "--out", str(out)]) == 0
        else:
            import importlib
            rp = importlib.import_module("solvers.report")   # solvers.report is also a function
            figs = [f for f in rp.FIGURES if f.__name__[len("fig_"):] in names]
            assert len(figs) == len(names)
            rp.report(out=str(out), quick=True, progress=False, figures=figs)
        _RUNS[key] = out
    return _RUNS[key], list(names)


@pytest.fixture(scope="module", params=[pytest.param(QUICK, id="iso-figures"),
                                        pytest.param(NAMES, id="all-figures",
                                                     marks=pytest.mark.slow)])
def report(request, tmp_path_factory):
    """(directory, figure names) of a quick report: the ISO figures, or all (slow set)."""
    return _report(tmp_path_factory, request.param)


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    """Every figure (for the tests that read the FS/RRS/compute figures: slow set)."""
    return _report(tmp_path_factory, NAMES)[0]


def _load(report_dir, name):
    return json.loads((report_dir / f"{name}.json").read_text())


def test_every_figure_is_a_valid_png_with_its_json(report):
    report_dir, names = report
    index = (report_dir / "index.md").read_text()
    assert index.startswith("# icl-theory report")
    for name in names:
        png = (report_dir / f"{name}.png").read_bytes()
        assert png[:8] == PNG_SIGNATURE and len(png) > 10_000
        width, height = struct.unpack(">II", png[16:24])  # IHDR
        # one paper column (3.4 in) at 200 dpi; 2×2 panels are about as tall as wide
        assert width == 680 and 300 < height < 800
        data = _load(report_dir, name)
        assert data["panels"] and all(p["curves"] for p in data["panels"])
        assert f"{name}.png" in index
        # index.md names the paper figure and describes every panel
        assert re.search(rf"## {re.escape(data['paper'])} — .*`{name}`", index)
        for p in data["panels"]:
            assert f"({p['letter']})" in index and p["shows"] in index


def test_every_point_series_has_theory_and_err_and_meets_the_z_rule(report):
    """Issue 10: each simulator point carries ``theory`` (the exact value at its own x and D)
    and ``err`` (one standard error); all |z| ≤ 4 and at least 90 % of the points of every
    figure (and of the whole report) have |z| ≤ 2.5."""
    report_dir, names = report
    total, within = 0, 0
    for name in names:
        data = _load(report_dir, name)
        zs = []
        for panel in data["panels"]:
            for s in panel["points"]:
                n = len(s["x"])
                assert n and len(s["y"]) == len(s["err"]) == len(s["theory"]) == n, s["label"]
                assert s["theory_method"]
                for y, t, e in zip(s["y"], s["theory"], s["err"]):
                    assert math.isfinite(y) and math.isfinite(t), (name, s["label"])
                    assert e > 0 and math.isfinite(e), (name, s["label"], e)
                    zs.append((y - t) / e)
                    assert abs(zs[-1]) <= 4, (name, panel["letter"], s["label"], y, t, e)
        assert zs, f"{name}: no simulator points"
        share = sum(abs(z) <= 2.5 for z in zs) / len(zs)
        assert share >= 0.9, (name, share)
        # the JSON's own summary is these numbers
        assert data["z"]["points"] == len(zs)
        assert data["z"]["max_abs_z"] == pytest.approx(max(abs(z) for z in zs), rel=1e-12)
        total += len(zs)
        within += sum(abs(z) <= 2.5 for z in zs)
    assert within / total >= 0.9
    index = (report_dir / "index.md").read_text()
    assert "Simulator vs theory (z-scores)" in index
    for name in names:
        assert re.search(rf"\| Fig\. \d+c? `{name}` \| \d+ \| \d+\.\d\d \| \d+ % \|", index), name


def test_point_theory_is_the_finite_size_value_at_the_points_own_size(report):
    """Plumbing: the theory of the ISO landscape points is finite_size.risk at the series' own
    D, P = αD and γ = (γ/L)·L — not the D = ∞ curve (they differ by O(1/D))."""
    from solvers.settings import finite_size

    data = _load(report[0], "iso_landscape")
    panel = data["panels"][1]                        # (b) α = 2
    s = panel["points"][-1]                          # the deepest L
    L = int(s["label"].split("=")[1])
    x, t = s["x"][0], s["theory"][0]
    ref = finite_size.risk("iso", dim=s["dim"], alpha=2, depth=L, gamma=x * L).risk
    assert t == pytest.approx(float(ref), rel=1e-12)
    asym = float(iso.risk(2, L, gamma=x * L, dps=20).risk)
    assert abs(t - asym) > 1e-4 * asym  # the finite-size theory, not the asymptotic value


@pytest.mark.slow
def test_derived_laws_agree_with_the_exact_curves(report_dir):
    """Every headline pair derived local slope / last local slope agrees to 0.03; the reference
    lines pass through the curve's last point with the closed-form exponents (typed here:
    RRS time β/(β+2), depth β, width ν·min(β,1) (× log N at β = 1), FS νβ/(νβ+2ν+1))."""
    nu = 1.25
    closed = {"RRS time": lambda b: b / (b + 2), "RRS depth": lambda b: b,
              "width": lambda b: nu * min(b, 1),
              "FS time": lambda b: nu * b / (nu * b + 2 * nu + 1)}
    seen = set()
    for name in NAMES:
        data = _load(report_dir, name)
        for law in data["laws"]:
            assert abs(law["difference"]) <= 0.03, law
            seen.add(law["law"].split(",")[0])
        for panel in data["panels"]:
            for c in panel["curves"]:
                if c.get("role") != "derived law" or "exponent" not in c:
                    continue
                x0, y0 = c["x"][-1], c["y"][-1]
                if c["prefactor_source"].startswith("anchored"):  # through the last point
                    assert any(x0 == cc["x"][-1] and y0 == pytest.approx(cc["y"][-1], rel=1e-12)
                               for cc in panel["curves"] if cc.get("role") != "derived law")
                a = c["exponent"]
                lp = c["log_power"]
                xa, xb = c["x"][0], c["x"][-1]
                slope = -math.log(c["y"][-1] / c["y"][0]) / math.log(xb / xa)
                expected = a - lp * math.log(math.log(xb) / math.log(xa)) / math.log(xb / xa)
                assert slope == pytest.approx(expected, rel=1e-9)
    assert {"RRS time", "RRS depth", "width", "FS time"} <= seen
    rrs_laws = {law["law"]: law for law in _load(report_dir, "rrs")["laws"]}
    # the exact prefactors, typed here from their closed forms (derivations/laws.md):
    # time c_t = (K/(νZ))^{2/(β+2)} (β(β+2))^{−β/(β+2)}, K = Γ(β)2^{−β}, Z = ζ(νβ+1);
    # depth Γ(β)/(νZ)·4^{−β}
    import mpmath
    for p in _load(report_dir, "rrs")["panels"]:
        for c in p["curves"]:
            if c.get("role") != "derived law" or "t^" not in c["law"]:
                continue
            b = [float(x) for x in (0.5, 1, 1.5, 2)
                 if abs(c["exponent"] - x / (x + 2)) < 1e-12][0]
            Z, K = mpmath.zeta(nu * b + 1), mpmath.gamma(b) * 2 ** -b
            ct = (K / (nu * Z)) ** (2 / (b + 2)) * (b * (b + 2)) ** (-b / (b + 2))
            assert c["prefactor"] == pytest.approx(float(ct), rel=1e-9)
    depth_line = [c for p in _load(report_dir, "rrs")["panels"] for c in p["curves"]
                  if c.get("role") == "derived law" and "L^" in c["law"]][0]
    assert depth_line["prefactor"] == pytest.approx(
        float(mpmath.gamma(1) / (nu * mpmath.zeta(nu + 1)) / 4), rel=1e-9)
    for beta in (0.5, 1, 1.5, 2):
        law = rrs_laws[f"RRS time, β = {beta:g}"]
        assert law["derived_local_slope"] == pytest.approx(closed["RRS time"](beta), rel=1e-9)
    assert rrs_laws["RRS depth, β = 1"]["derived_local_slope"] == pytest.approx(
        closed["RRS depth"](1), rel=1e-9)
    fs_law = _load(report_dir, "fs")["laws"][0]
    assert fs_law["derived_local_slope"] == pytest.approx(closed["FS time"](1.25), rel=1e-9)
    width = {law["law"]: law for law in _load(report_dir, "compute")["laws"]}
    assert width["width, β = 3"]["derived_local_slope"] == pytest.approx(closed["width"](3),
                                                                          rel=1e-9)
    assert width["width, β = 0.5"]["derived_local_slope"] == pytest.approx(0.625, rel=1e-9)
    w1 = width["width, β = 1"]  # N^{−ν} log N: local slope ν − log(log N₁/log N₀)/log(N₁/N₀)
    n0, n1 = w1["range"]
    assert w1["derived_local_slope"] == pytest.approx(
        nu - math.log(math.log(n1) / math.log(n0)) / math.log(n1 / n0), rel=1e-9)


def test_legends_and_labels_use_greek_letters_and_no_repeats(report):
    report_dir, names = report
    ascii_greek = re.compile(r"\b(tau|alpha|beta|sigma|gamma|nu|kappa|eta|theta|lambda)\b")
    for name in names:
        data = _load(report_dir, name)
        for panel in data["panels"]:
            texts = [panel["title"], panel["xlabel"], panel["ylabel"]]
            labels = [c["label"] for c in panel["curves"] if c.get("legend", True)]
            texts += labels + [s["label"] for s in panel["points"]]
            for text in texts:
                assert not ascii_greek.search(text), (name, text)
            assert len(labels) == len(set(labels)), (name, panel["letter"], labels)


def test_iso_json_numbers_are_the_solver_values(report):
    data = _load(report[0], "iso_optimal")
    curves = {c["label"]: c for c in data["panels"][0]["curves"]}
    for label, depth in (("L = 1", 1), ("L = 4", 4), ("L = ∞", "inf")):
        c = curves[label]
        for x, y in list(zip(c["x"], c["y"]))[::4]:
            assert y == pytest.approx(float(iso.risk(x, depth, dps=20).risk), rel=1e-12)
    # closed-form anchors: L = 1 gives 1/(1+α), L = ∞ gives max(0, 1−α)
    for x, y in zip(curves["L = 1"]["x"], curves["L = 1"]["y"]):
        assert y == pytest.approx(1 / (1 + x), rel=1e-12)
    for x, y in zip(curves["L = ∞"]["x"], curves["L = ∞"]["y"]):
        assert y == pytest.approx(max(0.0, 1 - x), abs=1e-12)
    table = data["headline"]["optimal risk R*(alpha) by depth"]
    assert float(table["2"]["1"]) == pytest.approx(3 / 8, rel=1e-9)  # R*_2(α=1) = C(4,2)/4²


@pytest.mark.slow
def test_rrs_json_numbers_are_the_solver_values(report_dir):
    data = _load(report_dir, "rrs")
    depth_panel = data["panels"][2]
    exact = next(c for c in depth_panel["curves"] if c["label"] == "D = ∞")
    for L, y in list(zip(exact["x"], exact["y"]))[::3]:
        ref = rrs.optimal_gamma(nu="1.25", beta="1", depth=int(L), dps=15).risk
        assert y == pytest.approx(float(ref), rel=1e-10)
    ys = exact["y"]
    assert all(a > b for a, b in zip(ys, ys[1:]))  # depth always helps in RRS
