"""What a claim can be about: quantities as classes in a registry.

A :class:`Quantity` is a name, a doc line, the parameters it accepts and its **evaluators**: one
:class:`Evaluator` per setting (``iso``/``fs``/``rrs``), or a single one for a quantity without a
setting.  An evaluator knows up to two ways to compute the quantity:

* ``numeric(p, dps) -> (value, error estimate)`` with the package's numeric solvers (mpf values;
  ``p`` maps parameter names to mpf numbers, ``"inf"``-able infinities, strings and booleans);
* ``symbolic(p) -> sympy expression | None`` with the exact expressions of :mod:`theory` (``p``
  maps names to sympy numbers or to the symbols of the free parameters); None: no exact
  expression at these parameters.

A method an evaluator does not have is ``None`` (class attribute), so ``ev.numeric is None`` asks
whether a numeric solver exists — the way sympy's ODE solvers are classes collected in a map, each
saying what it can do.  :data:`QUANTITIES` maps names to quantities; :func:`register_quantity` adds
one (an instance, or plain ``numeric``/``symbolic`` functions).
"""
from __future__ import annotations

import functools

import mpmath
import sympy as sp

from solvers.checker.params import PARAMS
# the registry's names are re-exported: this module is where quantities are defined and listed
from solvers.checker.registry import (QUANTITIES, Evaluator, NotAvailable, Quantity,
                                      register_quantity)
from solvers.checker.scaling import ExponentLaw, LawField, ShapeExponent, SlopeLaw
from theory import symbols as S
from theory.dynamics import eta as _eta, kappa as _kappa, n_step as _step, tau_batch as _tau

__all__ = ["NotAvailable", "Evaluator", "Quantity", "QUANTITIES", "register_quantity", "to_mp"]


# ----------------------------------------------------------------------------- helpers

def to_mp(x):
    """A parameter value for a solver: sympy numbers → mpf (``oo`` → ``mpmath.inf``) at the
    working precision plus 10 digits; strings, booleans, None unchanged."""
    if isinstance(x, (str, bool)) or x is None:
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


def _spectrum_args(p):
    """lam/omega scalars (one mode) become lists; lists stay lists."""
    return {n: (list(p[n]) if isinstance(p[n], (list, tuple)) else [p[n]])
            for n in ("lam", "omega") if n in p}


def _modes(p):
    lam, om = p["lam"], p["omega"]
    lam = lam if isinstance(lam, (list, tuple)) else [lam]
    om = om if isinstance(om, (list, tuple)) else [om]
    return list(zip(lam, om))


def _err(res):
    e = getattr(res, "error_estimate", None)
    if e is None or isinstance(e, str):
        return mpmath.mpf(0)
    return mpmath.mpf(e)


def _rounding(x, dps, digits_lost=0):
    """Error estimate of a value known to ``dps − digits_lost`` digits (0 for inf)."""
    return abs(x) * mpmath.mpf(10) ** (-(dps - digits_lost)) if mpmath.isfinite(x) else 0


def _sym_int(v):
    """A fixed integer sympy value (or oo), else None for a symbol."""
    if v is sp.oo:
        return sp.oo
    if isinstance(v, sp.Basic) and v.is_number and v.is_integer:
        return int(v)
    return None


# ----------------------------------------------------------------------------- ISO (α finite)

