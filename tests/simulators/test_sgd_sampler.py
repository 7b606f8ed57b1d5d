"""Tests of the fast exact SGD sampler (solvers/simulators/sgd.py).

References: the direct simulator (solvers.simulators.training.train_reduced, Gaussian matrices, analytic
backprop) in a two-sample comparison, the exact finite-size recursion (solvers.analysis.dynamics,
derived in theory.sgd_finite), and the simulator's Monte-Carlo risk of a fixed Γ.
Tolerances: 4 standard errors (two-sample: of the difference).
"""
from __future__ import annotations

import numpy as np
import pytest

from solvers.analysis import dynamics as dyn
from solvers.simulators import training as T
from solvers.simulators.sgd import exact_iso_risk, sgd_iso_depth1


def test_sampler_matches_direct_simulator():
    """Same process, two samplers: risk of Γ_n (n = 5, 30) and tr Γ_n/D, mean over 300 sampler
    runs against 40 train_reduced seeds (exact risk of each final Γ), within 4 se of the
    difference.  D = 12, P = 18, K = 6, B = 2, σ² = 0.5."""
    D, P, K, B, lr, s2 = 12, 18, 6, 2, 0.04, 0.5
    for n in (5, 30):
        fast = sgd_iso_depth1(alpha=P / D, dim=D, steps=n, lr=lr, batch=B, queries=K,
                              sigma2=s2, runs=300, seed=7, record=[n])
        direct = [T.train_reduced("iso", alpha=P / D, depth=1, dim=D, steps=n, lr=lr,
                                  batch=B, queries=K, sigma2=s2, eval_every=n, eval_contexts=2,
                                  seed=sd).state for sd in range(40)]
        for stat_fast, stat_direct in (
                (np.array(fast.extra["risks"][0]),
                 np.array([exact_iso_risk(G, D, P, s2) for G in direct])),
                (np.trace(fast.state, axis1=1, axis2=2) / D,
                 np.array([np.trace(G) / D for G in direct]))):
            se = np.hypot(stat_fast.std(ddof=1) / np.sqrt(len(stat_fast)),
                          stat_direct.std(ddof=1) / np.sqrt(len(stat_direct)))
            assert abs(stat_fast.mean() - stat_direct.mean()) < 4 * se


@pytest.mark.parametrize("sigma2", [0.0, 1.0])
def test_sampler_matches_exact_recursion(sigma2):
    """D = 32, α = κ = 1, B = 4, η = 0.02: mean risk over 64 runs at n = 0, 5, 20, 80 within
    4 se of the exact finite-size recursion (n = 0: exactly 1)."""
    D, B, lr = 32, 4, 0.02
    r = sgd_iso_depth1(alpha=1, dim=D, steps=80, lr=lr, batch=B, queries=D, sigma2=sigma2,
                       runs=64, seed=1, record=[0, 5, 20, 80])
    th = dyn.sgd_theory(r.steps, 1, lr, B / D, 1, sigma2=sigma2, dim=D)
    assert r.curve[0] == 1.0
    for m, se, t in zip(r.curve[1:], r.curve_stderr[1:], th.risk[1:]):
        assert abs(m - float(t)) < 4 * se, (m, se, float(t))


def test_exact_iso_risk_against_monte_carlo():
    rng = np.random.default_rng(5)
    D, P, s2 = 10, 15, 0.3
    G = 0.4 * np.eye(D) + 0.1 * rng.standard_normal((D, D))
    m, se = T._eval_risk("iso", np.random.default_rng(6), [G], None, D, P, 1, 20000, None,
                         None, s2)
    assert abs(m - exact_iso_risk(G, D, P, s2)) < 4 * se


@pytest.mark.parametrize("kw,name", [(dict(dim=0), "dim"), (dict(lr=0), "lr"),
                                     (dict(batch=0), "batch"), (dict(runs=0), "runs"),
                                     (dict(record=[99]), "record"), (dict(alpha=-1), "alpha")])
def test_invalid_inputs_name_parameter(kw, name):
    base = dict(alpha=1, dim=8, steps=3, lr=0.1, batch=2, queries=2)
    with pytest.raises(ValueError, match=name):
        sgd_iso_depth1(**{**base, **kw})
