"""SMPP 3.4 PDU codec: framing, the bodies the simulated carriers speak, TLVs.

A PDU is a 16-byte header (``command_length``, ``command_id``, ``command_status``,
``sequence_number``, big-endian) and a body. :func:`encode` and :func:`decode` handle
bind_transmitter/receiver/transceiver (+ ``_resp``), unbind, enquire_link, submit_sm and
deliver_sm (+ ``_resp``) and generic_nack; any other command id decodes to a
:class:`Pdu` whose body is the raw bytes, so a server can answer ``generic_nack``.
Malformed input raises :class:`PduError` (one line, with the sequence number when the
header was readable). Hand-written with :mod:`struct`; no SMPP library.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

HEADER = struct.Struct(">IIII")
HEADER_BYTES = 16
MAX_PDU_BYTES = 64 * 1024

# command ids
GENERIC_NACK = 0x80000000
BIND_RECEIVER = 0x00000001
BIND_TRANSMITTER = 0x00000002
SUBMIT_SM = 0x00000004
DELIVER_SM = 0x00000005
UNBIND = 0x00000006
BIND_TRANSCEIVER = 0x00000009
ENQUIRE_LINK = 0x00000015
RESP = 0x80000000  # a response's id is its request's id | RESP
BIND_IDS = frozenset({BIND_RECEIVER, BIND_TRANSMITTER, BIND_TRANSCEIVER})

# command statuses (beyond sim.world.smpp.SubmitStatus, which the world model answers)
ESME_ROK = 0x00
ESME_RINVCMDLEN = 0x02
ESME_RINVCMDID = 0x03
ESME_RINVBNDSTS = 0x04
ESME_RALYBND = 0x05
ESME_RSYSERR = 0x08
ESME_RINVDSTADR = 0x0B
ESME_RBINDFAIL = 0x0D
ESME_RINVPASWD = 0x0E
ESME_RINVSYSID = 0x0F
ESME_RMSGQFUL = 0x14
ESME_RSUBMITFAIL = 0x45
ESME_RTHROTTLED = 0x58

# TLV tags
TLV_SC_INTERFACE_VERSION = 0x0210
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427
TLV_MESSAGE_PAYLOAD = 0x0424
TLV_SAR_MSG_REF_NUM = 0x020C
TLV_SAR_TOTAL_SEGMENTS = 0x020E
TLV_SAR_SEGMENT_SEQNUM = 0x020F

# esm_class bits
ESM_RECEIPT = 0x04
ESM_UDHI = 0x40

# C-Octet String sizes, NUL included (SMPP 3.4 §5.2)
_MAX = {
    "system_id": 16, "password": 9, "system_type": 13, "address_range": 41,
    "service_type": 6, "addr": 21, "time": 17, "message_id": 65,
}  # fmt: skip


class PduError(ValueError):
    """Malformed SMPP input (one line); ``sequence`` is known when the header was read."""

    def __init__(self, reason: str, sequence: int = 0, command_id: int = 0) -> None:
        super().__init__(reason)
        self.sequence = sequence
        self.command_id = command_id


@dataclass(slots=True)
class Bind:
    """Body of bind_transmitter / bind_receiver / bind_transceiver."""

    system_id: str = ""
    password: str = ""
    system_type: str = ""
    interface_version: int = 0x34
    addr_ton: int = 0
    addr_npi: int = 0
    address_range: str = ""


@dataclass(slots=True)
class BindResp:
    """Body of a bind ``_resp`` (may be empty on an error status)."""

    system_id: str = ""
    tlvs: dict[int, bytes] = field(default_factory=dict)


@dataclass(slots=True)
class ShortMessage:
    """Body of submit_sm and deliver_sm (same layout in SMPP 3.4)."""

    service_type: str = ""
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""
    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""
    esm_class: int = 0
    protocol_id: int = 0
    priority_flag: int = 0
    schedule_delivery_time: str = ""
    validity_period: str = ""
    registered_delivery: int = 0
    replace_if_present_flag: int = 0
    data_coding: int = 0
    sm_default_msg_id: int = 0
    short_message: bytes = b""
    tlvs: dict[int, bytes] = field(default_factory=dict)


@dataclass(slots=True)
class MessageIdResp:
    """Body of submit_sm_resp and deliver_sm_resp (may be empty on an error status)."""

    message_id: str = ""


Body = Bind | BindResp | ShortMessage | MessageIdResp | bytes | None


@dataclass(slots=True)
class Pdu:
    """One PDU; ``body`` is None for header-only PDUs, raw bytes for unknown commands."""

    command_id: int
    sequence: int
    status: int = ESME_ROK
    body: Body = None

    @property
    def known(self) -> bool:
        return self.command_id in _BODY_KIND

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & RESP)


_EMPTY, _BIND, _BIND_RESP, _SM, _ID_RESP = range(5)
_BODY_KIND = {
    GENERIC_NACK: _EMPTY,
    BIND_RECEIVER: _BIND, BIND_TRANSMITTER: _BIND, BIND_TRANSCEIVER: _BIND,
    BIND_RECEIVER | RESP: _BIND_RESP, BIND_TRANSMITTER | RESP: _BIND_RESP,
    BIND_TRANSCEIVER | RESP: _BIND_RESP,
    UNBIND: _EMPTY, UNBIND | RESP: _EMPTY, ENQUIRE_LINK: _EMPTY, ENQUIRE_LINK | RESP: _EMPTY,
    SUBMIT_SM: _SM, DELIVER_SM: _SM,
    SUBMIT_SM | RESP: _ID_RESP, DELIVER_SM | RESP: _ID_RESP,
}  # fmt: skip


# ------------------------------------------------------------------------ decoding
class _Reader:
    __slots__ = ("data", "pos", "sequence")

    def __init__(self, data: bytes, pos: int, sequence: int) -> None:
        self.data = data
        self.pos = pos
        self.sequence = sequence

    def fail(self, reason: str) -> PduError:
        return PduError(reason, self.sequence)

    def cstring(self, name: str, size: int) -> str:
        end = self.data.find(b"\0", self.pos, self.pos + size)
        if end < 0:
            if len(self.data) - self.pos < size:
                raise self.fail(f"truncated body: {name} has no NUL terminator")
            raise self.fail(f"{name} longer than {size - 1} characters")
        text = self.data[self.pos : end].decode("latin-1")
        self.pos = end + 1
        return text

    def u8(self, name: str) -> int:
        if self.pos >= len(self.data):
            raise self.fail(f"truncated body: missing {name}")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def octets(self, name: str, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.data):
            raise self.fail(f"truncated body: {name} needs {size} bytes")
        value = self.data[self.pos : end]
        self.pos = end
        return value

    def tlvs(self) -> dict[int, bytes]:
        data, pos, end = self.data, self.pos, len(self.data)
        out: dict[int, bytes] = {}
        while pos < end:
            if end - pos < 4:
                raise self.fail("truncated TLV header")
            tag, size = struct.unpack_from(">HH", data, pos)
            pos += 4
            if pos + size > end:
                raise self.fail(f"TLV 0x{tag:04X} claims {size} bytes, {end - pos} left")
            out[tag] = data[pos : pos + size]
            pos += size
        self.pos = pos
        return out

    def done(self, what: str) -> None:
        if self.pos != len(self.data):
            raise self.fail(f"{len(self.data) - self.pos} stray bytes after {what}")


def frame_length(header: bytes | bytearray) -> int:
    """The ``command_length`` of a frame from its first 4 bytes, checked."""
    if len(header) < 4:
        raise PduError("truncated header")
    length = int.from_bytes(header[:4], "big")
    if length < HEADER_BYTES:
        raise PduError(f"command_length {length} below the 16-byte header")
    if length > MAX_PDU_BYTES:
        raise PduError(f"command_length {length} over {MAX_PDU_BYTES} bytes")
    return length


def decode(frame: bytes) -> Pdu:
    """One PDU from exactly one frame (``command_length`` bytes)."""
    length = frame_length(frame)
    if len(frame) != length:
        raise PduError(f"command_length {length} but the frame has {len(frame)} bytes")
    _, command_id, status, sequence = HEADER.unpack_from(frame)
    kind = _BODY_KIND.get(command_id)
    if kind is None:
        return Pdu(command_id, sequence, status, bytes(frame[HEADER_BYTES:]))
    r = _Reader(bytes(frame), HEADER_BYTES, sequence)
    body: Body = None
    if kind == _EMPTY:
        r.done("a header-only PDU")
    elif kind == _BIND:
        body = Bind(
            r.cstring("system_id", _MAX["system_id"]), r.cstring("password", _MAX["password"]),
            r.cstring("system_type", _MAX["system_type"]), r.u8("interface_version"),
            r.u8("addr_ton"), r.u8("addr_npi"), r.cstring("address_range", _MAX["address_range"]),
        )  # fmt: skip
        r.done("bind")
    elif kind == _BIND_RESP:
        if r.pos < length:
            body = BindResp(r.cstring("system_id", _MAX["system_id"]), r.tlvs())
        else:
            body = BindResp()
    elif kind == _ID_RESP:
        body = MessageIdResp(r.cstring("message_id", _MAX["message_id"]) if r.pos < length else "")
        r.done("message_id")
    else:
        body = _short_message(r)
    return Pdu(command_id, sequence, status, body)


def _short_message(r: _Reader) -> ShortMessage:
    addr, time = _MAX["addr"], _MAX["time"]
    sm = ShortMessage(
        r.cstring("service_type", _MAX["service_type"]), r.u8("source_addr_ton"),
        r.u8("source_addr_npi"), r.cstring("source_addr", addr), r.u8("dest_addr_ton"),
        r.u8("dest_addr_npi"), r.cstring("destination_addr", addr), r.u8("esm_class"),
        r.u8("protocol_id"), r.u8("priority_flag"), r.cstring("schedule_delivery_time", time),
        r.cstring("validity_period", time), r.u8("registered_delivery"),
        r.u8("replace_if_present_flag"), r.u8("data_coding"), r.u8("sm_default_msg_id"),
    )  # fmt: skip
    sm.short_message = r.octets("short_message", r.u8("sm_length"))
    sm.tlvs = r.tlvs()
    if TLV_MESSAGE_PAYLOAD in sm.tlvs and sm.short_message:
        raise r.fail("both short_message and message_payload are set")
    return sm


# ------------------------------------------------------------------------ encoding
def _cstring(value: str, name: str, size: int) -> bytes:
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:
        raise PduError(f"{name} {value!r} is not Latin-1 text") from None
    if b"\0" in raw or len(raw) >= size:
        raise PduError(f"{name} {value!r}: at most {size - 1} characters, no NUL")
    return raw + b"\0"


def _tlv_bytes(tlvs: dict[int, bytes]) -> bytes:
    out = bytearray()
    for tag, value in tlvs.items():
        if not 0 <= tag <= 0xFFFF or len(value) > 0xFFFF:
            raise PduError(f"TLV 0x{tag:04X} out of range")
        out += struct.pack(">HH", tag, len(value)) + value
    return bytes(out)


def _body_bytes(pdu: Pdu) -> bytes:
    b = pdu.body
    if b is None:
        return b""
    if isinstance(b, bytes):
        return b
    if isinstance(b, MessageIdResp):
        return _cstring(b.message_id, "message_id", _MAX["message_id"])
    if isinstance(b, BindResp):
        return _cstring(b.system_id, "system_id", _MAX["system_id"]) + _tlv_bytes(b.tlvs)
    if isinstance(b, Bind):
        return b"".join((
            _cstring(b.system_id, "system_id", _MAX["system_id"]),
            _cstring(b.password, "password", _MAX["password"]),
            _cstring(b.system_type, "system_type", _MAX["system_type"]),
            bytes((b.interface_version, b.addr_ton, b.addr_npi)),
            _cstring(b.address_range, "address_range", _MAX["address_range"]),
        ))  # fmt: skip
    if len(b.short_message) > 254:
        raise PduError(f"short_message of {len(b.short_message)} bytes (max 254)")
    addr, time = _MAX["addr"], _MAX["time"]
    return b"".join((
        _cstring(b.service_type, "service_type", _MAX["service_type"]),
        bytes((b.source_addr_ton, b.source_addr_npi)),
        _cstring(b.source_addr, "source_addr", addr),
        bytes((b.dest_addr_ton, b.dest_addr_npi)),
        _cstring(b.destination_addr, "destination_addr", addr),
        bytes((b.esm_class, b.protocol_id, b.priority_flag)),
        _cstring(b.schedule_delivery_time, "schedule_delivery_time", time),
        _cstring(b.validity_period, "validity_period", time),
        bytes((b.registered_delivery, b.replace_if_present_flag, b.data_coding,
               b.sm_default_msg_id, len(b.short_message))),
        b.short_message,
        _tlv_bytes(b.tlvs),
    ))  # fmt: skip


def encode(pdu: Pdu) -> bytes:
    """The wire bytes of ``pdu`` (raises :class:`PduError` on values SMPP cannot carry)."""
    try:
        body = _body_bytes(pdu)
        length = HEADER_BYTES + len(body)
        if length > MAX_PDU_BYTES:
            raise PduError(f"PDU of {length} bytes over {MAX_PDU_BYTES}")
        return HEADER.pack(length, pdu.command_id, pdu.status, pdu.sequence) + body
    except PduError:
        raise
    except (ValueError, struct.error) as exc:  # a byte or header value out of range
        raise PduError(f"field out of range: {exc}") from None


def response(request: Pdu, status: int = ESME_ROK, body: Body = None) -> Pdu:
    """The response PDU to ``request`` (same sequence number)."""
    return Pdu(request.command_id | RESP, request.sequence, status, body)


def generic_nack(sequence: int, status: int) -> bytes:
    """A ``generic_nack`` frame."""
    return HEADER.pack(HEADER_BYTES, GENERIC_NACK, status, sequence)
