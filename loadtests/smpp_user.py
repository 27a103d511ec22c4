"""Locust SMPP user: bind to any SMPP 3.4 server, submit, and time responses and receipts.

``locust -f loadtests/smpp_user.py --headless -u 10 -r 5 -t 60s`` with the endpoint from
Locust options or environment variables:

=====================  ========================  ==========================================
option                 environment               meaning
=====================  ========================  ==========================================
``--smpp-host``        ``SMPP_HOST``             server address (default 127.0.0.1)
``--smpp-port``        ``SMPP_PORT``             port (default 2775)
``--smpp-system-id``   ``SMPP_SYSTEM_ID``        bind system_id (default ``direct``)
``--smpp-password``    ``SMPP_PASSWORD``         bind password (default ``secret``)
``--smpp-scenario``    ``SMPP_SCENARIO``         scenario for numbers/senders/texts
``--smpp-rate``        ``SMPP_RATE``             submits per second per user (default 1)
``--smpp-dlr-timeout`` ``SMPP_DLR_TIMEOUT``      seconds to wait for receipts at the end
=====================  ========================  ==========================================

Each user is one transceiver session (plain blocking sockets, cooperative under gevent,
on the codec of :mod:`sim.smpp.pdu`). Numbers, senders and texts are Faker data from
the scenario (:class:`data.TrafficData`); when ``system_id`` is one of the scenario's
routes, numbers are drawn from the destinations that route serves. Two request types:

- ``SMPP`` ``submit_sm``: submit → ``submit_sm_resp`` time; a non-zero status is a
  failure named by its hex status.
- ``DLR`` ``<stat>`` (``DELIVRD``, ``UNDELIV``, ...): submit → ``deliver_sm`` receipt
  time (its ``receipted_message_id`` or ``id:`` matched to the submit's message id).
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from pathlib import Path
from typing import Any

import gevent
from data import TrafficData
from gevent.event import AsyncResult
from locust import User, constant_throughput, events, task
from locust.argument_parser import LocustArgumentParser

from sim.live.thresholds import load_live_scenario
from sim.smpp import pdu as p
from sim.smpp.receipt import parse_receipt
from sim.smpp.text import encode_text

DEFAULTS = {
    "host": "127.0.0.1",
    "port": "2775",
    "system_id": "direct",
    "password": "secret",
    "scenario": "scenarios/live-smoke.yaml",
    "rate": "1.0",
    "dlr_timeout": "10",
}


def _env(name: str) -> str:
    return os.environ.get(f"SMPP_{name.upper()}", DEFAULTS[name])


@events.init_command_line_parser.add_listener
def _options(parser: LocustArgumentParser) -> None:
    group = parser.add_argument_group("SMPP user")
    for name in DEFAULTS:
        group.add_argument(f"--smpp-{name.replace('_', '-')}", default=_env(name),
                           help=f"(env SMPP_{name.upper()})")  # fmt: skip


class SmppSession:
    """One bound transceiver: sequence-matched responses, receipts by message id."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.settimeout(None)
        self.sequence = 0
        self.waiting: dict[int, AsyncResult] = {}
        self.started: dict[int, float] = {}  # sequence -> submit time (perf_counter)
        self.sent: dict[str, float] = {}  # SMSC message id -> submit time
        self.on_receipt: Any = None
        self.closed = False
        self.reader = gevent.spawn(self._read)

    def _recv(self, n: int) -> bytes:
        chunks = bytearray()
        while len(chunks) < n:
            chunk = self.sock.recv(n - len(chunks))
            if not chunk:
                raise ConnectionError("SMSC closed the session")
            chunks += chunk
        return bytes(chunks)

    def _read(self) -> None:
        try:
            while True:
                header = self._recv(4)
                frame = header + self._recv(p.frame_length(header) - 4)
                self._dispatch(p.decode(frame))
        except (OSError, ConnectionError, p.PduError) as exc:
            self.closed = True
            for result in self.waiting.values():
                result.set_exception(ConnectionError(f"session closed: {exc}"))
            self.waiting.clear()

    def _dispatch(self, pdu: p.Pdu) -> None:
        if pdu.command_id == p.DELIVER_SM:
            self.write(p.response(pdu, p.ESME_ROK, p.MessageIdResp()))
            if self.on_receipt is not None and isinstance(pdu.body, p.ShortMessage):
                self.on_receipt(pdu.body)
        elif pdu.command_id == p.ENQUIRE_LINK:
            self.write(p.response(pdu))
        else:
            started = self.started.pop(pdu.sequence, None)
            body = pdu.body
            if (
                started is not None
                and pdu.status == p.ESME_ROK
                and isinstance(body, p.MessageIdResp)
            ):  # before the task wakes: a receipt may follow in the same read
                self.sent[body.message_id] = started
            result = self.waiting.pop(pdu.sequence, None)
            if result is not None:
                result.set(pdu)

    def write(self, pdu: p.Pdu) -> None:
        self.sock.sendall(p.encode(pdu))

    def request(self, command_id: int, body: p.Body = None, timeout_s: float = 30.0) -> p.Pdu:
        if self.closed:
            raise ConnectionError("session closed")
        self.sequence = self.sequence % 0x7FFFFFFF + 1
        result = AsyncResult()
        self.waiting[self.sequence] = result
        if command_id == p.SUBMIT_SM:
            self.started[self.sequence] = time.perf_counter()
        self.write(p.Pdu(command_id, self.sequence, body=body))
        pdu: p.Pdu = result.get(timeout=timeout_s)
        return pdu

    def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(Exception):  # closing anyway
                self.request(p.UNBIND, timeout_s=2.0)
        self.closed = True
        self.reader.kill(block=False)
        self.sock.close()


