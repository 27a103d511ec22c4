"""The load test's per-process context and its Locust event hooks.

Importing this module registers: the custom command-line options (scenario, adapter,
OTP verification probability, DLR timeout, inbox host, per-user rate, ...); on
``init``, a :class:`Harness` (scenario data, adapter, quality counters and — except on
a master — the DLR inbox) and user-class weights from the scenario's traffic mix; on
``test_stop``, a bounded wait for outstanding callbacks; the ``report_to_master`` /
``worker_report`` aggregation of quality counters; on ``quitting``, the quality
summary written to ``--quality-out`` by the master or the local runner.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import gevent
from data import TrafficData
from inbox import DlrInbox
from locust import events
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment
from locust.runners import MasterRunner, Runner, WorkerRunner
from quality import Quality

from sim.live.adapter import SmsApiAdapter, load_adapter
from sim.live.thresholds import load_live_scenario
from sim.scenario import Scenario

DEFAULT_SCENARIO = os.environ.get("ROUTESIM_SCENARIO", "scenarios/live-smoke.yaml")


class Harness:
    """What users of one process share."""

    def __init__(self, options: Any, runner: Runner | None) -> None:
        self.options = options
        path = Path(options.scenario)
        if not path.exists():
            path = Path(__file__).resolve().parent.parent / "scenarios" / f"{options.scenario}.yaml"
        self.scenario: Scenario = load_live_scenario(path)[0]
        self.data = TrafficData(self.scenario, seed=None)
        api_key = options.api_key or os.environ.get("ROUTESIM_API_KEY")
        self.adapter: SmsApiAdapter = load_adapter(options.adapter, {"api_key": api_key})
        self.quality = Quality()
        self.inbox: DlrInbox | None = None
        if not isinstance(runner, MasterRunner) and options.callbacks:
            self.inbox = DlrInbox(self.adapter, self.quality, options.inbox_host)
            self.inbox.start()
        self.verify_probability = float(options.otp_verify_prob)
        self.dlr_timeout_s = float(options.dlr_timeout)
        self.user_rate = float(options.user_rate)

    @property
    def callback_url(self) -> str | None:
        return self.inbox.url if self.inbox is not None else None


_HARNESS: Harness | None = None


def harness() -> Harness:
    if _HARNESS is None:
        raise RuntimeError("the routesim harness is not initialised (init event not fired)")
    return _HARNESS


def setup(environment: Environment, runner: Runner | None = None) -> Harness:
    """Build the process's harness (the ``init`` hook; tests call it directly)."""
    global _HARNESS
    _HARNESS = Harness(environment.parsed_options, runner)
    from users import set_weights  # late: users imports this module

    set_weights(_HARNESS.data, float(environment.parsed_options.ait_share))
    return _HARNESS


@events.init_command_line_parser.add_listener
def _options(parser: LocustArgumentParser) -> None:
    group = parser.add_argument_group("routesim")
    group.add_argument("--scenario", default=DEFAULT_SCENARIO, help="scenario file or name")
    group.add_argument("--adapter", default="", help="API adapter, package.module:Class")
    group.add_argument("--api-key", default="", help="API key for the target")
    group.add_argument("--otp-verify-prob", type=float, default=0.8,
                       help="probability an OTP user verifies a delivered code")  # fmt: skip
    group.add_argument("--dlr-timeout", type=float, default=10.0, help="OTP wait for DLR (s)")
    group.add_argument("--dlr-wait", type=float, default=10.0,
                       help="at stop, wait this long for outstanding callbacks (s)")  # fmt: skip
    group.add_argument("--inbox-host", default="127.0.0.1", help="address of the DLR inbox")
    group.add_argument("--user-rate", type=float, default=1.0, help="messages/s per user")
    group.add_argument("--ait-share", type=float, default=0.05, help="weight of AitBot users")
    group.add_argument("--campaign-size", type=int, default=20, help="messages per campaign burst")
    group.add_argument("--callbacks", type=int, default=1, help="1: ask for DLR callbacks")
    group.add_argument("--quality-out", default="", help="write quality counters here (JSON)")


@events.init.add_listener
def _init(environment: Environment, runner: Runner | None = None, **_: Any) -> None:
    setup(environment, runner)
    if isinstance(runner, MasterRunner):
        runner.register_message(STOP_DONE, _worker_done)
    elif isinstance(runner, WorkerRunner):
        runner.register_message(STOP, _worker_stop, concurrent=True)


# A headless master quits its workers without waiting for their last report (0.5 s);
# first ask each worker to stop its users, wait for its callbacks and report.
STOP, STOP_DONE = "routesim_stop", "routesim_stop_done"
_done_workers: set[str] = set()


def _worker_stop(environment: Environment, msg: Any, **_: Any) -> None:
    runner = environment.runner
    assert isinstance(runner, WorkerRunner)
    runner.stop()  # users finish (stop_timeout); test_stop waits for callbacks
    runner._send_stats()  # the final report, before the master quits
    runner.send_message(STOP_DONE, runner.client_id)


def _worker_done(environment: Environment, msg: Any, **_: Any) -> None:
    _done_workers.add(str(msg.data))


@events.test_stopping.add_listener
def _stopping(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if not isinstance(runner, MasterRunner) or not runner.clients.all:
        return
    expected = {c.id for c in runner.clients.all}
    _done_workers.clear()
    runner.send_message(STOP)
    options = environment.parsed_options
    deadline = time.time() + float(environment.stop_timeout or 0) + float(options.dlr_wait) + 10
    while not expected <= _done_workers and time.time() < deadline:
        gevent.sleep(0.1)


@events.test_stop.add_listener
def _test_stop(environment: Environment, **_: Any) -> None:
    h = _HARNESS
    if h is not None and h.inbox is not None:
        left = h.inbox.quiesce(float(environment.parsed_options.dlr_wait))
        h.quality.counters["callbacks_outstanding"] = left


@events.report_to_master.add_listener
def _report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    if _HARNESS is not None:
        _HARNESS.quality.report_to_master(client_id, data)


@events.worker_report.add_listener
def _worker_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    if _HARNESS is not None:
        _HARNESS.quality.worker_report(client_id, data)


@events.quitting.add_listener
def _quitting(environment: Environment, **_: Any) -> None:
    h = _HARNESS
    if h is None or isinstance(environment.runner, WorkerRunner):
        return
    out = environment.parsed_options.quality_out
    if out:
        h.quality.write(Path(out))
    if h.inbox is not None:
        h.inbox.stop()
