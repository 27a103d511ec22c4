"""Kannel under test: simulated SMSCs, then bearerbox and smsbox, started and stopped together.

:class:`KannelGateway` runs the scenario's carriers (``sim.smpp``) in-process on their
own event loop in a thread, writes ``kannel.conf`` (:mod:`sim.kannel.config`) in a
temporary directory, starts ``bearerbox`` and ``smsbox`` with it and waits until every
smsc is ``online`` and the smsbox is connected (admin ``status.xml``). :meth:`stop`
shuts Kannel down (admin ``/shutdown``, then SIGTERM, then SIGKILL — only its own
children) and then the carriers, whose ledger is then complete.

The carriers are traced (:class:`TracedCarrier`): for every message the world model
decides, the ledger id, the route, the SMSC message id and the text are remembered, so
receipts Kannel reports can be joined with the truth ledger.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from sim.kannel.config import (
    KannelCredentials,
    KannelError,
    free_ports,
    kannel_binaries,
    render_config,
)
from sim.scenario import Scenario
from sim.smpp.carrier import ReceiptSink, RouteCarrier
from sim.smpp.pdu import ShortMessage
from sim.smpp.smsc import CarrierConfig, CarrierServer
from sim.world.route import Fate


@dataclass(frozen=True, slots=True)
class Decided:
    """One message the world model decided, as the SMSC saw it."""

    ledger_id: int
    route: str
    smsc_message_id: str
    text: str
    submit_status: int
    dlr_status: int
    receipt_due_s: float  # world time the SMSC sends its receipt (if any)


@dataclass
class Trace:
    """Decisions of every traced carrier (appended on the carriers' thread)."""

    decided: list[Decided] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> list[Decided]:
        with self.lock:
            return list(self.decided)


class TracedCarrier(RouteCarrier):
    """A :class:`RouteCarrier` that reports each decision to a :class:`Trace`."""

    trace: Trace
    _pending: tuple[int, str, Fate] | None = None

    def submit(self, sm: ShortMessage, origin: ReceiptSink | None = None) -> tuple[int, float, str]:
        self._pending = None
        status, delay_s, message_id = super().submit(sm, origin)
        if self._pending is not None:
            ledger_id, text, fate = self._pending
            due_s = self.clock.now() + fate.response_delay_s + fate.dlr_delay_s
            with self.trace.lock:
                self.trace.decided.append(Decided(
                    ledger_id, self.route.id, message_id, text,
                    int(fate.submit_status), int(fate.dlr_status), due_s,
                ))  # fmt: skip
            self._pending = None
        return status, delay_s, message_id

    def decide(self, sender: str, address: str, dest_index: int, text: str, segments: int,
               created_s: float, u: list[float], receipt_ids: list[int],
               origin: ReceiptSink | None = None) -> Fate:  # fmt: skip
        ledger_id = self.ledger.next_id()
        fate = super().decide(sender, address, dest_index, text, segments, created_s, u,
                              receipt_ids, origin)  # fmt: skip
        self._pending = (ledger_id, text, fate)
        return fate


class TracedCarrierServer(CarrierServer):
    """Every route's SMSC, with traced carriers."""

    trace: Trace

    def __post_init__(self) -> None:
        super().__post_init__()
        self.trace = Trace()
        traced: list[RouteCarrier] = []
        for old in self.carriers:
            seed = self.config.scenario.seed
            carrier = TracedCarrier(old.index, old.route, old.destinations, seed, self.clock,
                                    self.ledger, kind=old.kind)  # fmt: skip
            carrier.trace = self.trace
            traced.append(carrier)
        self.carriers = traced


class CarrierThread:
    """The traced carriers on their own event loop in a daemon thread."""

    def __init__(self, config: CarrierConfig) -> None:
        self.server = TracedCarrierServer(config)
        self.ports: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="carriers", daemon=True)

    def start(self, timeout_s: float = 10.0) -> dict[str, int]:
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise KannelError("simulated SMSCs did not start")
        if self._error is not None:
            raise KannelError(f"simulated SMSCs failed to start: {self._error}")
        return self.ports

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            endpoints = await self.server.start()
        except BaseException as exc:  # surfaced by start()
            self._error = exc
            self._ready.set()
            return
        self.ports = {e.route_id: e.port for e in endpoints}
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.server.stop()

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout_s)


def parse_status(xml_text: str) -> tuple[dict[str, str], int]:
    """(smsc id -> status, connected smsboxes) from Kannel's ``status.xml``."""
    root = ET.fromstring(xml_text)
    smscs: dict[str, str] = {}
    for smsc in root.iter("smsc"):
        ident = smsc.findtext("id") or smsc.findtext("admin-id") or ""
        smscs[ident] = (smsc.findtext("status") or "").strip()
    boxes = sum(1 for box in root.iter("box") if (box.findtext("type") or "") == "smsbox")
    return smscs, boxes


