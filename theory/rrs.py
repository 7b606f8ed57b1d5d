"""RRS — randomly rotated structured covariance at infinite context (spec §5, §7), sympy only.

With ``Γ = γI`` the per-context rotation cancels and, at ``α = ∞``, the risk is the scalar
landscape over the spectrum ``(λ_k, ω_k)`` (``Σ_k ω_kλ_k = 1``):

    R(γ) = Σ_k ω_kλ_k (1 − γλ_k/L)^{2L}            (L → ∞:  Σ_k ω_kλ_k e^{−2γλ_k}),

convex in γ (its second derivative is a sum of even powers).  Gradient flow ``dγ/dt = −∂R/∂γ``
(full gradient, spec §7):  ``dγ/dt = F(γ) = 2 Σ_k ω_kλ_k² (1 − γλ_k/L)^{2L−1}``.

Full attention (paper Result 9): training the separate weights ``w_v, w_k, w_q, w_x`` with
``γ = w_v w_k w_q w_x²`` by ``dw_i/dt = −∂R/∂w_i`` conserves ``w_v² − w_k²``, ``w_k² − w_q²`` and
``w_x² − 2w_v²``; from a small balanced start (``½w_x² = w_v² = w_k² = w_q² = σ²``) it stays
balanced and :func:`full_attention_flow` derives ``dγ/dt = 5·2^{2/5} γ^{8/5} F(γ)``.  Tying all
factors to one scalar (``γ = w⁵``, ``dw/dt = −dR(w⁵)/dw``) instead gives ``25 γ^{8/5} F(γ)``.
Either way the time exponent becomes ``5β/(5β+2)`` on a power law; the constant only rescales t.
"""
from __future__ import annotations

from types import SimpleNamespace

import sympy as sp

from theory.parse import sympify_value
from theory.symbols import L, gamma, k

__all__ = ["lam_k", "omega_k", "n_modes", "mode_term", "landscape", "flow", "flow_of_landscape",
           "curvature", "full_attention_flow", "initial_gamma"]

lam_k = sp.IndexedBase("lambda", positive=True)
omega_k = sp.IndexedBase("omega", positive=True)
#: number of modes
n_modes = sp.Symbol("n", positive=True, integer=True)


def _depth(depth):
    return sp.oo if depth in (sp.oo, float("inf")) else sympify_value(depth, "depth")


def mode_term(depth=L, g=gamma, lam=None, om=None):
    """``ω λ (1 − gλ/L)^{2L}`` (or ``ωλe^{−2gλ}`` at ``depth = oo``) for one mode."""
    lam = lam_k[k] if lam is None else lam
    om = omega_k[k] if om is None else om
    depth = _depth(depth)
    if depth == sp.oo:
        return om * lam * sp.exp(-2 * g * lam)
    return om * lam * (1 - g * lam / depth) ** (2 * depth)


def landscape(depth=L, g=gamma, modes=None):
    """``R(γ)``: a sympy ``Sum`` over ``k = 1..n`` (indexed λ, ω), or an explicit sum over
    ``modes = [(λ_1, ω_1), …]``."""
    if modes is None:
        return sp.Sum(mode_term(depth, g), (k, 1, n_modes))
    return sp.Add(*[mode_term(depth, g, sympify_value(a, "lam"), sympify_value(b, "omega"))
                    for a, b in modes])


def flow_of_landscape(R, g=gamma):
    """``−∂R/∂γ`` of any landscape expression."""
    return -sp.diff(R, g)


def flow(depth=L, g=gamma, modes=None):
    """``F(γ) = −∂R/∂γ = 2 Σ_k ω_kλ_k² (1 − γλ_k/L)^{2L−1}`` (derived by differentiation)."""
    dummy = sp.Symbol("g_", nonnegative=True)
    if modes is None:  # differentiate the summand, keep the Sum
        term = sp.simplify(flow_of_landscape(mode_term(depth, dummy), dummy))
        return sp.Sum(term, (k, 1, n_modes)).subs(dummy, g)
    return flow_of_landscape(landscape(depth, dummy, modes), dummy).subs(dummy, g)


def curvature(depth=L, g=gamma):
    """Per-mode ``∂²R/∂γ²``; non-negative for every γ (even power ``2L − 2``) ⇒ R is convex."""
    return sp.factor(sp.diff(mode_term(depth, g), g, 2))


def full_attention_flow():
    """Derive the full-attention flow of γ from gradient flow on the individual weights.

    Returns a namespace with ``gamma_of_weights`` (``w_v w_k w_q w_x²``), ``conserved``
    (three quantities whose time derivative is 0), ``coefficient`` (C in
    ``dγ/dt = C γ^{8/5} F(γ)`` with balanced weights), ``tied_coefficient`` (the same for all
    weights tied to one scalar, ``γ = w⁵``), ``exponent`` (8/5) and ``gamma0_of_init``
    (γ at the balanced init of scale σ: ``2σ⁵``).
    """
    wv, wk, wq, wx, s, a = sp.symbols("w_v w_k w_q w_x sigma a", positive=True)
    R = sp.Function("R")  # the loss as a function of γ
    Fg = sp.Function("F")  # F = −R'

    def minus_grad(expr, w):
        # −∂R(γ(w))/∂w by the chain rule, with R'(·) written as −F(·)
        d = -sp.diff(R(expr), w)
        return d.replace(lambda e: isinstance(e, sp.Subs), lambda e: -Fg(e.point[0]))

    weights = (wv, wk, wq, wx)
    g_w = wv * wk * wq * wx ** 2
    wdot = {w: minus_grad(g_w, w) for w in weights}
    conserved = [wv ** 2 - wk ** 2, wk ** 2 - wq ** 2, wx ** 2 - 2 * wv ** 2]
    for q in conserved:
        assert sp.simplify(sum(sp.diff(q, w) * wdot[w] for w in weights)) == 0
    gdot = sum(sp.diff(g_w, w) * wdot[w] for w in weights)
    balanced = {wv: a, wk: a, wq: a, wx: sp.sqrt(2) * a}
    g_bal = g_w.subs(balanced)  # 2 a^5
    a_of_g = sp.solve(sp.Eq(g_bal, gamma), a)[0]
    gdot_g = sp.simplify(gdot.subs(balanced).subs(a, a_of_g))
    coefficient = sp.simplify(gdot_g / (gamma ** sp.Rational(8, 5) * Fg(gamma)))
    # all factors tied to one scalar: γ = w⁵, dw/dt = −dR(w⁵)/dw
    w = sp.Symbol("w", positive=True)
    gdot_tied = sp.diff(w ** 5, w) * minus_grad(w ** 5, w)
    tied = sp.simplify(gdot_tied.subs(w, gamma ** sp.Rational(1, 5))
                       / (gamma ** sp.Rational(8, 5) * Fg(gamma)))
    return SimpleNamespace(gamma_of_weights=g_w, conserved=conserved, coefficient=coefficient,
                           tied_coefficient=tied, exponent=sp.Rational(8, 5),
                           gamma0_of_init=sp.simplify(g_bal.subs(a, s)), init_symbol=s)


def initial_gamma(parameterization="full", init_scale=sp.Symbol("sigma", positive=True)):
    """γ(0) of the full-attention flow from a balanced init of scale σ (``2σ⁵``), or ``σ⁵``
    for the tied-scalar parameterisation."""
    if parameterization == "tied":
        return init_scale ** 5
    ns = full_attention_flow()
    return ns.gamma0_of_init.subs(ns.init_symbol, init_scale)
