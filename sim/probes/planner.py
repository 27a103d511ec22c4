"""Probe planner: when, over which route, to which destination and test number.

Each route gets ``per_route_per_hour`` probes, evenly spaced with a per-route phase,
cycling through the destinations it prices. Test numbers come from a panel per
destination: a *public* vendor panel (few numbers, known to lying routes) or a
*rotating* pool of own SIMs that look like ordinary subscribers, each retired after
``rotate_after`` uses so no number gets the repeated traffic that gives it away.
Probes take each kind of the scenario's traffic in turn (its sender, a text of its kind
and whether it is bulk), since some routes treat kinds differently (faking receipts on
bulk only). The schedule depends only on the scenario and seed, so every strategy of a replication
is probed identically (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario import ProbeConfig, ProbePanel, Scenario
from sim.world.randomness import stable_key

STREAM_PROBES = 3
PUBLIC_PANEL_SIZE = 3


@dataclass(frozen=True, slots=True)
class PlannedProbe:
    """One probe: send at ``at_s`` over ``route`` to ``number`` in ``destination``."""

    at_s: float
    route: int
    destination: int
    number: int
    known_test_number: bool
    kind: int  # index into the scenario's traffic kinds: probes look like each kind in turn


class TestPanel:
    """Test numbers of one destination, public or rotating."""

    def __init__(self, config: ProbeConfig, prefix: str, digits: int, rng: np.random.Generator):
        local_digits = max(1, digits - len(prefix))
        size = PUBLIC_PANEL_SIZE if config.panel is ProbePanel.PUBLIC else config.pool_size
        self._base: int = int(prefix) * 10**local_digits
        self._span: int = 10**local_digits
        self._rng = rng
        self.numbers = [self._fresh() for _ in range(size)]
        self.public = config.panel is ProbePanel.PUBLIC
        self.rotate_after = config.rotate_after
        self._next = 0
        self._uses = [0] * size

    def _fresh(self) -> int:
        return int(self._base + int(self._rng.integers(0, self._span)))

    def take(self) -> int:
        """The number for the next probe. Rotating pools cycle through their SIMs and
        replace one by a fresh number once it has served ``rotate_after`` probes."""
        slot = self._next % len(self.numbers)
        self._next += 1
        number: int = self.numbers[slot]
        if not self.public:
            self._uses[slot] += 1
            if self._uses[slot] >= self.rotate_after:
                self.numbers[slot] = self._fresh()
                self._uses[slot] = 0
        return number


def plan_probes(scenario: Scenario, replication: int) -> list[PlannedProbe]:
    """Every probe of a replication, in time order (ties by route index)."""
    config = scenario.probes
    if config is None:
        return []
    dest_index = {d.id: i for i, d in enumerate(scenario.destinations)}
    rng = np.random.default_rng(
        np.random.SeedSequence(scenario.seed, spawn_key=(replication, STREAM_PROBES))
    )
    panels = [
        TestPanel(config, d.prefixes[0][1:], d.full_number_digits, rng)
        for d in scenario.destinations
    ]
    interval_s = 3600.0 / config.per_route_per_hour
    planned: list[PlannedProbe] = []
    for r_index, route in enumerate(scenario.routes):
        targets = sorted(dest_index[d] for d in route.prices)
        phase = (stable_key(route.id) % 1000) / 1000.0 * interval_s
        t = config.start_s + phase
        k = 0
        while t < scenario.duration_s:
            d = targets[k % len(targets)]
            kind = k % len(scenario.traffic.kinds)
            planned.append(PlannedProbe(t, r_index, d, panels[d].take(), panels[d].public, kind))
            k += 1
            t += interval_s
    planned.sort(key=lambda p: (p.at_s, p.route))
    return planned
