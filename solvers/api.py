"""Setting-independent entry points: dispatch ``risk`` and ``simulate`` to the setting's module.

Each setting module (``solvers.iso``, ``solvers.fs``, ``solvers.rrs``) defines ``risk(**params)``
with explicit keyword parameters; parameters a setting does not use are rejected here with a
``ValueError`` that names them.
"""
from __future__ import annotations

import importlib
import inspect

from solvers.validate import is_inf, require_choice

SETTINGS = ("iso", "fs", "rrs")


def _call(module_name: str, func_name: str, setting: str, params: dict):
    require_choice("setting", setting, SETTINGS)
    try:
        module = importlib.import_module(f"solvers.{module_name}")
    except ModuleNotFoundError as exc:  # a setting not built yet
        if exc.name == f"solvers.{module_name}":
            raise ValueError(f"setting={setting!r} is not available yet in this version") from None
        raise
    func = getattr(module, func_name)
    accepted = inspect.signature(func).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        unknown = sorted(k for k in params if k not in accepted)
        if unknown:
            valid = ", ".join(k for k in accepted)
            raise ValueError(f"parameter(s) {', '.join(unknown)} not used by setting={setting!r}; "
                             f"valid parameters: {valid}")
    missing = [k for k, p in accepted.items()
               if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
               and k not in params]
    if missing:
        raise ValueError(f"parameter(s) {', '.join(missing)} required for setting={setting!r} "
                         "(missing)")
    return func(**params)


def _finite(params, name):
    v = params.get(name)
    return v is not None and not is_inf(v)


def risk(setting: str, **params):
    """Exact asymptotic risk of ``setting`` (``iso``, ``fs``, ``rrs``).

    Routing: ISO → :mod:`solvers.iso` (any α).  FS/RRS with a finite ``alpha`` or ``context``
    → :mod:`solvers.context` (finite context, case C); RRS with a finite ``width`` →
    :mod:`solvers.width` (finite width, case W); otherwise the α = ∞ solvers
    :mod:`solvers.fs` / :mod:`solvers.rrs`.  ``alpha``/``context``/``width`` equal to ``inf`` are
    the defaults and are dropped before the call."""
    require_choice("setting", setting, SETTINGS)
    if setting == "iso":
        return _call("iso", "risk", setting, params)
    finite_ctx = _finite(params, "alpha") or _finite(params, "context")
    finite_width = _finite(params, "width")
    if finite_ctx and finite_width:
        raise ValueError(f"width={params['width']} with a finite context is not available: "
                         "finite width needs alpha=inf (finite width and context together is "
                         "an open problem; see dmft.md)")
    if finite_ctx:
        from solvers import context

        sub = {k: v for k, v in params.items() if not (k in ("width",) and is_inf(v))}
        return _checked(context.risk, setting, {"setting": setting, **sub})
    for name in ("alpha", "context"):
        params.pop(name, None)
    if finite_width:
        if setting != "rrs":
            raise ValueError(f"width={params['width']} is available for setting 'rrs' only "
                             f"(got setting={setting!r})")
        from solvers import width

        return _checked(width.risk, setting, params)
    params.pop("width", None)
    return _call(setting, "risk", setting, params)


def _checked(func, setting, params):
    """Call ``func`` after rejecting parameters it does not take (ValueError naming them)."""
    accepted = inspect.signature(func).parameters
    unknown = sorted(k for k in params if k not in accepted)
    if unknown:
        raise ValueError(f"parameter(s) {', '.join(unknown)} not used by setting={setting!r} "
                         f"here; valid parameters: {', '.join(accepted)}")
    return func(**params)


def simulate(setting: str, **params):
    """Monte-Carlo risk from the numpy simulator for ``setting``."""
    # the module solvers.simulate is shadowed by this function in the package namespace
    sim = importlib.import_module("solvers.simulate")
    require_choice("setting", setting, SETTINGS)
    return sim.simulate(setting, **params)
