"""ISO setting (spec §3): isotropic covariates and tasks, ``Γ = γ I`` (sympy only).

With ``u = γλ/L`` and ρ_α the Marchenko–Pastur law of ``Σ̂`` (ratio ``c = 1/α``, see
:mod:`theory.mp`), the excess risk of depth ``L`` is

    R(γ; α, σ², L) = ∫ dρ_α(λ) [ (1 − u)^{2L} + (σ²/(αλ)) (1 − (1 − u)^L)² ].

Both integrands are polynomials in λ (``1 − (1 − u)^L = u Σ_{i<L} (1 − u)^i`` carries a factor
λ), so ``R`` is a polynomial of degree ``2L`` in γ whose coefficients are MP moments, i.e.
Narayana polynomials in ``1/α``.  At ``L = ∞`` the integrands become ``e^{−2γλ}`` and
``(σ²/(αλ))(1 − e^{−γλ})²``.
"""
from __future__ import annotations

import functools
import math
from fractions import Fraction

import sympy as sp

from theory import mp, symbols
from theory.parse import sympify_value
from theory.timeout import Timeout, run_with_timeout

__all__ = [
    "bias_integrand", "noise_integrand", "risk_integrand", "bias_integrand_dgamma",
    "noise_integrand_dgamma", "risk_coefficients", "risk_expr", "stationarity_expr",
    "optimal_depth1", "optimal_closed_form", "optimal_noise_free", "infinite_depth_limit",
]

_lam, _gamma, _alpha, _sigma2 = symbols.lam, symbols.gamma, symbols.alpha, symbols.sigma2


def _depth(depth, allow_inf=True):
    """Normalise ``depth`` to a Python int ``≥ 1`` or ``sp.oo``."""
    if isinstance(depth, str) and depth.strip().lower() in ("inf", "infinity", "oo"):
        depth = sp.oo
    if depth is sp.oo or (isinstance(depth, float) and math.isinf(depth) and depth > 0):
        if allow_inf:
            return sp.oo
        raise ValueError(f"depth={depth!r} is invalid: depth must be an integer >= 1 here "
                         "(use infinite_depth_limit() for L = inf)")
    if isinstance(depth, (int, sp.Integer)) and not isinstance(depth, bool) and int(depth) >= 1:
        return int(depth)
    valid = "an integer >= 1" + (" or inf" if allow_inf else "")
    raise ValueError(f"depth={depth!r} is invalid: depth must be {valid}")


def _inverse_ratio(alpha):
    """``c = 1/α`` (``c = 0`` at ``α = ∞``, where ``Σ̂ = I``)."""
    if alpha is sp.oo or (isinstance(alpha, float) and math.isinf(alpha) and alpha > 0):
        return sp.Integer(0)
    alpha = sympify_value(alpha, "alpha")
    if alpha.is_number and not alpha.is_positive:
        raise ValueError(f"alpha={alpha!r} is invalid: alpha must be > 0 or inf")
    return 1 / alpha


def _noise_prefactor(alpha):
    """``1/α`` as it multiplies the noise term (0 at α = ∞)."""
    return _inverse_ratio(alpha)


# --------------------------------------------------------------------------- integrands

def bias_integrand(depth, lam=_lam, gamma=_gamma):
    """``(1 − γλ/L)^{2L}``; at ``L = ∞`` its limit ``e^{−2γλ}``."""
    L = _depth(depth)
    if L is sp.oo:
        return infinite_depth_limit()["bias_integrand"].subs({_lam: lam, _gamma: gamma})
    return (1 - gamma * lam / L) ** (2 * L)


