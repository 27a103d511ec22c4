"""Tables of the report, as plain data (:class:`~sim.report.document.Table`).

KPIs per strategy with 95% CIs (best emphasised), paired differences against the
reference strategy, truth against receipts and integrity per route, routes per
strategy, and what guards held or refused.
"""

from __future__ import annotations

from typing import Any

from sim.kpis import HIGHER_IS_BETTER, KPI_ORDER
from sim.report import fmt
from sim.report.document import Cell, Table, text_cell
from sim.report.measures import Measures
from sim.report.rundata import RunData

# Observed twins are not "better" when higher: receipts can lie.
_NO_BEST = frozenset({"reported_delivered_ratio", "cost_per_reported_delivered", "cost_total"})


def _best(data: RunData, key: str) -> set[str]:
    """Strategies showing the best value of ``key`` (none if all show the same)."""
    if key not in HIGHER_IS_BETTER or key in _NO_BEST or len(data.strategies) < 2:
        return set()
    values = {n: data.kpis(n).get(key) for n in data.strategies}
    present = {n: v for n, v in ((n, fmt.num(v)) for n, v in values.items()) if v is not None}
    if not present:
        return set()
    pick = max if HIGHER_IS_BETTER[key] else min
    best = fmt.kpi(pick(present.values()), key)
    winners = {n for n, v in present.items() if fmt.kpi(v, key) == best}
    return set() if len(winners) == len(values) else winners


def kpi_keys(data: RunData) -> list[str]:
    """KPIs the run has a value for, in the contract's order (then any others)."""
    seen = {k for n in data.strategies for k, v in data.kpis(n).items() if not fmt.missing(v)}
    extra = sorted(seen - set(KPI_ORDER))
    return [k for k in (*KPI_ORDER, *extra) if k in seen and not k.startswith("n_")]


def kpi_table(data: RunData) -> Table:
    """Strategy × KPI: means over replications with 95% CIs; best emphasised."""
    rows = []
    for key in kpi_keys(data):
        best = _best(data, key)
        cells = [text_cell(fmt.kpi_label(key))]
        for name in data.strategies:
            ci = data.ci95(name, key)
            cells.append(
                Cell(
                    fmt.kpi(data.kpis(name).get(key), key),
                    fmt.interval(*ci, key) if ci else "",
                    emphasis=name in best,
                )
            )
        rows.append(tuple(cells))
    return Table(
        "kpis",
        "KPIs per strategy",
        ("KPI", *data.strategies),
        tuple(rows),
        note="Means over replications; brackets: 95% confidence interval; emphasised: best "
        "(truth KPIs only — a receipt-based figure is not better for being higher).",
    )


def paired(data: RunData) -> dict[str, dict[str, Any]]:
    """Strategy -> its paired differences against the reference (when the run has them)."""
    out: dict[str, dict[str, Any]] = {}
    for name in data.strategies:
        entry = data.summary["strategies"][name].get("paired")
        if isinstance(entry, dict) and "diff" in entry and "ci95" in entry:
            out[name] = entry
    return out


def excludes_zero(ci: Any) -> bool:
    """True when a [lo, hi] interval lies wholly on one side of 0."""
    if not ci or fmt.missing(ci[0]) or fmt.missing(ci[1]):
        return False
    return bool(ci[0] > 0 or ci[1] < 0)


def paired_table(data: RunData) -> Table | None:
    """KPI × strategy: mean difference (strategy − reference) per replication, CI."""
    entries = paired(data)
    if not entries:
        return None
    reference = data.reference or next(iter(entries.values()))["reference"]
    rows = []
    for key in kpi_keys(data):
        diffs = [entry["diff"].get(key) for entry in entries.values()]
        if all(fmt.missing(d) or d == 0 for d in diffs):
            continue  # identical under every strategy (same traffic): nothing to compare
        cells = [text_cell(fmt.kpi_label(key))]
        for entry in entries.values():
            ci = entry["ci95"].get(key)
            cells.append(
                Cell(
                    fmt.signed_kpi(entry["diff"].get(key), key),
                    fmt.interval(ci[0], ci[1], key, signed=True) if ci else "",
                    emphasis=excludes_zero(ci),
                )
            )
        rows.append(tuple(cells))
    return Table(
        "paired",
        f"Paired differences against {reference}",
        ("KPI", *(f"{n} − {reference}" for n in entries)),
        tuple(rows),
        note="Each replication runs every strategy on the same traffic and carrier draws; "
        "values are mean differences per replication with 95% CIs; emphasised: the CI "
        "excludes 0. Ratios in percentage points (pp). KPIs equal under every strategy "
        "are left out.",
    )


