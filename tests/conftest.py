"""Shared test helpers: a builder of small scenarios from keyword arguments."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

import sim
from sim.scenario import Scenario

# Destinations tests can pick by id; routes without ``prices`` price all destinations.
DESTINATIONS: dict[str, dict[str, Any]] = {
    "fr-a": {"country": "FR", "operator": "FR A", "mcc_mnc": "208-01", "prefixes": ["+3367"]},
    "de-b": {"country": "DE", "operator": "DE B", "mcc_mnc": "262-01", "prefixes": ["+49151"]},
    "gb-c": {"country": "GB", "operator": "GB C", "mcc_mnc": "234-30", "prefixes": ["+4474"]},
    "ng-d": {"country": "NG", "operator": "NG D", "mcc_mnc": "621-30", "prefixes": ["+234803"]},
}
KINDS: dict[str, dict[str, Any]] = {
    "otp": {"share": 1.0, "sender": "ACMEBANK", "templates": ["Your code is {code}."]},
    "marketing": {
        "share": 1.0,
        "sender": "ACMESHOP",
        "templates": ["{name}, -20% this weekend: {url} STOP au 36173"],
    },
}
CONSTANT_ZERO = {"dist": "constant", "value_s": 0.0}


def _route(route: dict[str, Any], dest_ids: list[str]) -> dict[str, Any]:
    full: dict[str, Any] = {
        "supplier": route["id"],
        "kind": "direct",
        "tps": 1000.0,
        "window": 1000,
        "prices": dict.fromkeys(dest_ids, 0.01),
    }
    full.update(route)
    return full


def build_scenario(
    routes: list[dict[str, Any]],
    *,
    destinations: dict[str, dict[str, Any]] | Sequence[str] = ("fr-a",),
    kinds: dict[str, dict[str, Any]] | Sequence[str] = ("otp",),
    rate_per_s: float = 1.0,
    duration_s: float = 10.0,
    seed: int = 1,
    strategies: list[dict[str, Any]] | None = None,
    retry: dict[str, Any] | None = None,
    bursts: list[dict[str, Any]] | None = None,
) -> Scenario:
    """A validated scenario; ``destinations``/``kinds`` are ids (defaults above) or
    mappings id -> overrides of the defaults."""
    if not isinstance(destinations, dict):
        destinations = {d: {} for d in destinations}
    if not isinstance(kinds, dict):
        kinds = {k: {} for k in kinds}
    dest_list = [
        {"id": d, "share": 1.0, **DESTINATIONS.get(d, {}), **extra}
        for d, extra in destinations.items()
    ]
    data: dict[str, Any] = {
        "name": "test",
        "seed": seed,
        "timezone": "UTC",
        "duration_s": duration_s,
        "replications": 1,
        "destinations": dest_list,
        "routes": [_route(r, list(destinations)) for r in routes],
        "traffic": {
            "rate_per_s": rate_per_s,
            "kinds": {k: {**KINDS[k], **extra} for k, extra in kinds.items()},
            "bursts": bursts or [],
            "text_pool_size": 8,
        },
        "strategies": strategies or [{"name": "least-cost"}],
    }
    if retry is not None:
        data["retry"] = retry
    return sim.parse_scenario(data, "test")


@pytest.fixture(scope="session")
def make_scenario() -> Callable[..., Scenario]:
    """The :func:`build_scenario` builder (session-scoped: usable under Hypothesis)."""
    return build_scenario
