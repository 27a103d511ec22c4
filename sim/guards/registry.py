"""Which guards a scenario runs (they compose with every strategy)."""

from __future__ import annotations

from sim.guards.base import Guard
from sim.guards.quiet_hours import QuietHoursGuard
from sim.scenario import Scenario


def guards_for(scenario: Scenario) -> list[Guard]:
    """The scenario's guards, in the order they are consulted."""
    guards: list[Guard] = []
    if scenario.quiet_hours:
        guards.append(QuietHoursGuard(scenario))
    return guards
