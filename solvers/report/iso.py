"""Figures of the isotropic setting: the loss landscape (paper Fig. 2) and the optimal risk
against the context ratio (Fig. 1c)."""
from __future__ import annotations

import math

from solvers.report.core import (_colors, Config, _curve, Figure, _fsize, _log_grid, _panel,
                                 _sim, _sim_points)
from solvers.result import format_number


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
            panel["points"].append(_sim_points(
                f"sim L = {L}", sx, sims, th,
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
        pc["points"].append(_sim_points(f"sim σ = {sigma}", sx, sims, th,
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
        panel["points"].append(_sim_points(f"sim L = {L}", sa, sims, th,
                                       f"finite_size.risk iso, D = {D}, P = αD, γ = {rel}γ*",
                                       color=cmap[i], dim=D))
    fig.panels.append(panel)
    for L in (1, 2, 4, 8, 16, "inf"):
        table[str(L)] = {a: format_number(iso.risk(a, L, dps=20).risk, 10)
                         for a in ("0.5", "1", "2")}
    fig.headline = {"optimal risk R*(alpha) by depth": table}
    return fig


# ------------------------------------------------------------------------------------ FS
