"""Sweeps: parameter paths by id, grid parsing, one-line errors, and a tiny 2x2 sweep."""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import pytest

import sim
from sim.kpis import KPI_ORDER
from sim.scenario import ScenarioError
from sim.sweep import (
    SweepError,
    apply_point,
    parse_params,
    register,
    run_sweep,
    split_values,
)

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def scenario() -> sim.Scenario:
    return sim.load_scenario(BASELINE)


def cli(*argv: str) -> int:
    """``routesim sweep`` through the module's own ``register``."""
    parser = argparse.ArgumentParser(prog="routesim")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


# --------------------------------------------------------------------------- grid parsing


def test_values_are_yaml_scalars_split_at_top_level_commas(scenario: sim.Scenario) -> None:
    assert split_values("0, 0.1,[a, b],{x: 1}") == ["0", "0.1", "[a, b]", "{x: 1}"]
    (param,) = parse_params(["retry.failover_on_negative_dlr=true,false"], scenario)
    assert param.values == (True, False)
    (param,) = parse_params(["strategies.least-cost.params.exclude_kinds=[grey],[]"], scenario)
    assert param.values == (["grey"], [])
    assert param.resolved == ("strategies.least-cost.params.exclude_kinds",)
    (param,) = parse_params(["routes.grey-cheap.dlr.fake_mode=all,bulk"], scenario)
    assert param.values == ("all", "bulk") and param.labels == ("all", "bulk")


def test_paths_address_fields_by_id(scenario: sim.Scenario) -> None:
    params = parse_params(
        ["routes.orange-direct.tps=30,60", "destinations.ng-mtn.share=0.1",
         "traffic.rate_per_s=10", "retry.max_attempts=1", "duration_s=60",
         "routes.euro-hub.prices.fr-orange=0.03", "traffic.bursts.0.rate_per_s=80"],
        scenario,
    )  # fmt: skip
    assert [p.resolved for p in params] == [
        ("routes.orange-direct.tps",),
        ("destinations.ng-mtn.share",),
        ("traffic.rate_per_s",),
        ("retry.max_attempts",),
        ("duration_s",),
        ("routes.euro-hub.prices.fr-orange",),
        ("traffic.bursts.0.rate_per_s",),
    ]
    variant = apply_point(scenario, params, [p.values[-1] for p in params], "test")
    orange = next(r for r in variant.routes if r.id == "orange-direct")
    assert orange.tps == 60 and variant.retry.max_attempts == 1 and variant.duration_s == 60
    assert dict(next(r for r in variant.routes if r.id == "euro-hub").prices)["fr-orange"] == 0.03
    assert variant.traffic.bursts[0].rate_per_s == 80


def test_issue_shorthand_means_every_grey_routes_fake_share(scenario: sim.Scenario) -> None:
    (param,) = parse_params(["routes.grey.fake_dlr_share=0,0.1,0.3"], scenario)
    assert param.resolved == ("routes.grey-cheap.dlr.fake_share",)
    variant = apply_point(scenario, [param], [0.3], "test")
    assert next(r for r in variant.routes if r.id == "grey-cheap").dlr.fake_share == 0.3
    (direct,) = parse_params(["routes.direct.tps=5"], scenario)
    assert len(direct.resolved) == 4  # a kind selects every route of that kind


def test_setting_one_outcome_rebalances_the_others(scenario: sim.Scenario) -> None:
    (param,) = parse_params(["routes.grey-cheap.delivered=0.4,0.9"], scenario)
    for value in param.values:
        variant = apply_point(scenario, [param], [value], "test")
        outcomes = next(r for r in variant.routes if r.id == "grey-cheap").outcomes
        assert outcomes.delivered == value
        total = outcomes.delivered + outcomes.undelivered + outcomes.expired + outcomes.lost
        assert math.isclose(total, 1.0)
        assert math.isclose(outcomes.lost / outcomes.expired, 0.20 / 0.05)  # in proportion


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("routes.nope.tps=1", "--param routes.nope.tps=...: no route 'nope' (routes: "
         "orange-direct, sfr-direct, telekom-direct, euro-hub, global-connect, afri-direct, "
         "grey-cheap; or a kind: aggregator, direct, grey)"),
        ("routes.grey-cheap.dlr.fake_shar=1", "no field 'fake_shar' in routes.grey-cheap.dlr"
         " (fields: delay, missing_share, fake_share"),
        ("routes.grey-cheap.dlr.fake_shar=1", "did you mean 'fake_share'?"),
        ("destinations.xx.share=1", "no destination 'xx' (destinations: fr-orange"),
        ("strategies.nope.params.x=1", "no strategy 'nope' (strategies: least-cost, priority"),
        ("routes.grey-cheap.outcomes=0.5", "routes.grey-cheap.outcomes is a group"),
        ("routes.grey-cheap.drift.delivered_factor=0.5", "drift is not set in the scenario"),
        ("routes.grey-cheap.tps.x=1", "routes.grey-cheap.tps is a value (50.0)"),
        ("replications=2", "cannot be swept (use --replications)"),
        ("traffic.rate_per_s", "expected PATH=V1,V2,..."),
        ("traffic.rate_per_s=1,,2", "empty value"),
        ("traffic.rate_per_s=1,1", "a value is repeated"),
    ],
)  # fmt: skip
def test_bad_paths_name_the_valid_choices(scenario: sim.Scenario, text: str, message: str) -> None:
    with pytest.raises(SweepError) as caught:
        parse_params([text], scenario)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_same_field_twice_and_no_param_are_errors(scenario: sim.Scenario) -> None:
    with pytest.raises(SweepError, match=r"also set by --param routes\.grey\.tps"):
        parse_params(["routes.grey.tps=1", "routes.grey-cheap.tps=2"], scenario)
    with pytest.raises(SweepError, match="at least one --param"):
        parse_params([], scenario)


