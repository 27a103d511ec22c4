"""Route testing (probes, evidence), the AIT guard and the cost-subsidy bandit."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.engine import simulate
from sim.guards.ait import AitGuard
from sim.guards.base import Action
from sim.probes.evidence import ProbeResult, RouteEvidence
from sim.probes.planner import plan_probes
from sim.scenario import Scenario
from sim.strategies.reference_problem import loglog_slope, simulate_reference
from sim.world.message import Message
from sim.world.smpp import DlrStatus


def _with(scenario: Scenario, **extra: Any) -> Scenario:
    data = scenario.model_dump(mode="json")
    data.update(extra)
    return sim.parse_scenario(data, "test")


# ---------------------------------------------------------------------- probes


@settings(max_examples=40, deadline=None)
@given(
    rate=st.floats(0.5, 120.0),
    duration=st.floats(60.0, 20_000.0),
    start=st.floats(0.0, 3000.0),
    seed=st.integers(0, 1000),
)
def test_probes_never_exceed_their_budget(
    make_scenario: Callable[..., Scenario], rate: float, duration: float, start: float, seed: int
) -> None:
    base = make_scenario(
        [{"id": "a"}, {"id": "b"}], destinations=("fr-a", "de-b"), duration_s=duration, seed=seed
    )
    scenario = _with(base, probes={"per_route_per_hour": rate, "start_s": start})
    planned = plan_probes(scenario, 1)
    per_route = Counter(p.route for p in planned)
    for count in per_route.values():
        assert count <= math.ceil(max(0.0, duration - start) * rate / 3600.0) + 1
    for route, count in per_route.items():
        times = [p.at_s for p in planned if p.route == route]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(g >= 3600.0 / rate - 1e-6 for g in gaps)  # never faster than the budget
        assert count >= 1


def test_rotating_pool_retires_numbers(make_scenario: Callable[..., Scenario]) -> None:
    base = make_scenario([{"id": "a"}], duration_s=36_000.0)
    rotating = plan_probes(_with(base, probes={"per_route_per_hour": 60, "rotate_after": 2}), 1)
    uses = Counter(p.number for p in rotating)
    assert max(uses.values()) <= 2 and not any(p.known_test_number for p in rotating)
    public = plan_probes(_with(base, probes={"per_route_per_hour": 60, "panel": "public"}), 1)
    assert len(set(p.number for p in public)) <= 3 and all(p.known_test_number for p in public)


def _result(received: bool, dlr: DlrStatus, sender_ok: bool = True, t: float = 0.0) -> ProbeResult:
    return ProbeResult("grey", "fr-a", t, t + 10, 0, received, 5.0 if received else math.nan,
                       dlr, received and sender_ok, received, 0.01, False)  # fmt: skip


def test_evidence_counts_fakes_and_rewrites_with_intervals() -> None:
    evidence = RouteEvidence(flag_threshold=0.05)
    for _ in range(8):
        evidence.add(_result(True, DlrStatus.DELIVRD))
    assert not evidence.flagged("grey")
    for _ in range(6):
        evidence.add(_result(False, DlrStatus.DELIVRD))
    summary = evidence.summary("grey")
    share, lo, hi = summary.fake_receipt_ratio
    assert share == pytest.approx(6 / 14) and lo < share < hi
    assert evidence.flagged("grey")
    rewrites = RouteEvidence()
    for _ in range(10):
        rewrites.add(_result(True, DlrStatus.DELIVRD, sender_ok=False))
    assert rewrites.flagged("grey") and rewrites.summary("grey").sender_rewrite_ratio[0] == 1.0


def test_evidence_decays_so_a_mended_route_comes_back() -> None:
    evidence = RouteEvidence(half_life_s=600.0)
    for _ in range(10):
        evidence.add(_result(False, DlrStatus.DELIVRD, t=0.0))
    assert evidence.flagged("grey", now_s=10.0)
    for i in range(40):
        evidence.add(_result(True, DlrStatus.DELIVRD, t=6000.0 + i))
    assert not evidence.flagged("grey", now_s=6100.0)


def _liar(make_scenario: Callable[..., Scenario], panel: str) -> Scenario:
    base = make_scenario(
        [
            {
                "id": "liar",
                "outcomes": {"delivered": 0.5, "undelivered": 0.0, "expired": 0.0, "lost": 0.5},
                "dlr": {
                    "fake_share": 1.0,
                    "fake_mode": "except_test_numbers",
                    "test_number_after": 3,
                },
            }
        ],
        duration_s=6 * 3600.0,
        rate_per_s=0.05,
    )
    return _with(base, probes={"per_route_per_hour": 12, "panel": panel, "rotate_after": 2})


def test_route_faking_all_but_test_numbers_is_caught_by_rotating_probes(
    make_scenario: Callable[..., Scenario],
) -> None:
    verdicts = {}
    for panel in ("public", "rotating"):
        scenario = _liar(make_scenario, panel)
        records = simulate(scenario, scenario.strategies[0], 1)
        evidence = RouteEvidence()
        for result in records.probe_results:
            evidence.add(result)
        verdicts[panel] = (evidence.flagged("liar"), evidence.summary("liar"))
    public_flagged, public = verdicts["public"]
    rotating_flagged, rotating = verdicts["rotating"]
    # the vendor panel is recognised: the route is honest to it and looks clean
    assert not public_flagged and public.fake_receipt_ratio[0] == 0.0
    # own SIMs retired before the route learns them: fakes show (half the probes are lost)
    assert rotating_flagged and rotating.fake_receipt_ratio[1] > 0.3
    assert rotating.probes >= 60


# ---------------------------------------------------------------------- AIT guard


def _otp(msg_id: int, number: int, country: str = "NG") -> Message:
    return Message(msg_id, "otp", "ng-d", country, "op", number, "ACME", "code", 1, 0.0)


def test_ait_guard_blocks_sequential_pumping_but_not_scattered_users() -> None:
    guard = AitGuard({"velocity": 6, "window_s": 120})
    base = 234_803_100_0000
    verdicts = [guard.check(_otp(i, base + i), now_s=i * 0.5).action for i in range(2000)]
    blocked = verdicts.count(Action.REFUSE)
    assert blocked >= 0.99 * 2000 - 6 * (2000 // 1000 + 1) * 2
    legit = AitGuard({"velocity": 6, "window_s": 120})
    numbers = [234_803_000_0000 + (i * 7_919_993) % 10**7 for i in range(2000)]
    assert all(
        legit.check(_otp(i, n), now_s=i * 0.5).action is Action.ALLOW for i, n in enumerate(numbers)
    )
    assert guard.log and guard.log[0][1] == "block:velocity"


def test_ait_guard_blocks_low_conversion_and_respects_verifications() -> None:
    params = {"velocity": 1000, "min_requests": 10, "conversion_grace_s": 60, "min_conversion": 0.2}
    pumped = AitGuard(params)
    honest = AitGuard(params)
    block = 234_803_555_0000
    for i in range(40):
        message = _otp(i, block + (i * 37) % 1000)
        now = i * 30.0
        pumped.check(message, now)
        if honest.check(message, now).action is Action.ALLOW and i % 2 == 0:
            honest.on_verified(message, now + 20)
    assert pumped.check(_otp(99, block + 1), 2000.0).action is Action.REFUSE
    assert honest.check(_otp(99, block + 1), 2000.0).action is Action.ALLOW


@settings(max_examples=60, deadline=None)
@given(
    numbers=st.lists(st.integers(10**10, 10**11 - 1), min_size=1, max_size=300),
    watched=st.sampled_from(["NG", "GB"]),
)
def test_ait_guard_never_blocks_a_destination_it_does_not_watch(
    numbers: list[int], watched: str
) -> None:
    guard = AitGuard({"velocity": 2, "window_s": 1000, "watch_countries": [watched]})
    other = "FR"
    for i, number in enumerate(sorted(numbers)):
        verdict = guard.check(_otp(i, number, country=other), now_s=float(i))
        assert verdict.action is Action.ALLOW


def test_ait_guard_permissions() -> None:
    guard = AitGuard({"deny_countries": ["NG"], "deny_prefixes": ["+4474"]})
    assert guard.check(_otp(1, 2348031234567), 0).reason == "ait:country"
    assert guard.check(_otp(2, 447400000001, country="GB"), 0).reason == "ait:prefix"
    with pytest.raises(ValueError, match="unknown params"):
        AitGuard({"speed": 3})


# ---------------------------------------------------------------------- bandit


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cost_subsidy_regret_grows_sublinearly(seed: int) -> None:
    regret = simulate_reference(
        "cost-subsidy", [0.95, 0.93, 0.80, 0.60], [0.05, 0.04, 0.02, 0.01],
        alpha=0.05, messages=40_000, seed=seed,
    )  # fmt: skip
    assert loglog_slope(regret.cost, 500, 40_000) < 0.8
    assert loglog_slope(regret.quality, 500, 40_000) < 0.8
    # it settles on the best route in hindsight (the cheapest within 5% of the best)
    assert (regret.choices[-5000:] == 1).mean() > 0.9


def test_least_cost_has_linear_quality_regret_on_the_same_problem() -> None:
    regret = simulate_reference(
        "least-cost", [0.95, 0.93, 0.80, 0.60], [0.05, 0.04, 0.02, 0.01],
        alpha=0.05, messages=20_000, seed=1, params={},
    )  # fmt: skip
    assert loglog_slope(regret.quality, 500, 20_000) > 0.95