def route_truth_table(m: Measures) -> Table:
    """Per route, pooled: accepted attempts, truth vs receipts, fake DELIVRD share."""
    rows = []
    for s in m.route_stats:
        gap = s.reported.low > s.delivered.high  # receipts claim more than handsets saw
        rows.append(
            (
                text_cell(s.route),
                Cell(fmt.count(s.attempts)),
                Cell(fmt.pct(s.accepted / s.attempts if s.attempts else None)),
                Cell(fmt.pct(s.delivered.value), warning=gap),
                Cell(fmt.pct(s.reported.value), warning=gap),
                Cell(fmt.pct(s.fake.value)),
                Cell(fmt.secs(s.latency_p50_s)),
                Cell(fmt.eur(s.cost_eur)),
            )
        )
    return Table(
        "route_truth",
        "Truth against receipts, per route",
        (
            "route",
            "attempts",
            "accepted",
            "delivered (truth)",
            "delivered (reported)",
            "fake DELIVRD",
            "p50 submit → handset (s)",
            "cost (EUR)",
        ),
        tuple(rows),
        note="Every strategy and replication pooled; shares of accepted attempts; fake "
        "DELIVRD: receipts saying delivered for attempts no handset received. Marked: "
        "receipts claim significantly more than the handsets received.",
    )


def integrity_table(m: Measures) -> Table:
    """Per route, pooled: sender ID and text as sent, among delivered attempts."""
    rows = [
        (
            text_cell(s.route),
            Cell(fmt.count(s.sender_intact.n)),
            Cell(fmt.pct(s.sender_intact.value), warning=s.sender_intact.high < 0.95),
            Cell(fmt.pct(s.content_intact.value), warning=s.content_intact.high < 0.95),
        )
        for s in m.route_stats
        if s.sender_intact.n
    ]
    return Table(
        "integrity",
        "Sender and content integrity, per route",
        ("route", "delivered attempts", "sender ID intact", "text intact"),
        tuple(rows),
        note="Among attempts a handset received, every strategy pooled. Marked: clearly below 95%.",
    )


def strategy_routes_table(data: RunData) -> Table:
    """Per strategy and route (from the summary): share of traffic, truth, receipts."""
    rows = []
    for name in data.strategies:
        per_route = data.summary["strategies"][name]["per_route"]
        for route in data.route_ids:
            r = per_route.get(route)
            if not r or not r.get("attempts"):
                continue
            rows.append(
                (
                    text_cell(name),
                    text_cell(route),
                    Cell(fmt.pct(r.get("traffic_share"))),
                    Cell(fmt.pct(r.get("delivered_ratio"))),
                    Cell(fmt.pct(r.get("reported_delivered_ratio"))),
                    Cell(fmt.pct(r.get("sender_intact_ratio"))),
                    Cell(fmt.eur(r.get("cost_total"))),
                )
            )
    return Table(
        "strategy_routes",
        "Routes used by each strategy",
        (
            "strategy",
            "route",
            "traffic share",
            "delivered (truth)",
            "delivered (reported)",
            "sender intact",
            "cost (EUR)",
        ),
        tuple(rows),
        note="Means over replications; delivery as a share of the route's accepted attempts.",
    )


def guards_fraud_table(data: RunData, m: Measures) -> Table | None:
    """Per strategy: messages guards held or refused, and no-route rejections (AIT has
    its own table, :func:`sim.report.ait.ait_table`)."""
    rows = []
    acted = False
    for name in data.strategies:
        guards = m.guards(name)
        held = sum(g.held for g in guards)
        timed = [g for g in guards if g.held and not fmt.missing(g.hold_mean_s)]
        weight = sum(g.held for g in timed)
        hold_s = sum(g.held * g.hold_mean_s for g in timed) / weight if weight else None
        rejected = fmt.num(data.kpis(name).get("rejected_ratio"))
        acted = acted or bool(guards) or bool(rejected)
        refusing = [g for g in guards if g.refused]
        by_guard = (
            "; ".join(f"{g.guard} {fmt.count(g.refused)}" for g in refusing)
            if len(refusing) > 1
            else ""
        )
        rows.append(
            (
                text_cell(name),
                Cell(fmt.count(held)),
                Cell(fmt.secs(hold_s)),
                Cell(fmt.count(sum(g.refused for g in guards)), by_guard),
                Cell(fmt.pct(rejected, 2)),
            )
        )
    if not acted:
        return None
    return Table(
        "guards_fraud",
        "Held and refused",
        (
            "strategy",
            "held by guards",
            "mean hold (s)",
            "refused by guards",
            "rejected (no route took it)",
        ),
        tuple(rows),
        note="Per replication (means). Held messages were sent later; refused ones never "
        "left (under the count, when several guards refused: per guard). Rejected: share "
        "of messages no route accepted, guard refusals included.",
    )
