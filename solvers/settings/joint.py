"""Exact asymptotic RRS risk with a width bottleneck *and* a finite context (the joint case).

Setting.  Per context the covariates have covariance ``O_cΛO_cᵀ`` and the task ``O_cΩO_cᵀ``; the
model runs ``L`` steps of GD with ``Γ = γ P_N`` (``P_N`` a frozen rank-N projection) on the
sample covariance ``Σ̂`` of ``P`` points.  In the frame of the context ``Σ = Λ`` is diagonal,
``Σ̂ = Λ^{1/2} W Λ^{1/2}`` (``W`` Wishart, ratio ``D/P``) and ``P̃ = O_cᵀP_NO_c`` is a Haar
projection free from ``{Σ̂, Λ, Ω}``.  With ``M₀ = P̃Σ̂`` the excess risk is exactly

    R = Tr[Λ p(M₀) Ω p(M₀)ᵀ] + (σ²/P) Tr[Λ h(M₀) P̃],   p(s) = (1 − γs/L)^L,  h(s) = s ψ(s)²,

``ψ(s) = (1 − p(s))/s`` (``e^{−γs}`` at ``L = ∞``); the noise term uses ``P̃ψ(M₀ᵀ) = ψ(M₀)P̃`` and
``P̃Σ̂P̃ = M₀P̃``.  Everything is written in the normalised variable ``w`` of ``M = (D/N)M₀``
(``E (D/N)P̃ = I``), with step ``γ_n = γN/D`` (finite D; at ``dim = inf`` the user's γ *is* the
normalised step, ``Γ = γ(D/N)P_N``, as in :mod:`solvers.settings.width`).

The nested deterministic equivalent (derived in :mod:`theory.joint`).  Let ``ρ_k = 1/(κ + λ_k)``,
``S(κ) = Σ_k λ_kρ_k``, ``φ = 1 − S/P`` (Wishart renormalisation), ``ψ_n = (D/N)(N − S)/(D − S)``
(projection renormalisation; ``1 − S/N`` at ``D = ∞``; 1 at ``N = D``).

* one point: ``−w = f(κ) = κ φ(κ) ψ_n(κ)`` — the paper's pair of one-point equations
  (free-product relation with the projection, structured-Wishart relation for ``Σ̂``) combined;
  the resolvent is ``(w − M)⁻¹ ≍ −(κ/w)·(Λ-basis)…`` and the noise trace
  ``Tr[Λ(w − M)⁻¹P̃]·(D/N) ≍ −S/φ``;
* two points: ``Tr[Λ(w − M)⁻¹Ω(w' − Mᵀ)⁻¹] ≍ (κκ'/(ww')) H(κ, κ')``,

      H = [U + ĉ Y (E U₂ + κκ' Y U/P) / (E (1 − ĉ V_P) − ĉ κκ' Y²/P)] / E,

  with the pair sums ``U = Σ ω_kλ_k ρ_kρ'_k``, ``U₂ = Σ ω_kλ_k² ρ_kρ'_k``, ``Y = Σ λ_k ρ_kρ'_k``,
  ``V_P = Σ λ_k² ρ_kρ'_k``, ``E = 1 − V_P/P`` (the Wishart Dyson denominator) and the projection's
  ladder coefficient ``ĉ = (D − N)/[(N − S)(N − S') + N(D − N)]`` (``1/N`` at ``D = ∞``, 0 at
  ``N = D``).  ``N = D`` gives case C (:mod:`solvers.settings.context`), ``P = ∞`` case W
  (:mod:`solvers.settings.width`);
* noise: ``σ² (2πi)⁻¹∮ ψ(w)² G(κ) S(κ)/P dw`` with ``G = κψ_n`` (no pole at 0).

The limiting spectrum of ``M`` is an atom at 0 (mass ``1 − min(N, P)/D``) plus a continuous part
``[w₋, w₊]``; ``w₊ = −f(κ)`` at the first critical point of f on ``κ < −λ_max`` (coming from
``−∞``), ``w₋`` at the first critical point below ``κ₀``, the largest real zero of f
(``S(κ₀) = min(N, P)``; ``κ₀ = 0`` at ``N = D ≤ P``).  There is a gap (``w₋ > 0``) unless the
zero is double (``N = P``, or ``N = D = P``).

Numerics (as :mod:`solvers.settings.context`): a log-ellipse around ``[w₋, w₊]`` with the pole of
``κ/w`` at 0 (residue ``κ₀``) as one exact node, or an ellipse with foci ``0, w₊`` when there is no
gap; κ is continued along the upper half by predictor–Newton steps with step halving, every node
checked for the physical branch (``Im κ·Im w < 0``, ``Im(κφ)·Im w < 0``, ``V_P(κ, κ̄)/P < 1``) and
the right vertex must land on the real root connected to ``κ ≈ −w``; failures raise
:class:`ConvergenceError`.  The risk is a quadratic form ``gᵀHg`` in the filter values (the
contour and κ do not depend on γ), so ``∂R/∂γ`` is exact and the optimal γ is a bracketed Brent
root.  At ``L = ∞``, ``γ → ∞``: only the residue at 0 survives,
``R = κ₀² H(κ₀, κ₀) + σ² (GS)'(κ₀)/(P f'(κ₀))`` (closed forms in :func:`ridgeless_limit`).
float64 (complex128) arithmetic: the error estimate is the change under doubling the nodes plus a
rounding bound; ``dps`` only sets the precision of the spectra / Hurwitz tail moments.
"""
from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass

