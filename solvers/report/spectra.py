"""Figures of the structured settings at infinite context: FS (paper Fig. 3) and RRS (Fig. 4)."""
from __future__ import annotations

import math

import mpmath

from solvers.report.core import (_colors, Config, _curve, _derived_law, Figure, _fsize, _law_curve,
                                 _log_grid, NU, _panel,
                                 _powerlaw_arrays, _sim, _sim_points)


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
        pb["points"].append(_sim_points(f"sim L = {depth}", sim_t, sims, th,
                                    f"fs.risk exact D-mode sum, D = {D}", color=cmap[i],
                                    dim=D))
    for depth in depths:
        line, law = _law_curve("fs", "time", nu, beta, curves_b[depth], 3,
                               f"FS time, L = {depth}", depth=depth)
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
        pb["points"].append(_sim_points(f"sim L = {L}", sx, sims, th,
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
    pc["points"].append(_sim_points(f"sim D = {D}", sd, sims, th,
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
