"""Delivery receipts as SMPP 3.4 carries them: a deliver_sm with ``esm_class`` 0x04.

The text follows the SMPP 3.4 Appendix B convention every gateway parses::

    id:IIII sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD
    err:000 text:first 20 chars

and the ``receipted_message_id`` (0x001E) and ``message_state`` (0x0427) TLVs repeat the
id and the state. :func:`receipt_pdu` builds one from the world's
:class:`~sim.world.smpp.DlrStatus`; :func:`parse_receipt` reads one back (clients, tests).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from sim.smpp.pdu import (
    DELIVER_SM,
    ESM_RECEIPT,
    TLV_MESSAGE_STATE,
    TLV_RECEIPTED_MESSAGE_ID,
    Pdu,
    ShortMessage,
)
from sim.world.smpp import DlrStatus

# message_state values (SMPP 3.4 §5.2.28)
STATE_DELIVERED = 2
STATE_EXPIRED = 3
STATE_UNDELIVERABLE = 5
STATE_REJECTED = 8
MESSAGE_STATE = {
    DlrStatus.DELIVRD: STATE_DELIVERED,
    DlrStatus.EXPIRED: STATE_EXPIRED,
    DlrStatus.UNDELIV: STATE_UNDELIVERABLE,
    DlrStatus.REJECTD: STATE_REJECTED,
}
ERROR_CODE = {DlrStatus.DELIVRD: 0, DlrStatus.EXPIRED: 0, DlrStatus.UNDELIV: 1,
              DlrStatus.REJECTD: 2}  # fmt: skip
_FIELD = re.compile(r"(id|sub|dlvrd|submit date|done date|stat|err):(\S*)")


def smpp_date(epoch_s: float) -> str:
    """``YYMMDDhhmm`` in UTC."""
    return time.strftime("%y%m%d%H%M", time.gmtime(epoch_s))


def receipt_text(
    message_id: str,
    status: DlrStatus,
    submitted_epoch_s: float,
    done_epoch_s: float,
    text: str = "",
) -> str:
    """The receipt's ``short_message`` text."""
    delivered = 1 if status is DlrStatus.DELIVRD else 0
    return (
        f"id:{message_id} sub:001 dlvrd:{delivered:03d} "
        f"submit date:{smpp_date(submitted_epoch_s)} done date:{smpp_date(done_epoch_s)} "
        f"stat:{status.name} err:{ERROR_CODE[status]:03d} text:{text[:20]}"
    )


def receipt_pdu(
    sequence: int,
    message_id: str,
    status: DlrStatus,
    source: str,
    destination: str,
    submitted_epoch_s: float,
    done_epoch_s: float,
    text: str = "",
) -> Pdu:
    """A deliver_sm receipt for ``message_id`` from the handset ``source`` back to the
    original sender ``destination`` (``text`` is cut to 20 characters, Latin-1 only)."""
    snippet = text[:20].encode("latin-1", errors="replace").decode("latin-1")
    body = receipt_text(message_id, status, submitted_epoch_s, done_epoch_s, snippet)
    return Pdu(
        DELIVER_SM,
        sequence,
        body=ShortMessage(
            source_addr_ton=1, source_addr_npi=1, source_addr=source[:20],
            dest_addr_ton=5 if not destination.isdigit() else 1, dest_addr_npi=0,
            destination_addr=destination[:20], esm_class=ESM_RECEIPT, data_coding=3,
            short_message=body.encode("latin-1"),
            tlvs={
                TLV_RECEIPTED_MESSAGE_ID: message_id.encode("latin-1") + b"\0",
                TLV_MESSAGE_STATE: bytes((MESSAGE_STATE[status],)),
            },
        ),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Receipt:
    """A parsed delivery receipt."""

    message_id: str
    stat: str
    err: str
    message_state: int | None


def parse_receipt(sm: ShortMessage) -> Receipt:
    """The id and state of a receipt; the TLVs win over the text when both are there."""
    fields = dict(_FIELD.findall(sm.short_message.decode("latin-1")))
    tlv_id = sm.tlvs.get(TLV_RECEIPTED_MESSAGE_ID)
    message_id = tlv_id.rstrip(b"\0").decode("latin-1") if tlv_id else fields.get("id", "")
    state = sm.tlvs.get(TLV_MESSAGE_STATE)
    return Receipt(
        message_id, fields.get("stat", ""), fields.get("err", ""), state[0] if state else None
    )
