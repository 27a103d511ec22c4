"""Truth ledger of the simulated carriers: one record row per message they decided.

Every submit that reached the world model (a whole message, or the last part of a
concatenated one) is a message here, with ids 0, 1, 2, ... in decision order across all
routes; its row is written at decision time — before the submit_sm_resp is sent — so a
session that drops, or a shutdown, cannot lose an accepted message. Submits refused
before the world model (bind state, window, TPS, unknown destination) are counters,
not messages. Rows and the CSV are the simulation's own
(:class:`~sim.records.RecordBuffer`, :class:`~sim.records.Records`,
:func:`~sim.records.to_dataframe`, :func:`~sim.records.write_csv`).
"""

from __future__ import annotations

import math
from array import array
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.records import Labels, RecordBuffer, Records, to_dataframe, write_csv
from sim.scenario import Scenario
from sim.world.message import Message
from sim.world.route import Fate

NAN = math.nan
STRATEGY = "carriers"


def _np(values: array[Any], dtype: type[Any]) -> npt.NDArray[Any]:
    if not len(values):
        return np.array([], dtype=dtype)
    return np.frombuffer(values, dtype=values.typecode).astype(dtype)


class CarrierLedger:
    """Per-message columns and attempt rows of every message the carriers decided."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.rows = RecordBuffer()
        self.created_s = array("d")
        self.kind = array("q")  # (kind, sender) code, as the live ledger
        self.destination = array("q")
        self.segments = array("q")
        self._codes: dict[tuple[str, str], int] = {}
        self._kinds: list[str] = []
        self._senders: list[str] = []
        self.route_ids = tuple(r.id for r in scenario.routes)

    def __len__(self) -> int:
        return len(self.created_s)

    def next_id(self) -> int:
        """The id the next message will get."""
        return len(self.created_s)

    def record(self, message: Message, route: int, fate: Fate, submitted_s: float) -> None:
        """A decided message (``message.msg_id`` must be :meth:`next_id`); the row's
        response time is ``submitted_s`` + the fate's response delay."""
        if message.msg_id != len(self.created_s):
            raise ValueError(f"message id {message.msg_id}, expected {len(self.created_s)}")
        key = (message.kind, message.sender)
        code = self._codes.get(key)
        if code is None:
            code = self._codes[key] = len(self._kinds)
            self._kinds.append(message.kind)
            self._senders.append(message.sender)
        self.created_s.append(message.created_s)
        self.kind.append(code)
        self.destination.append(message.destination_index)
        self.segments.append(message.segments)
        self.rows.add_attempt(
            message, route, fate, submitted_s, submitted_s + fate.response_delay_s, NAN
        )

    def records(self) -> Records:
        return Records.from_buffer(
            self.rows,
            created_s=_np(self.created_s, np.float64),
            kind=_np(self.kind, np.int64),
            destination=_np(self.destination, np.int64),
            segments=_np(self.segments, np.int64),
            ait=np.zeros(len(self), dtype=np.bool_),
            route_ids=self.route_ids,
            strategy=STRATEGY,
            replication=1,
            kind_names=tuple(self._kinds),
        )

    def labels(self) -> Labels:
        d = self.scenario.destinations
        return Labels(
            kinds=tuple(self._kinds) or ("none",),
            countries=tuple(x.country for x in d),
            operators=tuple(x.operator for x in d),
            destinations=tuple(x.id for x in d),
            senders_by_kind=tuple(self._senders) or ("",),
        )

    def frame(self) -> pd.DataFrame:
        """Every row as the simulation's record table."""
        return to_dataframe(self.records(), self.labels())

    def write_csv(self, path: Path) -> Path:
        """Write the records CSV (gzip when the name ends in ``.gz``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(self.frame(), path)
        return path
