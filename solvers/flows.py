"""Autonomous scalar gradient flows ``dγ/dt = V(γ)`` as one cumulative quadrature.

Every flow of a scalar state (ISO, RRS with ``Γ = γI``; reduced, full or tied
parameterisation) is autonomous with ``V > 0`` on ``[γ(0), γ*)``, so

    t(γ) = ∫_{γ(0)}^{γ} dg / V(g)

is increasing and a whole curve ``γ(t_1), …, γ(t_n)`` is one integral, not n root solves.
:class:`CumulativeFlow` builds ``t(γ)`` once, as a chain of panels, and inverts it.

* **Panels.** Each panel is an interval of a flow variable ``x`` on which the integrand
  ``f(x) = (dγ/dx)/V(γ(x))`` is smooth: ``x = log(1 + γ)`` from ``γ(0) = 0`` (``x = log γ``
  from ``γ(0) > 0``, where ``V ∝ γ^{8/5}``) when γ* = ∞, and the logit
  ``x = log((γ + c)/(γ* − γ))`` when γ* is finite: logarithmic at both ends, and its
  ``dγ/dx ∝ γ* − γ`` cancels the simple zero of V at γ*, so f tends to a constant there
  (``1/R''(γ*)`` up to the map's factor) instead of having a pole.
  ``f`` is interpolated at 17 (then 33, 65: nested) Chebyshev–Lobatto points; its Chebyshev
  series is integrated exactly, so ``t`` is a polynomial in x on the panel.  A panel is accepted
  when its last coefficients put the integration error below ``10^{−(dps+3)}`` of the cumulative
  time (or at the noise floor of V, counted in the time error); otherwise it is halved.  Widths
  adapt (doubling after an easy panel).
* **Inversion.** For each requested t: the panel whose time range contains t, then safeguarded
  Newton on its polynomial (derivative = the interpolant of f) — no further V evaluations.
* **Saturation** (finite γ*): the panels stop where ``γ* − γ`` reaches the resolution of V
  (its absolute error makes the relative error of V exceed ``10^{−3}``) or
  ``10^{−(dps+5)}γ*``; later times return γ* with that gap as the γ error.
* **Asymptote** (infinite γ*): an optional closed-form ``t(γ)`` beyond a switch point (e.g. the
  Mellin asymptotics of a power law at L = ∞), so arbitrarily large t costs nothing more.

Errors: the time error accumulates the panels' truncation bounds and the velocity's own
relative errors (``∫ f·δV/V``); γ(t) errs by ``V·δt``.  Failure raises
:class:`~solvers.result.ConvergenceError`.
"""
from __future__ import annotations

from functools import lru_cache

import mpmath

from solvers.cache import register_memo
from solvers.result import ConvergenceError

__all__ = ["CumulativeFlow", "PowerAsymptote", "FlowPoint"]

_NS = (16, 32, 64)
_N_MAX = _NS[-1]
_MAX_PANELS = 4000
_MIN_WIDTH = 1e-12


@register_memo
@lru_cache(maxsize=None)
def _cheb_tables(n, prec):
    """Nodes ``u_j = cos(πj/n)`` and the columns ``(w_j cos(πjk/n))_j`` of the
    values-to-coefficients map (``w_j = 1/n`` at the ends, ``2/n`` inside) at binary precision."""
    with mpmath.workprec(prec):
        cos = [[mpmath.cos(mpmath.pi * j * k / n) for k in range(n + 1)] for j in range(n + 1)]
        nodes = [cos[j][1] for j in range(n + 1)]
        w = [mpmath.mpf(1) / n if j in (0, n) else mpmath.mpf(2) / n for j in range(n + 1)]
        cols = [[w[j] * cos[j][k] / (2 if k in (0, n) else 1) for j in range(n + 1)]
                for k in range(n + 1)]
        return nodes, cols


def _coefficients(vals, n, prec):
    """Chebyshev coefficients ``b_k`` with ``f = Σ_k b_k T_k`` interpolating ``vals`` at u_j."""
    _, cols = _cheb_tables(n, prec)
    return [mpmath.fdot(vals, col) for col in cols]


