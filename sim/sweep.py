"""Parameter sweeps: a grid of scenario variants, each run with every strategy and replication.

``routesim sweep SCENARIO --param PATH=V1,V2,... [--param ...]`` runs the Cartesian
product of the values. A path addresses the scenario's fields by id, not list index:

- ``routes.<route id>.<field>[.<subfield>...]`` — e.g. ``routes.grey-cheap.dlr.fake_share``,
  ``routes.orange-direct.tps``, ``routes.euro-hub.prices.fr-orange``. In place of a route
  id: a route kind (``routes.grey.tps``: every grey route) or an unambiguous id prefix.
- ``destinations.<id>.<field>`` (or a country code: every destination in it),
  ``traffic.rate_per_s``, ``retry.max_attempts``, ``strategies.<name>.params.<key>``,
  ``duration_s``, ``seed``; lists without ids by index (``traffic.bursts.0.rate_per_s``).
- Route shorthands: ``fake_dlr_share`` = ``dlr.fake_share``, ``missing_dlr_share`` =
  ``dlr.missing_share``, ``delivered`` = ``outcomes.delivered`` (and ``undelivered``,
  ``expired``, ``lost``), ``system_error_share`` = ``errors.system_error_share``. So
  the issue's ``routes.grey.fake_dlr_share`` means ``routes.<every grey route>.dlr.fake_share``.
- Setting one of a route's ``outcomes`` rescales the ones not set so they still sum to 1.

Values are YAML scalars (``0.1``, ``true``, ``bulk``) or flow lists (``[grey]``). Each
variant is the scenario's JSON dump, edited and validated again, so a bad value gives
the usual one-line error. Every grid point keeps the scenario's seed: all points and
strategies see the same traffic and world draws (paired comparison across the grid).
"""

from __future__ import annotations

import argparse
import copy
import csv
import difflib
import io
import itertools
import os
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from tqdm import tqdm

from sim.catalog import resolve_scenario_path
from sim.cluster import executor_for
from sim.kpis import KPI_ORDER, aggregate
from sim.output import staged_directory
from sim.runner import run_task, select_strategies
from sim.scenario import Scenario, StrategySpec, load_scenario, parse_scenario, with_overrides


class SweepError(ValueError):
    """Bad sweep input (parameter path or values, output directory); one line."""


ROUTE_ALIASES = {
    "fake_dlr_share": "dlr.fake_share",
    "missing_dlr_share": "dlr.missing_share",
    "dlr_fake_share": "dlr.fake_share",
    "dlr_missing_share": "dlr.missing_share",
    "fake_mode": "dlr.fake_mode",
    "delivered": "outcomes.delivered",
    "undelivered": "outcomes.undelivered",
    "expired": "outcomes.expired",
    "lost": "outcomes.lost",
    "system_error_share": "errors.system_error_share",
}
_ITEM = {"routes": "route", "destinations": "destination", "strategies": "strategy"}
_GROUP_BY = {"routes": "kind", "destinations": "country"}
_FREE_FORM = ("params", "prices", "kind_senders")  # mappings that may gain new keys
_NOT_SWEEPABLE = {"name": "the scenario's name", "replications": "use --replications"}
_OUTCOMES = ("delivered", "undelivered", "expired", "lost")

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Param:
    """One swept parameter: the path as given, where it resolves, and its values."""

    path: str
    targets: tuple[Location, ...]
    resolved: tuple[str, ...]
    values: tuple[Any, ...]
    labels: tuple[str, ...]


# --------------------------------------------------------------------------- paths


