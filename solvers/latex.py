"""LaTeX output for papers: a plain ``tabular`` (no packages beyond LaTeX itself) that a paper can
``\\input``, numbers rounded to a few significant digits, parameter names as Greek letters, and
sympy's ``latex()`` for expressions.

Used by ``icl-theory sweep|exponents|shape --latex`` and ``icl-theory equations --latex``.
"""
from __future__ import annotations

import math
from decimal import Decimal

import mpmath
import sympy as sp

from solvers.result import LATEX_NAMES

__all__ = ["tabular", "number", "name", "escape", "expression", "DEFAULT_DIGITS"]

#: significant digits of the numbers in a table
DEFAULT_DIGITS = 6

_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
             "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
             "^": r"\textasciicircum{}"}


def escape(text) -> str:
    """Plain text safe inside LaTeX (``_``, ``&``, ``%``, … escaped)."""
    return "".join(_SPECIALS.get(ch, ch) for ch in str(text))


def name(key: str) -> str:
    """A column heading: ``$\\alpha$`` for a known parameter or quantity (``alpha``, ``nu``,
    ``sigma2``, ``risk`` → ``$R$``, …), else the escaped name."""
    if key in LATEX_NAMES:
        return f"${LATEX_NAMES[key]}$"
    return escape(key)


def number(x, digits: int = DEFAULT_DIGITS) -> str:
    """``x`` rounded to ``digits`` significant digits in math mode: ``$0.0392676$``,
    ``$1.5\\times 10^{-25}$``, ``$\\infty$``; integers exactly; text (e.g. ``"L/lambda_k"``) and
    None escaped as text."""
    if x is None:
        return "--"
    if isinstance(x, bool):
        return escape(str(x).lower())
    if isinstance(x, int):
        return f"${x}$"
    if isinstance(x, str):
        s = x.strip().lower()
        if s in ("inf", "+inf", "infinity"):
            return r"$\infty$"
        try:
            with mpmath.workdps(max(digits + 10, 30)):
                v = mpmath.mpf(s)
            if s.lstrip("+-").isdigit():
                return f"${int(s)}$"
        except (ValueError, TypeError):
            return escape(x)
        x = v
    if isinstance(x, dict) and set(x) == {"re", "im"}:
        return escape(str(x))
    try:
        with mpmath.workdps(max(digits + 10, 30)):
            v = mpmath.mpf(str(x)) if isinstance(x, (float, Decimal)) else mpmath.mpf(x)
            if mpmath.isinf(v):
                return r"$\infty$" if v > 0 else r"$-\infty$"
            if mpmath.isnan(v):
                return "nan"
            if v == 0:
                return "$0$"
            e = int(mpmath.floor(mpmath.log10(abs(v))))
            if -3 <= e <= 5:
                text = mpmath.nstr(v, digits, strip_zeros=True, min_fixed=-math.inf,
                                   max_fixed=math.inf)
                if text.endswith(".0"):
                    text = text[:-2]
                return f"${text}$"
            mant = v / mpmath.mpf(10) ** e
            mtext = mpmath.nstr(mant, digits, strip_zeros=True)
            if mtext.startswith("10"):          # rounding up to the next decade
                mtext, e = "1", e + 1
            if mtext.endswith(".0"):
                mtext = mtext[:-2]
            return f"${mtext}\\times 10^{{{e}}}$" if mtext != "1" else f"$10^{{{e}}}$"
    except (TypeError, ValueError):
        return escape(str(x))


def expression(expr) -> str:
    """sympy's ``latex()`` of a sympy expression in math mode (a string is escaped as text;
    ``--`` for None)."""
    if expr is None:
        return "--"
    if isinstance(expr, str):
        return escape(expr)
    return f"${sp.latex(expr)}$"


def tabular(header, rows, align=None) -> str:
    """A ``tabular`` environment: ``header`` (cells, already LaTeX) over ``\\hline``, one line
    per row, ``\\hline`` at the end.  ``align`` defaults to ``l`` for the first column and ``r``
    for the others."""
    ncol = len(header)
    align = align or ("l" + "r" * (ncol - 1))
    lines = [f"\\begin{{tabular}}{{{align}}}", "\\hline",
             " & ".join(header) + r" \\", "\\hline"]
    for row in rows:
        if len(row) != ncol:
            raise ValueError(f"row={row!r} has {len(row)} cells, the header {ncol}")
        lines.append(" & ".join(row) + r" \\")
    lines += ["\\hline", "\\end{tabular}"]
    return "\n".join(lines) + "\n"
