"""numpy simulators that validate the theory: Monte-Carlo risk of the reduced model
(:mod:`~solvers.simulators.reduced`), the full attention forward pass
(:mod:`~solvers.simulators.attention`) and SGD training (:mod:`~solvers.simulators.training`)."""
__all__ = ["reduced", "attention", "training"]
