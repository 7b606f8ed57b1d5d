"""Scaling exponents of the power-law (source/capacity) regime, derived symbolically (spec §6).

Spectrum: ``λ_k = k^{−ν}``, ``ω_kλ_k = k^{−νβ−1}`` (the ``1/ζ(νβ+1)`` normalisation is a constant
and drops out of every exponent).  Every law below is derived, not tabulated, by one piece of
power counting applied to the exact mode sums (:func:`mode_sum_scaling`):

* replace ``Σ_k f(k; s)`` by ``∫ dk``; solve the cutoff condition (e.g. ``γλ_k = 1``) for ``k*(s)``;
  substitute ``k = k* u`` so the integral factorises as ``s^{e} ∫ g(u) du`` (sympy finds ``e`` as
  the logarithmic derivative in ``s``, which must be free of ``u``);
* the ``u``-integral converges when the leading powers of ``g`` at ``u → 0`` (head) and
  ``u → ∞`` (tail) allow it; if the head end diverges the sum is dominated by the first modes
  (``k = O(1)``) and scales with the fixed-``k`` power of ``s`` instead.  The law is the slower of
  the two, and the saturation condition is exactly the divergence of the head integral.

Resources are then chained through the flows/fixed points with sympy (``dsolve``-free: the flow
``dγ/dt ∝ γ^p`` is integrated by ``sympy.integrate`` and inverted; the width/context equation
``Σ λ_k/(κ+λ_k) = N`` is a power law ``N ∝ κ^{e}`` inverted by ``sympy.solve``).

Conventions: every exponent returned here is a *decay* exponent ``a`` with ``R ∝ r^{−a}``, and
cutoff exponents ``c`` mean ``k* ∝ r^{c}``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

from theory.cache import disk_cached
from theory.parse import sympify_value
from theory.symbols import L, N, P, beta, gamma, k, nu, t

__all__ = [
    "Exponent", "SumScaling", "leading_power", "log_slope", "mode_sum_scaling", "power_law_modes",
    "risk_vs_gamma", "gamma_rate", "time_exponent", "time_exponent_rrs", "time_exponent_full",
    "time_exponent_fs", "fs_mode_factor", "depth_exponent_rrs", "ridge_exponent", "width_exponent",
    "context_exponent", "exponents", "FS_TIME_PAPER", "VALID",
]

#: dummy variables of the derivations (scaled mode index, generic scale, effective ridge)
u = sp.Symbol("u", positive=True)
s = sp.Symbol("s", positive=True)
kappa = sp.Symbol("kappa", positive=True)
#: reparameterisation power: γ = w^m (m = 1 reduced Γ, m = 5 full attention weights)
m = sp.Symbol("m", positive=True)

#: domain of the power-law regime (spec §6)
VALID = sp.And(nu > 1, beta > 0)

#: the time exponent of the FS law as printed in the paper (spec §4 flags it as wrong)
FS_TIME_PAPER = beta / (nu + nu * beta + 1)


@dataclass(frozen=True)
class Exponent:
    """A derived scaling law ``quantity ∝ resource^{−expr}`` valid where ``condition`` holds.

    ``cutoff``: exponent ``c`` of the last learned mode, ``k* ∝ resource^{c}`` (None if the law
    has no cutoff).  ``regimes``: the same law as a Piecewise over its regimes (e.g. saturation).
    """

    name: str
    resource: sp.Symbol
    expr: sp.Expr
    condition: sp.Boolean = sp.true
    cutoff: sp.Expr | None = None
    regimes: sp.Expr | None = None
    note: str = ""

    def subs(self, values):
        """Numeric (or symbolic) value of the exponent at ``values`` = {nu: .., beta: ..}."""
        return sp.simplify(self.expr.subs(values))


@dataclass(frozen=True)
class SumScaling:
    """Power counting of ``Σ_k f(k; s) ≈ ∫ dk f``: ``s``-power of the scaling region and of the
    head modes, convergence conditions of the scaling integral ``∫ g(u) du``."""

    scale_power: sp.Expr        # Σ ∝ s^{scale_power} when the scaling integral converges
    head_power: sp.Expr         # f(k; s) ∝ s^{head_power} at fixed k (first modes)
    cutoff: sp.Expr             # k* ∝ s^{cutoff}
    g: sp.Expr                  # scaling function, Σ ≈ s^{scale_power} ∫_0^∞ g(u) du
    head_converges: sp.Boolean  # ∫_0 g converges
    tail_converges: sp.Boolean  # ∫^∞ g converges (else the sum itself diverges)
    power: sp.Expr = field(default=None)  # the law: scaling power or head power, whichever rules
    regimes: sp.Expr = field(default=None)


def _simplify_exponents(expr):
    """Simplify every exponent (``s^{a/c + b/c − 1}`` → ``s^0``) bottom-up."""
    return expr.replace(lambda e: e.is_Pow and not e.exp.is_number,
                        lambda e: sp.Pow(e.base, sp.factor(sp.together(e.exp))))


def _clean(expr):
    expr = sp.powsimp(sp.expand_power_base(expr, force=True), force=True)
    expr = _simplify_exponents(expr)
    expr = sp.simplify(sp.powsimp(sp.expand_power_base(expr, force=True), force=True))
    return _simplify_exponents(sp.powsimp(sp.expand_power_base(expr, force=True), force=True))


def log_slope(expr, x):
    """``x ∂_x log expr`` simplified; constant in ``x`` exactly when ``expr`` is a power of ``x``."""
    d = x * sp.diff(sp.log(expr), x)
    return sp.simplify(sp.expand_log(sp.expand_power_base(sp.expand(d), force=True), force=True))


def leading_power(expr, x, at):
    """Leading power ``p`` with ``expr ≍ x^p`` as ``x → at`` (``at`` is 0 or ``oo``), by power counting.

    Handles products, powers with ``x``-free exponents, sums (largest power at ∞, smallest at 0)
    and exponentials (``±oo`` when ``exp`` decays/grows faster than any power).  Symbolic exponents
    are compared under the symbols' assumptions; an undecidable comparison raises ValueError.
    """
    expr = sp.sympify(expr, strict=True)  # never parse text
    if not expr.has(x):
        return sp.Integer(0)
    if expr == x:
        return sp.Integer(1)
    if expr.is_Mul:
        return sp.Add(*[leading_power(a, x, at) for a in expr.args])
    if expr.is_Pow:
        b, e = expr.args
        if e.has(x):
            raise ValueError(f"cannot power-count {expr}: exponent depends on {x}")
        return sp.simplify(e * leading_power(b, x, at))
    if isinstance(expr, sp.exp):
        arg = expr.args[0]
        p = leading_power(arg, x, at)
        grows = (p > 0) if at == sp.oo else (p < 0)
        if grows == sp.true:
            # the argument diverges; its sign decides super-polynomial growth or decay
            sign = sp.sign(sp.limit(arg / x**p, x, at))
            return (-sp.oo if sign < 0 else sp.oo) * (1 if at == sp.oo else -1)
        return sp.Integer(0)
    if expr.is_Add:
        powers = [leading_power(a, x, at) for a in expr.args]
        best = powers[0]
        for q in powers[1:]:
            cmp = (q > best) if at == sp.oo else (q < best)
            cmp = sp.simplify(cmp)
            if cmp not in (sp.true, sp.false):
                if sp.simplify(q - best) == 0:
                    continue
                raise ValueError(f"cannot order the powers {best} and {q} of {x} in {expr}")
            if cmp == sp.true:
                best = q
        return best
    raise ValueError(f"cannot power-count {expr} in {x}")


def _drop_positive_factors(cond):
    """``ν(β − 2) < 0`` → ``β − 2 < 0``: divide a relational ``expr ⋛ 0`` by its positive factors."""
    if not isinstance(cond, sp.core.relational.Relational) or cond.rhs != 0:
        return cond
    lhs = sp.factor(cond.lhs)
    if lhs.is_Mul:
        kept = [f for f in lhs.args if not f.is_positive]
        lhs = sp.Mul(*kept)
    return cond.func(lhs, 0)


def _decide(cond):
    """Simplify a relational in (ν, β) under the power-law domain ν > 1, β > 0."""
    cond = sp.simplify(cond)
    if isinstance(cond, sp.core.relational.Relational):
        cond = _drop_positive_factors(cond.func(cond.lhs - cond.rhs, 0))
    if cond in (sp.true, sp.false):
        return cond
    # substitute ν = 1 + a (a > 0) to let sympy use the stronger assumption ν > 1
    a = sp.Symbol("a_", positive=True)
    shifted = sp.simplify(cond.subs(nu, 1 + a))
    if shifted in (sp.true, sp.false):
        return shifted
    return cond


def power_law_modes():
    """``(λ_k, ω_kλ_k)`` of the power-law spectrum, without the ζ normalisation."""
    return k**(-nu), k**(-nu * beta - 1)


def mode_sum_scaling(summand, scale, cutoff_condition, scale_to=sp.oo):
    """Power counting of ``Σ_k summand(k; scale)`` as ``scale → scale_to``.

    ``cutoff_condition`` is an expression equal to 1 at the cutoff mode (e.g. ``γ λ_k``).
    Returns a :class:`SumScaling`; ``power`` is the law's ``s``-power (a Piecewise over the head
    convergence condition), ``regimes`` the same with both branches spelled out.
    """
    # work with a positive dummy so logs and powers of the scale simplify (t is only >= 0)
    summand, cutoff_condition = (sp.sympify(x, strict=True).subs(scale, s)
                                 for x in (summand, cutoff_condition))
    scale = s
    sols = sp.solve(sp.Eq(cutoff_condition, 1), k)
    if len(sols) != 1:
        raise ValueError(f"cutoff condition {cutoff_condition} = 1 has {len(sols)} positive roots")
    kstar = sols[0]
    cutoff = log_slope(kstar, scale)
    integrand = _clean(summand.subs(k, kstar * u) * sp.diff(kstar * u, u))
    e = log_slope(integrand, scale)
    if e.has(u):
        raise ValueError(f"{summand} is not scale-invariant under k = k*(s) u")
    g = _clean(integrand / scale**e)
    p0 = leading_power(g, u, 0)
    pinf = leading_power(g, u, sp.oo)
    head_ok = _decide(p0 > -1) if p0 not in (sp.oo, -sp.oo) else sp.sympify(p0 == sp.oo)
    tail_ok = _decide(pinf < -1) if pinf not in (sp.oo, -sp.oo) else sp.sympify(pinf == -sp.oo)
    head = leading_power(summand, scale, scale_to)
    if head_ok == sp.true:
        power, regimes = e, e
    else:
        power = sp.Piecewise((e, head_ok), (head, True))
        regimes = power
    return SumScaling(scale_power=e, head_power=head, cutoff=cutoff, g=g,
                      head_converges=head_ok, tail_converges=tail_ok, power=power,
                      regimes=regimes)


def risk_vs_gamma():
    """RRS at ``α = L = ∞``: ``R(γ) = Σ ω_kλ_k e^{−2γλ_k}`` — its scaling in ``γ``."""
    lam_k, wl = power_law_modes()
    return mode_sum_scaling(wl * sp.exp(-2 * gamma * lam_k), gamma, gamma * lam_k)


def gamma_rate(m_power=m):
    """Gradient flow of ``w`` with ``γ = w^m``, ``dw/dt = −∂R/∂w``, at ``L = ∞``.

    Returns the exponent ``p`` of ``dγ/dt ∝ γ^p``: ``dγ/dt = (dγ/dw)² (−∂R/∂γ)``, with
    ``−∂R/∂γ = 2 Σ ω_kλ_k² e^{−2γλ_k}`` power-counted like the risk.
    """
    lam_k, wl = power_law_modes()
    w = sp.Symbol("w", positive=True)
    minus_dR = -sp.diff(wl * sp.exp(-2 * gamma * lam_k), gamma)          # summand of −R'(γ)
    force = mode_sum_scaling(minus_dR, gamma, gamma * lam_k)
    if force.head_converges != sp.true:
        raise ValueError("the gradient sum is not dominated by the scaling region")
    dgamma_dw = sp.diff(w**m_power, w)
    rate = (dgamma_dw**2).subs(w, gamma**(1 / m_power)) * gamma**force.power
    return log_slope(_clean(rate), gamma)


def time_exponent(m_power=m):
    """Time exponent of the RRS risk at ``L = ∞`` under gradient flow of ``γ = w^m``.

    ``dγ/dt ∝ γ^p`` integrates (sympy) to ``t ∝ γ^{1−p}``, so ``γ ∝ t^{1/(1−p)}`` when ``1 − p > 0``;
    ``R ∝ γ^{−β}`` then gives ``R ∝ t^{−β/(1−p)}``; cutoff ``k* = γ^{1/ν}``.
    """
    p = gamma_rate(m_power)
    elapsed = sp.integrate(gamma**(-p), gamma, conds="none")      # t(γ) up to constants
    t_power = log_slope(elapsed, gamma)                            # t ∝ γ^{t_power}
    cond = _decide(t_power > 0)
    tt = sp.Symbol("tt", positive=True)
    gamma_of_t = sp.solve(sp.Eq(tt, gamma**t_power), gamma)[0]     # invert the power law
    gamma_power = log_slope(gamma_of_t, tt)                        # γ ∝ t^{gamma_power}
    risk = risk_vs_gamma()
    a = sp.simplify(-risk.power * gamma_power)
    cutoff = sp.simplify(risk.cutoff * gamma_power)
    return a, cutoff, cond


@lru_cache(maxsize=None)
def time_exponent_rrs():
    """Reduced Γ (``γ = w``): ``R ∝ t^{−β/(β+2)}``, ``k* ∝ t^{1/(ν(β+2))}``."""
    a, cut, cond = time_exponent(1)
    return Exponent("time", t, a, sp.And(VALID, cond), cut, a,
                    "RRS reduced Γ, L = ∞, α = ∞: dγ/dt = 2Σω_kλ_k²e^{−2γλ_k} ∝ γ^{−β−1}")


@lru_cache(maxsize=None)
def time_exponent_full(m_power=5):
    """Full attention weights (``γ = w⁵``): ``R ∝ t^{−5β/(5β+2)}``; generic ``m``: ``mβ/(mβ+2)``."""
    a, cut, cond = time_exponent(m_power)
    return Exponent("time_full", t, sp.simplify(a), sp.And(VALID, cond), sp.simplify(cut), a,
                    f"gradient flow on w with γ = w^{m_power}: dγ/dt ∝ γ^(2(m−1)/m) |R'(γ)|")


def fs_mode_factor(depth=sp.oo):
    """FS per-mode risk factor ``R_k/(ω_kλ_k)`` under gradient flow from 0, as a function of
    ``x = ω_kλ_k³ t``, derived with sympy (spec §4).

    With ``y = 1 − γ_kλ_k/L`` the flow ``dγ_k/dt = 2ω_kλ_k²y^{2L−1}`` is ``dy/dt = −c y^{2L−1}``,
    ``c = 2ω_kλ_k³/L``; separating variables, ``∫_y^1 η^{1−2L} dη = c t`` is solved for ``y`` and the
    factor is ``y^{2L}``: ``e^{−4x}`` (L = 1), ``(1 + 4(L−1)x/L)^{−L/(L−1)}`` (L ≥ 2),
    ``1/(1 + 4x)`` (L → ∞, sympy's limit).
    """
    x = sp.Symbol("x", positive=True)
    if depth == sp.oo:
        big = sp.Symbol("Lbig", positive=True)
        return sp.limit(fs_mode_factor(L)[0].subs(L, big), big, sp.oo), x
    y, Y, tt = sp.symbols("y Y tt", positive=True)
    c = 2 * x / (depth * tt)                                 # 2ωλ³/L with ωλ³ = x/t
    elapsed = sp.integrate(y**(1 - 2 * depth), (y, Y, 1), conds="none")
    sol = sp.solve(sp.Eq(elapsed, c * tt), Y)
    if len(sol) != 1:
        raise ArithmeticError(f"FS mode flow at depth {depth}: {len(sol)} solutions")
    return sp.simplify(sol[0]**(2 * depth)), x


@lru_cache(maxsize=None)
def time_exponent_fs(depth=sp.oo):
    """FS time law at ``α = ∞``: ``R(t) = Σ ω_kλ_k f_L(ω_kλ_k³t)`` with the per-mode factor of
    :func:`fs_mode_factor`; cutoff ``4ω_kλ_k³t = 1``.  ``depth``: ``oo`` (default), an integer
    ``≥ 1``.  The exponent is ``νβ/(νβ+2ν+1)`` at every
    depth: for ``L ≥ 2`` the head integral converges because ``L/(L−1) > 1``."""
    if not (depth == sp.oo or (sympify_value(depth, "depth").is_Integer and depth >= 1)):
        raise ValueError(f"depth={depth!r} is invalid: depth must be an integer >= 1 or oo")
    lam_k, wl = power_law_modes()
    f, x = fs_mode_factor(depth)
    sc = mode_sum_scaling(wl * f.subs(x, wl * lam_k**2 * t), t, 4 * wl * lam_k**2 * t)
    a = sp.simplify(-sc.power)
    return Exponent("time_fs", t, a, sp.And(VALID, sc.tail_converges), sc.cutoff, -sc.regimes,
                    f"FS, depth {depth}, α = ∞: per-mode risk ω_kλ_k·{f} with x = ω_kλ_k³t; "
                    f"the paper prints {FS_TIME_PAPER} for the time exponent, which differs")


@lru_cache(maxsize=None)
def depth_exponent_rrs():
    """RRS depth law at ``α = ∞``, optimal γ, infinite training: ``R ∝ L^{−β}``, ``k* ∝ L^{1/ν}``.

    ``R(γ, L) = Σ ω_kλ_k (1 − γλ_k/L)^{2L}`` → ``Σ ω_kλ_k e^{−2γλ_k}`` on the tail modes (sympy's
    limit), which decreases in γ; the top mode is stable only while ``|1 − γλ_1/L| ≤ 1``, i.e.
    ``γ ≤ 2L/λ_1``; so ``γ* ∝ L`` (up to ``log L/L`` corrections) and ``R ∝ γ*^{−β}``.
    """
    x = sp.Symbol("x", positive=True)
    tail = sp.limit((1 - x / L)**(2 * L), L, sp.oo)               # → e^{−2x}
    risk = risk_vs_gamma()
    if sp.simplify(tail - sp.exp(-2 * x)) != 0:
        raise AssertionError(f"unexpected large-depth limit {tail}")
    lam1 = sp.Integer(1)                                          # λ_1 = 1^{−ν}
    roots = sp.solve(sp.Eq(1 - gamma * lam1 / L, -1), gamma)      # edge of stability
    gamma_star_power = log_slope(roots[0], L)
    a = sp.simplify(-risk.power * gamma_star_power)
    cutoff = sp.simplify(risk.cutoff * gamma_star_power)
    return Exponent("depth", L, a, VALID, cutoff, a,
                    "RRS, α = ∞, optimal γ at infinite time: γ* → 2L/λ_1")


def ridge_exponent(resource):
    """``κ ∝ r^{−c}`` from ``Σ_k λ_k/(κ + λ_k) = r`` (width N or context P): returns ``c``."""
    lam_k, _ = power_law_modes()
    sc = mode_sum_scaling(lam_k / (kappa + lam_k), kappa, lam_k / kappa, scale_to=0)
    if sc.head_converges != sp.true or sc.tail_converges != sp.true:
        raise ValueError("κ equation not in its scaling regime")
    kap = sp.solve(sp.Eq(resource, kappa**sc.scale_power), kappa)[0]  # r ∝ κ^{e} inverted
    return sp.simplify(-log_slope(kap, resource)), sc


def _ridge_law(resource, name, power, note):
    """``R ≈ Σ_k κ^p ω_kλ_k/(κ + λ_k)^p`` with ``Σ_k λ_k/(κ + λ_k) = r``: ``R ∝ r^{−ν min(β, p)}``.

    ``p = 1`` is the width law (projection limit of case W at ``L = ∞``), ``p = 2`` the context
    law (docs/theory.md §8's ridge form).  The head modes give ``κ^p`` once ``β ≥ p`` (log at ``β = p``).
    """
    lam_k, wl = power_law_modes()
    c, ksc = ridge_exponent(resource)
    sc = mode_sum_scaling(kappa**power * wl / (kappa + lam_k)**power, kappa, lam_k / kappa,
                          scale_to=0)
    # R ∝ κ^{power} and κ ∝ r^{−c}; the head modes give κ^p once the scaling integral diverges
    regimes = sp.piecewise_fold(sc.power * c)
    scale_a, head_a = sp.simplify(sc.scale_power * c), sp.simplify(sc.head_power * c)
    common = sp.gcd(scale_a, head_a)                              # ν·min(β, p) rather than min(νβ, pν)
    a = common * sp.Min(sp.simplify(scale_a / common), sp.simplify(head_a / common))
    cutoff = sp.simplify(ksc.cutoff * (-c))                       # k* = κ^{−1/ν} ∝ r
    cond = sp.And(VALID, sp.Ne(beta, power))
    return Exponent(name, resource, a, cond, cutoff, regimes,
                    f"effective ridge Σλ_k/(κ+λ_k) = {resource}, {note}; "
                    f"saturates (head modes dominate) when {sp.Not(sc.head_converges)}; "
                    f"log correction at β = {power}")


@lru_cache(maxsize=None)
def width_exponent():
    """Width law at ``L = ∞`` (projection limit of case W, :mod:`solvers.settings.width`):
    ``R_∞ = κ Σ ω_kλ_k/(κ + λ_k)`` with ``Σ λ_k/(κ + λ_k) = N`` is linear in κ, so
    ``R ∝ N^{−ν min(β,1)}``, ``k* ∝ N`` (not the κ² form of a secondary source, which would give ``ν min(β,2)``)."""
    return _ridge_law(N, "width", 1,
                      "R ≥ R_∞ = κΣλ_kω_k/(κ+λ_k) (projection limit, attained as L → ∞; "
                      "GD stays in the N-dimensional subspace)")


@lru_cache(maxsize=None)
def context_exponent():
    """Context law (docs/theory.md §8's ridge form with P): ``R ≈ Σκ²ω_kλ_k/(κ+λ_k)²``,
    ``R ∝ P^{−ν min(β,2)}``, ``k* ∝ P``."""
    return _ridge_law(P, "context", 2, "R ≈ Σκ²λ_kω_k/(κ+λ_k)² (docs/theory.md §8 ridge form)")


@disk_cached
def exponents(setting="rrs"):
    """All laws of ``setting`` (``rrs`` or ``fs``) as ``{law: Exponent or None}``.

    FS has no depth law (``Γ = LΣ⁻¹`` reaches zero risk at every depth at infinite context and
    time) and no width/context law here: the κ-sum limits are for ``Γ = γI`` (RRS).
    """
    if setting == "rrs":
        return {"time": time_exponent_rrs(), "width": width_exponent(),
                "depth": depth_exponent_rrs(), "context": context_exponent(),
                "time_full": time_exponent_full()}
    if setting == "fs":
        return {"time": time_exponent_fs(), "width": None, "depth": None, "context": None}
    raise ValueError(f"setting={setting!r} is invalid: power-law exponents need setting 'rrs' "
                     "or 'fs' (iso has no power-law spectrum)")
