"""Issue findings on seeded runs: evidence beats least-cost on a grey route, probes flag
the grey route quickly, and the AIT guard stops pumping without blocking real users."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.kpis import wilson
from sim.probes.evidence import RouteEvidence

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
FLAG_BOUND_S = 600.0  # stated bound: probes (60 per route per hour) flag the grey route


@pytest.fixture(scope="module")
def grey() -> sim.RunResult:
    scenario = sim.load_scenario(SCENARIOS / "grey-route.yaml")
    return sim.run_scenario(
        scenario, ["least-cost", "evidence-weighted"], replications=3, workers=2,
        reference="least-cost",
    )  # fmt: skip


def _ci(result: sim.RunResult, strategy: str, kpi: str) -> tuple[float, float]:
    lo, hi = result.summary["strategies"][strategy]["ci95"][kpi]
    return float(lo), float(hi)


def test_evidence_weighted_beats_least_cost_on_truth_at_no_higher_cost(
    grey: sim.RunResult,
) -> None:
    for kpi in ("delivered_ratio", "sender_intact_ratio"):
        _, lc_hi = _ci(grey, "least-cost", kpi)
        ev_lo, _ = _ci(grey, "evidence-weighted", kpi)
        assert ev_lo > lc_hi, kpi  # confidence intervals do not overlap
    paired = grey.summary["strategies"]["evidence-weighted"]["paired"]
    assert paired["reference"] == "least-cost"
    _, hi = paired["ci95"]["cost_per_delivered"]
    assert hi < 0  # cheaper per truly delivered message, on the same traffic


def test_probes_flag_the_grey_route_within_the_stated_bound(grey: sim.RunResult) -> None:
    for replication in (1, 2, 3):
        records = grey.records("evidence-weighted", replication)
        evidence = RouteEvidence(flag_threshold=0.05)
        flagged_at = None
        for probe in sorted(records.probe_results, key=lambda p: p.observed_s):
            evidence.add(probe)
            if evidence.flagged("grey-simfarm", now_s=probe.observed_s):
                flagged_at = probe.observed_s
                break
        assert flagged_at is not None and flagged_at <= FLAG_BOUND_S, replication
        for honest in ("tier1-hub", "eu-connect"):
            assert not evidence.flagged(honest)


def test_ait_guard_blocks_pumping_but_not_real_users() -> None:
    scenario = sim.load_scenario(SCENARIOS / "ait-attack.yaml")
    result = sim.run_scenario(
        scenario, ["least-cost", "least-cost-ait-guard"], replications=2, workers=2
    )
    for task in result.tasks:
        columns = task.records.columns
        pumped = int(columns["ait"][columns["final"]].sum())
        kpis = task.kpis
        if task.strategy == "least-cost":
            assert kpis["ait_blocked"] == 0 and kpis["ait_sent"] == pumped
            continue
        blocked_lo, _ = wilson(kpis["ait_blocked"], pumped)
        assert blocked_lo >= 0.90
        _, legit_hi = wilson(kpis["n_legit_blocked"], kpis["n_legit_otp"])
        assert legit_hi <= 0.01
    guarded = result.summary["strategies"]["least-cost-ait-guard"]["kpis"]
    unguarded = result.summary["strategies"]["least-cost"]["kpis"]
    assert guarded["ait_cost"] < 0.05 * unguarded["ait_cost"]
    assert guarded["otp_conversion"] > unguarded["otp_conversion"] + 0.1
