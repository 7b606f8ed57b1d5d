"""theory.cache: a derivation read back from disk equals the derivation itself.

Reference: the uncached sympy derivation (``func.uncached``), compared expression by expression
with ``sympy.simplify(a - b) == 0``.
"""
from __future__ import annotations

import sympy as sp

from theory import cache, exponents as tex, shape as tshape


def _same(a, b):
    if isinstance(a, sp.Basic):
        return sp.simplify(a - b) == 0 if isinstance(a, sp.Expr) else a == b
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def test_disk_cache_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("ICL_THEORY_DERIVATION_CACHE", str(tmp_path))
    f = tshape._optimal_shape_default
    f.clear_memory()
    tex.exponents.clear_memory()                  # other tests may have derived it already
    first = f("L*N", "rrs")                       # derived, then written
    # the shape and the exponent laws it is built on (theory.exponents.exponents) are stored
    assert len(list(tmp_path.glob("_optimal_shape_default-*.pickle"))) == 1
    assert len(list(tmp_path.glob("exponents-*.pickle"))) == 1
    f.clear_memory()
    loaded = f("L*N", "rrs")                      # read back from disk
    assert loaded is not first
    derived = f.uncached("L*N", "rrs")
    for field in ("exponents", "risk", "log_constants", "fixed", "dropped", "powers"):
        assert _same(getattr(loaded, field), getattr(derived, field)), field
    f.clear_memory()


def test_disabled_cache_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("ICL_THEORY_DERIVATION_CACHE", "off")
    assert cache.cache_dir() is None and not cache.enabled()
    f = tshape._optimal_shape_default
    f.clear_memory()
    f("L*N", "rrs")
    assert not list(tmp_path.iterdir())
    f.clear_memory()


def test_invalid_budget_still_raises_by_name():
    import pytest
    with pytest.raises(ValueError, match="budget"):
        tshape.optimal_shape("L*Q")
