"""Numeric layer of icl-theory: mpmath/scipy solvers for the equations of :mod:`theory`, the
numpy simulators that validate them, and the ``icl-theory`` command line (:mod:`solvers.cli`).

Public API (one function per command, the same parameter names as the command line)::

    risk, simulate, dynamics, exponents, shape, check, sweep, report

Layers: :mod:`solvers.settings` (exact solvers) → :mod:`solvers.analysis` (dynamics, exponents,
shape) → :mod:`solvers.checker`, :mod:`solvers.sweep`, :mod:`solvers.report` → :mod:`solvers.cli`.
"""
from solvers.cache import cache_info, clear_cache, set_cache_dir
from solvers.result import ConvergenceError, Result, to_json
from solvers.version import package_version

__version__ = package_version()

# Each entry point imports its machinery on first use, so ``import solvers`` and the command
# line start fast (sympy, scipy and the solvers load only for the command that needs them).


def risk(setting, **params):
    """Exact asymptotic risk of ``setting`` (:func:`solvers.api.risk`)."""
    from solvers.api import risk as _risk

    return _risk(setting, **params)


def simulate(setting, **params):
    """Monte-Carlo risk from the numpy simulator (:func:`solvers.api.simulate`)."""
    from solvers.api import simulate as _simulate

    return _simulate(setting, **params)


def dynamics(setting, times, **kwargs):
    """Gradient-flow (or depth-1 SGD) time series (:func:`solvers.analysis.dynamics.dynamics`)."""
    from solvers.analysis.dynamics import dynamics as _dynamics

    return _dynamics(setting, times, **kwargs)


def exponents(setting="rrs", nu=None, beta=None, dps=30):
    """Scaling exponents (:func:`solvers.analysis.exponents.exponents`)."""
    from solvers.analysis.exponents import exponents as _exponents

    return _exponents(setting, nu=nu, beta=beta, dps=dps)


def shape(nu, beta, **kwargs):
    """Compute-optimal allocation of a budget (:func:`solvers.analysis.shape.shape`)."""
    from solvers.analysis.shape import shape as _shape

    return _shape(nu, beta, **kwargs)


def check(*paths, progress=None, timeout=600):
    """Check claims files (a directory means every ``*.toml`` in it); a list of verdicts
    (:func:`solvers.checker.check_files`; ``timeout``: seconds per claim without its own)."""
    from solvers.checker import check_files

    return check_files(paths, progress=progress, timeout=timeout)


def sweep(quantity, setting, grid, **kwargs):
    """A quantity over a parameter grid (:func:`solvers.sweep.sweep`)."""
    from solvers.sweep import sweep as _sweep

    return _sweep(quantity, setting, grid, **kwargs)


def report(out=None, quick=False, **kwargs):
    """The paper's figures from the exact theory with simulator points
    (:func:`solvers.report.report`)."""
    from solvers.report import report as _report

    return _report(out=out, quick=quick, **kwargs)


__all__ = ["risk", "simulate", "dynamics", "exponents", "shape", "check", "sweep", "report",
           "Result", "ConvergenceError", "to_json", "set_cache_dir", "cache_info", "clear_cache",
           "__version__"]
