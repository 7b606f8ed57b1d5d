"""Frozen result objects shared by every numeric entry point and the simulator."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, Mapping

import mpmath
import numpy as np


class ConvergenceError(RuntimeError):
    """A solver did not converge.  Carries where it failed and the residual it reached."""

    def __init__(self, message: str, *, where: Any = None, residual: Any = None):
        detail = []
        if where is not None:
            detail.append(f"at {where}")
        if residual is not None:
            detail.append(f"residual {human_value(plain(residual, 6))}")
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


def plain(x: Any, digits: int | None = None) -> Any:
    """A number as a plain Python number, keeping its digits: mpf -> ``decimal.Decimal`` rounded
    to ``digits`` significant digits (default: the working precision), numpy scalars -> float/int/
    bool, mpc -> ``{"re", "im"}``, infinities -> ``math.inf``; ints, floats, bools, strings and
    None unchanged.  :func:`to_json` writes the result with every digit."""
    if isinstance(x, np.generic):
        x = x.item()  # numpy scalar -> the Python number it holds
    if x is None or isinstance(x, (bool, str, Decimal)):
        return x
    if isinstance(x, int):
        return int(x)
    if isinstance(x, float):
        return float(x)
    if isinstance(x, mpmath.mpf):
        if mpmath.isinf(x):
            return math.inf if x > 0 else -math.inf
        if mpmath.isnan(x):
            return math.nan
        return Decimal(mpmath.nstr(x, digits or mpmath.mp.dps, strip_zeros=True))
    if isinstance(x, mpmath.mpc):
        return {"re": plain(x.real, digits), "im": plain(x.imag, digits)}
    if isinstance(x, complex):
        return {"re": float(x.real), "im": float(x.imag)}
    return str(x)


#: kept for callers that format one number
format_number = plain


def _jsonable(obj: Any, digits: int | None) -> Any:
    """:func:`plain` applied through dicts, lists and tuples (and numpy arrays)."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [_jsonable(v, digits) for v in obj]
    return plain(obj, digits)


def _json_number(x, where):
    if isinstance(x, float) or (isinstance(x, Decimal) and not x.is_finite()):
        if x != x:
            raise ValueError(f"{where or 'value'}=nan cannot be written: a computation returned "
                             "nan (a bug or an unstable input; please report it)")
        if x in (math.inf, -math.inf):
            return '"inf"' if x > 0 else '"-inf"'
        return repr(x)
    text = str(x)
    return text if "E" not in text else text.replace("E", "e")


def to_json(obj: Any, *, digits: int | None = None, indent: int | None = None) -> str:
    """One JSON text for results and reports: every number is a JSON number written with all its
    digits (mpf through :func:`plain`; read exactly with ``json.loads(s,
    parse_float=decimal.Decimal)``); an infinite value is the string ``"inf"``/``"-inf"``
    (JSON has no infinity); a nan raises ``ValueError`` naming the key — never a silent nan.
    ``indent`` pretty-prints nested containers."""
    return _to_json(obj, digits, indent, 0, "")


def _to_json(obj, digits, indent, level, where):
    if not isinstance(obj, (Mapping, list, tuple, np.ndarray)):
        obj = plain(obj, digits)
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "true" if obj else "false"
    if isinstance(obj, int):
        return str(obj)
    if isinstance(obj, (float, Decimal)):
        return _json_number(obj, where)
    if isinstance(obj, str):
        return json.dumps(obj, ensure_ascii=False)
    if isinstance(obj, Mapping):
        items = [f"{json.dumps(str(k), ensure_ascii=False)}: "
                 f"{_to_json(v, digits, indent, level + 1, f'{where}.{k}'.lstrip('.'))}"
                 for k, v in obj.items()]
        return _join(items, "{", "}", indent, level)
    if isinstance(obj, (list, tuple, np.ndarray)):
        items = [_to_json(v, digits, indent, level + 1, f"{where}[{i}]")
                 for i, v in enumerate(obj)]
        return _join(items, "[", "]", indent, level)
    return json.dumps(str(obj), ensure_ascii=False)


def _join(items, open_, close, indent, level):
    if indent is None or not items:
        return open_ + ", ".join(items) + close
    pad, inner = " " * (indent * level), " " * (indent * (level + 1))
    return open_ + "\n" + ",\n".join(inner + it for it in items) + "\n" + pad + close


def human_value(v: Any) -> str:
    """A value for human-readable output: numbers with their digits, no library type names."""
    v = _jsonable(v, None) if not isinstance(v, str) else v
    if isinstance(v, Mapping):
        return ", ".join(f"{k}={human_value(x)}" for k, x in v.items())
    if isinstance(v, list):
        return "[" + ", ".join(human_value(x) for x in v) + "]"
    if isinstance(v, float):
        return "inf" if v == math.inf else "-inf" if v == -math.inf else repr(v)
    return str(v).replace("E", "e") if isinstance(v, Decimal) else str(v)


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
        """Plain dictionary of the fields; mpf numbers become ``Decimal`` with ``dps`` digits
        (:func:`to_json` writes it as JSON with every digit)."""
        return fields_to_dict(self, self.dps,
                              omit_none=("stderr", "dim", "contexts", "seed", "iterations"))
