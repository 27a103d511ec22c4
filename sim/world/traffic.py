"""Customer traffic of one replication, generated up front as columns.

A non-homogeneous Poisson stream (rate x hourly profile in the scenario's local time)
plus campaign bursts; each message gets a destination by share, a kind by mix, an E.164
number under one of the destination's prefixes, and a text from its kind's pool. The
same plan feeds every strategy of a replication (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import numpy.typing as npt
from faker import Faker

from sim.scenario import (
    AitAttack,
    AitPattern,
    Burst,
    MessageKind,
    Scenario,
    ScenarioError,
    destination_for_number,
)
from sim.world.randomness import STREAM_TRAFFIC, replication_seed
from sim.world.texts import TextPool, render_pool

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class TrafficPlan:
    """Messages in arrival order; ``msg_id`` is the row index."""

    created_s: F64
    destination: I64
    kind: I64
    number: I64
    text: I64
    segments: I64
    bulk: npt.NDArray[np.bool_]
    test_number: npt.NDArray[np.bool_]
    ait: npt.NDArray[np.bool_]
    verify_at_s: F64  # after handset delivery, when the user verifies the OTP (NaN: never)
    kinds: tuple[MessageKind, ...]
    senders: tuple[str, ...]
    texts: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.created_s.shape[0])

    def e164(self, msg_id: int) -> str:
        return f"+{int(self.number[msg_id])}"


def _hour_segments(scenario: Scenario) -> list[tuple[float, float, int]]:
    """(start_s, end_s, local hour) pieces covering [0, duration)."""
    zone = scenario.zone
    pieces: list[tuple[float, float, int]] = []
    t = 0.0
    while t < scenario.duration_s:
        local = (scenario.start + timedelta(seconds=t)).astimezone(zone)
        into_hour = local.minute * 60 + local.second + local.microsecond / 1e6
        end = min(scenario.duration_s, t + 3600.0 - into_hour)
        pieces.append((t, end, local.hour))
        t = end
    return pieces


def _poisson_times(rng: np.random.Generator, rate: float, start: float, end: float) -> F64:
    count = rng.poisson(rate * (end - start))
    return rng.uniform(start, end, size=count)


def _numbers(rng: np.random.Generator, scenario: Scenario, destination: I64) -> I64:
    numbers = np.zeros(destination.shape[0], dtype=np.int64)
    for index, dest in enumerate(scenario.destinations):
        rows = np.flatnonzero(destination == index)
        if rows.size == 0:
            continue
        prefixes = [p[1:] for p in dest.prefixes]
        chosen = rng.integers(0, len(prefixes), size=rows.size)
        for p_index, prefix in enumerate(prefixes):
            sub = rows[chosen == p_index]
            local_digits = max(0, dest.full_number_digits - len(prefix))
            local = rng.integers(0, 10**local_digits, size=sub.size, dtype=np.int64)
            numbers[sub] = int(prefix) * 10**local_digits + local
    return numbers


def generate_traffic(scenario: Scenario, replication: int) -> TrafficPlan:
    """The traffic plan of one replication (deterministic in seed and replication)."""
    sequence = replication_seed(scenario.seed, replication, STREAM_TRAFFIC)
    rng = np.random.Generator(np.random.PCG64(sequence))
    traffic = scenario.traffic
    kinds = tuple(traffic.kinds)
    kind_shares = np.array([traffic.kinds[k].share for k in kinds], dtype=float)
    dest_shares = np.array([d.share for d in scenario.destinations], dtype=float)
    dest_index = {d.id: i for i, d in enumerate(scenario.destinations)}

    times: list[F64] = []
    dests: list[I64] = []
    kind_cols: list[I64] = []
    pumped: list[I64] = []  # AIT numbers (0: an ordinary subscriber, drawn below)
    for start, end, hour in _hour_segments(scenario):
        t = _poisson_times(rng, traffic.rate_per_s * traffic.daily_profile[hour], start, end)
        times.append(t)
        dests.append(rng.choice(len(dest_shares), size=t.size, p=dest_shares / dest_shares.sum()))
        kind_cols.append(rng.choice(len(kinds), size=t.size, p=kind_shares / kind_shares.sum()))
        pumped.append(np.zeros(t.size, dtype=np.int64))
    for burst in traffic.bursts:
        burst_t, burst_d, burst_k = _burst(rng, burst, scenario, dest_index, kinds)
        times.append(burst_t)
        dests.append(burst_d)
        kind_cols.append(burst_k)
        pumped.append(np.zeros(burst_t.size, dtype=np.int64))
    for attack in traffic.ait:
        ait_t, ait_d, ait_n = _ait_attack(rng, attack, scenario)
        times.append(ait_t)
        dests.append(ait_d)
        kind_cols.append(np.full(ait_t.size, kinds.index(attack.kind), dtype=np.int64))
        pumped.append(ait_n)

    created = np.concatenate(times) if times else np.zeros(0)
    order = np.argsort(created, kind="stable")
    created = created[order]
    destination = np.concatenate(dests).astype(np.int64)[order]
    kind_col = np.concatenate(kind_cols).astype(np.int64)[order]
    ait_numbers = np.concatenate(pumped).astype(np.int64)[order]
    ait = ait_numbers > 0
    numbers = _numbers(rng, scenario, destination)
    numbers[ait] = ait_numbers[ait]

    faker = Faker(traffic.locale)
    faker.seed_instance(int(rng.integers(0, 2**31)))
    pools: list[TextPool] = []
    for k in kinds:
        try:
            pools.append(
                render_pool(
                    traffic.kinds[k].templates,
                    traffic.text_pool_size,
                    faker,
                    scenario.max_segments,
                    f"traffic.kinds.{k.value}.templates",
                )
            )
        except ValueError as exc:
            raise ScenarioError(f"{scenario.name}: {exc}") from None
    offsets = np.cumsum([0] + [len(p.texts) for p in pools])
    all_texts = tuple(t for p in pools for t in p.texts)
    all_segments = np.array([s for p in pools for s in p.segments], dtype=np.int64)
    pick = rng.integers(0, traffic.text_pool_size, size=created.size)
    text = offsets[kind_col] + pick
    bulk_by_kind = np.array(
        [
            traffic.kinds[k].bulk
            if traffic.kinds[k].bulk is not None
            else k is MessageKind.MARKETING
            for k in kinds
        ],
        dtype=bool,
    )
    verify_u = rng.random(created.size)
    verify_delay = np.full(created.size, np.nan)
    for index, k in enumerate(kinds):
        spec = traffic.kinds[k]
        rows = (kind_col == index) & ~ait & (verify_u < spec.verify_probability)
        verify_delay[rows] = spec.verify_delay.quantiles(rng.random(int(rows.sum())))
    return TrafficPlan(
        created_s=created,
        destination=destination,
        kind=kind_col,
        number=numbers,
        text=text.astype(np.int64),
        segments=all_segments[text],
        bulk=bulk_by_kind[kind_col],
        test_number=np.zeros(created.size, dtype=bool),
        ait=ait,
        verify_at_s=verify_delay,
        kinds=kinds,
        senders=tuple(traffic.kinds[k].sender for k in kinds),
        texts=all_texts,
    )


def _burst(
    rng: np.random.Generator,
    burst: Burst,
    scenario: Scenario,
    dest_index: dict[str, int],
    kinds: tuple[MessageKind, ...],
) -> tuple[F64, I64, I64]:
    end = min(scenario.duration_s, burst.start_s + burst.duration_s)
    if end <= burst.start_s:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0), empty, empty
    t = _poisson_times(rng, burst.rate_per_s, burst.start_s, end)
    allowed = [dest_index[d] for d in burst.destinations] or list(range(len(dest_index)))
    shares = np.array([scenario.destinations[i].share for i in allowed], dtype=float)
    d = np.array(allowed, dtype=np.int64)[
        rng.choice(len(allowed), size=t.size, p=shares / shares.sum())
    ]
    k = np.full(t.size, kinds.index(burst.kind), dtype=np.int64)
    return t, d, k


def _ait_attack(
    rng: np.random.Generator, attack: AitAttack, scenario: Scenario
) -> tuple[F64, I64, I64]:
    """Pumping traffic: Poisson requests to sequential (or clustered) numbers under the
    attacked prefixes, each request to the next number of the range."""
    end = min(scenario.duration_s, attack.start_s + attack.duration_s)
    t = (
        _poisson_times(rng, attack.rate_per_s, attack.start_s, end)
        if end > attack.start_s
        else None
    )
    if t is None or t.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0), empty, empty
    t.sort()
    which = rng.integers(0, len(attack.prefixes), size=t.size)
    dests = np.zeros(t.size, dtype=np.int64)
    numbers = np.zeros(t.size, dtype=np.int64)
    for p_index, prefix in enumerate(attack.prefixes):
        rows = np.flatnonzero(which == p_index)
        dest_index = destination_for_number(scenario.destinations, prefix)
        assert dest_index is not None  # checked when the scenario was validated
        digits = prefix[1:]
        local_digits = max(1, scenario.destinations[dest_index].full_number_digits - len(digits))
        span = 10**local_digits
        if attack.pattern is AitPattern.SEQUENTIAL:
            start = int(rng.integers(0, span))
            local = (start + np.arange(rows.size, dtype=np.int64)) % span
        else:
            local = rng.integers(0, span, size=rows.size, dtype=np.int64)
        numbers[rows] = int(digits) * span + local
        dests[rows] = dest_index
    return t, dests, numbers
