"""Live router: strategy -> wall-clock route lines -> fates -> truth ledger.

:class:`LiveRouter` wires the simulation's parts as :class:`sim.engine.Simulation` does
— one :class:`~sim.world.route.RouteBehaviour`, :class:`~sim.world.randomness.KeyedDraws`
and route line per route, a strategy from the registry seeing :class:`RouteView` s —
but on :class:`~sim.live.clock.WallClock` and fed by HTTP submits instead of a traffic
plan. Retries and failover follow the scenario's retry policy, as in the engine.

Every accepted message reaches exactly one terminal state: its last receipt arrived
(and no failover follows), a submit error was not retried, no route was left, or its
accepted attempt will get no receipt. ``on_terminal`` hears each one once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sim.guards.base import Action
from sim.live.clock import WallClock
from sim.live.ledger import Ledger
from sim.live.routeline import LiveRouteLine
from sim.live.validation import SubmitRequest
from sim.router import build_router, fails_over_after_report, submit_error_action
from sim.scenario import RetryPolicy, Scenario, StrategySpec, SubmitErrorAction
from sim.strategies.base import Message, RouteView, Strategy
from sim.world.route import Fate
from sim.world.smpp import DlrStatus, SubmitStatus

NAN = math.nan
REPLICATION = 1  # the live service is one replication of the world
DENSE_IDS = 2**62  # message ids are dense (0, 1, 2, ...): first attempts come from blocks

STATE_BY_DLR = {
    DlrStatus.DELIVRD: "delivered",
    DlrStatus.UNDELIV: "undelivered",
    DlrStatus.EXPIRED: "expired",
    DlrStatus.REJECTD: "rejected",
}
TERMINAL_STATES = (*STATE_BY_DLR.values(), "unknown", "failed")


class NoRoute(Exception):
    """The strategy has no route for a new message (the API answers 422)."""


class SmppSend(Protocol):
    """Sends a route line's attempts over SMPP (:class:`sim.live.smpplink.SmppLink`)."""

    def send(self, message: Message, line: LiveRouteLine) -> None: ...


class Observer(Protocol):
    """What the router tells the outside (metrics); every method is optional work."""

    def accepted(self, kind: str) -> None: ...
    def submit_response(self, route_id: str, status: int) -> None: ...
    def receipt(self, route_id: str, status: int) -> None: ...
    def terminal(self, state: str) -> None: ...


@dataclass(slots=True)
class Tracked:
    """The router's view of one accepted message, plus the truth the ledger holds."""

    message: Message
    callback_url: str | None
    ait: bool
    state: str = "queued"
    final: bool = False
    history: list[tuple[float, str, str, int, str]] = field(default_factory=list)
    receipt: str = ""
    route: str = ""
    verified_s: float = NAN
    delivered_any: bool = False
    accepted_any: bool = False
    last_fate: Fate | None = None

    @property
    def id(self) -> str:
        return str(self.message.msg_id)


