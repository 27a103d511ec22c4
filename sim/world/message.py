"""Message: one customer message as the router holds it while routing it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Message:
    """A message as the router knows it (and the router's own bookkeeping of it)."""

    msg_id: int
    kind: str
    destination: str
    country: str
    operator: str
    number: int
    sender: str
    text: str
    segments: int
    created_s: float
    bulk: bool = False
    test_number: bool = False
    destination_index: int = 0
    attempt: int = 1
    tried: list[int] = field(default_factory=list)
    queued_s: float = 0.0
    submitted_s: float = 0.0
    guard: str = ""  # the guard that held or refused it ("" when none did)
    probe: bool = False  # a test message of the route-testing team
