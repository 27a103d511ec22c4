"""The strategy plug-in contract: what a strategy is given, and what it may observe.

A strategy sees only what a real router sees (DESIGN §2.1): the message as submitted
by the customer, the routes that can take its destination with their current prices
and the router's own queue state, submit responses, and delivery receipts (which may
be late, missing or fake). It never sees handsets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from sim.scenario import RouteKind
from sim.world.message import Message

__all__ = ["Message", "RouteView", "Strategy", "StrategyBase", "StrategyContext", "StrategyError"]


class RouteView:
    """A route as the router knows it: contract terms and its own queue to the route."""

    __slots__ = ("_price", "_queue_length", "id", "index", "kind", "supplier", "tps", "window")

    def __init__(
        self,
        index: int,
        route_id: str,
        supplier: str,
        kind: RouteKind,
        tps: float,
        window: int,
        price: Callable[[str], float],
        queue_length: Callable[[], int],
    ) -> None:
        self.index = index
        self.id = route_id
        self.supplier = supplier
        self.kind = kind
        self.tps = tps
        self.window = window
        self._price = price
        self._queue_length = queue_length

    def price_eur(self, destination: str) -> float:
        """Current price per segment to ``destination``."""
        return self._price(destination)

    @property
    def queue_length(self) -> int:
        """Messages waiting in the router's queue for this route."""
        return self._queue_length()

    def __repr__(self) -> str:
        return f"RouteView({self.id!r})"


@dataclass(frozen=True, slots=True)
class StrategyContext:
    """What a strategy gets at construction."""

    routes: Sequence[RouteView]
    rng: np.random.Generator
    clock: Callable[[], float]


@runtime_checkable
class Strategy(Protocol):
    """Chooses a route for a message among the routes that can take it."""

    name: str

    def choose(self, message: Message, candidates: Sequence[RouteView]) -> RouteView | None:
        """The route to try, or ``None`` to refuse the message. ``candidates`` is never
        empty and holds only routes pricing the destination not yet tried for it."""
        ...

    def on_submit_response(self, message: Message, route: RouteView, status: int) -> None:
        """The route answered the submit with ``status`` (0 = ESME_ROK)."""
        ...

    def on_delivery_report(
        self, message: Message, route: RouteView, status: int, delay_s: float
    ) -> None:
        """A receipt came ``delay_s`` after the submit; ``status`` is a DlrStatus."""
        ...


class StrategyBase:
    """Convenience base: stores params and context, ignores observations."""

    name = "strategy"

    def __init__(self, params: Mapping[str, Any], context: StrategyContext) -> None:
        self.params = dict(params)
        self.context = context

    def choose(self, message: Message, candidates: Sequence[RouteView]) -> RouteView | None:
        raise NotImplementedError

    def on_submit_response(self, message: Message, route: RouteView, status: int) -> None:
        return None

    def on_delivery_report(
        self, message: Message, route: RouteView, status: int, delay_s: float
    ) -> None:
        return None


StrategyFactory = Callable[[Mapping[str, Any], StrategyContext], Strategy]


class StrategyError(ValueError):
    """A strategy that cannot be built or misbehaves; the message is one line."""
