"""Regression check: baselines, the KPI-by-KPI rule, the table and exit codes.

Runs of the bundled baseline scenario (120 simulated seconds, 3 replications, two
strategies) stand in for CI runs: an unchanged re-run passes, a re-run with another
seed passes (seed noise is not a regression), and a run whose grey route delivers
less (0.70 -> 0.45, the difference moved to ``undelivered``) fails with exit 1, on
least-cost only (priority never uses that route). Failover on the negative receipts
rescues many of those messages, so the regression shows first in retries and cost per
delivered message, then in true delivery.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import shutil
from pathlib import Path

import pytest
import yaml

from sim.check import (
    CheckError,
    Tolerance,
    compare,
    judge,
    load_baseline,
    load_run,
    make_baseline,
    parse_tolerance,
    register,
)
from sim.cli import main as routesim
from sim.scenario import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
RUN_ARGS = ["--duration", "120", "--replications", "3", "--strategy", "least-cost",
            "--strategy", "priority", "--quiet"]  # fmt: skip


def cli(*argv: str) -> int:
    """``routesim baseline|check`` through the module's own ``register``."""
    parser = argparse.ArgumentParser(prog="routesim")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except (CheckError, ScenarioError) as exc:
        assert "\n" not in str(exc)
        print(f"routesim: error: {exc}")
        return 2
    return code


def _run(out: Path, *extra: str, scenario: Path = BASELINE) -> Path:
    assert routesim(["run", str(scenario), *RUN_ARGS, "--out", str(out), *extra]) == 0
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("check")
    data = yaml.safe_load(BASELINE.read_text())
    grey = next(r for r in data["routes"] if r["id"] == "grey-cheap")
    grey["outcomes"] = {"delivered": 0.45, "undelivered": 0.30, "expired": 0.05, "lost": 0.20}
    planted = root / "planted.yaml"
    planted.write_text(yaml.safe_dump(data))
    out = {
        "base": _run(root / "base", "--workers", "1"),
        "rerun": _run(root / "rerun", "--workers", "2"),
        "other-seed": _run(root / "other-seed", "--seed", "7", "--workers", "2"),
        "planted": _run(root / "planted", "--workers", "2", scenario=planted),
    }
    out["baseline"] = root / "baseline.json"
    assert cli("baseline", str(out["base"]), "-o", str(out["baseline"])) == 0
    return out


def test_baseline_file_holds_replication_values_and_fingerprint(runs: dict[str, Path]) -> None:
    baseline = load_baseline(runs["baseline"])
    assert baseline["scenario"] == "baseline" and baseline["replications"] == 3
    assert baseline["duration_s"] == 120 and baseline["seed"] == 20260310
    assert set(baseline["strategies"]) == {"least-cost", "priority"}
    entry = baseline["strategies"]["least-cost"]["kpis"]["delivered_ratio"]
    assert entry["n"] == 3 and len(entry["values"]) == 3
    assert math.isclose(entry["mean"], sum(entry["values"]) / 3)
    assert "routes.grey-cheap" in baseline["world"] and baseline["world"]["duration_s"] == 120
    # same run, same file: baselines are byte-stable, so regenerating them diffs cleanly
    again = runs["baseline"].with_name("again.json")
    assert cli("baseline", str(runs["base"]), "-o", str(again)) == 0
    assert again.read_bytes() == runs["baseline"].read_bytes()


