"""Case W of dmft.md: exact asymptotic RRS risk at finite width N and infinite context (α = ∞).

The model runs ``L`` steps of GD with ``Γ = γ P_N`` (``P_N`` a Haar rank-N projection) on a
randomly rotated covariance, so the weight error is ``p(−M)β`` with ``M = O P_N Oᵀ Λ`` and
``p(z) = (1 + γz/L)^L`` (``e^{γz}`` at ``L = ∞``).  By Cauchy's formula

    R = (2πi)⁻² ∮∮ p(z) p(z') F(z, z') dz dz',      F = ⟨Tr Λ (z + M)⁻¹ Ω (z' + Mᵀ)⁻¹⟩,

and :mod:`theory.width` derives the deterministic equivalent of ``F``.  Everything is written in
the *normalised* spectral variable ``w = z/α_N`` of ``M₀ = M/α_N`` (``α_N = N/D``), whose spectrum
stays bounded when ``D → ∞`` at fixed N; the step in that variable is ``γ_n = γ α_N``.
With absolute sums ``S(x) = Σ_k λ_k/(x + λ_k)`` and ``u_k(x) = 1/(x + λ_k)``:

* one point:  ``w = x ψ(x)``, ``ψ = (1 − S/N)/(1 − S/D)``  (dmft.md's ``x(α_N − τ) = z(1 − τ)``
  with ``τ = S/D``, ``Ψ = α_N ψ``; the resolvent is ``(w + ψΛ)⁻¹``);
* two points: ``F = [A_{ωλ} + ĉ A_{ωλ²} A_λ/(1 − ĉ A_{λ²})]/(ψψ')`` with
  ``A_g = Σ_k g_k u_k(x) u_k(x')`` and ``ĉ = 1/[N + (N − S)(N − S')/(D − N)]``
  (the Dyson-resummed ``Ψ_χχ`` of dmft.md in closed form; ``ĉ = 0`` at N = D).

**The D → ∞ regime with absolute N** (``dim = inf``, power laws): ``1/D → 0`` in the formulas above
(``ψ = 1 − S/N``, ``ĉ = 1/N``) with every normalised trace ``tr = Tr/D`` replaced by the absolute
sum ``Tr`` (the ``1/D`` of the traces is absorbed by ``w = z D/N``).  The projection ``P_N`` with
``Γ = γ P_N`` has no limit there (``M → 0``), so at ``dim = inf`` the user's ``gamma`` is the
*normalised* scale ``Γ = γ (D/N) P_N`` (``E Γ = γ I``, the same as ``γ_n``): a truncated power law
at ``dim = D`` with ``gamma = g`` corresponds to ``dim = inf`` with ``gamma ≈ g N/D``.  The infinite
sums are an explicit head ``k ≤ K`` plus a tail expanded in ``λ_k/x`` whose moments are Hurwitz
zeta values (exact), with ``K`` chosen so that ``λ_{K+1} ≤ q_tail·|x|`` on the whole contour.

**Numerics.**  The contour is the ellipse ``w(θ) = −E/2 + (E/2) cosh(s + iθ)`` with foci at the
support edges ``−E`` and 0 of ``−M₀`` (``E`` = maximum of ``x ψ(x)`` over ``x < −λ_max``, the
exact edge of the deterministic spectrum); ``s`` keeps ``max |p|`` on the contour ≈ e² so the
double trapezoid sum does not cancel catastrophically.  ``x(θ)`` is continued from the real
positive point by Newton steps (predictor ``dx/dw``, step halving); every node must converge and
satisfy the branch certificate ``Im x · Im w ≥ 0`` (equivalently ``Im τ · Im z ≤ 0``: a
τ-transform maps the upper half plane to the lower), else :class:`ConvergenceError` names the
node.  The lower half of the contour is the complex conjugate.  The two-point sums are matrix
products (numpy complex128); the error estimate is the change between the n- and n/2-point
trapezoid rules (the even nodes are a subset) plus a rounding bound.  The risk is a real
quadratic form ``Re vᵀ G v`` in the node weights ``v ∝ p(w)``, so optimising γ on a fixed
contour is cheap: ``R`` is convex in γ (it is ``Σ_i v_i (1 − γκ_i/L)^{2L}`` over the eigenvalues
of the PSD matrix ``Λ^{1/2} P̃_N Λ^{1/2}``), and ``∂R/∂γ = 0`` is solved by a bracketed root.
At ``L = ∞`` R decreases in γ, the optimum is ``γ = ∞`` and its value is the residue at
``w = w' = 0``: ``R_∞ = κ Σ_k ω_kλ_k/(κ + λ_k)`` with ``Σ_k λ_k/(κ + λ_k) = N`` (computed with
mpmath at ``dps``).
"""
from __future__ import annotations