def noise_integrand(depth, lam=_lam, gamma=_gamma, alpha=_alpha, sigma2=_sigma2):
    """``(σ²/(αλ)) (1 − (1 − u)^L)²`` written without the removable ``1/λ``:
    ``(σ²/α) λ (γ/L)² (Σ_{i<L} (1 − u)^i)²``, ``u = γλ/L``.  At ``L = ∞``:
    ``(σ²/(αλ)) (1 − e^{−γλ})²``."""
    L = _depth(depth)
    if L is sp.oo:
        return infinite_depth_limit()["noise_integrand"].subs(
            {_lam: lam, _gamma: gamma, _alpha: alpha, _sigma2: sigma2})
    u = gamma * lam / L
    geometric = sp.Add(*[(1 - u) ** i for i in range(L)])
    return sigma2 * _noise_prefactor(alpha) * lam * (gamma / L) ** 2 * geometric ** 2


def risk_integrand(depth, lam=_lam, gamma=_gamma, alpha=_alpha, sigma2=_sigma2):
    """Bias plus noise integrand (integrate against ρ_α to get the risk)."""
    return bias_integrand(depth, lam, gamma) + noise_integrand(depth, lam, gamma, alpha, sigma2)


def bias_integrand_dgamma(depth, lam=_lam, gamma=_gamma):
    """``∂/∂γ`` of :func:`bias_integrand`: ``−2λ (1 − γλ/L)^{2L−1}`` (``−2λ e^{−2γλ}`` at L = ∞)."""
    return sp.diff(bias_integrand(depth, lam, gamma), gamma)


def noise_integrand_dgamma(depth, lam=_lam, gamma=_gamma, alpha=_alpha, sigma2=_sigma2):
    """``∂/∂γ`` of :func:`noise_integrand`."""
    return sp.diff(noise_integrand(depth, lam, gamma, alpha, sigma2), gamma)


# --------------------------------------------------------------------------- risk polynomial

@functools.lru_cache(maxsize=128)
def _coefficient_polys(L):
    """Coefficients of ``γ^k`` as (bias, noise/σ²) pairs of ``Poly`` in ``c``:
    bias_k = C(2L,k)(−1/L)^k m_k(c); noise_k = c m_{k−1}(c) Σ_{i+j=k} a_i a_j with
    ``1 − (1 − u)^L = Σ_{j=1}^L a_j (γλ)^j``, ``a_j = (−1)^{j+1} C(L,j) / L^j``."""
    c = symbols.c
    a = [sp.Integer(0)] + [sp.Rational((-1) ** (j + 1) * math.comb(L, j), L ** j)
                           for j in range(1, L + 1)]
    m = [sp.Poly(mk, c, domain=sp.QQ) for mk in mp.moments(2 * L, c)]
    c_poly = sp.Poly(c, c, domain=sp.QQ)
    zero = sp.Poly(0, c, domain=sp.QQ)
    out = []
    for k in range(2 * L + 1):
        bias = m[k] * sp.Rational(math.comb(2 * L, k) * (-1) ** k, L ** k)
        pair_sum = sum((a[i] * a[k - i] for i in range(max(1, k - L), min(L, k - 1) + 1)),
                       sp.Integer(0))
        noise = m[k - 1] * c_poly * pair_sum if pair_sum else zero
        out.append((bias, noise))
    return tuple(out)


@functools.lru_cache(maxsize=128)
def _coefficient_numbers(L, c_val):
    """Same pairs as :func:`_coefficient_polys` at a rational ``c`` (exact ``Fraction`` sums,
    much faster than building high-degree polynomials)."""
    c = Fraction(int(c_val.p), int(c_val.q))
    m = [Fraction(1)] + [sum(Fraction(math.comb(k, j) * math.comb(k, j - 1), k) * c ** (j - 1)
                             for j in range(1, k + 1)) for k in range(1, 2 * L + 1)]
    a = [Fraction(0)] + [Fraction((-1) ** (j + 1) * math.comb(L, j), L ** j)
                         for j in range(1, L + 1)]
    out = []
    for k in range(2 * L + 1):
        bias = Fraction(math.comb(2 * L, k) * (-1) ** k, L ** k) * m[k]
        pair_sum = sum((a[i] * a[k - i] for i in range(max(1, k - L), min(L, k - 1) + 1)),
                       Fraction(0))
        noise = pair_sum * c * m[k - 1] if k else Fraction(0)
        out.append((sp.Rational(bias.numerator, bias.denominator),
                    sp.Rational(noise.numerator, noise.denominator)))
    return tuple(out)


