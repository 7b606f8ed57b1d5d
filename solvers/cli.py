"""The ``icl-theory`` command line (also ``python -m solvers``): a thin shell over ``solvers``.

Invalid input prints one line on stderr and exits with status 2; a solver that does not
converge prints one line and exits with status 3.  ``--json`` prints one JSON object.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys

import mpmath

from solvers.result import ConvergenceError, format_number
from solvers.validate import INF_SPELLINGS, is_inf

SETTINGS = ("iso", "fs", "rrs")

#: modules that add their own subcommand: each defines ``register_cli(subparsers)``, adding a
#: parser whose ``func(args)`` returns an exit status (or None for 0).  Kept here so the
#: command line stays a thin shell: the modules hold the logic.
PLUGINS = ("solvers.dynamics", "solvers.checker", "solvers.sweep", "solvers.laws")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit status 2."""

    def error(self, message):
        raise _UsageError(f"{self.prog}: {message}")


class _UsageError(Exception):
    pass


def _num(text: str):
    """Numeric CLI value: keep decimal strings exact as mpf (integers stay int, inf stays inf)."""
    s = text.strip().lower()
    if s in INF_SPELLINGS:
        return "inf"
    try:
        return int(s)
    except ValueError:
        pass
    if not _is_decimal(s):
        return text
    with mpmath.workdps(80):  # an mpf keeps the precision it was made with: 0.1 stays 0.1
        return mpmath.mpf(s)


