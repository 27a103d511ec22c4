"""Runner: replications x strategies through a ``concurrent.futures`` executor.

Every strategy of a replication runs on the same traffic plan and world draws (paired
comparison). Tasks are (replication, strategy); each returns its records and KPIs,
computed in the worker. :func:`run_scenario` assembles the contract's summary dict.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

import sim
from sim.engine import simulate
from sim.kpis import (
    KPI_ORDER,
    aggregate,
    mean_per_route,
    paired_differences,
    per_route_kpis,
    replication_kpis,
)
from sim.records import Labels, Records
from sim.scenario import Scenario, StrategySpec
from sim.strategies.base import StrategyError
from sim.strategies.registry import resolve


@dataclass(frozen=True)
class TaskResult:
    """One strategy on one replication."""

    strategy: str
    replication: int
    records: Records
    kpis: dict[str, float]
    per_route: dict[str, dict[str, float]]
    wall_s: float


@dataclass(frozen=True)
class RunResult:
    """Summary (DESIGN §4) plus the records of every (strategy, replication)."""

    scenario: Scenario
    summary: dict[str, Any]
    tasks: tuple[TaskResult, ...]
    labels: Labels

    def records(self, strategy: str, replication: int = 1) -> Records:
        for task in self.tasks:
            if task.strategy == strategy and task.replication == replication:
                return task.records
        raise KeyError(f"no records for strategy {strategy!r} replication {replication}")


def scenario_hash(scenario: Scenario) -> str:
    """Short stable hash of the validated scenario."""
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()[:12]


def labels_for(scenario: Scenario) -> Labels:
    """Code -> name tables for the records of this scenario."""
    kinds = tuple(k.value for k in scenario.traffic.kinds)
    return Labels(
        kinds=kinds,
        countries=tuple(d.country for d in scenario.destinations),
        operators=tuple(d.operator for d in scenario.destinations),
        destinations=tuple(d.id for d in scenario.destinations),
        senders_by_kind=tuple(scenario.traffic.kinds[k].sender for k in scenario.traffic.kinds),
    )


def run_task(
    scenario: Scenario,
    spec: StrategySpec,
    replication: int,
    progress: Callable[[float], None] | None = None,
) -> TaskResult:
    """Simulate one strategy on one replication and compute its KPIs."""
    started = time.perf_counter()
    records = simulate(scenario, spec, replication, progress=progress)
    kpis = replication_kpis(records)
    per_route = per_route_kpis(records)
    return TaskResult(
        spec.name, replication, records, kpis, per_route, time.perf_counter() - started
    )


def select_strategies(scenario: Scenario, names: Sequence[str] | None) -> list[StrategySpec]:
    """The scenario's strategies, or the named ones (validated: unknown -> StrategyError)."""
    specs = list(scenario.strategies) if not names else [scenario.strategy(n) for n in names]
    for spec in specs:
        resolve(spec.target)
    return specs


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def run_scenario(
    scenario: Scenario,
    strategies: Sequence[str] | None = None,
    *,
    replications: int | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: bool = False,
    on_task: Callable[[TaskResult], None] | None = None,
    reference: str | None = None,
) -> RunResult:
    """Run every selected strategy on every replication; return summary and records.

    ``reference`` (default: the first strategy) is the strategy the others are compared
    with, replication by replication (paired differences on common random numbers)."""
    specs = select_strategies(scenario, strategies)
    reference = reference or specs[0].name
    if reference not in {s.name for s in specs}:
        raise StrategyError(f"reference strategy {reference!r} is not among those run")
    reps = replications or scenario.replications
    jobs = [(spec, r) for r in range(1, reps + 1) for spec in specs]
    started = time.perf_counter()
    results: list[TaskResult] = []
    # progress in simulated seconds over all tasks; shown after two seconds
    bar = tqdm(
        total=round(len(jobs) * scenario.duration_s),
        desc=f"{scenario.name} ({len(jobs)} runs)",
        unit="sim-s",
        delay=2.0,
        disable=not progress,
    )
    n_workers = workers or min(len(jobs), os.cpu_count() or 1)
    try:
        if executor is None and n_workers <= 1:
            for index, (spec, r) in enumerate(jobs):
                base = index * scenario.duration_s

                def advance(now_s: float, base: float = base) -> None:
                    bar.update(max(0, round(base + now_s) - bar.n))

                results.append(run_task(scenario, spec, r, advance))
                bar.update(round((index + 1) * scenario.duration_s) - bar.n)
        else:
            own = executor is None
            pool = executor or ProcessPoolExecutor(max_workers=n_workers)
            try:
                futures: list[Future[TaskResult]] = [
                    pool.submit(run_task, scenario, spec, r) for spec, r in jobs
                ]
                for future in futures:
                    results.append(future.result())
                    bar.update(round(len(results) * scenario.duration_s) - bar.n)
            finally:
                if own:
                    pool.shutdown(cancel_futures=True)
    finally:
        bar.close()
    results.sort(key=lambda t: (t.replication, [s.name for s in specs].index(t.strategy)))
    for task in results:
        if on_task is not None:
            on_task(task)
    by_strategy = {s.name: [t for t in results if t.strategy == s.name] for s in specs}
    strategies_out: dict[str, Any] = {}
    for spec in specs:
        mine = by_strategy[spec.name]
        means, ci = aggregate([t.kpis for t in mine])
        strategies_out[spec.name] = {
            "use": spec.target,
            "kpis": means,
            "ci95": {k: list(v) for k, v in ci.items()},
            "per_route": mean_per_route([t.per_route for t in mine]),
            "replication_kpis": [{k: t.kpis[k] for k in KPI_ORDER} for t in mine],
        }
        if spec.name != reference:
            diff, diff_ci = paired_differences(
                [t.kpis for t in mine], [t.kpis for t in by_strategy[reference]]
            )
            strategies_out[spec.name]["paired"] = {
                "reference": reference,
                "diff": diff,
                "ci95": {k: list(v) for k, v in diff_ci.items()},
            }
    summary = _clean(
        {
            "scenario": scenario.name,
            "scenario_hash": scenario_hash(scenario),
            "version": sim.__version__,
            "seed": scenario.seed,
            "replications": reps,
            "reference": reference,
            "duration_s": scenario.duration_s,
            "strategies": strategies_out,
            "wall_s": time.perf_counter() - started,
        }
    )
    return RunResult(scenario, summary, tuple(results), labels_for(scenario))
