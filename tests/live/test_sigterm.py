"""SIGTERM under load: the service stops accepting, and loses no accepted message."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import httpx
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from livehelp import service_child

OTP = {"from": "ACMEBANK", "text": "Your code is 123456", "kind": "otp"}


def _load(
    url: str, worker: int, accepted: list[str], refused: list[int], stop: threading.Event
) -> None:
    """Submit until the service goes away (bounded: 2000 requests per thread)."""
    with httpx.Client(base_url=url, timeout=5.0) as client:
        for i in range(2000):
            if stop.is_set():
                return
            try:
                r = client.post("/v1/messages", json={**OTP, "to": f"+3367{worker}{i:06d}"})
            except httpx.HTTPError:
                return  # connection closed: the service stopped accepting
            if r.status_code == 202:
                accepted.append(r.json()["id"])
            else:
                refused.append(r.status_code)


def test_sigterm_under_load_loses_no_accepted_message(tmp_path: Path) -> None:
    # a long validity keeps EXPIRED receipts pending at shutdown: the drain must settle them
    with service_child(tmp_path, "--drain", "0.5") as service:
        accepted: list[str] = []
        refused: list[int] = []
        stop = threading.Event()
        threads = [
            threading.Thread(target=_load, args=(service.url, w, accepted, refused, stop))
            for w in range(4)
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while len(accepted) < 300 and time.monotonic() < deadline:
            time.sleep(0.02)
        code = service.terminate()
        stop.set()
        for t in threads:
            t.join(10)
        output = service.proc.stdout.read() if service.proc.stdout else ""
    assert code == 0, output
    assert len(accepted) >= 300
    assert set(refused) <= {503}
    frame = pd.read_csv(tmp_path / "records" / "least-cost-1.csv.gz")
    ledger_ids = set(frame["msg_id"].astype(str))
    assert set(accepted) <= ledger_ids  # every 202 is in the ledger ...
    last = frame.groupby("msg_id").tail(1)
    assert len(last) == frame["msg_id"].nunique()  # ... with one terminal row each
    assert "all terminal" in output
