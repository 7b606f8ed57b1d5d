"""Exact asymptotic risk at finite context (dmft.md, case C): ISO, FS (diagonal Γ), RRS (Γ = γI).

Setting.  ``Σ̂ = S W S`` (``Σ = S² = diag λ_k``, ``W`` Wishart of ratio ``q = D/P``), ``L`` steps of
preconditioned in-context GD with a diagonal ``Γ = γ·diag(g_k)`` (RRS/ISO: ``g_k = 1``; the Haar
rotation of RRS cancels for ``Γ ∝ I``).  With ``A₀ = diag(g_kλ_k)`` and the symmetric matrix
``K₀ = A₀^{1/2} W A₀^{1/2}`` (similar to ``diag(g) Σ̂``) the excess risk is exactly

    R = Tr[Ω̃ p(K₀) Λ̃ p(K₀)] + (σ²/P) Tr[A₀ K₀ ψ(K₀)²],     p(s) = (1 − γs/L)^L,
                                                            ψ(s) = [1 − p(s)]/s,

(``Ω̃ = Ω/g``, ``Λ̃ = gΛ``; at ``L = ∞``: ``p = e^{−γs}``).  Both functions are entire, so Cauchy's
formula turns each trace into contour integrals of resolvents ``G(s) = (s − K₀)⁻¹``.

Deterministic equivalents (derived in :mod:`theory.freeprob`, leave-one-out):
``G(s) ≍ (κ/s)(A₀ + κ)⁻¹`` with ``κ(s)`` the root of ``−s = κ(1 − (1/P) Σ_k a_k/(a_k + κ))``
(the structured-Wishart / ridge-renormalisation equation, ``λ = −s`` the ridge), and the
two-resolvent (Dyson-resummed) equivalent

    Tr[Ω̃ G(s) Λ̃ G(s')] ≍ (κκ'/(ss')) U/(1 − V),
    U = Σ_k ω_kλ_k r_k r'_k,   V = (1/P) Σ_k a_k² r_k r'_k,   r_k = 1/(a_k + κ(s)),

independent of how Γ splits between the two sides.  The noise trace collapses by the fixed point:
``(1/P) Tr[A₀ G(s)] ≍ κ/s + 1``, so the variance is ``σ² ∮ ψ(s)² κ(s) ds/2πi``.

Regimes.  Proportional (``alpha``): ``P = αD`` with ``D`` the number of modes (ISO is one mode
``λ = ω = 1`` with ``P = α``: every sum over D equal modes is D times one term).  Power law at
``dim = inf`` with absolute ``context = P``: the same equations with absolute sums over infinitely
many modes (normalised traces ``q·tr`` become ``(1/P)·Σ_k``; ``q = D/P`` becomes the mode count);
the head ``k ≤ K`` is summed explicitly and the tail by its convergent expansion in ``a_k/κ`` with
Hurwitz-zeta moments ``Σ_{k>K} k^{−s} = ζ(s, K+1)`` (``K`` is enlarged until ``a_{K+1} ≤ |κ|/4``
on the whole contour).

Contour.  The limiting spectrum of ``K₀`` is ``{0} ∪ [s₋, s₊]``: ``s₊`` is the exact upper edge
(critical point of ``λ(κ) = κ(1 − S₁(κ)/P)`` on ``κ < −max a_k``), ``s₋`` the lower edge of the
non-zero part (critical point on ``(−min a_k, max(κ₀, 0)]``; 0 only when the mode count equals
P), and ``G(s)`` has a pole at 0 of residue ``κ₀ r(κ₀)`` when ``κ₀ > 0`` (more modes than
samples).  Two contours, whichever converges faster:
* an ellipse in ``u = log s`` with foci ``log s₋, log s₊`` (``s(θ) = exp(c + (h/2)(ρe^{iθ} +
  e^{−iθ}/ρ))``, semi-minor axis ≤ π/4 so ``|arg s| ≤ π/4`` and ``|e^{−γs}| ≤ 1``), plus the
  pole at 0 as one exact residue node — the default whenever there is a gap: its node count
  depends neither on γ nor on how many decades the spectrum spans (power laws);
* an ellipse in s with foci ``0, s₊`` (no gap).
The trapezoid rule in θ converges geometrically (rate ``min(log ρ, log(R/ρ))``, the
singularities lie on the focal segment and the filter is bounded inside ``|Im u| < π/2``) and is
exact for the polynomial filter's positive powers once ``N > L + 1``; ρ is shrunk until
``|p| ≤ 10`` on the contour (cancellation costs at most a few digits).  ``κ(θ)`` is continued
along the upper half from the left vertex (real: the unique root above ``κ₀`` for ``s < 0``, or
the root on ``(κ_c, κ₀)`` inside the gap) by predictor–Newton steps with step halving; every node
is checked (``Im κ · Im s < 0`` and ``1 − V(s, s̄) > 0``, the Herglotz conditions of the physical
branch) and the right vertex must land on the real root connected to ``κ ≈ −s``
(``κ < −max a_k``, ``dλ/dκ > 0``).  The lower half is the complex conjugate.  Failure raises
:class:`ConvergenceError` with the contour location.

Arithmetic: numpy complex128 (float64); the error estimate is the change under doubling the node
count plus a rounding bound ``10·ε·Σ|terms|``, so about 10–13 correct digits — ``dps`` sets the
precision of the mpmath parts (Hurwitz moments, spectra) and the digits reported, not the
contour arithmetic.

Optimal γ: the contour and ``κ`` do not depend on γ (``K₀`` is γ-free), so ``R(γ) = gᵀHg + σ²…``
is a quadratic form in the filter values; ``∂R/∂γ`` is exact in closed form and its root is
bracketed (γ doubled from a start until ``∂R/∂γ > 0``) and found by Brent's method.  At
``depth = inf`` with no sign change the infimum is the ``γ → ∞`` limit (ridgeless):
``R = (κ₀² U₀ + σ² V₀)/(1 − V₀)`` at ``s = 0``, returned as ``gamma = inf``.
"""
from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass

