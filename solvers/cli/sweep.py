"""``icl-theory sweep QUANTITY[,QUANTITY…] SETTING --grid NAME=VALUES …``: quantities over a
parameter grid, on local processes or a Dask scheduler (:func:`solvers.sweep.sweep`)."""
from __future__ import annotations

from solvers.cli.common import add_cache, add_latex, latex_digits, require_out_for_force
from solvers.outputs import check_file, write_file
from solvers.result import to_json


def register(subparsers):
    p = subparsers.add_parser(
        "sweep", help="evaluate one or more quantities over a parameter grid (local processes "
                      "or a Dask scheduler)",
        description="Evaluate quantities of the exact solver (or the simulator) on the Cartesian "
                    "product of the grids.  Output: one row per grid point with the grid "
                    "parameters (as given) and one column per quantity (CSV; --json a list of "
                    "row objects; --latex a tabular).  Several comma-separated quantities come "
                    "from one solve per point.")
    p.add_argument("quantity",
                   help="a field of the risk result (risk, gamma, error_estimate, bias, "
                        "variance, …) or simulate.risk / simulate.stderr; several "
                        "comma-separated (risk,gamma,error_estimate) give one column each")
    p.add_argument("setting", choices=("iso", "fs", "rrs"), help="iso, fs or rrs")
    p.add_argument("--grid", action="append", default=[], metavar="NAME=VALUES",
                   help="a parameter and its values: comma list (1,2,inf) or START:STOP:logN|linN "
                        "(N points, endpoints included); repeatable, one per parameter")
    p.add_argument("--scheduler", default=None,
                   help="address of a running dask.distributed scheduler (default: local "
                        "processes)")
    p.add_argument("--workers", default=None,
                   help="local worker processes (integer >= 1; default: the CPU count; "
                        "1 = in-process)")
    p.add_argument("--out", default=None,
                   help="write the CSV (or JSON with --json, LaTeX with --latex) to this file "
                        "(checked before computing; written atomically)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.add_argument("--progress", action="store_true",
                   help="show a progress bar over the grid points (on stderr)")
    p.add_argument("--json", action="store_true", help="a JSON list of rows instead of CSV")
    add_latex(p)
    add_cache(p)
    p.set_defaults(func=run)


def run(args):
    from solvers.sweep import parse_grid, parse_quantities, sweep

    if args.json and args.latex:
        raise ValueError("--json and --latex are invalid together: choose one output format")
    parse_quantities(args.quantity)
    grid = parse_grid(args.grid)
    digits = latex_digits(args) if args.latex or args.digits is not None else None
    require_out_for_force(args)
    if args.out is not None:
        check_file("out", args.out, force=args.force)
    res = sweep(args.quantity, args.setting, grid, scheduler=args.scheduler,
                workers=args.workers, progress=args.progress, cache=args.cache)
    if args.json:
        text = to_json(res.rows)
    elif args.latex:
        text = res.to_latex(digits)
    else:
        text = res.to_csv()
    if args.out is not None:
        write_file(args.out, text if text.endswith("\n") else text + "\n")
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return 0
