"""``routesim load``: Locust headless against a started service, report, exit codes."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.live.commands import register
from sim.live.thresholds import LiveError, parse_threshold

ROOT = Path(__file__).resolve().parents[2]


def _load(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim.live", "load", "live-smoke", "--users", "6",
         "--spawn-rate", "6", "--run-time", "2", "--out", str(out), "--quiet", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_load_exits_0_when_thresholds_hold_and_1_when_breached(tmp_path: Path) -> None:
    ok = _load(tmp_path / "ok", "--threshold", "lost==0", "--threshold", "accepted>=1")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    report = json.loads((tmp_path / "ok" / "load_report.json").read_text())
    m = report["metrics"]
    assert m["accepted"] >= 1 and m["lost"] == 0 and m["unaccounted"] == 0
    assert m["service_accepted"] == m["accepted"] and report["breaches"] == []
    for key in ("submit_p50_ms", "submit_p99_ms", "accepted_per_s", "delivered_ratio",
                "reported_delivered_ratio", "sender_intact_ratio", "ait_leaked"):  # fmt: skip
        assert key in m
    for name in ("load_report.md", "locust.html", "locust_stats.csv", "locust.json",
                 "quality.json", "service/kpis.json"):  # fmt: skip
        assert (tmp_path / "ok" / name).is_file(), name

    bad = _load(tmp_path / "bad", "--threshold", "accepted>=100000000")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "threshold breached: accepted>=1e+08" in bad.stderr


def test_bad_threshold_and_arguments_are_bad_input() -> None:
    with pytest.raises(LiveError, match="expected METRIC<=VALUE"):
        parse_threshold("p99 is small")
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    with pytest.raises(SystemExit):
        parser.parse_args(["load", "live-smoke", "--users", "0"])
    args = parser.parse_args(["serve", "live-smoke", "--port", "0", "--time-scale", "5"])
    assert args.time_scale == 5.0 and args.host == "127.0.0.1"
    done = subprocess.run(
        [sys.executable, "-m", "sim.live", "serve", "no-such-scenario"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "no such file or bundled scenario" in done.stderr
