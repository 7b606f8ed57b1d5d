"""Benchmark: finite-context risk (case C) per point, float64 and dps 30, against independent
references, the previous implementation's figures and the simulator at 1 %.

Independent references (no contour, written here):
* depth 1: the deterministic equivalent expanded by hand (Wishart second moments, the O(1/D)
  term dropped): ``R₁ = Σw − 2γΣwa + γ²[Σwa² + (Σw)(Σa²)/P] + σ²γ²Σa²/P`` (w = ωλ, a = λ),
  in mpmath with exact ζ moments at ``dim = inf``;
* flat spectrum (ISO): :func:`solvers.settings.iso.risk` (Gauss–Chebyshev quadrature of the
  Marchenko–Pastur law) — a different quadrature of a different representation.
For each point it prints the solver's time (CPU s) at dps 15 (complex128) and dps 30 (mpmath),
the digits of agreement with the reference, the node count, and the reference's own time.

Previous implementation (commit af03d99, same machine, CPU seconds): L = 1024: 4096 nodes,
14 s, 1.1 GiB; L = 2048: 8192 nodes, 51 s, 4.35 GiB; γ = 20–50 at depth 2: 60–70 s, 4.6 GB;
context 1e5: ConvergenceError (head > 2^18 modes); context 1e6: > 80 s; every call float64
(≈ 15 digits whatever dps).  Simulator: FS on a power law truncated to D modes, time for a 1 %
standard error extrapolated from a pilot run.

Run:  python benchmarks/context.py [--pilot 100] [--dim 256]
"""
import argparse
import math
import resource
import sys
import time
from pathlib import Path

import mpmath

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this checkout's solvers

from solvers.settings import context, iso
from solvers.simulators.reduced import simulate
from solvers.spectra import PowerLaw

OLD = {"L=1024": "4096 nodes, 14 s, 1.1 GiB", "L=2048": "8192 nodes, 51 s, 4.35 GiB",
       "g=20,L=2": "60-70 s, 4.6 GB", "P=1e6": "> 80 s", "P=1e5": "ConvergenceError"}


def cpu(fn):
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def depth1_power_law(P, gamma, sigma2, nu, beta, dps=40):
    with mpmath.workdps(dps):
        n, b, g, s2 = (mpmath.mpf(str(v)) for v in (nu, beta, gamma, sigma2))
        c = n * b + 1
        Z = mpmath.zeta(c)
        m2, m3, t2 = mpmath.zeta(c + n) / Z, mpmath.zeta(c + 2 * n) / Z, mpmath.zeta(2 * n)
        return 1 - 2 * g * m2 + g * g * (m3 + t2 / P) + s2 * g * g * t2 / P


def digits(got, ref):
    with mpmath.workdps(40):
        e = abs(mpmath.mpf(got) - ref) / abs(ref)
        return math.inf if e == 0 else float(-mpmath.log10(e))


def row(label, call, ref_fn, old=""):
    t_ref, ref = cpu(ref_fn)
    out = [f"{label:<34}"]
    for dps in (15, 30):
        t, r = cpu(lambda: call(dps))
        out.append(f"dps{dps}: {t:7.3f}s {digits(r.risk, ref):5.1f} dig N={r.extra['nodes']:<4}")
    out.append(f"ref {t_ref:.3f}s")
    if old:
        out.append(f"| old: {old}")
    print("  ".join(out), flush=True)


