"""Time-limited evaluation of sympy work (solve/simplify can run for minutes on hard inputs)."""
import signal
import threading


class Timeout(Exception):
    pass


def run_with_timeout(fn, seconds):
    """Run ``fn()``; return its value, or raise ``Timeout`` after ``seconds``.

    Uses ``SIGALRM`` in the main thread (interrupts sympy cleanly); elsewhere falls back to a
    daemon thread that is abandoned on timeout.
    """
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        def handler(signum, frame):
            raise Timeout()
        old = signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    box = {}

    def target():
        box["value"] = fn()
    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if "value" not in box:
        raise Timeout()
    return box["value"]