class KannelGateway:
    """Carriers + bearerbox + smsbox for one scenario; use as a context manager."""

    def __init__(
        self, scenario: Scenario, *, time_scale: float = 1.0, password: str = "secret",
        workdir: Path | None = None, log_level: int = 1, start_timeout_s: float = 20.0,
    ) -> None:  # fmt: skip
        self.bearerbox_bin, self.smsbox_bin = kannel_binaries()
        self.scenario = scenario
        self.time_scale = time_scale
        self.password = password
        self.log_level = log_level
        self.start_timeout_s = start_timeout_s
        self.credentials = KannelCredentials()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="routesim-kannel-")
            workdir = Path(self._tmp.name)
        self.workdir = workdir
        self.ports = free_ports()
        self.carriers = CarrierThread(CarrierConfig(scenario, "127.0.0.1", 0, password, time_scale))
        self.procs: list[subprocess.Popen[bytes]] = []
        self.started_at = 0.0

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.sendsms}/cgi-bin/sendsms"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.admin}"

    def world_now(self) -> float:
        """The carriers' world time (seconds since they started, time-scaled)."""
        return self.carriers.server.clock.now()

    @property
    def trace(self) -> Trace:
        return self.carriers.server.trace

    def __enter__(self) -> KannelGateway:
        self.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self.stop()

    def _spawn(self, binary: str, name: str, conf: Path) -> None:
        log = (self.workdir / f"{name}.stdout").open("wb")
        proc = subprocess.Popen([binary, str(conf)], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=self.workdir)  # fmt: skip
        log.close()
        self.procs.append(proc)

    def _tail(self, name: str) -> str:
        for path in (self.workdir / f"{name}.log", self.workdir / f"{name}.stdout"):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()
                panics = [ln for ln in text if "PANIC:" in ln]
                errors = [ln for ln in text if "ERROR:" in ln]
                if panics or errors:
                    line = panics[0] if panics else errors[-1]
                    return line.split("] ", 2)[-1].strip()[:200]
        return "see logs in " + str(self.workdir)

    def status(self) -> tuple[dict[str, str], int]:
        password = self.credentials.admin_password
        response = httpx.get(f"{self.admin_url}/status.xml", params={"password": password},
                             timeout=2.0)  # fmt: skip
        response.raise_for_status()
        return parse_status(response.text)

    def start(self) -> None:
        """Start everything; :class:`KannelError` (one line) when something does not come up."""
        try:
            smsc_ports = self.carriers.start()
            conf = self.workdir / "kannel.conf"
            conf.write_text(render_config(
                self.scenario, smsc_ports, self.ports, self.workdir, password=self.password,
                time_scale=self.time_scale, credentials=self.credentials, log_level=self.log_level,
            ))  # fmt: skip
            self._spawn(self.bearerbox_bin, "bearerbox", conf)
            self._wait_port(self.ports.smsbox, "bearerbox")
            self._spawn(self.smsbox_bin, "smsbox", conf)
            self._wait_online()
        except BaseException:
            self.stop()
            raise
        self.started_at = time.monotonic()

    def _check_alive(self) -> None:
        for proc, name in zip(self.procs, ("bearerbox", "smsbox"), strict=False):
            if proc.poll() is not None:
                code = proc.returncode
                raise KannelError(f"{name} exited with code {code}: {self._tail(name)}")

    def _wait_port(self, port: int, name: str) -> None:
        end = time.monotonic() + self.start_timeout_s
        while time.monotonic() < end:
            self._check_alive()
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.settimeout(1.0)
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise KannelError(f"{name} not listening on 127.0.0.1:{port} after "
                          f"{self.start_timeout_s:g} s: {self._tail(name)}")  # fmt: skip

    def _wait_online(self) -> None:
        end = time.monotonic() + self.start_timeout_s
        smscs: dict[str, str] = {}
        boxes = 0
        while time.monotonic() < end:
            self._check_alive()
            try:
                smscs, boxes = self.status()
            except (httpx.HTTPError, ET.ParseError):
                time.sleep(0.1)
                continue
            online = all(smscs.get(r.id, "").startswith("online") for r in self.scenario.routes)
            if online and boxes >= 1 and self._sendsms_listening():
                return
            time.sleep(0.1)
        offline = [f"{r.id}={smscs.get(r.id, 'absent')!r}" for r in self.scenario.routes
                   if not smscs.get(r.id, "").startswith("online")]  # fmt: skip
        raise KannelError(f"Kannel not ready after {self.start_timeout_s:g} s: "
                          f"smscs not online: {', '.join(offline) or 'none'}; "
                          f"smsboxes connected: {boxes}")  # fmt: skip

    def _sendsms_listening(self) -> bool:
        try:
            httpx.get(f"http://127.0.0.1:{self.ports.sendsms}/", timeout=1.0)
        except httpx.HTTPError:
            return False
        return True

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop Kannel (its children only), then the carriers. Idempotent."""
        if self.procs and self.procs[0].poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{self.admin_url}/shutdown",
                          params={"password": self.credentials.admin_password}, timeout=2.0)
        end = time.monotonic() + timeout_s / 2
        for proc in self.procs:
            try:
                proc.wait(max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout_s / 2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()
        self.carriers.stop()

    def cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def ledger_frame(gateway: KannelGateway) -> Any:
    """The carriers' truth ledger (a pandas DataFrame) after :meth:`KannelGateway.stop`."""
    return gateway.carriers.server.ledger.frame()
