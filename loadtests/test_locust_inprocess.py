"""Locust in-process (Environment + local runner) against the live service.

Run by ``tests/live/test_locust.py`` in a child process, so gevent never enters the
main test run: ``python -m pytest loadtests/test_locust_inprocess.py``. The service
runs as its own child process on a free loopback port.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from gevent import monkey

monkey.patch_all()

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "live"))

import gevent  # noqa: E402
import harness  # noqa: E402
import httpx  # noqa: E402
import locust  # noqa: E402
import pandas as pd  # noqa: E402
from livehelp import SMOKE, service_child  # noqa: E402
from locust.env import Environment  # noqa: E402
from users import USER_CLASSES  # noqa: E402


def _options(**overrides: object) -> argparse.Namespace:
    defaults: dict[str, object] = {
        "scenario": str(SMOKE), "adapter": "", "api_key": "", "otp_verify_prob": 0.8,
        "dlr_timeout": 5.0, "dlr_wait": 15.0, "inbox_host": "127.0.0.1", "user_rate": 4.0,
        "ait_share": 0.15, "campaign_size": 5, "callbacks": 1, "quality_out": "",
    }  # fmt: skip
    defaults.update(overrides)
    return argparse.Namespace(**defaults)


def _settled(url: str, timeout_s: float = 20.0) -> dict[str, object]:
    """The service's KPIs once nothing is in flight and every callback went out."""
    deadline = time.monotonic() + timeout_s
    while True:
        kpis: dict[str, object] = httpx.get(url + "/v1/kpis", timeout=5).json()
        callbacks = kpis["callbacks"]
        assert isinstance(callbacks, dict)
        if (kpis["in_flight"] == 0 and callbacks["pending"] == 0) or time.monotonic() > deadline:
            return kpis
        time.sleep(0.1)


def test_locust_users_against_the_service(tmp_path: Path) -> None:
    with service_child(tmp_path / "service") as service:
        # users finish their task on stop: no request is cut off after the service took it
        env = Environment(user_classes=list(USER_CLASSES), host=service.url, stop_timeout=15,
                          events=locust.events, parsed_options=_options())  # fmt: skip
        runner = env.create_local_runner()
        h = harness.setup(env, runner)
        runner.start(user_count=12, spawn_rate=12)
        gevent.sleep(4.0)
        runner.stop()  # test_stop: waits for outstanding callbacks
        stats = env.stats
        kpis = _settled(service.url)
        assert service.terminate() == 0
        counters = h.quality.counters
        runner.quit()

    # requests succeed
    submits = [e for (name, _), e in stats.entries.items() if name.startswith("submit")]
    assert sum(e.num_requests for e in submits) > 50
    assert sum(e.num_failures for e in submits) == 0
    assert counters["accepted"] == sum(e.num_requests for e in submits)
    assert counters["ait_submitted"] > 0 and counters["otp_verified"] > 0
    # every accepted message reached a terminal state, and its one callback came
    assert kpis["accepted"] == counters["accepted"] == kpis["terminal"]
    assert counters["callbacks"] == counters["accepted"]
    assert counters["callbacks_outstanding"] == 0 and counters["callback_duplicate"] == 0
    # Locust's quality counters match the service's ledger
    ledger = kpis["kpis"]
    assert isinstance(ledger, dict)
    assert counters["handset_delivered"] == ledger["n_delivered"]
    assert counters["status_DELIVRD"] == ledger["n_reported"]
    assert counters["fake_dlr"] == ledger["n_fake"]
    assert counters["sender_intact"] == ledger["n_sender_intact"]
    assert counters["content_intact"] == ledger["n_content_intact"]
    assert counters["ait_accepted_by_route"] == ledger["ait_sent"]
    assert counters["otp_verified"] == kpis["otp_verified"]
    # DLR latency is its own stats, never in Locust's HTTP totals
    assert all(method != "DLR" for _, method in stats.entries)
    assert h.quality.dlr.total.num_requests == counters["status_DELIVRD"] + sum(
        counters[f"status_{s}"] for s in ("UNDELIV", "EXPIRED", "REJECTD")
    )
    frame = pd.read_csv(tmp_path / "service" / "records" / "least-cost-1.csv.gz")
    assert frame["msg_id"].nunique() == counters["accepted"]
