"""Helpers for the live-service tests: scenarios, in-process apps, service subprocesses.

Imported by path (pytest runs in importlib mode, so this is not a conftest).

Everything binds to 127.0.0.1 on ports chosen at run time; no test imports gevent or
Locust in this process (the Locust tests run in a child process).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from sim.live.app import LiveApp
from sim.live.runtime import LiveService, ServiceConfig
from sim.live.thresholds import load_live_scenario
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "live-smoke.yaml"
T = TypeVar("T")


def smoke() -> Scenario:
    return load_live_scenario(SMOKE)[0]


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


async def with_client(
    service: LiveService,
    body: Callable[[httpx.AsyncClient], Awaitable[T]],
    api_key: str | None = None,
) -> T:
    """Run ``body`` against the app in-process (the service started on this loop)."""
    service.start()
    transport = httpx.ASGITransport(app=LiveApp(service, api_key=api_key))
    async with httpx.AsyncClient(transport=transport, base_url="http://live.test") as client:
        return await body(client)


def new_service(scenario: Scenario | None = None, **config: Any) -> LiveService:
    return LiveService(ServiceConfig(scenario or smoke(), **config))


class ServiceChild:
    """``python -m sim.live serve`` in a child process."""

    def __init__(self, proc: subprocess.Popen[str], url: str, out: Path) -> None:
        self.proc = proc
        self.url = url
        self.out = out

    def terminate(self, timeout_s: float = 30.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout_s)


@contextmanager
def service_child(out: Path, *args: str, scenario: Path = SMOKE) -> Iterator[ServiceChild]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.live", "serve", str(scenario), "--port", "0",
         "--out", str(out), *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )  # fmt: skip
    assert proc.stdout is not None
    url = ""
    deadline = time.monotonic() + 30
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("routesim serve: ready on "):
            url = line.split()[4]
            break
    if not url:
        proc.kill()
        raise AssertionError("service did not start:\n" + "".join(lines))
    child = ServiceChild(proc, url, out)
    try:
        yield child
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
