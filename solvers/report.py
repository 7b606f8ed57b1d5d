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
from __future__ import annotations

import functools
import math
import os
import time
import zlib
from dataclasses import dataclass, field

import mpmath
from tqdm import tqdm

from solvers.outputs import check_dir, staged_dir, write_file
from solvers.result import format_number, to_json

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


def _reference_line(setting, resource, nu, beta, xs, anchor):
    """The derived law of ``resource`` at ``xs`` — the one place every reference line of the
    report comes from.

    Today: ``R = y₀ · f(x)/f(x₀)`` with ``f(x) = x^{−a}(log x)^l`` (exponent and log power from
    :func:`_derived_law`) through the curve's own value ``anchor = (x₀, y₀)`` — a prefactor
    taken from the exact curve at one point, nothing fitted.  (To be replaced by the exact
    prefactors of the laws once they are derived.)  Returns ``(ys, info)``."""
    a, lp = _derived_law(setting, resource, nu, beta)
    x0, y0 = (float(v) for v in anchor)

    def f(x):
        x = float(x)
        return x ** (-a) * (math.log(x) ** lp if lp else 1.0)

    ys = [y0 * f(x) / f(x0) for x in xs]
    label = {"time": "t", "depth": "L", "width": "N", "context": "P", "compute": "C"}[resource]
    expr = f"{label}^-{a:.4g}" + (f" log {label}" if lp else "")
    return ys, {"law": expr, "exponent": a, "log_power": lp,
                "prefactor": f"anchored at the exact curve's value at {label} = {x0:g}"}


def _law_curve(setting, resource, nu, beta, curve, decades, name):
    """Reference line over the last ``decades`` of ``curve`` (anchored at its last point) and
    the check ``derived local slope / the curve's last local slope``.  Returns
    ``(curve dict, law record)``."""
    xs, ys = curve["x"], curve["y"]
    x_last = xs[-1]
    keep = [x for x in xs if x >= x_last / 10 ** decades]
    ref, info = _reference_line(setting, resource, nu, beta, keep, (x_last, ys[-1]))
    line = _curve("derived law", keep, ref, ls=":", color="k", role="derived law", **info)
    # local slopes on the last plotted interval [x_{n−1}, x_n]
    (x0, y0), (x1, y1) = (xs[-2], ys[-2]), (xs[-1], ys[-1])
    r0, _ = _reference_line(setting, resource, nu, beta, [x0, x1], (x1, y1))
    span = math.log(x1 / x0)
    derived = -math.log(r0[1] / r0[0]) / span
    measured = -math.log(y1 / y0) / span
    law = {"law": name, "reference": info["law"], "range": [x0, x1],
           "derived_local_slope": derived, "last_local_slope": measured,
           "difference": measured - derived}
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

def fig_iso_landscape(cfg: Config) -> Figure:
    """ISO landscape R(γ) against γ/L for several depths (α = 0.5, α = 2) and for several
    noise levels at L = 16, and the optimal step against the noise (paper Fig. 2)."""
    from solvers.settings import iso

    depths = cfg.pick((1, 4, 16), (1, 2, 4, 8, 16, 32))
    n_g = cfg.pick(11, 41)
    D, C = cfg.pick(64, 128), cfg.pick(60, 150)
    rel = (0.5, 0.9)
    fig = Figure(
        "iso_landscape", "Fig. 2", "ISO loss landscape",
        "The optimal step per layer is γ*/L = α/(1+α) at every depth without noise; depth "
        "lowers the whole landscape; label noise moves the optimum to smaller γ (early "
        "stopping acts as regularisation).",
        f"Lines: exact asymptotic R(γ) (D = ∞). Points: simulator (D = {D}, P = αD, {C} "
        f"contexts, ±1 s.e.) at γ/L = {rel[0]} and {rel[1]} of the noise-free optimum "
        "α/(1+α) — at the optimum itself a deep filter sits on the instability edge of the "
        "top eigenvalue (γs₊/L = 2 at α = 1), where the mean over contexts is carried by "
        "rare contexts; black bars: the finite-size theory (finite D and P) at each point.")
    cmap = _colors()
    for letter, alpha in (("a", "0.5"), ("b", "2")):
        a = float(alpha)
        panel = _panel(letter, f"α = {alpha}", "γ/L", "risk",
                       f"R(γ) vs γ/L at α = {alpha} for L ∈ {{{', '.join(map(str, depths))}}}",
                       paper=f"Fig. 2{letter}", yscale="log", ylim=[None, 2 if a < 1 else 3],
                       sim_label=f"sim. D = {D}")
        top = 1.1 * 2.0 / (1 + (1 / a) ** 0.5) ** 2  # past γs₊/L = 2, where deep nets diverge
        xs = [top * (i + 1) / n_g for i in range(n_g)]
        for i, L in enumerate(depths):
            ys = [iso.risk(alpha, L, gamma=x * L, dps=15).risk for x in xs]
            panel["curves"].append(_curve(f"L = {L}", xs, ys, color=cmap[i]))
            sx = [a / (1 + a) * m for m in rel]
            sims, th, gaps = [], [], []
            for x in sx:
                sims.append(_sim("iso", cfg, ("land", alpha, L, x), alpha=a, depth=L,
                                 gamma=x * L, dim=D, contexts=C))
                r = _fsize("iso", dim=D, alpha=a, depth=L, gamma=x * L)
                th.append(r.risk)
                gaps.append(r.extra.get("edge_gap", math.inf))
            panel["points"].append(_points(
                f"sim L = {L}", sx, [s.risk for s in sims], [s.stderr for s in sims], th,
                f"finite_size.risk iso, D = {D}, P = {round(a * D)}", color=cmap[i], dim=D,
                edge_gap=gaps))
        fig.panels.append(panel)
    # (c) noise: L = 16, α = 1.125
    alpha, L = "1.125", 16
    a = float(alpha)
    sigmas = ("0", "0.25", "0.5", "0.75", "1")
    pc = _panel("c", "L = 16, α = 1.125", "γ/L", "risk",
                "R(γ) vs γ/L at L = 16, α = 1.125 for label noise σ ∈ {0, 0.25, 0.5, 0.75, 1}",
                paper="Fig. 2c", ylim=[0, 1.6], sim_label=f"sim. D = {D}")
    xs = [0.7 * (i + 1) / n_g for i in range(n_g)]
    sx = cfg.pick((0.1, 0.4), (0.1, 0.25, 0.4))
    for i, sigma in enumerate(sigmas):
        s2 = float(sigma) ** 2
        ys = [iso.risk(alpha, L, sigma2=s2, gamma=x * L, dps=15).risk for x in xs]
        pc["curves"].append(_curve(f"σ = {sigma}", xs, ys, color=cmap[i]))
        sims = [_sim("iso", cfg, ("noise", sigma, x), alpha=a, depth=L, gamma=x * L,
                     sigma2=s2, dim=D, contexts=C) for x in sx]
        th = [_fsize("iso", dim=D, alpha=a, depth=L, gamma=x * L, sigma2=s2).risk for x in sx]
        pc["points"].append(_points(f"sim σ = {sigma}", sx, [s.risk for s in sims],
                                    [s.stderr for s in sims], th,
                                    f"finite_size.risk iso, D = {D}, P = {round(a * D)}, "
                                    f"σ² = {s2:g}", color=cmap[i], dim=D))
    fig.panels.append(pc)
    # (d) the optimum against the noise
    pd = _panel("d", "optimal step vs noise", "σ²", "γ*/L",
                "the optimal γ*/L against the label-noise variance σ² at α = 1.125 for "
                "L = 1, 4, 16 (exact)", yscale="log")
    s2s = [1.5 * i / cfg.pick(6, 15) for i in range(cfg.pick(6, 15) + 1)]
    optima = {}
    for i, Ld in enumerate((1, 4, 16)):
        g = [float(iso.risk(alpha, Ld, sigma2=s2, dps=15).gamma) / Ld for s2 in s2s]
        pd["curves"].append(_curve(f"L = {Ld}", s2s, g, color=cmap[i]))
        if Ld == 16:
            optima = {f"{s2:.3g}": v for s2, v in zip(s2s, g)}
    fig.panels.append(pd)
    fig.headline = {"optimal gamma/L vs sigma^2 (L=16, alpha=1.125)": optima}
    return fig


