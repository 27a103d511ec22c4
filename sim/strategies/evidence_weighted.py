"""Evidence-weighted routing: price against quality estimated from receipts AND probes.

Quality per (route, destination) starts from decayed ``DELIVRD`` success (as the
quality-scored strategy), is corrected by the fake-receipt share the probes measured
(a ``DELIVRD`` that no test handset saw is not a delivery), and is discounted by the
measured sender-rewrite share. A route is excluded while its probe evidence is strong
(Wilson lower bound of its fake-receipt or sender-rewrite share above ``flag_threshold``);
evidence decays with ``evidence_half_life_s`` so a route that mends comes back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sim.probes.evidence import ProbeResult, RouteEvidence
from sim.strategies.base import Message, RouteView, StrategyBase, StrategyContext
from sim.strategies.registry import register
from sim.world.smpp import DlrStatus

_PARAMS = {
    "half_life", "evidence_half_life_s", "flag_threshold", "sender_weight",
    "prior_success", "prior_weight", "explore", "latency_eur_per_s",
}  # fmt: skip


@register("evidence-weighted")
class EvidenceWeighted(StrategyBase):
    """Lowest ``price / (dlr_success x (1 - fake share) x (1 - rewrite share)^w)``.

    Params: ``half_life`` (receipts, default 200 observations), ``evidence_half_life_s``
    (probes, default 21600), ``flag_threshold`` (default 0.05), ``sender_weight``
    (default 1.0), ``prior_success`` (0.9), ``prior_weight`` (10), ``explore`` (0.02),
    ``latency_eur_per_s`` (0.0005).
    """

    name = "evidence-weighted"

    def __init__(self, params: Mapping[str, Any], context: StrategyContext) -> None:
        super().__init__(params, context)
        unknown = set(params) - _PARAMS
        if unknown:
            raise ValueError(f"unknown params {sorted(unknown)}")
        half_life = float(params.get("half_life", 200))
        evidence_half_life_s = float(params.get("evidence_half_life_s", 21600))
        if half_life <= 0 or evidence_half_life_s <= 0:
            raise ValueError("'half_life' and 'evidence_half_life_s' must be > 0")
        self.decay = 0.5 ** (1.0 / half_life)
        self.prior_success = float(params.get("prior_success", 0.9))
        self.prior_weight = float(params.get("prior_weight", 10))
        self.explore = float(params.get("explore", 0.02))
        self.sender_weight = float(params.get("sender_weight", 1.0))
        self.latency_price = float(params.get("latency_eur_per_s", 0.0005))
        self.evidence = RouteEvidence(
            evidence_half_life_s, float(params.get("flag_threshold", 0.05))
        )
        self._stats: dict[tuple[str, str], list[float]] = {}
        self._random = context.rng.random
        self._clock = context.clock

    def _entry(self, route: str, destination: str) -> list[float]:
        entry = self._stats.get((route, destination))
        if entry is None:
            entry = [self.prior_success * self.prior_weight, self.prior_weight, 0.0]
            self._stats[(route, destination)] = entry
        return entry

    def quality(self, route: RouteView, destination: str) -> float:
        """Estimated share of messages really delivered with their sender intact."""
        successes, trials, _ = self._entry(route.id, destination)
        proof = self.evidence.summary(route.id, now_s=self._clock())
        fake = proof.fake_receipt_ratio[0]
        rewrite = proof.sender_rewrite_ratio[0]
        quality = successes / trials
        if not math.isnan(fake):
            quality *= 1.0 - fake
        if not math.isnan(rewrite):
            quality *= (1.0 - rewrite) ** self.sender_weight
        return max(quality, 1e-3)

    def score(self, route: RouteView, destination: str) -> float:
        latency = self._entry(route.id, destination)[2]
        return route.price_eur(destination) / self.quality(route, destination) + (
            self.latency_price * latency
        )

    def choose(self, message: Message, candidates: Sequence[RouteView]) -> RouteView | None:
        now = self._clock()
        trusted = [c for c in candidates if not self.evidence.flagged(c.id, now_s=now)]
        pool = trusted or list(candidates)
        if len(pool) > 1 and self._random() < self.explore:
            return pool[int(self._random() * len(pool))]
        dest = message.destination
        return min(pool, key=lambda r: (self.score(r, dest), r.id))

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

    def on_probe_result(self, result: ProbeResult) -> None:
        """A test handset's verdict on a probe (see :mod:`sim.probes`)."""
        self.evidence.add(result)
