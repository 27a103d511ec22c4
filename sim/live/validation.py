"""Validation of the live API's input: JSON shape, E.164 numbers, senders, texts, kinds.

Every rejection is an :class:`ApiError` naming the field, answered as one line of JSON,
``{"error": {"field": ..., "reason": ...}}``, with a ``4xx`` status; nothing is accepted
or changed. Numbers must fall under a scenario destination's prefix with its number
length; senders must be valid originators that the destination's sender-ID rules do not
reject (:mod:`sim.world.sender_rules`); texts must fit ``max_segments``
(:mod:`sim.world.encoding`); ``kind`` must be one of the scenario's traffic kinds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sim.scenario import MessageKind, Scenario, SenderAction
from sim.world.encoding import check_text
from sim.world.sender import SenderType, normalize_e164
from sim.world.sender_rules import is_registered, sender_type

MAX_BODY_BYTES = 16 * 1024
MAX_URL_CHARS = 2048
MAX_KEY_CHARS = 128
SUBMIT_FIELDS = frozenset({"to", "from", "text", "kind", "callback_url", "idempotency_key"})
_KEY_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F))


class ApiError(Exception):
    """A request the API refuses: HTTP status, the field at fault and why."""

    def __init__(self, status: int, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.status = status
        self.field = field
        self.reason = reason

    def body(self) -> bytes:
        return json.dumps({"error": {"field": self.field, "reason": self.reason}}).encode()


@dataclass(frozen=True, slots=True)
class SubmitRequest:
    """A validated submit."""

    number: int
    destination_index: int
    sender: str
    text: str
    segments: int
    kind: str
    bulk: bool
    callback_url: str | None
    idempotency_key: str | None
    ait: bool = False
    test_number: bool = False


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object (400 when malformed, 422 when not an object)."""
    if len(body) > MAX_BODY_BYTES:
        raise ApiError(413, "body", f"payload over {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "body", f"malformed JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(422, "body", f"expected a JSON object, got {type(data).__name__}")
    return data


class Validator:
    """Checks submits against one scenario's numbering plan, sender rules and kinds."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.max_segments = scenario.max_segments
        self._prefixes: dict[str, int] = {}
        for index, dest in enumerate(scenario.destinations):
            for prefix in dest.prefixes:
                self._prefixes[prefix[1:]] = index
        self._prefix_lengths = sorted({len(p) for p in self._prefixes}, reverse=True)
        self._digits = [d.full_number_digits for d in scenario.destinations]
        self._kinds: dict[str, bool] = {}
        for kind, spec in scenario.traffic.kinds.items():
            self._kinds[kind.value] = (
                spec.bulk if spec.bulk is not None else (kind is MessageKind.MARKETING)
            )
        self._max_chars = 160 * self.max_segments

    def submit(
        self, data: dict[str, Any], *, now_s: float, key_header: str | None = None,
        ait: bool = False, test_number: bool = False,
    ) -> SubmitRequest:  # fmt: skip
        """Validate a submit body (already a JSON object)."""
        unknown = set(data) - SUBMIT_FIELDS
        if unknown:
            raise ApiError(422, sorted(unknown)[0], "unknown field")
        to = _required_str(data, "to", 32)
        sender = _required_str(data, "from", 32)
        text = _required_str(data, "text", self._max_chars)
        kind = _required_str(data, "kind", 32)
        number, dest_index = self.destination(to)
        self.check_sender(sender, dest_index, now_s)
        if kind not in self._kinds:
            raise ApiError(422, "kind", f"unknown kind {kind!r} (known: {', '.join(self._kinds)})")
        try:
            segments = check_text(text, self.max_segments).segments
        except ValueError as exc:
            raise ApiError(422, "text", str(exc)) from None
        callback = _optional_str(data, "callback_url", MAX_URL_CHARS)
        if callback is not None:
            parts = urlsplit(callback)
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                raise ApiError(422, "callback_url", "needs an absolute http(s) URL")
        key = _optional_str(data, "idempotency_key", MAX_KEY_CHARS)
        if key is None and key_header is not None:
            key = key_header
        if key is not None and not (0 < len(key) <= MAX_KEY_CHARS and _KEY_CHARS.issuperset(key)):
            raise ApiError(422, "idempotency_key", "1-128 printable ASCII characters, no spaces")
        return SubmitRequest(number, dest_index, sender, text, segments, kind, self._kinds[kind],
                             callback, key, ait, test_number)  # fmt: skip

    def destination(self, to: str) -> tuple[int, int]:
        """(number, destination index) of an E.164 number under a scenario prefix."""
        try:
            e164 = normalize_e164(to)
        except ValueError as exc:
            raise ApiError(422, "to", str(exc)) from None
        digits = e164[1:]
        for length in self._prefix_lengths:
            index = self._prefixes.get(digits[:length])
            if index is not None:
                expected = self._digits[index]
                if len(digits) != expected:
                    dest = self.scenario.destinations[index].id
                    raise ApiError(
                        422, "to", f"{dest} numbers have {expected} digits, got {len(digits)}"
                    )
                return int(digits), index
        raise ApiError(422, "to", f"no destination serves {e164} (unknown prefix)")

    def check_sender(self, sender: str, dest_index: int, now_s: float) -> None:
        """Refuse a malformed sender, or one the destination's rules would reject."""
        try:
            kind = sender_type(sender)
        except ValueError as exc:
            raise ApiError(422, "from", str(exc)) from None
        dest = self.scenario.destinations[dest_index]
        rules = dest.sender_rules
        if kind not in rules.allowed_types:
            if rules.disallowed_type is SenderAction.REJECT:
                allowed = ", ".join(t.value for t in rules.allowed_types)
                raise ApiError(
                    422,
                    "from",
                    f"{kind.value} senders are refused by {dest.id} (allowed: {allowed})",
                )
        elif (
            kind is SenderType.ALPHANUMERIC
            and rules.registration_required
            and rules.unregistered_alphanumeric is SenderAction.REJECT
            and not is_registered(rules, sender, now_s)
        ):
            raise ApiError(422, "from", f"sender {sender!r} is not registered with {dest.id}")


def _required_str(data: dict[str, Any], name: str, max_chars: int) -> str:
    if name not in data or data[name] is None:
        raise ApiError(422, name, "required")
    return _str(data[name], name, max_chars)


def _optional_str(data: dict[str, Any], name: str, max_chars: int) -> str | None:
    value = data.get(name)
    return None if value is None else _str(value, name, max_chars)


def _str(value: Any, name: str, max_chars: int) -> str:
    if not isinstance(value, str):
        raise ApiError(422, name, f"expected a string, got {type(value).__name__}")
    if not value:
        raise ApiError(422, name, "empty")
    if len(value) > max_chars:
        raise ApiError(422, name, f"longer than {max_chars} characters")
    return value


def parse_message_id(text: str) -> int:
    """A message id from the URL (404 when it cannot be one)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise ApiError(404, "id", f"no message {text[:40]!r}")
    return int(text)
