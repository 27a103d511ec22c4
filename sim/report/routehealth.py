"""Route health: what the route-test probes saw, per route, with Wilson 95% intervals.

Probes (``probes/<strategy>-<replication>.csv.gz``) go to test handsets, so they show
what customer receipts cannot: receipts saying ``DELIVRD`` for messages no handset
got, senders rewritten, texts changed. Every strategy of a replication sends the same
probes (only their queueing differs), so one strategy's probes stand for each
replication — the first strategy, in run order, that wrote them — and replications
are pooled. A route's *first flag* replays the probes of one replication in the order
their results came in through :class:`~sim.probes.evidence.RouteEvidence` (default
threshold: the Wilson lower bound of the fake-receipt or sender-rewrite share above
5%) and notes when the route was first flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.probes.evidence import ProbeResult, RouteEvidence
from sim.report import fmt
from sim.report.document import Cell, Table, text_cell
from sim.report.measures import Interval, Measures, proportion
from sim.report.rundata import RunData
from sim.report.style import new_figure, percent
from sim.world.smpp import DlrStatus, SubmitStatus

ACCEPTED = "ESME_ROK"
DELIVRD = "DELIVRD"
FLAG_THRESHOLD = RouteEvidence().flag_threshold
FAKE_COLOUR = "#e03131"
SENDER_COLOUR = "#1c7ed6"


@dataclass(frozen=True)
class RouteHealth:
    """One route's probes, pooled over replications."""

    route: str
    sent: int
    accepted: int
    received: Interval  # test handset received / accepted
    fake: Interval  # DELIVRD with nothing on the handset / DELIVRD receipts
    sender_rewrite: Interval  # sender not as sent / received
    content_change: Interval  # text not as sent / received
    latency_mean_s: float  # submit -> test handset, received probes
    flagged_s: tuple[float, ...]  # per replication: first flag time (inf: never)

    @property
    def flagged_in(self) -> int:
        """Replications in which the probes flagged the route."""
        return sum(1 for t in self.flagged_s if math.isfinite(t))

    @property
    def flag_median_s(self) -> float | None:
        """Median first-flag time over replications (never = infinitely late), or
        ``None`` when the median replication never flagged the route."""
        if not self.flagged_s:
            return None
        median = float(np.median(np.array(self.flagged_s, dtype=float)))
        return median if math.isfinite(median) else None


def probe_source(data: RunData, replication: int) -> str | None:
    """The strategy whose probes stand for ``replication`` (None: no probes)."""
    return next((s for s in data.strategies if data.probes(s, replication) is not None), None)


def pooled_probes(data: RunData) -> pd.DataFrame | None:
    """One strategy's probes per replication, with a ``replication`` column."""
    frames = []
    for replication in range(1, data.replications + 1):
        source = probe_source(data, replication)
        frame = data.probes(source, replication) if source is not None else None
        if frame is not None and not frame.empty:
            frames.append(frame.assign(replication=replication))
    return pd.concat(frames, ignore_index=True) if frames else None


def _status(name: str, enum: type[SubmitStatus] | type[DlrStatus], empty: int) -> int:
    if not name:
        return empty
    if name in enum.__members__:
        return int(enum[name])
    return int(name, 16) if name.startswith("0x") else empty


def first_flags(probes: pd.DataFrame) -> dict[str, float]:
    """Replay one replication's probes in the order their results came in: route ->
    the time (s) its evidence first flagged it (routes never flagged are absent)."""
    evidence = RouteEvidence()
    flagged: dict[str, float] = {}
    ordered = probes.sort_values("observed_s", kind="stable")
    for row in ordered.to_dict("records"):
        delay = float(row["handset_delay_s"])
        result = ProbeResult(
            route=str(row["route"]),
            destination=str(row["destination"]),
            sent_s=float(row["sent_s"]),
            observed_s=float(row["observed_s"]),
            submit_status=_status(str(row["submit_status"]), SubmitStatus, -2),
            received=bool(row["received"]),
            handset_delay_s=delay if math.isfinite(delay) else 0.0,
            dlr_status=_status(str(row["dlr_status"]), DlrStatus, 0),
            sender_intact=bool(row["sender_intact"]),
            content_intact=bool(row["content_intact"]),
            cost=float(row["cost"]),
            known_test_number=bool(row.get("known_test_number", False)),
        )
        evidence.add(result)
        if result.route not in flagged and evidence.flagged(result.route):
            flagged[result.route] = result.observed_s
    return flagged


