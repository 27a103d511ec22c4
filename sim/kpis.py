"""KPIs: pure functions of records, truth and observed side by side.

Per replication, :func:`replication_kpis` gives the contract's KPI dict (DESIGN §4)
and :func:`per_route_kpis` the per-route breakdown. :func:`aggregate` turns the
replications of one strategy into means with 95% confidence intervals (Student t
across replications; with one replication, Wilson intervals for ratios).

Definitions (a *message* counts once; its last attempt is its terminal state):

- ``delivered_ratio``: messages a handset received / messages submitted (truth).
- ``reported_delivered_ratio``: messages whose last receipt says DELIVRD / submitted.
- ``fake_dlr_ratio``: DELIVRD receipts for messages no handset received / DELIVRD
  receipts (share of "delivered" reports that are lies).
- ``rejected_ratio``: messages no route accepted / submitted.
- ``latency_p*_s``: creation -> handset, delivered messages (truth);
  ``dlr_latency_p*_s``: creation -> DELIVRD receipt (observed).
- ``queue_wait_mean_s``: mean wait in a route queue, over sent attempts.
- ``sender_intact_ratio`` / ``content_intact_ratio``: among delivered messages.
- ``cost_total`` (EUR, every accepted attempt), ``cost_per_delivered`` (truth) and
  ``cost_per_reported_delivered`` (observed).
- ``retries``: attempts beyond each message's first. ``ait_sent``/``ait_cost``: AIT
  traffic accepted by a route; ``ait_blocked``: refused by the AIT guard;
  ``legit_blocked_ratio``: legitimate OTPs the AIT guard refused / legitimate OTPs;
  ``otp_conversion``: OTPs verified by their user / OTPs sent (accepted by a route).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import stdtrit

from sim.records import NO_ROUTE, Records
from sim.world.smpp import DlrStatus, SubmitStatus

KPI_ORDER = (
    "submitted",
    "delivered_ratio",
    "reported_delivered_ratio",
    "fake_dlr_ratio",
    "rejected_ratio",
    "no_receipt_ratio",
    "latency_p50_s",
    "latency_p95_s",
    "latency_p99_s",
    "dlr_latency_p50_s",
    "dlr_latency_p95_s",
    "queue_wait_mean_s",
    "sender_intact_ratio",
    "content_intact_ratio",
    "cost_total",
    "cost_per_delivered",
    "cost_per_reported_delivered",
    "retries",
    "ait_sent",
    "ait_cost",
    "ait_blocked",
    "legit_blocked_ratio",
    "otp_conversion",
    "probes_sent",
    "probe_cost",
)

# KPI -> (numerator, denominator) counts, for Wilson intervals with one replication.
_RATIO_COUNTS = {
    "delivered_ratio": ("n_delivered", "submitted"),
    "reported_delivered_ratio": ("n_reported", "submitted"),
    "fake_dlr_ratio": ("n_fake", "n_reported"),
    "rejected_ratio": ("n_rejected", "submitted"),
    "no_receipt_ratio": ("n_no_receipt", "submitted"),
    "sender_intact_ratio": ("n_sender_intact", "n_delivered"),
    "content_intact_ratio": ("n_content_intact", "n_delivered"),
    "legit_blocked_ratio": ("n_legit_blocked", "n_legit_otp"),
    "otp_conversion": ("n_verified", "n_otp"),
}

HIGHER_IS_BETTER = {
    "delivered_ratio": True,
    "reported_delivered_ratio": True,
    "fake_dlr_ratio": False,
    "rejected_ratio": False,
    "no_receipt_ratio": False,
    "latency_p50_s": False,
    "latency_p95_s": False,
    "latency_p99_s": False,
    "dlr_latency_p50_s": False,
    "dlr_latency_p95_s": False,
    "queue_wait_mean_s": False,
    "sender_intact_ratio": True,
    "content_intact_ratio": True,
    "cost_total": False,
    "cost_per_delivered": False,
    "cost_per_reported_delivered": False,
    "retries": False,
    "ait_sent": False,
    "ait_cost": False,
    "ait_blocked": True,
    "legit_blocked_ratio": False,
    "otp_conversion": True,
    "probe_cost": False,
}

Array = npt.NDArray[Any]


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def _percentile(values: npt.NDArray[np.float64], q: float) -> float:
    return float(np.percentile(values, q)) if values.size else math.nan


def message_outcomes(records: Records) -> dict[str, Array]:
    """Per-message truth and observation (index = position in ``msg_ids``)."""
    c = records.columns
    msg = c["msg_id"]
    final = c["final"].astype(bool)
    delivered_rows = c["handset_delivered"].astype(bool)
    first_handset = np.full(final.sum(), np.nan)
    group = np.cumsum(np.append(True, msg[1:] != msg[:-1])) - 1 if msg.size else msg
    delivered_any = np.zeros(int(final.sum()), dtype=bool)
    if msg.size:
        np.logical_or.at(delivered_any, group, delivered_rows)
        rows = np.flatnonzero(delivered_rows)
        first_handset[group[rows[::-1]]] = c["handset_s"][rows[::-1]]
    accepted_any = np.zeros(int(final.sum()), dtype=bool)
    if msg.size:
        np.logical_or.at(accepted_any, group, c["submit_status"] == SubmitStatus.ESME_ROK)
    return {
        "msg_id": msg[final],
        "delivered": delivered_any,
        "handset_s": first_handset,
        "accepted": accepted_any,
        "final_dlr": c["dlr_status"][final],
        "final_dlr_s": c["dlr_s"][final],
        "created_s": c["created_s"][final],
        "sender_intact": (c["sender_code"][final] == -2),
        "content_intact": c["content_intact"][final].astype(bool),
        "final_delivered": delivered_rows[final],
        "ait": c["ait"][final].astype(bool),
        "route": c["route"][final],
    }


def replication_kpis(records: Records) -> dict[str, float]:
    """The KPI dict of one strategy in one replication (plus ``n_*`` counts)."""
    c = records.columns
    m = message_outcomes(records)
    submitted = int(m["msg_id"].size)
    delivered = m["delivered"].astype(bool)
    reported = m["final_dlr"] == DlrStatus.DELIVRD
    fake = reported & ~m["final_delivered"].astype(bool)
    n_delivered = int(delivered.sum())
    n_reported = int(reported.sum())
    latency = (m["handset_s"] - m["created_s"])[delivered].astype(np.float64)
    dlr_latency = (m["final_dlr_s"] - m["created_s"])[reported].astype(np.float64)
    sent = c["route"] != NO_ROUTE
    waits = (c["submitted_s"] - c["queued_s"])[sent & ~np.isnan(c["submitted_s"])]
    cost_total = float(c["cost"].sum())
    final_delivered = m["final_delivered"].astype(bool)
    # integrity is judged on the delivery that reached the handset (the last attempt's)
    n_sender_intact = int((m["sender_intact"] & final_delivered).sum())
    n_content_intact = int((m["content_intact"] & final_delivered).sum())
    ait_rows = c["ait"].astype(bool) & (c["submit_status"] == SubmitStatus.ESME_ROK)
    kpis: dict[str, float] = {
        "submitted": submitted,
        "delivered_ratio": _ratio(n_delivered, submitted),
        "reported_delivered_ratio": _ratio(n_reported, submitted),
        "fake_dlr_ratio": _ratio(int(fake.sum()), n_reported),
        "rejected_ratio": _ratio(int((~m["accepted"].astype(bool)).sum()), submitted),
        "no_receipt_ratio": _ratio(int((m["final_dlr"] == DlrStatus.NONE).sum()), submitted),
        "latency_p50_s": _percentile(latency, 50),
        "latency_p95_s": _percentile(latency, 95),
        "latency_p99_s": _percentile(latency, 99),
        "dlr_latency_p50_s": _percentile(dlr_latency, 50),
        "dlr_latency_p95_s": _percentile(dlr_latency, 95),
        "queue_wait_mean_s": float(waits.mean()) if waits.size else math.nan,
        "sender_intact_ratio": _ratio(n_sender_intact, int(final_delivered.sum())),
        "content_intact_ratio": _ratio(n_content_intact, int(final_delivered.sum())),
        "cost_total": cost_total,
        "cost_per_delivered": _ratio(cost_total, n_delivered),
        "cost_per_reported_delivered": _ratio(cost_total, n_reported),
        "retries": int(len(records) - submitted),
        "ait_sent": int(np.unique(c["msg_id"][ait_rows]).size),
        "ait_cost": float(c["cost"][c["ait"].astype(bool)].sum()),
        **_fraud_kpis(records),
        "probes_sent": len(records.probe_results),
        "probe_cost": float(sum(p.cost for p in records.probe_results)),
        "n_delivered": n_delivered,
        "n_reported": n_reported,
        "n_fake": int(fake.sum()),
        "n_rejected": int((~m["accepted"].astype(bool)).sum()),
        "n_no_receipt": int((m["final_dlr"] == DlrStatus.NONE).sum()),
        "n_sender_intact": n_sender_intact,
        "n_content_intact": n_content_intact,
    }
    return kpis


def m_accepted(records: Records) -> npt.NDArray[np.bool_]:
    """Per message (in msg_id order): accepted by some route."""
    return message_outcomes(records)["accepted"].astype(bool)


def _fraud_kpis(records: Records) -> dict[str, float]:
    """AIT blocked, legitimate OTPs blocked (false positives), OTP conversion."""
    c = records.columns
    final = c["final"].astype(bool)
    ait = c["ait"].astype(bool)[final]
    guard_names = np.array(records.guard_names, dtype=object)[c["guard"].astype(np.int64)[final]]
    by_ait_guard = (c["submit_status"][final] == SubmitStatus.ROUTER_REFUSED) & np.array(
        [str(g).startswith("ait") for g in guard_names], dtype=bool
    )
    otp_code = records.kind_names.index("otp") if "otp" in records.kind_names else -1
    otp = c["kind"][final] == otp_code
    legit_otp = otp & ~ait
    verified = np.zeros(int(final.sum()), dtype=bool)
    msg = c["msg_id"]
    if msg.size:
        group = np.cumsum(np.append(True, msg[1:] != msg[:-1])) - 1
        np.logical_or.at(verified, group, ~np.isnan(c["verified_s"]))
    n_legit = int(legit_otp.sum())
    n_legit_blocked = int((legit_otp & by_ait_guard).sum())
    sent_otp = otp & m_accepted(records)
    n_otp = int(sent_otp.sum())
    n_verified = int((verified & sent_otp).sum())
    return {
        "ait_blocked": int((ait & by_ait_guard).sum()),
        "legit_blocked_ratio": _ratio(n_legit_blocked, n_legit),
        "otp_conversion": _ratio(n_verified, n_otp),
        "n_legit_blocked": n_legit_blocked,
        "n_legit_otp": n_legit,
        "n_verified": n_verified,
        "n_otp": n_otp,
    }


def per_route_kpis(records: Records) -> dict[str, dict[str, float]]:
    """Per route: attempts, traffic share, truth vs reported delivery, integrity, cost."""
    c = records.columns
    out: dict[str, dict[str, float]] = {}
    total = max(1, int((c["route"] != NO_ROUTE).sum()))
    for index, route_id in enumerate(records.route_ids):
        rows = c["route"] == index
        accepted = rows & (c["submit_status"] == SubmitStatus.ESME_ROK)
        n_acc = int(accepted.sum())
        delivered = accepted & c["handset_delivered"].astype(bool)
        reported = accepted & (c["dlr_status"] == DlrStatus.DELIVRD)
        n_del = int(delivered.sum())
        latency = (c["handset_s"] - c["submitted_s"])[delivered].astype(np.float64)
        out[route_id] = {
            "attempts": int(rows.sum()),
            "traffic_share": int(rows.sum()) / total,
            "accepted": n_acc,
            "submit_error_ratio": _ratio(int(rows.sum()) - n_acc, int(rows.sum())),
            "delivered_ratio": _ratio(n_del, n_acc),
            "reported_delivered_ratio": _ratio(int(reported.sum()), n_acc),
            "fake_dlr_ratio": _ratio(int((reported & ~delivered).sum()), int(reported.sum())),
            "sender_intact_ratio": _ratio(int((delivered & (c["sender_code"] == -2)).sum()), n_del),
            "content_intact_ratio": _ratio(
                int((delivered & c["content_intact"].astype(bool)).sum()), n_del
            ),
            "latency_p50_s": _percentile(latency, 50),
            "cost_total": float(c["cost"][rows].sum()),
        }
    return out


def wilson(successes: float, trials: float, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion."""
    if trials <= 0:
        return (math.nan, math.nan)
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def t_interval(values: Sequence[float]) -> tuple[float, float]:
    """95% Student-t interval of the mean of ``values`` (NaNs ignored)."""
    data = np.array([v for v in values if not math.isnan(v)], dtype=float)
    if data.size < 2:
        return (math.nan, math.nan)
    mean = float(data.mean())
    half = float(stdtrit(data.size - 1, 0.975) * data.std(ddof=1) / math.sqrt(data.size))
    return (mean - half, mean + half)


