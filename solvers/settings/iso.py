"""Exact ISO risk (spec §3) at any depth, context ratio and label noise, at a chosen precision.

The risk of L steps of in-context GD with ``Γ = γI`` on isotropic data is an average over the
Marchenko–Pastur law ``ρ_α`` of the sample covariance (ratio ``c = 1/α``):

    R(γ) = ∫ dρ_α(λ) [ (1 − γλ/L)^{2L} + (σ²/(αλ)) (1 − (1 − γλ/L)^L)² ].

Expanding in moments cancels catastrophically at large L, so the default method is a quadrature
that is both exact for the polynomial integrands and stable:

* Split ``f(λ) = f(0) + λ g(λ)``.  ``f(0)`` integrates against the total mass 1 (this is where
  the atom at 0 for ``α < 1`` enters), and on the continuous part ``λ dρ_α(λ)`` becomes, with
  ``λ = 1 + c + 2√c cos θ``, the semicircle weight ``(2/π) sin²θ dθ`` on ``[0, π]``.
* Gauss–Chebyshev (second kind) quadrature with ``n`` nodes ``θ_j = jπ/(n+1)`` is exact for
  ``g`` of degree ``≤ 2n − 1`` in λ: ``n = L`` nodes already integrate depth L exactly.
* ``g`` is evaluated with ``expm1``/``log1p`` so small ``γλ/L`` loses nothing.

The node count doubles from 16 until two rules agree to the working precision, or until the rule
is exact (``n ≥ L + 1``); the reported error estimate is that difference (or the rounding bound).
An independent second method (``method="density-quad"``: adaptive tanh–sinh quadrature of the MP
density in λ plus the atom) is used by the tests to cross-check the first.
The optimal γ solves the exact stationarity condition ``∂R/∂γ = 0`` with a bracketed root-finder.
"""
from __future__ import annotations

import math
from functools import lru_cache

import mpmath

from solvers.cache import register_memo
from solvers.result import ConvergenceError, Result
from solvers.roots import expand_bracket, find_root
from solvers.validate import (is_inf, require_choice, require_dps, require_int,
                              require_nonnegative, require_positive)

GUARD_DIGITS = 10
_N_START = 16
_N_MAX = 1 << 16
#: L = ∞, σ² = 0: beyond this γ the risk comes from the closed-form slope (Bessel I_1)
_LAPLACE_FROM = 20
METHODS = ("gauss-chebyshev", "density-quad")


def _mp(x):
    return mpmath.inf if is_inf(x) else mpmath.mpf(x)


@register_memo
@lru_cache(maxsize=256)
def _nodes(n: int, c_key: str, prec: int):
    """λ_j and weights (2/(n+1)) sin²θ_j of the n-point rule, at binary precision ``prec``."""
    with mpmath.workprec(prec):
        c = mpmath.mpf(c_key)
        sc = mpmath.sqrt(c)
        lams, weights = [], []
        for j in range(1, n + 1):
            th = mpmath.pi * j / (n + 1)
            s = mpmath.sin(th)
            lams.append(1 + c + 2 * sc * mpmath.cos(th))
            weights.append(2 * s * s / (n + 1))
        return tuple(lams), tuple(weights)