class IsoField(Evaluator):
    """A field of :func:`solvers.settings.iso.risk` (``risk``, ``bias``, ``variance``, ``gamma``,
    ``gamma.per_layer``); symbolic: :func:`theory.iso.risk_expr` at finite depth and γ, and the
    optima of :mod:`theory.iso` (depth 1, noise-free at any depth, L = ∞ noise-free)."""

    def __init__(self, field):
        self.field = field

    def numeric(self, p, dps):
        from solvers.settings import iso
        res = iso.risk(dps=dps, **_solver_args(p, ("alpha", "depth", "sigma2", "gamma")))
        if self.field == "risk":
            return res.risk, _err(res)
        if self.field == "gamma":
            return res.gamma, _rounding(res.gamma, dps)
        if self.field == "gamma.per_layer":
            g = res.gamma / mpmath.mpf(p["depth"])
            return g, _rounding(g, dps)
        if self.field not in res.extra:
            raise NotAvailable(f"solvers.settings.iso.risk gives no {self.field} split here")
        return res.extra[self.field], _err(res)

    def symbolic(self, p):
        from theory import iso
        depth = _sym_int(p["depth"])
        alpha, sigma2, gamma = p["alpha"], p.get("sigma2", sp.Integer(0)), p.get("gamma")
        if depth is None or alpha is sp.oo:
            return None
        sub = {S.alpha: alpha, S.sigma2: sigma2}
        if gamma is None:
            return self._optimum(iso, depth, sigma2, sub)
        if depth is sp.oo or gamma is sp.oo:
            return None
        bias = iso.risk_expr(depth, 0, alpha, gamma)
        if self.field == "bias":
            return bias
        full = iso.risk_expr(depth, sigma2, alpha, gamma)
        return {"risk": full, "variance": full - bias}.get(self.field)

    def _optimum(self, iso, depth, sigma2, sub):
        if depth == 1:
            g, r = iso.optimal_depth1()
        elif sigma2 == 0 and depth is not sp.oo:
            g, r = iso.optimal_noise_free(depth)
        elif sigma2 == 0:
            lim = iso.infinite_depth_limit()
            g, r = lim["optimal_gamma_noise_free"], lim["optimal_risk_noise_free"]
        else:
            return None
        if self.field == "risk":
            return r.subs(sub)
        if self.field == "gamma":
            return g.subs(sub) if isinstance(g, sp.Basic) else g
        if self.field == "gamma.per_layer" and depth is not sp.oo:
            return (g / depth).subs(sub)
        return None


# ----------------------------------------------------------------------------- RRS / FS (α = ∞)

class RRSField(Evaluator):
    """:func:`solvers.settings.rrs.risk` (risk, optimal γ or γ(t), per-layer γ/L); symbolic
    risk for an explicit spectrum at given γ: :func:`theory.rrs.landscape`."""

    def __init__(self, field):
        self.field = field

    def numeric(self, p, dps):
        from solvers.settings import rrs
        kw = _solver_args(p, ("nu", "beta", "depth", "time", "gamma", "dim", "parameterization",
                              "init_scale"))
        kw.update(_spectrum_args(p))
        res = rrs.risk(dps=dps, **kw)
        if self.field == "risk":
            return res.risk, _err(res)
        g = res.gamma if isinstance(res.gamma, mpmath.mpf) else mpmath.mpf(res.gamma)
        if self.field == "gamma.per_layer":
            return g / mpmath.mpf(p["depth"]), _rounding(g, dps, 5)
        return g, _rounding(g, dps, 5)

    def symbolic(self, p):
        if self.field != "risk" or "gamma" not in p or "lam" not in p or "omega" not in p:
            return None
        from theory import rrs as trrs
        depth = _sym_int(p["depth"]) if "depth" in p else 1
        if depth is None:
            return None
        return trrs.landscape(depth, p["gamma"], modes=_modes(p))


class FSRisk(Evaluator):
    """:func:`solvers.settings.fs.risk`; symbolic one-mode risk of :mod:`theory.fs` at given γ
    or along the flow (``time``)."""

    def numeric(self, p, dps):
        from solvers.settings import fs
        kw = _solver_args(p, ("nu", "beta", "depth", "time", "gamma", "dim"))
        kw.update(_spectrum_args(p))
        res = fs.risk(dps=dps, **kw)
        return res.risk, _err(res)

    def symbolic(self, p):
        return _fs_mode_symbolic("risk", p)


def _fs_mode_symbolic(field, p):
    """One-mode FS closed forms (:mod:`theory.fs`): ``risk``, ``mode_gamma``, ``mode_flow``."""
    from theory import fs as tfs
    depth = _sym_int(p["depth"]) if "depth" in p else 1
    lam, om = p.get("lam"), p.get("omega")
    if depth is None or lam is None or om is None or isinstance(lam, (list, tuple)):
        return None
    modes = {S.lam: lam, tfs.omega: om}
    if field == "mode_flow":
        return tfs.mode_flow(depth, p["gamma"]).subs(modes)
    if field in ("risk", "mode_gamma") and "time" in p and "gamma" not in p:
        tt = p["time"]
        if tt is sp.oo:
            return sp.Integer(0) if field == "risk" else None
        e = tfs.mode_risk_of_time(depth) if field == "risk" else tfs.mode_gamma_of_time(depth)
        return e.subs({**modes, S.t: tt})
    if field == "risk" and "gamma" in p:
        return tfs.mode_risk(depth, p["gamma"]).subs(modes)
    return None