import logging
import math
import time as _time

import mpmath
import numpy as np

from solvers.progress import tick
from solvers.result import ConvergenceError, Result
from solvers.spectra import make_spectrum
from solvers.validate import (is_inf, require_dps, require_int, require_nonnegative)

__all__ = ["risk", "slope", "one_point", "support_edge", "projection_risk", "depth1_risk",
           "WidthProblem"]

log = logging.getLogger(__name__)

Q_TAIL = 0.3          # tail series ratio bound λ_{K+1}/|x|
TAIL_TERMS = 40       # 0.3^40 ≈ 1e-21
REL_TOL = 1e-11       # target relative change under doubling of the contour nodes
N_MIN, N_MAX = 64, 1 << 11   # n² complex matrices: 2048 nodes ≈ 70 MB each
NEWTON_TOL = 1e-14
EPS = np.finfo(float).eps


# ----------------------------------------------------------------------------------------------
# the spectrum as float64 arrays: explicit head plus (dim = inf) an exact tail
# ----------------------------------------------------------------------------------------------
class WidthProblem:
    """Modes ``(λ_k, ω_kλ_k)`` of one spectrum, width ``N`` and dimension ``D`` (int or inf).

    For a power law at ``dim = inf`` only a head ``k ≤ K`` is explicit; sums over ``k > K`` use
    the expansion ``1/(x + λ) = Σ_m (−λ)^m/x^{m+1}`` with exact moments
    ``μ_g(m) = Σ_{k>K} g_k (λ_k/λ_{K+1})^m`` (Hurwitz zeta).
    """

    def __init__(self, spec, N, D):
        self.spec, self.N, self.D = spec, N, D
        self.infinite = is_inf(D)
        if self.infinite:
            self.nu, self.beta = (float(v) for v in (spec.nu, spec.beta))
            self.K = 0
            self.set_head(64)
        else:
            lam, om = spec.modes(dps=20)
            self.lam = np.array([float(v) for v in lam])
            self.wl = np.array([float(a * b) for a, b in zip(lam, om)])
            self.K = len(self.lam)
        self.lam_max = float(np.max(self.lam)) if not self.infinite else 1.0

    # -- head/tail ------------------------------------------------------------------------------
    def set_head(self, K):
        """Explicit modes k ≤ K and the tail moments beyond (dim = inf only)."""
        K = int(K)
        if K == self.K:
            return
        nu, b = self.nu, self.beta
        s = nu * b + 1
        with mpmath.workdps(30):
            Z = float(mpmath.zeta(s))
            k = np.arange(1, K + 1, dtype=float)
            self.lam = k ** (-nu)
            self.wl = k ** (-s) / Z
            self.lam_tail = float((K + 1) ** (-nu))
            a = mpmath.mpf(K + 1)
            # tail weights g_k = k^{-e}: ω λ (e = s), ω λ² (s + ν), λ (ν), λ² (2ν), 1 (0)
            exps = {"wl": s, "wl2": s + nu, "l": nu, "l2": 2 * nu, "one": 0.0}
            self.mu = {}
            for name, e in exps.items():
                vals = []
                for m in range(2 * TAIL_TERMS):
                    ee = mpmath.mpf(e) + nu * m
                    if ee <= 1:          # divergent moment (only "one" at m = 0): never used
                        vals.append(float("nan"))
                        continue
                    z = mpmath.zeta(ee, a) * a ** (nu * m)
                    vals.append(float(z / Z) if name.startswith("wl") else float(z))
                self.mu[name] = np.array(vals)
        self.K = K

    def head_for(self, xabs_min):
        """Grow the head until ``λ_{K+1} ≤ Q_TAIL·xabs_min``; returns True if it changed."""
        if not self.infinite:
            return False
        need = int(math.ceil((Q_TAIL * xabs_min) ** (-1.0 / self.nu)))
        if need > self.K:
            self.set_head(max(need, 2 * self.K))
            return True
        return False

    # -- one-point sums -------------------------------------------------------------------------
    def S(self, x):
        """``(S(x), S'(x))`` with ``S = Σ_k λ_k/(x + λ_k)`` (scalar x)."""
        u = 1.0 / (x + self.lam)
        S = np.sum(self.lam * u)
        dS = -np.sum(self.lam * u * u)
        if self.infinite:
            t = -self.lam_tail / x
            if abs(t) > Q_TAIL * 1.0000001:
                raise _HeadTooSmall(abs(x))
            m = np.arange(1, TAIL_TERMS)
            tm = t ** m
            mu = self.mu["one"][1:TAIL_TERMS]
            S += -np.sum(tm * mu)                 # Σ_{m≥1} (−1)^{m−1} (λ/x)^m μ(m)
            dS += np.sum(m * tm * mu) / x
        return S, dS

    def psi(self, S):
        inv_D = 0.0 if self.infinite else 1.0 / self.D
        return (1 - S / self.N) / (1 - S * inv_D)

    def w_of_x(self, x):
        """``(w, dw/dx)`` with ``w = x ψ(x)``."""
        S, dS = self.S(x)
        inv_D = 0.0 if self.infinite else 1.0 / self.D
        den = 1 - S * inv_D
        psi = (1 - S / self.N) / den
        dpsi = (-dS / self.N * den + (1 - S / self.N) * dS * inv_D) / den ** 2
        return x * psi, psi + x * dpsi

    # -- two-point matrices ---------------------------------------------------------------------
    def two_point(self, x, S):
        """``G_{jj'}`` with ``F(w_j, w_j') = G_{jj'}/(ψ_j ψ_j')`` for node arrays ``x``, ``S``."""
        U = 1.0 / (x[:, None] + self.lam[None, :])
        lam = self.lam

        def A(g, tail):
            out = (U * g) @ U.T
            if self.infinite:
                m = np.arange(TAIL_TERMS)
                V = (1.0 / x)[:, None] * (-self.lam_tail / x)[:, None] ** m[None, :]
                mu = self.mu[tail]
                H = mu[m[:, None] + m[None, :]]
                out = out + V @ H @ V.T
            return out
        A_wl = A(self.wl, "wl")
        A_wl2 = A(self.wl * lam, "wl2")
        A_l = A(lam, "l")
        A_l2 = A(lam * lam, "l2")
        if not self.infinite and self.N == self.D:
            return A_wl
        gap = self.N - S
        if self.infinite:
            chat = np.full((len(x), len(x)), 1.0 / self.N, dtype=complex)
        else:
            chat = 1.0 / (self.N + np.outer(gap, gap) / (self.D - self.N))
        return A_wl + chat * A_wl2 * A_l / (1 - chat * A_l2)