class _Kernel:
    """Per-node integrand values, for the rule's weights ``w_j`` of the measure ``λ dρ_cont``.

    ``which="value"`` gives ``(bias_split, bias_pos, variance)``: ``bias_split = ((1−u)^{2L} −
    1)/λ`` (polynomial: exact rule, but 1 + Σ cancels when R ≪ 1), ``bias_pos = (1−u)^{2L}/λ``
    (positive: no cancellation, geometric convergence) and ``variance = (σ²/α)(q/λ)²`` with
    ``q = 1 − (1−u)^L``.  ``which="slope"`` gives ``(dbias, dvariance) = (−2(1−u)^{2L−1},
    2(σ²/α)(q/λ)(1−u)^{L−1})``, the γ-derivatives.  All but ``bias_pos`` are polynomials in λ.
    With ``x = L log1p(−u)``, ``e = expm1(x)`` and ``p = exp(x)``: ``(1−u)^{2L} − 1 = e(2 + e)``
    keeps full precision for small u and ``p`` keeps its relative precision when tiny.
    """

    def __init__(self, depth, noise):  # noise = σ²/α
        self.L = depth
        self.noise = noise

    def _powers(self, gamma, lam):
        """(e, p, r): e = (1−u)^L − 1, p = (1−u)^L, r = 1/(1−u) (None when u = 1)."""
        L = self.L
        # p is computed on its own (not as 1 + e): when (1−u)^L is tiny, 1 + e would lose it
        if L == mpmath.inf:
            x = -gamma * lam
            return mpmath.expm1(x), mpmath.exp(x), mpmath.mpf(1)  # (1−u)^{L−1} → (1−u)^L
        u = gamma * lam / L
        if u < 1:
            x = L * mpmath.log1p(-u)
            return mpmath.expm1(x), mpmath.exp(x), 1 / (1 - u)
        p = (1 - u) ** int(L)
        return p - 1, p, (1 / (1 - u) if u != 1 else None)

    def value(self, gamma, lam):
        e, p, _ = self._powers(gamma, lam)
        q_over = -e / lam
        return (e * (2 + e) / lam, p * p / lam, self.noise * q_over * q_over)

    def slope(self, gamma, lam):
        e, p, r = self._powers(gamma, lam)
        q_over = -e / lam
        if r is None:  # u = 1 exactly: (1−u)^{m} = 0 for m ≥ 1, and 1 for m = 0 (L = 1)
            half = mpmath.mpf(1) if self.L == 1 else mpmath.mpf(0)
            return (mpmath.mpf(0) if self.L > 0 else 0, 2 * self.noise * q_over * half)
        half = p * r
        return (-2 * p * half, 2 * self.noise * q_over * half)


