"""Least-cost routing: the cheapest route for the destination, ties broken by route id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sim.strategies.base import Message, RouteView, StrategyBase, StrategyContext
from sim.strategies.registry import register


@register("least-cost")
class LeastCost(StrategyBase):
    """Cheapest candidate by current price per segment.

    Params: ``exclude_kinds`` (list of route kinds never used, e.g. ``[grey]``).
    """

    name = "least-cost"

    def __init__(self, params: Mapping[str, Any], context: StrategyContext) -> None:
        super().__init__(params, context)
        unknown = set(params) - {"exclude_kinds"}
        if unknown:
            raise ValueError(f"unknown params {sorted(unknown)}")
        self.exclude_kinds = frozenset(str(k) for k in params.get("exclude_kinds", ()))

    def choose(self, message: Message, candidates: Sequence[RouteView]) -> RouteView | None:
        if len(candidates) == 1 and not self.exclude_kinds:
            return candidates[0]
        if self.exclude_kinds:
            candidates = [c for c in candidates if c.kind.value not in self.exclude_kinds]
            if not candidates:
                return None
        dest = message.destination
        return min(candidates, key=lambda r: (r.price_eur(dest), r.id))
