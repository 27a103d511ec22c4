"""API adapters: how the load generator speaks to an HTTP SMS API.

The Locust users (``loadtests/``) never build requests themselves; they ask an
:class:`SmsApiAdapter` for an :class:`HttpCall` and hand responses and webhook bodies
back to it. :class:`RoutesimAdapter` speaks ``routesim serve``'s API. To load-test
another API, write a class with the same methods (no base class needed) and pass it
as ``routesim load --target URL --adapter package.module:Class``: it is built with the
options mapping (``api_key``), and methods it cannot support return ``None`` (no
verification endpoint, no KPI endpoint, no truth in callbacks).

This module is plain Python (no gevent), importable by the service and Locust alike.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

RECEIPT_STATUSES = frozenset({"DELIVRD", "UNDELIV", "EXPIRED", "REJECTD"})


@dataclass(frozen=True, slots=True)
class HttpCall:
    """One HTTP request, relative to the target's base URL."""

    method: str
    path: str
    json: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    name: str | None = None  # the name Locust groups it under


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery callback as the load generator understands it."""

    message_id: str
    status: str  # DELIVRD, UNDELIV, EXPIRED, REJECTD, UNKNOWN, FAILED
    truth: Mapping[str, Any] | None = None  # harness ground truth, when the API gives it


class SmsApiAdapter(Protocol):
    """What the load generator needs from an SMS API."""

    def submit(
        self, to: str, sender: str, text: str, kind: str, callback_url: str | None,
        *, idempotency_key: str | None = None, ait: bool = False,
    ) -> HttpCall: ...  # fmt: skip

    def accepted_id(self, status_code: int, body: bytes) -> str | None:
        """The message id when the submit was accepted, else ``None``."""
        ...

    def error_reason(self, status_code: int, body: bytes) -> str: ...

    def status(self, message_id: str) -> HttpCall: ...

    def parse_status(self, body: bytes) -> tuple[bool, str | None]:
        """(final, status) from a status response."""
        ...

    def verify(self, message_id: str) -> HttpCall | None: ...

    def parse_callback(self, body: bytes) -> Receipt: ...

    def kpis(self) -> HttpCall | None: ...


class RoutesimAdapter:
    """Adapter for the routesim live API (``routesim serve``)."""

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        options = options or {}
        key = options.get("api_key")
        self._auth = {"Authorization": f"Bearer {key}"} if key else {}

    def submit(
        self, to: str, sender: str, text: str, kind: str, callback_url: str | None,
        *, idempotency_key: str | None = None, ait: bool = False,
    ) -> HttpCall:  # fmt: skip
        body: dict[str, Any] = {"to": to, "from": sender, "text": text, "kind": kind}
        if callback_url is not None:
            body["callback_url"] = callback_url
        if idempotency_key is not None:
            body["idempotency_key"] = idempotency_key
        headers = dict(self._auth)
        if ait:
            headers["X-Routesim-Ait"] = "1"  # ground truth for the ledger; routers ignore it
        return HttpCall("POST", "/v1/messages", body, headers, name=f"submit {kind}")

    def accepted_id(self, status_code: int, body: bytes) -> str | None:
        if status_code != 202:
            return None
        return str(json.loads(body)["id"])

    def error_reason(self, status_code: int, body: bytes) -> str:
        try:
            error = json.loads(body)["error"]
            return f"{status_code} {error['field']}: {error['reason']}"[:200]
        except (ValueError, KeyError, TypeError):
            return f"{status_code} {body[:80]!r}"

    def status(self, message_id: str) -> HttpCall:
        return HttpCall("GET", f"/v1/messages/{message_id}", None, dict(self._auth), "status")

    def parse_status(self, body: bytes) -> tuple[bool, str | None]:
        data = json.loads(body)
        return bool(data["final"]), data.get("status")

    def verify(self, message_id: str) -> HttpCall | None:
        return HttpCall("POST", f"/v1/messages/{message_id}/verify", None, dict(self._auth),
                        "verify")  # fmt: skip

    def parse_callback(self, body: bytes) -> Receipt:
        data = json.loads(body)
        return Receipt(str(data["id"]), str(data["status"]), data.get("truth"))

    def kpis(self) -> HttpCall | None:
        return HttpCall("GET", "/v1/kpis", None, dict(self._auth), "kpis")


def load_adapter(target: str | None, options: Mapping[str, Any]) -> SmsApiAdapter:
    """The adapter named ``package.module:Class`` (default :class:`RoutesimAdapter`)."""
    if not target:
        return RoutesimAdapter(options)
    module_name, _, attr = target.partition(":")
    if not attr:
        raise ValueError(f"adapter {target!r}: expected package.module:Class")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"adapter {target!r}: cannot import {module_name!r}: {exc}") from None
    factory = getattr(module, attr, None)
    if factory is None or not callable(factory):
        raise ValueError(f"adapter {target!r}: {module_name!r} has no class {attr!r}")
    adapter: SmsApiAdapter = factory(options)
    return adapter