class _IsoIntegrator:
    """Adaptive (doubling) Gauss–Chebyshev evaluation of R (with its bias/variance split) and of
    ∂R/∂γ."""

    def __init__(self, alpha, depth, sigma2, dps):
        self.alpha = alpha
        self.depth = depth
        self.dps = dps
        self.wdps = dps + GUARD_DIGITS
        with mpmath.workdps(self.wdps):
            self.c = 1 / alpha
            self.noise = sigma2 / alpha
            self.atom = max(mpmath.mpf(0), 1 - alpha)
            self.c_key = mpmath.nstr(self.c, self.wdps + 5)
        self.kernel = _Kernel(depth, self.noise)
        self.n_exact = None if depth == mpmath.inf else int(depth) + 1
        self._hint = {"value": _N_START, "slope": _N_START, "slope_var": _N_START}
        self.evaluations = 0

    def _rule(self, n, gamma, which):
        """Sums and absolute sums (the scale for relative tolerances) of every part."""
        lams, weights = _nodes(n, self.c_key, mpmath.mp.prec)
        if which == "slope_var":   # the variance part of the slope alone (L = ∞, see slope)
            f = lambda g, l: self.kernel.slope(g, l)[1:]  # noqa: E731
        else:
            f = self.kernel.value if which == "value" else self.kernel.slope
        nparts = {"value": 3, "slope": 2, "slope_var": 1}[which]
        sums = [mpmath.mpf(0)] * nparts
        scales = [mpmath.mpf(0)] * nparts
        for lam, w in zip(lams, weights):
            vals = f(gamma, lam)
            for i in range(nparts):
                term = w * vals[i]
                sums[i] += term
                scales[i] += abs(term)
        if which == "value" and self.c == 1:
            # At α = 1 the pole of 1/λ sits on the endpoint θ = π, where sin²θ/λ(θ) → 1: the
            # trapezoid rule then needs its (half-weighted) endpoint term, f_bias(0)·1/(n+1).
            sums[1] += mpmath.mpf(1) / (n + 1)
            scales[1] += mpmath.mpf(1) / (n + 1)
        self.evaluations += n
        return sums, scales

    def _adapt(self, gamma, which, accept):
        """Double the node count until ``accept(prev, cur, diffs, ok, exact)`` returns a result."""
        with mpmath.workdps(self.wdps):
            gamma = mpmath.mpf(gamma)
            tol = mpmath.mpf(10) ** (-(self.dps + 3))
            n = self._hint[which]
            if self.n_exact is not None:
                n = min(n, self.n_exact)
            prev = self._rule(n, gamma, which)
            while True:
                if 2 * n > _N_MAX:
                    raise ConvergenceError(
                        "ISO quadrature did not converge",
                        where=f"gamma={mpmath.nstr(gamma, 8)}, alpha={mpmath.nstr(self.alpha, 8)}, "
                              f"depth={self.depth}, nodes={n}")
                cur = self._rule(2 * n, gamma, which)
                exact = self.n_exact is not None and n >= self.n_exact
                diffs = [abs(a - b) for a, b in zip(prev[0], cur[0])]
                ok = [d <= tol * sc for d, sc in zip(diffs, cur[1])]
                out = accept(cur, diffs, ok, exact, 2 * n)
                if out is not None:
                    self._hint[which] = max(_N_START, n)
                    return out
                prev, n = cur, 2 * n

    def _bias_slope_inf(self, gamma):
        """L = ∞: ``∂R_bias/∂γ = −2∫λe^{−2γλ}dρ = −4e^{−2γ(1+c)} I_1(z)/z``, ``z = 4γ√c``, since
        ``λ dρ_cont = (2/π) sin²θ dθ`` and ``(1/π)∫_0^π e^{z cos θ} sin²θ dθ = I_1(z)/z`` (the
        atom at λ = 0 does not move).  Closed form: no node count grows with γ."""
        with mpmath.workdps(self.wdps):
            g = mpmath.mpf(gamma)
            if g == 0:
                return mpmath.mpf(-2), mpmath.mpf(0)
            z = 4 * g * mpmath.sqrt(self.c)
            v = -4 * mpmath.exp(-2 * g * (1 + self.c)) * mpmath.besseli(1, z) / z
            return v, abs(v) * mpmath.mpf(10) ** (-(self.wdps - 3))

    def _bias_tail_inf(self, gamma):
        """L = ∞: ``R_bias(γ) = (1 − α)_+ + ∫_γ^∞ (−∂R_bias/∂g) dg`` (the continuous part decays
        to 0), by tanh–sinh quadrature of the closed-form slope: ``(value, error)``."""
        with mpmath.workdps(self.wdps):
            g0 = mpmath.mpf(gamma)
            b = 2 * (1 - mpmath.sqrt(self.c)) ** 2
            # the slope decays like g^{−3/2}e^{−bg}: with g = γ/u² (bγ < 1) or g = γ − log(u)/b
            # the integrand in u ∈ (0, 1] is smooth and flat at u = 0 (Gauss–Legendre)
            if b * g0 < 1:
                def f(u):
                    return -self._bias_slope_inf(g0 / (u * u))[0] * 2 * g0 / u ** 3
            else:
                def f(u):
                    return -self._bias_slope_inf(g0 - mpmath.log(u) / b)[0] / (b * u)
            val, err = mpmath.quad(lambda u: f(u) if u > 0 else mpmath.mpf(0), [0, 1],
                                   error=True, method="gauss-legendre")
            return self.atom + val, abs(err) + abs(val) * mpmath.mpf(10) ** (-(self.wdps - 3))

    def value(self, gamma):
        """``(bias, variance, error_estimate, nodes, exact)`` of R(γ)."""
        rounding = mpmath.mpf(10) ** (-(self.wdps - 2))
        if self.depth == mpmath.inf and self.noise == 0 and gamma > _LAPLACE_FROM:
            # the rule's node count grows like √γ here; the closed-form slope does not
            bias, err = self._bias_tail_inf(gamma)
            tol = mpmath.mpf(10) ** (-(self.dps + 3))
            if err <= tol * bias:
                return bias, mpmath.mpf(0), err, 0, False
        floor = mpmath.mpf(10) ** (-(GUARD_DIGITS - 2))

        def accept(cur, diffs, ok, exact, n):
            if not (exact or ok[2]):
                return None
            var_err = rounding * cur[1][2] + (0 if exact else diffs[2])
            split = 1 + cur[0][0]
            if (exact or ok[0]) and split > floor:
                err = rounding * (1 + cur[1][0]) + (0 if exact else diffs[0])
                return split, cur[0][2], err + var_err, n, exact
            if ok[1]:
                pos = self.atom + cur[0][1]
                return pos, cur[0][2], diffs[1] + rounding * pos + var_err, n, False
            return None

        return self._adapt(gamma, "value", accept)

    def slope(self, gamma):
        """``(∂R/∂γ, error_estimate)``."""
        rounding = mpmath.mpf(10) ** (-(self.wdps - 2))
        if self.depth == mpmath.inf:   # closed-form bias part; the variance part by the rule
            b, be = self._bias_slope_inf(gamma)
            if self.noise == 0:
                return b, be

            def accept_var(cur, diffs, ok, exact, n):
                if not ok[0]:
                    return None
                return cur[0][0], rounding * cur[1][0] + diffs[0]
            v, ve = self._adapt(gamma, "slope_var", accept_var)
            return b + v, be + ve

        def accept(cur, diffs, ok, exact, n):
            if not (exact or all(ok)):
                return None
            err = rounding * (cur[1][0] + cur[1][1]) + (0 if exact else diffs[0] + diffs[1])
            return cur[0][0] + cur[0][1], err

        return self._adapt(gamma, "slope", accept)


