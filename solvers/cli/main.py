"""The ``icl-theory`` command line (also ``python -m solvers``): a thin shell over ``solvers``.

Invalid input prints one line on stderr and exits with status 2; a solver that does not converge
prints one line and exits with status 3.  ``--json`` prints one JSON object.  Each command lives in
its own module of :mod:`solvers.cli` with ``register(subparsers)``; library modules never import
the command line.
"""
from __future__ import annotations

import sys

from solvers.cli import (check, dynamics, equations, exponents, laws, plot, report, risk,
                         simulate, sweep)
from solvers.cli.common import Parser, UsageError
from solvers.result import ConvergenceError

#: command modules, in the order ``--help`` lists them
COMMANDS = (risk, simulate, dynamics, exponents, laws, equations, sweep, plot, check, report)


def build_parser() -> Parser:
    parser = Parser(prog="icl-theory",
                    description="Exact asymptotic theory of in-context regression by deep linear "
                                "attention (Bordelon, Letey, Pehlevan, arXiv 2510.01098). "
                                "Notation and output fields: docs/theory.md.")
    from solvers.version import package_version

    parser.add_argument("--version", action="version",
                        version=f"icl-theory {package_version()}",
                        help="print the installed version and exit")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser,
                                metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        status = args.func(args)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"icl-theory: error: {exc}", file=sys.stderr)
        return 2
    except ConvergenceError as exc:
        print(f"icl-theory: not converged: {exc}", file=sys.stderr)
        return 3
    except BrokenPipeError:
        # the reader closed the pipe early (``icl-theory … | head``): not an error of ours, so no
        # traceback; point stdout at devnull so the interpreter's final flush cannot fail again
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141      # 128 + SIGPIPE, what a shell reports for a writer killed by SIGPIPE
    except OSError as exc:   # after BrokenPipeError, one of its subclasses
        # a path the up-front checks let through (/proc, /sys, a name too long, a full disk):
        # the file and the reason in one line
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        print(f"icl-theory: error: cannot use the file{where}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    except MemoryError:
        # a size the up-front limits did not foresee: one line, not a traceback
        print("icl-theory: out of memory: the computation needs more memory than is available; "
              "reduce the sizes (dim, contexts, depth, width, context)", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        # outputs are written atomically at the end, so nothing partial is left behind
        print("icl-theory: interrupted (no output written)", file=sys.stderr)
        return 130
    return int(status or 0)
