"""The outcome of one claim (:class:`Verdict`) and how it is written: one line for people, a dict
of plain numbers for JSON (:func:`solvers.result.plain` / :func:`solvers.result.to_json`: every
number a JSON number with all its digits)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import mpmath
import sympy as sp

from solvers.result import human_value, plain

__all__ = ["Verdict", "MIN_DPS", "fmt"]

#: the issue asks for high-precision numerics: claims are never checked below this precision
MIN_DPS = 30


@dataclass(frozen=True)
class Verdict:
    """Outcome of one claim.

    ``status`` is ``verified``/``refuted``/``skipped``/``error``; ``ok`` says whether it matches
    ``expect``.  ``counterexample`` = {params, claimed, exact, rel_err, error_estimate, relation}
    at the worst failing point (a matrix identity: {entry, witness, exact}).  ``difference`` is
    ``claim − exact`` simplified (a short formula in the ranged parameters) when the exact
    expression is symbolic and the claim is refuted.  ``margin`` (relations ``<=``, ``>=``, ``<``,
    ``>``): the smallest slack of the relation over the points, ``exact − claimed`` for ``<=``/``<``
    and ``claimed − exact`` for ``>=``/``>`` (negative where the relation fails), with the point
    ``margin_at``."""

    name: str
    file: str | None
    quantity: str
    setting: str | None
    claim: str
    status: str
    method: str
    expect: str
    ok: bool
    points: int = 0
    max_rel_err: Any = None
    counterexample: Mapping[str, Any] | None = None
    message: str = ""
    note: str = ""
    result: Any = None
    dps: int = MIN_DPS
    relation: str = "=="
    difference: str | None = None
    margin: Any = None
    margin_at: Mapping[str, Any] | None = None

    @property
    def line(self) -> str:
        """One-line report: ``verified (symbolic)``, ``verified (numeric: …)``, ``REFUTED: …``."""
        if self.status == "skipped":
            text = f"skipped ({self.message})"
        elif self.status == "error":
            text = f"ERROR ({self.message})"
        elif self.status == "verified":
            if self.method == "symbolic":
                text = "verified (symbolic)"
            elif self.relation != "==":
                text = (f"verified (numeric: {self.points} points, claim {self.relation} exact "
                        f"at every point{self._margin_text()})")
            else:
                text = (f"verified (numeric: {self.points} points, max rel. err "
                        f"{fmt(self.max_rel_err, 3)})")
        else:
            text = "REFUTED: " + describe(self.counterexample, self.method)
            if self.difference:
                text += f"; claim - exact = {self.difference}"
        mark = "ok" if self.ok else "UNEXPECTED"
        exp = " [expected refuted]" if self.expect == "refuted" and self.ok else ""
        if not self.ok:
            exp = f" [expected {self.expect}]"
        where = f"{self.file}: " if self.file else ""
        return f"[{mark}] {where}{self.name}: {text}{exp}"

    def _margin_text(self):
        if self.margin is None:
            return ""
        at = ", ".join(f"{k}={fmt(v, 8)}" for k, v in (self.margin_at or {}).items())
        side = "exact - claim" if self.relation in ("<=", "<") else "claim - exact"
        return f"; smallest margin {side} = {fmt(self.margin, 4)}" + (f" at {at}" if at else "")

    def to_dict(self) -> dict:
        """Plain-number dict (:func:`solvers.result.plain`: mpf → Decimal with all its digits,
        infinities → ``math.inf``); write it with :func:`solvers.result.to_json`.  Values carry
        the claim's ``dps`` digits (relative errors: 4)."""
        d = self.dps
        return {"name": self.name, "file": self.file, "quantity": self.quantity,
                "setting": self.setting, "claim": self.claim, "status": self.status,
                "method": self.method, "expect": self.expect, "ok": self.ok,
                "points": self.points, "max_rel_err": _plain(self.max_rel_err, 4),
                "counterexample": _plain(self.counterexample, d), "difference": self.difference,
                "margin": _plain(self.margin, d), "margin_at": _plain(self.margin_at, d),
                "message": self.message, "note": self.note, "result": _plain(self.result, d),
                "dps": self.dps, "relation": self.relation, "line": self.line}


def _plain(v, digits):
    """Numbers through :func:`solvers.result.plain` (``digits`` significant digits); sympy
    values: integers and rationals as numbers, other expressions as text."""
    if isinstance(v, Mapping):
        return {str(k): _plain(x, digits) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x, digits) for x in v]
    if isinstance(v, sp.Basic):
        if v.is_Integer:
            return int(v)
        if v is sp.oo:
            return plain(mpmath.inf)
        if v.is_number and v.is_real and not v.is_Rational:
            return str(v)
        if v.is_Rational:
            with mpmath.workdps(digits + 10):
                return plain(mpmath.mpf(v.p) / v.q, digits)
        return str(v)
    return plain(v, digits)


def fmt(v, digits=12):
    """A number for the one-line report (integers without a decimal point)."""
    if v is None:
        return "n/a"
    if isinstance(v, mpmath.mpf):
        if mpmath.isinf(v):
            return "inf" if v > 0 else "-inf"
        if abs(v) < 10**15 and v == int(v):  # int() of a huge mpf would build the integer
            return str(int(v))
        return mpmath.nstr(v, digits)
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    if isinstance(v, sp.Basic) or isinstance(v, (int, str)):
        return str(v)
    return human_value(v)


def describe(ce, method):
    """The counterexample part of a ``REFUTED`` line."""
    if not ce:
        return "(no counterexample)"
    if "entry" in ce:
        w = ", ".join(f"{k}={v}" for k, v in ce.get("witness", {}).items())
        return (f"claimed 0, exact matrix has the nonzero entry {ce['entry']}; at {w} "
                f"it equals {ce.get('exact')} [symbolic]")
    params = ", ".join(f"{k}={fmt(v, 8)}" for k, v in ce["params"].items())
    rel = f" (rel. err {fmt(ce.get('rel_err'), 3)})" if ce.get("rel_err") is not None else ""
    how = ce.get("relation", "==")
    verb = "claimed" if how == "==" else f"claimed {how}"
    return (f"at {params or 'the fixed parameters'}: {verb} {fmt(ce['claimed'])}, "
            f"exact {fmt(ce['exact'])}{rel} [{method}]")
