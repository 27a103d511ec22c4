"""DLR inbox: the webhook the service calls back, one small gevent server per process.

Users register each accepted message (:meth:`DlrInbox.expect`); a callback may arrive
before that (it is kept until then). Each message's callback is accounted once in the
quality counters, with its submit-to-receipt latency; a user may block on
:meth:`DlrInbox.wait` for its own message's receipt. Binds to ``--inbox-host``
(loopback by default; a worker machine's address in a distributed run).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import gevent
from gevent.event import AsyncResult
from gevent.pywsgi import WSGIServer
from quality import Quality

from sim.live.adapter import Receipt, SmsApiAdapter

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class DlrInbox:
    """Receives callbacks, matches them to submitted messages, wakes waiting users."""

    def __init__(self, adapter: SmsApiAdapter, quality: Quality, host: str = "127.0.0.1") -> None:
        self.adapter = adapter
        self.quality = quality
        self.host = host
        self._server = WSGIServer((host, 0), self._app, log=None, error_log=None)
        self.url = ""
        self._pending: dict[str, tuple[str, float, AsyncResult | None]] = {}
        self._early: dict[str, tuple[Receipt, float]] = {}
        self._done: set[str] = set()
        self._results: dict[str, AsyncResult] = {}

    def start(self) -> None:
        self._server.start()
        port = self._server.server_port
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{shown}:{port}/dlr"

    def stop(self) -> None:
        self._server.stop(timeout=1)

    @property
    def outstanding(self) -> int:
        """Accepted messages whose callback has not come yet."""
        return len(self._pending)

    def expect(self, message_id: str, kind: str, submitted_at: float, wait: bool = False) -> None:
        """Register an accepted message (``wait``: a user will :meth:`wait` for it)."""
        waiter = AsyncResult() if wait else None
        early = self._early.pop(message_id, None)
        if early is not None:
            self._account(message_id, kind, submitted_at, early[0], early[1], waiter)
        else:
            self._pending[message_id] = (kind, submitted_at, waiter)

    def wait(self, message_id: str, timeout_s: float) -> Receipt | None:
        """The message's receipt, or ``None`` after ``timeout_s``."""
        entry = self._pending.get(message_id)
        waiter = entry[2] if entry is not None else self._results.pop(message_id, None)
        if waiter is None:
            return None
        try:
            result: Receipt = waiter.get(timeout=timeout_s)
        except gevent.Timeout:
            return None
        self._results.pop(message_id, None)
        return result

    def quiesce(self, timeout_s: float) -> int:
        """Wait until every expected callback came, at most ``timeout_s``; the rest."""
        end = time.time() + timeout_s
        while self._pending and time.time() < end:
            gevent.sleep(0.05)
        return len(self._pending)

    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            start_response("405 Method Not Allowed", [("Content-Length", "0")])
            return [b""]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            receipt = self.adapter.parse_callback(environ["wsgi.input"].read(length))
        except (ValueError, KeyError, TypeError):
            self.quality.count("callback_malformed")
            start_response("400 Bad Request", [("Content-Length", "0")])
            return [b""]
        self._arrive(receipt, time.time())
        start_response("204 No Content", [])
        return [b""]

    def _arrive(self, receipt: Receipt, at: float) -> None:
        message_id = receipt.message_id
        if message_id in self._done or message_id in self._early:
            self.quality.count("callback_duplicate")
            return
        entry = self._pending.pop(message_id, None)
        if entry is None:
            self._early[message_id] = (receipt, at)
            return
        kind, submitted_at, waiter = entry
        self._account(message_id, kind, submitted_at, receipt, at, waiter)

    def _account(
        self, message_id: str, kind: str, submitted_at: float, receipt: Receipt, at: float,
        waiter: AsyncResult | None,
    ) -> None:  # fmt: skip
        self._done.add(message_id)
        self.quality.receipt(kind, receipt, max(0.0, (at - submitted_at) * 1000.0))
        if waiter is not None:
            self._results[message_id] = waiter
            waiter.set(receipt)