def _integral_coefficients(b):
    """``A`` with ``∫_{−1}^{u} Σ b_k T_k = Σ A_k T_k(u)``."""
    n = len(b) - 1
    bb = list(b) + [mpmath.mpf(0), mpmath.mpf(0)]
    A = [mpmath.mpf(0)] * (n + 2)
    A[1] = bb[0] - bb[2] / 2
    for k in range(2, n + 2):
        A[k] = (bb[k - 1] - bb[k + 1]) / (2 * k)
    A[0] = -mpmath.fsum(A[k] * (-1) ** k for k in range(1, n + 2))
    return A


def _clenshaw(c, u):
    b1 = b2 = mpmath.mpf(0)
    for ck in reversed(c[1:]):
        b1, b2 = 2 * u * b1 - b2 + ck, b1
    return u * b1 - b2 + c[0]


class _Map:
    """Flow variable x ↦ (γ, dγ/dx) and its inverse.

    ``log1p``: ``x = log(1 + γ)``; ``log``: ``x = log γ``; ``logit``: ``x = log((γ + c)/(γ* − γ))``
    (``c = 1`` from γ(0) = 0, ``c = 0`` from γ(0) > 0), logarithmic at both ends, with
    ``dγ/dx = (γ + c)(γ* − γ)/(γ* + c)`` — the simple zero of V at γ* cancels exactly."""

    def __init__(self, kind, gstar=None, c=1):
        self.kind, self.gstar = kind, gstar
        self.c = mpmath.mpf(c)

    def gamma(self, x):
        if self.kind == "log1p":
            return mpmath.expm1(x)
        if self.kind == "log":
            return mpmath.exp(x)
        if x >= 0:   # γ* − γ keeps its relative precision near γ*
            return self.gstar - (self.gstar + self.c) / (1 + mpmath.exp(x))
        e = mpmath.exp(x)
        return (self.gstar * e - self.c) / (1 + e)

    def gap(self, x):
        """γ* − γ(x) (logit only)."""
        return (self.gstar + self.c) / (1 + mpmath.exp(x))

    def dgdx(self, x):
        if self.kind != "logit":
            return mpmath.exp(x)
        g = self.gamma(x)
        return (g + self.c) * self.gap(x) / (self.gstar + self.c)

    def x(self, g):
        if self.kind == "log1p":
            return mpmath.log1p(g)
        if self.kind == "log":
            return mpmath.log(g)
        return mpmath.log(g + self.c) - mpmath.log(self.gstar - g)


class _Panel:
    __slots__ = ("map", "xa", "xb", "ta", "tb", "b", "A", "terr")

    def __init__(self, m, xa, xb, ta, b, A, terr):
        self.map, self.xa, self.xb, self.ta, self.b, self.A, self.terr = m, xa, xb, ta, b, A, terr
        self.tb = ta + (xb - xa) / 2 * _clenshaw(A, mpmath.mpf(1))

    def time(self, x):
        u = (2 * x - self.xa - self.xb) / (self.xb - self.xa)
        return self.ta + (self.xb - self.xa) / 2 * _clenshaw(self.A, u)

    def invert(self, t, prec):
        """x in the panel with t(x) = t (Newton on the interpolant, bisection safeguard)."""
        h2 = (self.xb - self.xa) / 2
        target = (t - self.ta) / h2
        lo, hi = mpmath.mpf(-1), mpmath.mpf(1)
        span = self.tb - self.ta
        u = -1 + 2 * (t - self.ta) / span if span > 0 else mpmath.mpf(0)
        tol = mpmath.mpf(2) ** (-prec + 6)
        for _ in range(200):
            g = _clenshaw(self.A, u) - target
            if g > 0:
                hi = u
            else:
                lo = u
            d = _clenshaw(self.b, u)
            un = u - g / d if d > 0 else (lo + hi) / 2
            if not lo <= un <= hi:
                un = (lo + hi) / 2
            if abs(un - u) <= tol or hi - lo <= tol:
                u = un
                break
            u = un
        return (self.xa + self.xb) / 2 + h2 * u


