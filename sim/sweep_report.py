"""Sweep report: the Markdown table and the figures (PNG, matplotlib Agg) of a sweep.

One parameter: a line plot per KPI, one line per strategy with its 95% band. Two
parameters: a heat map per strategy and KPI (rows: the first parameter, columns: the
second). Three or more: the same heat maps faceted over the other parameters' values
(up to 12 panels per figure).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from sim.kpis import HIGHER_IS_BETTER

if TYPE_CHECKING:
    from sim.sweep import SweepResult, SweepRow

MAIN_KPIS = ("delivered_ratio", "reported_delivered_ratio", "fake_dlr_ratio", "cost_per_delivered")
MAX_PANELS = 12
_RATIO_SUFFIXES = ("_ratio", "_conversion", "_share")


def _fmt(kpi: str, value: float) -> str:
    if math.isnan(value):
        return "–"
    if kpi.endswith(_RATIO_SUFFIXES):
        return f"{100 * value:.2f}%"
    if "cost" in kpi and abs(value) < 10:
        return f"{value:.4f}"
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"


def _half_width(kpi: str, row: SweepRow) -> str:
    lo, hi = row.ci.get(kpi, (math.nan, math.nan))
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return ""
    half = (hi - lo) / 2
    if kpi.endswith(_RATIO_SUFFIXES):
        return f" ±{100 * half:.2f}"
    return f" ±{_fmt(kpi, half)}"


def markdown_table(result: SweepResult, kpis: Sequence[str] | None = None) -> str:
    """Grid point x strategy: the parameters and the KPIs as mean ±95% half-width."""
    columns = list(kpis or (*MAIN_KPIS, "latency_p95_s"))
    head = [*(p.path for p in result.params), "strategy", *columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in result.rows:
        cells = [*row.labels, row.strategy]
        cells += [_fmt(k, row.means[k]) + _half_width(k, row) for k in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_sweep_markdown(result: SweepResult, figures: Sequence[str], kpis: Sequence[str]) -> str:
    """sweep.md: what was swept, the results table and the figures."""
    scenario = result.scenario
    points = len({row.point for row in result.rows})
    out = [
        f"# Sweep: {scenario.name}",
        "",
        f"Scenario `{scenario.name}`, seed {scenario.seed}, {scenario.duration_s:g} simulated "
        f"seconds, {result.replications} replication(s) per grid point and strategy; every "
        "point uses the same seeds (paired comparison across the grid). "
        f"{points} grid points x {len(result.strategies)} strategies, "
        f"{result.wall_s:.1f} s wall.",
        "",
        "| parameter | sets | values |",
        "|---|---|---|",
    ]
    for p in result.params:
        targets = ", ".join(f"`{r}`" for r in p.resolved)
        out.append(f"| `{p.path}` | {targets} | {', '.join(p.labels)} |")
    out += [
        "",
        "## Results",
        "",
        "Mean over replications ± half-width of the 95% interval (percentage points for "
        "ratios). Every KPI with its bounds is in `sweep.csv`.",
        "",
    ]
    out.append(markdown_table(result, [*dict.fromkeys([*kpis, "latency_p95_s"])]))
    if figures:
        out += ["## Figures", ""]
        out += [f"![{Path(f).stem}]({f})" for f in figures]
    elif len(result.params) > 2:
        out.append(
            f"No figures: more than {MAX_PANELS} combinations of the parameters after the "
            "first two (see `sweep.csv`)."
        )
    return "\n".join(out) + "\n"


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _finite(values: Sequence[float | None]) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.array([math.nan if v is None else v for v in values], dtype=float)


def _line_figures(result: SweepResult, out_dir: Path, kpis: Sequence[str]) -> list[str]:
    param = result.params[0]
    numeric = _numeric(param.values)
    x = np.array(param.values, dtype=float) if numeric else np.arange(len(param.values))
    files = []
    for kpi in kpis:
        fig, ax = plt.subplots(figsize=(7, 3.8), dpi=110)
        scale = 100.0 if kpi.endswith(_RATIO_SUFFIXES) else 1.0
        for name in result.strategies:
            rows = sorted((r for r in result.rows if r.strategy == name), key=lambda r: r.point)
            mean = _finite([r.means[kpi] for r in rows]) * scale
            lo = _finite([r.ci.get(kpi, (math.nan, math.nan))[0] for r in rows]) * scale
            hi = _finite([r.ci.get(kpi, (math.nan, math.nan))[1] for r in rows]) * scale
            (line,) = ax.plot(x, mean, marker="o", label=name)
            ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
        if not numeric:
            ax.set_xticks(x, list(param.labels))
        ax.set_xlabel(param.path)
        ax.set_ylabel(kpi + (" (%)" if scale != 1 else ""))
        ax.set_title(f"{kpi} vs {param.path} (mean, 95% band)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        name = f"line-{kpi}.png"
        fig.savefig(out_dir / name)
        plt.close(fig)
        files.append(name)
    return files


def _heatmaps(result: SweepResult, out_dir: Path, kpis: Sequence[str]) -> list[str]:
    rows_p, cols_p, *rest = result.params
    facets = list(itertools.product(*(range(len(p.labels)) for p in rest)))
    if len(facets) > MAX_PANELS:
        return []
    ncols = min(len(facets), 3)
    nrows = math.ceil(len(facets) / ncols)
    files = []
    for name, kpi in itertools.product(result.strategies, kpis):
        mine = [r for r in result.rows if r.strategy == name]
        finite = [r.means[kpi] for r in mine if not math.isnan(r.means[kpi])]
        vmin, vmax = (min(finite), max(finite)) if finite else (0.0, 1.0)
        good = HIGHER_IS_BETTER.get(kpi)
        cmap = "viridis" if good is None else ("RdYlGn" if good else "RdYlGn_r")
        width = max(5.5, 0.9 * len(cols_p.labels) + 3.5)
        height = max(3.6, 0.5 * len(rows_p.labels) + 2.4)
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(width * ncols, height * nrows),
            dpi=110,
            squeeze=False,
            layout="constrained",
        )
        image = None
        for panel, facet in enumerate(facets):
            ax = axes[panel // ncols][panel % ncols]
            grid = np.full((len(rows_p.labels), len(cols_p.labels)), math.nan)
            for row in mine:
                labels = row.labels
                if tuple(p.labels.index(v) for p, v in zip(rest, labels[2:], strict=True)) == facet:
                    grid[rows_p.labels.index(labels[0]), cols_p.labels.index(labels[1])] = (
                        row.means[kpi]
                    )
            image = ax.imshow(grid, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
            for (i, j), value in np.ndenumerate(grid):
                ax.text(j, i, _fmt(kpi, value), ha="center", va="center", fontsize=8)
            ax.set_xticks(range(len(cols_p.labels)), list(cols_p.labels))
            ax.set_yticks(range(len(rows_p.labels)), list(rows_p.labels))
            ax.set_xlabel(cols_p.path)
            ax.set_ylabel(rows_p.path)
            if rest:
                title = ", ".join(
                    f"{p.path}={p.labels[k]}" for p, k in zip(rest, facet, strict=True)
                )
                ax.set_title(title, fontsize=8)
        for panel in range(len(facets), nrows * ncols):
            axes[panel // ncols][panel % ncols].axis("off")
        if image is not None:
            fig.colorbar(image, ax=axes, shrink=0.8, label=kpi)
        fig.suptitle(f"{kpi} — {name}", fontsize=10)
        file = f"heatmap-{name}-{kpi}.png"
        fig.savefig(out_dir / file)
        plt.close(fig)
        files.append(file)
    return files


def render_sweep_figures(result: SweepResult, out_dir: Path, kpis: Sequence[str]) -> list[str]:
    """Write the sweep's figures into ``out_dir``; returns their file names."""
    if len(result.params) == 1:
        return _line_figures(result, out_dir, kpis)
    return _heatmaps(result, out_dir, kpis)
