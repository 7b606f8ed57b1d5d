"""Parameter sweeps of any quantity the package computes, locally or on a Dask cluster.

``icl-theory sweep QUANTITY SETTING --grid NAME=VALUES [--grid …]`` evaluates ``QUANTITY`` (a key
of the result of :func:`solvers.risk` — ``risk``, ``gamma``, ``error_estimate``, ``bias``,
``variance``, … — or ``simulate.risk`` / ``simulate.stderr`` for the Monte-Carlo simulator; several
comma-separated, ``risk,gamma,error_estimate``, give one column each from one solve per point) on
the Cartesian product of the grids.  VALUES is a comma list (``1,2,4,inf``) or a range
``START:STOP:logN`` / ``START:STOP:linN`` (N points, endpoints included).  Points run on local
processes by default, or on an existing ``dask.distributed`` scheduler (``--scheduler ADDRESS``);
every point is a pure function of its parameters, so both give identical rows.
"""
from __future__ import annotations

import csv
import io
import itertools
import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Sequence

import mpmath
from tqdm import tqdm

from solvers.validate import require_int

_SIM_PREFIX = "simulate."
#: the largest grid one sweep evaluates (split larger sweeps into several runs)
MAX_POINTS = 100_000
#: seconds to wait for a Dask scheduler before reporting it unreachable
CONNECT_TIMEOUT = 10


def parse_values(name: str, text: str) -> list[str]:
    """Grid values as decimal strings (kept as text so no precision is lost before the solver).

    ``"0.1,1,inf"`` → three values; ``"0.1:10:log5"`` → 5 log-spaced values; ``"1:3:lin3"`` →
    1, 2, 3.  Raises ``ValueError`` naming the grid on malformed input."""
    text = text.strip()
    if not text:
        raise ValueError(f"grid {name}= is empty: give a comma list or START:STOP:logN|linN")
    if ":" not in text:
        return [v.strip() for v in text.split(",") if v.strip()]
    parts = text.split(":")
    if len(parts) != 3:
        raise ValueError(f"grid {name}={text!r} is invalid: a range is START:STOP:logN or linN")
    start, stop, spec = parts
    kind = "log" if spec.startswith("log") else "lin" if spec.startswith("lin") else "lin"
    count = spec[3:] if spec[:3] in ("log", "lin") else spec
    n = require_int(f"grid {name} point count", count, minimum=1, maximum=MAX_POINTS)
    with mpmath.workdps(40):
        try:
            a, b = mpmath.mpf(start), mpmath.mpf(stop)
        except (ValueError, TypeError):
            raise ValueError(f"grid {name}={text!r} is invalid: START and STOP must be numbers")
        if not (mpmath.isfinite(a) and mpmath.isfinite(b)):
            # a range to inf or nan has no evenly spaced points (once: 'cannot convert inf or
            # nan to int', naming nothing); inf goes in a comma list (1,10,inf)
            raise ValueError(f"grid {name}={text!r} is invalid: START and STOP must be finite "
                             "numbers (list inf explicitly: 1,10,inf)")
        if kind == "log" and (a <= 0 or b <= 0):
            raise ValueError(f"grid {name}={text!r} is invalid: a log range needs START, STOP > 0")
        if n == 1:
            pts = [a]
        elif kind == "log":
            la, lb = mpmath.log(a), mpmath.log(b)
            pts = [mpmath.exp(la + (lb - la) * i / (n - 1)) for i in range(n)]
            pts[0], pts[-1] = a, b   # the endpoints as given (exp(log 10) prints 10.0)
        else:
            pts = [a + (b - a) * i / (n - 1) for i in range(n)]
        return [str(int(p)) if p == int(p) else mpmath.nstr(p, 20) for p in pts]


