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

import dataclasses
import math
from array import array
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.kpis import per_route_kpis, replication_kpis
from sim.records import Labels, RecordBuffer, Records, to_dataframe, write_csv
from sim.scenario import Scenario
from sim.world.message import Message
from sim.world.route import Fate
from sim.world.smpp import SubmitStatus

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
        self.kind = array("q")  # (kind, sender) code: the CSV shows the sender sent
        self.kind_index = array("q")  # the scenario kind, for KPIs
        self.verified_s = array("d")
        self.destination = array("q")
        self.segments = array("q")
        self.ait = array("b")
        self.terminal = array("b")
        self.n_terminal = 0
        self._kind_codes: dict[tuple[str, str], int] = {}
        self._kind_names: list[str] = []
        self._kind_senders: list[str] = []
        self.route_ids = tuple(r.id for r in scenario.routes)
        self._scenario_kinds = [k.value for k in scenario.traffic.kinds]

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
        self.kind_index.append(self._scenario_kinds.index(kind))
        self.verified_s.append(NAN)
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

    def verified(self, msg_id: int, at_s: float) -> None:
        """The customer verified this (OTP) message at ``at_s``."""
        self.verified_s[msg_id] = at_s

    def record_refusal(self, message: Message, status: int = SubmitStatus.ESME_RINVDSTADR) -> None:
        """No route took the message, or a guard refused it: a router-side refusal row."""
        self.rows.add_refusal(message, status)

    def record_attempt(
        self, message: Message, index: int, fate: Fate, submitted_s: float, now_s: float
    ) -> None:
        """One attempt's row, written when the submit response arrives (as the engine);
        verification times join at read time (customers verify after the row exists)."""
        self.rows.add_attempt(message, index, fate, submitted_s, now_s, NAN)

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

    def records(self, strategy: str, terminal_only: bool = True, csv: bool = False) -> Records:
        """The attempt table; by default only messages in their terminal state. Kind
        codes are the scenario's kinds, or with ``csv`` the (kind, sender) pairs of
        :meth:`labels`."""
        kind = self.kind if csv else self.kind_index
        kind_names = tuple(self._kind_names) if csv else tuple(self._scenario_kinds)
        records = Records.from_buffer(
            self.rows,
            created_s=_np(self.created_s, np.float64),
            kind=_np(kind, np.int64),
            destination=_np(self.destination, np.int64),
            segments=_np(self.segments, np.int64),
            ait=_np(self.ait, np.bool_),
            route_ids=self.route_ids,
            strategy=strategy,
            replication=1,
            kind_names=kind_names,
        )
        columns = dict(records.columns)
        if "verified_s" in columns:
            columns["verified_s"] = _np(self.verified_s, np.float64)[columns["msg_id"]]
        if terminal_only and self.n_terminal < len(self):
            keep = _np(self.terminal, np.bool_)[columns["msg_id"]]
            columns = {name: col[keep] for name, col in columns.items()}
        return dataclasses.replace(records, columns=columns)

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
        return to_dataframe(self.records(strategy, terminal_only=False, csv=True), self.labels())

    def write_csv(self, path: Path, strategy: str) -> Path:
        """Write the ledger as the simulation's records CSV (gzip when ``.gz``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(self.frame(strategy), path)
        return path
