"""Benchmark: exact gradient flows at D = ∞ against an independent reference, timed in one run.

For each exact path (RRS flow points and curves at several depths, the RRS optimum, the FS
flow, the L = ∞ large-time flow, the ISO optimum) it prints

* ``ours``: CPU seconds of the package, caches cleared first (a cold call);
* ``ref``: CPU seconds of the reference (``tests/flow_reference.py`` and below), written
  independently of the package — the
  ζ-moment polynomial of the power law, ``R(γ) = Σ_{j≤2L} C(2L,j)(−γ/L)^j ζ(s+jν)/ζ(s)``
  (L = ∞: ``Σ_j (−2γ)^j/j! ζ(s+jν)/ζ(s)``), its exact derivative, guard digits for the
  cancellation, ``t(γ) = ∫dg/F`` by Gauss–Legendre/tanh–sinh quadrature and a bracketed Newton
  inversion per time; ``ratio = ours/ref`` (aim ≤ 3); at L = 10⁶, where that polynomial needs
  ~10⁶ guard digits, F from explicit modes + Euler–Maclaurin (:func:`ref_deep_F`) and time
  differences ``t(γ_{i+1}) − t(γ_i)`` by Gauss–Legendre (:func:`ref_deep_times`);
* ``digits``: agreement of the two values (``-log10`` of the relative difference);
* ``before``: the previous implementation's figure for the same computation (CPU seconds
  measured at commit af03d99 on this machine; the L = 10⁶ full/tied rows at bd1530a; "wall" and the issue's figures in parentheses
  where only those exist; "(10 t)": a 10-time curve; ConvergenceError: it failed);
* ``sim 1%``: simulator seconds for a 1 % standard error of the same risk at D = 256
  (:func:`solvers.simulate`: per-context cost and spread of a pilot run, extrapolated), and the
  pilot's z-score against the exact risk of the D = 256 truncation at the same γ.

CPU time (``time.process_time``), so that other load on the machine does not distort ratios.
Run from the repository root:  PYTHONPATH=. python benchmarks/flows.py [--quick] [--pilot 200]
"""
from __future__ import annotations

import argparse
import math
import time

import mpmath

# the reference is shared with tests/test_flows.py (run with PYTHONPATH=., see above)
from tests.flow_reference import BETA, NU, ref_R_F, ref_point as _ref_point


# ----------------------------------------------------------------------------- reference

ref_RF = ref_R_F   # (R, F) at γ from the ζ-moment series (tests/flow_reference.py)


def ref_point(L, t, dps):
    """(γ(t), R(γ(t))) of the reference at ``dps`` + 8 working digits, Newton to 10^{−(dps+3)}."""
    return _ref_point(L, t, dps + 8, mpmath.mpf(10) ** (-(dps + 3)))


def ref_curve(L, times, dps):
    return [ref_point(L, t, dps) for t in times]


def ref_optimum(L, dps):
    """γ* = root of F by the Illinois method in [L, 2L] (F(L) > 0 > F(2L) on this law)."""
    wd = dps + 8
    with mpmath.workdps(wd):
        g = mpmath.findroot(lambda x: ref_RF(L, x, wd)[1], (mpmath.mpf(L), mpmath.mpf(2 * L)),
                            solver="illinois", tol=mpmath.mpf(10) ** (-2 * dps))
        return g, ref_RF(L, g, wd)[0]