def _substitute_c(poly, c_val):
    """Value of a ``Poly`` in c at ``c_val``: Horner for numbers, term by term (no expand) for
    symbolic ``c_val`` such as ``1/α``."""
    if c_val.is_number:
        return poly.eval(c_val)
    return sp.Add(*[coef * c_val ** j for (j,), coef in poly.terms() if coef != 0])


def risk_coefficients(depth, sigma2=_sigma2, alpha=_alpha):
    """``[r_0, …, r_{2L}]`` with ``R(γ) = Σ_k r_k γ^k`` (``r_0 = 1``), each ``r_k`` a polynomial
    in ``1/α`` plus ``σ²`` times one.  Numeric ``alpha``/``sigma2`` give exact rationals."""
    L = _depth(depth, allow_inf=False)
    c_val = _inverse_ratio(alpha)
    if c_val.is_Rational:
        return [b + sigma2 * n for b, n in _coefficient_numbers(L, c_val)]
    return [_substitute_c(b, c_val) + sigma2 * _substitute_c(n, c_val)
            for b, n in _coefficient_polys(L)]


def risk_expr(depth, sigma2=_sigma2, alpha=_alpha, gamma=_gamma):
    """Exact ISO risk ``R(γ; α, σ², L)``: a polynomial of degree ``2L`` in γ (MP moments
    substituted, ``c = 1/α``).  Integer depth only (``L = ∞``: :func:`infinite_depth_limit`)."""
    return sp.Add(*[r * gamma ** k for k, r in enumerate(risk_coefficients(depth, sigma2, alpha))])


def stationarity_expr(depth, sigma2=_sigma2, alpha=_alpha, gamma=_gamma):
    """``∂R/∂γ`` (a polynomial of degree ``2L − 1`` in γ); optimal γ are its real roots."""
    coeffs = risk_coefficients(depth, sigma2, alpha)
    return sp.Add(*[k * r * gamma ** (k - 1) for k, r in enumerate(coeffs) if k >= 1])


# --------------------------------------------------------------------------- optima

def optimal_depth1():
    """Depth-1 optimum derived by sympy: ``R = 1 − 2γ + γ²(1 + (1+σ²)/α)`` is a convex
    quadratic, so ``γ* = α/(α + 1 + σ²)`` and ``R* = (1 + σ²)/(α + 1 + σ²)``.

    Returns ``(gamma_star, risk_star)`` as expressions in ``alpha``, ``sigma2``.
    """
    R = risk_expr(1)
    dR = sp.diff(R, _gamma)
    (root,) = sp.solve(dR, _gamma)
    if not sp.simplify(sp.diff(R, _gamma, 2)).is_positive:
        raise ArithmeticError("depth-1 risk is not strictly convex in gamma")
    return sp.factor(root), sp.factor(sp.simplify(R.subs(_gamma, root)))


_SAMPLES = {
    _alpha: (sp.Rational(1, 5), sp.Rational(1, 2), sp.Integer(1), sp.Integer(2), sp.Integer(7)),
    _sigma2: (sp.Integer(0), sp.Rational(1, 2)),
}


def _sample_points(free):
    """Substitution dicts covering the sample values of every free parameter."""
    points = [{}]
    for sym in free:
        points = [{**p, sym: v} for p in points for v in _SAMPLES[sym]]
    return points


