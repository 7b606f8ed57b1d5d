"""Spectra as objects: explicit mode lists and (truncated) power laws, with verified weighted sums.

A spectrum is a set of modes ``(λ_k, ω_k)`` (covariate eigenvalue, task variance); the risk of
the zero predictor is ``Σ_k ω_kλ_k`` (1 for power laws, spec §6; explicit lists are used as
given unless ``normalize=True``).  The one numerical service is

    Spectrum.wsum(g, power=m)  =  Σ_k ω_k λ_k^m g(λ_k)

to the working precision, with an error estimate:

* :class:`Discrete` — a finite list: summed directly (error = rounding bound).
* :class:`PowerLaw` — ``λ_k = k^{−ν}``, ``ω_kλ_k = k^{−νβ−1}/Z`` (:mod:`theory.spectra`), with
  ``Z = ζ(νβ+1)`` (dim = ∞) or ``ζ(νβ+1) − ζ(νβ+1, D+1)`` (dim = D, exact Hurwitz form).
  The sum is an exact head ``k ≤ K`` plus an Euler–Maclaurin tail on ``[K+1, D]`` or
  ``[K+1, ∞)``: the integral by tanh–sinh quadrature in ``u = log k`` (exponential decay in u),
  endpoint derivatives by mpmath's high-precision finite differences.  The order is raised with
  dps (:func:`em_order`) before ``K`` grows (×4) until the Euler–Maclaurin correction terms
  decrease below the tolerance; the error estimate is the first omitted correction plus the
  quadrature error.  Never a silent truncation: if no ``K``
  up to ``max_head`` works, :class:`ConvergenceError` is raised.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import mpmath

from solvers.result import ConvergenceError
from solvers.validate import is_inf, require_int, require_positive

__all__ = ["SpectralSum", "Spectrum", "Discrete", "PowerLaw", "make_spectrum", "pow1m"]

GUARD_DIGITS = 10
QUAD_METHOD = "tanh-sinh"
#: Euler–Maclaurin order tried first; :func:`em_order` is the order tried next at high dps
EM_ORDER = 6


def em_order(dps):
    """Second Euler–Maclaurin order tried before the head is enlarged: ``6 + dps/4`` (at most
    24).  With the head at K the terms fall like ``(2j)!/(2πK)^{2j}``, so ~dps/4 more orders reach
    dps more digits for the heads the scale hint gives (K ≳ 16), where a fixed order 6 needed
    the head to grow 4× per 10 digits (K = 528, 2112, 8448, 135168 at dps 30…60)."""
    return min(24, EM_ORDER + dps // 4)
#: truncated power laws with at most this many modes are summed directly
DIRECT_MAX = 4096


_NORMALISER = []


def _normaliser_function():
    """``Z(ν, β)`` of :func:`theory.spectra.power_law_normaliser` as an mpmath function
    (lambdified once; sympy is imported only when a power-law normaliser is first needed)."""
    if not _NORMALISER:
        import sympy as sp

        from theory import spectra as tspec
        from theory.symbols import beta as s_beta, nu as s_nu
        _NORMALISER.append(sp.lambdify((s_nu, s_beta), tspec.power_law_normaliser(),
                                       modules="mpmath"))
    return _NORMALISER[0]


class SpectralSum(NamedTuple):
    """Value of a weighted spectral sum with its error estimate."""
    value: mpmath.mpf
    error: mpmath.mpf
    head: int          # number of modes summed explicitly
    method: str


def pow1m(y, n):
    """``(1 − y)^n`` for real ``y`` and integer ``n ≥ 0`` without expanding a polynomial:
    a plain power for ``n ≤ 64``, else ``exp(n·log1p(−y))`` for ``y < 1`` (stable at huge n),
    sign-corrected beyond ``y = 1``."""
    if n <= 64:  # a short product is exact to rounding
        return (1 - y) ** n
    if y < 1:
        return mpmath.exp(n * mpmath.log1p(-y))
    if y == 1:
        return mpmath.mpf(0)
    mag = mpmath.exp(n * mpmath.log(y - 1))
    return mag if n % 2 == 0 else -mag


class Spectrum:
    """Base class.  Subclasses define ``dim`` (int or ``math.inf``), ``lam_max`` and ``_sum``."""

    dim = math.inf

    def wsum(self, g: Callable, power: int = 1, dps: int = 30, scale=None,
             with_omega: bool = False, head: int | None = None,
             tail_integral: Callable | None = None) -> SpectralSum:
        """``Σ_k ω_k λ_k^power g(λ_k)`` (``g(λ, ω)`` if ``with_omega``) to ``dps`` digits.

        ``g`` must accept mpmath numbers (it is called inside the working precision).
        ``scale`` is an optional hint: the λ-scale ``1/scale`` on which g varies (e.g. ``2γ`` for
        ``e^{−2γλ}``); it only sets the starting head size of infinite spectra, as does
        ``head`` (a minimum number of modes summed explicitly).  ``tail_integral(a, b)``, if
        given, returns ``(∫_a^b f(x) dx, error)`` of the continuous-k summand in closed form
        (``b`` may be inf); otherwise the integral is done by quadrature.
        """
        with mpmath.workdps(dps + GUARD_DIGITS):
            return self._sum(g, power, dps, scale, with_omega, head, tail_integral)

    def modes(self, n=None, dps: int = 30):
        """The first ``n`` modes (all if None and finite) as lists ``(λ, ω)`` of mpf."""
        raise NotImplementedError

    @property
    def is_finite(self) -> bool:
        return not is_inf(self.dim)


class Discrete(Spectrum):
    """An explicit finite spectrum ``(λ_k, ω_k)``, k = 1..n."""

    def __init__(self, lam, omega, normalize: bool = False):
        lam = [lam] if not hasattr(lam, "__len__") else list(lam)
        omega = [omega] if not hasattr(omega, "__len__") else list(omega)
        if len(lam) == 0:
            raise ValueError("lam=[] is invalid: lam must be a non-empty list of eigenvalues > 0")
        if len(omega) != len(lam):
            raise ValueError(f"omega (length {len(omega)}) is invalid: omega must have the same "
                             f"length as lam ({len(lam)})")
        for i, v in enumerate(lam):
            require_positive(f"lam[{i}]", v)
        for i, v in enumerate(omega):
            if not float(v) >= 0:
                raise ValueError(f"omega[{i}]={v!r} is invalid: omega[{i}] must be >= 0")
        self._lam = [str(v) if isinstance(v, float) else v for v in lam]
        self._omega = [str(v) if isinstance(v, float) else v for v in omega]
        self.normalize = normalize
        self.dim = len(lam)
        self.lam_max = max(float(v) for v in lam)

    def __repr__(self):
        return f"Discrete(n={self.dim}, normalize={self.normalize})"

    def modes(self, n=None, dps: int = 30):
        with mpmath.workdps(dps + GUARD_DIGITS):
            lam = [mpmath.mpf(v) for v in self._lam]
            om = [mpmath.mpf(v) for v in self._omega]
            if self.normalize:
                z = mpmath.fsum(a * b for a, b in zip(lam, om))
                om = [w / z for w in om]
            n = self.dim if n is None else min(n, self.dim)
            return lam[:n], om[:n]

    def _sum(self, g, power, dps, scale, with_omega, head=None, tail_integral=None):
        lam, om = self.modes(dps=dps)
        terms = [w * l ** power * (g(l, w) if with_omega else g(l)) for l, w in zip(lam, om)]
        val = mpmath.fsum(terms)
        err = (len(terms) + 1) * mpmath.eps * mpmath.fsum(abs(x) for x in terms)
        return SpectralSum(val, err, self.dim, "direct")


class PowerLaw(Spectrum):
    """``λ_k = k^{−ν}``, ``ω_kλ_k ∝ k^{−νβ−1}`` normalised to ``Σ_k ω_kλ_k = 1``, k = 1..dim."""

    def __init__(self, nu, beta, dim=math.inf, max_head: int = 2_000_000):
        dim = require_int("dim", dim, minimum=1, allow_inf=True)
        if is_inf(dim):
            nu = require_positive("nu", nu)
            if not float(nu) > 1:
                raise ValueError(f"nu={nu!r} is invalid: nu must be > 1 (capacity exponent; "
                                 "the infinite power-law spectrum diverges for nu <= 1)")
        else:
            nu = require_positive("nu", nu)
        beta = require_positive("beta", beta)
        if is_inf(dim) and not float(nu) * float(beta) >= MIN_NU_BETA:
            # Σ ω_kλ_k ∝ ζ(νβ + 1) ≈ 1/(νβ) near its pole, and the normalised sums lose digits
            # as νβ → 0 (measured at dps 30: exact down to νβ ≈ 1e-14, wrong from 1e-18);
            # 1e-6 is safe at every dps >= 15
            raise ValueError(f"beta={beta!r} is invalid: nu*beta must be >= {MIN_NU_BETA} for "
                             "an infinite power-law spectrum (the source sum sits at the pole "
                             "of zeta(nu*beta + 1)); give a finite dim for smaller beta")
        self.nu, self.beta, self.dim = nu, beta, dim
        self.lam_max = 1.0
        self.max_head = max_head
        self._cache = {}

    def __repr__(self):
        return f"PowerLaw(nu={self.nu}, beta={self.beta}, dim={self.dim})"

    # -- exact pieces -------------------------------------------------------------------------
    def _params(self):
        nu = mpmath.mpf(str(self.nu)) if isinstance(self.nu, float) else mpmath.mpf(self.nu)
        b = mpmath.mpf(str(self.beta)) if isinstance(self.beta, float) else mpmath.mpf(self.beta)
        return nu, b

    def normaliser(self):
        """``Z`` (at the current precision), from :func:`theory.spectra.power_law_normaliser`."""
        key = ("Z", mpmath.mp.prec)
        if key not in self._cache:
            nu, b = self._params()
            s = nu * b + 1
            if is_inf(self.dim):
                z = _normaliser_function()(nu, b)
            elif self.dim <= 1000:
                z = mpmath.fsum(mpmath.mpf(kk) ** (-s) for kk in range(1, self.dim + 1))
            else:
                z = mpmath.zeta(s) - mpmath.zeta(s, self.dim + 1)
            self._cache[key] = z
        return self._cache[key]

    def _head_table(self, K):
        """``(λ_k, ω_kλ_k)`` for k = 1..K at the current precision (cached, extended lazily)."""
        key = ("head", mpmath.mp.prec)
        lam, wl = self._cache.get(key, ([], []))
        if len(lam) < K:
            nu, b = self._params()
            z = self.normaliser()
            for kk in range(len(lam) + 1, K + 1):
                lk = mpmath.mpf(kk) ** (-nu)
                lam.append(lk)
                wl.append(lk ** (b + 1 / nu) / z)
            self._cache[key] = (lam, wl)
        return lam, wl

    def modes(self, n=None, dps: int = 30):
        if n is None:
            if not self.is_finite:
                raise ValueError("n=None is invalid for an infinite spectrum: give n >= 1")
            n = self.dim
        n = min(n, self.dim) if self.is_finite else n
        with mpmath.workdps(dps + GUARD_DIGITS):
            lam, wl = self._head_table(n)
            return lam[:n], [w / l for w, l in zip(wl[:n], lam[:n])]

    # -- the sum ------------------------------------------------------------------------------
    def _summand(self, g, power, with_omega):
        nu, b = self._params()
        z = self.normaliser()
        s = nu * b + 1

        def f_log(lx):  # summand at k = e^{lx} (no powers with real exponents: one exp each)
            lk = mpmath.exp(-nu * lx)
            wl = mpmath.exp(-s * lx) / z
            gv = g(lk, wl / lk) if with_omega else g(lk)
            return wl * lk ** (power - 1) * gv

        def f(x):
            return f_log(mpmath.log(x))
        f.f_log = f_log
        return f

    def _sum(self, g, power, dps, scale, with_omega, head=None, tail_integral=None):
        tol = mpmath.mpf(10) ** (-dps - 2)
        nu_f = float(self.nu)
        K = 16
        if scale is not None and float(scale) > 0:
            sc = float(scale)
            K = max(K, int(math.ceil((8 * nu_f * sc) ** (1 / (nu_f + 1)))) + 1)
        if head is not None:
            K = max(K, int(head))
        if self.is_finite:
            K = self.dim if self.dim <= DIRECT_MAX else min(K, self.dim)
        f = self._summand(g, power, with_omega)
        b = self.dim if self.is_finite else mpmath.inf
        corrections = None
        while not (self.is_finite and K >= self.dim):
            # choose the head size from the Euler-Maclaurin corrections alone: first the cheap
            # order, then an order that grows with dps (Bernoulli terms shrink like
            # (2j)!/(2πK)^{2j}, so a higher order buys digits that a 4× head would)
            try:
                corrections = _em_corrections(f, K + 1, b, tol)
                break
            except _EMFailure as exc:
                last_reason = exc
            high = em_order(dps)
            if high > EM_ORDER:
                try:
                    corrections = _em_corrections(f, K + 1, b, tol, max_order=high)
                    break
                except _EMFailure as exc:
                    last_reason = exc
            K *= 4
            if self.is_finite and K >= self.dim:
                K = self.dim
            elif K > self.max_head:
                raise ConvergenceError("power-law spectral sum: Euler-Maclaurin tail did not "
                                       "converge", where=f"head K={K // 4}",
                                       residual=last_reason.residual)
        lam, wl = self._head_table(K)
        head_terms = [wl[i] * lam[i] ** (power - 1)
                      * (g(lam[i], wl[i] / lam[i]) if with_omega else g(lam[i]))
                      for i in range(K)]
        head = mpmath.fsum(head_terms)
        head_err = (K + 1) * mpmath.eps * mpmath.fsum(abs(x) for x in head_terms)
        if corrections is None:
            return SpectralSum(head, head_err, K, "direct")
        corr, corr_err = corrections
        if tail_integral is not None:
            integral, qerr = tail_integral(K + 1, b)
        else:
            integral, qerr = _tail_integral(f, K + 1, b, scale, nu_f)
        tail = integral + corr
        return SpectralSum(head + tail, head_err + corr_err + qerr, K, "head+euler-maclaurin")


class _EMFailure(Exception):
    def __init__(self, residual):
        super().__init__("EM failed")
        self.residual = residual


def _tail_integral(f, a, b, scale, nu):
    """``∫_a^b f(x) dx`` (b may be ∞) by tanh–sinh quadrature in ``u = log(x/a)``, in which
    power-law summands decay exponentially; breakpoints around ``scale·λ ≈ 1``."""
    a = mpmath.mpf(a)
    pts = [mpmath.mpf(0)]
    if scale is not None and float(scale) > 0:
        kb = mpmath.mpf(scale) ** (1 / mpmath.mpf(nu))  # where scale·λ_k ~ 1
        if kb > a:
            ub = mpmath.log(kb / a)
            pts += [x for x in (ub - 2, ub, ub + 2) if x > 0]
    else:
        pts.append(mpmath.mpf(8))
    pts = sorted(set(pts))
    if is_inf(b):
        pts.append(mpmath.inf)
    else:
        ue = mpmath.log(mpmath.mpf(b) / a)
        pts = [p for p in pts if p < ue] + [ue]
    la = mpmath.log(a)

    def fu(u):
        return f.f_log(la + u) * mpmath.exp(la + u)
    integral, qerr = mpmath.quad(fu, pts, error=True, maxdegree=10, method=QUAD_METHOD)
    return integral, abs(qerr)


def _em_corrections(f, a, b, tol, max_order=EM_ORDER):
    """Endpoint part of Euler–Maclaurin for ``Σ_{k=a}^{b} f(k)``:
    ``(f(a)+f(b))/2 + Σ_j B_{2j}/(2j)! (f^{(2j−1)}(b) − f^{(2j−1)}(a))`` and its error (first
    omitted term).  Raises _EMFailure unless the terms decrease below ``tol``."""
    a = mpmath.mpf(a)
    total = f(a) / 2
    if not is_inf(b):
        total += f(mpmath.mpf(b)) / 2
    da = list(mpmath.diffs(f, a, 2 * max_order - 1))
    db = list(mpmath.diffs(f, mpmath.mpf(b), 2 * max_order - 1)) if not is_inf(b) else None
    prev = None
    for j in range(1, max_order + 1):
        dj = (db[2 * j - 1] if db is not None else 0) - da[2 * j - 1]
        term = mpmath.bernoulli(2 * j) / mpmath.factorial(2 * j) * dj
        if prev is not None and abs(term) > abs(prev):
            raise _EMFailure(abs(prev))
        if abs(term) < tol:
            return total, abs(term)
        total += term
        prev = term
    raise _EMFailure(abs(prev))


#: smallest νβ of an infinite power-law spectrum (see :class:`PowerLaw`)
MIN_NU_BETA = 1e-6


def make_spectrum(nu=None, beta=None, dim=math.inf, lam=None, omega=None) -> Spectrum:
    """The spectrum of a solver call: explicit ``lam``/``omega`` lists, or a power law."""
    if lam is not None or omega is not None:
        if lam is None or omega is None:
            missing = "omega" if omega is None else "lam"
            raise ValueError(f"{missing}=None is invalid: {missing} must be given together with "
                             f"{'lam' if missing == 'omega' else 'omega'}")
        if nu is not None or beta is not None:
            raise ValueError("nu/beta is invalid together with lam/omega: give either a power "
                             "law (nu, beta) or an explicit spectrum (lam, omega)")
        if not is_inf(dim) and dim is not None and int(dim) != len(list(lam)):
            raise ValueError(f"dim={dim!r} is invalid: dim must equal len(lam)={len(list(lam))}")
        return Discrete(lam, omega)
    if nu is None:
        raise ValueError("nu=None is invalid: nu must be > 1 (or give lam and omega)")
    if beta is None:
        raise ValueError("beta=None is invalid: beta must be > 0 (or give lam and omega)")
    return PowerLaw(nu, beta, dim)
