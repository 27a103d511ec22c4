"""Quality-scored routing: price weighed against observed DLR success and DLR latency.

Per (route, destination) the strategy keeps decayed counts of positive and negative
outcomes it observed (``DELIVRD`` receipts versus negative receipts and refused
submits) and a decayed mean DLR latency. Its score is the expected price per
*reported* delivery plus a price on latency; the lowest score wins. It trusts receipts,
so a route that fakes them looks good to it: that is the point of comparing it with
evidence-based strategies on the truth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sim.strategies.base import Message, RouteView, StrategyBase, StrategyContext
from sim.strategies.registry import register
from sim.world.smpp import DlrStatus

_PARAMS = {"latency_eur_per_s", "half_life", "prior_success", "prior_weight", "explore"}


@register("quality-scored")
class QualityScored(StrategyBase):
    """Lowest ``price / success + latency_eur_per_s * dlr_latency``.

    Params: ``latency_eur_per_s`` (default 0.0005), ``half_life`` (observations,
    default 200), ``prior_success`` (default 0.9), ``prior_weight`` (pseudo
    observations, default 10), ``explore`` (share of random picks, default 0.02).
    """

    name = "quality-scored"

    def __init__(self, params: Mapping[str, Any], context: StrategyContext) -> None:
        super().__init__(params, context)
        unknown = set(params) - _PARAMS
        if unknown:
            raise ValueError(f"unknown params {sorted(unknown)}")
        self.latency_price = float(params.get("latency_eur_per_s", 0.0005))
        half_life = float(params.get("half_life", 200))
        if half_life <= 0:
            raise ValueError("'half_life' must be > 0")
        self.decay = 0.5 ** (1.0 / half_life)
        self.prior_success = float(params.get("prior_success", 0.9))
        self.prior_weight = float(params.get("prior_weight", 10))
        self.explore = float(params.get("explore", 0.02))
        if not 0 <= self.explore <= 1 or not 0 < self.prior_success <= 1:
            raise ValueError("'explore' must be in [0, 1] and 'prior_success' in (0, 1]")
        # (route id, destination) -> [successes, trials, latency mean]
        self._stats: dict[tuple[str, str], list[float]] = {}
        self._random = context.rng.random

    def _entry(self, route: str, destination: str) -> list[float]:
        key = (route, destination)
        entry = self._stats.get(key)
        if entry is None:
            entry = [self.prior_success * self.prior_weight, self.prior_weight, 0.0]
            self._stats[key] = entry
        return entry

    def score(self, route: RouteView, destination: str) -> float:
        """Expected EUR per reported delivery, latency priced in."""
        successes, trials, latency = self._entry(route.id, destination)
        success = max(successes / trials, 1e-3)
        return route.price_eur(destination) / success + self.latency_price * latency

    def choose(self, message: Message, candidates: Sequence[RouteView]) -> RouteView | None:
        if len(candidates) > 1 and self._random() < self.explore:
            return candidates[int(self._random() * len(candidates))]
        dest = message.destination
        return min(candidates, key=lambda r: (self.score(r, dest), r.id))

    def _record(self, route: str, destination: str, success: float) -> None:
        entry = self._entry(route, destination)
        entry[0] = entry[0] * self.decay + success
        entry[1] = entry[1] * self.decay + 1.0

    def on_submit_response(self, message: Message, route: RouteView, status: int) -> None:
        if status != 0:
            self._record(route.id, message.destination, 0.0)

    def on_delivery_report(
        self, message: Message, route: RouteView, status: int, delay_s: float
    ) -> None:
        positive = status == DlrStatus.DELIVRD
        self._record(route.id, message.destination, 1.0 if positive else 0.0)
        if positive:
            entry = self._entry(route.id, message.destination)
            entry[2] += (1.0 - self.decay) * (delay_s - entry[2]) if entry[2] else delay_s
