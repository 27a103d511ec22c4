"""Send messages through Kannel's ``sendsms`` and join what Kannel reported with the truth.

:func:`kannel_check` starts a :class:`~sim.kannel.gateway.KannelGateway` and a
:class:`~sim.kannel.collector.DlrCollector`, sends ``messages`` single-segment messages
(``dlr-mask=31``, a ``dlr-url`` naming the message) with plain httpx, waits until every
receipt the SMSCs sent has come back through Kannel (or ``dlr_wait_s``), stops
everything and joins three views of each message by a tag in its text:

- what Kannel accepted (``sendsms`` answered 202),
- what the simulated SMSCs decided (their truth ledger: route, submit status, the
  receipt they sent, whether the handset really got it),
- the receipts Kannel posted back (DLR type 1 delivered, 2 undelivered, 16 rejected,
  with the smsc id and the SMSC's message id).

:class:`CheckResult` holds the counts and the mismatches; :meth:`CheckResult.report`
the printed report.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx

from sim.kannel.collector import (
    DLR_DELIVERED,
    DLR_SMSC_REJECT,
    DLR_UNDELIVERED,
    FINAL_MASK,
    DlrCollector,
)
from sim.kannel.config import KannelError, routing_table
from sim.kannel.gateway import Decided, KannelGateway, ledger_frame
from sim.scenario import Scenario
from sim.world.smpp import DlrStatus, SubmitStatus

TAG = "rsk"
SENDER = "ROUTESIM"


@dataclass
class CheckResult:
    """The joins of one check; ``ok`` when every join holds."""

    sent: int
    accepted: int
    send_s: float
    settle_s: float
    in_ledger: int
    truly_delivered: int
    smsc_reported_delivered: int
    kannel_reported_delivered: int
    kannel_reported_undelivered: int
    kannel_rejected: int
    fake_receipts: int
    fake_believed: int
    receipts_expected: int
    receipts_matched: int
    route_share: dict[str, int]
    preferred_share: float
    receipts_not_due: int = 0
    kannel_errors: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.accepted > 0

    def report(self) -> str:
        n = max(self.accepted, 1)
        lines = [
            f"kannel-check: sent {self.sent}, Kannel accepted {self.accepted} in "
            f"{self.send_s:.2f} s ({self.accepted / max(self.send_s, 1e-9):.0f} msg/s); "
            f"receipts settled after {self.settle_s:.2f} s",
            f"  in the SMSC ledger: {self.in_ledger}/{self.accepted} accepted messages",
            f"  delivered: true {self.truly_delivered} ({self.truly_delivered / n:.1%}), "
            f"SMSCs reported {self.smsc_reported_delivered}, Kannel reported "
            f"{self.kannel_reported_delivered} ({self.kannel_reported_delivered / n:.1%})",
            f"  Kannel reported undelivered {self.kannel_reported_undelivered}, "
            f"rejected {self.kannel_rejected}",
            f"  fake receipts: {self.fake_receipts} sent by SMSCs, {self.fake_believed} "
            "believed by Kannel (reported delivered)",
            f"  receipts: {self.receipts_matched}/{self.receipts_expected} SMSC receipts "
            f"reported by Kannel with the right status, smsc and message id "
            f"({self.receipts_not_due} not sent yet by the SMSCs at stop)",
            "  route share: " + ", ".join(
                f"{route} {count} ({count / n:.0%})" for route, count in self.route_share.items()
            ) + f"; on the destination's cheapest route: {self.preferred_share:.0%}",
        ]  # fmt: skip
        if self.kannel_errors:
            lines.append(
                "  sendsms refusals: "
                + ", ".join(
                    f"{reason} x{count}" for reason, count in self.kannel_errors.most_common(3)
                )
            )
        if self.problems:
            lines.append(f"  MISMATCHES ({len(self.problems)}):")
            lines += [f"    {p}" for p in self.problems[:10]]
        lines.append("kannel-check: " + ("OK" if self.ok else "FAILED"))
        return "\n".join(lines)


def numbers(scenario: Scenario, count: int, seed: int) -> list[str]:
    """``count`` E.164 numbers, destinations drawn by traffic share."""
    rng = random.Random(seed)
    dests = scenario.destinations
    weights = [max(d.share, 1e-9) for d in dests]
    out = []
    for dest in rng.choices(dests, weights, k=count):
        prefix = rng.choice(dest.prefixes)
        rest = max(1, dest.full_number_digits - (len(prefix) - 1))
        out.append(prefix + "".join(str(rng.randrange(10)) for _ in range(rest)))
    return out


async def _send_all(
    gateway: KannelGateway, collector_url: str, targets: list[str], concurrency: int
) -> tuple[dict[int, str], Counter[str]]:
    accepted: dict[int, str] = {}
    errors: Counter[str] = Counter()
    creds = gateway.credentials
    semaphore = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:

        async def one(n: int, to: str) -> None:
            params = {
                "username": creds.sendsms_user, "password": creds.sendsms_password,
                "to": to, "from": SENDER, "text": f"{TAG}{n:06d} your code is {n % 10000:04d}",
                "dlr-mask": "31",
                "dlr-url": f"{collector_url}/dlr?n={n}&type=%d&smsc=%i&fid=%F&reply=%A",
            }  # fmt: skip
            async with semaphore:
                try:
                    response = await client.get(gateway.sendsms_url, params=params)
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    return
            if response.status_code in (200, 202):
                accepted[n] = to
            else:
                errors[f"{response.status_code} {response.text.strip()[:60]}"] += 1

        await asyncio.gather(*(one(n, to) for n, to in enumerate(targets)))
    return accepted, errors


def _tag(text: str) -> int | None:
    if text.startswith(TAG) and text[len(TAG) : len(TAG) + 6].isdigit():
        return int(text[len(TAG) : len(TAG) + 6])
    return None


def _by_tag(decided: list[Decided]) -> dict[int, list[Decided]]:
    out: dict[int, list[Decided]] = {}
    for d in decided:
        tag = _tag(d.text)
        if tag is not None:
            out.setdefault(tag, []).append(d)
    return out


def _expects_receipt(attempts: list[Decided], by_world_s: float) -> bool:
    """The SMSC refused the last submit (Kannel reports DLR 16), or sent its receipt
    before world time ``by_world_s``."""
    last = attempts[-1]
    if last.submit_status != SubmitStatus.ESME_ROK:
        return True
    return last.dlr_status != DlrStatus.NONE and last.receipt_due_s <= by_world_s


def _finals(received: list[dict[str, str]]) -> dict[int, dict[str, str]]:
    finals: dict[int, dict[str, str]] = {}
    for dlr in received:
        try:
            n, kind = int(dlr.get("n", "")), int(dlr.get("type", ""))
        except ValueError:
            continue
        if kind & FINAL_MASK and n not in finals:  # expiry is 2 | 32 (DLR_EXPIRED)
            dlr = {**dlr, "type": str(kind & FINAL_MASK)}
            finals[n] = dlr
    return finals


def wait_for_receipts(
    gateway: KannelGateway,
    collector: DlrCollector,
    accepted: Iterable[int],
    wait_s: float,
    time_scale: float,
) -> None:
    """Wait up to ``wait_s`` until every accepted message is in the SMSC trace and every
    receipt the SMSCs owe by then has reached the collector."""
    wanted = list(accepted)
    horizon = gateway.world_now() + wait_s * time_scale
    end = time.monotonic() + wait_s
    while time.monotonic() < end:
        traced = _by_tag(gateway.trace.snapshot())
        finals = _finals(collector.snapshot())
        if all(n in traced for n in wanted) and all(
            n in finals for n in wanted if _expects_receipt(traced[n], horizon)
        ):
            return
        time.sleep(0.05)


def kannel_check(
    scenario: Scenario, messages: int, *, time_scale: float = 1.0, concurrency: int = 16,
    dlr_wait_s: float = 15.0, seed: int = 1,
) -> CheckResult:  # fmt: skip
    """Send ``messages`` through Kannel in front of the scenario's carriers and join."""
    if messages < 1 or messages > 999_999:
        raise KannelError(f"messages: {messages}: expected 1 to 999999")
    if concurrency < 1:
        raise KannelError(f"concurrency: {concurrency}: expected at least 1")
    targets = numbers(scenario, messages, seed)
    gateway = KannelGateway(scenario, time_scale=time_scale)
    try:
        with DlrCollector() as collector:
            with gateway:
                t0 = time.monotonic()
                accepted, errors = asyncio.run(
                    _send_all(gateway, collector.url, targets, concurrency)
                )
                send_s = time.monotonic() - t0
                wait_for_receipts(gateway, collector, accepted, dlr_wait_s, time_scale)
                settle_s = time.monotonic() - t0
                # receipts due by then had a wall second to get through Kannel
                sent_by = gateway.world_now() - 1.0 * time_scale
            frame = ledger_frame(gateway)
            traced = _by_tag(gateway.trace.snapshot())
            received = collector.snapshot()
    finally:
        gateway.cleanup()
    return _join(scenario, messages, accepted, errors, send_s, settle_s, frame, traced, received,
                 sent_by)  # fmt: skip