def split_values(text: str) -> list[str]:
    """Split ``a,b,[c,d]`` at top-level commas."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return parts


def _match_key(keys: Sequence[str], segments: Sequence[str], i: int) -> tuple[str, int] | None:
    """The longest ``segments[i:j]`` joined by dots that is one of ``keys``."""
    for j in range(len(segments), i, -1):
        candidate = ".".join(segments[i:j])
        if candidate in keys:
            return candidate, j
    return None


def _select(
    items: list[Any], list_key: str, segments: Sequence[str], i: int, where: str
) -> tuple[list[tuple[int, str]], int]:
    """Items of a list chosen by ``segments[i]``: id/name, group (kind, country),
    unambiguous id prefix, or index for lists without ids."""
    seg = segments[i]
    field = "id" if items and all(isinstance(x, dict) and "id" in x for x in items) else None
    if field is None and items and all(isinstance(x, dict) and "name" in x for x in items):
        field = "name"
    if field is None:
        if seg.isdigit() and int(seg) < len(items):
            return [(int(seg), seg)], i + 1
        raise SweepError(
            f"{where}: no index {seg!r} (this list has {len(items)}: 0..{len(items) - 1})"
        )
    ids = [str(x[field]) for x in items]
    found = _match_key(ids, segments, i)
    if found is not None:
        return [(ids.index(found[0]), found[0])], found[1]
    group = _GROUP_BY.get(list_key)
    if group is not None:
        members = [k for k, x in enumerate(items) if str(x.get(group, "")).lower() == seg.lower()]
        if members:
            return [(k, ids[k]) for k in members], i + 1
    prefixed = [k for k, name in enumerate(ids) if name.startswith(seg)]
    if len(prefixed) == 1:
        return [(prefixed[0], ids[prefixed[0]])], i + 1
    item = _ITEM.get(list_key, "item")
    choices = f"{list_key}: {', '.join(ids)}"
    if group is not None:
        groups = sorted({str(x.get(group)) for x in items})
        choices += f"; or a {group}: {', '.join(groups)}"
    raise SweepError(f"{where}: no {item} {seg!r} ({choices})")


def resolve_path(dump: dict[str, Any], path: str) -> list[tuple[Location, str]]:
    """Locations (keys and indices into the dump) that ``path`` names, with their
    canonical dotted names. Raises :class:`SweepError` naming the valid choices."""
    where = f"--param {path}=..."
    segments = path.split(".")
    if not path or any(not s for s in segments):
        raise SweepError(f"{where}: empty path segment")
    if segments[0] in _NOT_SWEEPABLE:
        raise SweepError(f"{where}: cannot be swept ({_NOT_SWEEPABLE[segments[0]]})")
    # state: (location, canonical name, node, index of next segment, segments)
    frontier: list[tuple[Location, str, Any, int, list[str]]] = [((), "", dump, 0, segments)]
    done: list[tuple[Location, str]] = []
    while frontier:
        loc, canon, node, i, segs = frontier.pop(0)
        if i == len(segs):
            done.append((loc, canon))
            continue
        here = canon or "the scenario"
        dotted = f"{canon}." if canon else ""
        if isinstance(node, list):
            chosen, j = _select(node, str(loc[-1]) if loc else "", segs, i, where)
            for index, label in chosen:
                frontier.append(((*loc, index), dotted + label, node[index], j, segs))
        elif isinstance(node, dict):
            found = _match_key(list(node), segs, i)
            if found is not None:
                key, j = found
                frontier.append(((*loc, key), dotted + key, node[key], j, segs))
                continue
            in_route = len(loc) == 2 and loc[0] == "routes"
            if in_route and segs[i] in ROUTE_ALIASES:
                expanded = segs[:i] + ROUTE_ALIASES[segs[i]].split(".") + segs[i + 1 :]
                frontier.append((loc, canon, node, i, expanded))
                continue
            if any(str(part) in _FREE_FORM for part in loc[-1:]) or "params" in loc:
                key = ".".join(segs[i:])  # a new key of a free-form mapping
                frontier.append(((*loc, key), dotted + key, None, len(segs), segs))
                continue
            fields = list(node) + (list(ROUTE_ALIASES) if in_route else [])
            close = difflib.get_close_matches(segs[i], fields, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SweepError(
                f"{where}: no field {segs[i]!r} in {here} (fields: {', '.join(node)}){hint}"
            )
        elif node is None:
            raise SweepError(
                f"{where}: {here} is not set in the scenario; define it there to sweep its fields"
            )
        else:
            raise SweepError(f"{where}: {here} is a value ({node!r}), it has no field {segs[i]!r}")
    return done


def _get(dump: Any, loc: Location) -> Any:
    for key in loc:
        dump = dump[key]
    return dump


def _peek(dump: Any, loc: Location) -> Any:
    """The value at ``loc``, or None when it does not exist yet (a new mapping key)."""
    try:
        return _get(dump, loc)
    except (KeyError, IndexError, TypeError):
        return None


def parse_param(text: str, dump: dict[str, Any]) -> Param:
    """``PATH=V1,V2,...`` resolved against a scenario dump."""
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise SweepError(f"--param {text!r}: expected PATH=V1,V2,... (e.g. routes.grey.tps=10,50)")
    labels = split_values(raw)
    if not raw.strip() or any(not v for v in labels):
        raise SweepError(f"--param {path}: empty value in {raw!r}")
    if len(set(labels)) != len(labels):
        raise SweepError(f"--param {path}: a value is repeated in {raw!r}")
    values = []
    for label in labels:
        try:
            values.append(yaml.safe_load(label))
        except yaml.YAMLError:
            raise SweepError(f"--param {path}: {label!r} is not a YAML value") from None
    found = resolve_path(dump, path)
    for loc, canon in found:
        current = _peek(dump, loc)
        if isinstance(current, dict | list) and not isinstance(values[0], dict | list):
            fields = ", ".join(map(str, current)) if isinstance(current, dict) else "a list"
            raise SweepError(f"--param {path}: {canon} is a group ({fields}); name one field")
    return Param(
        path,
        tuple(loc for loc, _ in found),
        tuple(canon for _, canon in found),
        tuple(values),
        tuple(labels),
    )


def parse_params(texts: Sequence[str], scenario: Scenario) -> list[Param]:
    """All ``--param`` options; no two may set the same field."""
    if not texts:
        raise SweepError("nothing to sweep: give at least one --param PATH=V1,V2,...")
    dump = scenario.model_dump(mode="json")
    params = [parse_param(t, dump) for t in texts]
    seen: dict[Location, str] = {}
    for param in params:
        for loc, canon in zip(param.targets, param.resolved, strict=True):
            if loc in seen:
                raise SweepError(f"--param {param.path}: {canon} is also set by {seen[loc]}")
            seen[loc] = f"--param {param.path}"
    return params


def apply_point(
    scenario: Scenario, params: Sequence[Param], values: Sequence[Any], source: str
) -> Scenario:
    """The scenario with each parameter set to its value (outcomes rebalanced), validated."""
    dump = copy.deepcopy(scenario.model_dump(mode="json"))
    set_outcomes: dict[Location, set[str]] = {}
    for param, value in zip(params, values, strict=True):
        for loc in param.targets:
            _get(dump, loc[:-1])[loc[-1]] = copy.deepcopy(value)
            if len(loc) >= 2 and loc[-2] == "outcomes" and loc[-1] in _OUTCOMES:
                set_outcomes.setdefault(loc[:-1], set()).add(str(loc[-1]))
    for loc, keys in set_outcomes.items():
        outcomes = _get(dump, loc)
        fixed = sum(float(outcomes[k]) for k in keys if isinstance(outcomes[k], int | float))
        free = [k for k in _OUTCOMES if k not in keys]
        free_sum = sum(float(outcomes[k]) for k in free)
        if free_sum > 0 and 0 <= fixed <= 1:
            for k in free:
                outcomes[k] = float(outcomes[k]) * (1 - fixed) / free_sum
    return parse_scenario(dump, source)


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class SweepRow:
    """One grid point and strategy: KPI means and 95% intervals over replications."""

    point: int
    labels: tuple[str, ...]
    values: tuple[Any, ...]
    strategy: str
    means: dict[str, float]
    ci: dict[str, tuple[float, float]]


@dataclass(frozen=True)
class SweepResult:
    """The sweep's definition and its table."""

    scenario: Scenario
    params: tuple[Param, ...]
    strategies: tuple[str, ...]
    replications: int
    rows: tuple[SweepRow, ...]
    wall_s: float


