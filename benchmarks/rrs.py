"""Benchmark: cost of one exact RRS risk point and of the scaling-exponent checks.

Run ``python benchmarks/rrs.py`` (options: ``--dps``, ``--nu``, ``--beta``, ``--repeat``).
Prints wall-clock seconds (best of ``--repeat``) for

* ``solvers.settings.rrs.risk`` at the optimal γ (time = inf, α = ∞) for depth 10³ and 10⁶;
* ``solvers.settings.rrs.risk`` at a finite gradient-flow time (depth ∞), when the flow solver accepts it;
* ``solvers.analysis.exponents.check_exponent`` for every law.
"""
from __future__ import annotations

import argparse
import math
import time


def _best(fn, repeat):
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dps", type=int, default=30)
    p.add_argument("--nu", type=float, default=1.5)
    p.add_argument("--beta", type=float, default=1.0)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--check-dps", type=int, default=15, help="dps of the exponent checks")
    args = p.parse_args(argv)

    from solvers.settings import rrs
    from solvers.analysis.exponents import LAWS, check_exponent

    print(f"RRS risk points (nu={args.nu}, beta={args.beta}, dps={args.dps})")
    for depth in (10**3, 10**6):
        sec, r = _best(lambda: rrs.risk(nu=args.nu, beta=args.beta, depth=depth,
                                        time=math.inf, dps=args.dps), args.repeat)
        print(f"  depth {depth:>8}, optimal gamma : {sec:8.3f} s   risk = {float(r.risk):.12e}"
              f"   gamma = {float(r.gamma):.6e}")
    for t in (1e3, 1e6):
        try:
            sec, r = _best(lambda: rrs.risk(nu=args.nu, beta=args.beta, depth=math.inf, time=t,
                                            dps=args.dps), args.repeat)
            print(f"  depth inf, time {t:8.0e}   : {sec:8.3f} s   risk = {float(r.risk):.12e}")
        except Exception as exc:  # report, do not hide: the flow solver may reject a point
            print(f"  depth inf, time {t:8.0e}   : FAILED ({type(exc).__name__}: {exc})")

    print(f"exponent checks (dps={args.check_dps})")
    print(f"  {'law':<10} {'symbolic':>12} {'numeric':>12} {'|diff|':>10} {'err est':>10} {'sec':>8}")
    for law in LAWS:
        sec, r = _best(lambda: check_exponent(law, args.nu, args.beta, dps=args.check_dps),
                       args.repeat)
        print(f"  {law:<10} {float(r.symbolic):12.8f} {float(r.value):12.8f} "
              f"{float(r.difference):10.2e} {float(r.error_estimate):10.2e} {sec:8.3f}")


if __name__ == "__main__":
    main()
