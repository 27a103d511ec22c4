"""Helpers for the SMPP tests: fast routes, carriers on free ports, a bounded runner.

Imported by path (pytest runs in importlib mode, so this is not a conftest).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

from sim.scenario import Scenario
from sim.smpp.client import EsmeClient
from sim.smpp.smsc import CarrierConfig, CarrierServer, Endpoint

T = TypeVar("T")
FAST = {"dist": "constant", "value_s": 0.005}
ALL_DELIVERED = {"delivered": 1.0, "undelivered": 0.0, "expired": 0.0, "lost": 0.0}
NUMBER = "+33671234567"


def route(route_id: str = "r1", **overrides: Any) -> dict[str, Any]:
    """A route with short constant delays that delivers everything, honestly."""
    base: dict[str, Any] = {
        "id": route_id,
        "submit_latency": FAST,
        "handset_latency": FAST,
        "dlr": {"delay": FAST},
        "outcomes": ALL_DELIVERED,
        "tps": 10_000.0,
        "window": 100,
    }
    base.update(overrides)
    return base


def run(coro: Coroutine[Any, Any, T], timeout_s: float = 20.0) -> T:
    """Run ``coro`` on a fresh loop, failing (not hanging) after ``timeout_s``."""
    return asyncio.run(asyncio.wait_for(coro, timeout_s))


@asynccontextmanager
async def carriers(
    scenario: Scenario, **config: Any
) -> AsyncIterator[tuple[CarrierServer, list[Endpoint]]]:
    """Every route's SMSC on a free port for the duration of the block."""
    server = CarrierServer(CarrierConfig(scenario, base_port=0, **config))
    endpoints = await server.start()
    try:
        yield server, endpoints
    finally:
        await server.stop()


async def bound(endpoint: Endpoint, password: str = "secret") -> EsmeClient:
    """A transceiver session bound to ``endpoint``."""
    client = await EsmeClient.connect(endpoint.host, endpoint.port)
    status = await client.bind(endpoint.system_id, password)
    assert status == 0, hex(status)
    return client


@contextmanager
def carriers_in_thread(scenario: Scenario, **config: Any) -> Iterator[list[Endpoint]]:
    """The carriers on their own event loop in a thread (for blocking clients)."""
    ready: queue.Queue[list[Endpoint] | BaseException] = queue.Queue()
    holder: dict[str, Any] = {}

    async def main() -> None:
        stop = asyncio.Event()
        holder["loop"], holder["stop"] = asyncio.get_running_loop(), stop
        try:
            async with carriers(scenario, **config) as (server, endpoints):
                holder["server"] = server
                ready.put(endpoints)
                await stop.wait()
        except BaseException as exc:  # surfaced to the test thread
            ready.put(exc)

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    got = ready.get(timeout=10)
    if isinstance(got, BaseException):
        raise got
    try:
        yield got
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(timeout=10)
