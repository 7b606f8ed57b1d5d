"""Analyses built on the exact solvers: gradient-flow and SGD dynamics, scaling exponents and the
compute-optimal shape."""
__all__ = ["dynamics", "exponents", "shape"]
