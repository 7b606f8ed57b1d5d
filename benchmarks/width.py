"""Benchmark: one case-W risk point (finite width, α = ∞) at 10 digits vs the simulator at 1%.

Run ``python benchmarks/width.py`` (options ``--dim``, ``--pilot``, ``--nu``, ``--beta``).
For a power law truncated to ``dim`` modes (proportional regime) and several (N, L), prints:
the time of ``solvers.settings.width.risk`` at a given γ and at the optimal γ, its error estimate (the
doubling change of the contour rule; 10 digits means ``error/risk ≤ 1e-10``), and the time the
simulator (``solvers.simulators.reduced.simulate("rrs", alpha="inf", width=N, …)``) needs for a 1%
standard error, extrapolated from a pilot run (contexts needed ``= (spread/(0.01 R))²``).
Also one ``dim = inf`` point (absolute N).
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--pilot", type=int, default=40, help="simulator contexts of the pilot run")
    p.add_argument("--nu", type=float, default=1.2)
    p.add_argument("--beta", type=float, default=1.0 / 1.2)
    args = p.parse_args(argv)

    from solvers.settings import width
    from solvers.simulators.reduced import simulate
    from solvers.spectra import PowerLaw

    D = args.dim
    lam, om = PowerLaw(args.nu, args.beta, D).modes(dps=20)
    lam = np.array([float(v) for v in lam])
    om = np.array([float(v) for v in om])
    print(f"case W, power law nu={args.nu} beta={args.beta} truncated to D={D}")
    print(f"{'N':>5} {'L':>4} {'gamma':>8} {'t_risk[s]':>10} {'rel.err':>9} {'t_opt[s]':>9} "
          f"{'risk':>14} {'t_sim_1%[s]':>12} {'ratio':>8}")
    for N, L, g in ((D // 8, 4, 8.0), (D // 4, 8, 12.0), (D // 2, 16, 16.0)):
        t_fix, r = timed(lambda: width.risk(width=N, depth=L, gamma=g, lam=list(lam),
                                            omega=list(om)))
        t_opt, _ = timed(lambda: width.risk(width=N, depth=L, lam=list(lam), omega=list(om)))
        t0 = time.perf_counter()
        sim = simulate("rrs", alpha="inf", width=N, lam=lam, omega=om, gamma=g, depth=L, dim=D,
                       contexts=args.pilot, seed=1)
        per_ctx = (time.perf_counter() - t0) / args.pilot
        spread = sim.stderr * args.pilot ** 0.5
        t_sim = per_ctx * max(2.0, (spread / (0.01 * sim.risk)) ** 2)
        print(f"{N:>5} {L:>4} {g:>8.3g} {t_fix:>10.3g} {r.error_estimate / r.risk:>9.1e} "
              f"{t_opt:>9.3g} {r.risk:>14.10f} {t_sim:>12.3g} {t_sim / t_fix:>8.3g}")
    t_inf, r = timed(lambda: width.risk(width=64, depth=16, nu=1.5, beta=1.0))
    print(f"dim=inf, N=64, L=16, optimal gamma: {t_inf:.3g} s, risk {r.risk:.10f}, "
          f"rel.err {r.error_estimate / r.risk:.1e}")


if __name__ == "__main__":
    main()
