"""Benchmark: one joint risk point (finite width and context) vs the simulators at 1 % error.

Run ``python benchmarks/joint.py`` (options ``--dim``, ``--pilot``, ``--nu``, ``--beta``).
For a power law truncated to ``dim`` modes (proportional regime) and several (N/D, α, L, σ²),
prints the time of ``solvers.settings.joint.risk`` at a given γ and at the optimal γ with its relative
error estimate, and the time two simulators need for a 1 % standard error of the mean,
extrapolated from a pilot run (contexts needed ``= (spread/(0.01 R))²``):
``solvers.simulators.reduced.simulate`` (L GD steps on sampled tasks, rotations and noise) and
``solvers.simulators.joint.simulate_joint`` (exact in task and noise).  Note that at finite D the
simulators estimate the finite-D risk, which differs from the asymptotic one by O(1/D).
Also one ``dim = inf`` point (absolute N, P).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import timed  # noqa: E402


def _sim_time(fn, pilot, risk_hint):
    t0 = time.perf_counter()
    r = fn(pilot)
    per = (time.perf_counter() - t0) / pilot
    spread = r.stderr * pilot ** 0.5
    return per * max(2.0, (spread / (0.01 * risk_hint)) ** 2), r


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dim", type=int, default=256)
    p.add_argument("--pilot", type=int, default=64, help="contexts of each pilot run")
    p.add_argument("--nu", type=float, default=1.5)
    p.add_argument("--beta", type=float, default=1.0)
    args = p.parse_args(argv)

    from solvers.settings import joint
    from solvers.simulators.reduced import simulate
    from solvers.simulators.joint import simulate_joint
    from solvers.spectra import PowerLaw

    D = args.dim
    lam, om = PowerLaw(args.nu, args.beta, D).modes(dps=20)
    lam = np.array([float(v) for v in lam])
    om = np.array([float(v) for v in om])
    print(f"joint case (RRS, width + context), power law nu={args.nu} beta={args.beta}, D={D}")
    print(f"{'N':>5} {'alpha':>6} {'L':>4} {'s2':>5} {'gamma':>8} {'t_risk[s]':>10} "
          f"{'rel.err':>8} {'t_opt[s]':>9} {'risk':>13} {'t_GD1%[s]':>10} {'t_exact1%[s]':>12} "
          f"{'GD/risk':>8} {'exact/risk':>10}")
    for aN, al, L, s2 in ((0.25, 0.5, 4, 0.25), (0.5, 2.0, 16, 0.0), (0.5, 2.0, 64, 0.25)):
        N = int(aN * D)
        kw = dict(width=N, alpha=al, depth=L, sigma2=s2, nu=args.nu, beta=args.beta, dim=D)
        t_opt, ro = timed(lambda: joint.risk(**kw), repeat=1)
        g = 0.7 * ro.gamma
        t_fix, r = timed(lambda: joint.risk(gamma=g, **kw))
        t_gd, _ = _sim_time(lambda n: simulate("rrs", alpha=al, width=N, lam=lam, omega=om,
                                               gamma=g, depth=L, sigma2=s2, dim=D, contexts=n,
                                               seed=1), args.pilot, r.risk)
        t_ex, _ = _sim_time(lambda n: simulate_joint(width=N, alpha=al, depth=L, gamma=g,
                                                     lam=lam, omega=om, sigma2=s2, contexts=n,
                                                     seed=1), args.pilot, r.risk)
        print(f"{N:>5} {al:>6.3g} {L:>4} {s2:>5.3g} {g:>8.3g} {t_fix:>10.3g} "
              f"{r.error_estimate / r.risk:>8.1e} {t_opt:>9.3g} {r.risk:>13.10f} {t_gd:>10.3g} "
              f"{t_ex:>12.3g} {t_gd / t_fix:>8.3g} {t_ex / t_fix:>10.3g}")
    t_inf, r = timed(lambda: joint.risk(width=64, context=128, depth="inf", sigma2=0.1,
                                        nu=args.nu, beta=args.beta), repeat=1)
    print(f"dim=inf, N=64, P=128, L=inf, sigma2=0.1, optimal gamma {r.gamma:.6g}: "
          f"{t_inf:.3g} s, risk {r.risk:.10f}, rel.err {r.error_estimate / r.risk:.1e}")


if __name__ == "__main__":
    main()
