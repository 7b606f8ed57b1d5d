"""icl-theory plot (solvers.plot): reading sweep/dynamics outputs, what is drawn (lines, labels,
legend, markers, skipped points), and the file handling of the command."""
import csv
import json

import pytest

from solvers.plot import MARKER_LIMIT, plot_rows, read_table

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _write_csv(path, rows):
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def test_read_table_formats(tmp_path):
    rows = [{"alpha": "1", "depth": "2", "risk": "0.5"}]
    _write_csv(tmp_path / "a.csv", rows)
    assert read_table(tmp_path / "a.csv") == (["alpha", "depth", "risk"], rows)
    (tmp_path / "b.json").write_text(json.dumps([{"alpha": "1", "risk": 0.5}]))
    assert read_table(tmp_path / "b.json")[1] == [{"alpha": "1", "risk": 0.5}]
    (tmp_path / "c.json").write_text(json.dumps({"quantity": "risk", "rows": [{"x": 1}]}))
    assert read_table(tmp_path / "c.json") == (["x"], [{"x": 1}])
    # a dynamics object: one row per time, the equal-length lists as columns
    (tmp_path / "d.json").write_text(json.dumps({"setting": "iso", "times": [0, 1],
                                                 "risk": [1, 0.5], "gamma": [0, 0.4],
                                                 "method": "m", "C": [3, 4]}))
    cols, r = read_table(tmp_path / "d.json")
    assert cols == ["time", "risk", "gamma", "C"] and r[1] == {"time": 1, "risk": 0.5,
                                                               "gamma": 0.4, "C": 4}
    (tmp_path / "e.json").write_text(json.dumps({"setting": "iso"}))
    with pytest.raises(ValueError, match="file="):
        read_table(tmp_path / "e.json")
    with pytest.raises(ValueError, match="no such file"):
        read_table(tmp_path / "missing.csv")


def _grid_rows():
    return [{"alpha": a, "depth": d, "risk": str(1 / (1 + float(a) * d)), "s": "0.01"}
            for d in (1, 4) for a in ("0.5", "2", "1")]


def test_lines_per_hue_sorted_with_labels_and_markers():
    fig, summary = plot_rows(["alpha", "depth", "risk", "s"], _grid_rows(), "alpha", "risk",
                             hue="depth", logx=True)
    ax = fig.axes[0]
    assert summary == {"points": 6, "series": 2, "skipped": 0}
    lines = ax.get_lines()
    assert len(lines) == 2
    assert list(lines[0].get_xdata()) == [0.5, 1.0, 2.0]            # sorted along x
    assert lines[0].get_ydata()[1] == pytest.approx(1 / 2)          # α = 1, L = 1
    assert lines[0].get_marker() == "o"                              # few points: markers
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["$L$ = 1", "$L$ = 4"]
    assert r"\alpha" in ax.get_xlabel() and ax.get_xscale() == "log"
    assert ax.get_ylabel() == "risk $R$"


def test_many_points_no_markers_and_error_bars():
    rows = [{"t": str(i), "risk": str(1 / (i + 1)), "e": "0.1"} for i in range(MARKER_LIMIT + 5)]
    fig, _ = plot_rows(["t", "risk", "e"], rows, "t", "risk")
    assert fig.axes[0].get_lines()[0].get_marker() in ("None", None, "")
    fig, s = plot_rows(["t", "risk", "e"], rows[:3], "t", "risk", err="e")
    assert s["series"] == 1 and fig.axes[0].containers            # an errorbar container


def test_undrawable_points_are_skipped_and_counted():
    rows = [{"x": "1", "y": "0.5"}, {"x": "2", "y": "inf"}, {"x": "3", "y": "0"},
            {"x": "0", "y": "0.1"}]
    _, s = plot_rows(["x", "y"], rows, "x", "y", logx=True, logy=True)
    assert s == {"points": 1, "series": 1, "skipped": 3}


