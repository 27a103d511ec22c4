"""Exact event logs for tiny seeded cases (constant delays, probabilities 0 or 1).

Every row of the records table is known in advance from the traffic plan's arrival
times and the configured constants, and asserted one by one. Times are compared to
1e-9 s: only floating-point rounding of sums of the constants may differ.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from sim.engine import generate_traffic, simulate
from sim.records import Records
from sim.scenario import Scenario
from sim.world.smpp import DlrStatus, SubmitStatus

NAN = math.nan
OK = SubmitStatus.ESME_ROK
THROTTLED = SubmitStatus.ESME_RTHROTTLED
SUBMIT_FAIL = SubmitStatus.ESME_RSUBMITFAIL
NONE, DELIVRD, UNDELIV = DlrStatus.NONE, DlrStatus.DELIVRD, DlrStatus.UNDELIV

DELIVERS = {"delivered": 1.0, "undelivered": 0.0, "expired": 0.0, "lost": 0.0}
FAILS = {"delivered": 0.0, "undelivered": 1.0, "expired": 0.0, "lost": 0.0}
# Four messages, well apart (>= 1.1 s): seed 7 at 0.4 msg/s over 10 s.
SPREAD = {"seed": 7, "rate_per_s": 0.4, "duration_s": 10.0}
SPREAD_TIMES = (2.9986372, 4.14609099, 6.0652796, 8.13718125)
# Three messages within 0.2 s: seed 1 at 10 msg/s over 0.3 s.
BURST = {"seed": 1, "rate_per_s": 10.0, "duration_s": 0.3}
BURST_TIMES = (0.08079064, 0.17230558, 0.25341125)


def constant(value_s: float) -> dict[str, Any]:
    return {"dist": "constant", "value_s": value_s}


def route(
    route_id: str,
    price: float,
    submit_s: float,
    handset_s: float,
    outcomes: dict[str, float] = DELIVERS,
    **extra: Any,
) -> dict[str, Any]:
    """A route with constant delays and a 0.5 s receipt delay."""
    return {
        "id": route_id,
        "prices": {"fr-a": price},
        "tps": 10_000.0,
        "submit_latency": constant(submit_s),
        "handset_latency": constant(handset_s),
        "dlr": {"delay": constant(0.5)},
        "outcomes": outcomes,
        **extra,
    }


Row = tuple[int, int, str, float, float, int, int, float, bool, float, float]
FIELDS = (
    "msg_id", "attempt", "route", "queued_s", "submitted_s", "submit_status",
    "dlr_status", "dlr_s", "handset_delivered", "handset_s", "cost",
)  # fmt: skip


def delivered(
    msg: int, attempt: int, route_id: str, at_s: float, submit_s: float, handset_s: float,
    cost: float,
) -> Row:  # fmt: skip
    """An accepted, delivered attempt submitted at ``at_s`` (queued at once)."""
    hs = at_s + submit_s + handset_s
    return (msg, attempt, route_id, at_s, at_s, OK, DELIVRD, hs + 0.5, True, hs, cost)


def refused(msg: int, attempt: int, route_id: str, at_s: float, status: int) -> Row:
    """A submit answered with an error ``status``: no receipt, no handset, no cost."""
    return (msg, attempt, route_id, at_s, at_s, status, NONE, NAN, False, NAN, 0.0)


def arrivals(scenario: Scenario, expected: tuple[float, ...]) -> list[float]:
    plan = generate_traffic(scenario, 1)
    assert plan.created_s == pytest.approx(expected, abs=1e-7)  # the seeded plan
    assert (plan.segments == 1).all()
    return [float(t) for t in plan.created_s]


def table(records: Records) -> list[Row]:
    c = records.columns
    names = [*records.route_ids]
    rows = []
    for i in range(len(records)):
        values: list[Any] = [c[f][i].item() for f in FIELDS]
        values[2] = names[values[2]] if values[2] >= 0 else "-"
        rows.append(tuple(values))
    return rows  # type: ignore[return-value]


def assert_rows(records: Records, expected: list[Row]) -> None:
    got = table(records)
    assert len(got) == len(expected), got
    for row, want in zip(got, expected, strict=True):
        for name, value, target in zip(FIELDS, row, want, strict=True):
            where = f"msg {want[0]} attempt {want[1]}: {name}"
            if isinstance(target, float) and math.isnan(target):
                assert math.isnan(value), f"{where} = {value}, expected NaN"
            elif isinstance(target, float):
                assert value == pytest.approx(target, abs=1e-9), where
            else:
                assert value == target, where
    final = records.columns["final"]
    msg = records.columns["msg_id"]
    assert final.tolist() == [i == len(msg) - 1 or msg[i] != msg[i + 1] for i in range(len(msg))]


def test_failover_after_negative_receipt(make_scenario: Any) -> None:
    """Route a always answers UNDELIV; each message fails over to b on the receipt."""
    scenario = make_scenario(
        [route("a", 0.01, 0.1, 2.0, FAILS), route("b", 0.02, 0.2, 3.0)], **SPREAD
    )
    expected: list[Row] = []
    for i, t in enumerate(arrivals(scenario, SPREAD_TIMES)):
        undeliv_s = t + 0.1 + 2.0 + 0.5  # response, handset attempt, receipt
        expected.append((i, 1, "a", t, t, OK, UNDELIV, undeliv_s, False, NAN, 0.01))
        expected.append(delivered(i, 2, "b", undeliv_s, 0.2, 3.0, 0.02))
    records = simulate(scenario, scenario.strategies[0], 1)
    assert_rows(records, expected)
    c = records.columns
    assert (c["sender_code"] == np.where(c["handset_delivered"], -2, -1)).all()
    assert (c["content_intact"] == c["handset_delivered"]).all()


def test_failover_ends_in_a_router_refusal_when_no_route_is_left(make_scenario: Any) -> None:
    scenario = make_scenario([route("a", 0.01, 0.1, 2.0, FAILS)], **SPREAD)
    expected: list[Row] = []
    for i, t in enumerate(arrivals(scenario, SPREAD_TIMES)):
        undeliv_s = t + 2.6
        expected.append((i, 1, "a", t, t, OK, UNDELIV, undeliv_s, False, NAN, 0.01))
        expected.append(
            (i, 2, "-", NAN, NAN, SubmitStatus.ESME_RINVDSTADR, NONE, NAN, False, NAN, 0.0)
        )
    assert_rows(simulate(scenario, scenario.strategies[0], 1), expected)


def test_retry_same_after_throttling_with_backoff(make_scenario: Any) -> None:
    """Unpaced route at 1 TPS (bucket of 1): the 2nd and 3rd messages are throttled.

    Bucket: full (1 token) at t0, taken; t1 and t2 find t1-t0 and t2-t0 < 1 token
    (0x58). The retry of msg 1 at t1+0.1+2.0 finds a full bucket and takes it; the
    retry of msg 2 at t2+2.1 finds only t2-t1 < 1 token (0x58 again); its third
    attempt at t2+4.2 is accepted.
    """
    scenario = make_scenario(
        [route("t", 0.01, 0.1, 2.0, pace=False, tps=1.0)],
        retry={"max_attempts": 3, "on_throttled": "retry_same", "backoff_s": 2.0},
        **BURST,
    )
    t0, t1, t2 = arrivals(scenario, BURST_TIMES)
    expected = [
        delivered(0, 1, "t", t0, 0.1, 2.0, 0.01),
        refused(1, 1, "t", t1, THROTTLED),
        delivered(1, 2, "t", t1 + 2.1, 0.1, 2.0, 0.01),
        refused(2, 1, "t", t2, THROTTLED),
        refused(2, 2, "t", t2 + 2.1, THROTTLED),
        delivered(2, 3, "t", t2 + 4.2, 0.1, 2.0, 0.01),
    ]
    assert_rows(simulate(scenario, scenario.strategies[0], 1), expected)


def test_throttled_message_gives_up_after_max_attempts(make_scenario: Any) -> None:
    scenario = make_scenario(
        [route("t", 0.01, 0.1, 2.0, pace=False, tps=1.0)],
        retry={"max_attempts": 1, "on_throttled": "retry_same", "backoff_s": 2.0},
        **BURST,
    )
    t0, t1, t2 = arrivals(scenario, BURST_TIMES)
    expected = [
        delivered(0, 1, "t", t0, 0.1, 2.0, 0.01),
        refused(1, 1, "t", t1, THROTTLED),
        refused(2, 1, "t", t2, THROTTLED),
    ]
    assert_rows(simulate(scenario, scenario.strategies[0], 1), expected)


def test_outage_reject_fails_over_and_blackhole_swallows(make_scenario: Any) -> None:
    """Route a (cheapest) refuses with 0x45 during [0, 5) -> failover to b after the
    1 s backoff; during [5.5, 7) it accepts and charges, but nothing arrives and no
    receipt ever comes; after 7 s it works again."""
    outages = [
        {"start_s": 0.0, "end_s": 5.0, "mode": "reject"},
        {"start_s": 5.5, "end_s": 7.0, "mode": "blackhole"},
    ]
    scenario = make_scenario(
        [route("a", 0.01, 0.1, 2.0, outages=outages), route("b", 0.02, 0.2, 3.0)],
        retry={"max_attempts": 3, "on_system_error": "failover", "backoff_s": 1.0},
        **SPREAD,
    )
    t0, t1, t2, t3 = arrivals(scenario, SPREAD_TIMES)
    expected = [
        refused(0, 1, "a", t0, SUBMIT_FAIL),
        delivered(0, 2, "b", t0 + 1.1, 0.2, 3.0, 0.02),
        refused(1, 1, "a", t1, SUBMIT_FAIL),
        delivered(1, 2, "b", t1 + 1.1, 0.2, 3.0, 0.02),
        (2, 1, "a", t2, t2, OK, NONE, NAN, False, NAN, 0.01),
        delivered(3, 1, "a", t3, 0.1, 2.0, 0.01),
    ]
    assert_rows(simulate(scenario, scenario.strategies[0], 1), expected)


def test_price_changes_mid_run_change_cost_and_least_cost_choice(make_scenario: Any) -> None:
    """a: 0.02 then 0.03 from 5 s; b: 0.025 then 0.04 from 7 s."""
    a = route("a", 0.02, 0.1, 2.0, price_changes=[{"at_s": 5.0, "destination": "fr-a",
                                                   "price_eur": 0.03}])  # fmt: skip
    b = route("b", 0.025, 0.2, 3.0, price_changes=[{"at_s": 7.0, "destination": "fr-a",
                                                    "price_eur": 0.04}])  # fmt: skip
    scenario = make_scenario([a, b], **SPREAD)
    t0, t1, t2, t3 = arrivals(scenario, SPREAD_TIMES)
    expected = [
        delivered(0, 1, "a", t0, 0.1, 2.0, 0.02),
        delivered(1, 1, "a", t1, 0.1, 2.0, 0.02),
        delivered(2, 1, "b", t2, 0.2, 3.0, 0.025),
        delivered(3, 1, "a", t3, 0.1, 2.0, 0.03),
    ]
    assert_rows(simulate(scenario, scenario.strategies[0], 1), expected)