def ref_fs(depth, t, dps):
    """FS risk Σω_kλ_kφ_L(ω_kλ_k³t): 8 modes + Taylor series of φ_L against ζ(x, 9), each from
    ζ(x) − Σ_{k≤8} k^{−x} at the precision that subtraction needs."""
    with mpmath.workdps(dps + 15):
        nu, beta, t = mpmath.mpf(NU), mpmath.mpf(BETA), mpmath.mpf(t)
        s = nu * beta + 1
        mu = s + 2 * nu
        Z = mpmath.zeta(s)
        if depth == "inf":
            b, e = 4 * t / Z, mpmath.mpf(1)
        else:
            b, e = 4 * (depth - 1) * t / (depth * Z), mpmath.mpf(depth) / (depth - 1)
        head = mpmath.fsum(mpmath.mpf(k) ** (-s) * (1 + b * mpmath.mpf(k) ** (-mu)) ** (-e)
                           for k in range(1, 9))
        tail, c, m = mpmath.mpf(0), mpmath.mpf(1), 0
        while True:
            x = s + m * mu
            with mpmath.workdps(dps + 15 + int(float(x) * math.log10(9))):
                hz = mpmath.zeta(x) - mpmath.fsum(mpmath.mpf(k) ** (-x) for k in range(1, 9))
            term = c * hz
            tail += term
            if abs(term) < mpmath.mpf(10) ** (-(dps + 10)) and m > 2:
                return (head + tail) / Z
            c *= -b * (e + m) / (m + 1)
            m += 1


def ref_large_t(t, dps):
    """L = ∞ at large t: the Mellin law R ≈ Γ(β)(2γ)^{−β}/(νζ), t ≈ γ^{β+2}/((β+2)A)."""
    with mpmath.workdps(dps):
        nu, beta = mpmath.mpf(NU), mpmath.mpf(BETA)
        Z = mpmath.zeta(nu * beta + 1)
        A = mpmath.gamma(beta + 1) * 2 ** (-beta) / (nu * Z)
        g = ((beta + 2) * A * mpmath.mpf(t)) ** (1 / (beta + 2))
        return g, mpmath.gamma(beta) * (2 * g) ** (-beta) / (nu * Z)


def ref_deep_F(L, g, dps):
    """F(γ) = 2Σ_k k^{−a}(1 − γk^{−ν}/L)^{2L−1}/ζ(s) (a = s + ν) for depths where the ζ-moment
    polynomial is out of reach (L = 10⁶): overshooting modes (γk^{−ν}/L ≥ 1) with their sign;
    modes with u = γk^{−ν} > U dropped (each factor ≤ e^{−(2L−1)u/L} there, U for 10^{−(dps+25)});
    explicit modes up to K = max(2k, 64) and Euler–Maclaurin from K (tanh–sinh integral in log
    x, 8 Bernoulli orders by mpmath.diffs)."""
    with mpmath.workdps(dps + 20):
        nu, beta = mpmath.mpf(NU), mpmath.mpf(BETA)
        s = nu * beta + 1
        a, n = s + nu, 2 * L - 1
        g, Lm = mpmath.mpf(g), mpmath.mpf(L)
        k_over = int(mpmath.floor((g / Lm) ** (1 / nu)))
        total = mpmath.fsum(mpmath.mpf(k) ** (-a) * (1 - g * mpmath.mpf(k) ** (-nu) / Lm) ** n
                            for k in range(1, k_over + 1))
        U = (dps + 25) * math.log(10) * L / n + 1
        k_lo = max(k_over + 1, int(float(g / U) ** (1 / float(nu))) + 1)

        def f(x):
            return x ** (-a) * mpmath.exp(n * mpmath.log1p(-g * x ** (-nu) / Lm))
        K = max(2 * k_lo, 64)
        total += mpmath.fsum(f(mpmath.mpf(k)) for k in range(k_lo, K))
        Km = mpmath.mpf(K)
        total += mpmath.quad(lambda y: f(mpmath.exp(y)) * mpmath.exp(y),
                             [mpmath.log(Km), mpmath.log(Km) + 5, mpmath.inf])
        d = list(mpmath.diffs(f, Km, 15))
        total += f(Km) / 2 - mpmath.fsum(mpmath.bernoulli(2 * j) / mpmath.factorial(2 * j)
                                         * d[2 * j - 1] for j in range(1, 9))
        return 2 * total / mpmath.zeta(s)