def sweep_task(scenario: Scenario, spec: StrategySpec, replication: int) -> dict[str, float]:
    """KPIs of one strategy on one replication of one grid point (records dropped)."""
    return run_task(scenario, spec, replication).kpis


def run_sweep(
    scenario: Scenario,
    params: Sequence[Param],
    strategies: Sequence[str] | None = None,
    *,
    replications: int | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: bool = False,
) -> SweepResult:
    """Run the grid: every point x strategy x replication, through one executor."""
    started = time.perf_counter()
    reps = replications or scenario.replications
    grid = list(itertools.product(*(range(len(p.values)) for p in params)))
    points: list[tuple[Scenario, list[StrategySpec]]] = []
    for combo in grid:
        values = [p.values[k] for p, k in zip(params, combo, strict=True)]
        label = ", ".join(f"{p.path}={p.labels[k]}" for p, k in zip(params, combo, strict=True))
        variant = apply_point(scenario, params, values, f"{scenario.name} [{label}]")
        points.append((variant, select_strategies(variant, strategies)))
    names = tuple(s.name for s in points[0][1])
    jobs = [
        (index, spec, r)
        for index, (_, specs) in enumerate(points)
        for r in range(1, reps + 1)
        for spec in specs
    ]
    kpis: dict[tuple[int, str, int], dict[str, float]] = {}
    bar = tqdm(
        total=len(jobs),
        desc=f"sweep {scenario.name}: {len(grid)} points x {len(names)} strategies x {reps} reps",
        unit="run",
        delay=1.0,
        disable=not progress,
    )
    n_workers = workers or min(len(jobs), os.cpu_count() or 1)
    try:
        if executor is None and n_workers <= 1:
            for index, spec, r in jobs:
                kpis[(index, spec.name, r)] = sweep_task(points[index][0], spec, r)
                bar.update()
        else:
            own = executor is None
            pool = executor or ProcessPoolExecutor(max_workers=n_workers)
            try:
                pending: dict[Future[dict[str, float]], tuple[int, str, int]] = {}
                queue = iter(jobs)
                window = 4 * n_workers  # bounded in flight: big grids stay small in memory
                while True:
                    for index, spec, r in itertools.islice(queue, window - len(pending)):
                        future = pool.submit(sweep_task, points[index][0], spec, r)
                        pending[future] = (index, spec.name, r)
                    if not pending:
                        break
                    finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        kpis[pending.pop(future)] = future.result()
                        bar.update()
            finally:
                if own:
                    pool.shutdown(cancel_futures=True)
    finally:
        bar.close()
    rows = []
    for index, combo in enumerate(grid):
        for name in names:
            means, ci = aggregate([kpis[(index, name, r)] for r in range(1, reps + 1)])
            rows.append(
                SweepRow(
                    index,
                    tuple(p.labels[k] for p, k in zip(params, combo, strict=True)),
                    tuple(p.values[k] for p, k in zip(params, combo, strict=True)),
                    name,
                    means,
                    ci,
                )
            )
    return SweepResult(
        scenario, tuple(params), names, reps, tuple(rows), time.perf_counter() - started
    )


