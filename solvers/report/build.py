"""The report driver: run every figure, write PNG + JSON per figure and ``index.md``."""
from __future__ import annotations

import math
import os
import time

import mpmath
from tqdm import tqdm

from solvers.outputs import check_dir, staged_dir, write_file
from solvers.report.core import Config, z_summary
from solvers.report.draw import _draw
from solvers.report.compute import fig_compute
from solvers.report.iso import fig_iso_landscape, fig_iso_optimal
from solvers.report.sgd import fig_sgd
from solvers.report.spectra import fig_fs, fig_rrs
from solvers.result import format_number, to_json


FIGURES = [fig_iso_landscape, fig_iso_optimal, fig_fs, fig_rrs, fig_compute, fig_sgd]


def _clean(obj):
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return "inf" if obj > 0 else ("-inf" if obj < 0 else "nan")
    return format_number(obj) if isinstance(obj, mpmath.mpf) else obj


def _fmt_z(s):
    if not s["points"]:
        return "— | — | —"
    return f"{s['points']} | {s['max_abs_z']:.2f} | {100 * s['share_le_2.5']:.0f} %"


def report(out=None, quick=False, progress=True, figures=None, seed=0):
    """Run every figure; write PNG + JSON per figure and ``index.md`` into ``out``.

    ``out`` is validated before any computation; files are written into a staging directory and
    moved into ``out`` only when every figure is done (``index.md`` last), so an interrupted run
    leaves ``out`` as it was.  ``figures``: a subset of :data:`FIGURES`.  Returns a dict with
    ``text`` (the markdown summary), ``figures`` (name → data or error) and ``seconds``."""
    if out is not None:
        check_dir("out", out)
        with staged_dir(out) as stage:
            return _report(stage, out, quick, progress, figures, seed)
    return _report(None, None, quick, progress, figures, seed)


def _report(stage, out, quick, progress, figures, seed):
    cfg = Config(quick=quick, out=out, seed=seed)
    todo = figures or FIGURES
    results, sections, t0 = {}, [], time.time()
    z_rows, law_rows = [], []
    c0 = time.process_time()
    for fn in tqdm(todo, desc="report", disable=not progress):
        t1, c1 = time.time(), time.process_time()
        try:
            fig = fn(cfg)
        except ImportError as exc:  # a module of a later issue not present
            results[fn.__name__] = {"error": f"unavailable: {exc}"}
            sections += [f"## {fn.__name__}", "", f"Not available in this build: {exc}", ""]
            continue
        data = _clean(fig.to_dict())
        results[fig.name] = data
        sec = [f"## {fig.paper} — {fig.title} (`{fig.name}`)", ""]
        if stage is not None:
            _draw(fig, os.path.join(stage, f"{fig.name}.png"))
            write_file(os.path.join(stage, f"{fig.name}.json"), to_json(data, indent=1) + "\n")
            sec += [f"![{fig.paper}: {fig.title}]({fig.name}.png)", ""]
        sec.append("**Panels.**")
        for p in fig.panels:
            ref = f" [{p['paper']}]" if p.get("paper") else " [not in the paper]"
            sec.append(f"- ({p.get('letter', '')}){ref} {p.get('shows', p['title'])}.")
        sec += ["", f"**Finding.** {fig.finding}", "", f"**Details.** {fig.caption}", ""]
        zs = data["z"]
        if zs["points"]:
            sec += [f"**Simulator vs theory.** {zs['points']} points, max |z| = "
                    f"{zs['max_abs_z']:.2f}, {100 * zs['share_le_2.5']:.0f} % with |z| ≤ 2.5.",
                    ""]
        z_rows.append(f"| {fig.paper} `{fig.name}` | {_fmt_z(zs)} |")
        for law in fig.laws:
            law_rows.append(f"| {fig.paper} `{fig.name}` | {law['law']} | {law['reference']} | "
                            f"[{law['range'][0]:.3g}, {law['range'][1]:.3g}] | "
                            f"{law['derived_local_slope']:.4f} | {law['last_local_slope']:.4f} | "
                            f"{law['difference']:+.4f} | {law['law_over_exact']:.4f} |")
        for key, val in data["headline"].items():
            sec.append(f"- **{key}**: `{to_json(val)}`")
        sec += ["", f"_{time.time() - t1:.1f} s wall, {time.process_time() - c1:.1f} s CPU_", ""]
        sections += sec
    allz = z_summary({"panels": [p for d in results.values() if "panels" in d
                                 for p in d["panels"]]})
    md = ["# icl-theory report", "",
          f"Mode: {'quick' if quick else 'full'}. Every curve is the exact theory; points are "
          "simulators (±1 standard error) and each point series in `<name>.json` carries "
          "`theory`, the exact value at the point's own x and dimension D (finite-size theory "
          "where the simulator has finite D and P or N), so z = (y − theory)/err. Black bars in "
          "the figures mark that theory at each point.", "",
          "## Simulator vs theory (z-scores)", "",
          "| figure | points | max \\|z\\| | share \\|z\\| ≤ 2.5 |", "|---|---|---|---|",
          *z_rows, f"| all | {_fmt_z(allz)} |", "",
          "## Derived laws: derived local slope vs the exact curve's last local slope", "",
          "Reference lines are the derived laws with their exact prefactors "
          "(`icl-theory laws`; time, depth, width, context) — nothing is taken from the curve; "
          "the compute frontier, which has no closed-form prefactor, is anchored at the exact "
          "curve's last point (no fit). Slopes are taken on the last plotted interval; "
          "law/exact is the ratio of the law to the exact curve at the last point (→ 1 at the "
          "rate of the law's first correction, `derivations/laws.md`).", "",
          "| figure | law | reference | range | derived | last local slope | difference | "
          "law/exact |",
          "|---|---|---|---|---|---|---|---|", *law_rows, "", *sections]
    md.append(f"_total {time.time() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU_")
    text = "\n".join(md)
    if stage is not None:
        write_file(os.path.join(stage, "index.md"), text + "\n")
    return {"text": text, "figures": results, "out": out, "seconds": time.time() - t0}