def _density_quad(alpha, depth, sigma2, gamma, dps):
    """Second, independent method: tanh–sinh quadrature of the MP density in λ plus the atom."""
    with mpmath.workdps(dps + GUARD_DIGITS):
        alpha, gamma = mpmath.mpf(alpha), mpmath.mpf(gamma)
        c = 1 / alpha
        lo, hi = (1 - mpmath.sqrt(c)) ** 2, (1 + mpmath.sqrt(c)) ** 2

        def dens(lam):
            return mpmath.sqrt((hi - lam) * (lam - lo)) / (2 * mpmath.pi * c * lam)

        def f(lam):
            if depth == mpmath.inf:
                b = mpmath.exp(-2 * gamma * lam)
                q = -mpmath.expm1(-gamma * lam)
            else:
                u = gamma * lam / depth
                b = (1 - u) ** (2 * depth)
                q = 1 - (1 - u) ** depth
            return b + sigma2 / (alpha * lam) * q * q

        # λ = lo + s² and λ = hi − s² remove the square-root edges (and, at α = 1, the 1/√λ
        # pole at 0) so tanh–sinh sees smooth integrands on both halves
        mid = (lo + hi) / 2
        left, e1 = mpmath.quad(lambda s: 2 * s * f(lo + s * s) * dens(lo + s * s),
                               [0, mpmath.sqrt(mid - lo)], error=True)
        right, e2 = mpmath.quad(lambda s: 2 * s * f(hi - s * s) * dens(hi - s * s),
                                [0, mpmath.sqrt(hi - mid)], error=True)
        cont, err = left + right, e1 + e2
        atom = max(mpmath.mpf(0), 1 - alpha)  # f(0) = 1 (bias), variance integrand → 0
        return cont + atom, err


def _validate(alpha, depth, sigma2, gamma, dps):
    alpha = require_positive("alpha", alpha, allow_inf=True)
    depth = require_int("depth", depth, minimum=1, allow_inf=True)
    sigma2 = require_nonnegative("sigma2", sigma2)
    if gamma is not None:
        gamma = require_nonnegative("gamma", gamma, allow_inf=True)
    dps = require_dps(dps)
    return alpha, depth, sigma2, gamma, dps


def _params(alpha, depth, sigma2, gamma):
    p = {"alpha": alpha, "depth": depth, "sigma2": sigma2}
    if gamma is not None:
        p["gamma"] = gamma
    return p


