"""Run data: a run directory read back — summary, scenario and records — for reports.

A report is a pure function of what a run wrote (DESIGN §2, principle 6):
``summary.json``, ``scenario.json`` (the validated scenario),
``records/<strategy>-<replication>.csv[.gz]`` and, when the run had them,
``probes/`` (route-test results) and ``guards/`` (guard decision logs) named alike.
:func:`load_run` reads and checks the first two at once; records, probes and guard logs
are read lazily, one DataFrame per (strategy, replication), and cached. Anything
missing or unreadable raises :class:`ReportError` with one line.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from sim.scenario import Scenario, ScenarioError, parse_scenario


class ReportError(ValueError):
    """A run directory that cannot be reported on; the message is one line."""


# Contract columns (DESIGN §4) a report needs; ``guard`` and ``queued_s`` are optional.
REQUIRED_COLUMNS = (
    "msg_id", "kind", "country", "route", "attempt", "created_s", "submitted_s",
    "submit_status", "dlr_status", "dlr_s", "handset_delivered", "handset_s",
    "sender_sent", "sender_received", "content_intact", "segments", "cost", "ait",
)  # fmt: skip
_FLOAT_COLUMNS = (
    "created_s", "queued_s", "submitted_s", "dlr_s", "handset_s", "cost", "verified_s",
)  # fmt: skip
_BOOL_COLUMNS = ("handset_delivered", "content_intact", "ait")
_TEXT_COLUMNS = (
    "kind", "country", "operator", "destination", "route", "submit_status", "dlr_status",
    "sender_sent", "sender_received", "guard",
)  # fmt: skip
PROBE_COLUMNS = (
    "route", "destination", "sent_s", "observed_s", "submit_status", "received",
    "handset_delay_s", "dlr_status", "fake_receipt", "sender_intact", "content_intact", "cost",
)  # fmt: skip
_PROBE_TEXT = ("route", "destination", "submit_status", "dlr_status")
_PROBE_FLOAT = ("sent_s", "observed_s", "handset_delay_s", "cost")
_PROBE_BOOL = ("received", "fake_receipt", "sender_intact", "content_intact", "known_test_number")
GUARD_LOG_COLUMNS = ("time_s", "guard", "action", "range")


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise ReportError(f"{path}: missing (not a routesim run directory?)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: unreadable JSON: {exc}") from None


def _check_summary(summary: Any, path: Path) -> dict[str, Any]:
    if not isinstance(summary, dict):
        raise ReportError(f"{path}: not a JSON object")
    for key in ("scenario", "seed", "replications", "duration_s", "strategies"):
        if key not in summary:
            raise ReportError(f"{path}: no {key!r} key")
    strategies = summary["strategies"]
    if not isinstance(strategies, dict) or not strategies:
        raise ReportError(f"{path}: 'strategies' is empty or not an object")
    for name, data in strategies.items():
        if not isinstance(data, dict) or not {"kpis", "ci95", "per_route"} <= data.keys():
            raise ReportError(f"{path}: strategies.{name}: needs 'kpis', 'ci95', 'per_route'")
    return summary


@dataclass
class RunData:
    """One run directory: its summary dict, scenario and (lazily) records."""

    run_dir: Path
    summary: dict[str, Any]
    scenario: Scenario
    _records: dict[tuple[str, int], pd.DataFrame] = field(default_factory=dict, repr=False)
    _all: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _side: dict[tuple[str, str, int], pd.DataFrame | None] = field(default_factory=dict, repr=False)

    @property
    def strategies(self) -> list[str]:
        """Strategy names in the order the run listed them."""
        return list(self.summary["strategies"])

    @property
    def replications(self) -> int:
        return int(self.summary["replications"])

    @property
    def reference(self) -> str | None:
        """The strategy the others were compared with (paired), when the run says."""
        reference = self.summary.get("reference")
        return reference if isinstance(reference, str) else None

    @cached_property
    def route_ids(self) -> list[str]:
        """Routes in scenario order."""
        return [r.id for r in self.scenario.routes]

    def kpis(self, strategy: str) -> dict[str, Any]:
        kpis: dict[str, Any] = self.summary["strategies"][strategy]["kpis"]
        return kpis

    def ci95(self, strategy: str, key: str) -> tuple[float, float] | None:
        """The 95% interval of a KPI, or ``None`` when the run has none."""
        pair = self.summary["strategies"][strategy]["ci95"].get(key)
        if not pair or pair[0] is None or pair[1] is None:
            return None
        return (float(pair[0]), float(pair[1]))

    def records_path(self, strategy: str, replication: int) -> Path:
        base = self.run_dir / "records" / f"{strategy}-{replication}"
        for suffix in (".csv.gz", ".csv"):
            path = base.with_name(base.name + suffix)
            if path.is_file():
                return path
        raise ReportError(f"{base}.csv.gz: missing records file")

    def records(self, strategy: str, replication: int) -> pd.DataFrame:
        """The attempt table of one strategy and replication (cached)."""
        key = (strategy, replication)
        if key not in self._records:
            self._records[key] = read_records(self.records_path(strategy, replication))
        return self._records[key]

    def all_records(self, strategy: str) -> pd.DataFrame:
        """Every replication of one strategy, with a ``replication`` column."""
        frames = [
            self.records(strategy, r).assign(replication=r) for r in range(1, self.replications + 1)
        ]
        return pd.concat(frames, ignore_index=True)

    def pooled_records(self) -> pd.DataFrame:
        """Every strategy and replication, with ``strategy`` and ``replication`` columns."""
        frames = [self.all_records(s).assign(strategy=s) for s in self.strategies]
        return pd.concat(frames, ignore_index=True)

    def _side_file(self, folder: str, strategy: str, replication: int) -> Path | None:
        base = self.run_dir / folder / f"{strategy}-{replication}"
        for suffix in (".csv.gz", ".csv"):
            path = base.with_name(base.name + suffix)
            if path.is_file():
                return path
        return None

    def probes(self, strategy: str, replication: int) -> pd.DataFrame | None:
        """The route-test probes seen under one strategy and replication (``None``: the
        run wrote none), in the order the run wrote them."""
        key = ("probes", strategy, replication)
        if key not in self._side:
            path = self._side_file("probes", strategy, replication)
            self._side[key] = None if path is None else read_probes(path)
        return self._side[key]

    def guard_log(self, strategy: str, replication: int) -> pd.DataFrame | None:
        """Guard decisions (e.g. AIT blocks of number ranges) of one strategy and
        replication; ``None`` when no guard logged any."""
        key = ("guards", strategy, replication)
        if key not in self._side:
            path = self._side_file("guards", strategy, replication)
            self._side[key] = None if path is None else read_guard_log(path)
        return self._side[key]


def read_records(path: Path) -> pd.DataFrame:
    """Read one records CSV (gzip or plain) into the contract's columns and dtypes."""
    try:
        frame = pd.read_csv(
            path,
            keep_default_na=False,
            na_values={c: [""] for c in _FLOAT_COLUMNS},
            dtype={c: str for c in _TEXT_COLUMNS},
            low_memory=False,
        )
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ReportError(f"{path}: unreadable records: {exc}") from None
    except pd.errors.EmptyDataError:
        raise ReportError(f"{path}: empty records file") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ReportError(f"{path}: records lack column(s) {', '.join(missing)}")
    if "guard" not in frame.columns:
        frame["guard"] = ""
    if "queued_s" not in frame.columns:
        frame["queued_s"] = frame["submitted_s"]
    if "verified_s" not in frame.columns:
        frame["verified_s"] = math.nan
    try:
        for column in _BOOL_COLUMNS:
            frame[column] = _as_bool(frame[column])
        for column in _FLOAT_COLUMNS:
            if column in frame.columns:
                frame[column] = pd.to_numeric(frame[column]).astype(float)
    except (ValueError, TypeError) as exc:
        raise ReportError(f"{path}: bad value in records: {exc}") from None
    return frame.sort_values(["msg_id", "attempt"], kind="stable", ignore_index=True)


