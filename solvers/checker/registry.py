"""The registry of claimable quantities: :class:`Quantity`, its :class:`Evaluator` objects and
:data:`QUANTITIES` (filled by :mod:`solvers.checker.quantities`; see there for the contract)."""
from __future__ import annotations

__all__ = ["NotAvailable", "Evaluator", "Quantity", "QUANTITIES", "register_quantity"]


class NotAvailable(Exception):
    """The quantity cannot be computed for these parameters (reported as an ``ERROR``: a claim
    that cannot be checked never passes)."""


class Evaluator:
    """One way to compute a quantity (in one setting): ``numeric(p, dps)`` and/or ``symbolic(p)``
    as methods; the one a subclass does not define stays ``None``."""

    numeric = None
    symbolic = None


class Quantity:
    """A claimable quantity: ``name``, ``doc``, accepted ``params``, its ``evaluators`` (a mapping
    setting → :class:`Evaluator`, or one evaluator for a quantity without a setting) and the
    optional module it ``requires`` (a name of :data:`solvers.checker.claims.REQUIRES`)."""

    def __init__(self, name, doc, params, evaluators, requires=None):
        self.name, self.doc = name, doc
        self.params = tuple(dict.fromkeys(params))
        self.evaluators = evaluators
        self.requires = requires

    @property
    def settings(self) -> tuple:
        """The valid settings (empty: the quantity takes no setting)."""
        return tuple(self.evaluators) if isinstance(self.evaluators, dict) else ()

    def evaluator(self, setting) -> Evaluator:
        """The evaluator for ``setting`` (an empty one where the setting has none)."""
        if isinstance(self.evaluators, dict):
            return self.evaluators.get(setting, Evaluator())
        return self.evaluators

    def __repr__(self):
        return f"Quantity({self.name!r})"


class _Functions(Evaluator):
    """An evaluator from plain functions (:func:`register_quantity`)."""

    def __init__(self, numeric=None, symbolic=None):
        self.numeric, self.symbolic = numeric, symbolic


QUANTITIES: dict[str, Quantity] = {}


def register_quantity(name, doc=None, params=(), settings=(), numeric=None, symbolic=None,
                      requires=None):
    """Add a claimable quantity: a :class:`Quantity` instance, or a name with plain functions
    ``numeric(p, dps)`` / ``symbolic(p)`` (the same for every setting listed).  Returns it."""
    if isinstance(name, Quantity):
        QUANTITIES[name.name] = name
        return name
    ev = _Functions(numeric, symbolic)
    q = Quantity(name, doc or name, params, {s: ev for s in settings} if settings else ev,
                 requires)
    QUANTITIES[name] = q
    return q