import mpmath
import numpy as np
from scipy.optimize import brentq

from solvers.settings.context import Modes, _TailTooShort, modes_for
from solvers.result import ConvergenceError, Result
from solvers.spectra import make_spectrum
from solvers.validate import (is_inf, require_dps, require_int, require_nonnegative,
                              require_positive)

__all__ = ["risk", "slope", "optimal_gamma", "ridgeless_limit", "JointProblem", "Contour"]

EPS = np.finfo(float).eps
_TAIL_TERMS = 40
_TAIL_RATIO = 0.25
_N_START = 64
_N_MAX = 1 << 12
_MAG_TARGET = 10.0
_BLOCK = 256


# ---------------------------------------------------------------------------------------------
# sums over the modes (explicit head + Hurwitz-zeta tail of context.Modes)
# ---------------------------------------------------------------------------------------------
def _check_tail(modes, kap):
    if modes.tail is not None and modes.tail[0] > _TAIL_RATIO * abs(kap):
        raise _TailTooShort(abs(kap))


def _sums0(modes, kap):
    """``(Σ 1/(λ+κ), Σ 1/(λ+κ)²)`` over all modes (finite mode count)."""
    r = 1.0 / (modes.a + kap)
    t0, t1 = r.sum(), (r * r).sum()
    if modes.tail is not None:
        a_s, mu_a, _ = modes.tail
        _check_tail(modes, kap)
        t = -a_s / kap
        j = np.arange(_TAIL_TERMS)
        tp = t ** j * mu_a[:_TAIL_TERMS]
        t0 += tp.sum() / kap
        t1 += (tp * (j + 1)).sum() / kap ** 2
    return t0, t1


def _pair(modes, k1, k2, weight, m):
    """Matrix ``Σ_k w_k λ_k^m /((λ_k+κ_i)(λ_k+κ'_j))``; ``weight='wl'`` (w = ωλ) or ``'one'``."""
    X1 = 1.0 / (modes.a[:, None] + k1[None, :])
    X2 = 1.0 / (modes.a[:, None] + k2[None, :])
    w = (modes.wl if weight == "wl" else np.ones_like(modes.a)) * modes.a ** m
    out = (X1 * w[:, None]).T @ X2
    if modes.tail is not None:
        a_s, mu_a, mu_w = modes.tail
        mu = mu_w if weight == "wl" else mu_a
        t1 = (a_s / k1)[:, None]
        t2 = (a_s / k2)[None, :]
        h = np.ones((len(k1), len(k2)), dtype=complex)
        t2p = np.ones_like(t2)
        acc = mu[m] * h
        for j in range(1, _TAIL_TERMS):
            t2p = t2p * t2
            h = t1 * h + t2p
            acc = acc + (-1.0) ** j * mu[m + j] * h
        out = out + (a_s ** m) * acc / (k1[:, None] * k2[None, :])
    return out


