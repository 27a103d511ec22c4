"""The SMSC simulator over real sockets, with the codec's own ESME client."""

from __future__ import annotations

import asyncio
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sim.records import COLUMNS
from sim.scenario import Scenario
from sim.smpp import pdu as p
from sim.smpp.client import EsmeClient
from sim.smpp.receipt import parse_receipt
from sim.smpp.text import concatenated_parts

sys.path.insert(0, str(Path(__file__).parent))
from smpphelp import NUMBER, bound, carriers, route, run

Make = Callable[..., Scenario]


def _ids(responses: list[p.Pdu]) -> list[str]:
    ids = []
    for resp in responses:
        assert resp.status == p.ESME_ROK, hex(resp.status)
        assert isinstance(resp.body, p.MessageIdResp)
        ids.append(resp.body.message_id)
    return ids


async def _receipts(client: EsmeClient, count: int) -> dict[str, str]:
    out = {}
    for _ in range(count):
        pdu = await asyncio.wait_for(client.receipts.get(), 10)
        assert isinstance(pdu.body, p.ShortMessage) and pdu.body.esm_class == p.ESM_RECEIPT
        receipt = parse_receipt(pdu.body)
        out[receipt.message_id] = receipt.stat
    return out


def test_submit_gsm7_ucs2_and_concatenated_get_matching_receipts(
    make_scenario: Make, tmp_path: Path
) -> None:
    scenario = make_scenario([route()])

    async def scenario_run() -> pd.DataFrame:
        async with carriers(scenario) as (server, (endpoint,)):
            client = await bound(endpoint)
            gsm = _ids(await client.submit("ACMEBANK", NUMBER, "Your code is 1234 {ok} €"))
            ucs = _ids(await client.submit("ACMEBANK", NUMBER, "Ваш код 1234"))
            long = _ids(await client.submit("ACMEBANK", NUMBER, "x" * 400))
            assert len(gsm) == len(ucs) == 1 and len(long) == 3
            ids = gsm + ucs + long
            assert len(set(ids)) == 5
            receipts = await _receipts(client, 5)
            assert receipts == dict.fromkeys(ids, "DELIVRD")
            await client.unbind()
            await client.close()
        server.ledger.write_csv(tmp_path / "records" / "carriers-1.csv.gz")
        return server.ledger.frame()

    frame = run(scenario_run())
    assert list(frame.columns) == list(COLUMNS)
    assert frame["segments"].tolist() == [1, 1, 3]
    assert frame["submit_status"].tolist() == ["ESME_ROK"] * 3
    assert frame["handset_delivered"].all() and frame["content_intact"].all()
    assert (frame["sender_received"] == "ACMEBANK").all()
    written = pd.read_csv(tmp_path / "records" / "carriers-1.csv.gz")
    assert len(written) == 3 and written["route"].tolist() == ["r1"] * 3


def test_receipt_waits_for_a_receiver_bind(make_scenario: Make) -> None:
    scenario = make_scenario([route()])

    async def scenario_run() -> None:
        async with carriers(scenario) as (server, (endpoint,)):
            tx = await EsmeClient.connect(endpoint.host, endpoint.port)
            assert await tx.bind("r1", "secret", p.BIND_TRANSMITTER) == 0
            (msg_id,) = _ids(await tx.submit("ACME", NUMBER, "hello"))
            while server.carriers[0].counters.receipts_waiting == 0:
                await asyncio.sleep(0.005)
            rx = await EsmeClient.connect(endpoint.host, endpoint.port)
            assert await rx.bind("r1", "secret", p.BIND_RECEIVER) == 0
            assert await _receipts(rx, 1) == {msg_id: "DELIVRD"}
            resp = await rx.request(p.SUBMIT_SM, p.ShortMessage(destination_addr="3367"))
            assert resp.status == p.ESME_RINVBNDSTS  # a receiver cannot submit
            for c in (tx, rx):
                await c.close()

    run(scenario_run())


