"""The HTTP API in-process: happy path, every kind of bad input, auth, idempotency."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from sim.live.validation import ApiError, Validator

sys.path.insert(0, str(Path(__file__).parent))
from livehelp import new_service, run, smoke, with_client

GOOD = {"to": "+33671234567", "from": "ACMEBANK", "text": "Your code is 123456", "kind": "otp"}


def test_submit_status_verify_kpis_metrics_health() -> None:
    service = new_service()

    async def body(c: httpx.AsyncClient) -> None:
        r = await c.post("/v1/messages", json=GOOD)
        assert r.status_code == 202, r.text
        sent = r.json()
        assert sent["segments"] == 1 and r.headers["location"] == f"/v1/messages/{sent['id']}"
        status = (await c.get(f"/v1/messages/{sent['id']}")).json()
        assert status["to"] == GOOD["to"] and status["kind"] == "otp"
        assert status["history"][0]["event"] == "accepted"
        v = await c.post(f"/v1/messages/{sent['id']}/verify")
        assert v.status_code == 200 and v.json()["verified"] is True
        kpis = (await c.get("/v1/kpis")).json()
        assert kpis["accepted"] == 1 and kpis["otp_verified"] == 1
        metrics = await c.get("/metrics")
        assert metrics.status_code == 200
        assert 'routesim_messages_accepted_total{kind="otp"} 1.0' in metrics.text
        assert (await c.get("/healthz")).json()["status"] == "ok"

    run(with_client(service, body))


def test_multi_segment_ucs2_text_counts_segments() -> None:
    service = new_service()
    text = "ж" * 135  # UCS-2: 135 units, 67 a part -> 3 segments

    async def body(c: httpx.AsyncClient) -> None:
        r = await c.post("/v1/messages", json={**GOOD, "text": text, "kind": "marketing",
                                               "from": "ACMESHOP"})  # fmt: skip
        assert r.status_code == 202 and r.json()["segments"] == 3

    run(with_client(service, body))


BAD_SUBMITS: list[tuple[Any, int, str]] = [
    (b"{not json", 400, "body"),
    (b"[1, 2]", 422, "body"),
    (b'"text"', 422, "body"),
    ({k: v for k, v in GOOD.items() if k != "to"}, 422, "to"),
    ({**GOOD, "to": 33671234567}, 422, "to"),
    ({**GOOD, "to": "+0033671234567"}, 422, "to"),
    ({**GOOD, "to": "call me"}, 422, "to"),
    ({**GOOD, "to": "+15551234567"}, 422, "to"),  # no destination serves +1
    ({**GOOD, "to": "+336712345678"}, 422, "to"),  # one digit too many for fr-orange
    ({**GOOD, "from": "A_SENDER_WAY_TOO_LONG"}, 422, "from"),
    ({**GOOD, "from": ""}, 422, "from"),
    ({**GOOD, "from": ["ACME"]}, 422, "from"),
    ({**GOOD, "text": "x" * 1601}, 422, "text"),  # over max_segments (10 x 160)
    ({**GOOD, "text": "y" * 1540}, 422, "text"),  # 11 GSM-7 parts of 153
    ({**GOOD, "text": 42}, 422, "text"),
    ({**GOOD, "kind": "spam"}, 422, "kind"),
    ({**GOOD, "kind": None}, 422, "kind"),
    ({**GOOD, "priority": "high"}, 422, "priority"),
    ({**GOOD, "callback_url": "ftp://example.test/dlr"}, 422, "callback_url"),
    ({**GOOD, "callback_url": 7}, 422, "callback_url"),
    ({**GOOD, "idempotency_key": "has space"}, 422, "idempotency_key"),
    (b"{" + b'"pad": "' + b"z" * 20_000 + b'"}', 413, "body"),
]


@pytest.mark.parametrize(("payload", "status", "field"), BAD_SUBMITS)
def test_bad_submit_is_refused_and_changes_nothing(payload: Any, status: int, field: str) -> None:
    service = new_service()

    async def body(c: httpx.AsyncClient) -> None:
        content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        r = await c.post("/v1/messages", content=content,
                         headers={"content-type": "application/json"})  # fmt: skip
        assert r.status_code == status, r.text
        assert r.json() == {"error": {"field": field, "reason": r.json()["error"]["reason"]}}
        assert r.json()["error"]["reason"]
        assert len(service.router.ledger) == 0 and len(service.router.ledger.rows) == 0
        assert len(service.clock) == 0  # nothing scheduled

    run(with_client(service, body))


def test_bad_requests_to_other_endpoints() -> None:
    service = new_service()

    async def body(c: httpx.AsyncClient) -> None:
        ok = (await c.post("/v1/messages", json={**GOOD, "kind": "transactional",
                                                  "from": "ACMESHOP"})).json()  # fmt: skip
        before = (len(service.router.ledger), len(service.router.ledger.rows))
        checks = [
            (await c.get("/v1/messages/abc"), 404, "id"),
            (await c.get("/v1/messages/99999"), 404, "id"),
            (await c.get("/v1/messages/٣"), 404, "id"),  # a non-ASCII digit
            (await c.post(f"/v1/messages/{ok['id']}/verify"), 409, "id"),  # not an OTP
            (await c.post("/v1/messages/0/verify", content=b"{oops"), 400, "body"),
            (await c.post("/v1/messages/0/cancel"), 404, "path"),
            (await c.get("/v1/messages"), 405, "method"),
            (await c.delete("/v1/kpis"), 405, "method"),
            (await c.post("/metrics"), 405, "method"),
            (await c.get("/v2/anything"), 404, "path"),
        ]
        for response, status, field in checks:
            assert response.status_code == status, (response.request.url, response.text)
            assert response.json()["error"]["field"] == field
        assert (len(service.router.ledger), len(service.router.ledger.rows)) == before
        assert service.router.messages[0].verified_s != service.router.messages[0].verified_s

    run(with_client(service, body))


def test_api_key_required_everywhere_but_healthz() -> None:
    service = new_service()

    async def body(c: httpx.AsyncClient) -> None:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-API-Key": "nope"}):
            for method, path in (("POST", "/v1/messages"), ("GET", "/v1/kpis"),
                                 ("GET", "/metrics"), ("GET", "/v1/messages/0")):  # fmt: skip
                r = await c.request(method, path, json=GOOD, headers=headers)
                assert r.status_code == 401 and r.json()["error"]["field"] == "authorization"
        assert len(service.router.ledger) == 0
        assert (await c.get("/healthz")).status_code == 200
        r = await c.post("/v1/messages", json=GOOD, headers={"Authorization": "Bearer s3cret"})
        assert r.status_code == 202
        r = await c.get("/v1/kpis", headers={"X-API-Key": "s3cret"})
        assert r.status_code == 200

    run(with_client(service, body, api_key="s3cret"))


def test_idempotency_key_replays_and_refuses_reuse() -> None:
    service = new_service()

    async def body(c: httpx.AsyncClient) -> None:
        first = await c.post("/v1/messages", json={**GOOD, "idempotency_key": "k-1"})
        again = await c.post("/v1/messages", json=GOOD, headers={"Idempotency-Key": "k-1"})
        assert first.status_code == again.status_code == 202
        assert first.json()["id"] == again.json()["id"]
        assert again.headers["idempotent-replayed"] == "true"
        other = await c.post("/v1/messages", json={**GOOD, "text": "other",
                                                    "idempotency_key": "k-1"})  # fmt: skip
        assert other.status_code == 409 and other.json()["error"]["field"] == "idempotency_key"
        assert len(service.router.ledger) == 1

    run(with_client(service, body))


def test_sender_rules_of_the_destination(make_scenario: Any) -> None:
    scenario = make_scenario(
        [{"id": "r1"}],
        destinations={
            "fr-a": {"sender_rules": {"allowed_types": ["shortcode", "longcode"],
                                      "disallowed_type": "reject"}},
            "ng-d": {"sender_rules": {"registration_required": True, "registered": ["ACMEBANK"],
                                      "unregistered_alphanumeric": "reject"}},
        },
    )  # fmt: skip
    validator = Validator(scenario)
    fr, ng = "+33671234567", "+2348031234567"
    base = {"text": "hi", "kind": "otp"}
    with pytest.raises(ApiError, match="alphanumeric senders are refused") as err:
        validator.submit({**base, "to": fr, "from": "ACMEBANK"}, now_s=0)
    assert err.value.field == "from" and err.value.status == 422
    assert validator.submit({**base, "to": fr, "from": "36173"}, now_s=0).sender == "36173"
    with pytest.raises(ApiError, match="not registered"):
        validator.submit({**base, "to": ng, "from": "OTHERCO"}, now_s=0)
    assert validator.submit({**base, "to": ng, "from": "ACMEBANK"}, now_s=0).destination_index == 1


def test_validator_agrees_with_the_scenario_numbering_plan() -> None:
    validator = Validator(smoke())
    number, index = validator.destination("+49 151 1234 5678")
    assert number == 4915112345678 and smoke().destinations[index].id == "de-telekom"