class JointProblem:
    """Modes, width N, mode count D (``inf`` for an infinite power law), context P, depth, σ².

    ``f(κ)`` is the one-point map ``−w = κφψ_n``; :meth:`H` the two-point kernel."""

    def __init__(self, modes: Modes, N, D, depth, sigma2):
        self.modes, self.N, self.D = modes, float(N), float(D)
        self.P = float(modes.P)
        self.depth, self.sigma2 = depth, float(sigma2)
        self.inf_D = is_inf(D)
        self.full_width = (not self.inf_D) and self.N >= self.D
        self.lam_max = modes.a_max
        self.lam_min = float(np.min(modes.a)) if modes.tail is None else 0.0
        self.k0 = self.kappa0()
        self.w_hi, self.kc_hi = self.upper_edge()
        self.w_lo, self.kc_lo = self.lower_edge()

    # -- one point ----------------------------------------------------------------------------
    def G(self, kap, s1, s2):
        """``G = κψ_n`` and ``dG/dκ`` given ``S = s1`` and ``−dS/dκ = s2``."""
        N = self.N
        if self.inf_D:
            return kap * (1 - s1 / N), 1 - s1 / N + kap * s2 / N
        if self.full_width:
            return kap, 1.0
        t0, t1 = _sums0(self.modes, kap)
        c = self.D / N
        g = c * (N - s1) / t0
        return g, c * (s2 * t0 + (N - s1) * t1) / t0 ** 2

    def f(self, kap):
        """``(f, f', S, G)`` with ``f = φG``, ``φ = 1 − S/P``."""
        s1, s2 = self.modes.s1_s2(kap)
        g, dg = self.G(kap, s1, s2)
        phi = 1 - s1 / self.P
        return phi * g, (s2 / self.P) * g + phi * dg, s1, g

    def _s_root(self, c):
        """Real κ with ``S(κ) = c`` (S decreases from +∞ at ``−λ_min`` to 0 at ∞)."""
        s = lambda k: self.modes.s1_s2(k)[0].real - c  # noqa: E731
        hi = max(1.0, self.modes.moment(1) / c)
        while s(hi) > 0:
            hi *= 2
        if self.modes.tail is not None:
            lo = self.modes.a_star / _TAIL_RATIO
            if s(lo) < 0:
                raise _TailTooShort(lo)
        else:
            d = self.lam_min
            lo = -d * 0.5
            while s(lo) < 0:
                d *= 0.5
                lo = -self.lam_min + d
                if d < 1e-300:
                    raise ConvergenceError("S(kappa) = c: no root above -lambda_min",
                                           where=f"c={c}")
        return brentq(s, lo, hi, xtol=1e-300, rtol=4 * EPS, maxiter=500)

    def kappa0(self):
        """Largest real zero of f: ``S = P``, ``S = N`` (N < D) or κ = 0 (N = D)."""
        zeros = []
        if not is_inf(self.P):
            zeros.append(self._s_root(self.P))
        if self.full_width:
            zeros.append(0.0)
        else:
            zeros.append(self._s_root(self.N))
        return max(zeros)

    def upper_edge(self):
        """``(w₊, κ_c)``: first critical point of f on ``κ < −λ_max`` coming from ``−∞``."""
        lm = self.lam_max
        scale = lm + self.modes.moment(1) / min(self.N, self.P)
        fp = lambda t: self.f(-lm - math.exp(t))[1].real  # noqa: E731
        t_hi = math.log(4 * scale)
        while fp(t_hi) <= 0:
            t_hi += 2.0
            if t_hi > 700:
                raise ConvergenceError("upper edge: f' never positive", where="kappa -> -inf")
        ts = np.linspace(t_hi, math.log(lm) - 60, 1601)
        prev = ts[0]
        for t in ts[1:]:
            if fp(t) <= 0:
                tc = brentq(fp, t, prev, xtol=1e-15, rtol=4 * EPS, maxiter=300)
                kc = -lm - math.exp(tc)
                return -self.f(kc)[0].real, kc
            prev = t
        raise ConvergenceError("upper edge: no critical point of f on kappa < -lambda_max")

    def lower_edge(self):
        """``(w₋, κ_c)``: first critical point of f below κ₀ (``(0, κ₀)`` when f'(κ₀) ≤ 0:
        a double zero, no gap)."""
        k0 = self.k0
        f0p = self.f(k0)[1].real
        if not f0p > 1e-10 * max(1.0, abs(self.f(k0 + max(abs(k0), 1e-300))[1])):
            return 0.0, k0
        if self.modes.tail is not None:
            lo = self.modes.a_star / _TAIL_RATIO
        else:
            lo = -self.lam_min
        span = k0 - lo
        fp = lambda x: self.f(k0 - span * x)[1].real  # noqa: E731
        xs = np.concatenate([np.geomspace(1e-14, 0.5, 400), 1 - np.geomspace(0.5, 1e-14, 400)[1:]])
        prev = 0.0
        for x in xs:
            v = fp(x)
            if v <= 0:
                xc = brentq(fp, prev if prev > 0 else 1e-16, x, xtol=1e-16, rtol=4 * EPS)
                kc = k0 - span * xc
                return max(0.0, -self.f(kc)[0].real), kc
            prev = x
        if self.modes.tail is not None:
            raise _TailTooShort(lo)
        raise ConvergenceError("lower edge: no critical point of f below kappa0",
                               where=f"kappa0={k0}")

    def kappa_left(self, w):
        """Physical real κ at a real ``w`` left of the non-zero spectrum: on ``(κ₀, ∞)`` for
        ``w < 0``, on ``(κ_c, κ₀)`` for ``0 < w < w₋``."""
        g = lambda k: self.f(k)[0].real + w  # noqa: E731
        if w < 0:
            hi = max(2 * abs(w), abs(self.k0)) + self.lam_max
            while g(hi) < 0:
                hi *= 2
            return brentq(g, self.k0, hi, xtol=1e-300, rtol=4 * EPS, maxiter=500)
        if not 0 < w < self.w_lo:
            raise ConvergenceError("kappa_left: w outside the spectral gap",
                                   where=f"w={w}, gap=(0, {self.w_lo})")
        return brentq(g, self.kc_lo, self.k0, xtol=1e-300, rtol=4 * EPS, maxiter=500)

    # -- two points ---------------------------------------------------------------------------
    def chat(self, s1, s2):
        if self.inf_D:
            return np.full((len(s1), len(s2)), 1.0 / self.N, dtype=complex)
        if self.full_width:
            return np.zeros((len(s1), len(s2)), dtype=complex)
        N, D = self.N, self.D
        return (D - N) / (np.outer(N - s1, N - s2) + N * (D - N))

    def H(self, k1, k2, s1=None, s2=None):
        """The two-point kernel ``H(κ_i, κ'_j)`` (module docstring), row-blocked."""
        k1, k2 = np.asarray(k1, dtype=complex), np.asarray(k2, dtype=complex)
        if s1 is None:
            s1 = np.array([self.modes.s1_s2(k)[0] for k in k1])
        if s2 is None:
            s2 = np.array([self.modes.s1_s2(k)[0] for k in k2])
        out = np.empty((len(k1), len(k2)), dtype=complex)
        P = self.P
        invP = 0.0 if is_inf(P) else 1.0 / P
        for i in range(0, len(k1), _BLOCK):
            a, sa = k1[i:i + _BLOCK], s1[i:i + _BLOCK]
            U = _pair(self.modes, a, k2, "wl", 0)
            VP = _pair(self.modes, a, k2, "one", 2)
            E = 1 - VP * invP
            if self.full_width:
                out[i:i + _BLOCK] = U / E
                continue
            U2 = _pair(self.modes, a, k2, "wl", 1)
            Y = _pair(self.modes, a, k2, "one", 1)
            c = self.chat(sa, s2)
            kk = np.outer(a, k2)
            num = c * Y * (E * U2 + kk * Y * U * invP)
            den = E * (1 - c * VP) - c * kk * Y * Y * invP
            out[i:i + _BLOCK] = (U + num / den) / E
        return out


