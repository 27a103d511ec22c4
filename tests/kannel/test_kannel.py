"""Kannel (bearerbox + smsbox) in front of the simulated SMSCs: what it accepted is in
the truth ledger, and the receipts it reports are the ones the SMSCs sent (fakes too).
Skipped when Kannel is not installed (``apt-get install -y kannel``)."""

from __future__ import annotations

import shutil
import time
from typing import Any

import pytest

from sim.kannel.check import kannel_check
from sim.kannel.config import KannelError, routing_table
from sim.scenario import Scenario

FAST = {"dist": "constant", "value_s": 0.02}
OUTCOMES = {"delivered": 0.6, "undelivered": 0.2, "expired": 0.1, "lost": 0.1}
SCENARIO: dict[str, Any] = {
    "name": "kannel-test", "seed": 5, "timezone": "UTC", "duration_s": 10,
    "destinations": [
        {"id": "fr-a", "country": "FR", "operator": "FR A", "mcc_mnc": "208-01",
         "prefixes": ["+3367"], "share": 0.5},
        {"id": "de-a", "country": "DE", "operator": "DE A", "mcc_mnc": "262-01",
         "prefixes": ["+49151"], "share": 0.5},
    ],
    "routes": [
        {"id": "honest", "supplier": "Honest", "kind": "direct", "tps": 2000, "window": 50,
         "prices": {"fr-a": 0.03, "de-a": 0.05}, "submit_latency": FAST,
         "handset_latency": FAST, "validity_s": 0.5, "outcomes": OUTCOMES,
         "dlr": {"delay": FAST}},
        {"id": "liar", "supplier": "Liar", "kind": "grey", "tps": 2000, "window": 50,
         "prices": {"fr-a": 0.01, "de-a": 0.07}, "submit_latency": FAST,
         "handset_latency": FAST, "validity_s": 0.5, "outcomes": OUTCOMES,
         "dlr": {"delay": FAST, "fake_share": 0.8, "fake_delay": FAST}},
    ],
    "traffic": {"rate_per_s": 1, "kinds": {"otp": {"share": 1, "sender": "ACME",
                                                   "templates": ["Code {code}"]}}},
    "strategies": [{"name": "least-cost"}],
}  # fmt: skip


def test_routing_table_prefers_the_cheapest_route() -> None:
    table = routing_table(Scenario.model_validate(SCENARIO))
    assert table["liar"] == (["+3367", "+49151"], ["+3367"])
    assert table["honest"] == (["+3367", "+49151"], ["+49151"])


def test_bad_input_is_one_line() -> None:
    with pytest.raises(KannelError, match="messages"):
        kannel_check(Scenario.model_validate(SCENARIO), 0)


@pytest.mark.skipif(shutil.which("bearerbox") is None,
                    reason="Kannel not installed (apt-get update && apt-get install -y kannel)")
def test_kannel_receipts_join_the_truth_ledger() -> None:
    started = time.monotonic()
    result = kannel_check(Scenario.model_validate(SCENARIO), 150, dlr_wait_s=10)
    report = result.report()
    assert result.ok, report
    assert result.accepted == 150 and result.in_ledger == 150, report
    assert result.receipts_matched == result.receipts_expected > 100, report
    assert result.fake_receipts > 0, report  # the liar lies and Kannel believes it
    assert result.fake_believed == result.fake_receipts, report
    assert result.kannel_reported_delivered == result.smsc_reported_delivered, report
    assert result.truly_delivered < result.kannel_reported_delivered, report
    assert set(result.route_share) == {"honest", "liar"} and result.preferred_share == 1.0
    assert time.monotonic() - started < 30, report
