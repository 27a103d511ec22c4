"""Records: one row per message attempt, columnar — the source of truth for results.

The engine appends rows to a :class:`RecordBuffer` (typed ``array`` columns, a few
dozen bytes per row). :class:`Records` joins them with the traffic plan's per-message
columns into the contract's table (DESIGN §4) and exports it as CSV.
"""

from __future__ import annotations

import gzip
import io
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.world.smpp import DlrStatus, submit_status_name

NO_ROUTE = -1
SENDER_NONE = -1  # not received (no handset delivery)
SENDER_INTACT = -2  # received as sent

COLUMNS = (
    "msg_id",
    "kind",
    "country",
    "operator",
    "destination",
    "route",
    "attempt",
    "created_s",
    "queued_s",
    "submitted_s",
    "submit_status",
    "dlr_status",
    "dlr_s",
    "handset_delivered",
    "handset_s",
    "sender_sent",
    "sender_received",
    "content_intact",
    "segments",
    "cost",
    "ait",
    "guard",
    "verified_s",
)


class RecordBuffer:
    """Append-only attempt rows, stored in typed arrays."""

    def __init__(self) -> None:
        self.msg_id = array("q")
        self.attempt = array("b")
        self.route = array("h")
        self.queued_s = array("d")
        self.submitted_s = array("d")
        self.submit_status = array("h")
        self.dlr_status = array("b")
        self.dlr_s = array("d")
        self.handset_delivered = array("b")
        self.handset_s = array("d")
        self.sender_code = array("i")
        self.content_intact = array("b")
        self.cost = array("d")
        self.guard = array("b")
        self.verified_s = array("d")
        self.guards: list[str] = [""]
        self.senders: list[str] = []
        self._sender_index: dict[str, int] = {}

    def sender_code_for(self, received: str | None, sent: str) -> int:
        """Compact code for a received sender (interned strings)."""
        if received is None:
            return SENDER_NONE
        if received == sent:
            return SENDER_INTACT
        code = self._sender_index.get(received)
        if code is None:
            code = len(self.senders)
            self.senders.append(received)
            self._sender_index[received] = code
        return code

    def guard_code_for(self, name: str) -> int:
        """Compact code for a guard name ("" is 0)."""
        try:
            return self.guards.index(name)
        except ValueError:
            self.guards.append(name)
            return len(self.guards) - 1

    def __len__(self) -> int:
        return len(self.msg_id)

    def nbytes(self) -> int:
        """Bytes held by the columns (for the memory benchmark)."""
        columns = (
            self.msg_id, self.attempt, self.route, self.queued_s, self.submitted_s,
            self.submit_status, self.dlr_status, self.dlr_s, self.handset_delivered,
            self.handset_s, self.sender_code, self.content_intact, self.cost, self.guard,
            self.verified_s,
        )  # fmt: skip
        return sum(c.itemsize * len(c) for c in columns)


def _np(values: array) -> npt.NDArray[Any]:  # type: ignore[type-arg]
    return (
        np.frombuffer(values, dtype=values.typecode)
        if len(values)
        else np.array([], dtype=values.typecode)
    )


