"""``routesim serve --carriers smpp``: submits cross real SMPP sockets to simulated SMSCs."""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from livehelp import service_child

TERMINAL = {"delivered", "undelivered", "expired", "rejected", "unknown", "failed"}
NUMBERS = ("+33671{:06d}", "+4915112{:06d}", "+2348031{:06d}")


def _submit(client: httpx.Client, i: int) -> str:
    body = {"from": "ACMEBANK", "text": f"Your code is {100000 + i}", "kind": "otp",
            "to": NUMBERS[i % 3].format(i)}  # fmt: skip
    r = client.post("/v1/messages", json=body)
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


def _decided(frame: pd.DataFrame) -> Counter[tuple[str, str, str]]:
    """(route, submit status, receipt status) of every attempt an SMSC decided."""
    rows = frame[~frame["submit_status"].isin(["ESME_RTHROTTLED", "ESME_RMSGQFUL"])]
    return Counter(zip(rows["route"], rows["submit_status"], rows["dlr_status"].astype(str),
                       strict=True))  # fmt: skip


def test_serve_over_smpp_every_message_terminal_and_ledgers_agree(tmp_path: Path) -> None:
    with service_child(tmp_path, "--carriers", "smpp", "--time-scale", "4",
                       "--drain", "0.2") as service:  # fmt: skip
        with httpx.Client(base_url=service.url, timeout=5.0) as client:
            ids = [_submit(client, i) for i in range(50)]
            deadline = time.monotonic() + 15
            states: dict[str, str] = {}
            while time.monotonic() < deadline:
                states = {i: client.get(f"/v1/messages/{i}").json()["state"] for i in ids}
                if set(states.values()) <= TERMINAL:
                    break
                time.sleep(0.2)
            assert set(states.values()) <= TERMINAL, Counter(states.values())
            # one receipt per attempt at most: receipts come over SMPP only
            for i in ids[:10]:
                events = client.get(f"/v1/messages/{i}").json()["history"]
                receipts = [e["attempt"] for e in events if e["event"] == "receipt"]
                assert len(receipts) == len(set(receipts)), events
            # a last burst still in flight at SIGTERM must not be lost
            late = [_submit(client, 1000 + i) for i in range(20)]
        code = service.terminate()
        output = service.proc.stdout.read() if service.proc.stdout else ""
    assert code == 0, output
    assert "all terminal" in output
    live = pd.read_csv(tmp_path / "records" / "least-cost-1.csv.gz")
    carriers = pd.read_csv(tmp_path / "records" / "carriers-1.csv.gz")
    assert set(ids + late) <= set(live["msg_id"].astype(str))
    assert live.groupby("msg_id").ngroups == len(ids) + len(late)
    assert len(carriers) > 0
    # every attempt the SMSCs decided is in the service's ledger with the same outcome
    assert _decided(live) == _decided(carriers)
