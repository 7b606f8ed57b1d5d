"""Caching of repeated solves: an in-process LRU and an optional on-disk store.

A solve is a pure function of its solver, its parameters and ``dps``, and its result is frozen,
so a repeated call may return the very same object.  :func:`cached_call` does that:

* **key** — the solver's qualified name and its keyword arguments with defaults applied, each
  value in a canonical form that equals for equal inputs and differs for different ones:
  numbers become their *exact* rational value as the solvers see them (``0.1`` as a float is
  the decimal ``1/10``, which the solvers read through its shortest repr; ``"0.1"``,
  ``Decimal("0.1")`` and ``mpf("0.1")`` are binary mpf values, each its exact dyadic rational;
  ``64``, ``"64"`` and ``64.0`` are ``64``), ``inf`` in any spelling is ``inf``, other strings
  are tagged as text.  Values that have no canonical form (e.g. arbitrary objects) bypass the
  cache.
* **memory** — an LRU of :data:`MAXSIZE` results per process.
* **disk** (optional: :func:`set_cache_dir`, the environment variable ``ICL_THEORY_CACHE``, or
  ``--cache DIR`` on the command line) — one JSON file per result, named by the SHA-256 of the
  key, under a subdirectory named by the package version (a new version never reads old
  entries), written atomically; numbers are stored exactly (an mpf as its mantissa and
  exponent), and a file whose stored key or version differs from the request is ignored.

A result served from the cache is the object the first call made, so its ``params`` show
that call's spelling of the same values (``2`` where a later call passed ``"2.0"``).

Results are stored only if they say ``converged`` (a solver that fails raises and nothing is
stored).  After changing solver code without changing the version, clear the directory
(:func:`clear_cache`).
"""
from __future__ import annotations

import contextlib
import dataclasses
import decimal
import fractions
import hashlib
import inspect
import json
import math
import os
import threading
from collections import OrderedDict

import mpmath
import numpy as np

from solvers.validate import INF_SPELLINGS

__all__ = ["cached_call", "make_key", "canonical", "set_cache_dir", "cache_dir", "cache_info", "register_memo",
           "clear_cache", "encode", "decode", "prepare_dir", "using_cache_dir", "cache_path", "ENV",
           "MAXSIZE", "Uncacheable"]

#: environment variable naming the on-disk cache directory
ENV = "ICL_THEORY_CACHE"
#: results kept in memory per process
MAXSIZE = 256
#: the largest list (e.g. a spectrum) that is keyed; larger inputs bypass the cache
_MAX_LIST = 100_000
_FORMAT = 1


#: numbers whose numerator or denominator has more bits than this are keyed in hex (4000 bits
#: is about 1200 decimal digits, well inside Python's 4300-digit int→str limit)
_MAX_DECIMAL_BITS = 4000


class Uncacheable(Exception):
    """An argument without a canonical form: the call runs without the cache."""


_lock = threading.RLock()
_memos = []   # solver-internal memo tables (lru_cache functions, dicts), emptied by clear_cache
_memory: "OrderedDict[str, object]" = OrderedDict()
_stats = {"hits": 0, "misses": 0, "disk_hits": 0, "disk_writes": 0}
_dir: list = [None]          # [path] set by set_cache_dir; None = use the environment


# ------------------------------------------------------------------------------------ keys
def _rational(q: fractions.Fraction) -> str:
    if max(abs(q.numerator), q.denominator).bit_length() > _MAX_DECIMAL_BITS:
        # decimal text of a number this big hits Python's int→str limit (a ValueError that
        # names no parameter, e.g. gamma = 1e5000); hex is exact, linear-time and, like the
        # decimal form, a function of the reduced fraction alone
        return f"x:{q.numerator:x}/{q.denominator:x}"
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def _mpf_key(x) -> str:
    if mpmath.isinf(x):
        return "inf" if x > 0 else "-inf"
    if mpmath.isnan(x):
        return "nan"
    man, exp = _signed_man_exp(x)
    return _rational(fractions.Fraction(man) * fractions.Fraction(2) ** exp)


def _signed_man_exp(x):
    """``(man, exp)`` with ``x = man·2^exp`` exactly, the sign in ``man`` (``mpf.man_exp`` drops
    the sign)."""
    sign, man, exp, _ = x._mpf_
    return (-int(man) if sign else int(man)), int(exp)