def _health(data: RunData) -> list[RouteHealth]:
    probes = pooled_probes(data)
    if probes is None:
        return []
    replications = sorted({int(r) for r in probes["replication"]})
    flags = {r: first_flags(probes[probes["replication"] == r]) for r in replications}
    probed = {str(r) for r in probes["route"]}
    known = [r for r in data.route_ids if r in probed]
    extra = sorted(probed - set(known))
    out = []
    for route in (*known, *extra):
        mine = probes[probes["route"] == route]
        accepted = mine[mine["submit_status"] == ACCEPTED]
        delivrd = accepted[accepted["dlr_status"] == DELIVRD]
        received = accepted[accepted["received"]]
        fake = int((~delivrd["received"]).sum())
        latency = received["handset_delay_s"].to_numpy(float)
        latency = latency[np.isfinite(latency)]
        out.append(
            RouteHealth(
                route=route,
                sent=len(mine),
                accepted=len(accepted),
                received=proportion(len(received), len(accepted)),
                fake=proportion(fake, len(delivrd)),
                sender_rewrite=proportion(int((~received["sender_intact"]).sum()), len(received)),
                content_change=proportion(int((~received["content_intact"]).sum()), len(received)),
                latency_mean_s=float(latency.mean()) if latency.size else math.nan,
                flagged_s=tuple(flags[r].get(route, math.inf) for r in replications),
            )
        )
    return out


def route_health(m: Measures) -> list[RouteHealth]:
    """Per route (scenario order) that was probed; empty when the run had no probes."""
    return m.memo("route_health", lambda: _health(m.data))


def _share_cell(share: Interval, counts: bool = False, warning: bool = False) -> Cell:
    if not share.n:
        return Cell("–")
    ci = f"[{fmt.pct(share.low)}, {fmt.pct(share.high)}]"
    hits = round(share.value * share.n)
    detail = f"{hits} of {share.n} {ci}" if counts else ci
    return Cell(fmt.pct(share.value), detail, warning=warning)


def _flag_cell(h: RouteHealth, replications: int) -> Cell:
    median = h.flag_median_s
    reps = f"in {h.flagged_in} of {replications} replications"
    if median is None:
        return Cell("not flagged", reps if h.flagged_in else "")
    return Cell(fmt.elapsed(median), reps, warning=True)


def route_health_table(m: Measures) -> Table | None:
    """Per route: probes accepted and received, fake receipts, sender and text changes,
    latency, and when the evidence first flagged the route."""
    data = m.data
    health = route_health(m)
    if not health:
        return None
    rows = []
    for h in health:
        flag_lb = FLAG_THRESHOLD
        rows.append(
            (
                text_cell(h.route),
                Cell(fmt.count(h.accepted), f"of {fmt.count(h.sent)} sent"),
                _share_cell(h.received),
                _share_cell(h.fake, counts=True, warning=h.fake.low > flag_lb),
                _share_cell(h.sender_rewrite, warning=h.sender_rewrite.low > flag_lb),
                _share_cell(h.content_change, warning=h.content_change.low > flag_lb),
                Cell(fmt.secs(h.latency_mean_s)),
                _flag_cell(h, data.replications),
            )
        )
    return Table(
        "route_health",
        "Route health from probes",
        (
            "route",
            "probes accepted",
            "received by test handset",
            "fake receipts",
            "sender rewritten",
            "text changed",
            "mean submit → handset (s)",
            "first flagged (median)",
        ),
        tuple(rows),
        note=f"Probes of all {fmt.count(data.replications)} replications pooled (one "
        "strategy's probes per replication: every strategy sends the same ones). Fake "
        "receipts: DELIVRD receipts for probes that never reached the test handset, among "
        "DELIVRD receipts; sender rewritten and text changed: among probes received. "
        "Brackets: Wilson 95% intervals. First flagged: minutes from the start until the "
        "lower bound of the fake-receipt or sender-rewrite share first exceeded "
        f"{fmt.pct(FLAG_THRESHOLD, 0)} (probes replayed as their results came in); "
        "median over replications. Marked: lower bound above that threshold.",
    )


