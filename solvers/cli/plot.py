"""``icl-theory plot FILE --x NAME --y NAME [--hue NAME] --out PNG``: a figure of a sweep or
dynamics output (:func:`solvers.plot.plot_file`)."""
from __future__ import annotations

from solvers.cli.common import add_json, emit


def register(sub):
    p = sub.add_parser(
        "plot", help="plot a sweep or dynamics output file (PNG, PDF or SVG)",
        description="Draw one column of a sweep (CSV or --json) or dynamics (--out FILE.csv|"
                    ".json) output against another: labelled axes (Greek letters for the known "
                    "parameters), one line per value of --hue with a legend, markers when a "
                    "line has few points, optional error bars and log axes.  Points that "
                    "cannot be drawn (inf, non-positive on a log axis) are left out and "
                    "counted.  Output fields: out, points (drawn), series (lines), skipped.")
    p.add_argument("file", help="a CSV or JSON file written by icl-theory sweep or dynamics")
    p.add_argument("--x", required=True, help="column for the horizontal axis (e.g. alpha, "
                                              "depth, time)")
    p.add_argument("--y", required=True,
                   help="column for the vertical axis (e.g. risk); several comma-separated "
                        "draw one line each")
    p.add_argument("--hue", default=None,
                   help="column whose values get one line each (with a legend), e.g. depth")
    p.add_argument("--where", action="append", default=[], metavar="NAME=VALUE",
                   help="keep only rows with this column value (repeatable), e.g. sigma2=0")
    p.add_argument("--err", default=None,
                   help="column of error-bar half-widths (e.g. simulate.stderr)")
    p.add_argument("--logx", action="store_true", help="logarithmic horizontal axis")
    p.add_argument("--logy", action="store_true", help="logarithmic vertical axis")
    p.add_argument("--title", default=None, help="figure title (default none)")
    p.add_argument("--out", required=True,
                   help="output image: .png, .pdf or .svg (checked before reading; written "
                        "atomically)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    add_json(p)
    p.set_defaults(func=run)


def run(args):
    from solvers.plot import plot_file

    where = {}
    for item in args.where:
        if "=" not in item:
            raise ValueError(f"where={item!r} is invalid: use NAME=VALUE")
        k, v = item.split("=", 1)
        where[k.strip()] = v.strip()
    summary = plot_file(args.file, args.x, args.y, out=args.out, hue=args.hue, logx=args.logx,
                        logy=args.logy, err=args.err, where=where or None, title=args.title,
                        force=args.force)
    emit(summary, args.json)
    return 0
