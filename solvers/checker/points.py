"""The deterministic point sets at which a claim is evaluated.

A Halton (radical-inverse) sequence over the ranges of the free parameters — log-spaced when a
range spans a decade or more, integers rounded — times every combination of the listed values;
duplicates dropped.  Points are exact rationals, so a claim is checked at the same values on
every machine.
"""
from __future__ import annotations

import itertools

import mpmath
import sympy as sp

from solvers.checker.params import PARAMS

__all__ = ["halton", "combinations", "points"]

_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19)


def halton(i, base):
    """The i-th Halton (radical-inverse) number in ``base``, as an exact rational in (0, 1)."""
    f, r = sp.Integer(1), sp.Integer(0)
    while i > 0:
        f /= base
        r += f * (i % base)
        i //= base
    return r


def _decimal_rational(fl):
    """The exact rational of a positive float's decimal digits — the value
    ``sympy.nsimplify(fl, rational=True)`` gives for such a point (the same base-10 conversion,
    without its costly search for a simpler closed form first)."""
    d = sp.Pow(10, int(mpmath.log(fl) / mpmath.log(10)))
    return sp.Rational(str(fl / d)) * d


def combinations(free):
    """Every combination of the listed values (``{values = [...]}``) as a list of dicts
    (``[{}]`` when nothing is listed)."""
    lists = [(n, spec[1]) for n, spec in free.items() if spec[0] == "values"]
    return [dict(zip([n for n, _ in lists], vals))
            for vals in itertools.product(*[v for _, v in lists])] or [{}]


def points(free, n, dps):
    """Evaluation points: ``n`` Halton points over the ranges of ``free`` (name → ``("range",
    lo, hi)`` or ``("values", [...])``), times every combination of listed values."""
    ranges = [(name, spec) for name, spec in free.items() if spec[0] == "range"]
    cont = []
    if ranges:
        for i in range(1, n + 1):
            pt = {}
            for j, (name, (_, lo, hi)) in enumerate(ranges):
                u = halton(i, _PRIMES[j % len(_PRIMES)])
                if lo > 0 and hi / lo >= 10:
                    v = sp.exp(sp.log(lo) + u * (sp.log(hi) - sp.log(lo)))
                    v = _decimal_rational(sp.N(v, dps + 10))
                else:
                    v = lo + u * (hi - lo)
                if PARAMS[name].kind == "int":
                    v = sp.Integer(int(sp.floor(v + sp.Rational(1, 2))))
                pt[name] = v
            cont.append(pt)
    else:
        cont = [{}]
    out, seen = [], set()
    for c in combinations(free):
        for pt in cont:
            full = {**c, **pt}
            key = tuple(sorted((k, str(v)) for k, v in full.items()))
            if key not in seen:
                seen.add(key)
                out.append(full)
    return out
