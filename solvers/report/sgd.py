"""The depth-1 online-SGD figure (paper Fig. 7) against the exact finite-D recursion."""
from __future__ import annotations

from solvers.report.core import (_colors, Config, _curve, Figure, _panel, _points)


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
