"""The derived equations of each setting, collected as named ``sympy.Eq`` objects (sympy only).

Nothing here is typed by hand: every right-hand side is the expression another module of
:mod:`theory` derives (:mod:`theory.iso`, :mod:`theory.mp`, :mod:`theory.rrs`, :mod:`theory.fs`,
:mod:`theory.dynamics`, :mod:`theory.freeprob`, :mod:`theory.width`); this module only names them,
puts them side by side and gives each a one-line description.  ``icl-theory equations SETTING``
prints them (text, ``--latex`` an ``align`` block, ``--json``).

Groups (:func:`equations`):

* the setting at infinite context and width (``iso``: the Marchenko–Pastur risk integral, its
  stationarity condition, the depth-1 optimum, the gradient flow and the depth-1 SGD recursion;
  ``fs``: the per-mode risk, flow and its closed-form solution; ``rrs``: the landscape, the
  fixed point of the optimal γ, the flows of the reduced, full-attention and tied
  parameterisations);
* ``context=True`` — case C (finite context): the GD filter, the Cauchy double-contour
  representation, the structured-Wishart one-point equation, Ψ and the two-resolvent
  (leave-one-out) equivalent;
* ``width=True`` — case W (finite width): the free-product one-point relation, Ψ, the closed
  form of the Dyson coefficient c, the two-point function F and its absolute (D → ∞) regime.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from theory import dynamics as tdyn
from theory import freeprob, fs as tfs, iso as tiso, mp as tmp, rrs as trrs, width as twidth
from theory.symbols import (L, alpha, alpha_N, gamma, k, lam, q, sigma2, t, tau, tau2,
                            tau_batch, z, z2)

__all__ = ["Equation", "equations", "SETTINGS", "to_latex", "to_text", "LATEX_SYMBOLS"]

SETTINGS = ("iso", "fs", "rrs")

_R = sp.Function("R")
_F = sp.Function("F")
_rho = sp.Function("rho_alpha")
_gt = sp.Function("gamma")          # γ(t)
_n = trrs.n_modes


#: LaTeX names of symbols whose default rendering is misleading (``sigma2`` → σ²)
LATEX_SYMBOLS = {sigma2: r"\sigma^{2}", tau_batch: r"\tau_{B}", alpha_N: r"\alpha_{N}",
                 sp.Symbol("gamma_1^*"): r"\gamma_{1}^{\star}", sp.Symbol("R_1^*"): r"R_{1}^{\star}",
                 sp.Symbol("eta_max"): r"\eta_{\max}", sp.Symbol("c_hat"): r"\hat{c}",
                 sp.Symbol("lambda_-"): r"\lambda_{-}", sp.Symbol("lambda_+"): r"\lambda_{+}",
                 sp.Symbol("trTrr"): r"\operatorname{tr}[T r r']",
                 sp.Symbol("trLROR'"): r"\operatorname{tr}\Lambda R \Omega R'",
                 sp.Symbol("trOL2RR'"): r"\operatorname{tr}\Omega\Lambda^{2} R R'",
                 sp.Symbol("trL2RR'"): r"\operatorname{tr}\Lambda^{2} R R'",
                 sp.Symbol("trLRR'"): r"\operatorname{tr}\Lambda R R'",
                 sp.Symbol("R(z)"): r"R(z)", tau2: r"\tau'", z2: "z'"}


@dataclass(frozen=True)
class Equation:
    """One derived equation: ``name`` (a short identifier), ``description`` (one line) and
    ``eq`` (a ``sympy.Eq``)."""

    name: str
    description: str
    eq: sp.Eq

    def latex(self) -> str:
        """``lhs = rhs`` in LaTeX (sympy's ``latex()``, σ² and friends named properly)."""
        return (f"{sp.latex(self.eq.lhs, symbol_names=LATEX_SYMBOLS)} = "
                f"{sp.latex(self.eq.rhs, symbol_names=LATEX_SYMBOLS)}")

    def text(self) -> str:
        """``lhs = rhs`` on one line (``sympy.sstr``: parseable by ``sympy.sympify``)."""
        return f"{sp.sstr(self.eq.lhs)} = {sp.sstr(self.eq.rhs)}"

    def to_dict(self) -> dict:
        """``{name, description, sympy, latex}`` (``sympy``: ``sstr`` of the ``Eq``)."""
        return {"name": self.name, "description": self.description,
                "sympy": sp.sstr(self.eq), "latex": self.latex()}


def _eq(lhs, rhs):
    """An unevaluated ``sympy.Eq`` (``Eq(F, 0)`` must not collapse to ``False`` when sympy can
    see that F is positive, e.g. a sum of positive terms at L = inf)."""
    return sp.Eq(lhs, rhs, evaluate=False)


def _depth(depth):
    if depth is None:
        return L
    if isinstance(depth, str) and depth.strip().lower() in ("inf", "oo", "infinity"):
        return sp.oo
    if depth in (sp.oo, float("inf")):
        return sp.oo
    return sp.Integer(int(depth))


def _iso_integrands(depth):
    """(risk integrand, its γ-derivative) of the ISO risk against ρ_α: from
    :func:`theory.iso.risk_integrand` at a given depth, or, at symbolic L, from the GD filter
    ``p(z) = (1 + γz/L)^L`` and the noise filter ``q`` of :mod:`theory.freeprob`:
    ``p(−λ)² + (σ²/α) λ q(λ)²``."""
    if depth is L:
        p = freeprob.filter_poly(L, gamma, z).subs(z, -lam)
        qn = freeprob.noise_filter(L, gamma, lam)
        f = p ** 2 + sigma2 / alpha * lam * qn ** 2
    else:
        f = tiso.risk_integrand(depth)
    d = sp.diff(f, gamma)
    if depth is L:
        # in u = 1 - gamma lambda/L the derivative collapses to powers of u
        base, u = 1 - gamma * lam / L, sp.Dummy("u", positive=True)
        return f, sp.simplify(d.subs(base, u)).subs(u, base)
    return f, sp.Add(*[sp.powsimp(sp.factor(term), force=True)
                       for term in sp.Add.make_args(sp.expand(d, deep=False))])


def _iso(depth):
    f, df = _iso_integrands(depth)
    lo, hi = tmp.support(1 / alpha)
    out = [
        Equation("mp_density", "Marchenko-Pastur density of the sample covariance at context "
                 "ratio alpha = P/D (plus an atom of mass max(0, 1 - alpha) at lambda = 0)",
                 _eq(_rho(lam), tmp.density(lam, 1 / alpha))),
        Equation("mp_support", "edges of the continuous part of rho_alpha",
                 _eq(sp.Tuple(sp.Symbol("lambda_-"), sp.Symbol("lambda_+")),
                       sp.Tuple(lo, hi))),
        Equation("risk", "exact ISO risk of Gamma = gamma I: the bias filter (1 - gamma "
                 "lambda/L)^(2L) plus the label-noise term, integrated against rho_alpha",
                 _eq(_R(gamma), sp.Integral(f * _rho(lam), lam))),
        Equation("stationarity", "fixed point of the optimal step: dR/dgamma = 0 (R is a "
                 "polynomial of degree 2L in gamma; gamma* is its minimising real root)",
                 _eq(sp.Integral(df * _rho(lam), lam), 0)),
        Equation("flow", "gradient flow of the step, dGamma/dt = -grad R, from gamma(0) = 0",
                 _eq(sp.Derivative(_gt(t), t),
                       -sp.Integral(df.subs(gamma, _gt(t)) * _rho(lam), lam))),
    ]
    g1, r1 = tiso.optimal_depth1()
    out += [
        Equation("depth1_gamma", "optimal step at depth 1 (R is a convex quadratic in gamma)",
                 _eq(sp.Symbol("gamma_1^*"), g1)),
        Equation("depth1_risk", "optimal risk at depth 1",
                 _eq(sp.Symbol("R_1^*"), r1)),
    ]
    if depth not in (L, sp.oo):
        out.insert(3, Equation(
            "risk_polynomial", f"the risk at depth {depth} as a polynomial in gamma (MP moments "
            "substituted)", _eq(_R(gamma), tiso.risk_expr(int(depth)))))
    sgd = _sgd()
    C = sp.Function("C")
    n = sp.Symbol("n", integer=True, nonnegative=True)
    out += [
        Equation("sgd_recursion", "online SGD at depth 1 (proportional limit): the mean-square "
                 "distance C(n) = |Gamma_n - Gamma*|^2/D after n steps of learning rate eta, "
                 "batch ratio tau_B, query ratio kappa",
                 _eq(C(n + 1), sgd.a * C(n) + sgd.b)),
        Equation("sgd_risk", "ICL risk along SGD in terms of C(n)",
                 _eq(sp.Symbol("R_n"), sgd.risk.subs(sgd.C, C(n)))),
        Equation("sgd_eta_max", "stability edge of the SGD recursion (a < 1 iff 0 < eta < "
                 "eta_max)", _eq(sp.Symbol("eta_max"), sgd.eta_max)),
    ]
    return out


@lru_cache(maxsize=None)
def _sgd():
    return tdyn.sgd_depth1()


def _fs(depth):
    g_k = sp.IndexedBase("gamma")
    lam_k, om_k = trrs.lam_k, trrs.omega_k
    per_mode = {lam: lam_k[k], tfs.omega: om_k[k]}
    risk = sp.Sum(tfs.mode_risk(depth, g_k[k]).subs(per_mode), (k, 1, _n))
    flow = tfs.mode_flow(depth, gamma).subs(per_mode).subs(gamma, g_k[k])
    sol = tfs.mode_gamma_of_time(depth).subs(per_mode)
    return [
        Equation("risk", "FS risk of a diagonal Gamma = diag(gamma_k) at infinite context: a "
                 "sum over the modes of the population covariance",
                 _eq(_R(g_k), risk)),
        Equation("mode_flow", "per-mode gradient flow dgamma_k/dt = -dR/dgamma_k",
                 _eq(sp.Derivative(g_k[k], t), flow)),
        Equation("mode_gamma_of_time", "closed-form solution of the per-mode flow from "
                 "gamma_k(0) = 0 (separation of variables)", _eq(g_k[k], sol)),
        Equation("optimum", "the flow's limit: Gamma = L Sigma^-1 gives zero risk at every "
                 "depth", _eq(sp.Limit(g_k[k], t, sp.oo), depth / lam_k[k])),
    ]


def _rrs(depth):
    flow = trrs.flow(depth)
    full = trrs.full_attention_flow()
    return [
        Equation("risk", "RRS landscape of Gamma = gamma I at infinite context: R(gamma) = "
                 "sum_k omega_k lambda_k (1 - gamma lambda_k/L)^(2L)",
                 _eq(_R(gamma), trrs.landscape(depth))),
        Equation("force", "F(gamma) = -dR/dgamma (derived by differentiation)",
                 _eq(_F(gamma), flow)),
        Equation("stationarity", "fixed point of the optimal step: F(gamma*) = 0",
                 _eq(flow, 0)),
        Equation("flow", "gradient flow of the reduced parameterisation, dgamma/dt = F(gamma), "
                 "from gamma(0) = 0", _eq(sp.Derivative(_gt(t), t), _F(_gt(t)))),
        Equation("full_attention_flow", "flow of gamma = w_v w_k w_q w_x^2 when every attention "
                 "weight is trained from a balanced init (paper's Result 9, with the 1/L inside "
                 "F)", _eq(sp.Derivative(_gt(t), t),
                             full.coefficient * _gt(t) ** full.exponent * _F(_gt(t)))),
        Equation("tied_flow", "flow when all weights are one scalar w, gamma = w^5",
                 _eq(sp.Derivative(_gt(t), t),
                       full.tied_coefficient * _gt(t) ** full.exponent * _F(_gt(t)))),
        Equation("balanced_init", "gamma(0) of the balanced init of scale sigma",
                 _eq(_gt(0), full.gamma0_of_init)),
    ]


def _context(depth):
    """Case C (finite context): docs/theory.md §8's two-resolvent deterministic equivalent."""
    a_k, w_k = sp.IndexedBase("a"), sp.IndexedBase("w")
    one_point = freeprob.structured_wishart_equation([a_k[k]], [w_k[k]], q, z, tau)
    # the structured-Wishart equation is tau - sum_k w_k a_k/(z/(1 - q tau) + a_k) = 0
    rhs = sp.Sum(tau - one_point, (k, 1, _n))
    x, x2 = freeprob.x, freeprob.x2
    p = freeprob.filter_poly(depth, gamma, z) if depth is not sp.oo else freeprob.filter_exp()
    Fzz = sp.Function("F")(z, z2)
    s = sp.Symbol("s")
    return [
        Equation("filter", "GD filter: the weight error after L steps is p(-M) beta, "
                 "M = Gamma Sigma_hat", _eq(sp.Function("p")(z), p)),
        Equation("noise_filter", "label-noise filter q(s) = [1 - (1 - gamma s/L)^L]/s",
                 _eq(sp.Function("q")(s), freeprob.noise_filter(depth, gamma, s)
                       if depth is not sp.oo else (1 - sp.exp(-gamma * s)) / s)),
        Equation("cauchy", "risk as a double contour integral of the two-point function "
                 "F(z, z') around the spectrum of -M",
                 _eq(sp.Symbol("R"), sp.Integral(freeprob.contour_integrand(p, Fzz),
                                                   z, z2))),
        Equation("one_point", "structured-Wishart (ridge-renormalisation) equation for "
                 "tau(z) = tr A(x + A)^-1, x = z/(1 - q tau), q = D/P, A = Gamma Lambda with "
                 "entries a_k (weights w_k)", _eq(tau, rhs)),
        Equation("psi", "one-point renormalisation Psi = z/x_A", _eq(
            sp.Symbol("Psi"), sp.simplify(freeprob.one_point(z / (1 - q * tau))["Psi"]))),
        Equation("two_point", "two-resolvent equivalent (leave-one-out / Dyson resummation): "
                 "F = (x x'/(z z')) tr[T r r']/(1 - V), r = (x + A)^-1, V = q tr[A^2 r r'], "
                 "T = Omega Lambda", _eq(Fzz, freeprob.loo_two_point(x, x2, z, z2))),
    ]


def _width(depth):
    """Case W (finite width, infinite context): the free product M = O P_N O^T Lambda."""
    Psi = sp.Symbol("Psi")
    Lam = sp.Symbol("Lambda")
    ab = twidth.absolute_regime()
    trs = sp.symbols("trLROR' trOL2RR' trL2RR' trLRR'")
    return [
        Equation("one_point", "free-product one-point relation x_A x_B = z(1 - tau)/tau with "
                 "the projection's x_B = alpha_N/tau - 1 (numerator form), alpha_N = N/D",
                 _eq(sp.numer(sp.together(twidth.one_point_relation())), 0)),
        Equation("tau", "tau = tau_Lambda(x) = tr Lambda (x + Lambda)^-1 (normalised trace)",
                 _eq(tau, sp.Sum(trrs.lam_k[k] / (freeprob.x + trrs.lam_k[k]), (k, 1, _n))
                       / sp.Symbol("D"))),
        Equation("psi", "renormalisation of the projection: Psi = z/x_A, the resolvent being "
                 "(z + Psi Lambda)^-1", _eq(Psi, twidth.psi())),
        Equation("resolvent", "deterministic equivalent of the one-point resolvent",
                 _eq(sp.Symbol("R(z)"), 1 / (z + Psi * Lam))),
        Equation("dyson_c", "closed form of the Dyson coefficient c = 1/B - 1/(Sigma_vchi "
                 "Sigma'_vchi) of the two-point equations", _eq(sp.Symbol("c"),
                                                                twidth.c_closed())),
        Equation("two_point", "two-point function F(z, z') = tr Lambda R Omega R' - Psi_chichi "
                 "tr Lambda R R', Psi_chichi = c num/(1 + c A)",
                 _eq(sp.Function("F")(z, z2), twidth.two_point(*trs))),
        Equation("absolute_psi", "D -> infinity at fixed N (tau = S/D, S = sum_k lambda_k/(x + "
                 "lambda_k)): psi = Psi/alpha_N", _eq(sp.Symbol("psi"), ab.psi_limit)),
        Equation("absolute_c", "D -> infinity: the normalised Dyson coefficient "
                 "c_hat = -c D/(N^2 psi psi')", _eq(sp.Symbol("c_hat"), ab.chat_limit)),
    ]


def equations(setting: str, *, width: bool = False, context: bool = False, depth=None):
    """The derived equations of ``setting`` (``iso``, ``fs`` or ``rrs``) as a list of
    :class:`Equation`; ``context=True`` adds case C (finite context), ``width=True`` case W
    (finite width, ``rrs`` only).  ``depth`` (an integer or ``"inf"``) substitutes the depth
    (default: the symbol L; ISO at an integer depth adds the explicit risk polynomial).
    ValueError naming the parameter for an unknown setting or an invalid combination."""
    if setting not in SETTINGS:
        raise ValueError(f"setting={setting!r} is invalid: setting must be one of "
                         f"{', '.join(repr(s) for s in SETTINGS)}")
    if width and setting != "rrs":
        raise ValueError(f"width=True is invalid with setting={setting!r}: the finite-width "
                         "equations (case W) are for 'rrs'")
    if width and context:
        raise ValueError("width=True with context=True is invalid: finite width is derived at "
                         "infinite context")
    try:
        d = _depth(depth)
    except (TypeError, ValueError):
        raise ValueError(f"depth={depth!r} is invalid: depth must be an integer >= 1 or inf")
    if d is not L and d is not sp.oo and d < 1:
        raise ValueError(f"depth={depth!r} is invalid: depth must be an integer >= 1 or inf")
    out = {"iso": _iso, "fs": _fs, "rrs": _rrs}[setting](d)
    if context:
        out += _context(d)
    if width:
        out += _width(d)
    return out


def to_latex(eqs, label_prefix="eq") -> str:
    """An ``align`` environment, one line per equation (``lhs &= rhs``), each preceded by a
    ``%`` comment with its name and description and labelled ``label_prefix:name``."""
    lines = ["\\begin{align}"]
    for i, e in enumerate(eqs):
        left = sp.latex(e.eq.lhs, symbol_names=LATEX_SYMBOLS)
        right = sp.latex(e.eq.rhs, symbol_names=LATEX_SYMBOLS)
        end = " \\\\" if i < len(eqs) - 1 else ""
        lines.append(f"% {e.name}: {e.description}")
        lines.append(f"{left} &= {right} \\label{{{label_prefix}:{e.name}}}{end}")
    lines.append("\\end{align}")
    return "\n".join(lines) + "\n"


def to_text(eqs, pretty=False) -> str:
    """``name: lhs = rhs`` lines (``sympy.sstr``; ``pretty=True``: ``sympy.pretty`` below the
    name), each followed by its description as an indented ``#`` line."""
    out = []
    for e in eqs:
        if pretty:
            out.append(f"{e.name}:")
            out.append(sp.pretty(e.eq, use_unicode=True))
        else:
            out.append(f"{e.name}: {e.text()}")
        out.append(f"    # {e.description}")
    return "\n".join(out) + "\n"
