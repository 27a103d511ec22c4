"""The guard contract: before a strategy chooses, each guard may hold or refuse.

A guard sees what the router sees (the message, the clock, and observations such as
OTP verifications); it never sees handsets. Its decisions are recorded with the
message: a refusal is the message's terminal state, a hold delays its routing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sim.world.message import Message


class Action(StrEnum):
    ALLOW = "allow"
    HOLD = "hold"
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A guard's decision; ``until_s`` for holds, ``reason`` for holds and refusals."""

    action: Action
    until_s: float = 0.0
    reason: str = ""


ALLOW = Verdict(Action.ALLOW)


class Guard(Protocol):
    """Checks a message before routing."""

    name: str

    def check(self, message: Message, now_s: float) -> Verdict:
        """ALLOW, HOLD until a time, or REFUSE with a reason."""
        ...

    def on_verified(self, message: Message, now_s: float) -> None:
        """The user verified this OTP (a conversion signal)."""
        ...