# ---------------------------------------------------------------------------------------------
# contour
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Layout:
    """Ellipse with foci ``c ± h`` (in ``log w`` when ``gap``) and radius ρ; ``rate`` is the
    geometric convergence rate of the trapezoid rule."""
    center: float
    half: float
    rho: float
    gap: bool
    rate: float


@dataclass(frozen=True)
class Contour:
    """Nodes ``w``, weights of ``(2πi)⁻¹∮ · dw``, κ, ``m = κ/w`` (κ₀ on the residue node),
    noise weights ``wn`` (0 on the residue node), ``S`` and ``G`` at the nodes."""
    w: np.ndarray
    wq: np.ndarray
    kap: np.ndarray
    m: np.ndarray
    wn: np.ndarray
    S: np.ndarray
    G: np.ndarray


def _ellipse(center, half, rho, n, log=False):
    th = 2 * np.pi * np.arange(n) / n
    e = np.exp(1j * th)
    u = center + 0.5 * half * (rho * e + 1 / (rho * e))
    du = 0.5 * half * 1j * (rho * e - 1 / (rho * e))
    if log:
        w = np.exp(u)
        return w, w * du / (n * 1j), th
    return u, du / (n * 1j), th


@np.errstate(over="ignore", invalid="ignore")
def _filters(w, g, depth):
    """``p(w), ψ(w) = (1 − p)/w`` and their γ-derivatives ``−w p̂, p̂``,
    ``p̂ = (1 − γw/L)^{L−1}`` (``e^{−γw}`` at L = ∞)."""
    w_safe = np.where(w == 0, 1.0, w)
    if is_inf(depth):
        p = np.exp(-g * w)
        ph = p
        psi = -np.expm1(-g * w) / w_safe
    else:
        u = 1 - g * w / depth
        ph = u ** (depth - 1)
        p = ph * u
        psi = (1 - p) / w_safe
    psi = np.where(w == 0, g, psi)
    return p, psi, -w * ph, ph


def _continue(pb, center, half, rho, n, log, max_halvings=18):
    """κ at the n nodes of the ellipse: from the left vertex along the upper half, conjugate
    on the lower half; physical-branch checks at every node."""
    if n % 2:
        raise ValueError(f"n={n} is invalid: the node count must be even")
    w, wq, th = _ellipse(center, half, rho, n, log)
    kap = np.empty(n, dtype=complex)

    def w_of(t):
        e = np.exp(1j * t)
        u = center + 0.5 * half * (rho * e + 1 / (rho * e))
        return np.exp(u) if log else u

    j0 = n // 2
    kap[j0] = pb.kappa_left(w[j0].real)
    modes, P = pb.modes, pb.P
    invP = 0.0 if is_inf(P) else 1.0 / P

    def newton(wt, x):
        for it in range(40):
            fv, fp = pb.f(x)[:2]
            res = fv + wt
            step = res / fp
            x = x - step
            if abs(step) <= 8 * EPS * abs(x):
                return x
            if abs(res) <= 16 * EPS * (abs(wt) + abs(x)) and it > 2:
                return x
        return None

    def physical(wt, x):
        if wt.imag == 0:
            return True
        sg = 1 if wt.imag > 0 else -1
        if not sg * x.imag < 0:
            return False
        s1 = modes.s1_s2(x)[0]
        if not sg * (x * (1 - s1 * invP)).imag < 0:
            return False
        v = _pair(modes, np.array([x]), np.array([np.conj(x)]), "one", 2)[0, 0].real * invP
        return v < 1

    for j in range(j0 - 1, -1, -1):
        t_prev, t_next = th[j + 1], th[j]
        nsub, done = 1, False
        for _ in range(max_halvings):
            x_try, t_try, ok = kap[j + 1], t_prev, True
            for mm in range(1, nsub + 1):
                tm = t_prev + (t_next - t_prev) * mm / nsub
                wm = w_of(tm)
                fp = pb.f(x_try)[1]
                pred = x_try - (wm - w_of(t_try)) / fp
                xn = newton(wm, pred)
                if (xn is None or not physical(wm, xn)
                        or abs(xn - pred) > 0.25 * abs(pred - x_try) + 1e-10 * abs(xn)):
                    ok = False
                    break
                x_try, t_try = xn, tm
            if ok:
                kap[j], done = x_try, True
                break
            nsub *= 2
        if not done:
            raise ConvergenceError("joint: kappa continuation failed (Newton or branch check)",
                                   where=f"contour point w={w[j]:.6g}, theta={th[j]:.6g}")
    kr = kap[0]
    if not (abs(kr.imag) <= 1e-8 * abs(kr) and kr.real < -pb.lam_max
            and pb.f(kr.real)[1].real > 0):
        raise ConvergenceError("joint: kappa continuation reached a non-physical branch",
                               where=f"right vertex w={w[0]:.6g}", residual=kr)
    kap[0] = kr.real
    kap[j0 + 1:] = np.conj(kap[1:j0][::-1])
    return w, wq, kap