@dataclass(frozen=True)
class Records:
    """The attempt table of one strategy in one replication, as NumPy columns."""

    columns: dict[str, npt.NDArray[Any]]
    route_ids: tuple[str, ...]
    received_senders: tuple[str, ...]
    guard_names: tuple[str, ...]
    strategy: str
    replication: int
    probe_results: tuple[Any, ...] = ()  # sim.probes.evidence.ProbeResult
    guard_log: tuple[tuple[float, str, str, str], ...] = ()  # (time, guard, action, range)

    @classmethod
    def from_buffer(
        cls,
        buffer: RecordBuffer,
        *,
        created_s: npt.NDArray[np.float64],
        kind: npt.NDArray[np.int64],
        destination: npt.NDArray[np.int64],
        segments: npt.NDArray[np.int64],
        ait: npt.NDArray[np.bool_],
        route_ids: tuple[str, ...],
        strategy: str,
        replication: int,
        probe_results: tuple[Any, ...] = (),
        guard_log: tuple[tuple[float, str, str, str], ...] = (),
    ) -> Records:
        msg = _np(buffer.msg_id).astype(np.int64)
        order = np.lexsort((_np(buffer.attempt), msg))
        msg = msg[order]
        cols: dict[str, npt.NDArray[Any]] = {
            "msg_id": msg,
            "attempt": _np(buffer.attempt)[order].astype(np.int8),
            "route": _np(buffer.route)[order].astype(np.int16),
            "queued_s": _np(buffer.queued_s)[order],
            "submitted_s": _np(buffer.submitted_s)[order],
            "submit_status": _np(buffer.submit_status)[order].astype(np.int16),
            "dlr_status": _np(buffer.dlr_status)[order].astype(np.int8),
            "dlr_s": _np(buffer.dlr_s)[order],
            "handset_delivered": _np(buffer.handset_delivered)[order].astype(bool),
            "handset_s": _np(buffer.handset_s)[order],
            "sender_code": _np(buffer.sender_code)[order].astype(np.int32),
            "content_intact": _np(buffer.content_intact)[order].astype(bool),
            "cost": _np(buffer.cost)[order],
            "guard": _np(buffer.guard)[order].astype(np.int8),
            "verified_s": _np(buffer.verified_s)[order],
            "created_s": created_s[msg],
            "kind": kind[msg],
            "destination": destination[msg],
            "segments": segments[msg],
            "ait": ait[msg],
        }
        cols["final"] = np.append(msg[1:] != msg[:-1], True) if msg.size else msg.astype(bool)
        return cls(
            cols,
            route_ids,
            tuple(buffer.senders),
            tuple(buffer.guards),
            strategy,
            replication,
            probe_results,
            guard_log,
        )

    def __len__(self) -> int:
        return int(self.columns["msg_id"].shape[0])


@dataclass(frozen=True)
class Labels:
    """Names for the integer codes in :class:`Records` (from the scenario and plan)."""

    kinds: tuple[str, ...]
    countries: tuple[str, ...]
    operators: tuple[str, ...]
    destinations: tuple[str, ...]
    senders_by_kind: tuple[str, ...]


def to_dataframe(records: Records, labels: Labels) -> pd.DataFrame:
    """The contract's record table with readable labels (DESIGN §4)."""
    c = records.columns
    kind = c["kind"].astype(np.int64)
    dest = c["destination"].astype(np.int64)
    route = c["route"].astype(np.int64)
    route_names = np.array([*records.route_ids, ""], dtype=object)
    sender_sent = np.array(labels.senders_by_kind, dtype=object)[kind]
    codes = c["sender_code"].astype(np.int64)
    extra = np.array([*records.received_senders, "", ""], dtype=object)
    received = np.where(codes == -2, sender_sent, extra[codes])
    status_names = {s.value: s.name for s in DlrStatus}
    status_names[DlrStatus.NONE] = ""
    dlr = np.array([status_names[i] for i in range(len(status_names))], dtype=object)
    unique_status = np.unique(c["submit_status"])
    submit_names = {int(s): submit_status_name(int(s)) for s in unique_status}
    frame = pd.DataFrame(
        {
            "msg_id": c["msg_id"],
            "kind": np.array(labels.kinds, dtype=object)[kind],
            "country": np.array(labels.countries, dtype=object)[dest],
            "operator": np.array(labels.operators, dtype=object)[dest],
            "destination": np.array(labels.destinations, dtype=object)[dest],
            "route": route_names[route],
            "attempt": c["attempt"],
            "created_s": c["created_s"],
            "queued_s": c["queued_s"],
            "submitted_s": c["submitted_s"],
            "submit_status": [submit_names[int(s)] for s in c["submit_status"]],
            "dlr_status": dlr[c["dlr_status"].astype(np.int64)],
            "dlr_s": c["dlr_s"],
            "handset_delivered": c["handset_delivered"],
            "handset_s": c["handset_s"],
            "sender_sent": sender_sent,
            "sender_received": received,
            "content_intact": c["content_intact"],
            "segments": c["segments"],
            "cost": c["cost"],
            "ait": c["ait"],
            "guard": np.array(records.guard_names, dtype=object)[c["guard"].astype(np.int64)],
            "verified_s": c["verified_s"],
        }
    )
    return frame


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write records as CSV (gzip when the name ends in ``.gz``), deterministically."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, float_format="%.6f", lineterminator="\n")
    data = buffer.getvalue().encode("utf-8")
    if path.suffix == ".gz":
        with (
            path.open("wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=3) as gz,
        ):
            gz.write(data)
    else:
        path.write_bytes(data)
