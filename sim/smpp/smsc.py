"""SMSC simulator: SMPP 3.4 sessions over loopback sockets, one server per route.

:class:`CarrierServer` starts an ``asyncio`` server per scenario route on
``base_port + route index`` (0: a free port each). A session (:class:`SmscSession`)
binds with ``system_id`` = the route id and the configured password (a wrong system_id
is answered 0x0F ESME_RINVSYSID, a wrong password 0x0E ESME_RINVPASWD, a bind during a
``reject`` outage 0x0D ESME_RBINDFAIL; bound sessions stay up through an outage and
their submits get the world model's 0x45). Submits go to the route's
:class:`~sim.smpp.carrier.RouteCarrier`; the response is sent after the fate's
response delay. A submit arriving while ``route.window`` of the session's submits are
unanswered is refused at once with 0x14 ESME_RMSGQFUL (the SMSC's per-session queue is
full; 0x58 is kept for the TPS limit).

Robustness: a frame whose ``command_length`` is impossible (< 16 or > 64 KiB) gets a
``generic_nack`` 0x02 and the session is closed (framing is lost); a well-framed but
malformed PDU gets ``generic_nack`` 0x02 and the session goes on; an unknown command id
gets ``generic_nack`` 0x03. No session error reaches the server.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from dataclasses import dataclass, field
from typing import cast

from sim.live.clock import WallClock
from sim.scenario import Scenario
from sim.smpp import pdu as p
from sim.smpp.carrier import PendingReceipt, RouteCarrier
from sim.smpp.ledger import CarrierLedger
from sim.smpp.receipt import receipt_pdu

log = logging.getLogger(__name__)

TX, RX, TRX = "transmitter", "receiver", "transceiver"
_MODES = {p.BIND_TRANSMITTER: TX, p.BIND_RECEIVER: RX, p.BIND_TRANSCEIVER: TRX}
_BIND_RESP_TLVS = {p.TLV_SC_INTERFACE_VERSION: b"\x34"}
HIGH_WATER = 1 << 20  # bytes queued to a slow client before we stop reading from it


class SmscSession(asyncio.Protocol):
    """One ESME connection to one route's SMSC."""

    def __init__(self, server: CarrierServer, carrier: RouteCarrier) -> None:
        self.server = server
        self.carrier = carrier
        self.clock = server.clock
        self.mode: str | None = None
        self.in_window = 0
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._out: list[bytes] = []
        self._flush_pending = False
        self._sequence = 0
        self.closed = False

    # ------------------------------------------------------------------ transport
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.transport.set_write_buffer_limits(high=HIGH_WATER)
        self.server.sessions.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.carrier.remove_receiver(self)
        self.server.sessions.discard(self)

    def pause_writing(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()

    def send(self, frame: bytes) -> None:
        """Queue a frame; queued frames go out in one write per loop iteration."""
        if self.closed:
            return
        self._out.append(frame)
        if not self._flush_pending:
            self._flush_pending = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        if self._out and self.transport is not None and not self.closed:
            self.transport.write(b"".join(self._out))
        self._out.clear()

    def close(self) -> None:
        """Send what is queued, then close."""
        self._flush()
        self.closed = True
        self.carrier.remove_receiver(self)
        if self.transport is not None:
            self.transport.close()

    # ------------------------------------------------------------------ framing
    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while len(buffer) >= 4 and not self.closed:
            try:
                length = p.frame_length(buffer)
            except p.PduError as exc:
                sequence = int.from_bytes(buffer[12:16], "big") if len(buffer) >= 16 else 0
                self._protocol_error(exc, sequence)
                self.close()
                return
            if len(buffer) < length:
                return
            frame = bytes(buffer[:length])
            del buffer[:length]
            try:
                self.handle(p.decode(frame))
            except p.PduError as exc:
                self._protocol_error(exc, exc.sequence)
            except Exception:  # a bug must not take the server down
                log.exception("SMSC %s: error handling a PDU", self.carrier.route.id)
                sequence = int.from_bytes(frame[12:16], "big")
                self.send(p.generic_nack(sequence, p.ESME_RSYSERR))

    def _protocol_error(self, exc: p.PduError, sequence: int) -> None:
        self.server.protocol_errors += 1
        log.info("SMSC %s: %s", self.carrier.route.id, exc)
        self.send(p.generic_nack(sequence, p.ESME_RINVCMDLEN))

    # ------------------------------------------------------------------ PDUs
    def handle(self, pdu: p.Pdu) -> None:
        command = pdu.command_id
        if command == p.SUBMIT_SM:
            self._submit(pdu)
        elif command == p.DELIVER_SM | p.RESP or command == p.GENERIC_NACK:
            return  # receipts are fire-and-forget: the ledger already holds the truth
        elif command == p.ENQUIRE_LINK:
            self._reply(pdu)
        elif command in p.BIND_IDS:
            self._bind(pdu)
        elif command == p.UNBIND:
            self._reply(pdu)
            self.close()
        elif pdu.is_response and pdu.known:
            return
        else:  # unknown, or a request an SMSC does not take from an ESME (deliver_sm)
            self.send(p.generic_nack(pdu.sequence, p.ESME_RINVCMDID))

    def _reply(self, request: p.Pdu, status: int = p.ESME_ROK, body: p.Body = None) -> None:
        self.send(p.encode(p.response(request, status, body)))

    def _bind(self, pdu: p.Pdu) -> None:
        body = pdu.body
        assert isinstance(body, p.Bind)
        carrier = self.carrier
        if self.mode is not None:
            status = p.ESME_RALYBND
        elif body.system_id != carrier.route.id:
            status = p.ESME_RINVSYSID
        elif body.password != self.server.password:
            status = p.ESME_RINVPASWD
        elif carrier.bind_refused():
            status = p.ESME_RBINDFAIL
        else:
            status = p.ESME_ROK
        if status != p.ESME_ROK:
            carrier.counters.bind_refused += 1
            self._reply(pdu, status, p.BindResp(carrier.route.id))
            return
        carrier.counters.binds += 1
        self.mode = _MODES[pdu.command_id]
        self._reply(pdu, p.ESME_ROK, p.BindResp(carrier.route.id, dict(_BIND_RESP_TLVS)))
        if self.mode != TX:
            carrier.add_receiver(self)

    def _submit(self, pdu: p.Pdu) -> None:
        if self.mode not in (TX, TRX):
            self._reply(pdu, p.ESME_RINVBNDSTS, p.MessageIdResp())
            return
        if self.in_window >= self.carrier.route.window:
            self.carrier.counters.window_full += 1
            self._reply(pdu, p.ESME_RMSGQFUL, p.MessageIdResp())
            return
        body = pdu.body
        assert isinstance(body, p.ShortMessage)
        status, delay_s, message_id = self.carrier.submit(body, self)
        self.in_window += 1
        self.clock.call_later(delay_s, self._answer, pdu.sequence, status, message_id)

    def _answer(self, sequence: int, status: int, message_id: str) -> None:
        self.in_window -= 1
        body = p.MessageIdResp(message_id if status == p.ESME_ROK else "")
        self.send(p.encode(p.Pdu(p.SUBMIT_SM | p.RESP, sequence, status, body)))

    def deliver_receipt(self, receipt: PendingReceipt) -> None:
        self._sequence = self._sequence % 0x7FFFFFFF + 1
        clock = self.clock
        submitted_epoch = clock.started_wall + receipt.submitted_s / clock.time_scale
        pdu = receipt_pdu(
            self._sequence, receipt.message_id, receipt.status, receipt.source,
            receipt.destination, submitted_epoch, time.time(), receipt.text,
        )  # fmt: skip
        self.send(p.encode(pdu))


@dataclass(frozen=True)
class CarrierConfig:
    """How to run the simulated carriers."""

    scenario: Scenario
    host: str = "127.0.0.1"
    base_port: int = 2775
    password: str = "secret"
    time_scale: float = 1.0
    kind: str = "transactional"


@dataclass(frozen=True)
class Endpoint:
    """Where one route's SMSC listens."""

    route_id: str
    host: str
    port: int
    system_id: str


@dataclass
class CarrierServer:
    """Every route's SMSC on one event loop, one clock and one ledger."""

    config: CarrierConfig
    clock: WallClock = field(init=False)
    ledger: CarrierLedger = field(init=False)
    carriers: list[RouteCarrier] = field(init=False)
    sessions: set[SmscSession] = field(default_factory=set)
    protocol_errors: int = 0
    _servers: list[asyncio.Server] = field(default_factory=list)

    def __post_init__(self) -> None:
        scenario = self.config.scenario
        self.password = self.config.password
        self.clock = WallClock(self.config.time_scale)
        self.ledger = CarrierLedger(scenario)
        self.carriers = [
            RouteCarrier(i, route, scenario.destinations, scenario.seed, self.clock, self.ledger,
                         kind=self.config.kind)
            for i, route in enumerate(scenario.routes)
        ]  # fmt: skip

    async def start(self) -> list[Endpoint]:
        """Listen on every route's port; world time starts now."""
        loop = asyncio.get_running_loop()
        self.clock.start(loop)
        endpoints: list[Endpoint] = []
        cfg = self.config
        try:
            for carrier in self.carriers:
                port = cfg.base_port + carrier.index if cfg.base_port else 0
                server = await loop.create_server(
                    functools.partial(SmscSession, self, carrier), cfg.host, port, backlog=512
                )
                self._servers.append(server)
                bound = server.sockets[0].getsockname()
                endpoints.append(Endpoint(carrier.route.id, bound[0], bound[1], carrier.route.id))
        except OSError:
            await self.stop()
            raise
        return endpoints

    async def stop(self) -> int:
        """Stop listening, close sessions, decide incomplete concatenations; returns how
        many messages the ledger holds."""
        for server in self._servers:
            server.close()
        for session in list(self.sessions):
            session.close()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
        for carrier in self.carriers:
            carrier.flush_incomplete()
        return len(self.ledger)
