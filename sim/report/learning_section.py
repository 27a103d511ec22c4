"""Learning curves in the report: the figure, the tables and the words around them.

Regrets come from :mod:`sim.report.learning` (the best fixed route in hindsight per
destination, per-message cost and quality regret); here they are drawn for replication
1 (adaptive strategies bold), totalled per strategy over replications, and explained.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.kpis import t_interval
from sim.report import fmt
from sim.report.document import Block, Cell, Table, text_cell
from sim.report.learning import (
    MIN_ATTEMPTS,
    LearningCurve,
    best_routes,
    has_learning,
    is_adaptive,
    learning_curve,
    strategy_alpha,
)
from sim.report.measures import Measures
from sim.report.style import new_figure, strategy_colour


def _label(m: Measures, strategy: str) -> str:
    return f"{strategy} (adaptive)" if is_adaptive(m.data, strategy) else strategy


def learning_figure(m: Measures) -> Figure | None:
    """Cumulative cost and quality regret against messages, replication 1, every
    strategy; adaptive ones drawn bold."""
    if not has_learning(m):
        return None
    fig, axes = new_figure(3.9, 1, 2, sharex=True)
    peak = {"cost": 0.0, "quality": 0.0}
    for i, name in enumerate(m.data.strategies):
        curve = learning_curve(m, name, 1)
        x = np.arange(1, curve.messages + 1)
        adaptive = is_adaptive(m.data, name)
        style = {
            "color": strategy_colour(i),
            "lw": 2.2 if adaptive else 1.2,
            "ls": "-" if adaptive else (0, (4, 2)),
            "alpha": 1.0 if adaptive else 0.75,
            "label": _label(m, name),
            "zorder": 2 if adaptive else 3,  # thin dashes stay visible on a bold line
        }
        axes[0, 0].plot(x, curve.cost, **style)
        axes[0, 1].plot(x, curve.quality, **style)
        peak["cost"] = max(peak["cost"], float(curve.cost.max(initial=0.0)))
        peak["quality"] = max(peak["quality"], float(curve.quality.max(initial=0.0)))
    cost_ax: Axes = axes[0, 0]
    quality_ax: Axes = axes[0, 1]
    cost_ax.set_title("Cumulative cost regret")
    cost_ax.set_ylabel("EUR above the best fixed route")
    quality_ax.set_title("Cumulative quality regret")
    quality_ax.set_ylabel("expected messages lost below tolerance")
    for ax, what in ((cost_ax, "cost"), (quality_ax, "quality")):
        if not peak[what]:
            ax.text(
                0.5,
                0.5,
                f"no strategy had {what} regret",
                transform=ax.transAxes,
                ha="center",
                color="#6c757d",
            )
        ax.set_xlabel("messages, in creation order (replication 1)")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    fig.legend(*cost_ax.get_legend_handles_labels(), loc="outside lower center", ncols=3)
    return fig


def best_route_table(m: Measures) -> Table | None:
    """Per destination (and alpha): the route with the best true delivery and the best
    fixed route in hindsight the regrets are measured against."""
    alphas = sorted({strategy_alpha(m.data, s) for s in m.data.strategies})
    several = len(alphas) > 1
    rows = []
    for alpha in alphas:
        for dest, b in best_routes(m, alpha).items():
            rows.append(
                (
                    text_cell(dest),
                    *((Cell(f"{alpha:g}"),) if several else ()),
                    text_cell(b.top.route),
                    Cell(fmt.pct(b.top.q), f"n={fmt.count(b.top.accepted)}"),
                    Cell(fmt.pct(b.tolerance)),
                    text_cell(b.best.route),
                    Cell(fmt.pct(b.best.q), f"n={fmt.count(b.best.accepted)}"),
                    Cell(fmt.eur(b.mean_price_eur)),
                )
            )
    if not rows:
        return None
    alpha_text = "alpha" if several else f"alpha = {alphas[0]:g}"
    return Table(
        "best_routes",
        "Best fixed route in hindsight, per destination",
        (
            "destination",
            *(("alpha",) if several else ()),
            "best-delivering route",
            "its delivery (truth)",
            "tolerance (1 − alpha) q*",
            "best fixed route",
            "its delivery",
            "EUR / segment",
        ),
        tuple(rows),
        note=f"True delivery: handset received among accepted attempts, every strategy and "
        f"replication pooled (routes with at least {MIN_ATTEMPTS} attempts to the "
        f"destination). Best fixed route: the cheapest (mean price over the run) whose "
        f"delivery reaches the tolerance ({alpha_text}).",
    )


def _mean_ci(values: list[float], digits: int) -> Cell:
    """Mean of non-negative per-replication totals, with a t interval clipped at 0."""
    mean = float(np.mean(values))
    detail = ""
    if len(values) >= 2:
        low, high = t_interval(values)
        detail = f"[{max(0.0, low):,.{digits}f}, {max(0.0, high):,.{digits}f}]"
    return Cell(f"{mean:,.{digits}f}", detail)


def regret_table(m: Measures) -> Table | None:
    """Per strategy: total cost and quality regret (means over replications with 95%
    CIs) and how fast each grew in the first and last quarter of the messages."""
    if not has_learning(m):
        return None
    reps = range(1, m.data.replications + 1)
    rows = []
    for name in m.data.strategies:
        curves = [learning_curve(m, name, r) for r in reps]
        cost = _mean_ci([float(c.cost[-1]) if c.messages else 0.0 for c in curves], 2)
        quality = _mean_ci([float(c.quality[-1]) if c.messages else 0.0 for c in curves], 1)
        on_best = sum(c.on_best for c in curves) / max(1, sum(c.messages for c in curves))

        def rates(attr: str, curves: list[LearningCurve] = curves) -> str:
            first = np.nanmean([c.rate(getattr(c, attr), 0) for c in curves])
            last = np.nanmean([c.rate(getattr(c, attr), 3) for c in curves])
            digits = 2 if attr == "cost" else 1
            return f"{first:,.{digits}f} → {last:,.{digits}f}"

        adaptive = is_adaptive(m.data, name)
        rows.append(
            (
                text_cell(name),
                text_cell("adaptive" if adaptive else "fixed rule"),
                Cell(fmt.count(float(np.mean([c.messages for c in curves])))),
                cost,
                Cell(rates("cost")),
                quality,
                Cell(rates("quality")),
                Cell(fmt.pct(on_best)),
            )
        )
    return Table(
        "regret",
        "Regret against the best fixed route in hindsight",
        (
            "strategy",
            "kind",
            "messages routed",
            "cost regret (EUR)",
            "EUR per 1,000 msgs: first → last quarter",
            "quality regret",
            "per 1,000 msgs: first → last quarter",
            "on the best route",
        ),
        tuple(rows),
        note="Totals per replication (means; brackets: 95% CI across replications). "
        "Quality regret: delivery probability given up below the tolerance, summed over "
        "messages — roughly the messages lost compared with routing within tolerance. "
        "A rate that falls from the first to the last quarter of the messages means the "
        "strategy learned; a steady one, that it kept making the same choice.",
    )


def learning_paragraphs(m: Measures) -> list[str]:
    """The section's explanation in words."""
    if not has_learning(m):
        return []
    alphas = sorted({strategy_alpha(m.data, s) for s in m.data.strategies})
    alpha_text = " or ".join(f"{a:g}" for a in alphas)
    adaptive = [s for s in m.data.strategies if is_adaptive(m.data, s)]
    curves = [learning_curve(m, s, 1) for s in m.data.strategies]
    unscored = sum(c.unscored for c in curves)
    skipped = sum(c.skipped for c in curves)
    text = (
        "How much each strategy's routing choices cost against the best fixed route in "
        "hindsight, as in the cost-subsidy bandit setting: for each destination, the "
        f"cheapest route whose true delivery is within (1 − alpha) of the best route's "
        f"(alpha = {alpha_text}). Each message's first attempt counts: cost regret is what "
        "it cost above what the best route would have charged, quality regret how far the "
        "chosen route's true delivery falls below the tolerance. Cheap routes that deliver "
        "badly show up as quality regret, not cost regret; an expensive good route as cost "
        "regret only. A curve that bends flat means the strategy settled on good routes; a "
        "straight line, that it pays the same penalty on every message."
    )
    if adaptive:
        text += (
            f" Adaptive strategies (bold lines): {', '.join(adaptive)}. They learn from what "
            "they observe — receipts, and for some probes — so their curves can bend; a "
            "fixed rule's cannot. A strategy that learns from receipts alone learns what the "
            "receipts say, true or not."
        )
    notes = []
    if skipped:
        notes.append(f"{fmt.count(skipped)} messages no route was chosen for are left out")
    if unscored:
        notes.append(
            f"{fmt.count(unscored)} messages went to a route with too few attempts to the "
            "destination to estimate its delivery and score no quality regret"
        )
    out = [text]
    if notes:
        out.append(f"In replication 1, over all strategies: {'; '.join(notes)}.")
    return out


def learning_blocks(m: Measures, figure: Block | None) -> tuple[Block, ...]:
    """The learning-curve section's blocks (``figure``: the drawn figure, if any)."""
    best, regret = best_route_table(m), regret_table(m)
    if best is None or regret is None:
        return ()
    return (
        *learning_paragraphs(m),
        *((figure,) if figure is not None else ()),
        regret,
        best,
    )
