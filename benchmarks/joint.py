"""Benchmark: the joint case (finite width and finite context, RRS) per point, float64 and dps 30,
against independent references, the previous implementation's figures and the simulators at 1 %.

Independent references (no contour, written here):
* depth 1: the exact depth-1 closed form of the nested deterministic equivalent
  (``theory.joint.depth1_closed_form``, proved symbolically for a generic spectrum by
  ``theory.joint.check_depth1_closed_form``), with the moment sums in mpmath (exact ζ values at
  ``dim = inf``);
* ridgeless least squares (L = ∞, γ → ∞, N < P): ``R_W(N)·P/(P − N) + σ²N/(P − N)`` with ``κ_N``
  from plain bisection on ``Σλ/(κ + λ) = N`` and ``R_W = κ_N Σωλ/(κ_N + λ)``;
* full width N = D: :func:`solvers.settings.context.risk` at dps 40 (case C, a different kernel
  and noise kernel).
For each point: CPU seconds at dps 15 (complex128) and dps 30 (mpmath), digits of agreement, the
node count.

Previous implementation (commit 665c178, pair sums over modes, complex128 whatever dps): about
0.05–0.4 s per point at D = 64–256 with 10–15 digits; contours capped at 4096 nodes (depth
≳ 2000 failed); N = P = 1024 at dim = inf with the optimal γ: 250 s.  Simulators: the exact-in-
(β, ε) simulator ``solvers.simulators.joint.simulate_joint`` and the GD simulator
``solvers.simulators.reduced.simulate``, time for a 1 % standard error extrapolated from a pilot
run (note: at finite D they estimate the finite-D risk, O(1/D) away from the asymptotic one).

Run:  python benchmarks/joint.py [--pilot 64] [--dim 128]
"""
import argparse
import math
import resource
import sys
import time
from pathlib import Path

import mpmath

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this checkout's solvers

from solvers.settings import context, joint  # noqa: E402
from solvers.simulators.joint import simulate_joint  # noqa: E402
from solvers.simulators.reduced import simulate  # noqa: E402
from solvers.spectra import PowerLaw  # noqa: E402
from tests import joint_reference  # noqa: E402

OLD = {"float": "0.05-0.4 s, 10-15 digits whatever dps", "N=P=1024": "250 s",
       "L=2048": "fails (4096-node cap)"}
LAM = ["1", "0.6", "0.35", "0.2", "0.1", "0.05"]
OM = ["0.5", "0.3", "0.4", "0.2", "0.9", "0.7"]


def cpu(fn):
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def digits(got, ref):
    with mpmath.workdps(45):
        e = abs(mpmath.mpf(got) - ref) / abs(ref)
        return math.inf if e == 0 else float(-mpmath.log10(e))


depth1_ref = joint_reference.closed_depth1
moments_explicit = joint_reference.moments


def est_digits(r):
    """Digits implied by the error estimate: −log10(error_estimate/|risk|)."""
    with mpmath.workdps(45):
        e = mpmath.mpf(r.error_estimate) / abs(mpmath.mpf(r.risk))
        return math.inf if e == 0 else float(-mpmath.log10(e))


def row(label, call, ref_fn, old=""):
    with mpmath.workdps(45):        # the references at 45 digits
        t_ref, ref = cpu(ref_fn)
    out = [f"{label:<40}"]
    for dps in (15, 30):
        t, r = cpu(lambda: call(dps))
        out.append(f"dps{dps}: {t:7.3f}s {digits(r.risk, ref):5.1f} dig "
                   f"(est {est_digits(r):4.1f}) N={r.extra['nodes']:<4}")
    out.append(f"ref {t_ref:.2f}s")
    if old:
        out.append(f"| old: {old}")
    print("  ".join(out), flush=True)