def test_bind_errors(make_scenario: Make) -> None:
    scenario = make_scenario([route()])

    async def scenario_run() -> None:
        async with carriers(scenario, password="s3cret") as (_, (endpoint,)):
            client = await EsmeClient.connect(endpoint.host, endpoint.port)
            assert await client.bind("r1", "secret") == p.ESME_RINVPASWD
            assert await client.bind("other", "s3cret") == p.ESME_RINVSYSID
            resp = await client.request(p.SUBMIT_SM, p.ShortMessage(destination_addr=NUMBER))
            assert resp.status == p.ESME_RINVBNDSTS
            assert await client.bind("r1", "s3cret") == p.ESME_ROK
            assert await client.bind("r1", "s3cret") == p.ESME_RALYBND
            assert (await client.request(p.ENQUIRE_LINK)).command_id == p.ENQUIRE_LINK | p.RESP
            await client.close()

    run(scenario_run())


def test_tps_limit_throttles_0x58_and_window_answers_0x14(make_scenario: Make) -> None:
    scenario = make_scenario([
        route("slow", tps=5.0, tps_burst=5.0, submit_latency={"dist": "constant", "value_s": 0.05}),
        route("narrow", window=3, submit_latency={"dist": "constant", "value_s": 0.2}),
    ])  # fmt: skip

    async def scenario_run() -> None:
        async with carriers(scenario) as (server, (slow, narrow)):
            client = await bound(slow)
            futures = [f for _ in range(20) for f in client.submit_parts("A", NUMBER, "hi")]
            statuses = [r.status for r in await asyncio.gather(*futures)]
            assert statuses.count(p.ESME_ROK) >= 5
            assert statuses.count(p.ESME_RTHROTTLED) >= 10
            assert set(statuses) == {p.ESME_ROK, p.ESME_RTHROTTLED}
            counters = server.carriers[0].counters
            assert (counters.submits, counters.throttled) == (20, statuses.count(0x58))
            client2 = await bound(narrow)
            futures = [f for _ in range(5) for f in client2.submit_parts("A", NUMBER, "hi")]
            statuses = [r.status for r in await asyncio.gather(*futures)]
            assert statuses == [0, 0, 0, p.ESME_RMSGQFUL, p.ESME_RMSGQFUL]
            assert server.carriers[1].counters.window_full == 2
            for c in (client, client2):
                await c.close()
        ledger = server.ledger.frame()
        assert (ledger["submit_status"] == "ESME_ROK").all()  # refusals are not messages
        assert ledger.groupby("route").size().to_dict() == {
            "narrow": 3,
            "slow": server.carriers[0].counters.decided,
        }

    run(scenario_run())


def test_outage_refuses_binds_and_answers_0x45(make_scenario: Make) -> None:
    outage = [{"start_s": 0.0, "end_s": 3600.0, "mode": "reject"}]
    scenario = make_scenario([route("up"), route("down", outages=outage)])

    async def scenario_run() -> None:
        async with carriers(scenario) as (server, (up, down)):
            client = await EsmeClient.connect(down.host, down.port)
            assert await client.bind("down", "secret") == p.ESME_RBINDFAIL
            await client.close()
            # a session bound before the outage: the world model answers 0x45
            server.carriers[1].behaviour._outages = ()
            early = await bound(down)
            server.carriers[1].behaviour._outages = scenario.routes[1].outages
            (resp,) = await early.submit("ACME", NUMBER, "hello")
            assert resp.status == p.ESME_RSUBMITFAIL
            fine = await bound(up)
            assert _ids(await fine.submit("ACME", NUMBER, "hello"))
            for c in (early, fine):
                await c.close()
        frame = server.ledger.frame()
        assert frame.set_index("route")["submit_status"].to_dict() == {
            "down": "ESME_RSUBMITFAIL",
            "up": "ESME_ROK",
        }

    run(scenario_run())


def _raw(frame_fields: tuple[int, int, int, int], body: bytes = b"") -> bytes:
    return struct.pack(">IIII", *frame_fields) + body


async def _exchange(endpoint: Any, data: bytes, expect_close: bool) -> list[p.Pdu]:
    reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port)
    writer.write(data)
    await writer.drain()
    pdus: list[p.Pdu] = []
    try:
        while True:
            header = await asyncio.wait_for(reader.readexactly(4), 0.5 if not expect_close else 5)
            rest = await reader.readexactly(p.frame_length(header) - 4)
            pdus.append(p.decode(header + rest))
    except asyncio.IncompleteReadError:
        assert expect_close
    except TimeoutError:
        assert not expect_close
    writer.close()
    return pdus