def test_unchanged_run_passes(runs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("check", str(runs["rerun"]), "--baseline", str(runs["baseline"])) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "REGRESSED" not in out
    assert "delivered_ratio" in out and "tolerance" in out and "verdict" in out


def test_other_seed_is_not_a_regression(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # Seed noise: every KPI is compared as two independent samples of 3 replications; a
    # regression needs the worsening beyond tolerance at 99% one-sided confidence, so noise
    # (2-4x smaller than the tolerances here) does not fail. 10 other seeds: no failure.
    assert cli("check", str(runs["other-seed"]), "--baseline", str(runs["baseline"])) == 0
    out = capsys.readouterr().out
    assert "seed 7 differs from the baseline's 20260310" in out and "PASS" in out


def test_planted_regression_fails_with_exit_1(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli(
        "check", str(runs["planted"]), "--baseline", str(runs["baseline"]),
        "--allow-scenario-change",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1, out
    assert "FAIL" in out and "REGRESSED" in out
    assert "routes.grey-cheap" in out  # the warning names what changed
    report = compare(load_baseline(runs["baseline"]), load_run(runs["planted"]),
                     allow_scenario_change=True)  # fmt: skip
    regressed = {(r.strategy, r.kpi) for r in report.regressions}
    assert {("least-cost", "retries"), ("least-cost", "cost_per_delivered")} <= regressed
    assert all(strategy == "least-cost" for strategy, _ in regressed)  # priority avoids grey


def test_scenario_change_is_refused_without_the_flag(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("check", str(runs["planted"]), "--baseline", str(runs["baseline"])) == 2
    out = capsys.readouterr().out
    assert "scenario differs from the baseline's in routes.grey-cheap" in out
    assert "--allow-scenario-change" in out and out.count("\n") == 1


def test_a_changed_duration_is_named_with_its_values(runs: dict[str, Path]) -> None:
    run = load_run(runs["rerun"])
    shorter = dataclasses.replace(run, world={**run.world, "duration_s": 60.0})
    with pytest.raises(CheckError, match=r"in duration_s \(120\.0 -> 60\.0\)"):
        compare(load_baseline(runs["baseline"]), shorter)


def test_tolerance_override_and_brief_output(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    baseline, planted = load_baseline(runs["baseline"]), load_run(runs["planted"])
    failing = {r.kpi for r in compare(baseline, planted, allow_scenario_change=True).regressions}
    loose = [parse_tolerance(f"{kpi}=1000%") for kpi in failing]
    assert compare(baseline, planted, loose, allow_scenario_change=True).passed
    code = cli("check", str(runs["other-seed"]), "--baseline", str(runs["baseline"]), "--brief")
    assert code == 0
    assert "submitted" not in capsys.readouterr().out  # brief: only rows that are not ok


def test_summary_without_replication_values_is_refused(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    copy = shutil.copytree(runs["base"], tmp_path / "old-run")
    summary = json.loads((copy / "summary.json").read_text())
    for data in summary["strategies"].values():
        data.pop("replication_kpis")
    (copy / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(CheckError, match="no per-replication KPIs for 'least-cost'"):
        load_run(copy)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "{tmp}/nope", "--baseline", "{baseline}"], "no such run directory"),
        (["check", "{base}", "--baseline", "{tmp}/nope.json"], "no such baseline file"),
        (["check", "{base}", "--baseline", "{base}/summary.json"], "not a routesim baseline"),
        (["check", "{base}", "--baseline", "{baseline}", "--tolerance", "speed=1"], "no KPI"),
        (["check", "{base}", "--baseline", "{baseline}", "--tolerance", "retries=x"], "not a"),
        (["check", "{base}", "--baseline", "{baseline}", "--strategy", "weighted"], "not in"),
        (["baseline", "{tmp}", "-o", "{tmp}/b.json"], "no summary.json"),
    ],
)
def test_bad_input_is_a_one_line_error(
    runs: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    values = {"tmp": tmp_path, "base": runs["base"], "baseline": runs["baseline"]}
    assert cli(*(a.format(**values) for a in argv)) == 2
    out = capsys.readouterr().out
    assert out.startswith("routesim: error: ") and message in out and out.count("\n") == 1


def test_baseline_needs_two_replications(tmp_path: Path) -> None:
    run = _run(tmp_path / "one", "--replications", "1", "--duration", "30", "--workers", "1")
    with pytest.raises(CheckError, match="at least 2 replications"):
        make_baseline(load_run(run))


# --------------------------------------------------------------------------- the rule


def _sample(mean: float, sd: float, n: int = 3) -> tuple[float, float, int]:
    return (mean, sd, n)


def test_rule_needs_direction_tolerance_and_significance() -> None:
    base = _sample(0.90, 0.002)
    # 3 pp worse, tight: regression
    assert judge(base, _sample(0.87, 0.002), True, 0.01)[0] == "REGRESSED"
    # 3 pp *better*: never a regression
    assert judge(base, _sample(0.93, 0.002), True, 0.01)[0] == "better"
    # 0.5 pp worse, tight: within tolerance
    assert judge(base, _sample(0.895, 0.002), True, 0.01)[0] == "ok"
    # 3 pp worse but noisy: beyond tolerance, not significant
    assert judge(base, _sample(0.87, 0.03), True, 0.01)[0] == "worse?"
    # lower is better (latency): higher run value is the bad direction
    assert judge(_sample(10.0, 0.1), _sample(12.0, 0.1), False, 1.0)[0] == "REGRESSED"
    assert judge(_sample(10.0, 0.1), _sample(8.0, 0.1), False, 1.0)[0] == "better"
    # constant on both sides (e.g. AIT counts): an exact difference
    assert judge(_sample(0.0, 0.0), _sample(9.0, 0.0), False, 5.0)[0] == "REGRESSED"
    assert judge(_sample(0.0, 0.0), _sample(3.0, 0.0), False, 5.0)[0] == "ok"


def test_tolerance_syntax() -> None:
    assert parse_tolerance("delivered_ratio=2pp") == ("delivered_ratio", Tolerance(0.02, 0.0))
    assert parse_tolerance("latency_*=25%") == ("latency_*", Tolerance(0.0, 0.25))
    assert parse_tolerance("retries=40") == ("retries", Tolerance(40.0, 0.0))
    assert Tolerance(0.1, 0.10).allowed(30.0) == pytest.approx(3.0)
    assert Tolerance(0.1, 0.10).allowed(0.5) == pytest.approx(0.1)
    with pytest.raises(CheckError, match="expected KPI=VALUE"):
        parse_tolerance("retries")
