"""``icl-theory exponents`` and ``icl-theory shape``: scaling exponents and the compute-optimal
allocation, derived symbolically (:mod:`theory.exponents`, :mod:`theory.shape`)."""
from __future__ import annotations

from solvers.cli.common import SETTINGS, add_json, add_latex, emit, latex_digits, num
from solvers.result import human_value

#: what every exponent entry holds (shared by the --help of exponents and shape)
ENTRY_FIELDS = ("each entry has expr (the exponent as a formula in nu, beta, resolved in the "
                "regime of the given values: every Min/Max replaced by the side that holds "
                "there, e.g. nu*Min(1, beta) at beta = 0.5 is beta*nu), value (its number), "
                "general (the formula valid in every regime, with its Min/Max), regime (the "
                "inequalities that select expr; empty when expr holds everywhere; a point on a "
                "regime boundary keeps the Min) and latex (expr in LaTeX)")


def register(sub):
    p = sub.add_parser(
        "exponents", help="scaling exponents derived from (nu, beta)",
        description="Every scaling exponent a of R ~ resource^-a, derived symbolically "
                    "(theory/exponents.py) and evaluated at (nu, beta).  Output fields: "
                    "setting, nu, beta; time (gradient-flow time t, reduced Gamma), width (N), "
                    "depth (L, at the optimal gamma), context (P), time_full (t, full attention "
                    "weights); shape (the compute-optimal L ~ N^shape under C = t P^2 N^2 L); "
                    "cutoffs (for each resource r, the exponent c of the index k* ~ r^c of the "
                    "last mode it learns: modes beyond k* are not learned, so R ~ k*^(-nu beta)); "
                    "conditions (where each derivation holds: outside it, e.g. at beta = 1 for "
                    "width, a log factor appears); notes (the equation each law comes from); "
                    "dps.  " + ENTRY_FIELDS + ".  Laws not defined for the setting are nan with "
                    "a note.  --latex prints a tabular (resource, a, value, c).  Details: "
                    "docs/theory.md §6, §9.")
    p.add_argument("setting", choices=SETTINGS,
                   help="rrs or fs (iso has no power-law spectrum: an error)")
    p.add_argument("--nu", required=True,
                   help="capacity exponent of the spectrum, lambda_k = k^-nu (> 1)")
    p.add_argument("--beta", required=True,
                   help="source exponent, omega_k lambda_k ~ k^(-nu*beta-1) (> 0)")
    p.add_argument("--dps", default="30",
                   help="decimal digits of the values (integer >= 15; default 30)")
    add_json(p)
    add_latex(p, "a LaTeX tabular of the exponents")
    p.set_defaults(func=run_exponents)

    p = sub.add_parser(
        "shape", help="compute-optimal allocation for a budget formula",
        description="Compute-optimal exponents of each resource in the budget: resource ~ "
                    "C^exponent for the budget C (a monomial in t, P, N, L), from the separable "
                    "law R ~ sum_r c_r r^(-a_r) of the setting's decay exponents.  Output "
                    "fields: setting, budget, nu, beta; one entry per resource of the budget "
                    "(t, P, N, L: the exponent e of r ~ C^e); risk (the decay exponent e of the "
                    "optimal R* ~ C^-e); L_vs_N (L ~ N^q on the optimal path, when both are in "
                    "the budget); fixed (budget resources that do not enter the risk, held at "
                    "1); dropped (law resources absent from the budget: taken infinite); dps.  "
                    + ENTRY_FIELDS + ".  --latex prints a tabular.  Details: docs/theory.md §6, "
                    "§9.")
    p.add_argument("--nu", required=True,
                   help="capacity exponent of the spectrum, lambda_k = k^-nu (> 1)")
    p.add_argument("--beta", required=True,
                   help="source exponent, omega_k lambda_k ~ k^(-nu*beta-1) (> 0)")
    p.add_argument("--budget", default="t*P**2*N**2*L",
                   help="monomial in t (time), P (context), N (width), L (depth); default "
                        "t*P**2*N**2*L")
    p.add_argument("--setting", default="rrs", choices=("rrs", "fs"),
                   help="whose decay exponents: rrs (default) or fs")
    p.add_argument("--dps", default="30",
                   help="decimal digits of the values (integer >= 15; default 30)")
    add_json(p)
    add_latex(p, "a LaTeX tabular of the allocation")
    p.set_defaults(func=run_shape)


def _show(res, args):
    if args.json and args.latex:
        raise ValueError("--json and --latex are invalid together: choose one output format")
    latex_digits(args)  # refuses --digits without --latex, or out of range
    if args.latex:
        print(res.to_latex(latex_digits(args)), end="")
    elif args.json:
        emit(res.to_dict(), True)
    else:
        emit({k: _brief(v) for k, v in res.to_dict().items()}, False)


def _brief(v):
    """An entry for the text output: expr, value and (when it matters) regime and general."""
    if isinstance(v, dict) and "expr" in v:
        out = {"expr": v["expr"], "value": v["value"]}
        if v.get("regime"):
            out["regime"] = " & ".join(v["regime"])
        if v.get("general") not in (None, v["expr"]):
            out["general"] = v["general"]
        return out
    if isinstance(v, dict) and v and all(isinstance(x, dict) for x in v.values()):
        return {k: "; ".join(f"{ik}={human_value(iv)}" for ik, iv in _brief(x).items())
                for k, x in v.items()}
    return v


def run_exponents(args):
    from solvers.analysis.exponents import exponents

    res = exponents(args.setting, nu=num(args.nu), beta=num(args.beta), dps=num(args.dps))
    _show(res, args)


def run_shape(args):
    from solvers.analysis.shape import shape

    res = shape(num(args.nu), num(args.beta), budget=args.budget, setting=args.setting,
                dps=num(args.dps))
    _show(res, args)
