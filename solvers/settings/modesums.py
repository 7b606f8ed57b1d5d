"""One-point spectral sums of the contour solvers (cases C and W), in float64 or at any precision.

For modes ``(a_k, w_k)`` the finite-context and finite-width solvers need, at complex points
``x`` off ``(−∞, −a_min]``, only the four one-point sums

    S(x) = Σ_k a_k/(a_k + x),     S'(x) = −Σ_k a_k/(a_k + x)²,
    T(x) = Σ_k w_k/(a_k + x),     T'(x) = −Σ_k w_k/(a_k + x)²

(every two-point sum of the deterministic equivalents is a divided difference of these, see
:mod:`solvers.settings.contour`).  Two kinds of mode sets:

* :class:`ExplicitSums` — a finite list, summed directly (numpy complex128, chunked over modes;
  or mpmath at the working precision).
* :class:`PowerLawSums` — ``a_k = k^{−ν}``, ``w_k = k^{−c}/Z`` (``c = νβ+1``,
  ``Z = ζ(c)``), ``k = 1..∞``.  Every sum is ``Σ_k k^e/(1 + x k^ν)`` (``e = 0`` for S,
  ``e = ν − c`` and the factor ``1/Z`` for T): a head ``k ≤ K`` summed explicitly plus the tail
  by one of two convergent expansions, whichever applies at ``x``:

  - large ``|x|`` (``a_{K₂+1}/|x| ≤ q_L``):
    ``Σ_{k>K₂} k^e/(1 + x k^ν) = Σ_{m≥0} (−1)^m x^{−m−1} ζ(ν(m+1) − e, K₂+1)``;
  - small ``|x|`` (``|x|(K₁+1)^ν ≤ q_S``), the Mellin–Barnes expansion
    ``Σ_{k>K₁} k^e/(1 + x k^ν) = (π/ν) x^{−z*}/sin(πz*) + Σ_{m≥0} (−x)^m ζ(−νm − e, K₁+1)``,
    ``z* = (1+e)/ν < 1`` (principal power).  It follows from
    ``1/(1+X) = (2πi)⁻¹∫Γ(z)Γ(1−z)X^{−z}dz`` by shifting the contour left past the poles of
    ``Γ(z)`` and the pole of Hurwitz ζ; when ``z* + m₀ ≈ 0`` for an integer ``m₀ ≥ 0`` (β an
    integer for T) the two colliding terms are merged into the finite form
    ``(−x)^{m₀}[(A − B(1 − x^{−η})/η)/ν + c₀]`` (``η = z* + m₀``, ``A = (πη/sin πη − 1)/η``,
    ``B = πη/sin πη``, ``c₀ = ζ(1 − νη, K₁+1) + 1/(νη)``, ``−ψ(K₁+1)`` at η = 0).  The
    expansion misses only the discreteness of the sum: its error is
    ``≈ (2π/ν)|k_p|^{1+e} e^{−2πy}`` with ``k_p = (−1/x)^{1/ν}`` the pole of the summand nearest
    the real k axis, ``y = Im k_p = |x|^{−1/ν} sin(δ/ν)``, ``δ = π − |arg x|``; ``K₁`` is
    enlarged (:class:`HeadTooShort`) until that is below the target at every point used.

  ``K₂ + 1 = (K₁ + 1)(q_S q_L)^{−1/ν}`` makes the two ranges cover every x.  Neither the head
  nor the number of series terms depends on the context length or width: sums over
  10⁶ or 10¹² modes cost the same.  The series coefficients (Hurwitz ζ values) are computed
  once per (ν, β, K₁, precision) with mpmath and cached.

The mpmath paths run at the caller's working precision (``mpmath.workdps``).
"""
from __future__ import annotations

import math
from functools import lru_cache

import mpmath
import numpy as np

from solvers.cache import register_memo

__all__ = ["ModeSums", "ExplicitSums", "PowerLawSums", "HeadTooShort", "with_longer_heads",
           "cexpm1", "power_law_table", "sums_for"]

Q_SMALL = 0.25     # |x|(K₁+1)^ν bound of the Mellin–Barnes series
Q_LARGE = 0.5      # a_{K₂+1}/|x| bound of the large-|x| series
K1_START = 64
K1_MAX = 1 << 16
CHUNK = 1 << 21    # complex entries per block of the explicit (points × modes) sums