def risk(alpha, depth, sigma2=0, gamma=None, dps=30, method="gauss-chebyshev") -> Result:
    """Exact asymptotic ISO risk ``R(γ; α, σ², L)`` (excess error, zero predictor = 1).

    Parameters
    ----------
    alpha : context ratio ``P/D`` (> 0 or inf).  depth : L (integer ≥ 1 or inf).
    sigma2 : label-noise variance σ² ≥ 0.  gamma : ``Γ = γI``; ``None`` = the optimal γ.
    dps : decimal digits of the result.  method : ``"gauss-chebyshev"`` (default, stable and
        exact for finite depth) or ``"density-quad"`` (independent check; needs ``gamma``).

    Returns a :class:`~solvers.result.Result` with ``risk``, ``gamma``, ``error_estimate``,
    ``converged`` and, in ``extra``, the ``bias`` / ``variance`` split and the node count.
    """
    alpha, depth, sigma2, gamma, dps = _validate(alpha, depth, sigma2, gamma, dps)
    require_choice("method", method, METHODS)
    params = _params(alpha, depth, sigma2, gamma)
    with mpmath.workdps(dps + GUARD_DIGITS):
        a, L = _mp(alpha), _mp(depth)
        s2 = mpmath.mpf(sigma2)
        if gamma is None:
            return _optimal(a, L, s2, dps, params, method)
        g = _mp(gamma)
        if method == "density-quad":
            if a == mpmath.inf or g == mpmath.inf:
                raise ValueError("method='density-quad' needs finite alpha and gamma")
            value, err = _density_quad(a, L, s2, g, dps)
            return _result(params, value, g, err, "density-quad (tanh-sinh)", dps,
                           converged=err < mpmath.mpf(10) ** (-dps))
        return _risk_at(a, L, s2, g, dps, params)


def _result(params, value, gamma, err, method, dps, converged=True, iterations=None, **extra):
    # the returned value is rounded to ``dps`` digits: that rounding belongs in the error bound
    if mpmath.isfinite(value):
        err = mpmath.mpf(err) + abs(value) * mpmath.mpf(10) ** (-dps)
    with mpmath.workdps(dps):
        return Result(setting="iso", params=params, risk=+value, gamma=+gamma if gamma is not None
                      else None, converged=converged, error_estimate=+mpmath.mpf(err),
                      method=method, dps=dps, iterations=iterations,
                      extra={k: (+v if isinstance(v, mpmath.mpf) else v) for k, v in extra.items()})


def _risk_at(a, L, s2, g, dps, params):
    if a == mpmath.inf:  # Σ̂ = I exactly; the variance term carries a 1/α factor and vanishes
        if g == mpmath.inf:
            value = mpmath.mpf(0) if L == mpmath.inf else mpmath.inf
        elif L == mpmath.inf:
            value = mpmath.exp(-2 * g)
        else:
            value = (1 - g / L) ** (2 * int(L))
        return _result(params, value, g, 0, "closed form (alpha=inf)", dps,
                       bias=value, variance=mpmath.mpf(0))
    if g == mpmath.inf:
        if L != mpmath.inf:
            value = mpmath.inf  # (1 − γλ/L)^{2L} diverges
            return _result(params, value, g, 0, "limit gamma->inf", dps)
        atom = max(mpmath.mpf(0), 1 - a)
        variance = s2 / a * _inv_lambda_mass(a) if s2 > 0 else mpmath.mpf(0)
        return _result(params, atom + variance, g, 0, "limit gamma->inf", dps,
                       bias=atom, variance=variance)
    integ = _IsoIntegrator(a, L, s2, dps)
    bias, var, err, n, exact = integ.value(g)
    return _result(params, bias + var, g, err, "gauss-chebyshev" + (" (exact)" if exact else ""),
                   dps, iterations=n, bias=bias, variance=var, nodes=n)


