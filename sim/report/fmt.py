"""Number formatting for people: shares, EUR, seconds, counts — one style everywhere.

KPI labels and units live here too, so tables and findings name things alike.
"""

from __future__ import annotations

import math

KPI_LABELS = {
    "submitted": "messages",
    "delivered_ratio": "delivered (truth)",
    "reported_delivered_ratio": "delivered (reported)",
    "fake_dlr_ratio": "fake DELIVRD share",
    "rejected_ratio": "rejected",
    "no_receipt_ratio": "no receipt",
    "latency_p50_s": "latency p50 (s)",
    "latency_p95_s": "latency p95 (s)",
    "latency_p99_s": "latency p99 (s)",
    "dlr_latency_p50_s": "receipt latency p50 (s)",
    "dlr_latency_p95_s": "receipt latency p95 (s)",
    "queue_wait_mean_s": "queue wait mean (s)",
    "sender_intact_ratio": "sender intact",
    "content_intact_ratio": "content intact",
    "cost_total": "cost total (EUR)",
    "cost_per_delivered": "EUR / delivered (truth)",
    "cost_per_reported_delivered": "EUR / delivered (reported)",
    "retries": "retries",
    "ait_sent": "AIT accepted (messages)",
    "ait_cost": "AIT cost (EUR)",
    "ait_blocked": "AIT blocked by guard (messages)",
    "legit_blocked_ratio": "legit OTP blocked",
    "otp_conversion": "OTP conversion",
    "probes_sent": "test probes sent",
    "probe_cost": "probe cost (EUR)",
}
COUNT_KPIS = frozenset({"submitted", "retries", "ait_sent", "ait_blocked", "probes_sent"})


def kpi_label(key: str) -> str:
    return KPI_LABELS.get(key, key.replace("_", " "))


def num(value: object) -> float | None:
    """A finite number, or ``None`` for null, NaN and anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def missing(value: object) -> bool:
    return num(value) is None


def pct(value: float | None, digits: int = 1) -> str:
    """0.8734 -> '87.3%'."""
    v = num(value)
    return "–" if v is None else f"{100 * v:.{digits}f}%"


def share(value: float) -> str:
    """A configured share in words: whole percent, or one decimal below 1%."""
    return pct(value, 1 if 0 < value < 0.01 else 0)


def eur(value: float | None) -> str:
    """EUR with enough digits for per-message prices (0.0338) and totals (2,423.58)."""
    v = num(value)
    if v is None:
        return "–"
    return f"{v:,.4f}" if abs(v) < 1 else f"{v:,.2f}"


def secs(value: float | None) -> str:
    v = num(value)
    if v is None:
        return "–"
    return f"{v:,.3f}" if abs(v) < 1 else f"{v:,.1f}"


def duration(seconds: float | None) -> str:
    """'45.2 s', '12.5 min', '3.2 h'."""
    v = num(seconds)
    if v is None:
        return "–"
    if v < 120:
        return f"{v:.3g} s"
    if v < 7200:
        return f"{v / 60:.3g} min"
    return f"{v / 3600:.3g} h"


def count(value: float | None) -> str:
    """Counts are means over replications: whole numbers when they are whole."""
    v = num(value)
    if v is None:
        return "–"
    return f"{v:,.0f}" if v == round(v) or abs(v) >= 100 else f"{v:,.1f}"


def kpi(value: float | None, key: str) -> str:
    """A KPI value in its unit."""
    if key.endswith("_ratio") or key == "otp_conversion":
        return pct(value, 2)
    if key in COUNT_KPIS:
        return count(value)
    if "cost" in key:
        return eur(value)
    if key.endswith("_s"):
        return secs(value)
    v = num(value)
    return "–" if v is None else f"{v:,.3g}"


def signed_kpi(value: float | None, key: str) -> str:
    """A difference of a KPI: ratios in percentage points, others with a sign."""
    v = num(value)
    if v is None:
        return "–"
    if v == 0:
        return "0"
    if key.endswith("_ratio") or key == "otp_conversion":
        return f"{100 * v:+.2f} pp".replace("-", "−")
    text = kpi(abs(v), key)
    return ("−" if v < 0 else "+") + text


def interval(low: float | None, high: float | None, key: str, signed: bool = False) -> str:
    """'[lo – hi]' or '' when there is no interval."""
    if missing(low) or missing(high):
        return ""
    show = signed_kpi if signed else kpi
    return f"[{show(low, key)}, {show(high, key)}]"


def elapsed(seconds: float | None) -> str:
    """A time into the run, rounded for reading: '45 s', '2.4 min', '1.5 h'."""
    v = num(seconds)
    if v is None:
        return "–"
    if v < 60:
        return f"{v:.0f} s"
    if v < 5400:
        return f"{v / 60:.1f} min"
    return f"{v / 3600:.1f} h"
