"""Realistic traffic data from a scenario, rendered with Faker.

Numbers are E.164 numbers under the scenario's destination prefixes (picked by traffic
share, filled to the destination's number length); texts render the scenario's
templates with the simulation's own placeholders (:data:`sim.world.texts.PLACEHOLDERS`:
names, companies, codes, URLs, ...); senders are the scenario's per kind. AIT numbers
walk sequentially through one number range, as pumping bots do.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

from faker import Faker

from sim.scenario import MessageKind, Scenario
from sim.world.texts import PLACEHOLDERS, template_fields


class TrafficData:
    """Numbers, senders and texts for one scenario (one instance per process)."""

    def __init__(self, scenario: Scenario, seed: int | None = None) -> None:
        self.scenario = scenario
        self.faker = Faker(scenario.traffic.locale)
        self.rng = random.Random(seed)
        self.faker.seed_instance(self.rng.getrandbits(32))
        self.destinations = scenario.destinations
        self._weights = [d.share for d in self.destinations]
        self.kinds = [k.value for k in scenario.traffic.kinds]
        self._specs = {k.value: s for k, s in scenario.traffic.kinds.items()}

    def kind_share(self, kind: str) -> float:
        """Share of ``kind`` in the scenario's mix (0 when absent)."""
        total = sum(s.share for s in self._specs.values())
        spec = self._specs.get(kind)
        return spec.share / total if spec is not None else 0.0

    def usable_kind(self, kind: str) -> str:
        """``kind`` if the scenario has it, else its first kind."""
        return kind if kind in self._specs else self.kinds[0]

    def number(self) -> str:
        """A subscriber number of a destination picked by share."""
        (dest,) = self.rng.choices(self.destinations, weights=self._weights)
        prefix = self.rng.choice(dest.prefixes)
        rest = max(0, dest.full_number_digits - (len(prefix) - 1))
        return prefix + self.faker.numerify("#" * rest)

    def sender(self, kind: str) -> str:
        return self._specs[kind].sender

    def text(self, kind: str) -> str:
        template = self.rng.choice(self._specs[kind].templates)
        values = {name: PLACEHOLDERS[name](self.faker) for name in template_fields(template)}
        return template.format(**values)

    def ait_range(self) -> tuple[str, int]:
        """(prefix, digits after it) of the range bots pump: the scenario's first AIT
        attack prefix, else the costliest destination's first prefix."""
        attacks = getattr(self.scenario.traffic, "ait", ())
        if attacks:
            prefix = attacks[0].prefixes[0]
        else:
            prices = {d.id: 0.0 for d in self.destinations}
            for route in self.scenario.routes:
                for dest_id, price in route.prices.items():
                    prices[dest_id] = max(prices[dest_id], price)
            costly = max(self.destinations, key=lambda d: (prices[d.id], d.id))
            prefix = costly.prefixes[0]
        dest = next(
            (d for d in self.destinations if any(prefix.startswith(p) for p in d.prefixes)),
            self.destinations[0],
        )
        return prefix, max(1, dest.full_number_digits - (len(prefix) - 1))

    def ait_numbers(self) -> Iterator[str]:
        """Sequential numbers in the pumped range, from a random start."""
        prefix, digits = self.ait_range()
        start = self.rng.randrange(10 ** (digits - 1), 10**digits)
        for n in itertools.count(start):
            yield prefix + str(n % 10**digits).zfill(digits)


def bulk_kinds(scenario: Scenario) -> set[str]:
    """Kinds sent as bulk traffic (marketing unless the scenario says otherwise)."""
    return {
        k.value
        for k, s in scenario.traffic.kinds.items()
        if (s.bulk if s.bulk is not None else k is MessageKind.MARKETING)
    }
