"""Figures (matplotlib Agg, PNG): each one a function of the run's measures.

:data:`FIGURES` lists them in reading order; a figure whose subject is absent from
the run (no AIT traffic, say) draws nothing and is left out. PNGs are written
deterministically: fixed style, no software/date metadata, so the same run gives the
same bytes. Style lives in :mod:`sim.report.style`, the figures over time in
:mod:`sim.report.timeplots`; route health, AIT and learning curves in their own modules
(:mod:`~sim.report.routehealth`, :mod:`~sim.report.ait`, :mod:`~sim.report.learning_section`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib import style
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.report.ait import ait_figure
from sim.report.learning_section import learning_figure
from sim.report.measures import Measures
from sim.report.routehealth import FLAG_THRESHOLD, route_health_figure
from sim.report.style import (
    DPI,
    REPORTED_COLOUR,
    STYLE,
    TRUTH_COLOUR,
    new_figure,
    percent,
    strategy_colour,
    strategy_dashes,
)
from sim.report.timeplots import delivery_over_time, traffic_share


def cost_vs_delivery(m: Measures) -> Figure | None:
    """Pareto view: EUR per delivered message against true delivery, per strategy."""
    data = m.data
    fig, axes = new_figure(4.2)
    ax: Axes = axes[0, 0]
    points: list[tuple[float, float]] = []
    for i, name in enumerate(data.strategies):
        k = data.kpis(name)
        x, y = k.get("delivered_ratio"), k.get("cost_per_delivered")
        if x is None or y is None:
            continue
        xr, yr = k.get("reported_delivered_ratio"), k.get("cost_per_reported_delivered")
        colour = strategy_colour(i)
        if xr is not None and yr is not None:
            ax.annotate(
                "",
                (x, y),
                (xr, yr),
                arrowprops={"arrowstyle": "->", "color": colour, "alpha": 0.5, "lw": 1},
            )
            ax.scatter([xr], [yr], s=50, facecolors="white", edgecolors=colour, zorder=3)
        ci_x, ci_y = data.ci95(name, "delivered_ratio"), data.ci95(name, "cost_per_delivered")
        ax.errorbar(
            [x],
            [y],
            xerr=_err(x, ci_x),
            yerr=_err(y, ci_y),
            fmt="o",
            ms=8,
            color=colour,
            capsize=3,
            zorder=4,
            label=name,
        )
        points.append((x, y))
    if not points:
        return None
    frontier = _pareto(points)
    if len(frontier) > 1:
        fx, fy = zip(*frontier, strict=True)
        ax.plot(fx, fy, color="black", lw=0.8, ls=":", zorder=2, label="Pareto front")
    ax.scatter([], [], s=50, facecolors="white", edgecolors="grey", label="as receipts report")
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=1))
    ax.set_xlabel("delivered: share of messages handsets received (truth)")
    ax.set_ylabel("EUR per delivered message")
    ax.set_title("Cost against true delivery (lower right is better)")
    ax.legend(loc="upper left", ncols=2)
    return fig


def _err(value: float, ci: tuple[float, float] | None) -> list[list[float]] | None:
    if ci is None:
        return None
    return [[max(0.0, value - ci[0])], [max(0.0, ci[1] - value)]]


def _pareto(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points no other point beats on both delivery (higher) and cost (lower)."""
    front = [p for p in points if not any(q[0] >= p[0] and q[1] <= p[1] and q != p for q in points)]
    return sorted(set(front))


def route_delivery(m: Measures) -> Figure | None:
    """Per route: share of accepted attempts handsets received vs reported DELIVRD."""
    stats = [s for s in m.route_stats if s.accepted]
    if not stats:
        return None
    fig, axes = new_figure(1.3 + 0.42 * len(stats))
    ax: Axes = axes[0, 0]
    y = np.arange(len(stats))[::-1]
    for offset, label, colour, attr in (
        (0.2, "received by handsets (truth)", TRUTH_COLOUR, "delivered"),
        (-0.2, "reported DELIVRD (receipts)", REPORTED_COLOUR, "reported"),
    ):
        shares = [getattr(s, attr) for s in stats]
        values = np.array([v.value for v in shares])
        err = np.array([[v.value - v.low for v in shares], [v.high - v.value for v in shares]])
        ax.barh(
            y + offset,
            values,
            0.38,
            xerr=err,
            color=colour,
            label=label,
            error_kw={"lw": 0.8, "capsize": 2},
        )
        for yy, v, hi in zip(y + offset, values, err[1], strict=True):
            ax.text(v + hi + 0.008, yy, f"{100 * v:.1f}%", va="center", fontsize=8)
    ax.set_yticks(y, [s.route for s in stats])
    ax.set_xlim(0, 1.12)
    ax.xaxis.set_major_formatter(percent())
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("share of accepted attempts (all strategies and replications)")
    ax.set_title("Delivery per route: handsets against receipts")
    fig.legend(loc="outside lower center", ncols=2)
    return fig