class FlowPoint:
    """γ(t) with its error and a note (``"saturated…"``, ``"asymptotic…"``, ``"t=0"``)."""

    __slots__ = ("t", "gamma", "gamma_error", "t_error", "note")

    def __init__(self, t, gamma, gamma_error, t_error, note=""):
        self.t, self.gamma, self.gamma_error, self.t_error, self.note = (t, gamma, gamma_error,
                                                                         t_error, note)


class PowerAsymptote:
    """Closed-form tail of a flow whose velocity is ``V(γ) = A γ^{−p}`` to relative error
    ``rel_error(γ)`` (non-increasing) for ``γ ≥ gamma_switch``:
    ``t(γ) − t(γ_s) = (γ^{q} − γ_s^{q})/(qA)``, ``q = p + 1 > 0``, and its inverse."""

    def __init__(self, A, p, gamma_switch, rel_error):
        self.A, self.p, self.gamma_switch, self.rel_error = A, p, gamma_switch, rel_error
        self.q = p + 1

    def time_between(self, g1, g2):
        return (g2 ** self.q - g1 ** self.q) / (self.q * self.A)

    def gamma_after(self, g1, dt):
        return (g1 ** self.q + self.q * self.A * dt) ** (1 / self.q)

    def velocity(self, g):
        return self.A * g ** (-self.p)


