"""An independent reference for the RRS reduced flow at D = ∞, shared by ``tests/test_flows.py``
and ``benchmarks/flows.py`` (written apart from :mod:`solvers.zeta_moments` and
:mod:`solvers.flows`).

The ζ-moment polynomial of the power law λ_k = k^{−ν}, ω_kλ_k = k^{−νβ−1}/ζ(νβ+1):

    R(γ) = Σ_{j≤2L} C(2L, j)(−γ/L)^j ζ(νβ+1+jν)/ζ(νβ+1)      (L = ∞: Σ_j (−2γ)^j/j! …),

with guard digits for its cancellation (|terms| ≤ (1 + γ/L)^{2L} resp. e^{2γ} times R), F = −R'
term by term, ``t(γ) = ∫_0^γ dg/F(g)`` by Gauss–Legendre quadrature and Newton on ``t(γ) = t``.
"""
from __future__ import annotations

import math
from functools import lru_cache

import mpmath

NU, BETA = "1.5", "1"


@lru_cache(maxsize=None)
def _zetas(nu, beta, n, dps):
    """ζ(s + jν)/ζ(s) for j ≤ n at ``dps`` digits (s = νβ + 1)."""
    with mpmath.workdps(dps):
        nu, beta = mpmath.mpf(nu), mpmath.mpf(beta)
        s = nu * beta + 1
        Z = mpmath.zeta(s)
        return tuple(mpmath.zeta(s + j * nu) / Z for j in range(n + 1))


@lru_cache(maxsize=None)
def _poly(L, dps):
    """Coefficients of R and F as polynomials in x = γ/L (finite L), with the guard digits of
    the worst case γ ≤ 2L: |terms| ≤ 3^{2L} R."""
    guard = int(2 * L * math.log10(3)) + 10
    z = _zetas(NU, BETA, 2 * L, dps + guard)
    with mpmath.workdps(dps + guard):
        cR = [mpmath.binomial(2 * L, j) * (-1) ** j * z[j] for j in range(2 * L + 1)]
        cF = [2 * mpmath.binomial(2 * L - 1, j) * (-1) ** j * z[j + 1] for j in range(2 * L)]
    return cR, cF, dps + guard


def ref_R_F(L, g, dps):
    """(R(γ), F(γ)) from the ζ-moment series, with guard digits for its cancellation."""
    with mpmath.workdps(dps + 20):   # (an mpf made at the default precision would round γ)
        g = mpmath.mpf(g)
    if L == "inf":
        guard = int(4 * float(g) / 2.3) + 10
        z = _zetas(NU, BETA, 400, dps + guard)
        with mpmath.workdps(dps + guard):
            c, R, F = mpmath.mpf(1), mpmath.mpf(0), mpmath.mpf(0)
            tiny = mpmath.mpf(10) ** (-(dps + guard))
            for j in range(399):     # (2γ)^j/j! decreases past j = 2γ; ζ(…) → 1
                R += c * z[j]
                F += 2 * c * z[j + 1]
                c *= -2 * g / (j + 1)
                if j > 2 * g and abs(c) < tiny:
                    return +R, +F
        raise AssertionError("reference series too short")
    cR, cF, wd = _poly(L, dps)
    with mpmath.workdps(wd):
        x = g / L
        return +mpmath.polyval(cR[::-1], x), +mpmath.polyval(cF[::-1], x)


def ref_point(L, t, dps, rtol):
    """(γ(t), R(γ(t))) of the reduced flow from γ = 0 at ``dps`` working digits, Newton on
    ``t(γ) = t`` stopped at relative step ``rtol``: Gauss–Legendre ``t(γ)`` accumulated from the
    largest γ known below the target, the Newton step kept in a bracket (F ≤ 0, past the
    optimum, counts as t = ∞)."""
    with mpmath.workdps(dps):
        t = mpmath.mpf(t)
        F = lambda g: ref_R_F(L, g, dps)[1]  # noqa: E731
        lo, T_lo, hi = mpmath.mpf(0), mpmath.mpf(0), None
        g = min(t * F(0), mpmath.mpf(1))
        for _ in range(300):
            Fg = F(g)
            if Fg <= 0:
                hi, g = g, (lo + g) / 2
                continue
            T = T_lo + mpmath.quad(lambda x: 1 / F(x), [lo, g], method="gauss-legendre")
            if T < t:
                lo, T_lo = g, T
            else:
                hi = g
            gn = g - (T - t) * Fg
            if not (lo < gn and (hi is None or gn < hi)):
                gn = 2 * g if hi is None else (lo + hi) / 2
            if abs(gn - g) < rtol * g:
                return gn, ref_R_F(L, gn, dps)[0]
            g = gn
    raise AssertionError("reference Newton did not converge")
