"""A third-party ESME (smpplib, blocking sockets) against the simulated SMSC."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sim.scenario import Scenario

sys.path.insert(0, str(Path(__file__).parent))
from smpphelp import carriers_in_thread, route

pytest.importorskip("smpplib")
import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm

Make = Callable[..., Scenario]


class Esme:
    """smpplib client collecting submit responses, errors and receipts."""

    def __init__(self, host: str, port: int) -> None:
        self.client = smpplib.client.Client(host, port, timeout=5, allow_unknown_opt_params=True)
        self.sent: list[str] = []
        self.errors: list[int] = []
        self.receipts: list[Any] = []
        self.client.set_message_sent_handler(lambda pdu: self.sent.append(pdu.message_id.decode()))
        self.client.set_message_received_handler(lambda pdu: self.receipts.append(pdu))
        self.client.set_error_pdu_handler(lambda pdu: self.errors.append(int(pdu.status)))
        self.client.connect()

    def send(self, text: str, receipt: bool = True) -> int:
        parts, coding, esm_class = smpplib.gsm.make_parts(text)
        for part in parts:
            self.client.send_message(
                source_addr_ton=smpplib.consts.SMPP_TON_ALNUM, source_addr="ACMEBANK",
                dest_addr_ton=smpplib.consts.SMPP_TON_INTL, destination_addr="33671234567",
                short_message=part, data_coding=coding, esm_class=esm_class,
                registered_delivery=receipt,
            )  # fmt: skip
        return len(parts)

    def read(self, until: Callable[[], bool], max_pdus: int = 100) -> None:
        for _ in range(max_pdus):
            if until():
                return
            self.client.read_once()
        assert until()


def test_smpplib_bind_submit_and_receipts(make_scenario: Make) -> None:
    scenario = make_scenario([route()])
    with carriers_in_thread(scenario) as (endpoint,):
        bad = smpplib.client.Client(endpoint.host, endpoint.port, allow_unknown_opt_params=True)
        bad.connect()
        with pytest.raises(smpplib.exceptions.PDUError) as info:
            bad.bind_transceiver(system_id="r1", password="wrong")
        assert info.value.args[1] == 0x0E
        bad.disconnect()

        esme = Esme(endpoint.host, endpoint.port)
        esme.client.bind_transceiver(system_id="r1", password="secret")
        parts = esme.send("Your code is 123456") + esme.send("Код 123456")
        parts += esme.send("Long text, GSM-7 only. " * 15)
        assert parts == 5
        esme.read(lambda: len(esme.sent) == 5 and len(esme.receipts) == 5)
        assert esme.errors == []
        receipted = {pdu.receipted_message_id.decode() for pdu in esme.receipts}
        assert receipted == set(esme.sent)
        for pdu in esme.receipts:
            assert b"stat:DELIVRD" in pdu.short_message and int(pdu.message_state) == 2
        esme.client.unbind()
        esme.client.disconnect()


def test_smpplib_throttled_and_outage(make_scenario: Make) -> None:
    outage = [{"start_s": 0.0, "end_s": 3600.0, "mode": "reject"}]
    scenario = make_scenario([route(tps=5.0, tps_burst=5.0), route("down", outages=outage)])
    with carriers_in_thread(scenario) as (endpoint, down):
        esme = Esme(endpoint.host, endpoint.port)
        esme.client.bind_transmitter(system_id="r1", password="secret")
        for _ in range(15):
            esme.send("hi", receipt=False)
        esme.read(lambda: len(esme.sent) == 15)
        assert esme.errors.count(0x58) >= 5 and set(esme.errors) == {0x58}
        assert len(esme.errors) + len([m for m in esme.sent if m]) == 15
        esme.client.disconnect()

        refused = smpplib.client.Client(down.host, down.port, allow_unknown_opt_params=True)
        refused.connect()
        with pytest.raises(smpplib.exceptions.PDUError) as info:
            refused.bind_transmitter(system_id="down", password="secret")
        assert info.value.args[1] == 0x0D
        refused.disconnect()
