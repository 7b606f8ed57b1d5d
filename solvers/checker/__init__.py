"""Check hand derivations against the exact model: claims files, verdicts, ``icl-theory check``.

A *claim* says that a quantity the package computes (a risk, an optimal γ, an exponent, a
compute-optimal shape exponent, …) equals — or bounds — a closed-form expression in some free
parameters, with the remaining parameters fixed.  The format (TOML, one ``[[claim]]`` table per
claim) is documented in ``derivations/README.md``; :data:`QUANTITIES` lists what can be claimed.

The package, by concern:

* :mod:`~solvers.checker.params` — the parameters: symbols, aliases, domains, work limits;
* :mod:`~solvers.checker.quantities` — the quantities as classes in a registry
  (:data:`QUANTITIES`, :func:`register_quantity`);
* :mod:`~solvers.checker.claims` — reading and validating claims files (:func:`load_claims`,
  :class:`ClaimsError`); nothing in a file is ever evaluated as code;
* :mod:`~solvers.checker.points` — the deterministic evaluation points;
* :mod:`~solvers.checker.limits` — bounds on evaluation work (exact substitution, time limits);
* :mod:`~solvers.checker.verify` — symbolic proof and numeric comparison (:func:`check_claim`,
  :func:`check_files`);
* :mod:`~solvers.checker.verdict` — :class:`Verdict` and its one-line and JSON forms.

Malformed files raise :class:`ClaimsError` (a ``ValueError``; exit status 2 on the command line)
naming the file, the line, the claim and the field.
"""
from solvers.checker.claims import REQUIRES, Claim, ClaimsError, load_claims, parse_claim
from solvers.checker.limits import DEFAULT_TIMEOUT, MAX_POINTS
from solvers.checker.params import PARAMS
from solvers.checker.quantities import QUANTITIES, Evaluator, Quantity, register_quantity
from solvers.checker.verdict import MIN_DPS, Verdict
from solvers.checker.verify import check_claim, check_files, load_files

__all__ = ["check_claim", "check_files", "load_claims", "load_files", "parse_claim", "Verdict",
           "ClaimsError", "Claim", "QUANTITIES", "Quantity", "Evaluator", "register_quantity",
           "PARAMS", "REQUIRES", "MIN_DPS", "MAX_POINTS", "DEFAULT_TIMEOUT"]
