"""Sweeps: grid parsing, local run against direct solver calls, Dask LocalCluster == local."""
import csv
import io
import json

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


def test_local_sweep_rows_equal_direct_calls():
    res = sweep("risk", "iso", parse_grid(["alpha=0.5,2", "depth=1,3", "sigma2=0.25"]), workers=1)
    assert len(res.rows) == 4
    for row in res.rows:
        direct = iso.risk(row["alpha"], int(row["depth"]), sigma2=row["sigma2"]).to_dict()["risk"]
        assert row["risk"] == direct
    # depth 1 closed form (1+σ²)/(α+1+σ²) as an independent anchor
    r = next(r for r in res.rows if r["alpha"] == "2" and r["depth"] == "1")
    assert abs(float(r["risk"]) - 1.25 / 3.25) < 1e-15


def test_cli_sweep_csv_and_json(capsys, tmp_path):
    out = tmp_path / "s.csv"
    assert main(["sweep", "gamma", "iso", "--grid", "alpha=1,3", "--grid", "depth=2",
                 "--workers", "1", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    # noise-free optimum γ* = Lα/(1+α)
    assert [float(r["gamma"]) for r in rows] == pytest.approx([1.0, 1.5], rel=1e-25)
    assert main(["sweep", "risk", "iso", "--grid", "alpha=1", "--grid", "depth=1",
                 "--workers", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"alpha": "1", "depth": "1", "risk": rows[0]["risk"]}]
    assert float(rows[0]["risk"]) == pytest.approx(0.5, rel=1e-25)


def test_dask_local_cluster_equals_local_run():
    distributed = pytest.importorskip("dask.distributed")
    grid = parse_grid(["alpha=0.3,1.7", "depth=1,4,inf", "sigma2=0,0.5"])
    local = sweep("risk", "iso", grid, workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        dask_res = sweep("risk", "iso", grid, scheduler=cluster.scheduler_address)
    assert dask_res.backend.startswith("dask")
    assert dask_res.rows == local.rows
