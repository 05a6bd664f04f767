"""The bench: figures as ratios to the same run's raw pipe; measured for real under Wine."""

from __future__ import annotations

import json

import pytest

from netipc_conformance.commands import bench
from netipc_conformance.runtime.programs import REPO
from netipc_conformance.suite.manifest import load


def figures(server, client, workload, rates):
    return bench.Figures(server, client, workload, rates=list(rates))


def test_ratio_is_to_the_raw_pipe_of_the_same_workload():
    results = [
        figures("raw pipe", "raw pipe", "64 B", [1000, 1200, 1100]),
        figures("a", "b", "64 B", [550, 500, 600]),
        figures("a", "b", "64 B, 16 in flight", [2200]),
    ]
    rows = {r["workload"]: r for r in bench.as_rows(results) if r["server"] == "a"}
    assert rows["64 B"]["ratio_to_raw"] == pytest.approx(550 / 1100)
    assert rows["64 B"]["spread"] == pytest.approx(100 / 550)
    # Pipelined figures are set against the 64 B ping-pong ceiling.
    assert rows["64 B, 16 in flight"]["ratio_to_raw"] == pytest.approx(2.0)


def test_no_ceiling_means_no_ratio():
    [row] = bench.as_rows([figures("a", "b", "4 KiB", [10])])
    assert row["ratio_to_raw"] is None
    assert "-" in bench.render_table([row])


@pytest.mark.wine
def test_reference_pair_is_measured_beside_the_raw_pipe(wine, tmp_path):
    reference = load(REPO / "harness" / "peers" / "reference" / "full.toml")
    work = (bench.Workload("64 B", 64, 50), bench.Workload("4 KiB", 4096, 20))
    results = bench.run(wine, [reference], work, samples=1)
    rows = bench.as_rows(results)
    assert {(r["server"], r["workload"]) for r in rows} == {
        ("raw pipe", "64 B"),
        ("raw pipe", "4 KiB"),
        ("reference", "64 B"),
        ("reference", "4 KiB"),
    }
    for row in rows:
        assert row["errors"] == [] and row["round_trips_per_second"] > 0
        assert row["ratio_to_raw"] > 0
    pair = next(r for r in rows if r["server"] == "reference")
    assert pair["latency_p50_us"] > 0 and pair["client_cpu_s"] is not None
    bench.write(rows, tmp_path)
    assert json.loads((tmp_path / "bench.json").read_text())[0]["workload"]
    assert "<svg" in (tmp_path / "bench.html").read_text()