def fig_iso_optimal(cfg: Config) -> Figure:
    """Optimal ISO risk against α for L ∈ {1, 2, 4, 8, 16, ∞} (paper Fig. 1c), with simulator
    points near the optimal γ."""
    from solvers.settings import iso

    n_a = cfg.pick(9, 25)
    D, C = cfg.pick(64, 128), cfg.pick(60, 150)
    depths = cfg.pick((1, 4, 16), (1, 2, 4, 8, 16))
    rel = 0.9
    alphas = _log_grid(0.1, 10, n_a)
    fig = Figure(
        "iso_optimal", "Fig. 1c", "ISO optimal risk vs context ratio",
        "Depth helps at every context length; the infinite-depth limit is max(0, 1−α): deep "
        "linear attention solves the task exactly once P ≥ D.",
        f"Lines: exact min_γ R (D = ∞). Points: simulator (D = {D}, P = αD, {C} contexts, ±1 "
        f"s.e.) at γ = {rel}·γ* (the optimum puts deep filters on the instability edge, "
        "γ*s₊/L = 2 at α = 1); black bars: the finite-size theory at each point (it lies "
        "slightly above the optimal curve because γ < γ* and D is finite).")
    cmap = _colors()
    panel = _panel("a", "optimal risk", "α = P/D", "optimal risk",
                   "min_γ R against α for L ∈ {1, 2, 4, 8, 16, ∞}", paper="Fig. 1c",
                   xscale="log", yscale="log", sim_label=f"sim. D = {D}, γ = {rel}γ*")
    table = {}
    for i, L in enumerate(list(depths) + ["inf"]):
        ys = [iso.risk(a, L, dps=15).risk for a in alphas]
        name = "∞" if L == "inf" else L
        panel["curves"].append(_curve(f"L = {name}", alphas, ys, color=cmap[i]))
        if L == "inf":
            continue
        sa = (0.25, 1.0, 4.0)
        sims, th = [], []
        for a in sa:
            g = rel * float(iso.risk(a, L, dps=15).gamma)
            sims.append(_sim("iso", cfg, ("opt", L, a), alpha=a, depth=L, gamma=g, dim=D,
                             contexts=C))
            th.append(_fsize("iso", dim=D, alpha=a, depth=L, gamma=g).risk)
        panel["points"].append(_points(f"sim L = {L}", sa, [s.risk for s in sims],
                                       [s.stderr for s in sims], th,
                                       f"finite_size.risk iso, D = {D}, P = αD, γ = {rel}γ*",
                                       color=cmap[i], dim=D))
    fig.panels.append(panel)
    for L in (1, 2, 4, 8, 16, "inf"):
        table[str(L)] = {a: format_number(iso.risk(a, L, dps=20).risk, 10)
                         for a in ("0.5", "1", "2")}
    fig.headline = {"optimal risk R*(alpha) by depth": table}
    return fig


# ------------------------------------------------------------------------------------ FS

