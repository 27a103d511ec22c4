"""The Locust SMPP user against the simulated SMSCs (Locust in a child process: no gevent
in this test run)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from smpphelp import carriers_in_thread

from sim.live.thresholds import load_live_scenario

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "live-smoke.yaml"


def test_smpp_user_submits_and_times_receipts(tmp_path: Path) -> None:
    scenario = load_live_scenario(SMOKE)[0]
    with carriers_in_thread(scenario) as endpoints:
        direct = next(e for e in endpoints if e.route_id == "direct")
        env = dict(os.environ, SMPP_HOST=direct.host, SMPP_PORT=str(direct.port),
                   SMPP_SYSTEM_ID=direct.system_id, SMPP_PASSWORD="secret",
                   SMPP_SCENARIO=str(SMOKE), SMPP_RATE="10", SMPP_DLR_TIMEOUT="3")  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-m", "locust", "-f", "loadtests/smpp_user.py", "--headless",
             "-u", "3", "-r", "3", "-t", "3s", "--stop-timeout", "5", "--only-summary",
             "--csv", str(tmp_path / "smpp"), "--exit-code-on-error", "0"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with open(tmp_path / "smpp_stats.csv", encoding="utf-8") as f:
        rows = {(r["Type"], r["Name"]): r for r in csv.DictReader(f)}
    submits = rows[("SMPP", "submit_sm")]
    assert int(submits["Request Count"]) >= 20, rows
    assert int(submits["Failure Count"]) == 0, rows
    receipts = sum(int(r["Request Count"]) for (kind, _), r in rows.items() if kind == "DLR")
    # "direct" answers 98 % DELIVRD and loses ~0.7 % of receipts: nearly all come back
    assert receipts >= 0.9 * int(submits["Request Count"]), rows
    assert int(rows[("DLR", "DELIVRD")]["Request Count"]) > 0
