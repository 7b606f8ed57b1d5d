"""Finite-size risk at finite context (case C): the proportional-limit deterministic equivalent
plus its exact O(1/D) correction for real Gaussian data (derivation: :mod:`theory.finite_size`,
``derivations/finite_size.md``).

Setting (as :mod:`solvers.settings.context`).  ``K = Σ̂`` is the sample covariance of ``P`` real Gaussian
points ``x ~ N(0, A)``, ``A = diag(a_k)`` with ``a_k = g_kλ_k`` (``Γ = γ diag(g)``, ``g = 1`` for
ISO/RRS); the excess risk of ``L`` GD steps is

    R = E Tr[B p(K) A p(K)] + (σ²/P) E Tr[A K ψ(K)²],   B = diag(ω_k/g_k),
    p(s) = (1 − γs/L)^L,  ψ(s) = (1 − p(s))/s,

and Cauchy's formula writes both traces as contour integrals of ``E Tr[B G(s) A G(s')]`` and
``E Tr[A G(s)]``, ``G(s) = (s − K)⁻¹``.  Gaussian integration by parts (Stein's lemma) for *real*
``x`` gives exact identities whose ``1/D`` expansion is

* one point: ``E G = 𝒢 + δ𝒢 + O(D⁻²)``, ``𝒢 = (s − (1+τ)A)⁻¹`` (``τ`` the deterministic-equivalent
  root, ``κ = −s/(1+τ)``) and ``δg_k = a_k g_k²·δτ + a_k g_k e_k``,
  ``e_k = a_k g_k² (1 + τ − sτ')/P``, ``δτ = (s/P) Σ_k a_k g_k e_k / (1 − (s/P) Σ_k a_k g_k²)``;
* two points: ``E[G(s) A G(s')] = F⁰ + δF + O(D⁻²)`` with ``F⁰_k = g_k h_k a_k (1 + τ₂)`` and
  ``δF`` the solution of the linear equation in :func:`_two_point` (the two extra Wick
  contractions of real data, ``(1/P) A E[G K G A H]`` and ``(1/P) A E[H A G K H]``, evaluated at
  leading order, plus the shifts of ``τ``, ``τ₂`` and ``E H``).

The complex-Gaussian ensemble has no such term: the correction is the β = 1 ("one cross-cap")
part of the genus expansion; everything else is ``O(1/D²)``.  At depth 1 the corrected value is
the exact finite-(D, P) risk (the risk is then a degree-2 polynomial in K and the expansion
stops); at fixed depth the residual shrinks like ``1/D²``.  Near a spectral edge amplified by a
deep filter (``|1 − γs₊/L| → 1`` with ``L ≥ 16``) the expansion is only asymptotic: the exact
expectation is then dominated by Tracy–Widom fluctuations of the top eigenvalue, which no power
of ``1/D`` captures (``derivations/finite_size.md`` quantifies this).

Numerics: the shared contour machinery of cases C and W (:mod:`solvers.settings.contour`: the
contour policy, the κ continuation with its branch certificate, node doubling), with the
ellipse enclosing 0 whenever ``K`` has a kernel (more modes than points: the correction has a
pole of higher order at 0, which a single residue node cannot carry); modes with equal ``a_k``
merged (ISO is one mode of multiplicity D).  Case W uses the same machinery through an adapter
for the compressed matrix ``VᵀΛV`` (:class:`_CompressedMap`).  complex128 only: the correction
is an O(1/D) expansion whose own truncation error O(1/D²) dwarfs float64 rounding (``dps`` sets
the precision of the spectrum); error estimate = change under halving the nodes plus a rounding
bound.
"""
from __future__ import annotations

import math
import time as _time
from types import SimpleNamespace

import mpmath
import numpy as np
from scipy.optimize import brentq

from solvers.settings import contour as ct
from solvers.settings import context as _ctx
from solvers.result import ConvergenceError, Result
from solvers.spectra import make_spectrum
from solvers.validate import (is_inf, require_choice, require_int, require_nonnegative,
                              require_positive)