class _HeadTooSmall(Exception):
    def __init__(self, xabs):
        super().__init__("tail expansion out of range")
        self.xabs = xabs


# ----------------------------------------------------------------------------------------------
# one-point function: support edge, real start, continuation along the contour
# ----------------------------------------------------------------------------------------------
def _kappa(pb):
    """Root κ > 0 of ``S(κ) = N`` (``w → 0⁺`` limit of x); 0 when N = D (no atom)."""
    if not pb.infinite and pb.N >= pb.D:
        return 0.0
    f = lambda x: pb.S(x)[0] - pb.N  # noqa: E731  decreasing in x
    hi = pb.lam_max
    while f(hi) > 0:
        hi *= 2
    lo = hi
    while True:
        try:
            if f(lo) > 0:
                break
        except _HeadTooSmall:
            pb.head_for(lo)
            continue
        lo /= 4
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        try:
            v = f(mid)
        except _HeadTooSmall:
            pb.head_for(mid)
            continue
        if v > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * hi:
            break
    pb.head_for(lo)
    return 0.5 * (lo + hi)


def support_edge(pb):
    """``E``: the spectrum of ``M₀`` lies in ``[0, E]``; ``−E = max_{x < −λ_max} x ψ(x)``."""
    from scipy.optimize import minimize_scalar
    lm = pb.lam_max

    def negw(t):
        with np.errstate(all="ignore"):  # x → −λ_max⁻ is a pole of S: w → −∞ there
            v = -pb.w_of_x(-lm - math.exp(t))[0]
        return v if np.isfinite(v) else math.inf
    res = minimize_scalar(negw, bounds=(math.log(lm) - 40, math.log(lm) + 12), method="bounded",
                          options={"xatol": 1e-10})
    E = -(-res.fun)
    # the bounded search may stop on a local plateau: scan a coarse log-grid of starts too
    ts = np.linspace(math.log(lm) - 40, math.log(lm) + 12, 209)
    E = min(E, min(negw(t) for t in ts))
    return max(E, lm) * (1 + 1e-9)


def _newton(pb, w_t, x0, where):
    """Solve ``x ψ(x) = w_t`` from ``x0``; returns (x, residual) or None if it fails."""
    x = x0
    for _ in range(60):
        w, dw = pb.w_of_x(x)
        r = w - w_t
        if dw == 0 or not np.isfinite(dw):
            return None
        dx = r / dw
        x = x - dx
        if abs(dx) <= NEWTON_TOL * abs(x):
            w, _ = pb.w_of_x(x)
            return x, abs(w - w_t)
    return None


