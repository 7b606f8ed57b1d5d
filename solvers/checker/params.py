"""The parameters a claim may fix or vary: symbols, kinds, aliases, domains and work limits.

Every parameter has a **domain** — the values the model is defined for, the same ranges the
numeric solvers accept (``alpha > 0``, ``nu > 1``, ``depth`` an integer ``>= 1`` or ``inf``, …) — and
integer sizes have a **work limit**: the largest finite value the checker evaluates
(:data:`solvers.validate.WORK_LIMITS`; larger finite values run for hours or exhaust memory, and
the limit itself is available exactly as ``inf``).  A claim whose fixed values, range ends or
listed values leave the domain is a malformed claim (:class:`ClaimsError`), never a verdict: a
proof over ``alpha ∈ [−2, −1]`` would prove nothing about the model.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from solvers.validate import WORK_LIMITS
from theory import symbols as S
# SGD symbols are defined once, in theory.dynamics (learning rate, batch and query ratios, step)
from theory.dynamics import eta as _eta, kappa as _kappa, n_step as _step, tau_batch as _tau

__all__ = ["Param", "PARAMS", "ALIASES", "symbol", "domain_problem"]


@dataclass(frozen=True)
class Param:
    """One parameter: its sympy ``symbol`` (None: not a formula variable), ``kind`` (``real``,
    ``int``, ``str``, ``bool``), whether ``inf`` is valid, and its domain: ``lower`` bound
    (``strict``: ``> lower``, else ``>= lower``; None: unbounded) and, for integer sizes, the work
    limit ``maximum`` on finite values."""

    symbol: sp.Symbol | None
    kind: str = "real"
    allow_inf: bool = False
    lower: int | None = None
    strict: bool = False
    maximum: int | None = None
    meaning: str = ""

    @property
    def domain(self) -> str:
        """The valid range in words, e.g. ``an integer >= 1 and <= 100000, or inf``."""
        if self.kind in ("str", "bool"):
            return "a string" if self.kind == "str" else "true or false"
        text = "an integer" if self.kind == "int" else "a real number"
        if self.lower is not None:
            text += f" {'>' if self.strict else '>='} {self.lower}"
        if self.maximum is not None:
            text += f" and <= {self.maximum}"
        return text + (", or inf" if self.allow_inf else "")


def _fs_omega():
    from theory import fs as tfs
    return tfs.omega


def _pos(symbol, allow_inf=False, meaning=""):
    return Param(symbol, "real", allow_inf, 0, True, meaning=meaning)


def _nonneg(symbol, allow_inf=False, meaning=""):
    return Param(symbol, "real", allow_inf, 0, False, meaning=meaning)


def _size(symbol, name, lower=1, allow_inf=True, meaning=""):
    return Param(symbol, "int", allow_inf, lower, False, WORK_LIMITS.get(name), meaning)


PARAMS = {
    "alpha": _pos(S.alpha, True, "context ratio P/D"),
    "depth": _size(S.L, "depth", meaning="number of layers L"),
    "sigma2": _nonneg(S.sigma2, meaning="label-noise variance"),
    "gamma": _nonneg(S.gamma, True, "total step"),
    "nu": Param(S.nu, "real", False, 1, True, meaning="capacity exponent"),
    "beta": _pos(S.beta, meaning="source exponent"),
    "time": _nonneg(S.t, True, "gradient-flow time"),
    "width": _size(S.N, "width", meaning="residual-stream width N"),
    "context": _size(S.P, "context", meaning="context length P"),
    "dim": _size(sp.Symbol("D", positive=True, integer=True), "dim",
                 meaning="number of modes D"),
    "theta": Param(S.theta, meaning="rotation angle"),
    "lam": _pos(S.lam, meaning="eigenvalue"),
    "omega": _nonneg(None, meaning="target weight"),  # theory.fs.omega, resolved lazily
    "eta": _pos(_eta, meaning="SGD learning rate"),
    "tau": _pos(_tau, meaning="batch ratio B/D"),
    "kappa": _pos(_kappa, True, "query ratio K/D"),
    "step": _size(_step, "step", lower=0, meaning="SGD step n"),
    "init_scale": _pos(sp.Symbol("sigma_0", positive=True), meaning="initial weight scale"),
    "seed": Param(None, "int", False, 0, False, 2 ** 32 - 1, "random seed"),
    "budget": Param(None, "str"),
    "parameterization": Param(None, "str"),
    "rotate_omega": Param(None, "bool"),
    "transpose": Param(None, "bool"),
    "gains": Param(None, "bool"),
    "general_key": Param(None, "bool"),
    "query_noise": Param(None, "bool"),
    # sizes of the symbolic matrices of theory.model (symbolic work grows factorially)
    "D": Param(None, "int", False, 1, False, WORK_LIMITS["model_size"], "model dimension"),
    "P": Param(None, "int", False, 1, False, WORK_LIMITS["model_size"], "model context"),
}

#: other spellings accepted inside claim expressions (the paper's letters)
ALIASES = {"L": "depth", "t": "time", "N": "width", "d": "width", "k": "context",
           "lambda": "lam", "w": "omega", "n": "step"}


def symbol(name):
    """The sympy symbol of a parameter (``omega`` is :data:`theory.fs.omega`)."""
    if name == "omega":
        return _fs_omega()
    return PARAMS[name].symbol


def is_variable(name) -> bool:
    """True for a parameter that can appear in formulas (it has a symbol)."""
    return PARAMS[name].symbol is not None or name == "omega"


def domain_problem(name, value):
    """None if the sympy number ``value`` (or ``oo``) lies in the domain of parameter ``name``,
    else the reason in words (``alpha=-2 is outside the domain: alpha must be a real number > 0,
    or inf``)."""
    par = PARAMS[name]
    if par.kind in ("str", "bool"):
        return None
    shown = "inf" if value is sp.oo else str(value)

    def bad(why="outside the domain"):
        return f"{name}={shown} is {why}: {name} must be {par.domain}"
    if value is sp.oo:
        return None if par.allow_inf else bad()
    if not (isinstance(value, sp.Basic) and value.is_number):
        return bad("not a number")
    if value.is_extended_real is False or value in (-sp.oo, sp.zoo, sp.nan):
        return bad("not a real number")
    if par.kind == "int" and not value.is_integer:
        return bad("not an integer")
    if par.lower is not None:
        inside = value > par.lower if par.strict else value >= par.lower
        if inside is not sp.true:
            return bad()
    if par.maximum is not None and (value > par.maximum) is sp.true:
        hint = " (the limit itself is inf, computed exactly)" if par.allow_inf else ""
        return bad(f"beyond the work limit{hint}")
    return None
