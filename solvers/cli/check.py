"""``icl-theory check FILE_OR_DIR…``: check claims files (hand derivations) against the exact
model (:mod:`solvers.checker`).

Exit status: 0 when every verdict matches its ``expect``, 1 when one does not (an ``ERROR`` —
a solver failure or an exceeded time limit — counts as unexpected), 2 for a malformed file.  An
overall progress bar (claims done / total) goes to stderr when it is a terminal (not with
``--json``)."""
from __future__ import annotations

import sys

from solvers.result import to_json


def run(args):
    from tqdm import tqdm

    from solvers.checker import DEFAULT_TIMEOUT, check_claim, load_files
    from solvers.checker.limits import MAX_TIMEOUT

    timeout = DEFAULT_TIMEOUT
    if args.timeout is not None:
        try:
            timeout = float(args.timeout)
        except ValueError:
            timeout = None
        if timeout is None or not 0 < timeout <= MAX_TIMEOUT:
            raise ValueError(f"timeout={args.timeout!r} is invalid: timeout must be a number of "
                             f"seconds > 0 and <= {MAX_TIMEOUT}")
    claims = load_files(args.paths, timeout=timeout)  # every file validated before any check
    bar = tqdm(total=len(claims), unit="claim", file=sys.stderr, dynamic_ncols=True,
               disable=args.json or not sys.stderr.isatty(), leave=False,
               mininterval=0, miniters=1)  # a claim takes long enough: draw every step
    verdicts = []
    try:
        for claim in claims:
            bar.set_description_str(claim.name[:40], refresh=False)
            v = check_claim(claim)
            verdicts.append(v)
            if not args.json:
                bar.write(v.line, file=sys.stdout)
            bar.update()
    finally:
        bar.close()
    bad = [v for v in verdicts if not v.ok and v.status != "skipped"]
    counts = {}
    for v in verdicts:
        key = f"{v.status} ({v.method})" if v.status != "skipped" else "skipped"
        counts[key] = counts.get(key, 0) + 1
    if args.json:
        print(to_json({"verdicts": [v.to_dict() for v in verdicts], "counts": counts,
                       "unexpected": len(bad), "ok": not bad}))
    else:
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        print(f"{len(verdicts)} claims: {summary}; {len(bad)} unexpected")
    return 1 if bad else 0


def register(subparsers):
    """Add ``icl-theory check FILE_OR_DIR… [--json] [--timeout S]`` to the command line."""
    p = subparsers.add_parser(
        "check", help="check claims files (hand derivations) against the exact model",
        description="Check every claim of the claims files (format: derivations/README.md). "
                    "Exit status 0: every verdict as expected; 1: some verdict unexpected "
                    "(REFUTED, verified where refuted was expected, or ERROR); 2: a malformed "
                    "file (one line naming the file, line, claim and field). Text output: "
                    "one line per claim, [ok] or [UNEXPECTED], then the verdict (verified "
                    "symbolic/numeric with the largest relative error or the smallest margin; "
                    "REFUTED with the worst point, and claim - exact when the exact side is "
                    "symbolic; ERROR with its reason; skipped only when an optional module is "
                    "missing), and a summary. JSON (--json): 'verdicts' (per claim: name, file, "
                    "quantity, setting, claim, status, method, expect, ok, points, "
                    "max_rel_err, counterexample {params, claimed, exact, rel_err, "
                    "error_estimate}, difference (claim - exact), margin and margin_at "
                    "(inequalities), message, note, result, dps, relation, line), 'counts' "
                    "(per status and method), 'unexpected' and 'ok'.")
    p.add_argument("paths", nargs="+", metavar="FILE_OR_DIR",
                   help="claims files (TOML); a directory means every *.toml in it")
    p.add_argument("--json", action="store_true",
                   help="one JSON object with the verdict list; every number a JSON number with "
                        "all its digits")
    p.add_argument("--timeout", default=None, metavar="SECONDS",
                   help="time limit per claim for claims without a 'timeout' field (default "
                        "600); a claim that exceeds it is an ERROR verdict")
    p.set_defaults(func=run)
    return p