# --------------------------------------------------------------------------- output


def _cell(value: float) -> str:
    return "" if value != value else f"{value:.10g}"  # NaN -> empty


def sweep_csv(result: SweepResult) -> str:
    """One row per grid point x strategy: parameters, every KPI mean and CI bounds."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["point", *(p.path for p in result.params), "strategy", "replications"]
    for kpi in KPI_ORDER:
        header += [kpi, f"{kpi}_lo", f"{kpi}_hi"]
    writer.writerow(header)
    for row in result.rows:
        line = [str(row.point), *row.labels, row.strategy, str(result.replications)]
        for kpi in KPI_ORDER:
            lo, hi = row.ci.get(kpi, (float("nan"), float("nan")))
            line += [_cell(row.means[kpi]), _cell(lo), _cell(hi)]
        writer.writerow(line)
    return buffer.getvalue()


def check_sweep_dir(out_dir: Path) -> None:
    """Refuse a target that exists and is not a previous sweep directory."""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise SweepError(f"{out_dir}: exists and is not a directory")
        if any(out_dir.iterdir()) and not (out_dir / "sweep.csv").exists():
            raise SweepError(f"{out_dir}: not empty and not a routesim sweep directory")


def write_sweep(
    result: SweepResult, out_dir: Path, figure_kpis: Sequence[str] | None = None
) -> list[str]:
    """Write sweep.csv, sweep.md and the figures into ``out_dir`` atomically (staged,
    then renamed); returns the figure file names."""
    from sim.sweep_report import MAIN_KPIS, render_sweep_figures, render_sweep_markdown

    check_sweep_dir(out_dir)
    with staged_directory(out_dir) as staging:
        (staging / "sweep.csv").write_text(sweep_csv(result), encoding="utf-8")
        kpis = list(figure_kpis or MAIN_KPIS)
        figures = render_sweep_figures(result, staging, kpis)
        markdown = render_sweep_markdown(result, figures, kpis)
        (staging / "sweep.md").write_text(markdown, encoding="utf-8")
    return figures


# --------------------------------------------------------------------------- command


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.sweep_report import markdown_table

    scenario = load_scenario(resolve_scenario_path(args.scenario))
    scenario = with_overrides(scenario, seed=args.seed, duration_s=args.duration)
    for kpi in args.kpi or ():
        if kpi not in KPI_ORDER:
            raise SweepError(f"--kpi {kpi!r}: not a KPI ({', '.join(KPI_ORDER)})")
    params = parse_params(args.param, scenario)
    out_dir = Path(args.out) if args.out else Path("runs") / f"{scenario.name}-sweep"
    check_sweep_dir(out_dir)
    if not args.quiet:
        for param in params:
            targets = ", ".join(param.resolved)
            if targets != param.path:
                print(f"{param.path} -> {targets}")
    with executor_for(args.dask) as executor:
        result = run_sweep(
            scenario,
            params,
            args.strategy,
            replications=args.replications,
            workers=args.workers,
            executor=executor,
            progress=not args.quiet,
        )
    figures = write_sweep(result, out_dir, args.kpi)
    if not args.quiet:
        print(markdown_table(result, args.kpi), end="")
        print(f"wrote {out_dir}/ (sweep.csv, sweep.md, {len(figures)} figures)")
    return 0


def _bounded(kind: type[int] | type[float], minimum: float) -> Any:
    """argparse type: a number of ``kind``, at least ``minimum`` (> 0 for floats)."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a{'n integer' if kind is int else ' number'}"
            ) from None
        if value < minimum or (kind is float and not value > minimum):
            bound = f">= {minimum}" if kind is int else f"> {minimum}"
            raise argparse.ArgumentTypeError(f"{text!r} must be {bound}")
        return value

    return parse


