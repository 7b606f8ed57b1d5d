"""The main job.  For now: the ISO table of exact optimal risks (depth × context ratio),
written to stdout and, with ``out``, to ``DIR/index.md`` and ``DIR/iso_optimal.json``.
"""
from __future__ import annotations

import json
import os

from tqdm import tqdm

from solvers import iso
from solvers.result import format_number

DEPTHS = (1, 2, 4, 8, 16, "inf")
ALPHAS = ("0.25", "0.5", "1", "2", "4")
QUICK_DEPTHS = (1, 4, 16, "inf")
QUICK_ALPHAS = ("0.5", "1", "2")


def iso_table(alphas, depths, sigma2="0", dps=20, progress=False):
    """Optimal ISO risk and optimal γ for every (α, L); rows of plain-JSON values."""
    rows = []
    grid = [(a, L) for a in alphas for L in depths]
    for a, L in tqdm(grid, desc="ISO optimal risk", disable=not progress, leave=False):
        r = iso.risk(alpha=a, depth=L, sigma2=sigma2, dps=dps)
        rows.append({"alpha": a, "depth": L, "sigma2": sigma2,
                     "risk": format_number(r.risk, 12), "gamma": format_number(r.gamma, 12),
                     "error_estimate": format_number(r.error_estimate, 3),
                     "converged": r.converged})
    return rows


def _markdown(rows, alphas, depths):
    head = "| α \\ L | " + " | ".join(str(L) for L in depths) + " |"
    sep = "|---" * (len(depths) + 1) + "|"
    lines = [head, sep]
    for a in alphas:
        cells = [r["risk"] for r in rows if r["alpha"] == a]
        lines.append(f"| {a} | " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def report(out=None, quick=False, progress=True):
    alphas, depths = (QUICK_ALPHAS, QUICK_DEPTHS) if quick else (ALPHAS, DEPTHS)
    rows = iso_table(alphas, depths, progress=progress)
    table = _markdown(rows, alphas, depths)
    text = ("Exact optimal ISO risk R*(α, L) (noise-free, zero predictor = 1):\n\n" + table)
    if out is not None:
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "iso_optimal.json"), "w") as fh:
            json.dump(rows, fh, indent=1)
        with open(os.path.join(out, "index.md"), "w") as fh:
            fh.write("# icl-theory report\n\n" + text + "\n")
    return {"text": text, "iso_optimal": rows, "out": out}
