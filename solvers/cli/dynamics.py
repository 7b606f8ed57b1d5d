"""``icl-theory dynamics SETTING [params] --times T1,T2,…``: gradient-flow time series
(:func:`solvers.analysis.dynamics.dynamics`), or the depth-1 SGD theory with ``--sgd``;
``--out FILE.csv|.json`` writes the series for ``icl-theory plot``."""
from __future__ import annotations

import dataclasses
import inspect
import os

from solvers.cli.common import add_cache, emit, num, require_out_for_force, use_cache
from solvers.outputs import check_file, write_file
from solvers.result import to_json

#: the RRS flow parameterisations (solvers.settings.rrs.PARAMETERIZATIONS; not imported here so
#: that the command line starts without loading the solvers)
PARAMETERIZATIONS = ("reduced", "full", "tied")

#: output formats of --out, by file extension
OUT_FORMATS = (".csv", ".json")


def _out_format(path):
    ext = os.path.splitext(str(path))[1].lower()
    if ext not in OUT_FORMATS:
        raise ValueError(f"out={path!r} is invalid: the file name must end in .csv or .json "
                         "(the format is taken from it)")
    return ext


def run(args):
    if ":" in str(args.times):
        # a range, as in sweep --grid: START:STOP:logN|linN (N points, endpoints included)
        from solvers.sweep import parse_values

        args.times = ",".join(parse_values("times", str(args.times)))
    params = {}
    for name in ("alpha", "context", "depth", "sigma2", "nu", "beta", "dim", "init_scale",
                 "width"):
        v = getattr(args, name, None)
        if v is not None:
            params[name] = num(v)
    if args.parameterization is not None:
        params["parameterization"] = args.parameterization
    if args.sgd:
        for k in ("lr", "tau", "kappa"):
            params[k] = None if getattr(args, k) is None else num(getattr(args, k))
        if args.noiseless_queries:
            params["query_noise"] = False
    _bounded(args, params)
    require_out_for_force(args)
    fmt = None
    if args.out is not None:
        fmt = _out_format(args.out)
        check_file("out", args.out, force=args.force)
    use_cache(args)
    from solvers.analysis.dynamics import dynamics, parse_times

    kwargs = dict(sgd=args.sgd, dps=num(args.dps), **params)
    if args.progress:
        res = _with_progress(dynamics, args.setting, args.times, kwargs,
                             parse_times(args.times, integer=args.sgd))
    else:
        res = _call(dynamics, args.setting, args.times, kwargs)
    if args.out is None:
        emit(res.to_dict(), args.json)
        return 0
    if res.converged is False:
        emit(res.to_dict(), args.json)          # raises ConvergenceError: nothing written
    text = res.to_csv() if fmt == ".csv" else to_json(res.to_dict()) + "\n"
    write_file(args.out, text)
    return 0


def _call(dynamics, setting, times, kwargs):
    from solvers.cache import cached_call

    return cached_call("dynamics", dynamics, {"setting": setting, "times": times, **kwargs})


def _with_progress(dynamics, setting, times, kwargs, parsed):
    """The series with a progress bar over the times: the library's own ``progress`` when its
    ``dynamics`` takes one, otherwise one call per time (merged; each γ(t) is solved to its
    tolerance either way, so the values agree within ``error_estimate``)."""
    from tqdm import tqdm

    if "progress" in inspect.signature(dynamics).parameters:
        return dynamics(setting, times, progress=True, **kwargs)
    parts = [_call(dynamics, setting, [t], kwargs)
             for t in tqdm(parsed, desc=f"dynamics {setting}", unit=" time", leave=False)]
    return merge_series(parts)


def merge_series(parts):
    """One series from single-time series: lists concatenated, the error estimate the maximum,
    ``converged`` all of them; an extra is concatenated when per-time, kept when equal, summed
    when a differing count (e.g. evaluations), else listed per time."""
    first = parts[0]

    def cat(name):
        vals = [getattr(p, name) for p in parts]
        return None if any(v is None for v in vals) else [x for v in vals for x in v]

    extra = {}
    for key in first.extra:
        vals = [p.extra.get(key) for p in parts]
        if all(isinstance(v, (list, tuple)) and len(v) == len(p.times)
               for v, p in zip(vals, parts)):
            extra[key] = [x for v in vals for x in v]
        elif all(v == vals[0] for v in vals):
            extra[key] = vals[0]
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
            extra[key] = sum(vals)
        else:
            extra[key] = vals
    errs = [p.error_estimate for p in parts if p.error_estimate is not None]
    return dataclasses.replace(first, times=cat("times"), risk=cat("risk"), gamma=cat("gamma"),
                               error_estimate=max(errs) if errs else None,
                               converged=all(p.converged for p in parts), extra=extra)


