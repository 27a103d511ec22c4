"""Figures over time: traffic share per route and delivery, one panel per strategy.

Time runs over the scenario's traffic window, in minutes from its start (seconds for
runs shorter than ten minutes), in intervals of :attr:`Measures.bin_s`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from sim.report.measures import Measures
from sim.report.style import TRUTH_COLOUR, new_figure, percent, route_colour


def time_step_s(duration_s: float) -> float:
    """A round tick spacing giving about six ticks over ``duration_s``."""
    steps = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400)
    return float(next((s for s in steps if s >= duration_s / 6), steps[-1]))


def time_axis(ax: Axes, m: Measures) -> None:
    """Ticks at round times; minutes from the start (seconds for short runs)."""
    duration_s = float(m.data.summary["duration_s"])
    ax.set_xlim(0, duration_s)
    ax.xaxis.set_major_locator(MultipleLocator(time_step_s(duration_s)))
    per = 60.0 if duration_s >= 600 else 1.0
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / per:g}"))


def time_label(m: Measures) -> str:
    s = m.data.scenario
    start = s.start.astimezone(s.zone)
    unit = "minutes" if float(m.data.summary["duration_s"]) >= 600 else "seconds"
    return f"{unit} from the start ({start:%a %H:%M}, {s.timezone})"


def grid(n: int, height_per_row: float) -> tuple[Figure, list[Axes]]:
    cols = 1 if n == 1 else 2
    rows = (n + cols - 1) // cols
    fig, axes = new_figure(0.8 + height_per_row * rows, rows, cols, sharex=True, sharey=True)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    if n > 1 and n % 2:  # the lone last plot needs its own tick labels
        flat[n - 1].xaxis.set_tick_params(labelbottom=True)
        flat[n - 2].xaxis.set_tick_params(labelbottom=True)
    return fig, flat[:n]


def bottom_labels(axes: list[Axes], label: str) -> None:
    """An x label under each plot that shows tick labels (the bottom of each column)."""
    cols = 1 if len(axes) == 1 else 2
    for index, ax in enumerate(axes):
        if index + cols >= len(axes):
            ax.set_xlabel(label)


def traffic_share(m: Measures) -> Figure | None:
    """Per strategy: share of attempts sent to each route, per interval (stacked)."""
    names = m.data.strategies
    fig, axes = grid(len(names), 2.3)
    routes = m.data.route_ids
    drawn: dict[str, Artist] = {}
    for ax, name in zip(axes, names, strict=True):
        share = m.traffic_share(name)
        if share.empty:
            continue
        x = share.index.to_numpy(float)
        bottom = np.zeros(len(x))
        for route in share.columns:
            values = share[route].to_numpy(float)
            bars = ax.bar(
                x,
                values,
                m.bin_s,
                bottom=bottom,
                align="edge",
                lw=0,
                color=route_colour(routes.index(route)),
            )
            drawn[route] = bars.patches[0] if bars.patches else bars[0]
            bottom += values
        ax.set_title(name)
        ax.set_ylim(0, 1)
        ax.grid(axis="x", visible=False)
        ax.yaxis.set_major_formatter(percent())
        time_axis(ax, m)
    if not drawn:
        return None
    ordered = [r for r in routes if r in drawn]
    fig.legend(
        [drawn[r] for r in ordered], ordered, loc="outside lower center", ncols=min(len(ordered), 7)
    )
    bottom_labels(axes, time_label(m))
    fig.suptitle("Traffic share per route over time", fontweight="bold")
    return fig


def delivery_over_time(m: Measures) -> Figure | None:
    """Per strategy: delivered (truth) and reported DELIVRD, by creation time."""
    names = m.data.strategies
    fig, axes = grid(len(names), 2.1)
    low = 1.0
    for ax, name in zip(axes, names, strict=True):
        series = m.delivery_over_time(name)
        x = series.index.to_numpy(float) + m.bin_s / 2
        ax.plot(x, series["truth"], color=TRUTH_COLOUR, lw=1.6, label="received by handsets")
        ax.plot(x, series["reported"], color="#495057", lw=1.2, ls="--", label="reported DELIVRD")
        low = min(low, float(np.nanmin(series.to_numpy(float), initial=1.0)))
        ax.set_title(name)
        ax.yaxis.set_major_formatter(percent())
        time_axis(ax, m)
    axes[0].set_ylim(max(0.0, low - 0.05), 1.01)
    bottom_labels(axes, time_label(m))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2)
    fig.suptitle("Delivery over time (messages by creation time)", fontweight="bold")
    return fig