def _inv_lambda_mass(a):
    """∫ dρ_cont(λ)/λ: the L=∞, γ→∞ variance weight (min-norm least squares), finite for α≠1."""
    if a == 1:
        return mpmath.inf
    # in the θ-form: ∫ λ⁻² (λ dρ_cont) = ∫ (2/π) sin²θ / λ(θ)² dθ (smooth and periodic)
    c = 1 / a
    sc = mpmath.sqrt(c)
    val = mpmath.quad(lambda th: 2 / mpmath.pi * mpmath.sin(th) ** 2
                      / (1 + c + 2 * sc * mpmath.cos(th)) ** 2, [0, mpmath.pi])
    return val


def _optimal(a, L, s2, dps, params, method):
    if method != "gauss-chebyshev":
        raise ValueError("gamma=None (optimal gamma) is computed with method='gauss-chebyshev'")
    if a == mpmath.inf:
        g = L  # (1 − γ/L)^{2L} vanishes at γ = L; at L = ∞, e^{−2γ} → 0 as γ → ∞
        return _result(params, mpmath.mpf(0), g, 0, "closed form (alpha=inf)", dps,
                       bias=mpmath.mpf(0), variance=mpmath.mpf(0))
    integ = _IsoIntegrator(a, L, s2, dps)

    slope = integ.slope

    if L == mpmath.inf and s2 == 0:
        # ∂R/∂γ = −2∫e^{−2γλ}λ dρ < 0 for every γ: the infimum is the γ → ∞ limit
        if slope(mpmath.mpf(1) / (1 + 1 / a))[0] < 0:
            return _risk_at(a, L, s2, mpmath.inf, dps, params)
    # a float64 root of the log-form stationarity condition, then a bracketed mpmath polish in
    # a tight bracket around it; if the float root cannot be bracketed, the full search: the
    # depth-1 noise-free optimum as a start, grown until ∂R/∂γ > 0
    root = None
    g_f = _float_optimum(a, L, s2)
    if g_f is not None:
        for delta in ("1e-9", "1e-6"):
            lo, hi = g_f * (1 - mpmath.mpf(delta)), g_f * (1 + mpmath.mpf(delta))
            s_lo, s_hi = slope(lo), slope(hi)
            if s_lo[0] < 0 < s_hi[0]:
                root = find_root(slope, lo, hi, rtol=mpmath.mpf(10) ** (-(dps + 2)),
                                 where="optimal gamma (dR/dgamma)")
                break
    if root is None:
        lo, hi = expand_bracket(slope, mpmath.mpf(1) / (1 + 1 / a), lo=mpmath.mpf(0),
                                max_steps=4000, where="optimal gamma (dR/dgamma)")
        root = find_root(slope, lo, hi, rtol=mpmath.mpf(10) ** (-(dps + 2)),
                         where="optimal gamma (dR/dgamma)")
    g, iters = root.root, root.iterations
    if hi == lo:
        lo = hi = g
    s_g, err_s = slope(g)
    # |∂R/∂γ| at the root must be at the quadrature noise level relative to the bracket scale
    if not (lo <= g <= hi) or abs(s_g) > mpmath.mpf(10) ** (-(dps - 2)) * max(1, abs(hi)):
        raise ConvergenceError("optimal-gamma root-finder did not converge",
                               where=f"bracket [{mpmath.nstr(lo, 8)}, {mpmath.nstr(hi, 8)}]",
                               residual=s_g)
    res = _risk_at(a, L, s2, g, dps, params)
    return Result(**{**res.__dict__, "method": "bracketed root of dR/dgamma + " + res.method,
                     "extra": {**res.extra, "stationarity_residual": +s_g,
                               "root_iterations": iters}})


