"""The ``routesim`` command: run, validate, list, schema.

Exit codes: 0 success; 1 a check failed; 2 bad input (scenario, arguments), always
with a one-line reason on stderr and no traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import sim
from sim import check, sweep
from sim.catalog import bundled_scenarios, resolve_scenario_path
from sim.cluster import ClusterError, executor_for
from sim.kannel.commands import register as register_kannel
from sim.kannel.config import KannelError
from sim.live.commands import register as register_live
from sim.live.thresholds import LiveError
from sim.output import OutputError, check_output_dir, write_run
from sim.report import ReportError
from sim.report.commands import register as register_report
from sim.runner import run_scenario, select_strategies
from sim.scenario import Scenario, ScenarioError, json_schema, load_scenario, with_overrides
from sim.smpp.commands import CarrierError
from sim.smpp.commands import register as register_carriers
from sim.strategies.base import StrategyError
from sim.strategies.registry import builtin_names

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """Bad command-line input."""


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be > 0")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be >= 1")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be >= 0")
    return value


# --------------------------------------------------------------------------- commands


def cmd_run(args: argparse.Namespace) -> int:
    scenario: Scenario = load_scenario(resolve_scenario_path(args.scenario))
    scenario = with_overrides(scenario, seed=args.seed, duration_s=args.duration)
    specs = select_strategies(scenario, args.strategy)
    if args.reference and args.reference not in {s.name for s in specs}:
        raise UsageError(f"--reference {args.reference!r} is not among the strategies run")
    out_dir = Path(args.out) if args.out else Path("runs") / scenario.name
    check_output_dir(out_dir)
    with executor_for(args.dask) as executor:
        result = run_scenario(
            scenario,
            args.strategy,
            replications=args.replications,
            workers=args.workers,
            executor=executor,
            progress=not args.quiet,
            reference=args.reference,
        )
    write_run(result, out_dir)
    if not args.quiet:
        _print_headline(result.summary, out_dir)
    return EXIT_OK


def _print_headline(summary: dict[str, object], out_dir: Path) -> None:
    strategies = summary["strategies"]
    assert isinstance(strategies, dict)
    print(f"{'strategy':<20} {'delivered':>10} {'reported':>10} {'EUR/deliv':>10} {'p95 s':>8}")
    for name, data in strategies.items():
        k = data["kpis"]
        print(
            f"{name:<20} {_pct(k['delivered_ratio']):>10} {_pct(k['reported_delivered_ratio']):>10}"
            f" {_num(k['cost_per_delivered'], 4):>10} {_num(k['latency_p95_s'], 1):>8}"
        )
    print(f"wrote {out_dir}/ (summary.json, records/, report.md, report.html)")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f}%"


def _num(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def cmd_validate(args: argparse.Namespace) -> int:
    for name in args.scenarios:
        scenario = load_scenario(resolve_scenario_path(name))
        select_strategies(scenario, None)
        print(
            f"{name}: ok ({len(scenario.destinations)} destinations, {len(scenario.routes)} "
            f"routes, {len(scenario.strategies)} strategies)"
        )
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    print("scenarios:")
    for name, path in bundled_scenarios().items():
        try:
            description = load_scenario(path).description.strip().split(". ")[0]
        except ScenarioError as exc:
            description = f"INVALID: {exc}"
        print(f"  {name:<22} {textwrap.shorten(description, 90, placeholder=' …')}")
    print("strategies:")
    for name in builtin_names():
        print(f"  {name}")
    print("  (or your own: package.module:Class)")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="routesim",
        description="Route simulation and load-testing harness for A2P SMS routing.",
    )
    parser.add_argument("--version", action="version", version=f"routesim {sim.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    run = sub.add_parser("run", help="run a scenario to summary.json, records and a report")
    run.add_argument("scenario", metavar="SCENARIO", help="YAML file or bundled scenario name")
    run.add_argument(
        "--strategy",
        action="append",
        metavar="NAME",
        help="strategy from the scenario, built-in name or pkg.module:Class (repeatable; "
        "default: all the scenario lists)",
    )
    run.add_argument("--seed", type=_non_negative_int, help="override the scenario's seed")
    run.add_argument(
        "--replications", type=_positive_int, help="replications (default: scenario's)"
    )
    run.add_argument("--duration", type=_positive_float, metavar="SECONDS", help="traffic duration")
    run.add_argument("--out", metavar="DIR", help="output directory (default: runs/<scenario>)")
    run.add_argument("--workers", type=_positive_int, help="worker processes (default: cores)")
    run.add_argument("--reference", metavar="NAME", help="strategy others are compared with")
    run.add_argument(
        "--dask", metavar="ADDRESS", help="run replications on a Dask cluster (tcp://host:port)"
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar or headline")
    run.set_defaults(func=cmd_run)

    validate = sub.add_parser("validate", help="check scenario files")
    validate.add_argument("scenarios", nargs="+", metavar="FILE")
    validate.set_defaults(func=cmd_validate)

    register_report(sub)
    sweep.register(sub)
    check.register(sub)
    register_live(sub)
    register_carriers(sub)
    register_kannel(sub)

    lister = sub.add_parser("list", help="bundled scenarios and strategies")
    lister.set_defaults(func=cmd_list)

    schema = sub.add_parser("schema", help="print the scenario JSON Schema")
    schema.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    schema.set_defaults(func=cmd_schema)
    return parser


_BAD_INPUT: tuple[type[Exception], ...] = (
    UsageError,
    ScenarioError,
    StrategyError,
    OutputError,
    ClusterError,
    ReportError,
    LiveError,
    check.CheckError,
    sweep.SweepError,
    CarrierError,
    KannelError,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``routesim`` console script."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except _BAD_INPUT as exc:
        print(f"routesim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("routesim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `routesim list | head`: the reader left, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
