"""theory.equations (the named derived equations) and theory.regime (formulas resolved at given
values), each checked by an independent route: differentiation, the Marchenko–Pastur moments by
Jacobi-matrix quadrature, the flow's ODE, hand-derived limits."""
import sympy as sp
import pytest

from theory import iso as tiso, mp as tmp
from theory.equations import equations, to_latex, to_text
from theory.regime import resolve
from theory.symbols import L, alpha, beta, gamma, lam, nu, sigma2, t, N


def _by_name(eqs):
    return {e.name: e.eq for e in eqs}


def test_rrs_force_is_minus_the_gradient_of_the_risk():
    eq = _by_name(equations("rrs", depth=3))
    risk = eq["risk"].rhs
    # differentiate the landscape here (independently of theory.rrs.flow)
    minus_grad = -sp.diff(risk.function, gamma)
    assert sp.simplify(eq["force"].rhs.function - minus_grad) == 0
    assert eq["stationarity"].rhs == 0 and eq["stationarity"].lhs == eq["force"].rhs


def test_iso_risk_integral_equals_the_polynomial_by_jacobi_quadrature():
    eq = _by_name(equations("iso", depth=2))
    integrand = eq["risk"].rhs.function / sp.Function("rho_alpha")(lam)
    integrand = sp.expand(sp.simplify(integrand * lam) / lam)
    # ∫ f dρ_c by e₁ᵀ f(J) e₁ with the MP Jacobi matrix (c = 1/α): an independent route to the
    # moment substitution that theory.iso.risk_expr uses; the noise term has a removable 1/λ
    poly = sp.Poly(sp.expand(integrand * lam), lam)
    shifted = sum(cf * lam ** (m[0] - 1) for m, cf in zip(poly.monoms(), poly.coeffs()))
    via_jacobi = tmp.expect_polynomial_jacobi(sp.expand(shifted), lam, 1 / alpha)
    assert sp.simplify(via_jacobi - eq["risk_polynomial"].rhs) == 0


def test_iso_symbolic_depth_integrand_equals_theory_iso_at_a_given_depth():
    sym = _by_name(equations("iso"))["risk"].rhs.function / sp.Function("rho_alpha")(lam)
    for depth in (1, 3):
        assert sp.simplify(sym.subs(L, depth) - tiso.risk_integrand(depth)) == 0


def test_iso_flow_is_minus_the_stationarity_integrand():
    eq = _by_name(equations("iso"))
    g = sp.Function("gamma")(t)
    stat = eq["stationarity"].lhs.function
    flow = eq["flow"].rhs
    assert isinstance(-flow, sp.Integral)               # dγ/dt = −∫ (∂R/∂γ integrand) dρ
    assert sp.simplify((-flow).function - stat.subs(gamma, g)) == 0
    # and the stationarity integrand is dR/dγ of the risk integrand, at several points
    risk = eq["risk"].rhs.function
    for pt in ({L: 2, alpha: 3, sigma2: 1, lam: 2, gamma: sp.Rational(1, 3)},
               {L: 5, alpha: sp.Rational(1, 2), sigma2: sp.Rational(1, 4), lam: 3, gamma: 7}):
        assert sp.simplify((sp.diff(risk, gamma) - stat).subs(pt)) == 0


def test_iso_depth1_optimum_minimises_the_depth1_polynomial():
    eq = _by_name(equations("iso", depth=1))
    R = eq["risk_polynomial"].rhs
    g1 = eq["depth1_gamma"].rhs
    assert sp.simplify(sp.diff(R, gamma).subs(gamma, g1)) == 0
    assert sp.simplify(R.subs(gamma, g1) - eq["depth1_risk"].rhs) == 0


def test_fs_closed_form_solves_the_mode_flow():
    eq = _by_name(equations("fs", depth=3))
    gk = sp.IndexedBase("gamma")
    sol = eq["mode_gamma_of_time"].rhs
    rhs = eq["mode_flow"].rhs
    k = sp.Symbol("k", positive=True, integer=True)
    resid = sp.diff(sol, t) - rhs.subs(gk[k], sol)
    pts = {sp.IndexedBase("lambda", positive=True)[k]: sp.Rational(1, 2),
           sp.IndexedBase("omega", positive=True)[k]: 3, t: sp.Rational(7, 5)}
    assert abs(sp.N(resid.subs(pts), 30)) < 1e-25
    assert sol.subs(t, 0) == 0


def test_width_absolute_regime_limits():
    eq = _by_name(equations("rrs", width=True))
    S = sp.Symbol("S")
    # dmft case W at fixed N, D → ∞: ψ = 1 − S/N, ĉ = 1/N (derived by hand in theory/width.py)
    assert sp.simplify(eq["absolute_psi"].rhs - (1 - S / N)) == 0
    assert sp.simplify(eq["absolute_c"].rhs - 1 / N) == 0
    # Ψ at τ → 0 is α_N (an empty projection has no renormalisation beyond its rank ratio)
    aN, tau = sp.Symbol("alpha_N", positive=True), sp.Symbol("tau")
    assert sp.limit(eq["psi"].rhs, tau, 0) == aN


def test_infinite_depth_stationarity_stays_an_equation():
    eq = _by_name(equations("rrs", depth="inf"))
    assert isinstance(eq["stationarity"], sp.Eq)       # not collapsed to False
    assert eq["risk"].rhs.has(sp.exp)


def test_invalid_requests_name_the_parameter():
    with pytest.raises(ValueError, match="setting="):
        equations("bogus")
    with pytest.raises(ValueError, match="width=True"):
        equations("fs", width=True)
    with pytest.raises(ValueError, match="depth="):
        equations("rrs", depth=0)


def test_latex_and_text_renderings():
    eqs = equations("rrs")
    tex = to_latex(eqs, label_prefix="x")
    assert tex.count(r"\label{x:") == len(eqs) and tex.count(r" \\" + "\n") == len(eqs) - 1
    txt = to_text(eqs)
    assert txt.count("\n") == 2 * len(eqs)


# ------------------------------------------------------------------ regime

def test_resolve_picks_the_side_that_holds():
    w = nu * sp.Min(1, beta)
    assert resolve(w, {nu: sp.Rational(3, 2), beta: sp.Rational(1, 2)}) == (beta * nu,
                                                                            [beta < 1])
    assert resolve(w, {nu: 2, beta: 3}) == (nu, [beta > 1])
    # on the boundary both sides agree: the Min is kept and no regime is claimed
    assert resolve(w, {nu: 2, beta: 1}) == (w, [])
    # nested / several: the implied relation β < 2 is dropped in favour of β < 1
    e = sp.Min(1, beta) * sp.Min(2, beta) / (1 + sp.Max(beta, nu))
    res, reg = resolve(e, {nu: 3, beta: sp.Rational(1, 2)})
    assert sp.simplify(res - beta ** 2 / (1 + nu)) == 0
    assert set(map(str, reg)) == {"beta < 1", "beta < nu"} or \
        set(map(str, reg)) == {"beta < 1", "nu > beta"}
    # Piecewise: the branch whose condition holds
    pw = sp.Piecewise((beta, beta < 1), (1, True))
    assert resolve(pw, {beta: sp.Rational(1, 3)})[0] == beta
    assert resolve(pw, {beta: 5})[0] == 1
    # symbolic values: nothing to resolve
    assert resolve(w, {})[0] == w
