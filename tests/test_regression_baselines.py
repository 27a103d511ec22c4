"""CI's performance-regression run: every committed baseline still holds.

For each ``baselines/<scenario>.json`` this re-runs ``scenarios/<scenario>.yaml`` at the
scale the baseline records (duration, seed, replications, strategies) and requires
``routesim check``'s rule to pass: no KPI worse than its tolerance with 99% confidence.
A scenario edited since its baseline fails with the regeneration command:

    .venv/bin/python baselines/regenerate.py [SCENARIO...]
"""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.check import CheckError, compare, load_baseline, render_report, run_kpis_from_result

ROOT = Path(__file__).resolve().parent.parent
BASELINES = sorted((ROOT / "baselines").glob("*.json"))
SKIPPED = {"bench"}  # sized for the speed benchmark, not for CI
REGENERATE = ".venv/bin/python baselines/regenerate.py"


@pytest.mark.parametrize("path", BASELINES, ids=[p.stem for p in BASELINES])
def test_bundled_scenario_matches_its_baseline(path: Path) -> None:
    baseline = load_baseline(path)
    scenario_file = ROOT / "scenarios" / f"{path.stem}.yaml"
    if not scenario_file.exists():
        pytest.fail(f"{path.name}: no scenarios/{path.stem}.yaml; delete the stale baseline")
    scenario = sim.load_scenario(scenario_file).model_copy(
        update={"duration_s": float(baseline["duration_s"]), "seed": int(baseline["seed"])}
    )
    result = sim.run_scenario(
        scenario, list(baseline["strategies"]), replications=int(baseline["replications"])
    )
    try:
        report = compare(baseline, run_kpis_from_result(result))
    except CheckError as exc:
        pytest.fail(f"{path.name}: {exc}. If intended: {REGENERATE} {path.stem}")
    assert report.passed, (
        f"{path.name}: KPI regression\n{render_report(report, brief=True)}"
        f"If the change is intended, regenerate: {REGENERATE} {path.stem}"
    )


def test_every_bundled_scenario_has_a_baseline() -> None:
    scenarios = {p.stem for p in (ROOT / "scenarios").glob("*.yaml")} - SKIPPED
    missing = sorted(scenarios - {p.stem for p in BASELINES})
    if missing:
        pytest.skip(f"no baseline for {', '.join(missing)}: {REGENERATE} {' '.join(missing)}")
