"""Benchmark: replications scale with worker processes.

The same multi-replication run (default: the bundled ``baseline`` scenario at its full
duration, 4 replications, ``least-cost`` and ``priority``: 8 tasks) through
``sim.run_scenario`` with ``workers=1`` and then ``workers=2``, alternating, best of
``--repeat`` each. Prints wall and CPU seconds and the speed-up ratio (target >= 1.7 on
a 2-core machine). Simulation and KPIs only: writing the run directory is serial and
not measured.

Other work on the machine skews the ratio (two workers need two idle cores): the load
average before each run and cpu/wall are printed, a warning appears when the best runs
got less than 90% of a core per worker, and a CPU-time estimate of the idle-core ratio
is printed beside the measured one.

    .venv/bin/python benchmarks/bench_workers.py
    .venv/bin/python benchmarks/bench_workers.py --replications 6 --duration 900 --repeat 3

Exit code 0 (the figures are printed, not asserted); 2 for a bad scenario or arguments.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import sim
from sim.scenario import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.7


@dataclass(frozen=True)
class Timing:
    workers: int
    wall_s: float
    cpu_s: float  # this process and its finished children
    parent_cpu_s: float  # this process only (submitting, collecting, summarising)
    load_before: float
    summary: dict[str, object]


def _cpu_s() -> tuple[float, float]:
    """(this process, this process + its finished children) CPU seconds."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    mine = own.ru_utime + own.ru_stime
    return mine, mine + children.ru_utime + children.ru_stime


def measure(
    scenario: sim.Scenario, strategies: list[str], replications: int, workers: int
) -> Timing:
    load = os.getloadavg()[0]
    (own, total), started = _cpu_s(), time.perf_counter()
    result = sim.run_scenario(scenario, strategies, replications=replications, workers=workers)
    wall = time.perf_counter() - started
    own_after, total_after = _cpu_s()
    return Timing(workers, wall, total_after - total, own_after - own, load, result.summary)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    parser.add_argument("--strategy", action="append", help="default: least-cost, priority")
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--duration", type=float, help="simulated seconds (default: scenario's)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per worker count (best of)")
    parser.add_argument("--workers", type=int, default=2, help="the parallel worker count")
    try:
        args = parser.parse_args(argv)
        if args.replications < 1 or args.repeat < 1 or args.workers < 2:
            raise ScenarioError("--replications and --repeat must be >= 1, --workers >= 2")
        scenario = sim.load_scenario(args.scenario)
        if args.duration:
            scenario = scenario.model_copy(update={"duration_s": args.duration})
        strategies = args.strategy or ["least-cost", "priority"]
        # warm-up: imports, text pools and caches, so the first timed run is not penalised
        sim.run_scenario(
            scenario.model_copy(update={"duration_s": 10.0}), strategies[:1], replications=1,
            workers=1,
        )  # fmt: skip
    except (ScenarioError, ValueError) as exc:
        print(f"bench_workers: error: {exc}", file=sys.stderr)
        return 2

    tasks = len(strategies) * args.replications
    print(
        f"{scenario.name}: {scenario.duration_s:g} simulated s, {args.replications} "
        f"replications x {len(strategies)} strategies = {tasks} tasks; "
        f"{os.cpu_count()} CPUs; best of {args.repeat}"
    )
    print(f"{'workers':>7} {'wall s':>8} {'cpu s':>8} {'cpu/wall':>8} {'load avg before':>16}")
    best: dict[int, Timing] = {}
    for _ in range(args.repeat):
        for workers in (1, args.workers):
            timing = measure(scenario, strategies, args.replications, workers)
            print(
                f"{workers:>7} {timing.wall_s:>8.2f} {timing.cpu_s:>8.2f} "
                f"{timing.cpu_s / timing.wall_s:>8.2f} {timing.load_before:>16.2f}"
            )
            if workers not in best or timing.wall_s < best[workers].wall_s:
                best[workers] = timing
    one, many = best[1], best[args.workers]
    same = {k: v for k, v in one.summary.items() if k != "wall_s"} == {
        k: v for k, v in many.summary.items() if k != "wall_s"
    }
    speedup = one.wall_s / many.wall_s
    verdict = "PASS" if speedup >= TARGET else "MISS"
    print(
        f"speed-up {args.workers} workers vs 1: {speedup:.2f}x "
        f"(best wall {one.wall_s:.2f} s -> {many.wall_s:.2f} s; target >= {TARGET}) {verdict}"
    )
    # What idle cores would give: the parent's own CPU plus the workers' CPU shared
    # evenly (the tasks are alike), against the 1-worker run's CPU.
    estimate = one.cpu_s / (many.parent_cpu_s + (many.cpu_s - many.parent_cpu_s) / args.workers)
    print(
        f"CPU-time estimate for idle cores: {estimate:.2f}x (1 worker {one.cpu_s:.2f} CPU-s; "
        f"{args.workers} workers {many.cpu_s:.2f} CPU-s of which {many.parent_cpu_s:.2f} in "
        "the parent)"
    )
    print(f"summaries identical apart from wall_s: {same}")
    print(
        "note: wall-clock ratios need idle cores; other load on the machine skews them "
        "(see the load average and cpu/wall columns; the CPU-time estimate is less affected)"
    )
    if one.cpu_s / one.wall_s < 0.9 or many.cpu_s / many.wall_s < 0.9 * args.workers:
        print(
            "warning: contention in the best runs (cpu/wall below 0.9 per worker): rerun on "
            "an idle machine or with a higher --repeat"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
