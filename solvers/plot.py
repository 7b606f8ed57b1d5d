"""Plots of one's own sweeps and time series: ``icl-theory plot FILE --x NAME --y NAME``.

Reads what ``icl-theory sweep`` (CSV, or ``--json``: a list of rows) and ``icl-theory dynamics
--out`` (CSV: one row per time; JSON: the result object with ``times``/``risk``/``gamma`` lists)
write, and draws ``y`` against ``x`` with matplotlib's Agg canvas (no display, no global
backend change): labelled axes with Greek letters for the known parameters, one line per value
of ``hue`` with a legend, markers when a series has few points, optional error bars from a
column (``err``, e.g. ``simulate.stderr``) and log axes.  Points that cannot be drawn (an
``inf``, a non-positive value on a log axis) are left out and counted in the returned summary.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
from typing import Sequence

__all__ = ["read_table", "plot_rows", "plot_file", "axis_label", "FORMATS", "MARKER_LIMIT"]

#: output formats (by extension) the Agg canvas writes
FORMATS = (".png", ".pdf", ".svg")
#: series with at most this many points get markers
MARKER_LIMIT = 25

#: axis labels of the known columns (matplotlib mathtext)
AXIS_LABELS = {
    "risk": "risk $R$", "gamma": r"step $\gamma$", "alpha": r"context ratio $\alpha = P/D$",
    "depth": "depth $L$", "width": "width $N$", "context": "context length $P$",
    "time": "time $t$", "step": "SGD step $n$", "sigma2": r"label noise $\sigma^2$",
    "nu": r"capacity $\nu$", "beta": r"source $\beta$", "dim": "dimension $D$",
    "error_estimate": r"error estimate $\varepsilon$", "stderr": "standard error",
    "bias": "bias", "variance": "variance", "lr": r"learning rate $\eta$",
    "tau": r"batch ratio $\tau$", "kappa": r"query ratio $\kappa$",
    "simulate.risk": "simulated risk", "simulate.stderr": "simulated risk, s.e.",
    "C": r"$C = |\Gamma - \Gamma^\star|^2/D$", "proxy": r"proxy $|\Gamma - I|^2/D$",
    "flow_time": "flow time",
}
#: short symbols for legends
SYMBOLS = {"alpha": r"$\alpha$", "beta": r"$\beta$", "nu": r"$\nu$", "sigma2": r"$\sigma^2$",
           "depth": "$L$", "width": "$N$", "context": "$P$", "gamma": r"$\gamma$",
           "time": "$t$", "dim": "$D$", "lr": r"$\eta$", "tau": r"$\tau$",
           "kappa": r"$\kappa$", "risk": "$R$"}


def axis_label(name: str) -> str:
    """Readable axis label of a column (``alpha`` → ``context ratio $\\alpha = P/D$``)."""
    return AXIS_LABELS.get(name, name)


def _symbol(name):
    return SYMBOLS.get(name, name)


def read_table(path) -> tuple[list[str], list[dict]]:
    """``(columns, rows)`` of a sweep or dynamics output file (``.csv`` or ``.json``).

    JSON may be a list of row objects (``sweep --json``), an object with ``rows``
    (:meth:`solvers.sweep.SweepResult.to_dict`) or a time series object (``dynamics --json`` /
    ``--out FILE.json``: equal-length lists ``times``, ``risk``, ``gamma``, …, one row per time).
    ValueError naming ``file`` otherwise."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"file={path!r} is invalid: no such file")
    ext = os.path.splitext(path)[1].lower()
    try:
        with open(path, newline="") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"file={path!r} is invalid: cannot read it ({exc})") from None
    if ext == ".csv" or (ext != ".json" and not text.lstrip().startswith(("[", "{"))):
        reader = csv.DictReader(io.StringIO(text))
        rows = [dict(r) for r in reader]
        columns = list(reader.fieldnames or [])
        if not columns:
            raise ValueError(f"file={path!r} is invalid: an empty CSV file (no header line)")
        return columns, rows
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"file={path!r} is invalid: not JSON ({exc})") from None
    except RecursionError:
        raise ValueError(f"file={path!r} is invalid: JSON arrays or objects nested too "
                         "deeply") from None
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data = data["rows"]
    if isinstance(data, list):
        if not all(isinstance(r, dict) for r in data):
            raise ValueError(f"file={path!r} is invalid: a JSON list must hold row objects")
        columns = []
        for r in data:
            columns += [k for k in r if k not in columns]
        return columns, data
    if isinstance(data, dict) and isinstance(data.get("times"), list):
        n = len(data["times"])
        cols = {"time": data["times"]}
        for k, v in data.items():
            if k != "times" and isinstance(v, list) and len(v) == n:
                cols[k] = v
        return list(cols), [{k: cols[k][i] for k in cols} for i in range(n)]
    raise ValueError(f"file={path!r} is invalid: expected a sweep (rows) or a dynamics "
                     "(times, risk, …) output")