def _bounded(args, params):
    """Refuse, before any work, a run beyond the work limits (sizes, number of times) and a
    flow without the parameters it needs (one line naming them)."""
    from solvers.validate import WORK_LIMITS, require_work_limits

    require_work_limits(params, args.setting)
    n = len([t for t in str(args.times).split(",") if t.strip()])
    limit = WORK_LIMITS["times"]
    if not args.sgd and n > limit:
        raise ValueError(f"times ({n} values) is invalid: at most {limit} times per run (the "
                         "work limit: each time is one solve of the flow); split the run")
    # flags that would be ignored: the SGD constants without --sgd, the initial weight scale
    # of full/tied attention with the reduced Gamma (which starts at 0)
    sgd_only = [f"--{n.replace('_', '-')}" for n in ("lr", "tau", "kappa")
                if getattr(args, n, None) is not None] \
        + (["--noiseless-queries"] if getattr(args, "noiseless_queries", False) else [])
    if sgd_only and not args.sgd:
        raise ValueError(f"{', '.join(sgd_only)} is invalid without --sgd: these flags set the "
                         "online-SGD theory")
    if "init_scale" in params and params.get("parameterization", "reduced") == "reduced":
        raise ValueError(f"init_scale={params['init_scale']} is invalid with the reduced "
                         "parameterization (Gamma starts at 0): give --parameterization full "
                         "or tied")
    if args.setting == "iso" and not args.sgd and "depth" not in params:
        raise ValueError("depth=None is invalid: dynamics iso needs --depth, an integer >= 1 "
                         "or inf")


def register(subparsers):
    """Add ``icl-theory dynamics SETTING [params] --times T1,T2,… [--sgd --lr --tau --kappa]``."""
    p = subparsers.add_parser(
        "dynamics", help="gradient-flow time series, or the depth-1 SGD theory (--sgd)",
        description="Gradient flow dGamma/dt = -grad R from Gamma = 0 on a time grid (or the "
                    "depth-1 online-SGD theory with --sgd).  Output fields: times, risk, gamma "
                    "(lists, one entry per time; gamma is the total step), converged, "
                    "error_estimate (the largest over the grid), method, dps, params; --sgd "
                    "adds the recursion's constants a, a_m, b, c, C0, floor, risk_floor, "
                    "risk_star, eta_max, stable and the lists C, proxy, flow_time "
                    "(docs/theory.md §7, §9).  --out FILE.csv|.json writes the series "
                    "(CSV: one row per time) for icl-theory plot.")
    p.add_argument("setting", choices=("iso", "fs", "rrs"), help="iso, fs or rrs")
    for name, text in (("alpha", "context ratio P/D (> 0 or inf)"),
                       ("depth", "depth L (integer >= 1 or inf)"),
                       ("sigma2", "label-noise variance (>= 0)"),
                       ("nu", "capacity exponent (> 1)"), ("beta", "source exponent (> 0)"),
                       ("dim", "modes of the power-law spectrum (default inf)"),
                       ("init-scale", "initial weight scale (full/tied attention)"),
                       ("width", "rrs: width N (integer >= 1 or inf; finite-width flow; with "
                                 "--alpha/--context the joint width x context flow)"),
                       ("context", "fs/rrs: absolute context length P (finite-context flow; "
                                   "finite alpha also selects it)")):
        p.add_argument(f"--{name}", dest=name.replace("-", "_"), default=None, help=text)
    p.add_argument("--parameterization", default=None, choices=PARAMETERIZATIONS,
                   help="rrs: reduced (Gamma), full (paper's Result 9) or tied (gamma = w^5)")
    p.add_argument("--times", required=True,
                   help="comma-separated times (flow) or integer steps (--sgd), or a range "
                        "START:STOP:logN|linN (N points, endpoints included), e.g. "
                        "0.01:1000:log31")
    p.add_argument("--sgd", action="store_true", help="online-SGD theory (iso, depth 1)")
    p.add_argument("--lr", default=None, help="SGD learning rate eta (> 0)")
    p.add_argument("--tau", default=None, help="batch ratio B/D (> 0)")
    p.add_argument("--kappa", default=None, help="query ratio K/D (> 0)")
    p.add_argument("--noiseless-queries", action="store_true",
                   help="SGD: query labels without noise (the offset b without its query-noise term)")
    p.add_argument("--dps", default="30", help="decimal digits of working precision "
                                               "(integer >= 15; default 30)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--out", default=None, metavar="FILE.csv|FILE.json",
                   help="write the series to this file instead of printing it: .csv one row "
                        "per time (time, risk, gamma, per-time extras), .json the --json "
                        "object (checked before computing; written atomically)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.add_argument("--progress", action="store_true",
                   help="show a progress bar over the times on stderr")
    add_cache(p)
    p.set_defaults(func=run)
    return p
