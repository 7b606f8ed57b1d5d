"""Reading claims files: TOML → validated :class:`Claim` objects (parsing apart from checking).

Everything in a claims file is data.  Formulas go through the whitelist parser
(:func:`theory.parse.parse_expression`, never evaluated as Python); number fields
(``tolerance``, ``atol``, ``points``, ``dps``, ``timeout``) accept numbers only; ``requires`` only
the names of :data:`REQUIRES`; every parameter value — fixed, both ends of a range, listed values,
and fixed formulas at every evaluation point — must lie in the parameter's domain and under its
work limit (:mod:`solvers.checker.params`).  A violation raises :class:`ClaimsError` (a
``ValueError``; exit status 2 on the command line) naming the file, the line, the claim, the
field and — for a parameter — its value and valid range.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Any

import sympy as sp

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from solvers.checker.limits import MAX_DPS, MAX_POINTS, MAX_TIMEOUT, numeric_subs
from solvers.checker.params import ALIASES, PARAMS, domain_problem, is_variable, symbol
from solvers.checker.points import points as point_set
from solvers.checker.quantities import QUANTITIES, Quantity
from solvers.checker.verdict import MIN_DPS
from theory.parse import (DEFAULT_CONSTANTS, DEFAULT_FUNCTIONS, ExpressionError,
                          parse_expression, parse_number)

__all__ = ["ClaimsError", "Claim", "parse_claim", "load_claims", "REQUIRES", "DEFAULT_POINTS"]

DEFAULT_POINTS = 12
#: claims files larger than this are refused before parsing (derivations/ files are ~10 KB)
MAX_FILE_BYTES = 1_000_000

CLAIM_KEYS = {"name", "quantity", "setting", "fixed", "free", "claim", "expect", "tolerance",
              "atol", "points", "dps", "method", "requires", "relation", "slope_in", "note",
              "source", "result", "where", "timeout"}
FILE_KEYS = {"claim", "title", "source", "description", "defaults"}
DEFAULT_KEYS = {"dps", "points", "tolerance", "atol", "method", "timeout"}
RELATIONS = ("==", "<=", ">=", "<", ">")
EXPECTS = ("verified", "refuted")
METHODS = ("auto", "symbolic", "numeric")
#: what ``requires`` may name: the package modules some quantities need and the optional
#: dependencies; anything else is an error (the checker imports only these)
REQUIRES = ("solvers.settings.context", "solvers.settings.width", "solvers.analysis.dynamics",
            "solvers.settings.finite_size", "solvers.settings.joint",
            "scipy", "matplotlib", "dask", "distributed", "pandas")
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class ClaimsError(ValueError):
    """A malformed claims file: the message names the file, line (where known) and field."""


@dataclass
class Claim:
    """One validated claim (see ``derivations/README.md`` for the fields)."""

    name: str
    quantity: Quantity
    setting: str | None
    fixed: dict
    free: dict            # name -> ("range", lo, hi) | ("values", [..])
    claim_text: str
    claim_expr: Any
    expect: str
    tolerance: Any
    atol: Any
    points: int
    dps: int
    method: str
    relation: str
    slope_in: str | None
    requires: str | None
    note: str
    result: Any
    file: str | None
    timeout: float | None = None
    point_set: list = dc_field(default_factory=list, repr=False)


_Claim = Claim  # the former private name


class _Deferred(str):
    """A fixed value given as an expression in the free parameters (``gamma = "depth/lam"``)."""


class _Locator:
    """Line numbers of ``[[claim]]`` headers and of keys inside each claim (tomllib has none)."""

    def __init__(self, text):
        self.lines = text.splitlines() if text is not None else []
        self.headers = [i + 1 for i, ln in enumerate(self.lines)
                        if re.match(r"\s*\[\[\s*claim\s*\]\]", ln)]

    def line(self, index, key=None):
        if index is None or index >= len(self.headers):
            return None
        start = self.headers[index]
        if key is None:
            return start
        end = self.headers[index + 1] if index + 1 < len(self.headers) else len(self.lines) + 1
        pat = re.compile(rf"\s*{re.escape(key)}\s*=|\s*\[\s*claim\.{re.escape(key)}\s*\]")
        for i in range(start, end - 1):
            if pat.match(self.lines[i]):
                return i + 1
        return start


class _Context:
    """Where a claim is (file, index, locator, label): builds the :class:`ClaimsError`s."""

    def __init__(self, file, index, locator, label="?"):
        self.file, self.index, self.locator, self.label = file, index, locator, label

    def where(self, key=None):
        if self.file is None:
            return "<claim>"
        line = self.locator.line(self.index, key)
        return f"{self.file}:{line}" if line else str(self.file)

    def error(self, key, message):
        """``ClaimsError('<file>:<line>: claim <label>: <message>')`` (``key`` locates the
        line: the first part of a dotted field name)."""
        top = key.split(".")[0] if key else None
        return ClaimsError(f"{self.where(top)}: claim {self.label!r}: {message}")


class _FileContext(_Context):
    """Errors of file-level fields (``[defaults]``): the file name only."""

    def __init__(self, file):
        super().__init__(file, None, _Locator(None), "[defaults]")

    def error(self, key, message):
        return ClaimsError(f"{self.file}: {message}")


# ----------------------------------------------------------------------------- values

def _number(ctx, fname, value, allow_inf=False, constants=True):
    """A TOML value → exact sympy number or oo (strings: a number, ``p/q``, ``inf``; with
    ``constants`` also a formula without names such as ``pi/4``)."""
    try:
        return parse_number(value, field=fname, allow_inf=allow_inf, constants=constants)
    except ExpressionError as exc:
        raise ctx.error(fname, str(exc)) from None


def _check_domain(ctx, fname, pname, value, interior=False):
    """ClaimsError unless ``value`` is in the domain of ``pname`` (``interior``: the end of a
    range — the points lie strictly inside, so a strict bound itself is allowed; integer ends are
    taken rounded, as the points are)."""
    par = PARAMS[pname]
    if interior and value is not sp.oo:
        if par.kind == "int":
            value = sp.Integer(int(sp.floor(value + sp.Rational(1, 2))))
        elif par.strict and par.lower is not None and value == par.lower:
            return
    problem = domain_problem(pname, value)
    if problem:
        raise ctx.error(fname, f"field {fname!r}: {problem}")


def _check_budget(text):
    from theory.shape import parse_budget
    parse_budget(text)  # the safe monomial parser: ValueError naming the budget


def _check_parameterization(text):
    from solvers.settings.rrs import PARAMETERIZATIONS
    from solvers.validate import require_choice
    require_choice("parameterization", text, PARAMETERIZATIONS)


#: string parameters validated when the file is read (not first when the claim is evaluated)
_STRING_CHECKS = {"budget": _check_budget, "parameterization": _check_parameterization}


def _looks_numeric(text):
    """True for a number, ``inf`` or a formula without names (``pi/4``); False for a formula in
    the parameters (``depth/lam``), which is parsed later."""
    try:
        parse_number(text, field="value", allow_inf=True)
        return True
    except ExpressionError:
        pass
    try:
        return parse_expression(text, {}, field="value").is_number
    except ExpressionError:
        return False


def _param(ctx, table, pname, value, qty):
    """One fixed value (``table`` "fixed") or listed free value ("free"): checked against its
    kind and domain."""
    if pname not in PARAMS or pname not in qty.params:
        raise ctx.error(table, f"field {table!r}: unknown parameter {pname!r} for quantity "
                               f"{qty.name!r} (valid: {', '.join(qty.params)})")
    par, full = PARAMS[pname], f"{table}.{pname}"
    if par.kind in ("str", "bool"):
        typ = str if par.kind == "str" else bool
        if not isinstance(value, typ):
            raise ctx.error(full, f"field {full}: {value!r} must be {par.domain}")
        if pname in _STRING_CHECKS:
            try:
                _STRING_CHECKS[pname](value)
            except ValueError as exc:
                raise ctx.error(full, f"field {full}: {exc}") from None
        return value
    if isinstance(value, str) and not _looks_numeric(value):
        return _Deferred(value)  # an expression in the free parameters, parsed later
    if isinstance(value, list):
        if pname not in ("lam", "omega") or not value:
            raise ctx.error(full, f"field {full}: a list is only valid for lam/omega (a "
                                  "non-empty spectrum)")
        out = [_number(ctx, full, v) for v in value]
        for v in out:
            _check_domain(ctx, full, pname, v)
        return out
    v = _number(ctx, full, value, par.allow_inf)
    _check_domain(ctx, full, pname, v)
    return v


def _free(ctx, pname, value, qty):
    if pname not in PARAMS or pname not in qty.params or PARAMS[pname].kind in ("str", "bool"):
        valid = ", ".join(p for p in qty.params if PARAMS[p].kind not in ("str", "bool"))
        raise ctx.error("free", f"field 'free': {pname!r} cannot be a free parameter of "
                                f"{qty.name!r} (valid: {valid})")
    full = f"free.{pname}"
    if isinstance(value, dict):
        vals = value.get("values")
        if set(value) != {"values"} or not isinstance(vals, list) or not vals:
            raise ctx.error(full, f"field {full}: give [lo, hi] or {{values = [...]}}")
        out = [_param(ctx, "free", pname, v, qty) for v in vals]
        if any(isinstance(v, (_Deferred, list)) for v in out):
            raise ctx.error(full, f"field {full}: listed values must be numbers")
        return ("values", out)
    if not isinstance(value, list) or len(value) != 2:
        raise ctx.error(full, f"field {full}: {value!r} must be a range [lo, hi] or "
                              "{values = [...]}")
    lo, hi = (_number(ctx, full, v) for v in value)
    if not lo < hi:
        raise ctx.error(full, f"field {full}: empty range [{lo}, {hi}] (need lo < hi)")
    for end in (lo, hi):
        _check_domain(ctx, full, pname, end, interior=True)
    return ("range", lo, hi)


def _expr(ctx, text, names, fname, extra=None):
    """A formula in the parameters ``names`` (and their aliases) and the sub-expressions
    ``extra``, read by the whitelist parser (never evaluated)."""
    if not isinstance(text, str) or not text.strip():
        raise ctx.error(fname, f"field {fname!r}: must be a non-empty expression string")
    local = {n: symbol(n) for n in names}
    local.update({a: symbol(n) for a, n in ALIASES.items() if n in names})
    local.update(extra or {})
    try:
        return parse_expression(text, local, field=fname)
    except ExpressionError as exc:
        raise ctx.error(fname, str(exc)) from None


# ----------------------------------------------------------------------------- options

def _int_option(ctx, key, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ctx.error(key, f"field {key!r}: {value!r} must be an integer >= {lo} and <= {hi}")
    return value


def _options(ctx, raw, prefix=""):
    """The number/choice options of a claim or of ``[defaults]`` (only those given)."""
    out = {}
    if "dps" in raw:
        out["dps"] = _int_option(ctx, prefix + "dps", raw["dps"], MIN_DPS, MAX_DPS)
    if "points" in raw:
        out["points"] = _int_option(ctx, prefix + "points", raw["points"], 1, MAX_POINTS)
    for key in ("tolerance", "atol"):
        if key in raw:  # numbers only: no formula, no inf, no nan
            v = _number(ctx, prefix + key, raw[key], constants=False)
            if v < 0:
                raise ctx.error(prefix + key, f"field {prefix + key!r}: {raw[key]!r} must be "
                                              ">= 0")
            out[key] = v
    if "timeout" in raw:
        t = raw["timeout"]
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 < t <= MAX_TIMEOUT:
            raise ctx.error(prefix + "timeout", f"field {prefix + 'timeout'!r}: {t!r} must be a "
                                                f"number of seconds > 0 and <= {MAX_TIMEOUT}")
        out["timeout"] = float(t)
    if "method" in raw:
        out["method"] = _choice(ctx, prefix + "method", raw["method"], METHODS)
    return out


def _choice(ctx, key, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise ctx.error(key, f"field {key!r}: {value!r} (valid: {', '.join(choices)})")
    return value


def _string(ctx, raw, key, default=None):
    v = raw.get(key, default)
    if v is not None and not isinstance(v, str):
        raise ctx.error(key, f"field {key!r}: must be a string")
    return v


# ----------------------------------------------------------------------------- one claim

def parse_claim(raw, file=None, index=None, locator=None, defaults=None, timeout=None):
    """Validate one claim table and return a :class:`Claim` (ClaimsError if malformed).

    ``defaults``: the file's parsed ``[defaults]``; ``timeout``: the time limit for claims that
    set none (seconds)."""
    ctx = _Context(file, index, locator or _Locator(None))
    if not isinstance(raw, dict):
        raise ClaimsError(f"{ctx.where()}: a claim must be a table")
    name = raw.get("name")
    ctx.label = name if isinstance(name, str) else f"#{(index or 0) + 1}"
    for key in raw:
        if key not in CLAIM_KEYS:
            raise ctx.error(key, f"unknown field {key!r} (valid: {', '.join(sorted(CLAIM_KEYS))})")
    for key in ("name", "quantity", "claim"):
        if key not in raw:
            raise ctx.error(None, f"missing required field {key!r}")
    for key in ("name", "quantity", "note", "source"):
        _string(ctx, raw, key)
    qty, setting = _quantity(ctx, raw)
    fixed, free, expr = _formulas(ctx, raw, qty)
    expect = _choice(ctx, "expect", raw.get("expect", "verified"), EXPECTS)
    opts = {**(defaults or {}), **_options(ctx, raw)}
    dps = opts.get("dps", MIN_DPS)
    tol = opts.get("tolerance", sp.Integer(10) ** (-(dps // 2)))
    atol = opts.get("atol", sp.Integer(10) ** (-(dps - 5)))
    relation = _choice(ctx, "relation", raw.get("relation", "=="), RELATIONS)
    slope_in = _string(ctx, raw, "slope_in")
    if slope_in is not None and slope_in not in free:
        raise ctx.error("slope_in", f"field 'slope_in': {slope_in!r} must name a free parameter")
    requires = _string(ctx, raw, "requires", qty.requires)
    if requires is not None and requires not in REQUIRES:
        raise ctx.error("requires", f"field 'requires': {requires!r} is not a known optional "
                                    f"module (valid: {', '.join(REQUIRES)})")
    result = raw.get("result")
    if result is not None and (isinstance(result, bool) or not isinstance(result, (str, int))):
        raise ctx.error("result", "field 'result': must be a string or an integer")
    claim = Claim(raw["name"], qty, setting, fixed, free, raw["claim"], expr, expect, tol, atol,
                  opts.get("points", DEFAULT_POINTS), dps, opts.get("method", "auto"), relation,
                  slope_in, requires, raw.get("note", "") or "", result,
                  None if file is None else str(file), opts.get("timeout", timeout))
    claim.point_set = point_set(free, claim.points, dps)
    _check_derived(ctx, claim)
    return claim


def _quantity(ctx, raw):
    qname = raw["quantity"]
    if qname not in QUANTITIES:
        raise ctx.error("quantity", f"field 'quantity': unknown quantity {qname!r} (valid: "
                                    f"{', '.join(sorted(QUANTITIES))})")
    qty = QUANTITIES[qname]
    setting = raw.get("setting")
    if setting is not None and not isinstance(setting, str):
        raise ctx.error("setting", "field 'setting': must be a string")
    if qty.settings:
        if setting is None and len(qty.settings) == 1:
            setting = qty.settings[0]
        if setting not in qty.settings:
            raise ctx.error("setting", f"field 'setting': {setting!r} is invalid for {qname!r} "
                                       f"(valid: {', '.join(qty.settings)})")
    elif setting is not None:
        raise ctx.error("setting", f"field 'setting': quantity {qname!r} takes no setting")
    return qty, setting


def _formulas(ctx, raw, qty):
    """``fixed``, ``free``, ``where`` and ``claim``: values checked, formulas parsed."""
    tables = {}
    for key in ("fixed", "free", "where"):
        tables[key] = raw.get(key, {})
        if not isinstance(tables[key], dict):
            raise ctx.error(key, f"field {key!r} must be a table")
    fixed = {k: _param(ctx, "fixed", k, v, qty) for k, v in tables["fixed"].items()}
    free = {k: _free(ctx, k, v, qty) for k, v in tables["free"].items()}
    both = set(fixed) & set(free)
    if both:
        raise ctx.error("free", f"field 'free': {', '.join(sorted(both))} is both fixed and free")
    names = [n for n in list(fixed) + list(free) if is_variable(n)]
    free_names = [n for n in free if is_variable(n)]
    for k, v in list(fixed.items()):
        if isinstance(v, _Deferred):
            fixed[k] = _expr(ctx, str(v), free_names, f"fixed.{k}")
    defs = {}
    for key, text in tables["where"].items():  # in file order: later ones may use earlier ones
        if not _IDENTIFIER.fullmatch(key) or key in PARAMS or key in ALIASES \
                or key in DEFAULT_FUNCTIONS or key in DEFAULT_CONSTANTS:
            raise ctx.error("where", f"field where.{key}: {key!r} must be a new name (letters, "
                                     "digits, _; not a parameter, function or constant)")
        defs[key] = _expr(ctx, text, names, f"where.{key}", defs)
    return fixed, free, _expr(ctx, raw["claim"], names, "claim", defs)


def _check_derived(ctx, claim):
    """Fixed values given as formulas in the free parameters (``gamma = "depth/lam"``) must lie
    in their domains at every evaluation point."""
    derived = {k: v for k, v in claim.fixed.items()
               if isinstance(v, sp.Basic) and not v.is_number and v.free_symbols}
    for values in claim.point_set if derived else ():
        sub = {symbol(k): v for k, v in values.items() if is_variable(k)}
        for k, e in derived.items():
            v = numeric_subs(e, sub, 30)
            if v.is_number and not v.is_Rational and v is not sp.oo:
                v = sp.N(v, 30)
            problem = domain_problem(k, v)
            if problem:
                at = ", ".join(f"{n}={sp.N(x, 8) if not x.is_Integer else x}"
                               for n, x in values.items())
                raise ctx.error("fixed", f"field fixed.{k}: {claim.fixed[k]} at {at}: {problem}")


# ----------------------------------------------------------------------------- files

def load_claims(path, timeout=None):
    """Parse and validate one claims file; returns the list of claims (ClaimsError if bad).
    ``timeout``: the per-claim time limit (seconds) for claims that set none."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ClaimsError(f"{path}: the claims file has {size} bytes (limit "
                              f"{MAX_FILE_BYTES})")
        # read at most one byte past the limit: a device or pipe (/dev/zero) reports size 0
        # and would otherwise be read until memory runs out
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise ClaimsError(f"{path}: the claims file has more than {MAX_FILE_BYTES} bytes "
                              f"(the limit)")
        text = raw.decode("utf-8")
    except OSError as exc:
        raise ClaimsError(f"{path}: cannot read claims file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ClaimsError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ClaimsError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ClaimsError(f"{path}: invalid TOML: arrays or tables nested too deeply") from None
    locator = _Locator(text)
    for key in data:
        if key not in FILE_KEYS:
            raise ClaimsError(f"{path}: unknown top-level field {key!r} (valid: "
                              f"{', '.join(sorted(FILE_KEYS))})")
    for key in ("title", "source", "description"):
        if key in data and not isinstance(data[key], str):
            raise ClaimsError(f"{path}: field {key!r}: must be a string")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict) or set(defaults) - DEFAULT_KEYS:
        raise ClaimsError(f"{path}: field 'defaults': must be a table with keys among "
                          f"{', '.join(sorted(DEFAULT_KEYS))}")
    defaults = _options(_FileContext(path), defaults, "defaults.")
    claims = data.get("claim", [])
    if not isinstance(claims, list) or not claims:
        raise ClaimsError(f"{path}: no [[claim]] tables found")
    return [parse_claim(raw, path, i, locator, defaults, timeout) for i, raw in enumerate(claims)]
