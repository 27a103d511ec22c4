"""Cost-subsidy bandit: the cheapest route whose quality is within (1 - alpha) of the best.

After Sinha et al., "Multi-Armed Bandits with Cost Subsidy" (AISTATS 2021), CS-TS:
per (route, destination) a Beta posterior of delivery success; each decision samples
every candidate's quality, keeps those within ``(1 - alpha)`` of the best sample, and
picks the cheapest of them. Quality comes from receipts (``DELIVRD`` = 1, negative
receipt or refused submit = 0); with ``probe_correction`` the sample is multiplied by
one minus the fake-receipt share the probes measured. ``explore_pulls`` forces that many
tries of each candidate first (the exploration budget).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sim.probes.evidence import ProbeResult, RouteEvidence
from sim.strategies.base import Message, RouteView, StrategyBase, StrategyContext
from sim.strategies.registry import register
from sim.world.smpp import DlrStatus

_PARAMS = {"alpha", "prior_successes", "prior_failures", "explore_pulls", "probe_correction"}


@register("cost-subsidy")
class CostSubsidy(StrategyBase):
    """CS-TS. Params: ``alpha`` (subsidy factor, default 0.05), ``prior_successes`` and
    ``prior_failures`` (Beta prior, default 1 and 1), ``explore_pulls`` (default 0),
    ``probe_correction`` (default false)."""

    name = "cost-subsidy"

    def __init__(self, params: Mapping[str, Any], context: StrategyContext) -> None:
        super().__init__(params, context)
        unknown = set(params) - _PARAMS
        if unknown:
            raise ValueError(f"unknown params {sorted(unknown)}")
        self.alpha = float(params.get("alpha", 0.05))
        if not 0 <= self.alpha < 1:
            raise ValueError("'alpha' must be in [0, 1)")
        self.prior = (
            float(params.get("prior_successes", 1.0)),
            float(params.get("prior_failures", 1.0)),
        )
        if min(self.prior) <= 0:
            raise ValueError("Beta prior parameters must be > 0")
        self.explore_pulls = int(params.get("explore_pulls", 0))
        self.probe_correction = bool(params.get("probe_correction", False))
        self.evidence = RouteEvidence()
        self._beta = context.rng.beta
        self._posterior: dict[tuple[str, str], list[float]] = {}
        self._pulls: dict[tuple[str, str], int] = {}

    def _entry(self, route: str, destination: str) -> list[float]:
        entry = self._posterior.get((route, destination))
        if entry is None:
            entry = [self.prior[0], self.prior[1]]
            self._posterior[(route, destination)] = entry
        return entry

    def choose(self, message: Message, candidates: Sequence[RouteView]) -> RouteView | None:
        dest = message.destination
        if self.explore_pulls:
            for c in candidates:
                if self._pulls.get((c.id, dest), 0) < self.explore_pulls:
                    self._pulls[(c.id, dest)] = self._pulls.get((c.id, dest), 0) + 1
                    return c
        samples = []
        for c in candidates:
            a, b = self._entry(c.id, dest)
            sample = float(self._beta(a, b))
            if self.probe_correction:
                fake = self.evidence.summary(c.id).fake_receipt_ratio[0]
                if fake == fake:  # not NaN
                    sample *= 1.0 - fake
            samples.append(sample)
        threshold = (1.0 - self.alpha) * max(samples)
        feasible = [c for c, s in zip(candidates, samples, strict=True) if s >= threshold]
        return min(feasible, key=lambda r: (r.price_eur(dest), r.id))

    def _observe(self, route: str, destination: str, success: bool) -> None:
        entry = self._entry(route, destination)
        entry[0 if success else 1] += 1.0

    def on_submit_response(self, message: Message, route: RouteView, status: int) -> None:
        if status != 0:
            self._observe(route.id, message.destination, False)

    def on_delivery_report(
        self, message: Message, route: RouteView, status: int, delay_s: float
    ) -> None:
        self._observe(route.id, message.destination, status == DlrStatus.DELIVRD)

    def on_probe_result(self, result: ProbeResult) -> None:
        self.evidence.add(result)
