"""``icl-theory report --out DIR``: the main job — the paper's figures from the exact theory with
simulator points (:func:`solvers.report.report`)."""
from __future__ import annotations

from solvers.cli.common import add_json
from solvers.result import to_json


def register(sub):
    p = sub.add_parser("report", help="the main job: the paper's figures, theory and simulator",
                       description="Regenerate the paper's figures: one PNG and one JSON (the data "
                                   "behind every curve) per figure, and index.md. Every simulator "
                                   "point series carries 'theory' (the exact value at its own x "
                                   "and size, finite-size theory where D, P or N is finite) and "
                                   "'err' (one standard error); index.md tabulates the z-scores "
                                   "per figure and checks each derived scaling law against the "
                                   "exact curve's last local slope.")
    p.add_argument("--out", default=None, help="directory to write the report into")
    p.add_argument("--quick", action="store_true",
                   help="small, fast version (a smoke test: every figure, fewer points)")
    add_json(p)
    p.set_defaults(func=run)


def run(args):
    from solvers.report import report

    summary = report(out=args.out, quick=args.quick, progress=not args.json)
    if args.json:
        print(to_json(summary))
    else:
        print(summary["text"])