def one_point(pb, w_nodes, x_start):
    """Continue ``x(w)`` along ``w_nodes`` (ordered, upper half contour) from ``x_start`` (a
    converged solution at ``w_nodes[0]``).  Returns ``(x, residuals)``; raises ConvergenceError
    with the node where continuation fails or leaves the physical branch."""
    xs = [x_start]
    res = [0.0]
    scale = max(abs(w) for w in w_nodes)
    for j in range(1, len(w_nodes)):
        w_a, w_b = w_nodes[j - 1], w_nodes[j]
        x = xs[-1]
        t, dt = 0.0, 1.0
        while t < 1.0:
            step = min(dt, 1.0 - t)
            w_from = w_a + t * (w_b - w_a)
            w_to = w_a + (t + step) * (w_b - w_a)
            _, dw = pb.w_of_x(x)
            sol = _newton(pb, w_to, x + (w_to - w_from) / dw, where=w_to)
            ok = sol is not None and sol[1] <= 1e-12 * scale
            if ok and w_to.imag > 1e-12 * scale and sol[0].imag < -1e-12 * abs(sol[0]):
                ok = False  # left the physical branch: τ must map upper to lower half plane
            if ok:
                x, r = sol
                t += step
                dt = min(1.0, 2 * step)
            else:
                dt = step / 2
                if dt < 1e-9:
                    raise ConvergenceError("width one-point continuation failed",
                                           where=f"w={complex(w_to)} (node {j})",
                                           residual=None if sol is None else sol[1])
        xs.append(x)
        res.append(r)
    return np.array(xs, dtype=complex), np.array(res)


# ----------------------------------------------------------------------------------------------
# the contour and the risk as a quadratic form in the node weights
# ----------------------------------------------------------------------------------------------
def _filter(w, g, L, order=0):
    """``∂^order/∂γ^order`` of ``p(w) = (1 + γw/L)^L`` (``e^{γw}`` at L = ∞), elementwise."""
    if is_inf(L):
        return w ** order * np.exp(g * w)
    base = 1 + g * w / L
    if order == 0:
        return base ** L
    if order == 1:
        return w * base ** (L - 1)
    return w * w * (L - 1) / L * base ** (L - 2)


class _Contour:
    """Nodes, one-point solution and two-point matrix G on the ellipse with parameter s."""

    def __init__(self, pb, E, s, n):
        self.pb, self.E, self.s, self.n = pb, E, s, n
        th = 2 * np.pi * np.arange(n) / n
        zeta = s + 1j * th
        self.w = -E / 2 + (E / 2) * np.cosh(zeta)
        self.dw = (E / 2) * np.sinh(zeta) / n        # (1/2πi) dw = dw/dθ · dθ/(2πi)
        half = n // 2
        w0 = self.w[0].real
        # real positive start: x > κ with x ψ(x) = w0
        lo = max(_kappa(pb), w0)        # ψ ≤ 1 so x ≥ w0, and w(κ) = 0 ≤ w0
        # at N = D, ψ = 1 up to rounding (S/N vs S·(1/D)): keep the bracket end strictly below
        lo *= 1 - 1e-12
        hi = 2 * lo
        while pb.w_of_x(hi)[0] < w0:
            hi *= 2
        from scipy.optimize import brentq
        x0 = brentq(lambda x: pb.w_of_x(x)[0] - w0, lo, hi, xtol=1e-300,
                    rtol=4 * EPS, maxiter=500)
        xh, resid = one_point(pb, self.w[:half + 1], complex(x0))
        if abs(xh[-1].imag) > 1e-8 * abs(xh[-1]):
            raise ConvergenceError("width one-point: x not real on the negative real axis",
                                   where=f"w={self.w[half]}", residual=abs(xh[-1].imag))
        self.x = np.concatenate([xh, np.conj(xh[1:half][::-1])])
        self.residual = float(np.max(resid))
        S = np.array([pb.S(xx)[0] for xx in self.x])
        self.S = S
        self.psi = self.w / self.x
        self.G = pb.two_point(self.x, S)

    def weights(self, g, L, order=0):
        return _filter(self.w, g, L, order) * self.dw / self.psi

    def quad(self, va, vb, sub=1):
        """``Re vaᵀ G vb`` using every ``sub``-th node (sub = 2: the n/2-point rule)."""
        if sub == 1:
            a, b, G, f = va, vb, self.G, 1.0
        else:
            a, b, G, f = va[::sub], vb[::sub], self.G[::sub, ::sub], float(sub * sub)
        val = (a @ G @ b).real * f
        rnd = 20 * EPS * (np.abs(a) @ np.abs(G) @ np.abs(b)) * f
        return val, rnd