def route_health_findings(m: Measures) -> list[str]:
    """Routes the probes flagged, with the evidence that flagged them."""
    data = m.data
    out = []
    for h in route_health(m):
        median = h.flag_median_s
        if median is None:
            continue
        clauses = []
        if h.fake.n and h.fake.low > FLAG_THRESHOLD:
            clauses.append(
                f"{round(h.fake.value * h.fake.n)} of {h.fake.n} DELIVRD receipts had "
                f"nothing on the test handset ({fmt.pct(h.fake.value)}; 95% CI "
                f"{fmt.pct(h.fake.low)}–{fmt.pct(h.fake.high)})"
            )
        if h.sender_rewrite.n and h.sender_rewrite.low > FLAG_THRESHOLD:
            s = h.sender_rewrite
            clauses.append(
                f"{round(s.value * s.n)} of the {s.n} probes it delivered showed another "
                f"sender ID ({fmt.pct(s.value)}; 95% CI {fmt.pct(s.low)}–{fmt.pct(s.high)})"
            )
        if not clauses:
            continue
        reps = (
            f"median of {data.replications} replications"
            if data.replications > 1
            else "one replication"
        )
        out.append(
            f"Probes flagged route {h.route} after {fmt.elapsed(median)} ({reps}): "
            f"{' and '.join(clauses)}."
        )
    return out


def route_health_figure(m: Measures) -> Figure | None:
    """Per route: fake-receipt and sender-rewrite shares the probes measured, with
    Wilson 95% intervals and the flag threshold."""
    health = route_health(m)
    if not health:
        return None
    fig, axes = new_figure(1.5 + 0.5 * len(health))
    ax: Axes = axes[0, 0]
    y = np.arange(len(health))[::-1]
    for offset, label, colour, attr in (
        (0.2, "fake receipts (DELIVRD, nothing on the handset)", FAKE_COLOUR, "fake"),
        (-0.2, "sender ID rewritten", SENDER_COLOUR, "sender_rewrite"),
    ):
        shares: list[Interval] = [getattr(h, attr) for h in health]
        values = np.array([0.0 if not s.n else s.value for s in shares])
        err = np.array(
            [
                [0.0 if not s.n else max(0.0, s.value - s.low) for s in shares],
                [0.0 if not s.n else max(0.0, s.high - s.value) for s in shares],
            ]
        )
        ax.barh(
            y + offset,
            values,
            0.38,
            xerr=err,
            color=colour,
            label=label,
            error_kw={"lw": 0.8, "capsize": 2},
        )
        for yy, v, hi, s in zip(y + offset, values, err[1], shares, strict=True):
            text = "no data" if not s.n else f"{100 * v:.0f}% (n={s.n})"
            ax.text(v + hi + 0.01, yy, text, va="center", fontsize=8)
    ax.axvline(FLAG_THRESHOLD, color="black", lw=0.9, ls="--")
    ax.text(
        FLAG_THRESHOLD + 0.005,
        1.0,
        f"flag threshold {fmt.pct(FLAG_THRESHOLD, 0)}",
        transform=ax.get_xaxis_transform(),
        va="bottom",
        fontsize=8,
    )
    ax.set_yticks(y, [h.route for h in health])
    ax.set_xlim(0, 1.15)
    ax.xaxis.set_major_formatter(percent())
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(
        "share of probes: fake among DELIVRD receipts, rewritten among received (all replications)"
    )
    ax.set_title("What the test handsets saw, per route", pad=14)
    fig.legend(loc="outside lower center", ncols=2)
    return fig
