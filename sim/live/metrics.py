"""Prometheus metrics of the live service (``GET /metrics``), via prometheus-client.

One :class:`LiveMetrics` per service owns its own ``CollectorRegistry`` (several
services can live in one process, e.g. in tests). Counters cover HTTP requests by
route and status, accepted messages by kind, submit responses and receipts by route
and status, terminal states and DLR callbacks; gauges read the router's in-flight
count and per-route queue lengths when scraped. Labelled children are cached so the
hot path costs a dictionary lookup and an increment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase

from sim.world.smpp import DlrStatus, submit_status_name

if TYPE_CHECKING:
    from sim.live.service import LiveRouter

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class LiveMetrics:
    """The service's counters and gauges; implements the router's ``Observer``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http = Counter("routesim_http_requests", "HTTP requests", ["path", "code"], registry=r)
        self.accepted_total = Counter(
            "routesim_messages_accepted", "Messages accepted (202)", ["kind"], registry=r
        )
        self.submits = Counter(
            "routesim_submit_responses", "Route submit responses", ["route", "status"], registry=r
        )
        self.receipts = Counter(
            "routesim_receipts", "Delivery receipts from routes", ["route", "status"], registry=r
        )
        self.terminals = Counter(
            "routesim_messages_terminal", "Messages in a terminal state", ["state"], registry=r
        )
        self.callbacks = Counter(
            "routesim_callbacks", "DLR callbacks to customers", ["outcome"], registry=r
        )
        self.verified_total = Counter(
            "routesim_otp_verified", "OTP verifications (conversions)", registry=r
        )
        self.submit_seconds = Histogram(
            "routesim_submit_handling_seconds",
            "Time to validate and route a submit",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1),
            registry=r,
        )
        self.in_flight = Gauge("routesim_in_flight", "Accepted, not yet terminal", registry=r)
        self.queue_length = Gauge(
            "routesim_route_queue_length", "Messages waiting per route", ["route"], registry=r
        )
        self._children: dict[tuple[int, str, str], MetricWrapperBase] = {}

    def bind(self, router: LiveRouter) -> None:
        """Gauges read the router when scraped."""
        self.in_flight.set_function(lambda: float(router.in_flight))
        for line in router.lines:
            self.queue_length.labels(route=line.route.id).set_function(
                lambda line=line: float(len(line.queue))  # type: ignore[misc]
            )

    def _child(self, metric: Counter, a: str, b: str = "") -> Counter:
        key = (id(metric), a, b)
        child = self._children.get(key)
        if child is None:
            names = metric._labelnames
            values = (a, b)[: len(names)]
            child = self._children[key] = metric.labels(*values)
        return child  # type: ignore[return-value]

    # ------------------------------------------------------------------ observer
    def request(self, path: str, code: int) -> None:
        self._child(self.http, path, str(code)).inc()

    def accepted(self, kind: str) -> None:
        self._child(self.accepted_total, kind).inc()

    def submit_response(self, route_id: str, status: int) -> None:
        self._child(self.submits, route_id, submit_status_name(status)).inc()

    def receipt(self, route_id: str, status: int) -> None:
        self._child(self.receipts, route_id, DlrStatus(status).name).inc()

    def terminal(self, state: str) -> None:
        self._child(self.terminals, state).inc()

    def callback(self, outcome: str) -> None:
        self._child(self.callbacks, outcome).inc()

    def verified(self) -> None:
        self.verified_total.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