def integrity(m: Measures) -> Figure | None:
    """Per route: sender ID and text received as sent, among delivered attempts."""
    stats = [s for s in m.route_stats if s.delivered.value > 0]
    if not stats:
        return None
    fig, axes = new_figure(1.3 + 0.42 * len(stats))
    ax: Axes = axes[0, 0]
    y = np.arange(len(stats))[::-1]
    for offset, label, colour, attr in (
        (0.2, "sender ID intact", "#1c7ed6", "sender_intact"),
        (-0.2, "text intact", "#f59f00", "content_intact"),
    ):
        values = np.array([getattr(s, attr).value for s in stats])
        ax.barh(y + offset, values, 0.38, color=colour, label=label)
        for yy, v in zip(y + offset, values, strict=True):
            ax.text(v + 0.01, yy, f"{100 * v:.1f}%", va="center", fontsize=8)
    ax.set_yticks(y, [s.route for s in stats])
    ax.set_xlim(0, 1.12)
    ax.xaxis.set_major_formatter(percent())
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("share of delivered attempts (all strategies and replications)")
    ax.set_title("Sender and content integrity per route")
    fig.legend(loc="outside lower center", ncols=2)
    return fig


def latency_cdf(m: Measures) -> Figure | None:
    """CDFs of submission -> handset (truth) and submission -> DELIVRD receipt."""
    fig, axes = new_figure(3.8, 1, 2, sharey=True)
    drawn = False
    for i, name in enumerate(m.data.strategies):
        for ax, sample in zip(axes[0], m.latencies(name), strict=True):
            if sample.size:
                ax.step(
                    sample,
                    np.arange(1, sample.size + 1) / sample.size,
                    where="post",
                    color=strategy_colour(i),
                    ls=strategy_dashes(i),
                    label=name,
                    lw=1.5,
                )
                drawn = True
    if not drawn:
        return None
    titles = ("submission → handset (truth)", "submission → DELIVRD receipt (observed)")
    for ax, title in zip(axes[0], titles, strict=True):
        ax.set_xscale("log")
        ax.set_title(title)
        ax.set_xlabel("seconds (log scale)")
        for q in (0.5, 0.95):
            ax.axhline(q, color="grey", lw=0.6, ls="--")
    axes[0, 0].set_ylabel("share of messages")
    axes[0, 0].yaxis.set_major_formatter(percent())
    axes[0, 0].legend(loc="lower right")
    return fig


@dataclass(frozen=True)
class FigureSpec:
    id: str
    title: str
    caption: str
    draw: Callable[[Measures], Figure | None]

    @property
    def file(self) -> str:
        return f"{self.id}.png"


FIGURES = (
    FigureSpec(
        "cost_vs_delivery",
        "Cost against true delivery",
        "Filled markers: truth, with 95% CIs; hollow: the same strategy as its "
        "receipts report it (arrow from receipts to truth). The dotted line joins "
        "strategies no other beats on both cost and delivery.",
        cost_vs_delivery,
    ),
    FigureSpec(
        "delivery",
        "Delivery per route",
        "Accepted attempts per route, every strategy pooled; bars are Wilson 95% "
        "intervals. A reported bar longer than the truth bar means fake receipts.",
        route_delivery,
    ),
    FigureSpec(
        "delivery_over_time",
        "Delivery over time",
        "Share of the messages created in each interval that a handset received, "
        "and whose last receipt says DELIVRD; all replications.",
        delivery_over_time,
    ),
    FigureSpec(
        "latency_cdf",
        "Latency",
        "Cumulative share of messages, from the customer's submission; dashed lines "
        "mark the median and the 95th percentile; all replications.",
        latency_cdf,
    ),
    FigureSpec(
        "traffic_share",
        "Traffic share per route over time",
        "Share of the attempts (retries included) queued to each route in each "
        "interval of the traffic window; all replications.",
        traffic_share,
    ),
    FigureSpec(
        "integrity",
        "Sender and content integrity",
        "Among attempts a handset received: sender ID shown as sent, text intact.",
        integrity,
    ),
    FigureSpec(
        "route_health",
        "What the probes saw",
        "Per route, from the route-test probes of every replication: DELIVRD receipts "
        "for probes the test handset never received (among DELIVRD receipts), and probes "
        "received under another sender ID (among those received); bars are Wilson 95% "
        "intervals. A route is flagged once a lower bound passes the dashed line "
        f"({100 * FLAG_THRESHOLD:g}%).",
        route_health_figure,
    ),
    FigureSpec(
        "ait_over_time",
        "AIT leaked and blocked over time",
        "Pumped (AIT) messages by creation time: red, accepted by a route and paid for; "
        "blue, refused by the AIT guard. Shaded: the scenario's attack windows. Markers "
        "along the top: the guard blocking a number range, one row per replication.",
        ait_figure,
    ),
    FigureSpec(
        "learning",
        "Learning curves",
        "Cumulative regret of each strategy's first-attempt choices against the best "
        "fixed route in hindsight per destination (table below), replication 1; bold "
        "lines: adaptive strategies. Flattening curves mean the strategy learned.",
        learning_figure,
    ),
)


def write_figures(m: Measures, out_dir: Path) -> list[FigureSpec]:
    """Draw every applicable figure into ``out_dir`` as PNG; return those written."""
    written: list[FigureSpec] = []
    with style.context(["default", STYLE]):
        for spec in FIGURES:
            fig = spec.draw(m)
            if fig is None:
                continue
            fig.savefig(out_dir / spec.file, format="png", dpi=DPI, metadata={"Software": None})
            written.append(spec)
    return written
