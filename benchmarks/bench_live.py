"""Live benchmark: the routing service's accepted messages per second, as ratios.

Usage (from the project root)::

    .venv/bin/python benchmarks/bench_live.py                  # 15 s per measurement
    .venv/bin/python benchmarks/bench_live.py --run-time 30 --users 40

Under one Locust configuration (``loadtests/benchfile.py``: OTP submits, FastHttpUser,
``--users`` users, no callbacks), measured in this one run on this machine:

(a) a trivial ASGI endpoint on uvicorn that only answers 202 — the stack's ceiling;
(b) ``routesim serve scenarios/live-smoke.yaml`` at the maximum rate (back to back);
(c) the service at 80% of (b)'s rate (users paced), for the p99 submit latency;
(d) (b) again with Locust ``--processes 2``.

then (b)/(a) (target >= 0.6), (c)'s p99 (target <= 50 ms) and lost messages (accepted
202s missing from the service's ledger after SIGTERM; target 0). Locust and the
server share this machine's cores, so the ratio is what matters. Prints a table and
one PASS/MISS line per target; exits 0 either way (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.live.report import submit_stats  # noqa: E402

READY = "ready on "


async def trivial_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """ASGI: read the body, answer 202 with a fixed JSON id."""
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 202,
                "headers": [(b"content-type", b"application/json")]})  # fmt: skip
    await send({"type": "http.response.body", "body": b'{"id":"0","segments":1}'})


def serve_trivial() -> None:
    import uvicorn

    from sim.live.server import bind_socket, url_of

    sock = bind_socket("127.0.0.1", 0)
    print(f"trivial: {READY}{url_of(sock)}", flush=True)
    config = uvicorn.Config(trivial_app, access_log=False, log_level="warning", backlog=4096)
    uvicorn.Server(config).run(sockets=[sock])


def start(cmd: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if READY in line:
            return proc, line.split(READY)[1].split()[0]
    raise RuntimeError(f"{cmd} did not start")


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    return out


def locust(host: str, users: int, run_time: int, out: Path, processes: int = 1,
           user_rate: float = 0.0) -> dict[str, Any]:  # fmt: skip
    """One headless Locust run of the bench file; submit stats."""
    cmd = [sys.executable, "-m", "locust", "-f", str(ROOT / "loadtests" / "benchfile.py"),
           "--headless", "-u", str(users), "-r", str(users), "-t", f"{run_time}s",
           "--host", host, "--json-file", str(out), "--only-summary", "--stop-timeout", "5",
           "--loglevel", "ERROR"]  # fmt: skip
    if processes > 1:
        cmd += ["--processes", str(processes)]
    env = dict(os.environ, BENCH_USER_RATE=str(user_rate))
    subprocess.run(cmd, cwd=ROOT, env=env, check=False, capture_output=True,
                   timeout=run_time + 120)  # fmt: skip
    entries = json.loads(Path(str(out) + ".json").read_text())
    return submit_stats(entries)


def service_run(args: argparse.Namespace, tmp: Path, label: str, processes: int = 1,
                user_rate: float = 0.0) -> dict[str, Any]:  # fmt: skip
    out = tmp / label
    proc, url = start([sys.executable, "-m", "sim.live", "serve", "scenarios/live-smoke.yaml",
                       "--port", "0", "--out", str(out), "--drain", "2"])  # fmt: skip
    stats = locust(url, args.users, args.run_time, tmp / f"{label}-locust", processes, user_rate)
    stop(proc)
    frame = pd.read_csv(out / "records" / "least-cost-1.csv.gz", usecols=["msg_id"])
    accepted = stats["submit_requests"] - stats["submit_failures"]
    stats["ledger_messages"] = int(frame["msg_id"].nunique())
    stats["lost"] = max(0, accepted - stats["ledger_messages"])
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-time", type=int, default=15, help="seconds per measurement")
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--serve-trivial", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_trivial:
        serve_trivial()
        return 0
    print(f"cores: {os.cpu_count()}, users: {args.users}, {args.run_time} s per run")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        proc, url = start([sys.executable, __file__, "--serve-trivial"])
        trivial = locust(url, args.users, args.run_time, tmp / "trivial")
        stop(proc)
        service = service_run(args, tmp, "service")
        paced_rate = 0.8 * (service["accepted_per_s"] or 0.0)
        paced = service_run(args, tmp, "paced", user_rate=paced_rate / args.users)
        two = service_run(args, tmp, "two-procs", processes=2)
    rows = [
        ("(a) trivial 202 endpoint", trivial),
        ("(b) routesim serve, max", service),
        ("(c) routesim serve, 80% of (b)", paced),
        ("(d) (b), Locust --processes 2", two),
    ]
    print(f"{'run':<34}{'accepted/s':>11}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'fails':>7}"
          f"{'lost':>6}")  # fmt: skip
    for name, s in rows:
        print(f"{name:<34}{s['accepted_per_s'] or 0:>11.0f}{s['submit_p50_ms'] or 0:>8.0f}"
              f"{s['submit_p95_ms'] or 0:>8.0f}{s['submit_p99_ms'] or 0:>8.0f}"
              f"{s['submit_failures']:>7}{s.get('lost', '-'):>6}")  # fmt: skip
    ratio = (service["accepted_per_s"] or 0) / max(1e-9, trivial["accepted_per_s"] or 0)
    p99 = paced["submit_p99_ms"] or float("inf")
    lost = service["lost"] + paced["lost"] + two["lost"]
    two_ratio = (two["accepted_per_s"] or 0) / max(1e-9, service["accepted_per_s"] or 0)
    print(f"(b)/(a) = {ratio:.2f}   (c) p99 = {p99:.0f} ms at {paced['accepted_per_s']:.0f}/s"
          f"   lost = {lost}   (d)/(b) = {two_ratio:.2f}")  # fmt: skip
    print(f"{'PASS' if ratio >= 0.6 else 'MISS'} service/trivial rate >= 0.6 ({ratio:.2f})")
    print(f"{'PASS' if p99 <= 50 else 'MISS'} p99 submit latency <= 50 ms at 80% ({p99:.0f} ms)")
    print(f"{'PASS' if lost == 0 else 'MISS'} zero lost messages ({lost})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
