"""The ``icl-theory`` command line: :func:`main` and one module per command."""
from solvers.cli.main import build_parser, main

__all__ = ["main", "build_parser"]
