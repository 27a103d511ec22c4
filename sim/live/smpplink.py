"""SMPP carriers for the live service (``routesim serve --carriers smpp``).

:class:`SmppLink` starts the scenario's simulated SMSCs (:class:`~sim.smpp.smsc.CarrierServer`)
in-process on free loopback ports, one per route, and binds one transceiver session per
route with the route's credentials (``system_id`` = route id). The router's route line
then sends each attempt as a ``submit_sm`` over that route's session instead of deciding
its fate in-process: the ``submit_sm_resp`` status is the submit response, and each
``deliver_sm`` receipt is parsed (:func:`~sim.smpp.receipt.parse_receipt`) and handled
as the in-process receipts are (strategy observation, failover, terminal state,
callbacks).

Truth: the SMSC side decides every fate and keeps its own ledger
(``OUT/records/carriers-1.csv.gz``). The service's ledger stays consistent with it by
taking the handset truth of each attempt (delivered, sender and content received,
receipt status and delay) from the SMSC's decision for that message, looked up by the
SMSC message id — the carriers run in this process, so no truth crosses the wire.
Submits the SMSC refused before its world model (TPS 0x58, window 0x14) carry only
their status. Whether a receipt will come is also taken from that decision (a lost
receipt ends the message ``unknown`` at once, as the in-process mode does).

Shutdown: the service drains on the wall clock as usual; whatever is still in flight
then is settled by running the SMSCs' and the router's remaining events in virtual time
(responses and receipts still travel over the sockets) until every accepted message is
terminal; a message whose answer never comes (a dead session) ends ``failed`` (no
response) or ``unknown`` (no receipt).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sim.smpp import pdu as p
from sim.smpp.carrier import ReceiptSink, RouteCarrier
from sim.smpp.client import EsmeClient
from sim.smpp.receipt import parse_receipt
from sim.smpp.smsc import CarrierConfig, CarrierServer
from sim.smpp.text import encode_text
from sim.world.message import Message
from sim.world.route import Fate
from sim.world.smpp import DlrStatus, SubmitStatus

if TYPE_CHECKING:
    from sim.live.routeline import LiveRouteLine
    from sim.live.service import LiveRouter

PASSWORD = "secret"
DLR_BY_STAT = {s.name: s for s in DlrStatus if s is not DlrStatus.NONE}


class TrackingCarrier(RouteCarrier):
    """A route's SMSC that remembers each decided fate by its SMSC message id."""

    fates: dict[str, Fate]

    def decide(
        self, sender: str, address: str, dest_index: int, text: str, segments: int,
        created_s: float, u: list[float], receipt_ids: list[int],
        origin: ReceiptSink | None = None,
    ) -> Fate:  # fmt: skip
        fate = super().decide(sender, address, dest_index, text, segments, created_s, u,
                              receipt_ids, origin)  # fmt: skip
        for rid in receipt_ids:
            self.fates[str(rid)] = fate
        return fate


@dataclass(slots=True)
class Pending:
    """An attempt whose receipt is awaited."""

    message: Message
    index: int
    submitted_s: float


