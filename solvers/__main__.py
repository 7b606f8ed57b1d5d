"""``python -m solvers`` is the ``icl-theory`` command line."""
from solvers.cli import main

raise SystemExit(main())
