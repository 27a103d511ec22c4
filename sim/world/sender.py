"""Sender IDs (originators): alphanumeric names, short codes and long numbers.

An SMS originator is one of three kinds: an *alphanumeric* name (up to 11 GSM
characters, e.g. ``ACME Bank``), a *short code* (3-8 digits, country-specific), or
a *long code*, a full international number in E.164 form (up to 15 digits). Grey
routes often rewrite the sender to a random long number; ``random_numeric_sender``
builds one from a uniform draw supplied by the caller.
"""

from __future__ import annotations

import string
from enum import StrEnum

__all__ = ["SenderType", "classify_sender", "normalize_e164", "random_numeric_sender"]

_ALNUM_MAX = 11
_SHORTCODE_DIGITS = (3, 8)
_LONGCODE_DIGITS = (9, 15)
_E164_DIGITS = (8, 15)
_SUBSCRIBER_DIGITS = 9
_ASCII_DIGITS = frozenset(string.digits)
_ASCII_LETTERS = frozenset(string.ascii_letters)
_ALNUM_CHARS = _ASCII_LETTERS | _ASCII_DIGITS | frozenset(" .&'-_")
_SEPARATORS = frozenset(" \t-.()")
_SHOWN_MAX = 24


class SenderType(StrEnum):
    """Kind of originator."""

    ALPHANUMERIC = "alphanumeric"
    SHORTCODE = "shortcode"
    LONGCODE = "longcode"


def _shown(value: str) -> str:
    """Quoted, one-line, length-capped form of ``value`` for error messages."""
    clipped = value if len(value) <= _SHOWN_MAX else value[:_SHOWN_MAX] + "…"
    return repr(clipped)


def _is_digits(value: str) -> bool:
    return bool(value) and _ASCII_DIGITS.issuperset(value)


def _sender_error(sender: str, why: str) -> ValueError:
    return ValueError(f"sender {_shown(sender)}: {why}")


def classify_sender(sender: str) -> SenderType:
    """Classify an originator as it appears on the wire.

    * short code: 3-8 ASCII digits;
    * long code: optional ``+`` then 9-15 ASCII digits (E.164);
    * alphanumeric: 1-11 characters from ASCII letters, digits, space and
      ``. & ' - _``, with at least one letter.

    Raises ``ValueError("sender '…': <reason>")`` for anything else.
    """
    if not sender:
        raise _sender_error(sender, "empty")
    numeric = sender[1:] if sender.startswith("+") else sender
    if _is_digits(numeric):
        digits = len(numeric)
        low, high = _SHORTCODE_DIGITS
        if low <= digits <= high and not sender.startswith("+"):
            return SenderType.SHORTCODE
        low, high = _LONGCODE_DIGITS
        if low <= digits <= high:
            return SenderType.LONGCODE
        raise _sender_error(
            sender,
            f"{digits} digits is neither a short code (3-8 digits) "
            "nor a long code (optional + and 9-15 digits)",
        )
    if sender.startswith("+"):
        raise _sender_error(sender, "a long code is + followed by digits only")
    bad = sorted(set(sender) - _ALNUM_CHARS)
    if bad:
        listed = "".join(bad)
        raise _sender_error(sender, f"invalid characters {listed!r} for alphanumeric")
    if len(sender) > _ALNUM_MAX:
        raise _sender_error(sender, f"too long for alphanumeric (max {_ALNUM_MAX})")
    if _ASCII_LETTERS.isdisjoint(sender):
        raise _sender_error(sender, "alphanumeric sender needs at least one letter")
    return SenderType.ALPHANUMERIC


def random_numeric_sender(country_code: str, u: float) -> str:
    """A plausible long number ``+<cc><9 digits>`` chosen by the uniform draw ``u``.

    ``country_code`` is 1-3 digits, optionally prefixed by ``+``, not starting with
    0. The 9-digit subscriber part never starts with 0 and increases with ``u``, so
    equal draws give equal numbers. Raises ``ValueError`` for a bad code or ``u``
    outside [0, 1).
    """
    cc = country_code.removeprefix("+")
    if not (_is_digits(cc) and len(cc) <= 3 and cc[0] != "0"):
        raise ValueError(
            f"country code {_shown(country_code)}: needs 1-3 digits not starting with 0"
        )
    if not 0.0 <= u < 1.0:
        raise ValueError(f"u must be in [0, 1), got {u!r}")
    low = 10 ** (_SUBSCRIBER_DIGITS - 1)
    span = 10**_SUBSCRIBER_DIGITS - low
    subscriber = low + min(int(u * span), span - 1)
    return f"+{cc}{subscriber}"


def normalize_e164(number: str) -> str:
    """Normalize a written phone number to E.164 (``+`` and 8-15 digits).

    Spaces, tabs, dashes, dots and parentheses are removed; a leading ``00`` becomes
    ``+``; for an international number (``+`` or ``00``) a ``(0)`` trunk-prefix group,
    as in ``+33 (0)6 12 34 56 78``, is dropped. The first digit must not be 0. Raises
    ``ValueError("number '…': <reason>")`` otherwise.
    """
    compact = number.strip()
    if compact.startswith(("+", "00")):
        compact = compact.replace("(0)", "")
    compact = "".join(c for c in compact if c not in _SEPARATORS)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    low, high = _E164_DIGITS
    if not compact.startswith("+"):
        raise ValueError(f"number {_shown(number)}: not E.164 (needs + and {low}-{high} digits)")
    digits = compact[1:]
    bad = sorted(set(digits) - _ASCII_DIGITS)
    if bad:
        raise ValueError(f"number {_shown(number)}: invalid characters {''.join(bad)!r}")
    if not low <= len(digits) <= high:
        raise ValueError(
            f"number {_shown(number)}: not E.164 (needs + and {low}-{high} digits, "
            f"got {len(digits)})"
        )
    if digits[0] == "0":
        raise ValueError(f"number {_shown(number)}: country code cannot start with 0")
    return compact
