"""Scenario schema: valid files load, bad ones fail with one-line `file: field: reason`."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

import sim
from sim.scenario import ScenarioError, json_schema, load_scenario, parse_scenario

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"


@pytest.fixture()
def data() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(BASELINE.read_text())
    return loaded


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "s.yaml")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("s.yaml: ")
    return message


def test_bundled_scenarios_validate() -> None:
    for file in sorted(BASELINE.parent.glob("*.yaml")):
        scenario = load_scenario(file)
        assert scenario.routes and scenario.destinations


def test_models_are_frozen(data: dict[str, Any]) -> None:
    scenario = parse_scenario(data)
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error
        scenario.duration_s = 5  # type: ignore[misc]


def test_unknown_key_is_rejected_with_its_path(data: dict[str, Any]) -> None:
    data["routes"][1]["colour"] = "red"
    assert _error(data) == "s.yaml: routes[1].colour: Extra inputs are not permitted"


def test_outcomes_must_sum_to_one(data: dict[str, Any]) -> None:
    data["routes"][0]["outcomes"]["delivered"] = 0.5
    message = _error(data)
    assert "routes[0].outcomes" in message and "sum to" in message


def test_route_pricing_unknown_destination(data: dict[str, Any]) -> None:
    data["routes"][0]["prices"]["xx-nowhere"] = 0.01
    assert "unknown destination 'xx-nowhere'" in _error(data)


def test_destination_without_route(data: dict[str, Any]) -> None:
    data["destinations"].append(
        {"id": "it-tim", "country": "IT", "operator": "TIM", "mcc_mnc": "222-01",
         "prefixes": ["+39333"], "share": 0.1}
    )  # fmt: skip
    assert "'it-tim' has no route pricing it" in _error(data)


def test_prefix_outside_country(data: dict[str, Any]) -> None:
    data["destinations"][0]["prefixes"] = ["+4917"]
    message = _error(data)
    assert "destinations[0]" in message and "not in country FR (+33)" in message


def test_bad_sender_and_placeholder(data: dict[str, Any]) -> None:
    bad = copy.deepcopy(data)
    bad["traffic"]["kinds"]["otp"]["sender"] = "WAYTOOLONGSENDER"
    assert "traffic.kinds.otp.sender" in _error(bad)
    data["traffic"]["kinds"]["otp"]["templates"] = ["code {pin}"]
    assert "unknown placeholder {pin}" in _error(data)


def test_duplicate_ids_and_unknown_delay_distribution(data: dict[str, Any]) -> None:
    dup = copy.deepcopy(data)
    dup["routes"][1]["id"] = dup["routes"][0]["id"]
    assert "duplicate id 'orange-direct'" in _error(dup)
    data["routes"][0]["submit_latency"] = {"dist": "weibull", "shape": 2}
    assert "routes[0].submit_latency" in _error(data)


def test_daily_profile_needs_24_values(data: dict[str, Any]) -> None:
    data["traffic"]["daily_profile"] = [1.0] * 23
    assert "traffic.daily_profile: Value error" not in _error(data)
    assert "needs 24 hourly values, got 23" in _error(data)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    file = tmp_path / "broken.yaml"
    file.write_text("name: x\nroutes: [\n  - a\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    assert str(info.value).startswith(f"{file}: line ")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    file = tmp_path / "list.yaml"
    file.write_text("- 1\n- 2\n")
    with pytest.raises(ScenarioError, match="top level must be a mapping"):
        load_scenario(file)


def test_missing_file() -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario("does/not/exist.yaml")


def test_json_schema_describes_the_scenario() -> None:
    schema = json_schema()
    assert schema["title"] == "routesim scenario"
    assert {"destinations", "routes", "traffic", "strategies"} <= set(schema["properties"])
    assert "Route" in schema["$defs"] and "additionalProperties" in schema["$defs"]["Route"]


def test_unlisted_strategy_gets_default_params(data: dict[str, Any]) -> None:
    scenario = sim.parse_scenario(data)
    spec = scenario.strategy("tests.helpers:Thing")
    assert spec.use == "tests.helpers:Thing" and spec.name == "Thing" and not spec.params
    assert scenario.strategy("priority").params["order"][0] == "orange-direct"
