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


#: binary exponents beyond this cannot be written as a Decimal (its exponent limit is 10^18)
_DECIMAL_MAG = 10 ** 17


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
        if x and abs(mpmath.mag(x)) > _DECIMAL_MAG:
            if mpmath.mag(x) < 0:
                # below 1e-(10^17) (an error bound that underflowed to a meaningless exponent):
                # zero to every digit a JSON number or Decimal can carry
                return Decimal(0)
            raise ValueError(f"a result of magnitude 2^{mpmath.mag(x)} is beyond the range of "
                             "printable numbers")
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


# ------------------------------------------------------------------------------------------
# notebook and DataFrame views (shared by Result, TimeSeries and the simulator results)
# ------------------------------------------------------------------------------------------

#: LaTeX names of the quantities and parameters shown in tables and reprs
LATEX_NAMES = {
    "risk": "R", "gamma": r"\gamma", "alpha": r"\alpha", "beta": r"\beta", "nu": r"\nu",
    "sigma2": r"\sigma^2", "depth": "L", "width": "N", "context": "P", "time": "t",
    "times": "t", "dim": "D", "error_estimate": r"\varepsilon", "stderr": r"\mathrm{s.e.}",
    "lr": r"\eta", "tau": r"\tau", "kappa": r"\kappa", "steps": "n",
}


def short_number(x, digits: int = 16) -> str:
    """A number in at most ``digits`` significant digits, ``…`` marking a truncation (``inf`` and
    strings as they are).  For reprs and tables, never for data: :func:`to_json` keeps every
    digit."""
    if isinstance(x, np.generic):
        x = x.item()
    if x is None:
        return "None"
    if isinstance(x, (bool, str, int)):
        return str(x)
    if isinstance(x, (mpmath.mpc, complex)):
        sign = "+" if x.imag >= 0 else "-"
        return f"{short_number(x.real, digits)}{sign}{short_number(abs(x.imag), digits)}j"
    if not isinstance(x, (float, Decimal, mpmath.mpf)):
        return str(x)
    if isinstance(x, (float, Decimal)) and Decimal(repr(x) if isinstance(x, float)
                                                   else x).is_finite():
        # decimal input rounds in decimal (1.255 -> 1.26 at 3 digits, not via binary 1.2549…)
        d = Decimal(repr(x)) if isinstance(x, float) else x
        sig = d.normalize().as_tuple().digits
        text = format(d, f".{digits}g")
        mant, _, exp = text.partition("e")
        if "." in mant:
            mant = mant.rstrip("0")
            mant = mant + "0" if mant.endswith(".") else mant
        else:
            mant += ".0"
        text = mant + (f"e{int(exp)}" if exp else "")
        return text + ("…" if len(sig) > digits else "")
    with mpmath.workdps(digits + 25):
        v = mpmath.mpf(str(x)) if isinstance(x, (float, Decimal)) else mpmath.mpf(x)
        if mpmath.isinf(v):
            return "inf" if v > 0 else "-inf"
        if mpmath.isnan(v):
            return "nan"
        short = mpmath.nstr(v, digits, strip_zeros=True)
        longer = mpmath.nstr(v, digits + 20, strip_zeros=True)
    mant = longer.lower().lstrip("-").split("e")[0].replace(".", "").strip("0")
    return short + ("…" if len(mant) > digits else "")


def _one_digit(x, digits: int = 1) -> str:
    """An error estimate in ``digits`` significant digits (``1e-25``, ``0.004``, ``0.028``)."""
    try:
        f = float(x)
    except (TypeError, ValueError, OverflowError):
        return str(x)
    if f == 0 or not math.isfinite(f):
        return "0" if f == 0 else ("inf" if f > 0 else "-inf")
    text = f"{f:.{digits - 1}e}"            # '1e-25', '2.8e-02'
    mant, exp = text.split("e")
    e = int(exp)
    return f"{mant}e{e}" if (e < -3 or e > 4) else f"{float(text):g}"


