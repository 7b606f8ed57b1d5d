"""A persistent cache of symbolic derivations (so a fresh process does not redo them).

A derivation here is a pure function of its arguments and of the ``theory/`` sources.  Its
result (sympy expressions in dataclasses) is pickled in a per-user directory under a key that
hashes the function's name, its arguments, the sympy and Python versions and the text of every
``theory/*.py`` file: editing any derivation, or upgrading sympy, invalidates every entry.
Directory: ``$ICL_THEORY_DERIVATION_CACHE`` if set (``off`` disables the cache), else
``$XDG_CACHE_HOME/icl-theory`` or ``~/.cache/icl-theory``.  Any I/O problem silently falls back
to deriving (the cache can only save time, never change a result).
"""
from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

__all__ = ["disk_cached", "cache_dir", "enabled"]

_SOURCE_HASH = []


def cache_dir() -> Path | None:
    """The cache directory, or None when disabled (``ICL_THEORY_DERIVATION_CACHE=off``)."""
    env = os.environ.get("ICL_THEORY_DERIVATION_CACHE")
    if env is not None:
        return None if env.strip().lower() in ("off", "0", "no", "false", "") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "icl-theory"


def enabled() -> bool:
    return cache_dir() is not None


def _source_hash() -> str:
    if not _SOURCE_HASH:
        import sympy
        h = hashlib.sha256()
        h.update(f"sympy {sympy.__version__} python {sys.version_info[:2]}".encode())
        for path in sorted(Path(__file__).parent.glob("*.py")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
        _SOURCE_HASH.append(h.hexdigest())
    return _SOURCE_HASH[0]


def disk_cached(func):
    """Decorator: results of ``func(*args)`` (hashable, repr-stable arguments) kept on disk and
    in memory; ``func.uncached`` is the plain derivation."""
    memo = {}

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        mkey = (args, tuple(sorted(kwargs.items())))
        if mkey in memo:
            return memo[mkey]
        d = cache_dir()
        path = None
        if d is not None:
            key = hashlib.sha256(repr((func.__module__, func.__qualname__, args,
                                       sorted(kwargs.items()), _source_hash())).encode())
            path = d / f"{func.__qualname__}-{key.hexdigest()[:32]}.pickle"
            try:
                with open(path, "rb") as fh:
                    out = pickle.load(fh)
                memo[mkey] = out
                return out
            except Exception:  # missing, stale or unreadable: derive
                pass
        out = func(*args, **kwargs)
        memo[mkey] = out
        if path is not None:
            try:
                d.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
                with os.fdopen(fd, "wb") as fh:
                    pickle.dump(out, fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, path)
            except Exception:
                pass
        return out

    wrapper.uncached = func
    wrapper.clear_memory = memo.clear
    return wrapper
