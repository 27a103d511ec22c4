"""The ``serve`` and ``load`` subcommands, for ``sim.cli`` to register.

``register(subparsers)`` adds both; each sets ``func`` to a function returning an exit
code (0 ok, 1 a load threshold breached). Bad input raises
:class:`~sim.live.thresholds.LiveError` or :class:`~sim.scenario.ScenarioError` (one
line; the CLI exits 2). ``python -m sim.live`` runs them without the main CLI.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.catalog import resolve_scenario_path
from sim.live.thresholds import LiveError, Threshold, load_live_scenario, parse_threshold
from sim.scenario import Scenario

__all__ = ["LiveError", "register"]


_resolve = resolve_scenario_path  # the CLI's lookup: a path, or a bundled name


def _positive(kind: type[Any]) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be > 0")
        return value

    return parse


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-65535)")
    return int(text)


def _scenario(args: argparse.Namespace) -> tuple[Scenario, list[Threshold]]:
    return load_live_scenario(_resolve(args.scenario))


def cmd_serve(args: argparse.Namespace) -> int:
    """``routesim serve``: the routing service on the wall clock."""
    from sim.live.runtime import LiveService, ServiceConfig
    from sim.live.server import serve

    scenario, _ = _scenario(args)
    out = Path(args.out) if args.out else Path("runs") / f"live-{scenario.name}"
    service = LiveService(
        ServiceConfig(
            scenario,
            args.strategy,
            time_scale=args.time_scale,
            out_dir=out,
            drain_s=args.drain,
            carriers=args.carriers,
        )
    )
    try:
        serve(service, args.host, args.port, api_key=args.api_key)
    except OSError as exc:
        raise LiveError(str(exc)) from None
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    """``routesim load``: Locust against the service, one combined report."""
    from sim.live.loadrun import LoadOptions, run_load

    scenario, scenario_thresholds = _scenario(args)
    thresholds = scenario_thresholds + [parse_threshold(t) for t in args.threshold or ()]
    options = LoadOptions(
        scenario_path=_resolve(args.scenario),
        scenario=scenario,
        users=args.users,
        spawn_rate=args.spawn_rate,
        run_time_s=args.run_time,
        processes=args.processes,
        target=args.target,
        out_dir=Path(args.out) if args.out else Path("runs") / f"load-{scenario.name}",
        strategy=args.strategy,
        time_scale=args.time_scale,
        api_key=args.api_key,
        adapter=args.adapter,
        profile=args.profile,
        thresholds=tuple(thresholds),
        quiet=args.quiet,
    )
    if args.target == "kannel":  # Kannel in front of the simulated SMSCs
        from sim.kannel.load import run_kannel_load

        return run_kannel_load(options)
    return run_load(options)


def _duration(text: str) -> float:
    """``90``, ``90s``, ``2m``, ``1h`` -> seconds."""
    units = {"s": 1.0, "m": 60.0, "h": 3600.0}
    scale = units.get(text[-1:], 1.0)
    number = text[:-1] if text[-1:] in units else text
    try:
        value = float(number) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (90, 90s, 2m)") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be > 0")
    return value


def register(subparsers: Any) -> None:
    """Add ``serve`` and ``load`` to the ``routesim`` subcommands."""
    serve = subparsers.add_parser("serve", help="run the routing service on the wall clock")
    serve.add_argument("scenario", metavar="SCENARIO", help="YAML file or bundled scenario name")
    serve.add_argument("--strategy", metavar="NAME", help="default: the scenario's first")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default loopback)")
    serve.add_argument("--port", type=_port, default=8080, help="port (0: a free one)")
    serve.add_argument("--api-key", metavar="KEY", help="require this key (Bearer/X-API-Key)")
    serve.add_argument(
        "--time-scale", type=_positive(float), default=1.0, metavar="X",
        help="world seconds per wall second (10: scenario delays run 10x faster)",
    )  # fmt: skip
    serve.add_argument("--out", metavar="DIR", help="ledger directory (default runs/live-NAME)")
    serve.add_argument(
        "--drain", type=_positive(float), default=5.0, metavar="SECONDS",
        help="on SIGTERM, wall seconds to let in-flight messages finish before settling",
    )  # fmt: skip
    serve.add_argument(
        "--carriers", choices=("inproc", "smpp"), default="inproc",
        help="inproc: fates decided in-process; smpp: submits go over SMPP to simulated SMSCs",
    )  # fmt: skip
    serve.set_defaults(func=cmd_serve)

    load = subparsers.add_parser("load", help="load-test the routing service with Locust")
    load.add_argument("scenario", metavar="SCENARIO", help="YAML file or bundled scenario name")
    load.add_argument("--users", type=_positive(int), default=20, metavar="N")
    load.add_argument("--spawn-rate", type=_positive(float), default=10.0, metavar="R")
    load.add_argument("--run-time", type=_duration, default=30.0, metavar="T")
    load.add_argument(
        "--processes",
        type=_positive(int),
        default=1,
        metavar="P",
        help="Locust processes (master + P-1... workers, via --processes)",
    )
    load.add_argument("--target", metavar="URL", help="existing API to test (default: start one)")
    load.add_argument("--adapter", metavar="pkg.mod:Class", help="API adapter for --target")
    load.add_argument("--out", metavar="DIR", help="report directory (default runs/load-NAME)")
    load.add_argument("--strategy", metavar="NAME", help="strategy of the started service")
    load.add_argument("--time-scale", type=_positive(float), default=1.0, metavar="X")
    load.add_argument("--api-key", metavar="KEY")
    load.add_argument(
        "--profile",
        action="store_true",
        help="shape users by the scenario's daily profile (LoadTestShape)",
    )
    load.add_argument(
        "--threshold",
        action="append",
        metavar="METRIC<=VALUE",
        help="fail (exit 1) when breached; repeatable",
    )
    load.add_argument("--quiet", action="store_true")
    load.set_defaults(func=cmd_load)  # fmt: skip