def parse_grid(items: Sequence[str]) -> dict[str, list[str]]:
    """``["alpha=0.5,1", "depth=1:8:lin8"]`` → ordered ``{name: values}``."""
    grid: dict[str, list[str]] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"grid={item!r} is invalid: use NAME=VALUES")
        name, values = item.split("=", 1)
        name = name.strip()
        if not name.isidentifier():
            raise ValueError(f"grid={item!r} is invalid: {name!r} is not a parameter name")
        if name in grid:
            raise ValueError(f"grid {name} is given twice")
        grid[name] = parse_values(name, values)
    if not grid:
        raise ValueError("grid is empty: give at least one --grid NAME=VALUES")
    return grid


def _integerish(name: str, value: str):
    # depth/width/context/dim/contexts/seed are integers; "8.0" from a lin range means 8
    if name in ("depth", "width", "context", "dim", "contexts", "seed") and value.lower() not in (
            "inf", "infinity"):
        f = float(value)
        if f.is_integer():
            return int(f)
    return value


def parse_quantities(quantity) -> list[str]:
    """``"risk,gamma"`` (or a list) → ``["risk", "gamma"]``: one column per quantity, in order.
    ValueError naming ``quantity`` for an empty or repeated entry."""
    items = quantity.split(",") if isinstance(quantity, str) else list(quantity)
    items = [str(q).strip() for q in items]
    if not items or any(not q for q in items):
        raise ValueError(f"quantity={quantity!r} is invalid: give one or more comma-separated "
                         "quantities, e.g. risk or risk,gamma,error_estimate")
    dup = sorted({q for q in items if items.count(q) > 1})
    if dup:
        raise ValueError(f"quantity={quantity!r} is invalid: {', '.join(dup)} given twice")
    return items


def evaluate_quantities(quantities, setting: str, params: dict) -> list:
    """Several quantities at one grid point, each solver called once: theory quantities from one
    :func:`solvers.risk` result, ``simulate.*`` ones from one :func:`solvers.simulate` run."""
    import solvers

    kwargs = {k: _integerish(k, v) for k, v in params.items()}
    results = {}
    out = []
    for quantity in quantities:
        sim = quantity.startswith(_SIM_PREFIX)
        key = quantity[len(_SIM_PREFIX):] if sim else quantity
        if sim not in results:
            res = solvers.simulate(setting, **kwargs) if sim else solvers.risk(setting, **kwargs)
            results[sim] = res.to_dict()
        d = results[sim]
        if key not in d:
            raise ValueError(f"quantity={quantity!r} is not computed for setting {setting!r}; "
                             f"available: {', '.join(sorted(k for k in d if k != 'params'))}")
        out.append(d[key])
    return out


def evaluate_point(quantity: str, setting: str, params: dict) -> Any:
    """One grid point: the quantity as a JSON-friendly value (decimal string for mpf); a list
    of values for several comma-separated quantities."""
    quantities = parse_quantities(quantity)
    values = evaluate_quantities(quantities, setting, params)
    return values[0] if len(quantities) == 1 else values


def _evaluate_row(args):
    quantities, setting, params, cache = args
    from solvers.cache import using_cache_dir

    # every worker (in-process, forked, spawned or on Dask) uses the caller's disk cache
    with using_cache_dir(cache):
        return evaluate_quantities(quantities, setting, params)


@dataclass(frozen=True)
class SweepResult:
    """Rows of a sweep: one dict per grid point with the parameters and the quantities
    (``quantity`` as given, e.g. ``"risk,gamma"``; ``quantities`` the list of columns)."""

    quantity: str
    setting: str
    grid: dict
    rows: list = field(default_factory=list)
    backend: str = "local"
    quantities: tuple = ()

    @property
    def columns(self) -> list:
        """Column names: the grid parameters, then the quantities."""
        return list(self.grid) + list(self.quantities or (self.quantity,))

    def to_dict(self) -> dict:
        return {"quantity": self.quantity, "setting": self.setting, "grid": self.grid,
                "backend": self.backend, "rows": self.rows,
                "quantities": list(self.quantities or (self.quantity,))}

    def to_csv(self) -> str:
        buf = io.StringIO()
        names = self.columns
        writer = csv.DictWriter(buf, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: row[k] for k in names})
        return buf.getvalue()

    def to_latex(self, digits: int | None = None) -> str:
        """The rows as a LaTeX ``tabular`` (:func:`solvers.latex.tabular`): parameter columns
        with Greek headings, numbers to ``digits`` significant digits (default 6)."""
        from solvers import latex

        digits = latex.DEFAULT_DIGITS if digits is None else require_int("digits", digits)
        header = [latex.name(c) for c in self.columns]
        rows = [[latex.number(row[c], digits) for c in self.columns] for row in self.rows]
        return latex.tabular(header, rows, align="r" * len(header))


