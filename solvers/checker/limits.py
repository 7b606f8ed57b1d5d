"""Bounds on the work one claim may ask for.

The parser (:mod:`theory.parse`) bounds the *text* of a formula; the values substituted into it
later are bounded here:

* **exact substitution** — sympy evaluates powers of exact numbers exactly, so ``x**L`` at a
  40-digit rational ``x`` and ``L = 10**5`` builds a 4-million-digit number (≈ 20 s, in one
  uninterruptible big-integer operation), and ``3**(L**2)`` never finishes.
  :func:`exact_digits` estimates the digits before substituting; :func:`numeric_subs` substitutes
  exactly below :data:`MAX_EXACT_DIGITS` (the usual case: nothing changes) and with
  high-precision floats above it, where each power is one mpmath operation;
* **wall-clock time** — :func:`time_limit` stops a claim after its ``timeout`` seconds (default
  :data:`DEFAULT_TIMEOUT`) with :class:`TimeLimitExceeded` (SIGALRM in the main thread; repeated
  every half second until the claim's handler takes it, so a library ``except`` cannot swallow
  it).  Work inside one C call (a huge exact power) cannot be interrupted, which is why the
  substitution bound comes first;
* **sizes** — ``points <= MAX_POINTS``, ``dps <= MAX_DPS``, and the integer work limits of the
  parameters (:data:`solvers.validate.WORK_LIMITS`, checked with the domains).
"""
from __future__ import annotations

import contextlib
import math
import signal
import threading
import time

import sympy as sp

from solvers.validate import MAX_DPS

__all__ = ["MAX_POINTS", "MAX_DPS", "DEFAULT_TIMEOUT", "MAX_TIMEOUT", "MAX_EXACT_DIGITS",
           "TimeLimitExceeded", "time_limit", "Deadline", "exact_digits", "numeric_subs",
           "substitute"]

#: most evaluation points of one claim (per combination of listed values)
MAX_POINTS = 1000
#: default and largest per-claim time limit, seconds (the slowest claims of derivations/ take
#: about 40 s: ten extrapolated slopes of the exact risk)
DEFAULT_TIMEOUT = 600
MAX_TIMEOUT = 24 * 3600
#: above this many digits an exact substitution is replaced by a high-precision float one
MAX_EXACT_DIGITS = 10 ** 6
#: integer arguments of factorial-like functions above this are evaluated in floats
_MAX_EXACT_SPECIAL = 10 ** 4
_SPECIAL = (sp.binomial, sp.factorial, sp.gamma, sp.RisingFactorial, sp.FallingFactorial)


class TimeLimitExceeded(Exception):
    """A claim ran past its time limit (not a ValueError/ArithmeticError: no solver's error
    handling may take it for an ordinary failure)."""


@contextlib.contextmanager
def time_limit(seconds):
    """Raise :class:`TimeLimitExceeded` in the block after ``seconds`` (None: no limit).

    SIGALRM in the main thread, re-fired every 0.5 s until the block is left; nested
    :func:`theory.timeout.run_with_timeout` calls keep it armed.  In other threads there is no
    preemption: the caller checks a deadline between points."""
    if seconds is None or not hasattr(signal, "setitimer") \
            or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise TimeLimitExceeded(f"time limit of {_seconds(seconds)} exceeded")
    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _seconds(s):
    return f"{s:g} s"


class Deadline:
    """A wall-clock deadline checked between points (threads without SIGALRM)."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.end = None if seconds is None else time.monotonic() + seconds

    def check(self):
        if self.end is not None and time.monotonic() > self.end:
            raise TimeLimitExceeded(f"time limit of {_seconds(self.seconds)} exceeded")


# ----------------------------------------------------------------------------- substitution

def _digits(v):
    """Decimal digits of an exact sympy number (numerator + denominator); 0 for floats and
    symbolic constants, which sympy does not expand."""
    if isinstance(v, sp.Integer):
        return len(str(abs(int(v)))) if abs(int(v)) > 1 else 0
    if isinstance(v, sp.Rational):
        return len(str(abs(v.p))) + len(str(v.q))
    return 0


def _float(e):
    try:
        x = abs(complex(e))
    except (TypeError, ValueError, OverflowError):
        return math.inf
    return x if math.isfinite(x) else math.inf


def _as_float(v, digits):
    """A finite real sympy number as a Float of ``digits`` digits; anything else unchanged.
    ``sp.Float(v)`` refuses unevaluated constants such as ``exp(2)``, ``sqrt(2)`` or
    ``zeta(3)`` (fixed values a claims file may give), so evaluate them with ``evalf``."""
    if not (isinstance(v, sp.Basic) and v.is_number and v.is_finite):
        return v
    f = v.evalf(digits)
    return sp.Float(f, digits) if isinstance(f, sp.Float) else v


def exact_digits(expr, values) -> float:
    """Estimated digits of the largest exact number sympy builds when substituting ``values``
    (symbol → sympy number) into ``expr``: for every power with a numeric exponent ``n`` and a
    base that becomes an exact number, ``|n|`` times the digits of the numbers in the base plus
    the size of the base (at least 1); for
    factorial-like functions of integers, ``n log10 n``.  Cheap: exponents are evaluated in
    15-digit floats."""
    if not isinstance(expr, sp.Basic) or not values:
        return 0
    approx = {s: _as_float(v, 15) for s, v in values.items()}
    worst = 0.0
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow):
            e = node.exp.xreplace(approx)
            if not e.is_number:
                continue
            n = _float(e)
            if n <= 1 or n == math.inf and e.has(sp.oo, sp.zoo):
                continue
            base = node.base
            if base.free_symbols - set(values):
                continue  # stays symbolic: sympy keeps the power unevaluated
            # p/q to the n has n (log10 p + log10 q) digits: the numbers in the base bound
            # log10 q, its size log10 |p/q|; at least one digit per unit of n
            digits = sum(_digits(values[a]) if a in values else _digits(a)
                         for a in sp.preorder_traversal(base) if a.is_Atom)
            size = abs(math.log10(_float(base.xreplace(approx)) or 1.0))
            worst = max(worst, n * max(1.0, digits + (size if math.isfinite(size) else 308)))
        elif isinstance(node, _SPECIAL):
            args = [a.xreplace(approx) for a in node.args]
            if all(a.is_number for a in args):
                n = max(_float(a) for a in args)
                if n > _MAX_EXACT_SPECIAL:
                    worst = max(worst, n * math.log10(n) if n < math.inf else math.inf)
    return worst


def numeric_subs(expr, values, dps):
    """``expr`` with ``values`` (symbol → sympy number) substituted, for evaluation to ``dps``
    digits: exactly when :func:`exact_digits` is at most :data:`MAX_EXACT_DIGITS`, else with the
    values as floats of ``dps + 20`` digits plus the digits of the cost estimate (each power is
    then one mpmath operation)."""
    if not isinstance(expr, sp.Basic):
        return expr
    cost = exact_digits(expr, values)
    if cost <= MAX_EXACT_DIGITS:
        return expr.subs(values)
    extra = 20 + (int(math.log10(cost)) if math.isfinite(cost) else 40)
    floats = {s: _as_float(v, dps + extra) for s, v in values.items()}
    return expr.xreplace(floats)


def substitute(expr, values):
    """``expr.subs(values)`` when the exact result stays small (:func:`exact_digits`), else None
    — for symbolic work, which then leaves the claim to the numeric check."""
    if not isinstance(expr, sp.Basic):
        return expr
    if exact_digits(expr, values) > MAX_EXACT_DIGITS:
        return None
    return expr.subs(values)
