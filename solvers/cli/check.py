"""``icl-theory check FILE_OR_DIR…``: check claims files (hand derivations) against the exact
model (:mod:`solvers.checker`)."""
from __future__ import annotations

from solvers.result import to_json



def run(args):
    as_json = args.json
    lines = []

    def show(v):
        if not as_json:
            print(v.line, flush=True)
    from solvers.checker import check_files

    verdicts = check_files(args.paths, progress=show)
    bad = [v for v in verdicts if not v.ok and v.status != "skipped"]
    counts = {}
    for v in verdicts:
        key = f"{v.status} ({v.method})" if v.status != "skipped" else "skipped"
        counts[key] = counts.get(key, 0) + 1
    if as_json:
        print(to_json({"verdicts": [v.to_dict() for v in verdicts], "counts": counts,
                          "unexpected": len(bad), "ok": not bad}))
    else:
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        lines.append(f"{len(verdicts)} claims: {summary}; {len(bad)} unexpected")
        for ln in lines:
            print(ln)
    return 1 if bad else 0


def register(subparsers):
    """Add ``icl-theory check FILE_OR_DIR…`` to the command line."""
    p = subparsers.add_parser("check", help="check claims files (hand derivations) against the "
                                            "exact model")
    p.add_argument("paths", nargs="+", metavar="FILE_OR_DIR",
                   help="claims files (TOML); a directory means every *.toml in it")
    p.add_argument("--json", action="store_true", help="one JSON object with the verdict list")
    p.set_defaults(func=run)
    return p
