"""The one bracketed root driver (solvers.roots) against roots known in closed form."""
import math

import mpmath
import pytest

from solvers.result import ConvergenceError
from solvers.roots import expand_bracket, find_root


@pytest.mark.parametrize("use_df", [False, True])
def test_sqrt2_to_50_digits(use_df):
    with mpmath.workdps(60):
        f = lambda x: x * x - 2  # noqa: E731
        df = (lambda x: 2 * x) if use_df else None
        r = find_root(f, mpmath.mpf(0), mpmath.mpf(2), df=df, rtol=mpmath.mpf(10) ** -55)
        assert abs(r.root - mpmath.sqrt(2)) < mpmath.mpf(10) ** -50
        assert r.converged and r.iterations < (12 if use_df else 40)


def test_float_dottie_number():
    # the fixed point of cos (Dottie number), 0.739085133215160641655312087673873...
    r = find_root(lambda x: math.cos(x) - x, 0.0, 1.0, df=lambda x: -math.sin(x) - 1)
    assert abs(r.root - 0.7390851332151607) < 4e-16


def test_triple_root_falls_back_to_bisection():
    # (x − 1)^3: Newton converges only linearly there; the driver must still bracket it
    r = find_root(lambda x: (x - 1) ** 3, 0.0, 3.0, df=lambda x: 3 * (x - 1) ** 2, rtol=1e-12)
    assert abs(r.root - 1) < 1e-4  # |f| < 1e-12 means |x − 1| < 1e-4


def test_value_within_its_error_is_a_root():
    r = find_root(lambda x: (x - 0.3, 1e-3), 0.0, 1.0)
    assert abs(r.root - 0.3) <= 1e-3 and r.flag == "residual"


def test_not_bracketed_raises():
    with pytest.raises(ConvergenceError, match="not bracketed"):
        find_root(lambda x: x * x + 1, -1.0, 1.0)


def test_expand_bracket_and_stop_rule():
    lo, hi = expand_bracket(lambda x: x - 100.0, 1.0)
    assert lo == 64.0 and hi == 128.0
    assert expand_bracket(lambda x: -1.0, 1.0, stop=lambda h: h > 10) == (8.0, None)
    with pytest.raises(ConvergenceError, match="no sign change"):
        expand_bracket(lambda x: -1.0, 1.0, max_steps=5)


def test_each_iteration_is_one_progress_tick():
    # a --progress bar counts the driver's iterations: one tick per evaluated iterate, named by
    # ``where``, so the tick count equals the iteration count the driver reports
    from solvers.progress import reporting
    steps = []
    with reporting(lambda what, n: steps.append((what, n))):
        r = find_root(lambda x: math.cos(x) - x, 0.0, 1.0, where="dottie")
    assert r.iterations >= 3 and steps == [("dottie", 1)] * r.iterations
