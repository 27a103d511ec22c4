"""The combined load report: Locust's numbers beside the service's truth ledger.

:func:`build_report` merges Locust's JSON stats (submit latency histograms merged
across submit entries; throughput over the run), the load generator's quality
counters and DLR latencies (``quality.json``, aggregated across workers) and the
service's truth KPIs (``kpis.json`` or ``GET /v1/kpis``) into one flat ``metrics``
mapping — the keys thresholds name — plus the raw parts. :func:`render_markdown`
prints it for people.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sim.live.ledger import clean

SUBMIT_PREFIX = "submit"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def histogram_percentile(histogram: Mapping[float, int], q: float) -> float | None:
    """The ``q`` quantile (0-1) of a {value: count} histogram, as Locust computes it."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = int(total * q)
    seen = 0
    for value in sorted(histogram, reverse=True):
        seen += histogram[value]
        if total - seen <= rank:
            return float(value)
    return float(min(histogram))


def submit_stats(entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts, throughput and latency percentiles over Locust's submit entries."""
    histogram: Counter[float] = Counter()
    requests = failures = 0
    start = end = None
    per_second: Counter[int] = Counter()
    for entry in entries:
        if not str(entry.get("name", "")).startswith(SUBMIT_PREFIX):
            continue
        requests += int(entry["num_requests"])
        failures += int(entry["num_failures"])
        for value, count in dict(entry["response_times"]).items():
            histogram[float(value)] += int(count)
        for second, count in dict(entry.get("num_reqs_per_sec", {})).items():
            per_second[int(second)] += int(count)
        t0, t1 = entry.get("start_time"), entry.get("last_request_timestamp")
        if t0 is not None:
            start = t0 if start is None else min(start, t0)
        if t1 is not None:
            end = t1 if end is None else max(end, t1)
    duration = max(1e-9, (end - start)) if start is not None and end is not None else None
    out: dict[str, Any] = {
        "submit_requests": requests,
        "submit_failures": failures,
        "submit_duration_s": duration,
        "submit_per_s": requests / duration if duration else None,
        "accepted_per_s": (requests - failures) / duration if duration else None,
        "submit_peak_per_s": max(per_second.values()) if per_second else None,
    }
    for q in (0.5, 0.95, 0.99):
        out[f"submit_p{round(q * 100)}_ms"] = histogram_percentile(histogram, q)
    out["submit_max_ms"] = max(histogram) if histogram else None
    return out


def build_report(
    locust_json: Path | None,
    quality_json: Path | None,
    truth: Mapping[str, Any] | None,
    run: Mapping[str, Any],
) -> dict[str, Any]:
    """The report: ``run`` (settings), ``metrics`` (flat, for thresholds), and parts."""
    entries = _read_json(locust_json) if locust_json is not None else None
    quality = _read_json(quality_json) if quality_json is not None else None
    counters: dict[str, int] = dict((quality or {}).get("counters", {}))
    dlr: dict[str, Any] = dict((quality or {}).get("dlr_latency_ms", {}))
    metrics: dict[str, Any] = submit_stats(entries or [])
    all_dlr = dlr.get("all", {})
    for key in ("p50", "p95", "p99"):
        metrics[f"dlr_{key}_ms"] = all_dlr.get(key)
    accepted = counters.get("accepted", 0)
    metrics.update(
        accepted=accepted,
        refused=counters.get("refused", 0),
        callbacks=counters.get("callbacks", 0),
        callbacks_outstanding=counters.get("callbacks_outstanding", 0),
        generator_delivered=counters.get("handset_delivered", 0),
        generator_reported_delivered=counters.get("status_DELIVRD", 0),
        generator_fake_dlr=counters.get("fake_dlr", 0),
        otp_verified=counters.get("otp_verified", 0),
        ait_submitted=counters.get("ait_submitted", 0),
    )
    errors = {k[5:]: v for k, v in counters.items() if k.startswith("http_")}
    if truth is not None:
        kpis = truth.get("kpis", {})
        for key in ("delivered_ratio", "reported_delivered_ratio", "fake_dlr_ratio",
                    "no_receipt_ratio", "sender_intact_ratio", "content_intact_ratio",
                    "latency_p50_s", "latency_p95_s", "cost_total", "cost_per_delivered",
                    "ait_sent", "ait_cost", "retries"):  # fmt: skip
            metrics[key] = kpis.get(key)
        metrics["ait_leaked"] = kpis.get("ait_sent")
        metrics["service_accepted"] = truth.get("accepted")
        metrics["service_terminal"] = truth.get("terminal")
        if truth.get("accepted") is not None:
            metrics["lost"] = int(truth["accepted"]) - int(truth.get("terminal", 0))
            metrics["unaccounted"] = max(0, accepted - int(truth["accepted"]))
    report: dict[str, Any] = clean(
        {
            "run": dict(run),
            "metrics": metrics,
            "errors_by_code": errors,
            "dlr_latency_ms": dlr,
            "counters": counters,
            "truth": truth,
        }
    )
    return report


def _fmt(value: Any, digits: int = 1, pct: bool = False) -> str:
    if value is None:
        return "–"
    if pct:
        return f"{100 * float(value):.2f}%"
    if isinstance(value, int):
        return str(value)
    return f"{float(value):.{digits}f}"


def render_markdown(report: Mapping[str, Any], breaches: list[str]) -> str:
    """A one-page summary for people."""
    m = report["metrics"]
    run = report["run"]
    lines = [
        f"# Load report: {run.get('scenario')} ({run.get('strategy') or 'external target'})",
        "",
        f"{run.get('users')} users, spawn rate {run.get('spawn_rate')}/s, "
        f"{run.get('run_time_s')} s, {run.get('processes')} Locust process(es), "
        f"target {run.get('target')}",
        "",
        "| measure | value |",
        "|---|---|",
        f"| submits (accepted / refused) | {m.get('submit_requests')} "
        f"({m.get('accepted')} / {m.get('refused')}) |",
        f"| accepted per second | {_fmt(m.get('accepted_per_s'))} |",
        f"| submit latency p50 / p95 / p99 ms | {_fmt(m.get('submit_p50_ms'))} / "
        f"{_fmt(m.get('submit_p95_ms'))} / {_fmt(m.get('submit_p99_ms'))} |",
        f"| DLR latency p50 / p95 / p99 ms | {_fmt(m.get('dlr_p50_ms'), 0)} / "
        f"{_fmt(m.get('dlr_p95_ms'), 0)} / {_fmt(m.get('dlr_p99_ms'), 0)} |",
        f"| delivered (truth) / reported | {_fmt(m.get('delivered_ratio'), pct=True)} / "
        f"{_fmt(m.get('reported_delivered_ratio'), pct=True)} |",
        f"| fake DELIVRD share | {_fmt(m.get('fake_dlr_ratio'), pct=True)} |",
        f"| sender / content intact | {_fmt(m.get('sender_intact_ratio'), pct=True)} / "
        f"{_fmt(m.get('content_intact_ratio'), pct=True)} |",
        f"| AIT submitted / leaked to routes | {m.get('ait_submitted')} / {m.get('ait_leaked')} |",
        f"| lost (accepted, not terminal) | {m.get('lost', '–')} |",
        f"| callbacks outstanding at stop | {m.get('callbacks_outstanding')} |",
        "",
    ]
    errors = report.get("errors_by_code") or {}
    if errors:
        lines.append("Errors by HTTP code: " + ", ".join(f"{k}: {v}" for k, v in errors.items()))
        lines.append("")
    if breaches:
        lines.append("**Thresholds breached:**")
        lines.extend(f"- {b}" for b in breaches)
    else:
        lines.append("All thresholds hold.")
    return "\n".join(lines) + "\n"


def write_report(out_dir: Path, report: Mapping[str, Any], breaches: list[str]) -> None:
    body = dict(report)
    body["breaches"] = breaches
    (out_dir / "load_report.json").write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    (out_dir / "load_report.md").write_text(render_markdown(report, breaches), encoding="utf-8")
