"""Sender-ID rules of a destination network, applied to the sender as it arrives."""

from __future__ import annotations

import re
from functools import lru_cache

from sim.scenario import SenderAction, SenderRules
from sim.world.sender import SenderType, classify_sender, random_numeric_sender


@lru_cache(maxsize=4096)
def sender_type(sender: str) -> SenderType:
    """Cached :func:`classify_sender` (a route's random numeric senders classify too)."""
    return classify_sender(sender)


def is_registered(rules: SenderRules, sender: str, now_s: float) -> bool:
    """Whether ``sender`` is registered and its registration is live at ``now_s``."""
    return any(r.sender == sender and now_s >= r.from_s for r in rules.registered)


_STOP = re.compile(r"\bSTOP\b", re.IGNORECASE)


def is_compliant(rules: SenderRules, kind: str, sender: str, text: str) -> bool:
    """Whether a message of ``kind`` meets the market's sender and STOP rules (e.g.
    France: marketing from a 36xxx short code with a STOP mention)."""
    pattern = rules.kind_senders.get(kind)
    if pattern is not None and re.fullmatch(pattern, sender) is None:
        return False
    return not (kind in rules.stop_required and _STOP.search(text) is None)


def received_sender(
    rules: SenderRules,
    sender: str,
    now_s: float,
    calling_code: str,
    u: float,
    kind: str = "",
    text: str = "",
) -> str | None:
    """The sender the handset shows, or ``None`` when the network rejects the message."""
    if (rules.kind_senders or rules.stop_required) and not is_compliant(rules, kind, sender, text):
        return _ACTIONS[rules.noncompliant](sender, rules, calling_code, u)
    # a random number a route put in is a long code: skip classifying (it never repeats)
    sender_kind = SenderType.LONGCODE if sender.startswith("+") else sender_type(sender)
    if sender_kind not in rules.allowed_types:
        action = rules.disallowed_type
    elif (
        sender_kind is SenderType.ALPHANUMERIC
        and rules.registration_required
        and not is_registered(rules, sender, now_s)
    ):
        action = rules.unregistered_alphanumeric
    else:
        return sender
    return _ACTIONS[action](sender, rules, calling_code, u)


def _keep(sender: str, rules: SenderRules, calling_code: str, u: float) -> str | None:
    return sender


def _numeric(sender: str, rules: SenderRules, calling_code: str, u: float) -> str | None:
    return random_numeric_sender(calling_code, u)


def _generic(sender: str, rules: SenderRules, calling_code: str, u: float) -> str | None:
    return rules.generic_sender


def _reject(sender: str, rules: SenderRules, calling_code: str, u: float) -> str | None:
    return None


_ACTIONS = {
    SenderAction.KEEP: _keep,
    SenderAction.REWRITE_NUMERIC: _numeric,
    SenderAction.REWRITE_GENERIC: _generic,
    SenderAction.REJECT: _reject,
}