def test_repeated_x_without_hue_asks_for_hue_and_where_filters():
    with pytest.raises(ValueError, match="--hue"):
        plot_rows(["alpha", "depth", "risk", "s"], _grid_rows(), "alpha", "risk")
    _, s = plot_rows(["alpha", "depth", "risk", "s"], _grid_rows(), "alpha", "risk",
                     where={"depth": "4.0"})                       # numeric match: 4 == 4.0
    assert s["points"] == 3
    with pytest.raises(ValueError, match="x='nope'"):
        plot_rows(["alpha", "risk"], _grid_rows(), "nope", "risk")


def test_cli_sweep_then_plot(cli, tmp_path):
    data = tmp_path / "s.csv"
    code, _, err = cli("sweep", "risk,gamma", "iso", "--grid", "alpha=0.5:4:log4", "--grid",
                       "depth=1,2", "--workers", "1", "--out", data)
    assert code == 0, err
    png = tmp_path / "s.png"
    code, out, err = cli("plot", data, "--x", "alpha", "--y", "risk", "--hue", "depth",
                         "--logx", "--logy", "--out", png, "--json")
    assert code == 0, err
    assert json.loads(out) == {"out": str(png), "points": 8, "series": 2, "skipped": 0}
    assert png.read_bytes()[:8] == PNG_MAGIC
    # the output is validated before anything is read: existing file, unknown format
    code, _, err = cli("plot", data, "--x", "alpha", "--y", "risk", "--hue", "depth",
                       "--out", png)
    assert code == 2 and "--force" in err
    code, _, err = cli("plot", data, "--x", "alpha", "--y", "risk", "--out", tmp_path / "a.gif")
    assert code == 2 and ".png" in err
    code, _, err = cli("plot", data, "--x", "alpha", "--y", "nope", "--out", tmp_path / "b.png")
    assert code == 2 and "y='nope'" in err and err.count("\n") == 1
    # vector output too
    code, _, err = cli("plot", data, "--x", "alpha", "--y", "risk,gamma", "--where", "depth=2",
                       "--out", tmp_path / "c.pdf")
    assert code == 0 and (tmp_path / "c.pdf").read_bytes()[:4] == b"%PDF"


def test_cli_dynamics_then_plot(cli, tmp_path):
    data = tmp_path / "d.json"
    code, _, err = cli("dynamics", "iso", "--sgd", "--lr", "0.2", "--tau", "1", "--kappa", "1",
                       "--alpha", "1", "--times", "0,1,10,100", "--out", data)
    assert code == 0, err
    code, out, err = cli("plot", data, "--x", "time", "--y", "proxy", "--logx", "--out",
                         tmp_path / "d.png", "--json")
    assert code == 0, err
    assert json.loads(out)["points"] == 3 and json.loads(out)["skipped"] == 1   # t = 0 on log x


@pytest.mark.parametrize("lo,hi", [("0.25", "4"), ("0.5", "8"), ("3", "20")])
def test_log_axis_tick_labels_do_not_overlap(lo, hi):
    """A log axis spanning one or two decades got minor labels such as 3×10⁻¹ and 4×10⁻¹ drawn
    on top of each other.  Checked on the rendered figure: the visible labels of the x axis (major
    and minor) have pairwise disjoint bounding boxes, and there are at least two of them."""
    import math as _m
    a, b = float(lo), float(hi)
    xs = [a * (b / a) ** (i / 4) for i in range(5)]
    rows = [{"alpha": repr(x), "risk": repr(1 / (1 + x))} for x in xs]
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    fig, _ = plot_rows(["alpha", "risk"], rows, "alpha", "risk", logx=True, logy=True)
    canvas = FigureCanvasAgg(fig)                 # the canvas plot_file writes with
    canvas.draw()
    ax = fig.axes[0]
    renderer = canvas.get_renderer()
    x0, x1 = ax.get_xlim()
    for axis, (v0, v1) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        ticks = [t for t in axis.get_major_ticks() + axis.get_minor_ticks()
                 if t.label1.get_visible() and t.label1.get_text()
                 and min(v0, v1) <= t.get_loc() <= max(v0, v1)]
        boxes = [t.label1.get_window_extent(renderer) for t in ticks]
        assert len(boxes) >= 2
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                assert not boxes[i].overlaps(boxes[j]), (ticks[i].label1.get_text(),
                                                         ticks[j].label1.get_text())
    assert _m.isfinite(x0) and _m.isfinite(x1)
