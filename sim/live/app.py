"""The HTTP API: a plain ASGI application over :class:`~sim.live.runtime.LiveService`.

Endpoints (JSON unless noted; errors are ``{"error": {"field", "reason"}}``)::

    POST /v1/messages               submit -> 202 {"id", "segments", "state"}
    GET  /v1/messages/{id}          state, final flag and history
    POST /v1/messages/{id}/verify   OTP conversion signal
    GET  /v1/kpis                   truth and observed KPIs (as in summary.json)
    GET  /metrics                   Prometheus text format
    GET  /healthz                   liveness; 503 while draining

Written against bare ASGI rather than a framework: the submit path is the hot path of
the load benchmark, and a router plus JSON is all the API needs (see
``benchmarks/bench_live.py`` for the measured cost of the stack). With an API key,
every endpoint but ``/healthz`` wants ``Authorization: Bearer KEY`` or ``X-API-Key``.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from sim.live.metrics import CONTENT_TYPE
from sim.live.runtime import LiveService
from sim.live.validation import MAX_BODY_BYTES, ApiError, parse_json_object, parse_message_id

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON = [(b"content-type", b"application/json")]
TRUTH_AIT = b"x-routesim-ait"
TRUTH_TEST_NUMBER = b"x-routesim-test-number"


def _json(body: Any) -> bytes:
    return json.dumps(body, allow_nan=False).encode()


class LiveApp:
    """ASGI app: routing, auth, body limits, JSON errors; lifespan starts/stops the service."""

    def __init__(
        self,
        service: LiveService,
        api_key: str | None = None,
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        self.service = service
        self._key = api_key.encode() if api_key else None
        self._on_ready = on_ready
        self._metrics = service.metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                self.service.start()
                await self.service.start_carriers()
                if self._on_ready is not None:
                    self._on_ready()
                await send({"type": "lifespan.startup.complete"})
            elif event["type"] == "lifespan.shutdown":
                await self.service.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        headers = dict(scope["headers"])
        label = "other"
        try:
            label, status, body, extra = await self._dispatch(method, path, headers, receive)
        except ApiError as exc:
            status, body, extra = exc.status, exc.body(), []
            if status == 401:
                extra = [(b"www-authenticate", b"Bearer")]
        ctype = [(b"content-type", CONTENT_TYPE.encode())] if label == "metrics" else JSON
        await send({"type": "http.response.start", "status": status, "headers": ctype + extra})
        await send({"type": "http.response.body", "body": body})
        self._metrics.request(label, status)

    async def _dispatch(
        self, method: str, path: str, headers: dict[bytes, bytes], receive: Receive
    ) -> tuple[str, int, bytes, list[tuple[bytes, bytes]]]:
        service = self.service
        if path == "/healthz":
            _method(method, "GET")
            health = service.health()
            return "healthz", 200 if service.accepting else 503, _json(health), []
        self._authorize(headers)
        if path == "/v1/messages":
            _method(method, "POST")
            return await self._submit(headers, receive)
        if path.startswith("/v1/messages/"):
            rest = path[len("/v1/messages/") :]
            msg_text, _, action = rest.partition("/")
            if action not in {"", "verify"}:
                raise ApiError(404, "path", f"no endpoint {path[:80]!r}")
            _method(method, "POST" if action else "GET")
            tracked = service.router.get(parse_message_id(msg_text))
            if tracked is None:
                raise ApiError(404, "id", f"no message {msg_text!r}")
            if action == "verify":
                body = await _read_body(headers, receive)
                if body.strip():
                    parse_json_object(body)
                return "verify", 200, _json(service.verify(tracked)), []
            return "status", 200, _json(service.status(tracked)), []
        if path == "/v1/kpis":
            _method(method, "GET")
            return "kpis", 200, _json(service.kpis()), []
        if path == "/metrics":
            _method(method, "GET")
            return "metrics", 200, service.metrics.render(), []
        raise ApiError(404, "path", f"no endpoint {path[:80]!r}")

    async def _submit(
        self, headers: dict[bytes, bytes], receive: Receive
    ) -> tuple[str, int, bytes, list[tuple[bytes, bytes]]]:
        started = time.perf_counter()
        data = parse_json_object(await _read_body(headers, receive))
        key = headers.get(b"idempotency-key")
        tracked, replayed = self.service.submit(
            data,
            key_header=key.decode("latin-1") if key is not None else None,
            ait=headers.get(TRUTH_AIT, b"") in {b"1", b"true"},
            test_number=headers.get(TRUTH_TEST_NUMBER, b"") in {b"1", b"true"},
        )
        m = tracked.message
        body = b'{"id":"%d","segments":%d,"state":"%s"}' % (
            m.msg_id,
            m.segments,
            tracked.state.encode(),
        )
        extra = [(b"location", b"/v1/messages/%d" % m.msg_id)]
        if replayed:
            extra.append((b"idempotent-replayed", b"true"))
        self._metrics.submit_seconds.observe(time.perf_counter() - started)
        return "submit", 202, body, extra

    def _authorize(self, headers: dict[bytes, bytes]) -> None:
        if self._key is None:
            return
        given = headers.get(b"x-api-key")
        if given is None:
            auth = headers.get(b"authorization", b"")
            given = auth[7:] if auth[:7].lower() == b"bearer " else None
        if given is None or not hmac.compare_digest(given, self._key):
            raise ApiError(401, "authorization", "missing or wrong API key")


def _method(method: str, allowed: str) -> None:
    if method != allowed:
        raise ApiError(405, "method", f"{method} not allowed here (use {allowed})")


async def _read_body(headers: dict[bytes, bytes], receive: Receive) -> bytes:
    length = headers.get(b"content-length")
    if length is not None:
        if not length.isdigit():
            raise ApiError(400, "content-length", "not a number")
        if int(length) > MAX_BODY_BYTES:
            raise ApiError(413, "body", f"payload over {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            raise ApiError(400, "body", "client disconnected")
        chunk = event.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(413, "body", f"payload over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
        if not event.get("more_body", False):
            return b"".join(chunks)