_KANNEL_TYPE = {"DELIVRD": DLR_DELIVERED, "UNDELIV": DLR_UNDELIVERED,
                "EXPIRED": DLR_UNDELIVERED, "REJECTD": DLR_UNDELIVERED}  # fmt: skip


def _join(
    scenario: Scenario, sent: int, accepted: dict[int, str], errors: Counter[str],
    send_s: float, settle_s: float, frame: object, traced: dict[int, list[Decided]],
    received: list[dict[str, str]], sent_by: float,
) -> CheckResult:  # fmt: skip
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    rows = frame.set_index("msg_id")
    finals = _finals(received)
    problems: list[str] = []
    preferred = {}
    for route_id, (_, prefs) in routing_table(scenario).items():
        for prefix in prefs:
            preferred[prefix] = route_id
    counts = Counter[str]()
    true_dlv = smsc_dlv = k_dlv = k_undlv = k_rej = fake = fake_believed = 0
    expected = matched = on_preferred = in_ledger = late = 0
    for n in sorted(accepted):
        attempts = traced.get(n)
        if not attempts:
            problems.append(f"message {n} to {accepted[n]}: accepted by Kannel, not in the ledger")
            continue
        missing = [a.ledger_id for a in attempts if a.ledger_id not in rows.index]
        if missing:
            problems.append(f"message {n}: ledger row {missing[0]} not written")
            continue
        in_ledger += 1
        last = attempts[-1]
        row = rows.loc[last.ledger_id]
        route = str(row["route"])
        counts[route] += 1
        best = next((r for p, r in preferred.items() if accepted[n].startswith(p)), None)
        on_preferred += route == best
        delivered = bool(row["handset_delivered"])
        smsc_status = str(row["dlr_status"]) if isinstance(row["dlr_status"], str) else ""
        true_dlv += delivered
        smsc_dlv += smsc_status == "DELIVRD"
        is_fake = smsc_status == "DELIVRD" and not delivered
        fake += is_fake
        dlr = finals.get(n)
        kind = int(dlr["type"]) if dlr else None
        k_dlv += kind == DLR_DELIVERED
        k_undlv += kind == DLR_UNDELIVERED
        k_rej += kind == DLR_SMSC_REJECT
        fake_believed += is_fake and kind == DLR_DELIVERED
        if last.submit_status != SubmitStatus.ESME_ROK:
            want: int | None = DLR_SMSC_REJECT
        else:
            want = _KANNEL_TYPE.get(smsc_status)
        if want is not None and not _expects_receipt(attempts, sent_by):
            late += 1  # the SMSC had not sent it yet when everything stopped
            want = None if kind is None else want
        if want is None:
            if kind is not None:
                problems.append(f"message {n}: Kannel reported DLR {kind}, the SMSC sent none")
            continue
        expected += 1
        if dlr is None:
            problems.append(f"message {n}: SMSC {route} sent {smsc_status or 'a refusal'}, "
                            "Kannel reported nothing")  # fmt: skip
            continue
        if (
            kind != want
            or dlr.get("smsc") != route
            or (want != DLR_SMSC_REJECT and dlr.get("fid") != last.smsc_message_id)
        ):
            problems.append(
                f"message {n}: SMSC {route} id {last.smsc_message_id} sent "
                f"{smsc_status or 'a refusal'}; Kannel reported DLR {kind} smsc "
                f"{dlr.get('smsc')} id {dlr.get('fid')}"
            )
            continue
        matched += 1
    return CheckResult(
        sent=sent, accepted=len(accepted), send_s=send_s, settle_s=settle_s,
        in_ledger=in_ledger, truly_delivered=true_dlv, smsc_reported_delivered=smsc_dlv,
        kannel_reported_delivered=k_dlv, kannel_reported_undelivered=k_undlv,
        kannel_rejected=k_rej, fake_receipts=fake, fake_believed=fake_believed,
        receipts_expected=expected, receipts_matched=matched,
        route_share=dict(counts.most_common()),
        preferred_share=on_preferred / max(in_ledger, 1), receipts_not_due=late,
        kannel_errors=errors,
        problems=problems,
    )  # fmt: skip
