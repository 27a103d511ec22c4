"""``routesim carriers``: argument checks, and a real process stopped by SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.scenario import Scenario, ScenarioError
from sim.smpp.client import EsmeClient
from sim.smpp.commands import CarrierError, register

sys.path.insert(0, str(Path(__file__).parent))
from smpphelp import FAST, NUMBER, run

Make = Callable[..., Scenario]
SCENARIO = {
    "name": "smpp-test", "seed": 3, "timezone": "UTC", "duration_s": 10,
    "destinations": [{"id": "fr-a", "country": "FR", "operator": "FR A", "mcc_mnc": "208-01",
                      "prefixes": ["+3367"], "share": 1.0}],
    "routes": [{"id": rid, "supplier": rid, "kind": "direct", "tps": 1000, "prices": {"fr-a": 0.01},
                "submit_latency": FAST, "handset_latency": FAST, "dlr": {"delay": FAST}}
               for rid in ("alpha", "beta")],
    "traffic": {"rate_per_s": 1, "kinds": {"otp": {"share": 1, "sender": "ACME",
                                                   "templates": ["Code {code}"]}}},
    "strategies": [{"name": "least-cost"}],
}  # fmt: skip
# the CLI as the lead wires it: sim.cli dispatches to func; errors are one line, exit 2
MAIN = textwrap.dedent("""
    import argparse, sys
    from sim.smpp.commands import register
    parser = argparse.ArgumentParser(prog="routesim")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(sys.argv[1:])
    try:
        sys.exit(args.func(args))
    except ValueError as exc:
        print(f"routesim: {exc}", file=sys.stderr)
        sys.exit(2)
""")


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="routesim")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    with pytest.raises(CarrierError, match="65535"):
        args = _parse(["carriers", str(path), "--base-port", "65535"])
        args.func(args)
    with pytest.raises(CarrierError, match="password"):
        args = _parse(["carriers", str(path), "--password", "much-too-long"])
        args.func(args)
    with pytest.raises(ScenarioError):
        args = _parse(["carriers", str(tmp_path / "missing.yaml")])
        args.func(args)
    with pytest.raises(SystemExit):
        _parse(["carriers", str(path), "--time-scale", "0"])


def test_carriers_process_serves_until_sigterm_and_writes_records(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-c", MAIN, "carriers", str(path), "--base-port", "0",
         "--time-scale", "2", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[0].startswith("alpha: 127.0.0.1:") and "system_id=alpha" in lines[0]
        assert lines[1].startswith("beta: 127.0.0.1:")
        assert lines[2].startswith("routesim carriers: ready")
        port = int(lines[1].split(":")[2].split()[0])

        async def client() -> None:
            esme = await EsmeClient.connect("127.0.0.1", port)
            assert await esme.bind("beta", "secret") == 0
            for text in ("one", "two", "three " * 40):
                assert all(r.status == 0 for r in await esme.submit("ACME", NUMBER, text))
            await asyncio.wait_for(esme.receipts.get(), 10)
            await esme.close()

        run(client())
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "routesim carriers: 3 messages" in stdout
    frame = pd.read_csv(out / "records" / "carriers-1.csv.gz")
    assert frame["route"].tolist() == ["beta"] * 3
    assert frame["segments"].tolist() == [1, 1, 2]
    assert frame["kind"].unique().tolist() == ["transactional"]
