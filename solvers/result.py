"""Frozen result objects shared by every numeric entry point and the simulator."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

import mpmath


class ConvergenceError(RuntimeError):
    """A solver did not converge.  Carries where it failed and the residual it reached."""

    def __init__(self, message: str, *, where: Any = None, residual: Any = None):
        detail = []
        if where is not None:
            detail.append(f"at {where}")
        if residual is not None:
            detail.append(f"residual {format_number(residual, 6)}")
        super().__init__(message + (f" ({', '.join(detail)})" if detail else ""))
        self.where = where
        self.residual = residual


def round_dps(x, dps):
    """Round an mpf to ``dps`` digits (the precision the caller asked for); others unchanged."""
    if isinstance(x, mpmath.mpf):
        with mpmath.workdps(dps):
            return +x
    return x


def to_mpf(x):
    """mpf of a number (floats through their shortest decimal repr, so 0.1 is 1/10); inf kept."""
    try:
        if math.isinf(float(x)):
            return mpmath.inf if float(x) > 0 else -mpmath.inf
    except (TypeError, ValueError):
        pass
    return mpmath.mpf(str(x) if isinstance(x, float) else x)


def format_number(x: Any, digits: int | None = None) -> Any:
    """JSON-friendly form of a number: mpf -> decimal string carrying its precision,
    infinities -> "inf"/"-inf", ints and bools unchanged, floats unchanged when finite."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, int):
        return x
    if isinstance(x, mpmath.mpf):
        if mpmath.isinf(x):
            return "inf" if x > 0 else "-inf"
        if mpmath.isnan(x):
            return "nan"
        return mpmath.nstr(x, digits or mpmath.mp.dps, min_fixed=-8, max_fixed=8)
    if isinstance(x, mpmath.mpc):
        return {"re": format_number(x.real, digits), "im": format_number(x.imag, digits)}
    if isinstance(x, float):
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if math.isnan(x):
            return "nan"
        return x
    try:  # numpy scalars
        return format_number(float(x), digits)
    except (TypeError, ValueError):
        return str(x)


def _jsonable(obj: Any, digits: int | None) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v, digits) for v in obj]
    return format_number(obj, digits)


def fields_to_dict(obj, digits, *, omit_none=(), skip=()) -> dict:
    """JSON-friendly dict of a result dataclass: every field (``extra`` flattened into the top
    level), fields in ``skip`` left out, fields in ``omit_none`` left out when None."""
    out = {}
    for f in fields(obj):
        v = getattr(obj, f.name)
        if f.name in skip or (v is None and f.name in omit_none):
            continue
        if f.name == "extra":
            out.update({k: _jsonable(ev, digits) for k, ev in v.items()})
        else:
            out[f.name] = _jsonable(v, digits)
    return out


@dataclass(frozen=True)
class Result:
    """Outcome of a numeric computation (theory) or a Monte-Carlo estimate (simulator).

    ``risk`` is the value; ``value`` is an alias.  Theory results set ``error_estimate`` and
    ``converged``; simulator results set ``stderr``, ``dim``, ``contexts`` and ``seed``.
    """

    setting: str
    params: Mapping[str, Any]
    risk: Any
    gamma: Any = None
    converged: bool = True
    error_estimate: Any = None
    method: str = ""
    dps: int | None = None
    iterations: int | None = None
    stderr: Any = None
    dim: int | None = None
    contexts: int | None = None
    seed: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> Any:
        return self.risk

    def to_dict(self) -> dict:
        """Plain-JSON dictionary; mpf numbers become decimal strings of ``dps`` digits."""
        return fields_to_dict(self, self.dps,
                              omit_none=("stderr", "dim", "contexts", "seed", "iterations"))
