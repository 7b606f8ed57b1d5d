"""Exact asymptotic risk at finite context (docs/theory.md §8, case C): ISO, FS (diagonal Γ), RRS (Γ = γI).

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
    U = Σ_k ω_kλ_k r_k r'_k,   V = (1/P) Σ_k a_k² r_k r'_k,   r_k = 1/(a_k + κ(s)).

**The kernel is a divided difference.**  By partial fractions ``r_k r'_k = (r'_k − r_k)/(κ − κ')``,
so ``U = (T(κ') − T(κ))/(κ − κ')`` with ``T(κ) = Σ_k ω_kλ_k/(a_k + κ)``; and since
``Σ a_k² r_k = Σ a_k − κ S₁(κ)`` with ``S₁ = P(1 + s/κ)`` on the fixed point,
``1 − V = (s' − s)/(κ − κ')``.  Hence

    U/(1 − V) = (T(κ(s')) − T(κ(s)))/(s' − s)       (diagonal: dT/ds = −T'(κ)/λ'(κ)),

an O(N²) matrix after N one-point sums, with no sum over modes per pair.  The noise trace
collapses by the fixed point: ``(1/P) Tr[A₀ G(s)] ≍ κ/s + 1``, so the variance is
``σ² ∮ ψ(s)² κ(s) ds/2πi``.

Regimes.  Proportional (``alpha``): ``P = αD`` with ``D`` the number of modes (ISO is one mode
``λ = ω = 1`` with ``P = α``).  Power law at ``dim = inf`` with absolute ``context = P``: the
same equations with absolute sums over infinitely many modes; the one-point sums use an
explicit head of ≤ a few hundred modes and exact tail expansions in ``κ`` (Hurwitz ζ and the
Mellin–Barnes small-κ series, :mod:`solvers.settings.modesums`), so neither memory nor time
grows with P (context 10⁶ costs what context 64 costs).

Contour and arithmetic: :mod:`solvers.settings.contour` (log-ellipse around the non-zero
spectrum plus the residue at s = 0, node count by doubling from 16, independent of γ, L and P;
float64 for ``dps ≤ 15``, mpmath at ``dps`` + guard digits above, with the node values polished
by Newton).  ``error_estimate`` = change under halving the nodes + rounding bound.

Optimal γ: the contour and ``κ`` do not depend on γ, so ``R(γ)`` is a quadratic form in the
filter values with exact ``∂R/∂γ``, ``∂²R/∂γ²``; the sign change of ``∂R/∂γ`` is bracketed and
its root found by the shared driver :mod:`solvers.roots` (safeguarded Newton).  At
``depth = inf`` with no sign change the infimum is the ``γ → ∞`` limit (ridgeless):
``R = (κ₀² U₀ + σ² V₀)/(1 − V₀)`` at ``s = 0``, returned as ``gamma = inf``.
"""
from __future__ import annotations

import math
import time as _time

import mpmath
import numpy as np

from solvers.result import ConvergenceError, Result
from solvers.settings import contour as ct
from solvers.settings import contour_solve as cs
from solvers.settings.modesums import ExplicitSums, HeadTooShort, sums_for
from solvers.spectra import make_spectrum
from solvers.validate import (is_inf, require_alpha_or_context, require_choice, require_dps,
                              require_int, require_nonnegative, require_positive)

__all__ = ["risk", "slope", "optimal_gamma", "kappa", "kappa0", "kappa_gap", "upper_edge",
           "lower_edge", "kappa_on_contour", "Modes", "modes_for", "ridgeless_limit",
           "SETTINGS"]

SETTINGS = ("iso", "fs", "rrs")
EPS = np.finfo(float).eps
FLOAT_DPS = cs.FLOAT_DPS   # dps ≤ this: complex128 arithmetic; above: mpmath


# ---------------------------------------------------------------------------------------------
# modes
# ---------------------------------------------------------------------------------------------
class Modes:
    """Modes ``a_k = g_kλ_k`` with weights ``w_k = ω_kλ_k`` and the context length P (in the units
    of the mode count): ``Modes(a, wl, P)`` for explicit float lists, or from
    :func:`modes_for`.  ``op`` is the one-point problem ``λ(κ) = κ(1 − S(κ)/P)``."""

    def __init__(self, a=None, wl=None, P=None, *, sums=None):
        self.sums = sums if sums is not None else ExplicitSums(a, wl)
        self.P = P
        self.op = ct.OnePoint(self.sums, P)

    def bigger(self):
        return Modes(P=self.P, sums=self.sums.bigger())

    def count(self):
        return self.sums.count