def _choose_s(gE, L):
    """Ellipse parameter: ``max |p|`` ≈ e² at the right end ``w = (E/2)(cosh s − 1)``."""
    if gE <= 0:
        return 1.0
    c = 4.0 / gE if is_inf(L) else 2 * L * (math.exp(2.0 / L) - 1) / gE
    return float(min(1.5, max(0.01, math.acosh(1 + c))))


def _n_start(gE, L, s):
    need = 40.0 / s + (gE if is_inf(L) else min(L, gE) + 0.5 * math.sqrt(gE))
    n = N_MIN
    while n < need:
        n *= 2
    return n


def _converged_contour(pb, E, s, n, value_fn):
    """Double n until the n- and n/2-point values of ``value_fn(contour, sub)`` agree."""
    last = None
    while True:
        if n > N_MAX:
            raise ConvergenceError("width contour: trapezoid rule did not converge within "
                                   f"{N_MAX} nodes", where=f"n={n}, s={s:.4g}, E={E:.6g}",
                                   residual=last)
        con = _Contour(pb, E, s, n)
        (v1, r1), (v2, _) = value_fn(con, 1), value_fn(con, 2)
        err = abs(v1 - v2) + r1
        scale = abs(v1)
        if abs(v1 - v2) <= max(REL_TOL * scale, 8 * r1):
            return con, v1, err
        last = abs(v1 - v2)
        n *= 2


def _risk_at(pb, E, g, L):
    s = _choose_s(g * E, L)
    n = _n_start(g * E, L, s)

    def value(con, sub):
        v = con.weights(g, L)
        return con.quad(v, v, sub)
    con, R, err = _converged_contour(pb, E, s, n, value)
    return con, R, err


def _dR(con, g, L, sub=1):
    v0, v1 = con.weights(g, L, 0), con.weights(g, L, 1)
    val, rnd = con.quad(v1, v0, sub)
    return 2 * val, 2 * rnd


def _optimal_gamma(pb, E, L):
    """Normalised γ* (finite L) by a bracketed safeguarded Newton on ∂R/∂γ, on one contour."""
    lo = L / E   # all factors (1 − γκ/L) ≥ 0 on the support: ∂R/∂γ ≤ 0 here
    hi = 2 * lo
    for _ in range(60):
        tick("optimal gamma: bracket")
        con, _, _ = _risk_at(pb, E, hi, L)
        d, _ = _dR(con, hi, L)
        if d > 0:
            break
        lo, hi = hi, 2 * hi
    else:
        raise ConvergenceError("optimal gamma: no upper bracket", where=f"gamma_n={hi}")
    # one contour valid (no worse cancellation) for every γ ≤ hi; converge its n on ∂R/∂γ at hi
    s = _choose_s(hi * E, L)
    con, _, _ = _converged_contour(pb, E, s, _n_start(hi * E, L, s),
                                   lambda c, sub: _dR(c, hi, L, sub))
    g = 0.5 * (lo + hi)
    its = 0
    for its in range(1, 200):
        tick("optimal gamma")
        d, rnd = _dR(con, g, L)
        if d > 0:
            hi = g
        else:
            lo = g
        v0, v1, v2 = (con.weights(g, L, k) for k in (0, 1, 2))
        d2 = 2 * (con.quad(v1, v1)[0] + con.quad(v2, v0)[0])
        if abs(d) <= rnd:             # ∂R/∂γ is zero to its rounding error: g is the root
            break
        gn = g - d / d2 if d2 > 0 else 0.5 * (lo + hi)
        if abs(gn - g) <= 1e-13 * g:
            g = gn
            break
        if not (lo < gn < hi):        # safeguard: Newton left the bracket
            gn = 0.5 * (lo + hi)
        if hi - lo <= 1e-13 * g:
            g = gn
            break
        g = gn
    else:
        raise ConvergenceError("optimal gamma: Newton/bisection did not converge",
                               where=f"gamma_n in [{lo}, {hi}]")
    return g, its, abs(d)