def ref_deep_times(L, coef, gammas, dps):
    """``t(γ_{i+1}) − t(γ_i) = ∫ dγ/(Cγ^{8/5}F)`` by 32-point Gauss–Legendre in log γ (float64
    nodes: ~16 digits, as many as a dps-15 flow has)."""
    import numpy as np
    x, w = np.polynomial.legendre.leggauss(32)
    out = []
    with mpmath.workdps(dps + 5):
        for g1, g2 in zip(gammas, gammas[1:]):
            a, b = mpmath.log(mpmath.mpf(g1)), mpmath.log(mpmath.mpf(g2))
            h, c = (b - a) / 2, (a + b) / 2
            tot = mpmath.mpf(0)
            for xi, wi in zip(x, w):
                g = mpmath.exp(c + h * mpmath.mpf(float(xi)))
                tot += mpmath.mpf(float(wi)) * g / (coef * g ** (mpmath.mpf(8) / 5)
                                                    * ref_deep_F(L, g, dps))
            out.append(h * tot)
    return out


# ----------------------------------------------------------------------------- harness

def _cold():
    """Drop every cache of the package so each timed call starts cold."""
    from solvers import zeta_moments
    from solvers.settings import rrs
    rrs._FLOW_CACHE.clear()
    rrs._OPT_CACHE.clear()
    zeta_moments.power_law_sums.cache_clear()


def _cpu(fn):
    c = time.process_time()
    out = fn()
    return time.process_time() - c, out


def _ref_cpu(fn):
    """:func:`_cpu` of a reference computation, cold like ours: its ζ and polynomial tables
    are emptied first."""
    from tests import flow_reference
    flow_reference._zetas.cache_clear()
    flow_reference._poly.cache_clear()
    return _cpu(fn)


def _digits(a, b):
    with mpmath.workdps(80):    # (an mpf rebuilt at the default precision would be rounded)
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        if a == b:
            return 80.0
        return float(-mpmath.log10(abs(a - b) / abs(b)))


