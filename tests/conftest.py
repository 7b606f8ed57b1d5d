"""Shared test references and helpers (one definition each; tests name their independent
reference next to every comparison).

* :func:`rel`, :func:`digits` — relative error and agreeing digits of two numbers (mpmath);
* :func:`powerlaw_arrays` — the truncated power-law spectrum as float arrays, built here with numpy
  independently of :mod:`solvers.spectra` (``λ_k = k^{−ν}``, ``ω_kλ_k ∝ k^{−νβ−1}``, ``Σ ω_kλ_k = 1``);
* :func:`one_blas_thread` — the BLAS guard: small batched products are far slower with OpenBLAS
  threads oversubscribed on a 2-core machine;
* the ``cli`` fixture — run the command line in-process: ``code, out, err = cli("risk", …)``.
"""
from __future__ import annotations

import contextlib
import ctypes
import glob
import os

import mpmath
import numpy as np
import pytest


def rel(a, b):
    """|a − b| / |b| in mpmath (|b| floored at 1e-40)."""
    a, b = mpmath.mpf(a), mpmath.mpf(b)
    return abs(a - b) / max(abs(b), mpmath.mpf(10) ** -40)


def digits(a, b):
    """Number of agreeing significant digits (99 for equality)."""
    r = rel(a, b)
    return 99 if r == 0 else float(-mpmath.log10(r))


def powerlaw_arrays(D, nu=1.5, beta=1.0):
    """``(λ, ω)`` of the power law truncated to ``D`` modes, float arrays, ``Σ ω_kλ_k = 1``."""
    k = np.arange(1, D + 1, dtype=float)
    lam = k ** -nu
    wl = k ** (-nu * beta - 1)
    wl /= wl.sum()
    return lam, wl / lam


@contextlib.contextmanager
def one_blas_thread():
    """Run the block with one OpenBLAS thread (restored afterwards)."""
    setter = None
    for lib in glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs",
                                      "libscipy_openblas*")):
        try:
            so = ctypes.CDLL(lib)
            setter = so.scipy_openblas_set_num_threads64_
            old = so.scipy_openblas_get_num_threads64_()
        except (OSError, AttributeError):
            setter = None
        break
    if setter is not None:
        setter(1)
    try:
        yield
    finally:
        if setter is not None:
            setter(old)


@pytest.fixture
def cli(capsys):
    """``cli(*argv) -> (exit status, stdout, stderr)`` of the in-process command line."""
    from solvers.cli import main

    def run(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run