def fig_fs(cfg: Config) -> Figure:
    """FS (paper Fig. 3): (a) per-mode γ_k(t)λ_k at L = 4 against L = ∞; (b) power-law risk
    vs time for several depths with the derived law t^{−νβ/(νβ+2ν+1)}; (c) out-of-distribution
    risk of Γ = LΣ⁻¹ on a rotated covariance; (d) the local exponent of (b)."""
    from solvers.settings import fs
    from solvers.simulators.reduced import simulate

    nu, beta = NU, "1.25"
    n_t = cfg.pick(11, 37)
    times = _log_grid(0.1, 1e6, n_t)
    D = cfg.pick(64, 256)
    n_ctx = cfg.pick(100, 200)
    depths = (1, 2, 4, 8)
    fig = Figure(
        "fs", "Fig. 3", "FS: fixed structured covariance",
        "Per-mode flows learn mode k at t ∝ 1/(ω_kλ_k³); the risk decays as t^{−νβ/(νβ+2ν+1)} "
        "at every depth (derived here; the paper prints β/(ν+νβ+1)); the trained Γ = LΣ⁻¹ is "
        "brittle out of distribution once the spectral radius r of I − Σ⁻¹Σ' exceeds 1, "
        "and more so the deeper the model.",
        f"ν = β = 1.25, α = ∞. (a) closed-form per-mode flow γ_k(t)λ_k (solid L = 4, dashed "
        f"L = ∞). (b) R(t) at D = ∞ (lines) and simulator points at D = {D} with the theory's "
        f"γ_k(t) ({n_ctx} tasks, ±1 s.e., mostly smaller than the markers; black bars: the exact "
        f"D-mode risk); dotted: the derived law through each curve's last point. (c) "
        f"R_OOD(θ) of Γ = LΣ⁻¹ on Σ' = e^{{θS}}Σe^{{−θS}}. (d) the local exponent "
        f"−d log R/d log t of (b) against the derived νβ/(νβ+2ν+1) and the paper's printed "
        f"β/(ν+νβ+1).")
    cmap = _colors()
    ks = (1, 2, 4, 8, 16)
    pa = _panel("a", "mode trajectories", "t", r"$\gamma_k\lambda_k$",
                "γ_k(t)λ_k for k ∈ {1, 2, 4, 8, "
                "16}, L = 4 (solid) and L = ∞ (dashed)", paper="Fig. 3a", xscale="log")
    for depth, ls in ((4, "-"), ("inf", "--")):
        tr = fs.mode_trajectories(ks, times, nu=nu, beta=beta, depth=depth, dps=15)
        lam = [mpmath.mpf(k) ** (-mpmath.mpf(nu)) for k in ks]
        for i, k in enumerate(ks):
            pa["curves"].append(_curve(f"k = {k}", times, [g * lam[i] for g in tr.gamma[i]],
                                       ls=ls, color=cmap[i], legend=(depth == 4)))
    fig.panels.append(pa)
    pb = _panel("b", "risk vs time", "t", "risk", "R(t) for L ∈ {1, 2, 4, 8} (D = ∞) with "
                f"simulator points (D = {D}) and the derived law", paper="Fig. 3b",
                xscale="log", yscale="log", sim_label=f"sim. D = {D}")
    lam_d, om_d = _powerlaw_arrays(nu, beta, D)
    curves_b = {}
    for i, depth in enumerate(depths):
        # three simulated times per depth, staggered so that the depths' points do not overlap
        sim_t = [10 ** (e + 0.4 * i) for e in (0, 2, 4)]
        ys = [fs.risk(nu=nu, beta=beta, depth=depth, time=t, dps=15).risk for t in times]
        c = _curve(f"L = {depth}", times, ys, color=cmap[i])
        curves_b[depth] = c
        pb["curves"].append(c)
        sims, th = [], []
        tr = fs.mode_trajectories(list(range(1, D + 1)), sim_t, nu=nu, beta=beta, depth=depth,
                                  dim=D, dps=15)
        for j, t in enumerate(sim_t):
            g = [float(row[j]) for row in tr.gamma]
            sims.append(simulate("fs", alpha="inf", depth=depth, gamma=g, lam=lam_d,
                                 omega=om_d, dim=D, contexts=n_ctx,
                                 seed=cfg.seed_for("fs", depth, j)))
            th.append(fs.risk(nu=nu, beta=beta, depth=depth, time=t, dim=D, dps=15).risk)
        pb["points"].append(_points(f"sim L = {depth}", sim_t, [s.risk for s in sims],
                                    [s.stderr for s in sims], th,
                                    f"fs.risk exact D-mode sum, D = {D}", color=cmap[i],
                                    dim=D))
    for depth in depths:
        line, law = _law_curve("fs", "time", nu, beta, curves_b[depth], 3,
                               f"FS time, L = {depth}")
        if depth != depths[0]:
            line["legend"] = False
        pb["curves"].append(line)
        fig.laws.append(law)
    fig.panels.append(pb)
    pc = _panel("c", "out of distribution", "θ", r"$R_{\rm OOD}$",
                "R_OOD(θ) of the trained Γ = LΣ⁻¹ "
                "for L ∈ {1, 2, 4, 8} on a covariance rotated by e^{θS}", paper="Fig. 3c",
                yscale="log")
    dim = cfg.pick(24, 64)
    n_th = cfg.pick(6, 16)
    thetas = [0.25 * (i + 1) / n_th for i in range(n_th)]
    radius = {}
    for i, depth in enumerate(depths):
        res = [fs.ood_risk(th, depth, dim, nu=nu, beta=beta, backend="numpy") for th in thetas]
        pc["curves"].append(_curve(f"L = {depth}", thetas, [r.risk for r in res],
                                   color=cmap[i]))
        radius = {f"{th:.4f}": float(r.extra["spectral_radius"]) for th, r in zip(thetas, res)}
    fig.panels.append(pc)
    pd = _panel("d", "local time exponent", "t", "−d log R / d log t",
                "the local exponent of (b) against the derived and the paper's printed "
                "exponents (colours as in (b))", xscale="log", ylim=[0.25, 0.42],
                legend_loc="upper right")
    a_fs, _ = _derived_law("fs", "time", nu, beta)
    paper = 1.25 / (1.25 + 1.25 * 1.25 + 1)
    for i, depth in enumerate(depths):
        c = curves_b[depth]
        xs, ys = c["x"], c["y"]
        mids = [math.sqrt(xs[j] * xs[j + 1]) for j in range(len(xs) - 1)]
        sl = [-math.log(ys[j + 1] / ys[j]) / math.log(xs[j + 1] / xs[j])
              for j in range(len(xs) - 1)]
        pd["curves"].append(_curve(f"L = {depth}", mids, sl, color=cmap[i], legend=False))
    pd["curves"].append(_curve("derived νβ/(νβ+2ν+1)", [times[0], times[-1]], [a_fs, a_fs],
                               ls=":", color="k", role="derived law"))
    pd["curves"].append(_curve("paper β/(ν+νβ+1)", [times[0], times[-1]], [paper, paper],
                               ls="-.", color="0.5", role="paper"))
    fig.panels.append(pd)
    fig.headline = {"FS time exponent (derived)": "nu*beta/(nu*beta + 2*nu + 1)",
                    "value at nu=beta=1.25": a_fs,
                    "paper's printed beta/(nu+nu*beta+1) at nu=beta=1.25": paper,
                    "spectral radius r(theta) of I - Sigma^-1 Sigma'": radius}
    return fig


