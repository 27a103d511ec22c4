"""Router wiring shared by both clocks: route views, candidates, strategy, retry rules.

The simulation (:mod:`sim.engine`) and the live service (:mod:`sim.live.service`) build
the same router from a scenario with :func:`build_router`, and apply the same retry
policy with :func:`submit_error_action` and :func:`fails_over_after_report`; only the
clock and the route lines differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.guards.base import Guard
from sim.guards.registry import guards_for
from sim.scenario import RetryPolicy, Scenario, StrategySpec, SubmitErrorAction
from sim.strategies.base import RouteView, Strategy, StrategyContext
from sim.strategies.registry import build
from sim.world.randomness import STREAM_STRATEGY, KeyedDraws, replication_seed
from sim.world.route import RouteBehaviour
from sim.world.smpp import NEGATIVE_DLR, SubmitStatus


@dataclass(frozen=True)
class Router:
    """Everything a router holds for one run: world behaviours and draws of its routes,
    its views of them, candidates per destination, the strategy and the guards."""

    behaviours: tuple[RouteBehaviour, ...]
    draws: tuple[KeyedDraws, ...]
    views: tuple[RouteView, ...]
    candidates: tuple[tuple[RouteView, ...], ...]
    strategy: Strategy
    guards: tuple[Guard, ...]


def price_function(behaviour: RouteBehaviour, now: Callable[[], float]) -> Callable[[str], float]:
    """The current price per segment of a route, as a function of the destination."""
    static = behaviour.static_prices
    if static is not None:
        return static.__getitem__

    def price(destination: str) -> float:
        return behaviour.price_eur(destination, now())

    return price


def build_router(
    scenario: Scenario,
    spec: StrategySpec,
    replication: int,
    *,
    dense_ids: int,
    queue_lengths: Sequence[Callable[[], int]],
    clock: Callable[[], float],
) -> Router:
    """The router of one run (``dense_ids``: message ids drawn in blocks)."""
    behaviours = tuple(RouteBehaviour(r) for r in scenario.routes)
    draws = tuple(
        KeyedDraws(
            scenario.seed,
            replication,
            b.id,
            dense_ids,
            prepare=b.prepare_draws,
            prepare_row=b.prepare_row,
        )
        for b in behaviours
    )
    views = tuple(
        RouteView(i, r.id, r.supplier, r.kind, r.tps, r.window,
                  price_function(behaviours[i], clock), queue_lengths[i])
        for i, r in enumerate(scenario.routes)
    )  # fmt: skip
    dest_index = {d.id: i for i, d in enumerate(scenario.destinations)}
    candidates: list[tuple[RouteView, ...]] = [() for _ in scenario.destinations]
    for view, route in zip(views, scenario.routes, strict=True):
        for dest_id in route.prices:
            i = dest_index[dest_id]
            candidates[i] = (*candidates[i], view)
    rng = np.random.Generator(
        np.random.PCG64(replication_seed(scenario.seed, replication, STREAM_STRATEGY))
    )
    context = StrategyContext(routes=views, rng=rng, clock=clock)
    strategy = build(spec.target, spec.name, spec.params, context)
    return Router(
        behaviours, draws, views, tuple(candidates), strategy, tuple(guards_for(scenario, spec))
    )


_ERROR_ACTIONS: dict[int, Callable[[RetryPolicy], SubmitErrorAction]] = {
    SubmitStatus.ESME_RTHROTTLED: lambda p: p.on_throttled,
    SubmitStatus.ESME_RMSGQFUL: lambda p: p.on_queue_full,
    SubmitStatus.ESME_RSYSERR: lambda p: p.on_system_error,
    SubmitStatus.ESME_RSUBMITFAIL: lambda p: p.on_system_error,
}


def submit_error_action(policy: RetryPolicy, status: int, attempt: int) -> SubmitErrorAction:
    """What the policy does after a refused submit on attempt ``attempt``."""
    if attempt >= policy.max_attempts:
        return SubmitErrorAction.GIVE_UP
    rule = _ERROR_ACTIONS.get(status)
    return rule(policy) if rule is not None else policy.on_system_error


def fails_over_after_report(policy: RetryPolicy, status: int, attempt: int) -> bool:
    """Whether a receipt ``status`` on attempt ``attempt`` sends the message elsewhere."""
    return (
        status in NEGATIVE_DLR and policy.failover_on_negative_dlr and attempt < policy.max_attempts
    )
