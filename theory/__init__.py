"""Symbolic layer of icl-theory (sympy only).

Every fixed-point, resolvent and flow equation of the theory is written here as a sympy
expression.  This package never imports :mod:`solvers`; the numeric layer imports it.
"""
from theory import symbols  # noqa: F401