def _matches_global_minimum(R, dR, candidate, subs, dps=40):
    """Is ``candidate`` (after ``subs``) a real, nonnegative root of ``dR`` with the smallest risk
    among all real nonnegative roots of ``dR``?  Checked exactly-then-numerically."""
    poly = sp.Poly(dR.subs(subs), _gamma)
    roots = [r for r in poly.real_roots() if not r.is_negative]
    if not roots:
        return False
    with_risk = [(sp.N(r, dps), sp.N(R.subs(subs).subs(_gamma, r), dps)) for r in roots]
    best = min(v for _, v in with_risk)
    val = sp.N(candidate.subs(subs), dps)
    re, im = val.as_real_imag()
    tol = sp.Float(10) ** (-(dps // 2))
    if abs(im) > tol * (1 + abs(re)) or re < -tol:
        return False
    return any(abs(r - re) <= tol * (1 + abs(re)) and abs(v - best) <= tol * (1 + abs(best))
               for r, v in with_risk)


def _tidy(expr, timeout):
    try:
        return run_with_timeout(lambda: sp.factor(sp.together(expr)), timeout)
    except Timeout:
        return expr


def optimal_closed_form(depth, sigma2=0, alpha=_alpha, timeout=30):
    """Closed-form minimiser of ``R(γ)`` from the real roots of ``∂R/∂γ``, or ``None``.

    * numeric ``alpha`` and ``sigma2``: exact real roots (``CRootOf``) of the stationarity
      polynomial; the one with the smallest risk is returned (any depth);
    * symbolic (``alpha`` = ``symbols.alpha`` and/or ``sigma2`` = ``symbols.sigma2``): ``∂R/∂γ`` is
      factored over ``Q(α, σ²)`` and factors of degree ≤ 4 are solved by radicals (``timeout``
      seconds for each sympy step).  A candidate is accepted only if, at every sample point
      (α ∈ {1/5, 1/2, 1, 2, 7}, σ² ∈ {0, 1/2} when symbolic), it is the real root with the
      smallest risk among *all* real roots of ``∂R/∂γ``; otherwise ``None``.  For ``σ² = 0``
      the bias integrand ``(1 − u)^{2L}`` is strictly convex in γ, so ``∂R/∂γ`` has exactly one
      real root, the global minimiser (see :func:`optimal_noise_free`).

    Returns ``(gamma_star, risk_star)`` or ``None`` when sympy cannot produce a closed form.
    """
    L = _depth(depth, allow_inf=False)
    R = risk_expr(L, sigma2, alpha)
    dR = stationarity_expr(L, sigma2, alpha)
    free = R.free_symbols - {_gamma}
    if not free <= set(_SAMPLES):
        return None
    try:
        if not free:
            roots = [r for r in sp.Poly(dR, _gamma).real_roots() if not r.is_negative]
            if not roots:
                return None
            risks = [R.subs(_gamma, r) for r in roots]
            i = min(range(len(roots)), key=lambda j: sp.N(risks[j], 50))
            return roots[i], risks[i]
        factors = run_with_timeout(lambda: sp.factor_list(sp.together(dR), _gamma)[1], timeout)
        factors = sorted((sp.Poly(f, _gamma) for f, _ in factors if f.has(_gamma)),
                         key=lambda p: p.degree())
        points = _sample_points(free)
        # Low degrees first: a rational/quadratic root is found before any Cardano/Ferrari
        # formula is attempted (those are slow and large with symbolic coefficients).
        for f in factors:
            if f.degree() > 4:
                break
            for root in run_with_timeout(lambda: sp.solve(f.as_expr(), _gamma), timeout):
                if all(_matches_global_minimum(R, dR, root, subs) for subs in points):
                    if f.degree() <= 2:
                        root = _tidy(root, timeout)
                        return root, _tidy(R.subs(_gamma, root), timeout)
                    return root, R.subs(_gamma, root)
    except Timeout:
        return None
    return None


@functools.lru_cache(maxsize=64)
def optimal_noise_free(depth):
    """Noise-free optimum at finite depth: ``γ*_L = L α/(1 + α)``, ``R*_L = R(γ*_L)``.

    Proof: ``∂R/∂γ = −2 ∫ λ (1 − γλ/L)^{2L−1} dρ_α``.  The measure ``λ dρ_α(λ)`` is the
    semicircle ``√((λ₊ − λ)(λ − λ₋)) dλ / (2πc)`` (the ``λ`` cancels the ``1/λ`` of the MP
    density and kills the atom), symmetric about ``(λ₊ + λ₋)/2 = 1 + c``.  At ``γ/L = 1/(1+c)``
    the integrand is an odd power of ``(1 + c − λ)`` against it, so the derivative vanishes;
    ``(1 − u)^{2L}`` is strictly convex in γ, so this unique stationary point is the minimum.
    The step per layer ``1/(1 + c)`` is the inverse of the constant Jacobi diagonal of ρ_α.
    On the support ``|1 − λ/(1 + c)| ≤ 2√c/(1 + c)``, hence
    ``max(0, 1 − α) ≤ R*_L ≤ max(0, 1 − α) + min(1, α) (4α/(1 + α)²)^L``: depth closes the gap to
    the ``L = ∞`` value geometrically (except at α = 1).
    The vanishing is re-checked here with sympy.  Returns ``(gamma_star, risk_star)``.
    """
    L = _depth(depth, allow_inf=False)
    gamma_star = L * _alpha / (1 + _alpha)
    if sp.simplify(stationarity_expr(L, 0).subs(_gamma, gamma_star)) != 0:
        raise ArithmeticError(f"stationarity does not vanish at gamma = L alpha/(1+alpha), L={L}")
    return gamma_star, sp.factor(sp.together(risk_expr(L, 0).subs(_gamma, gamma_star)))


@functools.lru_cache(maxsize=1)
def infinite_depth_limit():
    """The ``L → ∞`` limit, derived with sympy.

    * Integrands: ``lim (1 − γλ/L)^{2L} = e^{−2γλ}`` and
      ``lim (σ²/(αλ))(1 − (1 − γλ/L)^L)² = (σ²/(αλ))(1 − e^{−γλ})²`` (``sympy.limit`` in L).
    * Noise-free optimum: ``∂_γ e^{−2γλ} = −2λ e^{−2γλ} ≤ 0``, so ``R_∞(γ) = ∫ e^{−2γλ} dρ_α``
      decreases in γ and its infimum is the ``γ → ∞`` limit.  Pointwise the integrand tends to
      0 for ``λ > 0`` and equals 1 at ``λ = 0``; it is bounded by 1, so by dominated
      convergence (the continuous part of ρ_α has no mass at 0, even at α = 1 where its edge
      touches 0) the limit is the atom mass: ``R*_∞ = max(0, 1 − α)``, an infimum approached
      as γ → ∞ and attained at no finite γ (the continuous part always contributes > 0).

    Returns a dict with keys ``bias_integrand``, ``noise_integrand``, ``bias_integrand_dgamma``,
    ``optimal_risk_noise_free``, ``optimal_gamma_noise_free`` (``oo``).
    """
    L = symbols.L
    u = _gamma * _lam / L
    bias = sp.limit((1 - u) ** (2 * L), L, sp.oo)
    noise = sp.limit(_sigma2 / (_alpha * _lam) * (1 - (1 - u) ** L) ** 2, L, sp.oo)
    # sympy returns (e^{γλ} − 1)² e^{−2γλ}; fold it to (1 − e^{−γλ})² and confirm the rewrite.
    folded = _sigma2 / (_alpha * _lam) * (1 - sp.exp(-_gamma * _lam)) ** 2
    if sp.simplify(sp.expand(noise - folded)) != 0:
        raise ArithmeticError("unexpected form of the L = inf noise integrand")
    noise = folded
    dbias = sp.diff(bias, _gamma)
    if not dbias.is_nonpositive:
        raise ArithmeticError("L = inf bias integrand is not monotone in gamma")
    at_zero = bias.subs(_lam, 0)                         # 1: the atom does not decay
    continuous_limit = sp.limit(bias, _gamma, sp.oo)     # 0 for every lambda > 0
    c = 1 / _alpha
    optimal = sp.simplify(mp.atom_mass(c) * at_zero + mp.continuous_mass(c) * continuous_limit)
    return {
        "bias_integrand": bias,
        "noise_integrand": noise,
        "bias_integrand_dgamma": dbias,
        "optimal_risk_noise_free": optimal,
        "optimal_gamma_noise_free": sp.oo,
    }