class HeadTooShort(Exception):
    """The small-|x| tail expansion is not accurate at some point: enlarge the head."""

    def __init__(self, where):
        super().__init__(f"power-law head too short for the tail expansion at x={where}")
        self.where = where


def with_longer_heads(problem, fn, grow, what, tries=12):
    """``(problem, fn(problem))``, replacing ``problem`` by ``grow(problem)`` (a doubled
    power-law head) while ``fn`` raises :class:`HeadTooShort`; ConvergenceError after ``tries``."""
    from solvers.result import ConvergenceError
    for _ in range(tries):
        try:
            return problem, fn(problem)
        except HeadTooShort:
            problem = grow(problem)
    raise ConvergenceError(f"{what}: head of the infinite spectrum did not stabilise",
                           where=f"after {tries} doublings")


FIXED_BITS = 64   # guard bits of the fixed-point head sums (absolute 2^{−(prec+64)})


def fixed_head_sums(a_int, w_int, F, x):
    """``(Σ a/(a+x), −Σ a/(a+x)², Σ w/(a+x), −Σ w/(a+x)²)`` over modes given as Python ints
    ``a·2^F``, ``w·2^F`` (numpy object arrays), at one mpmath point x: vectorised integer
    arithmetic (≈ 1 µs per mode instead of ≈ 30 µs with mpc objects), absolute rounding
    ``2^{−F}`` per operation."""
    x = mpmath.mpmathify(x)
    tf = mpmath.libmp.to_fixed
    if isinstance(x, mpmath.mpc):
        xr, xi = tf(x.real._mpf_, F), tf(x.imag._mpf_, F)
    else:
        xr, xi = tf(x._mpf_, F), 0
    p = a_int + xr
    den = p * p + xi * xi                       # |a + x|² · 2^{2F}
    rr = (p << (2 * F)) // den                  # Re 1/(a+x) · 2^F
    ri = (-xi << (2 * F)) // den
    r2r = (rr * rr - ri * ri) >> F
    r2i = (2 * rr * ri) >> F

    real = xi == 0

    def dot(u, vr, vi):
        re = mpmath.mpf((int(np.sum(u * vr)), -2 * F))
        return re if real else mpmath.mpc(re, mpmath.mpf((int(np.sum(u * vi)), -2 * F)))
    return (dot(a_int, rr, ri), -dot(a_int, r2r, r2i), dot(w_int, rr, ri),
            -dot(w_int, r2r, r2i))


def to_fixed_array(values, F):
    tf = mpmath.libmp.to_fixed
    out = np.empty(len(values), dtype=object)
    out[:] = [tf(mpmath.mpf(v)._mpf_, F) for v in values]
    return out


def cexpm1(z):
    """``e^z − 1`` for complex128 arrays without cancellation near 0:
    ``expm1(a)cos b − 2 sin²(b/2) + i e^a sin b``."""
    z = np.asarray(z, dtype=complex)
    a, b = z.real, z.imag
    return np.expm1(a) * np.cos(b) - 2 * np.sin(0.5 * b) ** 2 + 1j * np.exp(a) * np.sin(b)


def power_law_table(nu, beta, K):
    """``(λ_k, ω_kλ_k)`` for ``k = 1..K`` of the normalised power law as float64 arrays
    (``λ = k^{−ν}``, ``ω_kλ_k = k^{−νβ−1}/ζ(νβ+1)``): numpy powers, ≤ 1e-15 relative, in place
    of an mpmath table cast to float64."""
    k = np.arange(1, K + 1, dtype=float)
    nu_f, beta_f = float(nu), float(beta)
    return k ** (-nu_f), k ** (-(nu_f * beta_f + 1)) / float(_zeta_norm(str(nu), str(beta), 30))


@register_memo
@lru_cache(maxsize=64)
def _zeta_norm(nu, beta, dps):
    with mpmath.workdps(dps):
        return mpmath.zeta(mpmath.mpf(nu) * mpmath.mpf(beta) + 1)


class ModeSums:
    """Interface: ``values_at(x)`` (complex128 array → four arrays ``S, S', T, T'``),
    ``values_at_mp(x)`` (one mpc → four mpc, at the working precision), ``count`` (number of modes,
    inf for a power law), ``a_max``, ``a_min`` (0 for an infinite tail), ``a_sum`` (``Σ a``),
    ``w_sum`` (``Σ w``, the zero predictor's risk)."""

    count: float
    a_max: float
    a_min: float

    def values_at(self, x):
        raise NotImplementedError

    def values_at_mp(self, x):
        raise NotImplementedError

    def a_sum(self, mp=False):
        raise NotImplementedError

    def w_sum(self, mp=False):
        raise NotImplementedError