import mpmath
import numpy as np
from scipy.optimize import brentq

from solvers.result import ConvergenceError, Result
from solvers.spectra import PowerLaw, make_spectrum
from solvers.validate import (is_inf, require_choice, require_dps, require_int,
                              require_nonnegative, require_positive)

__all__ = ["risk", "slope", "optimal_gamma", "kappa", "kappa0", "kappa_gap", "upper_edge", "lower_edge",
           "kappa_on_contour", "Modes", "modes_for",
           "ridgeless_limit", "SETTINGS"]

SETTINGS = ("iso", "fs", "rrs")
EPS = np.finfo(float).eps
_TAIL_TERMS = 40          # terms of the tail expansion in t = a_*/κ, |t| ≤ 1/4: 4^{-40} ≪ ε
_TAIL_RATIO = 0.25
_N_START = 64
_N_MAX = 1 << 13
_MAG_TARGET = 10.0        # max |filter| on the contour we aim for (cancellation ≲ 10² overall)


# ---------------------------------------------------------------------------------------------
# modes: explicit head + expanded tail
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Modes:
    """Modes of ``A₀`` with the weights the risk needs.

    ``a`` head eigenvalues ``a_k = g_kλ_k``, ``wl`` head weights ``ω_kλ_k``, ``P`` the context
    length in the same units as the mode count.  ``tail`` (optional) is ``(a_star, mu_a, mu_w)``
    with scaled tail moments ``mu_a[m] = Σ_tail a_k^m / a_star^m`` and
    ``mu_w[m] = Σ_tail ω_kλ_k a_k^m / a_star^m`` (``a_star`` = largest tail eigenvalue).
    """
    a: np.ndarray
    wl: np.ndarray
    P: float
    tail: tuple | None = None

    @property
    def a_max(self):
        return float(np.max(self.a))

    @property
    def a_star(self):
        return 0.0 if self.tail is None else self.tail[0]

    def count(self):
        """Number of modes (inf with an infinite tail)."""
        if self.tail is None:
            return float(len(self.a))
        return self.tail[1][0] + len(self.a)

    def moment(self, m):
        """``Σ_k a_k^m`` over all modes."""
        s = float(np.sum(self.a ** m))
        if self.tail is not None:
            s += self.tail[1][m] * self.tail[0] ** m
        return s

    # one-point sums -----------------------------------------------------------------------
    def s1_s2(self, kap):
        """``(Σ a/(a+κ), Σ a/(a+κ)²)`` at one (complex) κ."""
        r = 1.0 / (self.a + kap)
        ar = self.a * r
        s1, s2 = ar.sum(), (ar * r).sum()
        if self.tail is not None:
            a_s, mu_a, _ = self.tail
            t = a_s / kap
            if abs(t) > _TAIL_RATIO:
                raise _TailTooShort(abs(kap))
            j = np.arange(_TAIL_TERMS)
            tp = t ** (j + 1) * (-1.0) ** j * mu_a[1:_TAIL_TERMS + 1]
            s1 += tp.sum()
            s2 += (tp * (j + 1)).sum() / kap
        return s1, s2

    def sq_sum(self, kap):
        """``Σ a²/(a+κ)²`` (real κ or |a+κ|² when given the pair (κ, conj κ) as a tuple)."""
        if isinstance(kap, tuple):
            return self.pair_sums(np.array([kap[0]]), np.array([kap[1]]), which="V")[0, 0]
        return self.pair_sums(np.array([kap]), np.array([kap]), which="V")[0, 0]

    # two-point sums -----------------------------------------------------------------------
    def pair_sums(self, k1, k2, which):
        """Matrix ``Σ_k w_k a_k^m /((a_k+κ_i)(a_k+κ'_j))``: ``which='U'`` (w = ωλ, m = 0) or
        ``'V'`` (w = 1, m = 2)."""
        X1 = 1.0 / (self.a[:, None] + k1[None, :])
        X2 = 1.0 / (self.a[:, None] + k2[None, :])
        w = self.wl if which == "U" else self.a ** 2
        out = (X1 * w[:, None]).T @ X2
        if self.tail is not None:
            a_s, mu_a, mu_w = self.tail
            mu, m = (mu_w, 0) if which == "U" else (mu_a, 2)
            t1 = (a_s / k1)[:, None]
            t2 = (a_s / k2)[None, :]
            # h_j(t1,t2) = Σ_{i≤j} t1^i t2^{j−i}, h_j = t1 h_{j−1} + t2^j
            h = np.ones((len(k1), len(k2)), dtype=complex)
            t2p = np.ones_like(t2)
            acc = mu[m] * h
            for j in range(1, _TAIL_TERMS):
                t2p = t2p * t2
                h = t1 * h + t2p
                acc = acc + (-1.0) ** j * mu[m + j] * h
            out = out + (a_s ** m) * acc / (k1[:, None] * k2[None, :])
        return out


class _TailTooShort(Exception):
    def __init__(self, kap_abs):
        super().__init__("tail expansion outside its radius")
        self.kap_abs = kap_abs


def _hurwitz_tail_moments(nu, expo_w, Z, K, dim, nmom, dps):
    """Scaled tail moments of ``a_k = k^{−ν}``, ``ω_kλ_k = k^{−expo_w}/Z`` over ``K < k ≤ dim``."""
    with mpmath.workdps(dps):
        nu, expo_w, Z = mpmath.mpf(nu), mpmath.mpf(expo_w), mpmath.mpf(Z)
        a_s = mpmath.mpf(K + 1) ** (-nu)

        def zsum(s):
            if s == 0:
                return mpmath.inf if is_inf(dim) else mpmath.mpf(int(dim) - K)
            if s <= 1:
                if is_inf(dim):
                    return mpmath.inf
                return mpmath.fsum(mpmath.mpf(kk) ** (-s) for kk in range(K + 1, int(dim) + 1))
            val = mpmath.zeta(s, K + 1)
            if not is_inf(dim):
                val -= mpmath.zeta(s, int(dim) + 1)
            return val

        mu_a = [float(zsum(nu * m) / a_s ** m) for m in range(nmom)]
        mu_w = [float(zsum(nu * m + expo_w) / Z / a_s ** m) for m in range(nmom)]
        if is_inf(dim):
            mu_a[0] = math.inf
    return float(a_s), np.array(mu_a), np.array(mu_w)


