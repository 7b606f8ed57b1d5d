"""References for the joint (width × context) solver, shared by ``tests/settings/test_joint.py``
and ``benchmarks/joint.py``; none of them calls solver code."""
from __future__ import annotations

import math

import mpmath
import sympy as sp

from theory import joint as TJ


def closed_depth1(s, T, N, P, D, g, s2):
    """``theory.joint.depth1_closed_form`` evaluated in mpmath (``s``, ``T``: the moment sums
    of :func:`moments`; ``g`` the normalised step γN/D)."""
    expr = TJ.depth1_closed_form()
    if D == math.inf:
        expr = expr.subs(TJ.D, sp.oo)
    f = sp.lambdify([TJ.s_mom[:3], TJ.T_mom[:2], TJ.N, TJ.P, TJ.D, TJ.gamma_n, TJ.sigma2_],
                    expr, "mpmath")
    # every argument an mpf: a Python int would make 1/N a binary float in the generated code
    return f(s, T, *(mpmath.mpf(v) if v != math.inf else v for v in (N, P, D, g, s2)))


def moments(lam, om):
    """``(S_j = Σ ω_kλ_k^{j+1}, j < 3;  T_j = Σ λ_k^{j+1}, j < 2)`` at the working precision."""
    lam = [mpmath.mpf(v) for v in lam]
    w = [x * mpmath.mpf(o) for x, o in zip(lam, om)]
    return ([mpmath.fsum(a * x ** j for a, x in zip(w, lam)) for j in range(3)],
            [mpmath.fsum(x ** (j + 1) for x in lam) for j in range(2)])


def ridgeless_least_squares(lam, om, N, P, s2):
    """``R_W(N)·P/(P − N) + σ²N/(P − N)`` (N < P) at the working precision, with κ_N from plain
    bisection on ``Σλ/(κ + λ) = N`` and ``R_W = κ_N Σωλ/(κ_N + λ)``."""
    ls = [mpmath.mpf(v) for v in lam]
    wl = [x * mpmath.mpf(o) for x, o in zip(ls, om)]
    lo, hi = mpmath.mpf(0), mpmath.mpf(10)
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if mpmath.fsum(x / (mid + x) for x in ls) > N else (lo, mid)
    k = (lo + hi) / 2
    rw = k * mpmath.fsum(w / (k + x) for w, x in zip(wl, ls))
    P = mpmath.mpf(P)
    return rw * P / (P - N) + mpmath.mpf(s2) * N / (P - N)
