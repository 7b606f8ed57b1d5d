"""Sweeps: grid parsing, local run against direct solver calls, Dask LocalCluster == local."""
import csv
import io
import json

import mpmath
import pytest

from solvers.settings import iso
from solvers.cli import main
from solvers.sweep import parse_grid, parse_values, sweep


def test_parse_values_ranges_and_lists():
    assert parse_values("depth", "1,2,inf") == ["1", "2", "inf"]
    assert parse_values("depth", "1:4:lin4") == ["1", "2", "3", "4"]
    logs = [float(v) for v in parse_values("alpha", "0.01:100:log5")]
    assert logs == pytest.approx([0.01, 0.1, 1, 10, 100], rel=1e-15)


@pytest.mark.parametrize("bad", ["alpha", "alpha=", "alpha=1:2", "alpha=0:1:log3", "1x=2",
                                 "alpha=1:2:lin0"])
def test_malformed_grid_names_the_grid(bad):
    with pytest.raises(ValueError, match="grid"):
        parse_grid([bad])


def _depth1(alpha, sigma2):
    """Depth-1 ISO optimum in closed form: γ* = α/(α + 1 + σ²), R* = (1 + σ²)/(α + 1 + σ²)."""
    a, s2 = mpmath.mpf(alpha), mpmath.mpf(sigma2)
    return a / (a + 1 + s2), (1 + s2) / (a + 1 + s2)


def _check_rows(rows, digits=25):
    """Every row against a reference independent of the sweep and of the default solver path:
    depth 1 the closed form; depth ≥ 2 the risk at the row's γ by the second ISO quadrature
    (tanh–sinh on the MP density, ``method="density-quad"``), which must also be larger at
    γ(1 ± 10⁻³) (a minimum); depth ∞ noise-free the limit max(0, 1 − α) with γ = ∞."""
    with mpmath.workdps(40):
        _check_rows_mp(rows, mpmath.mpf(10) ** -digits)


def _check_rows_mp(rows, tol):
    for row in rows:
        a, L, s2 = row["alpha"], row["depth"], row.get("sigma2", "0")
        risk = mpmath.mpf(str(row["risk"]))
        if L == "1":
            g_ref, r_ref = _depth1(a, s2)
            assert abs(risk - r_ref) < tol * r_ref, row
            if "gamma" in row:
                assert abs(mpmath.mpf(str(row["gamma"])) - g_ref) < tol * g_ref, row
        elif L == "inf" and mpmath.mpf(s2) == 0:
            assert abs(risk - max(0, 1 - mpmath.mpf(a))) < tol, row
        else:
            g = mpmath.mpf(str(row["gamma"]))
            depth = "inf" if L == "inf" else int(L)
            ref = iso.risk(a, depth, sigma2=s2, gamma=g, method="density-quad").risk
            assert abs(risk - ref) < mpmath.mpf(10) ** -20 * ref, row
            for f in ("0.999", "1.001"):
                assert iso.risk(a, depth, sigma2=s2, gamma=g * mpmath.mpf(f),
                                method="density-quad").risk > risk, row


def test_local_sweep_rows_against_independent_references():
    res = sweep("risk,gamma", "iso", parse_grid(["alpha=0.5,2", "depth=1,3", "sigma2=0.25"]),
                workers=1)
    assert [(r["alpha"], r["depth"]) for r in res.rows] == [("0.5", "1"), ("0.5", "3"),
                                                             ("2", "1"), ("2", "3")]
    _check_rows(res.rows)


def test_cli_sweep_csv_and_json(capsys, tmp_path):
    out = tmp_path / "s.csv"
    assert main(["sweep", "gamma", "iso", "--grid", "alpha=1,3", "--grid", "depth=2",
                 "--workers", "1", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    # noise-free optimum γ* = Lα/(1+α)
    assert [r["alpha"] for r in rows] == ["1", "3"] and set(rows[0]) == {"alpha", "depth", "gamma"}
    assert [float(r["gamma"]) for r in rows] == pytest.approx([1.0, 1.5], rel=1e-25)
    assert main(["sweep", "risk", "iso", "--grid", "alpha=1", "--grid", "depth=1",
                 "--workers", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and set(rows[0]) == {"alpha", "depth", "risk"}
    assert (rows[0]["alpha"], rows[0]["depth"]) == ("1", "1")
    assert abs(mpmath.mpf(str(rows[0]["risk"])) - mpmath.mpf("0.5")) < mpmath.mpf(10) ** -25


@pytest.mark.slow
def test_dask_local_cluster_equals_local_run():
    """The Dask backend (a LocalCluster of 2 processes, ~10 s to start) returns the local
    backend's rows, and both meet the independent references of ``_check_rows``."""
    distributed = pytest.importorskip("dask.distributed")
    grid = parse_grid(["alpha=0.3,1.7", "depth=1,4,inf", "sigma2=0,0.5"])
    local = sweep("risk,gamma", "iso", grid, workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        dask_res = sweep("risk,gamma", "iso", grid, scheduler=cluster.scheduler_address)
    assert dask_res.backend.startswith("dask")
    assert dask_res.rows == local.rows
    _check_rows(local.rows, digits=20)
