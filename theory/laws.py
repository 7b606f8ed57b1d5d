"""Scaling laws with exact prefactors, first corrections and crossovers (spec §6), sympy only.

Power-law spectrum ``λ_k = k^{−ν}``, ``ω_kλ_k = k^{−p}/Z`` with ``p = νβ + 1``, ``Z = ζ(νβ + 1)``
(so ``Σ_k ω_kλ_k = 1``), ``D = ∞``, absolute resources.  Every law below is the leading term of an
exact mode sum, obtained by one tool, the **Mellin–Barnes expansion of a harmonic sum**:

    S(x) = Σ_{k≥1} k^{−p} f(x k^{q})   has Mellin transform   ∫_0^∞ x^{z−1} S dx = ζ(p + qz) f̃(z),

with ``f̃ = 𝓜[f]`` (``sympy.mellin_transform``).  As ``x → 0`` (``q > 0``, ridge sums in κ) the
expansion is the sum of the residues of ``ζ(p + qz) f̃(z) x^{−z}`` at the poles left of the
fundamental strip; as ``x → ∞`` (``q < 0``, flows in γ or t) minus the residues right of it.
Two kinds of poles appear:

* the **ζ pole** at ``p + qz = 1``, ``z₀ = (1 − p)/q``: the scaling region of modes
  (``k ~ x^{−1/q}``), term ``f̃(z₀) x^{−z₀}/|q|`` — the law itself;
* the **kernel poles** of ``f̃`` at integers ``n``: the head modes ``k = O(1)``, terms
  ``∓Res_{z=n} f̃ · ζ(p + qn) x^{−n}`` — saturation (when one of them is leading) or the first
  correction.  When the two coincide (``z₀ = n``) the double pole gives ``x^{−n} log x``, with
  ``ζ(1 + w) = 1/w + γ_E + O(w)`` (:func:`double_pole_term`).

The laws (``x`` the resource, ``R ≈ c·x^{−a}(log x)^{l}``, relative first correction ``δ(x)``):

* ``time`` (RRS, reduced Γ, α = ∞): ``R(γ) = Σω_kλ_k K(γλ_k)``, ``K = e^{−2u}`` (L = ∞) or
  ``(1 − u/L)^{2L}`` (finite L, exact while γ ≤ L); ``R ≈ f̃(β)γ^{−β}/(νZ)`` (the Poisson
  remainder is stretched-exponentially small, the kernel has no poles right of the strip);
  ``dγ/dt = −R'(γ)`` integrates to ``t = Aγ^{β+2} + t₀ + o(1)``, so
  ``R = c (t − t₀)^{−β/(β+2)} = c t^{−a}(1 + a t₀/t + …)``; ``t₀`` (a number, not a closed
  form) is computed by :mod:`solvers.laws`.
* ``time_full`` (γ = w_v w_k w_q w_x², ``dγ/dt = Cγ^{8/5}F``): the same with ``t ∝ γ^{β+2/5}``.
* ``depth`` (RRS, α = t = ∞, optimal γ): ``R*(L) = min_θ [T(θ) + (θ − 1)^{2L}/Z]`` with
  ``θ = γ/L`` the per-layer step and ``T`` the Mellin term of the modes ``k ≥ 2``; the optimum
  sits just below the stability edge ``θ = 2/λ_1 = 2`` (:func:`depth_law`).
* ``width`` (L = ∞ projection limit ``κΣω_kλ_k/(κ + λ_k)``, ``Σλ_k/(κ + λ_k) = N``) and
  ``context`` (L = ∞ ridgeless limit of case C, ``κ²U/(1 − V)``): ridge sums with kernels
  ``(1 + u)^{−m}`` (:func:`ridge_law`).
* FS ``time``: ``R = Σω_kλ_k f_L(ω_kλ_k³t)`` with the per-mode factor of
  :func:`theory.exponents.fs_mode_factor`.

Crossovers: where two terms of the separable law ``R ≈ Σ_r c_r r^{−a_r}`` are equal
(:func:`crossover`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Mapping

import sympy as sp

from theory import exponents as tex
from theory import rrs as trrs
from theory.symbols import L, N, P, beta, gamma, nu, t

__all__ = ["Law", "Z", "C_NU", "T0", "mellin", "zeta_pole_term", "kernel_pole_term",
           "double_pole_term", "stirling_ratio", "rrs_kernel", "time_law", "depth_law",
           "ridge_law", "width_law", "context_law", "fs_time_law", "laws", "select",
           "crossover", "crossovers", "RESOURCES", "poisson_rate", "saddle_rate", "pole_rate",
           "PAIRS", "law_regimes"]

#: Mellin variable, kernel variable, generic scale, effective ridge, per-layer step offset
zm = sp.Symbol("z")
u = sp.Symbol("u", positive=True)
x = sp.Symbol("x", positive=True)
kappa = sp.Symbol("kappa", positive=True)
eps = sp.Symbol("epsilon", positive=True)
#: normalisation of the power law: Σ_k k^{−νβ−1} = ζ(νβ + 1)
Z = sp.zeta(nu * beta + 1)
#: the offset t₀ = lim_{γ→∞} [t(γ) − Aγ^{e}] of a time law (a number computed by solvers.laws)
T0 = sp.Symbol("t_0", real=True)
#: resources of the separable law and their symbols
RESOURCES = {"time": t, "time_full": t, "depth": L, "width": N, "context": P}


@dataclass(frozen=True)
class Law:
    """``R ≈ prefactor · x^{−exponent} · (log x)^{log_power}`` as ``x → ∞`` where ``condition``
    holds; ``correction`` is the relative first correction ``δ(x)`` (exact/law − 1 ≈ δ), of
    order ``order``; ``constants`` names non-closed-form numbers appearing in ``correction``
    (e.g. ``t_0``); ``validity`` bounds the range of ``x`` (finite-depth time laws)."""

    name: str
    setting: str
    resource: sp.Symbol
    exponent: sp.Expr
    prefactor: sp.Expr
    log_power: int
    correction: sp.Expr
    order: sp.Expr
    condition: sp.Boolean = sp.true
    note: str = ""
    constants: Mapping[str, str] = field(default_factory=dict)
    validity: sp.Expr | None = None
    remainder: sp.Expr | None = None

    @property
    def expression(self):
        """The law as one sympy expression in ``ν, β`` and the resource."""
        x_ = self.resource
        return self.prefactor * x_ ** (-self.exponent) * sp.log(x_) ** self.log_power

    def subs(self, values):
        """The law with ``values`` (e.g. ``{nu: 3/2, beta: 7/10}``) substituted everywhere."""
        def s(e):
            return None if e is None else e.subs(values)
        return Law(self.name, self.setting, self.resource, s(self.exponent), s(self.prefactor),
                   self.log_power, s(self.correction), s(self.order), s(self.condition),
                   self.note, dict(self.constants), s(self.validity), s(self.remainder))


# ---------------------------------------------------------------------------------------------
# the Mellin–Barnes machinery
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def mellin(kernel):
    """``f̃(z) = ∫_0^∞ u^{z−1} f(u) du`` of a kernel in ``u`` (sympy), with its strip."""
    F, strip, _ = sp.mellin_transform(kernel, u, zm)
    return F, strip


def zeta_pole_term(F, p, q):
    """Term of ``Σ_k k^{−p} f(x k^{q})`` from the ζ pole ``z₀ = (1 − p)/q``: ``(coef, z₀)`` with
    the term ``coef · x^{−z₀}``, ``coef = f̃(z₀)/|q|`` (``Res_{z₀} ζ(p + qz) = 1/q``, and the
    ``x → ∞`` side takes minus the residue, so both sides give ``1/|q|``)."""
    z0 = sp.simplify((1 - p) / q)
    return sp.simplify(F.subs(zm, z0) / abs(q)), z0


def kernel_pole_term(F, p, q, n):
    """Term ``coef · x^{−n}`` of the same sum from a simple pole of ``f̃`` at ``z = n``:
    ``coef = ±Res_{z=n} f̃ · ζ(p + qn)`` (+ for ``x → 0``, left poles, ``q > 0``; − for
    ``x → ∞``, right poles, ``q < 0``)."""
    side = 1 if (q.is_positive if hasattr(q, "is_positive") else q > 0) else -1
    return side * sp.residue(F, zm, n) * sp.zeta(p + q * n), sp.Integer(n)


def double_pole_term(F, q, n, scale):
    """The ``x → 0`` term at a coincidence ``z₀ = n`` of the ζ pole with a simple kernel pole:
    with ``ζ(1 + w) = 1/w + γ_E + O(w)`` and ``f̃ = r₋₁/(z − n) + r₀ + …``, the residue of
    ``ζ(p + qz) f̃(z) x^{−z}`` is ``x^{−n}[r₋₁(−log x)/q + r₀/q + γ_E r₋₁]`` (``q > 0``).
    Returns ``(a₁, a₀)`` with the term ``x^{−n}(a₁·(−log x) + a₀)``."""
    w = sp.Symbol("w")
    ser = sp.series(F.subs(zm, n + w), w, 0, 1).removeO()
    r_m1, r_0 = ser.coeff(w, -1), ser.coeff(w, 0)
    return sp.simplify(r_m1 / q), sp.simplify(r_0 / q + sp.EulerGamma * r_m1)


def stirling_ratio(a, b, y, order=2):
    """``Γ(y + a)/Γ(y + b) · y^{b−a}`` as a series in ``1/y`` to ``O(y^{−order})``, from
    Stirling's series ``log Γ(y + a) = (y + a − ½)log y − y + ½log 2π + Σ_j (−1)^{j+1}B_{j+1}(a)/
    (j(j+1) y^j)``."""
    h = sp.Symbol("h", positive=True)  # h = 1/y

    def lg(c):  # log Γ(y + c) − [(y + c − 1/2) log y − y + log(2π)/2]
        return sum((-1) ** (j + 1) * sp.bernoulli(j + 1, c) / (j * (j + 1)) * h ** j
                   for j in range(1, order + 1))
    s = sp.series(sp.exp(lg(a) - lg(b)), h, 0, order).removeO()
    return sp.expand(s.subs(h, 1 / y))


# ---------------------------------------------------------------------------------------------
# RRS at α = ∞: time (reduced and full attention) and depth
# ---------------------------------------------------------------------------------------------
def _depth(depth):
    if depth in (sp.oo, float("inf")) or depth is None:
        return sp.oo
    return sp.sympify(depth)


@lru_cache(maxsize=None)
def _rrs_kernel_finite():
    n = sp.Symbol("n_", positive=True)
    F, _ = mellin((1 - u) ** n * sp.Heaviside(1 - u))
    return sp.simplify(F.subs(n, 2 * L) * L ** zm)


def rrs_kernel(depth=sp.oo):
    """Mellin transform ``K̃(z)`` of the RRS per-mode factor ``K(u) = (1 − u/L)^{2L}`` restricted
    to ``u ≤ L`` (exact for every mode while ``γ ≤ L``; from ``(1 − v)^n`` on [0, 1] scaled by L):
    ``L^zΓ(z)Γ(2L+1)/Γ(2L+1+z)``; or ``e^{−2u}`` at ``L = ∞``: ``2^{−z}Γ(z)``.  A numeric depth is
    substituted unevaluated (Γ(2L + 1) stays a Gamma, not a 400-digit integer)."""
    depth = _depth(depth)
    if depth == sp.oo:
        return mellin(sp.exp(-2 * u))[0]
    kf = _rrs_kernel_finite()
    with sp.evaluate(False):
        return kf.xreplace({L: depth})


@lru_cache(maxsize=None)
def _kernel_at_beta_symbolic(finite):
    F = _rrs_kernel_finite() if finite else rrs_kernel(sp.oo)
    coef, z0 = zeta_pole_term(F, nu * beta + 1, -nu)
    assert sp.simplify(z0 - beta) == 0
    return coef * nu


def _kernel_at_beta(depth=sp.oo):
    """``K̃(β)``: ``R(γ) ≈ K̃(β)γ^{−β}/(νZ)`` is the ζ-pole term ``f̃(z₀)/ν · γ^{−z₀}`` of
    ``Σ_k k^{−νβ−1}K(γk^{−ν})/Z`` with ``z₀ = β`` (derived at symbolic L, then L = depth)."""
    depth = _depth(depth)
    if depth == sp.oo:
        return _kernel_at_beta_symbolic(False)
    k_ = _kernel_at_beta_symbolic(True)
    with sp.evaluate(False):
        return k_.xreplace({L: depth})


#: K̃(β) kept as a positive symbol through the flow algebra (substituted at the end: at a numeric
#: depth it holds Γ(2L + 1), which sympy's simplification should not see)
_KT = sp.Symbol("Ktilde", positive=True)


@lru_cache(maxsize=None)
def _time_chain(parameterization):
    """(a, prefactor, A, e, γ(t)) of the time law with ``R = K̃γ^{−β}/(νZ)``, K̃ symbolic."""
    R = _KT * gamma ** (-beta) / (nu * Z)
    g = sp.Symbol("g", positive=True)
    F = -sp.diff(R, gamma)
    if parameterization == "reduced":
        V = F
    else:
        ns = trrs.full_attention_flow()
        C = ns.coefficient if parameterization == "full" else ns.tied_coefficient
        V = C * gamma ** ns.exponent * F
    t_of_g = sp.integrate(sp.powsimp(1 / V.subs(gamma, g), force=True), (g, 0, gamma),
                          conds="none")
    e = tex.log_slope(t_of_g, gamma)                   # t ∝ γ^e
    A = sp.simplify(t_of_g / gamma ** e)
    g_of_t = (t / A) ** (1 / e)
    risk_t = sp.powsimp(sp.expand_power_base(R.subs(gamma, g_of_t), force=True), force=True)
    a = sp.simplify(-tex.log_slope(risk_t, t))
    pref = sp.powdenest(sp.simplify(risk_t * t ** a), force=True)
    return a, pref, A, e, g_of_t


@lru_cache(maxsize=None)
def time_law(depth=sp.oo, parameterization="reduced"):
    """RRS time law under gradient flow ``dγ/dt = V(γ)`` from γ(0) ≈ 0.

    ``V = F = −R'`` (reduced Γ) or ``V = C γ^{8/5} F`` (``full``: ``C = 5·2^{2/5}``; ``tied``:
    ``C = 25``; :func:`theory.rrs.full_attention_flow`).  With ``R ≈ K̃(β)γ^{−β}/(νZ)``, ``V`` is a
    power of γ, ``t(γ) = ∫_0^γ dg/V(g) = Aγ^{e} + t₀ + o(1)`` (sympy ``integrate``), and
    eliminating γ gives ``R ≈ c t^{−β/e}``: ``e = β + 2`` (reduced), ``β + 2/5`` (full/tied).
    Correction ``(1 − t₀/t)^{−a} − 1 ≈ a t₀/t`` (``γ^e = (t − t₀)/A``).  At finite depth L the
    prefactor has ``K̃(β) = L^βB(β, 2L + 1)`` in place of ``Γ(β)2^{−β}`` and holds while
    ``γ(t) ≤ L``.
    """
    depth = _depth(depth)
    a, pref, A, e, g_of_t = _time_chain(parameterization)
    kt = _kernel_at_beta(depth)
    pref, A, g_of_t = (x.subs(_KT, kt) for x in (pref, A, g_of_t))
    name = "time" if parameterization == "reduced" else "time_full"
    kstr = "Gamma(beta) 2^-beta" if depth == sp.oo else "L^beta B(beta, 2L+1)"
    note = (f"RRS, alpha = inf, {parameterization} parameterisation, depth {depth}: "
            f"R(gamma) = {kstr} gamma^-beta/(nu zeta(nu beta+1)) up to a stretched-exponentially "
            f"small remainder; t(gamma) = A gamma^{e} + t_0 + o(1)")
    constants = {"t_0": "lim_{gamma->inf} [t(gamma) - A gamma^e]: integral of 1/V - 1/V_as "
                        "(reduced: from 0; full/tied: from gamma(0), minus A gamma(0)^e)"}
    validity = None if depth == sp.oo else A * depth ** e
    if validity is not None:
        note += "; finite depth: valid while gamma(t) <= L, i.e. t <= A L^e"
    remainder = sp.exp(-poisson_rate() * g_of_t ** (1 / (nu + 1)))
    # t − t₀ = Aγ^e exactly up to the Poisson remainder: R = c(t − t₀)^{−a}, all orders in t₀/t
    return Law(name, "rrs", t, a, pref, 0, (1 - T0 / t) ** (-a) - 1, 1 / t, tex.VALID, note,
               constants,
               validity, remainder)


@lru_cache(maxsize=None)
def depth_law():
    """RRS depth law (α = ∞, t = ∞, optimal γ): ``R*(L) ≈ Γ(β)(4L)^{−β}/(νZ)``.

    Write ``γ = θL``.  Mode 1 (``λ_1 = 1``) contributes ``H = (θ − 1)^{2L}/Z``; the modes ``k ≥ 2``
    have ``γλ_k ≤ 2^{1−ν}θL < L`` and sum to ``T(θ) = K̃_L(β)(θL)^{−β}/(νZ)`` (Mellin term of the
    truncated kernel, remainder smaller than any power of L).  ``T`` decreases in θ and ``H``
    explodes past the stability edge ``θ = 2``, so ``θ* = 2 − ε`` with ``ε → 0``: stationarity
    ``−T'(θ) = H'(θ)`` with ``(1 − ε)^{2L−1} ≈ e^{−2Lε}`` gives ``ε* ≈ log(…L^{β+1})/(2L)``, and
    ``R* = T(2)[1 + βε*/2 + H/T(2)] · K̃_L/K̃_∞`` — the prefactor ``Γ(β)4^{−β}/(νZ)`` is
    attained as L → ∞ with relative correction ``(β/4L)[(β+1)log L + log(4ν4^β/Γ(β+1)) − β]``.
    """
    theta = sp.Symbol("theta", positive=True)
    Kinf = rrs_kernel(sp.oo).subs(zm, beta)                        # Γ(β) 2^{−β}
    lam1 = sp.Integer(1)
    edge = [r for r in sp.solve(sp.Eq(1 - theta * lam1, -1), theta) if r.is_positive][0]  # θ = 2
    T = Kinf * (theta * L) ** (-beta) / (nu * Z)
    # stationarity at θ = edge − ε, leading order: −T'(edge) = 2L e^{−2Lε}/Z
    lhs = -sp.diff(T, theta).subs(theta, edge)
    eps_star = sp.solve(sp.Eq(lhs, 2 * L * sp.exp(-2 * L * eps) / Z), eps)[0]
    T2 = T.subs(theta, edge)
    H_over_T = sp.simplify(sp.exp(-2 * L * eps_star) / Z / T2)  # = β/(4L)
    shift = sp.expand(-sp.diff(sp.log(T), theta).subs(theta, edge) * eps_star)  # βε*/2
    # K̃_L(β)/K̃_∞(β) = (2L)^β Γ(2L+1)/Γ(2L+1+β) = 1 − β(β+1)/(4L) + O(L^{−2})
    y = sp.Symbol("y", positive=True)
    kratio = sp.expand(stirling_ratio(1, 1 + beta, y, 2).subs(y, 2 * L))
    corr = sp.expand_log(sp.expand(shift + H_over_T + (kratio - 1)), force=True)
    corr = sp.collect(sp.simplify(corr * 4 * L / beta), sp.log(L)) * beta / (4 * L)
    pref = sp.simplify(T2 * L ** beta)
    a = sp.simplify(-tex.log_slope(T2, L))
    return Law("depth", "rrs", L, a, pref, 0, corr, sp.log(L) / L, tex.VALID,
               "RRS, alpha = t = inf, optimal gamma: gamma*/L -> 2/lambda_1 (stability edge) "
               "with 2 - gamma*/L ~ (beta+1) log L/(2L); the top mode's overshoot H = beta T/(4L)")


# ---------------------------------------------------------------------------------------------
# ridge sums: width (L = ∞ projection limit) and context (L = ∞ ridgeless limit)
# ---------------------------------------------------------------------------------------------
#: a positive stand-in for C_ν while solving (sympy cannot see that sin(π/ν) > 0 for ν > 1)
_CS = sp.Symbol("C_nu", positive=True)


def _kappa_of(x_):
    """``Σ_k 1/(1 + κk^ν) = x`` ⇒ ``C_ν κ^{−1/ν} − 1/2 + O(κ) = x`` (ζ pole + the head pole at 0,
    ``ζ(0) = −1/2``) ⇒ ``κ = (C_ν/(x + 1/2))^ν``.  Returns ``(κ(x) in terms of the positive
    symbol C_nu, C_ν derived)``."""
    F = mellin(1 / (1 + u))[0]
    lead, z0 = zeta_pole_term(F, 0, nu)                  # Σ 1/(1 + κk^ν), p = 0, q = ν
    head, _ = kernel_pole_term(F, 0, nu, 0)              # −1/2
    sol = sp.solve(sp.Eq(_CS * kappa ** (-z0) + head, x_), kappa)
    if len(sol) != 1:
        raise ArithmeticError(f"kappa equation: {len(sol)} solutions")
    return sp.simplify(sol[0]), lead


#: C_ν = (π/ν)/sin(π/ν) = ∫_0^∞ du/(1 + u^ν): Σ_k 1/(1 + κk^ν) ≈ C_ν κ^{−1/ν}
C_NU = sp.pi / nu / sp.sin(sp.pi / nu)


def _ridge_terms(m):
    """Terms of ``Z·κ^m Σ_k ω_kλ_k/(κ + λ_k)^m = κ^m Σ_k k^{−(p − mν)}(1 + κk^ν)^{−m}``:
    ``(A, B, B2)`` with ``A κ^β`` (ζ pole, ``z₀ = m − β``), ``B κ^m`` (kernel pole at 0) and
    ``B2 κ^{m+1}`` (kernel pole at −1)."""
    F = mellin((1 + u) ** (-m))[0]
    # the same transform as a Beta function: π(1 − z)/sin πz has a removable 0/0 at z = 1,
    # which the ζ-pole point z₀ = 2 − β hits at β = 1; Γ(z)Γ(m − z)/Γ(m) has none
    G = sp.gamma(zm) * sp.gamma(m - zm) / sp.gamma(m)
    if sp.simplify(sp.gammasimp(F - G)) != 0:
        raise ArithmeticError(f"Mellin transform of (1+u)^-{m}: {F} is not {G}")
    pm = nu * beta + 1 - m * nu
    z0 = sp.simplify((1 - pm) / nu)                      # ζ pole (zeta_pole_term), kept in
    A = G.subs(zm, z0) / nu                              # the Γ form: no simplify
    B, _ = kernel_pole_term(F, pm, nu, 0)
    B2, _ = kernel_pole_term(F, pm, nu, -1)
    return A, sp.simplify(B), sp.simplify(B2), F, pm


@lru_cache(maxsize=None)
def ridge_law(m, resource):
    """Ridge law ``m = 1`` (width N: ``R = κΣω_kλ_k/(κ + λ_k)``) or ``m = 2`` (context P:
    ``R = κ²Σω_kλ_k/(κ + λ_k)² / (1 − V)``, ``V = (1/P)Σλ_k²/(κ + λ_k)²``), both with
    ``Σλ_k/(κ + λ_k) = x``.

    Returns three :class:`Law` regimes: ``β < m`` (scaling modes, ``R ∝ x^{−νβ}``), ``β = m``
    (double pole, ``x^{−mν} log x``), ``β > m`` (head modes, ``x^{−mν}``).  Corrections: the shift
    ``κ = C_ν^ν (x + 1/2)^{−ν}`` (``−ν·e/(2x)`` for the leading power ``κ^e``), the other pole's
    term, and for context ``1/(1 − V) = ν/(1 + 1/(2P)) + O(P^{−ν})``.
    """
    kap, c_nu = _kappa_of(resource)                      # κ(x) with C_ν as a positive symbol
    A, B, _, F, _ = _ridge_terms(m)
    if m == 1:
        ridge, ridge_corr = sp.Integer(1), sp.Integer(0)
    else:  # 1/(1 − V) with V from the same machinery (kernel (1 + u)^{−2}, p = 0)
        F2 = mellin((1 + u) ** (-2))[0]
        v_lead, z0 = zeta_pole_term(F2, 0, nu)
        v_head, _ = kernel_pole_term(F2, 0, nu, 0)
        ratio = sp.simplify(v_lead / c_nu)               # 1 − 1/ν
        V = (ratio * _CS * sp.powdenest(kap ** (-z0), force=True) + v_head) / resource
        V = sp.simplify(V)                               # C_ν cancels
        inv = sp.simplify(1 / (1 - V))                   # ν/(1 + 1/(2P)) at this order
        ridge = sp.limit(inv, resource, sp.oo)
        ridge_corr = sp.simplify(sp.limit((inv / ridge - 1) * resource, resource, sp.oo)
                                 / resource)
    # κ = C_ν^ν (x + 1/2)^{−ν}: leading power C_ν^ν x^{−ν}, relative shift −ν/(2x) per power
    shift = sp.limit(sp.log(kap * resource ** nu / _CS ** nu) * resource, resource, sp.oo)
    assert sp.simplify(shift + nu / 2) == 0
    kap_lead = c_nu ** nu * resource ** (-nu)
    # the kernel's poles at k = κ^{−1/ν}e^{±iπ/ν}: Poisson remainder exp(−2π sin(π/ν) κ^{−1/ν})
    rem = sp.exp(-pole_rate(nu) * resource / c_nu)
    name = "width" if m == 1 else "context"
    what = ("L = inf projection limit kappa sum(w l/(kappa+l)), sum l/(kappa+l) = N" if m == 1
            else "L = inf ridgeless (min-norm) limit kappa^2 U/(1-V), sum l/(kappa+l) = P")
    out = []
    # β < m: leading A κ^β, next B κ^m (relative κ^{m−β})
    corr = (-nu * beta / (2 * resource) + ridge_corr
            + B / A * kap_lead ** (m - beta))
    out.append(Law(name, "rrs", resource, nu * beta, ridge * A / Z * c_nu ** (nu * beta),
                   0, corr, resource ** (-sp.Min(1, nu * (m - beta))),
                   sp.And(tex.VALID, beta < m), f"{what}; scaling modes k ~ {resource} dominate",
                   remainder=rem))
    # β = m: double pole at z = 0
    Fm = F.subs(beta, m)
    a1, a0 = double_pole_term(Fm, nu, 0, kappa)
    # κ^m (a1(−log κ) + a0), −log κ = ν log x − ν log C_ν + O(1/x)
    lead_log = ridge * a1 * nu * c_nu ** (m * nu) / Z.subs(beta, m)
    corr_log = ((a0 / (a1 * nu) - sp.log(c_nu)) / sp.log(resource)
                - nu * m / (2 * resource) + ridge_corr)
    out.append(Law(name, "rrs", resource, m * nu, sp.simplify(lead_log), 1, corr_log,
                   1 / sp.log(resource), sp.And(tex.VALID, sp.Eq(beta, m)),
                   f"{what}; boundary beta = {m}: double pole, R ~ c {resource}^-{m}nu log "
                   f"{resource}", remainder=rem))
    # β > m: leading B κ^m (head modes), next A κ^β (relative κ^{β−m}) and B2 κ^{m+1}
    corr_h = (-nu * m / (2 * resource) + ridge_corr
              + sp.Piecewise((A / B * kap_lead ** (beta - m), beta < m + 1), (0, True)))
    out.append(Law(name, "rrs", resource, m * nu, ridge * B / Z * c_nu ** (m * nu), 0,
                   corr_h, resource ** (-sp.Min(1, nu * (beta - m))),
                   sp.And(tex.VALID, beta > m),
                   f"{what}; saturated: head modes k = O(1) dominate, R ~ kappa^{m}",
                   remainder=rem))
    return tuple(out)


def width_law():
    """Width law (RRS, L = ∞ projection limit): ``β < 1``: ``Γ(β)Γ(1 − β)C_ν^{νβ}/(νZ) N^{−νβ}``;
    ``β = 1``: ``C_ν^ν/ζ(ν+1) N^{−ν} log N``; ``β > 1``: ``ζ(ν(β−1)+1)C_ν^ν/Z N^{−ν}``."""
    return ridge_law(1, N)


def context_law():
    """Context law (RRS, L = ∞ ridgeless limit at finite P): ``β < 2``:
    ``Γ(β)Γ(2 − β)C_ν^{νβ}/Z P^{−νβ}``; ``β = 2``: ``νC_ν^{2ν}/ζ(2ν+1) P^{−2ν} log P``; ``β > 2``:
    ``νζ(ν(β−2)+1)C_ν^{2ν}/Z P^{−2ν}`` (the factor ν is ``1/(1 − V) → ν``)."""
    return ridge_law(2, P)


# ---------------------------------------------------------------------------------------------
# FS time
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def fs_time_law(depth=sp.oo):
    """FS time law at α = ∞: ``R(t) = (1/Z)Σ_k k^{−p} f_L(k^{−b} t/Z)``, ``b = νβ + 1 + 2ν``
    (``x_k = ω_kλ_k³t``), ``f_L`` from :func:`theory.exponents.fs_mode_factor`.  ζ pole at
    ``a = νβ/b``: ``R ≈ f̃_L(a)/(bZ) (t/Z)^{−a}`` (L = ∞: ``f̃ = 4^{−z}π/sin πz``); the kernel
    poles right of the strip (``z = 1, 2`` at L = ∞; ``z = L/(L−1)`` at L ≥ 2; none at L = 1) give
    the head-mode corrections ``−Res f̃ · ζ(p − nb)(t/Z)^{−n}``."""
    depth = _depth(depth)
    f, xx = tex.fs_mode_factor(depth)
    F = mellin(f.subs(xx, u))[0]
    p, b = nu * beta + 1, nu * beta + 1 + 2 * nu
    coef, a = zeta_pole_term(F, p, -b)
    tau = t / Z                                          # R ≈ (coef/Z) τ^{−a}
    if depth == sp.oo:
        poles = [1, 2]
    elif depth == 1:
        poles = []
    else:
        poles = [sp.simplify(depth / (depth - 1))]
    corr = sp.Integer(0)
    for n in poles:  # relative to the lead: (c_n/coef)(t/Z)^{a−n}
        c_n, _ = kernel_pole_term(F, p, -b, n)
        corr += sp.simplify(c_n / coef) * tau ** (a - n)
    order = t ** (-(poles[0] - a)) if poles else sp.Integer(0)
    note = (f"FS, alpha = inf, depth {depth}: per-mode factor {f} of x = omega lambda^3 t; "
            + ("first correction from the head modes (coefficient zeta(-2nu), zero at integer nu, "
               "then the t^-(2-a) term)" if depth == sp.oo else
               "no head-mode correction: remainder beyond all orders" if depth == 1 else
               "first correction from the head modes at z = L/(L-1)"))
    if depth == 1:   # entire kernel e^{−4x}: saddle point
        rem = sp.exp(-saddle_rate(b) * (4 * tau) ** (1 / (b + 1)))
    else:            # pole/branch point of f_L at x = −1/(4(L−1)/L): k^b = −μ
        mu = 4 * tau if depth == sp.oo else 4 * (depth - 1) / depth * tau
        rem = sp.exp(-pole_rate(b) * mu ** (1 / b))
    return Law("time", "fs", t, sp.simplify(a), sp.simplify(coef * Z ** (a - 1)), 0, corr, order,
               tex.VALID, note, remainder=rem)


# ---------------------------------------------------------------------------------------------
# collections, regime selection, crossovers
# ---------------------------------------------------------------------------------------------
_BUILDERS = {
    "rrs": {"time": lambda d: (time_law(d),), "time_full": lambda d: (time_law(d, "full"),),
            "depth": lambda d: (depth_law(),), "width": lambda d: width_law(),
            "context": lambda d: context_law()},
    "fs": {"time": lambda d: (fs_time_law(d),)},
}


def law_regimes(name, setting="rrs", depth=sp.oo):
    """The regimes ``(Law, …)`` of one law (derived on first use, then cached)."""
    if setting not in _BUILDERS:
        raise ValueError(f"setting={setting!r} is invalid: scaling laws need setting 'rrs' or "
                         "'fs'")
    if name not in _BUILDERS[setting]:
        raise ValueError(f"law={name!r} is invalid for setting {setting!r}: valid laws are "
                         f"{sorted(_BUILDERS[setting])}")
    return _BUILDERS[setting][name](_depth(depth))


def laws(setting="rrs", depth=sp.oo):
    """``{name: (Law, …)}`` (one Law per regime) of ``setting``: ``rrs`` — time, time_full,
    depth, width, context (time laws at ``depth``); ``fs`` — time at ``depth``."""
    if setting not in _BUILDERS:
        raise ValueError(f"setting={setting!r} is invalid: scaling laws need setting 'rrs' or "
                         "'fs'")
    return {name: law_regimes(name, setting, depth) for name in _BUILDERS[setting]}


def select(regimes, values):
    """The regime of ``regimes`` whose condition holds at ``values`` ({nu: .., beta: ..}),
    substituted; ValueError if none does."""
    for law in regimes:
        c = law.condition.subs(values)
        if c == sp.true:
            return law.subs(values)
    raise ValueError(f"no regime of {regimes[0].name} holds at {values}")


def crossover(first, second):
    """Where the terms of two laws are equal: ``x₁×(x₂) = c · x₂^{e} · (log x₂)^{l}`` solving
    ``c₁x₁^{−a₁}(log x₁)^{l₁} = c₂x₂^{−a₂}(log x₂)^{l₂}`` for ``x₁`` (``l₁ = 0`` required).
    Below ``x₁×`` resource 1 is the bottleneck.  Returns ``(c, e, l)``."""
    if first.log_power:
        raise ValueError(f"crossover: invert the law without a log factor ({first.name} has one)")
    c = (first.prefactor / second.prefactor) ** (1 / first.exponent)
    return (sp.simplify(c), sp.simplify(second.exponent / first.exponent),
            sp.simplify(-sp.Integer(second.log_power) / first.exponent))


#: pairs of resources for which crossovers are reported (resource solved for, other resource)
PAIRS = (("time", "depth"), ("time", "width"), ("time", "context"), ("depth", "width"),
         ("depth", "context"), ("context", "width"))


def crossovers(selected):
    """``{"time_vs_width": (c, e, l), …}`` for the pairs of :data:`PAIRS` present in
    ``selected`` ({name: Law}); a pair whose first law has a log factor is solved the other way
    round (``width_vs_context``)."""
    out = {}
    for a_, b_ in PAIRS:
        if a_ not in selected or b_ not in selected:
            continue
        la, lb = selected[a_], selected[b_]
        if la.log_power:
            la, lb, a_, b_ = lb, la, b_, a_
        out[f"{a_}_vs_{b_}"] = crossover(la, lb)
    return out


@lru_cache(maxsize=None)
def saddle_rate(b=nu):
    """Rate ``c`` of the Poisson remainder ``Σ_k f(k) − ∫_0^∞ f ≈ exp(−c μ^{1/(b+1)})`` of
    ``f(x) = x^{−p}e^{−μx^{−b}}`` (flat at x = 0, so every Euler–Maclaurin term vanishes and
    only the Fourier terms ``2Re∫f(x)e^{2πimx}dx`` remain; m = 1 dominates).

    Saddle point of ``φ(x) = −μx^{−b} + 2πix``: ``φ' = 0`` ⇔ ``x^{b+1} = iμb/(2π)``; on the
    principal root ``x* = (μb/2π)^{1/(b+1)}e^{iπ/(2(b+1))}``, ``Re φ(x*) = −c μ^{1/(b+1)}``.
    """
    g = sp.Symbol("g", positive=True)
    bb = sp.Symbol("b_", positive=True)
    X = sp.Symbol("X")
    Xs = sp.solve(sp.Eq(g * bb / X + 2 * sp.pi * sp.I, 0), X)[0]             # iμb/(2π)
    xstar = sp.Abs(Xs) ** (1 / (bb + 1)) * sp.exp(sp.I * sp.arg(Xs) / (bb + 1))
    phi = -g * xstar / Xs + 2 * sp.pi * sp.I * xstar                           # x*^{−b} = x*/X
    c = sp.simplify(-sp.re(sp.expand_complex(phi)) / g ** (1 / (bb + 1)))
    return c.subs(bb, b)


def pole_rate(b=nu):
    """Rate of the Poisson remainder ``exp(−c μ^{1/b})`` of ``f(x) = x^{−p}(1 + μx^{−b})^{−s}``:
    the singularities nearest the real axis are at ``x^b = −μ``, ``x = μ^{1/b}e^{±iπ/b}``, so the
    m = 1 Fourier term decays like ``exp(−2π Im x) = exp(−2π sin(π/b) μ^{1/b})``."""
    return 2 * sp.pi * sp.sin(sp.pi / b)


@lru_cache(maxsize=None)
def poisson_rate():
    """``c_P`` of the RRS flow sums ``Σ_k k^{−p}e^{−2γk^{−ν}}``: remainder
    ``exp(−c_P γ^{1/(ν+1)})``, ``c_P = 2π^{ν/(ν+1)}ν^{−ν/(ν+1)}(ν + 1) sin(π/(2(ν+1)))``
    (:func:`saddle_rate` at μ = 2γ).
    With ``γ ∝ t^{1/(β+2)}`` this stretched-exponential remainder precedes the algebraic
    ``t₀/t`` correction of the time law at moderate t."""
    return sp.simplify(saddle_rate(nu) * 2 ** (1 / (nu + 1)))
