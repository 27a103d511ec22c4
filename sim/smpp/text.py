"""Short-message content on the wire: data codings, UDH concatenation, reassembly.

``data_coding`` 0 is the GSM 03.38 default alphabet, one septet per octet (unpacked, as
SMPP carries it; the extension table after 0x1B). Octets 0x80-0xFF never occur in
unpacked GSM-7, so they are read as Latin-1 — what gateways such as Kannel send when
configured with a Latin-1 ``alt-charset``. ``data_coding`` 3 is Latin-1, 1 is IA5
(ASCII), 8 is UCS-2 big-endian (UTF-16 surrogate pairs kept). A long message comes in
parts marked by a user-data header (``esm_class`` 0x40, IEI 0x00 or 0x08) or by the
``sar_*`` TLVs; :class:`Reassembler` joins them. ``message_payload`` (0x0424) carries a
whole long message in one submit.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from sim.smpp.pdu import (
    ESM_UDHI,
    TLV_MESSAGE_PAYLOAD,
    TLV_SAR_MSG_REF_NUM,
    TLV_SAR_SEGMENT_SEQNUM,
    TLV_SAR_TOTAL_SEGMENTS,
    ShortMessage,
)
from sim.world.encoding import _GSM7_TABLE, Encoding, detect_encoding, split_segments

DC_DEFAULT = 0  # GSM-7 (SMSC default alphabet)
DC_IA5 = 1
DC_LATIN1 = 3
DC_UCS2 = 8

_ESC = 0x1B
_GSM7_EXT_CODES = {
    "\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F,
    "[": 0x3C, "~": 0x3D, "]": 0x3E, "|": 0x40, "€": 0x65,
}  # fmt: skip
_GSM7_EXT = {code: char for char, code in _GSM7_EXT_CODES.items()}
_GSM7_CODES = {char: code for code, char in enumerate(_GSM7_TABLE) if code != _ESC}
# decoding table: GSM-7 for 0x00-0x7F, Latin-1 above (0x1B handled apart)
_DECODE = [*_GSM7_TABLE, *(chr(b) for b in range(0x80, 0x100))]


def gsm7_encode(text: str) -> bytes:
    """Unpacked GSM-7 (one septet per octet); ``ValueError`` outside the alphabet."""
    out = bytearray()
    for char in text:
        code = _GSM7_CODES.get(char)
        if code is not None:
            out.append(code)
            continue
        ext = _GSM7_EXT_CODES.get(char)
        if ext is None:
            raise ValueError(f"{char!r} is not in the GSM-7 alphabet")
        out += bytes((_ESC, ext))
    return bytes(out)


def gsm7_decode(data: bytes) -> str:
    """Unpacked GSM-7 to text (octets >= 0x80 as Latin-1; an unknown escape as space)."""
    if _ESC not in data:
        return "".join([_DECODE[b] for b in data])
    chars: list[str] = []
    escaped = False
    for b in data:
        if escaped:
            chars.append(_GSM7_EXT.get(b, " "))
            escaped = False
        elif b == _ESC:
            escaped = True
        else:
            chars.append(_DECODE[b])
    return "".join(chars)


def decode_text(data_coding: int, data: bytes) -> str:
    """The text of a short message under ``data_coding`` (never raises)."""
    coding = data_coding & 0x0F if data_coding & 0xF0 == 0xF0 else data_coding
    if coding == DC_UCS2:
        return data.decode("utf-16-be", errors="replace")
    if coding == DC_DEFAULT:
        return gsm7_decode(data)
    return data.decode("latin-1")


def encode_text(text: str) -> tuple[int, bytes]:
    """(``data_coding``, octets): GSM-7 when the alphabet allows, else UCS-2."""
    if detect_encoding(text) is Encoding.GSM7:
        return DC_DEFAULT, gsm7_encode(text)
    return DC_UCS2, text.encode("utf-16-be")


@dataclass(frozen=True, slots=True)
class Concat:
    """Which part of which concatenated message a submit carries."""

    ref: int
    total: int
    seq: int


def udh_concat(ref: int, total: int, seq: int) -> bytes:
    """A user-data header with the 8-bit concatenation element (IEI 0x00)."""
    return bytes((5, 0x00, 3, ref & 0xFF, total, seq))


def _from_udh(data: bytes) -> tuple[Concat | None, bytes]:
    if not data:
        return None, data
    end = 1 + data[0]
    if end > len(data):
        return None, data  # a header longer than the message: keep the octets as text
    concat: Concat | None = None
    pos = 1
    while pos + 2 <= end:
        iei, size = data[pos], data[pos + 1]
        value = data[pos + 2 : pos + 2 + size]
        if iei == 0x00 and size == 3 and len(value) == 3:
            concat = Concat(value[0], value[1], value[2])
        elif iei == 0x08 and size == 4 and len(value) == 4:
            concat = Concat(struct.unpack(">H", value[:2])[0], value[2], value[3])
        pos += 2 + size
    return concat, data[end:]


def _int(value: bytes | None) -> int | None:
    return int.from_bytes(value, "big") if value else None


def message_content(sm: ShortMessage) -> tuple[Concat | None, str]:
    """The concatenation marker (if any) and the text of a submit_sm."""
    data = sm.tlvs.get(TLV_MESSAGE_PAYLOAD, sm.short_message)
    concat: Concat | None = None
    if sm.esm_class & ESM_UDHI:
        concat, data = _from_udh(data)
    else:
        ref = _int(sm.tlvs.get(TLV_SAR_MSG_REF_NUM))
        total = _int(sm.tlvs.get(TLV_SAR_TOTAL_SEGMENTS))
        seq = _int(sm.tlvs.get(TLV_SAR_SEGMENT_SEQNUM))
        if ref is not None and total is not None and seq is not None:
            concat = Concat(ref, total, seq)
    if concat is not None and not (1 <= concat.seq <= concat.total and concat.total > 1):
        concat = None  # not a usable marker (a single part, or out of range): one message
    return concat, decode_text(sm.data_coding, data)


def concatenated_parts(text: str, ref: int) -> list[tuple[int, int, bytes]]:
    """(``esm_class``, ``data_coding``, ``short_message``) of each part of ``text``:
    one part without a header when it fits, else UDH-concatenated parts (client side)."""
    coding, _ = encode_text(text)
    parts = split_segments(text)
    if len(parts) == 1:
        return [(0, coding, encode_text(text)[1])]
    encoder = gsm7_encode if coding == DC_DEFAULT else (lambda t: t.encode("utf-16-be"))
    return [
        (ESM_UDHI, coding, udh_concat(ref, len(parts), i) + encoder(part))
        for i, part in enumerate(parts, start=1)
    ]


@dataclass(slots=True)
class PendingConcat:
    """Parts of one concatenated message received so far (part number -> text)."""

    total: int
    first_s: float
    parts: dict[int, str] = field(default_factory=dict)
    receipt_ids: dict[int, int] = field(default_factory=dict)  # part -> submit id
    last_submit_id: int = 0

    def text(self) -> str:
        return "".join(self.parts[i] for i in sorted(self.parts))


ConcatKey = tuple[str, str, int, int]  # (source, destination, reference, total)


class Reassembler:
    """Joins the parts of concatenated messages (a resent part replaces the earlier)."""

    def __init__(self) -> None:
        self.pending: dict[ConcatKey, PendingConcat] = {}

    def add(
        self,
        source: str,
        destination: str,
        concat: Concat,
        text: str,
        submit_id: int,
        now_s: float,
        receipt: bool,
    ) -> PendingConcat | None:
        """Add one part (``receipt``: its submit asked for a receipt); the whole message
        once its last missing part arrived."""
        key = (source, destination, concat.ref, concat.total)
        entry = self.pending.get(key)
        if entry is None:
            entry = self.pending[key] = PendingConcat(concat.total, now_s)
        entry.parts[concat.seq] = text
        entry.last_submit_id = submit_id
        if receipt:
            entry.receipt_ids[concat.seq] = submit_id
        else:
            entry.receipt_ids.pop(concat.seq, None)
        if len(entry.parts) < entry.total:
            return None
        del self.pending[key]
        return entry

    def drain(self) -> list[tuple[ConcatKey, PendingConcat]]:
        """Every incomplete message, removed (at shutdown)."""
        items = list(self.pending.items())
        self.pending.clear()
        return items
