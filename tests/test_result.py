"""Notebook and DataFrame views of the result objects (``solvers.result.ReprMixin``).

The expected strings are written out by hand from the numbers put into hand-made results, so a
change of the formatting rules shows here."""
from decimal import Decimal
import sys

import mpmath
import pytest

from solvers.analysis.dynamics import SgdTheory, TimeSeries
from solvers.result import Result, short_number


def _result(**kw):
    with mpmath.workdps(40):
        base = dict(setting="rrs", params={"nu": 1.5, "beta": 1, "depth": 64},
                    risk=mpmath.mpf("0.039267632139138203123456789"),
                    gamma=mpmath.mpf("5.83880842886785512345"),
                    error_estimate=mpmath.mpf("1.3e-25"), method="safeguarded Newton",
                    dps=30, iterations=7,
                    extra={"residual": mpmath.mpf("1e-40"), "big": list(range(1000))})
    base.update(kw)
    return Result(**base)


def test_short_repr_of_a_theory_result():
    r = _result()
    assert repr(r) == ("Result(rrs: risk=0.0392676321391382… ± 1e-25, gamma=5.8388084…, "
                       "converged, method='safeguarded Newton')")
    # the dataclass field dump (with the 1000-element extra) is gone
    assert len(repr(r)) < 150


def test_repr_marks_only_real_truncations():
    assert short_number(0.1) == "0.1"                 # float through its shortest repr
    assert short_number(mpmath.mpf(2)) == "2.0"
    assert short_number(Decimal("1.25"), 3) == "1.25"
    assert short_number(Decimal("1.255"), 3) == "1.26…"
    assert short_number(mpmath.inf) == "inf" and short_number(None) == "None"
    assert short_number(0.000012345, 3) == "0.0000123…" and short_number(2.5e-30) == "2.5e-30"


def test_repr_of_simulator_and_failed_results():
    r = Result("iso", {"alpha": 1}, 0.3372, gamma=1.0, method="monte-carlo", stderr=0.02834,
               dim=32, contexts=20, seed=0)
    assert repr(r) == ("Result(iso: risk=0.3372 ± 0.028 (1 s.e.), gamma=1.0, dim=32, "
                       "contexts=20, seed=0, converged, method='monte-carlo')")
    bad = _result(converged=False)
    assert "NOT converged" in repr(bad)


def test_series_repr_and_subclass_keeps_the_short_repr():
    ts = TimeSeries("rrs", {"nu": 1.5}, [0, 1, 10], [mpmath.mpf(1), mpmath.mpf("0.5"),
                                                     mpmath.mpf("0.25")],
                    gamma=[0, mpmath.mpf("0.7"), mpmath.mpf(2)], method="flow", dps=30)
    assert repr(ts) == ("TimeSeries(rrs: 3 times in [0, 10], risk 1.0 → 0.25, gamma 0 → 2.0, "
                        "converged, method='flow')")
    # SgdTheory is a @dataclass subclass: the decorator must not restore the field dump
    sg = SgdTheory("iso", {}, [0, 5], [1, 2], extra={"C": [0.25, 1.0]})
    assert repr(sg).startswith("SgdTheory(iso: 2 times in [0, 5]")


def test_html_table_escapes_and_holds_the_numbers():
    r = _result(method="a<b & c")
    html = r._repr_html_()
    assert html.count("<table>") == 1 and "</table>" in html
    assert "a&lt;b &amp; c" in html and "a<b" not in html
    assert "0.0392676321391382" in html and "nu=1.5, beta=1, depth=64" in html
    # the 1000-element extra list is not dumped into the table
    assert "999" not in html


def test_html_of_a_long_series_is_abbreviated():
    n = 40
    ts = TimeSeries("iso", {}, list(range(n)), [mpmath.mpf(1) / (k + 1) for k in range(n)])
    series_table = ts._repr_html_().split("</table>")[1]
    assert series_table.count("<tr>") == 1 + 6 + 1 + 5     # header, head, ⋮, tail
    assert "⋮" in series_table


def test_latex_views():
    r = _result()
    tex = r._repr_latex_()
    assert tex.startswith("$") and tex.endswith("$")
    assert r"R = 0.0392676321391382\ldots \pm 10^{-25}" in tex
    assert r"\gamma = 5.838808428867855\ldots" in tex and r"\nu = 1.5" in tex
    ts = TimeSeries("iso", {}, [0, 1], [1, mpmath.mpf("0.5")], gamma=[0, 1])
    tex = ts._repr_latex_()
    assert r"\begin{array}{rrr}t & R & \gamma \\ \hline 0 & 1 & 0 \\ 1 & 0.5 & 1\end{array}" in tex


def test_to_frame_scalar_and_series():
    pd = pytest.importorskip("pandas")
    r = _result()
    df = r.to_frame()
    assert list(df.index) == [0] and df.loc[0, "nu"] == 1.5 and df.loc[0, "depth"] == 64
    assert df.loc[0, "risk"] == pytest.approx(0.0392676321391382, rel=1e-15)
    exact = r.to_frame(exact=True)
    assert exact.loc[0, "risk"] == Decimal("0.0392676321391382031234567890")   # dps = 30 digits
    sg = SgdTheory("iso", {"alpha": 1}, [0, 1, 10], [1, 2, 3], gamma=[0, 1, 2],
                   extra={"C": [4, 5, 6], "a": 2})
    df = sg.to_frame()
    assert list(df.columns) == ["time", "risk", "gamma", "C"]
    assert list(df["C"]) == [4, 5, 6] and df.attrs["a"] == 2 and df.attrs["setting"] == "iso"
    assert isinstance(pd.concat([r.to_frame(), r.to_frame()]), pd.DataFrame)


def test_to_frame_without_pandas_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)      # import pandas -> ImportError
    with pytest.raises(ImportError, match=r"icl-theory\[pandas\]"):
        _result().to_frame()


def test_rows_and_csv_keep_every_digit():
    r = _result()
    (row,) = r.to_rows()
    assert row["nu"] == Decimal("1.5") and row["depth"] == 64
    assert row["risk"] == Decimal("0.0392676321391382031234567890")       # dps = 30 digits
    lines = r.to_csv().splitlines()
    assert lines[0].startswith("setting,nu,beta,depth,risk,gamma,error_estimate")
    assert "0.039267632139138203123456789" in lines[1]
    ts = TimeSeries("iso", {}, [0, 1], [1, mpmath.mpf("0.5")], gamma=[0, mpmath.inf], dps=30)
    assert ts.to_csv() == "time,risk,gamma\n0,1,0\n1,0.5,inf\n"