def sim_time(lam, om, alpha, depth, gamma, sigma2, dim, pilot):
    t0 = time.perf_counter()
    sim = simulate("fs", alpha=alpha, depth=depth, gamma=gamma, sigma2=sigma2, dim=dim,
                   contexts=pilot, lam=lam, omega=om, seed=1)
    per_ctx = (time.perf_counter() - t0) / pilot
    needed = max(2.0, (sim.stderr * pilot ** 0.5 / (0.01 * sim.risk)) ** 2)
    return per_ctx * needed, needed, sim


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pilot", type=int, default=100)
    ap.add_argument("--dim", type=int, default=256)
    args = ap.parse_args()
    nu, beta, s2 = 1.5, 1.0, 0.1
    print("case C (finite context), CPU seconds per point; digits vs an independent reference")
    print("-- depth 1, power law nu=1.5 beta=1 at dim=inf, reference: hand-expanded DE closed form")
    for P, g in ((64, 1.3), (1024, 1.3), (10 ** 6, 1.3)):
        row(f"context={P:g} gamma={g}",
            lambda d: context.risk("rrs", context=P, depth=1, gamma=str(g), sigma2=str(s2),
                                   nu=str(nu), beta=str(beta), dps=d),
            lambda: depth1_power_law(P, g, s2, nu, beta),
            OLD.get("P=1e6") if P == 10 ** 6 else "")
    print("-- flat spectrum (= ISO), reference: iso.risk (Gauss-Chebyshev, MP law)")
    for a, L, g, old in (("2", 4, "0.7", ""), ("0.5", 1024, "3", OLD["L=1024"]),
                         ("0.5", 2048, "50", OLD["L=2048"]), ("0.5", 2, "20", OLD["g=20,L=2"]),
                         ("0.5", "inf", "1.3", "")):
        row(f"ISO alpha={a} L={L} gamma={g}",
            lambda d: context.risk("iso", alpha=a, depth=L, gamma=g, sigma2="0.1", dps=d),
            lambda: iso.risk(a, L, sigma2="0.1", gamma=g, dps=40).risk, old)
    print("-- power law at absolute context, depth > 1 (no closed form; float64 vs dps 30 "
          "self-consistency and cost)")
    for P, L, g in ((64, 2048, 50.0), (10 ** 5, 4, 3.0), (10 ** 6, 2048, 20.0)):
        t15, r15 = cpu(lambda: context.risk("rrs", context=P, depth=L, gamma=g, sigma2=s2,
                                            nu=nu, beta=beta, dps=15))
        t30, r30 = cpu(lambda: context.risk("rrs", context=P, depth=L, gamma=g, sigma2=s2,
                                            nu=nu, beta=beta, dps=30))
        print(f"context={P:g} L={L} gamma={g}: dps15 {t15:.3f}s N={r15.extra['nodes']}, dps30 "
              f"{t30:.3f}s N={r30.extra['nodes']}, float64 vs dps30 {digits(r15.risk, r30.risk):.1f}"
              f" digits, head {r30.extra['modes_head']} modes"
              + (f" | old: {OLD['P=1e5']}" if P == 10 ** 5 else ""), flush=True)
    print("-- simulator at 1 % (FS, power law truncated to D modes, alpha=0.5, depth=4)")
    D = args.dim
    lam, om = PowerLaw(nu, beta, dim=D).modes(dps=20)
    lam, om = [float(x) for x in lam], [float(x) for x in om]
    t15, r = cpu(lambda: context.risk("fs", alpha=0.5, depth=4, gamma=2.0, sigma2=s2, lam=lam,
                                      omega=om, dps=15))
    t30, r30 = cpu(lambda: context.risk("fs", alpha=0.5, depth=4, gamma=2.0, sigma2=s2,
                                        lam=lam, omega=om, dps=30))
    st, n, sim = sim_time(lam, om, 0.5, 4, 2.0, s2, D, args.pilot)
    print(f"D={D}: theory dps15 {t15:.3f}s, dps30 {t30:.3f}s; simulator to 1 %: {st:.3g}s "
          f"({n:.0f} contexts), ratio {st / t15:.3g} (float64) / {st / t30:.3g} (dps 30); "
          f"pilot risk {sim.risk:.4f} ± {sim.stderr:.4f} vs theory {float(r.risk):.4f}")
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


if __name__ == "__main__":
    main()
