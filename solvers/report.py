"""The main job: ``icl-theory report --out DIR`` regenerates the paper's figures from the exact
theory, overlays simulator points, and writes ``index.md`` with the headline numbers.

Each figure is a function ``fig_*(cfg) -> Figure`` returning the data behind every curve (saved
as ``DIR/<name>.json``) and drawing ``DIR/<name>.png``.  ``quick=True`` shrinks grids and
simulator sizes so the whole report finishes in about a minute; the default takes a few minutes.
A figure whose module is not available (or that fails) is reported in ``index.md`` with the
reason instead of silently disappearing.
"""
from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import dataclass, field

import mpmath
from tqdm import tqdm

from solvers.settings import iso
from solvers.outputs import check_dir, staged_dir, write_file
from solvers.result import format_number, to_json

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Config:
    quick: bool
    out: str | None
    seed: int = 0

    def pick(self, quick_value, full_value):
        return quick_value if self.quick else full_value


@dataclass
class Figure:
    """Data behind one figure: ``curves`` (theory) and ``points`` (simulator), plus headline
    numbers and a caption; ``draw(ax_list)`` is set by the figure function."""

    name: str
    title: str
    caption: str
    panels: list = field(default_factory=list)  # each: {"title", "xlabel", "ylabel", "xscale",
    #                                              "yscale", "curves": [...], "points": [...]}
    headline: dict = field(default_factory=dict)

    def to_dict(self):
        return {"name": self.name, "title": self.title, "caption": self.caption,
                "panels": self.panels, "headline": self.headline}


def _f(x):
    """Plain float for plotting/JSON (inf stays inf as the string "inf")."""
    return float(x)


def _curve(label, xs, ys, **style):
    return {"label": label, "x": [_f(x) for x in xs], "y": [_f(y) for y in ys], **style}


def _points(label, xs, ys, errs, **style):
    return {"label": label, "x": [_f(x) for x in xs], "y": [_f(y) for y in ys],
            "err": [_f(e) for e in errs], **style}


# ------------------------------------------------------------------------------------ ISO

def fig_iso_landscape(cfg: Config) -> Figure:
    """ISO landscape R(γ) against γ/L for several depths (α = 0.5, α = 2) and for several
    noise levels at L = 16 (paper Fig. 2), with simulator points."""
    from solvers.simulators.reduced import simulate

    depths = cfg.pick((1, 4, 16), (1, 2, 4, 8, 16, 32))
    n_g = cfg.pick(21, 61)
    D, C = cfg.pick(64, 128), cfg.pick(40, 100)
    fig = Figure("iso_landscape", "ISO loss landscape",
                 "Exact R(γ) (lines) vs γ/L; simulator points (D=%d, %d contexts, ±1 s.e.). "
                 "Noise-free optimum at γ/L = α/(1+α) for every depth." % (D, C))
    for alpha in ("0.5", "2"):
        panel = {"title": f"α = {alpha}", "xlabel": "γ/L", "ylabel": "risk", "yscale": "log",
                 "curves": [], "points": []}
        a = float(alpha)
        top = 1.1 * 2.0 / (1 + (1 / a) ** 0.5) ** 2  # past γλ₊/L = 2, where deep nets diverge
        panel["ylim"] = [None, 3]
        for L in depths:
            xs = [top * (i + 1) / n_g for i in range(n_g)]
            ys = [iso.risk(alpha, L, gamma=x * L, dps=20).risk for x in xs]
            panel["curves"].append(_curve(f"L={L}", xs, ys))
            sx = [a / (1 + a) * m for m in (0.5, 1.0)]
            sims = [simulate("iso", alpha=a, depth=L, gamma=x * L, dim=D, contexts=C,
                             seed=cfg.seed + L) for x in sx]
            panel["points"].append(_points(f"sim L={L}", sx, [s.risk for s in sims],
                                           [s.stderr for s in sims]))
        fig.panels.append(panel)
    # noise panel: L = 16, α = 1.125
    alpha, L = "1.125", 16
    panel = {"title": "L = 16, α = 1.125", "xlabel": "γ/L", "ylabel": "risk", "yscale": "linear",
             "curves": [], "points": [], "ylim": [0, 1.2]}
    optima = {}
    for sigma in ("0", "0.25", "0.5", "0.75", "1"):
        s2 = str(float(sigma) ** 2)
        xs = [0.7 * (i + 1) / n_g for i in range(n_g)]
        ys = [iso.risk(alpha, L, sigma2=s2, gamma=x * L, dps=20).risk for x in xs]
        panel["curves"].append(_curve(f"σ={sigma}", xs, ys))
        opt = iso.risk(alpha, L, sigma2=s2, dps=20)
        optima[sigma] = float(opt.gamma) / L
    fig.panels.append(panel)
    fig.headline = {"optimal gamma/L vs sigma (L=16, alpha=1.125)": optima}
    return fig


