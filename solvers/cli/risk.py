"""``icl-theory risk SETTING [params]``: the exact asymptotic risk (:func:`solvers.risk`)."""
from __future__ import annotations

from solvers.cli.common import (MODEL_PARAMS, SETTINGS, add_cache, add_dps, add_json,
                                add_model_params, emit, given, num, use_cache)


def register(sub):
    p = sub.add_parser(
        "risk", help="exact asymptotic risk (optimal gamma when --gamma is omitted)",
        description="Exact asymptotic excess risk (zero predictor = 1).  Output fields: risk; "
                    "gamma (the total step used, optimal if not given; per-layer step gamma/L); "
                    "converged; error_estimate (an upper bound on |risk error|); method (the "
                    "solver used); dps; iterations; params (the parameters as given); plus "
                    "solver-specific fields (docs/theory.md, 'Output fields').")
    p.add_argument("setting", choices=SETTINGS, help="iso, fs or rrs (docs/theory.md)")
    add_model_params(p, MODEL_PARAMS)
    p.add_argument("--dim", default=None,
                   help="number of modes D of the power-law spectrum (integer >= 1 or inf; "
                        "default inf)")
    add_dps(p)
    add_json(p)
    add_cache(p)
    p.add_argument("--progress", action="store_true",
                   help="show the steps of long searches (the optimal-gamma iteration, "
                        "gamma(t)) on stderr")
    p.set_defaults(func=run)


def run(args):
    import solvers

    params = given(args, MODEL_PARAMS)
    if args.dim is not None:
        params["dim"] = num(args.dim)
    use_cache(args)
    from solvers.progress import tqdm_reporting

    with tqdm_reporting(f"risk {args.setting}", enabled=args.progress):
        res = solvers.risk(args.setting, dps=num(args.dps), **params)
    emit(res.to_dict(), args.json)
