"""Check hand derivations against the exact model: claims files, verdicts, ``icl-theory check``.

A *claim* says that a quantity the package computes (a risk, an optimal γ, an exponent, a
compute-optimal shape exponent, …) equals a closed-form expression in some free parameters, with
the remaining parameters fixed.  The format (TOML, one ``[[claim]]`` table per claim) is documented
in ``derivations/README.md``; :data:`QUANTITIES` lists what can be claimed.

For every claim the checker

1. tries a **symbolic proof**: where :mod:`theory` has an exact sympy expression for the quantity
   (e.g. :func:`theory.iso.risk_expr`, :func:`theory.iso.optimal_depth1`, the exponents of
   :mod:`theory.exponents`, the shapes of :mod:`theory.shape`), ``claim − exact`` is simplified
   (``cancel`` first, then ``simplify``, each under a time limit); zero ⇒ ``verified (symbolic)``;
2. otherwise checks **numerically** at a deterministic, low-discrepancy point set spread over the
   domain (Halton sequence; log-spaced in a range spanning a decade or more), at ``dps ≥ 30``
   digits, using the package's numeric solvers (or the exact expression evaluated at high
   precision).  A point passes when ``|claim − exact| ≤ tol·max(|exact|, |claim|) + atol +
   error estimate``.  The worst failing point is the counterexample of ``REFUTED``.

Malformed files raise :class:`ClaimsError` (a ``ValueError``; exit status 2 on the command line)
naming the file, the line and the field.
"""
from __future__ import annotations

import functools
import itertools
import json
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import mpmath
import sympy as sp

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from solvers.result import ConvergenceError
from theory.timeout import Timeout, run_with_timeout
from theory import symbols as S

__all__ = ["Verdict", "ClaimsError", "QUANTITIES", "check_claim", "check_files", "load_claims",
           "register_cli", "MIN_DPS"]

log = logging.getLogger(__name__)

#: the issue asks for high-precision numerics: claims are never checked below this precision
MIN_DPS = 30
DEFAULT_POINTS = 12
#: seconds sympy may spend on one simplification (each claim tries at most a few)
SYMBOLIC_TIMEOUT = 8.0

CLAIM_KEYS = {"name", "quantity", "setting", "fixed", "free", "claim", "expect", "tolerance",
              "atol", "points", "dps", "method", "requires", "relation", "slope_in", "note",
              "source", "result", "where"}
FILE_KEYS = {"claim", "title", "source", "description", "defaults"}
DEFAULT_KEYS = {"dps", "points", "tolerance", "atol", "method"}
RELATIONS = ("==", "<=", ">=", "<", ">")
EXPECTS = ("verified", "refuted")
METHODS = ("auto", "symbolic", "numeric")


class ClaimsError(ValueError):
    """A malformed claims file: the message names the file, line (where known) and field."""


# ----------------------------------------------------------------------------- parameters

class _Param:
    """A parameter name: its sympy symbol, its kind and whether ``inf`` is a valid value."""

    def __init__(self, symbol, kind="real", allow_inf=False):
        self.symbol, self.kind, self.allow_inf = symbol, kind, allow_inf


# SGD symbols are defined once, in theory.dynamics (learning rate, batch and query ratios, step)
from theory.dynamics import eta as _eta, kappa as _kappa, n_step as _step, tau_batch as _tau


def _fs_omega():
    from theory import fs as tfs
    return tfs.omega


PARAMS = {
    "alpha": _Param(S.alpha, allow_inf=True),
    "depth": _Param(S.L, "int", allow_inf=True),
    "sigma2": _Param(S.sigma2),
    "gamma": _Param(S.gamma, allow_inf=True),
    "nu": _Param(S.nu),
    "beta": _Param(S.beta),
    "time": _Param(S.t, allow_inf=True),
    "width": _Param(S.N, "int", allow_inf=True),
    "context": _Param(S.P, "int", allow_inf=True),
    "dim": _Param(sp.Symbol("D", positive=True, integer=True), "int", allow_inf=True),
    "theta": _Param(S.theta),
    "lam": _Param(S.lam),
    "omega": _Param(None),  # theory.fs.omega, resolved lazily
    "eta": _Param(_eta),
    "tau": _Param(_tau),
    "kappa": _Param(_kappa, allow_inf=True),
    "step": _Param(_step, "int", allow_inf=True),
    "init_scale": _Param(sp.Symbol("sigma_0", positive=True)),
    "seed": _Param(None, "int"),
    "budget": _Param(None, "str"),
    "parameterization": _Param(None, "str"),
    "rotate_omega": _Param(None, "bool"),
    "transpose": _Param(None, "bool"),
    "gains": _Param(None, "bool"),
    "general_key": _Param(None, "bool"),
    "query_noise": _Param(None, "bool"),
    "D": _Param(None, "int"),
    "P": _Param(None, "int"),
}
#: other spellings accepted inside claim expressions (the paper's letters)
ALIASES = {"L": "depth", "t": "time", "N": "width", "d": "width", "k": "context",
           "lambda": "lam", "w": "omega", "n": "step"}


def _symbol(name):
    if name == "omega":
        return _fs_omega()
    return PARAMS[name].symbol


# ----------------------------------------------------------------------------- quantities

@dataclass(frozen=True)
class Quantity:
    """A claimable quantity.

    ``numeric(params, dps) -> (value, error_estimate)`` evaluates it with the package's solvers;
    ``symbolic(params) -> sympy expression or None`` gives the exact expression where theory has
    one (``params`` values are sympy numbers or the free symbols).  ``settings`` lists the valid
    settings (empty: the quantity takes no setting); ``params`` the accepted parameters.
    """

    name: str
    doc: str
    params: tuple
    settings: tuple = ()
    numeric: Callable | None = None
    symbolic: Callable | None = None
    requires: str | None = None


def _mp(x):
    if isinstance(x, str):
        return x
    if isinstance(x, bool) or x is None:
        return x
    if isinstance(x, sp.Basic):
        if x is sp.oo:
            return mpmath.inf
        return mpmath.mpf(sp.N(x, mpmath.mp.dps + 10))
    return x


def _solver_args(p, names):
    """Keyword arguments for a solver: mpf numbers, 'inf' for infinities, ints for integer
    parameters, strings/bools unchanged; parameters not given are left out."""
    out = {}
    for n in names:
        if n not in p:
            continue
        v = p[n]
        kind = PARAMS[n].kind if n in PARAMS else "real"
        if isinstance(v, mpmath.mpf) and mpmath.isinf(v):
            out[n] = "inf"
        elif kind == "int" and not isinstance(v, str):
            out[n] = int(v)
        else:
            out[n] = v
    return out


def _err(res):
    e = getattr(res, "error_estimate", None)
    if e is None or isinstance(e, str):
        return mpmath.mpf(0)
    return mpmath.mpf(e)


def _is_number(v):
    return isinstance(v, sp.Basic) and v.is_number


def _sym_int(v):
    """A fixed integer sympy value (or oo), else None for a symbol."""
    if v is sp.oo:
        return sp.oo
    if _is_number(v) and v.is_integer:
        return int(v)
    return None


# ISO -----------------------------------------------------------------------------------------

def _iso_numeric(field_name):
    def f(p, dps):
        from solvers import iso
        res = iso.risk(dps=dps, **_solver_args(p, ("alpha", "depth", "sigma2", "gamma")))
        if field_name == "risk":
            return res.risk, _err(res)
        if field_name == "gamma":
            g = res.gamma
            return g, abs(g) * mpmath.mpf(10) ** (-dps) if mpmath.isfinite(g) else 0
        if field_name == "gamma.per_layer":
            g = res.gamma
            L = mpmath.mpf(p["depth"])
            return g / L, abs(g / L) * mpmath.mpf(10) ** (-dps) if mpmath.isfinite(g) else 0
        if field_name not in res.extra:
            raise _NotAvailable(f"solvers.iso.risk gives no {field_name} split here")
        return res.extra[field_name], _err(res)
    return f


