"""The scenario in words: traffic, networks, routes (and what they really do), fraud,
market rules and the strategies compared — plus a table of the routes on offer.

Route behaviour described here is the configured ground truth; the rest of the report
shows what came of it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sim.report import fmt
from sim.report.document import Cell, Table, text_cell
from sim.report.rundata import RunData
from sim.scenario import Route, Scenario


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 7200:
        return f"{seconds / 60:g} min"
    return f"{seconds / 3600:g} h"


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """'1 replication', '3 replications'."""
    return f"{n} {noun if n == 1 else nouns or noun + 's'}"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _at(scenario: Scenario, offset_s: float) -> str:
    when = (scenario.start + timedelta(seconds=offset_s)).astimezone(scenario.zone)
    return f"{when:%H:%M}"


def traffic_paragraph(data: RunData) -> str:
    s = data.scenario
    traffic = s.traffic
    total = sum(k.share for k in traffic.kinds.values())
    mix = _join(
        [
            f"{fmt.pct(spec.share / total, 0)} {kind.value} (sender {spec.sender})"
            for kind, spec in traffic.kinds.items()
        ]
    )
    start = s.start.astimezone(s.zone)
    submitted = data.kpis(data.strategies[0]).get("submitted")
    text = (
        f"Traffic: {_duration(float(data.summary['duration_s']))} from "
        f"{start:%A %d %B %Y, %H:%M} ({s.timezone}) at {traffic.rate_per_s:g} messages/s "
        f"at the daily profile's 1.0, about {fmt.count(submitted)} messages per "
        f"replication; {mix}."
    )
    for burst in traffic.bursts:
        where = _join(list(burst.destinations)) if burst.destinations else "every network"
        text += (
            f" A {burst.kind.value} campaign adds {burst.rate_per_s:g} messages/s to {where} "
            f"from {_at(s, burst.start_s)} for {_duration(burst.duration_s)}."
        )
    return text


def networks_paragraph(scenario: Scenario) -> str:
    by_country: dict[str, list[str]] = defaultdict(list)
    for d in scenario.destinations:
        by_country[d.country].append(d.operator)
    parts = [f"{c} ({', '.join(ops)})" for c, ops in by_country.items()]
    return (
        f"Networks: {len(scenario.destinations)} in {len(by_country)} countries — "
        f"{'; '.join(parts)}."
    )


def route_behaviour(route: Route) -> list[str]:
    """What a route really does beyond plain delivery, in words (configured truth)."""
    out = []
    dlr = route.dlr
    if dlr.fake_share:
        scope = {"all": "", "bulk": " bulk", "except_test_numbers": " (sparing test numbers)"}
        out.append(
            f"fakes DELIVRD for {fmt.share(dlr.fake_share)} of undelivered"
            f"{scope[dlr.fake_mode.value]} messages"
        )
    if dlr.missing_share >= 0.01:
        out.append(f"sends no receipt for {fmt.share(dlr.missing_share)}")
    sender = route.sender
    if sender.numeric_share:
        out.append(f"rewrites the sender to a number on {fmt.share(sender.numeric_share)}")
    if sender.generic_share:
        out.append(
            f"replaces the sender by {sender.generic_sender} on {fmt.share(sender.generic_share)}"
        )
    content = route.content
    for share, what in (
        (content.truncate_share, "truncates"),
        (content.strip_links_share, "strips links from"),
        (content.bad_encoding_share, "garbles the encoding of"),
    ):
        if share:
            out.append(f"{what} {fmt.share(share)} of texts")
    for outage in route.outages:
        verb = "refuses submits" if outage.mode.value == "reject" else "silently drops messages"
        out.append(f"{verb} from {outage.start_s:g} s to {outage.end_s:g} s")
    if route.drift is not None:
        out.append(
            f"drifts to {fmt.pct(route.drift.delivered_factor, 0)} of its delivery between "
            f"{route.drift.start_s:g} s and {route.drift.end_s:g} s"
        )
    return out


def routes_paragraph(scenario: Scenario) -> str:
    kinds: dict[str, list[str]] = defaultdict(list)
    for r in scenario.routes:
        kinds[r.kind.value].append(r.id)
    nouns = {"direct": "direct", "aggregator": "via aggregators", "grey": "grey"}
    counted = _join(
        [f"{len(ids)} {nouns.get(k, k)} ({', '.join(ids)})" for k, ids in kinds.items()]
    )
    notes = [f"{r.id} {_join(route_behaviour(r))}" for r in scenario.routes if route_behaviour(r)]
    text = f"Routes: {len(scenario.routes)} — {counted}."
    if notes:
        text += " What they do that no router sees: " + "; ".join(notes) + "."
    return text


def rules_paragraphs(scenario: Scenario) -> list[str]:
    out = []
    for attack in scenario.traffic.ait:
        out.append(
            f"Fraud: from {_at(scenario, attack.start_s)} for {_duration(attack.duration_s)}, "
            f"bots request {attack.rate_per_s:g} {attack.kind.value} messages/s to numbers "
            f"under {', '.join(attack.prefixes)} ({attack.pattern.value}) — SMS pumping "
            "(AIT)."
        )
    for rule in scenario.quiet_hours:
        days = f", nor on {_join([d.capitalize() for d in rule.quiet_weekdays])}"
        holidays = " or public holidays" if rule.holidays else ""
        out.append(
            f"Market rule {rule.name}: {_join([k.value for k in rule.kinds])} to "
            f"{_join(list(rule.countries))} only between {rule.allowed_from} and "
            f"{rule.allowed_until} local time{days if rule.quiet_weekdays else ''}{holidays}; "
            f"outside, messages are {'held' if rule.action.value == 'hold' else 'refused'}."
        )
    return out


def strategies_paragraph(data: RunData) -> str:
    specs = {s.name: s for s in data.scenario.strategies}
    described = []
    for name in data.strategies:
        spec = specs.get(name)
        use = data.summary["strategies"][name].get("use") or (spec.target if spec else name)
        label = name if use == name else f"{name} ({use})"
        described.append(label)
    retry = data.scenario.retry
    text = (
        f"Strategies compared: {_join(described)}, {plural(data.replications, 'replication')} "
        "each on the same traffic and carrier draws"
    )
    if data.reference:
        text += f"; reference for paired differences: {data.reference}"
    failover = ", failing over on negative receipts" if retry.failover_on_negative_dlr else ""
    return text + f". Up to {retry.max_attempts} attempts per message{failover}."


def describe(data: RunData) -> list[str]:
    """The scenario as paragraphs of plain text."""
    s = data.scenario
    paragraphs = [" ".join(s.description.split())] if s.description.strip() else []
    paragraphs += [
        traffic_paragraph(data),
        networks_paragraph(s),
        routes_paragraph(s),
        *rules_paragraphs(s),
        strategies_paragraph(data),
    ]
    return paragraphs


def routes_table(scenario: Scenario) -> Table:
    """The routes on offer: kind, supplier, capacity and price range."""
    rows = []
    for r in scenario.routes:
        prices = list(r.prices.values())
        low, high = min(prices), max(prices)
        price = fmt.eur(low) if low == high else f"{fmt.eur(low)}–{fmt.eur(high)}"
        rows.append(
            (
                text_cell(r.id),
                text_cell(r.kind.value),
                text_cell(r.supplier),
                Cell(str(len(prices))),
                Cell(price),
                Cell(f"{r.tps:g}"),
                Cell(fmt.pct(r.outcomes.delivered, 1)),
            )
        )
    return Table(
        "routes",
        "Routes on offer",
        ("route", "kind", "supplier", "networks", "EUR / segment", "TPS", "configured delivery"),
        tuple(rows),
        note="Configured ground truth; a router sees only prices, capacity and receipts.",
    )
