"""Figure style: size, fonts, colours and a figure factory shared by every report figure.

Strategies and routes keep one colour each across figures; strategies also get a line
style, so lines that overlap stay distinguishable.
"""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")
import numpy.typing as npt
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

DPI = 110
WIDTH_IN = 9.0
STYLE = {
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "legend.fontsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "svg.hashsalt": "routesim",
    "path.simplify": True,
}
TRUTH_COLOUR = "#2b8a3e"
REPORTED_COLOUR = "#adb5bd"


def percent() -> PercentFormatter:
    """A fresh 0–100% tick formatter (a formatter belongs to one axis)."""
    return PercentFormatter(xmax=1.0, decimals=0)


def strategy_colour(index: int) -> str:
    return str(to_hex(matplotlib.colormaps["tab10"](index % 10)))


def strategy_dashes(index: int) -> str:
    """Line style per strategy, so overlapping lines stay distinguishable."""
    return ("-", "--", "-.", ":")[index % 4]


def route_colour(index: int) -> str:
    cmap = matplotlib.colormaps["tab20" if index >= 10 else "tab10"]
    return str(to_hex(cmap(index % cmap.N)))


def new_figure(
    height_in: float, rows: int = 1, cols: int = 1, *, sharex: bool = False, sharey: bool = False
) -> tuple[Figure, npt.NDArray[Any]]:
    """A figure of the report's width with a ``rows`` x ``cols`` array of axes."""
    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharex=sharex, sharey=sharey)
    return fig, axes