def sim_time(fn, pilot, risk_hint):
    t0 = time.perf_counter()
    r = fn(pilot)
    per = (time.perf_counter() - t0) / pilot
    spread = r.stderr * pilot ** 0.5
    needed = max(2.0, (spread / (0.01 * risk_hint)) ** 2)
    return per * needed, needed, r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pilot", type=int, default=64)
    ap.add_argument("--dim", type=int, default=128)
    args = ap.parse_args()
    nu, beta = "1.5", "1"
    print("joint case (RRS, width x context), CPU seconds per point; digits vs an independent "
          "reference ('est': digits implied by the error estimate)")
    with mpmath.workdps(45):
        D = 64
        lam64, om64 = PowerLaw(nu, beta, dim=D).modes(dps=45)
        s64, T64 = moments_explicit(lam64, om64)
        n_, b_ = mpmath.mpf(nu), mpmath.mpf(beta)
        c = n_ * b_ + 1
        s_inf = [mpmath.zeta(c + j * n_) / mpmath.zeta(c) for j in range(3)]
        T_inf = [mpmath.zeta((j + 1) * n_) for j in range(2)]
        sx, Tx = moments_explicit(LAM, OM)
    print("-- depth 1, reference: exact closed form of the equivalent (theory.joint)")
    lam_s = [str(v) for v in lam64]
    om_s = [str(v) for v in om64]
    for N, al, g in ((16, "0.5", "3"), (48, "2", "1.5")):
        row(f"power law D=64 N={N} alpha={al} gamma={g}",
            lambda d: joint.risk(width=N, alpha=al, depth=1, gamma=g, sigma2="0.1",
                                 nu=nu, beta=beta, dim=D, dps=d),
            lambda: depth1_ref(s64, T64, N, mpmath.mpf(al) * D, D,
                               mpmath.mpf(g) * N / D, mpmath.mpf("0.1")))
    for N, P in ((16, 40), (64, 24), (10 ** 6, 10 ** 5)):
        row(f"dim=inf N={N:g} P={P:g} gamma=1.3",
            lambda d: joint.risk(width=N, context=P, depth=1, gamma="1.3", sigma2="0.1",
                                 nu=nu, beta=beta, dps=d),
            lambda: depth1_ref(s_inf, T_inf, N, P, math.inf, mpmath.mpf("1.3"),
                               mpmath.mpf("0.1")))
    print("-- ridgeless least squares (L=inf, gamma=inf, N<P), reference: bisection + OLS law")

    def ls_ref(lam, om, N, P, s2):
        with mpmath.workdps(45):
            return joint_reference.ridgeless_least_squares(lam, om, N, P, s2)
    row("power law D=64 N=16 alpha=2 sigma2=0.25",
        lambda d: joint.risk(width=16, alpha="2", depth="inf", gamma="inf", sigma2="0.25",
                             lam=lam_s, omega=om_s, dps=d),
        lambda: ls_ref(lam_s, om_s, 16, 128, "0.25"))
    print("-- full width N = D, reference: case C (solvers.settings.context at dps 40)")
    for al, L, g in (("1.5", 3, "0.7"), ("0.5", "inf", "1.3")):
        row(f"explicit D=6 alpha={al} L={L} gamma={g}",
            lambda d: joint.risk(width=6, alpha=al, depth=L, gamma=g, sigma2="0.25", lam=LAM,
                                 omega=OM, dps=d),
            lambda: context.risk("rrs", alpha=al, depth=L, gamma=g, sigma2="0.25", lam=LAM,
                                 omega=OM, dps=40).risk)
    print("-- no closed form (float64 vs dps 30 self-consistency and cost)")
    for kw, old in ((dict(width=32, alpha=0.5, depth=4, nu=1.5, beta=1.0, dim=128, sigma2=0.1),
                     OLD["float"]),
                    (dict(width=64, context=128, depth="inf", sigma2=0.1, nu=1.5, beta=1.0),
                     ""),
                    (dict(width=64, context=256, depth=2048, gamma=3.0, nu=1.5, beta=1.0),
                     OLD["L=2048"]),
                    (dict(width=10 ** 6, context=10 ** 7, depth=4, gamma=3.0, nu=1.5, beta=1.0),
                     "")):
        t15, r15 = cpu(lambda: joint.risk(dps=15, **kw))
        t30, r30 = cpu(lambda: joint.risk(dps=30, **kw))
        label = ", ".join(f"{k}={v}" for k, v in kw.items() if k not in ("nu", "beta"))
        print(f"{label}: gamma {float(r30.gamma):.6g}; dps15 {t15:.3f}s N={r15.extra['nodes']}, "
              f"dps30 {t30:.3f}s N={r30.extra['nodes']}, float64 vs dps30 "
              f"{digits(r15.risk, r30.risk):.1f} digits" + (f" | old: {old}" if old else ""),
              flush=True)
    t, r = cpu(lambda: joint.risk(width=1024, context=1024, depth="inf", nu=1.5, beta=1.0,
                                  dps=15))
    print(f"N = P = 1024, dim=inf, optimal gamma (no spectral gap): {t:.2f}s, "
          f"gamma* {r.gamma:.6g}, N={r.extra['nodes']} | old: {OLD['N=P=1024']}", flush=True)
    print(f"-- simulators at 1 % (power law truncated to D={args.dim}, gamma = 0.7 gamma*)")
    D = args.dim
    lam, om = PowerLaw(1.5, 1.0, dim=D).modes(dps=20)
    lam, om = [float(x) for x in lam], [float(x) for x in om]
    for aN, al, L, s2 in ((0.25, 0.5, 4, 0.25), (0.5, 2.0, 16, 0.0), (0.5, 2.0, "inf", 0.25)):
        N = int(aN * D)
        kw = dict(width=N, alpha=al, depth=L, sigma2=s2, lam=lam, omega=om)
        g = 0.7 * float(joint.risk(dps=15, **kw).gamma)
        t15, r = cpu(lambda: joint.risk(gamma=g, dps=15, **kw))
        t30, _ = cpu(lambda: joint.risk(gamma=g, dps=30, **kw))
        t_ex, n_ex, mc = sim_time(lambda n: simulate_joint(width=N, alpha=al, depth=L, gamma=g,
                                                           lam=lam, omega=om, sigma2=s2,
                                                           contexts=n, seed=1),
                                  args.pilot, r.risk)
        if L == "inf":
            gd = "GD simulator: n/a at depth inf"
        else:
            t_gd, n_gd, _ = sim_time(lambda n: simulate("rrs", alpha=al, width=N, lam=lam,
                                                        omega=om, gamma=g, depth=L, sigma2=s2,
                                                        dim=D, contexts=n, seed=1),
                                     args.pilot, r.risk)
            gd = f"GD simulator {t_gd:.3g}s ({n_gd:.0f} contexts, x{t_gd / t15:.3g})"
        print(f"N={N} alpha={al} L={L} s2={s2} gamma={g:.4g}: theory dps15 {t15:.3f}s, dps30 "
              f"{t30:.3f}s, risk {r.risk:.8f}; exact-(beta,eps) simulator to 1 %: {t_ex:.3g}s "
              f"({n_ex:.0f} contexts, x{t_ex / t15:.3g} of dps15, x{t_ex / t30:.3g} of dps30; "
              f"pilot {mc.risk:.4f} +- {mc.stderr:.4f}); {gd}", flush=True)
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


if __name__ == "__main__":
    main()
