"""Naive model: the routesim workload written the textbook SimPy way, as a yardstick.

This is what a competent engineer would write first: one SimPy process per message,
one ``simpy.Resource`` per route for pacing (capacity 1, held ``1/tps`` per submit: a
deterministic server, M/D/1) and one for the submit window (capacity ``window``),
numpy draws per message attempt, ``yield env.timeout(...)`` for the submit latency, the
time to the handset and the receipt, and one ``dict`` appended per attempt.

It models the same behaviour class as :mod:`sim.engine` on the same scenario and the
same traffic plan — routing by the same strategy plug-in (built by the same
registry), paced and windowed route queues, queue limit, outages, system errors,
drift, price changes, delivered / undelivered / expired / lost outcomes, sender-ID
registration rules, sender and content rewriting, missing and fake receipts (with
their modes), failover on submit errors (after the back-off) and on negative receipts.
It is not draw-for-draw identical to the engine (it uses one ``numpy`` generator, not
keyed common random numbers), so its KPIs agree statistically, not exactly.

It is deliberately *not* a strawman: no busy loops, no per-message object churn
beyond what the design implies, and the same inverse-CDF delay code as the engine.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from sim.scenario import Destination, FakeDlrMode, OutageMode, Route, Scenario, StrategySpec
from sim.strategies.base import Message, RouteView, StrategyContext
from sim.strategies.registry import build
from sim.world.sender import SenderType, random_numeric_sender
from sim.world.sender_rules import sender_type
from sim.world.smpp import NEGATIVE_DLR, DlrStatus, SubmitStatus
from sim.world.traffic import TrafficPlan

NAN = float("nan")


class NaiveModel:
    """One strategy over one traffic plan, one SimPy process per message."""

    def __init__(
        self, scenario: Scenario, spec: StrategySpec, plan: TrafficPlan, seed: int = 1
    ) -> None:
        self.scenario = scenario
        self.plan = plan
        self.env = simpy.Environment()
        self.rng = np.random.default_rng(seed)
        self.policy = scenario.retry
        self.routes: list[Route] = list(scenario.routes)
        self.pacers = [simpy.Resource(self.env, capacity=1) for _ in self.routes]
        self.windows = [simpy.Resource(self.env, capacity=r.window) for r in self.routes]
        self.records: list[dict[str, Any]] = []
        self.views = [
            RouteView(
                i,
                r.id,
                r.supplier,
                r.kind,
                r.tps,
                r.window,
                self._price_fn(r),
                self._queue_fn(i),
            )
            for i, r in enumerate(self.routes)
        ]
        dest_index = {d.id: i for i, d in enumerate(scenario.destinations)}
        self.candidates: list[list[RouteView]] = [[] for _ in scenario.destinations]
        for view, route in zip(self.views, self.routes, strict=True):
            for dest_id in route.prices:
                self.candidates[dest_index[dest_id]].append(view)
        context = StrategyContext(
            routes=tuple(self.views),
            rng=np.random.default_rng(seed + 1),
            clock=lambda: float(self.env.now),
        )
        self.strategy = build(spec.target, spec.name, spec.params, context)

    # ------------------------------------------------------------------ helpers
    def _price_fn(self, route: Route):  # type: ignore[no-untyped-def]
        def price(destination: str) -> float:
            return self._price(route, destination, float(self.env.now))

        return price

    def _queue_fn(self, index: int):  # type: ignore[no-untyped-def]
        def queue_length() -> int:
            return len(self.pacers[index].queue)

        return queue_length

    @staticmethod
    def _price(route: Route, destination: str, now: float) -> float:
        price = route.prices[destination]
        for change in route.price_changes:
            if change.at_s <= now and change.destination == destination:
                price = change.price_eur
        return price

    # ------------------------------------------------------------------ processes
    def run(self) -> list[dict[str, Any]]:
        self.env.process(self.source_process())
        self.env.run()
        return self.records

    def source_process(self) -> Generator[Any, Any, None]:
        """Arrivals: wait the inter-arrival time, start the message's process."""
        env = self.env
        plan = self.plan
        created = plan.created_s.tolist()
        for msg_id, t in enumerate(created):
            yield env.timeout(t - env.now)
            env.process(self.message_process(msg_id))

    def message_process(self, msg_id: int) -> Generator[Any, Any, None]:
        env = self.env
        plan = self.plan
        scenario = self.scenario
        policy = self.policy
        d = int(plan.destination[msg_id])
        k = int(plan.kind[msg_id])
        dest = scenario.destinations[d]
        message = Message(
            msg_id=msg_id,
            kind=plan.kinds[k].value,
            destination=dest.id,
            country=dest.country,
            operator=dest.operator,
            number=int(plan.number[msg_id]),
            sender=plan.senders[k],
            text=plan.texts[int(plan.text[msg_id])],
            segments=int(plan.segments[msg_id]),
            created_s=float(plan.created_s[msg_id]),
            bulk=bool(plan.bulk[msg_id]),
            test_number=bool(plan.test_number[msg_id]),
            destination_index=d,
        )
        while True:
            candidates = [c for c in self.candidates[d] if c.index not in message.tried]
            choice = self.strategy.choose(message, candidates) if candidates else None
            if choice is None:
                self._record(message, -1, NAN, NAN, SubmitStatus.ESME_RINVDSTADR, {})
                return
            i = choice.index
            message.tried.append(i)
            route = self.routes[i]
            queued_s = env.now
            pacer = self.pacers[i]
            if len(pacer.queue) >= route.queue_limit:
                status = SubmitStatus.ESME_RMSGQFUL
                self._record(message, i, queued_s, queued_s, status, {})
                self.strategy.on_submit_response(message, choice, status)
            else:
                # queue for the route's pacer (FIFO), then for a window slot
                turn = pacer.request()
                yield turn
                slot = self.windows[i].request()
                yield slot
                submitted_s = env.now
                u = self.rng.random(12).tolist()
                latency_s = route.submit_latency.quantile(u[2])
                interval_s = 1.0 / route.tps
                if latency_s >= interval_s:
                    yield env.timeout(interval_s)
                    pacer.release(turn)
                    yield env.timeout(latency_s - interval_s)
                    self.windows[i].release(slot)
                else:
                    yield env.timeout(latency_s)
                    self.windows[i].release(slot)
                    yield env.timeout(interval_s - latency_s)
                    pacer.release(turn)
                response_s = submitted_s + latency_s
                fate = self._fate(route, dest, message, u, submitted_s)
                status = fate["submit_status"]
                self._record(message, i, queued_s, submitted_s, status, fate, response_s)
                self.strategy.on_submit_response(message, choice, status)
                if status == SubmitStatus.ESME_ROK:
                    dlr_status = fate["dlr_status"]
                    if fate["handset_delivered"]:
                        yield env.timeout(response_s + fate["handset_delay_s"] - env.now)
                    if dlr_status == DlrStatus.NONE:
                        return
                    yield env.timeout(response_s + fate["dlr_delay_s"] - env.now)
                    self.strategy.on_delivery_report(
                        message, choice, dlr_status, env.now - submitted_s
                    )
                    if (
                        dlr_status in NEGATIVE_DLR
                        and policy.failover_on_negative_dlr
                        and message.attempt < policy.max_attempts
                    ):
                        message.attempt += 1
                        continue
                    return
            # submit error: fail over (the bench scenario's policy) after the back-off
            if message.attempt >= policy.max_attempts:
                return
            message.attempt += 1
            if policy.backoff_s > 0:
                yield env.timeout(policy.backoff_s)

    # ------------------------------------------------------------------ behaviour
    def _fate(
        self, route: Route, dest: Destination, message: Message, u: list[float], now: float
    ) -> dict[str, Any]:
        fate: dict[str, Any] = {
            "submit_status": SubmitStatus.ESME_ROK,
            "handset_delivered": False,
            "handset_delay_s": NAN,
            "dlr_status": DlrStatus.NONE,
            "dlr_delay_s": NAN,
            "sender_received": None,
            "content_intact": False,
            "price_eur": 0.0,
        }
        outage = None
        for window in route.outages:
            if window.start_s <= now < window.end_s:
                outage = window.mode
        if outage is OutageMode.REJECT:
            fate["submit_status"] = SubmitStatus.ESME_RSUBMITFAIL
            return fate
        if u[0] < route.errors.system_error_share:
            fate["submit_status"] = SubmitStatus.ESME_RSYSERR
            return fate
        fate["price_eur"] = self._price(route, dest.id, now) * message.segments
        if outage is OutageMode.BLACKHOLE:
            return fate
        delivered_f, latency_f = 1.0, 1.0
        drift = route.drift
        if drift is not None and now > drift.start_s:
            x = min(1.0, (now - drift.start_s) / (drift.end_s - drift.start_s))
            delivered_f = 1.0 + (drift.delivered_factor - 1.0) * x
            latency_f = 1.0 + (drift.handset_latency_factor - 1.0) * x
        o = route.outcomes
        p_delivered = o.delivered * delivered_f
        p_undelivered = o.undelivered + o.delivered - p_delivered
        handset_s = route.handset_latency.quantile(u[3]) * latency_f
        dlr_s = route.dlr.delay.quantile(u[4])
        status, report_s = DlrStatus.NONE, NAN
        if u[1] < p_delivered:
            sender = message.sender
            if u[7] < route.sender.numeric_share:
                sender = random_numeric_sender(dest.calling_code, u[8])
            elif u[7] < route.sender.numeric_share + route.sender.generic_share:
                sender = route.sender.generic_sender
            rules = dest.sender_rules
            shown: str | None = sender
            if (
                rules.registration_required
                and sender_type(sender) is SenderType.ALPHANUMERIC
                and not any(r.sender == sender and now >= r.from_s for r in rules.registered)
            ):
                action = rules.unregistered_alphanumeric.value
                if action == "reject":
                    shown = None
                elif action == "rewrite_generic":
                    shown = rules.generic_sender
                elif action == "rewrite_numeric":
                    shown = random_numeric_sender(dest.calling_code, u[10])
            if shown is None:
                status, report_s = DlrStatus.REJECTD, dlr_s
            else:
                c = route.content
                changed = c.truncate_share + c.strip_links_share + c.bad_encoding_share
                fate["handset_delivered"] = True
                fate["handset_delay_s"] = handset_s
                fate["sender_received"] = shown
                fate["content_intact"] = u[9] >= changed
                status, report_s = DlrStatus.DELIVRD, handset_s + dlr_s
        elif u[1] < p_delivered + p_undelivered:
            status, report_s = DlrStatus.UNDELIV, handset_s + dlr_s
        elif u[1] < p_delivered + p_undelivered + o.expired:
            status, report_s = DlrStatus.EXPIRED, route.validity_s + dlr_s
        if u[5] < route.dlr.missing_share:
            status, report_s = DlrStatus.NONE, NAN
        mode = route.dlr.fake_mode
        fakes = (
            mode is FakeDlrMode.ALL
            or (mode is FakeDlrMode.BULK and message.bulk)
            or (mode is FakeDlrMode.EXCEPT_TEST_NUMBERS and not message.test_number)
        )
        if not fate["handset_delivered"] and fakes and u[6] < route.dlr.fake_share:
            status, report_s = DlrStatus.DELIVRD, route.dlr.fake_delay.quantile(u[4])
        fate["dlr_status"] = status
        fate["dlr_delay_s"] = report_s
        return fate

    def _record(
        self,
        message: Message,
        route: int,
        queued_s: float,
        submitted_s: float,
        status: int,
        fate: dict[str, Any],
        response_s: float = NAN,
    ) -> None:
        self.records.append(
            {
                "msg_id": message.msg_id,
                "attempt": message.attempt,
                "route": route,
                "queued_s": queued_s,
                "submitted_s": submitted_s,
                "submit_status": int(status),
                "dlr_status": int(fate.get("dlr_status", DlrStatus.NONE)),
                "dlr_s": response_s + fate.get("dlr_delay_s", NAN),
                "handset_delivered": fate.get("handset_delivered", False),
                "handset_s": response_s + fate.get("handset_delay_s", NAN),
                "sender_received": fate.get("sender_received"),
                "content_intact": fate.get("content_intact", False),
                "cost": fate.get("price_eur", 0.0),
            }
        )
