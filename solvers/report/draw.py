"""Drawing a :class:`~solvers.report.core.Figure` as a one-column 2×2 PNG (matplotlib, Agg)."""
from __future__ import annotations

import math

from solvers.report.core import Figure


# ------------------------------------------------------------------------------------ drawing

#: one paper column
COLUMN_INCHES = 3.4
#: 680 pixels across a column: sharp at print size, cheap to render
DPI = 200



_RC = {"font.size": 6.5, "axes.titlesize": 6.8, "axes.labelsize": 6.5,
       "xtick.labelsize": 5.5, "ytick.labelsize": 5.5, "legend.fontsize": 5.2,
       "axes.linewidth": 0.5, "lines.linewidth": 1.0, "xtick.major.width": 0.5,
       "ytick.major.width": 0.5, "xtick.minor.width": 0.4, "ytick.minor.width": 0.4,
       "xtick.major.size": 2.0, "ytick.major.size": 2.0, "xtick.minor.size": 1.0,
       "ytick.minor.size": 1.0, "axes.labelpad": 1.5, "xtick.major.pad": 1.5,
       "ytick.major.pad": 1.5, "axes.titlepad": 3.0}


def _draw_panel(ax, panel):
    from matplotlib.lines import Line2D

    logy = panel.get("yscale") == "log"
    handles, tail, seen = [], [], set()

    def legend_entry(artist, label, last=False):
        if label and label not in seen:
            seen.add(label)
            (tail if last else handles).append((artist, label))

    for c in panel["curves"]:
        xy = [(x, y) for x, y in zip(c["x"], c["y"])
              if math.isfinite(y) and not (logy and y <= 0)]
        if not xy:  # on a log axis an exact zero (e.g. R* = 0 at L = ∞) has no point
            continue
        law = c.get("role") == "derived law"
        (ln,) = ax.plot(*zip(*xy), color=c.get("color", "k"), ls=c.get("ls", "-"),
                        lw=0.9 if law else 1.0, zorder=4 if law else 2)
        if c.get("legend", True):  # laws and floors after the curves they refer to
            legend_entry(ln, c["label"], last=law or c.get("role") == "paper"
                         or c["label"] == "floor")
    for p in panel.get("points", []):
        keep = [j for j, y in enumerate(p["y"]) if not (logy and y <= 0)]
        xs = [p["x"][j] for j in keep]
        col = p.get("color", "k")
        ax.errorbar(xs, [p["y"][j] for j in keep], yerr=[p["err"][j] for j in keep],
                    fmt=p.get("fmt", "o"), ms=2.6, mew=0.6, mfc="white", color=col,
                    elinewidth=0.6, capsize=0, zorder=6)
        # the exact theory at each point's own x and D: a short bar (and, where the points'
        # D is far from the curves', a thin line through the bars)
        th = [p["theory"][j] for j in keep]
        if panel.get("theory_lines"):
            ax.plot(xs, th, ls="-", lw=0.5, color=col, alpha=0.7, zorder=3)
        ax.plot(xs, th, ls="none", marker="_", ms=5.5, mew=0.9, color="k", zorder=5)
    for label, ls in panel.get("legend_styles", []):  # what solid / dashed mean
        legend_entry(Line2D([], [], ls=ls, color="0.35"), label, last=True)
    if panel.get("points") and panel.get("sim_label"):
        legend_entry(Line2D([], [], ls="none", marker="o", ms=2.6, mew=0.6, mfc="white",
                            color="0.3"), panel["sim_label"], last=True)
    if panel.get("ylim"):
        lo, hi = panel["ylim"]
        ys = [y for c in panel["curves"] for y in c["y"]
              if math.isfinite(y) and (y > 0 or not logy)]
        if lo is None and ys:
            lo = min(ys) / 2 if logy else min(ys) - 0.05 * (hi - min(ys))
        ax.set_ylim(lo, hi)
    ax.set_xscale(panel.get("xscale", "linear"))
    ax.set_yscale(panel.get("yscale", "linear"))
    _short_log_ticks(ax)
    ax.set_xlabel(panel["xlabel"])
    ax.set_ylabel(panel["ylabel"])
    ax.set_title(panel["title"])
    handles += tail
    if handles:
        ax.legend([h for h, _ in handles], [lab for _, lab in handles], frameon=False,
                  loc=panel.get("legend_loc", "best"), ncol=panel.get("ncol", 1),
                  handlelength=1.6, handletextpad=0.4, labelspacing=0.15, borderaxespad=0.2,
                  columnspacing=0.8)


def _short_log_ticks(ax):
    """On a log axis spanning less than two decades, label 1-2-5 ticks as plain numbers
    (matplotlib's default labels every minor tick as a×10^b, which overlaps in a narrow panel)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    for axis, lim in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        if axis.get_scale() != "log" or lim[0] <= 0:
            continue
        span = math.log10(max(lim) / min(lim))
        if span < 2.0:
            subs = tuple(range(1, 10)) if span < 0.5 else (1.0, 2.0, 5.0)
            axis.set_major_locator(LogLocator(base=10, subs=subs))
            axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            axis.set_minor_formatter(NullFormatter())


def _draw(fig: Figure, path: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(fig.panels)
    rows, cols = (1, 1) if n == 1 else ((1, 2) if n == 2 else (2, 2))
    height = {1: 2.4, 2: 3.2}[rows] if n != 2 else 1.7
    with plt.rc_context(_RC):
        f, axes = plt.subplots(rows, cols, figsize=(COLUMN_INCHES, height), squeeze=False)
        for ax, panel in zip(axes.flat, fig.panels):
            _draw_panel(ax, panel)
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        f.tight_layout(pad=0.3, h_pad=0.5, w_pad=0.6)
        f.savefig(path, dpi=DPI)
        plt.close(f)


# ------------------------------------------------------------------------------------ output
