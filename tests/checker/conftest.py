"""Shared pieces of the checker tests: a base claim whose exact value is known in closed form
(the depth-1 noise-free ISO optimum R* = 1/(1 + α)), a two-claim file, and helpers."""
import textwrap

import mpmath
import pytest

ISO1 = {"name": "iso depth-1 optimum", "quantity": "risk", "setting": "iso",
        "fixed": {"depth": 1, "sigma2": 0}, "free": {"alpha": [0.1, 10]}}

GOOD = """\
title = "t"

[[claim]]
name = "depth-1 optimum"
quantity = "risk"
setting = "iso"
fixed = { depth = 1, sigma2 = 0 }
free = { alpha = [0.1, 10] }
claim = "1/(1 + alpha)"

[[claim]]
name = "printed"
quantity = "risk"
setting = "iso"
fixed = { depth = 1, sigma2 = 0 }
free = { alpha = [0.1, 10] }
claim = "(1 + alpha)**-2"
expect = "refuted"
"""


def claim(**kw):
    """:data:`ISO1` with fields replaced."""
    return {**ISO1, **kw}


def close(a, b, rel="1e-25"):
    """|a − b| ≤ rel·max(|a|, |b|, 1) at 40 digits."""
    with mpmath.workdps(40):
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        return abs(a - b) <= mpmath.mpf(rel) * max(abs(a), abs(b), 1)


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


@pytest.fixture(autouse=True)
def _precision():
    # the reported parameters carry 40 digits: recompute the closed forms at that precision
    with mpmath.workdps(40):
        yield
