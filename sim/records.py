"""Records: one row per message attempt, columnar — the source of truth for results.

The engine appends rows to a :class:`RecordBuffer` (typed ``array`` columns, a few
dozen bytes per row). :class:`Records` joins them with the traffic plan's per-message
columns into the contract's table (DESIGN §4) and exports it as CSV.
"""

from __future__ import annotations

import gzip
import io
import math
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.world.message import Message
from sim.world.route import Fate
from sim.world.smpp import DlrStatus, submit_status_name

NAN = math.nan
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
    """Append-only attempt rows: one ``array('q')`` of integer fields and one
    ``array('d')`` of float fields, ``FIELDS_I`` / ``FIELDS_D`` values per row."""

    FIELDS_I = (
        "msg_id", "attempt", "route", "submit_status", "dlr_status", "handset_delivered",
        "sender_code", "content_intact", "guard",
    )  # fmt: skip
    FIELDS_D = ("queued_s", "submitted_s", "dlr_s", "handset_s", "cost", "verified_s")

    def __init__(self) -> None:
        self.ints = array("q")
        self.floats = array("d")
        self.guards: list[str] = [""]
        self.senders: list[str] = []
        self._sender_index: dict[str, int] = {}

    def add(self, ints: tuple[int, ...], floats: tuple[float, ...]) -> None:
        """Append one row (fields in ``FIELDS_I`` / ``FIELDS_D`` order)."""
        self.ints.extend(ints)
        self.floats.extend(floats)

    def add_refusal(self, message: Message, status: int) -> None:
        """A router-side refusal (no route, or a guard said no): terminal, no route."""
        self.ints.extend(
            (message.msg_id, message.attempt, NO_ROUTE, status, 0, 0, SENDER_NONE, 0,
             self.guard_code_for(message.guard))
        )  # fmt: skip
        self.floats.extend((NAN, NAN, NAN, NAN, 0.0, NAN))

    def add_attempt(
        self,
        message: Message,
        route: int,
        fate: Fate,
        submitted_s: float,
        responded_s: float,
        verified_s: float,
    ) -> None:
        """One attempt on a route, once its submit response came (times absolute)."""
        self.ints.extend(
            (message.msg_id, message.attempt, route, fate.submit_status, fate.dlr_status,
             fate.handset_delivered, self.sender_code_for(fate.sender_received, message.sender),
             fate.content_intact, self.guard_code_for(message.guard) if message.guard else 0)
        )  # fmt: skip
        self.floats.extend(
            (message.queued_s, submitted_s, responded_s + fate.dlr_delay_s,
             responded_s + fate.handset_delay_s, fate.price_eur, verified_s)
        )  # fmt: skip

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
        return len(self.ints) // len(self.FIELDS_I)

    def nbytes(self) -> int:
        """Bytes held by the columns (for the memory benchmark)."""
        return self.ints.itemsize * len(self.ints) + self.floats.itemsize * len(self.floats)

    def column(self, name: str) -> npt.NDArray[Any]:
        """One field as a NumPy array."""
        if name in self.FIELDS_I:
            data = (
                np.frombuffer(self.ints, dtype=np.int64)
                if len(self.ints)
                else np.zeros(0, np.int64)
            )
            return data.reshape(-1, len(self.FIELDS_I))[:, self.FIELDS_I.index(name)]
        floats = np.frombuffer(self.floats, dtype=np.float64) if len(self.floats) else np.zeros(0)
        return floats.reshape(-1, len(self.FIELDS_D))[:, self.FIELDS_D.index(name)]


@dataclass(frozen=True)
class Records:
    """The attempt table of one strategy in one replication, as NumPy columns."""

    columns: dict[str, npt.NDArray[Any]]
    route_ids: tuple[str, ...]
    received_senders: tuple[str, ...]
    guard_names: tuple[str, ...]
    strategy: str
    replication: int
    kind_names: tuple[str, ...] = ()
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
        kind_names: tuple[str, ...] = (),
    ) -> Records:
        msg = buffer.column("msg_id").astype(np.int64)
        order = np.lexsort((buffer.column("attempt"), msg))
        msg = msg[order]
        cols: dict[str, npt.NDArray[Any]] = {
            "msg_id": msg,
            "attempt": buffer.column("attempt")[order].astype(np.int8),
            "route": buffer.column("route")[order].astype(np.int16),
            "queued_s": buffer.column("queued_s")[order],
            "submitted_s": buffer.column("submitted_s")[order],
            "submit_status": buffer.column("submit_status")[order].astype(np.int16),
            "dlr_status": buffer.column("dlr_status")[order].astype(np.int8),
            "dlr_s": buffer.column("dlr_s")[order],
            "handset_delivered": buffer.column("handset_delivered")[order].astype(bool),
            "handset_s": buffer.column("handset_s")[order],
            "sender_code": buffer.column("sender_code")[order].astype(np.int32),
            "content_intact": buffer.column("content_intact")[order].astype(bool),
            "cost": buffer.column("cost")[order],
            "guard": buffer.column("guard")[order].astype(np.int8),
            "verified_s": buffer.column("verified_s")[order],
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
            kind_names,
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


def probes_frame(records: Records) -> pd.DataFrame:
    """The probe results of a run (one row per probe, as the testing team saw it)."""
    rows = [
        {
            "route": p.route,
            "destination": p.destination,
            "sent_s": p.sent_s,
            "observed_s": p.observed_s,
            "submit_status": submit_status_name(p.submit_status),
            "received": p.received,
            "handset_delay_s": p.handset_delay_s,
            "dlr_status": DlrStatus(p.dlr_status).name if p.dlr_status else "",
            "fake_receipt": p.fake_receipt,
            "sender_intact": p.sender_intact,
            "content_intact": p.content_intact,
            "cost": p.cost,
            "known_test_number": p.known_test_number,
        }
        for p in records.probe_results
    ]
    return pd.DataFrame(rows)


def guard_log_frame(records: Records) -> pd.DataFrame:
    """Guard decisions beyond per-message refusals (e.g. AIT blocks of number ranges)."""
    return pd.DataFrame(records.guard_log, columns=["time_s", "guard", "action", "range"])