def _latex_number(x, digits: int = 16) -> str:
    """``short_number`` in LaTeX: ``1.5\\times 10^{-25}``, ``\\infty``, ``\\ldots`` for ``…``."""
    text = short_number(x, digits)
    if text in ("inf", "-inf"):
        return r"\infty" if text == "inf" else r"-\infty"
    more = text.endswith("…")
    text = text.rstrip("…")
    if "e" in text.lower() and not text.isalpha():
        mant, exp = text.lower().split("e")
        text = (f"{mant}\\times 10^{{{int(exp)}}}" if mant not in ("1", "1.0")
                else f"10^{{{int(exp)}}}")
    return text + (r"\ldots" if more else "")


def _series_field(obj):
    """Name of the time axis of a series result (``times`` or ``steps``), or None."""
    for name in ("times", "steps"):
        if isinstance(getattr(obj, name, None), (list, tuple, np.ndarray)):
            return name
    return None


def _is_sequence(v):
    return isinstance(v, (list, tuple, np.ndarray))


class ReprMixin:
    """Short ``__repr__``, ``_repr_html_`` / ``_repr_latex_`` (Jupyter) and ``to_frame()``
    (pandas, optional) for the frozen result dataclasses.

    A scalar result reads ``Result(rrs: risk=0.002020226749664487 ± 2e-36, gamma=122.49816…,
    converged, method='…')``; a series (``times`` or ``steps`` with a list ``risk``) shows its
    range.  Every digit stays in the object, :meth:`to_dict` and :func:`to_json`; the views only
    shorten what is displayed."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # ``@dataclass`` adds a field-dump ``__repr__`` unless the class body defines one; putting
        # the short repr in each subclass's own namespace (before the decorator runs) keeps it
        for name in ("__repr__",):
            if name not in cls.__dict__:
                setattr(cls, name, getattr(ReprMixin, name))

    # ---------------------------------------------------------------- shared pieces
    def _head(self) -> list[str]:
        """The parts of the one-line summary, in order."""
        parts = []
        axis = _series_field(self)
        risk = getattr(self, "risk", None)
        if axis is not None and _is_sequence(risk):
            ts = list(getattr(self, axis))
            parts.append(f"{len(ts)} {axis}" + (f" in [{short_number(ts[0], 6)}, "
                                                  f"{short_number(ts[-1], 6)}]" if ts else ""))
            if len(risk):
                parts.append(f"risk {short_number(risk[0], 6)} → {short_number(risk[-1], 6)}")
            g = getattr(self, "gamma", None)
            if _is_sequence(g) and len(g):
                parts.append(f"gamma {short_number(g[0], 6)} → {short_number(g[-1], 6)}")
        else:
            text = f"risk={short_number(risk, 16)}"
            stderr = getattr(self, "stderr", None)
            err = getattr(self, "error_estimate", None)
            if stderr is not None and not _is_sequence(stderr):
                text += f" ± {_one_digit(stderr, 2)} (1 s.e.)"
            elif err is not None:
                text += f" ± {_one_digit(err)}"
            parts.append(text)
            g = getattr(self, "gamma", None)
            if g is not None and not _is_sequence(g):
                parts.append(f"gamma={short_number(g, 8)}")
            for name in ("dim", "contexts", "seed"):
                v = getattr(self, name, None)
                if v is not None:
                    parts.append(f"{name}={v}")
        if getattr(self, "converged", True) is False:
            parts.append("NOT converged")
        else:
            parts.append("converged")
        method = getattr(self, "method", "")
        if method:
            parts.append(f"method={method if len(method) <= 40 else method[:39] + '…'!r}")
        return parts

    def __repr__(self) -> str:
        return f"{type(self).__name__}({getattr(self, 'setting', '?')}: " \
               f"{', '.join(self._head())})"

    def _scalar_rows(self) -> list[tuple[str, Any]]:
        """(label, value) rows of the HTML table: the fields that are not per-time lists."""
        rows = []
        params = getattr(self, "params", None)
        if params:
            rows.append(("params", ", ".join(f"{k}={short_number(v, 12)}"
                                             for k, v in params.items()
                                             if not _is_sequence(v) and v is not None)))
        for name in ("risk", "gamma", "error_estimate", "stderr", "converged", "method", "dps",
                     "iterations", "dim", "contexts", "seed"):
            v = getattr(self, name, None)
            if v is None or _is_sequence(v) or (name == "method" and not v):
                continue
            rows.append((name, v))
        for k, v in (getattr(self, "extra", None) or {}).items():
            if not _is_sequence(v) and not isinstance(v, Mapping):
                rows.append((k, v))
        return rows

    def _series_columns(self) -> dict:
        """Per-time columns of a series (axis, risk, gamma and equal-length extras)."""
        axis = _series_field(self)
        if axis is None or not _is_sequence(getattr(self, "risk", None)):
            return {}
        ts = list(getattr(self, axis))
        cols = {("time" if axis == "times" else "step"): ts}
        for name in ("risk", "gamma", "curve", "curve_stderr"):
            v = getattr(self, name, None)
            if _is_sequence(v) and len(v) == len(ts):
                cols[name] = list(v)
        for k, v in (getattr(self, "extra", None) or {}).items():
            if _is_sequence(v) and len(v) == len(ts) and k not in cols:
                cols[k] = list(v)
        return cols

    # ---------------------------------------------------------------- notebook views
    def _repr_html_(self) -> str:
        import html

        esc = html.escape
        out = [f"<b>{esc(type(self).__name__)}</b> ({esc(str(getattr(self, 'setting', '')))})",
               "<table>"]
        for label, v in self._scalar_rows():
            text = v if isinstance(v, str) else short_number(v, 16)
            if label == "error_estimate":
                text = _one_digit(v)
            out.append(f"<tr><th style='text-align:left'>{esc(label)}</th>"
                       f"<td style='text-align:left'>{esc(str(text))}</td></tr>")
        out.append("</table>")
        cols = self._series_columns()
        if cols:
            names = list(cols)
            n = len(cols[names[0]])
            idx = list(range(n)) if n <= 12 else list(range(6)) + [None] + list(range(n - 5, n))
            out.append("<table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in names) + "</tr>")
            for i in idx:
                if i is None:
                    out.append("<tr>" + "<td>⋮</td>" * len(names) + "</tr>")
                    continue
                out.append("<tr>" + "".join(f"<td>{esc(short_number(cols[c][i], 10))}</td>"
                                            for c in names) + "</tr>")
            out.append("</table>")
        return "\n".join(out)

    def _repr_latex_(self) -> str:
        cols = self._series_columns()
        if cols:
            names = list(cols)
            n = len(cols[names[0]])
            idx = list(range(n)) if n <= 12 else list(range(6)) + [None] + list(range(n - 5, n))
            head = " & ".join(LATEX_NAMES.get(c, r"\mathrm{" + c.replace("_", r"\_") + "}")
                              for c in names)
            lines = []
            for i in idx:
                if i is None:
                    lines.append(" & ".join([r"\vdots"] * len(names)))
                else:
                    lines.append(" & ".join(_latex_number(cols[c][i], 10) for c in names))
            return ("$\\begin{array}{" + "r" * len(names) + "}" + head + r" \\ \hline "
                    + r" \\ ".join(lines) + r"\end{array}$")
        parts = []
        risk = getattr(self, "risk", None)
        text = f"R = {_latex_number(risk, 16)}"
        stderr = getattr(self, "stderr", None)
        err = getattr(self, "error_estimate", None)
        if stderr is not None:
            text += rf" \pm {_latex_number(_one_digit(stderr, 2), 2)}"
        elif err is not None:
            text += rf" \pm {_latex_number(_one_digit(err), 1)}"
        parts.append(text)
        g = getattr(self, "gamma", None)
        if g is not None and not isinstance(g, str):
            parts.append(rf"\gamma = {_latex_number(g, 16)}")
        params = getattr(self, "params", None) or {}
        shown = [f"{LATEX_NAMES[k]} = {_latex_number(v, 12)}" for k, v in params.items()
                 if k in LATEX_NAMES and k != "gamma" and v is not None and not _is_sequence(v)
                 and not isinstance(v, str)]
        body = r",\quad ".join(parts)
        if shown:
            body += r"\qquad (" + ", ".join(shown) + ")"
        setting = getattr(self, "setting", "")
        return rf"$\mathrm{{{setting}}}:\ {body}$"

    # ---------------------------------------------------------------- rows and CSV
    def to_rows(self) -> list[dict]:
        """Plain rows (numbers as ``Decimal`` with every digit, see :func:`plain`): one per
        time for a series (``time``/``step``, ``risk``, ``gamma`` and the per-time extras), one
        for a scalar result (the parameters, then ``risk``, ``gamma``, ``error_estimate``, …)."""
        dps = getattr(self, "dps", None)
        cols = self._series_columns()
        if cols:
            names = list(cols)
            n = len(cols[names[0]])
            return [{c: plain(cols[c][i], dps) for c in names} for i in range(n)]
        row = {"setting": getattr(self, "setting", None)}
        for k, v in (getattr(self, "params", None) or {}).items():
            if not _is_sequence(v) and not isinstance(v, Mapping):
                row[k] = plain(v, dps)
        row.update({k: plain(v, dps) for k, v in self._scalar_rows() if k != "params"})
        return [row]

    def to_csv(self) -> str:
        """:meth:`to_rows` as CSV text (header line, then one line per row; every digit,
        ``inf`` for infinity)."""
        import csv
        import io

        rows = self.to_rows()
        buf = io.StringIO()
        names = list(rows[0]) if rows else []
        writer = csv.DictWriter(buf, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: human_value(v) if v is not None else "" for k, v in row.items()})
        return buf.getvalue()

    # ---------------------------------------------------------------- pandas
    def to_frame(self, exact: bool = False):
        """A ``pandas.DataFrame``: one row per time for a series (columns ``time``/``step``,
        ``risk``, ``gamma`` and the per-time extras; the rest in ``DataFrame.attrs``), one row
        for a scalar result (the parameters, then ``risk``, ``gamma``, ``error_estimate``, …).
        Numbers are floats, or ``decimal.Decimal`` with every digit when ``exact=True``.
        Needs pandas (optional: ``pip install 'icl-theory[pandas]'``)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_frame() needs pandas, an optional dependency of icl-theory: "
                              "pip install 'icl-theory[pandas]' (or pip install pandas)") from None

        dps = getattr(self, "dps", None)

        def conv(v):
            p = plain(v, dps)
            if isinstance(p, Decimal) and not exact:
                return float(p)
            if isinstance(p, dict):  # complex number
                return complex(float(p["re"]), float(p["im"])) if not exact else p
            return p

        cols = self._series_columns()
        if cols:
            frame = pd.DataFrame({k: [conv(x) for x in v] for k, v in cols.items()})
            attrs = {"setting": getattr(self, "setting", None),
                     "params": _jsonable(getattr(self, "params", {}), dps)}
            attrs.update({k: _jsonable(v, dps) for k, v in self._scalar_rows()
                          if k != "params"})
            frame.attrs.update(attrs)
            return frame
        row = {"setting": getattr(self, "setting", None)}
        for k, v in (getattr(self, "params", None) or {}).items():
            if not _is_sequence(v) and not isinstance(v, Mapping):
                row[k] = conv(v)
        for k, v in self._scalar_rows():
            if k != "params":
                row[k] = conv(v)
        return pd.DataFrame([row])


@dataclass(frozen=True)
class Result(ReprMixin):
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
