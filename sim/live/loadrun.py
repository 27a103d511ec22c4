"""``routesim load``: start the service, run Locust headless, write one combined report.

Locust runs in a child process (gevent never enters this one), with the user classes
of ``loadtests/``; ``--processes P`` is Locust's own fork-based master/worker mode, so
the quality counters travel by ``report_to_master``. Unless ``--target`` names an
existing API, the service is started as a child on a free loopback port and stopped
with SIGTERM afterwards: it drains, settles and writes its ledger and ``kpis.json``,
the truth side of the report. Exit code 1 when a threshold is breached.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx

from sim.live.adapter import load_adapter
from sim.live.report import build_report, write_report
from sim.live.thresholds import LiveError, Threshold, breaches
from sim.scenario import Scenario

LOADTESTS = Path(__file__).resolve().parent.parent.parent / "loadtests"
READY_PREFIX = "routesim serve: ready on "


@dataclass(frozen=True)
class LoadOptions:
    """Everything ``routesim load`` was asked to do."""

    scenario_path: Path
    scenario: Scenario
    users: int
    spawn_rate: float
    run_time_s: float
    out_dir: Path
    processes: int = 1
    target: str | None = None
    strategy: str | None = None
    time_scale: float = 1.0
    api_key: str | None = None
    adapter: str | None = None
    profile: bool = False
    thresholds: tuple[Threshold, ...] = ()
    quiet: bool = False
    locust_args: tuple[str, ...] = ()
    dlr_wait_s: float = 10.0


class ServiceProcess:
    """``python -m sim.live serve`` as a child; its URL from the readiness line."""

    def __init__(self, args: list[str], log: Path, timeout_s: float = 60.0) -> None:
        self.log_path = log
        self._log: TextIO = log.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sim.live", "serve", *args, "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
        )  # fmt: skip
        self.url = self._wait_ready(timeout_s)
        threading.Thread(target=self._pump, daemon=True).start()

    def _wait_ready(self, timeout_s: float) -> str:
        assert self.proc.stdout is not None
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            line = self.proc.stdout.readline()
            if not line:
                break
            self._log.write(line)
            if line.startswith(READY_PREFIX):
                return line[len(READY_PREFIX) :].split()[0]
        self.proc.kill()
        self._log.close()
        tail = self.log_path.read_text(encoding="utf-8").strip().splitlines()[-1:] or ["?"]
        raise LiveError(f"the service did not start: {tail[0]}")

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._log.write(line)
            self._log.flush()

    def stop(self, timeout_s: float = 60.0) -> int:
        """SIGTERM, then wait for the drain and ledger."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        time.sleep(0.05)
        self._log.close()
        return code


def locust_command(options: LoadOptions, host: str, out: Path) -> list[str]:
    """The headless Locust command line for this run."""
    locustfile = LOADTESTS / "locustfile.py"
    if not locustfile.is_file():
        raise LiveError(f"{locustfile}: not found (routesim load needs the repo's loadtests/)")
    files = str(locustfile)
    if options.profile:
        files += "," + str(LOADTESTS / "shape.py")
    cmd = [
        sys.executable, "-m", "locust", "-f", files, "--headless",
        "-u", str(options.users), "-r", str(options.spawn_rate),
        "-t", f"{max(1, round(options.run_time_s))}s", "--host", host,
        "--csv", str(out / "locust"), "--html", str(out / "locust.html"),
        "--json-file", str(out / "locust"), "--only-summary", "--stop-timeout", "5",
        "--scenario", str(options.scenario_path.resolve()),
        "--quality-out", str(out / "quality.json"),
        "--dlr-wait", str(options.dlr_wait_s),
        "--exit-code-on-error", "0", "--loglevel", "WARNING",
    ]  # fmt: skip
    if options.processes > 1:
        cmd += ["--processes", str(options.processes)]
    if options.api_key:
        cmd += ["--api-key", options.api_key]
    if options.adapter:
        cmd += ["--adapter", options.adapter]
    return [*cmd, *options.locust_args]


def fetch_truth(host: str, options: LoadOptions) -> dict[str, Any] | None:
    """The target's KPIs through its adapter (``None`` when it has no KPI endpoint)."""
    try:
        adapter = load_adapter(options.adapter, {"api_key": options.api_key})
    except ValueError as exc:
        raise LiveError(str(exc)) from None
    call = adapter.kpis()
    if call is None:
        return None
    try:
        response = httpx.request(call.method, host.rstrip("/") + call.path, headers=call.headers,
                                 timeout=10.0)  # fmt: skip
        data: dict[str, Any] | None = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    return data


def run_load(options: LoadOptions) -> int:
    """Run the load test; 0 when every threshold holds, 1 otherwise."""
    out = options.out_dir
    out.mkdir(parents=True, exist_ok=True)
    service: ServiceProcess | None = None
    if options.target is None:
        args = [str(options.scenario_path), "--out", str(out / "service"),
                "--time-scale", str(options.time_scale)]  # fmt: skip
        if options.strategy:
            args += ["--strategy", options.strategy]
        if options.api_key:
            args += ["--api-key", options.api_key]
        service = ServiceProcess(args, out / "service.log")
        host = service.url
    else:
        host = options.target
    truth: dict[str, Any] | None = None
    try:
        cmd = locust_command(options, host, out)
        with (out / "locust.log").open("w", encoding="utf-8") as log:
            env = dict(os.environ, PYTHONPATH=str(LOADTESTS.parent))
            done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                  timeout=options.run_time_s + 180, check=False)  # fmt: skip
        if done.returncode not in (0, 1):
            raise LiveError(f"locust failed (exit {done.returncode}); see {out / 'locust.log'}")
        if service is None:
            truth = fetch_truth(host, options)
    finally:
        if service is not None:
            service.stop()
            truth = _read(out / "service" / "kpis.json")
    run = {
        "scenario": options.scenario.name,
        "strategy": options.strategy or (options.scenario.strategies[0].name if service else None),
        "target": options.target or host,
        "users": options.users,
        "spawn_rate": options.spawn_rate,
        "run_time_s": options.run_time_s,
        "processes": options.processes,
        "time_scale": options.time_scale if service else None,
    }
    report = build_report(out / "locust.json", out / "quality.json", truth, run)
    failed = breaches(options.thresholds, report["metrics"])
    write_report(out, report, failed)
    if not options.quiet:
        print((out / "load_report.md").read_text(encoding="utf-8"), end="")
        print(f"wrote {out}/ (load_report.md, load_report.json, locust.html, locust_*.csv)")
    for reason in failed:
        print(f"routesim load: threshold breached: {reason}", file=sys.stderr)
    return 1 if failed else 0


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data
