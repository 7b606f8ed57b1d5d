"""The main job: ``icl-theory report --quick`` writes valid figures and JSON whose numbers are the
solvers' values (recomputed here through the public API, and anchored to closed forms)."""
import json
import struct

import pytest

from solvers.settings import iso, rrs
from solvers.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    assert main(["report", "--quick", "--out", str(out)]) == 0
    return out


def test_every_figure_is_a_valid_png_with_its_json(report_dir):
    index = (report_dir / "index.md").read_text()
    assert index.startswith("# icl-theory report")
    names = ["iso_landscape", "iso_optimal", "fs", "rrs", "compute", "sgd"]
    for name in names:
        png = (report_dir / f"{name}.png").read_bytes()
        assert png[:8] == PNG_SIGNATURE and len(png) > 10_000
        width, height = struct.unpack(">II", png[16:24])  # IHDR
        assert width > 300 and height > 200
        data = json.loads((report_dir / f"{name}.json").read_text())
        assert data["panels"] and all(p["curves"] for p in data["panels"])
        assert f"{name}.png" in index


def test_iso_json_numbers_are_the_solver_values(report_dir):
    data = json.loads((report_dir / "iso_optimal.json").read_text())
    curves = {c["label"]: c for c in data["panels"][0]["curves"]}
    for label, depth in (("L=1", 1), ("L=4", 4), ("L=inf", "inf")):
        c = curves[label]
        for x, y in list(zip(c["x"], c["y"]))[::4]:
            assert y == pytest.approx(float(iso.risk(x, depth, dps=20).risk), rel=1e-12)
    # closed-form anchors: L = 1 gives 1/(1+α), L = ∞ gives max(0, 1−α)
    for x, y in zip(curves["L=1"]["x"], curves["L=1"]["y"]):
        assert y == pytest.approx(1 / (1 + x), rel=1e-12)
    for x, y in zip(curves["L=inf"]["x"], curves["L=inf"]["y"]):
        assert y == pytest.approx(max(0.0, 1 - x), abs=1e-12)
    table = data["headline"]["optimal risk R*(alpha) by depth"]
    assert float(table["2"]["1"]) == pytest.approx(3 / 8, rel=1e-9)  # R*_2(α=1) = C(4,2)/4²


def test_rrs_json_numbers_are_the_solver_values(report_dir):
    data = json.loads((report_dir / "rrs.json").read_text())
    depth_panel = data["panels"][2]
    exact = next(c for c in depth_panel["curves"] if c["label"] == "exact (D=∞)")
    for L, y in list(zip(exact["x"], exact["y"]))[::3]:
        ref = rrs.optimal_gamma(nu="1.25", beta="1", depth=int(L), dps=15).risk
        assert y == pytest.approx(float(ref), rel=1e-10)
    ys = exact["y"]
    assert all(a > b for a, b in zip(ys, ys[1:]))  # depth always helps in RRS


def test_simulator_points_agree_with_theory_in_the_report(report_dir):
    """ISO optimal-risk panel: each simulator point within 4 s.e. + 30% (quick mode: D = 64,
    where finite-D corrections are tens of percent for tiny risks)."""
    data = json.loads((report_dir / "iso_optimal.json").read_text())
    panel = data["panels"][0]
    for pts in panel["points"]:
        depth = int(pts["label"].split("L=")[1])
        for x, y, e in zip(pts["x"], pts["y"], pts["err"]):
            theory = float(iso.risk(x, depth, dps=20).risk)
            assert abs(y - theory) <= 4 * e + 0.3 * theory, (depth, x, y, theory)
