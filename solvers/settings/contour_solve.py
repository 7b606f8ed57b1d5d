"""Risk and optimal γ on converged contours: the driver shared by cases C and W (and reusable by a
joint finite-width × finite-context solver).

A :class:`ContourProblem` is a one-point problem (:class:`~solvers.settings.contour.OnePoint`),
a kernel builder ``kernel(q)`` (γ-independent N×N matrix of a quadrature), a depth, a noise
variance with an optional noise-kernel builder ``noise(q)`` (node values ``n`` of
``σ²∮ψ²n``; default ``x`` as in case C) and a precision.  It caches one converged quadrature per contour
layout and arithmetic (a gradient flow or an optimal-γ search re-evaluates the filters only) and
provides

* :meth:`ContourProblem.evaluate` — ``(bias, variance, error, quadrature)`` at γ, the value
  checked under halving the nodes (re-converged if a cached quadrature is not converged at this
  γ);
* :meth:`ContourProblem.optimal` — the root of the exact ``∂R/∂γ`` by :mod:`solvers.roots`: the
  sign change is bracketed in float64 (γ doubled from ``L/s₊``), the root found by safeguarded
  Newton (exact ``∂²R/∂γ²``) on the quadrature converged at the bracket's top — valid for every
  smaller γ since ``|1 − γs/L|`` is convex in γ — and, when ``dps > 15``, polished by the same
  driver in mpmath inside a tight bracket around the float64 root.

``dps ≤ 15``: complex128 throughout.  Above: the float64 stage picks the node count, the
mpmath stage starts there and doubles until the N- and N/2-node rules agree to ``10^{−dps}``.
"""
from __future__ import annotations

import math

import mpmath
import numpy as np

from solvers import roots
from solvers.settings import contour as ct
from solvers.settings.fixedpoint import F64, Arith
from solvers.validate import is_inf

__all__ = ["ContourProblem", "FLOAT_DPS", "AtLimit"]

EPS = np.finfo(float).eps
FLOAT_DPS = 15


class AtLimit(Exception):
    """The risk equals its γ → ∞ limit to float64 rounding (stop the bracket search)."""


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


