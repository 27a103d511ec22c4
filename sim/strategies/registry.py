"""Strategy registry: built-ins by name, user strategies by import path ``pkg.mod:Class``."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sim.strategies.base import Strategy, StrategyContext, StrategyError, StrategyFactory

_REGISTRY: dict[str, StrategyFactory] = {}

T = TypeVar("T")


def register(name: str) -> Callable[[T], T]:
    """Class decorator adding a strategy under ``name``."""

    def add(cls: T) -> T:
        _REGISTRY[name] = cls  # type: ignore[assignment]
        return cls

    return add


def builtin_names() -> list[str]:
    """Names of the registered strategies."""
    _load_builtins()
    return sorted(_REGISTRY)


def resolve(target: str) -> StrategyFactory:
    """The factory for a registry name or an import path ``package.module:Class``."""
    _load_builtins()
    if target in _REGISTRY:
        return _REGISTRY[target]
    if ":" not in target:
        known = ", ".join(sorted(_REGISTRY))
        raise StrategyError(f"unknown strategy {target!r} (built in: {known}; or pkg.module:Class)")
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise StrategyError(f"strategy {target!r}: cannot import {module_name!r}: {exc}") from None
    factory = getattr(module, attr, None)
    if factory is None or not callable(factory):
        raise StrategyError(f"strategy {target!r}: {module_name!r} has no callable {attr!r}")
    return factory  # type: ignore[no-any-return]


def build(target: str, label: str, params: Mapping[str, Any], context: StrategyContext) -> Strategy:
    """Instantiate a strategy; parameter errors become one-line :class:`StrategyError`."""
    factory = resolve(target)
    try:
        strategy = factory(params, context)
    except (TypeError, ValueError, KeyError) as exc:
        raise StrategyError(f"strategy {label!r}: bad params: {exc}") from None
    if not isinstance(strategy, Strategy):
        raise StrategyError(
            f"strategy {label!r}: {target} does not implement the Strategy protocol"
        )
    strategy.name = label
    return strategy


def _load_builtins() -> None:
    from sim.strategies import (  # noqa: F401  (registration side effect)
        cost_subsidy,
        evidence_weighted,
        least_cost,
        priority,
        quality_scored,
        weighted,
    )