# ----------------------------------------------------------------------------------------------
# closed forms used as limits and checks
# ----------------------------------------------------------------------------------------------
def _kappa_sums(spec, kap):
    """mpmath ``(Σ λ/(κ+λ), Σ λ/(κ+λ)², κ Σ ωλ/(κ+λ))`` at the working precision: all modes of a
    finite spectrum, or for a power law at dim = inf a head ``κ k^ν < 3`` plus the exact tail
    ``1/(1 + κk^ν) = Σ_{m≥1} (−1)^{m−1} (κk^ν)^{−m}`` summed with Hurwitz zeta values."""
    if spec.is_finite:
        lam, om = spec.modes(dps=mpmath.mp.dps)
        S = mpmath.fsum(l / (kap + l) for l in lam)
        dS = mpmath.fsum(l / (kap + l) ** 2 for l in lam)
        R = kap * mpmath.fsum(w * l / (kap + l) for l, w in zip(lam, om))
        return S, dS, R
    nu, b = spec._params()
    s = nu * b + 1
    Z = spec.normaliser()
    K = int(mpmath.ceil((3 / kap) ** (1 / nu)))
    head = [1 / (1 + kap * mpmath.mpf(k) ** nu) for k in range(1, K + 1)]
    S = mpmath.fsum(head)
    dS = mpmath.fsum(h * h * mpmath.mpf(k) ** nu for k, h in enumerate(head, 1))
    R = mpmath.fsum(mpmath.mpf(k) ** (-s) * (1 - h) for k, h in enumerate(head, 1)) / Z
    a = mpmath.mpf(K + 1)
    eps = mpmath.eps
    sign = 1
    for m in range(1, 10000):
        # Σ_{k>K} (κk^ν)^{−m} = κ^{−m} ζ(νm, K+1);  derivative and risk tails alike
        tS = sign * kap ** (-m) * mpmath.zeta(nu * m, a)
        tdS = sign * m * kap ** (-m - 1) * mpmath.zeta(nu * m, a)
        tR = sign * kap ** (1 - m) * mpmath.zeta(s + nu * (m - 1), a) / Z
        S += tS
        dS += tdS
        R += tR
        if abs(tS) <= eps * abs(S) and abs(tR) <= eps * abs(R) and abs(tdS) <= eps * abs(dS):
            break
        sign = -sign
    return S, dS, R


def _kappa_sum(spec, N, kap0, dps):
    """κ with ``Σ_k λ_k/(κ + λ_k) = N`` (Newton from the float64 root ``kap0``, kept inside a
    bracket) and ``R_∞ = κ Σ_k ω_kλ_k/(κ + λ_k)``; returns (κ, R_∞, error estimate)."""
    kap = mpmath.mpf(kap0)
    lo, hi = kap / 2, kap * 2
    tol = mpmath.mpf(10) ** (-dps - 3)
    for _ in range(100):
        S, dS, R = _kappa_sums(spec, kap)
        f = S - N
        if f > 0:
            lo = kap
        else:
            hi = kap
        step = f / dS            # S decreases in κ: Newton step κ + f/|S'|
        new = kap + step
        if not (lo < new < hi):
            new = (lo + hi) / 2
        if abs(new - kap) <= tol * kap:
            S, dS, R = _kappa_sums(spec, new)
            return new, R, abs(R) * (abs(new - kap) / kap + tol)
        kap = new
    raise ConvergenceError("kappa equation did not converge", where=f"kappa in [{lo}, {hi}]")


def projection_risk(*, width, nu=None, beta=None, dim=math.inf, lam=None, omega=None,
                    dps=30) -> Result:
    """``L = ∞``, ``γ → ∞`` limit (the optimum at infinite depth): GD converges to the
    Λ-weighted projection of the target onto the N-dimensional subspace, with deterministic
    equivalent ``R_∞ = κ Σ_k ω_kλ_k/(κ + λ_k)``, ``Σ_k λ_k/(κ + λ_k) = N`` (0 at N = D)."""
    spec, N, D, dps = _validate(width, nu, beta, dim, lam, omega, dps)
    with mpmath.workdps(dps + 10):
        if not is_inf(D) and N >= D:
            kap, Rv, err = mpmath.mpf(0), mpmath.mpf(0), mpmath.mpf(0)
        else:
            kap0 = _kappa(WidthProblem(spec, N, D))
            kap, Rv, err = _kappa_sum(spec, N, kap0, dps)
    return Result("rrs", _params(width, nu, beta, dim, lam, omega, depth=math.inf), +Rv,
                  gamma=mpmath.inf, converged=True, error_estimate=err + 10 ** (-dps) * abs(Rv),
                  method="limit L=inf, gamma->inf: residue at w=0, R=kappa*sum(w l/(kappa+l))",
                  dps=dps, extra={"kappa": kap, "width_ratio": _ratio(N, D)})


