"""``routesim load --target kannel``: the Locust users through Kannel's sendsms, a few
seconds; every accepted message is in the SMSC ledger and Kannel's receipts are the
SMSCs'. Skipped when Kannel is not installed (``apt-get install -y kannel``)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from sim.kannel.adapter import KannelAdapter
from sim.kannel.load import run_kannel_load
from sim.live.loadrun import LoadOptions
from sim.live.thresholds import load_live_scenario

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "live-smoke.yaml"


def test_adapter_maps_kannel_dlr_types() -> None:
    adapter = KannelAdapter({"api_key": "u:p", "dlr_url": "http://127.0.0.1:9/dlr"})
    call = adapter.submit("+33612345678", "ACME", "hello", "otp", "http://127.0.0.1:8/dlr")
    assert call.method == "GET" and call.path.startswith("/cgi-bin/sendsms?")
    assert "dlr-mask=31" in call.path and "username=u" in call.path
    assert adapter.accepted_id(202, b"0: Accepted for delivery") == "1"
    assert adapter.accepted_id(202, b"0: Accepted for delivery") is None  # no submit pending
    adapter.submit("+33612345678", "ACME", "hello", "otp", None)
    assert adapter.accepted_id(403, b"Authorization failed for sendsms") is None
    statuses = {t: adapter.parse_callback(f"n=7&type={t}".encode()).status
                for t in (1, 2, 34, 16)}  # fmt: skip
    assert statuses == {1: "DELIVRD", 2: "UNDELIV", 34: "EXPIRED", 16: "REJECTD"}
    with pytest.raises(ValueError):
        adapter.parse_callback(b"n=7&type=8")


@pytest.mark.skipif(shutil.which("bearerbox") is None,
                    reason="Kannel not installed (apt-get update && apt-get install -y kannel)")
def test_locust_through_kannel_joins_the_truth_ledger(tmp_path: Path) -> None:
    started = time.monotonic()
    scenario, _ = load_live_scenario(SCENARIO)
    options = LoadOptions(
        scenario_path=SCENARIO, scenario=scenario, users=4, spawn_rate=4, run_time_s=5,
        out_dir=tmp_path, target="kannel", quiet=True, dlr_wait_s=4.0,
    )  # fmt: skip
    code = run_kannel_load(options, settle_s=5.0)
    report = json.loads((tmp_path / "load_report.json").read_text())
    join = report["truth"]["kannel"]
    text = (tmp_path / "load_report.md").read_text()
    assert code == 0, text
    accepted = report["metrics"]["accepted"]
    assert accepted >= 10 and report["metrics"]["refused"] == 0, text
    assert report["truth"]["accepted"] == accepted == join["in_ledger"], text
    assert join["problems"] == [] and join["receipts_matched"] == join["receipts_expected"] > 0
    assert join["kannel_reported_delivered"] == join["smsc_reported_delivered"], text
    assert report["metrics"]["callbacks"] >= join["receipts_matched"], text
    assert time.monotonic() - started < 40, text
