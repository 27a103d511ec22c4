"""routesim: route simulation and load-testing harness for A2P SMS routing.

Notebook use::

    import sim
    scenario = sim.load_scenario("scenarios/baseline.yaml")
    result = sim.run_scenario(scenario, ["least-cost"], replications=2)
    result.summary["strategies"]["least-cost"]["kpis"]["delivered_ratio"]
    frame = sim.records_frame(result, "least-cost", replication=1)
"""

from __future__ import annotations

__version__ = "0.1.0"

from sim.records import to_dataframe
from sim.runner import RunResult, run_scenario
from sim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario

__all__ = [
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "parse_scenario",
    "records_frame",
    "run_scenario",
]


def records_frame(result: RunResult, strategy: str, replication: int = 1):  # type: ignore[no-untyped-def]
    """The records of one strategy and replication as a pandas DataFrame."""
    return to_dataframe(result.records(strategy, replication), result.labels)
