"""A LoadTestShape from the scenario's traffic: the daily profile, compressed into the run.

The run's ``--run-time`` spans the scenario's ``duration_s`` from its ``start``; at each
moment the user count is ``--users`` times the local hour's profile value (plus active
campaign bursts, relative to the base rate), over the peak of that curve.
Use with ``-f loadtests/locustfile.py,loadtests/shape.py``.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import harness
from locust import LoadTestShape

from sim.scenario import Scenario

STEPS = 48


def profile_factor(scenario: Scenario, scenario_s: float) -> float:
    """Traffic multiplier at ``scenario_s`` seconds after the scenario's start."""
    traffic = scenario.traffic
    local = (scenario.start + timedelta(seconds=scenario_s)).astimezone(scenario.zone)
    factor = traffic.daily_profile[local.hour]
    for burst in traffic.bursts:
        if burst.start_s <= scenario_s < burst.start_s + burst.duration_s:
            factor += burst.rate_per_s / traffic.rate_per_s
    return factor


class ScenarioShape(LoadTestShape):
    """Users follow the scenario's traffic curve over the run time."""

    def tick(self) -> tuple[int, float] | None:
        options = self.runner.environment.parsed_options if self.runner else None
        if options is None:
            return None
        scenario = harness().scenario
        run_time = float(options.run_time or 60)
        elapsed = self.get_run_time()
        if elapsed >= run_time:
            return None
        span = scenario.duration_s
        peak = max(profile_factor(scenario, span * i / STEPS) for i in range(STEPS + 1))
        factor = profile_factor(scenario, span * elapsed / run_time) / peak
        users = max(1, round(int(options.num_users or 1) * factor))
        return users, float(options.spawn_rate or 1)