def register(subparsers: Any) -> None:
    """Add the ``sweep`` subcommand to ``routesim``'s subparsers."""
    sweep = subparsers.add_parser(
        "sweep",
        help="run a scenario over a grid of parameter values",
        description="Run every strategy on every point of a parameter grid (Cartesian "
        "product), with the same seeds at every point; write sweep.csv, sweep.md and "
        "figures. Paths address fields by id: routes.<id>.<field>, destinations.<id>."
        "<field>, traffic.rate_per_s, retry.max_attempts, strategies.<name>.params.<key>, "
        "duration_s, seed; a route kind selects every route of that kind "
        "(routes.grey.fake_dlr_share = dlr.fake_share of every grey route).",
    )
    sweep.add_argument("scenario", metavar="SCENARIO", help="YAML file or bundled scenario name")
    sweep.add_argument(
        "--param",
        action="append",
        metavar="PATH=V1,V2,...",
        help="a parameter and its values (YAML scalars); repeatable: the grid is the product",
    )
    sweep.add_argument("--strategy", action="append", metavar="NAME", help="as for run")
    sweep.add_argument("--seed", type=_bounded(int, 0), help="override the scenario's seed")
    sweep.add_argument("--replications", type=_bounded(int, 1), help="per grid point")
    sweep.add_argument("--duration", type=_bounded(float, 0), metavar="SECONDS")
    sweep.add_argument("--out", metavar="DIR", help="output directory (runs/<scenario>-sweep)")
    sweep.add_argument("--workers", type=_bounded(int, 1), help="worker processes (default: cores)")
    sweep.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster (tcp://host:port)")
    sweep.add_argument(
        "--kpi",
        action="append",
        metavar="KPI",
        help="KPIs for the figures and the Markdown table (default: delivered_ratio, "
        "reported_delivered_ratio, fake_dlr_ratio, cost_per_delivered)",
    )
    sweep.add_argument("--quiet", action="store_true", help="no progress bar or table")
    sweep.set_defaults(func=cmd_sweep)
