"""Arithmetic of the contour solvers: complex128 arrays, or mpmath numbers with the N×N kernel
algebra in complex fixed point on Python integers.

:class:`Arith` bundles the elementwise functions of one arithmetic (numpy complex128, or numpy
object arrays of mpmath numbers at the caller's ``mpmath.workdps``); :class:`Fixed` holds complex
matrices as pairs of Python-int object arrays scaled by ``2^F`` (``F = prec + 64``), so the
divided differences, elementwise products/quotients and matrix–vector products of the
high-precision path cost integer operations (~20× cheaper than mpc objects) with an absolute
rounding of ``2^{−F}`` per operation.
"""
from __future__ import annotations

import math

import mpmath
import numpy as np

from solvers.settings.modesums import cexpm1

__all__ = ["Arith", "Fixed", "F64", "clog1p"]

EPS = np.finfo(float).eps
FIXED_GUARD_BITS = 64


def clog1p(z):
    """``log(1 + z)`` for complex128 arrays, accurate near 0."""
    z = np.asarray(z, dtype=complex)
    x, y = z.real, z.imag
    return 0.5 * np.log1p(2 * x + x * x + y * y) + 1j * np.arctan2(y, 1 + x)


class Arith:
    """Elementwise functions of one arithmetic.  ``Arith(None)``: complex128; ``Arith(dps)``:
    object arrays of mpmath numbers (the caller holds ``mpmath.workdps``)."""

    def __init__(self, dps=None):
        self.mp = dps is not None
        self.dps = dps
        if self.mp:
            u = np.frompyfunc
            self.exp, self.log = u(mpmath.exp, 1, 1), u(mpmath.log, 1, 1)
            self.expm1, self.log1p = u(mpmath.expm1, 1, 1), u(mpmath.log1p, 1, 1)
            self.re, self.im = u(mpmath.re, 1, 1), u(mpmath.im, 1, 1)
        else:
            self.exp, self.log, self.expm1, self.log1p = np.exp, np.log, cexpm1, clog1p
            self.re, self.im = np.real, np.imag

    @property
    def eps(self):
        return mpmath.mpf(10) ** (-mpmath.mp.dps) if self.mp else EPS

    def num(self, v):
        """A scalar in this arithmetic."""
        return mpmath.mpmathify(v) if self.mp else v

    def array(self, values):
        if self.mp:
            out = np.empty(len(values), dtype=object)
            out[:] = [mpmath.mpmathify(v) for v in values]
            return out
        return np.asarray(values, dtype=complex)

    def fnum(self, v):
        """Back to a Python float/complex (for decisions)."""
        return complex(v) if self.mp else v


F64 = Arith(None)


class Fixed:
    """Complex arrays as pairs of numpy object arrays of Python ints ``(re, im)`` scaled by
    ``2^F`` (absolute fixed point, ``F = prec + FIXED_GUARD_BITS``): the N×N kernel algebra of the
    mpmath path (divided differences, elementwise products and quotients, matrix–vector
    products) runs on integers, ~20× faster than mpc objects, with absolute rounding
    ``2^{−F}`` per operation (far below the working precision for the magnitudes here)."""

    __array_priority__ = 100

    def __init__(self, re, im, F):
        self.re, self.im, self.F = re, im, F

    @staticmethod
    def bits():
        return mpmath.mp.prec + FIXED_GUARD_BITS

    @classmethod
    def of(cls, values, F=None):
        """From an array (or scalar) of mpmath/Python numbers."""
        F = F or cls.bits()
        arr = np.asarray(values, dtype=object)
        flat = arr.ravel()
        re = np.empty(flat.shape, dtype=object)
        im = np.empty(flat.shape, dtype=object)
        tf = mpmath.libmp.to_fixed
        for i, v in enumerate(flat):
            v = mpmath.mpmathify(v)
            if isinstance(v, mpmath.mpc):
                re[i], im[i] = tf(v.real._mpf_, F), tf(v.imag._mpf_, F)
            else:
                re[i], im[i] = tf(v._mpf_, F), 0
        return cls(re.reshape(arr.shape), im.reshape(arr.shape), F)

    def _lift(self, o):
        return o if isinstance(o, Fixed) else Fixed.of(o, self.F)

    def __add__(self, o):
        o = self._lift(o)
        return Fixed(self.re + o.re, self.im + o.im, self.F)

    __radd__ = __add__

    def __sub__(self, o):
        o = self._lift(o)
        return Fixed(self.re - o.re, self.im - o.im, self.F)

    def __rsub__(self, o):
        return self._lift(o) - self

    def __neg__(self):
        return Fixed(-self.re, -self.im, self.F)

    def __mul__(self, o):
        o = self._lift(o)
        F = self.F
        return Fixed((self.re * o.re - self.im * o.im) >> F,
                     (self.re * o.im + self.im * o.re) >> F, F)

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = self._lift(o)
        F = self.F
        den = o.re * o.re + o.im * o.im
        return Fixed(((self.re * o.re + self.im * o.im) << F) // den,
                     ((self.im * o.re - self.re * o.im) << F) // den, F)

    def __rtruediv__(self, o):
        return self._lift(o) / self

    def __getitem__(self, k):
        return Fixed(self.re[k], self.im[k], self.F)

    def __setitem__(self, k, v):
        v = self._lift(v)
        self.re[k], self.im[k] = v.re, v.im

    @property
    def T(self):
        return Fixed(self.re.T, self.im.T, self.F)

    def diag_set(self, values):
        n = self.re.shape[0]
        self[np.arange(n), np.arange(n)] = values

    def matvec(self, v):
        """``self @ v`` for an mpc vector v; returns an mpc object array."""
        v = self._lift(v)
        F = self.F
        re = self.re @ v.re - self.im @ v.im
        im = self.re @ v.im + self.im @ v.re
        return _from_fixed(re, im, 2 * F)

    def to_mp(self):
        return _from_fixed(self.re, self.im, self.F)

    def to_complex(self):
        s = 2.0 ** (-self.F)
        f = np.frompyfunc(lambda a: float(a) * s if abs(a) < (1 << 1000) else math.inf, 1, 1)
        return f(self.re).astype(float) + 1j * f(self.im).astype(float)


def _from_fixed(re, im, F):
    out = np.empty(re.shape, dtype=object)
    fr, fi = re.ravel(), im.ravel()
    flat = out.ravel()
    for i in range(len(fr)):
        flat[i] = mpmath.mpc(mpmath.mpf((int(fr[i]), -F)), mpmath.mpf((int(fi[i]), -F)))
    return out


