"""``icl-theory simulate SETTING [params]``: the Monte-Carlo risk of the numpy simulator, or
(``--train-steps``) the risk reached by training the reduced model with online SGD."""
from __future__ import annotations

import sys

import mpmath

from solvers.cli.common import SETTINGS, add_json, add_model_params, emit, given, num

_PARAMS = ("alpha", "depth", "sigma2", "gamma", "nu", "beta", "width")


def register(sub):
    p = sub.add_parser(
        "simulate", help="Monte-Carlo risk from the numpy simulator",
        description="Monte-Carlo risk of L steps of preconditioned in-context GD (the reduced "
                    "attention model) at dimension D.  Output fields: risk, stderr (one standard "
                    "error), dim, contexts, seed, gamma (the step used; the theory's optimum when "
                    "--gamma is omitted), params, method.")
    p.add_argument("setting", choices=SETTINGS, help="iso, fs or rrs (docs/theory.md)")
    add_model_params(p, _PARAMS)
    p.add_argument("--dim", default="256", help="dimension D (integer >= 1; default 256)")
    p.add_argument("--contexts", default="200",
                   help="number of contexts averaged (integer >= 2; default 200)")
    p.add_argument("--seed", default="0", help="random seed (integer; default 0)")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.add_argument("--train-steps", default=None,
                   help="train Gamma from 0 by online SGD for this many steps instead")
    p.add_argument("--lr", default=None, help="SGD learning rate eta (> 0; with --train-steps)")
    p.add_argument("--batch", default=None,
                   help="contexts per SGD step (integer >= 1; default D; with --train-steps)")
    p.add_argument("--queries", default=None,
                   help="query points per context (integer >= 1; default D; with --train-steps)")
    p.add_argument("--untied", action="store_true",
                   help="one Gamma_l per layer (with --train-steps)")
    add_json(p)
    p.set_defaults(func=run)


def run(args):
    import solvers

    params = given(args, _PARAMS)
    for k, v in list(params.items()):
        # beyond the float range keep the mpf: the library's validation then names the value
        # as given (1e309), not the inf a float conversion makes of it
        params[k] = float(v) if isinstance(v, mpmath.mpf) and mpmath.isfinite(v) \
            and abs(v) <= sys.float_info.max else v
    if args.train_steps is not None:
        emit(_train(args, params), args.json)
        return
    training_only = [f"--{n.replace('_', '-')}" for n in ("lr", "batch", "queries")
                     if getattr(args, n) is not None] + (["--untied"] if args.untied else [])
    if training_only:
        raise ValueError(f"{', '.join(training_only)} is invalid without --train-steps: these "
                         "flags set the SGD training run")
    res = solvers.simulate(args.setting, dim=num(args.dim), contexts=num(args.contexts),
                           seed=num(args.seed), progress=args.progress, **params)
    d = res.to_dict()
    keys = ("setting", "risk", "stderr", "dim", "contexts", "seed", "gamma", "params", "method")
    emit({k: d[k] for k in keys if k in d}, args.json)


def _train(args, params):
    """``--train-steps T --lr η``: train the reduced-Γ model by online SGD from Γ = 0
    (:func:`solvers.simulators.training.train_reduced`); report the final ICL risk and curve."""
    from solvers.simulators.training import train_reduced

    if args.lr is None:
        raise ValueError("lr=None is invalid: --train-steps needs --lr > 0")
    if "gamma" in params:
        raise ValueError(f"gamma={params['gamma']} is invalid with --train-steps: training "
                         "learns Gamma from 0")
    if args.setting in ("fs", "rrs"):
        from solvers.spectra import PowerLaw
        import numpy as np

        nu, beta = params.pop("nu", None), params.pop("beta", None)
        if nu is None or beta is None:
            raise ValueError(f"nu={nu}, beta={beta} is invalid: simulate {args.setting} needs "
                             "nu > 1 and beta > 0")
        lam, omega = PowerLaw(nu, beta, dim=num(args.dim)).modes(dps=20)
        params["lam"] = np.array([float(v) for v in lam])
        params["omega"] = np.array([float(v) for v in omega])
    dim = num(args.dim)
    res = train_reduced(args.setting, dim=dim, steps=num(args.train_steps), lr=num(args.lr),
                        batch=num(args.batch) if args.batch else dim,
                        queries=num(args.queries) if args.queries else dim,
                        tied=not args.untied, seed=num(args.seed),
                        eval_contexts=num(args.contexts), progress=args.progress, **params)
    d = res.to_dict()
    d["contexts"] = num(args.contexts)
    return d
