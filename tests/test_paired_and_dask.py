"""Paired comparisons against a reference, and the Dask executor path."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import sim
from sim.cluster import ClusterError, executor_for

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def scenario() -> sim.Scenario:
    return sim.load_scenario(BASELINE).model_copy(update={"duration_s": 90.0})


def test_paired_difference_is_the_mean_of_replication_differences(scenario: sim.Scenario) -> None:
    result = sim.run_scenario(
        scenario, ["least-cost", "priority"], replications=3, workers=1, reference="priority"
    )
    summary = result.summary
    assert summary["reference"] == "priority"
    assert "paired" not in summary["strategies"]["priority"]
    paired = summary["strategies"]["least-cost"]["paired"]
    assert paired["reference"] == "priority"
    per_rep = {(t.strategy, t.replication): t.kpis for t in result.tasks}
    diffs = [
        per_rep[("least-cost", r)]["delivered_ratio"] - per_rep[("priority", r)]["delivered_ratio"]
        for r in (1, 2, 3)
    ]
    assert math.isclose(paired["diff"]["delivered_ratio"], sum(diffs) / 3)
    lo, hi = paired["ci95"]["delivered_ratio"]
    assert lo <= paired["diff"]["delivered_ratio"] <= hi
    # common random numbers: the paired interval is far narrower than the unpaired spread
    # (least-cost loses true delivery on the grey route in every replication)
    assert hi < 0


def test_dask_cluster_gives_the_same_summary_as_the_local_pool(scenario: sim.Scenario) -> None:
    distributed = pytest.importorskip("distributed")
    local = sim.run_scenario(scenario, ["least-cost", "weighted"], replications=2, workers=2)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        executor_for(cluster.scheduler_address) as executor,
    ):
        remote = sim.run_scenario(
            scenario, ["least-cost", "weighted"], replications=2, executor=executor
        )
    a = dict(local.summary)
    b = dict(remote.summary)
    a.pop("wall_s")
    b.pop("wall_s")
    assert a == b


def test_unreachable_scheduler_is_a_one_line_error() -> None:
    with (
        pytest.raises(ClusterError, match="cannot reach Dask scheduler"),
        executor_for("tcp://127.0.0.1:9", timeout_s=1.0),
    ):
        pass
