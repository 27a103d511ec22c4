"""Truth ledger of the live service: the simulation's record rows, kept on the wall clock.

Attempt rows go into the same :class:`~sim.records.RecordBuffer` the engine fills, with
the same meaning (times in world seconds since the service started). Per-message
columns (creation time, kind, destination, segments, AIT truth) grow as messages are
accepted; message ids are 0, 1, 2, ... in acceptance order, so they index those
columns as the traffic plan's rows do. KPIs and the CSV are the simulation's own
functions (:func:`~sim.kpis.replication_kpis`, :func:`~sim.records.to_dataframe`,
:func:`~sim.records.write_csv`). Customers choose their sender, so the ledger's kind
codes stand for (kind, sender) pairs; the CSV shows the kind and the sender sent.
"""

from __future__ import annotations

import math
from array import array
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.kpis import per_route_kpis, replication_kpis
from sim.records import NO_ROUTE, Labels, RecordBuffer, Records, to_dataframe, write_csv
from sim.scenario import Scenario
from sim.world.message import Message
from sim.world.route import Fate
from sim.world.smpp import DlrStatus, SubmitStatus

NAN = math.nan


def _np(values: array[Any], dtype: type[Any]) -> npt.NDArray[Any]:
    if not len(values):
        return np.array([], dtype=dtype)
    return np.frombuffer(values, dtype=values.typecode).astype(dtype)


def clean(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities become ``None``."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return clean(float(value))
    return value


class Ledger:
    """Attempt rows and per-message truth of every accepted message."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.rows = RecordBuffer()
        self.created_s = array("d")
        self.kind = array("q")
        self.destination = array("q")
        self.segments = array("q")
        self.ait = array("b")
        self.terminal = array("b")
        self.n_terminal = 0
        self._kind_codes: dict[tuple[str, str], int] = {}
        self._kind_names: list[str] = []
        self._kind_senders: list[str] = []
        self.route_ids = tuple(r.id for r in scenario.routes)

    def __len__(self) -> int:
        return len(self.created_s)

    # ------------------------------------------------------------------ writing
    def add_message(
        self, kind: str, sender: str, destination: int, segments: int, created_s: float, ait: bool
    ) -> int:
        """Register an accepted message; its id is the next integer."""
        key = (kind, sender)
        code = self._kind_codes.get(key)
        if code is None:
            code = self._kind_codes[key] = len(self._kind_names)
            self._kind_names.append(kind)
            self._kind_senders.append(sender)
        msg_id = len(self.created_s)
        self.created_s.append(created_s)
        self.kind.append(code)
        self.destination.append(destination)
        self.segments.append(segments)
        self.ait.append(ait)
        self.terminal.append(0)
        return msg_id

    def mark_terminal(self, msg_id: int) -> bool:
        """The message reached its terminal state; False if it already had."""
        if self.terminal[msg_id]:
            return False
        self.terminal[msg_id] = 1
        self.n_terminal += 1
        return True

    def record_refusal(self, message: Message) -> None:
        """No route took the message: the engine's router-side refusal row."""
        rec = self.rows
        rec.msg_id.append(message.msg_id)
        rec.attempt.append(message.attempt)
        rec.route.append(NO_ROUTE)
        rec.queued_s.append(NAN)
        rec.submitted_s.append(NAN)
        rec.submit_status.append(SubmitStatus.ESME_RINVDSTADR)
        rec.dlr_status.append(DlrStatus.NONE)
        rec.dlr_s.append(NAN)
        rec.handset_delivered.append(0)
        rec.handset_s.append(NAN)
        rec.sender_code.append(-1)
        rec.content_intact.append(0)
        rec.cost.append(0.0)

    def record_attempt(
        self, message: Message, index: int, fate: Fate, submitted_s: float, now_s: float
    ) -> None:
        """One attempt's row, written when the submit response arrives (as the engine)."""
        rec = self.rows
        rec.msg_id.append(message.msg_id)
        rec.attempt.append(message.attempt)
        rec.route.append(index)
        rec.queued_s.append(message.queued_s)
        rec.submitted_s.append(submitted_s)
        rec.submit_status.append(fate.submit_status)
        rec.dlr_status.append(fate.dlr_status)
        rec.dlr_s.append(now_s + fate.dlr_delay_s)
        rec.handset_delivered.append(fate.handset_delivered)
        rec.handset_s.append(now_s + fate.handset_delay_s)
        rec.sender_code.append(rec.sender_code_for(fate.sender_received, message.sender))
        rec.content_intact.append(fate.content_intact)
        rec.cost.append(fate.price_eur)

    # ------------------------------------------------------------------ reading
    def labels(self) -> Labels:
        d = self.scenario.destinations
        return Labels(
            kinds=tuple(self._kind_names) or ("none",),
            countries=tuple(x.country for x in d),
            operators=tuple(x.operator for x in d),
            destinations=tuple(x.id for x in d),
            senders_by_kind=tuple(self._kind_senders) or ("",),
        )

    def records(self, strategy: str, terminal_only: bool = True) -> Records:
        """The attempt table; by default only messages in their terminal state."""
        records = Records.from_buffer(
            self.rows,
            created_s=_np(self.created_s, np.float64),
            kind=_np(self.kind, np.int64),
            destination=_np(self.destination, np.int64),
            segments=_np(self.segments, np.int64),
            ait=_np(self.ait, np.bool_),
            route_ids=self.route_ids,
            strategy=strategy,
            replication=1,
        )
        if not terminal_only or self.n_terminal == len(self):
            return records
        done = _np(self.terminal, np.bool_)
        keep = done[records.columns["msg_id"]]
        columns = {name: col[keep] for name, col in records.columns.items()}
        return Records(columns, records.route_ids, records.received_senders, strategy, 1)

    def kpis(self, strategy: str) -> dict[str, Any]:
        """KPIs of the terminal messages (truth and observed) and the per-route view."""
        records = self.records(strategy)
        if len(records) == 0:
            return {"kpis": {"submitted": 0}, "per_route": {}}
        return {
            "kpis": clean(replication_kpis(records)),
            "per_route": clean(per_route_kpis(records)),
        }

    def frame(self, strategy: str) -> pd.DataFrame:
        """Every row as the simulation's record table."""
        return to_dataframe(self.records(strategy, terminal_only=False), self.labels())

    def write_csv(self, path: Path, strategy: str) -> Path:
        """Write the ledger as the simulation's records CSV (gzip when ``.gz``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(self.frame(strategy), path)
        return path
