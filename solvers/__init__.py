"""Numeric layer of icl-theory: mpmath/scipy solvers for the equations of :mod:`theory`,
the numpy simulator that validates them, and the ``icl-theory`` command line."""
import solvers.simulate  # noqa: F401  (import the module first: the function below shadows it)
from solvers.api import risk, simulate
from solvers.result import ConvergenceError, Result

__all__ = ["risk", "simulate", "Result", "ConvergenceError"]
