"""Quality counters of a load test, aggregated across Locust workers.

Counters (plain integers): submits accepted and refused by HTTP code, callbacks by
status, and the harness truth the callbacks carry — handset delivered, fake
``DELIVRD``, sender and content intact, AIT accepted by a route — plus OTP
verifications and DLR timeouts. DLR latency (submit -> callback) goes into its own
Locust ``RequestStats`` (method ``DLR``, one entry per receipt status), so it never
mixes with the HTTP request totals. Workers ship both with ``report_to_master`` and
the master adds them up in ``worker_report``, as Locust does for its own stats.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from locust.stats import RequestStats, StatsEntry

from sim.live.adapter import RECEIPT_STATUSES, Receipt

PERCENTILES = (0.5, 0.95, 0.99)
REPORT_KEY = "routesim_quality"
DLR_KEY = "routesim_dlr"


class Quality:
    """Counters and DLR latencies of one process (or, on the master, of all)."""

    def __init__(self) -> None:
        self.counters: Counter[str] = Counter()
        self.dlr = RequestStats(use_response_times_cache=False)

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] += n

    def accepted(self, kind: str, ait: bool) -> None:
        self.counters["accepted"] += 1
        self.counters[f"accepted_{kind}"] += 1
        if ait:
            self.counters["ait_submitted"] += 1

    def refused(self, status_code: int) -> None:
        self.counters["refused"] += 1
        self.counters[f"http_{status_code}"] += 1

    def receipt(self, kind: str, receipt: Receipt, latency_ms: float) -> None:
        """One message's callback: its observed status and the truth it carries."""
        c = self.counters
        c["callbacks"] += 1
        c[f"status_{receipt.status}"] += 1
        if receipt.status in RECEIPT_STATUSES:
            self.dlr.log_request("DLR", receipt.status, latency_ms, 0)
        truth = receipt.truth
        if truth is None:
            return
        c["truth_reports"] += 1
        delivered = bool(truth.get("delivered"))
        c["handset_delivered"] += delivered
        c["fake_dlr"] += bool(truth.get("fake_receipt"))
        c["sender_intact"] += bool(truth.get("sender_intact"))
        c["content_intact"] += bool(truth.get("content_intact"))
        if truth.get("ait"):
            c["ait_accepted_by_route"] += bool(truth.get("accepted_by_route"))
            c["ait_delivered"] += delivered

    # ------------------------------------------------------------------ distribution
    def report_to_master(self, client_id: str, data: dict[str, Any]) -> None:
        """Worker: ship what was counted since the last report, then start afresh."""
        data[REPORT_KEY] = dict(self.counters)
        self.counters.clear()
        data[DLR_KEY] = self.dlr.serialize_stats()

    def worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        """Master: add a worker's report."""
        self.counters.update(data.get(REPORT_KEY, {}))
        for stats_data in data.get(DLR_KEY, []):
            entry = StatsEntry.unserialize(stats_data, self.dlr)
            key = (entry.name, entry.method)
            if key not in self.dlr.entries:
                self.dlr.entries[key] = StatsEntry(self.dlr, entry.name, entry.method)
            self.dlr.entries[key].extend(entry)

    # ------------------------------------------------------------------ output
    def summary(self) -> dict[str, Any]:
        """Counters and DLR latency percentiles (ms) per receipt status and overall."""
        latency: dict[str, dict[str, float]] = {}
        total = StatsEntry(self.dlr, "all", "DLR")
        for (name, _), entry in sorted(self.dlr.entries.items()):
            latency[name] = _percentiles(entry)
            total.extend(entry)
        latency["all"] = _percentiles(total)
        return {"counters": dict(sorted(self.counters.items())), "dlr_latency_ms": latency}

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.summary(), indent=2) + "\n", encoding="utf-8")


def _percentiles(entry: StatsEntry) -> dict[str, float]:
    out: dict[str, float] = {"count": float(entry.num_requests)}
    if entry.num_requests:
        for p in PERCENTILES:
            out[f"p{round(p * 100)}"] = float(entry.get_response_time_percentile(p))
        out["max"] = float(entry.max_response_time)
    return out
