"""Run directory: summary.json, scenario.json, records/, report.md, report.html and
figures, written atomically.

Everything is written into a hidden staging directory beside the target and moved
into place at the end, so a failed run never leaves a half-written directory.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.records import guard_log_frame, probes_frame, to_dataframe, write_csv
from sim.report import render_report
from sim.runner import RunResult


class OutputError(ValueError):
    """The output directory cannot be used; the message is one line."""


def check_output_dir(out_dir: Path) -> None:
    """Refuse a target that exists and is not a previous run directory."""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise OutputError(f"{out_dir}: exists and is not a directory")
        if any(out_dir.iterdir()) and not (out_dir / "summary.json").exists():
            raise OutputError(f"{out_dir}: not empty and not a routesim run directory")
    parent = out_dir.resolve().parent
    if parent.exists() and not os.access(parent, os.W_OK):
        raise OutputError(f"{parent}: not writable")


def summary_json(summary: dict[str, Any]) -> str:
    """The summary as stable, pretty JSON."""
    return json.dumps(summary, indent=2, sort_keys=False, allow_nan=False) + "\n"


@contextmanager
def staged_directory(out_dir: Path) -> Iterator[Path]:
    """A hidden staging directory beside ``out_dir``, moved into place (replacing a
    previous one) when the block succeeds and removed when it fails."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    try:
        yield staging
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            out_dir.rename(old)
            staging.rename(out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_run(result: RunResult, out_dir: Path) -> Path:
    """Write the run into ``out_dir`` (replacing a previous run there)."""
    check_output_dir(out_dir)
    with staged_directory(out_dir) as staging:
        (staging / "summary.json").write_text(summary_json(result.summary), encoding="utf-8")
        (staging / "scenario.json").write_text(
            json.dumps(result.scenario.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8"
        )
        records_dir = staging / "records"
        records_dir.mkdir()
        for task in result.tasks:
            name = f"{task.strategy}-{task.replication}.csv.gz"
            write_csv(to_dataframe(task.records, result.labels), records_dir / name)
            if task.records.probe_results:
                (staging / "probes").mkdir(exist_ok=True)
                write_csv(probes_frame(task.records), staging / "probes" / name)
            if task.records.guard_log:
                (staging / "guards").mkdir(exist_ok=True)
                write_csv(guard_log_frame(task.records), staging / "guards" / name)
        render_report(staging)
    return out_dir
