"""Engine benchmark: simulated messages per wall-second, as ratios measured in one run.

Usage (from the project root)::

    .venv/bin/python benchmarks/bench_engine.py                 # ~200k-message slice
    .venv/bin/python benchmarks/bench_engine.py --full          # all of bench.yaml (~1.07M)
    .venv/bin/python benchmarks/bench_engine.py --messages 500000 --strategy quality-scored
    .venv/bin/python benchmarks/bench_engine.py --only full --no-tracemalloc --profile 40

It measures, in one process on one core (no pool, no threads):

(a) bare SimPy: timeout events per wall-second (a few generator processes each doing
    ``yield env.timeout(1)`` in a loop) — the ceiling any SimPy model works under;
(b) a naive SimPy model of the same workload (``naive_model.py``: one process per
    message, ``simpy.Resource`` per route, numpy draws per message, dict records),
    messages per wall-second on the same traffic plan;
(c) the full model, ``sim.engine.Simulation(scenario, spec, 1, plan).run()``, messages
    per wall-second (traffic generation timed separately and excluded);

then the ratios (c)/(a) (target >= 0.10) and (c)/(b) (target >= 3), and memory per
message: bytes held in the record columns (``RecordBuffer.nbytes()``) and the
``tracemalloc`` peak of a separate traced run of (c) (target < 1 KB). It prints a
table and one PASS/MISS line per target, and exits 0 either way: it is a benchmark,
not a test.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import simpy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from naive_model import NaiveModel  # noqa: E402

import sim  # noqa: E402
from sim.engine import Simulation  # noqa: E402
from sim.scenario import Scenario, with_duration  # noqa: E402
from sim.strategies.base import StrategyError  # noqa: E402
from sim.strategies.registry import resolve  # noqa: E402
from sim.world.traffic import TrafficPlan, generate_traffic  # noqa: E402

DEFAULT_SCENARIO = ROOT / "scenarios" / "bench.yaml"
DEFAULT_MESSAGES = 200_000
NAIVE_CAP = 250_000  # the naive model runs on at most this many messages unless told
BARE_EVENTS = 1_000_000
BARE_PROCESSES = 4
REPLICATION = 1

TARGET_VS_BARE = 0.10
TARGET_VS_NAIVE = 3.0
TARGET_BYTES = 1024.0


# --------------------------------------------------------------------------- timing


@dataclass
class Timing:
    wall_s: float
    cpu_s: float


class Stopwatch:
    """Wall and CPU time of a block (after a full garbage collection)."""

    def __enter__(self) -> Stopwatch:
        gc.collect()
        self._wall = time.perf_counter()
        self._cpu = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timing = Timing(time.perf_counter() - self._wall, time.process_time() - self._cpu)


# --------------------------------------------------------------------------- workload


def slice_for(scenario: Scenario, messages: int) -> Scenario:
    """The scenario cut short (``with_duration``) to hold about ``messages`` messages."""
    full = generate_traffic(scenario, REPLICATION)
    if messages >= len(full):
        return scenario
    # the arrival time of message N in the full plan: the slice's Poisson counts
    # differ a little, so the slice holds about, not exactly, N messages
    duration_s = float(full.created_s[messages - 1])
    return with_duration(scenario, math.ceil(duration_s))


def timed_plan(scenario: Scenario) -> tuple[TrafficPlan, Timing]:
    with Stopwatch() as watch:
        plan = generate_traffic(scenario, REPLICATION)
    return plan, watch.timing


# --------------------------------------------------------------------------- (a) bare SimPy


def _ticker_process(env: simpy.Environment):  # type: ignore[no-untyped-def]
    timeout = env.timeout
    while True:
        yield timeout(1)


def bare_simpy(events: int, processes: int) -> tuple[int, Timing]:
    """Timeout events per second: ``processes`` generators each ``yield timeout(1)``."""
    per_process = events // processes
    env = simpy.Environment()
    for _ in range(processes):
        env.process(_ticker_process(env))
    with Stopwatch() as watch:
        env.run(until=per_process + 0.5)
    return per_process * processes, watch.timing


# --------------------------------------------------------------------------- (b) naive, (c) full


@dataclass
class ModelRun:
    messages: int
    attempts: int
    timing: Timing
    setup_s: float = 0.0
    records_bytes: int = 0
    delivered: float = math.nan
    queue_wait_mean_s: float = math.nan
    queue_wait_max_s: float = math.nan

    @property
    def rate(self) -> float:
        return self.messages / self.timing.wall_s


def run_naive(scenario: Scenario, strategy: str, plan: TrafficPlan) -> ModelRun:
    with Stopwatch() as watch:
        model = NaiveModel(scenario, scenario.strategy(strategy), plan)
        rows = model.run()
    run = ModelRun(len(plan), len(rows), watch.timing)
    run.delivered = _delivered_share(
        len(plan), [r["msg_id"] for r in rows if r["handset_delivered"]]
    )
    waits = [r["submitted_s"] - r["queued_s"] for r in rows if r["route"] >= 0]
    run.queue_wait_mean_s = float(np.mean(waits)) if waits else math.nan
    run.queue_wait_max_s = float(np.max(waits)) if waits else math.nan
    run.records_bytes = _deep_sizeof_rows(rows)
    return run


def _deep_sizeof_rows(rows: list[dict[str, object]], sample: int = 2000) -> int:
    """Estimated bytes held by the naive model's dict rows (sampled, shared objects
    such as interned strings and small ints counted too: an upper estimate)."""
    if not rows:
        return 0
    step = max(1, len(rows) // sample)
    picked = rows[::step]
    per_row = sum(
        sys.getsizeof(r) + sum(sys.getsizeof(v) for v in r.values()) for r in picked
    ) / len(picked)
    return int(per_row * len(rows) + sys.getsizeof(rows))


def _delivered_share(messages: int, delivered_ids: list[int] | np.ndarray) -> float:
    return len(set(np.asarray(delivered_ids).tolist())) / messages if messages else math.nan


def run_full(scenario: Scenario, strategy: str, plan: TrafficPlan) -> ModelRun:
    spec = scenario.strategy(strategy)
    with Stopwatch() as watch:
        t0 = time.perf_counter()
        simulation = Simulation(scenario, spec, REPLICATION, plan)
        setup_s = time.perf_counter() - t0
        records = simulation.run()
    c = records.columns
    run = ModelRun(len(plan), len(records), watch.timing, setup_s=setup_s)
    run.records_bytes = simulation.records.nbytes()
    run.delivered = _delivered_share(len(plan), c["msg_id"][c["handset_delivered"]])
    routed = c["route"] >= 0
    waits = (c["submitted_s"] - c["queued_s"])[routed]
    run.queue_wait_mean_s = float(np.mean(waits)) if waits.size else math.nan
    run.queue_wait_max_s = float(np.max(waits)) if waits.size else math.nan
    return run


def traced_full(scenario: Scenario, strategy: str, plan: TrafficPlan) -> int:
    """``tracemalloc`` peak (bytes) of a full-model run, plan excluded (made before)."""
    gc.collect()
    tracemalloc.start()
    try:
        simulation = Simulation(scenario, scenario.strategy(strategy), REPLICATION, plan)
        simulation.run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


# --------------------------------------------------------------------------- report


def _rate(value: float) -> str:
    return f"{value:>12,.0f}"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _environment() -> str:
    try:
        load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "n/a"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"python {platform.python_version()} ({platform.python_implementation()}), "
        f"simpy {simpy.__version__}, numpy {np.__version__}, routesim {sim.__version__}\n"
        f"cpu: {cpu}, {os.cpu_count()} logical CPUs; load average {load}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="routesim engine benchmark (rates as ratios measured in one run)"
    )
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--messages",
        type=int,
        default=DEFAULT_MESSAGES,
        help=f"about how many messages to simulate (default {DEFAULT_MESSAGES:,})",
    )
    size.add_argument("--full", action="store_true", help="the whole scenario")
    parser.add_argument(
        "--strategy",
        action="append",
        help="strategy from the scenario, a registry name or pkg.module:Class (repeatable; "
        "default: the scenario's first, least-cost in bench.yaml)",
    )
    parser.add_argument(
        "--naive-messages",
        type=int,
        default=None,
        help=f"messages for the naive model (default: same slice, at most {NAIVE_CAP:,})",
    )
    parser.add_argument("--bare-events", type=int, default=BARE_EVENTS)
    parser.add_argument(
        "--only",
        choices=("bare", "naive", "full"),
        action="append",
        help="run only these parts (repeatable; handy under a profiler)",
    )
    parser.add_argument(
        "--no-tracemalloc", action="store_true", help="skip the traced (slower) memory run"
    )
    parser.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=30,
        default=None,
        metavar="N",
        help="also profile one full-model run (cProfile, Simulation only) and print the "
        "top N functions by own time (default 30)",
    )
    args = parser.parse_args(argv)
    parts = set(args.only or ("bare", "naive", "full"))
    if args.messages <= 0 or (args.naive_messages is not None and args.naive_messages <= 0):
        parser.error("message counts must be positive")
    try:
        base = sim.load_scenario(args.scenario)
        strategies = args.strategy or [base.strategies[0].name]
        for name in strategies:
            resolve(base.strategy(name).target)
    except (sim.ScenarioError, StrategyError) as exc:
        print(exc, file=sys.stderr)
        return 2

    print("routesim engine benchmark")
    print(_environment())

    scenario = base if args.full else slice_for(base, args.messages)
    plan, plan_timing = timed_plan(scenario)
    print(
        f"workload: {args.scenario.name}, duration {scenario.duration_s:,.0f} s "
        f"(of {base.duration_s:,.0f}), {len(plan):,} messages, "
        f"{len(scenario.destinations)} destinations, {len(scenario.routes)} routes; "
        f"traffic generation {plan_timing.wall_s:.2f} s (excluded from the rates)"
    )

    naive_target = args.naive_messages or min(len(plan), NAIVE_CAP)
    if "naive" in parts and naive_target < len(plan):
        naive_scenario = slice_for(scenario, naive_target)
        naive_plan, _ = timed_plan(naive_scenario)
        print(
            f"naive model on a shorter slice: {naive_scenario.duration_s:,.0f} s, "
            f"{len(naive_plan):,} messages (rates are per second, so they compare)"
        )
    else:
        naive_plan = plan

    bare: Timing | None = None
    events = 0
    if "bare" in parts:
        for _ in range(3):
            events, timing = bare_simpy(args.bare_events, BARE_PROCESSES)
            if bare is None or timing.wall_s < bare.wall_s:
                bare = timing
        print(
            f"(a) bare SimPy: {events:,} timeouts over {BARE_PROCESSES} processes, "
            f"best of 3 {bare.wall_s:.2f} s wall"  # type: ignore[union-attr]
        )

    header = ("model", "messages", "attempts", "wall s", "cpu s", "msg/wall-s", "deliv.", "q-wait")
    rows: list[tuple[str, ...]] = []
    timings: list[Timing] = []
    if bare is not None:
        rows.append(
            ("(a) bare SimPy timeouts", f"{events:,} ev", "", f"{bare.wall_s:.2f}",
             f"{bare.cpu_s:.2f}", _rate(events / bare.wall_s) + " ev", "", "")
        )  # fmt: skip
        timings.append(bare)

    ratio_rows: list[tuple[str, ...]] = []
    memory_lines: list[str] = []
    verdicts: list[str] = []
    for name in strategies:
        naive = full = None
        if "naive" in parts:
            print(f"(b) naive model, {name}: {len(naive_plan):,} messages ...", flush=True)
            naive = run_naive(scenario, name, naive_plan)
            rows.append(_model_row(f"(b) naive, {name}", naive))
            timings.append(naive.timing)
        if "full" in parts:
            print(f"(c) full model, {name}: {len(plan):,} messages ...", flush=True)
            full = run_full(scenario, name, plan)
            rows.append(_model_row(f"(c) full, {name}", full))
            timings.append(full.timing)
        traced: float | None = None
        if full is not None and not args.no_tracemalloc:
            print(f"    traced run for the memory peak, {name} ...", flush=True)
            peak = traced_full(scenario, name, plan)
            traced = peak / full.messages
            memory_lines.append(
                f"{name}: tracemalloc peak during the run {peak / 1e6:,.1f} MB = "
                f"{traced:,.0f} B/message (traffic plan made before tracing)"
            )

        if full is not None and bare is not None:
            wall = full.rate / (events / bare.wall_s)
            cpu = (full.messages / full.timing.cpu_s) / (events / bare.cpu_s)
            ok = wall >= TARGET_VS_BARE
            ratio_rows.append((f"full/bare, {name}", f"{wall:.3f}", f"{cpu:.3f}",
                               f">= {TARGET_VS_BARE:.2f}", _verdict(ok)))  # fmt: skip
            verdicts.append(
                f"{_verdict(ok)}  full/bare, {name}: {wall:.3f} messages per bare timeout "
                f"event (target >= {TARGET_VS_BARE:.2f})"
            )
        if full is not None and naive is not None:
            wall = full.rate / naive.rate
            cpu = (full.messages / full.timing.cpu_s) / (naive.messages / naive.timing.cpu_s)
            ok = wall >= TARGET_VS_NAIVE
            ratio_rows.append((f"full/naive, {name}", f"{wall:.2f}x", f"{cpu:.2f}x",
                               f">= {TARGET_VS_NAIVE:.0f}x", _verdict(ok)))  # fmt: skip
            verdicts.append(
                f"{_verdict(ok)}  full/naive, {name}: {wall:.2f}x (target >= "
                f"{TARGET_VS_NAIVE:.0f}x)"
            )
        if full is not None:
            per_msg = full.records_bytes / full.messages
            memory_lines.insert(
                len(memory_lines) - (traced is not None),
                f"{name}: record columns {full.records_bytes / 1e6:,.1f} MB = "
                f"{per_msg:,.0f} B/message ({full.records_bytes / full.attempts:,.0f} B per "
                f"attempt row)",
            )
            verdicts.append(
                f"{_verdict(per_msg < TARGET_BYTES)}  record memory per message, {name}: "
                f"{per_msg:,.0f} B (target < {TARGET_BYTES:,.0f} B)"
            )
            if traced is not None:
                verdicts.append(
                    f"{_verdict(traced < TARGET_BYTES)}  tracemalloc peak per message, "
                    f"{name}: {traced:,.0f} B (target < {TARGET_BYTES:,.0f} B)"
                )
        if naive is not None:
            memory_lines.append(
                f"{name}: naive model's dict rows ~{naive.records_bytes / naive.messages:,.0f} "
                "B/message (sampled getsizeof, for comparison)"
            )

    print()
    for text in _table(header, rows):
        print(text)
    print(
        f"traffic generation: {plan_timing.wall_s:.2f} s wall for {len(plan):,} messages "
        f"({len(plan) / plan_timing.wall_s:,.0f} msg/s), not in the rates above"
    )
    if ratio_rows:
        print()
        for text in _table(("ratio", "wall", "cpu", "target", ""), ratio_rows):
            print(text)
    if any(t.cpu_s < 0.9 * t.wall_s for t in timings):
        print(
            "note: the machine was busy (CPU time < 90% of wall time in some runs); "
            "the CPU-time ratios are the steadier figures"
        )
    if memory_lines:
        print()
        print("memory")
        for m in memory_lines:
            print("  " + m)
    if args.profile:
        for name in strategies:
            profile_full(scenario, name, plan, args.profile)
    print()
    for v in verdicts:
        print(v)
    return 0


def profile_full(scenario: Scenario, strategy: str, plan: TrafficPlan, top: int) -> None:
    """cProfile of one full-model run (construction and run only), top ``top`` by own time."""
    import cProfile
    import pstats

    spec = scenario.strategy(strategy)
    profiler = cProfile.Profile()
    gc.collect()
    profiler.enable()
    Simulation(scenario, spec, REPLICATION, plan).run()
    profiler.disable()
    print()
    print(f"profile of the full model, {strategy} ({len(plan):,} messages), by own time:")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """Left-aligned first column, right-aligned figures, a rule under the header."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    first = fmt(header)
    return [first, "-" * len(first), *(fmt(r) for r in rows)]


def _model_row(label: str, run: ModelRun) -> tuple[str, ...]:
    return (
        label,
        f"{run.messages:,}",
        f"{run.attempts:,}",
        f"{run.timing.wall_s:.2f}",
        f"{run.timing.cpu_s:.2f}",
        _rate(run.rate),
        f"{run.delivered:.3f}",
        f"{run.queue_wait_mean_s * 1e3:.1f} ms",
    )


if __name__ == "__main__":
    sys.exit(main())
