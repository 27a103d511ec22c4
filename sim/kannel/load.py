"""``routesim load SCENARIO --target kannel``: the Locust users against Kannel's ``sendsms``.

:func:`run_kannel_load` checks Kannel is installed, starts a
:class:`~sim.kannel.gateway.KannelGateway` (simulated SMSCs, bearerbox, smsbox) and a
DLR relay (:class:`~sim.kannel.collector.DlrCollector` that POSTs each final receipt to
the Locust process's inbox, see :mod:`sim.kannel.adapter`), runs Locust headless with
:class:`~sim.kannel.adapter.KannelAdapter` (the command line of
:func:`sim.live.loadrun.locust_command`), waits for the receipts the SMSCs still owe,
stops everything, joins what Kannel accepted and reported with the SMSCs' truth ledger
(:func:`sim.kannel.check._join`) and writes the load report
(:func:`sim.live.report.build_report` / :func:`~sim.live.report.write_report`) with the
join appended. Exit 1 when a threshold is breached or the join does not hold.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from sim.kannel.adapter import is_final
from sim.kannel.check import CheckResult, _by_tag, _join, wait_for_receipts
from sim.kannel.collector import DlrCollector
from sim.kannel.config import kannel_binaries
from sim.kannel.gateway import KannelGateway, ledger_frame
from sim.live.loadrun import LOADTESTS, LoadOptions, locust_command
from sim.live.report import build_report, write_report
from sim.live.thresholds import LiveError, breaches

ADAPTER = "sim.kannel.adapter:KannelAdapter"


def relay(query: dict[str, str]) -> None:
    """POST a final receipt (the query without ``cb``) to the inbox named by ``cb``."""
    target = query.get("cb", "")
    try:
        final = is_final(int(query.get("type", "")))
    except ValueError:
        return
    if not final or not target.startswith("http://"):
        return
    body = urlencode({k: v for k, v in query.items() if k != "cb"})
    # when the load generator is gone, the receipt is still recorded for the join
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(target, content=body.encode(), timeout=5.0,
                   headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip


def read_accepted(path: Path) -> dict[int, str]:
    accepted: dict[int, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            n, _, to = line.partition("\t")
            if n.isdigit():
                accepted[int(n)] = to
    return accepted


def truth_of(result: CheckResult, frame: Any, ledger_ids: list[int]) -> dict[str, Any]:
    """The join as the truth side of the load report (the service's ``kpis.json`` keys)."""
    n = max(result.accepted, 1)
    reported = result.kannel_reported_delivered + result.kannel_reported_undelivered
    rows = frame.set_index("msg_id").loc[ledger_ids] if ledger_ids else None
    kpis: dict[str, Any] = {
        "delivered_ratio": result.truly_delivered / n,
        "reported_delivered_ratio": result.kannel_reported_delivered / n,
        "fake_dlr_ratio": result.fake_believed / n,
        "no_receipt_ratio": 1 - (reported + result.kannel_rejected) / n,
    }
    if rows is not None and len(rows):
        got = rows[rows["handset_delivered"].astype(bool)]  # as sim.kpis: among delivered
        delivered = len(got)
        if delivered:
            sender_ok = got["sender_received"].astype(str) == got["sender_sent"].astype(str)
            kpis["sender_intact_ratio"] = float(sender_ok.mean())
            kpis["content_intact_ratio"] = float(got["content_intact"].astype(bool).mean())
        kpis["cost_total"] = float(rows["cost"].sum())
        kpis["cost_per_delivered"] = kpis["cost_total"] / delivered if delivered else None
    return {
        "accepted": result.accepted,
        "terminal": result.in_ledger,
        "kpis": kpis,
        "kannel": {
            "in_ledger": result.in_ledger,
            "truly_delivered": result.truly_delivered,
            "smsc_reported_delivered": result.smsc_reported_delivered,
            "kannel_reported_delivered": result.kannel_reported_delivered,
            "kannel_reported_undelivered": result.kannel_reported_undelivered,
            "kannel_rejected": result.kannel_rejected,
            "fake_receipts": result.fake_receipts,
            "fake_believed": result.fake_believed,
            "receipts_expected": result.receipts_expected,
            "receipts_matched": result.receipts_matched,
            "receipts_not_due": result.receipts_not_due,
            "route_share": result.route_share,
            "preferred_share": result.preferred_share,
            "problems": result.problems[:50],
        },
    }


def run_kannel_load(options: LoadOptions, settle_s: float = 10.0) -> int:
    """Locust through Kannel in front of the simulated SMSCs; 0 when everything holds."""
    kannel_binaries()  # the install line before anything else
    if options.processes > 1:
        raise LiveError("--target kannel: one Locust process only (--processes 1)")
    out = options.out_dir
    out.mkdir(parents=True, exist_ok=True)
    accepted_log = out / "kannel_accepted.tsv"
    accepted_log.unlink(missing_ok=True)
    scenario = options.scenario
    gateway = KannelGateway(scenario, time_scale=options.time_scale)
    creds = gateway.credentials
    try:
        with DlrCollector(forward=relay) as collector, gateway:
            host = f"http://127.0.0.1:{gateway.ports.sendsms}"
            locust_options = replace(
                options,
                target=host,
                adapter=ADAPTER,
                api_key=f"{creds.sendsms_user}:{creds.sendsms_password}",
            )
            cmd = locust_command(locust_options, host, out)
            env = dict(os.environ, PYTHONPATH=str(LOADTESTS.parent),
                       ROUTESIM_KANNEL_DLR_URL=f"{collector.url}/dlr",
                       ROUTESIM_KANNEL_ACCEPTED=str(accepted_log))  # fmt: skip
            t0 = time.monotonic()
            with (out / "locust.log").open("w", encoding="utf-8") as log:
                done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                      timeout=options.run_time_s + 180, check=False)  # fmt: skip
            if done.returncode not in (0, 1):
                raise LiveError(f"locust failed (exit {done.returncode}); see {out / 'locust.log'}")
            send_s = time.monotonic() - t0
            accepted = read_accepted(accepted_log)
            wait_for_receipts(gateway, collector, accepted, settle_s, options.time_scale)
            waited_s = time.monotonic() - t0
            sent_by = gateway.world_now() - 1.0 * options.time_scale
        frame = ledger_frame(gateway)
        traced = _by_tag(gateway.trace.snapshot())
        received = collector.snapshot()
    finally:
        gateway.cleanup()
    result = _join(scenario, len(accepted), accepted, Counter(), send_s, waited_s, frame,
                   traced, received, sent_by)  # fmt: skip
    ledger_ids = [traced[n][-1].ledger_id for n in accepted if n in traced]
    known = set(frame["msg_id"])
    ledger_ids = [i for i in ledger_ids if i in known]
    truth = truth_of(result, frame, ledger_ids)
    run = {
        "scenario": scenario.name, "strategy": "kannel", "target": "kannel (sendsms)",
        "users": options.users, "spawn_rate": options.spawn_rate,
        "run_time_s": options.run_time_s, "processes": 1, "time_scale": options.time_scale,
    }  # fmt: skip
    report = build_report(out / "locust.json", out / "quality.json", truth, run)
    failed = breaches(options.thresholds, report["metrics"])
    write_report(out, report, failed)
    with (out / "load_report.md").open("a", encoding="utf-8") as md:
        md.write("\n## Kannel against the SMSC truth ledger\n\n```\n" + result.report() + "\n```\n")
    if not options.quiet:
        print((out / "load_report.md").read_text(encoding="utf-8"), end="")
        print(f"wrote {out}/ (load_report.md, load_report.json, locust.html, locust_*.csv)")
    for reason in failed:
        print(f"routesim load: threshold breached: {reason}", file=sys.stderr)
    if not result.ok:
        print(f"routesim load: Kannel's receipts do not join the truth ledger "
              f"({len(result.problems)} mismatches)", file=sys.stderr)  # fmt: skip
    return 1 if failed or not result.ok else 0
