"""Time-limited evaluation of sympy work (solve/simplify can run for minutes on hard inputs)."""
import signal
import threading
import time


class Timeout(Exception):
    pass


def run_with_timeout(fn, seconds):
    """Run ``fn()``; return its value, or raise ``Timeout`` after ``seconds``.

    Uses ``SIGALRM`` in the main thread (interrupts sympy cleanly); elsewhere falls back to a
    daemon thread that is abandoned on timeout.  Limits nest: an enclosing ``SIGALRM`` timer (an
    outer ``run_with_timeout`` or a caller's own limit) stays in force — if it expires first its
    handler runs, and it is re-armed with its remaining time afterwards.
    """
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        start = time.monotonic()
        outer_handler = signal.getsignal(signal.SIGALRM)
        outer_left, outer_interval = signal.getitimer(signal.ITIMER_REAL)
        outer_deadline = start + outer_left if outer_left > 0 else None

        def handler(signum, frame):
            if outer_deadline is not None and time.monotonic() >= outer_deadline - 1e-3 \
                    and callable(outer_handler):
                outer_handler(signum, frame)  # the enclosing limit expired first
            raise Timeout()
        signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL,
                         min(seconds, outer_left) if outer_deadline is not None else seconds)
        try:
            return fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, outer_handler)
            if outer_deadline is not None:
                signal.setitimer(signal.ITIMER_REAL,
                                 max(outer_deadline - time.monotonic(), 1e-3), outer_interval)
    box = {}

    def target():
        box["value"] = fn()
    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if "value" not in box:
        raise Timeout()
    return box["value"]
