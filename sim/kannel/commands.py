"""The ``kannel-check`` subcommand, for ``sim.cli`` to register.

``routesim kannel-check SCENARIO --messages N`` runs the scenario's carriers, Kannel's
bearerbox and smsbox in front of them, sends N messages through ``sendsms`` and prints
the join of Kannel's receipts with the carriers' truth ledger
(:func:`sim.kannel.check.kannel_check`). Exit 0 when every join holds, 1 otherwise.
Bad input and a missing or failing Kannel raise :class:`~sim.kannel.config.KannelError`
(one line; the CLI exits 2).
"""

from __future__ import annotations

import argparse
from typing import Any

from sim.kannel.check import kannel_check
from sim.kannel.config import kannel_binaries
from sim.live.commands import _positive, _resolve
from sim.live.thresholds import load_live_scenario

__all__ = ["cmd_kannel_check", "register"]


def cmd_kannel_check(args: argparse.Namespace) -> int:
    kannel_binaries()  # the install line before anything else
    scenario, _ = load_live_scenario(_resolve(args.scenario))
    result = kannel_check(
        scenario, args.messages, time_scale=args.time_scale, concurrency=args.concurrency,
        dlr_wait_s=args.dlr_wait, seed=args.seed,
    )  # fmt: skip
    print(result.report(), flush=True)
    return 0 if result.ok else 1


def register(subparsers: Any) -> None:
    """Add ``kannel-check`` to the ``routesim`` subcommands."""
    parser = subparsers.add_parser(
        "kannel-check",
        help="send messages through Kannel in front of the simulated carriers; join its "
        "receipts with the truth ledger",
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="YAML file or bundled scenario name")
    parser.add_argument("--messages", type=_positive(int), default=200, metavar="N")
    parser.add_argument("--concurrency", type=_positive(int), default=16, metavar="C",
                        help="sendsms requests in flight")  # fmt: skip
    parser.add_argument("--time-scale", type=_positive(float), default=1.0, metavar="X",
                        help="world seconds per wall second of the carriers")  # fmt: skip
    parser.add_argument("--dlr-wait", type=_positive(float), default=15.0, metavar="SECONDS",
                        help="wall time to wait for receipts after sending")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1, help="seed of the destination numbers")
    parser.set_defaults(func=cmd_kannel_check)