def _iso_symbolic(field_name):
    def f(p):
        from theory import iso
        depth = _sym_int(p["depth"])
        if depth is None:
            return None
        alpha, sigma2 = p["alpha"], p.get("sigma2", sp.Integer(0))
        gamma = p.get("gamma")
        sub = {S.alpha: alpha, S.sigma2: sigma2}
        if alpha is sp.oo:
            return None
        if gamma is None:  # optimal γ
            if depth == 1:
                g, r = iso.optimal_depth1()
            elif sigma2 == 0 and depth is not sp.oo:
                g, r = iso.optimal_noise_free(depth)
            elif sigma2 == 0:
                lim = iso.infinite_depth_limit()
                g, r = lim["optimal_gamma_noise_free"], lim["optimal_risk_noise_free"]
            else:
                return None
            if field_name == "risk":
                return r.subs(sub)
            if field_name == "gamma":
                return g.subs(sub) if isinstance(g, sp.Basic) else g
            if field_name == "gamma.per_layer" and depth is not sp.oo:
                return (g / depth).subs(sub)
            return None
        if depth is sp.oo or gamma is sp.oo:
            return None
        bias = iso.risk_expr(depth, 0, alpha, gamma)
        if field_name == "bias":
            return bias
        full = iso.risk_expr(depth, sigma2, alpha, gamma)
        if field_name == "risk":
            return full
        if field_name == "variance":
            return full - bias
        return None
    return f


# RRS / FS ------------------------------------------------------------------------------------

def _spectrum_args(p):
    """lam/omega scalars (one mode) become lists; lists stay lists."""
    out = {}
    for n in ("lam", "omega"):
        if n in p:
            v = p[n]
            out[n] = list(v) if isinstance(v, (list, tuple)) else [v]
    return out


def _rrs_numeric(field_name):
    def f(p, dps):
        from solvers import rrs
        kw = _solver_args(p, ("nu", "beta", "depth", "time", "gamma", "dim", "parameterization",
                              "init_scale"))
        kw.update(_spectrum_args(p))
        res = rrs.risk(dps=dps, **kw)
        if field_name == "risk":
            return res.risk, _err(res)
        g = mpmath.mpf(res.gamma) if not isinstance(res.gamma, mpmath.mpf) else res.gamma
        tol = abs(g) * mpmath.mpf(10) ** (-(dps - 5)) if mpmath.isfinite(g) else 0
        if field_name == "gamma.per_layer":
            return g / mpmath.mpf(p["depth"]), tol
        return g, tol
    return f


def _rrs_symbolic(field_name):
    def f(p):
        from theory import rrs as trrs
        if field_name != "risk" or "gamma" not in p or "lam" not in p or "omega" not in p:
            return None
        depth = _sym_int(p["depth"]) if "depth" in p else 1
        if depth is None:
            return None
        lam, om = p["lam"], p["omega"]
        lam = lam if isinstance(lam, (list, tuple)) else [lam]
        om = om if isinstance(om, (list, tuple)) else [om]
        return trrs.landscape(depth, p["gamma"], modes=list(zip(lam, om)))
    return f


def _fs_numeric(field_name):
    def f(p, dps):
        from solvers import fs
        if field_name == "mode_gamma":
            kw = _solver_args(p, ("lam", "omega", "time", "depth"))
            return fs.mode_gamma_of_time(dps=dps, **kw), mpmath.mpf(10) ** (-dps)
        if field_name in ("ood_risk", "ood_spectral_radius"):
            kw = _solver_args(p, ("theta", "depth", "dim", "nu", "beta", "seed", "rotate_omega"))
            kw.update(_spectrum_args(p))
            kw["theta"] = float(kw["theta"])
            res = fs.ood_risk(dps=dps, **kw)
            if field_name == "ood_risk":
                return res.risk, _err(res)
            return res.extra["spectral_radius"], _err(res)
        kw = _solver_args(p, ("nu", "beta", "depth", "time", "gamma", "dim"))
        kw.update(_spectrum_args(p))
        res = fs.risk(dps=dps, **kw)
        return res.risk, _err(res)
    return f


def _fs_symbolic(field_name):
    def f(p):
        from theory import fs as tfs
        depth = _sym_int(p["depth"]) if "depth" in p else 1
        if depth is None:
            return None
        lam, om = p.get("lam"), p.get("omega")
        if lam is None or om is None or isinstance(lam, (list, tuple)):
            return None
        if field_name == "mode_flow":
            return tfs.mode_flow(depth, p["gamma"]).subs({S.lam: lam, tfs.omega: om})
        if field_name in ("risk", "mode_gamma") and "time" in p and "gamma" not in p:
            tt = p["time"]
            if tt is sp.oo:
                return sp.Integer(0) if field_name == "risk" else None
            e = tfs.mode_risk_of_time(depth) if field_name == "risk" else \
                tfs.mode_gamma_of_time(depth)
            return e.subs({S.lam: lam, tfs.omega: om, S.t: tt})
        if field_name == "risk" and "gamma" in p:
            return tfs.mode_risk(depth, p["gamma"]).subs({S.lam: lam, tfs.omega: om})
        return None
    return f


# exponents and shapes ------------------------------------------------------------------------

_LAWS = {"rrs": ("time", "width", "depth", "context", "time_full"), "fs": ("time",)}


def _exponent_symbolic(law):
    def f(p, setting):
        from theory import exponents as tex
        laws = tex.exponents(setting)
        e = laws.get(law)
        if e is None:
            raise _NotAvailable(f"exponent.{law} is not defined for setting {setting!r}")
        return e.expr.subs({S.nu: p["nu"], S.beta: p["beta"]})
    return f


def _law_symbolic(law, field_name):
    """``law.<resource>.<field>``: prefactor / exponent / log_power of theory.laws, a Piecewise
    over the law's regimes (saturation, log boundary) in (ν, β); time laws at ``depth``."""
    def f(p, setting):
        from theory import laws as tl
        d = sp.sympify(p.get("depth", sp.oo))
        if not d.is_number:
            raise _NotAvailable("law.*: depth must be a fixed number")
        try:
            regimes = tl.law_regimes(law, setting, sp.oo if d.is_infinite else sp.Integer(int(d)))
        except ValueError as exc:
            raise _NotAvailable(str(exc)) from None
        pieces = [(sp.sympify(getattr(r, field_name)), r.condition) for r in regimes]
        expr = pieces[0][0] if len(pieces) == 1 else sp.Piecewise(*pieces)
        return expr.subs({S.nu: p["nu"], S.beta: p["beta"]})
    return f


_SLOPE_LAW = {("rrs", "time"): "time", ("rrs", "time_full"): "time_full",
              ("rrs", "depth"): "depth", ("rrs", "width"): "width",
              ("rrs", "context"): "context", ("fs", "time"): "time_fs"}


def _slope_numeric(law):
    def f(p, dps, setting):
        from solvers.exponents import check_exponent
        key = _SLOPE_LAW.get((setting, law))
        if key is None:
            raise _NotAvailable(f"slope.{law} is not available for setting {setting!r}")
        res = check_exponent(key, p["nu"], p["beta"], dps=dps)
        return res.value, mpmath.mpf(res.error_estimate)
    return f


def _shape_symbolic(resource):
    def f(p, setting):
        from theory import shape as tshape
        budget = p.get("budget", tshape.DEFAULT_BUDGET)
        sol = tshape.optimal_shape(budget, setting=setting)
        sub = {S.nu: p["nu"], S.beta: p["beta"]}
        if resource == "risk":
            return sol.risk.subs(sub)
        if resource == "L_vs_N":
            if S.L not in sol.exponents or S.N not in sol.exponents:
                raise _NotAvailable(f"budget {budget!r} does not contain both L and N")
            return sol.ratio(S.L, S.N).subs(sub)
        sym = tshape.RESOURCES[resource]
        if sym not in sol.exponents:
            raise _NotAvailable(f"resource {resource} is not in budget {budget!r}")
        return sol.exponents[sym].subs(sub)
    return f


# the symbolic attention = GD checks ------------------------------------------------------------

def _model_symbolic(which):
    def f(p):
        from theory import model
        depth = int(p.get("depth", 1))
        D, P = int(p.get("D", 2)), int(p.get("P", 3))
        if which == "attention_minus_gd":
            return model.check_attention_equals_gd(
                depth, D=D, P=P, transpose=bool(p.get("transpose", True)),
                gains=bool(p.get("gains", False)), general_key=bool(p.get("general_key", False)))
        if which == "gd_minus_reduced":
            return model.check_gd_equals_reduced(depth, D=D, P=P)
        return model.check_weight_error(depth, D=D, P=P)
    return f


