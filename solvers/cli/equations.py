"""``icl-theory equations SETTING [--width] [--context] [--latex]``: the fixed-point, resolvent,
two-point and flow equations the package derives (:mod:`theory.equations`)."""
from __future__ import annotations

from solvers.cli.common import SETTINGS, add_json


def register(sub):
    p = sub.add_parser(
        "equations", help="the derived fixed-point, resolvent, two-point and flow equations",
        description="Print the equations the package derives symbolically for a setting, "
                    "straight from theory/ (theory/equations.py collects them): the risk, the "
                    "fixed point of the optimal gamma, the gradient flows (and, for iso, the "
                    "depth-1 optimum and the SGD recursion); --context adds case C (finite "
                    "context: GD filter, Cauchy representation, one-point structured-Wishart "
                    "equation, two-resolvent equivalent); --width adds case W (finite width: "
                    "free-product one-point relation, resolvent, Dyson coefficient, two-point "
                    "function, absolute regime).  Output: 'name: lhs = rhs' lines with a '#' "
                    "description; --latex an align environment (one labelled line each); "
                    "--json a list of {name, description, sympy, latex} (sympy: the Eq as "
                    "sympy.sstr text).  Notation: docs/theory.md.")
    p.add_argument("setting", choices=SETTINGS, help="iso, fs or rrs")
    p.add_argument("--width", action="store_true",
                   help="add the finite-width equations (case W; rrs only)")
    p.add_argument("--context", action="store_true",
                   help="add the finite-context equations (case C)")
    p.add_argument("--depth", default=None,
                   help="substitute the depth L (integer >= 1 or inf; default: the symbol L; "
                        "iso at an integer depth adds the explicit risk polynomial)")
    p.add_argument("--latex", action="store_true",
                   help="print an align environment (labels icl:SETTING:NAME) for a paper")
    p.add_argument("--pretty", action="store_true",
                   help="print each equation with sympy's 2-D pretty printer")
    add_json(p)
    p.set_defaults(func=run)


#: the largest integer --depth substituted symbolically (work limit; see run)
EQUATIONS_DEPTH_LIMIT = {"iso": 20, "other": 200}


def run(args):
    from theory.equations import equations, to_latex, to_text
    from solvers.result import to_json

    chosen = [n for n in ("json", "latex", "pretty") if getattr(args, n)]
    if len(chosen) > 1:
        raise ValueError(f"--{' and --'.join(chosen)} are invalid together: choose one output "
                         "format")
    depth = args.depth
    if depth is not None:
        from solvers.validate import require_int

        # the symbolic work grows steeply with an integer depth (measured: iso's explicit risk
        # polynomial 3.8 s at L = 20, over a minute at L = 40; rrs/fs 4.5 s at L = 200, 48 s
        # at L = 1000): larger depths are refused before any work; the symbol L and inf stay
        limit = EQUATIONS_DEPTH_LIMIT["iso" if args.setting == "iso" else "other"]
        depth = require_int("depth", depth, minimum=1, allow_inf=True, maximum=limit)
        depth = "inf" if depth == float("inf") else depth
    eqs = equations(args.setting, width=args.width, context=args.context, depth=depth)
    if args.json:
        print(to_json([e.to_dict() for e in eqs]))
    elif args.latex:
        print(to_latex(eqs, label_prefix=f"icl:{args.setting}"), end="")
    else:
        print(to_text(eqs, pretty=args.pretty), end="")
    return 0
