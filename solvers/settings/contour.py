"""Contour machinery shared by the finite-context (case C) and finite-width (case W) solvers.

Both risks are Cauchy integrals over the spectrum of a random matrix whose deterministic
equivalent is driven by one **one-point function** ``x(s)`` (C: ``κ``; W: ``x``), the root of

    λ(x) = −s,     λ(x) = x ψ(S(x)),   ψ = (1 − S/n)/(1 − S/D),   S(x) = Σ_k a_k/(a_k + x)

(C: ``n = P``, ``D = ∞``; W: ``n = N`` the width, ``D`` the dimension, ``1/D = 0`` at
``dim = inf``), with the filter ``p(s) = (1 − γs/L)^L`` (``e^{−γs}`` at ``L = ∞``) of the
spectral variable ``s ≥ 0``.  On the real axis (:class:`OnePoint`): ``λ`` increases left of the
upper critical point ``x_u < −a_max`` (``s₊ = −λ(x_u)``, the top of the spectrum), the atom at
``s = 0`` exists when the mode count exceeds ``n`` (``x₀ > 0`` with ``S(x₀) = n``), and the
non-zero spectrum starts at ``s₋ = −λ(x_l)`` with ``x_l`` the critical point in
``(−a_min, max(x₀, 0)]`` (the edge itself when λ has no critical point there).

**Two-point sums are divided differences.**  With ``T(x) = Σ_k w_k/(a_k + x)``,
``Σ_k w_k/((a_k + x)(a_k + x')) = (T(x') − T(x))/(x − x')`` (``−T'(x)`` on the diagonal), so
every kernel of the double contour costs O(N²) after O(N·modes) one-point sums; case C's
Dyson-resummed kernel even collapses to ``(T(x(s')) − T(x(s)))/(s' − s)`` (see
:mod:`solvers.settings.context`).

**Contour** (:class:`Layout`): an ellipse in ``u = log s`` around ``[log s₋, log s₊]`` (foci
there, semi-minor axis ≤ π/4 so ``|arg s| ≤ π/4``) plus one exact residue node at ``s = 0``
(weight 1, ``x/s → x₀``) when there is an atom; an ellipse in ``s`` with foci ``0, s₊`` only
when there is no gap (mode count = n).  The trapezoid rule in θ converges geometrically at a
rate set by the geometry alone: the node count starts at ``N_START`` and doubles until two
rules agree; it does not depend on γ, on the depth (the old ``N > L + 1`` floor is gone: the
log contour makes the integrand an entire function of θ) or on the number of modes.  ρ is
the largest radius (≤ the π/4 bound) with ``max|p| ≤ 10·max(|p| on the spectrum)`` on the
contour, which bounds the cancellation of the sums.

**Continuation** (:func:`continue_upper`): x is continued from the left vertex (a real root)
to the right vertex along the upper half by Euler-predicted Newton steps with step halving;
every node must satisfy the Herglotz sign ``Im x · Im s < 0`` and the right vertex must land on
the real root ``< −a_max`` (else :class:`ConvergenceError` names the node); the lower half is the
complex conjugate.

**Precision** (:class:`Arith`): float64/complex128 for ``dps ≤ 15``; above, every node is
polished by Newton in mpmath at ``dps + guard`` digits from the float64 root and the kernel,
filters and sums are numpy object arrays of mpmath numbers (N ≤ a few hundred: affordable).
The error estimate is the change between the N- and N/2-node rules plus a rounding bound
``10·ε·Σ|terms|`` at the working precision.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np
from scipy.optimize import brentq

from solvers.progress import tick
from solvers.result import ConvergenceError
from solvers.settings.fixedpoint import F64, Arith, Fixed
from solvers.settings.modesums import HeadTooShort
from solvers.validate import is_inf

__all__ = ["Arith", "OnePoint", "Layout", "Quadrature", "continue_upper", "filters",
           "converge", "choose_layout", "HeadTooShort", "F64"]

EPS = np.finfo(float).eps
N_START = 16
N_MAX = 2048
N_MAX_MP = 1024
MAG_FACTOR = 10.0   # max|p| on the contour ≤ this × max|p| on the spectrum
GUARD = 10


# ---------------------------------------------------------------------------------------------
# the one-point equation and its real axis
# ---------------------------------------------------------------------------------------------
class OnePoint:
    """``λ(x) = x(1 − S/n)/(1 − S/D)`` for the mode sums ``sums``
    (:mod:`solvers.settings.modesums`); ``D = inf`` gives ``x(1 − S/n)``."""

    def __init__(self, sums, n, D=math.inf):
        # n, D as given (int, float or an exact mpf): the mpmath path uses them exactly
        self.sums, self.n_exact, self.n, self.D = sums, n, float(n), D
        self.inv_D = 0.0 if is_inf(D) else 1.0 / float(D)
        self._cache = {}

    # -- λ(x) ------------------------------------------------------------------------------
    def lam_from(self, x, S, dS, mp=False):
        """``(λ, dλ/dx)`` from ``S(x), S'(x)``."""
        if mp:
            n = mpmath.mpf(self.n_exact)
            iD = mpmath.mpf(0) if is_inf(self.D) else 1 / mpmath.mpf(self.D)
        else:
            n, iD = self.n, self.inv_D
        den = 1 - S * iD
        psi = (1 - S / n) / den
        dpsi = (-dS / n * den + (1 - S / n) * dS * iD) / (den * den)
        return x * psi, psi + x * dpsi

    def lam(self, x):
        """float64 ``(λ, λ')`` at an array (or scalar) of points."""
        S, dS, _, _ = self.sums.values_at(np.atleast_1d(x))
        return self.lam_from(np.atleast_1d(x), S, dS)

    def lam_real(self, x):
        lv, dl = self.lam(complex(x))
        return lv[0].real, dl[0].real

    def lam_mp(self, x):
        S, dS, T, dT = self.sums.values_at_mp(x)
        lv, dl = self.lam_from(x, S, dS, mp=True)
        return lv, dl, (S, dS, T, dT)

    # -- real axis (float64) -----------------------------------------------------------------
    def _memo(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    @property
    def x0(self):
        """``x`` at ``s = 0⁺``: 0 without an atom (mode count ≤ n), else the root of
        ``S(x) = n`` on ``x > 0`` (S decreases there)."""
        return self._memo("x0", self._x0)

    def atom(self):
        return self.x0 > 0

    def critical(self):
        """Mode count equal to n: no atom and no gap (spectrum reaches 0)."""
        return abs(self.sums.count - self.n) <= 1e-12 * self.n

    def _S_real(self, x):
        return self.sums.values_at(np.array([complex(x)]))[0][0].real

    def _x0(self):
        if self.sums.count <= self.n * (1 + 1e-12):
            return 0.0
        hi = self.sums.a_sum() / self.n            # S(hi) ≤ Σa/hi = n
        lo = hi
        while self._S_real(lo) <= self.n:
            lo /= 4
            if lo < 1e-300:
                raise ConvergenceError("one-point root x0 not bracketed", where=f"x={lo}")
        return brentq(lambda x: self._S_real(x) - self.n, lo, hi, xtol=1e-300, rtol=4 * EPS,
                      maxiter=500)

    @property
    def upper(self):
        """``(s₊, x_u)``: top of the spectrum and the critical point (x_u = None when λ has no
        critical point left of ``−a_max``: then s₊ = −λ(−a_max⁻))."""
        return self._memo("upper", self._upper)

    def _upper(self):
        am = self.sums.a_max
        hi = -am * (1 + 1e-12)
        if self.lam_real(hi)[1] > 0:   # no critical point (ψ ≡ 1, e.g. width = dimension)
            return -self.lam_real(hi)[0], None
        d = am * 1e-3
        while self.lam_real(-am - d)[1] <= 0:
            d *= 2
        lo = -am - d
        xc = brentq(lambda x: self.lam_real(x)[1], lo, hi, xtol=1e-300, rtol=4 * EPS,
                    maxiter=500)
        return -self.lam_real(xc)[0], xc

    @property
    def lower(self):
        """``(s₋, x_l)``: bottom of the non-zero spectrum (0 when there is no gap)."""
        return self._memo("lower", self._lower)

    def _lower(self):
        if self.critical():
            return 0.0, 0.0
        x0 = self.x0
        left = -self.sums.a_min
        lo = left + max(abs(left), x0) * 1e-12 if left < 0 else x0 * 1e-12
        if self.sums.a_min == 0:
            # power law: λ → 0⁻ as x → 0⁺; walk left until λ' < 0
            lo = x0
            while self.lam_real(lo)[1] >= 0:
                lo /= 4
                if lo < 1e-300:
                    raise ConvergenceError("lower spectral edge not bracketed", where=f"x={lo}")
        elif self.lam_real(lo)[1] >= 0:
            return -self.lam_real(lo)[0], lo     # λ increases up to the pole: edge there
        hi = max(x0, 0.0)
        xc = brentq(lambda x: self.lam_real(x)[1], lo, hi, xtol=1e-300, rtol=4 * EPS,
                    maxiter=500)
        return max(0.0, -self.lam_real(xc)[0]), xc

    def root_real(self, s):
        """The physical real root at a real ``s`` outside the spectrum (float64)."""
        lt = -s
        s_lo, x_l = self.lower
        s_hi, x_u = self.upper
        f = lambda x: self.lam_real(x)[0] - lt  # noqa: E731
        if s < 0:                                 # right of the atom: x > x0, λ increasing
            lo = self.x0
            hi = lt + self.sums.a_sum() / self.n + abs(lt) * 1e-12 + 1e-300
            while f(hi) < 0:
                hi *= 2
            if lo == 0.0:
                lo = min(lt, hi) * 1e-3
                while f(lo) > 0:
                    lo /= 4
        elif 0 < s < s_lo:                          # inside the gap
            lo, hi = x_l, max(self.x0, 0.0)
        elif s > s_hi:                              # beyond the top
            hi = x_u if x_u is not None else -self.sums.a_max * (1 + 1e-12)
            lo = min(lt, hi - 1.0)
            while f(lo) > 0:
                lo = 2 * lo
        else:
            raise ConvergenceError("real root requested inside the spectrum", where=f"s={s}")
        return brentq(f, lo, hi, xtol=1e-300, rtol=4 * EPS, maxiter=500)

    # -- mp polish ----------------------------------------------------------------------------
    def polish(self, s, x):
        """Newton for ``λ(x) = −s`` in mpmath from a float64 root; returns
        ``(x, (S, S', T, T'), λ')`` at the working precision.  The last (tiny) step is applied
        to S and T by first-order Taylor instead of a new evaluation (error O(step²)); S', T'
        and λ' stay at the previous point (error O(step)), so the iteration stops only once the
        step is below ``10^{−dps}`` of the caller (working digits minus the guard): stopping at
        ``√ε`` would leave S' and T' — the diagonal of the divided-difference kernels — with
        ~``10^{−wp/2}`` relative errors (visible beyond ~32 digits)."""
        s = mpmath.mpmathify(s)
        x = mpmath.mpmathify(x)
        tol = mpmath.mpf(10) ** (-(mpmath.mp.dps - GUARD))
        for _ in range(30):
            lv, dl, sums = self.lam_mp(x)
            step = (lv + s) / dl
            x = x - step
            if abs(step) <= tol * abs(x) or step == 0:
                S, dS, T, dT = sums
                # first-order update of the sums to the final x (error O(step²) ≪ ε)
                S, T = S - dS * step, T - dT * step
                _, dl = self.lam_from(x, S, dS, mp=True)
                return x, (S, dS, T, dT), dl
        raise ConvergenceError("one-point Newton polish did not converge", where=f"s={s}")


# ---------------------------------------------------------------------------------------------
# contour geometry
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Layout:
    """Ellipse ``u(θ) = c + (h/2)(ρe^{iθ} + e^{−iθ}/ρ)``, ``s = e^u`` (``log``) or ``s = u``;
    ``residue``: the atom at s = 0 lies outside and enters as one residue node."""
    log: bool
    center: float
    half: float
    rho: float
    residue: bool

    def s_of(self, theta, ar=F64):
        if ar.mp:
            e = mpmath.expj(theta)
            u = self.center + mpmath.mpf(self.half) / 2 * (self.rho * e + 1 / (self.rho * e))
            return mpmath.exp(u) if self.log else u
        e = np.exp(1j * np.asarray(theta, dtype=float))
        u = self.center + 0.5 * self.half * (self.rho * e + 1 / (self.rho * e))
        return np.exp(u) if self.log else u

    def nodes(self, N, ar=F64):
        """Nodes ``s_j`` and weights ``W_j`` of ``(2πi)⁻¹∮ f ds ≈ Σ W_j f(s_j)``,
        ``θ_j = 2πj/N``."""
        if ar.mp:
            c, h, rho = (mpmath.mpf(v) for v in (self.center, self.half, self.rho))
            s, w = [], []
            for j in range(N):
                e = mpmath.expj(2 * mpmath.pi * j / N)
                u = c + h / 2 * (rho * e + 1 / (rho * e))
                du = h / 2 * 1j * (rho * e - 1 / (rho * e))
                sv = mpmath.exp(u) if self.log else u
                s.append(sv)
                w.append((sv * du if self.log else du) / (N * 1j))
            return ar.array(s), ar.array(w)
        th = 2 * np.pi * np.arange(N) / N
        e = np.exp(1j * th)
        u = self.center + 0.5 * self.half * (self.rho * e + 1 / (self.rho * e))
        du = 0.5 * self.half * 1j * (self.rho * e - 1 / (self.rho * e))
        if self.log:
            s = np.exp(u)
            return s, s * du / (N * 1j)
        return u, du / (N * 1j)

    def describe(self):
        foci = ([math.exp(self.center - self.half), math.exp(self.center + self.half)]
                if self.log else [self.center - self.half, self.center + self.half])
        return {"foci": foci, "rho": self.rho, "log_contour": self.log,
                "residue_node": self.residue}


def _max_abs_p(s, gamma, depth):
    return float(np.max(np.abs(filters(s, gamma, depth, F64, 0)[0])))


def _shrink(make, gamma, depth, target, rho_max, rho_min):
    rho = rho_max
    while rho > rho_min:
        lay = make(rho)
        if gamma == 0 or _max_abs_p(lay.nodes(256)[0], gamma, depth) <= target:
            return lay
        rho = 1 + (rho - 1) / 1.3
    return make(rho_min)


def choose_layout(op, gamma, depth, enclose_zero=False):
    """Contour for (one-point problem ``op``, γ, depth).  Candidates: the ellipse in s with foci
    ``0, s₊`` (trapezoid rate ``log ρ``) and, when the non-zero spectrum has a gap, the ellipse in
    ``log s`` around ``[log s₋, log s₊]`` plus the residue node (semi-minor axis ≤ π/4; rate
    ``min(log ρ, log(R/ρ))`` with R the radius of the strip ``|Im log s| < π/2`` where
    ``|e^{−γs}| ≤ 1``).  ρ is as large as the geometry allows with
    ``max|p| ≤ 10·max(|p| on the spectrum)`` on the contour; the better rate wins.  Wide
    spectra and large γ select the log contour, whose node count depends on neither.
    ``enclose_zero``: the ellipse in s only (an integrand with a pole of higher order at s = 0,
    which the single residue node cannot carry)."""
    s_hi, _ = op.upper
    s_lo, _ = op.lower
    gamma = float(gamma)
    residue = s_lo > 0 and op.atom()
    lo_spec = s_lo if s_lo > 0 else s_hi * 1e-6
    spec = np.exp(np.linspace(math.log(lo_spec), math.log(s_hi), 65))
    spec = np.append(spec, 0.0) if (residue or s_lo == 0) else spec
    target = MAG_FACTOR * _max_abs_p(spec + 0j, gamma, depth)
    c = h = 0.5 * s_hi
    lin = _shrink(lambda r: Layout(False, c, h, r, False), gamma, depth, target, 2.0, 1.01)
    if s_lo <= 0 or enclose_zero:
        return lin
    lo, hi = math.log(s_lo), math.log(s_hi)
    c, h = 0.5 * (lo + hi), max(0.5 * (hi - lo), 1e-3)
    x = math.pi / (4 * h)               # semi-minor axis ≤ π/4: |arg s| ≤ π/4
    rho_max = min(2.0, x + math.sqrt(x * x + 1))
    x2 = math.pi / (2 * h)
    big_r = x2 + math.sqrt(x2 * x2 + 1)
    lg = _shrink(lambda r: Layout(True, c, h, r, residue), gamma, depth, target, rho_max,
                 1 + (rho_max - 1) / 8)
    rate_log = min(math.log(lg.rho), math.log(big_r / lg.rho))
    return lg if rate_log >= math.log(lin.rho) else lin


# ---------------------------------------------------------------------------------------------
# one-point continuation along the contour (float64)
# ---------------------------------------------------------------------------------------------
def continue_upper(op, lay, N, max_halvings=20):
    """x at the N nodes of ``lay`` (float64), continued from the left vertex (θ = π) to the right
    vertex (θ = 0) along the upper half and conjugated; checks the physical branch
    (``Im x · Im s < 0``, plus ``op.branch_ok(s, x)`` when the problem defines it)."""
    if N % 2:
        raise ValueError(f"N={N} is invalid: N must be even")
    s, _ = lay.nodes(N)
    th = 2 * np.pi * np.arange(N) / N
    x = np.empty(N, dtype=complex)
    j0 = N // 2
    x[j0] = op.root_real(s[j0].real)
    # optional extra certificate of the physical branch (a nested one-point equation checks
    # the Herglotz sign of its inner variable too)
    branch_ok = getattr(op, "branch_ok", None)

    def newton(s_t, x0):
        xv = x0
        for it in range(40):
            lv, dl = op.lam(xv)
            res = lv[0] + s_t
            step = res / dl[0]
            xv = xv - step
            if abs(step) <= 8 * EPS * abs(xv):
                return xv
            if abs(res) <= 16 * EPS * (abs(s_t) + abs(xv)) and it > 2:
                return xv
        return None

    for j in range(j0 - 1, -1, -1):
        t_prev, t_next = th[j + 1], th[j]
        xv, nsub, done = x[j + 1], 1, False
        for _ in range(max_halvings):
            x_try, s_try, ok = xv, lay.s_of(t_prev), True
            for m in range(1, nsub + 1):
                sm = lay.s_of(t_prev + (t_next - t_prev) * m / nsub)
                # Euler predictor dx/dθ = −(ds/dθ)/(dλ/dx)
                pred = x_try - (sm - s_try) / op.lam(x_try)[1][0]
                xn = newton(sm, pred)
                if (xn is None or (sm.imag > 0 and not xn.imag < 0)
                        or abs(xn - pred) > 0.25 * abs(pred - x_try) + 1e-10 * abs(xn)
                        or (branch_ok is not None and not branch_ok(sm, xn))):
                    ok = False
                    break
                x_try, s_try = xn, sm
            if ok:
                xv, done = x_try, True
                break
            nsub *= 2
        if not done:
            raise ConvergenceError("one-point continuation failed (Newton or branch check)",
                                   where=f"contour point s={s[j]:.6g}, theta={th[j]:.6g}")
        x[j] = xv
    xr = x[0]
    if not (abs(xr.imag) <= 1e-8 * abs(xr) and xr.real < -op.sums.a_max
            and op.lam_real(xr.real)[1] > 0):
        raise ConvergenceError("one-point continuation reached a non-physical branch",
                               where=f"right vertex s={s[0]:.6g}", residual=xr)
    x[0] = xr.real
    x[j0 + 1:] = np.conj(x[1:j0][::-1])
    return s, x


# ---------------------------------------------------------------------------------------------
# filters
# ---------------------------------------------------------------------------------------------
def filters(s, gamma, depth, ar, order=1):
    """``p(s) = (1 − γs/L)^L`` (``e^{−γs}`` at L = ∞), ``ψ = (1 − p)/s`` (γ at s = 0) and, for
    ``order ≥ 1``, their γ-derivatives ``∂p = −s p̂``, ``∂ψ = p̂`` (``p̂ = (1 − γs/L)^{L−1}``), for
    ``order 2`` also ``∂²p = s²(1−1/L)(1 − γs/L)^{L−2}``, ``∂²ψ = −s(1−1/L)(1 − γs/L)^{L−2}``.
    ``1 − p`` and the powers go through log1p/expm1 (no cancellation at small γs)."""
    zero = (s == 0) if not ar.mp else np.array([v == 0 for v in s], dtype=bool)
    s_safe = s.copy()
    s_safe[zero] = 1
    g = ar.num(gamma)
    with np.errstate(all="ignore"):
        if is_inf(depth):
            ex = -g * s
            p = ar.exp(ex)
            omp = -ar.expm1(ex)
            ph = p2 = p
            c2 = 1
        else:
            L = int(depth)
            u = 1 - g * s / L
            l1 = ar.log1p(-g * s / L)
            p = ar.exp(L * l1)
            omp = -ar.expm1(L * l1)
            ph = p / u                      # (1 − γs/L)^{L−1}
            p2 = ph / u if order >= 2 else None
            c2 = ar.num(L - 1) / L
    with np.errstate(all="ignore"):     # overflow far out on a contour: inf, never used
        psi = omp / s_safe
    psi[zero] = g
    if order == 0:
        return p, psi
    out = (p, psi, -s * ph, ph)
    if order >= 2:
        out += (c2 * s * s * p2, -c2 * s * p2)
    return out


# ---------------------------------------------------------------------------------------------
# quadrature: nodes, one-point values, γ-independent kernel; the risk as a quadratic form
# ---------------------------------------------------------------------------------------------
class Quadrature:
    """The trapezoid rule on ``lay`` with N nodes (+ the residue node at index N), the one-point
    values ``x``, ``m = x/s`` (``x₀`` on the residue node), the sums ``S, S', T, T'``, ``dlam`` =
    ``dλ/dx`` at the nodes, and a γ-independent kernel matrix ``K`` built by the setting
    (complex128, or :class:`Fixed` in the mpmath path) with ``absK`` its float64 modulus (for
    the rounding bound).

    :meth:`value` is the quadratic form ``Re Σ_ij g_i K_ij g_j + σ² Re Σ_i W_i ψ_i² n_i`` with
    ``g = W p m`` (W the trapezoid weights; the noise sum skips the residue node, where
    ``ψ² n`` has no pole) and its γ-derivatives; ``n = nz`` is ``x`` unless the setting sets
    another noise kernel (:func:`build_quadrature`'s ``noise``); ``sub = 2`` is the N/2-node
    rule (even nodes, weights ×2)."""

    def __init__(self, lay, N, ar, s, W, x, sums, dlam, x0=None):
        self.lay, self.N, self.ar = lay, N, ar
        self.residue = x0 is not None
        if self.residue:
            s = np.append(s, ar.num(0))
            W = np.append(W, ar.num(1))
            x = np.append(x, ar.num(x0))
        self.s, self.W, self.x = s, W, x
        self.S, self.dS, self.T, self.dT = sums
        self.dlam = dlam
        zero = np.zeros(len(s), dtype=bool)
        if self.residue:
            zero[-1] = True
        s_safe = s.copy()
        s_safe[zero] = 1
        self.m = x / s_safe
        if self.residue:
            self.m[-1] = self.x[-1]
        # node values of the noise kernel (σ² Σ W ψ² nz): x unless the setting sets another
        self.nz = self.x
        self.K = self.absK = None

    def set_kernel(self, K, absK=None):
        self.K = K
        self.absK = absK if absK is not None else np.abs(K)

    def index(self, sub):
        idx = np.arange(0, self.N, sub)
        if self.residue:
            idx = np.append(idx, self.N)
        w = self.W[idx].copy()
        w[: len(idx) - (1 if self.residue else 0)] *= sub
        return idx, w

    def value(self, gamma, depth, sigma2=0, order=0, sub=1):
        """``(values, rounding, bias)``: ``values = (R,)``, ``(R, R')`` or ``(R, R', R'')``
        (real), ``bias`` the σ-free part of R."""
        ar = self.ar
        idx, w = self.index(sub)
        ix = np.ix_(idx, idx)
        K, absK = self.K[ix], self.absK[ix]
        s, m, x = self.s[idx], self.m[idx], self.nz[idx]
        f = filters(s, gamma, depth, ar, order)
        with np.errstate(all="ignore"):  # inf·0 far out on a huge-gamma contour: the nan is
            g = w * f[0] * m             # caught by the convergence check (ConvergenceError)

        def mv(v):
            return K.matvec(v) if ar.mp else K @ v

        def a64(v):
            return np.abs(np.array([complex(u) for u in v]) if ar.mp else v)
        Kg = mv(g)
        g64 = a64(g)
        bias = np.sum(g * Kg)
        vals = [bias]
        scale = g64 @ absK @ g64
        wn = w.copy()
        if self.residue:
            wn[-1] = 0
        if sigma2:
            sg = ar.num(sigma2)
            vt = wn * f[1] * f[1] * x
            vals[0] = vals[0] + sg * np.sum(vt)
            scale = scale + float(sigma2) * float(np.sum(a64(vt)))
        if order >= 1:
            dg = w * f[2] * m
            vals.append(2 * np.sum(dg * Kg))
            scale = scale + 2 * (a64(dg) @ absK @ g64)
            if sigma2:
                vals[1] = vals[1] + 2 * sg * np.sum(wn * f[1] * f[3] * x)
        if order >= 2:
            d2g = w * f[4] * m
            vals.append(2 * (np.sum(dg * mv(dg)) + np.sum(d2g * Kg)))
            if sigma2:
                vals[2] = vals[2] + 2 * sg * np.sum(wn * (f[3] * f[3] + f[1] * f[5]) * x)
        if ar.mp:
            imag = abs(mpmath.im(vals[0]))
            vals = [mpmath.re(v) for v in vals]
            bias = mpmath.re(bias)
        else:
            imag = abs(complex(vals[0]).imag)
            vals = [float(complex(v).real) for v in vals]
            bias = float(complex(bias).real)
        rounding = 10 * ar.eps * scale + imag
        return tuple(vals), rounding, bias


def build_quadrature(op, lay, N, ar, kernel, prev=None, noise=None):
    """Nodes, one-point values (float64 continuation, then mpmath polish when ``ar.mp``) and the
    kernel ``kernel(q)`` (a setting-specific function of the quadrature).  ``prev`` (the
    quadrature with N/2 nodes on the same layout and arithmetic) supplies the polished values
    at the even nodes.  ``noise(q)`` (optional) gives the node values of the noise kernel
    (default ``x``)."""
    s64, x64 = continue_upper(op, lay, N)
    x0 = op.x0 if lay.residue else None
    if not ar.mp:
        S, dS, T, dT = op.sums.values_at(x64)
        _, dl = op.lam_from(x64, S, dS)
        _, W = lay.nodes(N)
        q = Quadrature(lay, N, ar, s64, W, x64, (S, dS, T, dT), dl, x0)
        if x0 is not None:
            S0, dS0, T0, dT0 = op.sums.values_at(np.array([complex(x0)]))
            _, dl0 = op.lam_from(np.array([complex(x0)]), S0, dS0)
            for name, v in (("S", S0), ("dS", dS0), ("T", T0), ("dT", dT0), ("dlam", dl0)):
                setattr(q, name, np.append(getattr(q, name), v))
        q.set_kernel(kernel(q))
        if noise is not None:
            q.nz = noise(q)
        return q
    s, W = lay.nodes(N, ar)
    half = N // 2
    vals = [None] * (N + (1 if x0 is not None else 0))
    for j in range(half + 1):
        if prev is not None and j % 2 == 0:
            k = j // 2
            vals[j] = (prev.x[k], (prev.S[k], prev.dS[k], prev.T[k], prev.dT[k]),
                       prev.dlam[k])
            continue
        xj = x64[j].real if j in (0, half) else x64[j]
        sj = s[j].real if j in (0, half) else s[j]
        vals[j] = op.polish(sj, xj)
    for j in range(half + 1, N):
        xj, sums, dl = vals[N - j]
        vals[j] = (mpmath.conj(xj), tuple(mpmath.conj(v) for v in sums), mpmath.conj(dl))
    if x0 is not None:
        if prev is not None and prev.residue:
            vals[N] = (prev.x[-1], (prev.S[-1], prev.dS[-1], prev.T[-1], prev.dT[-1]),
                       prev.dlam[-1])
        else:
            vals[N] = op.polish(mpmath.mpf(0), mpmath.mpf(x0))
    x = ar.array([v[0] for v in vals[:N]])
    sums = tuple(ar.array([v[1][i] for v in vals]) for i in range(4))
    dl = ar.array([v[2] for v in vals])
    x0v = vals[N][0] if x0 is not None else None
    q = Quadrature(lay, N, ar, s, W, x, sums, dl, x0v)
    K = kernel(q)
    # the rounding bound needs |K| only to a few digits: the same kernel in complex128
    q64 = Quadrature(lay, N, F64, np.array([complex(v) for v in s]),
                     np.array([complex(v) for v in W]), np.array([complex(v) for v in x]),
                     tuple(np.array([complex(v) for v in a]) for a in sums),
                     np.array([complex(v) for v in dl]), None if x0v is None else complex(x0v))
    q.set_kernel(K, np.abs(kernel(q64)))
    if noise is not None:
        q.nz = noise(q)
    return q


def divided_difference(F, Z, dF, ar):
    """Matrix ``(F_j − F_i)/(Z_j − Z_i)`` with diagonal ``dF_i`` (complex128, or :class:`Fixed`
    built from the mpmath vectors in the mpmath path)."""
    n = len(F)
    diag = (np.arange(n), np.arange(n))
    if ar.mp:
        F, Z = Fixed.of(F), Fixed.of(Z)
        dz = Z[None, :] - Z[:, None]
        dz.diag_set(1)
        out = (F[None, :] - F[:, None]) / dz
        out.diag_set(dF)
        return out
    dz = Z[None, :] - Z[:, None]
    dz[diag] = 1
    out = (F[None, :] - F[:, None]) / dz
    out[diag] = dF
    return out


def converge(make, value, N0, tol, n_max, what):
    """Double N from ``N0`` until the N- and N/2-node rules agree: ``make(N, prev)`` builds the
    quadrature, ``value(q, sub)`` returns ``(v, rounding)`` (v a float/mpf, the quantity
    tested).  Converged when ``|v_N − v_{N/2}| ≤ max(tol(v), 2·rounding)``.  Returns
    ``(q, v, err)`` with ``err = |v_N − v_{N/2}| + rounding``."""
    N, prev, last = N0, None, None
    while N <= n_max:
        q = make(N, prev)
        tick(f"{what}: {N}-node contour rule")   # each rule can take seconds at mpmath precision
        v1, r1 = value(q, 1)
        v2, _ = value(q, 2)
        diff = abs(v1 - v2)
        if diff <= max(tol(v1), 2 * r1):
            return q, v1, diff + r1
        prev, last = q, diff
        N *= 2
    raise ConvergenceError(f"{what}: contour trapezoid rule did not converge under doubling",
                           where=f"N={N // 2}", residual=float(last) if last is not None else None)
