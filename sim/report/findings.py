"""Findings: what the numbers say, in plain words — and only what they support.

Each finding is a sentence stated only when its evidence clears a bar: a route's
receipts against its handsets when their Wilson intervals do not overlap; a strategy
against the reference only when the paired difference's 95% CI excludes 0; integrity
when clearly below 95%; guards and AIT when they acted. No evidence, no sentence.
"""

from __future__ import annotations

from typing import Any

from sim.kpis import t_interval
from sim.report import fmt
from sim.report.measures import Measures, proportion
from sim.report.routehealth import route_health_findings
from sim.report.rundata import RunData
from sim.report.tables import excludes_zero, paired

MIN_GAP = 0.02  # route receipts vs truth: smaller gaps are not worth a sentence
MIN_DELIVERED = 30  # attempts behind an integrity share


def _worst_kind(m: Measures, route: str, gap: float) -> str:
    """' On marketing traffic it reports …' when one kind carries the lie."""
    worst, worst_gap = None, gap
    for kind, (d, r) in m.route_breakdown(route, "kind").items():
        if r.low > d.high and r.value - d.value >= 1.5 * worst_gap:
            worst, worst_gap = (kind, d, r), r.value - d.value
    if worst is None:
        return ""
    kind, d, r = worst
    return (
        f" On {kind} traffic it reports {fmt.pct(r.value)} delivered, the handsets received "
        f"{fmt.pct(d.value)} ({fmt.count(d.n)} attempts)."
    )


def route_findings(m: Measures, under_reporting: bool = False) -> list[str]:
    """Routes whose receipts claim more than the handsets received, largest lie first
    (or, with ``under_reporting``, routes whose receipts claim less)."""
    over, under = [], []
    for s in m.route_stats:
        d, r = s.delivered, s.reported
        if r.low > d.high and r.value - d.value >= MIN_GAP:
            text = (
                f"Route {s.route} reports {fmt.pct(r.value)} delivered, the handsets received "
                f"{fmt.pct(d.value)} (of {fmt.count(s.accepted)} accepted attempts, all "
                f"strategies): {fmt.pct(s.fake.value)} of its DELIVRD receipts are fake."
            )
            over.append((d.value - r.value, text + _worst_kind(m, s.route, r.value - d.value)))
        elif d.low > r.high and d.value - r.value >= MIN_GAP:
            under.append(
                f"Route {s.route} under-reports: {fmt.pct(r.value)} reported delivered, "
                f"{fmt.pct(d.value)} received by handsets (missing or late receipts)."
            )
    return under if under_reporting else [text for _, text in sorted(over)]


def integrity_findings(m: Measures) -> list[str]:
    """Routes that alter the sender ID or the text of what they deliver."""
    out = []
    for s in m.route_stats:
        sender, content = s.sender_intact, s.content_intact
        if sender.n >= MIN_DELIVERED and sender.high < 0.95:
            by_rules = sum(s.changed_by_rules.values())
            networks = ", ".join(s.changed_by_rules)
            changed = f"{fmt.pct(1 - sender.value)} of the messages route {s.route} delivered"
            if by_rules >= 0.9 * s.sender_changed:
                out.append(
                    f"{changed[0].upper()}{changed[1:]} arrived under another sender ID, on "
                    f"networks whose sender-ID rules rewrite it ({networks}): the network's "
                    "rule, not the route's doing."
                )
            else:
                rules = (
                    f" ({fmt.pct(by_rules / s.sender_changed, 0)} of the changes came from "
                    f"the sender-ID rules of {networks})"
                    if by_rules
                    else ""
                )
                out.append(
                    f"Route {s.route} showed the sender ID as sent on only "
                    f"{fmt.pct(sender.value)} of the messages it delivered{rules}; the rest "
                    "arrived under another sender."
                )
        if content.n >= MIN_DELIVERED and content.high < 0.95:
            out.append(
                f"Route {s.route} altered the text of {fmt.pct(1 - content.value)} of the "
                "messages it delivered (truncated, links stripped or garbled)."
            )
    return out


