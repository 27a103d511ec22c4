"""Wall clock: a discrete-event scheduler driven by the asyncio loop's monotonic time.

The live service's second clock (DESIGN §2.2). Times are *world seconds* since the
service started, the unit of the simulation's records; ``time_scale`` world seconds
pass per wall second (``--time-scale 10`` makes a 30 s receipt delay take 3 s).
Events sit in one heap served by a single ``loop.call_at`` timer, so a shutdown can
:meth:`WallClock.fast_forward`: run every remaining event at once in time order, with
the clock reading each event's own due time, exactly as the simulation would.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Any

Callback = Callable[..., None]


class WallClock:
    """Event heap on the asyncio loop; ``now()`` in world seconds since :meth:`start`."""

    def __init__(self, time_scale: float = 1.0) -> None:
        if not time_scale > 0:
            raise ValueError(f"time_scale must be > 0, got {time_scale}")
        self.time_scale = time_scale
        self._heap: list[tuple[float, int, Callback, tuple[Any, ...]]] = []
        self._seq = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._origin = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = float("inf")
        self._virtual: float | None = None
        self._floor = 0.0  # never earlier than the due time of the event running
        self._slack_s = 0.002 * time_scale  # loop timers may fire up to ~1 ms early
        self.started_wall = time.time()

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind to ``loop``; world time 0 is now."""
        self._loop = loop
        self._origin = loop.time()
        self.started_wall = time.time()
        self._rearm()

    def now(self) -> float:
        """World seconds since start (the due time of the running event while
        fast-forwarding)."""
        if self._virtual is not None:
            return self._virtual
        loop = self._loop
        base = loop.time() if loop is not None else time.monotonic()
        now = (base - self._origin) * self.time_scale
        return now if now > self._floor else self._floor

    def wall_elapsed_s(self) -> float:
        """Wall seconds since start."""
        return time.time() - self.started_wall

    def __len__(self) -> int:
        return len(self._heap)

    def call_at(self, at_s: float, callback: Callback, *args: Any) -> None:
        """Run ``callback(*args)`` when the world clock reaches ``at_s``."""
        heapq.heappush(self._heap, (at_s, next(self._seq), callback, args))
        if at_s < self._timer_at and self._virtual is None:
            self._rearm()

    def call_later(self, delay_s: float, callback: Callback, *args: Any) -> None:
        """Run ``callback(*args)`` ``delay_s`` world seconds from now."""
        self.call_at(self.now() + delay_s, callback, *args)

    def _rearm(self) -> None:
        loop = self._loop
        if loop is None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._heap:
            self._timer_at = float("inf")
            return
        at_s = self._heap[0][0]
        self._timer_at = at_s
        self._timer = loop.call_at(self._origin + at_s / self.time_scale, self._run_due)

    def _run_due(self) -> None:
        self._timer = None
        self._timer_at = float("inf")
        heap = self._heap
        limit = self.now() + self._slack_s
        while heap and heap[0][0] <= limit and self._virtual is None:
            at_s, _, callback, args = heapq.heappop(heap)
            if at_s > self._floor:
                self._floor = at_s
            callback(*args)
        if self._virtual is None:
            self._rearm()

    def fast_forward(self, until_s: float = float("inf")) -> int:
        """Run every event due before ``until_s`` now, in time order, the clock reading
        each event's due time; return how many ran. The clock stays virtual afterwards
        (the service is shutting down)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        ran = 0
        heap = self._heap
        self._virtual = max(self._virtual or 0.0, self.now())
        while heap and heap[0][0] < until_s:
            at_s, _, callback, args = heapq.heappop(heap)
            self._virtual = max(self._virtual, at_s)
            callback(*args)
            ran += 1
        return ran
