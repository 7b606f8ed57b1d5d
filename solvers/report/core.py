"""Shared pieces of the report: configuration, figure/panel/curve/point records, z-scores,
the derived-law reference lines and the simulator/finite-size helpers."""
from __future__ import annotations

import functools
import math
import zlib
from dataclasses import dataclass, field




#: capacity exponent ν of every power-law figure (the paper's value)
NU = "1.25"
#: |z| bounds the report is held to (issue 10): all points within Z_MAX, Z_SHARE of them
#: within Z_TYPICAL
Z_MAX, Z_TYPICAL, Z_SHARE = 4.0, 2.5, 0.9
#: a derived law and the curve's last local slope must agree to this on the plotted range
SLOPE_TOL = 0.03


@dataclass(frozen=True)
class Config:
    quick: bool
    out: str | None
    seed: int = 0

    def pick(self, quick_value, full_value):
        return quick_value if self.quick else full_value

    def seed_for(self, *keys):
        """A deterministic seed per simulated point (independent draws for every point)."""
        return (self.seed * 1_000_003 + zlib.crc32(repr(keys).encode())) % (2 ** 31)


@dataclass
class Figure:
    """Data behind one figure: panels (theory ``curves``, simulator ``points``), the paper
    figure it reproduces, the finding it illustrates, a caption with the simulation details,
    headline numbers and the derived-law checks (``laws``)."""

    name: str
    paper: str
    title: str
    finding: str
    caption: str
    panels: list = field(default_factory=list)
    headline: dict = field(default_factory=dict)
    laws: list = field(default_factory=list)

    def to_dict(self):
        return {"name": self.name, "paper": self.paper, "title": self.title,
                "finding": self.finding, "caption": self.caption, "panels": self.panels,
                "headline": self.headline, "laws": self.laws,
                "z": z_summary({"panels": self.panels})}


def _f(x):
    """Plain float for plotting/JSON (inf stays inf; written as the string "inf")."""
    return float(x)


def _panel(letter, title, xlabel, ylabel, shows, paper=None, xscale="linear", yscale="linear",
           **more):
    """One panel: ``shows`` says in words what it plots (index.md), ``paper`` the paper's panel
    (e.g. "Fig. 2a") or None for a panel the paper does not have."""
    return {"letter": letter, "title": f"({letter}) {title}", "xlabel": xlabel,
            "ylabel": ylabel, "shows": shows, "paper": paper, "xscale": xscale,
            "yscale": yscale, "curves": [], "points": [], **more}


def _curve(label, xs, ys, legend=True, **style):
    return {"label": label, "x": [_f(x) for x in xs], "y": [_f(y) for y in ys],
            "legend": legend, **style}


def _points(label, xs, ys, errs, theory, method, **extra):
    """A simulator series: ``y ± err`` (one standard error) and ``theory``, the exact value at
    each point's own x and dimension (``method`` names it)."""
    n = len(xs)
    if not (len(ys) == len(errs) == len(theory) == n):
        raise ValueError(f"point series {label!r}: x, y, err, theory lengths differ")
    return {"label": label, "x": [_f(x) for x in xs], "y": [_f(y) for y in ys],
            "err": [_f(e) for e in errs], "theory": [_f(t) for t in theory],
            "theory_method": method, **extra}


def _sim_points(label, xs, sims, theory, method, **extra):
    """:func:`_points` of simulator results (their ``risk`` ± ``stderr``)."""
    return _points(label, xs, [s.risk for s in sims], [s.stderr for s in sims], theory, method,
                   **extra)


# ------------------------------------------------------------------------------ z-scores

def point_series(data):
    """Every simulator point series of a figure's data (dict with ``panels``)."""
    for panel in data["panels"]:
        yield from panel.get("points", [])


def z_scores(series):
    """``(y − theory)/err`` of one point series (a zero error with y = theory counts as 0)."""
    out = []
    for y, t, e in zip(series["y"], series["theory"], series["err"]):
        d = float(y) - float(t)
        out.append(d / float(e) if float(e) > 0 else (0.0 if d == 0 else math.inf))
    return out


def z_summary(data):
    """``{"points", "max_abs_z", "share_le_2.5"}`` over all point series of a figure."""
    zs = [abs(z) for s in point_series(data) for z in z_scores(s)]
    if not zs:
        return {"points": 0, "max_abs_z": None, "share_le_2.5": None}
    return {"points": len(zs), "max_abs_z": max(zs),
            "share_le_2.5": sum(z <= Z_TYPICAL for z in zs) / len(zs)}


# ------------------------------------------------------------------------------ derived laws

#: resources whose law has a log correction at a boundary value of β (derived in
#: :func:`theory.exponents._ridge_law`: the head-mode sum Σ k^{β−p−1} is logarithmic at β = p,
#: p = 1 for the width law, p = 2 for the context law); the compute law along L ∝ N^ν inherits
#: the width law's log.
_LOG_AT_BETA = {"width": 1, "context": 2, "compute": 1}


