"""Locust's side, run in a child process so gevent stays out of this test run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_locust_in_process_against_the_service() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "loadtests/test_locust_inprocess.py", "-q",
         "-p", "no:cacheprovider", "-p", "no:anyio", "-W", "ignore::DeprecationWarning"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert done.stdout.startswith(".")  # one test, passed


def test_gevent_is_not_imported_by_the_simulation_or_the_service() -> None:
    code = (
        "import sys, sim, sim.runner, sim.live.app, sim.live.server, sim.live.commands, "
        "sim.live.loadrun; "
        "bad = [m for m in sys.modules if m.split('.')[0] in {'gevent', 'locust'}]; "
        "print(bad); raise SystemExit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
