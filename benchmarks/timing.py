"""Shared timing helper of the benchmark scripts (run them as ``python benchmarks/NAME.py``)."""
import time


def timed(fn, repeat=3):
    """Best wall time of ``repeat`` calls of ``fn`` and the last result: ``(seconds, value)``."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out
