"""Load-test thresholds: ``METRIC<=VALUE`` checks on the combined load report.

Given on the command line (``--threshold submit_p99_ms<=50``, repeatable) or in the
scenario file under ``load: {thresholds: [...]}`` (read here and removed before the
scenario is validated). Metrics are the flat keys of the load report's ``metrics``
(see :mod:`sim.live.report`); operators ``<=``, ``>=``, ``<``, ``>``, ``==``.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim.scenario import Scenario, ScenarioError, parse_scenario


class LiveError(ValueError):
    """Bad input to ``serve`` or ``load`` (arguments, thresholds, target); one line."""


_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
}
_PATTERN = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(<=|>=|==|<|>)\s*(-?[0-9.eE+-]+)\s*$")


@dataclass(frozen=True)
class Threshold:
    """One check: ``metric op value``."""

    metric: str
    op: str
    value: float
    source: str = "command line"

    def check(self, metrics: Mapping[str, Any]) -> str | None:
        """``None`` when it holds, else a one-line reason."""
        actual = metrics.get(self.metric)
        if actual is None or (isinstance(actual, float) and math.isnan(actual)):
            return f"{self}: no value for {self.metric!r}"
        if not _OPS[self.op](float(actual), self.value):
            return f"{self}: measured {float(actual):.6g}"
        return None

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value:g}"


def parse_threshold(text: str, source: str = "command line") -> Threshold:
    match = _PATTERN.match(text)
    if match is None:
        raise LiveError(f"threshold {text!r}: expected METRIC<=VALUE (or >=, <, >, ==)")
    metric, op, value = match.groups()
    try:
        number = float(value)
    except ValueError:
        raise LiveError(f"threshold {text!r}: {value!r} is not a number") from None
    return Threshold(metric, op, number, source)


def load_live_scenario(path: Path) -> tuple[Scenario, list[Threshold]]:
    """A scenario file and the thresholds of its optional ``load:`` section."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: cannot read: {str(exc).splitlines()[0]}") from None
    thresholds: list[Threshold] = []
    if isinstance(data, dict) and "load" in data:
        data = dict(data)
        section = data.pop("load")
        items = section.get("thresholds", []) if isinstance(section, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ScenarioError(f"{path}: load.thresholds: expected a list of 'METRIC<=VALUE'")
        for item in items:
            try:
                thresholds.append(parse_threshold(item, f"{path.name} load.thresholds"))
            except LiveError as exc:
                raise ScenarioError(f"{path}: load.thresholds: {exc}") from None
    return parse_scenario(data, str(path)), thresholds


def breaches(thresholds: Sequence[Threshold], metrics: Mapping[str, Any]) -> list[str]:
    """Reasons of the thresholds that do not hold."""
    return [r for r in (t.check(metrics) for t in thresholds) if r is not None]