def modes_for(setting, *, P, nu=None, beta=None, dim=math.inf, lam=None, omega=None,
              gshape=None, dps=30, head=None):
    """:class:`Modes` of a call: ISO (one mode, P in units of D), explicit lists, a truncated
    power law (all modes, numpy table) or a power law at ``dim = inf`` (head + exact tails;
    ``head`` = the small-κ head K₁, default 64)."""
    if setting == "iso":
        return Modes(P=P, sums=ExplicitSums([1.0], [1.0]))
    spec = make_spectrum(nu=nu, beta=beta, dim=dim, lam=lam, omega=omega)
    return Modes(P=P, sums=sums_for(spec, gshape, head))


def _grow(fn, modes):
    """``fn(modes)``, with the power-law head doubled while a tail expansion is out of range."""
    for _ in range(12):
        try:
            return modes, fn(modes)
        except HeadTooShort:
            modes = modes.bigger()
    raise ConvergenceError("power-law tail expansion: head did not stabilise",
                           where=f"K1={modes.sums.K1}")


# ---------------------------------------------------------------------------------------------
# the one-point equation on the real axis (compatibility names)
# ---------------------------------------------------------------------------------------------
def kappa0(modes):
    """``κ(λ = 0⁺)``: 0 if the mode count ≤ P, else the root of ``Σ a/(a+κ) = P``."""
    return modes.op.x0


def kappa(modes, lam_ridge):
    """Physical root of ``λ = κ(1 − S₁(κ)/P)`` for a real ridge ``λ > 0`` (in ``(κ₀, ∞)``)."""
    return modes.op.root_real(-float(lam_ridge))


def kappa_gap(modes, lam_ridge):
    """Physical real root for ``−s₋ < λ < 0`` (s inside the spectral gap ``(0, s₋)``)."""
    return modes.op.root_real(-float(lam_ridge))


def upper_edge(modes):
    """``(s₊, κ_c)``: top of the limiting spectrum of ``K₀`` and the critical point of λ(κ)."""
    return modes.op.upper


def lower_edge(modes):
    """``(s₋, κ_c)``: bottom of the non-zero limiting spectrum (0 when there is no gap)."""
    return modes.op.lower


class _Nodes:
    def __init__(self, s, kap):
        self.s, self.kap = s, kap


def kappa_on_contour(modes, center, half, rho, N, log=False):
    """κ at the N nodes of the ellipse with foci ``center ± half`` (in ``log s`` if ``log``),
    continued along the upper half from the left vertex and conjugated (float64)."""
    s, x = ct.continue_upper(modes.op, ct.Layout(log, center, half, rho, False), N)
    return _Nodes(s, x)


# ---------------------------------------------------------------------------------------------
# the risk on a contour
# ---------------------------------------------------------------------------------------------
def _kernel(q):
    """``H_ij = (T_j − T_i)/(s_j − s_i)``, ``H_ii = −T'_i/λ'_i`` (module docstring)."""
    return ct.divided_difference(q.T, q.s, -q.dT / q.dlam, q.ar)


class _Problem(cs.ContourProblem):
    """One (modes, depth, σ²) at ``dps``: :class:`~solvers.settings.contour_solve.ContourProblem`
    with the case-C kernel."""

    def __init__(self, modes, depth, sigma2, dps=FLOAT_DPS, rtol=1e-12):
        super().__init__(modes.op, _kernel, depth, sigma2, dps, rtol, "context")
        self.modes = modes


def ridgeless_limit(modes, sigma2, dps=FLOAT_DPS):
    """``γ → ∞`` at ``L = ∞`` (min-norm interpolation): residue of the double contour at s = 0,
    ``bias = κ₀² U₀/(1 − V₀)``, ``variance = σ² V₀/(1 − V₀)`` with ``U₀ = −T'(κ₀)``,
    ``V₀ = (S₁ + κ₀S₁')/P`` (``Σ a²/(a+κ)² = S₁ + κS₁'``).  Returns (bias, var, κ₀)."""
    op = modes.op
    k0 = op.x0
    if dps > FLOAT_DPS:
        with mpmath.workdps(dps + ct.GUARD):
            P = mpmath.mpf(modes.P)
            if k0 > 0:
                k, (S, dS, T, dT), _ = op.polish(mpmath.mpf(0), mpmath.mpf(k0))
            else:
                k = mpmath.mpf(0)
                S, dS, T, dT = op.sums.values_at_mp(k)
            U0, V0 = -dT, (S + k * dS) / P
            if V0 >= 1:
                return mpmath.inf, mpmath.inf, k
            s2 = mpmath.mpf(sigma2)
            return k * k * U0 / (1 - V0), s2 * V0 / (1 - V0), k
    S, dS, T, dT = (v[0].real for v in op.sums.values_at(np.array([complex(k0)])))
    U0, V0 = -dT, (S + k0 * dS) / float(modes.P)
    if V0 >= 1:  # mode count = P: the interpolator's variance (and bias) blow up
        return math.inf, math.inf, k0
    return k0 * k0 * U0 / (1 - V0), float(sigma2) * V0 / (1 - V0), k0


