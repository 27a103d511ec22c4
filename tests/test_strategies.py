"""Built-in strategies and the registry (user strategies by import path)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest
from scipy import stats

from sim.scenario import RouteKind
from sim.strategies.base import (
    Message,
    RouteView,
    StrategyBase,
    StrategyContext,
    StrategyError,
)
from sim.strategies.registry import build, builtin_names, resolve
from sim.world.smpp import DlrStatus

PRICES = {"cheap": 0.01, "mid": 0.03, "dear": 0.05}
KINDS = {"cheap": RouteKind.GREY, "mid": RouteKind.AGGREGATOR, "dear": RouteKind.DIRECT}


def _views() -> list[RouteView]:
    return [
        RouteView(
            i, rid, f"{rid} Ltd", KINDS[rid], 100.0, 10, lambda d, r=rid: PRICES[r], lambda: 0
        )
        for i, rid in enumerate(PRICES)
    ]


def _context(seed: int = 7) -> StrategyContext:
    return StrategyContext(
        routes=tuple(_views()), rng=np.random.default_rng(seed), clock=lambda: 0.0
    )


def _message(msg_id: int = 1) -> Message:
    return Message(msg_id, "otp", "fr-orange", "FR", "Orange", 33612345678, "ACME", "hi", 1, 0.0)


def _build(name: str, params: Mapping[str, Any] | None = None, seed: int = 7) -> Any:
    context = _context(seed)
    return build(name, name, params or {}, context), list(context.routes)


class UserStrategy(StrategyBase):
    """Always the most expensive candidate (a user strategy loaded by import path)."""

    def choose(self, message: Message, candidates: Sequence[RouteView]) -> RouteView | None:
        return max(candidates, key=lambda r: r.price_eur(message.destination))


def test_builtins_are_registered() -> None:
    assert {"least-cost", "priority", "weighted", "quality-scored"} <= set(builtin_names())


def test_least_cost_picks_cheapest_and_respects_exclusions() -> None:
    strategy, views = _build("least-cost")
    assert strategy.choose(_message(), views).id == "cheap"
    assert strategy.choose(_message(), views[1:]).id == "mid"
    strict, views = _build("least-cost", {"exclude_kinds": ["grey"]})
    assert strict.choose(_message(), views).id == "mid"
    assert strict.choose(_message(), views[:1]) is None


def test_priority_follows_order_then_price() -> None:
    strategy, views = _build("priority", {"order": ["dear", "mid"]})
    assert strategy.choose(_message(), views).id == "dear"
    assert strategy.choose(_message(), [views[0], views[1]]).id == "mid"
    assert strategy.choose(_message(), [views[0]]).id == "cheap"
    only, views = _build("priority", {"order": ["dear"], "only_listed": True})
    assert only.choose(_message(), views[:2]) is None


def test_weighted_split_matches_weights_within_binomial_bounds() -> None:
    strategy, views = _build("weighted", {"weights": {"cheap": 1, "mid": 3}})
    n = 20_000
    picks = [strategy.choose(_message(i), views).id for i in range(n)]
    assert "dear" not in picks
    low, high = stats.binom.interval(0.999, n, 0.25)
    assert low <= picks.count("cheap") <= high


def test_quality_scored_moves_away_from_failing_route() -> None:
    strategy, views = _build("quality-scored", {"explore": 0.0})
    message = _message()
    assert strategy.choose(message, views).id == "cheap"
    for _ in range(200):
        strategy.on_delivery_report(message, views[0], DlrStatus.UNDELIV, 5.0)
        strategy.on_delivery_report(message, views[1], DlrStatus.DELIVRD, 5.0)
    assert strategy.choose(message, views).id == "mid"
    # it trusts receipts: a route reporting DELIVRD (even falsely) wins back on price
    for _ in range(400):
        strategy.on_delivery_report(message, views[0], DlrStatus.DELIVRD, 1.0)
    assert strategy.choose(message, views).id == "cheap"


@pytest.mark.parametrize(
    ("name", "params", "expected"),
    [
        ("priority", {}, "'order' must be a non-empty list"),
        ("priority", {"order": ["nowhere"]}, "unknown routes ['nowhere']"),
        ("weighted", {"weights": {"cheap": -1}}, "weights must be >= 0"),
        ("least-cost", {"colour": 1}, "unknown params ['colour']"),
        ("quality-scored", {"half_life": 0}, "'half_life' must be > 0"),
    ],
)
def test_bad_params_give_one_line_errors(name: str, params: dict[str, Any], expected: str) -> None:
    with pytest.raises(StrategyError) as info:
        build(name, "mine", params, _context())
    assert expected in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith("strategy 'mine': bad params")


def test_user_strategy_by_import_path() -> None:
    strategy = build(f"{__name__}:UserStrategy", "user", {}, _context())
    assert strategy.name == "user"
    assert strategy.choose(_message(), _views()).id == "dear"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("no-such", "unknown strategy 'no-such'"),
        ("not_a_module_xyz:Thing", "cannot import 'not_a_module_xyz'"),
        ("json:NoSuchThing", "has no callable 'NoSuchThing'"),
    ],
)
def test_resolve_errors(target: str, expected: str) -> None:
    with pytest.raises(StrategyError, match=expected):
        resolve(target)


class NotAStrategy:
    """Constructible like a strategy, but cannot choose."""

    def __init__(self, params: Mapping[str, Any], context: StrategyContext) -> None:
        self.params = params


def test_non_strategy_object_is_rejected() -> None:
    with pytest.raises(StrategyError, match="does not implement the Strategy protocol"):
        build(f"{__name__}:NotAStrategy", "d", {}, _context())
