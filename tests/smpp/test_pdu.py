"""The SMPP codec: round-trips of every PDU used, malformed input, text codings."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.smpp import pdu as p
from sim.smpp.receipt import parse_receipt, receipt_pdu
from sim.smpp.text import (
    DC_DEFAULT,
    DC_UCS2,
    Concat,
    Reassembler,
    concatenated_parts,
    decode_text,
    encode_text,
    gsm7_decode,
    gsm7_encode,
    message_content,
)
from sim.world.smpp import DlrStatus

SM = p.ShortMessage(
    service_type="CMT", source_addr_ton=5, source_addr="ACMEBANK", dest_addr_ton=1,
    dest_addr_npi=1, destination_addr="33671234567", esm_class=0x40, registered_delivery=1,
    data_coding=8, short_message=b"\x05\x00\x03\x07\x02\x01" + "Привет".encode("utf-16-be"),
    tlvs={p.TLV_SAR_MSG_REF_NUM: b"\x00\x07"},
)  # fmt: skip
PDUS = [
    p.Pdu(p.BIND_TRANSMITTER, 1, body=p.Bind("r1", "secret", "VMA", 0x34, 1, 1, "^336")),
    p.Pdu(p.BIND_RECEIVER, 2, body=p.Bind("r1", "secret")),
    p.Pdu(p.BIND_TRANSCEIVER, 3, body=p.Bind("r1", "secret")),
    p.Pdu(p.BIND_TRANSMITTER | p.RESP, 1, body=p.BindResp("smsc", {0x0210: b"\x34"})),
    p.Pdu(p.BIND_RECEIVER | p.RESP, 2, 0x0E, body=p.BindResp("smsc")),
    p.Pdu(p.BIND_TRANSCEIVER | p.RESP, 3, body=p.BindResp("smsc")),
    p.Pdu(p.UNBIND, 4),
    p.Pdu(p.UNBIND | p.RESP, 4),
    p.Pdu(p.ENQUIRE_LINK, 5),
    p.Pdu(p.ENQUIRE_LINK | p.RESP, 5),
    p.Pdu(p.SUBMIT_SM, 6, body=SM),
    p.Pdu(p.SUBMIT_SM | p.RESP, 6, body=p.MessageIdResp("abc123")),
    p.Pdu(p.SUBMIT_SM | p.RESP, 7, 0x58, body=p.MessageIdResp("")),
    p.Pdu(p.DELIVER_SM, 8, body=p.ShortMessage(
        source_addr="33671234567", destination_addr="ACME", esm_class=4, short_message=b"id:1",
        tlvs={p.TLV_RECEIPTED_MESSAGE_ID: b"1\0", p.TLV_MESSAGE_STATE: b"\x02"})),
    p.Pdu(p.DELIVER_SM | p.RESP, 8, body=p.MessageIdResp("")),
    p.Pdu(p.GENERIC_NACK, 9, p.ESME_RINVCMDLEN),
    p.Pdu(p.SUBMIT_SM, 10, body=p.ShortMessage(
        destination_addr="1", tlvs={p.TLV_MESSAGE_PAYLOAD: b"x" * 1000})),
]  # fmt: skip


@pytest.mark.parametrize("pdu", PDUS, ids=lambda x: f"0x{x.command_id:08X}-{x.sequence}")
def test_round_trip(pdu: p.Pdu) -> None:
    frame = p.encode(pdu)
    assert struct.unpack(">I", frame[:4])[0] == len(frame)
    assert p.decode(frame) == pdu
    assert p.encode(p.decode(frame)) == frame


def test_known_wire_bytes() -> None:
    frame = p.encode(p.Pdu(p.ENQUIRE_LINK, 0x01020304))
    assert frame == bytes.fromhex("00000010 00000015 00000000 01020304")
    bind = p.encode(p.Pdu(p.BIND_TRANSMITTER, 1, body=p.Bind("ab", "pw")))
    assert bind[16:] == b"ab\0pw\0\0\x34\x00\x00\0"


def test_error_responses_without_body_decode() -> None:
    header = struct.pack(">IIII", 16, p.SUBMIT_SM | p.RESP, 0x58, 3)
    assert p.decode(header).body == p.MessageIdResp("")
    header = struct.pack(">IIII", 16, p.BIND_TRANSCEIVER | p.RESP, 0x0E, 3)
    assert p.decode(header).body == p.BindResp()


def test_unknown_command_decodes_as_unknown() -> None:
    frame = struct.pack(">IIII", 20, 0x00000003, 0, 9) + b"abcd"  # query_sm: not served
    pdu = p.decode(frame)
    assert not pdu.known and pdu.body == b"abcd" and pdu.sequence == 9


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b"\x00\x00", "truncated header"),
        (struct.pack(">IIII", 8, 0x15, 0, 1), "below the 16-byte header"),
        (struct.pack(">IIII", 70_000, 0x15, 0, 1), "over 65536"),
        (struct.pack(">IIII", 20, 0x15, 0, 1), "but the frame has 16"),
        (struct.pack(">IIII", 20, 0x15, 0, 1) + b"abcd", "stray bytes"),
        (struct.pack(">IIII", 19, 0x02, 0, 1) + b"abc", "no NUL"),
        (struct.pack(">IIII", 36, 0x02, 0, 1) + b"a" * 20, "longer than 15"),
        (p.encode(p.Pdu(p.SUBMIT_SM, 1, body=p.ShortMessage(short_message=b"hi")))[:-1],
         "command_length"),
    ],
)  # fmt: skip
def test_malformed_frames_raise_one_line_pdu_error(frame: bytes, reason: str) -> None:
    with pytest.raises(p.PduError, match=reason) as info:
        p.decode(frame)
    assert "\n" not in str(info.value)


def test_truncated_body_keeps_the_sequence() -> None:
    full = p.encode(p.Pdu(p.SUBMIT_SM, 77, body=p.ShortMessage(short_message=b"hello")))
    cut = struct.pack(">I", len(full) - 3) + full[4:-3]
    with pytest.raises(p.PduError, match="truncated") as info:
        p.decode(cut)
    assert info.value.sequence == 77


def test_encode_refuses_what_smpp_cannot_carry() -> None:
    with pytest.raises(p.PduError):
        p.encode(p.Pdu(p.BIND_TRANSMITTER, 1, body=p.Bind("x" * 16, "pw")))
    with pytest.raises(p.PduError):
        p.encode(p.Pdu(p.SUBMIT_SM, 1, body=p.ShortMessage(short_message=b"x" * 255)))
    with pytest.raises(p.PduError):
        p.encode(p.Pdu(p.SUBMIT_SM, 1, body=p.ShortMessage(esm_class=256)))


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_random_bytes_only_raise_pdu_error(data: bytes) -> None:
    with contextlib.suppress(p.PduError):
        p.decode(data)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(PDUS),
    st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), max_size=6),
    st.integers(0, 2000),
)
def test_fuzz_mutated_frames_only_raise_pdu_error(
    pdu: p.Pdu, flips: list[tuple[int, int]], cut: int
) -> None:
    frame = bytearray(p.encode(pdu))
    for pos, value in flips:
        frame[pos % len(frame)] = value
    frame = frame[: max(len(frame) - cut % 8, 0)]
    try:
        decoded = p.decode(bytes(frame))
    except p.PduError as exc:
        assert "\n" not in str(exc)
        return
    if decoded.known:  # whatever decodes re-encodes to the same PDU
        assert p.decode(p.encode(decoded)) == decoded


# --------------------------------------------------------------------- text codings
def test_gsm7_round_trip_with_extension_table() -> None:
    text = "@£$ Hello {world} €5 [x]|~^\\ ÄÖÑÜ§¿äöñüà"
    data = gsm7_encode(text)
    assert data[0] == 0x00 and b"\x1be" in data
    assert gsm7_decode(data) == text
    assert decode_text(DC_DEFAULT, b"caf\xe9") == "café"  # Latin-1 above 0x7F


def test_ucs2_keeps_surrogate_pairs() -> None:
    coding, data = encode_text("OK 👍 Привет")
    assert coding == DC_UCS2
    assert decode_text(DC_UCS2, data) == "OK 👍 Привет"
    assert decode_text(DC_UCS2, b"\x00") == "\ufffd"  # odd length: replaced, no error


@pytest.mark.parametrize("text", ["a" * 400, "é" * 200 + "Ж"])
def test_concatenated_parts_reassemble(text: str) -> None:
    parts = concatenated_parts(text, ref=42)
    assert len(parts) == 3
    assembler = Reassembler()
    results = []
    for i, (esm, coding, data) in enumerate(reversed(parts)):
        concat, piece = message_content(
            p.ShortMessage(esm_class=esm, data_coding=coding, short_message=data)
        )
        assert concat is not None and concat.ref == 42 and concat.total == 3
        results.append(assembler.add("S", "D", concat, piece, i, 0.0, True))
    whole = results[-1]
    assert results[:-1] == [None, None] and whole is not None
    assert whole.text() == text and not assembler.pending


def test_sar_tlvs_and_message_payload() -> None:
    sm = p.ShortMessage(short_message=b"abc", tlvs={
        p.TLV_SAR_MSG_REF_NUM: b"\x01\x00", p.TLV_SAR_TOTAL_SEGMENTS: b"\x02",
        p.TLV_SAR_SEGMENT_SEQNUM: b"\x02"})  # fmt: skip
    assert message_content(sm) == (Concat(256, 2, 2), "abc")
    payload = p.ShortMessage(data_coding=8, tlvs={p.TLV_MESSAGE_PAYLOAD: "Ж".encode("utf-16-be")})
    assert message_content(payload) == (None, "Ж")
    bad_udh = p.ShortMessage(esm_class=0x40, short_message=b"\x09ab")
    assert message_content(bad_udh) == (None, gsm7_decode(b"\x09ab"))


def test_receipt_pdu_text_and_tlvs() -> None:
    pdu = receipt_pdu(5, "123", DlrStatus.DELIVRD, "33671234567", "ACME", 0.0, 60.0, "Hi")
    frame = p.encode(pdu)
    back = p.decode(frame)
    assert isinstance(back.body, p.ShortMessage) and back.body.esm_class == p.ESM_RECEIPT
    text = back.body.short_message.decode()
    assert text == (
        "id:123 sub:001 dlvrd:001 submit date:7001010000 done date:7001010001 "
        "stat:DELIVRD err:000 text:Hi"
    )
    receipt = parse_receipt(back.body)
    assert (receipt.message_id, receipt.stat, receipt.message_state) == ("123", "DELIVRD", 2)
