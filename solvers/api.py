"""Setting-independent entry points: dispatch ``risk`` and ``simulate`` to the setting's module.

Each setting module (``solvers.iso``, ``solvers.fs``, ``solvers.rrs``) defines ``risk(**params)``
with explicit keyword parameters; parameters a setting does not use are rejected here with a
``ValueError`` that names them.
"""
from __future__ import annotations

import importlib
import inspect

from solvers.validate import require_choice

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


def risk(setting: str, **params):
    """Exact asymptotic risk of ``setting`` (``iso``, ``fs``, ``rrs``); see the setting module."""
    return _call(setting, "risk", setting, params)


def simulate(setting: str, **params):
    """Monte-Carlo risk from the numpy simulator for ``setting``."""
    # the module solvers.simulate is shadowed by this function in the package namespace
    sim = importlib.import_module("solvers.simulate")
    require_choice("setting", setting, SETTINGS)
    return sim.simulate(setting, **params)
