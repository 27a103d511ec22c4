"""``python -m sim.live serve|load ...``: the live subcommands without the main CLI."""

from __future__ import annotations

import argparse
import sys

from sim.live.commands import register
from sim.live.thresholds import LiveError
from sim.scenario import ScenarioError
from sim.strategies.base import StrategyError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="routesim")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (LiveError, ScenarioError, StrategyError) as exc:
        print(f"routesim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