def fig_iso_optimal(cfg: Config) -> Figure:
    """Optimal ISO risk against α for L ∈ {1, 2, 4, 8, 16, ∞} (paper Fig. 1c), simulator points
    at the theory's optimal γ."""
    from solvers.simulators.reduced import simulate

    n_a = cfg.pick(13, 41)
    D, C = cfg.pick(64, 256), cfg.pick(40, 150)
    alphas = [10 ** (-1 + 2 * i / (n_a - 1)) for i in range(n_a)]
    fig = Figure("iso_optimal", "ISO optimal risk vs context ratio",
                 "Exact min_γ R (lines); simulator at the optimal γ (D=%d, %d contexts). "
                 "L = ∞ gives max(0, 1−α)." % (D, C))
    panel = {"title": "noise-free", "xlabel": "α = P/D", "ylabel": "optimal risk",
             "xscale": "log", "yscale": "log", "curves": [], "points": []}
    table = {}
    for L in (1, 2, 4, 8, 16, "inf"):
        ys = [iso.risk(a, L, dps=20).risk for a in alphas]
        panel["curves"].append(_curve(f"L={L}", alphas, ys))
        table[str(L)] = {a: format_number(iso.risk(a, L, dps=20).risk, 10)
                         for a in ("0.5", "1", "2")}
        if L != "inf":
            sa = (0.25, 1.0, 4.0)
            sims = []
            for a in sa:
                g = float(iso.risk(a, L, dps=20).gamma)
                sims.append(simulate("iso", alpha=a, depth=L, gamma=g, dim=D, contexts=C,
                                     seed=cfg.seed + 7))
            panel["points"].append(_points(f"sim L={L}", sa, [s.risk for s in sims],
                                           [s.stderr for s in sims]))
    fig.panels.append(panel)
    fig.headline = {"optimal risk R*(alpha) by depth": table}
    return fig


# ------------------------------------------------------------------------------------ FS