class _Solver:
    """One problem: layouts, contours and kernels (γ-independent) and the quadratic form."""

    def __init__(self, pb: JointProblem):
        self.pb = pb
        self._cache = {}

    def _rho_filter(self, c, h, g, rho_max, rho_min, log=False):
        rho = rho_max
        while rho > rho_min:
            w, _, _ = _ellipse(c, h, rho, 256, log)
            if np.max(np.abs(_filters(w, g, self.pb.depth)[0])) <= _MAG_TARGET:
                return rho
            rho = 1 + (rho - 1) / 1.3
        return rho_min

    def layout(self, g):
        pb = self.pb
        c = h = 0.5 * pb.w_hi
        rho = self._rho_filter(c, h, g, 2.0, 1.01)
        full = Layout(c, h, rho, False, math.log(rho))
        if pb.w_lo <= 0:
            return full
        c = 0.5 * (math.log(pb.w_lo) + math.log(pb.w_hi))
        h = 0.5 * (math.log(pb.w_hi) - math.log(pb.w_lo))
        x = math.pi / (4 * h)
        rho_max = min(2.0, x + math.sqrt(x * x + 1))
        x2 = math.pi / (2 * h)
        big_r = x2 + math.sqrt(x2 * x2 + 1)
        rho = self._rho_filter(c, h, g, rho_max, 1 + (rho_max - 1) / 8, log=True)
        lg = Layout(c, h, rho, True, min(math.log(rho), math.log(big_r / rho)))
        return lg if lg.rate >= 0.5 * full.rate else full

    def build(self, lay, n):
        """Contour and kernel for a layout and node count (memoised: the optimal-γ search
        revisits the same layout — always at L = ∞ on the log contour, where |p| ≤ 1)."""
        key = (lay, n)
        if key not in self._cache:
            if len(self._cache) > 8:
                self._cache.clear()
            self._cache[key] = self._build(lay, n)
        return self._cache[key]

    def _build(self, lay, n):
        pb = self.pb
        w, wq, kap = _continue(pb, lay.center, lay.half, lay.rho, n, lay.gap)
        m = kap / w
        wn = wq.copy()
        if lay.gap and pb.k0 > 0:
            # residue of the pole of κ/w at w = 0 (the atom of M at 0): one node, weight 1
            w, wq, kap = np.append(w, 0.0), np.append(wq, 1.0), np.append(kap, pb.k0)
            m, wn = np.append(m, pb.k0), np.append(wn, 0.0)
        S = np.empty(len(kap), dtype=complex)
        G = np.empty(len(kap), dtype=complex)
        for i, k in enumerate(kap):
            s1, s2 = pb.modes.s1_s2(k)
            S[i] = s1
            G[i] = pb.G(k, s1, s2)[0]
        con = Contour(w, wq, kap, m, wn, S, G)
        return con, pb.H(kap, kap, S, S)

    def value(self, con, H, g, deriv=False):
        pb = self.pb
        p, psi, dp, dpsi = _filters(con.w, g, pb.depth)
        gv = con.wq * p * con.m
        bias_terms = gv[:, None] * H * gv[None, :]
        bias = bias_terms.sum()
        invP = 0.0 if is_inf(pb.P) else 1.0 / pb.P
        nk = con.wn * con.G * con.S * invP
        var_terms = nk * psi * psi
        var = pb.sigma2 * var_terms.sum()
        scale = np.abs(bias_terms).sum() + pb.sigma2 * np.abs(var_terms).sum()
        if not deriv:
            return bias.real, var.real, scale, abs(bias.imag) + abs(var.imag)
        dg = con.wq * dp * con.m
        dbias = 2 * (dg @ H @ gv)
        vt = nk * psi * dpsi
        dvar = 2 * pb.sigma2 * vt.sum()
        dscale = 2 * (np.abs(dg) @ np.abs(H) @ np.abs(gv)) + 2 * pb.sigma2 * np.abs(vt).sum()
        return (dbias + dvar).real, dscale

    def start_nodes(self, lay):
        n = max(_N_START, 37 / lay.rate, 0 if is_inf(self.pb.depth) else self.pb.depth + 2)
        return 1 << int(math.ceil(math.log2(n)))

    def converged(self, g, rtol):
        """Contour, kernel and risk at γ_n with node doubling until two rules agree."""
        lay = self.layout(g)
        n = self.start_nodes(lay)
        prev, diff = None, None
        while n <= _N_MAX:
            con, H = self.build(lay, n)
            b, v, scale, imag = self.value(con, H, g)
            rounding = 10 * EPS * scale + imag
            if prev is not None:
                diff = abs((b + v) - (prev[0] + prev[1]))
                if diff <= max(rtol * abs(b + v), 2 * rounding):
                    return con, H, b, v, diff + rounding, n, lay
            prev = (b, v)
            n *= 2
        raise ConvergenceError("joint: contour trapezoid rule did not converge under doubling",
                               where=f"gamma_n={g}, n={n // 2}, layout={lay}", residual=diff)


