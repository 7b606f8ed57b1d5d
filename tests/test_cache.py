"""Caching of repeated solves (:mod:`solvers.cache`): identity of repeated results, exact and
consistent keys, the versioned on-disk store, sweeps with worker processes, the CLI flag.

"Read from the cache" is shown without timing: after the first solve the solver entry point is
replaced by one that fails, so a second call can only succeed from the cache."""
from decimal import Decimal
from fractions import Fraction
import json
import math
import os

import mpmath
import numpy as np
import pytest

import solvers
from solvers import api, cache
from solvers.analysis.dynamics import SgdTheory, TimeSeries
from solvers.result import Result, to_mpf
from solvers.validate import as_number


@pytest.fixture
def fresh(monkeypatch):
    """No disk cache, an empty memory cache; restored afterwards."""
    monkeypatch.delenv(cache.ENV, raising=False)
    old = cache._dir[0]
    cache._dir[0] = None
    cache.clear_cache()
    yield cache
    cache._dir[0] = old
    cache.clear_cache()


def _forbid_solving(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("the solver ran: the result did not come from the cache")
    monkeypatch.setattr(api, "_checked", boom)


def test_repeated_rrs_risk_is_the_identical_object(fresh):
    first = solvers.risk("rrs", nu=1.5, beta=1, depth=64)
    again = solvers.risk("rrs", nu=1.5, beta=1, depth=64)
    assert again is first
    # the same values written differently are the same key (1.5 is exact in binary)
    assert solvers.risk("rrs", nu="1.5", beta=1.0, depth="64", dps=30) is first
    info = solvers.cache_info()
    assert info["misses"] == 1 and info["hits"] == 2


def test_cached_value_equals_a_fresh_solve(fresh):
    cached = solvers.risk("iso", alpha="0.5", depth=3, sigma2="0.1")
    assert solvers.risk("iso", alpha="0.5", depth=3, sigma2="0.1") is cached
    fresh_solve = solvers.risk("iso", alpha="0.5", depth=3, sigma2="0.1", cache=False)
    assert fresh_solve is not cached and fresh_solve.risk == cached.risk
    # a different value is a different key, never the cached object
    assert solvers.risk("iso", alpha="0.5", depth=3, sigma2="0.2") is not cached


_INPUTS = [0.1, "0.1", "0.10", Decimal("0.1"), Fraction(1, 10),
           mpmath.mpf("0.1"),                                   # 53-bit binary value
           "0.1000000000000000055511151231257827",              # the float 0.1 written out
           0.5, "0.5", Decimal("0.50"), Fraction(1, 2), np.float64(0.5), mpmath.mpf(0.5),
           64, "64", 64.0, np.int64(64), "6.4e1", Decimal(64),
           -0.5, mpmath.mpf(-0.5), "-0.5",                      # the sign is part of the key
           "inf", "Infinity", math.inf, mpmath.inf, np.float64("inf")]
with mpmath.workdps(80):                                       # what `icl-theory … --x 0.1` passes
    _INPUTS.append(mpmath.mpf("0.1"))


def _seen(v):
    """The exact number a solver computes with: validation, then to_mpf at high precision."""
    x = as_number("x", v, "a number", allow_inf=True)
    with mpmath.workdps(150):
        return to_mpf(x)


def test_keys_equal_exactly_when_the_solver_sees_equal_numbers():
    keys = [cache.canonical(v) for v in _INPUTS]
    seen = [_seen(v) for v in _INPUTS]
    for i in range(len(_INPUTS)):
        for j in range(len(_INPUTS)):
            same_value = seen[i] == seen[j]
            assert (keys[i] == keys[j]) == same_value, (_INPUTS[i], _INPUTS[j])
    # spot checks of the groups this produces
    assert keys[0] != keys[1]                     # float 0.1 (= 1/10) vs the 80-digit "0.1"
    assert keys[1] == keys[2] == keys[3] == keys[4] == keys[-1]
    assert len({keys[i] for i in range(7, 13)}) == 1 and len({keys[i] for i in range(13, 19)}) == 1
    assert keys[19] == keys[20] == keys[21] != keys[7]
    assert cache.canonical("full") == "s:full" and cache.canonical(True) != cache.canonical(1)


def test_key_applies_defaults_and_ignores_progress():
    def f(a, b=2, dps=30, progress=None):
        return a
    assert cache.make_key("k", f, {"a": 1}) == cache.make_key("k", f, {"a": "1", "b": 2.0,
                                                                     "progress": True})
    assert cache.make_key("k", f, {"a": 1}) != cache.make_key("k", f, {"a": 1, "dps": 40})
    with pytest.raises(cache.Uncacheable):
        cache.canonical(object())
    # an argument without a canonical form runs the function, uncached
    assert cache.cached_call("k", f, {"a": object()}) is not None


def _roundtrip(obj):
    return cache.decode(json.loads(json.dumps(cache.encode(obj))))


def test_exact_encoding_round_trip():
    with mpmath.workdps(60):
        x = mpmath.mpf(1) / 3
        big = mpmath.mpf("1e-300") * mpmath.pi
    r = Result("rrs", {"nu": 1.5, "beta": Decimal("0.1"), "dim": math.inf}, x, gamma="L/lambda_k",
               error_estimate=big, method="m", dps=50, iterations=3,
               extra={"pair": (1, x), 3: [mpmath.mpc(1, -2), 2.5, None, True],
                      "arr": np.array([1.0, 2.0]), "inf": mpmath.inf, "f": Fraction(1, 3)})
    back = _roundtrip(r)
    assert type(back) is Result
    assert back.risk._mpf_ == x._mpf_ and back.error_estimate == big      # bit-exact
    assert _roundtrip(-x)._mpf_ == (-x)._mpf_ and _roundtrip(mpmath.mpf(0)) == 0
    assert back.extra["pair"] == (1, x) and back.extra[3][0] == mpmath.mpc(1, -2)
    assert back.params == r.params and back.extra["f"] == Fraction(1, 3)
    assert list(back.extra["arr"]) == [1.0, 2.0] and back.extra["inf"] == mpmath.inf
    ts = SgdTheory("iso", {"alpha": 1}, [0, 1], [mpmath.mpf(1), x], gamma=[0, x],
                   error_estimate=x, extra={"C": [x, x], "stable": True})
    assert _roundtrip(ts) == ts and type(_roundtrip(ts)) is SgdTheory
    plain_ts = TimeSeries("fs", {}, [0], [x])
    assert _roundtrip(plain_ts) == plain_ts
    with pytest.raises(cache.Uncacheable):
        cache.encode(object())


def test_disk_cache_reads_back_exactly_and_is_versioned(fresh, tmp_path, monkeypatch):
    solvers.set_cache_dir(tmp_path)
    r = solvers.risk("iso", alpha="0.5", depth=3, sigma2="0.1")
    vdir = tmp_path / f"icl-theory-{solvers.__version__}"
    files = list(vdir.glob("*.json"))
    assert len(files) == 1
    stored = json.loads(files[0].read_text())
    assert stored["version"] == solvers.__version__ and '"func"' in stored["key"]
    cache.clear_cache()                          # memory gone: only the disk can answer
    _forbid_solving(monkeypatch)
    again = solvers.risk("iso", alpha="0.5", depth=3, sigma2="0.1")
    assert again is not r and again == r and again.risk._mpf_ == r.risk._mpf_
    assert solvers.cache_info()["disk_hits"] == 1
    # another package version never reads this entry
    monkeypatch.setattr("solvers.version.package_version", lambda: "999.0")
    cache.clear_cache()
    with pytest.raises(AssertionError, match="did not come from the cache"):
        solvers.risk("iso", alpha="0.5", depth=3, sigma2="0.1")


def test_corrupt_or_foreign_entries_are_recomputed(fresh, tmp_path):
    solvers.set_cache_dir(tmp_path)
    r = solvers.risk("iso", alpha=2, depth=1)
    (path,) = (tmp_path / f"icl-theory-{solvers.__version__}").glob("*.json")
    path.write_text("{not json")
    cache.clear_cache()
    again = solvers.risk("iso", alpha=2, depth=1)
    assert again == r and json.loads(path.read_text())["result"]     # rewritten, valid
    # an entry whose stored key differs (a hash collision) is not used
    stored = json.loads(path.read_text())
    stored["key"] = stored["key"].replace('"2"', '"3"')
    stored["result"] = cache.encode(solvers.risk("iso", alpha=3, depth=1, cache=False))
    path.write_text(json.dumps(stored))
    cache.clear_cache()
    assert solvers.risk("iso", alpha=2, depth=1) == r


def test_cache_dir_from_the_environment_and_invalid_dirs(fresh, tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV, str(tmp_path / "c"))
    assert cache.cache_dir() == str(tmp_path / "c") and os.path.isdir(tmp_path / "c")
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="cache="):
        solvers.set_cache_dir(f)
    solvers.set_cache_dir(None)                 # off, even with the variable set
    assert cache.cache_dir() is None