def modes_for(setting, *, P, nu=None, beta=None, dim=math.inf, lam=None, omega=None,
              gshape=None, head=None, dps=30):
    """:class:`Modes` of a call: ISO (one mode, P in units of D), explicit lists, or a power law
    (all modes when ``dim ≤ head``; else head ``K`` plus Hurwitz-zeta tail)."""
    if setting == "iso":
        return Modes(np.array([1.0]), np.array([1.0]), float(P))
    spec = make_spectrum(nu=nu, beta=beta, dim=dim, lam=lam, omega=omega)
    if isinstance(spec, PowerLaw) and (spec.dim > (head or 4096)):
        if gshape is not None:
            raise ValueError("gamma (a vector) is invalid for a power law with more modes than "
                             "the explicit head: give a scalar gamma (Gamma = gamma I)")
        K = head or 4096
        lams, oms = spec.modes(K, dps=dps)
        a = np.array([float(x) for x in lams])
        wl = np.array([float(x * w) for x, w in zip(lams, oms)])
        nu_, b_ = spec._params()
        with mpmath.workdps(dps):
            Z = spec.normaliser()
        tail = _hurwitz_tail_moments(nu_, nu_ * b_ + 1, Z, K, spec.dim, _TAIL_TERMS + 3, dps)
        return Modes(a, wl, float(P), tail)
    lams, oms = spec.modes(dps=dps)
    lam_f = np.array([float(x) for x in lams])
    wl = np.array([float(x * w) for x, w in zip(lams, oms)])
    a = lam_f if gshape is None else lam_f * np.asarray(gshape, dtype=float)
    if np.any(a <= 0):
        raise ValueError("gamma_shape is invalid: every entry must be > 0 (a zero entry freezes "
                         "its mode; give it a tiny positive value instead)")
    return Modes(a, wl, float(P))


# ---------------------------------------------------------------------------------------------
# the one-point equation
# ---------------------------------------------------------------------------------------------
def _f(modes, kap):
    """``λ(κ) = κ(1 − S₁/P)`` and ``dλ/dκ = 1 − (1/P)Σ a²/(a+κ)²``."""
    s1, s2 = modes.s1_s2(kap)
    P = modes.P
    return kap * (1 - s1 / P), 1 - s1 / P + kap * s2 / P


def kappa0(modes):
    """``κ(λ = 0⁺)``: 0 if the mode count ≤ P, else the root of ``Σ a/(a+κ) = P``."""
    if modes.count() <= modes.P * (1 + 1e-14):
        return 0.0
    lo, hi = 0.0, modes.moment(1) / modes.P  # S₁(hi) ≤ Σa/hi = P
    if modes.tail is not None:
        lo = modes.a_star / _TAIL_RATIO  # tail expansion needs κ ≥ 4 a_*
        if modes.s1_s2(lo)[0].real < modes.P:
            raise _TailTooShort(lo)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if modes.s1_s2(mid)[0].real > modes.P:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 4 * EPS * hi:
            break
    return 0.5 * (lo + hi)


def kappa(modes, lam_ridge):
    """Physical root of ``λ = κ(1 − S₁(κ)/P)`` for a real ridge ``λ > 0`` (unique in
    ``(κ₀, ∞)``): Newton from above (λ(κ) is convex there, so the iterates decrease)."""
    k0 = kappa0(modes)
    x = lam_ridge + modes.moment(1) / modes.P
    for _ in range(200):
        fv, fp = _f(modes, x)
        fv, fp = fv.real, fp.real
        step = (fv - lam_ridge) / fp
        xn = x - step
        if xn <= k0:
            xn = 0.5 * (x + k0)
        if abs(xn - x) <= 4 * EPS * abs(x):
            return xn
        x = xn
    raise ConvergenceError("kappa: Newton on the real ridge axis did not converge",
                           where=f"lambda={lam_ridge}", residual=abs(fv - lam_ridge))


def upper_edge(modes):
    """Top of the limiting spectrum of ``K₀``: ``s₊ = −λ(κ_c)`` at the critical point of λ(κ) on
    ``κ < −max a`` (``Σ a²/(a+κ)² = P``; ``dλ/dκ`` increases as κ decreases there)."""
    amax = modes.a_max
    lo = -amax - math.sqrt(modes.moment(2) / modes.P) - amax * 1e-12  # λ' ≥ 0 here
    hi = -amax * (1 + 1e-12)
    for _ in range(300):
        mid = 0.5 * (lo + hi)
        if _f(modes, mid)[1].real > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 4 * EPS * abs(hi):
            break
    return -_f(modes, lo)[0].real, lo


def lower_edge(modes):
    """Bottom ``s₋`` of the non-zero limiting spectrum of ``K₀`` (0 when there is no gap, i.e.
    mode count = P): ``s₋ = −λ(κ_c)`` at the critical point of λ(κ) on ``(−min a, max(κ₀, 0)]``,
    where ``dλ/dκ = 1 − (1/P)Σ a²/(a+κ)²`` increases with κ."""
    k0 = kappa0(modes)
    if k0 == 0.0 and abs(modes.count() - modes.P) <= 1e-12 * modes.P:
        return 0.0, 0.0
    if modes.tail is None:
        lo = -float(np.min(modes.a)) * (1 - 1e-12)
    else:
        lo = modes.a_star / _TAIL_RATIO
        if _f(modes, lo)[1].real >= 0:
            raise _TailTooShort(lo)
    hi = max(k0, 0.0)
    for _ in range(300):
        mid = 0.5 * (lo + hi)
        if _f(modes, mid)[1].real > 0:
            hi = mid
        else:
            lo = mid
        if hi - lo <= 4 * EPS * max(abs(hi), abs(lo)):
            break
    return max(0.0, -_f(modes, hi)[0].real), hi


