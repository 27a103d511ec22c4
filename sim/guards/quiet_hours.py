"""Quiet hours: marketing (or other kinds) held or refused outside allowed local hours.

E.g. France forbids marketing SMS at night, on Sundays and on public holidays. Rules
are evaluated in the destination's local time (its ``timezone``, else the scenario's).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sim.guards.base import ALLOW, Action, Verdict
from sim.scenario import QuietHours, QuietHoursAction, Scenario
from sim.world.message import Message


def _parse(hhmm: str) -> time:
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))


class QuietHoursGuard:
    """Holds (until the next allowed time) or refuses messages in quiet hours."""

    name = "quiet_hours"

    def __init__(self, scenario: Scenario, rules: tuple[QuietHours, ...] | None = None) -> None:
        self.start = scenario.start
        self.rules = scenario.quiet_hours if rules is None else rules
        self._zones = {
            d.id: ZoneInfo(d.timezone or scenario.timezone) for d in scenario.destinations
        }
        self._by_key: dict[tuple[str, str], tuple[QuietHours, ...]] = {}
        for d in scenario.destinations:
            for kind in {k.value for rule in self.rules for k in rule.kinds}:
                matching = tuple(
                    r
                    for r in self.rules
                    if d.country in r.countries and kind in {k.value for k in r.kinds}
                )
                if matching:
                    self._by_key[(d.id, kind)] = matching

    def check(self, message: Message, now_s: float) -> Verdict:
        rules = self._by_key.get((message.destination, message.kind))
        if not rules:
            return ALLOW
        local = (self.start + timedelta(seconds=now_s)).astimezone(self._zones[message.destination])
        for rule in rules:
            allowed = next_allowed(rule, local)
            if allowed != local:
                if rule.action is QuietHoursAction.REFUSE:
                    return Verdict(Action.REFUSE, reason=rule.name)
                until_s = (allowed - self.start).total_seconds()
                return Verdict(Action.HOLD, until_s=max(until_s, now_s), reason=rule.name)
        return ALLOW

    def on_verified(self, message: Message, now_s: float) -> None:
        return None


def is_allowed(rule: QuietHours, local: datetime) -> bool:
    """Whether ``local`` (aware, destination time) is inside the rule's allowed hours."""
    if local.weekday() in rule.quiet_weekday_numbers or local.date() in rule.holidays:
        return False
    return _parse(rule.allowed_from) <= local.time() < _parse(rule.allowed_until)


def next_allowed(rule: QuietHours, local: datetime) -> datetime:
    """``local`` itself when allowed, else the next allowed moment (same zone)."""
    if is_allowed(rule, local):
        return local
    opening = _parse(rule.allowed_from)
    day = local.date()
    if local.time() >= opening:
        day += timedelta(days=1)
    for _ in range(400):
        candidate = datetime.combine(day, opening, tzinfo=local.tzinfo)
        if is_allowed(rule, candidate):
            return candidate
        day += timedelta(days=1)
    raise ValueError(f"quiet hours {rule.name!r}: no allowed time within 400 days")