class ExplicitSums(ModeSums):
    """A finite list of modes.  ``a``, ``w``: float64 arrays; ``mp_modes(dps)`` (optional)
    returns the same modes as mpmath numbers at ``dps`` digits (exact inputs such as decimal
    strings keep all their digits; default: the float64 values)."""

    def __init__(self, a, w, mp_modes=None):
        self.a = np.asarray(a, dtype=float)
        self.w = np.asarray(w, dtype=float)
        if np.any(self.a <= 0):
            raise ValueError("mode eigenvalues must be > 0")
        self._mp_modes = mp_modes
        self._mp_cache = {}
        self.count = float(len(self.a))
        self.a_max = float(np.max(self.a))
        self.a_min = float(np.min(self.a))
        self.head = len(self.a)

    def values_at(self, x):
        x = np.atleast_1d(np.asarray(x, dtype=complex))
        out = [np.zeros(len(x), dtype=complex) for _ in range(4)]
        step = max(1, CHUNK // max(1, len(x)))
        for i in range(0, len(self.a), step):
            a, w = self.a[i:i + step], self.w[i:i + step]
            r = 1.0 / (a[None, :] + x[:, None])
            r2 = r * r
            out[0] += r @ a
            out[1] -= r2 @ a
            out[2] += r @ w
            out[3] -= r2 @ w
        return tuple(out)

    def modes_mp(self):
        """``(a, w)`` as lists of mpf at the working precision (cached per precision)."""
        key = mpmath.mp.prec
        if key not in self._mp_cache:
            if self._mp_modes is not None:
                a, w = self._mp_modes(mpmath.mp.dps)
                a, w = [mpmath.mpf(v) for v in a], [mpmath.mpf(v) for v in w]
            else:
                a = [mpmath.mpf(float(v)) for v in self.a]
                w = [mpmath.mpf(float(v)) for v in self.w]
            self._mp_cache[key] = (a, w)
        return self._mp_cache[key]

    def values_at_mp(self, x):
        key = ("fixed", mpmath.mp.prec)
        if key not in self._mp_cache:
            a, w = self.modes_mp()
            F = mpmath.mp.prec + FIXED_BITS
            self._mp_cache[key] = (to_fixed_array(a, F), to_fixed_array(w, F), F)
        ai, wi, F = self._mp_cache[key]
        return fixed_head_sums(ai, wi, F, x)

    def a_sum(self, mp=False):
        return mpmath.fsum(self.modes_mp()[0]) if mp else float(np.sum(self.a))

    def w_sum(self, mp=False):
        return mpmath.fsum(self.modes_mp()[1]) if mp else float(np.sum(self.w))


# ----------------------------------------------------------------------------------------------
# power law: explicit head + two tail expansions
# ----------------------------------------------------------------------------------------------
def _k2_for(K1, nu):
    return int(math.ceil((K1 + 1) * (Q_SMALL * Q_LARGE) ** (-1.0 / nu))) - 1


@register_memo
@lru_cache(maxsize=32)
def _series(nu_s, beta_s, K1, K2, dps):
    """Coefficients of the two tail expansions for e = 0 (S) and e = ν − c (T), at ``dps``
    digits (mpf): dict with the scaled coefficient lists and the pole/merged-pole data."""
    with mpmath.workdps(dps):
        nu, beta = mpmath.mpf(nu_s), mpmath.mpf(beta_s)
        c = nu * beta + 1
        Z = mpmath.zeta(c)
        b1 = mpmath.mpf(K1 + 1) ** nu          # x-scale of the small series: t = x b1
        b2 = mpmath.mpf(K2 + 1) ** nu          # a_{K₂+1} = 1/b2; v = 1/(b2 x)
        n_small = int(math.ceil(dps * math.log(10) / -math.log(Q_SMALL))) + 4
        n_large = int(math.ceil(dps * math.log(10) / -math.log(Q_LARGE))) + 4
        out = {"Z": Z, "b1": b1, "b2": b2}
        for name, e in (("S", mpmath.mpf(0)), ("T", nu - c)):
            zs = (1 + e) / nu
            m0 = int(mpmath.nint(-zs))
            eta = zs + m0
            merged = m0 >= 0 and abs(eta) < mpmath.mpf("0.05")
            small = []
            for m in range(n_small):
                if merged and m == m0:
                    small.append(mpmath.mpf(0))     # carried by the merged term
                    continue
                small.append(mpmath.zeta(-nu * m - e, K1 + 1) / b1 ** m)
            large = [mpmath.zeta(nu * (m + 1) - e, K2 + 1) * b2 ** m for m in range(n_large)]
            d = {"e": e, "zs": zs, "small": small, "large": large, "merged": merged}
            if merged:
                if eta == 0:
                    A, B, c0 = mpmath.mpf(0), mpmath.mpf(1), -mpmath.digamma(K1 + 1)
                else:
                    B = mpmath.pi * eta / mpmath.sin(mpmath.pi * eta)
                    A = (B - 1) / eta
                    with mpmath.workdps(2 * dps):   # ζ(1 − νη) + 1/(νη): cancellation
                        c0 = +(mpmath.zeta(1 - nu * eta, K1 + 1) + 1 / (nu * eta))
                d.update(m0=m0, eta=eta, A=A, B=B, c0=c0)
            else:
                d["pole"] = mpmath.pi / (nu * mpmath.sin(mpmath.pi * zs))
            out[name] = d
        return out


class PowerLawSums(ModeSums):
    """``a_k = k^{−ν}``, ``w_k = k^{−νβ−1}/ζ(νβ+1)``, ``k ≥ 1`` (module docstring).
    ``K1`` is the head of the small-|x| expansion (the large-|x| head ``K2`` follows)."""

    def __init__(self, nu, beta, K1=K1_START):
        self.nu_s, self.beta_s = str(nu), str(beta)
        self.nu, self.beta = float(nu), float(beta)
        if not self.nu > 1:
            raise ValueError(f"nu={nu!r} is invalid: an infinite power law needs nu > 1")
        self.K1 = int(K1)
        self.K2 = _k2_for(self.K1, self.nu)
        self.head = self.K2
        self.count = math.inf
        self.a_max, self.a_min = 1.0, 0.0
        lam, wl = power_law_table(nu, beta, self.K2)
        self.lam, self.wl = lam, wl
        self._f64 = self._coeffs_f64()
        self._mp = {}

    def bigger(self):
        """The same law with a head twice as long (HeadTooShort)."""
        if 2 * self.K1 > K1_MAX:
            from solvers.result import ConvergenceError
            raise ConvergenceError("power-law tail expansion: head does not converge",
                                   where=f"K1={self.K1}")
        return PowerLawSums(self.nu_s, self.beta_s, 2 * self.K1)

    # -- coefficients ---------------------------------------------------------------------------
    def _coeffs_f64(self):
        c = _series(self.nu_s, self.beta_s, self.K1, self.K2, 20)
        f = {"Z": float(c["Z"]), "b1": float(c["b1"]), "b2": float(c["b2"])}
        for name in ("S", "T"):
            d = c[name]
            g = {k: (np.array([complex(v) for v in d[k]]) if k in ("small", "large") else d[k])
                 for k in d}
            for k in ("zs", "e", "pole", "eta", "A", "B", "c0"):
                if k in g:
                    g[k] = float(g[k])
            g["large_list"] = [complex(v) for v in g["large"]]
            g["small_list"] = [complex(v) for v in g["small"]]
            f[name] = g
        return f

    def _coeffs_mp(self):
        key = mpmath.mp.prec
        if key not in self._mp:
            dps = mpmath.mp.dps
            c = _series(self.nu_s, self.beta_s, self.K1, self.K2, dps + 5)
            nu = mpmath.mpf(self.nu_s)
            k = [mpmath.mpf(j) for j in range(1, self.K2 + 1)]
            lam = [kk ** (-nu) for kk in k]
            wl = [kk ** (-(nu * mpmath.mpf(self.beta_s) + 1)) / c["Z"] for kk in k]
            F = mpmath.mp.prec + FIXED_BITS
            self._mp[key] = (c, to_fixed_array(lam, F), to_fixed_array(wl, F), F)
        return self._mp[key]

    def digits_needed(self, mp):
        return mpmath.mp.dps + 3 if mp else 17

    # -- evaluation -----------------------------------------------------------------------------
    def _check_discrete(self, x, mp):
        """Raise HeadTooShort if the Mellin–Barnes expansion misses more than the target."""
        ax = abs(x)
        delta = math.pi - abs(float(mpmath.arg(x)) if mp else float(np.angle(x)))
        kp = float(ax) ** (-1.0 / self.nu)
        y = kp * math.sin(max(delta, 0.0) / self.nu)
        lhs = -2 * math.pi * y + max(0.0, math.log(kp)) + math.log(2 * math.pi / self.nu)
        if lhs > -self.digits_needed(mp) * math.log(10) - 2:
            raise HeadTooShort(complex(x))

    def values_at(self, x):
        x = np.atleast_1d(np.asarray(x, dtype=complex))
        f = self._f64
        out = [np.zeros(len(x), dtype=complex) for _ in range(4)]
        large = np.abs(x) * f["b2"] >= 1.0 / Q_LARGE
        small = ~large
        if np.any(small & (np.abs(x) * f["b1"] > Q_SMALL * (1 + 1e-12))):
            raise AssertionError("power-law tail ranges do not cover x")  # by construction
        for sel, K in ((large, self.K2), (small, self.K1)):
            if not np.any(sel):
                continue
            xs = x[sel]
            r = 1.0 / (self.lam[None, :K] + xs[:, None])
            r2 = r * r
            S, dS = r @ self.lam[:K], -(r2 @ self.lam[:K])
            T, dT = r @ self.wl[:K], -(r2 @ self.wl[:K])
            if sel is large:
                tails = [self._large_f64(xs, f[n]) for n in ("S", "T")]
            else:
                for xv in xs:
                    self._check_discrete(xv, False)
                tails = [self._small_f64(xs, f[n]) for n in ("S", "T")]
            S, dS = S + tails[0][0], dS + tails[0][1]
            T, dT = T + tails[1][0] / f["Z"], dT + tails[1][1] / f["Z"]
            for o, v in zip(out, (S, dS, T, dT)):
                o[sel] = v
        return tuple(out)

    @staticmethod
    def _horner1(co, t, start):
        """Scalar Horner ``(Σ_j co_j t^j, Σ_{j≥start} (j + 1 − start) co_j t^{j−start})`` in
        Python complex arithmetic (the continuation evaluates one point at a time, where numpy's
        per-call overhead dominates); the same operations in the same order as the array
        path."""
        s0 = s1 = 0j
        for j in range(len(co) - 1, -1, -1):
            c = co[j]
            s0 = s0 * t + c
            if j >= start:
                s1 = s1 * t + (j + 1 - start) * c
        return s0, s1

    def _large_f64(self, x, d):
        v = -1.0 / (self._f64["b2"] * x)           # −a_{K₂+1}/x
        co = d["large"]
        if len(x) == 1:
            s0, s1 = self._horner1(d["large_list"], complex(v[0]), 0)
            return np.array([s0]) / x, -np.array([s1]) / (x * x)
        m = np.arange(len(co))
        # Horner for Σ co_m v^m and Σ (m+1) co_m v^m
        s0 = np.zeros_like(x)
        s1 = np.zeros_like(x)
        for j in range(len(co) - 1, -1, -1):
            s0 = s0 * v + co[j]
            s1 = s1 * v + (m[j] + 1) * co[j]
        return s0 / x, -s1 / (x * x)

    def _small_f64(self, x, d):
        b1 = self._f64["b1"]
        t = -x * b1                                  # (−x)^m b1^m
        co = d["small"]
        if len(x) == 1:
            s0, s1 = self._horner1(d["small_list"], complex(t[0]), 1)
            s0, s1 = np.array([s0]), np.array([s1])
        else:
            s0 = np.zeros_like(x)
            s1 = np.zeros_like(x)
            for j in range(len(co) - 1, -1, -1):
                s0 = s0 * t + co[j]
                if j >= 1:
                    s1 = s1 * t + j * co[j]
        val, der = s0, -b1 * s1                      # d/dx Σ co_m (−x b1)^m
        L = np.log(x)
        if d["merged"]:
            m0, eta, A, B, c0 = d["m0"], d["eta"], d["A"], d["B"], d["c0"]
            nu = self.nu
            ph = L if eta == 0 else -cexpm1(-eta * L) / eta      # (1 − x^{−η})/η
            g = (A - B * ph) / nu + c0
            dg = -(B / nu) * np.exp(-eta * L) / x
            mx = (-x) ** m0
            dmx = -m0 * (-x) ** (m0 - 1) if m0 > 0 else 0.0
            val = val + mx * g
            der = der + dmx * g + mx * dg
        else:
            zs = d["zs"]
            p = d["pole"] * np.exp(-zs * L)
            val, der = val + p, der - zs * p / x
        return val, der

    def values_at_mp(self, x):
        c, lam, wl, F = self._coeffs_mp()
        x = mpmath.mpmathify(x)
        large = abs(x) * c["b2"] >= 1 / mpmath.mpf(Q_LARGE)
        K = self.K2 if large else self.K1
        S, dS, T, dT = fixed_head_sums(lam[:K], wl[:K], F, x)
        if large:
            ts = [self._large_mp(x, c[n], c) for n in ("S", "T")]
        else:
            self._check_discrete(x, True)
            ts = [self._small_mp(x, c[n], c) for n in ("S", "T")]
        return (S + ts[0][0], dS + ts[0][1], T + ts[1][0] / c["Z"], dT + ts[1][1] / c["Z"])

    @staticmethod
    def _large_mp(x, d, c):
        v = -1 / (c["b2"] * x)
        s0 = s1 = mpmath.mpf(0)
        co = d["large"]
        for j in range(len(co) - 1, -1, -1):
            s0 = s0 * v + co[j]
            s1 = s1 * v + (j + 1) * co[j]
        return s0 / x, -s1 / (x * x)

    def _small_mp(self, x, d, c):
        b1 = c["b1"]
        t = -x * b1
        s0 = s1 = mpmath.mpf(0)
        co = d["small"]
        for j in range(len(co) - 1, -1, -1):
            s0 = s0 * t + co[j]
            if j >= 1:
                s1 = s1 * t + j * co[j]
        val, der = s0, -b1 * s1
        L = mpmath.log(x)
        nu = mpmath.mpf(self.nu_s)
        if d["merged"]:
            m0, eta = d["m0"], d["eta"]
            ph = L if eta == 0 else -mpmath.expm1(-eta * L) / eta
            g = (d["A"] - d["B"] * ph) / nu + d["c0"]
            dg = -(d["B"] / nu) * mpmath.exp(-eta * L) / x
            mx = (-x) ** m0
            dmx = -m0 * (-x) ** (m0 - 1) if m0 > 0 else 0
            return val + mx * g, der + dmx * g + mx * dg
        p = d["pole"] * mpmath.exp(-d["zs"] * L)
        return val + p, der - d["zs"] * p / x

    def a_sum(self, mp=False):
        if mp:
            return mpmath.zeta(mpmath.mpf(self.nu_s))
        return float(mpmath.zeta(self.nu))

    def w_sum(self, mp=False):
        return mpmath.mpf(1) if mp else 1.0


def sums_for(spec, gshape=None, head=None):
    """Mode sums of a spectrum object (:mod:`solvers.spectra`): ``a_k = g_kλ_k`` (``g = 1``
    unless ``gshape``), ``w_k = ω_kλ_k``.  A power law at ``dim = inf`` gives
    :class:`PowerLawSums` (``head`` = K₁); a finite spectrum :class:`ExplicitSums` (a truncated
    power law from the numpy table with its exact finite normaliser; the mpmath modes, for the
    high-precision path, from the spectrum at the requested digits)."""
    from solvers.spectra import PowerLaw
    if isinstance(spec, PowerLaw) and not spec.is_finite:
        if gshape is not None:
            raise ValueError("gamma (a vector) is invalid for a power law at dim = inf: give a "
                             "scalar gamma (Gamma = gamma I)")
        return PowerLawSums(spec.nu, spec.beta, **({"K1": head} if head else {}))
    if isinstance(spec, PowerLaw):
        D = int(spec.dim)
        lam_f, wl = power_law_table(spec.nu, spec.beta, D)
        with mpmath.workdps(30):
            zr = float(_zeta_norm(str(spec.nu), str(spec.beta), 30) / spec.normaliser())
        wl = wl * zr                                   # normalised over the D modes
    else:
        lams, oms = spec.modes(dps=17)
        lam_f = np.array([float(x) for x in lams])
        wl = np.array([float(x * w) for x, w in zip(lams, oms)])
    a = lam_f if gshape is None else lam_f * np.asarray(gshape, dtype=float)
    if np.any(a <= 0):
        raise ValueError("gamma_shape is invalid: every entry must be > 0 (a zero entry freezes "
                         "its mode; give it a tiny positive value instead)")

    def mp_modes(d):
        ls, os_ = spec.modes(dps=d)
        aa = ls if gshape is None else [x * mpmath.mpf(gv) for x, gv in zip(ls, gshape)]
        return aa, [x * w for x, w in zip(ls, os_)]
    return ExplicitSums(a, wl, mp_modes)
