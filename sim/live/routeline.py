"""Wall-clock route line: the router's connection to one route, on :class:`WallClock`.

The live twin of :class:`sim.routeline.RouteLine` with the same rules: a FIFO queue
(``queue_limit``, beyond which the caller answers 0x14), at most ``window`` submits
awaiting a response, and pacing to the route's ``tps`` — or, unpaced, sending as fast
as the window allows into the supplier's :class:`~sim.world.route.TokenBucket`, which
answers the excess with 0x58. No task per line: a wake-up event is scheduled only when
the line waits for its next pacing slot.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from sim.live.clock import WallClock
from sim.scenario import Route
from sim.world.message import Message
from sim.world.route import TokenBucket


class LiveRouteLine:
    """Queue, pacing and window of one route, driven by the wall clock."""

    def __init__(
        self,
        clock: WallClock,
        index: int,
        route: Route,
        send: Callable[[Message, LiveRouteLine], None],
    ) -> None:
        self.clock = clock
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
        self._wake_pending = False

    def queue_length(self) -> int:
        return len(self.queue)

    def submit(self, message: Message) -> bool:
        """Queue a message; False when the queue is full (the caller answers 0x14)."""
        message.queued_s = self.clock.now()
        if len(self.queue) >= self.queue_limit:
            return False
        self.queue.append(message)
        self._pump()
        return True

    def release(self) -> None:
        """A submit response came back: one more slot in the window."""
        self.in_flight -= 1
        if self.queue:
            self._pump()

    def _pump(self) -> None:
        queue = self.queue
        while queue and self.in_flight < self.window:
            now = self.clock.now()
            if now < self.next_send_s:
                if not self._wake_pending:
                    self._wake_pending = True
                    self.clock.call_at(self.next_send_s, self._wake)
                return
            # a timer that fires late may catch up by less than one interval, so the
            # line keeps its rate without ever bursting above it
            late_s = now - self.next_send_s
            base = self.next_send_s if late_s < self.interval_s else now
            self.next_send_s = base + self.interval_s
            message = queue.popleft()
            self.in_flight += 1
            message.submitted_s = now
            self._send_fn(message, self)

    def _wake(self) -> None:
        self._wake_pending = False
        self._pump()