def depth1_risk(gamma, *, width, lam, omega, exact_dim=True):
    """Depth 1, by Haar moments of the projection (independent of the contour machinery):
    ``R = Σωλ − 2γα Σωλ² + γ² [a Σωλ³ + b Σλ Σωλ²]`` with ``E[P X P] = aX + b Tr(X) I``,
    ``a = α − N(D−N)/((D+2)(D−1))``, ``b = N(D−N)/(D(D+2)(D−1))`` (exact at finite D;
    ``exact_dim=False`` gives the D → ∞ values ``a = α²``, ``b = α(1−α)/D``).  Returns a float."""
    lam = np.asarray(lam, float)
    wl = lam * np.asarray(omega, float)
    D, N = len(lam), int(width)
    al = N / D
    if exact_dim:
        a = al - N * (D - N) / ((D + 2) * (D - 1)) if D > 1 else 1.0
        b = N * (D - N) / (D * (D + 2) * (D - 1)) if D > 1 else 0.0
    else:
        a, b = al * al, al * (1 - al) / D
    g = float(gamma)
    return float(wl.sum() - 2 * g * al * (wl * lam).sum()
                 + g * g * (a * (wl * lam ** 2).sum() + b * lam.sum() * (wl * lam).sum()))


# ----------------------------------------------------------------------------------------------
# public entry point
# ----------------------------------------------------------------------------------------------
def _ratio(N, D):
    return 0.0 if is_inf(D) else N / D


def _params(width, nu, beta, dim, lam, omega, **more):
    p = {"width": width, "nu": nu, "beta": beta, "dim": dim}
    if lam is not None:
        p["lam"] = [str(x) for x in lam]
        p["omega"] = [str(x) for x in omega]
    p.update(more)
    return p


def _validate(width, nu, beta, dim, lam, omega, dps):
    dps = require_dps(dps)
    if lam is not None or omega is not None:
        spec = make_spectrum(lam=lam, omega=omega, dim=dim if dim is not None else math.inf)
        D = spec.dim
    else:
        spec = make_spectrum(nu=nu, beta=beta, dim=dim)
        D = spec.dim
    N = require_int("width", width, minimum=1, allow_inf=True)
    if not is_inf(N) and not is_inf(D) and N > D:
        raise ValueError(f"width={width!r} is invalid: width must be an integer in [1, dim={D}] "
                         "or inf")
    return spec, N, D, dps


def risk(*, width, depth, gamma=None, nu=None, beta=None, dim=math.inf, lam=None, omega=None,
         dps=30) -> Result:
    """Exact asymptotic RRS risk at width N, depth L, infinite context (case W of dmft.md).

    ``R = (2πi)⁻² ∮∮ p(w)p(w') F(w,w') dw dw'`` with the deterministic equivalent F of
    :mod:`theory.width` (module docstring).  ``gamma``: ``Γ = γ P_N`` for a finite spectrum
    (``lam``/``omega`` or a power law truncated to ``dim``, width ratio N/D; the simulator's
    convention); at ``dim = inf`` the normalised ``Γ = γ (D/N) P_N``.  ``gamma=None``: the
    optimal γ (root of the exact ∂R/∂γ; ``inf`` at ``depth = inf``).  ``width = inf``: no
    bottleneck (:func:`solvers.settings.rrs.risk`).  Values are float64 contour sums (``dps`` is used for
    the closed-form limits); ``error_estimate`` is the doubling change plus rounding.
    """
    spec, N, D, dps = _validate(width, nu, beta, dim, lam, omega, dps)
    L = require_int("depth", depth, minimum=1, allow_inf=True)
    if gamma is not None:
        gamma = require_nonnegative("gamma", gamma, allow_inf=True)
    if is_inf(N):
        from solvers.settings import rrs
        r = rrs.risk(nu=nu, beta=beta, depth=L, gamma=gamma, dim=dim, lam=lam, omega=omega,
                     dps=dps)
        return Result("rrs", _params(width, nu, beta, dim, lam, omega, depth=L, gamma=gamma),
                      r.risk, gamma=r.gamma, converged=r.converged,
                      error_estimate=r.error_estimate, method="width=inf: " + r.method,
                      dps=dps, extra=dict(r.extra))
    params = _params(width, nu, beta, dim, lam, omega, depth=L, gamma=gamma)
    if is_inf(L) and (gamma is None or is_inf(gamma)):
        r = projection_risk(width=N, nu=nu, beta=beta, dim=dim, lam=lam, omega=omega, dps=dps)
        return Result("rrs", params, r.risk, gamma=mpmath.inf, converged=True,
                      error_estimate=r.error_estimate, dps=dps,
                      method="depth=inf: R decreases in gamma, optimum gamma=inf; " + r.method,
                      extra=dict(r.extra))
    if gamma is not None and is_inf(gamma):
        raise ValueError("gamma=inf is invalid at finite depth: the risk diverges; give a "
                         "finite gamma >= 0 or omit it for the optimum")
    t0 = _time.perf_counter()
    pb = WidthProblem(spec, N, D)
    al = _ratio(N, D)
    to_norm = 1.0 if is_inf(D) else al          # γ_n = γ α_N (finite D) or γ (dim = inf)
    E = support_edge(pb)
    its = 0
    for _attempt in range(8):
        # dim = inf: a contour point closer to 0 than the head allows raises _HeadTooSmall;
        # grow the head and start again (the tail expansion is then valid at every node)
        try:
            if gamma is None:
                gn, its, _ = _optimal_gamma(pb, E, L)
            else:
                gn = float(gamma) * to_norm
            con, R, err = _risk_at(pb, E, gn, L)
            break
        except _HeadTooSmall as exc:
            pb.head_for(exc.xabs)
    else:
        raise ConvergenceError("width: head of the infinite spectrum did not stabilise",
                               where=f"K={pb.K}")
    gamma_out = gamma if gamma is not None else gn / to_norm
    return Result("rrs", params, R, gamma=gamma_out, converged=True, error_estimate=err,
                  method="case-W two-point deterministic equivalent, ellipse contour, "
                         "float64 trapezoid" + (", optimal gamma by Newton on dR/dgamma"
                                                if gamma is None else ""),
                  dps=dps, iterations=its,
                  extra={"gamma_normalized": gn, "width_ratio": al, "support_edge": E,
                         "nodes": con.n, "ellipse_s": con.s, "head_modes": pb.K,
                         "one_point_residual": con.residual,
                         "working_precision": "float64 contour sums (dps applies to the "
                                              "kappa/projection limit)",
                         "seconds": _time.perf_counter() - t0})