# online SGD at depth 1 (ISO, paper Result 10) ----------------------------------------------------

@functools.lru_cache(maxsize=2)
def _sgd_solution(query_noise):
    from theory import dynamics as tdyn
    return tdyn.sgd_solution(query_noise)


def _sgd_symbolic(which):
    def f(p):
        qn = bool(p.get("query_noise", True))
        sol = _sgd_solution(qn)
        base = sol.base
        expr = {"C": sol.C, "risk": sol.risk, "proxy": sol.proxy, "mean": sol.mean,
                "a": base.a, "b": base.b, "C0": base.C0, "floor": base.floor,
                "risk_floor": base.risk_floor, "eta_max": base.eta_max}[which]
        sub = {S.alpha: p["alpha"], S.sigma2: p.get("sigma2", sp.Integer(0))}
        for name, sym in (("eta", _eta), ("tau", _tau), ("kappa", _kappa), ("step", _step)):
            if name in p:
                sub[sym] = p[name]
        return expr.subs(sub)
    return f


# gradient-flow right-hand sides -----------------------------------------------------------------

def _flow_iso_symbolic(p):
    from theory import dynamics as tdyn
    depth = _sym_int(p["depth"])
    if depth is None or depth is sp.oo:
        return None
    return tdyn.iso_flow(depth, p.get("sigma2", sp.Integer(0)), p["alpha"], p["gamma"])


def _flow_rrs_numeric(p, dps):
    from solvers import rrs
    kw = _solver_args(p, ("nu", "beta", "depth", "gamma", "dim", "parameterization"))
    kw.update(_spectrum_args(p))
    return rrs.flow_velocity(dps=dps, **kw), mpmath.mpf(10) ** (-dps)


def _flow_rrs_symbolic(p):
    from theory import rrs as trrs
    if p.get("parameterization", "reduced") != "reduced" or "lam" not in p or "omega" not in p:
        return None
    depth = _sym_int(p.get("depth", sp.Integer(1)))
    if depth is None:
        return None
    lam, om = p["lam"], p["omega"]
    lam = lam if isinstance(lam, (list, tuple)) else [lam]
    om = om if isinstance(om, (list, tuple)) else [om]
    return trrs.flow(depth, p["gamma"], modes=list(zip(lam, om)))


# finite context and finite width (dmft.md cases C and W; float64 contour arithmetic) -----------

def _contour_numeric(kind, field_name):
    """Risk or optimal γ from a float64 contour solver: ``kind`` is ``"context"`` (case C,
    solvers.context) or ``"width"`` (case W, solvers.width).  γ* is the root of an exact
    derivative evaluated in float64: its error is a stated relative 1e-11 (context) or 1e-10
    (width)."""
    names = {"context": ("alpha", "context", "depth", "gamma", "sigma2", "nu", "beta", "dim"),
             "width": ("width", "depth", "gamma", "nu", "beta", "dim")}[kind]
    gamma_rel = mpmath.mpf("1e-11") if kind == "context" else mpmath.mpf("1e-10")

    def f(p, dps):
        import importlib
        solver = importlib.import_module(f"solvers.{kind}")
        kw = _solver_args(p, names)
        kw.update(_spectrum_args(p))
        args = (p.get("_setting", "iso"),) if kind == "context" else ()
        res = solver.risk(*args, dps=dps, **kw)
        if field_name == "risk":
            return mpmath.mpf(res.risk), _err(res)
        g = mpmath.mpf(res.gamma)
        return g, abs(g) * gamma_rel if mpmath.isfinite(g) else 0
    return f


# gradient-flow time series (solvers.dynamics) ---------------------------------------------------

def _dynamics_numeric(field_name):
    def f(p, dps):
        from solvers import dynamics
        setting = p.get("_setting", "iso")
        t = p["time"]
        times = ["inf" if mpmath.isinf(t) else t]
        if setting == "iso":
            kw = _solver_args(p, ("alpha", "depth", "sigma2"))
            ts = dynamics.iso_flow(times, dps=dps, **kw)
        else:
            kw = _solver_args(p, ("nu", "beta", "depth", "dim"))
            kw.update(_spectrum_args(p))
            ts = (dynamics.fs_flow if setting == "fs" else dynamics.rrs_flow)(times, dps=dps,
                                                                               **kw)
        err = _err(ts)
        if field_name == "risk":
            return mpmath.mpf(ts.risk[0]), err
        if ts.gamma is None:
            raise _NotAvailable(f"dynamics.gamma: setting {setting!r} has no scalar state")
        return mpmath.mpf(ts.gamma[0]), err
    return f


def _dynamics_symbolic(field_name):
    def f(p):
        if p.get("_setting", "iso") != "iso" or _sym_int(p.get("depth")) != 1:
            return None
        from theory import dynamics as tdyn
        ns = tdyn.iso_depth1_flow()
        e = ns.risk_of_time if field_name == "risk" else ns.gamma_of_time
        return e.subs({S.alpha: p["alpha"], S.sigma2: p.get("sigma2", sp.Integer(0)),
                       S.t: p["time"]})
    return f


class _NotAvailable(Exception):
    """The quantity cannot be computed for these parameters (reported as a claim error)."""