def sweep(quantity: str, setting: str, grid: dict, *, scheduler: str | None = None,
          client=None, workers: int | None = None, progress: bool = False,
          cache: str | None = None) -> SweepResult:
    """Evaluate ``quantity`` (one name, or several comma-separated: one column each) over the
    Cartesian product of ``grid`` (``{name: [values]}``).

    ``scheduler``: address of a running ``dask.distributed`` scheduler (or pass a ``client``);
    otherwise local processes (``workers``, default the CPU count; 1 = in-process).  ``cache``:
    an on-disk cache directory (:mod:`solvers.cache`; default the one set by
    :func:`solvers.set_cache_dir` or ``$ICL_THEORY_CACHE``) shared by every worker, so a point
    computed before is read, not recomputed."""
    from solvers.cache import cache_dir, prepare_dir

    quantities = parse_quantities(quantity)
    cache = prepare_dir(cache) if cache is not None else cache_dir()
    names = list(grid)
    clash = [q for q in quantities if q in names]
    if clash:
        raise ValueError(f"quantity={quantity!r} is invalid: {', '.join(clash)} is also a grid "
                         "parameter (one column each)")
    size = math.prod(len(grid[n]) for n in names)
    if size > MAX_POINTS:
        raise ValueError(f"grid={'x'.join(str(len(grid[n])) for n in names)} is invalid: "
                         f"{size} points, above the limit of {MAX_POINTS}; split the sweep")
    points = [dict(zip(names, combo)) for combo in itertools.product(*(grid[n] for n in names))]
    tasks = [(quantities, setting, p, cache) for p in points]
    if scheduler is not None or client is not None:
        values, backend = _run_dask(tasks, scheduler, client, progress)
    else:
        workers = require_int("workers", workers if workers is not None else (os.cpu_count() or 1))
        values, backend = _run_local(tasks, workers, progress)
    rows = [{**p, **dict(zip(quantities, v))} for p, v in zip(points, values)]
    return SweepResult(quantity=quantity, setting=setting, grid=grid, rows=rows, backend=backend,
                       quantities=tuple(quantities))


def _run_local(tasks, workers, progress):
    if workers == 1 or len(tasks) == 1:
        return [_evaluate_row(t) for t in tqdm(tasks, disable=not progress, desc="sweep")], "local"
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        out = list(tqdm(pool.map(_evaluate_row, tasks), total=len(tasks), disable=not progress,
                        desc="sweep"))
    return out, f"local processes ({min(workers, len(tasks))})"


def _run_dask(tasks, scheduler, client, progress):
    try:
        from dask.distributed import Client, as_completed
    except ImportError:  # pragma: no cover - depends on the install
        raise ValueError("scheduler given but dask.distributed is not installed: "
                         "pip install 'icl-theory[dask]'") from None
    own = client is None
    if own:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 — refused, timed out, or not a Dask scheduler
            # (a server answering garbage made distributed allocate exabytes: a MemoryError)
            raise ValueError(f"scheduler={scheduler!r} is invalid: no Dask scheduler answered "
                             f"there within {CONNECT_TIMEOUT} s ({type(exc).__name__})") from None
    address = getattr(client, "scheduler_info", lambda: {})().get("address", scheduler)
    try:
        futures = client.map(_evaluate_row, tasks, pure=True)
        if progress:
            for _ in tqdm(as_completed(futures), total=len(futures), desc="sweep (dask)"):
                pass
        values = client.gather(futures)
    finally:
        if own:
            client.close()
    return values, f"dask ({address})"