class ContourProblem:
    """One (one-point problem, kernel, depth, σ²) at ``dps`` digits (module docstring)."""

    def __init__(self, op, kernel, depth, sigma2=0, dps=FLOAT_DPS, rtol=1e-12, what="contour",
                 noise=None):
        self.op, self.kernel, self.depth, self.sigma2 = op, kernel, depth, sigma2
        self.noise = noise     # node values of the noise kernel (None: x, cases C and W)
        self.dps, self.rtol, self.what = dps, rtol, what
        self.mp = dps > FLOAT_DPS
        self._q = {}

    def wdps(self):
        return self.dps + ct.GUARD

    def _sig(self, mp):
        return mpmath.mpf(self.sigma2) if mp else float(self.sigma2)

    def _vfun(self, gamma, order, which=0):
        def value(q, sub):
            vals, rnd, _ = q.value(gamma, self.depth, self._sig(q.ar.mp), order, sub)
            return vals[which], rnd
        return value

    def converged(self, gamma, lay=None, mp=None):
        """Quadrature converged under doubling for R at γ on ``lay`` (default: the layout chosen
        for γ), cached per layout and arithmetic."""
        mp = self.mp if mp is None else mp
        lay = lay or ct.choose_layout(self.op, float(gamma), self.depth)
        key = (lay, False)
        if key not in self._q:
            q64, _, _ = ct.converge(
                lambda N, prev: ct.build_quadrature(self.op, lay, N, F64, self.kernel,
                                                    noise=self.noise),
                self._vfun(float(gamma), 0), ct.N_START, lambda v: self.rtol * abs(v),
                self.n_max(False), self.what)
            self._q[key] = q64
        q = self._q[key]
        if not mp:
            return q
        keym = (lay, True)
        if keym not in self._q:
            with mpmath.workdps(self.wdps()):
                ar = Arith(self.dps)
                tol = mpmath.mpf(10) ** (-self.dps)
                qm, _, _ = ct.converge(
                    lambda N, prev: ct.build_quadrature(self.op, lay, N, ar, self.kernel, prev,
                                                        noise=self.noise),
                    self._vfun(mpmath.mpf(gamma), 0), q.N, lambda v: tol * abs(v),
                    self.n_max(True), self.what + " (mpmath)")
            self._q[keym] = qm
        return self._q[keym]

    def n_max(self, mp):
        return ct.N_MAX_MP if mp else ct.N_MAX

    def evaluate(self, gamma, q=None):
        """``(bias, var, err, q)`` at γ: the quadrature's value, checked under halving."""
        q = q or self.converged(gamma)
        with (mpmath.workdps(self.wdps()) if q.ar.mp else _Null()):
            g = mpmath.mpf(gamma) if q.ar.mp else float(gamma)
            (t,), rt, b = q.value(g, self.depth, self._sig(q.ar.mp), 0, 1)
            (t2,), _, _ = q.value(g, self.depth, self._sig(q.ar.mp), 0, 2)
            err = abs(t - t2) + rt
            tol = (mpmath.mpf(10) ** (-self.dps) if q.ar.mp else self.rtol) * abs(t)
            if abs(t - t2) > max(tol, 2 * rt):
                # a quadrature converged for another γ on this layout: converge at γ itself
                self._q.pop((q.lay, q.ar.mp), None)
                if q.ar.mp:
                    self._q.pop((q.lay, False), None)
                return self.evaluate(gamma, self.converged(gamma, lay=q.lay, mp=q.ar.mp))
            return b, t - b, err, q

    def slope(self, gamma):
        """``(∂R/∂γ, error)`` in float64 (error: change against the half-node rule + rounding)."""
        g = float(gamma)
        q = self.converged(g, mp=False)
        (_, d), rnd, _ = q.value(g, self.depth, self._sig(False), 1)
        (_, d2), _, _ = q.value(g, self.depth, self._sig(False), 1, sub=2)
        return d, abs(d - d2) + rnd

    # -- optimal γ ----------------------------------------------------------------------------
    def optimal(self, at_limit=None):
        """γ* and the quadrature it was found on, or ``(inf, None)``.  ``at_limit(R)`` (float64
        risk at the current bracket top; L = ∞ only) returns True when R equals the γ → ∞ limit
        to rounding: the search stops there with γ* = ∞."""
        depth, op = self.depth, self.op
        s_hi, s_lo = op.upper[0], op.lower[0]
        g0 = (1.0 if is_inf(depth) else float(depth)) / s_hi
        thresh = 40.0 if not self.mp else (self.dps + 5) * math.log(10)
        sg = float(self.sigma2)

        def stop(hi):
            # L = ∞: e^{−γs} below the target on the whole non-zero spectrum: R(γ) is its
            # γ → ∞ limit to working precision and R' has not turned positive
            return is_inf(depth) and s_lo > 0 and hi * s_lo > thresh

        def dR(g):
            q = self.converged(g, mp=False)
            (r, d), rnd, _ = q.value(g, depth, sg, 1)
            if is_inf(depth) and at_limit is not None and at_limit(r):
                raise AtLimit()
            return d, rnd

        try:
            lo, hi = roots.expand_bracket(dR, g0, lo=0.0, stop=stop, where="optimal gamma")
        except AtLimit:
            return math.inf, None
        if hi is None:
            return math.inf, None
        if lo == hi:
            return lo, self.converged(lo)
        q = self.converged(hi, mp=False)

        def f(g):
            (_, d), rnd, _ = q.value(g, depth, sg, 1)
            return d, rnd

        def df(g):
            return q.value(g, depth, sg, 2)[0][2]

        g = roots.find_root(f, lo, hi, df=df, rtol=4 * EPS, where="optimal gamma").root
        if not self.mp:
            return g, q
        qm = self.converged(hi, lay=q.lay, mp=True)
        with mpmath.workdps(self.wdps()):
            sgm = mpmath.mpf(self.sigma2)
            memo = {}

            def val2(gv):
                if gv not in memo:
                    memo[gv] = qm.value(gv, depth, sgm, 2)
                return memo[gv]

            def fm(gv):
                (_, d, _), rnd, _ = val2(gv)
                return d, rnd

            def dfm(gv):
                return val2(gv)[0][2]

            gm = mpmath.mpf(g)
            width = mpmath.mpf(10) ** -10 * gm
            for _ in range(30):
                a, b = max(mpmath.mpf(lo), gm - width), min(mpmath.mpf(hi), gm + width)
                if fm(a)[0] <= 0 <= fm(b)[0]:
                    break
                width *= 16
            gm = roots.find_root(fm, a, b, df=dfm, rtol=mpmath.mpf(10) ** (-self.dps - 2),
                                 where="optimal gamma (mpmath)").root
        return gm, qm