class SmppLink:
    """The router's SMPP sessions to in-process simulated SMSCs."""

    def __init__(self, router: LiveRouter, password: str = PASSWORD) -> None:
        self.router = router
        scenario = router.scenario
        self.server = CarrierServer(
            CarrierConfig(scenario, base_port=0, password=password,
                          time_scale=router.clock.time_scale)
        )  # fmt: skip
        self.carriers: list[TrackingCarrier] = []
        for c in self.server.carriers:
            carrier = TrackingCarrier(
                c.index, c.route, c.destinations, scenario.seed, self.server.clock,
                self.server.ledger, kind=c.kind,
            )  # fmt: skip
            carrier.fates = {}
            self.carriers.append(carrier)
        self.server.carriers = list(self.carriers)
        self.password = password
        self.sessions: list[EsmeClient] = []
        self.awaiting_response: dict[tuple[int, int], tuple[Message, int, float]] = {}
        self.awaiting_receipt: dict[tuple[int, str], Pending] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._seq = 0
        self.stray_receipts = 0

    async def start(self) -> None:
        """Start the SMSCs and bind one transceiver per route."""
        endpoints = await self.server.start()
        for endpoint in endpoints:
            client = await EsmeClient.connect(endpoint.host, endpoint.port)
            status = await client.bind(endpoint.system_id, self.password)
            if status != p.ESME_ROK:
                raise ConnectionError(f"bind to {endpoint.route_id} refused: {status:#x}")
            self.sessions.append(client)
            self._tasks.append(
                asyncio.get_running_loop().create_task(
                    self._receipts(len(self.sessions) - 1, client)
                )
            )

    # ------------------------------------------------------------------ submits
    def send(self, message: Message, line: LiveRouteLine) -> None:
        """The route line's send: one submit_sm over the route's session."""
        index = line.index
        now = self.router.clock.now()
        coding, data = encode_text(message.text)
        body = p.ShortMessage(
            source_addr_ton=1 if message.sender.isdigit() else 5, source_addr=message.sender,
            dest_addr_ton=1, dest_addr_npi=1, destination_addr=str(message.number),
            registered_delivery=1, data_coding=coding,
            tlvs={p.TLV_MESSAGE_PAYLOAD: data},
        )  # fmt: skip
        self._seq += 1
        key = (index, self._seq)
        self.awaiting_response[key] = (message, index, now)
        future = self.sessions[index].send(p.SUBMIT_SM, body)
        future.add_done_callback(lambda f: self._on_response(key, f))

    def _on_response(self, key: tuple[int, int], future: asyncio.Future[p.Pdu]) -> None:
        entry = self.awaiting_response.pop(key, None)
        if entry is None:
            return  # settled at shutdown already
        message, index, submitted_s = entry
        if future.cancelled() or future.exception() is not None:
            fate = Fate(SubmitStatus.ESME_RSYSERR, 0.0)
        else:
            resp = future.result()
            status = resp.status if resp.command_id == p.SUBMIT_SM | p.RESP else p.ESME_RSYSERR
            message_id = resp.body.message_id if isinstance(resp.body, p.MessageIdResp) else ""
            decided = self.carriers[index].fates.pop(message_id, None) if message_id else None
            if status == p.ESME_ROK and decided is not None:
                fate = decided
                if fate.dlr_status != DlrStatus.NONE:
                    self.awaiting_receipt[(index, message_id)] = Pending(
                        message, index, submitted_s
                    )
            else:
                fate = decided if decided is not None else Fate(status, 0.0)
        self.router._on_response(message, index, fate, submitted_s)

    # ------------------------------------------------------------------ receipts
    async def _receipts(self, index: int, client: EsmeClient) -> None:
        while True:
            pdu = await client.receipts.get()
            if isinstance(pdu.body, p.ShortMessage):
                self._on_receipt(index, pdu.body)

    def _on_receipt(self, index: int, sm: p.ShortMessage) -> None:
        receipt = parse_receipt(sm)
        pending = self.awaiting_receipt.pop((index, receipt.message_id), None)
        status = DLR_BY_STAT.get(receipt.stat)
        if pending is None or status is None:
            self.stray_receipts += 1
            return
        self.router._on_receipt(pending.message, index, status, pending.submitted_s)

    # ------------------------------------------------------------------ shutdown
    @property
    def in_flight(self) -> int:
        return len(self.awaiting_response) + len(self.awaiting_receipt)

    async def settle(self, deadline_s: float = 5.0) -> None:
        """Run the SMSCs' and the router's remaining events in virtual time until every
        accepted message is terminal (answers still cross the sockets); give up on
        answers that never come after ``deadline_s`` wall seconds."""
        router = self.router
        router.accepting = False
        end = time.monotonic() + deadline_s
        while router.in_flight and time.monotonic() < end:
            self.server.clock.fast_forward()
            router.clock.fast_forward()
            await asyncio.sleep(0.005)
        for message, index, submitted_s in list(self.awaiting_response.values()):
            router.lines[index].release()
            fate = Fate(SubmitStatus.ESME_RSYSERR, 0.0)
            router.ledger.record_attempt(message, index, fate, submitted_s, router.clock.now())
            router._finish(router.messages[message.msg_id], "failed")
        self.awaiting_response.clear()
        for pending in list(self.awaiting_receipt.values()):
            tracked = router.messages[pending.message.msg_id]
            router._finish(tracked, "unknown")
        self.awaiting_receipt.clear()

    async def stop(self, out: Path | None) -> Path | None:
        """Unbind, stop the SMSCs and write their ledger (``OUT/records/carriers-1.csv.gz``)."""
        for task in self._tasks:
            task.cancel()
        for client in self.sessions:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.unbind(), 1.0)
            await client.close()
        await self.server.stop()
        if out is None:
            return None
        return self.server.ledger.write_csv(out / "records" / "carriers-1.csv.gz")
