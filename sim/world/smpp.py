"""SMPP vocabulary: submit_sm command statuses and delivery-receipt states (SMPP 3.4)."""

from __future__ import annotations

from enum import IntEnum


class SubmitStatus(IntEnum):
    """``command_status`` of a ``submit_sm_resp``, plus the router's own refusals:
    ``ESME_RINVDSTADR`` when no route can take the message, ``ROUTER_REFUSED`` (not an
    SMPP code) when a guard refused it before any route saw it."""

    ROUTER_REFUSED = -1
    ESME_ROK = 0x00
    ESME_RSYSERR = 0x08
    ESME_RINVDSTADR = 0x0B
    ESME_RMSGQFUL = 0x14
    ESME_RSUBMITFAIL = 0x45
    ESME_RTHROTTLED = 0x58


class DlrStatus(IntEnum):
    """The ``stat:`` field of a delivery receipt; ``NONE`` when no receipt came."""

    NONE = 0
    DELIVRD = 1
    UNDELIV = 2
    EXPIRED = 3
    REJECTD = 4


NEGATIVE_DLR = frozenset({DlrStatus.UNDELIV, DlrStatus.EXPIRED, DlrStatus.REJECTD})


def submit_status_name(code: int) -> str:
    """``ESME_RTHROTTLED`` for 0x58; ``0x..`` for codes outside the enum."""
    try:
        return SubmitStatus(code).name
    except ValueError:
        return f"0x{code:02X}"
