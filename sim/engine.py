"""Engine: SimPy wiring of traffic -> strategy -> routes -> receipts -> records.

One :class:`Simulation` runs one strategy over one replication's traffic plan in its
own ``simpy.Environment``. Message arrivals come from one long-lived process; each
route is a :class:`RouteLine` (a long-lived process draining its queue); submit
responses and receipts are timeout callbacks, never a process per message. The world's
randomness is keyed by message and route (:mod:`sim.world.randomness`), so strategies
compared on one replication see the same traffic and the same carrier draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import simpy

from sim.guards.base import Action
from sim.probes.evidence import ProbeResult
from sim.probes.planner import PlannedProbe, plan_probes
from sim.records import RecordBuffer, Records
from sim.routeline import RouteLine
from sim.router import build_router, fails_over_after_report, submit_error_action
from sim.scenario import MessageKind, RetryPolicy, Scenario, StrategySpec, SubmitErrorAction
from sim.strategies.base import (
    Message,
    Strategy,
    StrategyBase,
    StrategyError,
)
from sim.world.encoding import segment_info
from sim.world.route import Fate
from sim.world.smpp import NEGATIVE_DLR, DlrStatus, SubmitStatus
from sim.world.traffic import TrafficPlan, generate_traffic

NAN = math.nan
ProgressHook = Callable[[float], None]


class Simulation:
    """One strategy on one replication's traffic."""

    def __init__(
        self,
        scenario: Scenario,
        spec: StrategySpec,
        replication: int,
        plan: TrafficPlan | None = None,
    ) -> None:
        self.scenario = scenario
        self.spec = spec
        self.replication = replication
        self.plan = plan if plan is not None else generate_traffic(scenario, replication)
        self.env = simpy.Environment()
        self.policy: RetryPolicy = scenario.retry
        self.records = RecordBuffer()
        self.lines = [RouteLine(self.env, i, r, self._send) for i, r in enumerate(scenario.routes)]
        router = build_router(
            scenario,
            spec,
            replication,
            dense_ids=len(self.plan),
            queue_lengths=[line.queue_length for line in self.lines],
            clock=self._now,
        )
        self.behaviours = router.behaviours
        self.draws = router.draws
        self.views = router.views
        self.candidates = router.candidates
        self.strategy: Strategy = router.strategy
        self.guards = router.guards
        self._verify_listeners = [g for g in self.guards if getattr(g, "wants_verifications", 0)]
        self.probe_results: list[ProbeResult] = []
        self._probe_observer = getattr(self.strategy, "on_probe_result", None)
        # Receipts become events only when someone acts on them.
        self._observes_reports = (
            getattr(type(self.strategy), "on_delivery_report", None)
            is not StrategyBase.on_delivery_report
        )
        self._fails_over = self.policy.failover_on_negative_dlr and self.policy.max_attempts > 1

    def _now(self) -> float:
        return float(self.env.now)

    # ------------------------------------------------------------------ running
    def run(self, progress: ProgressHook | None = None) -> Records:
        """Run until every message reached its terminal state; return the records."""
        self._verify_at = self.plan.verify_at_s.tolist()
        self._start_arrivals(progress)
        self._start_probes()
        self.env.run()
        plan = self.plan
        return Records.from_buffer(
            self.records,
            created_s=plan.created_s,
            kind=plan.kind,
            destination=plan.destination,
            segments=plan.segments,
            ait=plan.ait,
            route_ids=tuple(r.id for r in self.scenario.routes),
            strategy=self.spec.name,
            replication=self.replication,
            probe_results=tuple(self.probe_results),
            kind_names=tuple(k.value for k in plan.kinds),
            guard_log=tuple(
                (t, g.name, action, where)
                for g in self.guards
                for t, action, where in getattr(g, "log", ())
            ),
        )

    def _start_arrivals(self, progress: ProgressHook | None) -> None:
        """Arrivals as a chain of timeout callbacks (one event per message)."""
        plan = self.plan
        destinations = self.scenario.destinations
        kinds = [k.value for k in plan.kinds]
        created = plan.created_s.tolist()
        columns = zip(
            range(len(created)),
            created,
            plan.destination.tolist(),
            plan.kind.tolist(),
            plan.number.tolist(),
            plan.text.tolist(),
            plan.segments.tolist(),
            plan.bulk.tolist(),
            plan.test_number.tolist(),
            strict=True,
        )
        senders = plan.senders
        texts = plan.texts
        step = max(1, len(created) // 200)
        env = self.env
        route = self._admit

        def arrive(event: simpy.Event) -> None:
            msg_id, t, d, k, number, text, segments, bulk, test = cast(tuple[Any, ...], event.value)
            dest = destinations[d]
            message = Message(msg_id, kinds[k], dest.id, dest.country, dest.operator, number,
                              senders[k], texts[text], segments, t, bulk, test, d)  # fmt: skip
            route(message)
            if progress is not None and msg_id % step == 0:
                progress(t)
            schedule_next()

        def schedule_next() -> None:
            row = next(columns, None)
            if row is not None:
                env.timeout(_delay_until(env.now, row[1]), value=row).callbacks.append(arrive)

        schedule_next()

    # ------------------------------------------------------------------ routing
    def _route(self, message: Message) -> None:
        """Ask the strategy for a route among those not yet tried, and queue on it."""
        tried = message.tried
        candidates = self.candidates[message.destination_index]
        if tried:
            candidates = tuple(c for c in candidates if c.index not in tried)
        choice = self.strategy.choose(message, candidates) if candidates else None
        if choice is None:
            self._refuse(message)
            return
        if choice not in candidates:
            raise StrategyError(
                f"strategy {self.spec.name!r} chose route {getattr(choice, 'id', choice)!r}, "
                f"which cannot take message {message.msg_id} to {message.destination!r}"
            )
        tried.append(choice.index)
        self._queue(message, choice.index)

    def _queue(self, message: Message, route_index: int) -> None:
        if not self.lines[route_index].submit(message):
            now = self.env.now
            fate = Fate(SubmitStatus.ESME_RMSGQFUL, 0.0)
            self._respond(message, route_index, fate, now)

    def _admit(self, message: Message) -> None:
        """Run the guards, then route: a guard may hold the message or refuse it."""
        now = self.env.now
        for guard in self.guards:
            verdict = guard.check(message, now)
            if verdict.action is Action.ALLOW:
                continue
            message.guard = guard.name
            if verdict.action is Action.REFUSE:
                self._refuse(message, SubmitStatus.ROUTER_REFUSED)
            else:
                event = self.env.timeout(_delay_until(now, verdict.until_s), value=message)
                event.callbacks.append(self._on_hold_end)
            return
        self._route(message)

    def _on_hold_end(self, event: simpy.Event) -> None:
        self._admit(cast(Message, event.value))

    def _refuse(self, message: Message, status: int = SubmitStatus.ESME_RINVDSTADR) -> None:
        """A router-side refusal row (no route, or a guard said no), terminal."""
        self.records.add_refusal(message, status)

    def _send(self, message: Message, line: RouteLine) -> None:
        """The route line sends the submit now: decide its fate, schedule the answer."""
        now = self.env.now
        index = line.index
        u = self.draws[index].row(message.msg_id, message.attempt)
        behaviour = self.behaviours[index]
        if line.bucket is not None and not line.bucket.take(now):
            fate = behaviour.throttled(u)
        else:
            fate = behaviour.decide(
                message, self.scenario.destinations[message.destination_index], u, now
            )
        event = self.env.timeout(fate.response_delay_s, value=(message, index, fate, now))
        event.callbacks.append(self._on_response)

    def _on_response(self, event: simpy.Event) -> None:
        message, index, fate, submitted_s = cast(tuple[Message, int, Fate, float], event.value)
        self.lines[index].release()
        self._respond(message, index, fate, submitted_s)

    def _respond(self, message: Message, index: int, fate: Fate, submitted_s: float) -> None:
        now = self.env.now
        status = fate.submit_status
        if message.probe:
            self._probe_response(message, index, fate, submitted_s)
            return
        verified_s = NAN
        if fate.handset_delivered:
            verify_after = self._verify_at[message.msg_id]
            if verify_after == verify_after:  # not NaN: this user verifies
                verified_s = now + fate.handset_delay_s + verify_after
                if self._verify_listeners:
                    event = self.env.timeout(verified_s - now, value=message)
                    event.callbacks.append(self._on_verified)
        self.records.add_attempt(message, index, fate, submitted_s, now, verified_s)
        view = self.views[index]
        self.strategy.on_submit_response(message, view, status)
        if status == SubmitStatus.ESME_ROK:
            dlr_status = fate.dlr_status
            if dlr_status != DlrStatus.NONE and (
                self._observes_reports or (dlr_status in NEGATIVE_DLR and self._fails_over)
            ):
                report = self.env.timeout(
                    fate.dlr_delay_s, value=(message, index, fate.dlr_status, submitted_s)
                )
                report.callbacks.append(self._on_delivery_report)
            return
        self._after_submit_error(message, index, status)

    def _on_verified(self, event: simpy.Event) -> None:
        message = cast(Message, event.value)
        for guard in self._verify_listeners:
            guard.on_verified(message, float(self.env.now))

    # ------------------------------------------------------------------ probes
    def _start_probes(self) -> None:
        """Probes as a chain of timeout callbacks; each goes straight to its route."""
        config = self.scenario.probes
        planned = iter(plan_probes(self.scenario, self.replication))
        if config is None:
            return
        destinations = self.scenario.destinations
        plan = self.plan
        kinds = [k.value for k in plan.kinds]
        pool = len(plan.texts) // len(kinds)
        specs = [self.scenario.traffic.kinds[k] for k in plan.kinds]
        bulk = [
            s.bulk if s.bulk is not None else k is MessageKind.MARKETING
            for s, k in zip(specs, plan.kinds, strict=True)
        ]
        first_id = len(plan)
        env = self.env
        counter = iter(range(first_id, first_id + 10**9))

        def fire(event: simpy.Event) -> None:
            probe = cast(PlannedProbe, event.value)
            dest = destinations[probe.destination]
            msg_id = next(counter)
            text = plan.texts[probe.kind * pool + msg_id % pool]
            message = Message(
                msg_id, kinds[probe.kind], dest.id, dest.country, dest.operator, probe.number,
                plan.senders[probe.kind], text, segment_info(text).segments, env.now,
                bulk[probe.kind], probe.known_test_number, probe.destination, probe=True,
            )  # fmt: skip
            self._queue(message, probe.route)
            schedule_next()

        def schedule_next() -> None:
            probe = next(planned, None)
            if probe is not None:
                env.timeout(_delay_until(env.now, probe.at_s), value=probe).callbacks.append(fire)

        schedule_next()

    def _probe_response(self, message: Message, index: int, fate: Fate, submitted_s: float) -> None:
        config = self.scenario.probes
        assert config is not None
        now = float(self.env.now)
        ok = fate.submit_status == SubmitStatus.ESME_ROK
        received = ok and fate.handset_delivered and fate.handset_delay_s <= config.timeout_s
        if ok:
            handset = fate.handset_delay_s if received else math.inf
            report = fate.dlr_delay_s if fate.dlr_status != DlrStatus.NONE else math.inf
            wait_s = min(config.timeout_s, max(handset, report))
        else:
            wait_s = 0.0
        result = ProbeResult(
            route=self.views[index].id,
            destination=message.destination,
            sent_s=submitted_s,
            observed_s=now + wait_s,
            submit_status=fate.submit_status,
            received=received,
            handset_delay_s=fate.handset_delay_s if received else NAN,
            dlr_status=fate.dlr_status if fate.dlr_delay_s <= wait_s else DlrStatus.NONE,
            sender_intact=received and fate.sender_received == message.sender,
            content_intact=received and fate.content_intact,
            cost=fate.price_eur,
            known_test_number=message.test_number,
        )
        self.probe_results.append(result)
        if self._probe_observer is not None:
            event = self.env.timeout(wait_s, value=result)
            event.callbacks.append(self._on_probe_result)

    def _on_probe_result(self, event: simpy.Event) -> None:
        assert self._probe_observer is not None
        self._probe_observer(cast(ProbeResult, event.value))

    def _after_submit_error(self, message: Message, index: int, status: int) -> None:
        policy = self.policy
        action = submit_error_action(policy, status, message.attempt)
        if action is SubmitErrorAction.GIVE_UP:
            return
        message.attempt += 1
        if action is SubmitErrorAction.RETRY_SAME:
            retry: Callable[[Message], None] = lambda m: self._queue(m, index)  # noqa: E731
        else:
            retry = self._route
        if policy.backoff_s > 0:
            event = self.env.timeout(policy.backoff_s, value=message)
            event.callbacks.append(lambda ev: retry(ev.value))
        else:
            retry(message)

    def _on_delivery_report(self, event: simpy.Event) -> None:
        message, index, status, submitted_s = cast(tuple[Message, int, int, float], event.value)
        delay_s = float(self.env.now) - submitted_s
        self.strategy.on_delivery_report(message, self.views[index], status, delay_s)
        if fails_over_after_report(self.policy, status, message.attempt):
            message.attempt += 1
            self._route(message)


def _delay_until(now_s: float, at_s: float) -> float:
    """The delay that brings the clock to ``at_s`` exactly or one ulp after, never before
    (``now + (at - now)`` can round below ``at``)."""
    delay = max(0.0, at_s - now_s)
    while now_s + delay < at_s:
        delay = math.nextafter(delay, math.inf)
    return delay


def simulate(
    scenario: Scenario,
    spec: StrategySpec,
    replication: int,
    plan: TrafficPlan | None = None,
    progress: ProgressHook | None = None,
) -> Records:
    """Run one strategy on one replication and return its records."""
    return Simulation(scenario, spec, replication, plan).run(progress)
