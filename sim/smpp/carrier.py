"""The world side of one simulated SMSC: a route's behaviour answering SMPP submits.

:class:`RouteCarrier` holds what the supplier behind a route knows: its
:class:`~sim.world.route.RouteBehaviour` and :class:`~sim.world.randomness.KeyedDraws`
(one world model, rows keyed by this SMSC's submit counter), its TPS
:class:`~sim.world.route.TokenBucket` (excess answered 0x58, shared by all sessions of
the route), concatenation reassembly, and the bound receivers its delivery receipts go
to. Each decided message goes into the :class:`~sim.smpp.ledger.CarrierLedger` before
it is answered. Times are world seconds on a :class:`~sim.live.clock.WallClock`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from sim.live.clock import WallClock
from sim.scenario import Destination, OutageMode, Route, destination_for_number
from sim.smpp.ledger import CarrierLedger
from sim.smpp.pdu import ESME_RINVDSTADR, ESME_ROK, ShortMessage
from sim.smpp.text import Reassembler, message_content
from sim.world.encoding import segment_info
from sim.world.message import Message
from sim.world.randomness import U_SUBMIT_LATENCY, KeyedDraws
from sim.world.route import Fate, RouteBehaviour, TokenBucket
from sim.world.smpp import DlrStatus, SubmitStatus

DENSE_IDS = 2**62  # submit ids are dense (0, 1, 2, ...): rows come from blocks
REPLICATION = 1
CACHE_NUMBERS = 65_536  # destination look-ups remembered (cleared when full)


class ReceiptSink(Protocol):
    """A bound receiver or transceiver session."""

    def deliver_receipt(self, receipt: PendingReceipt) -> None: ...


@dataclass(frozen=True, slots=True)
class PendingReceipt:
    """A receipt due to the ESME (handset ``source`` back to the sender)."""

    message_id: str
    status: DlrStatus
    source: str
    destination: str
    submitted_s: float
    text: str
    origin: ReceiptSink | None = None  # the session that submitted, preferred when bound


@dataclass(slots=True)
class CarrierCounters:
    """What one SMSC answered (printed at shutdown)."""

    submits: int = 0
    decided: int = 0
    throttled: int = 0
    window_full: int = 0
    bad_destination: int = 0
    receipts_sent: int = 0
    receipts_waiting: int = 0
    binds: int = 0
    bind_refused: int = 0
    by_status: dict[int, int] = field(default_factory=dict)


def e164(address: str) -> str:
    """``+`` and the digits of an SMPP address (TON international or not)."""
    digits = "".join(c for c in address if c.isdigit())
    return "+" + digits


class RouteCarrier:
    """One route's SMSC: the world model behind its SMPP sessions."""

    def __init__(
        self, index: int, route: Route, destinations: tuple[Destination, ...], seed: int,
        clock: WallClock, ledger: CarrierLedger, *, kind: str = "transactional",
    ) -> None:  # fmt: skip
        self.index = index
        self.route = route
        self.destinations = destinations
        self.clock = clock
        self.ledger = ledger
        self.kind = kind
        self.behaviour = RouteBehaviour(route)
        self.draws = KeyedDraws(
            seed, REPLICATION, route.id, DENSE_IDS, prepare=self.behaviour.prepare_draws
        )
        self.bucket = TokenBucket(route.tps, route.burst)
        self.reassembler = Reassembler()
        self.receivers: list[ReceiptSink] = []
        self.waiting: deque[PendingReceipt] = deque()
        self.counters = CarrierCounters()
        self._next_submit = 0
        self._next_receiver = 0
        self._destination_cache: dict[str, int | None] = {}

    # ------------------------------------------------------------------ binds
    def bind_refused(self) -> bool:
        """True while a ``reject`` outage is in force (binds are refused 0x0D)."""
        return self.behaviour.outage_at(self.clock.now()) is OutageMode.REJECT

    def add_receiver(self, sink: ReceiptSink) -> None:
        """A session bound as receiver/transceiver: it gets receipts (waiting ones first)."""
        self.receivers.append(sink)
        while self.waiting:
            self.counters.receipts_waiting -= 1
            self._deliver(self.waiting.popleft())

    def remove_receiver(self, sink: ReceiptSink) -> None:
        if sink in self.receivers:
            self.receivers.remove(sink)

    # ------------------------------------------------------------------ submits
    def submit(self, sm: ShortMessage, origin: ReceiptSink | None = None) -> tuple[int, float, str]:
        """Answer one submit_sm: (command_status, response delay in world s, message id).
        Decided messages are in the ledger when this returns; their receipts are
        scheduled, for ``origin`` when it is still bound as a receiver then, else for the
        route's receivers in turn."""
        now = self.clock.now()
        counters = self.counters
        counters.submits += 1
        submit_id = self._next_submit
        self._next_submit += 1
        message_id = str(submit_id)
        u = self.draws.row(submit_id, 1)
        if not self.bucket.take(now):
            counters.throttled += 1
            fate = self.behaviour.throttled(u)
            return fate.submit_status, fate.response_delay_s, ""
        number = e164(sm.destination_addr)
        dest_index = self._destination_cache.get(number, -1)
        if dest_index == -1:
            dest_index = destination_for_number(self.destinations, number)
            if dest_index is not None and self.destinations[dest_index].id not in self.route.prices:
                dest_index = None
            if len(self._destination_cache) >= CACHE_NUMBERS:
                self._destination_cache.clear()
            self._destination_cache[number] = dest_index
        if dest_index is None or len(number) < 3:
            counters.bad_destination += 1
            return ESME_RINVDSTADR, u[U_SUBMIT_LATENCY], ""
        concat, text = message_content(sm)
        wants_receipt = bool(sm.registered_delivery & 0x01)
        created_s = now
        if concat is None:
            segments = segment_info(text).segments
            receipt_ids = [submit_id] if wants_receipt else []
        else:
            whole = self.reassembler.add(
                sm.source_addr, sm.destination_addr, concat, text, submit_id, now, wants_receipt
            )
            if whole is None:  # more parts to come: accepted, decided with the last one
                return ESME_ROK, u[U_SUBMIT_LATENCY], message_id
            text, segments, created_s = whole.text(), whole.total, whole.first_s
            receipt_ids = [whole.receipt_ids[k] for k in sorted(whole.receipt_ids)]
        fate = self.decide(sm.source_addr, sm.destination_addr, dest_index, text, segments,
                           created_s, u, receipt_ids, origin)  # fmt: skip
        return fate.submit_status, fate.response_delay_s, message_id

    def decide(
        self,
        sender: str,
        address: str,
        dest_index: int,
        text: str,
        segments: int,
        created_s: float,
        u: list[float],
        receipt_ids: list[int],
        origin: ReceiptSink | None = None,
    ) -> Fate:
        """The world model's fate of one whole message: ledger row, then receipts."""
        now = self.clock.now()
        dest = self.destinations[dest_index]
        number = e164(address)
        message = Message(
            self.ledger.next_id(), self.kind, dest.id, dest.country, dest.operator,
            int(number[1:]), sender, text, segments, created_s,
            destination_index=dest_index, queued_s=created_s, submitted_s=now,
        )  # fmt: skip
        fate = self.behaviour.decide(message, dest, u, now)
        self.ledger.record(message, self.index, fate, now)
        counters = self.counters
        counters.decided += 1
        counters.by_status[fate.submit_status] = counters.by_status.get(fate.submit_status, 0) + 1
        if fate.submit_status == SubmitStatus.ESME_ROK and fate.dlr_status != DlrStatus.NONE:
            status = DlrStatus(fate.dlr_status)
            for rid in receipt_ids:
                receipt = PendingReceipt(str(rid), status, address, sender, now, text, origin)
                self.clock.call_later(
                    fate.response_delay_s + fate.dlr_delay_s, self._deliver, receipt
                )
        return fate

    def flush_incomplete(self) -> int:
        """Decide every concatenated message still missing parts, from the parts it has
        (at shutdown: accepted parts are never lost). Returns how many."""
        flushed = 0
        for key, entry in self.reassembler.drain():
            source, address, _, total = key
            dest_index = destination_for_number(self.destinations, e164(address))
            if dest_index is None:
                continue
            u = self.draws.row(entry.last_submit_id, 1)
            self.decide(source, address, dest_index, entry.text(), total, entry.first_s, u, [])
            flushed += 1
        return flushed

    # ------------------------------------------------------------------ receipts
    def _deliver(self, receipt: PendingReceipt) -> None:
        if not self.receivers:
            self.waiting.append(receipt)
            self.counters.receipts_waiting += 1
            return
        if receipt.origin is not None and receipt.origin in self.receivers:
            receipt.origin.deliver_receipt(receipt)
        else:
            self._next_receiver = (self._next_receiver + 1) % len(self.receivers)
            self.receivers[self._next_receiver].deliver_receipt(receipt)
        self.counters.receipts_sent += 1
