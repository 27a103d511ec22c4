"""Bandit regret on the stationary cost-subsidy reference problem, as a log-log figure.

Usage (from the project root)::

    .venv/bin/python benchmarks/bandit_regret.py                       # 100k messages, 3 seeds
    .venv/bin/python benchmarks/bandit_regret.py --messages 20000 --seeds 5 --out /tmp/r.png

Routes with known delivery probabilities and prices, each receipt an immediate
Bernoulli draw (``sim.strategies.reference_problem.simulate_reference``); the best route
in hindsight is the cheapest whose quality is within ``(1 - alpha)`` of the best
(Sinha et al., AISTATS 2021). It runs the cost-subsidy bandit (CS-TS) for several seeds
and, for contrast, least-cost and quality-scored; it prints, per strategy and seed, the
final cumulative cost and quality regret and the least-squares slope of log(regret)
against log(messages) (``loglog_slope``, over ``[--fit-start, --messages)``), and draws
both regrets on log-log axes with a slope-1 (linear regret) reference line. A slope
below 1 is sublinear regret: the strategy learns. It is a benchmark, not a test: it
exits 0 whatever the slopes are (2 on bad arguments).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from matplotlib import style
from matplotlib.axes import Axes

from sim.report.style import DPI, STYLE, new_figure, strategy_colour
from sim.strategies.reference_problem import (
    Regret,
    best_route,
    loglog_slope,
    simulate_reference,
)

ROOT = Path(__file__).resolve().parent.parent
QUALITIES = (0.95, 0.93, 0.80, 0.60)
PRICES = (0.05, 0.04, 0.02, 0.01)
ALPHA = 0.05
STRATEGIES = ("cost-subsidy", "least-cost", "quality-scored")


@dataclass(frozen=True)
class Run:
    strategy: str
    seed: int
    regret: Regret
    cost_slope: float  # NaN when the regret stays 0
    quality_slope: float


def _params(strategy: str, alpha: float) -> dict[str, float] | None:
    """``None``: the reference problem's default (``{"alpha": alpha}``, for the bandit);
    other strategies take their own defaults."""
    return None if strategy == "cost-subsidy" else {}


def _slope(cumulative: npt.NDArray[np.float64], start: int, stop: int) -> float:
    if cumulative[start] <= 0:
        return math.nan  # zero regret (or none until the fit starts): no slope
    return loglog_slope(cumulative, start, stop)


def run_all(
    strategies: Sequence[str], seeds: int, messages: int, fit_start: int, alpha: float
) -> list[Run]:
    runs = []
    for strategy in strategies:
        for seed in range(1, seeds + 1):
            regret = simulate_reference(
                strategy,
                QUALITIES,
                PRICES,
                alpha=alpha,
                messages=messages,
                seed=seed,
                params=_params(strategy, alpha),
            )
            runs.append(
                Run(
                    strategy,
                    seed,
                    regret,
                    _slope(regret.cost, fit_start, messages),
                    _slope(regret.quality, fit_start, messages),
                )
            )
    return runs


def _fmt_slope(value: float) -> str:
    return "   –" if math.isnan(value) else f"{value:4.2f}"


def print_table(runs: Sequence[Run], messages: int, fit_start: int, alpha: float) -> None:
    star = best_route(QUALITIES, PRICES, alpha)
    print(
        f"reference problem: qualities {list(QUALITIES)}, prices {list(PRICES)} EUR, "
        f"alpha {alpha:g}; best route in hindsight r{star} "
        f"(q {QUALITIES[star]:g}, {PRICES[star]:g} EUR)"
    )
    print(
        f"{messages:,} messages per run; log-log slopes fitted over [{fit_start:,}, {messages:,})"
    )
    print()
    print(f"{'strategy':<16}{'seed':>5}{'cost regret':>14}{'slope':>7}{'quality regret':>16}"
          f"{'slope':>7}{'on best (last 10%)':>20}")  # fmt: skip
    for r in runs:
        tail = r.regret.choices[-max(1, messages // 10) :]
        print(
            f"{r.strategy:<16}{r.seed:>5}{r.regret.cost[-1]:>14.2f}{_fmt_slope(r.cost_slope):>7}"
            f"{r.regret.quality[-1]:>16.1f}{_fmt_slope(r.quality_slope):>7}"
            f"{(tail == star).mean():>20.1%}"
        )
    print()
    for strategy in dict.fromkeys(r.strategy for r in runs):
        mine = [r for r in runs if r.strategy == strategy]
        cost = _mean_slope([r.cost_slope for r in mine])
        quality = _mean_slope([r.quality_slope for r in mine])
        print(f"{strategy:<16} mean slope: cost {cost}, quality {quality}")


def _mean_slope(values: Sequence[float]) -> str:
    present = [v for v in values if not math.isnan(v)]
    if not present:
        return "– (no regret)"
    return f"{np.mean(present):.2f} (range {min(present):.2f}–{max(present):.2f})"


def _points(messages: int) -> npt.NDArray[np.int64]:
    """About 300 log-spaced message counts (1-based) to draw."""
    return np.unique(np.geomspace(1, messages, 300).astype(np.int64))


def draw(runs: Sequence[Run], messages: int, fit_start: int, alpha: float, out: Path) -> None:
    t = _points(messages)
    with style.context(["default", STYLE]):
        fig, axes = new_figure(4.3, 1, 2, sharex=True)
        panels: tuple[tuple[Axes, str, str], ...] = (
            (axes[0, 0], "cost", "cumulative cost regret (EUR)"),
            (axes[0, 1], "quality", "cumulative quality regret"),
        )
        strategies = list(dict.fromkeys(r.strategy for r in runs))
        for ax, attr, label in panels:
            anchor = math.nan
            for i, strategy in enumerate(strategies):
                mine = [r for r in runs if r.strategy == strategy]
                slopes = [getattr(r, f"{attr}_slope") for r in mine]
                present = [s for s in slopes if not math.isnan(s)]
                bandit = strategy == "cost-subsidy"
                text = (
                    f"{strategy}: mean slope {np.mean(present):.2f}"
                    if present
                    else f"{strategy}: no {attr} regret"
                )
                for k, r in enumerate(mine):
                    values = getattr(r.regret, attr)[t - 1]
                    positive = values > 0
                    if not positive.any():
                        continue
                    ax.plot(
                        t[positive],
                        values[positive],
                        color=strategy_colour(i),
                        lw=1.8 if bandit else 1.2,
                        ls="-" if bandit else ("--", ":")[i % 2],
                        alpha=0.9 if bandit else 0.8,
                        label=text if k == 0 else None,
                        zorder=2 if bandit else 10 - i,  # contrast lines may coincide
                    )
                if not present:
                    ax.plot([], [], color=strategy_colour(i), lw=1.2, label=text)
                if bandit and present:
                    anchor = float(np.mean([getattr(r.regret, attr)[fit_start - 1] for r in mine]))
            if math.isfinite(anchor) and anchor > 0:
                ref = anchor * t / fit_start
                ax.plot(t, ref, color="black", lw=0.8, ls="-.", label="slope 1 (linear regret)")
            ax.axvline(fit_start, color="grey", lw=0.6, ls="--")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("messages routed (log scale)")
            ax.set_ylabel(f"{label} (log scale)")
            ax.set_title(f"Cumulative {attr} regret")
            ax.legend(loc="upper left", fontsize=8)
        seeds = len({r.seed for r in runs})
        fig.suptitle(
            f"Stationary cost-subsidy reference problem: qualities {list(QUALITIES)}, prices "
            f"{list(PRICES)} EUR, alpha {alpha:g}\n{seeds} seeds per strategy; slope: "
            f"least-squares fit of log regret on log messages from {fit_start:,} (dashed) "
            f"to {messages:,}",
            fontsize=9.5,
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Cumulative cost and quality regret of the cost-subsidy bandit on the "
        "stationary reference problem (log-log figure and fitted slopes)."
    )
    parser.add_argument("--messages", type=int, default=100_000, help="messages per run")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per strategy")
    parser.add_argument("--alpha", type=float, default=ALPHA, help="subsidy factor")
    parser.add_argument(
        "--fit-start", type=int, default=500, help="first message of the slope fit (default 500)"
    )
    parser.add_argument(
        "--strategy",
        action="append",
        dest="strategies",
        metavar="NAME",
        help=f"repeatable (default: {', '.join(STRATEGIES)})",
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "bandit-regret.png", help="PNG to write"
    )
    args = parser.parse_args(argv)
    if args.messages < 100 or args.seeds < 1 or not 0 <= args.alpha < 1:
        parser.error("--messages >= 100, --seeds >= 1, 0 <= --alpha < 1")
    fit_start = min(args.fit_start, args.messages // 10)
    if fit_start < 1:
        parser.error("--fit-start must be >= 1")
    runs = run_all(args.strategies or STRATEGIES, args.seeds, args.messages, fit_start, args.alpha)
    print_table(runs, args.messages, fit_start, args.alpha)
    draw(runs, args.messages, fit_start, args.alpha, args.out)
    size = args.out.stat().st_size
    print(f"\nwrote {args.out} ({size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