class _Landscape:
    """``R(γ)`` and ``∂R/∂γ`` at fixed spectrum, width and finite-width depth, in the user's γ
    (``Γ = γ P_N``, or the normalised ``Γ = γ (D/N) P_N`` at dim = inf; see :func:`risk`).
    The problem and its support edge are built once, so repeated evaluations (a gradient flow)
    cost one contour each."""

    def __init__(self, spec, N, D, L):
        self.pb, self.L = WidthProblem(spec, N, D), L
        self.to_norm = 1.0 if is_inf(D) else _ratio(N, D)
        self.E = support_edge(self.pb)

    def _on_contour(self, gamma, fn):
        gn = float(gamma) * self.to_norm
        for _attempt in range(8):
            try:
                con, R, err = _risk_at(self.pb, self.E, gn, self.L)
                return fn(con, gn, R, err)
            except _HeadTooSmall as exc:   # dim = inf: grow the head, as in risk()
                self.pb.head_for(exc.xabs)
        raise ConvergenceError("width: head of the infinite spectrum did not stabilise",
                               where=f"K={self.pb.K}")

    def value(self, gamma):
        """``(R, error)`` at ``gamma``."""
        return self._on_contour(gamma, lambda con, gn, R, err: (R, err))

    def slope(self, gamma):
        """``(∂R/∂γ, error)``: ``2 Re v₁ᵀ G v₀`` on the contour converged for R (chain factor
        ``γ_n/γ``); error = change under halving the nodes plus rounding."""
        def fn(con, gn, R, err):
            d1, rnd = _dR(con, gn, self.L)
            d2, _ = _dR(con, gn, self.L, sub=2)
            return d1 * self.to_norm, (abs(d1 - d2) + rnd) * self.to_norm
        return self._on_contour(gamma, fn)


def _landscape(*, width, depth, nu=None, beta=None, dim=math.inf, lam=None, omega=None):
    spec, N, D, _ = _validate(width, nu, beta, dim, lam, omega, 15)
    L = require_int("depth", depth, minimum=1, allow_inf=True)
    if is_inf(N):
        raise ValueError(f"width={width!r} is invalid here: give a finite width >= 1 (at "
                         "width = inf use solvers.settings.rrs)")
    return _Landscape(spec, N, D, L)


def slope(gamma, *, width, depth, nu=None, beta=None, dim=math.inf, lam=None, omega=None):
    """``(∂R/∂γ, error)`` of the case-W risk of :func:`risk` at ``gamma`` (same γ convention:
    ``Γ = γ P_N`` for a finite spectrum, ``Γ = γ (D/N) P_N`` at dim = inf), from the exact
    derivative of the contour integrand, ``∂R/∂γ = 2 (2πi)⁻² ∮∮ ∂_γp(w) p(w') F dw dw'``.
    float64 contour sums; finite width only."""
    gamma = require_nonnegative("gamma", gamma)
    return _landscape(width=width, depth=depth, nu=nu, beta=beta, dim=dim, lam=lam,
                      omega=omega).slope(gamma)