# ------------------------------------------------------------------------------------ RRS

def _rrs_flow(times, beta, depth):
    """R(t) of the RRS gradient flow at D = ∞, α = ∞ (:func:`solvers.dynamics`)."""
    from solvers import dynamics

    return dynamics("rrs", times, nu=NU, beta=beta, depth=depth, dps=15)


def fig_rrs(cfg: Config) -> Figure:
    """RRS (paper Fig. 4): (a) risk vs time for several β with the derived law t^{−β/(β+2)};
    (b) landscape vs depth with simulator points; (c) optimal risk vs depth with the law
    L^{−β}; (d) gradient flow at several depths against compute C = L·t."""
    from solvers.settings import rrs

    nu = NU
    D = cfg.pick(64, 128)
    C = cfg.pick(40, 100)
    fig = Figure(
        "rrs", "Fig. 4", "RRS: randomly rotated structured covariance",
        "Under gradient flow the risk decays as t^{−β/(β+2)}; the optimal risk decays with "
        "depth as L^{−β} (the step per layer is capped by the top eigenvalue, γ* ∝ L); at "
        "fixed compute C = L·t deeper models win only once C is large.",
        f"ν = 1.25, α = ∞. (a) gradient flow at D = ∞, L = ∞ for β ∈ {{0.5, 1, 1.5, 2}} "
        f"(the paper's D = 512, L = 2048 truncates the law at late times); dotted: the derived "
        f"law through each curve's last point. (b) R(γ) at β = 1, D = {D} with simulator "
        f"points (D = {D}, {C} contexts, ±1 s.e.) at γ/L ∈ {{0.5, 1, 1.5}}. (c) optimal R vs L "
        f"at β = 1: D = ∞ (solid) with the derived law, D = {D} (dashed) with simulator points "
        f"at the D = {D} optimum. (d) R along the flow (D = ∞, β = 1) against compute C = L·t. "
        f"Black bars: the exact D-mode risk at each point (infinite context: no finite-size "
        f"correction).")
    cmap = _colors()
    # (a) time, D = ∞
    pa = _panel("a", "risk vs time", "t", "risk", "R(t) under gradient flow for "
                "β ∈ {0.5, 1, 1.5, 2} at D = ∞ with the derived law t^{−β/(β+2)}",
                paper="Fig. 4a", xscale="log", yscale="log")
    times = _log_grid(0.1, 1e8, cfg.pick(10, 28))
    for i, beta in enumerate(("0.5", "1", "1.5", "2")):
        tr = _rrs_flow(times, beta, math.inf)
        c = _curve(f"β = {beta}", times, tr.risk, color=cmap[i])
        line, law = _law_curve("rrs", "time", nu, beta, c, 5, f"RRS time, β = {beta}")
        line["legend"] = i == 0
        pa["curves"] += [c, line]
        fig.laws.append(law)
    fig.panels.append(pa)
    # (b) landscape at D, simulator points
    pb = _panel("b", "landscape (β = 1)", "γ/L", "risk", f"R(γ) vs γ/L at β = 1, D = {D}, "
                f"for several L, with simulator points", paper="Fig. 4b", yscale="log",
                ylim=[None, 8], sim_label=f"sim. D = {D}", legend_loc="upper center", ncol=3)
    lam_s, om_s = _powerlaw_arrays(nu, "1", D)
    n_g = cfg.pick(21, 43)
    xs = [2.1 * (j + 1) / n_g for j in range(n_g)]
    for i, L in enumerate(cfg.pick((1, 4, 16), (1, 2, 4, 8, 16, 32))):
        ys = [rrs.landscape(x * L, nu=nu, beta="1", depth=L, dim=D, dps=15).risk for x in xs]
        pb["curves"].append(_curve(f"L = {L}", xs, ys, color=cmap[i]))
        sx = (0.5, 1.0, 1.5)
        sims = [_sim("rrs", cfg, ("land", L, x), alpha="inf", depth=L, gamma=x * L, lam=lam_s,
                     omega=om_s, dim=D, contexts=C) for x in sx]
        th = [_fsize("rrs", dim=D, alpha="inf", depth=L, gamma=x * L, nu=nu, beta=1).risk
              for x in sx]
        pb["points"].append(_points(f"sim L = {L}", sx, [s.risk for s in sims],
                                    [s.stderr for s in sims], th,
                                    f"finite_size.risk rrs, alpha = inf (exact D-mode sum), "
                                    f"D = {D}", color=cmap[i], dim=D))
    fig.panels.append(pb)
    # (c) depth
    pc = _panel("c", "optimal risk vs depth (β = 1)", "L", "risk",
                "min_γ R against L at β = 1: D = ∞ with the derived law L^{−β}, and "
                f"D = {D} with simulator points", paper=None, xscale="log", yscale="log",
                sim_label=f"sim. D = {D}")
    depths = [2 ** j for j in range(cfg.pick(9, 13))]
    opt = [rrs.optimal_gamma(nu=nu, beta="1", depth=L, dps=15) for L in depths]
    c = _curve("D = ∞", depths, [o.risk for o in opt], color=cmap[0])
    line, law = _law_curve("rrs", "depth", nu, "1", c, 2, "RRS depth, β = 1")
    pc["curves"] += [c, line]
    fig.laws.append(law)
    sd = [L for L in depths if L <= 32]
    sims, finite, th = [], [], []
    for L in sd:
        o = rrs.optimal_gamma(nu=nu, beta="1", depth=L, dim=D, dps=15)
        finite.append(o.risk)
        sims.append(_sim("rrs", cfg, ("depth", L), alpha="inf", depth=L, gamma=float(o.gamma),
                         lam=lam_s, omega=om_s, dim=D, contexts=C))
        th.append(_fsize("rrs", dim=D, alpha="inf", depth=L, gamma=float(o.gamma), nu=nu,
                         beta=1).risk)
    pc["curves"].append(_curve(f"D = {D}", sd, finite, ls="--", color=cmap[1]))
    pc["points"].append(_points(f"sim D = {D}", sd, [s.risk for s in sims],
                                [s.stderr for s in sims], th,
                                f"finite_size.risk rrs, alpha = inf, D = {D}, optimal gamma",
                                color=cmap[1], dim=D))
    fig.panels.append(pc)
    # (d) compute C = L t along the flow
    pd = _panel("d", "flow vs compute (β = 1)", "C = L·t", "risk",
                "R along the gradient flow (D = ∞, β = 1) for several L against compute "
                "C = L·t", paper="Fig. 4c", xscale="log", yscale="log")
    t_d = _log_grid(0.1, 1e7, cfg.pick(8, 22))
    for i, L in enumerate(cfg.pick((1, 4), (1, 4, 16))):
        tr = _rrs_flow(t_d, "1", L)
        pd["curves"].append(_curve(f"L = {L}", [L * t for t in t_d], tr.risk, color=cmap[i]))
    fig.panels.append(pd)
    fig.headline = {f"{law['law']}: derived / last local slope":
                    [law["derived_local_slope"], law["last_local_slope"]] for law in fig.laws}
    return fig