class FSModeGamma(Evaluator):
    """γ_k(t) of one FS mode: :func:`solvers.settings.fs.mode_gamma_of_time` and its closed form."""

    def numeric(self, p, dps):
        from solvers.settings import fs
        kw = _solver_args(p, ("lam", "omega", "time", "depth"))
        return fs.mode_gamma_of_time(dps=dps, **kw), mpmath.mpf(10) ** (-dps)

    def symbolic(self, p):
        return _fs_mode_symbolic("mode_gamma", p)


class FSModeFlow(Evaluator):
    """dγ_k/dt of one FS mode (closed form only)."""

    def symbolic(self, p):
        return _fs_mode_symbolic("mode_flow", p)


class FSOOD(Evaluator):
    """OOD risk / spectral radius of :func:`solvers.settings.fs.ood_risk`."""

    def __init__(self, field):
        self.field = field

    def numeric(self, p, dps):
        from solvers.settings import fs
        kw = _solver_args(p, ("theta", "depth", "dim", "nu", "beta", "seed", "rotate_omega"))
        kw.update(_spectrum_args(p))
        kw["theta"] = float(kw["theta"])
        res = fs.ood_risk(dps=dps, **kw)
        if self.field == "ood_risk":
            return res.risk, _err(res)
        return res.extra["spectral_radius"], _err(res)


# ----------------------------------------------------------------------------- model, SGD, flows

class ModelIdentity(Evaluator):
    """A symbolic matrix identity of :mod:`theory.model` (zero when it holds)."""

    def __init__(self, which):
        self.which = which

    def symbolic(self, p):
        from theory import model
        depth = int(p.get("depth", 1))
        D, P = int(p.get("D", 2)), int(p.get("P", 3))
        if self.which == "attention_minus_gd":
            return model.check_attention_equals_gd(
                depth, D=D, P=P, transpose=bool(p.get("transpose", True)),
                gains=bool(p.get("gains", False)), general_key=bool(p.get("general_key", False)))
        if self.which == "gd_minus_reduced":
            return model.check_gd_equals_reduced(depth, D=D, P=P)
        return model.check_weight_error(depth, D=D, P=P)


@functools.lru_cache(maxsize=2)
def _sgd_solution(query_noise):
    from theory import dynamics as tdyn
    return tdyn.sgd_solution(query_noise)


@functools.lru_cache(maxsize=2)
def _sgd_finite_exprs(query_noise):
    """The exact finite-size expressions (:mod:`theory.sgd_finite`) by quantity name."""
    from theory import sgd_finite as tsf
    sol = tsf.sgd_finite_solution(query_noise)
    st, c = sol.step, sol.step.c
    (eta_max,) = [r for r in sp.solve(sp.Eq(sp.numer(sp.together(st.a - 1)), 0), _eta)
                  if r != 0]
    floor = st.b / (1 - st.a)
    return {"C": sol.C, "risk": sol.risk, "mean": sol.mean, "a": st.a, "a_m": st.a_m,
            "b": st.b, "C0": 1 / c ** 2, "floor": floor, "risk_floor": c * floor + 1 - 1 / c,
            "eta_max": eta_max, "proxy": sol.C + 2 * (1 / c - 1) * sol.mean + (1 - 1 / c) ** 2}


