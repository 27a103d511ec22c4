"""Measures: what the report shows, computed from a run's records (and nothing else).

:class:`Measures` wraps a :class:`~sim.report.rundata.RunData` and derives, with
caching: per-message outcomes, per-route truth against receipts pooled over every
strategy and replication, latency samples, time series of traffic share and delivery,
what guards held or refused, and what became of AIT (pumping) traffic. Figures, tables
and findings all read from here, so they agree with each other.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.kpis import wilson
from sim.report.rundata import RunData

DELIVRD = "DELIVRD"
REFUSED = "ROUTER_REFUSED"
ACCEPTED = "ESME_ROK"
_NICE_BINS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400)

Floats = npt.NDArray[np.float64]
T = TypeVar("T")


def messages(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per message (records sorted by message and attempt): its last attempt,
    whether any attempt reached a handset and when the first did."""
    last = frame.drop_duplicates("msg_id", keep="last").set_index("msg_id")
    delivered_rows = frame[frame["handset_delivered"]]
    first_handset = delivered_rows.drop_duplicates("msg_id").set_index("msg_id")["handset_s"]
    out = pd.DataFrame(
        {
            "kind": last["kind"],
            "created_s": last["created_s"],
            "route": last["route"],
            "final_dlr": last["dlr_status"],
            "final_dlr_s": last["dlr_s"],
            "final_status": last["submit_status"],
            "ait": last["ait"],
            "guard": last["guard"],
        }
    )
    out["handset_s"] = first_handset.reindex(out.index)
    out["delivered"] = out["handset_s"].notna()
    out["reported"] = out["final_dlr"] == DELIVRD
    return out


def bin_width_s(duration_s: float, target_bins: int = 30) -> float:
    """A round bin width giving about ``target_bins`` bins over ``duration_s``."""
    raw = duration_s / target_bins
    return float(next((b for b in _NICE_BINS_S if b >= raw), _NICE_BINS_S[-1]))


@dataclass(frozen=True)
class Interval:
    """A share with its Wilson 95% interval and the count behind it."""

    value: float
    low: float
    high: float
    n: int


def proportion(successes: int, trials: int) -> Interval:
    """``successes / trials`` with its Wilson 95% interval (NaNs when ``trials`` is 0)."""
    if trials <= 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    low, high = wilson(successes, trials)
    return Interval(successes / trials, low, high, trials)


@dataclass(frozen=True)
class RouteStats:
    """One route's attempts pooled over every strategy and replication."""

    route: str
    attempts: int
    accepted: int
    delivered: Interval  # handset received / accepted
    reported: Interval  # DELIVRD receipt / accepted
    fake: Interval  # DELIVRD but no handset / DELIVRD receipts
    sender_intact: Interval  # among delivered
    content_intact: Interval  # among delivered
    latency_p50_s: float  # submit -> handset, delivered
    cost_eur: float
    sender_changed: int  # delivered under another sender ID
    changed_by_rules: dict[str, int]  # of which, to networks with sender-ID rules


def rule_destinations(data: RunData) -> frozenset[str]:
    """Destinations whose sender-ID rules may rewrite or refuse a sender."""
    every_type = len({t for d in data.scenario.destinations for t in d.sender_rules.allowed_types})
    return frozenset(
        d.id
        for d in data.scenario.destinations
        if d.sender_rules.registration_required
        or d.sender_rules.kind_senders
        or len(set(d.sender_rules.allowed_types)) < every_type
    )


@dataclass(frozen=True)
class GuardCounts:
    """What one guard did to one strategy's traffic, per replication (means)."""

    guard: str
    held: float
    refused: float
    hold_mean_s: float


