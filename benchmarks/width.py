"""Benchmark: one case-W risk point (finite width, α = ∞), float64 and dps 30, against
independent references, the previous implementation's figures and the simulator at 1 %.

Independent references (no contour, written here):
* depth 1: Haar moments of the random projection, ``R = Σωλ − 2γαΣωλ² + γ²[α²Σωλ³ +
  α(1−α)ΣλΣωλ²/D]`` (D → ∞ form, finite spectrum) and at ``dim = inf``
  ``R = 1 − 2γm₂ + γ²(m₃ + m₂ζ(ν)/N)`` (mpmath, exact ζ moments);
* full width N = D: the unbottlenecked RRS spectral sum (:func:`solvers.settings.rrs.risk`).
Printed: CPU seconds per point at dps 15 (float64) and dps 30 (mpmath), digits of agreement,
nodes; then the simulator's time to a 1 % standard error (pilot run, extrapolated).

Previous implementation (commit af03d99, CPU s): D = 512, N = 64, L = 4: 0.066 s at γ = 8
(64 nodes, cosh-ellipse, float64 only), 0.022 s optimal γ; dim = inf N = 64 L = 16 optimal:
0.27 s (128 nodes); N = 1024: 0.62 s (head 1440 modes, growing ∝ N); N = 10⁶: > 80 s; the
node count grew like √(γ E) on the cosh ellipse; every dps gave ≈ 15 digits.

Run ``python benchmarks/width.py`` (options ``--dim``, ``--pilot``).
"""
from __future__ import annotations

import argparse
import math
import resource
import sys
import time
from pathlib import Path

import mpmath
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this checkout's solvers


def cpu(fn):
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def digits(got, ref):
    with mpmath.workdps(40):
        e = abs(mpmath.mpf(got) - ref) / abs(ref)
        return math.inf if e == 0 else float(-mpmath.log10(e))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dim", type=int, default=256)
    p.add_argument("--pilot", type=int, default=40, help="simulator contexts of the pilot run")
    args = p.parse_args(argv)

    from solvers.settings import rrs, width
    from solvers.simulators.reduced import simulate

    def row(label, call, ref_fn, old=""):
        t_ref, ref = cpu(ref_fn)
        out = [f"{label:<30}"]
        for dps in (15, 30):
            t, r = cpu(lambda: call(dps))
            out.append(f"dps{dps}: {t:7.3f}s {digits(r.risk, ref):5.1f} dig "
                       f"N={r.extra['nodes']:<4}")
        out.append(f"ref {t_ref:.3f}s" + (f" | old: {old}" if old else ""))
        print("  ".join(out), flush=True)

    print("case W (finite width), CPU seconds per point; digits vs an independent reference")
    print("-- depth 1 at dim = inf (nu=1.5, beta=1), reference: Haar-moment closed form")

    def ref_inf(N, g):
        with mpmath.workdps(40):
            nu, gg = mpmath.mpf("1.5"), mpmath.mpf(g)
            s = nu + 1
            Z = mpmath.zeta(s)
            m2, m3 = mpmath.zeta(s + nu) / Z, mpmath.zeta(s + 2 * nu) / Z
            return 1 - 2 * gg * m2 + gg * gg * (m3 + m2 * mpmath.zeta(nu) / N)
    for N, old in ((8, ""), (1024, "0.62 s at depth 4"), (10 ** 6, "> 80 s")):
        row(f"width={N:g} gamma=1.3",
            lambda d: width.risk(width=N, depth=1, gamma="1.3", nu="1.5", beta="1", dps=d),
            lambda: ref_inf(N, "1.3"), old)
    print("-- full width N = D (power law nu=1.2 truncated to 64 modes), reference: rrs.risk")
    k = np.arange(1, 65)
    lam = [str(float(v)) for v in k ** -1.2]
    om = [str(float(v)) for v in k ** (-1.0) / np.sum(k ** -2.0)]
    for L, g in ((4, "3"), (64, "40"), ("inf", "5")):
        row(f"N=D=64 L={L} gamma={g}",
            lambda d: width.risk(width=64, depth=L, gamma=g, lam=lam, omega=om, dps=d),
            lambda: rrs.risk(depth=L, gamma=g, lam=lam, omega=om, dps=40).risk)
    print("-- depth > 1 at dim = inf (no closed form): float64 vs dps 30, cost independent of N")
    for N, L, g in ((64, 16, None), (10 ** 6, 16, None), (10 ** 6, 64, 40.0)):
        t15, r15 = cpu(lambda: width.risk(width=N, depth=L, gamma=g, nu=1.5, beta=1.0, dps=15))
        t30, r30 = cpu(lambda: width.risk(width=N, depth=L, gamma=g, nu=1.5, beta=1.0, dps=30))
        print(f"width={N:g} L={L} gamma={'opt' if g is None else g}: dps15 {t15:.3f}s "
              f"N={r15.extra['nodes']}, dps30 {t30:.3f}s N={r30.extra['nodes']}, float64 vs "
              f"dps30 {digits(r15.risk, r30.risk):.1f} digits, head {r30.extra['head_modes']}",
              flush=True)
    print("-- simulator at 1 % (power law nu=1.2 truncated to D, N = D/4, L = 4, gamma = 8)")
    D = args.dim
    kk = np.arange(1, D + 1, dtype=float)
    lam_f = kk ** -1.2
    wl = kk ** (-2.0)
    om_f = wl / wl.sum() / lam_f
    N = D // 4
    t15, r = cpu(lambda: width.risk(width=N, depth=4, gamma=8.0, lam=list(lam_f),
                                    omega=list(om_f), dps=15))
    t30, _ = cpu(lambda: width.risk(width=N, depth=4, gamma=8.0, lam=list(lam_f),
                                    omega=list(om_f), dps=30))
    t0 = time.perf_counter()
    sim = simulate("rrs", alpha="inf", width=N, lam=lam_f, omega=om_f, gamma=8.0, depth=4,
                   dim=D, contexts=args.pilot, seed=1)
    per_ctx = (time.perf_counter() - t0) / args.pilot
    t_sim = per_ctx * max(2.0, (sim.stderr * args.pilot ** 0.5 / (0.01 * sim.risk)) ** 2)
    print(f"D={D} N={N}: theory dps15 {t15:.3f}s, dps30 {t30:.3f}s; simulator to 1 %: "
          f"{t_sim:.3g}s, ratio {t_sim / t15:.3g} (float64) / {t_sim / t30:.3g} (dps 30); "
          f"pilot {sim.risk:.4f} ± {sim.stderr:.4f} vs theory {float(r.risk):.4f}")
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


if __name__ == "__main__":
    main()