# ------------------------------------------------------------------------ compute-optimal

def _projection_mc(lam, om, N, n, seed):
    """Monte Carlo of the infinite-depth limit of case W at finite D: GD from 0 with
    ``Γ = γP_N`` converges (L → ∞, then γ → ∞) to the least-squares solution inside the
    N-dimensional subspace, ``w = V(VᵀΣV)⁻¹VᵀΣ β̃``; the risk of a context is
    ``(β̃ − w)ᵀΣ(β̃ − w)``.  Per context a Haar subspace ``V`` (D×N, the rotation of Σ moved onto
    the projection) and a task ``β̃ ~ N(0, Ω)`` in Σ's eigenbasis.  Returns (mean, s.e.)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    D = len(lam)
    out = np.empty(n)
    for i in range(n):
        G = rng.standard_normal((D, N))
        V, R = np.linalg.qr(G)
        V = V * np.sign(np.diagonal(R))
        b = rng.standard_normal(D) * np.sqrt(om)
        LV = lam[:, None] * V
        w = V @ np.linalg.solve(V.T @ LV, LV.T @ b)
        e = b - w
        out[i] = e @ (lam * e)
    return float(out.mean()), float(out.std(ddof=1) / math.sqrt(n))


def _projection_theory(N, D, beta):
    """The finite-size case-W theory (:func:`solvers.settings.finite_size.risk`, O(1/N)
    corrected) in its projection limit: depth ∞ and γ → ∞, taken as the value at γ = 10⁶ once
    it agrees with γ = 10⁷ to 1e-9 (the filter e^{−γs} is then below rounding on the whole
    support)."""
    vals = [_fsize("rrs", dim=D, width=N, depth=math.inf, gamma=g, nu=NU, beta=beta).risk
            for g in (1e6, 1e7)]
    if abs(vals[0] - vals[1]) > 1e-9 * abs(vals[1]):
        from solvers.result import ConvergenceError

        raise ConvergenceError("projection limit of the finite-size case-W risk not reached",
                               where=f"N={N}, D={D}, beta={beta}", residual=vals[0] - vals[1])
    return vals[1]


def fig_compute(cfg: Config) -> Figure:
    """Compute-optimal shape (paper Fig. 5) from the exact finite-width, finite-depth RRS risk
    (case W, D = ∞, optimal γ): (a) L = 1 with growing N hits a depth floor, (b) N = 8 with
    growing L hits a width floor, (c) L = ⌊(N/4)^ν⌋ follows the derived C^{−e}; (d) the width
    law N^{−ν min(β,1)} behind (b)'s floor, with simulator points."""
    from solvers.settings import rrs
    from solvers.settings import width as swidth

    nu = NU
    betas = cfg.pick(("1",), ("0.75", "1"))
    Dw, Cw = 64, cfg.pick(150, 300)
    Dp, Cp = 256, cfg.pick(200, 400)
    floors8 = {D: float(swidth.projection_risk(width=8, nu=nu, beta="1", dim=D, dps=15).risk)
               for D in (Dw, math.inf)}
    fig = Figure(
        "compute", "Fig. 5", "Compute-optimal shape",
        "Width alone (L = 1) and depth alone (N = 8) each stall at a floor set by the other "
        "resource; growing both as L ∝ N^ν (the derived compute-optimal allocation for "
        "β ≤ 1) follows the derived C^{−e}; the width law is N^{−ν min(β,1)} (the projection "
        "residual is linear in the effective ridge), not the paper's saturation at 2ν.",
        f"RRS, ν = 1.25, α = ∞, compute C = L·N². (a)–(c) lines: exact case-W risk at D = ∞ "
        f"and the optimal γ ({' and '.join('β = ' + b for b in betas)}); dotted grey: the "
        f"floors (L = 1 at N = ∞; N = 8 at L = ∞); dotted black: the derived law through the "
        f"curve's last point. Points: simulator at D = {Dw} ({Cw} contexts, ±1 s.e.) — (a) at "
        f"the D = {Dw} optimal γ, (b), (c) at half of it (at the optimum a deep, narrow filter "
        f"sits on the instability edge of the top eigenvalue of the compressed covariance, where "
        f"the mean over contexts is carried by rare contexts); black bars and thin lines: the "
        f"finite-size case-W theory (finite D, O(1/N)) at each point. The D = ∞ curves lie "
        f"higher because the finite-D risk converges slowly in D: a random N-dimensional "
        f"subspace still overlaps the top modes by about N/D (the N = 8 floor at β = 1 is "
        f"{floors8[Dw]:.3f} at D = {Dw} and {floors8[math.inf]:.3f} at D = ∞). (d) the "
        f"infinite-depth limit "
        f"R_∞(N) = κΣω_kλ_k/(κ+λ_k) at D = ∞ with the derived laws (log-corrected at β = 1); "
        f"points: Monte Carlo of the same limit (least squares inside a Haar N-dimensional "
        f"subspace) at D = {Dp}, {Cp} contexts, N ≥ 16 where the O(1/N) theory holds.")
    cmap = _colors()
    styles = {"0.75": "-", "1": "--"}
    sim_label = f"sim. D = {Dw}"
    pa = _panel("a", "L = 1, width grows", "C = L N²", "risk", "risk vs compute at depth 1 "
                "for growing width N, with its depth floor", paper="Fig. 5a", xscale="log",
                yscale="log", sim_label=sim_label, theory_lines=True)
    pb = _panel("b", "N = 8, depth grows", "C = L N²", "risk", "risk vs compute at width 8 for "
                "growing depth L, with its width floor", paper="Fig. 5b", xscale="log",
                yscale="log", sim_label=sim_label + ", ½γ*", theory_lines=True)
    pc = _panel("c", "L = ⌊(N/4)^ν⌋", "C = L N²", "risk", "risk vs compute along "
                "L = ⌊(N/4)^ν⌋ with the derived compute law C^{−e}", paper="Fig. 5c",
                xscale="log", yscale="log", sim_label=sim_label + ", ½γ*", theory_lines=True)
    Ns_a = cfg.pick([4, 16, 64], [2 ** j for j in range(2, 9)])
    Ls_b = cfg.pick([1, 4, 16], [4 ** j for j in range(5)])
    # the frontier reaches its asymptotic slope late: N = 4 … 2^(n_c − 1), L = ⌊(N/4)^ν⌋
    n_c = cfg.pick(6, 9)
    frontier = {}
    for i, beta in enumerate(betas):
        col, ls = cmap[i], styles[beta]
        lam_d, om_d = _powerlaw_arrays(nu, beta, Dw)
        lab = f"β = {beta}"
        # (a) L = 1
        ra = [swidth.risk(width=N, depth=1, nu=nu, beta=beta, dps=15).risk for N in Ns_a]
        pa["curves"].append(_curve(lab, [N * N for N in Ns_a], ra, ls=ls, color=col))
        floor = float(rrs.optimal_gamma(nu=nu, beta=beta, depth=1, dps=15).risk)
        pa["curves"].append(_curve("floor", [Ns_a[0] ** 2, Ns_a[-1] ** 2], [floor, floor],
                                   ls=":", color="0.6", legend=i == 0))
        # (b) N = 8
        rb = [swidth.risk(width=8, depth=L, nu=nu, beta=beta, dps=15).risk for L in Ls_b]
        pb["curves"].append(_curve(lab, [64 * L for L in Ls_b], rb, ls=ls, color=col))
        wfloor = float(swidth.projection_risk(width=8, nu=nu, beta=beta, dps=15).risk)
        pb["curves"].append(_curve("floor", [64 * Ls_b[0], 64 * Ls_b[-1]], [wfloor, wfloor],
                                   ls=":", color="0.6", legend=i == 0))
        # (c) frontier
        shaped = [(N, max(1, int((N / 4) ** float(nu)))) for N in
                  (2 ** j for j in range(2, n_c))]
        rc = [swidth.risk(width=N, depth=L, nu=nu, beta=beta, dps=15).risk for N, L in shaped]
        cc = _curve(lab, [L * N * N for N, L in shaped], rc, ls=ls, color=col)
        pc["curves"].append(cc)
        frontier[beta] = {f"N={N},L={L}": float(r) for (N, L), r in zip(shaped, rc)}
        line, law = _law_curve("rrs", "compute", nu, beta, cc, 4,
                               f"compute frontier L = ⌊(N/4)^ν⌋, β = {beta}")
        line["legend"] = i == 0
        pc["curves"].append(line)
        if not cfg.quick:  # the quick range (N ≤ 32) is short of the asymptotic regime
            fig.laws.append(law)
        # simulator points at D = Dw
        for panel, key, pairs, frac in (
                (pa, "a", [(N, 1) for N in cfg.pick((4, 16), (4, 8, 16, 32))], 1.0),
                (pb, "b", [(8, L) for L in cfg.pick((1, 16), (1, 4, 16, 64))], 0.5),
                (pc, "c", [(N, max(1, int((N / 4) ** float(nu))))
                           for N in cfg.pick((8, 16), (4, 8, 16, 32))], 0.5)):
            xs, ys, es, th = [], [], [], []
            for N, L in pairs:
                g = float(swidth.risk(width=N, depth=L, nu=nu, beta=beta, dim=Dw,
                                      dps=15).gamma)
                g *= frac if L > 1 else 1.0   # depth 1 has no instability edge
                s = _sim("rrs", cfg, ("W", key, beta, N, L), alpha="inf", depth=L, gamma=g,
                         lam=lam_d, omega=om_d, dim=Dw, width=N, contexts=Cw)
                xs.append(L * N * N)
                ys.append(s.risk)
                es.append(s.stderr)
                th.append(_fsize("rrs", dim=Dw, width=N, depth=L, gamma=g, nu=nu,
                                 beta=float(beta)).risk)
            panel["points"].append(_points(
                f"sim β = {beta}", xs, ys, es, th,
                f"finite_size.risk case W, D = {Dw}, gamma = the D = {Dw} optimum "
                f"(x {frac:g} at depth > 1)", color=col, dim=Dw))
    fig.panels += [pa, pb, pc]
    # (d) width law at L = ∞
    pd = _panel("d", "width law (L = ∞)", "N", "risk", "the infinite-depth risk R_∞(N) for "
                "β ∈ {0.5, 1, 3} (D = ∞) with the derived law N^{−ν min(β,1)} and Monte Carlo "
                "points", paper=None, xscale="log", yscale="log", sim_label=f"MC D = {Dp}",
                theory_lines=True)
    Ns = [2 ** j for j in range(1, 12)]
    for i, beta in enumerate(("0.5", "1", "3")):
        ys = [swidth.projection_risk(width=N, nu=nu, beta=beta, dps=15).risk for N in Ns]
        c = _curve(f"β = {beta}", Ns, ys, color=cmap[i + 2])
        line, law = _law_curve("rrs", "width", nu, beta, c, 2, f"width, β = {beta}")
        line["legend"] = i == 0
        pd["curves"] += [c, line]
        fig.laws.append(law)
        lam_p, om_p = _powerlaw_arrays(nu, beta, Dp)
        sN = cfg.pick((16, 32), (16, 32, 64))
        mc = [_projection_mc(lam_p, om_p, N, Cp, cfg.seed_for("proj", beta, N)) for N in sN]
        th = [_projection_theory(N, Dp, float(beta)) for N in sN]
        pd["points"].append(_points(f"MC β = {beta}", sN, [m[0] for m in mc],
                                    [m[1] for m in mc], th,
                                    f"finite_size.risk case W, D = {Dp}, depth = inf, "
                                    "gamma -> inf (projection limit)", color=cmap[i + 2],
                                    dim=Dp))
    fig.panels.append(pd)
    alloc = {}
    for beta in betas:
        a_c, lp = _derived_law("rrs", "compute", nu, beta)
        a_l, _ = _derived_law("rrs", "depth", nu, beta)
        a_n, _ = _derived_law("rrs", "width", nu, beta)
        alloc[beta] = {"L ~ N^q, q = a_N/a_L": a_n / a_l, "risk ~ C^-e, e": a_c,
                       "log correction": bool(lp)}
    fig.headline = {"derived compute-optimal allocation for C = L N^2": alloc,
                    "L = floor((N/4)^nu) risks": frontier}
    fig.headline.update({f"{law['law']}: derived / last local slope":
                         [law["derived_local_slope"], law["last_local_slope"]]
                         for law in fig.laws})
    return fig