class CumulativeFlow:
    """``t(γ)`` of ``dγ/dt = V(γ)`` from ``γ(0) = g0`` towards ``gstar`` (mpf or ``inf``).

    ``velocity(γ)`` returns ``(V, abs_error)`` at the working precision; ``dps`` is the number
    of digits wanted for t and γ (the caller runs inside a ``workdps`` with guard digits).
    ``gstar`` may be a callable returning γ* (computed only if the panels get beyond
    ``switch``: below it the flow variable is ``log(1 + γ)``/``log γ`` and γ* is not needed;
    ``switch`` must not exceed γ*/2, e.g. ``L/(2λ_max)`` for RRS).  ``asymptote``: a
    :class:`PowerAsymptote` (infinite gstar only).  ``progress``: a tqdm-like object with
    ``update(n)`` (panels), or None."""

    def __init__(self, velocity, g0, gstar, dps, asymptote=None, progress=None, switch=None):
        self.V, self.dps = velocity, dps
        self.g0 = mpmath.mpf(g0)
        self._gstar = gstar
        self.finite = not (not callable(gstar) and gstar == mpmath.inf)
        self.asymptote = asymptote if not self.finite else None
        self.prec = mpmath.mp.prec
        self.tol = mpmath.mpf(10) ** (-(dps + 3))
        self.panels = []
        self.evaluations = 0
        self.progress = progress
        self.done = False          # no more panels (saturated / asymptote / end)
        self.t_end = mpmath.mpf(0)
        self.terr = mpmath.mpf(0)
        self.sat_gap = None        # finite γ*: γ* − γ at the end of the last logit panel
        self.switch = None
        first = _Map("log1p" if self.g0 == 0 else "log")
        if self.finite and switch is not None and switch > 2 * self.g0:
            self.switch = mpmath.mpf(switch)
            self.map = first           # up to the switch; then the logit map around γ*
        elif self.finite:
            self.map = _Map("logit", self.gstar, 1 if self.g0 == 0 else 0)
        else:
            self.map = first
        self._x = self.map.x(self.g0)
        self._width = mpmath.mpf(1)
        self._end_x = self._region_end()

    @property
    def gstar(self):
        """γ* (evaluated on first use when given as a callable)."""
        if callable(self._gstar):
            self._gstar = self._gstar()
        return self._gstar

    # -- building ----------------------------------------------------------------------------
    def _region_end(self):
        if self.map.kind == "logit":
            # no further than γ* − γ = 10^{−(dps+5)} γ* (γ(t) = γ* to the requested digits)
            gap = self.gstar * mpmath.mpf(10) ** (-(self.dps + 5))
            return self.map.x(self.gstar - gap)
        if self.switch is not None:
            return self.map.x(self.switch)
        if self.asymptote is not None:
            return self.map.x(max(self.asymptote.gamma_switch, self.g0 * 2))
        return mpmath.inf

    def _next_region(self):
        """After the switch: the logit map around γ* from the last panel's end."""
        if self.map.kind == "logit" or self.switch is None:
            self.done = True
            return
        g_end = self.panels[-1].map.gamma(self.panels[-1].xb) if self.panels else self.g0
        self.map = _Map("logit", self.gstar, 1 if self.g0 == 0 else 0)
        self._x = self.map.x(g_end)
        self._width = mpmath.mpf(1)
        self._end_x = self._region_end()

    def _integrand(self, m, x):
        g = m.gamma(x)
        v, e = self.V(g)
        self.evaluations += 1
        if not v > 0:
            return None, None, g
        rel = abs(e) / v
        if m.kind == "logit":
            # γ itself carries a rounding error ~2^{−prec}γ*, which moves V ≈ R''(γ* − γ) by
            # a relative 2^{−prec}γ*/(γ* − γ): the dominant noise near γ*
            rel += 4 * mpmath.eps * (abs(g) + m.c) / m.gap(x)
        return m.dgdx(x) / v, rel, g

    def _try_panel(self, m, xa, xb):
        """(b, A, integration error, velocity-induced error, n) or None (not converged) or
        ("nonpositive", γ).  Nested Chebyshev–Lobatto rules n = 16, 32, 64 reuse every value."""
        nodes, _ = _cheb_tables(_N_MAX, self.prec)
        h2 = (xb - xa) / 2
        mid = (xa + xb) / 2
        vals = [None] * (_N_MAX + 1)
        rels = [None] * (_N_MAX + 1)
        scale = None
        for n in _NS:
            step = _N_MAX // n
            for j in range(0, _N_MAX + 1, step):
                if vals[j] is None:
                    f, r, g = self._integrand(m, mid + h2 * nodes[j])
                    if f is None:
                        return ("nonpositive", g)
                    vals[j], rels[j] = f, r
            sub = vals[::step]
            b = _coefficients(sub, n, self.prec)
            if scale is None:
                scale = abs(h2) * mpmath.fsum(abs(x) for x in sub) / len(sub) * 2
            ok, tail = self._converged(b, h2, scale, sub, rels[::step])
            if ok:
                break
            # geometric convergence: if the coefficients barely decay, a finer rule won't do
            if n < _N_MAX and abs(b[n // 2]) < 10 * abs(b[-1]) and abs(b[-1]) > 0:
                return None
        else:
            return None
        A = _integral_coefficients(b)
        integral = h2 * _clenshaw(A, mpmath.mpf(1))
        rel = max(r for r in rels if r is not None)
        return b, A, tail, integral * rel, n

    def _converged(self, b, h2, scale, vals, rels):
        """Tail of the Chebyshev series against the target — or against the velocity's own
        noise (``f·δV/V`` at the nodes), below which no interpolant can go (near γ*, where V is
        a small difference); that noise is counted in the time error separately."""
        tail = abs(h2) * 2 * (abs(b[-1]) + abs(b[-2]) + abs(b[-3]))
        noise = abs(h2) * 2 * max(abs(v) * r for v, r in zip(vals, rels) if v is not None)
        target = max(self.tol * (self.t_end + scale), 8 * noise)
        return tail <= target, tail

    def _advance(self):
        """Add one panel (or finish)."""
        m = self.map
        xa = self._x
        if xa >= self._end_x:
            self._next_region()
            return
        w = self._width
        for _ in range(80):
            xb = min(xa + w, self._end_x)
            res = self._try_panel(m, xa, xb)
            if res is not None and res[0] == "nonpositive":
                if m.kind == "logit" and xa > 0:   # V lost to rounding: γ is within the gap
                    self._end_x = xa
                    self.done = True
                    return
                raise ConvergenceError("flow velocity is not positive below the optimum",
                                       where=f"gamma={mpmath.nstr(res[1], 12)}")
            if res is not None:
                break
            w = w / 2
            if w < _MIN_WIDTH:
                raise ConvergenceError("flow quadrature: panel width underflow",
                                       where=f"x={mpmath.nstr(xa, 12)} ({m.kind})")
        else:
            raise ConvergenceError("flow quadrature did not converge",
                                   where=f"x={mpmath.nstr(xa, 12)} ({m.kind})")
        b, A, tail, verr, n = res
        terr = self.terr + tail + abs(verr)
        p = _Panel(m, xa, xb, self.t_end, b, A, terr)
        self.panels.append(p)
        self.t_end, self.terr, self._x = p.tb, terr, xb
        self._width = (xb - xa) * {16: 2, 32: 1.5, 64: 1}[n]
        if m.kind == "logit":
            self.sat_gap = m.gap(xb)
            # stop once V near γ* is resolved to fewer than 3 digits (rounding of V)
            v, e = self.V(m.gamma(xb))
            if not v > 0 or abs(e) > v * mpmath.mpf("1e-3"):
                self._end_x = xb
        if self.progress is not None:
            self.progress.update(1)
        if len(self.panels) > _MAX_PANELS:
            raise ConvergenceError("flow quadrature: too many panels",
                                   where=f"x={mpmath.nstr(xb, 12)}")

    def extend_to(self, t):
        """Build panels until ``t(γ) ≥ t`` or no more panels can be built."""
        while not self.done and self.t_end < t:
            self._advance()

    # -- queries -----------------------------------------------------------------------------
    def gamma_end(self):
        p = self.panels[-1]
        return p.map.gamma(p.xb)

    def point(self, t):
        """:class:`FlowPoint` of γ(t)."""
        t = mpmath.mpf(t) if t != mpmath.inf else t
        if t == 0:
            return FlowPoint(t, self.g0, mpmath.mpf(0), mpmath.mpf(0), "t=0")
        if t == mpmath.inf:
            return FlowPoint(t, self.gstar, mpmath.mpf(0), mpmath.mpf(0),
                             "t=inf: the flow's limit (optimal gamma)")
        self.extend_to(t)
        if t <= self.t_end:
            p = self._find(t)
            x = p.invert(t, self.prec)
            g = p.map.gamma(x)
            v, _ = self.V(g)
            return FlowPoint(t, g, abs(v) * p.terr, p.terr)
        if self.finite:
            gap = self.sat_gap if self.sat_gap is not None else self.gstar - self.g0
            return FlowPoint(t, self.gstar, gap, self.terr,
                             "saturated: gamma(t) equals the optimum to working precision")
        if self.asymptote is not None:
            a = self.asymptote
            g1 = self.gamma_end() if self.panels else self.g0
            dt = t - self.t_end
            g = a.gamma_after(g1, dt)
            # δt ≤ rel·(t − t_s) from the asymptote's relative velocity error, plus the panels'
            terr = self.terr + a.rel_error(g1) * dt
            return FlowPoint(t, g, a.velocity(g) * terr, terr,
                             "asymptotic: closed-form t(gamma) beyond the switch point")
        raise ConvergenceError("flow: time beyond the quadrature's reach", where=f"t={t}")

    def time_of_gamma(self, g):
        """``(t(γ), error)`` for ``γ(0) ≤ γ`` below the end of the panels' reach."""
        g = mpmath.mpf(g)
        if g == self.g0:
            return mpmath.mpf(0), mpmath.mpf(0)
        while not self.done and (not self.panels or self.gamma_end() < g):
            self._advance()
        for p in self.panels:
            if p.map.gamma(p.xb) >= g:
                return p.time(p.map.x(g)), p.terr
        if self.asymptote is not None and self.panels:
            a = self.asymptote
            g1 = self.gamma_end()
            dt = a.time_between(g1, g)
            return self.t_end + dt, self.terr + a.rel_error(g1) * dt
        raise ConvergenceError("flow: gamma beyond the quadrature's reach",
                               where=f"gamma={mpmath.nstr(g, 12)}")

    def _find(self, t):
        lo, hi = 0, len(self.panels) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.panels[mid].tb < t:
                lo = mid + 1
            else:
                hi = mid
        return self.panels[lo]
