"""SMS text encoding and segmentation (GSM 03.38 / 3GPP TS 23.038 semantics).

A text is sent as GSM-7 when every character is in the default alphabet or its
extension table, otherwise as UCS-2. Lengths are counted in *units*: septets for
GSM-7 (an extension character is an escape pair, 2 septets) and UTF-16 code units
for UCS-2 (a character outside the BMP, e.g. an emoji, is a surrogate pair, 2 units).

A single SMS holds 160 septets or 70 UCS-2 units. A longer text is concatenated:
the user-data header leaves 153 septets or 67 units per part, and parts are filled
greedily without ever splitting an escape pair or a surrogate pair across parts.
``segment_info`` and ``split_segments`` share one splitting routine, so the segment
count always equals the number of parts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "MAX_SEGMENTS",
    "Encoding",
    "SegmentInfo",
    "check_text",
    "detect_encoding",
    "segment_info",
    "split_segments",
]

_ESC = "\x1b"

# The GSM 03.38 default alphabet in code order 0x00-0x7F (0x1B is the escape to the
# extension table and is not a character of its own).
_GSM7_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ" + _ESC + "ÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(_GSM7_TABLE) == 128

GSM7_BASIC: frozenset[str] = frozenset(_GSM7_TABLE) - {_ESC}
"""The 127 usable characters of the GSM-7 default alphabet (1 septet each)."""

GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[]~|€")
"""The GSM-7 extension table characters (escape + code: 2 septets each)."""

_GSM7_ALL: frozenset[str] = GSM7_BASIC | GSM7_EXTENSION

MAX_SEGMENTS = 255
"""Protocol limit on parts of a concatenated SMS (8-bit part counter)."""

_GSM7_SINGLE, _GSM7_PART = 160, 153
_UCS2_SINGLE, _UCS2_PART = 70, 67


class Encoding(StrEnum):
    """Data coding scheme of an SMS."""

    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """Encoding, length in units (septets or UTF-16 code units) and segment count."""

    encoding: Encoding
    units: int
    segments: int


def detect_encoding(text: str) -> Encoding:
    """GSM-7 if every character is in the basic or extension table, else UCS-2."""
    return Encoding.GSM7 if _GSM7_ALL.issuperset(text) else Encoding.UCS2


def _gsm7_cost(char: str) -> int:
    return 2 if char in GSM7_EXTENSION else 1


def _ucs2_cost(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _measure(text: str) -> tuple[Encoding, int, bool]:
    """Encoding, total units, and whether every character costs exactly one unit."""
    encoding = detect_encoding(text)
    if encoding is Encoding.GSM7:
        doubles = sum(1 for c in text if c in GSM7_EXTENSION)
    else:
        doubles = len(text.encode("utf-16-le")) // 2 - len(text)
    return encoding, len(text) + doubles, doubles == 0


def _part_ends(text: str, encoding: Encoding, units: int, uniform: bool) -> Iterator[int]:
    """Yield the end index (exclusive, in characters) of each part, greedily filled."""
    if encoding is Encoding.GSM7:
        single, per_part, cost = _GSM7_SINGLE, _GSM7_PART, _gsm7_cost
    else:
        single, per_part, cost = _UCS2_SINGLE, _UCS2_PART, _ucs2_cost
    if units <= single:
        yield len(text)
        return
    if uniform:  # every character is one unit: plain fixed-size chunks
        yield from range(per_part, len(text), per_part)
        yield len(text)
        return
    used = 0
    for index, char in enumerate(text):
        width = cost(char)
        if used + width > per_part:  # would overflow or straddle: start a new part
            yield index
            used = 0
        used += width
    yield len(text)


def segment_info(text: str) -> SegmentInfo:
    """Encoding, unit count and number of segments (an empty text is one segment)."""
    encoding, units, uniform = _measure(text)
    segments = sum(1 for _ in _part_ends(text, encoding, units, uniform))
    return SegmentInfo(encoding=encoding, units=units, segments=segments)


def split_segments(text: str) -> list[str]:
    """The parts the text is sent as; ``"".join(parts) == text`` (``""`` gives ``[""]``)."""
    encoding, units, uniform = _measure(text)
    parts: list[str] = []
    start = 0
    for end in _part_ends(text, encoding, units, uniform):
        parts.append(text[start:end])
        start = end
    return parts


def check_text(text: str, max_segments: int = 10) -> SegmentInfo:
    """``segment_info(text)``, raising ``ValueError`` if it needs over ``max_segments``."""
    if not 1 <= max_segments <= MAX_SEGMENTS:
        raise ValueError(f"max_segments must be in 1..{MAX_SEGMENTS}, got {max_segments}")
    info = segment_info(text)
    if info.segments > max_segments:
        raise ValueError(
            f"text needs {info.segments} segments ({info.encoding}, {info.units} units); "
            f"the limit is {max_segments}"
        )
    return info
