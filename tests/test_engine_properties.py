"""Hypothesis properties of the engine over small random worlds and every built-in
strategy: one terminal state per message, times never decrease, same seed same
records, routes only for destinations they price, common random numbers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import sim
from sim.engine import generate_traffic, simulate
from sim.records import Records
from sim.scenario import Scenario, StrategySpec
from sim.strategies.base import Message, RouteView, StrategyBase, StrategyError
from sim.world.smpp import DlrStatus

STRATEGIES = ("least-cost", "priority", "weighted", "quality-scored")
DESTS = ("fr-a", "ng-d")
ACTIONS = ("retry_same", "failover", "give_up")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

share = st.sampled_from([0.0, 0.0, 0.05, 0.3, 0.7, 1.0])
delay = st.one_of(
    st.builds(lambda v: {"dist": "constant", "value_s": v}, st.sampled_from([0.0, 0.05, 1.0])),
    st.builds(lambda m: {"dist": "exponential", "mean_s": m}, st.sampled_from([0.02, 0.5, 3.0])),
    st.just({"dist": "lognormal", "median_s": 2.0, "p95_s": 9.0}),
)


@st.composite
def outcomes(draw: st.DrawFn) -> dict[str, float]:
    cuts = sorted(draw(st.lists(st.integers(0, 20), min_size=3, max_size=3)))
    parts = [cuts[0], cuts[1] - cuts[0], cuts[2] - cuts[1], 20 - cuts[2]]
    return dict(
        zip(("delivered", "undelivered", "expired", "lost"), [p / 20 for p in parts], strict=True)
    )


@st.composite
def routes(draw: st.DrawFn, index: int, duration_s: float, steady: bool) -> dict[str, Any]:
    """One route; ``steady``: paced at a high tps, nothing varies with time."""
    dests = draw(st.lists(st.sampled_from(DESTS), min_size=1, max_size=2, unique=True))
    route: dict[str, Any] = {
        "id": f"r{index}",
        "kind": draw(st.sampled_from(["direct", "aggregator", "grey"])),
        "prices": {d: draw(st.sampled_from([0.01, 0.02, 0.035])) for d in dests},
        "window": draw(st.integers(1, 5)),
        "submit_latency": draw(delay),
        "handset_latency": draw(delay),
        "validity_s": draw(st.sampled_from([30.0, 600.0])),
        "outcomes": draw(outcomes()),
        "dlr": {
            "delay": draw(delay),
            "missing_share": draw(share),
            "fake_share": draw(share),
            "fake_mode": draw(st.sampled_from(["all", "bulk", "except_test_numbers"])),
        },
        "sender": {"numeric_share": draw(share) / 2, "generic_share": draw(share) / 2},
        "content": {"truncate_share": draw(share) / 3, "strip_links_share": draw(share) / 3},
        "errors": {"system_error_share": draw(share) / 2},
    }
    if steady:
        route.update(pace=True, tps=1000.0, queue_limit=100_000)
        return route
    route.update(
        pace=draw(st.booleans()),
        tps=draw(st.sampled_from([0.5, 2.0, 5.0, 100.0])),
        queue_limit=draw(st.integers(1, 20)),
    )
    if draw(st.booleans()):
        start = draw(st.floats(0.0, duration_s))
        end = start + draw(st.floats(0.5, duration_s))
        mode = draw(st.sampled_from(["reject", "blackhole"]))
        route["outages"] = [{"start_s": start, "end_s": end, "mode": mode}]
    if draw(st.booleans()):
        route["drift"] = {"start_s": 0.0, "end_s": duration_s, "delivered_factor": 0.5,
                          "handset_latency_factor": 3.0}  # fmt: skip
    return route


def strategy_spec(draw: st.DrawFn, name: str, route_ids: list[str]) -> dict[str, Any]:
    if name == "priority":
        return {"name": name, "params": {"order": draw(st.permutations(route_ids))}}
    if name == "weighted":
        weights = {r: draw(st.integers(0, 3)) for r in route_ids}
        return {"name": name, "params": {"weights": weights}}
    if name == "quality-scored":
        return {"name": name, "params": {"explore": draw(st.sampled_from([0.0, 0.2]))}}
    return {"name": name}


@st.composite
def scenarios(
    draw: st.DrawFn, steady: bool = False, min_routes: int = 1, n_strategies: int = 1
) -> dict[str, Any]:
    """Keyword arguments of the ``make_scenario`` fixture."""
    duration_s = draw(st.sampled_from([5.0, 20.0]))
    n_routes = draw(st.integers(min_routes, 3))
    route_list = [draw(routes(i, duration_s, steady)) for i in range(n_routes)]
    for dest in DESTS:  # every destination priced by some route
        if not any(dest in r["prices"] for r in route_list):
            route_list[0]["prices"][dest] = 0.02
    ids = [r["id"] for r in route_list]
    names = draw(st.permutations(STRATEGIES))[:n_strategies]
    ng_rules: dict[str, Any] = {}
    if not steady and draw(st.booleans()):
        ng_rules = {"sender_rules": {
            "registration_required": True,
            "registered": [{"sender": "ACMEBANK", "from_s": draw(st.sampled_from([0.0, 3.0]))}],
            "unregistered_alphanumeric": draw(st.sampled_from(["rewrite_generic", "reject"])),
        }}  # fmt: skip
    bursts = []
    if draw(st.booleans()):
        bursts = [{"start_s": 1.0, "duration_s": 2.0, "rate_per_s": 20.0, "kind": "otp"}]
    return dict(
        routes=route_list,
        destinations={"fr-a": {}, "ng-d": ng_rules},
        kinds=["otp", "marketing"],
        rate_per_s=draw(st.sampled_from([0.5, 3.0, 10.0])),
        duration_s=duration_s,
        seed=draw(st.integers(0, 2**32 - 1)),
        strategies=[strategy_spec(draw, n, ids) for n in names],
        bursts=bursts,
        retry={
            "max_attempts": draw(st.integers(1, 4)),
            "on_throttled": draw(st.sampled_from(ACTIONS)),
            "on_queue_full": draw(st.sampled_from(ACTIONS)),
            "on_system_error": draw(st.sampled_from(ACTIONS)),
            "backoff_s": draw(st.sampled_from([0.0, 0.5, 2.0])),
            "failover_on_negative_dlr": draw(st.booleans()),
        },
    )


def run(scenario: Scenario, index: int = 0) -> Records:
    return simulate(scenario, scenario.strategies[index], 1)


def check_one_terminal_state(scenario: Scenario, records: Records, n_messages: int) -> None:
    c = records.columns
    msg, attempt, final = c["msg_id"], c["attempt"].astype(int), c["final"]
    np.testing.assert_array_equal(msg[final], np.arange(n_messages))
    first = np.append(True, msg[1:] != msg[:-1]) if msg.size else final
    assert (attempt[first] == 1).all()
    assert (attempt[~first] == attempt[np.flatnonzero(~first) - 1] + 1).all()
    assert attempt.max(initial=1) <= scenario.retry.max_attempts


def check_times(records: Records) -> None:
    c = records.columns
    created, queued, submitted = c["created_s"], c["queued_s"], c["submitted_s"]
    routed = c["route"] >= 0
    assert not np.isnan(queued[routed]).any() and not np.isnan(submitted[routed]).any()
    # Comparisons with NaN are False: absent times never count as violations.
    early = queued < created
    assert not early.any(), list(zip(created[early].tolist(), queued[early].tolist(), strict=True))
    assert not (submitted < queued).any()
    assert not (c["handset_s"] < submitted).any()
    assert not (c["dlr_s"] < submitted).any()
    honest = c["handset_delivered"] & (c["dlr_status"] == DlrStatus.DELIVRD)
    assert not (c["dlr_s"][honest] < c["handset_s"][honest]).any()
    assert (np.isnan(c["handset_s"]) != c["handset_delivered"]).all()
    assert (np.isnan(c["dlr_s"]) == (c["dlr_status"] == DlrStatus.NONE)).all()
    same = c["msg_id"][1:] == c["msg_id"][:-1]
    assert not (queued[1:][same] < submitted[:-1][same]).any()


def check_routes_price_destinations(scenario: Scenario, records: Records) -> None:
    c = records.columns
    dest_ids = [d.id for d in scenario.destinations]
    for msg, route, dest in zip(c["msg_id"], c["route"], c["destination"], strict=True):
        if route >= 0:
            assert dest_ids[dest] in scenario.routes[route].prices, (msg, route)
    # The router refuses (route -1) only once every route pricing it was tried.
    for msg in np.unique(c["msg_id"][c["route"] < 0]):
        rows = c["msg_id"] == msg
        tried = {int(r) for r in c["route"][rows] if r >= 0}
        dest = dest_ids[int(c["destination"][rows][0])]
        assert tried == {i for i, r in enumerate(scenario.routes) if dest in r.prices}


@SETTINGS
@given(args=scenarios())
def test_every_message_ends_in_exactly_one_terminal_state(
    make_scenario: Any, args: dict[str, Any]
) -> None:
    scenario = make_scenario(**args)
    check_one_terminal_state(scenario, run(scenario), len(generate_traffic(scenario, 1)))


@SETTINGS
@given(args=scenarios())
def test_times_never_decrease_along_a_message_life(
    make_scenario: Any, args: dict[str, Any]
) -> None:
    check_times(run(make_scenario(**args)))


@SETTINGS
@given(args=scenarios())
def test_strategies_only_use_routes_pricing_the_destination(
    make_scenario: Any, args: dict[str, Any]
) -> None:
    scenario = make_scenario(**args)
    check_routes_price_destinations(scenario, run(scenario))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_invariants_hold_on_the_baseline_scenario(strategy: str) -> None:
    """The shipped baseline world (two minutes of it, with its campaign moved in)."""
    baseline = sim.load_scenario(Path(__file__).parents[1] / "scenarios" / "baseline.yaml")
    traffic = baseline.traffic.model_copy(
        update={"bursts": [b.model_copy(update={"start_s": 30.0}) for b in baseline.traffic.bursts]}
    )
    scenario = baseline.model_copy(update={"duration_s": 120.0, "traffic": traffic})
    spec = scenario.strategy(strategy)
    plan = generate_traffic(scenario, 1)
    records = simulate(scenario, spec, 1, plan)
    check_one_terminal_state(scenario, records, len(plan))
    check_times(records)
    check_routes_price_destinations(scenario, records)


def test_message_is_not_queued_before_it_was_created(make_scenario: Any) -> None:
    """Regression (found by the property above): arrivals 3.2239206104398144 and
    7.262226296224402; waiting ``t - now`` from now = 3.22... lands on
    ``now + (t - now)`` = 7.2622262962244015, one ulp before the message exists."""
    scenario = make_scenario([{"id": "a"}], rate_per_s=0.5, duration_s=10.0, seed=23)
    c = run(scenario).columns
    assert c["created_s"].tolist() == [3.2239206104398144, 7.262226296224402]
    assert (c["queued_s"] >= c["created_s"]).all(), c["queued_s"].tolist()


def assert_same_records(a: Records, b: Records) -> None:
    assert a.columns.keys() == b.columns.keys()
    for name, column in a.columns.items():
        other = b.columns[name]
        assert column.dtype == other.dtype, name
        nan_aware = column.dtype.kind == "f"
        assert np.array_equal(column, other, equal_nan=nan_aware), name
    assert (a.route_ids, a.received_senders) == (b.route_ids, b.received_senders)


@settings(max_examples=80, deadline=None)
@given(args=scenarios())
def test_same_seed_same_records_other_seed_other_records(
    make_scenario: Any, args: dict[str, Any]
) -> None:
    scenario = make_scenario(**args)
    assume(len(generate_traffic(scenario, 1)) > 0)
    records = run(scenario)
    assert_same_records(records, run(scenario))
    assert_same_records(records, run(make_scenario(**args)))  # no state kept between runs
    other = run(scenario.model_copy(update={"seed": (scenario.seed + 1) % 2**32}))
    assert len(other) != len(records) or not np.array_equal(
        other.columns["created_s"], records.columns["created_s"]
    )


class WrongRoute(StrategyBase):
    """Misbehaving user strategy: picks a route that does not price the destination."""

    def choose(self, message: Message, candidates: Sequence[RouteView]) -> RouteView | None:
        allowed = {c.index for c in candidates}
        return next(r for r in self.context.routes if r.index not in allowed)


def test_strategy_choosing_a_non_candidate_route_raises_one_line_error(
    make_scenario: Any,
) -> None:
    scenario = make_scenario(
        [{"id": "fr-only", "prices": {"fr-a": 0.01}}, {"id": "ng-only", "prices": {"ng-d": 0.01}}],
        destinations=["fr-a", "ng-d"],
        rate_per_s=5.0,
    )
    spec = StrategySpec(name="wrong", use=f"{__name__}:WrongRoute")
    with pytest.raises(StrategyError) as caught:
        simulate(scenario, spec, 1)
    message = str(caught.value)
    assert "\n" not in message
    assert "'wrong'" in message and "cannot take message" in message


def test_run_scenario_is_deterministic_and_uses_engine_records(make_scenario: Any) -> None:
    """Same scenario and seed: the same summary (wall-clock time aside), and the
    runner's records are the engine's."""
    scenario = make_scenario(
        [{"id": "a", "errors": {"system_error_share": 0.1}}, {"id": "b", "prices": {"fr-a": 0.02}}],
        rate_per_s=5.0,
        strategies=[{"name": "least-cost"}, {"name": "weighted", "params": {"weights": {"a": 1}}}],
    )
    first = sim.run_scenario(scenario, replications=2, workers=1)
    second = sim.run_scenario(scenario, replications=2, workers=1)
    assert {**first.summary, "wall_s": 0} == {**second.summary, "wall_s": 0}
    for spec in scenario.strategies:
        for replication in (1, 2):
            engine = simulate(scenario, spec, replication)
            assert_same_records(first.records(spec.name, replication), engine)


def first_attempts(records: Records) -> dict[str, np.ndarray]:
    c = records.columns
    first = c["attempt"] == 1
    out = {k: v[first] for k, v in c.items()}
    senders = np.array([*records.received_senders, "<intact>", "<none>"], dtype=object)
    codes = out["sender_code"]
    out["sender"] = senders[np.where(codes == -2, len(senders) - 2, codes)]
    return out


@settings(max_examples=120, deadline=None)
@given(args=scenarios(steady=True, min_routes=2, n_strategies=2))
def test_common_random_numbers_same_route_same_fate(
    make_scenario: Any, args: dict[str, Any]
) -> None:
    """Two strategies on one replication: a message whose first attempt went to the
    same route meets the same fate there (nothing here depends on time)."""
    scenario = make_scenario(**args)
    a, b = first_attempts(run(scenario, 0)), first_attempts(run(scenario, 1))
    np.testing.assert_array_equal(a["msg_id"], b["msg_id"])
    np.testing.assert_array_equal(a["created_s"], b["created_s"])
    same = (a["route"] == b["route"]) & (a["route"] >= 0)
    for name in ("submit_status", "handset_delivered", "dlr_status", "content_intact", "sender"):
        np.testing.assert_array_equal(a[name][same], b[name][same], err_msg=name)
    for name in ("handset_s", "dlr_s"):  # the same latency draws, shifted by submit time
        np.testing.assert_allclose(
            a[name][same] - a["submitted_s"][same], b[name][same] - b["submitted_s"][same],
            atol=1e-9, err_msg=name,
        )  # fmt: skip
