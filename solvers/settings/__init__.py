"""The exact solvers, one module per setting or bottleneck (docs/theory.md):

* :mod:`~solvers.settings.iso` — isotropic data, any context ratio α (Marchenko–Pastur);
* :mod:`~solvers.settings.fs` / :mod:`~solvers.settings.rrs` — fixed / randomly rotated structured
  covariance at infinite context (α = ∞);
* :mod:`~solvers.settings.context` — finite context (case C: two-resolvent deterministic
  equivalent);
* :mod:`~solvers.settings.width` — finite width (case W: free-product and two-point equations);
* :mod:`~solvers.settings.joint` — finite width and finite context together (nested equivalent);
* :mod:`~solvers.settings.finite_size` — expected risk at finite D (O(1/D) correction of C and W).

Shared by cases C, W and the joint case:
:mod:`~solvers.settings.modesums` (one-point spectral sums; power-law tails by exact expansions),
:mod:`~solvers.settings.contour` (one-point continuation, contours, divided-difference kernels,
quadrature), :mod:`~solvers.settings.contour_solve` (converged risk and optimal γ at any
precision), :mod:`~solvers.settings.fixedpoint` (complex128 / mpmath + fixed-point arithmetic).

Each module has ``risk(...) -> Result``; :func:`solvers.risk` routes to the right one.
"""
__all__ = ["iso", "fs", "rrs", "context", "width", "joint", "finite_size"]