class SGDField(Evaluator):
    """Online SGD at depth 1, ISO: symbolic from :func:`theory.dynamics.sgd_solution` (D = ∞) or
    the exact finite-size map :mod:`theory.sgd_finite` (finite ``dim``: P = αD, K = κD, B = τD);
    numeric from the hand-typed mpmath kernels of :mod:`solvers.analysis.dynamics` (a second
    implementation of the recursion)."""

    def __init__(self, which):
        self.which = which

    def symbolic(self, p):
        qn = bool(p.get("query_noise", True))
        dim = p.get("dim", sp.oo)
        if dim is not sp.oo:
            from theory import sgd_finite as tsf
            expr = _sgd_finite_exprs(qn)[self.which]
            sub = {tsf.P: p["alpha"] * dim, tsf.K: p.get("kappa", _kappa) * dim,
                   tsf.B: p.get("tau", _tau) * dim}
            expr = expr.subs(sub).subs(tsf.D, dim)
        elif self.which == "a_m":
            return sp.Integer(0)
        else:
            sol = _sgd_solution(qn)
            base = sol.base
            expr = {"C": sol.C, "risk": sol.risk, "proxy": sol.proxy, "mean": sol.mean,
                    "a": base.a, "b": base.b, "C0": base.C0, "floor": base.floor,
                    "risk_floor": base.risk_floor, "eta_max": base.eta_max}[self.which]
        sub = {S.alpha: p["alpha"], S.sigma2: p.get("sigma2", sp.Integer(0))}
        for name, sym in (("eta", _eta), ("tau", _tau), ("kappa", _kappa), ("step", _step)):
            if name in p:
                sub[sym] = p[name]
        return expr.subs(sub)

    def numeric(self, p, dps):
        from solvers.analysis import dynamics as sdyn
        which = self.which
        dim = p.get("dim")
        dim = None if dim is None or (isinstance(dim, mpmath.mpf) and mpmath.isinf(dim)) \
            else int(dim)
        kw = dict(alpha=to_mp(p["alpha"]), sigma2=to_mp(p.get("sigma2", 0)),
                  query_noise=bool(p.get("query_noise", True)), dps=dps, dim=dim)
        if which == "C0":
            return sdyn.sgd_coefficients(lr=1, tau=1, kappa=1, **kw).C0, 0
        need = ("tau", "kappa") if which == "eta_max" else ("eta", "tau", "kappa")
        if any(n not in p for n in need):
            raise NotAvailable(f"sgd.{which} needs {', '.join(need)}")
        kw.update(lr=to_mp(p.get("eta", 1)), tau=to_mp(p["tau"]), kappa=to_mp(p["kappa"]))
        if which in ("a", "a_m", "b", "eta_max"):
            return getattr(sdyn.sgd_coefficients(**kw), which), 0
        step = p.get("step", 0)
        if mpmath.isinf(to_mp(step)):
            # n → ∞: the recursion's fixed point.  C(n) → b/(1 − a) (``floor``) and the mean
            # m(n) = m0ρⁿ → 0 (|ρ| < 1 when a < 1), so the proxy tends to floor + (1 − 1/c)²;
            # an unstable recursion (a ≥ 1) grows without bound
            res = sdyn.sgd_theory([0], **kw)
            ex = res.extra
            c = ex["c"]
            val = {"risk": ex["risk_floor"], "C": ex["floor"],
                   "proxy": ex["floor"] + (1 - 1 / c) ** 2 if ex["stable"] else mpmath.inf,
                   "mean": mpmath.mpf(0) if ex["stable"] else mpmath.nan,
                   "floor": ex["floor"], "risk_floor": ex["risk_floor"]}[which]
            return val, _err(res)
        res = sdyn.sgd_theory([int(step)], **kw)
        val = {"risk": res.risk[0], "C": res.extra["C"][0], "proxy": res.extra["proxy"][0],
               "mean": res.gamma[0] - 1 / res.extra["c"], "floor": res.extra["floor"],
               "risk_floor": res.extra["risk_floor"]}[which]
        return val, _err(res)


class FlowISO(Evaluator):
    """dγ/dt = −∂R/∂γ of the ISO landscape (:func:`theory.dynamics.iso_flow`)."""

    def symbolic(self, p):
        from theory import dynamics as tdyn
        depth = _sym_int(p["depth"])
        if depth is None or depth is sp.oo:
            return None
        return tdyn.iso_flow(depth, p.get("sigma2", sp.Integer(0)), p["alpha"], p["gamma"])


class FlowRRS(Evaluator):
    """dγ/dt of the RRS flow at α = ∞ (:func:`solvers.settings.rrs.flow_velocity`; symbolic
    :func:`theory.rrs.flow` for an explicit spectrum, reduced parameterization)."""

    def numeric(self, p, dps):
        from solvers.settings import rrs
        kw = _solver_args(p, ("nu", "beta", "depth", "gamma", "dim", "parameterization"))
        kw.update(_spectrum_args(p))
        return rrs.flow_velocity(dps=dps, **kw), mpmath.mpf(10) ** (-dps)

    def symbolic(self, p):
        from theory import rrs as trrs
        if p.get("parameterization", "reduced") != "reduced" or "lam" not in p \
                or "omega" not in p:
            return None
        depth = _sym_int(p.get("depth", sp.Integer(1)))
        if depth is None:
            return None
        return trrs.flow(depth, p["gamma"], modes=_modes(p))


