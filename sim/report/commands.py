"""The ``routesim report RUN_DIR`` command: re-render a run directory's report.

:func:`register` adds the subcommand to the CLI's subparsers; a directory that is not a
readable run raises :class:`~sim.report.rundata.ReportError` (the CLI's bad input).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.report.render import render_report


def cmd_report(args: argparse.Namespace) -> int:
    """Re-render report.md, report.html and the figures from the run's files."""
    run_dir = Path(args.run_dir)
    written = render_report(run_dir)
    if not args.quiet:
        figures = sum(1 for p in written if p.suffix == ".png")
        print(f"wrote {run_dir}/ (report.html, report.md, {figures} figures)")
    return 0


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``report RUN_DIR`` to the ``routesim`` subcommands."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        help="re-render report.md, report.html and figures from a run directory",
        description="Re-render report.md, report.html and the PNG figures of a run "
        "directory from its summary.json, scenario.json and records/.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="directory written by routesim run")
    parser.add_argument("--quiet", action="store_true", help="print nothing")
    parser.set_defaults(func=cmd_report)
    return parser
