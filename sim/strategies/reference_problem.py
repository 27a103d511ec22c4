"""The stationary cost-subsidy reference problem (Sinha et al., AISTATS 2021).

Routes with known delivery probabilities and prices; each message is routed by a
strategy and its receipt is an immediate Bernoulli draw. The best route in hindsight is
the cheapest whose quality is within ``(1 - alpha)`` of the best quality. Regrets:
cost regret ``sum(max(0, c_t - c*))`` and quality regret ``sum(max(0, (1-alpha) mu* -
mu_t))``. Used by tests (sublinear regret) and the learning-curve figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.scenario import RouteKind
from sim.strategies.base import Message, RouteView, StrategyContext
from sim.strategies.registry import build
from sim.world.smpp import DlrStatus

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Regret:
    """Cumulative regrets after each message (index t = after t+1 messages)."""

    cost: F64
    quality: F64
    choices: npt.NDArray[np.int64]


def _constant(price: float) -> Callable[[str], float]:
    return lambda destination: price


def best_route(qualities: Sequence[float], prices: Sequence[float], alpha: float) -> int:
    """Index of the cheapest route within (1 - alpha) of the best quality."""
    threshold = (1 - alpha) * max(qualities)
    feasible = [i for i, q in enumerate(qualities) if q >= threshold]
    return min(feasible, key=lambda i: (prices[i], i))


def simulate_reference(
    strategy: str,
    qualities: Sequence[float],
    prices: Sequence[float],
    *,
    alpha: float,
    messages: int,
    seed: int,
    params: Mapping[str, Any] | None = None,
) -> Regret:
    """Route ``messages`` messages with ``strategy`` on the reference problem."""
    rng = np.random.default_rng(seed)
    ids = [f"r{i}" for i in range(len(qualities))]
    views = tuple(
        RouteView(i, rid, rid, RouteKind.AGGREGATOR, 1e9, 10**6, _constant(prices[i]), lambda: 0)
        for i, rid in enumerate(ids)
    )
    context = StrategyContext(routes=views, rng=np.random.default_rng(seed + 1), clock=lambda: 0.0)
    chooser = build(strategy, strategy, {"alpha": alpha} if params is None else params, context)
    star = best_route(qualities, prices, alpha)
    target = (1 - alpha) * max(qualities)
    draws = rng.random(messages)
    choices = np.zeros(messages, dtype=np.int64)
    for t in range(messages):
        message = Message(t, "otp", "xx", "XX", "x", 0, "S", "", 1, float(t))
        choice = chooser.choose(message, views)
        assert choice is not None
        choices[t] = choice.index
        delivered = draws[t] < qualities[choice.index]
        chooser.on_submit_response(message, choice, 0)
        status = DlrStatus.DELIVRD if delivered else DlrStatus.UNDELIV
        chooser.on_delivery_report(message, choice, status, 1.0)
    price = np.asarray(prices, dtype=float)[choices]
    quality = np.asarray(qualities, dtype=float)[choices]
    return Regret(
        cost=np.cumsum(np.maximum(0.0, price - prices[star])),
        quality=np.cumsum(np.maximum(0.0, target - quality)),
        choices=choices,
    )


def loglog_slope(cumulative: F64, start: int, stop: int) -> float:
    """Least-squares slope of log(regret) against log(t) over [start, stop)."""
    t = np.unique(np.geomspace(start, stop - 1, 20).astype(int))
    values = np.maximum(cumulative[t], 1e-9)
    return float(np.polyfit(np.log(t + 1), np.log(values), 1)[0])