# ----------------------------------------------------------------------------- contour solvers

class Contour(Evaluator):
    """Risk or optimal γ from a float64 contour solver: ``kind`` ``"context"`` (finite context,
    :mod:`solvers.settings.context`) or ``"width"`` (finite width, :mod:`solvers.settings.width`).
    γ* is the root of an exact derivative evaluated in float64: its error is a stated relative
    1e-11 (context) or 1e-10 (width)."""

    _NAMES = {"context": ("alpha", "context", "depth", "gamma", "sigma2", "nu", "beta", "dim"),
              "width": ("width", "depth", "gamma", "nu", "beta", "dim")}

    def __init__(self, kind, field, setting=None):
        self.kind, self.field, self.setting = kind, field, setting

    def numeric(self, p, dps):
        if self.kind == "context":
            from solvers.settings import context as solver
        else:
            from solvers.settings import width as solver
        kw = _solver_args(p, self._NAMES[self.kind])
        kw.update(_spectrum_args(p))
        args = (self.setting,) if self.kind == "context" else ()
        res = solver.risk(*args, dps=dps, **kw)
        if self.field == "risk":
            return mpmath.mpf(res.risk), _err(res)
        g = mpmath.mpf(res.gamma)
        rel = mpmath.mpf("1e-11") if self.kind == "context" else mpmath.mpf("1e-10")
        return g, abs(g) * rel if mpmath.isfinite(g) else 0


class FiniteSize(Evaluator):
    """Expected risk at finite D and P for real Gaussian data (:mod:`solvers.settings.finite_size`:
    the case-C deterministic equivalent plus its O(1/D) correction)."""

    def __init__(self, setting):
        self.setting = setting

    def numeric(self, p, dps):
        from solvers.settings import finite_size
        kw = _solver_args(p, ("alpha", "context", "depth", "gamma", "sigma2", "nu", "beta", "dim"))
        for n, v in _spectrum_args(p).items():
            kw[n] = [float(to_mp(x)) for x in v]
        res = finite_size.finite_size_risk(self.setting, dps=dps, **kw)
        return mpmath.mpf(res.risk), _err(res)


class Joint(Evaluator):
    """Risk or optimal γ at finite width AND finite context (RRS; :mod:`solvers.settings.joint`,
    the nested deterministic equivalent; ``dps`` digits)."""

    _NAMES = ("width", "alpha", "context", "depth", "gamma", "sigma2", "nu", "beta", "dim")

    def __init__(self, field):
        self.field = field

    def numeric(self, p, dps):
        from solvers.settings import joint
        kw = _solver_args(p, self._NAMES)
        kw.update(_spectrum_args(p))
        res = joint.risk(dps=dps, **kw)
        if self.field == "risk":
            return mpmath.mpf(res.risk), _err(res)
        g = mpmath.mpf(res.gamma)
        return g, _rounding(g, dps, 5)


class Dynamics(Evaluator):
    """Risk or γ along the gradient flow from Γ = 0 (:mod:`solvers.analysis.dynamics`); symbolic
    ISO depth 1 (:func:`theory.dynamics.iso_depth1_flow`)."""

    def __init__(self, field, setting):
        self.field, self.setting = field, setting

    def numeric(self, p, dps):
        from solvers.analysis import dynamics
        t = p["time"]
        times = ["inf" if mpmath.isinf(t) else t]
        if self.setting == "iso":
            ts = dynamics.iso_flow(times, dps=dps, **_solver_args(p, ("alpha", "depth",
                                                                        "sigma2")))
        else:
            kw = _solver_args(p, ("nu", "beta", "depth", "dim"))
            kw.update(_spectrum_args(p))
            flow = dynamics.fs_flow if self.setting == "fs" else dynamics.rrs_flow
            ts = flow(times, dps=dps, **kw)
        if self.field == "risk":
            return mpmath.mpf(ts.risk[0]), _err(ts)
        if ts.gamma is None:
            raise NotAvailable(f"dynamics.gamma: setting {self.setting!r} has no scalar state")
        return mpmath.mpf(ts.gamma[0]), _err(ts)

    def symbolic(self, p):
        if self.setting != "iso" or _sym_int(p.get("depth")) != 1:
            return None
        from theory import dynamics as tdyn
        ns = tdyn.iso_depth1_flow()
        e = ns.risk_of_time if self.field == "risk" else ns.gamma_of_time
        return e.subs({S.alpha: p["alpha"], S.sigma2: p.get("sigma2", sp.Integer(0)),
                       S.t: p["time"]})