def _read_side(
    path: Path, columns: tuple[str, ...], text: tuple[str, ...], floats: tuple[str, ...]
) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            path,
            keep_default_na=False,
            na_values={c: [""] for c in floats},
            dtype={c: str for c in text},
        )
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ReportError(f"{path}: unreadable: {exc}") from None
    except pd.errors.EmptyDataError:
        return pd.DataFrame({c: pd.Series(dtype=str if c in text else float) for c in columns})
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReportError(f"{path}: lacks column(s) {', '.join(missing)}")
    return frame


def read_probes(path: Path) -> pd.DataFrame:
    """Read one probes CSV (gzip or plain): one row per route-test probe."""
    frame = _read_side(path, PROBE_COLUMNS, _PROBE_TEXT, _PROBE_FLOAT)
    try:
        for column in _PROBE_BOOL:
            if column in frame.columns:
                frame[column] = _as_bool(frame[column])
        for column in _PROBE_FLOAT:
            frame[column] = pd.to_numeric(frame[column]).astype(float)
    except (ValueError, TypeError) as exc:
        raise ReportError(f"{path}: bad value in probes: {exc}") from None
    return frame.reset_index(drop=True)


def read_guard_log(path: Path) -> pd.DataFrame:
    """Read one guard log CSV: ``time_s, guard, action, range`` per decision."""
    frame = _read_side(path, GUARD_LOG_COLUMNS, ("guard", "action", "range"), ("time_s",))
    try:
        frame["time_s"] = pd.to_numeric(frame["time_s"]).astype(float)
    except (ValueError, TypeError) as exc:
        raise ReportError(f"{path}: bad value in guard log: {exc}") from None
    return frame.sort_values("time_s", kind="stable", ignore_index=True)


def _as_bool(column: pd.Series) -> pd.Series:
    if column.dtype == bool:
        return column
    text = column.astype(str).str.strip().str.lower()
    if not text.isin({"true", "false", "1", "0"}).all():
        raise ValueError(f"column {column.name!r} is not boolean")
    return text.isin({"true", "1"})


def load_run(run_dir: Path) -> RunData:
    """Read a run directory's summary and scenario (records on demand)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ReportError(f"{run_dir}: no such run directory")
    summary_path = run_dir / "summary.json"
    summary = _check_summary(_read_json(summary_path), summary_path)
    scenario_path = run_dir / "scenario.json"
    try:
        scenario = parse_scenario(_read_json(scenario_path), str(scenario_path))
    except ScenarioError as exc:
        raise ReportError(str(exc)) from None
    data = RunData(run_dir, summary, scenario)
    for strategy in data.strategies:
        for replication in range(1, data.replications + 1):
            data.records_path(strategy, replication)  # fail now, not halfway through
    return data
