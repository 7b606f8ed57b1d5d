"""Compute-optimal allocation of a budget over the resources t, P, N, L (spec §6).

Numeric shell over :mod:`theory.shape`: the separable law ``R ≈ Σ_i c_i r_i^{−a_i}`` (decay
exponents ``a_i`` of the setting, :mod:`theory.exponents`) minimised under ``C = Π r_i^{b_i}``
gives ``r_i = K_i C^{e_i}`` and ``R* = K_R C^{−e}``; this module evaluates ``e_i``, ``e`` at
``(ν, β)`` and, given the constants ``c_i``, the prefactors ``K_i``, ``K_R``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import mpmath
import sympy as sp

from solvers.result import _jsonable, format_number, human_value
from solvers.validate import require_choice, require_dps, require_positive
from solvers.analysis.exponents import _sym, _validate_nu_beta, _value, regime_entry, resolved
from theory import shape as tshape
from theory.symbols import L as sL, N as sN, beta as s_beta, nu as s_nu

__all__ = ["shape", "ShapeResult"]


@dataclass(frozen=True)
class ShapeResult:
    """Optimal exponents ``r ∝ C^{e_r}`` for each resource of the budget and ``R* ∝ C^{−risk}``.

    ``resources``: {name: (expr, value)}; ``risk``: (expr, value); ``constants``: {name: K_r}
    and ``risk_constant``: K_R when the law's constants were given; ``fixed``: budget resources
    that do not enter the risk (held at 1); ``dropped``: law resources absent from the budget
    (infinite).  ``L_vs_N``: (expr, value) of ``L ∝ N^q`` when both are in the budget.
    """

    setting: str
    budget: str
    nu: Any
    beta: Any
    resources: Mapping[str, Any]
    risk: Any
    fixed: tuple = ()
    dropped: tuple = ()
    constants: Mapping[str, Any] | None = None
    risk_constant: Any = None
    L_vs_N: Any = None
    dps: int = 30
    extra: Mapping[str, Any] = field(default_factory=dict)

    def exponent(self, name):
        """Numeric exponent ``e_r`` of resource ``name`` (``"t"``, ``"P"``, ``"N"``, ``"L"``)."""
        return self.resources[name][1]

    def to_dict(self) -> dict:
        def entry(e, v):
            return regime_entry(e, v, self.nu, self.beta, self.dps)
        out = {"setting": self.setting, "budget": self.budget,
               "nu": _jsonable(self.nu, self.dps), "beta": _jsonable(self.beta, self.dps)}
        for name, (e, v) in self.resources.items():
            out[name] = entry(e, v)
        out["risk"] = entry(*self.risk)
        if self.L_vs_N is not None:
            out["L_vs_N"] = entry(*self.L_vs_N)
        out["fixed"] = list(self.fixed)
        out["dropped"] = list(self.dropped)
        if self.constants is not None:
            out["constants"] = {k: format_number(v, self.dps) for k, v in self.constants.items()}
            out["risk_constant"] = format_number(self.risk_constant, self.dps)
        out["dps"] = self.dps
        out.update({k: _jsonable(v, self.dps) for k, v in self.extra.items()})
        return out


    def to_latex(self, digits: int | None = None) -> str:
        """A LaTeX ``tabular``: one row per resource (the exponent ``e`` of ``r ∝ C^e``
        resolved at (ν, β), its value), the optimal risk ``R* ∝ C^{-e}`` and ``L ∝ N^q``."""
        from solvers import latex

        digits = latex.DEFAULT_DIGITS if digits is None else digits
        names = {"t": "time $t$", "P": "context $P$", "N": "width $N$", "L": "depth $L$"}
        rows = []
        for name, (e, v) in self.resources.items():
            rows.append([names.get(name, latex.escape(name)),
                         latex.expression(resolved(e, self.nu, self.beta)[0]),
                         latex.number(v, digits)])
        rows.append(["risk $R^\\star$ (decay)",
                     latex.expression(resolved(self.risk[0], self.nu, self.beta)[0]),
                     latex.number(self.risk[1], digits)])
        if self.L_vs_N is not None:
            rows.append(["$L \\propto N^{q}$",
                         latex.expression(resolved(self.L_vs_N[0], self.nu, self.beta)[0]),
                         latex.number(self.L_vs_N[1], digits)])
        caption = (f"% icl-theory shape {self.setting}: budget C = {self.budget}, nu = "
                   f"{human_value(self.nu)}, beta = {human_value(self.beta)}; r ~ C^e, "
                   "R* ~ C^(-e)\n")
        return caption + latex.tabular(["resource", "exponent $e$", "value"], rows,
                                       align="llr")


def _constants(constants, free, nu, beta, sol, dps):
    """Numeric K_r (r = K_r C^{e_r}) and K_R from the law's constants ``{name: c_r}``."""
    if not isinstance(constants, Mapping):
        raise ValueError(f"constants={constants!r} is invalid: constants must be a mapping "
                         f"{{resource: c > 0}} for {', '.join(free)}")
    missing = [r for r in free if r not in constants]
    unknown = [r for r in constants if r not in tshape.RESOURCES]
    if missing or unknown:
        raise ValueError(f"constants={dict(constants)!r} is invalid: constants needs a value > 0 "
                         f"for each of {', '.join(free)}"
                         + (f" (unknown: {', '.join(unknown)})" if unknown else ""))
    subs = {s_nu: _sym(nu), s_beta: _sym(beta)}
    for r in free:
        c = require_positive(f"constants[{r!r}]", constants[r])
        subs[tshape.constant_symbol(tshape.RESOURCES[r])] = _sym(c)
    with mpmath.workdps(dps):
        K = {}
        for r, sym in tshape.RESOURCES.items():
            if sym in sol.log_constants:
                K[r] = mpmath.exp(mpmath.mpf(sp.N(sol.log_constants[sym].subs(subs), dps + 5)))
        KR = mpmath.exp(mpmath.mpf(sp.N(sol.log_risk_constant.subs(subs), dps + 5)))
    return K, KR