def _optimal(prob):
    """γ* (root of the exact ∂R/∂γ; ``inf`` for the ridgeless limit) and its quadrature."""
    w0 = prob.modes.sums.w_sum()
    rb, rv, _ = ridgeless_limit(prob.modes, prob.sigma2) if is_inf(prob.depth) else (0, 0, 0)
    # once R(γ) equals the γ → ∞ limit to float64 rounding the sign of R' is noise: the
    # infimum is that limit (decided in float64 at every dps)
    return prob.optimal(at_limit=lambda r: abs(r - (rb + rv)) <= 1e3 * EPS * w0)


# ---------------------------------------------------------------------------------------------
# public entry point
# ---------------------------------------------------------------------------------------------
def require_spectrum_args(setting, nu, beta, lam, omega, gamma_shape):
    """ISO takes no spectrum (nu, beta, lam, omega) and only FS a diagonal ``gamma_shape``:
    anything else is a ValueError naming the argument."""
    if setting == "iso":
        for name, v in (("nu", nu), ("beta", beta), ("lam", lam), ("omega", omega),
                        ("gamma_shape", gamma_shape)):
            if v is not None:
                raise ValueError(f"{name}={v!r} is invalid: {name} must be omitted for "
                                 "setting='iso'")
    elif gamma_shape is not None and setting != "fs":
        raise ValueError(f"gamma_shape is invalid for setting={setting!r} (fs only)")


def _validate(setting, alpha, context, depth, gamma, sigma2, nu, beta, dim, lam, omega, dps,
              gamma_shape):
    setting = require_choice("setting", setting, SETTINGS)
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    sigma2 = require_nonnegative("sigma2", sigma2)
    dps = require_dps(dps)
    alpha, context = require_alpha_or_context(alpha, context)
    require_spectrum_args(setting, nu, beta, lam, omega, gamma_shape)
    if setting == "iso":
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
    if gamma_shape is not None:   # setting is 'fs' here (require_spectrum_args)
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
    dps : digits; ``≤ 15`` uses float64 contour sums (≈ 13–15 digits, fastest), above that the
        contour sums, κ and the optimal γ are computed with mpmath at ``dps`` + guard digits.
    rtol : float64 convergence target of the node doubling.
    alpha = inf: delegated to :mod:`solvers.settings.iso` / :mod:`solvers.settings.rrs` /
    :mod:`solvers.settings.fs`.
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
    gshape, gscale = gamma_shape, gamma
    if isinstance(gamma, list):
        if lam is None and is_inf(dim):
            raise ValueError("gamma=<vector> is invalid with dim=inf")
        gshape, gscale = gamma, 1
    if gshape is not None:
        n = len(lam) if lam is not None else int(dim)
        if len(gshape) != n:
            raise ValueError(f"gamma (length {len(gshape)}) is invalid: a diagonal Gamma needs "
                             f"one entry per mode ({n})")
    modes = modes_for(setting, P=P, nu=nu, beta=beta, dim=dim, lam=lam, omega=omega,
                      gshape=gshape, dps=dps)
    modes, out = _grow(lambda m: _solve(m, depth, sigma2, gscale, dps, rtol), modes)
    bias, var, err, N, lay, g_used, note = out
    mp = dps > FLOAT_DPS
    method = ("double-contour deterministic equivalent (divided-difference kernel), trapezoid "
              f"on an ellipse ({'mpmath, dps+' + str(ct.GUARD) if mp else 'complex128'}; {note})")
    with mpmath.workdps(dps):
        value = bias + var
        if mp and mpmath.isfinite(value):
            err = err + abs(value) * mpmath.mpf(10) ** (-dps)   # rounding to dps digits
        return Result(setting=setting, params=params, risk=+value if mp else value,
                      gamma=+g_used if isinstance(g_used, mpmath.mpf) else g_used,
                      converged=True, error_estimate=+err if mp else err, method=method,
                      dps=dps, iterations=N,
                      extra={"bias": +bias if mp else bias, "variance": +var if mp else var,
                             "nodes": N, "contour": None if lay is None else lay.describe(),
                             "modes_head": int(getattr(modes.sums, "head", 0)), "P": P,
                             "gamma_shape": "diag(gamma)" if isinstance(gamma, list) else
                             ("given" if gamma_shape is not None else "identity"),
                             "working_precision": f"mpmath {dps + ct.GUARD} digits" if mp
                             else "complex128",
                             "seconds": _time.perf_counter() - t0})


