"""Numeric layer of icl-theory: mpmath/scipy solvers for the equations of :mod:`theory`, the
numpy simulators that validate them, and the ``icl-theory`` command line (:mod:`solvers.cli`).

Public API (one function per command, the same parameter names as the command line)::

    risk, simulate, dynamics, exponents, shape, check, sweep, report

Layers: :mod:`solvers.settings` (exact solvers) → :mod:`solvers.analysis` (dynamics, exponents,
shape) → :mod:`solvers.checker`, :mod:`solvers.sweep`, :mod:`solvers.report` → :mod:`solvers.cli`.
"""
from solvers.analysis.dynamics import dynamics
from solvers.analysis.exponents import exponents
from solvers.analysis.shape import shape
from solvers.api import risk, simulate
from solvers.cache import cache_info, clear_cache, set_cache_dir
from solvers.result import ConvergenceError, Result, to_json
from solvers.version import package_version

__version__ = package_version()


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