def fig_fs(cfg: Config) -> Figure:
    """FS (paper Fig. 3): (a) per-mode γ_k(t)λ_k at L = 4 against L = ∞ (closed-form flows);
    (b) power-law risk vs time for several depths with the derived exponent νβ/(νβ+2ν+1);
    (c) out-of-distribution risk of Γ = LΣ⁻¹ on a rotated covariance, vs θ."""
    from solvers.settings import fs
    from solvers.simulators.reduced import simulate
    from theory import exponents as texp
    from theory import symbols as S

    nu, beta = "1.25", "1.25"
    n_t = cfg.pick(25, 61)
    times = [10 ** (-1 + 6 * i / (n_t - 1)) for i in range(n_t)]
    fig = Figure("fs", "FS: fixed structured covariance",
                 "ν = β = 1.25. (a) closed-form per-mode flow γ_k(t)λ_k (solid L = 4, dashed L = ∞); "
                 "(b) R(t) for L = 1, 2, 4, 8 (D = ∞) with simulator points at population "
                 "covariance (D = 256, the theory's γ_k(t)); (c) R_OOD(θ) of the trained Γ = LΣ⁻¹ "
                 "on Σ' = e^{θS}Σe^{−θS}, r = spectral radius of I − Σ⁻¹Σ'.")
    ks = (1, 2, 4, 8, 16)
    pa = {"title": "(a) mode trajectories", "xlabel": "t", "ylabel": "γ_k λ_k", "xscale": "log",
          "curves": [], "points": []}
    colors = ["C0", "C1", "C2", "C3", "C4"]
    for depth, ls in ((4, "-"), ("inf", "--")):
        tr = fs.mode_trajectories(ks, times, nu=nu, beta=beta, depth=depth, dps=20)
        lam = [mpmath.mpf(k) ** (-mpmath.mpf(nu)) for k in ks]
        for i, k in enumerate(ks):
            pa["curves"].append(_curve(f"k={k} L={depth}", times,
                                       [g * lam[i] for g in tr.gamma[i]], ls=ls,
                                       color=colors[i]))
    fig.panels.append(pa)
    pb = {"title": "(b) risk vs time", "xlabel": "t", "ylabel": "risk", "xscale": "log",
          "yscale": "log", "curves": [], "points": []}
    expo = texp.time_exponent_fs().expr.subs({S.nu: sp_rational(nu), S.beta: sp_rational(beta)})
    D = cfg.pick(64, 256)
    for depth in (1, 2, 4, 8):
        ys = [fs.risk(nu=nu, beta=beta, depth=depth, time=t, dps=20).risk for t in times]
        pb["curves"].append(_curve(f"L={depth}", times, ys))
    sim_t = times[n_t // 3:: n_t // 4]
    sims, theo = [], []
    for t in sim_t:
        tr = fs.mode_trajectories(list(range(1, D + 1)), [t], nu=nu, beta=beta, depth=4, dim=D,
                                  dps=20)
        lam, om = _powerlaw_arrays(nu, beta, D)
        g = [float(row[0]) for row in tr.gamma]
        sims.append(simulate("fs", alpha="inf", depth=4, gamma=g, lam=lam, omega=om, dim=D,
                             contexts=cfg.pick(200, 1000), seed=cfg.seed))
    pb["points"].append(_points(f"sim L=4 (D={D})", sim_t, [s.risk for s in sims],
                                [s.stderr for s in sims], color="C2"))
    t_ref = times[-1]
    r_ref = float(pb["curves"][-1]["y"][-1])
    pb["curves"].append(_curve(f"t^-{float(expo):.3f}", [t_ref / 100, t_ref],
                               [r_ref * 100 ** float(expo), r_ref], ls=":", color="k"))
    fig.panels.append(pb)
    pc = {"title": "(c) out-of-distribution", "xlabel": "θ", "ylabel": "risk", "yscale": "log",
          "curves": [], "points": []}
    dim = cfg.pick(32, 128)
    thetas = [0.25 * (i + 1) / cfg.pick(8, 16) for i in range(cfg.pick(8, 16))]
    radius = {}
    for depth in (1, 2, 4, 8):
        res = [fs.ood_risk(th, depth, dim, nu=nu, beta=beta, backend="numpy") for th in thetas]
        pc["curves"].append(_curve(f"L={depth}", thetas, [r.risk for r in res]))
        radius = {f"{th:.4f}": float(r.extra["spectral_radius"]) for th, r in zip(thetas, res)}
    fig.panels.append(pc)
    fig.headline = {"FS time exponent (derived)": str(texp.time_exponent_fs().expr),
                    "value at nu=beta=1.25": float(expo),
                    "paper's printed beta/(nu+nu*beta+1) at nu=beta=1.25":
                        1.25 / (1.25 + 1.25 * 1.25 + 1),
                    "spectral radius r(theta) of I - Sigma^-1 Sigma'": radius}
    return fig


def sp_rational(x):
    import sympy as sp

    return sp.Rational(str(x))


def _powerlaw_arrays(nu, beta, dim):
    import numpy as np

    from solvers.spectra import PowerLaw

    lam, om = PowerLaw(nu, beta, dim=dim).modes(dps=20)
    return np.array([float(v) for v in lam]), np.array([float(v) for v in om])


# ------------------------------------------------------------------------------------ RRS

def _local_slope(xs, ys):
    """Last local log-log slope of a curve (for the headline; the derived exponent is the
    claim, this is the check)."""
    (x0, y0), (x1, y1) = (xs[-2], ys[-2]), (xs[-1], ys[-1])
    return float(mpmath.log(mpmath.mpf(y1) / y0) / mpmath.log(mpmath.mpf(x1) / x0))


def fig_rrs(cfg: Config) -> Figure:
    """RRS (paper Fig. 4): (a) risk vs time for several β with the derived law β/(β+2);
    (b) landscape vs depth; (c) optimal risk vs depth with the law L^{−β}; (d) risk vs width N
    at infinite depth (case W) with the law N^{−νβ}."""
    from solvers.settings import rrs
    from solvers.simulators.reduced import simulate
    from theory import exponents as texp
    from theory import symbols as S

    nu = "1.25"
    fig = Figure("rrs", "RRS: randomly rotated structured covariance",
                 "ν = 1.25. (a) gradient flow, D = %d, L = 2048, several β, dotted: derived "
                 "t^{-β/(β+2)}; (b) R(γ) for several L (β = 1, D = %d) with simulator points; "
                 "(c) optimal R vs L (β = 1, D = ∞, and D = %d with simulator points); "
                 "(d) infinite-depth risk vs width N (D = ∞, case W)."
                 % (cfg.pick(128, 512), cfg.pick(64, 256), cfg.pick(64, 256)))
    headline = {}
    # (a) time
    D = cfg.pick(128, 512)
    pa = {"title": "(a) risk vs time", "xlabel": "t", "ylabel": "risk", "xscale": "log",
          "yscale": "log", "curves": [], "points": []}
    n_g = cfg.pick(8, 24)
    # the power law lives while the cutoff k* = γ^{1/ν} is well inside the D modes
    g_top = mpmath.mpf(D / 4) ** mpmath.mpf(nu)
    for i, beta in enumerate(("0.5", "1", "1.5", "2")):
        gs = [mpmath.mpf("0.2") * (g_top / mpmath.mpf("0.2")) ** (mpmath.mpf(j) / (n_g - 1))
              for j in range(n_g)]
        tr = rrs.trajectory(gs, nu=nu, beta=beta, depth=2048, dim=D, dps=15)
        ts = tr.extra["times"]
        pa["curves"].append(_curve(f"β={beta}", ts, tr.risk, color=f"C{i}"))
        expo = float(texp.time_exponent_rrs().expr.subs({S.nu: sp_rational(nu),
                                                         S.beta: sp_rational(beta)}))
        t1, r1 = ts[-1], tr.risk[-1]
        pa["curves"].append(_curve(f"t^-{expo:.2f}", [t1 / 1000, t1],
                                   [r1 * 1000 ** expo * 1.5, r1 * 1.5], ls=":", color=f"C{i}"))
        headline[f"time exponent beta={beta}: derived / last local slope"] = [
            expo, -_local_slope(ts, tr.risk)]
    fig.panels.append(pa)
    # (b) landscape
    pb = {"title": "(b) landscape (β = 1)", "xlabel": "γ/L", "ylabel": "risk", "yscale": "log",
          "curves": [], "points": [], "ylim": [None, 2]}
    Ds = cfg.pick(64, 256)
    lam_s, om_s = _powerlaw_arrays(nu, "1", Ds)
    for i, L in enumerate(cfg.pick((1, 4, 16), (1, 2, 4, 8, 16, 32))):
        xs = [2.1 * (j + 1) / cfg.pick(20, 50) for j in range(cfg.pick(20, 50))]
        ys = [rrs.landscape(x * L, nu=nu, beta="1", depth=L, dim=Ds, dps=15).risk for x in xs]
        pb["curves"].append(_curve(f"L={L}", xs, ys, color=f"C{i}"))
        sx = (0.5, 1.5)
        sims = [simulate("rrs", alpha="inf", depth=L, gamma=x * L, lam=lam_s, omega=om_s, dim=Ds,
                         contexts=cfg.pick(20, 40), seed=cfg.seed + L) for x in sx]
        pb["points"].append(_points(f"sim L={L}", sx, [s.risk for s in sims],
                                    [s.stderr for s in sims], color=f"C{i}"))
    fig.panels.append(pb)
    # (c) depth
    pc = {"title": "(c) optimal risk vs depth (β = 1)", "xlabel": "L", "ylabel": "risk",
          "xscale": "log", "yscale": "log", "curves": [], "points": []}
    depths = [2 ** j for j in range(cfg.pick(8, 13))]
    opt = [rrs.optimal_gamma(nu=nu, beta="1", depth=L, dps=15) for L in depths]
    pc["curves"].append(_curve("exact (D=∞)", depths, [o.risk for o in opt]))
    dexp = float(texp.depth_exponent_rrs().expr.subs({S.nu: sp_rational(nu), S.beta: 1}))
    pc["curves"].append(_curve(f"L^-{dexp:g}", [depths[-1] / 64, depths[-1]],
                               [opt[-1].risk * 64 ** dexp, opt[-1].risk], ls=":", color="k"))
    sd = [L for L in depths if L <= 16]
    sims, finite = [], []
    for L in sd:
        o = rrs.optimal_gamma(nu=nu, beta="1", depth=L, dim=Ds, dps=15)
        finite.append(o.risk)
        sims.append(simulate("rrs", alpha="inf", depth=L, gamma=float(o.gamma), lam=lam_s,
                             omega=om_s, dim=Ds, contexts=cfg.pick(20, 40), seed=cfg.seed))
    pc["curves"].append(_curve(f"exact (D={Ds})", sd, finite, ls="--", color="C1"))
    pc["points"].append(_points(f"sim D={Ds}", sd, [s.risk for s in sims],
                                [s.stderr for s in sims], color="C1"))
    headline["depth exponent: derived / last local slope"] = [
        dexp, -_local_slope(depths, [o.risk for o in opt])]
    fig.panels.append(pc)
    # (d) width (case W), infinite depth
    try:
        from solvers.settings import width as swidth
    except ImportError:
        swidth = None
    if swidth is not None:
        pd = {"title": "(d) risk vs width (L = ∞)", "xlabel": "N", "ylabel": "risk",
              "xscale": "log", "yscale": "log", "curves": [], "points": []}
        Ns = [2 ** j for j in range(1, cfg.pick(8, 12))]
        for i, beta in enumerate(("0.5", "1", "3")):
            ys = [swidth.projection_risk(width=N, nu=nu, beta=beta, dps=15).risk for N in Ns]
            pd["curves"].append(_curve(f"β={beta}", Ns, ys, color=f"C{i}"))
            wexp = float(texp.width_exponent().expr.subs({S.nu: sp_rational(nu),
                                                          S.beta: sp_rational(beta)}))
            pd["curves"].append(_curve(f"N^-{wexp:.3g}", [Ns[-1] / 32, Ns[-1]],
                                       [ys[-1] * 32 ** wexp, ys[-1]], ls=":", color=f"C{i}"))
            headline[f"width exponent beta={beta}: derived / last local slope"] = [
                wexp, -_local_slope(Ns, ys)]
        fig.panels.append(pd)
    fig.headline = headline
    return fig


# ------------------------------------------------------------------------ compute-optimal

def fig_compute(cfg: Config) -> Figure:
    """Compute-optimal shape (paper Fig. 5) from the exact finite-width, finite-depth RRS risk
    (case W, D = ∞, optimal γ): L = 1 with growing N hits a depth floor, N = 8 with growing L
    hits a width floor, and L = ⌊(N/4)^ν⌋ improves steadily with compute C = L·N²."""
    from solvers.settings import width as swidth
    from solvers.analysis.shape import shape

    nu, beta = "1.25", "1"
    fig = Figure("compute", "Compute-optimal shape",
                 "Exact RRS risk at width N and depth L (case W, D = ∞, ν = 1.25, β = 1, optimal "
                 "γ) against compute C = L·N².")
    p = {"title": "risk vs compute", "xlabel": "C = L N²", "ylabel": "risk", "xscale": "log",
         "yscale": "log", "curves": [], "points": []}
    Ns = [2 ** j for j in range(2, cfg.pick(6, 8))]
    Ls = [2 ** j for j in range(0, cfg.pick(6, 9))]
    r1 = [swidth.risk(width=N, depth=1, nu=nu, beta=beta, dps=15).risk for N in Ns]
    p["curves"].append(_curve("L = 1", [N * N for N in Ns], r1))
    r8 = [swidth.risk(width=8, depth=L, nu=nu, beta=beta, dps=15).risk for L in Ls]
    p["curves"].append(_curve("N = 8", [64 * L for L in Ls], r8))
    shaped = [(N, max(1, int((N / 4) ** float(nu)))) for N in Ns]
    rs = [swidth.risk(width=N, depth=L, nu=nu, beta=beta, dps=15).risk for N, L in shaped]
    p["curves"].append(_curve("L = ⌊(N/4)^ν⌋", [L * N * N for N, L in shaped], rs))
    fig.panels.append(p)
    sh = shape(nu, beta, budget="L*N**2").to_dict()
    fig.headline = {"derived allocation for budget L*N^2 (exponents of C)": sh,
                    "L = floor((N/4)^nu) risks": {f"N={N},L={L}": float(r)
                                                  for (N, L), r in zip(shaped, rs)}}
    return fig


# ------------------------------------------------------------------------------------ SGD

def fig_sgd(cfg: Config) -> Figure:
    """Online SGD at depth 1, ISO (paper Fig. 7): the corrected recursion's true ICL excess risk
    (lines) against trained simulators (points), varying the batch ratio τ, the context ratio α
    and the query ratio κ."""
    from solvers.analysis.dynamics import sgd_theory
    from solvers.simulators.training import train_reduced

    D = cfg.pick(64, 128)  # each step samples B·P·D Gaussians: D = 256 costs minutes per run
    lr = 0.02
    steps = cfg.pick(150, 300)
    grid = list(range(0, steps + 1, max(1, steps // 60)))
    fig = Figure("sgd", "Online SGD at depth 1 (ISO)",
                 "Lines: the corrected linear recursion (true ICL excess risk; solid D = ∞, "
                 "dashed with the finite-D coefficients); points: the reduced model trained by "
                 "online SGD (D = %d, η = %g)." % (D, lr))
    panels = (("(a) α = κ = 1", "tau", (0.1, 0.2, 0.4), dict(alpha=1, kappa=1)),
              ("(b) τ = κ = 1", "alpha", (0.5, 1, 2), dict(tau=1, kappa=1)),
              ("(c) α = τ = 1", "kappa", (0.25, 0.5, 1), dict(alpha=1, tau=1)))
    floors = {}
    for title, name, values, fixed in panels:
        p = {"title": title, "xlabel": "step", "ylabel": "ICL excess risk", "yscale": "log",
             "curves": [], "points": []}
        for i, v in enumerate(values):
            kw = {**fixed, name: v}
            th = sgd_theory(grid, kw["alpha"], lr, kw["tau"], kw["kappa"], dps=15)
            p["curves"].append(_curve(f"{name}={v}", grid, th.risk, color=f"C{i}"))
            th_d = sgd_theory(grid, kw["alpha"], lr, kw["tau"], kw["kappa"], dps=15, dim=D)
            p["curves"].append(_curve(f"D={D}", grid, th_d.risk, color=f"C{i}", ls="--"))
            floors[f"{name}={v}"] = float(th.extra["risk_floor"])
            sim = train_reduced("iso", alpha=kw["alpha"], depth=1, dim=D, steps=steps, lr=lr,
                                batch=max(1, int(kw["tau"] * D)),
                                queries=max(1, int(kw["kappa"] * D)),
                                eval_every=max(1, steps // 6), eval_contexts=cfg.pick(32, 64),
                                seed=cfg.seed + i)
            p["points"].append(_points(f"sim {name}={v}", sim.steps, sim.curve,
                                       sim.curve_stderr, color=f"C{i}"))
        fig.panels.append(p)
    fig.headline = {"risk floor of the recursion": floors}
    return fig


FIGURES = [fig_iso_landscape, fig_iso_optimal, fig_fs, fig_rrs, fig_compute, fig_sgd]


# ------------------------------------------------------------------------------------ drawing

def _draw(fig: Figure, path: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(fig.panels)
    f, axes = plt.subplots(1, n, figsize=(4.6 * n, 3.8), squeeze=False)
    for ax, panel in zip(axes[0], fig.panels):
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        logy = panel.get("yscale") == "log"
        for i, c in enumerate(panel["curves"]):
            xy = [(x, y) for x, y in zip(c["x"], c["y"]) if not (logy and y <= 0)]
            if xy:  # on a log axis an exact zero (e.g. R* = 0 at L = ∞) has no point
                ax.plot(*zip(*xy), color=c.get("color", colors[i % len(colors)]), lw=1.6,
                        label=c["label"], ls=c.get("ls", "-"))
        for i, p in enumerate(panel.get("points", [])):
            keep = [j for j, y in enumerate(p["y"]) if not (logy and y <= 0)]
            ax.errorbar([p["x"][j] for j in keep], [p["y"][j] for j in keep],
                        yerr=[p["err"][j] for j in keep], fmt=p.get("fmt", "o"), ms=4,
                        color=p.get("color", colors[i % len(colors)]), mfc="none", capsize=2)
        if panel.get("ylim"):
            lo, hi = panel["ylim"]
            ys = [y for c in panel["curves"] for y in c["y"] if y > 0 or not logy]
            if lo is None and ys:
                lo = min(ys) / 2 if logy else min(ys)
            ax.set_ylim(lo, hi)
        ax.set_xscale(panel.get("xscale", "linear"))
        ax.set_yscale(panel.get("yscale", "linear"))
        ax.set_xlabel(panel["xlabel"])
        ax.set_ylabel(panel["ylabel"])
        ax.set_title(panel["title"], fontsize=10)
        ax.legend(fontsize=7, frameon=False)
    f.suptitle(fig.title, fontsize=11)
    f.tight_layout()
    f.savefig(path, dpi=110)
    plt.close(f)


def _clean(obj):
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return "inf" if obj > 0 else ("-inf" if obj < 0 else "nan")
    return format_number(obj) if isinstance(obj, mpmath.mpf) else obj


def report(out=None, quick=False, progress=True, figures=None, seed=0):
    """Run every figure; write PNG + JSON per figure and ``index.md`` into ``out``.

    ``out`` is validated before any computation; files are written into a staging directory and
    moved into ``out`` only when every figure is done (``index.md`` last), so an interrupted run
    leaves ``out`` as it was.  Returns a dict with ``text`` (the markdown summary), ``figures``
    (name → data or error) and ``seconds``."""
    if out is not None:
        check_dir("out", out)
        with staged_dir(out) as stage:
            return _report(stage, out, quick, progress, figures, seed)
    return _report(None, None, quick, progress, figures, seed)


def _report(stage, out, quick, progress, figures, seed):
    cfg = Config(quick=quick, out=out, seed=seed)
    todo = figures or FIGURES
    results, md, t0 = {}, ["# icl-theory report", ""], time.time()
    md.append(f"Mode: {'quick' if quick else 'full'}. Every curve is the exact theory; points "
              "are the numpy simulator (±1 standard error). Data behind each figure: "
              "`<name>.json`.")
    md.append("")
    for fn in tqdm(todo, desc="report", disable=not progress):
        t1 = time.time()
        try:
            fig = fn(cfg)
        except ImportError as exc:  # a module of a later issue not present
            results[fn.__name__] = {"error": f"unavailable: {exc}"}
            md += [f"## {fn.__name__}", "", f"Not available in this build: {exc}", ""]
            continue
        data = _clean(fig.to_dict())
        results[fig.name] = data
        md += [f"## {fig.title}", ""]
        if stage is not None:
            _draw(fig, os.path.join(stage, f"{fig.name}.png"))
            write_file(os.path.join(stage, f"{fig.name}.json"), to_json(data, indent=1) + "\n")
            md += [f"![{fig.title}]({fig.name}.png)", ""]
        md += [fig.caption, ""]
        for key, val in data["headline"].items():
            md.append(f"- **{key}**: `{to_json(val)}`")
        md += ["", f"_{time.time() - t1:.1f} s_", ""]
    text = "\n".join(md)
    if stage is not None:
        write_file(os.path.join(stage, "index.md"), text + "\n")
    return {"text": text, "figures": results, "out": out, "seconds": time.time() - t0}
