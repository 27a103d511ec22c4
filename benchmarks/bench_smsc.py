"""SMSC benchmark: submit_sm per second one simulated SMSC sustains, receipts on.

Usage (from the project root)::

    .venv/bin/python benchmarks/bench_smsc.py                  # 10 s, 1 client process
    .venv/bin/python benchmarks/bench_smsc.py --run-time 20 --clients 2 --window 500
    .venv/bin/python benchmarks/bench_smsc.py --no-uvloop      # plain asyncio loops

The SMSC (``sim.smpp.smsc.CarrierServer``, uvloop when installed) runs in this process
on one core; ``--clients`` separate client processes each bind one transceiver session
and keep ``--window`` submit_sm in flight, answering every deliver_sm receipt. The route
accepts everything (TPS and window above the offered load, constant 1 ms latencies, all
delivered, honest receipts), so every submit goes through the world model, the ledger
and a receipt. Prints submits/s, receipts/s and the SMSC process's CPU share; the
target is >= 5,000 submit_sm/s. Exits 0 either way (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import multiprocessing as mp
import struct
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.scenario import parse_scenario  # noqa: E402
from sim.smpp import pdu as p  # noqa: E402
from sim.smpp.smsc import CarrierConfig, CarrierServer  # noqa: E402

TARGET_PER_S = 5_000
MS = {"dist": "constant", "value_s": 0.001}
SCENARIO = {
    "name": "bench-smsc", "seed": 1, "timezone": "UTC", "duration_s": 60,
    "destinations": [{"id": "fr-a", "country": "FR", "operator": "FR A", "mcc_mnc": "208-01",
                      "prefixes": ["+3367"], "share": 1.0}],
    "routes": [{"id": "bench", "supplier": "bench", "kind": "direct", "tps": 1e7,
                "tps_burst": 1e7, "window": 100_000, "prices": {"fr-a": 0.01},
                "submit_latency": MS, "handset_latency": MS, "dlr": {"delay": MS},
                "outcomes": {"delivered": 1.0, "undelivered": 0.0, "expired": 0.0, "lost": 0.0}}],
    "traffic": {"rate_per_s": 1, "kinds": {"otp": {"share": 1, "sender": "ACME",
                                                   "templates": ["Code {code}"]}}},
    "strategies": [{"name": "least-cost"}],
}  # fmt: skip
HEAD = struct.Struct(">IIII")


USE_UVLOOP = "--no-uvloop" not in sys.argv


def _loop_factory() -> Any:
    if not USE_UVLOOP:
        return None
    with contextlib.suppress(ImportError):
        return importlib.import_module("uvloop").new_event_loop
    return None


class BenchClient(asyncio.Protocol):
    """A lean pipelining ESME: headers only, one pre-encoded submit_sm."""

    def __init__(self, window: int, done: asyncio.Future[None]) -> None:
        self.window = window
        self.done = done
        body = p.ShortMessage(
            source_addr_ton=5, source_addr="ACMEBANK", dest_addr_ton=1, dest_addr_npi=1,
            destination_addr="33671234567", registered_delivery=1,
            short_message=b"Your code is 123456",
        )  # fmt: skip
        self.submit = bytearray(p.encode(p.Pdu(p.SUBMIT_SM, 0, body=body)))
        self.seq = 1
        self.ok = self.errors = self.receipts = 0
        self.buffer = bytearray()
        self.transport: Any = None
        self.bound = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(p.encode(p.Pdu(p.BIND_TRANSCEIVER, 1, body=p.Bind("bench", "secret"))))

    def _send(self, count: int) -> None:
        out = []
        for _ in range(count):
            self.seq += 1
            struct.pack_into(">I", self.submit, 12, self.seq)
            out.append(bytes(self.submit))
        self.transport.write(b"".join(out))

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        replies = []
        new = 0
        pos = 0
        while len(buf) - pos >= 16:
            length, command, status, seq = HEAD.unpack_from(buf, pos)
            if len(buf) - pos < length:
                break
            pos += length
            if command == p.SUBMIT_SM | p.RESP:
                new += 1
                if status:
                    self.errors += 1
                else:
                    self.ok += 1
            elif command == p.DELIVER_SM:
                self.receipts += 1
                replies.append(HEAD.pack(17, p.DELIVER_SM | p.RESP, 0, seq) + b"\0")
            elif command == p.BIND_TRANSCEIVER | p.RESP:
                self.bound = True
                new = self.window
        del buf[:pos]
        if replies:
            self.transport.write(b"".join(replies))
        if new and not self.done.done():
            self._send(new)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


def client_main(port: int, window: int, run_s: float, results: Any) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        transport, client = await loop.create_connection(
            lambda: BenchClient(window, done), "127.0.0.1", port
        )
        await asyncio.sleep(1.0)  # warm-up
        start = (time.perf_counter(), client.ok, client.receipts)
        await asyncio.sleep(run_s)
        end = (time.perf_counter(), client.ok, client.receipts)
        done.set_result(None)
        transport.close()
        results.put((end[0] - start[0], end[1] - start[1], end[2] - start[2], client.errors))

    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(main())


async def serve(args: argparse.Namespace) -> dict[str, float]:
    scenario = parse_scenario(SCENARIO, "bench")
    server = CarrierServer(CarrierConfig(scenario, base_port=0))
    (endpoint,) = await server.start()
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    procs = [
        ctx.Process(target=client_main, args=(endpoint.port, args.window, args.run_time, results))
        for _ in range(args.clients)
    ]
    for proc in procs:
        proc.start()
    await asyncio.sleep(1.5)  # clients start (spawn) and warm up
    cpu0, wall0, n0 = time.process_time(), time.perf_counter(), len(server.ledger)
    await asyncio.sleep(args.run_time - 1.0)
    cpu1, wall1, n1 = time.process_time(), time.perf_counter(), len(server.ledger)
    loop = asyncio.get_running_loop()
    figures = [await loop.run_in_executor(None, results.get) for _ in procs]
    for proc in procs:
        proc.join(10)
    await server.stop()
    wall = sum(f[0] for f in figures) / len(figures)
    return {
        "submits_per_s": sum(f[1] for f in figures) / wall,
        "receipts_per_s": sum(f[2] for f in figures) / wall,
        "errors": float(sum(f[3] for f in figures)),
        "decided_per_s": (n1 - n0) / (wall1 - wall0),
        "smsc_cpu_share": (cpu1 - cpu0) / (wall1 - wall0),
        "ledger": float(len(server.ledger)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run-time", type=float, default=10.0, metavar="SECONDS")
    parser.add_argument("--clients", type=int, default=1, metavar="N")
    parser.add_argument("--window", type=int, default=300, metavar="W")
    parser.add_argument("--no-uvloop", action="store_true", help="plain asyncio loops")
    args = parser.parse_args()
    if args.run_time < 2 or args.clients < 1 or args.window < 1:
        parser.error("--run-time >= 2, --clients >= 1, --window >= 1")
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        r = runner.run(serve(args))
    loop_name = "uvloop" if _loop_factory() else "asyncio"
    print(f"SMSC benchmark ({loop_name}, {args.clients} client processes, window "
          f"{args.window}, {args.run_time:g} s, receipts on)")  # fmt: skip
    print(f"  submit_sm/s (client-side, ESME_ROK)  {r['submits_per_s']:>10,.0f}")
    print(f"  receipts/s (deliver_sm received)     {r['receipts_per_s']:>10,.0f}")
    print(f"  messages decided/s (SMSC ledger)     {r['decided_per_s']:>10,.0f}")
    print(f"  SMSC process CPU share (1.0 = a core) {r['smsc_cpu_share']:>9.2f}")
    print(f"  submit errors {r['errors']:.0f}; ledger rows {r['ledger']:,.0f}")
    verdict = "PASS" if r["submits_per_s"] >= TARGET_PER_S else "MISS"
    print(f"{verdict}: {r['submits_per_s']:,.0f} submit_sm/s (target >= {TARGET_PER_S:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
