"""Benchmark: cost of one exact RRS risk point and of the scaling-exponent checks.

Run ``python benchmarks/rrs.py`` (options: ``--dps``, ``--nu``, ``--beta``, ``--repeat``).
Prints wall-clock seconds (best of ``--repeat``) for

* ``solvers.settings.rrs.risk`` at the optimal γ (time = inf, α = ∞) for depth 4, 10³ and 10⁶;
* ``solvers.settings.rrs.risk`` at finite gradient-flow times: depth 4 (t = 11.6095, 551 s before
  the Hurwitz-zeta sums and the cumulative flow quadrature) and depth ∞ up to t = 10¹² (t ≥ 10⁶
  raised ConvergenceError before);
* ``solvers.analysis.exponents.check_exponent`` for every law, with its honesty flag
  (``|diff| ≤ err est``).

Caches are cleared before each point (cold calls).  The comparison against an independent
reference implementation is ``benchmarks/flows.py``.
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

    from solvers import zeta_moments

    def cold():
        rrs._FLOW_CACHE.clear()
        rrs._OPT_CACHE.clear()
        zeta_moments.power_law_sums.cache_clear()

    def point(label, **kw):
        def run():
            cold()
            return rrs.risk(nu=args.nu, beta=args.beta, dps=args.dps, **kw)
        try:
            sec, r = _best(run, args.repeat)
            g = "inf" if not math.isfinite(float(r.gamma)) else f"{float(r.gamma):.6e}"
            print(f"  {label:<28}: {sec:8.3f} s   risk = {float(r.risk):.12e}   gamma = {g}")
        except Exception as exc:  # report, do not hide: a solver may reject a point
            print(f"  {label:<28}: FAILED ({type(exc).__name__}: {exc})")

    print(f"RRS risk points (nu={args.nu}, beta={args.beta}, dps={args.dps}; wall seconds)")
    for depth in (4, 10**3, 10**6):
        point(f"depth {depth}, optimal gamma", depth=depth, time=math.inf)
    point("depth 4, time 11.6095", depth=4, time="11.6095")
    for t in ("1e3", "1e6", "1e12"):
        point(f"depth inf, time {t}", depth=math.inf, time=t)

    print(f"exponent checks (dps={args.check_dps})")
    print(f"  {'law':<10} {'symbolic':>12} {'numeric':>12} {'|diff|':>10} {'err est':>10} "
          f"{'honest':>7} {'sec':>8}")
    for law in LAWS:
        sec, r = _best(lambda: check_exponent(law, args.nu, args.beta, dps=args.check_dps),
                       args.repeat)
        honest = "yes" if r.difference <= r.error_estimate else "NO"
        print(f"  {law:<10} {float(r.symbolic):12.8f} {float(r.value):12.8f} "
              f"{float(r.difference):10.2e} {float(r.error_estimate):10.2e} {honest:>7} "
              f"{sec:8.3f}")


if __name__ == "__main__":
    main()
