"""Priority failover: an ordered list of routes; the first that can take the message."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sim.strategies.base import Message, RouteView, StrategyBase, StrategyContext
from sim.strategies.registry import register


@register("priority")
class Priority(StrategyBase):
    """First candidate in ``order``; routes not listed follow, cheapest first.

    Params: ``order`` (list of route ids, required), ``only_listed`` (bool, default
    false: when true, unlisted routes are never used).
    """

    name = "priority"

    def __init__(self, params: Mapping[str, Any], context: StrategyContext) -> None:
        super().__init__(params, context)
        unknown = set(params) - {"order", "only_listed"}
        if unknown:
            raise ValueError(f"unknown params {sorted(unknown)}")
        order = params.get("order")
        if not isinstance(order, list | tuple) or not order:
            raise ValueError("'order' must be a non-empty list of route ids")
        known = {r.id for r in context.routes}
        missing = [r for r in order if r not in known]
        if missing:
            raise ValueError(f"'order' names unknown routes {missing}")
        self.rank = {route_id: i for i, route_id in enumerate(order)}
        self.only_listed = bool(params.get("only_listed", False))

    def choose(self, message: Message, candidates: Sequence[RouteView]) -> RouteView | None:
        unlisted = len(self.rank)
        if self.only_listed:
            candidates = [c for c in candidates if c.id in self.rank]
            if not candidates:
                return None
        dest = message.destination
        return min(
            candidates, key=lambda r: (self.rank.get(r.id, unlisted), r.price_eur(dest), r.id)
        )