def test_bad_value_is_the_usual_one_line_validation_error(scenario: sim.Scenario) -> None:
    params = parse_params(["routes.grey.fake_dlr_share=0.5,2"], scenario)
    with pytest.raises(ScenarioError) as caught:
        run_sweep(scenario, params, ["least-cost"], replications=1, workers=1)
    text = str(caught.value)
    assert text.startswith("baseline [routes.grey.fake_dlr_share=2]: routes[6].dlr.fake_share")
    assert "\n" not in text


# --------------------------------------------------------------------------- running


def test_grid_points_share_seeds_with_a_plain_run(scenario: sim.Scenario) -> None:
    short = scenario.model_copy(update={"duration_s": 40.0})
    params = parse_params(["routes.grey.fake_dlr_share=0,0.85"], short)
    result = run_sweep(short, params, ["least-cost"], replications=2, workers=2)
    assert [row.labels for row in result.rows] == [("0",), ("0.85",)]
    plain = sim.run_scenario(short, ["least-cost"], replications=2, workers=1)
    expected = plain.summary["strategies"]["least-cost"]["kpis"]
    same_point = result.rows[1].means  # 0.85 is the scenario's own value
    for kpi in KPI_ORDER:
        if expected[kpi] is None:
            assert math.isnan(same_point[kpi])
        else:
            assert same_point[kpi] == pytest.approx(expected[kpi], rel=1e-12), kpi
    # the grey route's receipts changed, its traffic did not (paired across points)
    assert result.rows[0].means["submitted"] == result.rows[1].means["submitted"]
    assert result.rows[0].means["fake_dlr_ratio"] == 0.0 < result.rows[1].means["fake_dlr_ratio"]


def test_tiny_2x2_sweep_writes_csv_markdown_and_heat_maps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sweep"
    code = cli(
        "sweep", str(BASELINE), "--param", "routes.grey.fake_dlr_share=0,0.3",
        "--param", "traffic.rate_per_s=10,20", "--duration", "30", "--replications", "2",
        "--strategy", "least-cost", "--strategy", "priority", "--workers", "2",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "routes.grey.fake_dlr_share -> routes.grey-cheap.dlr.fake_share" in printed
    with (out / "sweep.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 * 2 * 2  # points x strategies
    assert {(r["routes.grey.fake_dlr_share"], r["traffic.rate_per_s"]) for r in rows} == {
        ("0", "10"),
        ("0", "20"),
        ("0.3", "10"),
        ("0.3", "20"),
    }
    first = rows[0]
    for kpi in KPI_ORDER:
        assert {kpi, f"{kpi}_lo", f"{kpi}_hi"} <= set(first)
    assert float(first["delivered_ratio_lo"]) <= float(first["delivered_ratio"])
    assert float(first["delivered_ratio"]) <= float(first["delivered_ratio_hi"])
    markdown = (out / "sweep.md").read_text()
    assert "`routes.grey-cheap.dlr.fake_share`" in markdown and "| least-cost |" in markdown
    heat_maps = sorted(p.name for p in out.glob("heatmap-*.png"))
    assert len(heat_maps) == 2 * 4  # strategies x main KPIs
    assert "heatmap-priority-fake_dlr_ratio.png" in heat_maps
    assert all((out / name).stat().st_size > 5000 for name in heat_maps)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".sweep")]  # no staging left


def test_one_parameter_gives_line_plots(tmp_path: Path) -> None:
    out = tmp_path / "line"
    code = cli(
        "sweep", str(BASELINE), "--param", "routes.grey-cheap.delivered=0.5,0.9",
        "--duration", "20", "--replications", "2", "--strategy", "least-cost",
        "--workers", "1", "--kpi", "delivered_ratio", "--kpi", "retries", "--out", str(out),
        "--quiet",
    )  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in out.glob("*.png")) == [
        "line-delivered_ratio.png", "line-retries.png"
    ]  # fmt: skip


def test_refuses_a_foreign_output_directory(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(SweepError, match="not a routesim sweep directory"):
        cli("sweep", str(BASELINE), "--param", "seed=1", "--out", str(tmp_path), "--quiet")
    assert (tmp_path / "mine.txt").read_text() == "keep me"