def shape(nu, beta, budget=tshape.DEFAULT_BUDGET, setting="rrs", constants=None,
          dps=30) -> ShapeResult:
    """Compute-optimal exponents of each resource of ``budget`` (a monomial in t, P, N, L).

    ``setting`` ``rrs`` or ``fs`` chooses the decay exponents; ``constants`` (optional,
    ``{resource: c_r}``) gives the prefactors of the optimum.  Invalid budgets (unknown symbols,
    not a monomial, non-positive powers) raise ValueError naming ``budget``.
    """
    require_choice("setting", setting, ("rrs", "fs"))
    nu, beta = _validate_nu_beta(nu, beta)
    dps = require_dps(dps)
    if not isinstance(budget, str):
        raise ValueError(f"budget={budget!r} is invalid: budget must be a formula string such as "
                         f"{tshape.DEFAULT_BUDGET!r}")
    sol = tshape.optimal_shape(budget, setting=setting)
    names = {v: k for k, v in tshape.RESOURCES.items()}
    resources = {names[r]: (e, _value(e, nu, beta, dps)) for r, e in sol.exponents.items()}
    risk = (sol.risk, _value(sol.risk, nu, beta, dps))
    lvn = None
    if sL in sol.laws and sN in sol.laws:
        q = sol.ratio(sL, sN)
        lvn = (q, _value(q, nu, beta, dps))
    K = KR = None
    if constants is not None:
        K, KR = _constants(constants, [names[r] for r in sol.laws], nu, beta, sol, dps)
        for r in sol.fixed:
            K[names[r]] = mpmath.mpf(1)
    return ShapeResult(setting, budget, nu, beta, resources, risk,
                       tuple(names[r] for r in sol.fixed), tuple(names[r] for r in sol.dropped),
                       K, KR, lvn, dps)