def kappa_gap(modes, lam_ridge):
    """Physical real root for ``−s₋ < λ < 0`` (s inside the spectral gap ``(0, s₋)``): λ(κ)
    increases on ``(κ_c, max(κ₀, 0)]`` from ``−s₋`` to 0; bisection."""
    s_lo, lo = lower_edge(modes)
    if not -s_lo < lam_ridge < 0:
        raise ConvergenceError("kappa_gap: ridge outside the spectral gap",
                               where=f"lambda={lam_ridge}, gap=(-{s_lo}, 0)")
    hi = max(kappa0(modes), 0.0)
    for _ in range(300):
        mid = 0.5 * (lo + hi)
        if _f(modes, mid)[0].real > lam_ridge:
            hi = mid
        else:
            lo = mid
        if hi - lo <= 4 * EPS * max(abs(hi), abs(lo)):
            break
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class Contour:
    """Ellipse ``s(θ) = c + (h/2)(ρe^{iθ} + e^{−iθ}/ρ)`` with foci ``c ± h``, N trapezoid nodes
    ``θ_j = 2πj/N``; ``w`` are the weights of ``(1/2πi)∮ f ds ≈ Σ_j w_j f(s_j)``."""
    s: np.ndarray
    w: np.ndarray
    kap: np.ndarray
    rho: float
    center: float
    half: float
    #: ``κ/s`` at the nodes (plus ``κ₀`` on the residue node at s = 0, if the contour omits 0)
    m: np.ndarray = None
    #: weights of the noise integral (0 on the residue node: ψ²κ has no pole at 0)
    wn: np.ndarray = None


def _ellipse(center, half, rho, N, log=False):
    """Nodes ``s_j``, weights ``w_j`` of ``(1/2πi)∮ f ds ≈ Σ w_j f(s_j)`` and angles θ_j on the
    ellipse ``u(θ) = c + (h/2)(ρe^{iθ} + e^{−iθ}/ρ)``; ``s = u`` or, with ``log``, ``s = e^u``
    (the ellipse drawn around ``[log s₋, log s₊]``: multi-scale spectra, 0 stays outside)."""
    th = 2 * np.pi * np.arange(N) / N
    e = np.exp(1j * th)
    u = center + 0.5 * half * (rho * e + 1 / (rho * e))
    du = 0.5 * half * 1j * (rho * e - 1 / (rho * e))
    if log:
        s = np.exp(u)
        return s, s * du / (N * 1j), th
    return u, du / (N * 1j), th


def kappa_on_contour(modes, center, half, rho, N, max_halvings=16, log=False):
    """κ at the N nodes of the ellipse, continued from the left vertex along the upper half and
    conjugated on the lower half; every node is checked for the physical branch."""
    if N % 2:
        raise ValueError(f"N={N} is invalid: N must be even")
    s, w, th = _ellipse(center, half, rho, N, log)
    kap = np.empty(N, dtype=complex)

    def s_of(t):
        e = np.exp(1j * t)
        u = center + 0.5 * half * (rho * e + 1 / (rho * e))
        return np.exp(u) if log else u

    j0 = N // 2
    s_left = s[j0].real
    kap[j0] = kappa(modes, -s_left) if s_left < 0 else kappa_gap(modes, -s_left)

    def newton(lam_t, x):
        # near a spectral edge dλ/dκ → 0 and κ is only determined to ~√ε: accept a residual at
        # rounding level as well as a small step
        for it in range(40):
            fv, fp = _f(modes, x)
            res = fv - lam_t
            step = res / fp
            x = x - step
            if abs(step) <= 8 * EPS * abs(x):
                return x
            if abs(res) <= 16 * EPS * (abs(lam_t) + abs(x)) and it > 2:
                return x
        return None

    def physical(sv, x):
        if sv.imag > 0 and not x.imag < 0:
            return False
        v = modes.sq_sum((x, np.conj(x))).real / modes.P if sv.imag != 0 else 0.0
        return v < 1

    for j in range(j0 - 1, -1, -1):
        t_prev, t_next = th[j + 1], th[j]
        x = kap[j + 1]
        t = t_prev
        nsub, done = 1, False
        for _ in range(max_halvings):
            x_try, t_try, ok = x, t, True
            for m in range(1, nsub + 1):
                tm = t_prev + (t_next - t_prev) * m / nsub
                sm = s_of(tm)
                # Euler predictor: dκ/dθ = (dλ/dθ)/(dλ/dκ), λ = −s
                fv, fp = _f(modes, x_try)
                ds = sm - s_of(t_try)
                pred = x_try - ds / fp
                xn = newton(-sm, pred)
                if (xn is None or not physical(sm, xn)
                        or abs(xn - pred) > 0.25 * abs(pred - x_try) + 1e-10 * abs(xn)):
                    ok = False
                    break
                x_try, t_try = xn, tm
            if ok:
                x, done = x_try, True
                break
            nsub *= 2
        if not done:
            raise ConvergenceError("kappa continuation failed (Newton or branch check)",
                                   where=f"contour point s={s[j]:.6g}, theta={th[j]:.6g}")
        kap[j] = x
    # right vertex: must be the real root connected to κ ≈ −s (large |s|)
    kr = kap[0]
    if not (abs(kr.imag) <= 1e-8 * abs(kr) and kr.real < -modes.a_max
            and _f(modes, kr.real)[1].real > 0):
        raise ConvergenceError("kappa continuation reached a non-physical branch",
                               where=f"right vertex s={s[0]:.6g}", residual=kr)
    kap[0] = kr.real
    kap[j0 + 1:] = np.conj(kap[1:j0][::-1])
    return Contour(s, w, kap, rho, center, half, kap / s, w)


