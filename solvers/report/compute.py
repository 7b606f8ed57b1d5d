"""The compute-optimal shape figure (paper Fig. 5): fixed width, fixed depth, the frontier, and
the width law."""
from __future__ import annotations

import math

from solvers.report.core import (_colors, Config, _curve, _derived_law, Figure, _fsize, _law_curve,
                                 NU, _panel, _points,
                                 _powerlaw_arrays, _sim)


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
