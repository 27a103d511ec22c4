"""Evidence-weighted routing: price against quality estimated from receipts AND probes.

It is the quality-scored strategy (decayed ``DELIVRD`` success and receipt latency per
route and destination) with the receipts corrected by route tests: the success rate is
multiplied by one minus the fake-receipt share the probes measured (a ``DELIVRD`` that
no test handset saw is not a delivery) and discounted by the measured sender-rewrite
share. A route is excluded while its probe evidence is strong (Wilson lower bound of its
fake-receipt or sender-rewrite share above ``flag_threshold``); evidence decays with
``evidence_half_life_s`` so a route that mends comes back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sim.probes.evidence import ProbeResult, RouteEvidence
from sim.strategies.base import Message, RouteView, StrategyContext
from sim.strategies.quality_scored import QualityScored
from sim.strategies.registry import register

_OWN_PARAMS = {"evidence_half_life_s", "flag_threshold", "sender_weight"}


@register("evidence-weighted")
class EvidenceWeighted(QualityScored):
    """Lowest ``price / (dlr_success x (1 - fake share) x (1 - rewrite share)^w)``.

    Params: those of quality-scored, plus ``evidence_half_life_s`` (default 21600),
    ``flag_threshold`` (default 0.05) and ``sender_weight`` (default 1.0).
    """

    name = "evidence-weighted"

    def __init__(self, params: Mapping[str, Any], context: StrategyContext) -> None:
        super().__init__({k: v for k, v in params.items() if k not in _OWN_PARAMS}, context)
        self.params = dict(params)
        half_life_s = float(params.get("evidence_half_life_s", 21600))
        if half_life_s <= 0:
            raise ValueError("'evidence_half_life_s' must be > 0")
        self.sender_weight = float(params.get("sender_weight", 1.0))
        self.evidence = RouteEvidence(half_life_s, float(params.get("flag_threshold", 0.05)))
        self._clock = context.clock

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
        return super().choose(message, trusted or candidates)

    def on_probe_result(self, result: ProbeResult) -> None:
        """A test handset's verdict on a probe (see :mod:`sim.probes`)."""
        self.evidence.add(result)
