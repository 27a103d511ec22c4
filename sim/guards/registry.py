"""Which guards a run uses: the scenario's market rules plus the strategy's own guards.

Guards compose with any strategy: quiet hours come from the scenario (they are law);
others are listed per strategy (``guards: {ait: {...}}``) so runs with and without a
guard can be compared on the same traffic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sim.guards.ait import AitGuard
from sim.guards.base import Guard
from sim.guards.quiet_hours import QuietHoursGuard
from sim.scenario import Scenario, StrategySpec
from sim.strategies.base import StrategyError

GUARDS: dict[str, Callable[[Mapping[str, Any]], Guard]] = {"ait": AitGuard}


def guards_for(scenario: Scenario, spec: StrategySpec | None = None) -> list[Guard]:
    """The guards of a run, in the order they are consulted."""
    guards: list[Guard] = []
    if scenario.quiet_hours:
        guards.append(QuietHoursGuard(scenario))
    for name, params in (spec.guards if spec is not None else {}).items():
        factory = GUARDS.get(name)
        if factory is None:
            known = ", ".join(sorted(GUARDS))
            raise StrategyError(f"strategy {spec.name!r}: unknown guard {name!r} (known: {known})")  # type: ignore[union-attr]
        try:
            guards.append(factory(params))
        except (TypeError, ValueError) as exc:
            raise StrategyError(f"strategy {spec.name!r}: {exc}") from None  # type: ignore[union-attr]
    return guards