# ---------------------------------------------------------------------------------------------
# filters
# ---------------------------------------------------------------------------------------------
@np.errstate(over="ignore", invalid="ignore")
def _filters(s, gamma, depth):
    """``p(s), ψ(s) = (1 − p)/s`` and their γ-derivatives ``−s p̂, p̂`` with
    ``p̂ = (1 − γs/L)^{L−1}`` (``e^{−γs}`` at L = ∞)."""
    s_safe = np.where(s == 0, 1.0, s)  # the residue node sits at s = 0, where ψ(0) = γ
    if is_inf(depth):
        p = np.exp(-gamma * s)
        ph = p
        psi = -np.expm1(-gamma * s) / s_safe
    else:
        u = 1 - gamma * s / depth
        ph = u ** (depth - 1)
        p = ph * u
        psi = (1 - p) / s_safe
    psi = np.where(s == 0, gamma, psi)
    return p, psi, -s * ph, ph


@dataclass(frozen=True)
class Layout:
    """Ellipse with foci ``c ± h`` and radius ρ; ``gap``: the ellipse surrounds only the non-zero
    spectrum ``[s₋, s₊]`` and the pole of ``G(s)`` at 0 (mass of the kernel of ``K₀``, present when
    κ₀ > 0) enters as an exact residue node; ``rate``: trapezoid convergence ``e^{−rate·N}``."""
    center: float
    half: float
    rho: float
    gap: bool
    rate: float


class _Problem:
    """One (modes, depth, σ²) problem: contours and the γ-independent kernel matrices."""

    def __init__(self, modes, depth, sigma2):
        self.modes, self.depth, self.sigma2 = modes, depth, sigma2
        self.s_edge, _ = upper_edge(modes)
        self.k0 = kappa0(modes)
        self.s_lo, _ = lower_edge(modes)

    def _rho_filter(self, c, h, gamma, rho_max, rho_min, log=False):
        """Largest ρ ≤ rho_max with ``max|p| ≤ _MAG_TARGET`` on the ellipse (at least rho_min)."""
        rho = rho_max
        while rho > rho_min:
            s, _, _ = _ellipse(c, h, rho, 256, log)
            if np.max(np.abs(_filters(s, gamma, self.depth)[0])) <= _MAG_TARGET:
                return rho
            rho = 1 + (rho - 1) / 1.3
        return rho_min

    def layout(self, gamma):
        """Contour for γ: ellipse with foci ``(0, s₊)`` in s, or — when the non-zero spectrum has
        a gap ``s₋ > 0`` — an ellipse around ``[log s₋, log s₊]`` in ``u = log s`` plus the residue
        at 0.  The log contour keeps ``|arg s| ≤ π/4`` (``|e^{−γs}| ≤ 1``, no growth on s < 0) and
        its node count does not grow with the spread of the spectrum; the better rate wins."""
        c = h = 0.5 * self.s_edge
        rho = self._rho_filter(c, h, gamma, 2.0, 1.01)
        full = Layout(c, h, rho, False, math.log(rho))
        if self.s_lo <= 0:
            return full
        c = 0.5 * (math.log(self.s_lo) + math.log(self.s_edge))
        h = 0.5 * (math.log(self.s_edge) - math.log(self.s_lo))
        x = math.pi / (4 * h)   # semi-minor axis π/4 in u: |arg s| ≤ π/4
        rho_max = min(2.0, x + math.sqrt(x * x + 1))
        x2 = math.pi / (2 * h)  # analyticity used for the bound: |Im u| < π/2 (Re s > 0)
        big_r = x2 + math.sqrt(x2 * x2 + 1)
        rho = self._rho_filter(c, h, gamma, rho_max, 1 + (rho_max - 1) / 8, log=True)
        lg = Layout(c, h, rho, True, min(math.log(rho), math.log(big_r / rho)))
        return lg if lg.rate >= 0.5 * full.rate else full

    def build(self, lay, N):
        con = kappa_on_contour(self.modes, lay.center, lay.half, lay.rho, N, log=lay.gap)
        if lay.gap and self.k0 > 0:
            # residue of p(s)(κ/s)… at s = 0: one extra node with weight 1 and κ/s → κ₀
            con = Contour(np.append(con.s, 0.0), np.append(con.w, 1.0),
                          np.append(con.kap, self.k0), con.rho, con.center, con.half,
                          np.append(con.m, self.k0), np.append(con.wn, 0.0))
        U = self.modes.pair_sums(con.kap, con.kap, "U")
        V = self.modes.pair_sums(con.kap, con.kap, "V") / self.modes.P
        H = U / (1 - V)
        return con, H

    @staticmethod
    def value(con, H, gamma, depth, sigma2, deriv=False):
        p, psi, dp, dpsi = _filters(con.s, gamma, depth)
        g = con.w * p * con.m
        bias_terms = g[:, None] * H * g[None, :]
        bias = bias_terms.sum()
        var_terms = con.wn * psi * psi * con.kap
        var = sigma2 * var_terms.sum()
        scale = np.abs(bias_terms).sum() + sigma2 * np.abs(var_terms).sum()
        if not deriv:
            return bias.real, var.real, scale, abs(bias.imag) + abs(var.imag)
        dg = con.w * dp * con.m
        dbias = 2 * (dg @ H @ g)
        vt = con.wn * psi * dpsi * con.kap
        dvar = 2 * sigma2 * vt.sum()
        dscale = 2 * (np.abs(dg) @ np.abs(H) @ np.abs(g)) + 2 * sigma2 * np.abs(vt).sum()
        return (dbias + dvar).real, dscale


def _start_nodes(lay, depth):
    """Smallest power of two with ``e^{−rate·N} ≲ 10^{−16}`` and ``N > L + 1`` (exact polynomial
    part)."""
    n = max(_N_START, 37 / lay.rate, 0 if is_inf(depth) else depth + 2)
    return 1 << int(math.ceil(math.log2(n)))


#: bytes the N×N kernels of one contour may take (U, V, H and temporaries: about five complex
#: matrices, 80 N² bytes — 5.4 GB at N = 8192); beyond it the solve stops with the limit named
_MEMORY_LIMIT = 2 << 30


