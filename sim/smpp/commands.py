"""The ``carriers`` subcommand, for ``sim.cli`` to register: simulated SMSCs over SMPP.

``routesim carriers SCENARIO`` serves one SMPP 3.4 SMSC per scenario route on
``--host`` (default loopback), ports ``--base-port`` + route index, until SIGTERM or
SIGINT; then it writes the truth ledger as ``OUT/records/carriers-1.csv.gz`` (the
records CSV of ``routesim run``). Bad input raises :class:`CarrierError` or
:class:`~sim.scenario.ScenarioError` (one line; the CLI exits 2).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.live.commands import _port, _positive, _resolve
from sim.live.thresholds import load_live_scenario
from sim.scenario import MessageKind
from sim.smpp.smsc import CarrierConfig, CarrierServer, Endpoint

__all__ = ["CarrierError", "register", "run_carriers"]


class CarrierError(ValueError):
    """Bad input to ``routesim carriers`` (arguments, ports); one line."""


def _say(line: str) -> None:
    print(line, flush=True)


def endpoint_line(endpoint: Endpoint, config: CarrierConfig) -> str:
    route = next(r for r in config.scenario.routes if r.id == endpoint.route_id)
    return (
        f"{endpoint.route_id}: {endpoint.host}:{endpoint.port} system_id={endpoint.system_id} "
        f"password={config.password} window={route.window} tps={route.tps:g}"
    )


async def serve_carriers(
    config: CarrierConfig,
    out: Path,
    *,
    announce: Callable[[str], None] = _say,
    stop: asyncio.Event | None = None,
) -> Path:
    """Serve until ``stop`` is set (default: SIGTERM/SIGINT), then write the ledger."""
    server = CarrierServer(config)
    try:
        endpoints = await server.start()
    except OSError as exc:
        raise CarrierError(f"cannot listen on {config.host}: {exc.strerror or exc}") from None
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    for endpoint in endpoints:
        announce(endpoint_line(endpoint, config))
    announce(f"routesim carriers: ready ({len(endpoints)} SMSCs, "
             f"time scale {config.time_scale:g})")  # fmt: skip
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
        messages = await server.stop()
        path = server.ledger.write_csv(out / "records" / "carriers-1.csv.gz")
    for carrier in server.carriers:
        c = carrier.counters
        announce(
            f"{carrier.route.id}: {c.submits} submits, {c.decided} messages decided, "
            f"{c.throttled} throttled (0x58), {c.window_full} window full (0x14), "
            f"{c.receipts_sent} receipts sent, {c.receipts_waiting} undelivered"
        )
    announce(f"routesim carriers: {messages} messages; records {path}")
    return path


def run_carriers(config: CarrierConfig, out: Path) -> Path:
    """Run :func:`serve_carriers` on a fresh event loop (uvloop when installed)."""
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    with contextlib.suppress(ImportError):
        factory = importlib.import_module("uvloop").new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(serve_carriers(config, out))


def cmd_carriers(args: argparse.Namespace) -> int:
    """``routesim carriers``: one simulated SMSC per route until SIGTERM/SIGINT."""
    scenario, _ = load_live_scenario(_resolve(args.scenario))
    n = len(scenario.routes)
    if args.base_port and args.base_port + n - 1 > 65535:
        raise CarrierError(f"--base-port {args.base_port}: {n} routes need ports up to "
                           f"{args.base_port + n - 1} (max 65535)")  # fmt: skip
    if not args.password or len(args.password) > 8 or not args.password.isprintable():
        raise CarrierError("--password: 1 to 8 printable characters (SMPP 3.4)")
    too_long = [r.id for r in scenario.routes if len(r.id) > 15]
    if too_long:
        raise CarrierError(f"route id {too_long[0]!r} is over 15 characters: not a system_id")
    out = Path(args.out) if args.out else Path("runs") / f"carriers-{scenario.name}"
    config = CarrierConfig(
        scenario, args.host, args.base_port, args.password, args.time_scale, args.kind
    )
    run_carriers(config, out)
    sys.stdout.flush()
    return 0


def register(subparsers: Any) -> None:
    """Add ``carriers`` to the ``routesim`` subcommands."""
    parser = subparsers.add_parser(
        "carriers", help="serve the scenario's routes as simulated SMPP 3.4 SMSCs"
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="YAML file or bundled scenario name")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default loopback)")
    parser.add_argument(
        "--base-port", type=_port, default=2775, metavar="PORT",
        help="route i listens on PORT + i (0: a free port each)",
    )  # fmt: skip
    parser.add_argument("--password", default="secret", help="bind password of every route")
    parser.add_argument(
        "--time-scale", type=_positive(float), default=1.0, metavar="X",
        help="world seconds per wall second (10: delays and TPS limits run 10x faster)",
    )  # fmt: skip
    parser.add_argument(
        "--kind", default=MessageKind.TRANSACTIONAL.value,
        choices=[k.value for k in MessageKind], help="traffic kind of submitted messages",
    )  # fmt: skip
    parser.add_argument(
        "--out", metavar="DIR", help="ledger directory (default runs/carriers-NAME)"
    )
    parser.set_defaults(func=cmd_carriers)
