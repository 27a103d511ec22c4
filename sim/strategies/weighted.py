"""Weighted split: traffic shared between routes in configured proportions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sim.strategies.base import Message, RouteView, StrategyBase, StrategyContext
from sim.strategies.registry import register


@register("weighted")
class Weighted(StrategyBase):
    """Random split among candidates in proportion to ``weights``.

    Params: ``weights`` (route id -> weight >= 0, required). Candidates without a
    weight get ``default_weight`` (default 0); when every candidate weighs 0 the
    cheapest is used, so a destination is never left unrouted.
    """

    name = "weighted"

    def __init__(self, params: Mapping[str, Any], context: StrategyContext) -> None:
        super().__init__(params, context)
        unknown = set(params) - {"weights", "default_weight"}
        if unknown:
            raise ValueError(f"unknown params {sorted(unknown)}")
        weights = params.get("weights")
        if not isinstance(weights, Mapping) or not weights:
            raise ValueError("'weights' must be a mapping of route id to weight")
        known = {r.id for r in context.routes}
        missing = [r for r in weights if r not in known]
        if missing:
            raise ValueError(f"'weights' names unknown routes {missing}")
        if any(float(w) < 0 for w in weights.values()):
            raise ValueError("weights must be >= 0")
        self.weights = {str(k): float(v) for k, v in weights.items()}
        self.default_weight = float(params.get("default_weight", 0.0))
        self._random = context.rng.random

    def choose(self, message: Message, candidates: Sequence[RouteView]) -> RouteView | None:
        weights = [self.weights.get(c.id, self.default_weight) for c in candidates]
        total = sum(weights)
        if total <= 0:
            dest = message.destination
            return min(candidates, key=lambda r: (r.price_eur(dest), r.id))
        target = self._random() * total
        for candidate, weight in zip(candidates, weights, strict=True):
            target -= weight
            if target < 0:
                return candidate
        return candidates[-1]
