"""``icl-theory exponents`` and ``icl-theory shape``: scaling exponents and the compute-optimal
allocation, derived symbolically (:mod:`theory.exponents`, :mod:`theory.shape`)."""
from __future__ import annotations

from solvers.cli.common import SETTINGS, add_json, emit, num


def register(sub):
    p = sub.add_parser(
        "exponents", help="scaling exponents derived from (nu, beta)",
        description="Every scaling exponent a of R ~ resource^-a, derived symbolically.  Output "
                    "fields: time, width, depth, context, time_full (each with expr, the exponent "
                    "as a formula in nu, beta, and value, its number), shape (the compute-optimal "
                    "L ~ N^shape), cutoffs (the mode index k* at which each resource stops "
                    "learning, as a power of the resource).")
    p.add_argument("setting", choices=SETTINGS, help="iso, fs or rrs")
    p.add_argument("--nu", required=True, help="capacity exponent (> 1)")
    p.add_argument("--beta", required=True, help="source exponent (> 0)")
    add_json(p)
    p.set_defaults(func=run_exponents)

    p = sub.add_parser(
        "shape", help="compute-optimal allocation for a budget formula",
        description="Compute-optimal exponents of each resource in the budget: resource ~ "
                    "C^exponent for the budget C (a monomial in t, P, N, L).  Output fields: one "
                    "entry per free resource (expr, value), risk (the exponent of the optimal "
                    "risk in C), budget, nu, beta.")
    p.add_argument("--nu", required=True, help="capacity exponent (> 1)")
    p.add_argument("--beta", required=True, help="source exponent (> 0)")
    p.add_argument("--budget", default="t*P**2*N**2*L",
                   help="monomial in t (time), P (context), N (width), L (depth); default "
                        "t*P**2*N**2*L")
    p.add_argument("--setting", default="rrs", choices=("rrs", "fs"), help="rrs (default) or fs")
    add_json(p)
    p.set_defaults(func=run_shape)


def run_exponents(args):
    from solvers.analysis.exponents import exponents

    res = exponents(args.setting, nu=num(args.nu), beta=num(args.beta))
    emit(res.to_dict(), args.json)


def run_shape(args):
    from solvers.analysis.shape import shape

    res = shape(num(args.nu), num(args.beta), budget=args.budget, setting=args.setting)
    emit(res.to_dict(), args.json)
