"""``icl-theory sweep QUANTITY SETTING --grid NAME=VALUES …``: a quantity over a parameter grid,
on local processes or a Dask scheduler (:func:`solvers.sweep.sweep`)."""
from __future__ import annotations

from solvers.outputs import check_file, write_file
from solvers.result import to_json


def register(subparsers):
    p = subparsers.add_parser("sweep", help="evaluate a quantity over a parameter grid "
                                            "(local processes or a Dask scheduler)")
    p.add_argument("quantity", help="risk, gamma, error_estimate, bias, variance, … or "
                                    "simulate.risk / simulate.stderr")
    p.add_argument("setting", choices=("iso", "fs", "rrs"))
    p.add_argument("--grid", action="append", default=[], metavar="NAME=VALUES",
                   help="comma list or START:STOP:logN|linN; repeatable")
    p.add_argument("--scheduler", default=None, help="dask.distributed scheduler address")
    p.add_argument("--workers", default=None, help="local worker processes (default: CPUs)")
    p.add_argument("--out", default=None,
                   help="write the CSV (or JSON with --json) to this file (checked before "
                        "computing; written atomically)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.add_argument("--progress", action="store_true")
    p.add_argument("--json", action="store_true", help="a JSON list of rows instead of CSV")
    p.set_defaults(func=run)


def run(args):
    from solvers.sweep import parse_grid, sweep

    grid = parse_grid(args.grid)
    if args.out is not None:
        check_file("out", args.out, force=args.force)
    res = sweep(args.quantity, args.setting, grid, scheduler=args.scheduler,
                workers=args.workers, progress=args.progress)
    text = to_json(res.rows) if args.json else res.to_csv()
    if args.out is not None:
        write_file(args.out, text if text.endswith("\n") else text + "\n")
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return 0