def _number(v):
    """float of a cell (``"inf"`` → inf), or None when it is not a number."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(str(v).strip())
    except ValueError:
        return None


def _sort_key(v):
    f = _number(v)
    return (0, f, "") if f is not None else (1, 0.0, str(v))


def plot_rows(columns: Sequence[str], rows: Sequence[dict], x: str, y, *, hue: str | None = None,
              logx: bool = False, logy: bool = False, err: str | None = None,
              where: dict | None = None, title: str | None = None, source: str = "data"):
    """A matplotlib ``Figure`` of ``y`` against ``x`` (``y``: one column or several, each its
    own line), one line per value of ``hue``; ``where`` keeps the rows whose columns equal the
    given values (numerically when both are numbers).  Returns ``(figure, summary)`` with
    ``points``, ``series`` and ``skipped`` (points not drawable)."""
    from matplotlib.figure import Figure

    ys = [s.strip() for s in y.split(",")] if isinstance(y, str) else list(y)
    for flag, name in [("x", x)] + [("y", n) for n in ys] + [("hue", hue), ("err", err)] + \
            [("where", n) for n in (where or {})]:
        if name is not None and name not in columns:
            raise ValueError(f"{flag}={name!r} is invalid: not a column of {source}; columns: "
                             f"{', '.join(columns)}")
    if err is not None and len(ys) != 1:
        raise ValueError(f"err={err!r} is invalid with several y columns: give one --y")
    kept = []
    for r in rows:
        ok = True
        for k, want in (where or {}).items():
            a, b = _number(r.get(k)), _number(want)
            if not ((a is not None and b is not None and a == b) or str(r.get(k)) == str(want)):
                ok = False
        if ok:
            kept.append(r)
    if not kept:
        raise ValueError(f"where={where!r} is invalid: no row of {source} matches")
    hues = sorted({str(r.get(hue)) for r in kept}, key=_sort_key) if hue else [None]
    fig = Figure(figsize=(6.4, 4.4), dpi=150, layout="constrained")
    ax = fig.add_subplot()
    drawn = skipped = 0
    nseries = 0
    for yname in ys:
        for h in hues:
            pts = []
            for r in kept:
                if hue and str(r.get(hue)) != h:
                    continue
                xv, yv = _number(r.get(x)), _number(r.get(yname))
                if yv is None and r.get(yname) not in (None, ""):
                    raise ValueError(f"y={yname!r} is invalid: value {r.get(yname)!r} is not a "
                                     "number")
                if xv is None and r.get(x) not in (None, ""):
                    raise ValueError(f"x={x!r} is invalid: value {r.get(x)!r} is not a number")
                ev = _number(r.get(err)) if err else None
                bad = (xv is None or yv is None or not math.isfinite(xv)
                       or not math.isfinite(yv) or (logx and xv <= 0) or (logy and yv <= 0))
                if bad:
                    skipped += 1
                    continue
                pts.append((xv, yv, ev))
            if not pts:
                continue
            pts.sort()
            xs_ = [p[0] for p in pts]
            if len(set(xs_)) < len(xs_) and hue is None:
                others = [c for c in columns if c not in (x, *ys, err)
                          and len({str(r.get(c)) for r in kept}) > 1]
                raise ValueError(f"x={x!r} has repeated values in one series: other columns "
                                 f"vary ({', '.join(others) or '?'}); pass --hue NAME or "
                                 "--where NAME=VALUE")
            parts = []
            if len(ys) > 1:
                parts.append(axis_label(yname))
            if hue:
                parts.append(f"{_symbol(hue)} = {h}")
            label = ", ".join(parts) or None
            marker = "o" if len(pts) <= MARKER_LIMIT else None
            yerr = [p[2] if p[2] is not None else 0.0 for p in pts] if err else None
            if err:
                ax.errorbar(xs_, [p[1] for p in pts], yerr=yerr, marker=marker or ".",
                            markersize=4, capsize=2, linewidth=1.2, label=label)
            else:
                ax.plot(xs_, [p[1] for p in pts], marker=marker, markersize=4, linewidth=1.4,
                        label=label)
            drawn += len(pts)
            nseries += 1
    if drawn == 0:
        raise ValueError(f"y={y!r} is invalid: no drawable point (all values missing, infinite "
                         "or non-positive on a log axis)")
    if logx:
        ax.set_xscale("log")
        _short_log_axis(ax.xaxis, ax.get_xlim())
    if logy:
        ax.set_yscale("log")
        _short_log_axis(ax.yaxis, ax.get_ylim())
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(ys[0]) if len(ys) == 1 else ", ".join(ys))
    ax.grid(True, which="major", alpha=0.3)
    if nseries > 1 or (hue and nseries):
        ax.legend(title=None, fontsize="small", frameon=False)
    if title:
        ax.set_title(title)
    return fig, {"points": drawn, "series": nseries, "skipped": skipped}


def _plain_number(v, _pos=None):
    """A tick value as a short plain number (0.3, 2, 1e+04)."""
    return f"{v:g}"


def _short_log_axis(axis, limits):
    """On a log axis spanning less than two decades matplotlib labels minor ticks in scientific
    notation (3×10⁻¹, 4×10⁻¹, …), wide labels that run into each other.  There, label plain
    numbers at 1, 2 and 5 times each power of ten instead (narrow, and at most three per
    decade); wider axes keep the default powers of ten."""
    from matplotlib import ticker

    lo, hi = sorted(limits)
    if not (lo > 0 and hi / lo < 100):
        return
    fmt = ticker.FuncFormatter(_plain_number)
    axis.set_major_formatter(fmt)
    axis.set_minor_locator(ticker.LogLocator(base=10, subs=(2, 5)))
    axis.set_minor_formatter(fmt)


def plot_file(path, x, y, *, out, hue=None, logx=False, logy=False, err=None, where=None,
              title=None, force=False) -> dict:
    """Read a sweep/dynamics output (:func:`read_table`), draw it (:func:`plot_rows`) and write
    the figure to ``out`` (``.png``, ``.pdf`` or ``.svg``; validated first, written
    atomically).  Returns a summary: ``out``, ``points``, ``series``, ``skipped``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from solvers.outputs import check_file, write_file

    fmt = os.path.splitext(str(out))[1].lower()
    if fmt not in FORMATS:
        raise ValueError(f"out={out!r} is invalid: the file name must end in "
                         f"{', '.join(FORMATS)}")
    check_file("out", out, force=force)
    columns, rows = read_table(path)
    if not rows:
        raise ValueError(f"file={os.fspath(path)!r} is invalid: it has no rows")
    fig, summary = plot_rows(columns, rows, x, y, hue=hue, logx=logx, logy=logy, err=err,
                             where=where, title=title, source=os.path.basename(str(path)))
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt[1:])
    write_file(out, buf.getvalue())
    return {"out": os.fspath(out), **summary}
