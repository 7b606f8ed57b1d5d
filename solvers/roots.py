"""One bracketed root driver for every optimal-γ search (and other scalar roots).

The optimal step of every setting is the root of the exact stationarity condition ``∂R/∂γ = 0``,
which changes sign exactly once on the search interval (``R`` is unimodal in γ).  Two pieces:

* :func:`expand_bracket` — from a start where the function is known to have one sign, grow the
  interval geometrically until the sign changes (or a caller's stop rule says the infimum is a
  limit, e.g. γ → ∞ at infinite depth);
* :func:`find_root` — the root inside ``[lo, hi]``: safeguarded Newton when a derivative is given
  (quadratic convergence), else the Illinois variant of regula falsi (superlinear), with bisection
  whenever a step leaves the bracket or stalls.  It works in float64 or in mpmath arithmetic
  (whatever the function returns), and stops when ``|f|`` is within the function's own error
  estimate, the bracket is below ``rtol`` relative width, or a Newton step is below ``rtol``.

Both report through :class:`RootResult` (in the spirit of scipy's ``RootResults``) and raise
:class:`~solvers.result.ConvergenceError` with the bracket and residual when they fail — never a
quiet number.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from solvers.progress import tick
from solvers.result import ConvergenceError

__all__ = ["RootResult", "expand_bracket", "find_root"]


@dataclass(frozen=True)
class RootResult:
    """A converged root: ``root``, ``iterations``, ``residual`` (|f| at the root), the final
    ``bracket`` and ``flag`` (why it stopped: ``"residual"``, ``"bracket"``, ``"step"``)."""

    root: Any
    iterations: int
    residual: Any
    bracket: tuple
    flag: str
    converged: bool = True


def _eval(f, x):
    """``(value, error_estimate)`` from a function returning either."""
    out = f(x)
    if isinstance(out, tuple):
        return out[0], abs(out[1])
    return out, 0


def expand_bracket(f: Callable, start, *, lo=0, grow=2, max_steps=200,
                   stop: Callable | None = None, where="root"):
    """Grow ``[lo, hi]`` (``hi = start·grow^k``) until ``f(hi) > 0`` while ``f(lo) < 0``.

    ``f(x)`` returns a value or ``(value, error)``; a value within its error counts as a root
    and ends the search there.  ``stop(hi)`` may return True to end the search without a sign
    change (the caller's limit case); the result is then ``(lo, None)``.  Returns
    ``(lo, hi)`` with ``hi`` the first point with ``f > 0``, or ``(x, x)`` for an exact hit."""
    hi = start
    for _ in range(max_steps):
        if stop is not None and stop(hi):
            return lo, None
        v, err = _eval(f, hi)
        if abs(v) <= err:
            return hi, hi
        if v > 0:
            return lo, hi
        lo, hi = hi, hi * grow
    raise ConvergenceError(f"{where}: no sign change found", where=f"up to {hi}")


def find_root(f: Callable, lo, hi, *, df: Callable | None = None, rtol=1e-13, maxiter=400,
              where="root") -> RootResult:
    """Root of ``f`` in ``[lo, hi]`` with ``f(lo) < 0 < f(hi)`` (either order of signs works).

    ``f(x)`` returns a value or ``(value, error_estimate)``; ``df(x)`` (optional) its derivative.
    Newton steps are taken when they stay inside the bracket and shrink at least 4× per two
    steps, else Illinois/bisection.  Raises ConvergenceError if the root is not bracketed or
    ``maxiter`` is reached."""
    (fa, ea), (fb, eb) = _eval(f, lo), _eval(f, hi)
    if abs(fa) <= ea:
        return RootResult(lo, 0, abs(fa), (lo, hi), "residual")
    if abs(fb) <= eb:
        return RootResult(hi, 0, abs(fb), (lo, hi), "residual")
    if (fa > 0) == (fb > 0):
        raise ConvergenceError(f"{where}: not bracketed", where=f"[{lo}, {hi}]",
                               residual=min(abs(fa), abs(fb)))
    a, b = lo, hi
    side = 0
    x, fx = None, None
    last_steps = []
    for it in range(1, maxiter + 1):
        step_x = None
        if df is not None and x is not None:
            d = df(x)
            if d != 0:
                cand = x - fx / d
                if cand == x:   # the Newton step is below the resolution of x: converged
                    return RootResult(x, it - 1, abs(fx), (a, b), "step")
                if min(a, b) < cand < max(a, b):
                    last_steps.append(abs(cand - x))
                    stalled = len(last_steps) >= 3 and last_steps[-1] > last_steps[-3] / 4
                    if not stalled:
                        step_x = cand
                    else:
                        last_steps.clear()
        if step_x is None:
            if df is not None:   # bisection restarts Newton from a better point
                step_x = (a + b) / 2
            else:                # Illinois: regula falsi with halving of the stale end
                step_x = (a * fb - b * fa) / (fb - fa)
                if not (min(a, b) < step_x < max(a, b)):
                    step_x = (a + b) / 2
        prev = x
        x = step_x
        tick(where)     # one step of a possibly long search: drives a --progress bar
        fx, ex = _eval(f, x)
        if abs(fx) <= ex:
            return RootResult(x, it, abs(fx), (a, b), "residual")
        if (fx > 0) == (fb > 0):
            b, fb = x, fx
            if side == -1:
                fa /= 2
            side = -1
        else:
            a, fa = x, fx
            if side == 1:
                fb /= 2
            side = 1
        scale = max(abs(a), abs(b))
        if abs(b - a) <= rtol * scale:
            return RootResult(x, it, abs(fx), (a, b), "bracket")
        if df is not None and prev is not None and abs(x - prev) <= rtol * abs(x):
            return RootResult(x, it, abs(fx), (a, b), "step")
    raise ConvergenceError(f"{where}: iteration limit reached", where=f"[{a}, {b}]",
                           residual=min(abs(fa), abs(fb)))