__all__ = ["risk", "finite_size_risk", "width_finite_size_risk", "corrected_resolvents",
           "SETTINGS"]

SETTINGS = ("iso", "fs", "rrs")
EPS = np.finfo(float).eps
_N_MAX = ct.N_MAX


# ---------------------------------------------------------------------------------------------
# the modes: merged eigenvalues a_k with multiplicities n_k and test weights b_k (summed)
# ---------------------------------------------------------------------------------------------
class _Modes:
    """Distinct ``a`` with multiplicity ``n`` and summed test weight ``b`` (``Σ_k b_k f(a_k)``
    and ``Σ_k f(a_k)`` are all the corrections need: the source weight is ``A`` itself)."""

    def __init__(self, a, b, P):
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float)
        uniq, inv = np.unique(a, return_inverse=True)
        self.a = uniq
        self.n = np.bincount(inv, minlength=len(uniq)).astype(float)
        self.b = np.bincount(inv, weights=b, minlength=len(uniq))
        self.P = float(P)
        self.D = float(len(a))
        # context.Modes for κ on the contour (ω_kλ_k weights are not used by κ)
        self.ctx = _ctx.Modes(a.copy(), (a * b).copy(), float(P))


class _Nodes:
    """Leading-order quantities at the contour nodes (arrays (N,) and (N, M) over merged modes)."""

    def __init__(self, modes, s, kap):
        a, P, n = modes.a, modes.P, modes.n
        s = np.asarray(s, dtype=complex)
        kap = np.asarray(kap, dtype=complex)
        r = 1.0 / (a[None, :] + kap[:, None])
        ar = a[None, :] * r
        # dλ/dκ of λ(κ) = κ(1 − Σ a/(a+κ)/P); dκ/ds = −1/λ'(κ)
        lp = 1 - (n * ar).sum(1) / P + kap * (n * ar * r).sum(1) / P
        dk = -1.0 / lp
        self.s = s
        self.tau = -s / kap - 1
        self.dtau = -1 / kap + s * dk / kap ** 2
        g = (kap / s)[:, None] * r
        self.g = g
        self.dg = -g * g * (1 - self.dtau[:, None] * a[None, :])
        e = g * g * a * (1 + self.tau - s * self.dtau)[:, None] / P
        num = (s / P) * (n * a * g * e).sum(1)
        den = 1 - (s / P) * (n * a * g * g).sum(1)
        self.dtau1 = num / den
        self.delta_g = a * g * g * self.dtau1[:, None] + a * g * e


def _pair(w, phi, chi):
    """``M_ij = Σ_k w_k φ_k(s_i) χ_k(s_j)``."""
    return (phi * w[None, :]) @ chi.T