def _build_quantities():
    q = {}

    def add(name, doc, params, settings=(), numeric=None, symbolic=None, requires=None):
        q[name] = Quantity(name, doc, tuple(dict.fromkeys(params)), tuple(settings), numeric, symbolic, requires)

    iso_p = ("alpha", "depth", "sigma2", "gamma")
    spec_p = ("nu", "beta", "depth", "time", "gamma", "dim", "lam", "omega")
    add("risk", "excess risk R (zero predictor = 1); iso: exact MP average; rrs/fs: alpha = inf "
        "spectral sums (gamma given, gradient-flow time, or optimal)",
        iso_p + spec_p + ("parameterization", "init_scale"), ("iso", "rrs", "fs"))
    add("risk.bias", "bias part of the ISO risk", iso_p, ("iso",), _iso_numeric("bias"),
        _iso_symbolic("bias"))
    add("risk.variance", "label-noise (variance) part of the ISO risk", iso_p, ("iso",),
        _iso_numeric("variance"), _iso_symbolic("variance"))
    add("gamma", "optimal gamma (minimiser of R); rrs with finite time: gamma(t) of the flow",
        iso_p + spec_p + ("parameterization", "init_scale"), ("iso", "rrs"))
    add("gamma.per_layer", "optimal per-layer step gamma*/L (the in-context GD learning rate)",
        iso_p + spec_p, ("iso", "rrs"))
    add("fs.mode_gamma", "gamma_k(t) of one FS mode (closed-form gradient flow from 0)",
        ("lam", "omega", "time", "depth"), (), _fs_numeric("mode_gamma"),
        _fs_symbolic("mode_gamma"))
    add("fs.mode_flow", "d gamma_k/dt = -dR/d gamma_k of one FS mode at gamma",
        ("lam", "omega", "gamma", "depth"), (), None, _fs_symbolic("mode_flow"))
    add("fs.ood_risk", "OOD risk of the trained Gamma = L Sigma^-1 on a rotated covariance",
        ("theta", "depth", "dim", "nu", "beta", "seed", "rotate_omega", "lam", "omega"), (),
        _fs_numeric("ood_risk"))
    add("fs.ood_spectral_radius", "spectral radius of I - Sigma^-1 Sigma' (OOD)",
        ("theta", "depth", "dim", "nu", "beta", "seed", "rotate_omega", "lam", "omega"), (),
        _fs_numeric("ood_spectral_radius"))
    for law in ("time", "width", "depth", "context", "time_full"):
        settings = ("rrs", "fs") if law == "time" else ("rrs",)
        add(f"exponent.{law}", f"decay exponent a of R ∝ {law}^-a (theory.exponents, symbolic)",
            ("nu", "beta"), settings, None, _exponent_symbolic(law))
        add(f"slope.{law}", f"extrapolated local slope -dlogR/dlog({law}) of the exact risk "
            "(solvers.exponents.check_exponent, numeric)", ("nu", "beta"), settings,
            _slope_numeric(law))
    for law in ("time", "width", "depth", "context", "time_full"):
        settings = ("rrs", "fs") if law == "time" else ("rrs",)
        for fld in ("prefactor", "exponent", "log_power"):
            add(f"law.{law}.{fld}", f"{fld} of the law R ~ c {law}^-a (log {law})^l with exact "
                "prefactor (theory.laws, Mellin-Barnes; Piecewise over regimes)",
                ("nu", "beta", "depth"), settings, None, _law_symbolic(law, fld))
    for r in ("L", "N", "t", "P", "risk", "L_vs_N"):
        add(f"shape.{r}", f"compute-optimal exponent of {r} vs the budget (theory.shape)",
            ("nu", "beta", "budget"), ("rrs", "fs"), None, _shape_symbolic(r))
    for which in ("attention_minus_gd", "gd_minus_reduced", "weight_error"):
        add(f"model.{which}", f"symbolic matrix identity of theory.model ({which}); claim '0'",
            ("depth", "D", "P", "transpose", "gains", "general_key"), (), None,
            _model_symbolic(which))
    ctx_p = ("alpha", "context", "depth", "gamma", "sigma2", "nu", "beta", "dim", "lam",
             "omega")
    add("context.risk", "finite-context risk by the case-C double-contour deterministic "
        "equivalent (solvers.context; about 12 correct digits)", ctx_p, ("iso", "rrs", "fs"),
        requires="solvers.context")
    add("context.gamma", "optimal gamma at finite context (solvers.context)", ctx_p,
        ("iso", "rrs", "fs"), requires="solvers.context")
    add("width.risk", "RRS risk at finite width N, infinite context (solvers.width, case W; "
        "float64 contour sums)", ("width", "depth", "gamma", "nu", "beta", "dim", "lam", "omega"),
        (), _contour_numeric("width", "risk"), requires="solvers.width")
    add("width.gamma", "optimal gamma at finite width (solvers.width)",
        ("width", "depth", "nu", "beta", "dim", "lam", "omega"), (), _contour_numeric("width", "gamma"),
        requires="solvers.width")
    dyn_p = ("alpha", "depth", "sigma2", "time", "nu", "beta", "dim", "lam", "omega")
    add("dynamics.risk", "risk along the gradient flow from Gamma = 0 at time t "
        "(solvers.dynamics; symbolic: theory.dynamics.iso_depth1_flow)", dyn_p,
        ("iso", "fs", "rrs"), requires="solvers.dynamics")
    add("dynamics.gamma", "gamma(t) along the gradient flow from 0 (solvers.dynamics)", dyn_p,
        ("iso", "rrs"), requires="solvers.dynamics")
    add("flow.iso", "d gamma/dt = -dR/dgamma of the ISO landscape (theory.dynamics.iso_flow)",
        ("alpha", "depth", "sigma2", "gamma"), (), None, _flow_iso_symbolic)
    add("flow.rrs", "d gamma/dt of the RRS flow at alpha = inf (solvers.rrs.flow_velocity; "
        "parameterization reduced/full/tied)",
        ("nu", "beta", "depth", "gamma", "dim", "lam", "omega", "parameterization"), (),
        _flow_rrs_numeric, _flow_rrs_symbolic)
    sgd_p = ("alpha", "sigma2", "eta", "tau", "kappa", "step", "query_noise")
    for which, doc in (("C", "C(n) = E|Gamma_n - Gamma*|^2/D"), ("risk", "E R(Gamma_n)"),
                       ("proxy", "the paper's loss proxy E|Gamma_n - I|^2/D"),
                       ("mean", "m(n) = E tr(Gamma_n - Gamma*)/D"),
                       ("a", "contraction a of C(n+1) = a C(n) + b"), ("b", "offset b"),
                       ("C0", "C(0) from Gamma(0) = 0"), ("floor", "noise floor b/(1-a)"),
                       ("risk_floor", "c b/(1-a) + R*"),
                       ("eta_max", "stability boundary (a = 1)")):
        add(f"sgd.{which}", f"online SGD, ISO, depth 1 (theory.dynamics): {doc}", sgd_p, (),
            None, _sgd_symbolic(which))
    return q


QUANTITIES = _build_quantities()
#: numeric/symbolic evaluators that depend on the setting
_SETTING_DISPATCH = {
    "risk": {"iso": (_iso_numeric("risk"), _iso_symbolic("risk")),
             "rrs": (_rrs_numeric("risk"), _rrs_symbolic("risk")),
             "fs": (_fs_numeric("risk"), _fs_symbolic("risk"))},
    "gamma": {"iso": (_iso_numeric("gamma"), _iso_symbolic("gamma")),
              "rrs": (_rrs_numeric("gamma"), None)},
    "gamma.per_layer": {"iso": (_iso_numeric("gamma.per_layer"), _iso_symbolic("gamma.per_layer")),
                        "rrs": (_rrs_numeric("gamma.per_layer"), None)},
}


def register_quantity(name, doc, params, settings=(), numeric=None, symbolic=None,
                      requires=None):
    """Add a claimable quantity (used by modules that land later, e.g. dynamics/width)."""
    QUANTITIES[name] = Quantity(name, doc, tuple(params), tuple(settings), numeric, symbolic,
                                requires)


def _evaluators(qty: Quantity, setting):
    """(numeric(p, dps), symbolic(p)) for this quantity and setting, either may be None."""
    if qty.name in _SETTING_DISPATCH:
        return _SETTING_DISPATCH[qty.name].get(setting, (None, None))
    num, sym = qty.numeric, qty.symbolic
    if qty.name.startswith(("exponent.", "shape.", "law.")):
        return None, (lambda p: sym(p, setting))
    if qty.name.startswith("slope."):
        return (lambda p, dps: num(p, dps, setting)), None
    if qty.name.startswith("dynamics."):
        which = qty.name.split(".", 1)[1]
        fn, fs_ = _dynamics_numeric(which), _dynamics_symbolic(which)
        return ((lambda p, dps: fn({**p, "_setting": setting}, dps)),
                (lambda p: fs_({**p, "_setting": setting})))
    if qty.name.startswith("context."):
        f = _contour_numeric("context", qty.name.split(".", 1)[1])
        return (lambda p, dps: f({**p, "_setting": setting}, dps)), None
    return num, sym


# ----------------------------------------------------------------------------- verdicts

@dataclass(frozen=True)
class Verdict:
    """Outcome of one claim: ``status`` is ``verified``/``refuted``/``skipped``/``error``;
    ``ok`` says whether it matches ``expect``.  ``counterexample`` = {params, claimed, exact, rel_err}."""

    name: str
    file: str | None
    quantity: str
    setting: str | None
    claim: str
    status: str
    method: str
    expect: str
    ok: bool
    points: int = 0
    max_rel_err: Any = None
    counterexample: Mapping[str, Any] | None = None
    message: str = ""
    note: str = ""
    result: Any = None
    dps: int = MIN_DPS
    relation: str = "=="

    @property
    def line(self) -> str:
        """One-line report: ``verified (symbolic)``, ``verified (numeric: …)``, ``REFUTED: …``."""
        if self.status == "skipped":
            text = f"skipped ({self.message})"
        elif self.status == "error":
            text = f"ERROR ({self.message})"
        elif self.status == "verified":
            if self.method == "symbolic":
                text = "verified (symbolic)"
            elif self.relation != "==":
                text = (f"verified (numeric: {self.points} points, claim {self.relation} exact "
                        "at every point)")
            else:
                text = (f"verified (numeric: {self.points} points, max rel. err "
                        f"{_fmt(self.max_rel_err, 3)})")
        else:
            text = "REFUTED: " + _describe(self.counterexample, self.method)
        mark = "ok" if self.ok else "UNEXPECTED"
        exp = " [expected refuted]" if self.expect == "refuted" and self.ok else ""
        if not self.ok:
            exp = f" [expected {self.expect}]"
        where = f"{self.file}: " if self.file else ""
        return f"[{mark}] {where}{self.name}: {text}{exp}"

    def to_dict(self) -> dict:
        ce = None
        if self.counterexample is not None:
            ce = {k: (_jsonable(v)) for k, v in self.counterexample.items()}
        return {"name": self.name, "file": self.file, "quantity": self.quantity,
                "setting": self.setting, "claim": self.claim, "status": self.status,
                "method": self.method, "expect": self.expect, "ok": self.ok,
                "points": self.points, "max_rel_err": _jsonable(self.max_rel_err),
                "counterexample": ce, "message": self.message, "note": self.note,
                "result": self.result, "dps": self.dps, "relation": self.relation,
                "line": self.line}


