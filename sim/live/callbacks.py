"""DLR callbacks: a message's final status POSTed to the customer's webhook, with retries.

Each accepted message with a ``callback_url`` gets exactly one callback when it reaches
its terminal state: ``{"id", "status", "state", "route", "attempts", "at_s", "truth"}``.
``status`` is what the router saw (``DELIVRD``, ``UNDELIV``, ``EXPIRED``, ``REJECTD``;
``UNKNOWN`` when the route accepted it but no receipt will come; ``FAILED`` when no
route accepted it). ``truth`` is the harness's test-handset report (delivered, sender
and content as received, AIT) — a load generator's ground truth, never shown to
strategies. Delivery is on the wall clock: a bounded pool of senders (httpx), retried
with exponential backoff on connection errors, ``429`` and ``5xx``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from typing import Any

import httpx

from sim.live.metrics import LiveMetrics

STATUS_BY_STATE = {
    "delivered": "DELIVRD",
    "undelivered": "UNDELIV",
    "expired": "EXPIRED",
    "rejected": "REJECTD",
    "unknown": "UNKNOWN",
    "failed": "FAILED",
}


class CallbackSender:
    """Bounded-concurrency webhook delivery with retries."""

    def __init__(
        self,
        metrics: LiveMetrics | None = None,
        *,
        attempts: int = 5,
        backoff_s: float = 0.25,
        concurrency: int = 32,
        timeout_s: float = 5.0,
    ) -> None:
        self.metrics = metrics
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.delivered = 0
        self.failed = 0
        self._queue: deque[tuple[str, bytes, int]] = deque()
        self._waiting_retry = 0
        self._wake: asyncio.Event | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._busy = 0
        self._client: httpx.AsyncClient | None = None

    @property
    def pending(self) -> int:
        return len(self._queue) + self._waiting_retry + self._busy

    def start(self) -> None:
        """Start the sender tasks on the running loop."""
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=64)
        self._client = httpx.AsyncClient(timeout=self.timeout_s, limits=limits)
        self._wake = asyncio.Event()
        self._workers = [asyncio.create_task(self._work()) for _ in range(self.concurrency)]

    def enqueue(self, url: str, payload: dict[str, Any]) -> None:
        self._queue.append((url, json.dumps(payload).encode(), 1))
        if self._wake is not None:
            self._wake.set()

    async def _work(self) -> None:
        assert self._wake is not None
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            url, body, attempt = self._queue.popleft()
            self._busy += 1
            try:
                ok, retry = await self._post(url, body)
            finally:
                self._busy -= 1
            if ok:
                self.delivered += 1
                self._count("delivered")
            elif retry and attempt < self.attempts:
                self._count("retried")
                self._waiting_retry += 1
                delay = self.backoff_s * 2 ** (attempt - 1)
                asyncio.get_running_loop().call_later(delay, self._requeue, url, body, attempt + 1)
            else:
                self.failed += 1
                self._count("failed")

    def _requeue(self, url: str, body: bytes, attempt: int) -> None:
        self._waiting_retry -= 1
        self._queue.append((url, body, attempt))
        if self._wake is not None:
            self._wake.set()

    async def _post(self, url: str, body: bytes) -> tuple[bool, bool]:
        """(delivered, worth retrying)."""
        assert self._client is not None
        try:
            response = await self._client.post(
                url, content=body, headers={"content-type": "application/json"}
            )
        except (httpx.HTTPError, OSError):
            return False, True
        code = response.status_code
        return 200 <= code < 300, code == 429 or code >= 500

    def _count(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.callback(outcome)

    async def close(self, deadline_s: float) -> None:
        """Send what is pending for up to ``deadline_s`` wall seconds, then stop."""
        end = time.monotonic() + deadline_s
        while self.pending and time.monotonic() < end:
            await asyncio.sleep(0.02)
        self.failed += self.pending
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.aclose()