def _two_point(modes, nd):
    """Leading ``E Tr[B G(s_i) A G(s_j)]`` and its O(1/D) correction on the node grid.

    Stein's lemma on ``K G A H`` (``G = G(s)``, ``H = G(s')``, real x) gives exactly
      ``(s − A) E[GAH] − E[τ̂ A G A H] − E[τ̂₂ A H] = A E H + (A/P)(E[G K G A H] + E[H A G K H])``
    with ``τ̂ = Tr(KG)/P``, ``τ̂₂ = Tr(K G A H)/P``.  Order 1: ``F⁰ = 𝒢 A(1 + τ₂) ℋ``.  Order 1/D:
    ``GKG = sG² − G`` (so ``E[GKGAH] ≍ −s∂_sF⁰ − F⁰``) and ``HAGKH = s'HAGH − HAG`` with
    ``HAGH = HA(G − H)/(s' − s)`` (so only two-point equivalents enter), covariances O(1/D²).
    """
    a, b, n, P = modes.a, modes.b, modes.n, modes.P
    s, g, dg, dlt = nd.s, nd.g, nd.dg, nd.delta_g
    N = len(s)
    ba = b * a
    # τ₂(s_i, s_j) = (1/P) Σ a h (s g − 1) / (1 − (s/P) Σ a g h), and its partial derivatives
    sg1 = s[:, None] * g - 1
    num = _pair(n * a, sg1, g) / P
    agh = _pair(n * a, g, g)
    den = 1 - s[:, None] * agh / P
    t2 = num / den
    dnum1 = _pair(n * a, g + s[:, None] * dg, g) / P
    dden1 = -_pair(n * a, g + s[:, None] * dg, g) / P
    d1t2 = (dnum1 * den - num * dden1) / den ** 2
    dnum2 = _pair(n * a, sg1, dg) / P
    dden2 = -s[:, None] * _pair(n * a, g, dg) / P
    d2t2 = (dnum2 * den - num * dden2) / den ** 2
    t2T = t2.T
    t2d = np.diag(t2)[None, :]  # τ₂(s_j, s_j)
    # leading: Σ b F⁰ = Σ b a g h (1 + τ₂)
    bagh = _pair(ba, g, g)
    lead = bagh * (1 + t2)

    def total(w):
        """``Σ_k w_k R_k`` with ``R`` the δτ₂-free part of δF."""
        wa, wa2 = w * a, w * a * a
        g2h = _pair(wa2, g * g, g)           # Σ w a² g² h
        t1 = nd.dtau1[:, None] * g2h * (1 + t2)
        # (τ₂ a + a) δh summed against w g
        t_2 = (1 + t2) * _pair(wa, g, dlt)
        # X1 = −s[∂_s g h a(1+τ₂) + g h a ∂₁τ₂] − F⁰
        gdgh = _pair(wa2, g * dg, g)
        x1 = (-s[:, None] * (gdgh * (1 + t2) + g2h * d1t2) - g2h * (1 + t2))
        # X2 = s' (F⁰(s',s) − F⁰(s',s'))/(s' − s) − F⁰(s',s)
        ft = g2h * (1 + t2T)
        fd = _pair(wa2, g, g * g) * (1 + t2d)
        ds = s[None, :] - s[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            dq = (ft - fd) / ds
        # diagonal: −∂_x[h g(x) a (1 + τ₂(s', x))] at x = s'
        diag = -((wa2 * g * g * dg).sum(1) * (1 + np.diag(t2))
                 + (wa2 * g ** 3).sum(1) * np.diag(d2t2))
        dq[np.arange(N), np.arange(N)] = diag
        x2 = s[None, :] * dq - ft
        return t1 + t_2 + (x1 + x2) / P

    R_b = total(b)
    R_1 = total(n)
    c_dh = (n * a * dlt).sum(1)[None, :]        # Σ a δh at s_j
    dt2 = (s[:, None] * R_1 - c_dh) / (P * den)
    corr = R_b + dt2 * bagh
    return lead, corr


def corrected_resolvents(setting=None, *, a, b, P, s, kap=None):
    """Leading and O(1/D)-corrected ``E Tr[B G(s)]`` and ``E Tr[B G(s_i) A G(s_j)]`` at given
    points (for checks on the real axis: ``s < 0``).  ``a``, ``b``: per-mode arrays, ``P``:
    context length.  Returns dict with ``one`` = (lead, corr) arrays (N,), ``two`` = (lead,
    corr) arrays (N, N)."""
    modes = _Modes(a, b, P)
    s = np.atleast_1d(np.asarray(s, dtype=complex))
    if kap is None:
        if np.any(s.imag != 0) or np.any(s.real >= 0):
            raise ValueError("s is invalid: without kap, every s must be real and < 0 "
                             "(the ridge axis, where the physical κ is the unique real root)")
        kap = np.array([_ctx.kappa(modes.ctx, -float(x.real)) for x in s])
    nd = _Nodes(modes, s, kap)
    one = ((modes.b * nd.g).sum(1), (modes.b * nd.delta_g).sum(1))
    two = _two_point(modes, nd)
    return {"one": one, "two": two}


# ---------------------------------------------------------------------------------------------
# risk on the contour
# ---------------------------------------------------------------------------------------------
def _layout(op, gamma, depth):
    """The shared contour policy of :func:`solvers.settings.contour.choose_layout`, except that a
    kernel of K (κ₀ > 0) is enclosed by the contour (the correction has a higher-order pole at
    s = 0, not a simple residue): the ellipse in s with foci 0, s₊ then."""
    return ct.choose_layout(op, float(gamma), depth, enclose_zero=op.atom())


def _evaluate(modes, s, kap, W, gamma, depth, sigma2):
    """``((bias₀, bias₁, var₀, var₁), rounding)`` of the trapezoid rule with nodes ``s``, κ values
    ``kap`` and weights ``W`` (leading terms and O(1/D) corrections)."""
    nd = _Nodes(modes, s, kap)
    lead2, corr2 = _two_point(modes, nd)
    p, psi = ct.filters(np.asarray(s, dtype=complex), gamma, depth, ct.F64, 0)
    v = W * p
    bias0 = v @ lead2 @ v
    bias1 = v @ corr2 @ v
    scale = np.abs(v) @ (np.abs(lead2) + np.abs(corr2)) @ np.abs(v)
    # noise: σ² ∮ sψ² (1/P) E Tr[A G(s)] ds
    vn = W * s * psi * psi * sigma2 / modes.P
    var0 = vn @ (modes.n * modes.a * nd.g).sum(1)
    var1 = vn @ (modes.n * modes.a * nd.delta_g).sum(1)
    scale += np.abs(vn) @ (modes.n * modes.a * (np.abs(nd.g) + np.abs(nd.delta_g))).sum(1)
    imag = abs((bias0 + bias1 + var0 + var1).imag)
    return (bias0.real, bias1.real, var0.real, var1.real), 10 * EPS * scale + imag


def _converged(modes, lay, gamma, depth, sigma2, rtol):
    """Node doubling on ``lay`` (shared continuation and driver of
    :mod:`solvers.settings.contour`): ``(parts, error, N)``."""
    op = modes.ctx.op

    def make(N, prev):
        s, kap = ct.continue_upper(op, lay, N)
        _, W = lay.nodes(N)
        return s, kap, W

    def value(q, sub):
        s, kap, W = q
        parts, rnd = _evaluate(modes, s[::sub], kap[::sub], W[::sub] * sub, gamma, depth,
                               sigma2)
        return sum(parts), rnd

    q, _, err = ct.converge(make, value, ct.N_START, lambda t: rtol * abs(t), _N_MAX,
                            "finite-size contour sum")
    parts, _ = _evaluate(modes, *q, gamma, depth, sigma2)
    return parts, err, len(q[0])


def _edge_gap(gamma, depth, s_edge):
    """``(2L/γ − s₊)/s₊``: relative distance from the top ``s₊`` of the deterministic spectrum to
    the instability threshold of the filter (``|1 − γs/L| > 1`` for ``s > 2L/γ``); inf at
    ``L = ∞``.  When it is comparable to the edge fluctuations of the top eigenvalue (Tracy–Widom
    ~ D^{−2/3} for a bulk edge, ~ √(2/P) for an isolated top mode) at large depth, the expected
    risk is dominated by rare contexts and no order of 1/D describes it."""
    if is_inf(depth) or gamma == 0:
        return math.inf
    return (2 * depth / gamma - s_edge) / s_edge


def _modes_for(setting, D, P, nu, beta, lam, omega, gamma_shape, dps):
    if setting == "iso":
        return _Modes(np.ones(D), np.full(D, 1.0 / D), P)
    if lam is not None and len(lam) != D:
        raise ValueError(f"dim={D} is invalid: with an explicit spectrum dim must equal "
                         f"len(lam) = {len(lam)}")
    spec = make_spectrum(nu=nu, beta=beta, dim=D, lam=lam, omega=omega)
    lams, oms = spec.modes(dps=dps)
    lam_f = np.array([float(x) for x in lams])
    om_f = np.array([float(x) for x in oms])
    g = np.ones_like(lam_f) if gamma_shape is None else np.asarray(gamma_shape, dtype=float)
    if g.shape != lam_f.shape:
        raise ValueError(f"gamma_shape (length {g.size}) is invalid: it needs one entry per mode "
                         f"({lam_f.size})")
    return _Modes(g * lam_f, om_f / g, P)


def finite_size_risk(setting, *, dim, depth, gamma, alpha=None, context=None, sigma2=0,
                     nu=None, beta=None, lam=None, omega=None, gamma_shape=None, rtol=1e-10,
                     dps=20) -> Result:
    """Expected risk at finite dimension ``D = dim`` and context ``P`` (what the simulator of
    :mod:`solvers.simulators.reduced` estimates), to O(1/D²): deterministic equivalent + O(1/D) real-Gaussian
    correction (module docstring).

    setting : ``iso``, ``fs`` or ``rrs`` (Γ = γI; for ``fs`` optionally
        ``Γ = γ diag(gamma_shape)``).
    dim : D ≥ 2 (integer).  alpha : P/D with ``P = round(alpha·dim)`` as in the simulator, or
        context : P directly.  depth : L ≥ 1 (integer) or inf.  gamma : γ ≥ 0.
    sigma2 : label noise.  nu, beta / lam, omega : spectrum with ``dim`` modes (fs/rrs).
    Returns a :class:`Result` with ``risk`` = corrected value, ``extra`` holding ``asymptotic``
    (the leading term, equal to :func:`solvers.settings.context.risk` at α = P/D), ``correction``, the
    bias/variance split and ``next_order`` = correction²/|asymptotic| (a size indication of the
    O(1/D²) remainder, not a bound).
    """
    t0 = _time.perf_counter()
    setting = require_choice("setting", setting, SETTINGS)
    D = require_int("dim", dim, minimum=2)
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    gamma = float(require_nonnegative("gamma", gamma))
    sigma2 = float(require_nonnegative("sigma2", sigma2))
    if (alpha is None) == (context is None):
        raise ValueError(f"alpha={alpha!r}, context={context!r} is invalid: give exactly one of "
                         "alpha (P/D > 0, P = round(alpha*dim)) and context (integer P >= 1)")
    if alpha is not None:
        alpha = require_positive("alpha", alpha)
        P = int(round(float(alpha) * D))
        if P < 1:
            raise ValueError(f"alpha={alpha!r} is invalid: alpha*dim must round to P >= 1")
    else:
        P = require_int("context", context, minimum=1)
    _ctx.require_spectrum_args(setting, nu, beta, lam, omega, gamma_shape)
    modes = _modes_for(setting, D, P, nu, beta, lam, omega, gamma_shape, dps)
    params = {"dim": D, "context": P, "alpha": P / D, "depth": depth, "gamma": gamma,
              "sigma2": sigma2, "nu": nu, "beta": beta}
    wl_total = float((modes.b * modes.a).sum())
    if gamma == 0:
        return Result(setting=setting, params=params, risk=wl_total, gamma=0.0, converged=True,
                      error_estimate=0.0, method="gamma = 0: zero predictor", dps=dps,
                      extra={"asymptotic": wl_total, "correction": 0.0})
    op = modes.ctx.op
    s_edge = op.upper[0]
    lay = _layout(op, gamma, depth)
    parts, err, N = _converged(modes, lay, gamma, depth, sigma2, rtol)
    b0, b1, v0, v1 = parts
    lead, corr = b0 + v0, b1 + v1
    with mpmath.workdps(dps):
        return Result(setting=setting, params=params, risk=lead + corr, gamma=gamma,
                      converged=True, error_estimate=err,
                      method=("deterministic equivalent + O(1/D) real-Gaussian (Stein) "
                              "correction, double contour (complex128)"),
                      dps=dps, iterations=N,
                      extra={"asymptotic": lead, "correction": corr, "bias": b0 + b1,
                             "variance": v0 + v1, "bias_correction": b1,
                             "variance_correction": v1,
                             "next_order": corr * corr / abs(lead) if lead else 0.0,
                             "upper_edge": s_edge,
                             "edge_gap": _edge_gap(gamma, depth, s_edge),
                             "nodes": N, "P": P, "log_contour": lay.log,
                             "seconds": _time.perf_counter() - t0})


# ---------------------------------------------------------------------------------------------
# case W: finite width N, infinite context, finite D — O(1/N) correction
# ---------------------------------------------------------------------------------------------
class _WidthModes:
    """``λ_k``, ``t_k = λ_k²ω_k``, ``S₁ = Σ ω_kλ_k`` and the sizes ``D``, ``N``."""

    def __init__(self, lam, om, N):
        self.lam = np.asarray(lam, dtype=float)
        self.t = self.lam ** 2 * np.asarray(om, dtype=float)
        self.s1 = float(np.sum(self.lam * np.asarray(om, dtype=float)))
        self.D = len(self.lam)
        self.N = int(N)

    def z_of_x(self, x):
        """``z(x) = x − (D − N)/S(x)``, ``S = Σ 1/(x − λ_k)``, and ``dz/dx``."""
        u = 1.0 / (x - self.lam)
        S = u.sum()
        dS = -(u * u).sum()
        c = self.D - self.N
        return x - c / S, 1 + c * dS / (S * S)

    def edges(self):
        """DE support ``[s₋, s₊]`` of ``B = VᵀΛV``: ``s₊ = min_{x>λ_max} z(x)``,
        ``s₋ = max_{x<λ_min} z(x)`` (``dz/dx`` changes sign once on each side)."""
        lmax, lmin = float(self.lam.max()), float(self.lam.min())

        def crit(lo, hi):
            # bisection on the sign of dz/dx (negative near the poles, positive far away)
            f_lo = self.z_of_x(lo)[1]
            for _ in range(200):
                mid = 0.5 * (lo + hi)
                if (self.z_of_x(mid)[1] > 0) == (f_lo > 0):
                    lo = mid
                else:
                    hi = mid
            return 0.5 * (lo + hi)
        span = lmax + self.D * lmax
        x_hi = crit(lmax * (1 + 1e-12) + 1e-300, lmax + span)
        x_lo = crit(lmin * (1 - 1e-12), lmin - span) if self.N < self.D else None
        s_hi = self.z_of_x(x_hi)[0]
        s_lo = self.z_of_x(x_lo)[0] if x_lo is not None else 0.0
        return max(s_lo, 0.0), s_hi, x_hi, x_lo


class _CompressedMap:
    """The one-point map of the compressed matrix ``B = VᵀΛV`` in the convention of
    :class:`solvers.settings.contour.OnePoint`, so that the shared contour policy, continuation
    and branch certificate apply: with ``y = −x``,
    ``λ(y) = −z(−y) = y − (D − N)/R(y)``, ``R(y) = Σ_k 1/(y + λ_k)``; ``λ(y) = −s`` ⟺ ``z(x) = s``,
    ``Im y·Im s < 0`` ⟺ ``Im x·Im z > 0``, and the right vertex lands on ``y < −λ_max``."""

    def __init__(self, wm):
        self.wm = wm
        lam = wm.lam
        self.sums = SimpleNamespace(a_max=float(lam.max()), a_min=float(lam.min()))
        s_lo, s_hi, x_hi, x_lo = wm.edges()
        self.upper = (s_hi, -x_hi)
        self.lower = (s_lo, None if x_lo is None else -x_lo)
        self._x_hi, self._x_lo = x_hi, x_lo

    def atom(self):
        return False                     # B is N×N of full rank: no atom at 0

    def lam(self, y):
        y = np.atleast_1d(np.asarray(y, dtype=complex))
        r = 1.0 / (y[:, None] + self.wm.lam[None, :])
        R = r.sum(1)
        dR = -(r * r).sum(1)
        c = self.wm.D - self.wm.N
        return y - c / R, 1 + c * dR / (R * R)

    def lam_real(self, y):
        lv, dl = self.lam(complex(y))
        return lv[0].real, dl[0].real

    def root_real(self, s):
        """Real y with ``λ(y) = −s`` for s outside ``[s₋, s₊]``: bisection in x = −y on the
        increasing branch of z (right of the upper critical point, left of the lower one)."""
        z = lambda x: self.wm.z_of_x(x)[0]  # noqa: E731
        s_lo, s_hi = self.lower[0], self.upper[0]
        if s > s_hi:
            lo, hi = self._x_hi, self._x_hi + 1.0
            while z(hi) < s:
                hi = self._x_hi + 2 * (hi - self._x_hi)
        elif s < s_lo and self._x_lo is not None:
            hi, lo = self._x_lo, self._x_lo - 1.0
            while z(lo) > s:
                lo = self._x_lo - 2 * (self._x_lo - lo)
        else:
            raise ConvergenceError("width finite-size: real root requested inside the spectrum",
                                   where=f"s={s}")
        return -brentq(lambda x: z(x) - s, lo, hi, xtol=1e-300, rtol=4 * EPS, maxiter=500)


def _width_J(wm, z, x):
    """Leading ``J⁰ = Σ t_k u_k`` and its O(1/N) correction at the nodes (arrays (n,)).

    ``J(z) = E Tr[VᵀTV (z − B)⁻¹] = Σ_k t_k E[z_kᵀ R z_k]``, ``R = (Σ_k a_k z_k z_kᵀ)⁻¹``,
    ``a_k = z − λ_k`` (``V = Z(ZᵀZ)^{−1/2}``, rows ``z_k ~ N(0, I_N)``).  Stein's lemma:
    ``E u_k = E ρ − a_k E[z_kᵀR²z_k] − a_k E[u_k ρ]`` (``ρ = Tr R``) and ``Σ a_k u_k = N``
    exactly.  Order 1: ``u_k = ρ/(1 + a_kρ)``; order 1/N: ``X_k = E z_kᵀR²z_k ≍
    ρ/[(1 + a_kρ)² Σ_j a_j/(1 + a_jρ)²]``, ``δρ = Σ a²X/(1+aρ) / Σ a/(1+aρ)²``,
    ``δu_k = δρ/(1 + a_kρ)² − a_kX_k/(1 + a_kρ)``."""
    a = z[:, None] - wm.lam[None, :]
    rho = 1.0 / (x - z)
    q = 1.0 / (1 + a * rho[:, None])
    J0 = (wm.t * rho[:, None] * q).sum(1)
    s2 = (a * q * q).sum(1)
    X = rho[:, None] * q * q / s2[:, None]
    drho = (a * a * X * q).sum(1) / s2
    du = drho[:, None] * q * q - a * X * q
    return J0, (wm.t * du).sum(1)


def width_finite_size_risk(*, width, depth, gamma, dim=None, nu=None, beta=None, lam=None,
                           omega=None, rtol=1e-10, dps=20) -> Result:
    """Expected RRS risk at finite width ``N``, finite dimension ``D``, infinite context (case
    W, ``Γ = γP_N`` with a Haar rank-N projection — the simulator's convention), to O(1/N²).

    With ``V`` (D×N, orthonormal columns) spanning ``P_N`` and ``B = VᵀΛV``,
    ``p(P_NΛ) = I + V f(B) VᵀΛ`` with ``f(b) = (p(b) − 1)/b``, so exactly

        R = Σ_k ω_kλ_k + E Tr[VᵀΛΩΛV h(B)],   h(b) = (p(b)² − 1)/b,  p(b) = (1 − γb/L)^L,

    a one-point function of the compressed matrix ``B``; its deterministic equivalent (equal to
    :func:`solvers.settings.width.risk` at ``dim = D``) and real-Gaussian O(1/N) correction are in
    :func:`_width_J`, integrated on an ellipse in ``log z`` around the support of ``B``.
    """
    t0 = _time.perf_counter()
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    gamma = float(require_nonnegative("gamma", gamma))
    if lam is None:
        if dim is None:
            raise ValueError("dim=None is invalid: give dim (power law) or lam/omega")
        D = require_int("dim", dim, minimum=2)
    else:
        D = len(lam)
    spec = make_spectrum(nu=nu, beta=beta, dim=D, lam=lam, omega=omega)
    lams, oms = spec.modes(dps=dps)
    N = require_int("width", width, minimum=1)
    if N >= D:
        raise ValueError(f"width={width!r} is invalid: width must be an integer in [1, dim-1] "
                         f"(dim={D}; width = dim is no bottleneck)")
    wm = _WidthModes([float(v) for v in lams], [float(v) for v in oms], N)
    params = {"width": N, "depth": depth, "gamma": gamma, "dim": D, "nu": nu, "beta": beta}
    if gamma == 0:
        return Result(setting="rrs", params=params, risk=wm.s1, gamma=0.0, converged=True,
                      error_estimate=0.0, method="gamma = 0", dps=dps,
                      extra={"asymptotic": wm.s1, "correction": 0.0})
    op = _CompressedMap(wm)
    s_lo, s_hi = op.lower[0], op.upper[0]
    # the shared contour policy: a log-ellipse around [s₋, s₊] (B has no atom and no kernel;
    # h = (p² − 1)/z is entire), or the ellipse with foci 0, s₊ when that converges faster
    lay = ct.choose_layout(op, gamma, depth)

    def make(n, prev):
        z, y = ct.continue_upper(op, lay, n)
        _, ww = lay.nodes(n)
        J0, dJ = _width_J(wm, z, -y)
        p = ct.filters(z, gamma, depth, ct.F64, 0)[0]
        hz = (p * p - 1) / z
        return ww * hz * J0, ww * hz * dJ

    def value(q, sub):
        t0_, t1_ = (t[::sub] * sub for t in q)
        rounding = (10 * EPS * (np.abs(t0_).sum() + np.abs(t1_).sum())
                    + abs((t0_ + t1_).sum().imag))
        return (t0_ + t1_).sum().real, rounding

    q, _, err = ct.converge(make, value, ct.N_START, lambda v: rtol * abs(wm.s1 + v), 1 << 14,
                            "width finite-size contour")
    parts = (q[0].sum().real, q[1].sum().real)
    n = len(q[0])
    lead, corr = wm.s1 + parts[0], parts[1]
    return Result(setting="rrs", params=params, risk=lead + corr, gamma=gamma, converged=True,
                  error_estimate=err, dps=dps, iterations=n,
                  method=("case W: compressed one-point function, deterministic equivalent + "
                          "O(1/N) real-Gaussian (Stein) correction, shared contour machinery "
                          "(complex128)"),
                  extra={"asymptotic": lead, "correction": corr,
                         "support": [s_lo, s_hi], "nodes": n,
                         "seconds": _time.perf_counter() - t0})


def risk(setting, *, dim, depth, gamma, alpha=None, context=None, width=None, sigma2=0,
         nu=None, beta=None, lam=None, omega=None, gamma_shape=None, dps=20) -> Result:
    """Finite-size risk for a simulator comparison — one entry point.

    * ``width`` finite (RRS, infinite context): :func:`width_finite_size_risk` (case W, O(1/N²));
    * ``alpha``/``context`` finite: :func:`finite_size_risk` (case C, O(1/D²));
    * ``alpha = inf`` without width: ``K = Σ`` is not random, the D-mode risk of
      :func:`solvers.settings.context.risk` (delegating to the α = ∞ solvers) is already exact.
    """
    if width is not None and not is_inf(width):
        if setting != "rrs":
            raise ValueError(f"setting={setting!r} is invalid with a finite width: case W is "
                             "'rrs' (Gamma = gamma P_N)")
        if not (alpha is None or is_inf(alpha)) or context is not None:
            raise ValueError(f"alpha={alpha!r} is invalid with a finite width: finite width and "
                             "finite context together are not covered (give alpha=inf)")
        return width_finite_size_risk(width=width, depth=depth, gamma=gamma, dim=dim, nu=nu,
                                      beta=beta, lam=lam, omega=omega, dps=dps)
    if alpha is not None and is_inf(alpha):
        kw = {} if setting == "iso" else dict(nu=nu, beta=beta, dim=dim, lam=lam, omega=omega)
        return _ctx.risk(setting, alpha=alpha, depth=depth, gamma=gamma, sigma2=sigma2, dps=dps,
                         **kw)
    return finite_size_risk(setting, dim=dim, depth=depth, gamma=gamma, alpha=alpha,
                            context=context, sigma2=sigma2, nu=nu, beta=beta, lam=lam,
                            omega=omega, gamma_shape=gamma_shape, dps=dps)
