"""Benchmark: exact ISO risk vs the simulator reaching the same number to 1 %.

Prints, for each depth, the time of one exact risk evaluation (at a fixed γ, and with the
optimal γ) at dps 30, and the simulator time needed for a 1 % standard error at D = 256
(measured per-context cost and spread, extrapolated to the context count that gives 1 %).
Run:  python benchmarks/iso.py [--alpha A] [--sigma2 S] [--dim D]
"""
import argparse
import time

import mpmath

from solvers.settings import iso
from solvers.simulators.reduced import simulate
from timing import timed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--alpha", default="0.5")
    ap.add_argument("--sigma2", default="0.25")
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--pilot", type=int, default=64, help="pilot contexts for the simulator")
    args = ap.parse_args()
    print(f"ISO, alpha={args.alpha}, sigma2={args.sigma2}, dps=30; simulator D={args.dim}")
    print(f"{'L':>6} {'exact@gamma [s]':>16} {'exact optimum [s]':>18} {'risk':>14} "
          f"{'sim 1% [s]':>11} {'ratio':>9}")
    for L in (1, 16, 256, 4096, "inf"):
        t_opt, opt = timed(lambda: iso.risk(args.alpha, L, sigma2=args.sigma2, dps=30), 1)
        g = opt.gamma
        t_fix, res = timed(lambda: iso.risk(args.alpha, L, sigma2=args.sigma2, gamma=g, dps=30))
        if L == "inf":
            sim_s, ratio = "n/a", "n/a"
        else:
            t0 = time.perf_counter()
            sim = simulate("iso", alpha=float(args.alpha), depth=L, gamma=float(g),
                           sigma2=float(args.sigma2), dim=args.dim, contexts=args.pilot, seed=1)
            per_ctx = (time.perf_counter() - t0) / args.pilot
            spread = sim.stderr * args.pilot ** 0.5
            needed = max(2, (spread / (0.01 * sim.risk)) ** 2)
            sim_t = per_ctx * needed
            sim_s, ratio = f"{sim_t:.3g}", f"{sim_t / t_fix:.3g}"
        print(f"{L:>6} {t_fix:>16.4g} {t_opt:>18.4g} {mpmath.nstr(res.risk, 8):>14} "
              f"{sim_s:>11} {ratio:>9}")


if __name__ == "__main__":
    main()
