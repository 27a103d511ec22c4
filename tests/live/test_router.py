"""The live router on the wall clock: one world model, nothing lost, outages, the ledger."""

from __future__ import annotations

import asyncio
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sim.live.clock import WallClock
from sim.live.runtime import LiveService
from sim.records import COLUMNS
from sim.scenario import Outage, OutageMode, Scenario

sys.path.insert(0, str(Path(__file__).parent))
from livehelp import new_service, run, smoke

OTP = {"from": "ACMEBANK", "text": "Your code is 123456", "kind": "otp"}


async def _submit_over(service: LiveService, count: int, wall_s: float) -> list[int]:
    """``count`` submits spread over ``wall_s`` wall seconds; their ids."""
    service.start()
    ids = []
    for i in range(count):
        tracked, _ = service.submit({**OTP, "to": f"+3367{i:07d}"})
        ids.append(tracked.message.msg_id)
        await asyncio.sleep(wall_s / count)
    return ids


def test_wall_clock_runs_events_in_order_and_fast_forwards() -> None:
    async def body() -> list[tuple[str, float]]:
        clock = WallClock(time_scale=100.0)
        clock.start(asyncio.get_running_loop())
        seen: list[tuple[str, float]] = []
        for name, at in (("c", 3.0), ("a", 1.0), ("b", 2.0), ("late", 1e6)):
            clock.call_at(at, lambda n=name: seen.append((n, clock.now())))
        await asyncio.sleep(0.05)  # 5 world seconds: a, b, c are due
        assert [n for n, _ in seen] == ["a", "b", "c"]
        assert all(t >= due for (_, t), due in zip(seen, (1.0, 2.0, 3.0), strict=True))
        assert clock.fast_forward() == 1
        return seen

    seen = run(body())
    assert seen[-1] == ("late", 1e6)


def test_every_accepted_message_is_terminal_once_and_matches_the_simulation_schema(
    tmp_path: Path,
) -> None:
    service = new_service(time_scale=20.0, out_dir=tmp_path)

    async def body() -> list[int]:
        ids = await _submit_over(service, 400, 0.4)
        await service.shutdown()
        return ids

    ids = run(body())
    router = service.router
    assert router.in_flight == 0 and router.ledger.n_terminal == len(ids) == 400
    states = [t.state for t in router.messages]
    assert all(t.final for t in router.messages)
    assert sum(states.count(s) for s in set(states)) == 400
    assert all(t.history[-1][1] == "terminal" for t in router.messages)
    frame = pd.read_csv(tmp_path / "records" / "least-cost-1.csv.gz")
    assert tuple(frame.columns) == COLUMNS
    assert sorted(frame["msg_id"].unique()) == ids
    kpis = service.kpis()["kpis"]
    assert kpis["submitted"] == 400
    # least-cost sends fr-orange OTPs over the grey route: delivered 0.70, +- 5 sigma
    p, n = 0.70, 400
    assert abs(kpis["delivered_ratio"] - p) <= 5 * math.sqrt(p * (1 - p) / n) + 0.05


def test_same_message_id_same_world_draws_as_the_simulation() -> None:
    """Keyed draws: the live row of (route, msg, attempt) is the simulation's."""
    from sim.world.randomness import KeyedDraws

    service = new_service()
    live = service.router.draws[0].row(5, 1)
    behaviour = service.router.behaviours[0]
    # the engine's draws for a traffic plan of 10 messages
    sim_draws = KeyedDraws(
        smoke().seed, 1, behaviour.id, 10,
        prepare=behaviour.prepare_draws, prepare_row=behaviour.prepare_row,
    )  # fmt: skip
    assert live == sim_draws.row(5, 1)
    assert service.router.draws[0].row(5, 2) == sim_draws.row(5, 2)  # a retry


def _outage_scenario() -> Scenario:
    """live-smoke with the direct route down (0x45) from world second 1 to 3."""
    scenario = smoke()
    outage = Outage(start_s=1.0, end_s=3.0, mode=OutageMode.REJECT)
    direct = scenario.routes[0].model_copy(update={"outages": (outage,)})
    return scenario.model_copy(update={"routes": (direct, *scenario.routes[1:])})


def test_outage_moves_traffic_by_the_strategys_policy_and_loses_nothing(tmp_path: Path) -> None:
    service = new_service(_outage_scenario(), strategy="priority", time_scale=10.0,
                          out_dir=tmp_path)  # fmt: skip

    async def body() -> list[int]:
        ids = [*(await _submit_over(service, 250, 0.5))]  # world 0..5 s
        await service.shutdown()
        return ids

    ids = run(body())
    frame = pd.read_csv(tmp_path / "records" / "priority-1.csv.gz")
    assert sorted(frame["msg_id"].unique()) == ids
    first = frame[frame["attempt"] == 1]
    during = first[(first["submitted_s"] >= 1.0) & (first["submitted_s"] < 3.0)]
    outside = first[(first["submitted_s"] < 0.9) | (first["submitted_s"] > 3.1)]
    assert len(during) > 50 and len(outside) > 50
    # priority tries direct first; during the outage it answers 0x45 ...
    assert (during["route"] == "direct").all()
    assert (during["submit_status"] == "ESME_RSUBMITFAIL").all()
    assert (outside["submit_status"] != "ESME_RSUBMITFAIL").all()
    # ... and the retry policy (on_system_error: failover) moves them to the hub
    retried = frame[frame["msg_id"].isin(during["msg_id"]) & (frame["attempt"] == 2)]
    assert set(retried["msg_id"]) == set(during["msg_id"])
    assert (retried["route"] == "hub").all()
    last = frame.groupby("msg_id").tail(1)
    assert len(last) == len(ids)  # one terminal row per message
    assert np.isin(last["submit_status"], ["ESME_ROK", "ESME_RSYSERR", "ESME_RSUBMITFAIL"]).all()
