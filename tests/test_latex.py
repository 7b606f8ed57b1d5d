"""solvers.latex: numbers to a few significant digits, headings, escaping, the tabular shape."""
from decimal import Decimal

import mpmath
import pytest
import sympy as sp

from solvers import latex


@pytest.mark.parametrize("x,text", [
    (Decimal("0.0392676321391382031"), "$0.0392676$"),
    ("0.1", "$0.1$"), ("8", "$8$"), (64, "$64$"), ("inf", r"$\infty$"), (mpmath.inf, r"$\infty$"),
    (1.5e-25, r"$1.5\times 10^{-25}$"), (1e-25, "$10^{-25}$"),
    (mpmath.mpf("9.9999999e-9"), "$10^{-8}$"),                 # rounds up to the next decade
    (mpmath.mpf("123456.7"), "$123457$"), (0.0, "$0$"), (-2.5, "$-2.5$"),
    ("L/lambda_k", r"L/lambda\_k"), (None, "--"), (True, "true"),
])
def test_numbers(x, text):
    assert latex.number(x) == text


def test_digits_and_names():
    assert latex.number(mpmath.pi, 3) == "$3.14$"
    assert latex.name("alpha") == r"$\alpha$" and latex.name("sigma2") == r"$\sigma^2$"
    assert latex.name("bias_2") == r"bias\_2" and latex.escape("50% & $") == r"50\% \& \$"
    assert latex.expression(sp.Symbol("beta") / 2) == r"$\frac{\beta}{2}$"


def test_tabular():
    t = latex.tabular(["a", "b"], [["1", "2"]])
    assert t == "\\begin{tabular}{lr}\n\\hline\na & b \\\\\n\\hline\n1 & 2 \\\\\n\\hline\n" \
                "\\end{tabular}\n"
    with pytest.raises(ValueError, match="row="):
        latex.tabular(["a", "b"], [["1"]])


def test_single_quantity_sweep_unchanged():
    from solvers.sweep import parse_grid, sweep

    res = sweep("risk", "iso", parse_grid(["alpha=2", "depth=1"]), workers=1)
    assert res.columns == ["alpha", "depth", "risk"] and res.to_dict()["quantities"] == ["risk"]
    assert res.to_csv().splitlines()[0] == "alpha,depth,risk"
    # R* = 1/(1+α) at depth 1, noise-free
    assert float(res.rows[0]["risk"]) == pytest.approx(1 / 3, rel=1e-15)
    assert r"$0.333333$" in res.to_latex()
