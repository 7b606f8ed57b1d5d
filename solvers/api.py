"""Setting-independent entry points: one driver routing ``risk`` and ``simulate`` to the solver
that owns the parameter combination (a method table in the spirit of ``scipy.integrate``'s
``solve_ivp``).

Routing of :func:`risk` (docs/theory.md, "Which solver"):

====================  ==================================  ==========================================
setting               finite parameters                   solver
====================  ==================================  ==========================================
iso                   any ``alpha``                       :mod:`solvers.settings.iso` (Marchenko–Pastur)
fs, rrs               none (``alpha = context = inf``)    :mod:`solvers.settings.fs` / ``rrs``
fs, rrs, iso          ``alpha`` or ``context``            :mod:`solvers.settings.context` (case C)
rrs                   ``width``                           :mod:`solvers.settings.width` (case W)
====================  ==================================  ==========================================

Parameters a solver does not take are rejected with a ``ValueError`` naming them.
"""
from __future__ import annotations

import inspect
import math

from solvers.settings import context, fs, iso, rrs, width
from solvers.simulators import reduced
from solvers.validate import is_inf, require_choice, require_work_limits

#: the α = ∞ (population-covariance) solver of each setting
SETTINGS = {"iso": iso.risk, "fs": fs.risk, "rrs": rrs.risk}


def _finite(params, name):
    v = params.get(name)
    return v is not None and not is_inf(v)


def _checked(func, setting, params):
    """Call ``func`` after rejecting parameters it does not take and requiring those without a
    default (each a ValueError naming them)."""
    accepted = inspect.signature(func).parameters
    unknown = sorted(k for k in params if k not in accepted)
    if unknown:
        raise ValueError(f"parameter(s) {', '.join(unknown)} not used by setting={setting!r} "
                         f"here; valid parameters: {', '.join(accepted)}")
    missing = [k for k, p in accepted.items()
               if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
               and k not in params]
    if missing:
        raise ValueError(f"parameter(s) {', '.join(missing)} required for setting={setting!r} "
                         "(missing)")
    return func(**params)


def solver_for(setting: str, params: dict):
    """``(function, keyword arguments)`` that :func:`risk` calls for these parameters.

    ``alpha``/``context``/``width`` equal to ``inf`` are the defaults and are dropped."""
    require_choice("setting", setting, tuple(SETTINGS))
    params = dict(params)
    require_work_limits(params, setting)
    if params.get("gamma") is not None and params.get("time") is not None:
        raise ValueError(f"time={params['time']} is invalid together with gamma="
                         f"{params['gamma']}: gamma fixes the step, time runs the gradient flow "
                         "from Gamma = 0 to find it; give one of them")
    if setting == "iso":
        return iso.risk, params
    finite_ctx = _finite(params, "alpha") or _finite(params, "context")
    finite_width = _finite(params, "width")
    if finite_ctx and finite_width:
        raise ValueError(f"width={params['width']} with a finite context is not available yet: "
                         "finite width needs alpha=inf and context=inf")
    if finite_width and setting != "rrs":
        raise ValueError(f"width={params['width']} is available for setting 'rrs' only "
                         f"(got setting={setting!r})")
    for name in ("alpha", "context", "width"):
        if name in params and not _finite(params, name):
            params.pop(name)
    if finite_ctx:
        return context.risk, {"setting": setting, **params}
    if finite_width:
        return width.risk, params
    return SETTINGS[setting], params


def risk(setting: str, *, cache: bool = True, **params):
    """Exact asymptotic risk of ``setting`` (``iso``, ``fs``, ``rrs``): see the routing table of
    this module.  Returns a frozen :class:`~solvers.result.Result`.

    Repeated calls with the same solver, parameters (compared by exact value: ``0.5``,
    ``"0.5"`` and ``mpf(0.5)`` are one key, ``0.1`` and ``"0.1"`` are two) and ``dps`` return
    the same object from an in-process LRU, and from the on-disk cache when one is set
    (:func:`solvers.set_cache_dir`, ``$ICL_THEORY_CACHE``): see :mod:`solvers.cache`.
    ``cache=False`` always recomputes (and stores nothing)."""
    func, kwargs = solver_for(setting, params)
    if not cache:
        return _checked(func, setting, kwargs)
    from solvers.cache import cached_call

    return cached_call("risk", func, kwargs, lambda: _checked(func, setting, kwargs))


#: theory parameters that also describe a simulator run (the rest are simulator-only)
_THEORY_KEYS = ("alpha", "depth", "sigma2", "nu", "beta", "width")


def default_gamma(setting: str, *, dim, **params):
    """The theory's optimal γ for a simulator run at dimension ``dim`` (the truncated spectrum the
    simulator draws): ``solvers.risk(setting, …, dim=dim).gamma``.  ValueError when the optimum
    is not a finite scalar (FS at α = ∞: Γ = LΣ⁻¹; depth = ∞)."""
    sub = {k: v for k, v in params.items() if k in _THEORY_KEYS and v is not None}
    if setting != "iso":
        sub["dim"] = dim
    g = risk(setting, dps=20, **sub).gamma
    try:
        g = float(g)
    except (TypeError, ValueError):
        g = math.nan
    if not math.isfinite(g):
        raise ValueError(f"gamma=None is invalid for simulate {setting} here: the theory's "
                         f"optimum is not a finite scalar ({g}); pass gamma >= 0")
    return g


def simulate(setting: str, *, alpha="inf", depth=None, gamma=None, nu=None, beta=None, dim=None,
             contexts=None, seed=0, **params):
    """Monte-Carlo risk from the numpy simulator (:func:`solvers.simulators.reduced.simulate`).

    ``alpha`` defaults to ``inf`` (population covariance).  ``gamma=None`` runs at the theory's
    optimal γ (:func:`default_gamma`).  For ``fs``/``rrs``, ``nu``/``beta`` build the power-law
    spectrum truncated to ``dim`` modes (or pass ``lam``/``omega`` arrays)."""
    require_choice("setting", setting, tuple(SETTINGS))
    for name, value, valid in (("depth", depth, "an integer >= 1"), ("dim", dim, "an integer >= 1"),
                               ("contexts", contexts, "an integer >= 2")):
        if value is None:
            raise ValueError(f"{name}=None is invalid: simulate needs {name}, {valid}")
    if setting == "iso":
        for k, v in (("nu", nu), ("beta", beta)):
            if v is not None:
                raise ValueError(f"{k}={v} is invalid: not a parameter of setting 'iso'")
    elif params.get("lam") is None:
        if nu is None or beta is None:
            raise ValueError(f"nu={nu}, beta={beta} is invalid: simulate {setting} needs nu > 1 "
                             "and beta > 0 (or explicit lam/omega arrays)")
        from solvers.spectra import PowerLaw
        import numpy as np

        lam, omega = PowerLaw(nu, beta, dim=dim).modes(dps=20)
        params["lam"] = np.array([float(v) for v in lam])
        params["omega"] = np.array([float(v) for v in omega])
    require_work_limits({"depth": depth, "dim": dim}, setting)
    if gamma is None:
        gamma = default_gamma(setting, alpha=alpha, depth=depth, nu=nu, beta=beta, dim=dim,
                              sigma2=params.get("sigma2"), width=params.get("width"))
    return reduced.simulate(setting, alpha=alpha, depth=depth, gamma=gamma, dim=dim,
                            contexts=contexts, seed=seed, **params)