def _check_memory(N, gamma, diff):
    need = 80 * N * N
    if need > _MEMORY_LIMIT:
        raise ConvergenceError(
            f"contour trapezoid rule needs N={N} nodes at gamma={gamma:.6g}, about "
            f"{need / 2**30:.1f} GB of N x N kernels, above the memory limit of "
            f"{_MEMORY_LIMIT / 2**30:g} GB (a large gamma or depth at finite context; a smaller "
            "gamma, depth or larger alpha needs fewer nodes)", where=f"N={N}", residual=diff)


def _converged(prob, gamma, rtol):
    """Contour, kernel and risk at γ with node doubling until two rules agree.
    Returns (con, H, bias, var, err, N, layout)."""
    lay = prob.layout(gamma)
    N = _start_nodes(lay, prob.depth)
    prev, diff = None, None
    _check_memory(N, gamma, diff)  # the first size already grows with the depth
    while N <= _N_MAX:
        _check_memory(N, gamma, diff)
        con, H = prob.build(lay, N)
        b, v, scale, imag = _Problem.value(con, H, gamma, prob.depth, prob.sigma2)
        rounding = 10 * EPS * scale + imag
        if prev is not None:
            diff = abs((b + v) - (prev[0] + prev[1]))
            if diff <= max(rtol * abs(b + v), 2 * rounding):
                return con, H, b, v, diff + rounding, N, lay
        prev = (b, v)
        N *= 2
    raise ConvergenceError("contour trapezoid rule did not converge under doubling",
                           where=f"gamma={gamma}, N={N // 2}, layout={lay}", residual=diff)


def _evaluate(prob, gamma, rtol):
    """Risk at γ with node doubling; returns (bias, var, err, N, rho)."""
    _, _, b, v, err, N, lay = _converged(prob, gamma, rtol)
    return b, v, err, N, lay


def ridgeless_limit(modes, sigma2):
    """``γ → ∞`` at ``L = ∞`` (min-norm interpolation): residue of the double contour at s = 0,
    ``bias = κ₀² U₀/(1 − V₀)``, ``variance = σ² V₀/(1 − V₀)``."""
    k0 = kappa0(modes)
    kk = np.array([k0 + 0j])
    U0 = modes.pair_sums(kk, kk, "U")[0, 0].real
    V0 = modes.pair_sums(kk, kk, "V")[0, 0].real / modes.P
    if V0 >= 1:  # mode count = P: the interpolator's variance (and bias) blow up
        return math.inf, math.inf, k0
    return k0 * k0 * U0 / (1 - V0), sigma2 * V0 / (1 - V0), k0


# ---------------------------------------------------------------------------------------------
# optimal γ
# ---------------------------------------------------------------------------------------------
def _optimal(prob, rtol):
    """Bracket a sign change of ∂R/∂γ (γ doubled from a start), then Brent.  Returns γ* or inf."""
    depth = prob.depth
    g0 = (1.0 if is_inf(depth) else float(depth)) / prob.s_edge
    lo, hi = 0.0, g0
    r_zero = prob.modes.wl.sum() + (prob.modes.tail[2][0] if prob.modes.tail else 0.0)
    for _ in range(60):
        if is_inf(depth) and prob.s_lo > 0 and hi * prob.s_lo > 40:
            # e^{−γs} < e^{−40} on the whole non-zero spectrum: R(γ) is the γ → ∞ limit to
            # double precision, and R' has not turned positive
            return math.inf, None, None
        con, H, b, v, err, _, _ = _converged(prob, hi, rtol)
        if is_inf(depth):
            # once R(γ) equals the γ → ∞ limit to rounding, the sign of R' is noise
            rb, rv, _ = ridgeless_limit(prob.modes, prob.sigma2)
            if abs((b + v) - (rb + rv)) <= 2 * err + 1e3 * EPS * r_zero:
                return math.inf, con, H
        d, dscale = _Problem.value(con, H, hi, depth, prob.sigma2, deriv=True)
        if d > 1e3 * EPS * dscale:
            break
        lo, hi = hi, 2 * hi
    else:
        raise ConvergenceError("optimal gamma: no sign change of dR/dgamma", where=f"gamma<={hi}")
    f = lambda g: _Problem.value(con, H, g, depth, prob.sigma2, deriv=True)[0]  # noqa: E731
    g = brentq(f, lo, hi, xtol=1e-15 * hi, rtol=4 * EPS, maxiter=200)
    return g, con, H


# ---------------------------------------------------------------------------------------------
# public entry point
# ---------------------------------------------------------------------------------------------
def _validate(setting, alpha, context, depth, gamma, sigma2, nu, beta, dim, lam, omega, dps,
              gamma_shape):
    setting = require_choice("setting", setting, SETTINGS)
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    sigma2 = float(require_nonnegative("sigma2", sigma2))
    dps = require_dps(dps)
    if (alpha is None) == (context is None):
        raise ValueError(f"alpha={alpha!r}, context={context!r} is invalid: give exactly one of "
                         "alpha (P/D, > 0) and context (absolute P, integer >= 1)")
    if alpha is not None:
        alpha = require_positive("alpha", alpha, allow_inf=True)
    else:
        context = require_positive("context", context, allow_inf=True)
    if setting == "iso":
        for name, v in (("nu", nu), ("beta", beta), ("lam", lam), ("omega", omega),
                        ("gamma_shape", gamma_shape)):
            if v is not None:
                raise ValueError(f"{name}={v!r} is invalid: {name} must be omitted for "
                                 "setting='iso'")
        if context is not None:
            raise ValueError(f"context={context!r} is invalid for setting='iso': use alpha")
    vec = gamma is not None and hasattr(gamma, "__len__") and not isinstance(gamma, str)
    if vec:
        if setting != "fs":
            raise ValueError(f"gamma=<vector> is invalid for setting={setting!r}: gamma must be a "
                             "scalar >= 0 (Gamma = gamma I); diagonal Gamma is for 'fs'")
        gamma = [float(require_positive(f"gamma[{i}]", g)) for i, g in enumerate(gamma)]
    elif gamma is not None:
        gamma = require_nonnegative("gamma", gamma, allow_inf=True)
    if gamma_shape is not None:
        if setting != "fs":
            raise ValueError(f"gamma_shape is invalid for setting={setting!r} (fs only)")
        gamma_shape = [float(require_positive(f"gamma_shape[{i}]", g))
                       for i, g in enumerate(gamma_shape)]
        if vec:
            raise ValueError("gamma_shape is invalid together with a vector gamma")
    return setting, alpha, context, depth, gamma, sigma2, dps, gamma_shape


