"""The exact solvers, one module per setting or bottleneck (docs/theory.md):

* :mod:`~solvers.settings.iso` — isotropic data, any context ratio α (Marchenko–Pastur);
* :mod:`~solvers.settings.fs` / :mod:`~solvers.settings.rrs` — fixed / randomly rotated structured
  covariance at infinite context (α = ∞);
* :mod:`~solvers.settings.context` — finite context (case C: two-resolvent deterministic
  equivalent);
* :mod:`~solvers.settings.width` — finite width (case W: free-product and two-point equations).

Each module has ``risk(...) -> Result``; :func:`solvers.risk` routes to the right one.
"""
__all__ = ["iso", "fs", "rrs", "context", "width"]
