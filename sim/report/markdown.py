"""report.md: the scenario in words, KPI table with 95% CIs, truth vs receipts per route."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sim.kpis import HIGHER_IS_BETTER, KPI_ORDER
from sim.scenario import Scenario

_LABELS = {
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
    "ait_sent": "AIT sent",
    "ait_cost": "AIT cost (EUR)",
}


def fmt(value: float | None, key: str) -> str:
    """A KPI value for humans."""
    if value is None:
        return "–"
    if key.endswith("_ratio"):
        return f"{100 * value:.2f}%"
    if key in {"submitted", "retries", "ait_sent"}:
        return f"{value:,.0f}"
    if key.startswith("cost_per"):
        return f"{value:.4f}"
    return f"{value:,.2f}"


def _cell(kpis: dict[str, Any], ci: dict[str, Any], key: str, best: bool) -> str:
    value = fmt(kpis.get(key), key)
    lo, hi = ci.get(key, [None, None])
    text = value if lo is None or hi is None else f"{value} [{fmt(lo, key)}, {fmt(hi, key)}]"
    return f"**{text}**" if best else text


def _best(strategies: dict[str, Any], key: str) -> str | None:
    values = {n: s["kpis"].get(key) for n, s in strategies.items()}
    values = {n: v for n, v in values.items() if v is not None}
    if key not in HIGHER_IS_BETTER or len(values) < 2 or len(set(values.values())) < 2:
        return None
    pick = max if HIGHER_IS_BETTER[key] else min
    return pick(values, key=lambda n: values[n])


def render_markdown(scenario: Scenario, summary: dict[str, Any], figures: Sequence[str]) -> str:
    """The Markdown report of a run."""
    strategies: dict[str, Any] = summary["strategies"]
    names = list(strategies)
    lines = [
        f"# routesim report: {scenario.name}",
        "",
        scenario.description.strip() or "(no description)",
        "",
        f"{len(scenario.destinations)} destinations in "
        f"{len({d.country for d in scenario.destinations})} countries, "
        f"{len(scenario.routes)} routes "
        f"({', '.join(sorted({r.kind.value for r in scenario.routes}))}), "
        f"{summary['duration_s']:,.0f} s of traffic at {scenario.traffic.rate_per_s:g} msg/s "
        f"(before the daily profile), {summary['replications']} replication(s). "
        "Values are means over replications with 95% confidence intervals; **bold** is best.",
        "",
        "## KPIs per strategy",
        "",
        "| KPI | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for key in KPI_ORDER:
        best = _best(strategies, key)
        cells = [_cell(strategies[n]["kpis"], strategies[n]["ci95"], key, n == best) for n in names]
        lines.append(f"| {_LABELS.get(key, key)} | " + " | ".join(cells) + " |")
    lines += ["", "## Truth against receipts, per route", ""]
    for name in names:
        lines += [
            f"### {name}",
            "",
            "| route | traffic share | delivered (truth) | delivered (reported) | fake DELIVRD "
            "| sender intact | content intact | cost (EUR) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for route_id, r in strategies[name]["per_route"].items():
            if not r["attempts"]:
                continue
            lines.append(
                f"| {route_id} | {fmt(r['traffic_share'], 'x_ratio')} "
                f"| {fmt(r['delivered_ratio'], 'x_ratio')} "
                f"| {fmt(r['reported_delivered_ratio'], 'x_ratio')} "
                f"| {fmt(r['fake_dlr_ratio'], 'x_ratio')} "
                f"| {fmt(r['sender_intact_ratio'], 'x_ratio')} "
                f"| {fmt(r['content_intact_ratio'], 'x_ratio')} "
                f"| {fmt(r['cost_total'], 'cost_total')} |"
            )
        lines.append("")
    lines += ["## Figures", ""]
    lines += [f"![{f.removesuffix('.png')}]({f})" for f in figures]
    lines += [
        "",
        "---",
        f"seed {summary['seed']} · routesim {summary['version']} · "
        f"scenario hash {summary['scenario_hash']}",
        "",
    ]
    return "\n".join(lines)