def risk(setting, *, alpha=None, context=None, depth, gamma=None, sigma2=0, nu=None, beta=None,
         dim=math.inf, lam=None, omega=None, dps=30, gamma_shape=None, rtol=1e-12) -> Result:
    """Exact asymptotic risk at finite context (excess error, zero predictor = Σω_kλ_k).

    ``R = Tr[Ω p(ΓΣ̂)ᵀ Σ p(ΓΣ̂)] + (σ²/P) Tr[Σ ψ(ΓΣ̂)Γ Σ̂ Γψ(ΓΣ̂)ᵀ]``, ``p(x) = (1 − x/L)^L``,
    by the double-contour deterministic equivalent (module docstring).

    setting : ``iso`` (α only), ``rrs`` (Γ = γI) or ``fs`` (Γ = γI for scalar ``gamma``; a list
        gives a diagonal Γ; ``gamma_shape`` = list g_k with ``gamma=None`` optimises γ in
        Γ = γ·diag(g), e.g. ``g = 1/λ`` is the whitened family containing the α = ∞ optimum
        LΣ⁻¹, whose risk equals the ISO risk).  ``gamma=None`` with no shape: optimal γ, Γ = γI.
    alpha : P/D (proportional regime, D = number of modes; ISO: the MP ratio).
    context : absolute P (power law with ``dim = inf``; or any finite spectrum, α = P/D).
    depth : L ≥ 1 or inf (p = e^{−γx}).  sigma2 : label noise.
    nu, beta, dim / lam, omega : spectrum (power law, ``dim`` modes) or explicit lists.
    alpha = inf: delegated to :mod:`solvers.settings.iso` / :mod:`solvers.settings.rrs` / :mod:`solvers.settings.fs`.
    """
    t0 = _time.perf_counter()
    (setting, alpha, context, depth, gamma, sigma2, dps,
     gamma_shape) = _validate(setting, alpha, context, depth, gamma, sigma2, nu, beta, dim,
                              lam, omega, dps, gamma_shape)
    params = {"alpha": alpha, "context": context, "depth": depth, "sigma2": sigma2,
              "nu": nu, "beta": beta, "dim": dim}
    if gamma is not None:
        params["gamma"] = gamma
    if lam is not None:
        params["lam"] = [str(x) for x in lam]
        params["omega"] = [str(x) for x in omega]
    if (alpha is not None and is_inf(alpha)) or (context is not None and is_inf(context)):
        return _delegate_inf(setting, depth, gamma, sigma2, nu, beta, dim, lam, omega, dps)
    P = _samples(setting, alpha, context, dim, lam)
    gshape = gamma_shape
    gscale = gamma
    if isinstance(gamma, list):
        if lam is None and is_inf(dim):
            raise ValueError("gamma=<vector> is invalid with dim=inf")
        gshape, gscale = gamma, 1.0
    if gshape is not None:
        n = len(lam) if lam is not None else int(dim)
        if len(gshape) != n:
            raise ValueError(f"gamma (length {len(gshape)}) is invalid: a diagonal Gamma needs "
                             f"one entry per mode ({n})")
    modes, out = _with_head(lambda m: _solve(m, depth, sigma2, gscale, rtol), setting, P=P,
                            nu=nu, beta=beta, dim=dim, lam=lam, omega=omega, gshape=gshape,
                            dps=dps)
    bias, var, err, N, lay, g_used, note = out
    value = bias + var
    method = ("double-contour deterministic equivalent, trapezoid on an ellipse "
              f"(complex128; {note})")
    with mpmath.workdps(dps):
        return Result(setting=setting, params=params, risk=value, gamma=g_used,
                      converged=True, error_estimate=err, method=method, dps=dps,
                      iterations=N,
                      extra={"bias": bias, "variance": var, "nodes": N,
                             "contour": None if lay is None else {
                                 "foci": ([math.exp(lay.center - lay.half),
                                           math.exp(lay.center + lay.half)] if lay.gap else
                                          [lay.center - lay.half, lay.center + lay.half]),
                                 "rho": lay.rho, "log_contour": lay.gap},
                             "modes_head": len(modes.a), "P": P,
                             "gamma_shape": "diag(gamma)" if isinstance(gamma, list) else
                             ("given" if gamma_shape is not None else "identity"),
                             "seconds": _time.perf_counter() - t0})


def _samples(setting, alpha, context, dim, lam):
    """Context length P: ``alpha`` (ISO), ``context``, or ``alpha`` × the number of modes."""
    if setting == "iso":
        return float(alpha)
    if context is not None:
        return float(context)
    if is_inf(dim) and lam is None:
        raise ValueError("alpha is invalid with dim=inf: a power law needs dim (D, with "
                         "alpha = P/D) or context (absolute P)")
    n = len(lam) if lam is not None else int(dim)
    return float(alpha) * n


def _with_head(fn, setting, *, P, nu, beta, dim, lam, omega, gshape, dps, head=None):
    """``(modes, fn(modes))``, the explicit head of a power law (from ``head``, default the
    estimate of :func:`_initial_head`) enlarged ×4 until the tail expansion converges on every
    contour ``fn`` uses."""
    head = head or _initial_head(setting, P, nu, dim, lam)
    while True:
        try:
            modes = modes_for(setting, P=P, nu=nu, beta=beta, dim=dim, lam=lam, omega=omega,
                              gshape=gshape, head=head, dps=dps)
            return modes, fn(modes)
        except _TailTooShort:
            head *= 4
            if head > 1 << 18:
                raise ConvergenceError("power-law tail expansion needs too many head modes",
                                       where=f"head={head // 4}") from None