def ridgeless_limit(pb: JointProblem):
    """``L = ∞``, ``γ → ∞``: ``(bias, variance)`` from the residue at ``w = 0``:
    ``bias = κ₀² H(κ₀, κ₀)``, ``variance = σ² (GS)'(κ₀)/(P f'(κ₀))`` (``(GS)' = G'S − G S₂``);
    ``(0, σ²(GS)'/(Pf'))`` when M has no kernel (κ₀ ≤ 0) and ``(inf, inf)`` at a double zero
    (``N = P``: the interpolation peak).

    Closed forms (checked in the tests): ``N < P``: ``bias = R_W(N)·P/(P − N)``,
    ``variance = σ²N/(P − N)`` (least squares on the N projected features, the projection
    residual ``R_W(N) = κ_N Σ ω_kλ_k/(κ_N + λ_k)`` acting as extra noise)."""
    k0 = pb.k0
    f0, fp, s1, g = pb.f(k0)
    fp = fp.real
    if not fp > 0 or pb.w_lo <= 0 and k0 > 0:
        return math.inf, math.inf
    if is_inf(pb.P):
        var = 0.0
    else:
        s2 = pb.modes.s1_s2(k0)[1].real
        dg = pb.G(k0, s1, s2)[1]
        var = pb.sigma2 * float(np.real(dg * s1 - g * s2)) / (pb.P * fp)
    if k0 <= 0:
        return 0.0, var
    Hv = pb.H(np.array([k0]), np.array([k0]))[0, 0].real
    return k0 * k0 * Hv, var


def _optimal(sol: _Solver, rtol):
    """γ_n* : bracket a sign change of ∂R/∂γ (γ doubled), then Brent; ``inf`` at L = ∞ when the
    risk reaches its ridgeless limit without turning up."""
    pb = sol.pb
    depth = pb.depth
    g0 = (1.0 if is_inf(depth) else float(depth)) / pb.w_hi
    lo, hi = 0.0, g0
    r_zero = float(np.sum(pb.modes.wl)) + (pb.modes.tail[2][0] if pb.modes.tail else 0.0)
    rb = rv = None
    if is_inf(depth):
        rb, rv = ridgeless_limit(pb)
    for _ in range(80):
        if is_inf(depth) and pb.w_lo > 0 and hi * pb.w_lo > 40:
            return math.inf, None, None
        con, H, b, v, err, _, _ = sol.converged(hi, rtol)
        if is_inf(depth) and math.isfinite(rb):
            if abs((b + v) - (rb + rv)) <= 2 * err + 1e3 * EPS * r_zero:
                return math.inf, con, H
        d, dscale = sol.value(con, H, hi, deriv=True)
        if d > 1e3 * EPS * dscale:
            break
        lo, hi = hi, 2 * hi
    else:
        raise ConvergenceError("joint optimal gamma: no sign change of dR/dgamma",
                               where=f"gamma_n<={hi}")
    fn = lambda gg: sol.value(con, H, gg, deriv=True)[0]  # noqa: E731
    if lo > 0 and fn(lo) > 0:
        # the contour of hi is valid for lo as well; a sign change must lie in (lo, hi)
        raise ConvergenceError("joint optimal gamma: bracket lost", where=f"[{lo}, {hi}]")
    g = brentq(fn, lo, hi, xtol=1e-15 * hi, rtol=4 * EPS, maxiter=300)
    return g, con, H


# ---------------------------------------------------------------------------------------------
# public entry points
# ---------------------------------------------------------------------------------------------
def _validate(width, alpha, context, depth, gamma, sigma2, nu, beta, dim, lam, omega, dps):
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    sigma2 = float(require_nonnegative("sigma2", sigma2))
    dps = require_dps(dps)
    if (alpha is None) == (context is None):
        raise ValueError(f"alpha={alpha!r}, context={context!r} is invalid: give exactly one of "
                         "alpha (P/D, > 0) and context (absolute P, > 0)")
    if alpha is not None:
        alpha = require_positive("alpha", alpha, allow_inf=True)
    else:
        context = require_positive("context", context, allow_inf=True)
    if gamma is not None:
        gamma = require_nonnegative("gamma", gamma, allow_inf=True)
    if lam is not None or omega is not None:
        if lam is None or omega is None:
            raise ValueError("lam and omega are invalid: give both lists or neither")
        spec = make_spectrum(lam=lam, omega=omega)
    else:
        spec = make_spectrum(nu=nu, beta=beta, dim=dim)
    D = spec.dim
    N = require_int("width", width, minimum=1, allow_inf=True)
    if not is_inf(N) and not is_inf(D) and N > D:
        raise ValueError(f"width={width!r} is invalid: width must be an integer in "
                         f"[1, dim={D}] or inf")
    if is_inf(D) and alpha is not None and not is_inf(alpha):
        raise ValueError("alpha is invalid with dim=inf: give context (absolute P) instead, or "
                         "a finite dim")
    if alpha is not None and is_inf(alpha):
        P = math.inf
    elif alpha is not None:
        P = float(alpha) * D
    else:
        P = float(context)
    return spec, N, D, P, depth, gamma, sigma2, dps


