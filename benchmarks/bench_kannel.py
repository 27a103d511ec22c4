"""Kannel benchmark: messages/s through ``sendsms`` in front of the simulated SMSCs, and
where the CPU goes.

Usage (from the project root; Kannel installed)::

    .venv/bin/python benchmarks/bench_kannel.py                      # 4000 messages, 64 in flight
    .venv/bin/python benchmarks/bench_kannel.py --messages 10000 --concurrency 128

Starts a :class:`~sim.kannel.gateway.KannelGateway` (two simulated SMSCs in this process
on their own thread, bearerbox and smsbox) for a scenario whose routes accept far more
than the offered load (TPS 20,000, constant 1 ms latencies, receipts on), sends the
messages with concurrent httpx (``sim.kannel.check``'s sender: ``dlr-mask=31`` and a
local ``dlr-url``), waits for the receipts and prints accepted msgs/s, receipts/s and
the CPU seconds and share of one core, during the sendsms phase, of: the SMSC thread,
the rest of this process (the httpx client and the DLR collector), bearerbox and smsbox (psutil,
else ``/proc/<pid>/stat``). The harness is not the bottleneck when the SMSC thread stays well
below one core while Kannel's processes are busy. Exits 0 either way.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.kannel.check import _finals, _send_all, numbers
from sim.kannel.collector import DlrCollector
from sim.kannel.gateway import KannelGateway
from sim.scenario import Scenario

FAST = {"dist": "constant", "value_s": 0.001}
ROUTE: dict[str, Any] = {
    "tps": 20000, "window": 1000, "submit_latency": FAST, "handset_latency": FAST,
    "outcomes": {"delivered": 1.0, "undelivered": 0, "expired": 0, "lost": 0},
    "dlr": {"delay": FAST},
}  # fmt: skip
SCENARIO: dict[str, Any] = {
    "name": "kannel-bench", "seed": 3, "timezone": "UTC", "duration_s": 60,
    "destinations": [
        {"id": "fr-a", "country": "FR", "operator": "FR A", "mcc_mnc": "208-01",
         "prefixes": ["+3367"], "share": 0.5},
        {"id": "de-a", "country": "DE", "operator": "DE A", "mcc_mnc": "262-01",
         "prefixes": ["+49151"], "share": 0.5},
    ],
    "routes": [
        {"id": "r1", "supplier": "One", "kind": "direct", "prices": {"fr-a": 0.03, "de-a": 0.05},
         **ROUTE},
        {"id": "r2", "supplier": "Two", "kind": "direct", "prices": {"fr-a": 0.04, "de-a": 0.04},
         **ROUTE},
    ],
    "traffic": {"rate_per_s": 1, "kinds": {"otp": {"share": 1, "sender": "ACME",
                                                   "templates": ["Code {code}"]}}},
    "strategies": [{"name": "least-cost"}],
}  # fmt: skip


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process."""
    try:
        import psutil

        times = psutil.Process(pid).cpu_times()
        return float(times.user + times.system)
    except ImportError:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu_s(native_id: int) -> float:
    """User + system CPU seconds of one thread of this process (Linux)."""
    fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--dlr-wait", type=float, default=30.0)
    args = parser.parse_args()
    if shutil.which("bearerbox") is None:
        print("bench_kannel: Kannel not installed (apt-get update && apt-get install -y kannel)")
        return 0
    scenario = Scenario.model_validate(SCENARIO)
    targets = numbers(scenario, args.messages, 1)
    with DlrCollector() as collector, KannelGateway(scenario) as gateway:
        smsc_thread = gateway.carriers._thread.native_id
        assert smsc_thread is not None
        pids = {"bearerbox": gateway.procs[0].pid, "smsbox": gateway.procs[1].pid}

        def sample() -> dict[str, float]:
            out = {name: proc_cpu_s(pid) for name, pid in pids.items()}
            out["smscs"] = thread_cpu_s(smsc_thread)
            out["client"] = proc_cpu_s(os.getpid()) - out["smscs"]
            return out

        before = sample()
        t0 = time.monotonic()
        accepted, errors = asyncio.run(
            _send_all(gateway, collector.url, targets, args.concurrency)
        )
        send_s = time.monotonic() - t0
        after = sample()  # CPU of the sendsms phase (receipts flow meanwhile)
        end = time.monotonic() + args.dlr_wait
        while time.monotonic() < end and len(_finals(collector.snapshot())) < len(accepted):
            time.sleep(0.25)
        total_s = time.monotonic() - t0
        receipts = len(_finals(collector.snapshot()))
    print(f"bench_kannel: {args.messages} messages, {args.concurrency} sendsms requests in "
          f"flight ({os.cpu_count()} CPUs)")  # fmt: skip
    print(f"  sendsms accepted {len(accepted)} in {send_s:.2f} s: {len(accepted) / send_s:.0f} "
          f"msg/s (refused {sum(errors.values())})")  # fmt: skip
    print(f"  final receipts back through Kannel {receipts} after {total_s:.2f} s: "
          f"{receipts / total_s:.0f} receipts/s end to end")  # fmt: skip
    print(f"  CPU during the {send_s:.2f} s of sendsms (share of one core):")
    for name in ("smscs", "client", "bearerbox", "smsbox"):
        used = after[name] - before[name]
        print(f"    {name:<10} {used:6.2f} s  {used / send_s:6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
