"""Scaling exponents of the power-law regime: symbolic values and their numerical confirmation.

:func:`exponents` evaluates the laws derived in :mod:`theory.exponents` (``R ∝ r^{−a}``) at given
``(ν, β)``.  :func:`check_exponent` confirms one law from the *exact* mode sums (never a fit):
it computes local log-log slopes ``−d log R/d log r`` of the exact risk along a geometric ladder of
large resources and extrapolates them by Aitken's Δ² process (exact for one power-law correction
``s(r) = a + A r^{−ω}`` with unknown ``ω``).  Width/context laws have a derived leading
correction ``κ^ω``, ``ω = |head power − scaling power|`` (:func:`_correction_exponent`): one
Richardson step removes it first; at the saturation boundary (``ω = 0``: ``β = 1`` for width,
``β = 2`` for context, where the law carries a logarithm) the log-corrected model
``s = s∞ − A/(log(1/κ) + a)`` replaces Aitken, and near it the two are compared.  Error estimate: the last change of the extrapolants,
continued as a geometric tail when they converge slowly (see :func:`_extrapolate`).

Exact quantities used (power-law spectrum ``λ_k = k^{−ν}``, ``ω_kλ_k = k^{−νβ−1}/ζ(νβ+1)``,
summed to working precision by :class:`solvers.spectra.PowerLaw`):

* ``time`` (RRS, reduced Γ, ``L = α = ∞``): ``R(γ) = Σω_kλ_k e^{−2γλ_k}``, ``F = −R'``,
  ``t(γ) = ∫_0^γ dg/F(g)`` (Gauss–Legendre per decade of ``log g``); slope ``t F²/R``.  The
  sums (here and for ``depth``) are exact: head modes plus Hurwitz-zeta moments of the kernel's
  Taylor series (:mod:`solvers.zeta_moments`), never the large-γ asymptotic law.
* ``time_full`` (one scale ``w``, ``γ = w⁵``): ``dγ/dt = 25γ^{8/5}F(γ)`` from ``γ(0) = 10⁻²``;
  slope ``t V F/R``.
* ``time_fs`` (FS, ``L = α = ∞``): ``R(t) = Σω_kλ_k/(1 + 4ω_kλ_k³t)`` from
  :func:`solvers.settings.fs.risk`, slope from the exact derivative sum.
* ``depth`` (RRS, ``α = ∞``, optimal γ): ``R*(L) = min_γ Σω_kλ_k(1 − γλ_k/L)^{2L}`` by a bracketed
  Newton iteration (cross-checked against :func:`solvers.settings.rrs.optimal_gamma` in the tests); secant
  slopes between consecutive depths of the ladder.
* ``width`` (RRS, ``α = L = ∞``, optimal γ): the projection limit of :mod:`solvers.settings.width`,
  ``R_∞ = κ Σλ_kω_k/(κ+λ_k)`` with ``Σλ_k/(κ+λ_k) = N`` — GD never leaves the N-dimensional
  subspace, so this is the infimum over depth and γ and is linear in κ; parametrised by κ (no root
  finding), slope ``(κ∂_κ log R)/(−κ∂_κ log N)``.
* ``context``: docs/theory.md §8's ridge form ``R = Σκ²λ_kω_k/(κ+λ_k)²`` with ``Σλ_k/(κ+λ_k) = P``, same
  κ-parametrisation (a leading-order equivalent, not the exact finite-context risk).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import mpmath
import numpy as np
import sympy as sp

from solvers.result import ConvergenceError, _jsonable, format_number, human_value
from solvers.validate import require_choice, require_dps, require_int, require_positive
from theory import exponents as tex
from theory import shape as tshape
from theory.parse import sympify_value
from theory.symbols import L as sL, N as sN, beta as s_beta, nu as s_nu

__all__ = ["exponents", "ExponentResult", "check_exponent", "CheckResult", "LAWS", "symbolic",
           "resolved", "regime_entry"]

SETTINGS = ("rrs", "fs", "iso")
#: laws :func:`check_exponent` can confirm numerically
LAWS = ("time", "time_fs", "time_full", "depth", "width", "context")

_GL_NODES = 12      # Gauss–Legendre nodes per decade of log γ in t(γ)
_FULL_GAMMA0 = mpmath.mpf("0.01")


def _symbolic(x):
    return isinstance(x, sp.Basic) and not x.is_number


def _validate_nu_beta(nu, beta):
    """Numbers are validated (ν > 1, β > 0); sympy symbols pass through for symbolic output."""
    if not _symbolic(nu):
        nu = require_positive("nu", nu)
        if not float(nu) > 1:
            raise ValueError(f"nu={nu!r} is invalid: nu must be > 1 (capacity exponent)")
    if not _symbolic(beta):
        beta = require_positive("beta", beta)
    return nu, beta


def _sym(x):
    """Exact sympy number for a user value (floats through their decimal repr)."""
    if isinstance(x, sp.Basic):
        return x
    if isinstance(x, float):
        return sp.Rational(repr(x))
    if isinstance(x, mpmath.mpf):
        man, exp = x.man_exp                      # exact binary value, no decimal rounding
        return sp.Integer(man) * sp.Integer(2) ** exp
    return sympify_value(x, "value")  # strings through the safe parser, never sympify


def _value(expr, nu, beta, dps):
    """mpf value of ``expr(nu, beta)`` at ``dps`` digits (or the substituted expression)."""
    if expr is None:
        return mpmath.nan
    v = expr.subs({s_nu: _sym(nu), s_beta: _sym(beta)})
    if not v.is_number:           # symbolic input: a simplified expression
        return sp.simplify(v)
    with mpmath.workdps(dps):     # numbers need no simplification, only evaluation
        return mpmath.mpf(sp.N(v, dps + 5))


def symbolic(law, setting="rrs"):
    """The :class:`theory.exponents.Exponent` of ``law`` (a key of :data:`LAWS`)."""
    require_choice("law", law, LAWS)
    return {"time": tex.time_exponent_rrs, "time_fs": tex.time_exponent_fs,
            "time_full": tex.time_exponent_full, "depth": tex.depth_exponent_rrs,
            "width": tex.width_exponent, "context": tex.context_exponent}[law]()


@dataclass(frozen=True)
class ExponentResult:
    """Decay exponents ``a`` (``R ∝ r^{−a}``) of one setting at ``(ν, β)``.

    ``laws``: {name: (expr, value)} for time/width/depth/context (expr None = not defined);
    ``shape``: (expr, value) of ``L ∝ N^{shape}`` on the compute-optimal path of the default
    budget; ``cutoffs``: {name: (expr, value)} of ``k* ∝ r^{c}``; ``notes``: {name: text}.
    """

    setting: str
    nu: Any
    beta: Any
    laws: Mapping[str, Any]
    shape: Any
    cutoffs: Mapping[str, Any]
    conditions: Mapping[str, str]
    notes: Mapping[str, str]
    dps: int = 30
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def time(self):
        return self.laws["time"][1]

    @property
    def width(self):
        return self.laws["width"][1]

    @property
    def depth(self):
        return self.laws["depth"][1]

    @property
    def context(self):
        return self.laws["context"][1]

    @staticmethod
    def _entry(expr, value, dps):
        if expr is None:
            return {"expr": "nan", "value": "nan"}
        val = str(value) if isinstance(value, sp.Basic) else format_number(value, dps)
        return {"expr": str(expr), "value": val}

    def to_dict(self) -> dict:
        out = {"setting": self.setting, "nu": _jsonable(self.nu, self.dps),
               "beta": _jsonable(self.beta, self.dps)}
        for name, (expr, value) in self.laws.items():
            out[name] = regime_entry(expr, value, self.nu, self.beta, self.dps)
        out["shape"] = regime_entry(*self.shape, self.nu, self.beta, self.dps)
        out["cutoffs"] = {k: regime_entry(e, v, self.nu, self.beta, self.dps)
                          for k, (e, v) in self.cutoffs.items()}
        out["conditions"] = dict(self.conditions)
        out["notes"] = dict(self.notes)
        out["dps"] = self.dps
        out.update({k: _jsonable(v, self.dps) for k, v in self.extra.items()})
        return out


    def to_latex(self, digits: int | None = None) -> str:
        """A LaTeX ``tabular``: one row per law (resource, the exponent ``a`` of
        ``R ∝ r^{-a}`` resolved at (ν, β), its value, the cutoff exponent ``c`` of
        ``k* ∝ r^c``), then the shape row ``L ∝ N^q``."""
        from solvers import latex

        digits = latex.DEFAULT_DIGITS if digits is None else digits
        rows, regime = [], []
        for name, (expr, value) in list(self.laws.items()) + [("shape", self.shape)]:
            label = LATEX_ROWS.get(name, latex.escape(name))
            if expr is None:
                rows.append([label, "--", "--", "--"])
                continue
            res, rel = resolved(expr, self.nu, self.beta)
            regime += [str(r) for r in rel if str(r) not in regime]
            cut = self.cutoffs.get(name)
            cut_cell = latex.expression(resolved(cut[0], self.nu, self.beta)[0]) \
                if cut is not None and cut[0] is not None else "--"
            rows.append([label, latex.expression(res), latex.number(value, digits), cut_cell])
        header = ["resource $r$", "exponent $a$", "value", "cutoff $c$"]
        caption = (f"% icl-theory exponents {self.setting}: nu = {human_value(self.nu)}, beta = "
                   f"{human_value(self.beta)}; R ~ r^(-a), k* ~ r^c"
                   + (f"; regime: {' & '.join(regime)}" if regime else "") + "\n")
        return caption + latex.tabular(header, rows, align="llrl")


#: row labels of the LaTeX table of :class:`ExponentResult`
LATEX_ROWS = {"time": "time $t$", "width": "width $N$", "depth": "depth $L$",
              "context": "context $P$", "time_full": "time $t$ (full attention)",
              "shape": "shape: $L \\propto N^{a}$"}


def resolved(expr, nu, beta):
    """``(expr, regime)``: ``expr`` with its Min/Max/Piecewise resolved at the given (ν, β)
    (:func:`theory.regime.resolve`); unchanged (and no regime) for symbolic ν, β."""
    if expr is None or _symbolic(nu) or _symbolic(beta) or not isinstance(expr, sp.Basic):
        return expr, []
    from theory.regime import resolve

    res, regime = resolve(expr, {s_nu: _sym(nu), s_beta: _sym(beta)})
    return _canonical(res), regime


def _canonical(expr):
    """One printed form per rational function of ν, β: numerator and denominator expanded
    and collected in ν (``ν(β+2)+ν+4`` and ``ν(β+3)+4`` both print as the latter)."""
    if not isinstance(expr, sp.Expr) or expr.has(sp.Min, sp.Max, sp.Piecewise) or \
            not expr.is_rational_function(s_nu, s_beta):
        return expr
    num, den = sp.fraction(sp.together(expr))
    return sp.collect(sp.expand(num), s_nu) / sp.collect(sp.expand(den), s_nu)


def regime_entry(expr, value, nu, beta, dps) -> dict:
    """JSON entry of one exponent: ``expr`` (the formula in ν, β resolved in the regime of the
    given values), ``value`` (its number), ``general`` (the formula valid in every regime, with
    its Min/Max), ``regime`` (the inequalities that select ``expr``; empty when ``expr`` holds
    everywhere) and ``latex`` (``expr`` as LaTeX)."""
    if expr is None:
        return {"expr": "nan", "value": "nan"}
    res, regime = resolved(expr, nu, beta)
    val = str(value) if isinstance(value, sp.Basic) else format_number(value, dps)
    return {"expr": str(res), "value": val, "general": str(expr),
            "regime": [str(r) for r in regime], "latex": sp.latex(res)}


def exponents(setting="rrs", nu=None, beta=None, dps=30) -> ExponentResult:
    """Scaling exponents of ``setting`` (``rrs`` or ``fs``) at capacity ``nu`` and source ``beta``.

    ``rrs``: time ``β/(β+2)`` (reduced Γ; full-attention ``5β/(5β+2)`` in ``time_full``), width and
    context ``ν min(β, 2)``, depth ``β``; ``shape`` is ``L ∝ N^{shape}`` under ``C = tP²N²L``.
    ``fs``: time ``νβ/(νβ+2ν+1)``; depth has no law (``Γ = LΣ⁻¹`` gives zero risk at any depth),
    width/context are not derived for FS — reported as ``nan`` with a note.  ``iso`` has no
    power-law spectrum: ValueError.
    """
    require_choice("setting", setting, SETTINGS)
    if setting == "iso":
        raise ValueError("setting='iso' is invalid: scaling exponents need a power-law spectrum; "
                         "setting must be 'rrs' or 'fs'")
    if nu is None or beta is None:
        raise ValueError(f"nu={nu!r}, beta={beta!r} are invalid: both are required "
                         "(nu > 1, beta > 0)")
    nu, beta = _validate_nu_beta(nu, beta)
    dps = require_dps(dps)
    laws = tex.exponents(setting)
    out, cut, cond, notes = {}, {}, {}, {}
    for name in ("time", "width", "depth", "context", "time_full"):
        if name not in laws:
            continue
        law = laws[name]
        if law is None:
            out[name] = (None, mpmath.nan)
            notes[name] = {
                "depth": "not defined: FS reaches zero risk at every depth (Gamma = L Sigma^-1 at "
                         "infinite context and time), so depth is not a bottleneck",
                "width": "not derived for FS: the projection-limit width law is for "
                         "Gamma = gamma I (RRS)",
                "context": "not derived for FS: the trained diagonal Gamma at finite context "
                           "(docs/theory.md §8 case C, A = Gamma Lambda) has no closed scaling law here",
            }[name]
            continue
        out[name] = (law.expr, _value(law.expr, nu, beta, dps))
        cut[name] = (law.cutoff, _value(law.cutoff, nu, beta, dps))
        cond[name] = str(law.condition)
        notes[name] = law.note
    if setting == "rrs":
        sol = tshape.optimal_shape(tshape.DEFAULT_BUDGET, setting="rrs")
        sh = sol.ratio(sL, sN)
        shape = (sh, _value(sh, nu, beta, dps))
        notes["shape"] = ("L ∝ N^shape on the compute-optimal path of C = t P^2 N^2 L: "
                          "nu*min(beta,1)/beta, i.e. nu for beta <= 1 and nu/beta beyond "
                          "(the width exponent saturates at nu for beta > 1)")
    else:
        shape = (None, mpmath.nan)
        notes["shape"] = "not defined for fs: depth does not enter the FS risk"
    return ExponentResult(setting, nu, beta, out, shape, cut, cond, notes, dps)


# ----------------------------------------------------------------------------- numerical checks

@dataclass(frozen=True)
class CheckResult:
    """Extrapolated local slope of the exact risk versus the symbolic exponent of one law."""

    law: str
    nu: Any
    beta: Any
    symbolic: Any           # mpf value of the derived exponent
    expr: str
    value: Any              # extrapolated slope
    error_estimate: Any
    resources: tuple
    slopes: tuple
    method: str
    dps: int
    converged: bool = True

    @property
    def difference(self):
        return abs(self.value - self.symbolic)

    def to_dict(self) -> dict:
        return {k: _jsonable(getattr(self, k), self.dps) for k in
                ("law", "nu", "beta", "symbolic", "expr", "value", "error_estimate",
                 "resources", "slopes", "method", "dps", "converged")} | \
            {"difference": _jsonable(self.difference, self.dps)}


def _aitken(seq):
    """Aitken Δ² extrapolants of a sequence (None where the second difference vanishes)."""
    out = []
    for i in range(len(seq) - 2):
        a, b, c = seq[i], seq[i + 1], seq[i + 2]
        d2 = (c - b) - (b - a)
        out.append(c - (c - b) ** 2 / d2 if d2 != 0 else c)
    return out


def _log_extrapolants(slopes, u):
    """Extrapolants of ``s(u) = s∞ − A/(u + a)`` (three unknowns) from consecutive triples.

    At a saturation boundary (``β = 1`` for width, ``β = 2`` for context) the head sum of the
    risk diverges logarithmically instead of as a power: with ``u = log(1/κ)``,
    ``R ≈ κ^{e}(log(1/κ)/ν + C)`` so the local slope is ``s∞ − s∞/(u + νC)`` plus higher
    orders — a ``1/u`` correction that Aitken's power-law model ``a + A r^{−ω}`` cannot remove.
    From three slopes at ``u_i`` (any spacing): ``ρ = Δ_1/Δ_2 = (u_3 + a)/(u_1 + a)`` gives a,
    then A, then ``s∞``."""
    out = []
    for i in range(len(slopes) - 2):
        d1, d2 = slopes[i + 1] - slopes[i], slopes[i + 2] - slopes[i + 1]
        if d2 == 0 or d1 == d2:
            out.append(slopes[i + 2])
            continue
        rho = d1 / d2
        a = (u[i + 2] - rho * u[i]) / (rho - 1)
        A = d1 * (u[i] + a) * (u[i + 1] + a) / (u[i + 1] - u[i])
        out.append(slopes[i + 1] + A / (u[i + 1] + a))
    return out


def _extrapolate(slopes, u=None):
    """(limit, error) from a sequence of slopes on a geometric ladder.

    Extrapolants: Aitken Δ² (one power-law correction), or, with ``u`` (= ``log(1/κ)`` of each
    slope), the log-corrected model of :func:`_log_extrapolants`.  Error: the last change of the
    extrapolants — continued as a geometric tail ``|δ|ρ/(1 − ρ)`` when successive changes
    shrink by ``ρ`` (a slowly converging sequence is still far from its limit), and the full
    distance to the last raw slope when they do not shrink."""
    if len(slopes) < 3:
        raise ValueError("need at least 3 slopes to extrapolate")
    acc = _aitken(slopes) if u is None else _log_extrapolants(slopes, u)
    last = acc[-1]
    tail = abs(slopes[-1] - slopes[-2])
    floor = mpmath.mpf(10) ** (-mpmath.mp.dps + 5)
    if len(acc) >= 2:
        err = abs(acc[-1] - acc[-2])
        if len(acc) >= 3 and acc[-2] != acc[-3]:
            rho = abs((acc[-1] - acc[-2]) / (acc[-2] - acc[-3]))
            err = err * max(1, rho / (1 - rho)) if rho < 1 else max(err, abs(last - slopes[-1]))
    else:
        err = tail
    # an extrapolant that moves further than the raw slopes did is not to be trusted
    if abs(last - slopes[-1]) > 10 * tail + mpmath.mpf(10) ** (-mpmath.mp.dps // 2):
        return slopes[-1], max(tail, abs(last - slopes[-1]))
    return last, max(err, floor)


def _correction_exponent(expr, nu, beta):
    """Exponent ω of the leading correction ``κ^ω`` of a width/context law, or None.

    The laws are ``ν·Min(head power, scaling power)`` of κ (:func:`theory.exponents.ridge_exponent`):
    the risk is ``C_1κ^{e_1} + C_2κ^{e_2}`` (head modes and scaling region), so the slope's
    leading correction is ``κ^{|e_1 − e_2|}``; ω = 0 is the saturation boundary, where the two
    terms merge into ``κ^e log(1/κ)``."""
    subs = {s_nu: _sym(nu), s_beta: _sym(beta)}
    for m in expr.atoms(sp.Min):
        vals = [sp.N(a.subs(subs), 30) for a in m.args]
        if len(vals) == 2 and all(v.is_number for v in vals):
            return mpmath.mpf(str(abs(vals[0] - vals[1])))
    return None


def _ridge_extrapolate(slopes, ladder, omega, nu):
    """(limit, error, note) of width/context slopes with the derived correction exponent ω.

    ω = 0: the log-corrected model (:func:`_log_extrapolants`).  ω > 0: one Richardson step
    with the known ``κ^ω`` removes the leading correction, then Aitken takes the rest.  When
    ``ω·log(1/κ)`` is still below 1 at the end of the ladder the data sit in the crossover to
    the logarithm, and the distance to the log-model value is added to the error."""
    u = [-mpmath.log(mpmath.mpf(k)) for k in ladder]
    val_log, err_log = _extrapolate(slopes, u)
    # the log model has no room for the next correction, κ^{1/ν} from N(κ) = cκ^{−1/ν} − 1/2 + …
    # (and its analogue for P): the same model after a Richardson step that removes it is a
    # second estimate, and the two must agree within the error
    q1 = [(mpmath.mpf(ladder[i + 1]) / mpmath.mpf(ladder[i])) ** (1 / mpmath.mpf(nu))
          for i in range(len(slopes) - 1)]
    rich1 = [(slopes[i + 1] - q1[i] * slopes[i]) / (1 - q1[i]) for i in range(len(slopes) - 1)]
    if len(rich1) >= 3:
        val_r, err_r = _extrapolate(rich1, u[1:])
        err_log = max(err_log, err_r, abs(val_log - val_r))
    if omega == 0:
        return val_log, err_log, ("log-corrected extrapolation s = s_inf - A/(log(1/kappa) + a), "
                                  "checked after removing kappa^(1/nu)")
    rich = []
    for i in range(len(slopes) - 1):
        q = (mpmath.mpf(ladder[i + 1]) / mpmath.mpf(ladder[i])) ** omega
        rich.append((slopes[i + 1] - q * slopes[i]) / (1 - q))
    val, err = _extrapolate(rich) if len(rich) >= 3 else (rich[-1], abs(rich[-1] - rich[-2]))
    note = f"Richardson step with the derived correction kappa^{mpmath.nstr(omega, 6)} + Aitken"
    if omega * u[-1] < 1:
        # crossover: κ^ω has not yet decayed by e over the ladder, the data still look
        # logarithmic; the log model's value, with the distance to the power model as error
        return (val_log, max(err, err_log) + abs(val - val_log),
                note + "; near the saturation boundary (omega log(1/kappa) < 1): log-corrected "
                "value, error includes the distance to the power-law model")
    return val, err, note


def _spectrum(nu, beta):
    from solvers.spectra import PowerLaw  # lazy: the spectra module is shared machinery
    return PowerLaw(nu, beta)


def _wsum(spec, g, power, dps, scale=None, with_omega=False):
    s = spec.wsum(g, power, dps, scale=scale, with_omega=with_omega)
    return s.value


def _gauss_legendre(n, dps):
    with mpmath.workdps(dps):
        x, w = np.polynomial.legendre.leggauss(n)
        # refine the double-precision nodes by Newton on P_n at the working precision
        nodes, weights = [], []
        for xi in x:
            r = mpmath.mpf(float(xi))
            for _ in range(8):
                p, dp = mpmath.legendre(n, r), mpmath.diff(lambda y: mpmath.legendre(n, y), r)
                r -= p / dp
            dp = mpmath.diff(lambda y: mpmath.legendre(n, y), r)
            nodes.append(r)
            weights.append(2 / ((1 - r**2) * dp**2))
        return nodes, weights


def _integrate_log(f, a, b, nodes, weights):
    """∫_a^b f(g) dg in x = log g with one Gauss–Legendre panel."""
    la, lb = mpmath.log(a), mpmath.log(b)
    half, mid = (lb - la) / 2, (lb + la) / 2
    total = mpmath.mpf(0)
    for x, w in zip(nodes, weights):
        g = mpmath.exp(mid + half * x)
        total += w * g * f(g)
    return half * total


def _exact_sum(spec, kernel, power, dps, fallback):
    """``Σ_k ω_kλ_k^power g(λ_k)`` exactly: head + Hurwitz-zeta moments of g's Taylor series
    (:mod:`solvers.zeta_moments`; no asymptotic formula), else ``fallback()`` (Euler–Maclaurin
    of :meth:`solvers.spectra.Spectrum.wsum`) when the head would be too long."""
    from solvers import zeta_moments as zm
    sums = zm.power_law_sums(zm.exact_key(spec.nu), zm.exact_key(spec.beta))
    out = sums.wsum(kernel, "nu", power - 1, dps + 3)
    return fallback() if out is None else out[0]


def _time_slopes(nu, beta, dps, ladder, full):
    """Local slopes of the RRS risk in time along ``γ ∈ ladder`` (reduced or γ = w⁵)."""
    from solvers import zeta_moments as zm
    spec = _spectrum(nu, beta)

    def F(g):
        return 2 * _exact_sum(spec, zm.exp_kernel(-2 * g), 2, dps, lambda: _wsum(
            spec, lambda l: mpmath.exp(-2 * g * l), 2, dps, scale=2 * g))

    def R(g):
        return _exact_sum(spec, zm.exp_kernel(-2 * g), 1, dps, lambda: _wsum(
            spec, lambda l: mpmath.exp(-2 * g * l), 1, dps, scale=2 * g))

    coef, power = (25, mpmath.mpf(8) / 5) if full else (1, 0)   # dγ/dt = (dγ/dw)² F, γ = w⁵

    def V(g):
        return coef * g**power * F(g)
    nodes, weights = _gauss_legendre(_GL_NODES, dps)
    if full:
        t, g_prev = mpmath.mpf(0), _FULL_GAMMA0
    else:
        # [0, 1] in g directly: F is smooth and positive there
        half = mpmath.mpf(1) / 2
        t = half * mpmath.fsum(w / V(half * (1 + x)) for x, w in zip(nodes, weights))
        g_prev = mpmath.mpf(1)
    resources, slopes = [], []
    for g in ladder:
        g = mpmath.mpf(g)
        while g_prev < g:
            g_next = min(g, g_prev * 10)
            t += _integrate_log(lambda y: 1 / V(y), g_prev, g_next, nodes, weights)
            g_prev = g_next
        Fg, Rg = F(g), R(g)
        resources.append(t)
        slopes.append(t * coef * g**power * Fg**2 / Rg)           # (t dγ/dt / γ)(γ F / R)
    return resources, slopes


def _fs_depth_slopes(nu, beta, dps, ladder, depth):
    """FS at finite depth: secant slopes of :func:`solvers.settings.fs.risk` along the time ladder."""
    from solvers.settings import fs
    risks = [fs.risk(nu=nu, beta=beta, depth=depth, time=mpmath.mpf(t), dps=dps).risk
             for t in ladder]
    slopes = [-mpmath.log(risks[i + 1] / risks[i]) / mpmath.log(mpmath.mpf(ladder[i + 1]) / ladder[i])
              for i in range(len(ladder) - 1)]
    resources = [mpmath.sqrt(mpmath.mpf(ladder[i]) * ladder[i + 1]) for i in range(len(ladder) - 1)]
    return resources, slopes


def _fs_slopes(nu, beta, dps, ladder):
    """FS slopes: ``R(t)`` from :func:`solvers.settings.fs.risk` (L = ∞), ``−t R'(t)`` by its own exact sum
    ``Σ ω_kλ_k x_k/(1 + x_k)²``, ``x_k = 4ω_kλ_k³t``."""
    from solvers.settings import fs
    spec = _spectrum(nu, beta)
    Z = mpmath.zeta(mpmath.mpf(nu) * mpmath.mpf(beta) + 1)
    resources, slopes = [], []
    for t in ladder:
        t = mpmath.mpf(t)
        lam_c = (Z / (4 * t)) ** (mpmath.mpf(nu) / (mpmath.mpf(nu) * (mpmath.mpf(beta) + 2) + 1))
        R = fs.risk(nu=nu, beta=beta, depth=math.inf, time=t, dps=dps).risk
        dR = _wsum(spec, lambda l, w: (4 * w * l**3 * t) / (1 + 4 * w * l**3 * t) ** 2, 1, dps,
                   scale=1 / lam_c, with_omega=True)
        resources.append(t)
        slopes.append(dR / R)
    return resources, slopes


def _ridge_slopes(nu, beta, dps, ladder, power):
    """Local slopes of ``R = Σ κ^p ω_kλ_k/(κ+λ_k)^p`` against ``r = Σ λ_k/(κ+λ_k)`` along κ:
    ``p = 1`` width (projection limit), ``p = 2`` context (docs/theory.md §8 ridge form).
    ``κ∂_κR = p Σ κ^p λ_k ω_kλ_k/(κ+λ_k)^{p+1}``, ``−κ∂_κ r = Σ κλ_k/(κ+λ_k)²``."""
    spec = _spectrum(nu, beta)
    resources, slopes = [], []
    for kap in ladder:
        kap = mpmath.mpf(kap)
        r = _wsum(spec, lambda l, w: l / ((kap + l) * w), 0, dps, scale=1 / kap, with_omega=True)
        kdr = _wsum(spec, lambda l, w: kap * l / ((kap + l) ** 2 * w), 0, dps, scale=1 / kap,
                    with_omega=True)
        R = _wsum(spec, lambda l: kap**power / (kap + l) ** power, 1, dps, scale=1 / kap)
        kdR = _wsum(spec, lambda l: power * kap**power * l / (kap + l) ** (power + 1), 1, dps,
                    scale=1 / kap)
        resources.append(r)
        slopes.append((kdR / R) / (kdr / r))
    return resources, slopes


def _optimal_depth_risk(spec, L, nu, beta, dps):
    """``min_γ Σ ω_kλ_k (1 − γλ_k/L)^{2L}`` by safeguarded Newton on ``F = −R'`` in ``[L, 2L]``.

    ``F(L) > 0`` (every factor ≥ 0) and ``F(2L) < 0`` (the top mode's factor is −1), so the
    bracket holds; the start ``γ ≈ L(2 − (β+1) log(2L)/(2L))`` balances the top mode against the
    tail ``∝ γ^{−β}``.  Only γ* to ~1e-10 relative is needed: R is stationary there.
    """
    from solvers import zeta_moments as zm
    from solvers.spectra import pow1m
    n = 2 * L

    def F(g):
        return 2 * _exact_sum(spec, zm.binomial_kernel(n - 1, -g / L), 2, dps, lambda: _wsum(
            spec, lambda l: pow1m(g * l / L, n - 1), 2, dps, scale=2 * g))

    def dF(g):
        return -2 * mpmath.mpf(n - 1) / L * _exact_sum(
            spec, zm.binomial_kernel(n - 2, -g / L), 3, dps,
            lambda: _wsum(spec, lambda l: pow1m(g * l / L, n - 2), 3, dps, scale=2 * g))

    # Newton on φ(γ) = log(F + H) − log H, H = −(top-mode term of F) = 2ω_1(γ/L − 1)^{2L−1}:
    # F = (F + H) − H balances a smooth tail against an exponentially steep top mode, and
    # the logarithms make both nearly linear in γ (Newton on F itself thrashes).
    w1 = 1 / mpmath.zeta(mpmath.mpf(nu) * mpmath.mpf(beta) + 1)

    def H(g):
        return 2 * w1 * (g / L - 1) ** (n - 1)

    def dH(g):
        return 2 * w1 * (n - 1) * (g / L - 1) ** (n - 2) / L

    lo, hi = mpmath.mpf(L), mpmath.mpf(2 * L)
    g = L * (2 - (mpmath.mpf(beta) + 1) * mpmath.log(2 * L) / (2 * L))
    if not lo < g < hi:
        g = (lo + hi) / 2
    tol = mpmath.mpf(10) ** (-min(dps, 20) + 5)
    for _ in range(100):
        Fg, Hg = F(g), H(g)
        if Fg > 0:
            lo = g
        else:
            hi = g
        phi = mpmath.log(Fg + Hg) - mpmath.log(Hg)
        dphi = (dF(g) + dH(g)) / (Fg + Hg) - dH(g) / Hg
        gn = g - phi / dphi
        if abs(gn - g) <= tol * g:
            g = gn
            break
        if not lo < gn < hi:
            gn = (lo + hi) / 2
        g = gn
    else:
        raise ConvergenceError("optimal gamma at finite depth did not converge",
                               where=f"L={L}, gamma in [{lo}, {hi}]")
    return _exact_sum(spec, zm.binomial_kernel(n, -g / L), 1, dps,
                      lambda: _wsum(spec, lambda l: pow1m(g * l / L, n), 1, dps, scale=2 * g))


def _depth_slopes(nu, beta, dps, ladder):
    """Secant slopes of the optimal RRS risk ``R*(L)`` (α = ∞, infinite training time)."""
    spec = _spectrum(nu, beta)
    risks = [_optimal_depth_risk(spec, int(d), nu, beta, dps) for d in ladder]
    slopes = [-mpmath.log(risks[i + 1] / risks[i]) / mpmath.log(mpmath.mpf(ladder[i + 1]) / ladder[i])
              for i in range(len(ladder) - 1)]
    # a secant slope belongs to the geometric mean of its two depths
    resources = [mpmath.sqrt(mpmath.mpf(ladder[i]) * ladder[i + 1]) for i in range(len(ladder) - 1)]
    return resources, slopes


#: default ladders (geometric) of the scale each check is parametrised by
DEFAULT_LADDERS = {
    "time": [10**j for j in range(1, 5)],              # γ (corrections ∝ γ^{−(β+2)})
    "time_full": [10**j for j in range(1, 6)],         # γ
    "time_fs": [mpmath.mpf(10) ** (2 * j) for j in range(4, 10)],   # t
    "depth": [100 * 4**j for j in range(5)],           # L
    "width": [mpmath.mpf(10) ** (-j) for j in range(3, 9)],   # κ
    "context": [mpmath.mpf(10) ** (-j) for j in range(3, 9)],
}


def check_exponent(law, nu, beta, dps=30, ladder=None, depth=math.inf) -> CheckResult:
    """Extrapolated local slope ``−d log R/d log r`` of the exact risk for ``law`` at large ``r``.

    ``law`` is one of :data:`LAWS`; ``ladder`` (optional) is the geometric ladder of the scale
    the law is parametrised by (γ for ``time``/``time_full``, t for ``time_fs``, L for ``depth``,
    κ for ``width``/``context``).  Width uses the projection limit ``R_∞ = κΣω_kλ_k/(κ+λ_k)`` of
    :mod:`solvers.settings.width` (the infinite-depth optimum, linear in κ); context uses docs/theory.md §8's
    ridge form ``Σκ²ω_kλ_k/(κ+λ_k)²``; both with ``Σλ_k/(κ+λ_k) = r``.  ``depth`` (``time_fs`` only): a
    finite FS depth uses secant slopes of :func:`solvers.settings.fs.risk` (same exponent at every
    depth, :func:`theory.exponents.time_exponent_fs`).  Returns a :class:`CheckResult` with
    the extrapolated slope, its error estimate and the derived exponent for comparison.
    """
    require_choice("law", law, LAWS)
    nu, beta = _validate_nu_beta(nu, beta)
    dps = require_dps(dps)
    finite_fs = law == "time_fs" and not math.isinf(float(depth))
    if finite_fs:
        depth = require_int("depth", depth, minimum=1)
        sym = tex.time_exponent_fs(depth)
    elif not math.isinf(float(depth)):
        raise ValueError(f"depth={depth!r} is invalid: a finite depth applies only to "
                         "law='time_fs' (use depth=inf)")
    else:
        sym = symbolic(law)
    ladder = list(DEFAULT_LADDERS[law] if ladder is None else ladder)
    with mpmath.workdps(dps):
        if law in ("time", "time_full"):
            res, sl = _time_slopes(nu, beta, dps, ladder, full=(law == "time_full"))
        elif finite_fs:
            res, sl = _fs_depth_slopes(nu, beta, dps, ladder, depth)
        elif law == "time_fs":
            res, sl = _fs_slopes(nu, beta, dps, ladder)
        elif law == "depth":
            res, sl = _depth_slopes(nu, beta, dps, ladder)
        else:
            res, sl = _ridge_slopes(nu, beta, dps, ladder, power=1 if law == "width" else 2)
        omega = (_correction_exponent(sym.expr, nu, beta) if law in ("width", "context")
                 else None)
        if omega is not None:
            val, err, extrapolation = _ridge_extrapolate(sl, ladder, omega, nu)
        else:
            val, err = _extrapolate(sl)
            extrapolation = "Aitken delta^2 extrapolation"
        target = _value(sym.expr, nu, beta, dps)
        if not (mpmath.isfinite(val) and mpmath.isfinite(err)):
            raise ConvergenceError(f"slope extrapolation failed for law={law}",
                                   where=f"nu={nu}, beta={beta}", residual=err)
    method = {"time": "t(gamma) Gauss-Legendre quadrature; slope t F^2/R",
              "time_full": "t(gamma) quadrature of dgamma/dt = 25 gamma^(8/5) F, gamma(0)=0.01",
              "time_fs": "R(t) from solvers.settings.fs.risk (depth inf), exact derivative sum",
              "depth": "secant slopes of the optimal R*(L) (Newton on dR/dgamma in [L, 2L])",
              "width": "kappa-parametrised projection limit R = kappa sum(w l/(kappa+l)), "
                       "sum(l/(kappa+l)) = N (solvers.settings.width, L = inf)",
              "context": "kappa-parametrised leading-order sums (docs/theory.md §8 scaling limit)"}[law]
    if finite_fs:
        method = f"secant slopes of solvers.settings.fs.risk at depth {depth}"
    method += "; " + extrapolation
    return CheckResult(law, nu, beta, target, str(sym.expr), val, err, tuple(res), tuple(sl),
                       method, dps)