def _is_decimal(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


_MODEL_PARAMS = {
    "alpha": "context ratio P/D (> 0 or inf)",
    "depth": "depth L (integer >= 1 or inf)",
    "sigma2": "label-noise variance (>= 0)",
    "gamma": "preconditioner scale Gamma = gamma*I (>= 0); omitted = optimal",
    "nu": "capacity exponent (> 1)",
    "beta": "source exponent (> 0)",
    "time": "gradient-flow time (>= 0 or inf)",
    "width": "residual-stream width N (integer >= 1 or inf)",
    "context": "context length P in the power-law regime (integer >= 1 or inf)",
}


def _add_model_params(p, names):
    for name in names:
        p.add_argument(f"--{name}", type=str, default=None, help=_MODEL_PARAMS[name])


def _given(args, names):
    out = {}
    for name in names:
        v = getattr(args, name, None)
        if v is not None:
            out[name] = _num(v)
    return out


def emit(obj: dict, as_json: bool, lines=None):
    """Print ``obj`` as one JSON object (``--json``) or as aligned ``key: value`` lines."""
    if as_json:
        print(json.dumps(obj))
    else:
        for line in (lines if lines is not None else _human(obj)):
            print(line)


def _human(d: dict):
    for k, v in d.items():
        if isinstance(v, dict):
            inner = ", ".join(f"{ik}={iv}" for ik, iv in v.items())
            yield f"{k:>16}: {inner}"
        else:
            yield f"{k:>16}: {v}"


def _cmd_risk(args):
    import solvers

    params = _given(args, _MODEL_PARAMS)
    if args.dim is not None:
        params["dim"] = _num(args.dim)
    res = solvers.risk(args.setting, dps=_num(args.dps), **params)
    emit(res.to_dict(), args.json)


def _default_gamma(setting, params):
    """The theory's optimal γ for the simulator when the user gives none."""
    import solvers

    if setting == "iso":
        sub = {k: params[k] for k in ("alpha", "depth", "sigma2") if k in params}
        return float(solvers.risk("iso", dps=20, **sub).gamma)
    if setting == "rrs" and is_inf(params.get("alpha", "inf")) and "width" not in params:
        sub = {k: params[k] for k in ("nu", "beta", "depth", "dim") if k in params}
        return float(solvers.risk("rrs", dps=20, **sub).gamma)
    raise ValueError(f"gamma is required for simulate {setting} (got none): pass --gamma >= 0")


def _cmd_simulate(args):
    import solvers

    params = _given(args, ("alpha", "depth", "sigma2", "gamma", "nu", "beta", "width"))
    for k, v in list(params.items()):
        params[k] = float(v) if isinstance(v, mpmath.mpf) else v
    if "gamma" not in params and args.setting == "iso":
        params["gamma"] = _default_gamma(args.setting, params)
    if args.setting in ("fs", "rrs"):
        from solvers.spectra import PowerLaw

        nu, beta = params.pop("nu", None), params.pop("beta", None)
        if nu is None or beta is None:
            raise ValueError(f"simulate {args.setting} needs --nu and --beta (got nu={nu}, beta={beta})")
        import numpy as np

        lam, omega = PowerLaw(nu, beta, dim=_num(args.dim)).modes(dps=20)
        params["lam"] = np.array([float(v) for v in lam])
        params["omega"] = np.array([float(v) for v in omega])
        if "gamma" not in params:
            params["gamma"] = _default_gamma(args.setting, {**params, "nu": nu, "beta": beta,
                                                            "dim": _num(args.dim)})
    else:
        for k in ("nu", "beta"):
            if k in params:
                raise ValueError(f"{k}={params[k]} is not a parameter of setting 'iso'")
    if args.train_steps is not None:
        emit(_train(args, params), args.json)
        return
    res = solvers.simulate(args.setting, dim=_num(args.dim), contexts=_num(args.contexts),
                           seed=_num(args.seed), progress=args.progress, **params)
    d = res.to_dict()
    keys = ("setting", "risk", "stderr", "dim", "contexts", "seed", "gamma", "params", "method")
    emit({k: d[k] for k in keys if k in d}, args.json)


def _train(args, params):
    """``simulate … --train-steps T --lr η``: train the reduced-Γ model by online SGD from Γ = 0
    (:func:`solvers.training.train_reduced`) and report the final ICL risk and the curve."""
    from solvers.training import train_reduced

    if args.lr is None:
        raise ValueError("lr is required with --train-steps (got none): pass --lr > 0")
    params.pop("gamma", None)  # training learns Γ
    dim = _num(args.dim)
    res = train_reduced(args.setting, dim=dim, steps=_num(args.train_steps), lr=_num(args.lr),
                        batch=_num(args.batch) if args.batch else dim,
                        queries=_num(args.queries) if args.queries else dim,
                        tied=not args.untied, seed=_num(args.seed),
                        eval_contexts=_num(args.contexts), progress=args.progress, **params)
    d = res.to_dict()
    d["contexts"] = _num(args.contexts)
    return d


def _cmd_exponents(args):
    from solvers.exponents import exponents

    res = exponents(args.setting, nu=_num(args.nu), beta=_num(args.beta))
    emit(res.to_dict(), args.json)


def _cmd_shape(args):
    from solvers.shape import shape

    res = shape(_num(args.nu), _num(args.beta), budget=args.budget, setting=args.setting)
    emit(res.to_dict(), args.json)


def _cmd_report(args):
    from solvers.report import report

    summary = report(out=args.out, quick=args.quick, progress=not args.json)
    if args.json:
        print(json.dumps(summary))
    else:
        print(summary["text"])


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="icl-theory",
                     description="Exact asymptotic theory of in-context regression by deep "
                                 "linear attention (Bordelon, Letey, Pehlevan 2025).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("risk", help="exact asymptotic risk")
    p.add_argument("setting", choices=SETTINGS)
    _add_model_params(p, _MODEL_PARAMS)
    p.add_argument("--dim", default=None, help="number of modes of a power-law spectrum (default inf)")
    p.add_argument("--dps", default="30", help="decimal digits of precision (>= 15)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=_cmd_risk)

    p = sub.add_parser("simulate", help="Monte-Carlo risk from the numpy simulator")
    p.add_argument("setting", choices=SETTINGS)
    _add_model_params(p, ("alpha", "depth", "sigma2", "gamma", "nu", "beta", "width"))
    p.add_argument("--dim", default="256", help="dimension D (default 256)")
    p.add_argument("--contexts", default="200", help="number of contexts (default 200)")
    p.add_argument("--seed", default="0", help="random seed (default 0)")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.add_argument("--train-steps", default=None, help="train Γ by online SGD for T steps")
    p.add_argument("--lr", default=None, help="SGD learning rate η (with --train-steps)")
    p.add_argument("--batch", default=None, help="contexts per SGD step (default D)")
    p.add_argument("--queries", default=None, help="query points per context (default D)")
    p.add_argument("--untied", action="store_true", help="one Γ_ℓ per layer")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("exponents", help="scaling exponents derived from (nu, beta)")
    p.add_argument("setting", choices=SETTINGS)
    p.add_argument("--nu", required=True)
    p.add_argument("--beta", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_exponents)

    p = sub.add_parser("shape", help="compute-optimal allocation for a budget formula")
    p.add_argument("--nu", required=True)
    p.add_argument("--beta", required=True)
    p.add_argument("--budget", default="t*P**2*N**2*L",
                   help="monomial in t, P, N, L (default t*P**2*N**2*L)")
    p.add_argument("--setting", default="rrs", choices=("rrs", "fs"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_shape)

    p = sub.add_parser("report", help="the main job: tables (and figures) of the theory")
    p.add_argument("--out", default=None, help="directory to write the report into")
    p.add_argument("--quick", action="store_true", help="small, fast version")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_report)
    for name in PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # not built yet
                continue
            raise
        module.register_cli(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        status = args.func(args)
    except _UsageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"icl-theory: error: {exc}", file=sys.stderr)
        return 2
    except ConvergenceError as exc:
        print(f"icl-theory: not converged: {exc}", file=sys.stderr)
        return 3
    return int(status or 0)


__all__ = ["main", "build_parser", "format_number"]