class SmppUser(User):
    """Submits Faker messages over one SMPP session; times responses and receipts."""

    def on_start(self) -> None:
        opts = self.environment.parsed_options
        get = (lambda n: getattr(opts, f"smpp_{n}")) if opts is not None else _env
        scenario = load_live_scenario(Path(get("scenario")))[0]
        self.system_id = str(get("system_id"))
        route = next((r for r in scenario.routes if r.id == self.system_id), None)
        if route is not None:
            served = tuple(d for d in scenario.destinations if d.id in route.prices)
            scenario = scenario.model_copy(update={"destinations": served})
        self.data = TrafficData(scenario)
        self.kind = self.data.kinds[0]
        self._pace = constant_throughput(float(get("rate")))
        self.dlr_timeout_s = float(get("dlr_timeout"))
        self.session = SmppSession(str(get("host")), int(get("port")))
        self.session.on_receipt = self._receipt
        resp = self.session.request(p.BIND_TRANSCEIVER, p.Bind(self.system_id,
                                                              str(get("password"))))  # fmt: skip
        if resp.status != p.ESME_ROK:
            self._fire("SMPP", "bind_transceiver", 0.0, ConnectionError(f"{resp.status:#x}"))
            raise ConnectionError(f"bind refused: {resp.status:#x}")

    def wait_time(self) -> float:
        return float(self._pace(self))

    def _fire(self, kind: str, name: str, ms: float, error: Exception | None = None) -> None:
        self.environment.events.request.fire(
            request_type=kind, name=name, response_time=ms, response_length=0,
            exception=error, context={},
        )  # fmt: skip

    @task
    def submit(self) -> None:
        data = self.data
        kind = self.kind
        sender = data.sender(kind)
        coding, octets = encode_text(data.text(kind))
        body = p.ShortMessage(
            source_addr_ton=1 if sender.isdigit() else 5, source_addr=sender,
            dest_addr_ton=1, dest_addr_npi=1, destination_addr=data.number().lstrip("+"),
            registered_delivery=1, data_coding=coding,
            short_message=octets if len(octets) <= 140 else b"",
            tlvs={} if len(octets) <= 140 else {p.TLV_MESSAGE_PAYLOAD: octets},
        )  # fmt: skip
        started = time.perf_counter()
        try:
            resp = self.session.request(p.SUBMIT_SM, body)
        except Exception as exc:  # reported to Locust
            self._fire("SMPP", "submit_sm", (time.perf_counter() - started) * 1000, exc)
            return
        ms = (time.perf_counter() - started) * 1000
        if resp.status != p.ESME_ROK:
            self._fire("SMPP", "submit_sm", ms, RuntimeError(f"status {resp.status:#04x}"))
            return
        self._fire("SMPP", "submit_sm", ms)

    def _receipt(self, sm: p.ShortMessage) -> None:
        receipt = parse_receipt(sm)
        started = self.session.sent.pop(receipt.message_id, None)
        if started is not None:
            self._fire("DLR", receipt.stat or "unknown", (time.perf_counter() - started) * 1000)

    def on_stop(self) -> None:
        end = time.monotonic() + self.dlr_timeout_s
        while self.session.sent and time.monotonic() < end and not self.session.closed:
            gevent.sleep(0.05)
        self.session.close()
