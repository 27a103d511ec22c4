"""Locust users of the SMS API: OTP apps, notifications, marketing campaigns, AIT bots.

All are ``FastHttpUser`` s that submit through the configured API adapter and ask for
DLR callbacks to the process's inbox. Their weights follow the scenario's traffic mix
(:func:`set_weights`); each sends ``--user-rate`` messages per second on average.

- :class:`OtpAppUser` submits an OTP, waits for its DLR, and verifies the code with
  probability ``--otp-verify-prob`` when the handset got it.
- :class:`NotificationUser` sends transactional messages and moves on.
- :class:`MarketingCampaign` sends bursts of ``--campaign-size`` marketing messages.
- :class:`AitBot` pumps OTPs to sequential numbers in one range and never verifies.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from data import TrafficData
from harness import Harness, harness
from locust import FastHttpUser, constant_throughput, task


class SmsUser(FastHttpUser):
    """Submits through the adapter; counts accepted and refused messages."""

    abstract = True
    kind = "transactional"
    ait = False

    def on_start(self) -> None:
        self.h: Harness = harness()
        self.kind = self.h.data.usable_kind(type(self).kind)
        self._pace = constant_throughput(self.h.user_rate)

    def wait_time(self) -> float:
        return float(self._pace(self))

    def send(self, to: str, wait: bool = False) -> str | None:
        """Submit one message; its id when accepted."""
        h = self.h
        kind = self.kind
        call = h.adapter.submit(to, h.data.sender(kind), h.data.text(kind), kind,
                                h.callback_url, ait=self.ait)  # fmt: skip
        started = time.time()
        with self.client.request(
            call.method, call.path, json=call.json, headers=call.headers, name=call.name,
            catch_response=True,
        ) as response:  # fmt: skip
            code = response.status_code or 0
            body = response.content or b""
            message_id = h.adapter.accepted_id(code, body) if code else None
            if message_id is None:
                response.failure(h.adapter.error_reason(code, body))
                h.quality.refused(code)
                return None
            response.success()
        h.quality.accepted(kind, self.ait)
        if h.inbox is not None:
            h.inbox.expect(message_id, kind, started, wait=wait)
        return message_id


class OtpAppUser(SmsUser):
    """An app's login flow: OTP, wait for the DLR, the user types the code (or not)."""

    kind = "otp"

    @task
    def login(self) -> None:
        h = self.h
        message_id = self.send(h.data.number(), wait=h.inbox is not None)
        if message_id is None or h.inbox is None:
            return
        receipt = h.inbox.wait(message_id, h.dlr_timeout_s)
        if receipt is None:
            h.quality.count("otp_dlr_timeout")
            return
        got_it = receipt.truth["delivered"] if receipt.truth else receipt.status == "DELIVRD"
        if got_it and h.data.rng.random() < h.verify_probability:
            call = h.adapter.verify(message_id)
            if call is not None:
                self._verify(call.method, call.path, call.headers, call.name)

    def _verify(self, method: str, path: str, headers: dict[str, str], name: str | None) -> None:
        h = self.h
        with self.client.request(
            method, path, headers=headers, name=name, catch_response=True
        ) as response:
            if response.status_code == 200:
                h.quality.count("otp_verified")
            else:
                code = response.status_code or 0
                response.failure(h.adapter.error_reason(code, response.content or b""))


class NotificationUser(SmsUser):
    """Order updates, reminders: fire and forget."""

    kind = "transactional"

    @task
    def notify(self) -> None:
        self.send(self.h.data.number())


class MarketingCampaign(SmsUser):
    """A campaign: a burst of marketing messages, then a pause (same mean rate)."""

    kind = "marketing"

    def wait_time(self) -> float:
        return float(self.h.options.campaign_size) / self.h.user_rate

    @task
    def campaign(self) -> None:
        for _ in range(int(self.h.options.campaign_size)):
            self.send(self.h.data.number())


class AitBot(SmsUser):
    """SMS pumping: OTP requests to sequential numbers in one range, never verified."""

    kind = "otp"
    ait = True

    def on_start(self) -> None:
        super().on_start()
        self.numbers: Iterator[str] = self.h.data.ait_numbers()

    @task
    def pump(self) -> None:
        self.send(next(self.numbers))


USER_CLASSES: tuple[type[SmsUser], ...] = (OtpAppUser, NotificationUser, MarketingCampaign, AitBot)


def set_weights(data: TrafficData, ait_share: float) -> None:
    """Weights from the scenario's kind shares (per mille); AitBot gets ``ait_share``."""
    for cls in (OtpAppUser, NotificationUser, MarketingCampaign):
        cls.weight = round(1000 * data.kind_share(cls.kind))
    AitBot.weight = round(1000 * ait_share)
