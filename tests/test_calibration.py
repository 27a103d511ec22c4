"""Calibration: configured probabilities and delays come back from a large seeded run.

One run of ~180,000 messages over three destinations, each served by exactly one
route that isolates a few parameters (one attempt per message, so one row per
message). Each share is checked against the exact binomial 99.9% interval
``binom.interval(0.999, n, p)``, with ``n`` counted from the records; each quantile
against the distribution-free 99.9% interval given by order statistics.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from scipy import stats

from sim.engine import simulate
from sim.records import Records
from sim.scenario import Scenario
from sim.world.smpp import DlrStatus, SubmitStatus

CONFIDENCE = 0.999
ZERO = {"dist": "constant", "value_s": 0.0}
HANDSET = {"dist": "lognormal", "median_s": 3.0, "p95_s": 15.0}

# fr-a <- ra: system errors, delivery, missing receipts, fakes (all), numeric senders.
RA = {
    "system_error": 0.05,
    "outcomes": {"delivered": 0.8, "undelivered": 0.1, "expired": 0.05, "lost": 0.05},
    "missing": 0.07,
    "fake": 0.3,
    "numeric": 0.2,
}
# de-b <- rb: honest receipts, nothing missing: lost / undelivered / expired shares.
RB_OUTCOMES = {"delivered": 0.7, "undelivered": 0.1, "expired": 0.05, "lost": 0.15}
# gb-c <- rc: fakes only on bulk (marketing) traffic.
RC_FAKE = 0.6


@pytest.fixture(scope="module")
def calibration(make_scenario: Any) -> tuple[Scenario, Records]:
    routes = [
        {
            "id": "ra",
            "prices": {"fr-a": 0.01},
            "submit_latency": ZERO,
            "handset_latency": HANDSET,
            "outcomes": RA["outcomes"],
            "dlr": {"missing_share": RA["missing"], "fake_share": RA["fake"], "fake_mode": "all"},
            "sender": {"numeric_share": RA["numeric"]},
            "errors": {"system_error_share": RA["system_error"]},
        },
        {"id": "rb", "prices": {"de-b": 0.01}, "outcomes": RB_OUTCOMES},
        {
            "id": "rc",
            "prices": {"gb-c": 0.01},
            "outcomes": {"delivered": 0.5, "undelivered": 0.5, "expired": 0.0, "lost": 0.0},
            "dlr": {"fake_share": RC_FAKE, "fake_mode": "bulk"},
        },
    ]
    scenario = make_scenario(
        routes,
        destinations=["fr-a", "de-b", "gb-c"],
        kinds=["otp", "marketing"],
        rate_per_s=100.0,
        duration_s=1800.0,
        seed=20260310,
        retry={"max_attempts": 1},
    )
    return scenario, simulate(scenario, scenario.strategies[0], 1)


def assert_share(hits: npt.NDArray[np.bool_], p: float, what: str) -> None:
    """``hits.sum()`` lies in the binomial 99.9% interval for ``hits.size`` trials."""
    n, k = int(hits.size), int(hits.sum())
    assert n > 1000, f"{what}: too few trials ({n})"
    lo, hi = stats.binom.interval(CONFIDENCE, n, p)
    assert lo <= k <= hi, f"{what}: {k}/{n} = {k / n:.4f}, expected p={p} ({lo:.0f}..{hi:.0f})"


def assert_quantile(values: npt.NDArray[np.float64], q: float, true_value: float) -> None:
    """The true q-quantile lies between order statistics X(a) and X(b+1) (1-based),
    where [a, b] is the binomial 99.9% interval of the count of values below it."""
    x = np.sort(values)
    a, b = stats.binom.interval(CONFIDENCE, x.size, q)
    lo, hi = x[max(int(a) - 1, 0)], x[min(int(b), x.size - 1)]
    assert lo <= true_value <= hi, f"q{q}: {true_value} not in [{lo}, {hi}] (n={x.size})"


def rows(records: Records, route: str) -> dict[str, np.ndarray]:
    c = records.columns
    on = c["route"] == records.route_ids.index(route)
    return {k: v[on] for k, v in c.items()}


def test_every_message_has_one_attempt_on_its_destinations_route(calibration: Any) -> None:
    _, records = calibration
    c = records.columns
    assert len(records) > 150_000
    assert c["final"].all()
    assert (c["route"] == c["destination"]).all()  # routes listed in destination order


def test_system_error_share(calibration: Any) -> None:
    _, records = calibration
    c = rows(records, "ra")
    assert_share(c["submit_status"] == SubmitStatus.ESME_RSYSERR, RA["system_error"], "0x08")
    others = c["submit_status"][c["submit_status"] != SubmitStatus.ESME_RSYSERR]
    assert (others == SubmitStatus.ESME_ROK).all()


def test_delivered_missing_fake_and_numeric_sender_shares(calibration: Any) -> None:
    _, records = calibration
    c = rows(records, "ra")
    accepted = c["submit_status"] == SubmitStatus.ESME_ROK
    delivered = c["handset_delivered"][accepted]
    assert_share(delivered, RA["outcomes"]["delivered"], "delivered among accepted")
    dlr = c["dlr_status"][accepted]
    # A delivered message's honest DELIVRD goes missing with missing_share.
    assert set(np.unique(dlr[delivered]).tolist()) == {DlrStatus.NONE, DlrStatus.DELIVRD}
    assert_share(dlr[delivered] == DlrStatus.NONE, RA["missing"], "missing receipts")
    # fake_mode all: a not-delivered message is reported DELIVRD with fake_share.
    assert_share(dlr[~delivered] == DlrStatus.DELIVRD, RA["fake"], "fake DELIVRD")
    # The route rewrites the sender to a random French long number with numeric_share.
    codes = c["sender_code"][accepted][delivered]
    assert_share(codes >= 0, RA["numeric"], "numeric sender rewrite")
    shown = {records.received_senders[i] for i in codes[codes >= 0].tolist()}
    assert all(s.startswith("+33") and s[1:].isdigit() and len(s) == 12 for s in shown)
    assert len(shown) > 0.9 * (codes >= 0).sum()  # random numbers, nearly all distinct
    assert (c["sender_code"][accepted][~delivered] == -1).all()


def test_handset_latency_quantiles(calibration: Any) -> None:
    """Lognormal(median 3 s, p95 15 s): sample median and p95 bracket the true ones."""
    _, records = calibration
    c = rows(records, "ra")
    delivered = c["handset_delivered"]
    latency = c["handset_s"][delivered] - c["submitted_s"][delivered]  # submit answers at once
    assert latency.size > 40_000
    assert_quantile(latency, 0.5, HANDSET["median_s"])
    assert_quantile(latency, 0.95, HANDSET["p95_s"])
    assert np.isnan(c["handset_s"][~delivered]).all()


def test_lost_undelivered_and_expired_shares(calibration: Any) -> None:
    _, records = calibration
    c = rows(records, "rb")
    assert (c["submit_status"] == SubmitStatus.ESME_ROK).all()
    dlr, delivered = c["dlr_status"], c["handset_delivered"]
    # Honest route: DELIVRD exactly for delivered messages.
    assert ((dlr == DlrStatus.DELIVRD) == delivered).all()
    assert_share(~delivered & (dlr == DlrStatus.NONE), RB_OUTCOMES["lost"], "lost")
    assert_share(dlr == DlrStatus.UNDELIV, RB_OUTCOMES["undelivered"], "UNDELIV")
    assert_share(dlr == DlrStatus.EXPIRED, RB_OUTCOMES["expired"], "EXPIRED")
    # EXPIRED receipts come after the validity period (3600 s by default).
    expired = dlr == DlrStatus.EXPIRED
    assert (c["dlr_s"][expired] - c["submitted_s"][expired] >= 3600.0).all()


def test_fake_mode_bulk_fakes_only_bulk_traffic(calibration: Any) -> None:
    scenario, records = calibration
    c = rows(records, "rc")
    marketing = c["kind"] == list(scenario.traffic.kinds).index("marketing")
    lied = ~c["handset_delivered"] & (c["dlr_status"] == DlrStatus.DELIVRD)
    assert_share(lied[marketing & ~c["handset_delivered"]], RC_FAKE, "fake DELIVRD (bulk)")
    assert not lied[~marketing].any()
    otp_failed = ~marketing & ~c["handset_delivered"]
    assert (c["dlr_status"][otp_failed] == DlrStatus.UNDELIV).all()


def test_destination_sender_rules(make_scenario: Any) -> None:
    """ng-d requires registration and rewrites unregistered alphanumerics to SMSINFO;
    ACMEBANK's registration is live from 50 s. gb-c rejects unregistered ones."""
    registered = [{"sender": "ACMEBANK", "from_s": 50.0}]
    destinations = {
        "ng-d": {"sender_rules": {
            "registration_required": True, "registered": registered,
            "unregistered_alphanumeric": "rewrite_generic", "generic_sender": "SMSINFO",
        }},
        "gb-c": {"sender_rules": {
            "registration_required": True, "registered": ["ACMEBANK"],
            "unregistered_alphanumeric": "reject",
        }},
    }  # fmt: skip
    all_delivered = {"delivered": 1.0, "undelivered": 0.0, "expired": 0.0, "lost": 0.0}
    scenario = make_scenario(
        [{"id": "r", "outcomes": all_delivered, "submit_latency": ZERO}],
        destinations=destinations,
        kinds=["otp", "marketing"],
        rate_per_s=10.0,
        duration_s=100.0,
        retry={"max_attempts": 1},
    )
    records = simulate(scenario, scenario.strategies[0], 1)
    c = records.columns
    kinds = list(scenario.traffic.kinds)
    bank = c["kind"] == kinds.index("otp")  # sender ACMEBANK; marketing is ACMESHOP
    ng = c["destination"] == 0
    shown = np.array([*records.received_senders, "<intact>", "<none>"], dtype=object)
    shown = shown[np.where(c["sender_code"] == -2, len(shown) - 2, c["sender_code"])]
    live = c["submitted_s"] >= 50.0
    for mask in (ng & ~bank, ng & bank & ~live, ng & bank & live, ~ng):
        assert mask.sum() > 50
    assert c["handset_delivered"][ng].all()
    assert (shown[ng & ~bank] == "SMSINFO").all()
    assert (shown[ng & bank & ~live] == "SMSINFO").all()
    assert (shown[ng & bank & live] == "<intact>").all()
    # gb-c: the registered sender passes, the unregistered one is rejected (REJECTD).
    assert (shown[~ng & bank] == "<intact>").all()
    assert c["handset_delivered"][~ng & bank].all()
    assert not c["handset_delivered"][~ng & ~bank].any()
    assert (c["dlr_status"][~ng & ~bank] == DlrStatus.REJECTD).all()
    assert (c["sender_code"][~ng & ~bank] == -1).all()
