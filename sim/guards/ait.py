"""AIT guard: blocks SMS pumping (artificially inflated OTP traffic) per number range.

Watches OTP requests per *block* (the number without its last ``drop_digits`` digits):
a block is blocked for ``block_s`` when it gets ``velocity`` requests within
``window_s`` (pumping hits consecutive numbers fast), or when at least ``min_requests``
requests older than ``conversion_grace_s`` converted (were verified) less than
``min_conversion``. When ``escalate_after`` blocks under one wider range (``widen_digits``
more digits dropped) are blocked, the wider range is blocked too. Country and prefix
permissions refuse outright. Every decision is logged.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from sim.guards.base import ALLOW, Action, Verdict
from sim.world.message import Message

_PARAMS = {
    "drop_digits", "window_s", "velocity", "min_requests", "min_conversion",
    "conversion_grace_s", "block_s", "escalate_after", "widen_digits", "kinds",
    "deny_countries", "allow_countries", "deny_prefixes", "watch_countries",
}  # fmt: skip


class AitGuard:
    """Per-prefix velocity and conversion monitoring with blocking windows."""

    name = "ait"
    wants_verifications = True

    def __init__(self, params: Mapping[str, Any]) -> None:
        unknown = set(params) - _PARAMS
        if unknown:
            raise ValueError(f"ait guard: unknown params {sorted(unknown)}")
        self.drop = int(params.get("drop_digits", 3))
        self.window_s = float(params.get("window_s", 120.0))
        self.velocity = int(params.get("velocity", 6))
        self.min_requests = int(params.get("min_requests", 20))
        self.min_conversion = float(params.get("min_conversion", 0.05))
        self.grace_s = float(params.get("conversion_grace_s", 300.0))
        self.block_s = float(params.get("block_s", 3600.0))
        self.escalate_after = int(params.get("escalate_after", 3))
        self.widen = int(params.get("widen_digits", 2))
        self.kinds = frozenset(params.get("kinds", ("otp",)))
        self.deny_countries = frozenset(params.get("deny_countries", ()))
        allow = params.get("allow_countries")
        self.allow_countries = frozenset(allow) if allow is not None else None
        watch = params.get("watch_countries")
        self.watch_countries = frozenset(watch) if watch is not None else None
        self.deny_prefixes = tuple(str(p).lstrip("+") for p in params.get("deny_prefixes", ()))
        if self.drop < 1 or self.velocity < 2 or self.window_s <= 0 or self.block_s <= 0:
            raise ValueError("ait guard: drop_digits >= 1, velocity >= 2, window_s/block_s > 0")
        self._recent: dict[int, deque[float]] = {}
        self._requests: dict[int, deque[tuple[float, int]]] = {}
        self._verified: dict[int, set[int]] = {}
        self._blocked: dict[tuple[int, int], float] = {}  # (level, range) -> until
        self.log: list[tuple[float, str, str]] = []  # (time, action, range)

    def _watched(self, message: Message) -> bool:
        if message.kind not in self.kinds:
            return False
        return self.watch_countries is None or message.country in self.watch_countries

    def check(self, message: Message, now_s: float) -> Verdict:
        if self.deny_countries or self.allow_countries is not None or self.deny_prefixes:
            verdict = self._permissions(message)
            if verdict is not None:
                return verdict
        if not self._watched(message):
            return ALLOW
        block = message.number // 10**self.drop
        wide = block // 10**self.widen
        for key in ((1, wide), (0, block)):
            until = self._blocked.get(key)
            if until is not None and now_s < until:
                return Verdict(Action.REFUSE, reason=self.name)
        recent = self._recent.setdefault(block, deque())
        recent.append(now_s)
        while recent and recent[0] < now_s - self.window_s:
            recent.popleft()
        requests = self._requests.setdefault(block, deque())
        requests.append((now_s, message.msg_id))
        if len(recent) >= self.velocity:
            return self._block(block, now_s, "velocity")
        if self._low_conversion(block, now_s):
            return self._block(block, now_s, "conversion")
        return ALLOW

    def _permissions(self, message: Message) -> Verdict | None:
        if message.country in self.deny_countries or (
            self.allow_countries is not None and message.country not in self.allow_countries
        ):
            return Verdict(Action.REFUSE, reason=f"{self.name}:country")
        digits = str(message.number)
        if any(digits.startswith(p) for p in self.deny_prefixes):
            return Verdict(Action.REFUSE, reason=f"{self.name}:prefix")
        return None

    def _low_conversion(self, block: int, now_s: float) -> bool:
        requests = self._requests[block]
        while requests and requests[0][0] < now_s - self.block_s:
            requests.popleft()
        mature = [msg_id for t, msg_id in requests if t <= now_s - self.grace_s]
        if len(mature) < self.min_requests:
            return False
        verified = self._verified.get(block, set())
        converted = sum(1 for m in mature if m in verified)
        return converted / len(mature) < self.min_conversion

    def _block(self, block: int, now_s: float, why: str) -> Verdict:
        self._blocked[(0, block)] = now_s + self.block_s
        self.log.append((now_s, f"block:{why}", f"+{block}{'x' * self.drop}"))
        wide = block // 10**self.widen
        siblings = sum(
            1
            for (level, other), until in self._blocked.items()
            if level == 0 and until > now_s and other // 10**self.widen == wide
        )
        if siblings >= self.escalate_after and self._blocked.get((1, wide), 0.0) <= now_s:
            self._blocked[(1, wide)] = now_s + self.block_s
            self.log.append((now_s, "block:escalated", f"+{wide}{'x' * (self.drop + self.widen)}"))
        return Verdict(Action.REFUSE, reason=self.name)

    def on_verified(self, message: Message, now_s: float) -> None:
        if self._watched(message):
            self._verified.setdefault(message.number // 10**self.drop, set()).add(message.msg_id)
