"""``icl-theory dynamics SETTING [params] --times T1,T2,…``: gradient-flow time series
(:func:`solvers.analysis.dynamics.dynamics`), or the depth-1 SGD theory with ``--sgd``."""
from __future__ import annotations

from solvers.cli.common import emit, num
from solvers.settings.rrs import PARAMETERIZATIONS


def run(args):
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
    from solvers.analysis.dynamics import dynamics

    res = dynamics(args.setting, args.times, sgd=args.sgd, dps=num(args.dps), **params)
    emit(res.to_dict(), args.json)


def register(subparsers):
    """Add ``icl-theory dynamics SETTING [params] --times T1,T2,… [--sgd --lr --tau --kappa]``."""
    p = subparsers.add_parser(
        "dynamics", help="gradient-flow time series, or the depth-1 SGD theory (--sgd)")
    p.add_argument("setting", choices=("iso", "fs", "rrs"))
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
                   help="comma-separated times (flow) or integer steps (--sgd)")
    p.add_argument("--sgd", action="store_true", help="online-SGD theory (iso, depth 1)")
    p.add_argument("--lr", default=None, help="SGD learning rate eta (> 0)")
    p.add_argument("--tau", default=None, help="batch ratio B/D (> 0)")
    p.add_argument("--kappa", default=None, help="query ratio K/D (> 0)")
    p.add_argument("--noiseless-queries", action="store_true",
                   help="SGD: query labels without noise (reproduces dmft.md's b)")
    p.add_argument("--dps", default="30", help="decimal digits (>= 15)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=run)
    return p