def _initial_head(setting, P, nu, dim, lam):
    """Head size for a power law: ``a_{K+1} ≤ κ₀/4`` with the integral estimate
    ``Σ_k 1/(1 + κk^ν) ≈ κ^{−1/ν} (π/ν)/sin(π/ν) = P`` (min 1024; enlarged later if needed)."""
    if setting == "iso" or lam is not None or nu is None:
        return 1024
    nu = float(nu)
    if nu <= 1:
        return 4096
    k0 = (math.pi / nu / math.sin(math.pi / nu) / P) ** nu
    return max(1024, int(1.5 * (4 / k0) ** (1 / nu)) + 1)


def _solve(modes, depth, sigma2, gamma, rtol):
    note = "gamma given"
    if gamma is None:
        prob = _Problem(modes, depth, sigma2)
        g, _, _ = _optimal(prob, rtol)
        note = "optimal gamma: Brent root of the exact dR/dgamma"
        if is_inf(g):
            gamma = math.inf
            note = "optimal gamma = inf (ridgeless limit, depth = inf)"
        else:
            gamma = g
    if is_inf(gamma):
        if not is_inf(depth):
            return math.inf, 0.0, 0.0, 0, None, math.inf, "gamma = inf diverges at finite depth"
        b, v, _ = ridgeless_limit(modes, sigma2)
        return b, v, 1e-14 * (b + v), 0, None, math.inf, (note if note != "gamma given" else
                                                          "ridgeless limit gamma = inf")
    gamma = float(gamma)
    if gamma == 0:
        return float(np.sum(modes.wl)) + (modes.tail[2][0] if modes.tail else 0.0), 0.0, \
            0.0, 0, None, 0.0, "gamma = 0"
    if gamma is not None and note == "gamma given":
        prob = _Problem(modes, depth, sigma2)
    b, v, err, N, lay = _evaluate(prob, gamma, rtol)
    return b, v, err, N, lay, gamma, note


class _Slope:
    """``γ ↦ (∂R/∂γ, error)`` at ``Γ = γI`` for one (modes, depth, σ²): the modes and spectral
    edges are built once (a gradient flow evaluates it many times); error = change against the
    half-node rule plus the rounding bound of the derivative's terms."""

    def __init__(self, setting, P, depth, sigma2, spec, rtol):
        self.setting, self.P, self.spec, self.rtol = setting, P, spec, rtol
        self.depth, self.sigma2 = depth, sigma2
        self._build(None)

    def _build(self, head):
        self.modes, self.prob = _with_head(lambda m: _Problem(m, self.depth, self.sigma2),
                                           self.setting, P=self.P, gshape=None, dps=15,
                                           head=head, **self.spec)

    def __call__(self, gamma):
        gamma, depth, sigma2 = float(gamma), self.depth, self.sigma2
        for _attempt in range(8):
            try:
                con, H, _, _, _, N, lay = _converged(self.prob, gamma, self.rtol)
                d, dscale = _Problem.value(con, H, gamma, depth, sigma2, deriv=True)
                con2, H2 = self.prob.build(lay, N // 2)
                d2, _ = _Problem.value(con2, H2, gamma, depth, sigma2, deriv=True)
                return d, abs(d - d2) + 10 * EPS * dscale
            except _TailTooShort:   # a contour reached past the tail expansion: as in risk()
                self._build(4 * len(self.modes.a))
        raise ConvergenceError("context slope: head of the power law did not stabilise",
                               where=f"head={len(self.modes.a)}")


def _slope_fn(setting, *, alpha=None, context=None, depth, sigma2=0, nu=None, beta=None,
              dim=math.inf, lam=None, omega=None, rtol=1e-12):
    """Validated :class:`_Slope` (finite context, Γ = γI)."""
    (setting, alpha, context, depth, _, sigma2, _,
     _) = _validate(setting, alpha, context, depth, None, sigma2, nu, beta, dim, lam, omega,
                    15, None)
    if (alpha is not None and is_inf(alpha)) or (context is not None and is_inf(context)):
        raise ValueError("alpha/context = inf is invalid here: slope is for finite context "
                         "(use solvers.settings.iso / solvers.settings.rrs / solvers.settings.fs at infinite context)")
    P = _samples(setting, alpha, context, dim, lam)
    spec = dict(nu=nu, beta=beta, dim=dim, lam=lam, omega=omega)
    return _Slope(setting, P, depth, float(sigma2), spec, rtol)


def slope(setting, gamma, *, alpha=None, context=None, depth, sigma2=0, nu=None, beta=None,
          dim=math.inf, lam=None, omega=None, rtol=1e-12):
    """``(∂R/∂γ, error)`` of :func:`risk` at ``Γ = γI`` and finite context: the exact
    γ-derivative of the contour integrand (``∂_γp = −s p̂``, ``∂_γψ = p̂``) that the optimal-γ
    search roots.  float64 contour sums (relative error ~1e-12)."""
    gamma = require_nonnegative("gamma", gamma)
    if is_inf(gamma):
        raise ValueError(f"gamma={gamma!r} is invalid: slope needs a finite gamma >= 0")
    return _slope_fn(setting, alpha=alpha, context=context, depth=depth, sigma2=sigma2, nu=nu,
                     beta=beta, dim=dim, lam=lam, omega=omega, rtol=rtol)(gamma)


def optimal_gamma(setting, **kw):
    """The γ of :func:`risk` with ``gamma=None`` (``inf`` for the ridgeless limit)."""
    return risk(setting, gamma=None, **kw).gamma


def _delegate_inf(setting, depth, gamma, sigma2, nu, beta, dim, lam, omega, dps):
    if setting == "iso":
        from solvers.settings import iso
        return iso.risk(math.inf, depth, sigma2=sigma2, gamma=gamma, dps=dps)
    from solvers.settings import fs, rrs
    mod = fs if setting == "fs" else rrs
    return mod.risk(nu=nu, beta=beta, depth=depth, gamma=gamma, dim=dim, lam=lam, omega=omega,
                    dps=dps)
