"""Route behaviour: what a supplier really does with a message (the truth side).

:class:`RouteBehaviour` turns one attempt's keyed draws and the submit time into a
:class:`Fate`: the submit response, whether and when the handset got the message,
which sender and text it showed, and which receipt the route reports (honest, missing
or fake). It is clock-free: the SimPy engine and the live service both schedule the
times it returns. :class:`TokenBucket` is the supplier's TPS limit, computed lazily.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.scenario import Destination, FakeDlrMode, OutageMode, Route, SenderRules
from sim.world import randomness as rnd
from sim.world.content import ContentChange, apply_change
from sim.world.message import Message
from sim.world.randomness import (
    U_CONTENT,
    U_DESTINATION_RULE,
    U_DLR_DELAY,
    U_DLR_FAKE,
    U_DLR_MISSING,
    U_FAKE_DLR_DELAY,
    U_HANDSET_LATENCY,
    U_OUTCOME,
    U_SENDER,
    U_SENDER_DETAIL,
    U_SUBMIT_LATENCY,
    U_SYSTEM_ERROR,
)
from sim.world.sender import random_numeric_sender
from sim.world.sender_rules import received_sender
from sim.world.smpp import DlrStatus, SubmitStatus

NAN = math.nan
_PERMISSIVE = SenderRules()  # default rules keep every sender: no need to apply them


@dataclass(slots=True)
class Fate:
    """Everything that happens to one accepted-or-refused submit, in seconds after it."""

    submit_status: int
    response_delay_s: float
    handset_delivered: bool = False
    handset_delay_s: float = NAN
    dlr_status: int = DlrStatus.NONE
    dlr_delay_s: float = NAN
    sender_received: str | None = None
    content_intact: bool = False
    price_eur: float = 0.0


class TokenBucket:
    """A TPS limit with a burst allowance, refilled lazily from the clock."""

    def __init__(self, rate_per_s: float, burst: float) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._tokens = burst
        self._last_s = 0.0

    def take(self, now_s: float) -> bool:
        """Take one token at ``now_s``; False when the limit is exceeded."""
        tokens = min(self.burst, self._tokens + (now_s - self._last_s) * self.rate_per_s)
        self._last_s = now_s
        if tokens >= 1.0:
            self._tokens = tokens - 1.0
            return True
        self._tokens = tokens
        return False


class RouteBehaviour:
    """The configured behaviour of one route, with thresholds precomputed."""

    def __init__(self, route: Route) -> None:
        self.route = route
        self.id = route.id
        o = route.outcomes
        self._delivered = o.delivered
        self._undelivered = o.undelivered
        self._expired = o.expired
        dlr = route.dlr
        self._dlr_delay = dlr.delay
        self._fake_delay = dlr.fake_delay
        self._missing = dlr.missing_share
        self._fake = dlr.fake_share
        self._fake_mode = dlr.fake_mode
        self._learn_after = (
            dlr.test_number_after if dlr.fake_mode is FakeDlrMode.EXCEPT_TEST_NUMBERS else None
        )
        self._seen_numbers: dict[int, int] = {}
        self._permissive: dict[str, bool] = {}
        self._numeric = route.sender.numeric_share
        self._generic_cut = route.sender.numeric_share + route.sender.generic_share
        c = route.content
        self._content_cuts = (
            (c.truncate_share, ContentChange.TRUNCATED),
            (c.truncate_share + c.strip_links_share, ContentChange.LINKS_STRIPPED),
            (
                c.truncate_share + c.strip_links_share + c.bad_encoding_share,
                ContentChange.BAD_ENCODING,
            ),
        )
        self._system_error = route.errors.system_error_share
        self._intact_cache: dict[tuple[str, ContentChange], bool] = {}
        self._prices = dict(route.prices)
        self._price_changes = sorted(route.price_changes, key=lambda c: c.at_s)
        self._outages = route.outages

    @property
    def static_prices(self) -> dict[str, float] | None:
        """The price table when it never changes (a fast path for routers)."""
        return None if self._price_changes else self._prices

    # ------------------------------------------------------------------ time-varying
    def price_eur(self, destination_id: str, now_s: float) -> float:
        """Price per segment to ``destination_id`` at ``now_s``."""
        price = self._prices[destination_id]
        if not self._price_changes:
            return price
        for change in self._price_changes:
            if change.at_s > now_s:
                break
            if change.destination == destination_id:
                price = change.price_eur
        return price

    def outage_at(self, now_s: float) -> OutageMode | None:
        """The outage mode in force at ``now_s``, if any."""
        if not self._outages:
            return None
        for outage in self.route.outages:
            if outage.start_s <= now_s < outage.end_s:
                return outage.mode
        return None

    def drift_at(self, now_s: float) -> tuple[float, float]:
        """(delivered factor, handset latency factor) at ``now_s``."""
        drift = self.route.drift
        if drift is None or now_s <= drift.start_s:
            return 1.0, 1.0
        x = min(1.0, (now_s - drift.start_s) / (drift.end_s - drift.start_s))
        return (
            1.0 + (drift.delivered_factor - 1.0) * x,
            1.0 + (drift.handset_latency_factor - 1.0) * x,
        )

    # ------------------------------------------------------------------ the fate
    def prepare_draws(self, block: rnd.Block) -> rnd.Block:
        """Turn a block of uniforms into this route's delays, vectorised: the delay
        slots of the rows :meth:`decide` receives hold seconds, not uniforms."""
        route = self.route
        dlr_u = block[..., U_DLR_DELAY]
        block[..., U_SUBMIT_LATENCY] = route.submit_latency.quantiles(block[..., U_SUBMIT_LATENCY])
        block[..., U_HANDSET_LATENCY] = route.handset_latency.quantiles(
            block[..., U_HANDSET_LATENCY]
        )
        block[..., U_FAKE_DLR_DELAY] = self._fake_delay.quantiles(dlr_u)
        block[..., U_DLR_DELAY] = self._dlr_delay.quantiles(dlr_u)
        return block

    def prepare_row(self, row: list[float]) -> list[float]:
        """:meth:`prepare_draws` for one row of uniforms (scalar inverse CDFs)."""
        route = self.route
        dlr_u = row[U_DLR_DELAY]
        row[U_SUBMIT_LATENCY] = route.submit_latency.quantile(row[U_SUBMIT_LATENCY])
        row[U_HANDSET_LATENCY] = route.handset_latency.quantile(row[U_HANDSET_LATENCY])
        row[U_FAKE_DLR_DELAY] = self._fake_delay.quantile(dlr_u)
        row[U_DLR_DELAY] = self._dlr_delay.quantile(dlr_u)
        return row

    def throttled(self, u: list[float]) -> Fate:
        """The answer to a submit past the supplier's TPS limit (``u``: a prepared row)."""
        return Fate(
            SubmitStatus.ESME_RTHROTTLED,
            u[U_SUBMIT_LATENCY],
        )

    def decide(
        self, message: Message, destination: Destination, u: list[float], now_s: float
    ) -> Fate:
        """The fate of a submit sent at ``now_s``; ``u`` is this attempt's prepared draw
        row (:meth:`prepare_draws`)."""
        response_s = u[U_SUBMIT_LATENCY]
        outage = self.outage_at(now_s)
        if outage is OutageMode.REJECT:
            return Fate(SubmitStatus.ESME_RSUBMITFAIL, response_s)
        if u[U_SYSTEM_ERROR] < self._system_error:
            return Fate(SubmitStatus.ESME_RSYSERR, response_s)
        if self._learn_after is not None:
            self._seen_numbers[message.number] = self._seen_numbers.get(message.number, 0) + 1
        fate = Fate(
            SubmitStatus.ESME_ROK,
            response_s,
            price_eur=self.price_eur(destination.id, now_s) * message.segments,
        )
        if outage is OutageMode.BLACKHOLE:
            return fate
        delivered_factor, latency_factor = self.drift_at(now_s)
        p_delivered = self._delivered * delivered_factor
        p_undelivered = self._undelivered + self._delivered - p_delivered
        outcome_u = u[U_OUTCOME]
        handset_delay_s = u[U_HANDSET_LATENCY] * latency_factor
        dlr_delay_s = u[U_DLR_DELAY]
        if outcome_u < p_delivered:
            sender = self._route_sender(message, destination, u)
            rules = destination.sender_rules
            permissive = self._permissive.get(destination.id)
            if permissive is None:
                permissive = self._permissive[destination.id] = rules == _PERMISSIVE
            shown = (
                sender
                if permissive
                else received_sender(
                    rules,
                    sender,
                    now_s,
                    destination.calling_code,
                    u[U_DESTINATION_RULE],
                    message.kind,
                    message.text,
                )
            )
            if shown is None:
                status, report_s = DlrStatus.REJECTD, dlr_delay_s
            else:
                fate.handset_delivered = True
                fate.handset_delay_s = handset_delay_s
                fate.sender_received = shown
                fate.content_intact = self._content_intact(message.text, u[U_CONTENT])
                status, report_s = DlrStatus.DELIVRD, handset_delay_s + dlr_delay_s
        elif outcome_u < p_delivered + p_undelivered:
            status, report_s = DlrStatus.UNDELIV, handset_delay_s + dlr_delay_s
        elif outcome_u < p_delivered + p_undelivered + self._expired:
            status, report_s = DlrStatus.EXPIRED, self.route.validity_s + dlr_delay_s
        else:
            status, report_s = DlrStatus.NONE, NAN
        if u[U_DLR_MISSING] < self._missing:
            status, report_s = DlrStatus.NONE, NAN
        if not fate.handset_delivered and self._fakes(message) and u[U_DLR_FAKE] < self._fake:
            status, report_s = DlrStatus.DELIVRD, u[U_FAKE_DLR_DELAY]
        fate.dlr_status = status
        fate.dlr_delay_s = report_s
        return fate

    def _fakes(self, message: Message) -> bool:
        mode = self._fake_mode
        if mode is FakeDlrMode.ALL:
            return True
        if mode is FakeDlrMode.BULK:
            return message.bulk
        if message.test_number:
            return False
        if self._learn_after is not None:
            return self._seen_numbers.get(message.number, 0) < self._learn_after
        return True

    def _route_sender(self, message: Message, destination: Destination, u: list[float]) -> str:
        draw = u[U_SENDER]
        if draw < self._numeric:
            return random_numeric_sender(destination.calling_code, u[U_SENDER_DETAIL])
        if draw < self._generic_cut:
            return self.route.sender.generic_sender
        return message.sender

    def _content_intact(self, text: str, draw: float) -> bool:
        for cut, change in self._content_cuts:
            if draw < cut:
                key = (text, change)
                intact = self._intact_cache.get(key)
                if intact is None:
                    intact = apply_change(text, change) == text
                    self._intact_cache[key] = intact
                return intact
        return True
