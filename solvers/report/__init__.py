"""The main job: ``icl-theory report --out DIR`` regenerates the paper's figures from the exact
theory, overlays simulator points, and writes ``index.md`` with the headline numbers.

Each figure is a function ``fig_*(cfg) -> Figure`` returning the data behind every curve (saved
as ``DIR/<name>.json``) and drawing ``DIR/<name>.png`` (2×2 panels, one paper column wide).

Rules the figures follow (issue 10):

* every simulator point series carries ``theory`` — the exact value at the point's own ``x`` and
  dimension ``D`` (:func:`solvers.settings.finite_size.risk` at finite context or width, the
  exact ``D``-mode sums at infinite context, the exact finite-``D`` SGD recursion) — and ``err``,
  one standard error (over contexts, or seed to seed for training curves), so that
  ``z = (y − theory)/err`` can be checked (``index.md`` tabulates max |z| per figure);
* every reference line is the derived law, drawn by :func:`_reference_line`, and every law is
  checked by the pair *derived local slope / the curve's last local slope* on the plotted range;
* simulated points sit where the finite-size theory applies (away from the instability edge of
  deep filters, where the mean over contexts is carried by rare contexts); captions say where.

``quick=True`` shrinks grids and simulator sizes (a smoke test, ~15 s); the default is the full
report (~1 min on two idle cores).  A figure whose module is not available is reported in
``index.md`` with the reason instead of silently disappearing.
"""
from solvers.report.build import FIGURES, report
from solvers.report.core import (NU, SLOPE_TOL, Z_MAX, Z_SHARE, Z_TYPICAL, Config, Figure,
                                 point_series, z_scores, z_summary)

__all__ = ["report", "FIGURES", "Config", "Figure", "point_series", "z_scores", "z_summary",
           "NU", "Z_MAX", "Z_TYPICAL", "Z_SHARE", "SLOPE_TOL"]