def test_garbage_is_nacked_or_closed_and_no_accepted_message_is_lost(make_scenario: Make) -> None:
    scenario = make_scenario([route()])
    submit = p.encode(p.Pdu(p.SUBMIT_SM, 50, body=p.ShortMessage(
        source_addr="ACME", destination_addr="33671234567", short_message=b"hi")))  # fmt: skip
    bind = p.encode(p.Pdu(p.BIND_TRANSCEIVER, 1, body=p.Bind("r1", "secret")))

    async def scenario_run() -> None:
        async with carriers(scenario) as (server, (endpoint,)):
            client = await bound(endpoint)
            accepted = _ids(await client.submit("ACME", NUMBER, "before the storm"))
            # oversized, then too short: nacked 0x02 and closed
            for header in ((70_000, p.SUBMIT_SM, 0, 7), (4, p.SUBMIT_SM, 0, 7)):
                pdus = await _exchange(endpoint, _raw(header), expect_close=True)
                assert [(x.command_id, x.status, x.sequence) for x in pdus] == [
                    (p.GENERIC_NACK, p.ESME_RINVCMDLEN, 7)
                ]
            # noise: whatever it parses as, the answer is a nack or a close, never a crash
            await _exchange(endpoint, b"\xff" * 64 + b"GET / HTTP/1.1\r\n\r\n", expect_close=True)
            # well framed but malformed body, unknown command, then a valid submit: the
            # session survives the first two
            truncated = _raw((20, p.SUBMIT_SM, 0, 8), b"ab\0\0")
            unknown = _raw((16, 0x00000103, 0, 9))
            pdus = await _exchange(endpoint, bind + truncated + unknown + submit, False)
            assert [(x.command_id, x.status, x.sequence) for x in pdus[:4]] == [
                (p.BIND_TRANSCEIVER | p.RESP, 0, 1),
                (p.GENERIC_NACK, p.ESME_RINVCMDLEN, 8),
                (p.GENERIC_NACK, p.ESME_RINVCMDID, 9),
                (p.SUBMIT_SM | p.RESP, 0, 50),
            ]
            assert pdus[4:] == []  # no receipt asked; the others' receipts go to their sessions
            # a frame cut mid-way, then the peer vanishes: nothing answered, nothing lost
            await _exchange(endpoint, bind + submit + submit[:20], expect_close=False)
            # the first client's session is untouched and a new client still works
            accepted += _ids(await client.submit("ACME", NUMBER, "after the storm"))
            late = await bound(endpoint)
            accepted += _ids(await late.submit("ACME", NUMBER, "x" * 300))
            await _receipts(client, 2)
            for c in (client, late):
                await c.close()
            assert server.protocol_errors >= 3
        frame = server.ledger.frame()
        assert len(frame) == 5  # 2 before/after + 2 raw submits + 1 two-part message
        assert frame["msg_id"].tolist() == list(range(5))
        assert (frame["submit_status"] == "ESME_ROK").all()

    run(scenario_run())


def test_incomplete_concatenation_is_decided_at_shutdown(make_scenario: Make) -> None:
    scenario = make_scenario([route()])

    async def scenario_run() -> None:
        async with carriers(scenario) as (server, (endpoint,)):
            client = await bound(endpoint)
            parts = concatenated_parts("y" * 400, ref=9)[:2]  # the third never comes
            for esm, coding, data in parts:
                body = p.ShortMessage(
                    source_addr="ACME",
                    destination_addr=NUMBER[1:],
                    esm_class=esm,
                    data_coding=coding,
                    short_message=data,
                )
                assert (await client.request(p.SUBMIT_SM, body)).status == p.ESME_ROK
            assert len(server.ledger) == 0
            await client.close()
        frame = server.ledger.frame()
        assert frame["segments"].tolist() == [3]  # decided from the 2 parts it had
        assert frame["content_intact"].tolist() == [True]

    run(scenario_run())
