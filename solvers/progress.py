"""Progress reporting from inside long solver loops, without the library printing anything.

A solver calls :func:`tick` once per step of a long iteration (e.g. each Newton step of an
optimal-γ search); nothing happens unless a caller has installed a callback with
:func:`reporting` — the command line does, to drive a ``tqdm`` bar on stderr.  The callback lives
in a context variable, so threads and concurrent calls do not see each other's bars.
"""
from __future__ import annotations

import contextlib
import contextvars

__all__ = ["tick", "reporting", "tqdm_reporting"]

_callback: contextvars.ContextVar = contextvars.ContextVar("icl_theory_progress", default=None)


def tick(what: str = "", n: int = 1) -> None:
    """One more step of the current long computation (``what`` names it, e.g.
    ``"optimal gamma"``)."""
    cb = _callback.get()
    if cb is not None:
        cb(what, n)


@contextlib.contextmanager
def reporting(callback):
    """Call ``callback(what, n)`` for every :func:`tick` inside the block."""
    token = _callback.set(callback)
    try:
        yield
    finally:
        _callback.reset(token)


@contextlib.contextmanager
def tqdm_reporting(desc: str, enabled: bool = True, total=None):
    """A ``tqdm`` bar (stderr) counting the ticks inside the block, its text the last step's
    name; yields the bar (None when disabled)."""
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    with tqdm(desc=desc, total=total, unit=" step", leave=False) as bar:
        def cb(what, n):
            if what:
                bar.set_postfix_str(what, refresh=False)
            bar.update(n)
        with reporting(cb):
            yield bar