def canonical(value):
    """The canonical, JSON-serialisable form of one argument (see the module docstring)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return None
    if isinstance(value, bool):
        return f"b:{value}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            return "inf" if value == math.inf else "-inf" if value == -math.inf else "nan"
        # the solvers read a float through its shortest repr (solvers.result.to_mpf)
        return _rational(fractions.Fraction(repr(value)))
    if isinstance(value, mpmath.mpf):
        return _mpf_key(value)
    if isinstance(value, (decimal.Decimal, fractions.Fraction)):
        from solvers.validate import _normalise   # exactly what the validators do with them
        return canonical(_normalise(value))
    if isinstance(value, str):
        s = value.strip().lower()
        if s in INF_SPELLINGS:
            return "inf"
        try:
            if len(s) <= 100 and s:
                if any(ch in s for ch in ".en"):
                    float(s)
                    with mpmath.workdps(80):          # as solvers.validate.as_number
                        return _mpf_key(mpmath.mpf(s))
                return str(int(s))
        except ValueError:
            pass
        return "s:" + value
    if isinstance(value, (list, tuple, np.ndarray)):
        items = value.tolist() if isinstance(value, np.ndarray) else value
        if len(items) > _MAX_LIST:
            raise Uncacheable(f"a list of {len(items)} items")
        return [canonical(v) for v in items]
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    raise Uncacheable(f"no canonical form for {type(value).__name__}")


def make_key(kind: str, func, kwargs: dict) -> str:
    """Canonical key text of ``func(**kwargs)`` (defaults applied; ``progress`` ignored)."""
    sig = inspect.signature(func)
    try:
        bound = sig.bind_partial(**kwargs)
    except TypeError as exc:
        raise Uncacheable(str(exc)) from None
    bound.apply_defaults()
    args = {k: v for k, v in bound.arguments.items() if k not in ("progress", "cache")}
    payload = {"kind": kind, "func": f"{func.__module__}.{func.__qualname__}",
               "args": canonical(args)}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


# ------------------------------------------------------------------------ exact encoding
def _classes():
    from solvers.analysis.dynamics import SgdTheory, TimeSeries
    from solvers.result import Result

    return {"Result": Result, "TimeSeries": TimeSeries, "SgdTheory": SgdTheory}


def encode(obj):
    """JSON-serialisable, exact form of a result (mpf as mantissa/exponent, floats through
    repr, tuples, Decimals, arrays and the result dataclasses tagged); ``Uncacheable`` for
    anything else."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.generic):
        return {"$np": [type(obj).__name__, encode(obj.item())]}
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return {"$f": repr(obj)}
    if isinstance(obj, mpmath.mpf):
        if not mpmath.isfinite(obj):
            return {"$mpf": str(obj)}
        man, exp = _signed_man_exp(obj)
        return {"$mpf": [str(man), exp]}
    if isinstance(obj, mpmath.mpc):
        return {"$mpc": [encode(obj.real), encode(obj.imag)]}
    if isinstance(obj, complex):
        return {"$c": [repr(obj.real), repr(obj.imag)]}
    if isinstance(obj, decimal.Decimal):
        return {"$dec": str(obj)}
    if isinstance(obj, fractions.Fraction):
        return {"$frac": str(obj)}
    if isinstance(obj, tuple):
        return {"$tuple": [encode(v) for v in obj]}
    if isinstance(obj, list):
        return [encode(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return {"$nd": [str(obj.dtype), [encode(v) for v in obj.tolist()]]}
    if isinstance(obj, dict):
        return {"$dict": [[encode(k), encode(v)] for k, v in obj.items()]}
    if dataclasses.is_dataclass(obj) and type(obj).__name__ in _classes() \
            and type(obj) is _classes()[type(obj).__name__]:
        return {"$dc": type(obj).__name__,
                "fields": {f.name: encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}}
    raise Uncacheable(f"cannot store {type(obj).__name__}")


def decode(obj):
    """Inverse of :func:`encode`."""
    if isinstance(obj, list):
        return [decode(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    (tag, val), = obj.items() if len(obj) == 1 else (("$dc", obj),)
    if tag == "$f":
        return float(val)
    if tag == "$mpf":
        if isinstance(val, str):
            return mpmath.mpf(val)
        man, exp = int(val[0]), int(val[1])
        with mpmath.workprec(max(man.bit_length(), 1) + 10):   # exact: no rounding
            return mpmath.mpf((man, exp))
    if tag == "$mpc":
        return mpmath.mpc(decode(val[0]), decode(val[1]))
    if tag == "$c":
        return complex(float(val[0]), float(val[1]))
    if tag == "$dec":
        return decimal.Decimal(val)
    if tag == "$frac":
        return fractions.Fraction(val)
    if tag == "$tuple":
        return tuple(decode(v) for v in val)
    if tag == "$nd":
        return np.array([decode(v) for v in val[1]], dtype=val[0])
    if tag == "$np":
        return getattr(np, val[0])(decode(val[1]))
    if tag == "$dict":
        return {_hashable(decode(k)): decode(v) for k, v in val}
    if tag == "$dc":
        cls = _classes()[val["$dc"]]
        return cls(**{k: decode(v) for k, v in val["fields"].items()})
    raise ValueError(f"unknown cache tag {tag!r}")


def _hashable(k):
    return tuple(k) if isinstance(k, list) else k


# -------------------------------------------------------------------------- directory
def set_cache_dir(path) -> str | None:
    """Store results on disk under ``path`` (created if missing); ``None`` turns the disk cache
    off (the environment variable ``ICL_THEORY_CACHE`` is then ignored too, until the next call
    with a path).  Returns the directory.  ``ValueError`` naming ``cache`` if it cannot be
    used."""
    if path is None:
        _dir[0] = False
        return None
    _dir[0] = prepare_dir(path)
    return _dir[0]


def prepare_dir(path) -> str:
    """Validate (and create) a cache directory without selecting it; its absolute path."""
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ValueError(f"cache={path!r} is invalid: give a directory path")
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"cache={path!r} is invalid: it is an existing file, not a directory")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cache={path!r} is invalid: cannot create it ({exc.strerror})") from None
    if not os.access(path, os.W_OK):
        raise ValueError(f"cache={path!r} is invalid: the directory is not writable")
    return path


@contextlib.contextmanager
def using_cache_dir(path):
    """Use the disk cache ``path`` inside the block (None: leave the current setting)."""
    if path is None:
        yield cache_dir()
        return
    with _lock:
        old = _dir[0]
    set_cache_dir(path)
    try:
        yield _dir[0]
    finally:
        with _lock:
            _dir[0] = old


def cache_dir() -> str | None:
    """The on-disk cache directory in use (``set_cache_dir``, else ``$ICL_THEORY_CACHE``), or
    None."""
    if _dir[0] is False:
        return None
    if _dir[0]:
        return _dir[0]
    env = os.environ.get(ENV, "").strip()
    return set_cache_dir(env) if env else None


def _version_dir(root):
    from solvers.version import package_version

    return os.path.join(root, f"icl-theory-{package_version()}")


def cache_path(key: str, root=None) -> str:
    """The file that holds the result of ``key`` under ``root`` (default :func:`cache_dir`)."""
    root = root or cache_dir()
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return os.path.join(_version_dir(root), digest + ".json")


def _disk_read(key):
    root = cache_dir()
    if root is None:
        return None
    path = cache_path(key, root)
    try:
        with open(path) as fh:
            stored = json.load(fh)
        from solvers.version import package_version

        if stored.get("format") != _FORMAT or stored.get("version") != package_version() \
                or stored.get("key") != key:
            return None
        return decode(stored["result"])
    except (OSError, ValueError, KeyError, TypeError):
        return None      # missing, corrupt or foreign: recompute (and overwrite)


def _disk_write(key, result):
    root = cache_dir()
    if root is None:
        return
    from solvers.outputs import write_file
    from solvers.version import package_version

    try:
        text = json.dumps({"format": _FORMAT, "version": package_version(), "key": key,
                           "result": encode(result)})
    except Uncacheable:
        return
    path = cache_path(key, root)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_file(path, text)
    except OSError:
        return           # a read-only or full disk must not fail the computation
    with _lock:
        _stats["disk_writes"] += 1


# ------------------------------------------------------------------------------- calls
def cached_call(kind: str, func, kwargs: dict, call=None, *, memory: bool = True):
    """``func(**kwargs)`` (or ``call()``), served from memory or disk when the same key was
    computed before.  Arguments without a canonical form bypass the cache."""
    call = call or (lambda: func(**kwargs))
    try:
        key = make_key(kind, func, kwargs)
    except Uncacheable:
        return call()
    if memory:
        with _lock:
            if key in _memory:
                _memory.move_to_end(key)
                _stats["hits"] += 1
                return _memory[key]
    result = _disk_read(key)
    if result is not None:
        with _lock:
            _stats["disk_hits"] += 1
    else:
        with _lock:
            _stats["misses"] += 1
        result = call()
        if getattr(result, "converged", True) is not False:
            _disk_write(key, result)
    if memory and getattr(result, "converged", True) is not False:
        with _lock:
            _memory[key] = result
            _memory.move_to_end(key)
            while len(_memory) > MAXSIZE:
                _memory.popitem(last=False)
    return result


def cache_info() -> dict:
    """Counters (``hits``, ``misses``, ``disk_hits``, ``disk_writes``), the in-memory ``size``
    and ``maxsize``, and the disk ``directory`` (or None)."""
    with _lock:
        return {**_stats, "size": len(_memory), "maxsize": MAXSIZE, "directory": cache_dir()}


def register_memo(table):
    """Let :func:`clear_cache` empty a solver-internal memo ``table`` too (an ``lru_cache``
    function or a dict), so that a cleared cache means a cold start.  Returns ``table``, so it
    can wrap a definition."""
    if not (hasattr(table, "cache_clear") or isinstance(table, dict)):
        raise TypeError(f"table={table!r} is not an lru_cache function or a dict")
    _memos.append(table)
    return table


def clear_cache(*, disk: bool = False):
    """Empty the in-memory cache and every solver-internal memo table (:func:`register_memo`),
    and reset the counters — the next call starts cold; ``disk=True`` also deletes this
    version's files in the disk cache directory."""
    with _lock:
        _memory.clear()
        for table in _memos:
            if isinstance(table, dict):
                table.clear()
            else:
                table.cache_clear()
        for k in _stats:
            _stats[k] = 0
    root = cache_dir()
    if disk and root is not None:
        vdir = _version_dir(root)
        if os.path.isdir(vdir):
            for name in os.listdir(vdir):
                if name.endswith(".json"):
                    try:
                        os.unlink(os.path.join(vdir, name))
                    except OSError:
                        pass