def _float_slope_log_parts(gamma, a, L, s2, n):
    """``(log P, log N)`` with ``∂R/∂γ = P − N`` (positive and negative node contributions of
    the n-point Gauss–Chebyshev rule), in float64 logs so that ``(1 − u)^{2L}`` never over- or
    underflows."""
    import numpy as np
    c = 1.0 / a
    th = np.pi * np.arange(1, n + 1) / (n + 1)
    lam = 1 + c + 2 * np.sqrt(c) * np.cos(th)
    lw = np.log(2 * np.sin(th) ** 2 / (n + 1))
    noise = s2 / a
    logs, signs = [], []
    if math.isinf(L):
        logs.append(lw + np.log(2) - 2 * gamma * lam)                   # −2e^{−2γλ}
        signs.append(-np.ones(n))
        if noise > 0:
            q = -np.expm1(-gamma * lam)
            logs.append(lw + np.log(2 * noise) + np.log(q / lam) - gamma * lam)
            signs.append(np.ones(n))
    else:
        u = gamma * lam / L
        one_u = 1 - u
        with np.errstate(divide="ignore"):
            l1 = np.log(np.abs(one_u))
        s1 = np.sign(one_u)
        logs.append(lw + np.log(2) + (2 * L - 1) * l1)                 # −2(1 − u)^{2L−1}
        signs.append(-s1)
        if noise > 0:
            # q = 1 − (1 − u)^L: expm1 where |L log(1−u)| is moderate, the dominant term beyond
            xl = L * l1
            sL = s1 ** (int(L) % 2)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                q = np.where(xl < 600, 1 - sL * np.exp(np.minimum(xl, 600)), -sL)
                lq = np.where(xl < 600, np.log(np.abs(q)), xl)
            sq = np.sign(q)
            sL1 = s1 ** ((int(L) - 1) % 2)
            logs.append(lw + np.log(2 * noise) + lq - np.log(lam) + (L - 1) * l1)
            signs.append(sq * sL1)
    lg = np.concatenate(logs)
    sg = np.concatenate(signs)
    ok = np.isfinite(lg) & (sg != 0)
    lg, sg = lg[ok], sg[ok]

    def lse(v):
        if v.size == 0:
            return -math.inf
        m = v.max()
        return float(m + np.log(np.sum(np.exp(v - m))))
    return lse(lg[sg > 0]), lse(lg[sg < 0])


def _float_optimum(a, L, s2):
    """float64 root of ``log P − log N`` (:func:`_float_slope_log_parts`), or None.  The node
    count is ``L + 1`` (exact) up to 4096, else doubled from 256 until the root is stable."""
    from scipy.optimize import brentq
    try:
        af, s2f = float(a), float(s2)
        Lf = math.inf if L == mpmath.inf else int(L)
    except (OverflowError, ValueError):
        return None
    if not (af > 0 and math.isfinite(af)):
        return None
    ns = [Lf + 1] if not math.isinf(Lf) and Lf + 1 <= 4096 else [256 * 2 ** i for i in range(9)]
    prev = None
    for n in ns:
        def h(g):
            lp, ln = _float_slope_log_parts(g, af, Lf, s2f, n)
            return lp - ln
        lo, hi = 0.0, 1.0 / (1 + 1 / af)
        for _ in range(200):
            v = h(hi)
            if v > 0:
                break
            lo, hi = hi, 2 * hi
        else:
            return None
        if not math.isfinite(h(hi)) or (lo > 0 and not h(lo) < 0):
            return None
        lo = lo if lo > 0 else hi / 2 ** 60
        if not h(lo) < 0:
            return None
        g = brentq(h, lo, hi, xtol=1e-300, rtol=1e-15, maxiter=400)
        if prev is not None and abs(g - prev) <= 1e-12 * g:
            return mpmath.mpf(g)
        prev = g
        if len(ns) == 1:
            return mpmath.mpf(g)
    return None


def optimal_gamma(alpha, depth, sigma2=0, dps=30):
    """Optimal γ (the minimiser of R) — the ``gamma`` of :func:`risk` with ``gamma=None``."""
    return risk(alpha, depth, sigma2=sigma2, gamma=None, dps=dps).gamma


def landscape(alpha, depth, gammas, sigma2=0, dps=30):
    """Risks along a list of γ values (one :class:`Result` each)."""
    return [risk(alpha, depth, sigma2=sigma2, gamma=g, dps=dps) for g in gammas]


__all__ = ["risk", "optimal_gamma", "landscape", "METHODS"]