def test_sweep_worker_processes_share_the_disk_cache(fresh, tmp_path, monkeypatch):
    from solvers.sweep import parse_grid, sweep

    grid = parse_grid(["alpha=0.5,2", "depth=1,3"])
    first = sweep("risk,gamma", "iso", grid, workers=2, cache=str(tmp_path))
    assert len(list((tmp_path / f"icl-theory-{solvers.__version__}").glob("*.json"))) == 4
    assert cache.cache_dir() is None            # the library call did not select it globally
    _forbid_solving(monkeypatch)
    again = sweep("risk,gamma", "iso", grid, workers=1, cache=str(tmp_path))
    assert again.rows == first.rows


def test_cli_cache_flag(fresh, cli, tmp_path, monkeypatch):
    argv = ("risk", "iso", "--alpha", "2", "--depth", "2", "--json", "--cache", tmp_path)
    code, out1, err = cli(*argv)
    assert code == 0, err
    cache.clear_cache()
    _forbid_solving(monkeypatch)
    code, out2, err = cli(*argv)
    assert code == 0, err
    assert out2 == out1


def test_clear_cache_empties_solver_memo_tables():
    """After clear_cache the next call starts cold: the RRS optimum table and the ζ-moment sums
    that a first call fills are empty again (their sizes read directly, not through the cache)."""
    from solvers.settings import rrs
    from solvers import zeta_moments

    solvers.risk("rrs", nu="1.5", beta=1, depth=8)
    assert len(rrs._OPT_CACHE) >= 1 and zeta_moments.power_law_sums.cache_info().currsize >= 1
    cache.clear_cache()
    assert len(rrs._OPT_CACHE) == 0 and zeta_moments.power_law_sums.cache_info().currsize == 0
    with pytest.raises(TypeError, match="table="):
        cache.register_memo([])