# ------------------------------------------------------------------------------------ SGD

def fig_sgd(cfg: Config) -> Figure:
    """Online SGD at depth 1, ISO (paper Fig. 7): the exact finite-D recursion (dashed; solid:
    D = ∞ at the nominal ratios) against seed-averaged SGD runs of the exact sampler, varying
    the batch ratio τ, the context ratio α and the query ratio κ; (d) the τ = 0.1 floor vs D."""
    from solvers.analysis.dynamics import sgd_theory
    from solvers.simulators.sgd import sgd_iso_depth1

    D = cfg.pick(32, 40)
    # seed-to-seed standard errors from few runs have Student-t tails: 24–32 runs make them
    # honest to |z| ≈ 4
    runs = cfg.pick(24, 32)
    lr = 0.02
    steps = cfg.pick(100, 250)
    grid = list(range(0, steps + 1, max(1, steps // 75)))
    record = sorted({max(1, int(steps * f)) for f in (0.08, 0.2, 0.35, 0.55, 0.75, 1.0)})
    fig = Figure(
        "sgd", "Fig. 7", "Online SGD at depth 1 (ISO)",
        "The exact finite-D recursion (it needs the mean m(n) besides C(n)) matches SGD at "
        "every τ, α, κ. At small batch the O(1/D) terms are large: at τ = 0.1 SGD at finite D "
        "sits well above the D = ∞ recursion and approaches it only slowly as D grows (d) — "
        "which is why simulator points at τ = 0.1 drawn against the D = ∞ curve (and at the "
        "nominal τ instead of the simulator's integer batch ⌊τD⌋) sat several standard errors "
        "high.",
        f"η = {lr}, P = αD, B = ⌊τD⌋, K = ⌊κD⌋. Solid: the D = ∞ recursion at the nominal "
        f"ratios; dashed: the exact finite-D recursion with the simulator's integer B, K, P "
        f"(D = {D}). Points: {runs} independent SGD runs of the exact conditional sampler "
        f"(D = {D}), ±1 seed-to-seed s.e.; black bars: the exact finite-D theory at each point. "
        f"(d) the risk after {cfg.pick(100, 200)} steps at τ = 0.1, α = κ = 1 against D = 10B "
        f"(dashed: the exact theory; solid: D = ∞): the O(1/D) terms decay slowly.")
    cmap = _colors()
    panels = (("a", "α = κ = 1", "tau", "τ", (0.1, 0.2, 0.4), dict(alpha=1, kappa=1)),
              ("b", "τ = κ = 1", "alpha", "α", (0.5, 1, 2), dict(tau=1, kappa=1)),
              ("c", "α = τ = 1", "kappa", "κ", (0.25, 0.5, 1), dict(alpha=1, tau=1)))
    floors = {}
    for letter, title, name, greek, values, fixed in panels:
        p = _panel(letter, title, "step", "ICL excess risk",
                   f"risk vs SGD step for {greek} ∈ {{{', '.join(map(str, values))}}}",
                   paper=f"Fig. 7{letter}", sim_label=f"SGD D = {D}", ylim=[None, 1.32],
                   legend_styles=[("D = ∞", "-"), (f"exact D = {D}", "--")],
                   legend_loc="upper right", ncol=2)
        for i, v in enumerate(values):
            kw = {**fixed, name: v}
            P = int(round(kw["alpha"] * D))
            B = max(1, int(kw["tau"] * D))
            K = max(1, int(kw["kappa"] * D))
            exact = dict(alpha=P / D, lr=lr, tau=B / D, kappa=K / D, dim=D, dps=15)
            th = sgd_theory(grid, kw["alpha"], lr, kw["tau"], kw["kappa"], dps=15)
            p["curves"].append(_curve(f"{greek} = {v}", grid, th.risk, color=cmap[i]))
            th_d = sgd_theory(grid, **exact)
            p["curves"].append(_curve(f"D = {D}", grid, th_d.risk, color=cmap[i], ls="--",
                                      legend=False))
            floors[f"{name}={v}"] = {"D=inf": float(th.extra["risk_floor"]),
                                     f"D={D}": float(th_d.extra["risk_floor"])}
            sim = sgd_iso_depth1(alpha=kw["alpha"], dim=D, steps=steps, lr=lr, batch=B,
                                 queries=K, runs=runs, record=record,
                                 seed=cfg.seed_for("sgd", name, v))
            at = sgd_theory(record, **exact).risk
            p["points"].append(_points(f"SGD {greek} = {v}", record, sim.curve,
                                       sim.curve_stderr, at,
                                       f"sgd_theory exact finite-D recursion, D = {D}, "
                                       f"P = {P}, B = {B}, K = {K}", color=cmap[i], dim=D,
                                       runs=runs))
        fig.panels.append(p)
    # (d) the τ = 0.1 floor against D
    n_f = cfg.pick(100, 200)
    # B = D/10 ≥ 2 (at B = 1 the step ηD/B is large enough that SGD is barely stable and the
    # risk across runs is heavy-tailed)
    Ds = cfg.pick((20, 40), (20, 40, 80))
    pd = _panel("d", "τ = 0.1 vs D", "D", f"risk at step {n_f}",
                f"the risk after {n_f} steps at τ = 0.1, α = κ = 1 against D = 10B: exact "
                "finite-D theory, D = ∞, and SGD runs",
                xscale="log", yscale="log", sim_label="SGD")
    # the exact theory at D = 10B (τ = 0.1 exactly, no rounding of the batch), out to D = 640
    dgrid = [10 * b for b in range(2, 65)]
    vals = [sgd_theory([n_f], alpha=1, lr=lr, tau=max(1, int(0.1 * d)) / d, kappa=1, dim=d,
                       dps=15).risk[0] for d in dgrid]
    pd["curves"].append(_curve("exact, B = D/10", dgrid, vals, ls="--", color=cmap[0]))
    r_inf = sgd_theory([n_f], 1, lr, 0.1, 1, dps=15).risk[0]
    pd["curves"].append(_curve("D = ∞", [dgrid[0], dgrid[-1]], [r_inf, r_inf], color=cmap[0]))
    ys, es, th = [], [], []
    for d in Ds:
        B = max(1, int(0.1 * d))
        s = sgd_iso_depth1(alpha=1, dim=d, steps=n_f, lr=lr, batch=B, queries=d, runs=runs,
                           record=[n_f], seed=cfg.seed_for("sgdD", d))
        ys.append(s.curve[-1])
        es.append(s.curve_stderr[-1])
        th.append(sgd_theory([n_f], alpha=1, lr=lr, tau=B / d, kappa=1, dim=d,
                             dps=15).risk[0])
    pd["points"].append(_points("SGD τ = 0.1", Ds, ys, es, th,
                                "sgd_theory exact finite-D recursion at each D, "
                                "B = D/10", color=cmap[0], runs=runs))
    fig.panels.append(pd)
    by_d = dict(zip(dgrid, vals))
    conv = {str(d): float(by_d[d]) for d in (20, 40, 80, 160, 320, 640)}
    conv["inf"] = float(r_inf)
    fig.headline = {"risk floor of the recursion (D = inf nominal, exact finite D)": floors,
                    f"tau = 0.1, alpha = kappa = 1: risk at step {n_f}, exact finite D "
                    "(B = D/10) vs D = inf": conv}
    return fig


FIGURES = [fig_iso_landscape, fig_iso_optimal, fig_fs, fig_rrs, fig_compute, fig_sgd]


# ------------------------------------------------------------------------------------ drawing

#: one paper column
COLUMN_INCHES = 3.4
#: 680 pixels across a column: sharp at print size, cheap to render
DPI = 200


def _colors():
    return ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]


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
                            f"{law['difference']:+.4f} |")
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
          "Reference lines are the derived law through the exact curve's value at the last "
          "plotted point (no fit); the slopes are taken on the last plotted interval.", "",
          "| figure | law | reference | range | derived | last local slope | difference |",
          "|---|---|---|---|---|---|---|", *law_rows, "", *sections]
    md.append(f"_total {time.time() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU_")
    text = "\n".join(md)
    if stage is not None:
        write_file(os.path.join(stage, "index.md"), text + "\n")
    return {"text": text, "figures": results, "out": out, "seconds": time.time() - t0}
