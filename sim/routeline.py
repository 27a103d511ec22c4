"""Route line: the router's connection to one route, running in SimPy.

Messages wait in the line's FIFO queue (``queue_wait``) and leave at most ``tps`` per
second when the router paces (a deterministic server: M/D/1 under Poisson traffic),
with at most ``window`` submits awaiting a response. Unpaced lines send as fast as the
window allows and the supplier's token bucket answers the excess with 0x58. Beyond
``queue_limit`` waiting messages the line refuses with 0x14 (queue full). One
long-lived process per route; an idle line sends at once without waking it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from typing import Any

import simpy

from sim.scenario import Route
from sim.world.message import Message
from sim.world.route import TokenBucket


class RouteLine:
    """Queue, pacing and window of one route."""

    def __init__(
        self,
        env: simpy.Environment,
        index: int,
        route: Route,
        send: Callable[[Message, RouteLine], None],
    ) -> None:
        self.env = env
        self.index = index
        self.route = route
        self._send_fn = send
        self.queue: deque[Message] = deque()
        self.queue_limit = route.queue_limit
        self.window = route.window
        self.in_flight = 0
        self.interval_s = 1.0 / route.tps if route.pace else 0.0
        self.bucket = None if route.pace else TokenBucket(route.tps, route.burst)
        self.next_send_s = 0.0
        self._wake: simpy.Event | None = None
        env.process(self._drain_process())

    def queue_length(self) -> int:
        return len(self.queue)

    def submit(self, message: Message) -> bool:
        """Queue a message; False when the queue is full (the caller answers 0x14)."""
        now = self.env.now
        message.queued_s = now
        if (
            not self.queue
            and self._wake is not None
            and self.in_flight < self.window
            and now >= self.next_send_s
        ):
            self._send(message, now)
            return True
        if len(self.queue) >= self.queue_limit:
            return False
        self.queue.append(message)
        self._poke()
        return True

    def release(self) -> None:
        """A submit response came back: one more slot in the window."""
        self.in_flight -= 1
        if self.queue:
            self._poke()

    def _poke(self) -> None:
        wake = self._wake
        if wake is not None:
            self._wake = None
            wake.succeed()

    def _send(self, message: Message, now: float) -> None:
        self.in_flight += 1
        self.next_send_s = now + self.interval_s
        message.submitted_s = now
        self._send_fn(message, self)

    def _drain_process(self) -> Generator[Any, Any, None]:
        env = self.env
        queue = self.queue
        while True:
            if not queue or self.in_flight >= self.window:
                self._wake = env.event()
                yield self._wake
                continue
            wait_s = self.next_send_s - env.now
            if wait_s > 0:
                yield env.timeout(wait_s)
                continue
            self._send(queue.popleft(), env.now)