@functools.lru_cache(maxsize=None)
def _derived_law(setting, resource, nu, beta):
    """Exponent ``a`` and log power ``l`` of the derived law ``R ∝ x^{−a} (log x)^l``, from the
    symbolic derivations of :mod:`theory.exponents` evaluated at (ν, β).

    ``resource``: ``time`` (rrs or fs), ``depth``, ``width``, ``context`` (rrs) or ``compute``
    (rrs, C = L·N²): with ``R ≈ A L^{−a_L} + B N^{−a_N}`` the allocation that balances the two
    terms is ``L ∝ N^{a_N/a_L}`` (``= N^ν`` for β ≤ 1) and along it
    ``R ∝ C^{−a_L a_N/(a_N + 2a_L)}`` — the exponent of :func:`solvers.analysis.shape.shape`
    for the budget ``L·N²``, written out here because the symbolic shape solver takes seconds."""
    import sympy as sp

    from theory import exponents as tex
    from theory import symbols as S

    subs = {S.nu: sp.Rational(str(nu)), S.beta: sp.Rational(str(beta))}

    def value(law):
        return float(law.expr.subs(subs))

    if resource == "compute":
        a_l, a_n = value(tex.depth_exponent_rrs()), value(tex.width_exponent())
        a = a_l * a_n / (a_n + 2 * a_l)
    elif setting == "fs":
        if resource != "time":
            raise ValueError(f"resource={resource!r} is invalid for fs: only 'time' is derived")
        a = value(tex.time_exponent_fs())
    else:
        a = value({"time": tex.time_exponent_rrs, "depth": tex.depth_exponent_rrs,
                   "width": tex.width_exponent, "context": tex.context_exponent}[resource]())
    at = _LOG_AT_BETA.get(resource)
    log_power = 1 if at is not None and float(beta) == at else 0
    return a, log_power


#: resources whose law has an exact prefactor (solvers.analysis.laws); others are anchored
_PREFACTOR_LAWS = {"rrs": ("time", "depth", "width", "context"), "fs": ("time",)}


def _reference_line(setting, resource, nu, beta, xs, anchor, depth=math.inf):
    """The derived law of ``resource`` at ``xs`` — the one place every reference line of the
    report comes from.  Returns ``(ys, info)``.

    Where the law has an exact prefactor (:func:`solvers.analysis.laws.law_curve`: time, depth,
    width, context; the time laws at ``depth``) the line is ``c·x^{−a}(log x)^l`` with nothing
    taken from the curve — it lies on the exact curve only as far as the law is asymptotically
    exact.  The compute frontier has no closed-form prefactor: its line is
    ``y₀·f(x)/f(x₀)``, ``f = x^{−a}(log x)^l``, through the curve's value ``anchor = (x₀, y₀)``
    (exponent from :func:`_derived_law`; nothing fitted)."""
    a, lp = _derived_law(setting, resource, nu, beta)
    label = {"time": "t", "depth": "L", "width": "N", "context": "P", "compute": "C"}[resource]
    expr = f"{label}^-{a:.4g}" + (f" log {label}" if lp else "")
    if resource in _PREFACTOR_LAWS.get(setting, ()):
        from solvers.analysis.laws import law_curve

        law_depth = depth if resource == "time" else math.inf
        ys = [float(v) for v in law_curve(setting, resource, nu, beta, xs, depth=law_depth,
                                          dps=20)]
        c = ys[0] / (float(xs[0]) ** (-a) * (math.log(float(xs[0])) ** lp if lp else 1.0))
        return ys, {"law": f"{c:.4g} {expr}", "exponent": a, "log_power": lp, "prefactor": c,
                    "prefactor_source": "exact (solvers.analysis.laws)"}
    x0, y0 = (float(v) for v in anchor)

    def f(x):
        x = float(x)
        return x ** (-a) * (math.log(x) ** lp if lp else 1.0)

    ys = [y0 * f(x) / f(x0) for x in xs]
    return ys, {"law": expr, "exponent": a, "log_power": lp, "prefactor": y0 / f(x0),
                "prefactor_source": f"anchored at the exact curve's value at {label} = {x0:g}"}


def _law_curve(setting, resource, nu, beta, curve, decades, name, depth=math.inf):
    """Reference line over the last ``decades`` of ``curve`` (anchored at its last point) and
    the check ``derived local slope / the curve's last local slope``.  Returns
    ``(curve dict, law record)``."""
    xs, ys = curve["x"], curve["y"]
    x_last = xs[-1]
    keep = [x for x in xs if x >= x_last / 10 ** decades]
    ref, info = _reference_line(setting, resource, nu, beta, keep, (x_last, ys[-1]), depth)
    line = _curve("derived law", keep, ref, ls=":", color="k", role="derived law", **info)
    # local slopes on the last plotted interval [x_{n−1}, x_n]
    (x0, y0), (x1, y1) = (xs[-2], ys[-2]), (xs[-1], ys[-1])
    r0, _ = _reference_line(setting, resource, nu, beta, [x0, x1], (x1, y1), depth)
    span = math.log(x1 / x0)
    derived = -math.log(r0[1] / r0[0]) / span
    measured = -math.log(y1 / y0) / span
    law = {"law": name, "reference": info["law"], "range": [x0, x1],
           "derived_local_slope": derived, "last_local_slope": measured,
           "difference": measured - derived, "law_over_exact": ref[-1] / ys[-1]}
    return line, law


# ------------------------------------------------------------------------------ helpers

def _powerlaw_arrays(nu, beta, dim):
    import numpy as np

    from solvers.spectra import PowerLaw

    lam, om = PowerLaw(nu, beta, dim=dim).modes(dps=20)
    return np.array([float(v) for v in lam]), np.array([float(v) for v in om])


def _fsize(setting, **kw):
    """The finite-size theory at the simulator's exact sizes (case C, case W or the exact
    infinite-context D-mode risk): :func:`solvers.settings.finite_size.risk`."""
    from solvers.settings import finite_size

    return finite_size.risk(setting, **kw)


def _sim(setting, cfg, key, **kw):
    from solvers.simulators.reduced import simulate

    return simulate(setting, seed=cfg.seed_for(*key), **kw)


def _log_grid(lo, hi, n):
    return [lo * (hi / lo) ** (i / (n - 1)) for i in range(n)]


# ------------------------------------------------------------------------------------ ISO

def _colors():
    return ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]
