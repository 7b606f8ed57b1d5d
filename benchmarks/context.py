"""Benchmark: finite-context risk (case C) per point vs the simulator's time to 1 % at D = 512.

For FS/RRS on a power law truncated to D modes (α = P/D) and for the absolute-P regime, prints
the time of one risk evaluation at a given γ (error estimate ≤ 1e-10 relative, float64 contour)
and with the optimal γ, and the simulator time needed for a 1 % standard error (measured per-
context cost and spread from a pilot run, extrapolated).  RRS and FS at Γ = γI have the same
risk; the simulator is timed on FS (no per-context Haar rotation) and, optionally, RRS.
Run:  python benchmarks/context.py [--dim 512] [--alpha 0.5] [--depth 4] [--rrs]
"""
import argparse
import time

from solvers.settings import context
from solvers.simulators.reduced import simulate
from solvers.spectra import PowerLaw
from timing import timed


def sim_time(setting, lam, om, args, gamma, pilot):
    t0 = time.perf_counter()
    sim = simulate(setting, alpha=args.alpha, depth=args.depth, gamma=gamma, sigma2=args.sigma2,
                   dim=args.dim, contexts=pilot, lam=lam, omega=om, seed=1)
    per_ctx = (time.perf_counter() - t0) / pilot
    spread = sim.stderr * pilot ** 0.5
    needed = max(2.0, (spread / (0.01 * sim.risk)) ** 2)
    return per_ctx * needed, needed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--alpha", type=float, default=0.5)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--sigma2", type=float, default=0.1)
    ap.add_argument("--nu", type=float, default=1.5)
    ap.add_argument("--beta", type=float, default=1.0)
    ap.add_argument("--pilot", type=int, default=100)
    ap.add_argument("--rrs", action="store_true", help="also time the RRS simulator (slow)")
    args = ap.parse_args()
    lam, om = PowerLaw(args.nu, args.beta, dim=args.dim).modes(dps=20)
    lam, om = [float(x) for x in lam], [float(x) for x in om]
    kw = dict(alpha=args.alpha, sigma2=args.sigma2, lam=lam, omega=om)
    print(f"case C, power law nu={args.nu} beta={args.beta}, D={args.dim}, alpha={args.alpha}, "
          f"sigma2={args.sigma2}")
    for depth in (args.depth, "inf"):
        t_opt, opt = timed(lambda: context.risk("fs", depth=depth, **kw), 1)
        g = opt.gamma
        t_fix, res = timed(lambda: context.risk("fs", depth=depth, gamma=g, **kw))
        line = (f"depth={depth}: risk={res.risk:.12g} (err {res.error_estimate:.1e}, "
                f"{res.iterations} nodes)  exact@gamma {t_fix:.3g} s, with optimal gamma "
                f"{t_opt:.3g} s")
        if depth != "inf":
            args.depth = depth
            st, n = sim_time("fs", lam, om, args, g, args.pilot)
            line += f"; simulator fs to 1%: {st:.3g} s ({n:.0f} contexts), ratio {st / t_fix:.3g}"
            if args.rrs:
                st, n = sim_time("rrs", lam, om, args, g, max(10, args.pilot // 5))
                line += f"; rrs: {st:.3g} s"
        print(line)
    for P in (64, 1024):
        t, r = timed(lambda: context.risk("rrs", context=P, depth=args.depth, gamma=3.0,
                                          nu=args.nu, beta=args.beta, sigma2=args.sigma2), 1)
        print(f"absolute P={P}, depth={args.depth}, gamma=3: risk={r.risk:.12g} "
              f"(err {r.error_estimate:.1e}, head {r.extra['modes_head']} modes) {t:.3g} s")


if __name__ == "__main__":
    main()
