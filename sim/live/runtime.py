"""Live service: the router, its clock, metrics, callbacks and ledger, and their lifecycle.

:class:`LiveService` is what the HTTP app talks to. It starts on the server's event
loop (world time 0), accepts validated submits (with idempotency keys), answers status,
verification and KPI queries, and on shutdown stops accepting, lets in-flight messages
finish for up to ``drain_s`` wall seconds, then settles the rest in virtual time
(:meth:`~sim.live.service.LiveRouter.settle`) so every accepted message ends in one
terminal state, and writes the truth ledger as the simulation's records CSV
(``OUT/records/<strategy>-1.csv.gz``) with ``OUT/kpis.json``.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.live.callbacks import STATUS_BY_STATE, CallbackSender
from sim.live.clock import WallClock
from sim.live.metrics import LiveMetrics
from sim.live.service import LiveRouter, NoRoute, Tracked
from sim.live.validation import ApiError, Validator
from sim.runner import select_strategies
from sim.scenario import Scenario

if TYPE_CHECKING:
    from sim.live.smpplink import SmppLink

Fingerprint = tuple[str, str, str, str, str | None]


@dataclass(frozen=True)
class ServiceConfig:
    """How to run the service."""

    scenario: Scenario
    strategy: str | None = None
    time_scale: float = 1.0
    out_dir: Path | None = None
    drain_s: float = 5.0
    callback_deadline_s: float = 3.0
    carriers: str = "inproc"  # "smpp": simulated SMSCs over SMPP (sim.live.smpplink)


class LiveService:
    """One scenario and strategy, served on the wall clock."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        scenario = config.scenario
        name = config.strategy or scenario.strategies[0].name
        (self.spec,) = select_strategies(scenario, [name])
        self.scenario = scenario
        self.clock = WallClock(config.time_scale)
        self.metrics = LiveMetrics()
        self.router = LiveRouter(scenario, self.spec, self.clock, self.metrics)
        self.metrics.bind(self.router)
        self.validator = Validator(scenario)
        self.callbacks = CallbackSender(self.metrics)
        self.router.on_terminal.append(self._notify)
        self._keys: dict[str, tuple[int, Fingerprint]] = {}
        self.started = False
        self.stopped = False
        self.ledger_path: Path | None = None
        self.carriers_path: Path | None = None
        self.link: SmppLink | None = None
        if config.carriers == "smpp":
            from sim.live.smpplink import SmppLink

            self.link = SmppLink(self.router)
            self.router.link = self.link
        elif config.carriers != "inproc":
            raise ValueError(f"carriers must be 'inproc' or 'smpp', got {config.carriers!r}")

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Bind to the running loop; world time starts now."""
        if not self.started:
            self.clock.start(asyncio.get_running_loop())
            self.callbacks.start()
            self.started = True

    async def start_carriers(self) -> None:
        """With ``carriers="smpp"``: start the SMSCs and bind (after :meth:`start`)."""
        if self.link is not None and not self.link.sessions:
            await self.link.start()

    @property
    def accepting(self) -> bool:
        return self.started and self.router.accepting and not self.stopped

    async def shutdown(self) -> Path | None:
        """Stop accepting, drain, settle the rest, send callbacks, write the ledger."""
        if self.stopped:
            return self.ledger_path
        self.router.accepting = False
        end = time.monotonic() + self.config.drain_s
        while self.router.in_flight and time.monotonic() < end:
            await asyncio.sleep(0.02)
        if self.link is not None:
            await self.link.settle()
        self.router.settle()
        self.stopped = True
        if self.link is not None:
            self.carriers_path = await self.link.stop(self.config.out_dir)
        await self.callbacks.close(self.config.callback_deadline_s)
        out = self.config.out_dir
        if out is not None:
            self.ledger_path = self.router.ledger.write_csv(
                out / "records" / f"{self.spec.name}-1.csv.gz", self.spec.name
            )
            text = json.dumps(self.kpis(), indent=2, allow_nan=False) + "\n"
            (out / "kpis.json").write_text(text, encoding="utf-8")
        return self.ledger_path

    # ------------------------------------------------------------------ requests
    def submit(
        self, data: dict[str, Any], *, key_header: str | None = None, ait: bool = False,
        test_number: bool = False,
    ) -> tuple[Tracked, bool]:  # fmt: skip
        """Validate and route a submit; (message, replayed by idempotency key)."""
        if not self.accepting:
            raise ApiError(503, "service", "not accepting messages (starting or shutting down)")
        req = self.validator.submit(
            data, now_s=self.clock.now(), key_header=key_header, ait=ait, test_number=test_number
        )
        fingerprint: Fingerprint = (str(req.number), req.sender, req.text, req.kind,
                                    req.callback_url)  # fmt: skip
        if req.idempotency_key is not None:
            seen = self._keys.get(req.idempotency_key)
            if seen is not None:
                if seen[1] != fingerprint:
                    raise ApiError(409, "idempotency_key", "already used for another message")
                return self.router.messages[seen[0]], True
        try:
            tracked = self.router.accept(req)
        except NoRoute as exc:
            raise ApiError(422, "to", str(exc)) from None
        if req.idempotency_key is not None:
            self._keys[req.idempotency_key] = (tracked.message.msg_id, fingerprint)
        return tracked, False

    def verify(self, tracked: Tracked) -> dict[str, Any]:
        if tracked.message.kind != "otp":
            raise ApiError(409, "id", f"message {tracked.id} is {tracked.message.kind}, not otp")
        self.router.verify(tracked)
        self.metrics.verified()
        return {"id": tracked.id, "verified": True, "verified_s": tracked.verified_s}

    def status(self, tracked: Tracked) -> dict[str, Any]:
        """What the customer may see of a message: state and history, no truth."""
        m = tracked.message
        return {
            "id": tracked.id,
            "state": tracked.state,
            "final": tracked.final,
            "status": STATUS_BY_STATE.get(tracked.state),
            "to": f"+{m.number}",
            "from": m.sender,
            "kind": m.kind,
            "destination": m.destination,
            "segments": m.segments,
            "attempts": m.attempt,
            "route": tracked.route or None,
            "created_s": m.created_s,
            "verified_s": None if math.isnan(tracked.verified_s) else tracked.verified_s,
            "history": [
                {
                    "at_s": at,
                    "event": event,
                    "route": route or None,
                    "attempt": attempt,
                    "status": status or None,
                }
                for at, event, route, attempt, status in tracked.history
            ],
        }

    def kpis(self) -> dict[str, Any]:
        """Truth and observed KPIs of terminal messages (as in ``summary.json``)."""
        router = self.router
        otp = [t for t in router.messages if t.message.kind == "otp"]
        verified = sum(1 for t in otp if not math.isnan(t.verified_s))
        body: dict[str, Any] = {
            "scenario": self.scenario.name,
            "strategy": self.spec.name,
            "time_scale": self.clock.time_scale,
            "world_s": self.clock.now(),
            "wall_s": self.clock.wall_elapsed_s(),
            "accepted": len(router.ledger),
            "terminal": router.ledger.n_terminal,
            "in_flight": router.in_flight,
            "otp_accepted": len(otp),
            "otp_verified": verified,
            "callbacks": {
                "delivered": self.callbacks.delivered,
                "failed": self.callbacks.failed,
                "pending": self.callbacks.pending,
            },
        }
        body.update(router.ledger.kpis(self.spec.name))
        return body

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.accepting else "draining",
            "scenario": self.scenario.name,
            "strategy": self.spec.name,
            "accepted": len(self.router.ledger),
            "in_flight": self.router.in_flight,
            "world_s": self.clock.now(),
        }

    def _notify(self, tracked: Tracked) -> None:
        url = tracked.callback_url
        if url is None:
            return
        self.callbacks.enqueue(
            url,
            {
                "id": tracked.id,
                "status": STATUS_BY_STATE[tracked.state],
                "state": tracked.state,
                "route": tracked.route or None,
                "attempts": tracked.message.attempt,
                "at_s": self.clock.now(),
                "truth": self.router.truth(tracked),
            },
        )