def _samples(setting, alpha, context, dim, lam):
    """Context length P: ``alpha`` (ISO), ``context``, or ``alpha`` × the number of modes."""
    if setting == "iso":
        return alpha
    if context is not None:
        return context
    if is_inf(dim) and lam is None:
        raise ValueError("alpha is invalid with dim=inf: a power law needs dim (D, with "
                         "alpha = P/D) or context (absolute P)")
    n = len(lam) if lam is not None else int(dim)
    if isinstance(alpha, mpmath.mpf):
        with mpmath.workdps(80):   # keep an exact decimal alpha exact
            return alpha * n
    return alpha * n


def _solve(modes, depth, sigma2, gamma, dps, rtol):
    mp = dps > FLOAT_DPS
    prob = _Problem(modes, depth, sigma2, dps, rtol)
    note = "gamma given"
    q = None
    if gamma is None:
        g, q = _optimal(prob)
        note = "optimal gamma: root of the exact dR/dgamma (solvers.roots)"
        if is_inf(g):
            gamma = math.inf
            note = "optimal gamma = inf (ridgeless limit, depth = inf)"
        else:
            gamma = g
    if is_inf(gamma):
        if not is_inf(depth):
            return math.inf, 0.0, 0.0, 0, None, math.inf, "gamma = inf diverges at finite depth"
        b, v, _ = ridgeless_limit(modes, sigma2, dps)
        tiny = (mpmath.mpf(10) ** (-dps - 2) if mp else 1e-14) * (b + v)
        return b, v, tiny, 0, None, math.inf, (note if note != "gamma given" else
                                                "ridgeless limit gamma = inf")
    if gamma == 0:
        w0 = modes.sums.w_sum(mp)
        return w0, 0 * w0, 0 * w0, 0, None, 0 * w0, "gamma = 0"
    b, v, err, q = prob.evaluate(gamma, q)
    return b, v, err, q.N, q.lay, gamma, note


class _Slope:
    """``γ ↦ (∂R/∂γ, error)`` and ``γ ↦ (R, error)`` at ``Γ = γI`` for one (modes, depth, σ²),
    float64: the modes, edges and the γ-independent contour data (κ at the nodes and the
    kernel) are built once per contour layout and reused (a gradient flow evaluates it many
    times); error = change against the half-node rule plus the rounding bound."""

    def __init__(self, setting, P, depth, sigma2, spec, rtol):
        self.depth, self.sigma2, self.rtol = depth, float(sigma2), rtol
        self.modes = modes_for(setting, P=P, gshape=None, dps=FLOAT_DPS, **spec)
        self.prob = _Problem(self.modes, depth, sigma2, FLOAT_DPS, rtol)

    def _at(self, gamma, fn):
        for _attempt in range(12):
            try:
                return fn(float(gamma))
            except HeadTooShort:   # a contour reached past the tail expansion: as in risk()
                self.modes = self.modes.bigger()
                self.prob = _Problem(self.modes, self.depth, self.sigma2, FLOAT_DPS, self.rtol)
        raise ConvergenceError("context slope: head of the power law did not stabilise",
                               where=f"K1={self.modes.sums.K1}")

    def __call__(self, gamma):
        return self._at(gamma, self.prob.slope)

    def value(self, gamma):
        """``(R, error)`` at γ."""
        def fn(g):
            if g == 0:
                return self.modes.sums.w_sum(), 0.0
            b, v, err, _ = self.prob.evaluate(g)
            return b + v, err
        return self._at(gamma, fn)


def _slope_fn(setting, *, alpha=None, context=None, depth, sigma2=0, nu=None, beta=None,
              dim=math.inf, lam=None, omega=None, rtol=1e-12):
    """Validated :class:`_Slope` (finite context, Γ = γI)."""
    (setting, alpha, context, depth, _, sigma2, _,
     _) = _validate(setting, alpha, context, depth, None, sigma2, nu, beta, dim, lam, omega,
                    15, None)
    if (alpha is not None and is_inf(alpha)) or (context is not None and is_inf(context)):
        raise ValueError("alpha/context = inf is invalid here: slope is for finite context "
                         "(use solvers.settings.iso / rrs / fs at infinite context)")
    P = _samples(setting, alpha, context, dim, lam)
    spec = dict(nu=nu, beta=beta, dim=dim, lam=lam, omega=omega)
    return _Slope(setting, P, depth, sigma2, spec, rtol)


def slope(setting, gamma, *, alpha=None, context=None, depth, sigma2=0, nu=None, beta=None,
          dim=math.inf, lam=None, omega=None, rtol=1e-12):
    """``(∂R/∂γ, error)`` of :func:`risk` at ``Γ = γI`` and finite context: the exact
    γ-derivative of the contour integrand (``∂_γp = −s p̂``, ``∂_γψ = p̂``) that the optimal-γ
    search roots.  float64 contour sums (relative error ~1e-13)."""
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
