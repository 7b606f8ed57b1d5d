"""Compute-optimal shape for a budget formula (spec §6), solved symbolically by Lagrange.

Separable law ``R ≈ Σ_i c_i r_i^{−a_i}`` over the resources ``r_i`` of the budget
``C = Π_i r_i^{b_i}`` (a monomial in ``t, P, N, L``).  With ``x_i = log r_i`` the Lagrange
conditions ``a_i c_i e^{−a_i x_i} = μ b_i`` and ``Σ_i b_i x_i = log C`` are solved by sympy for
generic positive ``a_i, b_i, c_i``; the optimum is ``r_i = K_i C^{e_i}``, ``R* = K_R C^{−e}``.
The actual decay exponents ``a_i`` (from :mod:`theory.exponents`) are substituted afterwards.

Resources in the law but absent from the budget are infinite (their term vanishes); resources in
the budget whose law is undefined (no term in the risk, e.g. FS depth) stay at their minimum
``r = 1`` (exponent 0): spending budget on them cannot lower the risk.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from theory import exponents as ex
from theory.cache import disk_cached
from theory.parse import ExpressionError, monomial_powers, parse_expression
from theory.symbols import L, N, P, t

__all__ = ["RESOURCES", "DEFAULT_BUDGET", "parse_budget", "lagrange_solution", "ShapeSolution",
           "optimal_shape", "risk_laws"]

#: resource names accepted in budget formulas
RESOURCES = {"t": t, "P": P, "N": N, "L": L}
DEFAULT_BUDGET = "t*P**2*N**2*L"

logC = sp.Symbol("logC", real=True)


def _bad(budget, why):
    raise ValueError(f"budget={budget!r} is invalid: {why}; budget must be a product of positive "
                     "powers of t, P, N, L (e.g. 't*P**2*N**2*L' or 'L*N')")


def _budget_expr(budget):
    """The sympy expression of a budget formula, read by the safe parser (never ``sympify``)."""
    if isinstance(budget, sp.Expr):
        return budget
    if not isinstance(budget, str) or not budget.strip():
        _bad(budget, "not a formula")
    try:
        return parse_expression(budget, RESOURCES, field="budget")
    except ExpressionError as exc:
        _bad(budget, exc.problem)


def parse_budget(budget=DEFAULT_BUDGET):
    """``{resource symbol: power b_i}`` of a monomial budget formula; ValueError naming ``budget``.

    Strings are read by :func:`theory.parse.parse_expression` (whitelisted syntax, exact decimals:
    ``L**0.5`` has the power 1/2); the coefficient must be positive and every power a positive
    number."""
    expr = _budget_expr(budget)
    try:
        _, powers = monomial_powers(expr, RESOURCES.values(), field="budget", text=str(budget),
                                    noun="resource")
    except ExpressionError as exc:
        _bad(budget, exc.problem)
    return powers


@lru_cache(maxsize=None)
def lagrange_solution(n):
    """Generic optimum of ``Σ_{i<n} c_i r_i^{−a_i}`` under ``Π r_i^{b_i} = C``, solved by sympy.

    Returns ``(a, b, c, x, log_R)`` with symbol tuples ``a, b, c``, the optimal
    ``x_i = log r_i`` and ``log R*`` as expressions in them and ``logC``.
    """
    a = sp.symbols(f"a0:{n}", positive=True)
    b = sp.symbols(f"b0:{n}", positive=True)
    c = sp.symbols(f"c0:{n}", positive=True)
    x = sp.symbols(f"x0:{n}", real=True)
    mu = sp.Symbol("mu", positive=True)
    lagrangian = sum(c[i] * sp.exp(-a[i] * x[i]) for i in range(n)) \
        + mu * (sum(b[i] * x[i] for i in range(n)) - logC)
    stationary = [sp.diff(lagrangian, xi) for xi in x]
    x_of_mu = {}
    for i in range(n):
        sol = sp.solve(stationary[i], x[i])
        if len(sol) != 1:
            raise ArithmeticError(f"stationarity in x{i} has {len(sol)} solutions")
        x_of_mu[x[i]] = sp.expand_log(sol[0], force=True)
    constraint = sp.expand(sp.diff(lagrangian, mu).subs(x_of_mu))
    lmu = sp.Symbol("logmu", real=True)
    constraint = sp.expand(sp.expand_log(constraint, force=True).subs(sp.log(mu), lmu))
    lmu_sol = sp.solve(constraint, lmu)
    if len(lmu_sol) != 1:
        raise ArithmeticError("the budget constraint does not fix the multiplier")
    xs = tuple(sp.expand(x_of_mu[x[i]].subs(sp.log(mu), lmu).subs(lmu, lmu_sol[0]))
               for i in range(n))
    risk = sum(c[i] * sp.exp(-a[i] * xs[i]) for i in range(n))
    log_risk = sp.expand_log(sp.log(sp.powsimp(sp.expand(risk), force=True)), force=True)
    return a, b, c, xs, log_risk


@dataclass(frozen=True)
class ShapeSolution:
    """Optimum ``r_i = K_i C^{e_i}``, ``R* = K_R C^{−risk}``, for a budget and a set of laws.

    ``exponents``: {resource: e_i}; ``risk``: e; ``log_constants``: {resource: log K_i} and
    ``log_risk_constant``: log K_R as expressions in the constants ``c_<resource>`` (or numbers
    once substituted); ``fixed``: resources held at 1 (no law); ``dropped``: resources with a law
    absent from the budget (taken infinite).
    """

    budget: sp.Expr
    powers: dict
    laws: dict
    exponents: dict
    risk: sp.Expr
    log_constants: dict
    log_risk_constant: sp.Expr
    fixed: tuple
    dropped: tuple

    def ratio(self, num, den):
        """Exponent ``q`` of ``num ∝ den^q`` along the optimal path, e.g. ``ratio(L, N)``."""
        return sp.simplify(self.exponents[num] / self.exponents[den])


def risk_laws(setting="rrs"):
    """{resource symbol: decay exponent a_i or None} of the separable law of ``setting``."""
    laws = ex.exponents(setting)
    return {t: laws["time"].expr if laws["time"] else None,
            N: laws["width"].expr if laws["width"] else None,
            L: laws["depth"].expr if laws["depth"] else None,
            P: laws["context"].expr if laws["context"] else None}


def constant_symbol(r):
    return sp.Symbol(f"c_{r}", positive=True)


def optimal_shape(budget=DEFAULT_BUDGET, laws=None, setting="rrs"):
    """Compute-optimal exponents for ``budget`` under the separable law with decay ``laws``.

    ``laws`` defaults to :func:`risk_laws` of ``setting``.  Returns a :class:`ShapeSolution`
    (derived once per budget string and setting: :func:`theory.cache.disk_cached`).
    """
    if laws is None and isinstance(budget, str):
        parse_budget(budget)             # invalid budgets raise before any cache lookup
        return _optimal_shape_default(budget, setting)
    return _optimal_shape(budget, laws, setting)


@disk_cached
def _optimal_shape_default(budget, setting):
    return _optimal_shape(budget, None, setting)


def _optimal_shape(budget, laws, setting):
    powers = parse_budget(budget)
    if laws is None:
        laws = risk_laws(setting)
    free = [r for r in powers if laws.get(r) is not None]
    fixed = tuple(r for r in powers if laws.get(r) is None)
    dropped = tuple(r for r, a in laws.items() if a is not None and r not in powers)
    if not free:
        raise ValueError(f"budget={budget!r} is invalid: none of its resources enters the risk "
                         f"law of setting={setting!r}")
    a, b, c, xs, log_risk = lagrange_solution(len(free))
    subs = {}
    for i, r in enumerate(free):
        subs[a[i]] = laws[r]
        subs[b[i]] = powers[r]
        subs[c[i]] = constant_symbol(r)
    exps = {r: sp.simplify(sp.diff(xs[i], logC).subs(subs)) for i, r in enumerate(free)}
    consts = {r: xs[i].subs(logC, 0).subs(subs) for i, r in enumerate(free)}
    for r in fixed:
        exps[r] = sp.Integer(0)
        consts[r] = sp.Integer(0)
    risk = sp.simplify(-sp.diff(log_risk, logC).subs(subs))
    log_k = log_risk.subs(logC, 0).subs(subs)
    expr = _budget_expr(budget)
    return ShapeSolution(expr, powers, {r: laws[r] for r in free}, exps, risk, consts, log_k,
                         fixed, dropped)