def _jsonable(v):
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, mpmath.mpf):
        if mpmath.isinf(v):
            return "inf" if v > 0 else "-inf"
        return mpmath.nstr(v, 20)
    if isinstance(v, sp.Basic):
        return str(v)
    return v


def _fmt(v, digits=12):
    if v is None:
        return "n/a"
    if isinstance(v, mpmath.mpf):
        if mpmath.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v == int(v) and abs(v) < 10**15:
            return str(int(v))
        return mpmath.nstr(v, digits)
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return str(v)


def _describe(ce, method):
    if not ce:
        return "(no counterexample)"
    if "entry" in ce:
        w = ", ".join(f"{k}={v}" for k, v in ce.get("witness", {}).items())
        return (f"claimed 0, exact matrix has the nonzero entry {ce['entry']}; at {w} "
                f"it equals {ce.get('exact')} [symbolic]")
    params = ", ".join(f"{k}={_fmt(v, 8)}" for k, v in ce["params"].items())
    rel = f" (rel. err {_fmt(ce.get('rel_err'), 3)})" if ce.get("rel_err") is not None else ""
    how = ce.get("relation", "==")
    verb = "claimed" if how == "==" else f"claimed {how}"
    return (f"at {params or 'the fixed parameters'}: {verb} {_fmt(ce['claimed'])}, "
            f"exact {_fmt(ce['exact'])}{rel} [{method}]")


# ----------------------------------------------------------------------------- parsing

@dataclass
class _Claim:
    name: str
    quantity: Quantity
    setting: str | None
    fixed: dict
    free: dict            # name -> ("range", lo, hi) | ("values", [..])
    claim_text: str
    claim_expr: Any
    expect: str
    tolerance: Any
    atol: Any
    points: int
    dps: int
    method: str
    relation: str
    slope_in: str | None
    requires: str | None
    note: str
    result: Any
    file: str | None


def _loc(file, line):
    if file is None:
        return "<claim>"
    return f"{file}:{line}" if line else str(file)


class _Locator:
    """Line numbers of ``[[claim]]`` headers and of keys inside each claim (tomllib has none)."""

    def __init__(self, text):
        self.lines = text.splitlines() if text is not None else []
        self.headers = [i + 1 for i, ln in enumerate(self.lines)
                        if re.match(r"\s*\[\[\s*claim\s*\]\]", ln)]

    def line(self, index, key=None):
        if index is None or index >= len(self.headers):
            return None
        start = self.headers[index]
        if key is None:
            return start
        end = self.headers[index + 1] if index + 1 < len(self.headers) else len(self.lines) + 1
        pat = re.compile(rf"\s*{re.escape(key)}\s*=|\s*\[\s*claim\.{re.escape(key)}\s*\]")
        for i in range(start, end - 1):
            if pat.match(self.lines[i]):
                return i + 1
        return start


def _parse_number(name, value, where, allow_inf=False, kind="real"):
    """A TOML value → sympy number (exact: floats via their decimal repr) or oo."""
    if isinstance(value, bool):
        raise ClaimsError(f"{where}: field {name!r}: {value!r} is not a number")
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float):
        if math.isinf(value):
            if allow_inf and value > 0:
                return sp.oo
            raise ClaimsError(f"{where}: field {name!r}: {value!r} is not allowed (finite only)")
        return sp.Rational(repr(value))
    if isinstance(value, str):
        s = value.strip().lower()
        if s in ("inf", "infinity", "oo", "+inf"):
            if allow_inf:
                return sp.oo
            raise ClaimsError(f"{where}: field {name!r}: inf is not a valid value here")
        try:
            v = sp.Rational(s) if re.fullmatch(r"[-+]?[\d.]+(e[-+]?\d+)?(/\d+)?", s) \
                else sp.sympify(value, locals={"pi": sp.pi, "E": sp.E})
        except (sp.SympifyError, SyntaxError, TypeError, ValueError):
            raise ClaimsError(f"{where}: field {name!r}: {value!r} is not a number")
        if not (isinstance(v, sp.Basic) and v.is_number and v.is_real):
            raise ClaimsError(f"{where}: field {name!r}: {value!r} is not a real number")
        return v
    raise ClaimsError(f"{where}: field {name!r}: {value!r} is not a number")


def _parse_param(qname, pname, value, where, qty):
    if pname not in PARAMS or pname not in qty.params:
        valid = ", ".join(qty.params)
        raise ClaimsError(f"{where}: field {qname!r}: unknown parameter {pname!r} for quantity "
                          f"{qty.name!r} (valid: {valid})")
    par = PARAMS[pname]
    if par.kind == "str":
        if not isinstance(value, str):
            raise ClaimsError(f"{where}: field {qname}.{pname}: {value!r} must be a string")
        return value
    if par.kind == "bool":
        if not isinstance(value, bool):
            raise ClaimsError(f"{where}: field {qname}.{pname}: {value!r} must be true or false")
        return value
    if isinstance(value, str) and not _looks_numeric(value):
        return _Deferred(value)  # an expression in the free parameters, parsed later
    if isinstance(value, list):
        if pname not in ("lam", "omega"):
            raise ClaimsError(f"{where}: field {qname}.{pname}: a list is only valid for lam/omega")
        return [_parse_number(f"{qname}.{pname}", v, where) for v in value]
    v = _parse_number(f"{qname}.{pname}", value, where, par.allow_inf)
    if par.kind == "int" and v is not sp.oo and not v.is_integer:
        raise ClaimsError(f"{where}: field {qname}.{pname}: {value!r} must be an integer")
    return v


class _Deferred(str):
    """A fixed value given as an expression in the free parameters (``gamma = "depth/lam"``)."""


def _looks_numeric(text):
    s = text.strip().lower()
    if s in ("inf", "infinity", "oo", "+inf"):
        return True
    try:
        v = sp.sympify(text, locals={"pi": sp.pi, "E": sp.E})
    except (sp.SympifyError, SyntaxError, TypeError, ValueError):
        return False
    return isinstance(v, sp.Basic) and v.is_number


def _parse_free(pname, value, where, qty):
    if pname not in PARAMS or pname not in qty.params or PARAMS[pname].kind in ("str", "bool"):
        valid = ", ".join(p for p in qty.params if PARAMS[p].kind not in ("str", "bool"))
        raise ClaimsError(f"{where}: field 'free': {pname!r} cannot be a free parameter of "
                          f"{qty.name!r} (valid: {valid})")
    if isinstance(value, dict):
        if set(value) != {"values"} or not isinstance(value["values"], list) or not value["values"]:
            raise ClaimsError(f"{where}: field free.{pname}: give [lo, hi] or {{values = [...]}}")
        return ("values", [_parse_param("free", pname, v, where, qty) for v in value["values"]])
    if not isinstance(value, list) or len(value) != 2:
        raise ClaimsError(f"{where}: field free.{pname}: {value!r} must be a range [lo, hi] or "
                          "{values = [...]}")
    lo, hi = (_parse_number(f"free.{pname}", v, where) for v in value)
    if not lo < hi:
        raise ClaimsError(f"{where}: field free.{pname}: empty range [{lo}, {hi}] (need lo < hi)")
    return ("range", lo, hi)