class LiveRouter:
    """One strategy routing HTTP-submitted messages over the scenario's routes."""

    def __init__(
        self,
        scenario: Scenario,
        spec: StrategySpec,
        clock: WallClock,
        observer: Observer | None = None,
    ) -> None:
        self.scenario = scenario
        self.spec = spec
        self.clock = clock
        self.observer = observer
        self.policy: RetryPolicy = scenario.retry
        self.ledger = Ledger(scenario)
        self.messages: list[Tracked] = []
        self.on_terminal: list[Callable[[Tracked], None]] = []
        self.accepting = True
        self.link: SmppSend | None = None
        self.lines = [LiveRouteLine(clock, i, r, self._send) for i, r in enumerate(scenario.routes)]
        router = build_router(
            scenario,
            spec,
            REPLICATION,
            dense_ids=DENSE_IDS,
            queue_lengths=[line.queue_length for line in self.lines],
            clock=clock.now,
        )
        self.behaviours = router.behaviours
        self.draws = router.draws
        self.views = router.views
        self.candidates = router.candidates
        self.strategy: Strategy = router.strategy
        self.guards = router.guards

    # ------------------------------------------------------------------ API side
    @property
    def in_flight(self) -> int:
        return len(self.ledger) - self.ledger.n_terminal

    def accept(self, req: SubmitRequest) -> Tracked:
        """Admit a validated submit: guards first (a hold or refusal is accepted and
        recorded, as in the engine), then the strategy; raise :class:`NoRoute` when the
        strategy has no route for it (nothing is accepted then)."""
        dest = self.scenario.destinations[req.destination_index]
        now = self.clock.now()
        message = Message(
            len(self.ledger), req.kind, dest.id, dest.country, dest.operator, req.number,
            req.sender, req.text, req.segments, now, req.bulk, req.test_number,
            req.destination_index,
        )  # fmt: skip
        verdict, guard = self._check_guards(message, now)
        choice: RouteView | None = None
        if verdict is Action.ALLOW:
            candidates = self.candidates[req.destination_index]
            choice = self.strategy.choose(message, candidates) if candidates else None
            if choice is None or choice not in candidates:
                raise NoRoute(f"strategy {self.spec.name!r} has no route to {dest.id!r}")
        self.ledger.add_message(
            req.kind, req.sender, req.destination_index, req.segments, now, req.ait
        )
        tracked = Tracked(message, req.callback_url, req.ait)
        self.messages.append(tracked)
        tracked.history.append((now, "accepted", "", 1, ""))
        if self.observer is not None:
            self.observer.accepted(req.kind)
        if choice is not None:
            message.tried.append(choice.index)
            self._queue(message, choice.index)
        else:
            self._guarded(tracked, verdict, guard)
        return tracked

    def _check_guards(self, message: Message, now: float) -> tuple[Action, Any]:
        for guard in self.guards:
            verdict = guard.check(message, now)
            if verdict.action is not Action.ALLOW:
                message.guard = guard.name
                return verdict.action, verdict
        return Action.ALLOW, None

    def _guarded(self, tracked: Tracked, action: Action, verdict: Any) -> None:
        """A guard held or refused the message (``verdict``: its :class:`Verdict`)."""
        message = tracked.message
        now = self.clock.now()
        tracked.history.append((now, action.value, message.guard, message.attempt,
                                verdict.reason))  # fmt: skip
        if action is Action.REFUSE:
            self.ledger.record_refusal(message, SubmitStatus.ROUTER_REFUSED)
            self._finish(tracked, "failed")
        else:
            tracked.state = "held"
            self.clock.call_at(max(now, verdict.until_s), self._admit, message)

    def _admit(self, message: Message) -> None:
        """Guards again (after a hold), then route."""
        action, verdict = self._check_guards(message, self.clock.now())
        if action is Action.ALLOW:
            self._route(message)
        else:
            self._guarded(self.messages[message.msg_id], action, verdict)

    def get(self, msg_id: int) -> Tracked | None:
        return self.messages[msg_id] if 0 <= msg_id < len(self.messages) else None

    def verify(self, tracked: Tracked) -> None:
        """The customer reports that the OTP was used (a conversion signal)."""
        if math.isnan(tracked.verified_s):
            now = tracked.verified_s = self.clock.now()
            self.ledger.verified(tracked.message.msg_id, now)
            for guard in self.guards:
                guard.on_verified(tracked.message, now)
            hook = getattr(self.strategy, "on_verified", None)
            if callable(hook):
                hook(tracked.message)

    # ------------------------------------------------------------------ routing
    def _route(self, message: Message) -> None:
        tried = message.tried
        candidates = tuple(
            c for c in self.candidates[message.destination_index] if c.index not in tried
        )
        choice = self.strategy.choose(message, candidates) if candidates else None
        if choice is None or choice not in candidates:
            self.ledger.record_refusal(message)
            self._finish(self.messages[message.msg_id], "failed")
            return
        tried.append(choice.index)
        self._queue(message, choice.index)

    def _queue(self, message: Message, index: int) -> None:
        if not self.lines[index].submit(message):
            now = self.clock.now()
            self._respond(message, index, Fate(SubmitStatus.ESME_RMSGQFUL, 0.0), now)

    def _send(self, message: Message, line: LiveRouteLine) -> None:
        if self.link is not None:  # --carriers smpp: the SMSC decides (sim.live.smpplink)
            self.link.send(message, line)
            return
        now = self.clock.now()
        index = line.index
        u = self.draws[index].row(message.msg_id, message.attempt)
        behaviour = self.behaviours[index]
        if line.bucket is not None and not line.bucket.take(now):
            fate = behaviour.throttled(u)
        else:
            dest = self.scenario.destinations[message.destination_index]
            fate = behaviour.decide(message, dest, u, now)
        self.clock.call_later(fate.response_delay_s, self._on_response, message, index, fate, now)

    def _on_response(self, message: Message, index: int, fate: Fate, submitted_s: float) -> None:
        self.lines[index].release()
        self._respond(message, index, fate, submitted_s)

    def _respond(self, message: Message, index: int, fate: Fate, submitted_s: float) -> None:
        now = self.clock.now()
        status = fate.submit_status
        self.ledger.record_attempt(message, index, fate, submitted_s, now)
        tracked = self.messages[message.msg_id]
        route_id = self.views[index].id
        tracked.history.append((now, "submit_response", route_id, message.attempt,
                                SubmitStatus(status).name))  # fmt: skip
        tracked.route = route_id
        if self.observer is not None:
            self.observer.submit_response(route_id, status)
        self.strategy.on_submit_response(message, self.views[index], status)
        if status == SubmitStatus.ESME_ROK:
            tracked.state = "sent"
            tracked.accepted_any = True
            tracked.last_fate = fate
            tracked.delivered_any = tracked.delivered_any or fate.handset_delivered
            if fate.dlr_status == DlrStatus.NONE:
                self._finish(tracked, "unknown")
            elif self.link is None:  # over SMPP the receipt arrives as a deliver_sm
                self.clock.call_later(
                    fate.dlr_delay_s, self._on_receipt, message, index, fate.dlr_status,
                    submitted_s,
                )  # fmt: skip
            return
        self._after_submit_error(tracked, index, status)

    def _after_submit_error(self, tracked: Tracked, index: int, status: int) -> None:
        message = tracked.message
        policy = self.policy
        action = submit_error_action(policy, status, message.attempt)
        if action is SubmitErrorAction.GIVE_UP:
            self._finish(tracked, "failed")
            return
        message.attempt += 1
        tracked.state = "queued"
        if action is SubmitErrorAction.RETRY_SAME:
            self.clock.call_later(policy.backoff_s, self._queue, message, index)
        else:
            self.clock.call_later(policy.backoff_s, self._route, message)

    def _on_receipt(self, message: Message, index: int, status: int, submitted_s: float) -> None:
        now = self.clock.now()
        tracked = self.messages[message.msg_id]
        view = self.views[index]
        name = DlrStatus(status).name
        tracked.history.append((now, "receipt", view.id, message.attempt, name))
        tracked.receipt = name
        if self.observer is not None:
            self.observer.receipt(view.id, status)
        self.strategy.on_delivery_report(message, view, status, now - submitted_s)
        if fails_over_after_report(self.policy, status, message.attempt):
            message.attempt += 1
            tracked.state = "queued"
            self._route(message)
            return
        self._finish(tracked, STATE_BY_DLR[DlrStatus(status)])

    def _finish(self, tracked: Tracked, state: str) -> None:
        if not self.ledger.mark_terminal(tracked.message.msg_id):
            return
        tracked.state = state
        tracked.final = True
        tracked.history.append((self.clock.now(), "terminal", tracked.route,
                                tracked.message.attempt, state))  # fmt: skip
        if self.observer is not None:
            self.observer.terminal(state)
        for hook in self.on_terminal:
            hook(tracked)

    # ------------------------------------------------------------------ shutdown
    def settle(self) -> int:
        """Run every remaining world event now, in time order (virtual time); afterwards
        every accepted message is terminal. Returns the number of events run."""
        self.accepting = False
        ran = self.clock.fast_forward()
        if self.in_flight:
            raise RuntimeError(f"{self.in_flight} messages not terminal after settling")
        return ran

    def truth(self, tracked: Tracked) -> dict[str, Any]:
        """What the world's test handset saw (harness-only; strategies never see it)."""
        fate = tracked.last_fate
        final_delivered = bool(fate is not None and fate.handset_delivered and tracked.final
                               and tracked.state != "failed")  # fmt: skip
        sender = fate.sender_received if fate is not None and final_delivered else None
        return {
            "delivered": tracked.delivered_any,
            "accepted_by_route": tracked.accepted_any,
            "sender_received": sender,
            "sender_intact": final_delivered and sender == tracked.message.sender,
            "content_intact": bool(final_delivered and fate is not None and fate.content_intact),
            "fake_receipt": tracked.receipt == "DELIVRD"
            and tracked.state == "delivered"
            and not final_delivered,
            "ait": tracked.ait,
        }