def _rep_values(data: RunData, name: str, key: str) -> list[float] | None:
    reps = data.summary["strategies"][name].get("replication_kpis")
    if not isinstance(reps, list) or len(reps) < 2:
        return None
    values = [fmt.num(r.get(key)) for r in reps]
    present = [v for v in values if v is not None]
    return present if len(present) == len(values) else None


def receipts_findings(data: RunData) -> list[str]:
    """Strategies whose receipts flatter them: reported delivery above the truth."""
    out = []
    for name in data.strategies:
        k = data.kpis(name)
        truth, reported = (
            fmt.num(k.get("delivered_ratio")),
            fmt.num(k.get("reported_delivered_ratio")),
        )
        if truth is None or reported is None:
            continue
        gap = reported - truth
        t = _rep_values(data, name, "delivered_ratio")
        r = _rep_values(data, name, "reported_delivered_ratio")
        if t is not None and r is not None:
            ci = t_interval([b - a for a, b in zip(t, r, strict=True)])
            supported = excludes_zero(ci) and ci[0] > 0
            ci_text = f"; {_span(ci, 100, ' pp', 1)}" if supported else ""
        else:
            ci_t = data.ci95(name, "delivered_ratio")
            ci_r = data.ci95(name, "reported_delivered_ratio")
            supported = ci_t is not None and ci_r is not None and ci_r[0] > ci_t[1]
            ci_text = ""
        if supported and gap >= 0.01:
            out.append(
                f"{name} looks better on receipts than it is: {fmt.pct(reported)} reported "
                f"delivered, {fmt.pct(truth)} received by handsets "
                f"({100 * gap:.1f} pp apart{ci_text})."
            )
    return out


def _span(ci: Any, scale: float, unit: str, digits: int) -> str:
    """A CI that lies on one side of 0 as magnitudes: '95% CI 16.7–17.9 pp'."""
    low, high = sorted(abs(float(v)) * scale for v in ci)
    return f"95% CI {low:,.{digits}f}–{high:,.{digits}f}{unit}"


def _clause(key: str, diff: float, ci: Any, mine: float, ref: float) -> str:
    """One paired difference in words, e.g. 'costs 12.0% less per delivered message'."""
    if key == "delivered_ratio":
        return (
            f"delivers {abs(100 * diff):.1f} pp {'more' if diff > 0 else 'fewer'} messages to "
            f"handsets ({fmt.pct(mine)} vs {fmt.pct(ref)}; {_span(ci, 100, ' pp', 1)})"
        )
    if key == "cost_per_delivered":
        return (
            f"costs {abs(100 * diff / ref):.1f}% {'more' if diff > 0 else 'less'} per delivered "
            f"message ({fmt.eur(mine)} vs {fmt.eur(ref)} EUR; {_span(ci, 100 / ref, '%', 1)})"
        )
    if key == "latency_p95_s":
        return (
            f"gets 95% of its messages to handsets {fmt.secs(abs(diff))} s "
            f"{'later' if diff > 0 else 'sooner'} ({fmt.secs(mine)} s vs {fmt.secs(ref)} s; "
            f"{_span(ci, 1, ' s', 1)})"
        )
    return (
        f"keeps the sender ID intact on {abs(100 * diff):.1f} pp "
        f"{'more' if diff > 0 else 'fewer'} of its deliveries ({fmt.pct(mine)} vs "
        f"{fmt.pct(ref)}; {_span(ci, 100, ' pp', 1)})"
    )


_COMPARED = ("delivered_ratio", "cost_per_delivered", "latency_p95_s", "sender_intact_ratio")


def paired_findings(data: RunData) -> list[str]:
    """Strategy against the reference, KPI by KPI, where the paired CI excludes 0."""
    out = []
    for name, entry in paired(data).items():
        reference = entry["reference"]
        if reference not in data.summary["strategies"]:
            continue
        clauses = []
        for key in _COMPARED:
            diff, ci = fmt.num(entry["diff"].get(key)), entry["ci95"].get(key)
            mine, ref = fmt.num(data.kpis(name).get(key)), fmt.num(data.kpis(reference).get(key))
            if diff is None or mine is None or ref is None:
                continue
            if excludes_zero(ci):
                clauses.append(_clause(key, diff, ci, mine, ref))
        if clauses:
            joined = "; ".join(clauses[:-1]) + ("; and " if len(clauses) > 1 else "") + clauses[-1]
            out.append(f"Against {reference}, {name} {joined}.")
    return out


