"""Shared pieces of the command line: the one-line-error parser, numeric flag values, output.

Only :mod:`solvers.cli` prints or exits; the library returns values and raises.
"""
from __future__ import annotations

import argparse

import mpmath

from solvers.result import ConvergenceError, human_value, to_json
from solvers.validate import INF_SPELLINGS

SETTINGS = ("iso", "fs", "rrs")


class UsageError(Exception):
    """A command-line usage error (reported as one line, exit status 2)."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit status 2."""

    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def num(text: str):
    """Numeric flag value: decimal strings stay exact as mpf (integers stay int, inf -> "inf");
    anything else is returned unchanged for the library's validation to reject by name."""
    s = text.strip().lower()
    if s in INF_SPELLINGS:
        return "inf"
    try:
        return int(s)
    except ValueError:
        pass
    try:
        float(s)
    except ValueError:
        return text
    with mpmath.workdps(80):  # an mpf keeps the precision it was made with: 0.1 stays 0.1
        return mpmath.mpf(s)


#: the model parameters shared by several commands, with their help text
MODEL_PARAMS = {
    "alpha": "context ratio P/D (> 0 or inf; default inf)",
    "depth": "depth L = number of layers = in-context GD steps (integer >= 1 or inf)",
    "sigma2": "label-noise variance sigma^2 (>= 0; default 0)",
    "gamma": "total step gamma, Gamma = gamma*I, per-layer step gamma/L (>= 0); "
             "omitted = the optimal gamma",
    "nu": "capacity exponent of the power-law spectrum, lambda_k = k^-nu (> 1)",
    "beta": "source exponent, omega_k lambda_k ~ k^(-nu*beta-1) (> 0)",
    "time": "gradient-flow time t from Gamma = 0 (>= 0 or inf)",
    "width": "residual-stream width N = rank of the projection (integer >= 1 or inf)",
    "context": "context length P at dim = inf (integer >= 1 or inf)",
}


def add_model_params(p, names):
    for name in names:
        p.add_argument(f"--{name}", type=str, default=None, help=MODEL_PARAMS[name])


def given(args, names):
    """The model parameters the user gave, as numbers (see :func:`num`)."""
    out = {}
    for name in names:
        v = getattr(args, name, None)
        if v is not None:
            out[name] = num(v)
    return out


def add_json(p):
    p.add_argument("--json", action="store_true",
                   help="print one JSON object; every number is a JSON number with all its "
                        "digits (read exactly with json.loads(s, parse_float=decimal.Decimal)); "
                        "an infinite value is the string \"inf\"")


def add_cache(p):
    p.add_argument("--cache", default=None, metavar="DIR",
                   help="on-disk cache directory (created if missing): a result computed before "
                        "with the same parameters and dps is read from it instead of "
                        "recomputed; entries are per package version (default: "
                        "$ICL_THEORY_CACHE if set, else no disk cache)")


def use_cache(args):
    """Select the ``--cache DIR`` of a command (ValueError naming ``cache`` if unusable)."""
    if getattr(args, "cache", None) is not None:
        from solvers.cache import set_cache_dir

        set_cache_dir(args.cache)


def add_latex(p, what="a LaTeX tabular"):
    p.add_argument("--latex", action="store_true",
                   help=f"print {what} (plain tabular, no packages needed) for a paper to "
                        "\\input instead of the key: value lines")
    p.add_argument("--digits", default=None,
                   help="significant digits of the numbers in --latex output (integer >= 1; "
                        "default 6)")


def latex_digits(args):
    """``--digits`` (default :data:`solvers.latex.DEFAULT_DIGITS`), at most the largest working
    precision (more digits than were computed mean nothing, and 1e9 digits never finish);
    given without ``--latex`` it would be ignored, so it is an error."""
    from solvers.latex import DEFAULT_DIGITS
    from solvers.validate import MAX_DPS, require_int

    if args.digits is not None and not args.latex:
        raise ValueError(f"--digits={args.digits!r} is invalid without --latex: it sets the "
                         "digits of the LaTeX output only")
    return DEFAULT_DIGITS if args.digits is None else require_int("digits", num(args.digits),
                                                                 maximum=MAX_DPS)


def require_out_for_force(args):
    """``--force`` without ``--out`` would be ignored: an error."""
    if getattr(args, "force", False) and getattr(args, "out", None) is None:
        raise ValueError("--force is invalid without --out: it allows overwriting the --out file")


def add_dps(p, default="30"):
    p.add_argument("--dps", default=default,
                   help=f"decimal digits of working precision (integer >= 15; default {default})")


def emit(obj: dict, as_json: bool):
    """Print ``obj`` as one JSON object (``--json``) or as aligned ``key: value`` lines.

    A result that says ``converged: false`` (e.g. a diverging training run) is not printed as a
    number: it raises :class:`ConvergenceError` (one line, exit status 3)."""
    if obj.get("converged") is False:
        shown = {k: human_value(obj[k]) for k in ("risk", "method") if k in obj}
        raise ConvergenceError("the computation did not converge or diverged "
                               f"({', '.join(f'{k}={v}' for k, v in shown.items())})")
    if as_json:
        print(to_json(obj))
        return
    for k, v in obj.items():
        if v is None:   # JSON keeps null; a reader of text needs no "None" line
            continue
        for line in _human_lines(f"{k:>16}", v, 18):
            print(line)


def _human_lines(label, value, indent, width=100):
    """``label: value`` lines: a mapping on one line as ``k=v, …`` when it is flat and fits in
    ``width``, else one indented ``k: v`` line per entry (recursively)."""
    if not isinstance(value, dict):
        return [f"{label}: {human_value(value)}"]
    value = {k: v for k, v in value.items() if v is not None}
    flat = not any(isinstance(v, dict) for v in value.values())
    one = f"{label}: " + ", ".join(f"{k}={human_value(v)}" for k, v in value.items())
    if flat and len(one) <= width:
        return [one]
    lines = [f"{label}:"]
    for k, v in value.items():
        lines += _human_lines(" " * indent + str(k), v, indent + 2, width)
    return lines