def _params(width, alpha, context, depth, gamma, sigma2, nu, beta, dim, lam, omega):
    p = {"width": width, "alpha": alpha, "context": context, "depth": depth,
         "sigma2": sigma2, "nu": nu, "beta": beta, "dim": dim}
    if gamma is not None:
        p["gamma"] = gamma
    if lam is not None:
        p["lam"] = [str(x) for x in lam]
        p["omega"] = [str(x) for x in omega]
    return p


def _initial_head(nu, P, N):
    if nu is None:
        return 4096
    nu = float(nu)
    m = max(P, N)   # the lower spectral edge lies between the zeros S = N and S = P
    k0 = (math.pi / nu / math.sin(math.pi / nu) / m) ** nu
    return max(1024, int(1.5 * (4 / k0) ** (1 / nu)) + 1)


def _with_problem(fn, *, spec, N, D, P, depth, sigma2, nu, beta, dim, lam, omega, dps,
                  head=None):
    """``(problem, fn(problem))`` with the power-law head enlarged ×4 until every tail
    expansion used converges."""
    head = head or (_initial_head(nu, P, N) if (lam is None and is_inf(D)) else None)
    while True:
        try:
            modes = modes_for("rrs", P=P, nu=nu, beta=beta, dim=dim, lam=lam, omega=omega,
                              head=head, dps=dps)
            pb = JointProblem(modes, N, D, depth, sigma2)
            return pb, fn(pb)
        except _TailTooShort:
            head = 4 * (head or 4096)
            if head > 1 << 18:
                raise ConvergenceError("joint: power-law tail expansion needs too many head "
                                       "modes", where=f"head={head // 4}") from None


def _to_norm(N, D):
    """Factor from the user's γ to the normalised step γ_n: ``N/D`` (finite D), 1 at dim=inf."""
    return 1.0 if is_inf(D) else N / D


def risk(*, width, alpha=None, context=None, depth, gamma=None, sigma2=0, nu=None, beta=None,
         dim=math.inf, lam=None, omega=None, dps=30, rtol=1e-12) -> Result:
    """Exact asymptotic RRS risk at width N, context P and depth L (width and context
    bottlenecks together; excess risk, zero predictor = ``Σ ω_kλ_k``).

    ``R = (2πi)⁻² ∮∮ p(w)p(w') (κκ'/(ww')) H dw dw' + σ² (2πi)⁻¹∮ ψ(w)² G S/P dw``
    (module docstring; derivation in :mod:`theory.joint`).

    width : N (integer ≥ 1, ≤ dim; ``inf``: no bottleneck → :mod:`solvers.settings.context`).
    alpha : P/D (proportional regime, D = number of modes).  context : absolute P
        (power law at ``dim = inf``, or any spectrum).  ``inf`` → :mod:`solvers.settings.width`.
    depth : L ≥ 1 or inf.  gamma : ``Γ = γ P_N`` (finite D; the simulator's convention) or the
        normalised ``Γ = γ (D/N) P_N`` at ``dim = inf``; ``None``: the optimal γ (``inf`` when
        the risk decreases to its ridgeless limit at depth = inf).
    sigma2 : label-noise variance.  nu, beta, dim / lam, omega : the spectrum.
    """
    t0 = _time.perf_counter()
    spec, N, D, P, depth, gamma, sigma2, dps = _validate(width, alpha, context, depth, gamma,
                                                         sigma2, nu, beta, dim, lam, omega, dps)
    params = _params(width, alpha, context, depth, gamma, sigma2, nu, beta, dim, lam, omega)
    if is_inf(N):
        from solvers.settings import context as ctx_mod
        kw = dict(alpha=alpha, context=context) if not is_inf(P) else dict(alpha=math.inf)
        r = ctx_mod.risk("rrs", depth=depth, gamma=gamma, sigma2=sigma2, nu=nu, beta=beta,
                         dim=dim, lam=lam, omega=omega, dps=dps, rtol=rtol, **kw)
        return Result("rrs", params, r.risk, gamma=r.gamma, converged=r.converged,
                      error_estimate=r.error_estimate, method="width=inf: " + r.method,
                      dps=dps, iterations=r.iterations, extra=dict(r.extra))
    if is_inf(P):
        from solvers.settings import width as width_mod
        r = width_mod.risk(width=N, depth=depth, gamma=gamma, nu=nu, beta=beta, dim=dim,
                           lam=lam, omega=omega, dps=dps)
        return Result("rrs", params, r.risk, gamma=r.gamma, converged=r.converged,
                      error_estimate=r.error_estimate, method="context=inf: " + r.method,
                      dps=dps, iterations=r.iterations, extra=dict(r.extra))
    if gamma is not None and is_inf(gamma) and not is_inf(depth):
        raise ValueError("gamma=inf is invalid at finite depth: the risk diverges; give a "
                         "finite gamma >= 0 or omit it for the optimum")
    to_norm = _to_norm(N, D)

    def solve(pb):
        sol = _Solver(pb)
        note = "gamma given"
        if gamma is None:
            gn, _, _ = _optimal(sol, rtol)
            note = ("optimal gamma = inf (ridgeless limit, depth = inf)" if is_inf(gn) else
                    "optimal gamma: Brent root of the exact dR/dgamma")
        else:
            gn = math.inf if is_inf(gamma) else float(gamma) * to_norm
        if is_inf(gn):
            b, v = ridgeless_limit(pb)
            return b, v, 1e-13 * (abs(b) + abs(v)), 0, None, gn, note
        if gn == 0:
            r0 = float(np.sum(pb.modes.wl)) + (pb.modes.tail[2][0] if pb.modes.tail else 0.0)
            return r0, 0.0, 0.0, 0, None, 0.0, "gamma = 0"
        _, _, b, v, err, n, lay = sol.converged(gn, rtol)
        return b, v, err, n, lay, gn, note

    pb, out = _with_problem(solve, spec=spec, N=N, D=D, P=P, depth=depth, sigma2=sigma2,
                            nu=nu, beta=beta, dim=dim, lam=lam, omega=omega, dps=dps)
    b, v, err, n, lay, gn, note = out
    g_user = gn if is_inf(gn) else gn / to_norm
    method = ("nested (projection x Wishart) two-point deterministic equivalent, double "
              f"contour, complex128 trapezoid ({note})")
    with mpmath.workdps(dps):
        return Result("rrs", params, b + v, gamma=g_user, converged=True,
                      error_estimate=err, method=method, dps=dps, iterations=n,
                      extra={"bias": b, "variance": v, "nodes": n,
                             "gamma_normalized": gn, "width_ratio": 0.0 if is_inf(D) else N / D,
                             "P": P, "kappa0": pb.k0, "support": [pb.w_lo, pb.w_hi],
                             "contour": None if lay is None else {
                                 "log_contour": lay.gap, "rho": lay.rho},
                             "modes_head": len(pb.modes.a),
                             "seconds": _time.perf_counter() - t0})


