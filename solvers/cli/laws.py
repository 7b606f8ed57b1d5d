"""``icl-theory laws SETTING --nu NU --beta B``: the scaling laws with exact prefactors, first
corrections and crossovers (:func:`solvers.analysis.laws.laws`); with ``--width``/``--depth``/
``--context``/``--time`` the bottleneck at that point (:func:`solvers.analysis.laws.phase`)."""
from __future__ import annotations

from solvers.cli.common import add_dps, add_json, emit, num

SETTINGS = ("rrs", "fs")


def register(sub):
    p = sub.add_parser(
        "laws", help="scaling laws with exact prefactors, first corrections and crossovers",
        description="The leading term prefactor * resource^-exponent * (log resource)^log_power "
                    "of every law of the setting, derived in closed form (theory/laws.py), its "
                    "first correction and the crossovers between laws.  Output fields per law: "
                    "exponent, prefactor, log_power, expression, correction (the relative first "
                    "correction), remainder; crossovers: the resource at which one law overtakes "
                    "another.  Give --width/--context/--time (and --depth) for the bottleneck "
                    "phase at that point: the separable law's terms, the limiting resource and "
                    "the exact risk where a solver exists.")
    p.add_argument("setting", choices=SETTINGS, help="rrs or fs")
    p.add_argument("--nu", required=True, help="capacity exponent (> 1)")
    p.add_argument("--beta", required=True, help="source exponent (> 0)")
    p.add_argument("--depth", default=None,
                   help="depth L (integer >= 1 or inf): of the time laws, or of the phase point "
                        "(default inf)")
    for name, text in (("width", "width N of the phase point (integer >= 1 or inf)"),
                       ("context", "context P of the phase point (>= 1 or inf)"),
                       ("time", "gradient-flow time t of the phase point (> 0 or inf)")):
        p.add_argument(f"--{name}", default=None, help=text)
    p.add_argument("--offsets", action="store_true",
                   help="also compute the time offsets t_0 of the first correction (seconds)")
    p.add_argument("--no-exact", dest="exact", action="store_false",
                   help="phase: skip the exact risks (only the separable law)")
    add_dps(p)
    add_json(p)
    p.add_argument("--latex", action="store_true", help="the laws as LaTeX lines")
    p.add_argument("--progress", action="store_true",
                   help="show the solver steps on stderr (the phase point's exact risks, the "
                        "time offsets: seconds each)")
    p.set_defaults(func=run)


def run(args):
    from solvers.analysis.laws import laws, phase

    point = {k: num(getattr(args, k)) for k in ("width", "context", "time")
             if getattr(args, k) is not None}
    depth = num(args.depth) if args.depth is not None else "inf"
    # flags that would be ignored
    if args.json and args.latex:
        raise ValueError("--json and --latex are invalid together: choose one output format")
    if not args.exact and not point:
        raise ValueError("--no-exact is invalid without a phase point (--width, --context or "
                         "--time): it skips the phase point's exact risks")
    if args.latex and point:
        raise ValueError("--latex is invalid with a phase point (--width, --context or --time): "
                         "it prints the laws table")
    if args.offsets and point:
        raise ValueError("--offsets is invalid with a phase point (--width, --context or "
                         "--time): the offsets belong to the laws table")
    from solvers.progress import tqdm_reporting
    if point:
        with tqdm_reporting(f"laws {args.setting} (phase)", enabled=args.progress):
            res = phase(args.setting, num(args.nu), num(args.beta), depth=depth,
                        dps=num(args.dps), exact=args.exact, **point)
        emit(res.to_dict(), args.json)
        return
    with tqdm_reporting(f"laws {args.setting}", enabled=args.progress):
        res = laws(args.setting, num(args.nu), num(args.beta), dps=num(args.dps), depth=depth,
                   offsets=args.offsets)
    d = res.to_dict()
    if args.latex and not args.json:
        print("\n".join(f"% {k}\n{v['latex']}" for k, v in d["laws"].items()))
        return
    if args.json:
        emit(d, True)
        return
    for k, v in d["laws"].items():
        log = f" (log {v['resource']})^{v['log_power']}" if v["log_power"] else ""
        corr = (f"relative {v['correction_order_here']}" if v["correction_order_here"] != "0"
                else f"none algebraic; remainder {v['remainder']}")
        print(f"{k}: R ~ {v['prefactor']} {v['resource']}^-{v['exponent']}{log}"
              f"   [first correction: {corr}]")
    for k, v in d["crossovers"].items():
        print(f"crossover {k}: {v['expression']}, c = {v['prefactor']}, e = {v['exponent']}, "
              f"l = {v['log_power']}")