class Measures:
    """Derived, cached views of a run's records."""

    def __init__(self, data: RunData) -> None:
        self.data = data
        self._messages: dict[str, pd.DataFrame] = {}
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per ``key`` (for views derived in other modules)."""
        if key not in self._memo:
            self._memo[key] = compute()
        value: T = self._memo[key]
        return value

    @cached_property
    def bin_s(self) -> float:
        return bin_width_s(float(self.data.summary["duration_s"]))

    def messages(self, strategy: str) -> pd.DataFrame:
        """Per-message outcomes of every replication (``replication`` column)."""
        if strategy not in self._messages:
            frames = [
                messages(self.data.records(strategy, r)).assign(replication=r)
                for r in range(1, self.data.replications + 1)
            ]
            self._messages[strategy] = pd.concat(frames)
        return self._messages[strategy]

    @cached_property
    def pooled(self) -> pd.DataFrame:
        """Every attempt of every strategy and replication."""
        return self.data.pooled_records()

    def route_breakdown(self, route: str, column: str) -> dict[str, tuple[Interval, Interval]]:
        """A route's accepted attempts by ``column`` (e.g. ``kind``): delivered (truth)
        and reported DELIVRD shares, each with a Wilson interval."""
        rows = self.pooled
        accepted = rows[(rows["route"] == route) & (rows["submit_status"] == ACCEPTED)]
        out = {}
        for value, group in accepted.groupby(column, sort=True):
            n = len(group)
            out[str(value)] = (
                proportion(int(group["handset_delivered"].sum()), n),
                proportion(int((group["dlr_status"] == DELIVRD).sum()), n),
            )
        return out

    @cached_property
    def route_stats(self) -> list[RouteStats]:
        """Routes (scenario order) that saw at least one attempt, over the whole run."""
        rows = self.pooled
        rules = rule_destinations(self.data)
        out: list[RouteStats] = []
        for route in self.data.route_ids:
            mine = rows[rows["route"] == route]
            if mine.empty:
                continue
            accepted = mine[mine["submit_status"] == ACCEPTED]
            delivered = accepted[accepted["handset_delivered"]]
            reported = accepted[accepted["dlr_status"] == DELIVRD]
            latency = (delivered["handset_s"] - delivered["submitted_s"]).to_numpy(float)
            changed = delivered[delivered["sender_received"] != delivered["sender_sent"]]
            by_rules: dict[str, int] = {}
            if "destination" in changed.columns:
                under = changed[changed["destination"].isin(rules)]
                by_rules = {
                    str(k): int(v)
                    for k, v in under["destination"].value_counts(sort=False).sort_index().items()
                }
            out.append(
                RouteStats(
                    route=route,
                    attempts=len(mine),
                    accepted=len(accepted),
                    delivered=proportion(len(delivered), len(accepted)),
                    reported=proportion(len(reported), len(accepted)),
                    fake=proportion(int((~reported["handset_delivered"]).sum()), len(reported)),
                    sender_intact=proportion(len(delivered) - len(changed), len(delivered)),
                    content_intact=proportion(
                        int(delivered["content_intact"].sum()), len(delivered)
                    ),
                    latency_p50_s=float(np.median(latency)) if latency.size else math.nan,
                    cost_eur=float(mine["cost"].sum()),
                    sender_changed=len(changed),
                    changed_by_rules=by_rules,
                )
            )
        return out

    def latencies(self, strategy: str) -> tuple[Floats, Floats]:
        """Seconds from submission to handset (delivered messages) and to the DELIVRD
        receipt (messages whose last receipt says DELIVRD), all replications."""
        m = self.messages(strategy)
        handset = (m["handset_s"] - m["created_s"])[m["delivered"]].to_numpy(float)
        receipt = (m["final_dlr_s"] - m["created_s"])[m["reported"]].to_numpy(float)
        return np.sort(handset), np.sort(receipt)

    def _bins(self, times: pd.Series) -> pd.Series:
        bins: pd.Series = (np.floor(times / self.bin_s) * self.bin_s).astype(float)
        return bins

    def traffic_share(self, strategy: str) -> pd.DataFrame:
        """Share of attempts per route (columns, scenario order) per time bin (index,
        seconds), by the time the attempt was queued to the route."""
        rows = self.data.all_records(strategy)
        when = rows["queued_s"].fillna(rows["created_s"])
        window = (rows["route"] != "") & (when < float(self.data.summary["duration_s"]))
        rows, when = rows[window], when[window]
        counts = pd.crosstab(self._bins(when), rows["route"])
        counts = counts.reindex(columns=[r for r in self.data.route_ids if r in counts.columns])
        return counts.div(counts.sum(axis=1), axis=0)

    def delivery_over_time(self, strategy: str) -> pd.DataFrame:
        """Per creation-time bin: share of messages handsets received (``truth``) and
        whose last receipt says DELIVRD (``reported``)."""
        m = self.messages(strategy)
        grouped = m.groupby(self._bins(m["created_s"]))
        return pd.DataFrame(
            {"truth": grouped["delivered"].mean(), "reported": grouped["reported"].mean()}
        )

    def guards(self, strategy: str) -> list[GuardCounts]:
        """Per guard name: messages held then sent, refused, and the mean hold (s);
        counts are means per replication."""
        reps = self.data.replications
        rows = self.data.all_records(strategy)
        first = rows.drop_duplicates(["replication", "msg_id"])
        out: list[GuardCounts] = []
        for guard in sorted(g for g in first["guard"].unique() if g):
            mine = first[first["guard"] == guard]
            refused = mine["submit_status"] == REFUSED
            held = mine[~refused]
            wait = (held["queued_s"] - held["created_s"]).to_numpy(float)
            wait = wait[~np.isnan(wait)]
            out.append(
                GuardCounts(
                    guard=guard,
                    held=len(held) / reps,
                    refused=int(refused.sum()) / reps,
                    hold_mean_s=float(wait.mean()) if wait.size else math.nan,
                )
            )
        return out

    def ait_messages(self, strategy: str) -> pd.DataFrame:
        """Per OTP or AIT message of every replication: ``ait``, ``kind``, ``created_s``,
        ``leaked`` (some attempt accepted by a route), ``blocked`` (refused by the AIT
        guard), ``verified`` (its user entered the code) and the ``cost_eur`` of its
        accepted attempts."""
        rows = self.data.all_records(strategy)
        rows = rows[rows["ait"] | (rows["kind"] == "otp")]
        key = ["replication", "msg_id"]
        accepted = rows["submit_status"] == ACCEPTED
        grouped = rows.assign(
            accepted=accepted,
            paid=rows["cost"].where(accepted, 0.0),
            verified=rows["verified_s"].notna(),
        ).groupby(key, sort=True)
        last = rows.drop_duplicates(key, keep="last").set_index(key)
        out = pd.DataFrame(
            {
                "ait": last["ait"],
                "kind": last["kind"],
                "created_s": last["created_s"],
                "leaked": grouped["accepted"].any(),
                "blocked": (last["submit_status"] == REFUSED) & last["guard"].str.startswith("ait"),
                "verified": grouped["verified"].any(),
                "cost_eur": grouped["paid"].sum(),
            }
        )
        return out.reset_index()

    def ait(self, strategy: str) -> AitCounts:
        """What became of AIT traffic and legitimate OTPs (counts over all replications)."""
        m = self.ait_messages(strategy)
        pumped, legit = m[m["ait"]], m[~m["ait"] & (m["kind"] == "otp")]
        otp = m[m["kind"] == "otp"]
        refused = self.messages(strategy)
        return AitCounts(
            replications=self.data.replications,
            entered=len(pumped),
            blocked=int(pumped["blocked"].sum()),
            refused=int((refused["ait"] & (refused["final_status"] == REFUSED)).sum()),
            leaked=int(pumped["leaked"].sum()),
            cost_eur=float(pumped["cost_eur"].sum()),
            legit_otp=len(legit),
            legit_blocked=int(legit["blocked"].sum()),
            otp_sent=int(otp["leaked"].sum()),
            otp_verified=int((otp["leaked"] & otp["verified"]).sum()),
        )


@dataclass(frozen=True)
class AitCounts:
    """AIT (pumping) traffic and legitimate OTPs of one strategy, summed over its
    replications (:meth:`per_rep` gives means per replication)."""

    replications: int
    entered: int  # AIT messages that entered
    blocked: int  # refused by the AIT guard
    refused: int  # refused by any guard
    leaked: int  # accepted by a route (and paid for)
    cost_eur: float  # what the accepted AIT attempts cost
    legit_otp: int  # OTP messages that were not pumping
    legit_blocked: int  # ... of which the AIT guard refused (false positives)
    otp_sent: int  # OTP messages (AIT included) a route accepted
    otp_verified: int  # ... of which their user verified the code

    def per_rep(self, count: float) -> float:
        return count / self.replications if self.replications else math.nan