class _Landscape:
    """``γ ↦ R, ∂R/∂γ`` for one problem (the problem and its edges are built once)."""

    def __init__(self, **kw):
        self.kw = kw
        self.pb, _ = _with_problem(lambda pb: None, **kw)
        self.sol = _Solver(self.pb)
        self.to_norm = _to_norm(kw["N"], kw["D"])

    def _on(self, gamma, fn, rtol):
        gn = float(gamma) * self.to_norm
        for _attempt in range(8):
            try:
                con, H, b, v, err, n, lay = self.sol.converged(gn, rtol)
                return fn(con, H, gn, b + v, err, n, lay)
            except _TailTooShort:
                self.pb, _ = _with_problem(lambda pb: None, head=4 * len(self.pb.modes.a),
                                           **self.kw)
                self.sol = _Solver(self.pb)
        raise ConvergenceError("joint: head of the power law did not stabilise")

    def value(self, gamma, rtol=1e-12):
        return self._on(gamma, lambda con, H, gn, R, err, n, lay: (R, err), rtol)

    def slope(self, gamma, rtol=1e-12):
        def fn(con, H, gn, R, err, n, lay):
            d, dscale = self.sol.value(con, H, gn, deriv=True)
            con2, H2 = self.sol.build(lay, n // 2)
            d2, _ = self.sol.value(con2, H2, gn, deriv=True)
            return d * self.to_norm, (abs(d - d2) + 10 * EPS * dscale) * self.to_norm
        return self._on(gamma, fn, rtol)


def _landscape(*, width, alpha=None, context=None, depth, sigma2=0, nu=None, beta=None,
               dim=math.inf, lam=None, omega=None):
    spec, N, D, P, depth, _, sigma2, _ = _validate(width, alpha, context, depth, None, sigma2,
                                                   nu, beta, dim, lam, omega, 15)
    if is_inf(N) or is_inf(P):
        raise ValueError("width and alpha/context must be finite here (use solvers.settings.context / "
                         "solvers.settings.width for one bottleneck)")
    return _Landscape(spec=spec, N=N, D=D, P=P, depth=depth, sigma2=sigma2, nu=nu, beta=beta,
                      dim=dim, lam=lam, omega=omega, dps=15)


def slope(gamma, *, width, alpha=None, context=None, depth, sigma2=0, nu=None, beta=None,
          dim=math.inf, lam=None, omega=None, rtol=1e-12):
    """``(∂R/∂γ, error)`` of :func:`risk` at ``gamma`` (same γ convention), from the exact
    γ-derivative of the contour integrand (``∂p = −w p̂``, ``∂ψ = p̂``); error = change under
    halving the nodes plus rounding.  Finite width and context only."""
    gamma = require_nonnegative("gamma", gamma)
    return _landscape(width=width, alpha=alpha, context=context, depth=depth, sigma2=sigma2,
                      nu=nu, beta=beta, dim=dim, lam=lam, omega=omega).slope(gamma, rtol)


def optimal_gamma(**kw):
    """The γ of :func:`risk` with ``gamma=None`` (``inf``: ridgeless limit at depth = inf)."""
    return risk(gamma=None, **kw).gamma
