"""The ``sim.live.adapter`` protocol for Kannel's ``sendsms``: Locust users drive Kannel.

:class:`KannelAdapter` turns a submit into ``GET /cgi-bin/sendsms`` (``username`` and
``password`` from the ``api_key`` option as ``user:password``, ``dlr-mask=31``). Kannel
answers ``0: Accepted for delivery`` without an id, so the adapter numbers each submit
itself: the number tags the text (``rsk000042 ...``, how :mod:`sim.kannel.check` finds the
message in the SMSC trace; the text is cut to one segment) and goes into the
``dlr-url``. Kannel fetches its ``dlr-url`` with GET while the load generator's inbox
takes POSTs, so the ``dlr-url`` points at a relay (option ``dlr_url`` or
``$ROUTESIM_KANNEL_DLR_URL``, :func:`sim.kannel.load.run_kannel_load` runs it) that
records every receipt and POSTs the final ones, as a query string, to the inbox named
in its ``cb`` parameter. Accepted submits are appended (``number<TAB>to``) to the file
named by option ``accepted_log`` or ``$ROUTESIM_KANNEL_ACCEPTED``, the accepted side of
the truth join.

The number of a submit is kept per thread (per greenlet under Locust's monkey patching)
between :meth:`KannelAdapter.submit` and :meth:`KannelAdapter.accepted_id`.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Mapping
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode

from sim.kannel.check import TAG
from sim.kannel.collector import (
    DLR_DELIVERED,
    DLR_SMSC_REJECT,
    DLR_UNDELIVERED,
    FINAL_MASK,
)
from sim.live.adapter import HttpCall, Receipt

SENDSMS_PATH = "/cgi-bin/sendsms"
DLR_EXPIRED = 32  # Kannel adds it to DLR_UNDELIVERED when the SMSC reports expiry
SEGMENT_CHARS = 160


def kannel_status(kind: int) -> str | None:
    """Receipt status of a Kannel DLR type; ``None`` for intermediate ones (4, 8)."""
    if kind & DLR_DELIVERED:
        return "DELIVRD"
    if kind & DLR_UNDELIVERED:
        return "EXPIRED" if kind & DLR_EXPIRED else "UNDELIV"
    if kind & DLR_SMSC_REJECT:
        return "REJECTD"
    return None


def is_final(kind: int) -> bool:
    return bool(kind & FINAL_MASK)


class KannelAdapter:
    """Adapter for Kannel's ``sendsms`` (``--adapter sim.kannel.adapter:KannelAdapter``)."""

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        options = options or {}
        user, _, password = str(options.get("api_key") or "routesim:rspass").partition(":")
        self.username, self.password = user, password
        self.dlr_url = str(options.get("dlr_url") or os.environ.get("ROUTESIM_KANNEL_DLR_URL", ""))
        self._log_path = str(options.get("accepted_log")
                             or os.environ.get("ROUTESIM_KANNEL_ACCEPTED", ""))  # fmt: skip
        self._log: IO[str] | None = None
        self._numbers = itertools.count(1)
        self._local = threading.local()

    def submit(
        self, to: str, sender: str, text: str, kind: str, callback_url: str | None,
        *, idempotency_key: str | None = None, ait: bool = False,
    ) -> HttpCall:  # fmt: skip
        n = next(self._numbers)
        if n > 999_999:
            raise ValueError("KannelAdapter: more than 999999 submits in one process")
        self._local.submitted = (n, to)
        tagged = f"{TAG}{n:06d} {text}"[:SEGMENT_CHARS]
        params = {"username": self.username, "password": self.password, "to": to,
                  "from": sender, "text": tagged}  # fmt: skip
        if callback_url is not None and self.dlr_url:
            if any(c in callback_url for c in "%&?#"):
                raise ValueError(f"KannelAdapter: callback URL {callback_url!r} needs escaping")
            params["dlr-mask"] = "31"
            # %d type, %i smsc id, %F the SMSC's message id, %T its timestamp
            params["dlr-url"] = (f"{self.dlr_url}?n={n}&type=%d&smsc=%i&fid=%F&ts=%T"
                                 f"&cb={callback_url}")  # fmt: skip
        return HttpCall("GET", f"{SENDSMS_PATH}?{urlencode(params)}", None, {},
                        name=f"submit {kind}")  # fmt: skip

    def accepted_id(self, status_code: int, body: bytes) -> str | None:
        submitted: tuple[int, str] | None = getattr(self._local, "submitted", None)
        self._local.submitted = None
        answer = body.strip()
        if status_code not in (200, 202) or submitted is None:
            return None
        if not (answer.startswith(b"0:") or answer.startswith(b"3:")):  # accepted / queued
            return None
        n, to = submitted
        self._record(n, to)
        return str(n)

    def _record(self, n: int, to: str) -> None:
        if not self._log_path:
            return
        if self._log is None:
            self._log = open(self._log_path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        self._log.write(f"{n}\t{to}\n")

    def error_reason(self, status_code: int, body: bytes) -> str:
        return f"{status_code} {body.strip()[:80].decode('utf-8', 'replace')}"

    def status(self, message_id: str) -> HttpCall:
        raise NotImplementedError("Kannel has no status endpoint")

    def parse_status(self, body: bytes) -> tuple[bool, str | None]:
        raise NotImplementedError("Kannel has no status endpoint")

    def verify(self, message_id: str) -> HttpCall | None:
        return None

    def parse_callback(self, body: bytes) -> Receipt:
        """A receipt from the relayed query string; ``ValueError`` for intermediate types."""
        data = dict(parse_qsl(body.decode("utf-8", "replace")))
        status = kannel_status(int(data["type"]))
        if status is None:
            raise ValueError(f"intermediate DLR type {data['type']}")
        return Receipt(str(int(data["n"])), status, None)

    def kpis(self) -> HttpCall | None:
        return None