def rejection_findings(data: RunData) -> list[str]:
    """Strategies that left messages unsent (no route accepted them)."""
    out = []
    for name in data.strategies:
        value = fmt.num(data.kpis(name).get("rejected_ratio"))
        ci = data.ci95(name, "rejected_ratio")
        if value is not None and ci is not None and ci[0] > 0 and value >= 0.001:
            out.append(
                f"{name} left {fmt.pct(value, 2)} of messages unsent: no route accepted them "
                "(guard refusals included)."
            )
    return out


def guard_findings(data: RunData, m: Measures) -> list[str]:
    """What guards held or refused, strategies that saw the same grouped together."""
    by_text: dict[str, list[str]] = {}
    for name in data.strategies:
        parts = []
        for g in m.guards(name):
            acts = []
            if g.held:
                wait = f" for {fmt.duration(g.hold_mean_s)} on average" if g.hold_mean_s else ""
                acts.append(f"held {fmt.count(g.held)} messages{wait} before sending them")
            if g.refused:
                acts.append(f"refused {fmt.count(g.refused)}")
            if acts:
                parts.append(f"{g.guard} {' and '.join(acts)}")
        if parts:
            by_text.setdefault("; ".join(parts), []).append(name)
    out = []
    for text, names in by_text.items():
        who = "every strategy" if len(names) == len(data.strategies) else _join(names)
        out.append(f"Guards under {who}, per replication: {text}.")
    return out


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def ait_findings(data: RunData, m: Measures) -> list[str]:
    """How much pumping traffic each strategy let through, what it cost, and what the
    AIT guard blocked (with the legitimate OTPs it blocked too)."""
    ait = {n: m.ait(n) for n in data.strategies}
    if not any(a.entered for a in ait.values()):
        return []
    leaked = [
        f"{n} let {fmt.count(a.per_rep(a.leaked))} of {fmt.count(a.per_rep(a.entered))} "
        f"through ({fmt.eur(a.per_rep(a.cost_eur))} EUR)"
        for n, a in ait.items()
        if a.leaked
    ]
    stopped = [n for n, a in ait.items() if a.entered and not a.leaked]
    out = []
    if leaked:
        out.append(f"AIT leaked, per replication: {'; '.join(leaked)}.")
    if stopped:
        out.append(f"{_join(stopped)} let no AIT message reach a route.")
    for name, a in ait.items():
        if a.blocked:
            legit = proportion(a.legit_blocked, a.legit_otp)
            cost = (
                f", and {fmt.pct(legit.value, 2)} of legitimate OTP traffic with them "
                f"({fmt.count(a.per_rep(a.legit_blocked))} messages; 95% CI "
                f"{fmt.pct(legit.low, 2)}–{fmt.pct(legit.high, 2)})"
                if a.legit_blocked
                else ", and no legitimate OTP"
            )
            out.append(
                f"Under {name}, the AIT guard blocked {fmt.count(a.per_rep(a.blocked))} of "
                f"{fmt.count(a.per_rep(a.entered))} AIT messages per replication{cost}."
            )
    return out


def find(data: RunData, m: Measures) -> list[str]:
    """Every supported finding, most consequential first."""
    return [
        *route_findings(m),
        *route_health_findings(m),
        *receipts_findings(data),
        *paired_findings(data),
        *route_findings(m, under_reporting=True),
        *rejection_findings(data),
        *integrity_findings(m),
        *ait_findings(data, m),
        *guard_findings(data, m),
        *probe_findings(data),
    ]


def probe_findings(data: RunData) -> list[str]:
    """Strategies that bought test probes: how many, at what cost."""
    spent = []
    for name in data.strategies:
        k = data.kpis(name)
        sent, cost = fmt.num(k.get("probes_sent")), k.get("probe_cost")
        if sent:
            spent.append(f"{name} {fmt.count(sent)} ({fmt.eur(cost)} EUR)")
    return [f"Test probes sent per replication: {'; '.join(spent)}."] if spent else []