def _parse_expr(text, names, where, field_name="claim", extra=None):
    if not isinstance(text, str) or not text.strip():
        raise ClaimsError(f"{where}: field {field_name!r}: must be a non-empty expression string")
    local = {"pi": sp.pi, "E": sp.E, "oo": sp.oo, "inf": sp.oo, "Max": sp.Max, "Min": sp.Min,
             "zeta": sp.zeta, "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt}
    allowed = {}
    for n in names:
        allowed[n] = _symbol(n)
    for a, n in ALIASES.items():
        if n in names:
            allowed[a] = _symbol(n)
    local.update(allowed)
    for k, v in (extra or {}).items():
        local[k] = v
    try:
        expr = sp.parse_expr(text, local_dict=local,
                             transformations=sp.parsing.sympy_parser.standard_transformations)
    except Exception as exc:  # sympy raises many types for bad input
        raise ClaimsError(f"{where}: field {field_name!r}: cannot parse {text!r} ({exc})")
    if not isinstance(expr, sp.Basic):
        raise ClaimsError(f"{where}: field {field_name!r}: {text!r} is not an expression")
    unknown = expr.free_symbols - set(allowed.values())
    if unknown:
        raise ClaimsError(f"{where}: field {field_name!r}: unknown symbol(s) "
                          f"{', '.join(sorted(map(str, unknown)))} in {text!r} (free/fixed "
                          f"parameters: {', '.join(names) or 'none'})")
    return expr


def _parse_claim(raw, file=None, index=None, locator=None, defaults=None):
    """Validate one claim table and return a :class:`_Claim` (ClaimsError if malformed)."""
    defaults = defaults or {}
    locator = locator or _Locator(None)

    def where(key=None):
        return _loc(file, locator.line(index, key))

    if not isinstance(raw, dict):
        raise ClaimsError(f"{where()}: a claim must be a table")
    label = raw.get("name", f"#{(index or 0) + 1}")
    for key in raw:
        if key not in CLAIM_KEYS:
            raise ClaimsError(f"{where(key)}: claim {label!r}: unknown field {key!r} (valid: "
                              f"{', '.join(sorted(CLAIM_KEYS))})")
    for key in ("name", "quantity", "claim"):
        if key not in raw:
            raise ClaimsError(f"{where()}: claim {label!r}: missing required field {key!r}")
    if not isinstance(raw["name"], str):
        raise ClaimsError(f"{where('name')}: field 'name': must be a string")
    qname = raw["quantity"]
    if qname not in QUANTITIES:
        raise ClaimsError(f"{where('quantity')}: claim {label!r}: field 'quantity': unknown "
                          f"quantity {qname!r} (valid: {', '.join(sorted(QUANTITIES))})")
    qty = QUANTITIES[qname]
    setting = raw.get("setting")
    if qty.settings:
        if setting is None and len(qty.settings) == 1:
            setting = qty.settings[0]
        if setting not in qty.settings:
            raise ClaimsError(f"{where('setting')}: claim {label!r}: field 'setting': {setting!r} "
                              f"is invalid for {qname!r} (valid: {', '.join(qty.settings)})")
    elif setting is not None:
        raise ClaimsError(f"{where('setting')}: claim {label!r}: field 'setting': quantity "
                          f"{qname!r} takes no setting")
    fixed_raw = raw.get("fixed", {})
    free_raw = raw.get("free", {})
    for key, val in (("fixed", fixed_raw), ("free", free_raw)):
        if not isinstance(val, dict):
            raise ClaimsError(f"{where(key)}: claim {label!r}: field {key!r} must be a table")
    fixed = {k: _parse_param("fixed", k, v, where("fixed"), qty) for k, v in fixed_raw.items()}
    free = {k: _parse_free(k, v, where("free"), qty) for k, v in free_raw.items()}
    both = set(fixed) & set(free)
    if both:
        raise ClaimsError(f"{where('free')}: claim {label!r}: field 'free': {', '.join(both)} "
                          "is both fixed and free")
    names = [n for n in list(fixed) + list(free) if PARAMS[n].symbol is not None or n == "omega"]
    free_names = [n for n in free if PARAMS[n].symbol is not None or n == "omega"]
    for k, v in list(fixed.items()):
        if isinstance(v, _Deferred):
            fixed[k] = _parse_expr(str(v), free_names, where("fixed"), f"fixed.{k}")
    where_raw = raw.get("where", {})
    if not isinstance(where_raw, dict):
        raise ClaimsError(f"{where('where')}: claim {label!r}: field 'where' must be a table of "
                          "named sub-expressions")
    defs = {}
    for key, text in where_raw.items():  # in file order: later ones may use earlier ones
        if key in PARAMS or key in ALIASES:
            raise ClaimsError(f"{where('where')}: claim {label!r}: field where.{key}: the name "
                              "is a parameter; choose another")
        defs[key] = _parse_expr(text, names, where("where"), f"where.{key}", defs)
    expr = _parse_expr(raw["claim"], names, where("claim"), "claim", defs)
    expect = raw.get("expect", "verified")
    if expect not in EXPECTS:
        raise ClaimsError(f"{where('expect')}: claim {label!r}: field 'expect': {expect!r} "
                          f"(valid: {', '.join(EXPECTS)})")
    opts = {k: raw.get(k, defaults.get(k)) for k in ("dps", "points", "tolerance", "atol",
                                                    "method")}
    dps = opts["dps"] if opts["dps"] is not None else MIN_DPS
    if isinstance(dps, bool) or not isinstance(dps, int) or dps < MIN_DPS:
        raise ClaimsError(f"{where('dps')}: claim {label!r}: field 'dps': {dps!r} must be an "
                          f"integer >= {MIN_DPS}")
    points = opts["points"] if opts["points"] is not None else DEFAULT_POINTS
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise ClaimsError(f"{where('points')}: claim {label!r}: field 'points': {points!r} must "
                          "be an integer >= 1")
    tol = opts["tolerance"]
    tol = sp.Integer(10) ** (-(dps // 2)) if tol is None else \
        _parse_number("tolerance", tol, where("tolerance"))
    atol = opts["atol"]
    atol = sp.Integer(10) ** (-(dps - 5)) if atol is None else \
        _parse_number("atol", atol, where("atol"))
    if tol < 0 or atol < 0:
        raise ClaimsError(f"{where('tolerance')}: claim {label!r}: tolerances must be >= 0")
    method = opts["method"] or "auto"
    if method not in METHODS:
        raise ClaimsError(f"{where('method')}: claim {label!r}: field 'method': {method!r} "
                          f"(valid: {', '.join(METHODS)})")
    relation = raw.get("relation", "==")
    if relation not in RELATIONS:
        raise ClaimsError(f"{where('relation')}: claim {label!r}: field 'relation': "
                          f"{relation!r} (valid: {', '.join(RELATIONS)})")
    slope_in = raw.get("slope_in")
    if slope_in is not None and slope_in not in free:
        raise ClaimsError(f"{where('slope_in')}: claim {label!r}: field 'slope_in': {slope_in!r} "
                          "must name a free parameter")
    requires = raw.get("requires", qty.requires)
    if requires is not None and not isinstance(requires, str):
        raise ClaimsError(f"{where('requires')}: field 'requires': must be a module name")
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise ClaimsError(f"{where('note')}: field 'note': must be a string")
    return _Claim(raw["name"], qty, setting, fixed, free, raw["claim"], expr, expect, tol, atol,
                  points, dps, method, relation, slope_in, requires, note, raw.get("result"),
                  None if file is None else str(file))


def load_claims(path):
    """Parse and validate one claims file; returns the list of claims (ClaimsError if bad)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ClaimsError(f"{path}: cannot read claims file ({exc.strerror})")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ClaimsError(f"{path}: invalid TOML: {exc}")
    locator = _Locator(text)
    for key in data:
        if key not in FILE_KEYS:
            raise ClaimsError(f"{path}: unknown top-level field {key!r} (valid: "
                              f"{', '.join(sorted(FILE_KEYS))})")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict) or set(defaults) - DEFAULT_KEYS:
        raise ClaimsError(f"{path}: field 'defaults': must be a table with keys among "
                          f"{', '.join(sorted(DEFAULT_KEYS))}")
    claims = data.get("claim", [])
    if not isinstance(claims, list) or not claims:
        raise ClaimsError(f"{path}: no [[claim]] tables found")
    return [_parse_claim(raw, path, i, locator, defaults) for i, raw in enumerate(claims)]


# ----------------------------------------------------------------------------- evaluation

def _is_zero(expr, timeout=SYMBOLIC_TIMEOUT):
    """True if ``expr`` simplifies to 0, False if it simplifies to a nonzero constant, None if
    sympy cannot decide in time."""
    if isinstance(expr, sp.MatrixBase):
        vals = [_is_zero(e, timeout) for e in expr]
        return False if False in vals else (None if None in vals else True)
    try:
        e = run_with_timeout(lambda: sp.cancel(sp.together(sp.expand(expr))), timeout)
        if e == 0:
            return True
        e = run_with_timeout(lambda: sp.simplify(e), timeout)
    except (Timeout, RecursionError, TypeError, NotImplementedError):
        return None
    if e == 0:
        return True
    if e.is_number and e.is_nonzero:
        return False
    return None


def _halton(i, base):
    """The i-th Halton (radical-inverse) number in ``base``, as an exact rational in (0, 1)."""
    f, r = sp.Integer(1), sp.Integer(0)
    while i > 0:
        f /= base
        r += f * (i % base)
        i //= base
    return r


_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19)


def _points(claim):
    """Deterministic evaluation points: Halton over the ranges (log-spaced when a range spans a
    decade or more), times every combination of the ``values`` lists; integers rounded and
    duplicates dropped."""
    ranges = [(n, spec) for n, spec in claim.free.items() if spec[0] == "range"]
    lists = [(n, spec[1]) for n, spec in claim.free.items() if spec[0] == "values"]
    cont = []
    if ranges:
        n = claim.points
        for i in range(1, n + 1):
            pt = {}
            for j, (name, (_, lo, hi)) in enumerate(ranges):
                u = _halton(i, _PRIMES[j % len(_PRIMES)])
                if lo > 0 and hi / lo >= 10:
                    v = sp.exp(sp.log(lo) + u * (sp.log(hi) - sp.log(lo)))
                    v = sp.nsimplify(sp.N(v, claim.dps + 10), rational=True)
                else:
                    v = lo + u * (hi - lo)
                if PARAMS[name].kind == "int":
                    v = sp.Integer(int(sp.floor(v + sp.Rational(1, 2))))
                pt[name] = v
            cont.append(pt)
    else:
        cont = [{}]
    combos = [dict(zip([n for n, _ in lists], vals))
              for vals in itertools.product(*[v for _, v in lists])] or [{}]
    out, seen = [], set()
    for c in combos:
        for pt in cont:
            full = {**c, **pt}
            key = tuple(sorted((k, str(v)) for k, v in full.items()))
            if key not in seen:
                seen.add(key)
                out.append(full)
    return out


def _subs_map(values):
    m = {}
    for k, v in values.items():
        if isinstance(v, sp.Basic) and (PARAMS[k].symbol is not None or k == "omega"):
            m[_symbol(k)] = v
    return m


def _numeric_value(expr, values, dps):
    """mpf value of a sympy expression at ``values`` (inf allowed)."""
    e = expr.subs(_subs_map(values)) if isinstance(expr, sp.Basic) else expr
    if e is sp.oo:
        return mpmath.inf
    if e is -sp.oo:
        return -mpmath.inf
    v = sp.N(e, dps + 10)
    if not v.is_real:
        re_, im = v.as_real_imag()
        if abs(im) > sp.Float(10) ** (-dps):
            raise _NotAvailable(f"the expression is complex ({v}) at {values}")
        v = re_
    return mpmath.mpf(v)


def _at(fixed, values):
    """Fixed parameters (expressions in the free ones substituted) merged with ``values``."""
    m = _subs_map(values)
    out = {}
    for k, v in fixed.items():
        if isinstance(v, sp.Basic) and not v.is_number and v.free_symbols:
            v = v.subs(m)
        out[k] = v
    out.update(values)
    return out


def _exact_expr(claim, symbolic, values, cache):
    """The exact expression with the range parameters symbolic and the listed values substituted
    (built once per combination of listed values and cached)."""
    combo = {k: v for k, v in values.items() if claim.free.get(k, ("",))[0] == "values"}
    key = tuple(sorted((k, str(v)) for k, v in combo.items()))
    if key not in cache:
        ranges = {n: _symbol(n) for n, s in claim.free.items() if s[0] == "range"}
        fixed = {k: (v.subs(_subs_map(combo)) if isinstance(v, sp.Basic) else v)
                 for k, v in claim.fixed.items()}
        cache[key] = symbolic({**fixed, **ranges, **combo})
    return cache[key]


def _exact_at(claim, numeric, symbolic, values, cache=None):
    """(exact value, error estimate) at one point: the numeric solver if any, else the exact
    symbolic expression evaluated at high precision."""
    dps = claim.dps
    p = _at(claim.fixed, values)
    cache = {} if cache is None else cache
    with mpmath.workdps(dps + 10):
        if numeric is not None and claim.method != "symbolic":
            mp_params = {k: ([_mp(x) for x in v] if isinstance(v, list) else _mp(v))
                         for k, v in p.items()}
            val, err = numeric(mp_params, dps)
            return mpmath.mpf(val), mpmath.mpf(err)
        if symbolic is None:
            raise _NotAvailable(f"no evaluator for {claim.quantity.name} in setting "
                                f"{claim.setting!r}")
        expr = _exact_expr(claim, symbolic, values, cache)
        if expr is None:
            raise _NotAvailable(f"{claim.quantity.name} has no exact expression at these "
                                f"parameters and no numeric solver")
        return _numeric_value(expr, values, dps), mpmath.mpf(0)


def _slope_at(claim, numeric, symbolic, values, cache=None):
    """d log Q / d log x at a point (x = ``slope_in``): secant x → 2x for integers, centred
    difference with step 10^{-dps/3} otherwise."""
    x = claim.slope_in
    v0 = values[x]
    with mpmath.workdps(claim.dps + 10):
        if PARAMS[x].kind == "int":
            q1, e1 = _exact_at(claim, numeric, symbolic, values, cache)
            q2, e2 = _exact_at(claim, numeric, symbolic, {**values, x: 2 * v0}, cache)
            s = mpmath.log(q2 / q1) / mpmath.log(2)
            return s, (e1 / abs(q1) + e2 / abs(q2)) / mpmath.log(2)
        h = sp.Rational(1, 10 ** (claim.dps // 3))
        qp, ep = _exact_at(claim, numeric, symbolic, {**values, x: v0 * sp.exp(h)}, cache)
        qm, em = _exact_at(claim, numeric, symbolic, {**values, x: v0 * sp.exp(-h)}, cache)
        hh = mpmath.mpf(sp.N(h, claim.dps + 10))
        s = (mpmath.log(qp) - mpmath.log(qm)) / (2 * hh)
        return s, (ep / abs(qp) + em / abs(qm)) / (2 * hh) + hh ** 2


def _compare(relation, c, e, tol, atol, err):
    """(passes, relative error) of ``claimed relation exact`` with tolerances."""
    if mpmath.isinf(c) or mpmath.isinf(e):
        ok = {"==": c == e, "<=": c <= e, ">=": c >= e, "<": c < e, ">": c > e}[relation]
        return ok, (mpmath.mpf(0) if c == e else mpmath.inf)
    diff = c - e
    scale = max(abs(e), abs(c))
    slack = tol * scale + atol + err
    # below the absolute tolerance both numbers are zero for this check: report 0, not 1
    rel = abs(diff) / scale if scale > atol else mpmath.mpf(0)
    if relation == "==":
        return abs(diff) <= slack, rel
    # exact relation claimed ⋚ exact: the sign of (claimed − exact) must hold beyond the slack
    ok = {"<=": diff <= slack, ">=": diff >= -slack, "<": diff < -slack,
          ">": diff > slack}[relation]
    return ok, rel


def _verdict(claim, status, method, points=0, max_rel=None, ce=None, message=""):
    return Verdict(claim.name, claim.file, claim.quantity.name, claim.setting, claim.claim_text,
                   status, method, claim.expect, status == claim.expect, points, max_rel, ce,
                   message, claim.note, claim.result, claim.dps, claim.relation)


def _try_symbolic(claim, symbolic):
    """'verified' if claim − exact simplifies to 0 for every combination of listed values;
    ('refuted', counterexample) for a matrix identity that fails; None = undecided."""
    if symbolic is None or claim.relation != "==" or claim.slope_in or claim.method == "numeric":
        return None
    ranges = {n: _symbol(n) for n, s in claim.free.items() if s[0] == "range"}
    lists = [(n, s[1]) for n, s in claim.free.items() if s[0] == "values"]
    combos = [dict(zip([n for n, _ in lists], vals))
              for vals in itertools.product(*[v for _, v in lists])] or [{}]
    for combo in combos:
        p = {**{k: (v.subs(_subs_map(combo)) if isinstance(v, sp.Basic) else v)
                for k, v in claim.fixed.items()}, **ranges, **combo}
        try:
            exact = run_with_timeout(lambda: symbolic(p), SYMBOLIC_TIMEOUT)
        except (Timeout, _NotAvailable, ArithmeticError, ValueError):
            return None
        if exact is None:
            return None
        claimed = claim.claim_expr.subs(_subs_map(claim.fixed)).subs(_subs_map(combo))
        if isinstance(exact, sp.MatrixBase):
            nz = [e for e in exact if _is_zero(e) is not True]
            if claimed != 0:
                return None
            if nz:
                witness, value = _numeric_witness(nz[0])
                return ("refuted", {"entry": _short(nz[0]), "params": {**claim.fixed, **combo},
                                    "witness": witness, "claimed": 0, "exact": value})
            continue
        if exact is sp.oo or claimed is sp.oo:
            if exact == claimed:
                continue
            return None
        diff = _refine_on_domain(claimed - exact, claim.free)
        if _is_zero(diff) is not True:
            return None
    return "verified"


def _refine_on_domain(expr, free):
    """Resolve ``Min``/``Max`` whose argument difference is affine in one ranged parameter and
    keeps a strict sign over its range (e.g. ``Min(2, β)`` → ``β`` for β ∈ [0.5, 1.9])."""
    ranges = {_symbol(n): (s[1], s[2]) for n, s in free.items() if s[0] == "range"}
    reps = {}
    for atom in expr.atoms(sp.Min, sp.Max):
        if len(atom.args) != 2:
            continue
        a, b = atom.args
        d = sp.expand(a - b)
        syms = d.free_symbols
        if len(syms) != 1:
            continue
        (x,) = syms
        if x not in ranges or sp.Poly(d, x).degree() > 1:
            continue
        lo, hi = ranges[x]
        dl, dh = d.subs(x, lo), d.subs(x, hi)
        if dl > 0 and dh > 0:
            reps[atom] = b if isinstance(atom, sp.Min) else a
        elif dl < 0 and dh < 0:
            reps[atom] = a if isinstance(atom, sp.Min) else b
    return expr.xreplace(reps) if reps else expr


def _numeric_witness(expr, tries=20):
    """Small integer values of the symbols of ``expr`` at which it is nonzero (deterministic)."""
    syms = sorted(expr.free_symbols, key=str)
    for k in range(tries):
        vals = {x: sp.Integer((3 * i + 2 * k + 1) % 7 - 3) for i, x in enumerate(syms)}
        v = expr.xreplace(vals)
        if v != 0:
            return {str(x): int(vals[x]) for x in syms}, v
    return {}, expr


def _short(e, n=160):
    s = str(e)
    return s if len(s) <= n else s[:n] + "…"


def check_claim(raw, file=None) -> Verdict:
    """Check one claim (a dict in the claims-file format, or a parsed claim)."""
    claim = raw if isinstance(raw, _Claim) else _parse_claim(raw, file)
    if claim.requires:
        try:
            __import__(claim.requires)
        except ModuleNotFoundError:
            return _verdict(claim, "skipped", "none",
                            message=f"requires {claim.requires}, not installed")
    numeric, symbolic = _evaluators(claim.quantity, claim.setting)
    sym = _try_symbolic(claim, symbolic)
    if sym == "verified":
        return _verdict(claim, "verified", "symbolic")
    if isinstance(sym, tuple):
        return _verdict(claim, "refuted", "symbolic", ce=sym[1])
    if claim.method == "symbolic" and numeric is None and symbolic is None:
        return _verdict(claim, "skipped", "none", message="no symbolic expression")
    pts = _points(claim)
    cache = {}
    worst_fail, worst_rel, n_done = None, mpmath.mpf(0), 0
    with mpmath.workdps(claim.dps + 10):
        for values in pts:
            try:
                if claim.slope_in:
                    e, err = _slope_at(claim, numeric, symbolic, values, cache)
                else:
                    e, err = _exact_at(claim, numeric, symbolic, values, cache)
                c = _numeric_value(claim.claim_expr, _at(claim.fixed, values), claim.dps)
            except _NotAvailable as exc:
                return _verdict(claim, "skipped", "none", message=str(exc))
            except (ConvergenceError, ValueError, ArithmeticError, ZeroDivisionError) as exc:
                # the exact side could not be computed at this point: no verdict, an error
                shown = ", ".join(f"{k}={_fmt(_mp(v), 8)}" for k, v in values.items())
                return _verdict(claim, "error", "numeric", n_done,
                                message=f"{type(exc).__name__} at {shown or 'the fixed point'}: "
                                        f"{exc}")
            tol = mpmath.mpf(sp.N(claim.tolerance, claim.dps))
            atol = mpmath.mpf(sp.N(claim.atol, claim.dps))
            ok, rel = _compare(claim.relation, c, e, tol, atol, err)
            n_done += 1
            if ok:
                worst_rel = max(worst_rel, rel) if mpmath.isfinite(rel) else worst_rel
                continue
            if worst_fail is None or rel > worst_fail["rel_err"]:
                shown = {**{k: v for k, v in _at(claim.fixed, values).items()
                            if not isinstance(v, (str, bool, list))}, **values}
                worst_fail = {"params": {k: (mpmath.inf if v is sp.oo else _mp(v))
                                         for k, v in shown.items()},
                              "claimed": c, "exact": e, "rel_err": rel, "error_estimate": err,
                              "relation": claim.relation}
    method = "numeric"
    if worst_fail is not None:
        return _verdict(claim, "refuted", method, n_done, worst_rel, worst_fail)
    return _verdict(claim, "verified", method, n_done, worst_rel)


def _expand_paths(paths):
    files = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(p.glob("*.toml"))
            if not found:
                raise ClaimsError(f"{p}: directory holds no *.toml claims files")
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            raise ClaimsError(f"{p}: no such file or directory")
    return files


def check_files(paths, progress=None) -> list[Verdict]:
    """Check every claim of the given files (a directory means all its ``*.toml``).

    All files are parsed and validated first (ClaimsError on the first malformed one), then each
    claim is checked in order.  ``progress(verdict)`` is called after each claim if given.
    """
    files = _expand_paths(paths)
    parsed = [(f, load_claims(f)) for f in files]
    out = []
    for _, claims in parsed:
        for c in claims:
            v = check_claim(c)
            log.debug("%s", v.line)
            out.append(v)
            if progress is not None:
                progress(v)
    return out


# ----------------------------------------------------------------------------- command line

def _cmd_check(args):
    as_json = args.json
    lines = []

    def show(v):
        if not as_json:
            print(v.line, flush=True)
    verdicts = check_files(args.paths, progress=show)
    bad = [v for v in verdicts if not v.ok and v.status != "skipped"]
    counts = {}
    for v in verdicts:
        key = f"{v.status} ({v.method})" if v.status != "skipped" else "skipped"
        counts[key] = counts.get(key, 0) + 1
    if as_json:
        print(json.dumps({"verdicts": [v.to_dict() for v in verdicts], "counts": counts,
                          "unexpected": len(bad), "ok": not bad}))
    else:
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        lines.append(f"{len(verdicts)} claims: {summary}; {len(bad)} unexpected")
        for ln in lines:
            print(ln)
    return 1 if bad else 0


def register_cli(subparsers):
    """Add ``icl-theory check FILE_OR_DIR…`` to the command line."""
    p = subparsers.add_parser("check", help="check claims files (hand derivations) against the "
                                            "exact model")
    p.add_argument("paths", nargs="+", metavar="FILE_OR_DIR",
                   help="claims files (TOML); a directory means every *.toml in it")
    p.add_argument("--json", action="store_true", help="one JSON object with the verdict list")
    p.set_defaults(func=_cmd_check)
    return p
