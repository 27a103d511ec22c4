"""Evidence from probes: what test handsets saw versus what routes reported.

Per (route, destination), time-decayed counts (so evidence follows drift) of probes
accepted, received by the test handset, ``DELIVRD`` receipts, fake receipts (``DELIVRD``
with nothing on the handset), rewritten senders and changed texts, with Wilson 95%
intervals. A route is *flagged* when the lower bound of its fake-receipt share (or of
its sender-rewrite share) is above a threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.kpis import wilson
from sim.world.smpp import DlrStatus


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One probe, as the testing team sees it once the handset had its chance."""

    route: str
    destination: str
    sent_s: float
    observed_s: float
    submit_status: int
    received: bool
    handset_delay_s: float
    dlr_status: int
    sender_intact: bool
    content_intact: bool
    cost: float
    known_test_number: bool

    @property
    def fake_receipt(self) -> bool:
        return self.dlr_status == DlrStatus.DELIVRD and not self.received


@dataclass(frozen=True, slots=True)
class EvidenceSummary:
    """Evidence about one route (and destination), with 95% intervals."""

    probes: float
    received_ratio: tuple[float, float, float]
    fake_receipt_ratio: tuple[float, float, float]
    sender_rewrite_ratio: tuple[float, float, float]
    content_change_ratio: tuple[float, float, float]
    latency_mean_s: float


def _share(successes: float, trials: float) -> tuple[float, float, float]:
    if trials <= 0:
        return (math.nan, 0.0, 1.0)
    lo, hi = wilson(successes, trials)
    return (successes / trials, lo, hi)


class _Counts:
    __slots__ = ("changed", "delivrd", "fake", "latency", "probes", "received", "rewritten", "t")

    def __init__(self) -> None:
        self.t = 0.0
        self.probes = self.received = self.delivrd = self.fake = 0.0
        self.rewritten = self.changed = self.latency = 0.0

    def decay_to(self, now_s: float, half_life_s: float | None) -> None:
        if half_life_s is not None and now_s > self.t:
            f = 0.5 ** ((now_s - self.t) / half_life_s)
            self.probes *= f
            self.received *= f
            self.delivrd *= f
            self.fake *= f
            self.rewritten *= f
            self.changed *= f
            self.latency *= f
        self.t = max(self.t, now_s)


class RouteEvidence:
    """Accumulates probe results; answers per route and destination."""

    def __init__(self, half_life_s: float | None = None, flag_threshold: float = 0.05) -> None:
        self.half_life_s = half_life_s
        self.flag_threshold = flag_threshold
        self._counts: dict[tuple[str, str], _Counts] = {}

    def add(self, result: ProbeResult) -> None:
        """Count one probe (refused submits say nothing about delivery and are skipped)."""
        if result.submit_status != 0:
            return
        for key in ((result.route, result.destination), (result.route, "*")):
            c = self._counts.setdefault(key, _Counts())
            c.decay_to(result.observed_s, self.half_life_s)
            c.probes += 1
            c.delivrd += result.dlr_status == DlrStatus.DELIVRD
            c.fake += result.fake_receipt
            if result.received:
                c.received += 1
                c.rewritten += not result.sender_intact
                c.changed += not result.content_intact
                c.latency += result.handset_delay_s

    def summary(
        self, route: str, destination: str = "*", now_s: float | None = None
    ) -> EvidenceSummary:
        """Evidence about ``route`` (to ``destination``; ``*``: all of them)."""
        c = self._counts.get((route, destination))
        if c is None:
            c = _Counts()
        elif now_s is not None:
            c.decay_to(now_s, self.half_life_s)
        return EvidenceSummary(
            probes=c.probes,
            received_ratio=_share(c.received, c.probes),
            fake_receipt_ratio=_share(c.fake, c.delivrd),
            sender_rewrite_ratio=_share(c.rewritten, c.received),
            content_change_ratio=_share(c.changed, c.received),
            latency_mean_s=c.latency / c.received if c.received else math.nan,
        )

    def flagged(self, route: str, destination: str = "*", now_s: float | None = None) -> bool:
        """Strong evidence of fake receipts or sender rewriting on this route."""
        s = self.summary(route, destination, now_s)
        return (
            s.fake_receipt_ratio[1] > self.flag_threshold
            or s.sender_rewrite_ratio[1] > self.flag_threshold
        )
