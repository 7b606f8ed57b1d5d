"""Bounds on evaluation work (solvers.checker.limits, theory.timeout): bounded exact
substitution and nested time limits.  References are mpmath evaluations written out here."""
import time

import mpmath
import pytest
import sympy as sp

from solvers.checker.limits import (MAX_EXACT_DIGITS, TimeLimitExceeded, exact_digits,
                                    numeric_subs, substitute, time_limit)
from theory.timeout import Timeout, run_with_timeout

x, L = sp.symbols("x L")


def test_exact_digits_estimates_the_size_of_exact_powers():
    r = sp.Rational(12345678901, 98765432109)          # 11 + 11 digits
    assert exact_digits(x ** L, {x: r, L: sp.Integer(1000)}) >= 22 * 1000
    assert exact_digits(x ** L, {x: r, L: sp.Integer(1000)}) < 30 * 1000
    assert exact_digits((1 + x) ** (L * L), {x: sp.Integer(1), L: sp.Integer(10 ** 5)}) \
        >= 0.3 * 10 ** 10                               # 2**(10**10): 3e9 digits
    assert exact_digits(sp.gamma(L * L), {L: sp.Integer(10 ** 5)}) > MAX_EXACT_DIGITS
    assert exact_digits(x ** L, {x: r}) == 0            # L stays a symbol
    assert exact_digits(x ** 2 + 1, {x: r}) < MAX_EXACT_DIGITS


def test_small_substitutions_stay_exact_and_large_ones_keep_their_digits():
    r = sp.Rational(1, 3)
    small = numeric_subs(x ** L, {x: r, L: sp.Integer(50)}, 40)
    assert small == sp.Rational(1, 3 ** 50)             # exact, as before
    t0 = time.perf_counter()
    big = numeric_subs((1 - x / L) ** (2 * L), {x: r, L: sp.Integer(10 ** 7)}, 40)
    assert time.perf_counter() - t0 < 1
    with mpmath.workdps(60):
        ref = (1 - mpmath.mpf(1) / 3 / 10 ** 7) ** (2 * 10 ** 7)
        assert abs(mpmath.mpf(sp.N(big, 50)) / ref - 1) < mpmath.mpf(10) ** -40
    assert substitute(x ** L, {x: r, L: sp.Integer(10 ** 7)}) is None
    assert substitute(x ** L, {x: r, L: sp.Integer(3)}) == sp.Rational(1, 27)


def _spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return "done"


def test_time_limit_stops_a_loop():
    t0 = time.monotonic()
    with pytest.raises(TimeLimitExceeded, match="time limit of 0.3 s"):
        with time_limit(0.3):
            _spin(5)
    assert time.monotonic() - t0 < 1.5


def test_time_limits_nest_with_run_with_timeout():
    # the inner (sympy) limit expires first: Timeout, and the outer limit still holds after it
    t0 = time.monotonic()
    with pytest.raises(TimeLimitExceeded):
        with time_limit(0.8):
            with pytest.raises(Timeout):
                run_with_timeout(lambda: _spin(5), 0.2)
            _spin(5)
    assert 0.7 < time.monotonic() - t0 < 2
    # the outer limit expires inside the inner one: the outer exception, not the inner Timeout
    t0 = time.monotonic()
    with pytest.raises(TimeLimitExceeded):
        with time_limit(0.3):
            try:
                run_with_timeout(lambda: _spin(5), 3)
            except Timeout:  # pragma: no cover - the failure this test guards against
                pytest.fail("the inner limit took the outer limit's signal")
    assert time.monotonic() - t0 < 1.5
    # a limit that is never reached leaves no timer behind
    assert run_with_timeout(lambda: _spin(0.05), 1) == "done"
    with time_limit(1):
        assert run_with_timeout(lambda: "x", 0.5) == "x"
    _spin(1.2)


def test_a_swallowed_time_limit_fires_again():
    """Library code that catches every exception cannot keep a claim running: the signal
    repeats every half second until the limit's block is left."""
    swallowed = []

    def library():
        try:
            _spin(3)
        except Exception as exc:   # a solver's broad handler takes the first signal
            swallowed.append(exc)
        _spin(3)                   # ... and carries on

    t0 = time.monotonic()
    with pytest.raises(TimeLimitExceeded):
        with time_limit(0.2):
            library()
    assert swallowed and time.monotonic() - t0 < 1.5