def aggregate(
    replications: Sequence[Mapping[str, float]],
) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """Means over replications and their 95% intervals, for the contract's KPIs."""
    means: dict[str, float] = {}
    ci: dict[str, tuple[float, float]] = {}
    for key in KPI_ORDER:
        values = [float(r[key]) for r in replications]
        finite = [v for v in values if not math.isnan(v)]
        means[key] = float(np.mean(finite)) if finite else math.nan
        if len(replications) >= 2:
            ci[key] = t_interval(values)
        elif key in _RATIO_COUNTS:
            num, den = _RATIO_COUNTS[key]
            ci[key] = wilson(replications[0][num], replications[0][den])
        else:
            ci[key] = (math.nan, math.nan)
    return means, ci


def mean_per_route(
    replications: Sequence[Mapping[str, Mapping[str, float]]],
) -> dict[str, dict[str, float]]:
    """Per-route KPIs averaged over replications (NaNs ignored)."""
    out: dict[str, dict[str, float]] = {}
    for route_id in replications[0]:
        keys = replications[0][route_id].keys()
        out[route_id] = {}
        for key in keys:
            values = [r[route_id][key] for r in replications if not math.isnan(r[route_id][key])]
            out[route_id][key] = float(np.mean(values)) if values else math.nan
    return out


def paired_differences(
    replications: Sequence[Mapping[str, float]], reference: Sequence[Mapping[str, float]]
) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """Mean of per-replication differences (strategy - reference) with a 95% t-interval.

    Both ran on the same traffic and world draws in each replication, so the
    differences cancel the shared noise (common random numbers)."""
    means: dict[str, float] = {}
    ci: dict[str, tuple[float, float]] = {}
    for key in KPI_ORDER:
        diffs = [
            float(a[key]) - float(b[key]) for a, b in zip(replications, reference, strict=True)
        ]
        finite = [d for d in diffs if not math.isnan(d)]
        means[key] = float(np.mean(finite)) if finite else math.nan
        ci[key] = t_interval(diffs)
    return means, ci