# ----------------------------------------------------------------------------- the registry

def _build():
    def add(name, doc, params, evaluators, requires=None):
        register_quantity(Quantity(name, doc, params, evaluators, requires))

    iso_p = ("alpha", "depth", "sigma2", "gamma")
    spec_p = ("nu", "beta", "depth", "time", "gamma", "dim", "lam", "omega")
    add("risk", "excess risk R (zero predictor = 1); iso: exact MP average; rrs/fs: alpha = inf "
        "spectral sums (gamma given, gradient-flow time, or optimal)",
        iso_p + spec_p + ("parameterization", "init_scale"),
        {"iso": IsoField("risk"), "rrs": RRSField("risk"), "fs": FSRisk()})
    add("risk.bias", "bias part of the ISO risk", iso_p, {"iso": IsoField("bias")})
    add("risk.variance", "label-noise (variance) part of the ISO risk", iso_p,
        {"iso": IsoField("variance")})
    add("gamma", "optimal gamma (minimiser of R); rrs with finite time: gamma(t) of the flow",
        iso_p + spec_p + ("parameterization", "init_scale"),
        {"iso": IsoField("gamma"), "rrs": RRSField("gamma")})
    add("gamma.per_layer", "optimal per-layer step gamma*/L (the in-context GD learning rate)",
        iso_p + spec_p, {"iso": IsoField("gamma.per_layer"),
                         "rrs": RRSField("gamma.per_layer")})
    add("fs.mode_gamma", "gamma_k(t) of one FS mode (closed-form gradient flow from 0)",
        ("lam", "omega", "time", "depth"), FSModeGamma())
    add("fs.mode_flow", "d gamma_k/dt = -dR/d gamma_k of one FS mode at gamma",
        ("lam", "omega", "gamma", "depth"), FSModeFlow())
    ood_p = ("theta", "depth", "dim", "nu", "beta", "seed", "rotate_omega", "lam", "omega")
    add("fs.ood_risk", "OOD risk of the trained Gamma = L Sigma^-1 on a rotated covariance",
        ood_p, FSOOD("ood_risk"))
    add("fs.ood_spectral_radius", "spectral radius of I - Sigma^-1 Sigma' (OOD)", ood_p,
        FSOOD("ood_spectral_radius"))
    for law in ("time", "width", "depth", "context", "time_full"):
        settings = ("rrs", "fs") if law == "time" else ("rrs",)
        add(f"exponent.{law}", f"decay exponent a of R ∝ {law}^-a (theory.exponents, symbolic)",
            ("nu", "beta"), {s: ExponentLaw(law, s) for s in settings})
        add(f"slope.{law}", f"extrapolated local slope -dlogR/dlog({law}) of the exact risk "
            "(solvers.analysis.exponents.check_exponent, numeric)", ("nu", "beta"),
            {s: SlopeLaw(law, s) for s in settings})
    for law in ("time", "width", "depth", "context", "time_full"):
        settings = ("rrs", "fs") if law == "time" else ("rrs",)
        for fld in ("prefactor", "exponent", "log_power"):
            add(f"law.{law}.{fld}", f"{fld} of the law R ~ c {law}^-a (log {law})^l with exact "
                "prefactor (theory.laws, Mellin-Barnes; Piecewise over regimes)",
                ("nu", "beta", "depth"), {s: LawField(law, fld, s) for s in settings})
    for r in ("L", "N", "t", "P", "risk", "L_vs_N"):
        add(f"shape.{r}", f"compute-optimal exponent of {r} vs the budget (theory.shape)",
            ("nu", "beta", "budget"), {s: ShapeExponent(r, s) for s in ("rrs", "fs")})
    for which in ("attention_minus_gd", "gd_minus_reduced", "weight_error"):
        add(f"model.{which}", f"symbolic matrix identity of theory.model ({which}); claim '0'",
            ("depth", "D", "P", "transpose", "gains", "general_key"), ModelIdentity(which))
    ctx_p = ("alpha", "context", "depth", "gamma", "sigma2", "nu", "beta", "dim", "lam",
             "omega")
    add("context.risk", "finite-context risk by the double-contour deterministic equivalent "
        "(solvers.settings.context; about 12 correct digits)", ctx_p,
        {s: Contour("context", "risk", s) for s in ("iso", "rrs", "fs")},
        "solvers.settings.context")
    add("context.gamma", "optimal gamma at finite context (solvers.settings.context)", ctx_p,
        {s: Contour("context", "gamma", s) for s in ("iso", "rrs", "fs")},
        "solvers.settings.context")
    add("width.risk", "RRS risk at finite width N, infinite context (solvers.settings.width; "
        "float64 contour sums)", ("width", "depth", "gamma", "nu", "beta", "dim", "lam", "omega"),
        Contour("width", "risk"), "solvers.settings.width")
    add("width.gamma", "optimal gamma at finite width (solvers.settings.width)",
        ("width", "depth", "nu", "beta", "dim", "lam", "omega"), Contour("width", "gamma"),
        "solvers.settings.width")
    joint_p = ("width", "alpha", "context", "depth", "gamma", "sigma2", "nu", "beta", "dim",
               "lam", "omega")
    add("joint.risk", "RRS risk at finite width N and finite context P together (solvers.settings."
        "joint: the nested deterministic equivalent)", joint_p, {"rrs": Joint("risk")},
        "solvers.settings.joint")
    add("joint.gamma", "optimal gamma at finite width and context (solvers.settings.joint)",
        joint_p, {"rrs": Joint("gamma")}, "solvers.settings.joint")
    add("finite_size.risk", "expected risk at finite D and P for real Gaussian data: case-C "
        "deterministic equivalent + O(1/D) correction (solvers.settings.finite_size)", ctx_p,
        {s: FiniteSize(s) for s in ("iso", "rrs", "fs")}, "solvers.settings.finite_size")
    dyn_p = ("alpha", "depth", "sigma2", "time", "nu", "beta", "dim", "lam", "omega")
    add("dynamics.risk", "risk along the gradient flow from Gamma = 0 at time t "
        "(solvers.analysis.dynamics; symbolic: theory.dynamics.iso_depth1_flow)", dyn_p,
        {s: Dynamics("risk", s) for s in ("iso", "fs", "rrs")}, "solvers.analysis.dynamics")
    add("dynamics.gamma", "gamma(t) along the gradient flow from 0 (solvers.analysis.dynamics)",
        dyn_p, {s: Dynamics("gamma", s) for s in ("iso", "rrs")}, "solvers.analysis.dynamics")
    add("flow.iso", "d gamma/dt = -dR/dgamma of the ISO landscape (theory.dynamics.iso_flow)",
        ("alpha", "depth", "sigma2", "gamma"), FlowISO())
    add("flow.rrs", "d gamma/dt of the RRS flow at alpha = inf (solvers.settings.rrs."
        "flow_velocity; parameterization reduced/full/tied)",
        ("nu", "beta", "depth", "gamma", "dim", "lam", "omega", "parameterization"), FlowRRS())
    sgd_p = ("alpha", "sigma2", "eta", "tau", "kappa", "step", "query_noise", "dim")
    for which, doc in (("C", "C(n) = E|Gamma_n - Gamma*|^2/D"), ("risk", "E R(Gamma_n)"),
                       ("proxy", "the paper's loss proxy E|Gamma_n - I|^2/D"),
                       ("mean", "m(n) = E tr(Gamma_n - Gamma*)/D"),
                       ("a", "contraction a of C(n+1) = a C(n) + a_m m(n) + b"),
                       ("a_m", "coefficient a_m of m(n) (0 as D -> inf)"), ("b", "offset b"),
                       ("C0", "C(0) from Gamma(0) = 0"), ("floor", "noise floor b/(1-a)"),
                       ("risk_floor", "c b/(1-a) + R*"),
                       ("eta_max", "stability boundary (a = 1)")):
        add(f"sgd.{which}", f"online SGD, ISO, depth 1 (theory.dynamics; finite dim: "
            f"theory.sgd_finite, exact): {doc}", sgd_p,
            SGDField(which))


_build()