def _sim(depth, gamma, dim, pilot):
    """(seconds for 1 % stderr, z-score of the pilot vs the exact D = dim risk) at this γ."""
    if depth == "inf" or not math.isfinite(float(gamma)):
        return None, None
    import solvers
    from solvers.settings import rrs
    t0 = time.process_time()
    r = solvers.simulate("rrs", alpha="inf", depth=depth, gamma=float(gamma), nu=float(NU),
                         beta=float(BETA), dim=dim, contexts=pilot, seed=7)
    per = (time.process_time() - t0) / pilot
    spread = r.stderr * pilot ** 0.5
    need = max(2.0, (spread / (0.01 * r.risk)) ** 2)
    exact = rrs.landscape(float(gamma), nu=float(NU), beta=float(BETA), depth=depth, dim=dim,
                          dps=20).risk
    return per * need, (r.risk - float(exact)) / r.stderr if r.stderr else 0.0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the slowest references")
    ap.add_argument("--pilot", type=int, default=200, help="simulator pilot contexts")
    ap.add_argument("--dim", type=int, default=256, help="simulator dimension")
    args = ap.parse_args(argv)

    import solvers
    from solvers.analysis import dynamics as dyn
    from solvers.settings import fs, iso, rrs

    rows = []

    def row(name, ours, ref, before, sim_depth=None, sim_gamma=None, timed_ref=True):
        (t_o, v_o), (t_r, v_r) = ours, ref
        sim_t, z = (_sim(sim_depth, sim_gamma, args.dim, args.pilot) if sim_depth is not None
                    else (None, None))
        rows.append((name, t_o, t_r, t_o / t_r if timed_ref and t_r else None,
                     None if v_r is None else _digits(v_o, v_r), before, sim_t, z))
        _print_row(rows[-1])

    print(f"power law nu={NU}, beta={BETA}, D = inf (simulator: D = {args.dim}, "
          f"{args.pilot} pilot contexts); CPU seconds")
    print(f"{'path':<40} {'ours':>8} {'ref':>8} {'ratio':>6} {'digits':>6} "
          f"{'before':>16} {'sim 1%':>9} {'z':>6}")

    # RRS flow points (reduced), cold
    for depth, t, dps, before in ((4, "11.6095", 30, "454 wall (551)"),
                                  (1, "1", 30, "20.8"), (16, "5", 30, "-"),
                                  ("inf", "9", 30, "-")):
        _cold()
        ours = _cpu(lambda: rrs.risk(nu=NU, beta=BETA, depth=depth, time=t, dps=dps))
        ref = _ref_cpu(lambda: ref_point(depth, t, dps))
        row(f"rrs point L={depth} t={t} dps={dps}", (ours[0], ours[1].risk),
            (ref[0], ref[1][1]), before, depth, ours[1].gamma)

    # RRS curves: one cumulative quadrature vs one reference solve per time
    times = [10 ** (k / 3) for k in range(-3, 7)]
    for depth, dps, before in ((4, 15, ">300 (3 times)"), ("inf", 20, "24.9")):
        _cold()
        ours = _cpu(lambda: dyn.rrs_flow(times, nu=NU, beta=BETA, depth=depth, dps=dps))
        ref = _ref_cpu(lambda: ref_curve(depth, times, dps)) if not args.quick else (None, None)
        worst = (min(_digits(a, b[1]) for a, b in zip(ours[1].risk, ref[1]))
                 if ref[1] else None)
        rows.append((f"rrs curve L={depth} 10 times 0.1..100 dps={dps}", ours[0], ref[0],
                     None if ref[0] is None else ours[0] / ref[0], worst, before, None, None))
        _print_row(rows[-1])

    # RRS curve of 50 times 1e-1 … 1e12 (no reference: its series needs e^{4γ} guard digits)
    times50 = [10 ** (-1 + 13 * i / 49) for i in range(50)]
    for depth, dps in ((4, 30), (1000, 15), (10 ** 6, 15), ("inf", 30)):
        _cold()
        ours = _cpu(lambda: dyn.rrs_flow(times50, nu=NU, beta=BETA, depth=depth, dps=dps))
        rows.append((f"rrs curve L={depth} 50 times 1e-1..1e12 dps={dps}", ours[0], None, None,
                     None, "-", None, None))
        _print_row(rows[-1])

    # L = 10⁶, full and tied: the flow climbs to γ* ≈ 2·10⁶ (before: a head of thousands of
    # modes per velocity; now overshooting modes + beta integral + Poisson envelope)
    for par, dps, before in (("tied", 15, "33.5 wall"), ("tied", 30, "97.6 wall"),
                             ("full", 15, "32.3 wall"), ("full", 30, "133 wall")):
        _cold()
        ours = _cpu(lambda: dyn.rrs_flow(times50, nu=NU, beta=BETA, depth=10 ** 6, dps=dps,
                                         parameterization=par))
        rows.append((f"rrs curve L=1e6 {par} 50 times dps={dps}", ours[0], None, None, None,
                     before, None, None))
        _print_row(rows[-1])
    gs = ["3000", "250000", "1500000"]
    for par, before in (("tied", "9.61"), ("full", "6.90")):
        _cold()
        ours = _cpu(lambda: rrs.trajectory(gs, nu=NU, beta=BETA, depth=10 ** 6, dps=15,
                                           parameterization=par).extra["times"])
        with mpmath.workdps(30):
            coef = mpmath.mpf(25) if par == "tied" else 5 * mpmath.mpf(2) ** (mpmath.mpf(2) / 5)
        ref = _ref_cpu(lambda: ref_deep_times(10 ** 6, coef, gs, 15))
        dts = [b - a for a, b in zip(ours[1], ours[1][1:])]
        worst = min(_digits(a, b) for a, b in zip(dts, ref[1]))
        rows.append((f"rrs t(gamma) L=1e6 {par} 3e3..1.5e6 dps=15", ours[0], ref[0],
                     ours[0] / ref[0], worst, before, None, None))
        _print_row(rows[-1])

    # L = ∞ at large t against the closed-form law (agreement limited by the law's O(1/t))
    for t, before in (("1e6", "ConvergenceError"), ("1e12", "ConvergenceError")):
        _cold()
        ours = _cpu(lambda: rrs.risk(nu=NU, beta=BETA, depth="inf", time=t, dps=20))
        ref = _ref_cpu(lambda: ref_large_t(t, 20))
        # a closed-form law, not a solve: no ratio; digits = how close the law already is
        row(f"rrs point L=inf t={t} vs asymptotic law", (ours[0], ours[1].risk),
            (ref[0], ref[1][1]), before, timed_ref=False)

    # RRS optimum
    for depth, dps, before in ((4, 30, "0.31"), (4, 60, "6.64 (47 wall)"),
                               (16, 30, "0.29")):
        _cold()
        ours = _cpu(lambda: rrs.risk(nu=NU, beta=BETA, depth=depth, dps=dps))
        ref = _ref_cpu(lambda: ref_optimum(depth, dps))
        row(f"rrs optimum L={depth} dps={dps}", (ours[0], ours[1].risk), (ref[0], ref[1][1]),
            before, depth, ours[1].gamma)
    for depth, before in ((1000, "0.31"), (10 ** 6, "-")):
        _cold()
        ours = _cpu(lambda: rrs.risk(nu=NU, beta=BETA, depth=depth, dps=30))
        rows.append((f"rrs optimum L={depth} dps=30", ours[0], None, None, None, before,
                     None, None))
        _print_row(rows[-1])

    # FS flow points and a curve
    for depth, before in ((2, "0.08"), ("inf", "0.05")):
        _cold()
        ours = _cpu(lambda: fs.risk(nu=NU, beta=BETA, depth=depth, time=40, dps=30))
        ref = _ref_cpu(lambda: ref_fs(depth, 40, 30))
        row(f"fs point L={depth} t=40 dps=30", (ours[0], ours[1].risk), ref, before)
    _cold()
    ours = _cpu(lambda: dyn.fs_flow(times50, nu=NU, beta=BETA, depth="inf", dps=30))
    rows.append(("fs curve L=inf 50 times dps=30", ours[0], None, None, None, "2.77", None,
                 None))
    _print_row(rows[-1])

    # ISO optimum: the noise-free γ* = Lα/(1+α) is exact (symmetry), the reference is free
    for alpha, depth, before in (("0.3", 1000, "16.4"), ("0.5", 16, "-")):
        with mpmath.workdps(40):
            a = mpmath.mpf(alpha)
        ours = _cpu(lambda: iso.risk(a, depth, dps=30))
        with mpmath.workdps(40):
            exact = depth * a / (1 + a)
        rows.append((f"iso optimum alpha={alpha} L={depth} (gamma)", ours[0], 0.0, None,
                     _digits(ours[1].gamma, exact), before, None, None))
        _print_row(rows[-1])
    for alpha, depth, s2, before in (("0.5", 4, 0, "4.36 (10 t)"), ("1", "inf", 0, "2.88 (10 t)"),
                                     ("2", 16, "0.3", "-")):
        ours = _cpu(lambda: dyn.iso_flow(times50, alpha=alpha, depth=depth, sigma2=s2, dps=15))
        rows.append((f"iso curve a={alpha} L={depth} s2={s2} 50 times", ours[0], None, None,
                     None, before, None, None))
        _print_row(rows[-1])
    return rows


def _fmt(x, spec):
    return "-" if x is None else format(x, spec)


def _print_row(r):
    name, t_o, t_r, ratio, dig, before, sim_t, z = r
    print(f"{name:<40} {_fmt(t_o, '8.3f')} {_fmt(t_r, '8.3f')} {_fmt(ratio, '6.2f')} "
          f"{_fmt(dig, '6.1f')} {before:>16} {_fmt(sim_t, '9.3g')} {_fmt(z, '6.2f')}",
          flush=True)


if __name__ == "__main__":
    main()
