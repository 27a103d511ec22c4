"""Scenario: the typed, frozen description of a world and the strategies to compare.

YAML files parse into these models (unknown keys rejected, cross-references checked).
A bad file raises :class:`ScenarioError` whose message is one line,
``file: path.to.field: reason``. :func:`json_schema` exports the schema for editors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.world.delays import Delay, LogNormalDelay
from sim.world.sender import SenderType, classify_sender
from sim.world.texts import check_template, check_template_length


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message is a single line."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Share = float  # documented alias: a probability in [0, 1]


def _share() -> Any:
    return Field(default=0.0, ge=0.0, le=1.0)


# --------------------------------------------------------------------------- destinations


class SenderAction(StrEnum):
    """What a destination network does with a sender it does not accept."""

    KEEP = "keep"
    REWRITE_NUMERIC = "rewrite_numeric"
    REWRITE_GENERIC = "rewrite_generic"
    REJECT = "reject"


class RegisteredSender(_Model):
    """A sender ID registered with a destination, usable from ``from_s`` (lead time)."""

    sender: str
    from_s: float = Field(default=0.0, ge=0)


class SenderRules(_Model):
    """Sender-ID rules of one destination network."""

    registration_required: bool = False
    registered: tuple[RegisteredSender, ...] = ()
    allowed_types: tuple[SenderType, ...] = tuple(SenderType)
    unregistered_alphanumeric: SenderAction = SenderAction.KEEP
    disallowed_type: SenderAction = SenderAction.REJECT
    generic_sender: str = "INFO"
    kind_senders: Mapping[str, str] = Field(
        default_factory=dict,
        description="kind -> regex the sender must match (e.g. marketing: '^36\\d{3}$')",
    )
    stop_required: tuple[str, ...] = Field(
        default=(), description="kinds whose text must carry a STOP mention"
    )
    noncompliant: SenderAction = Field(
        default=SenderAction.REJECT, description="what the network does with a non-compliant one"
    )

    @field_validator("kind_senders")
    @classmethod
    def _patterns(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        for kind, pattern in value.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"kind_senders.{kind}: bad pattern {pattern!r}: {exc}") from None
        return dict(value)

    @field_validator("registered", mode="before")
    @classmethod
    def _plain_names(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [{"sender": v} if isinstance(v, str) else v for v in value]
        return value


class Destination(_Model):
    """A mobile network in a country, reached by the numbers under its prefixes."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    operator: str
    mcc_mnc: str = Field(pattern=r"^\d{3}-\d{2,3}$")
    prefixes: tuple[str, ...] = Field(min_length=1, description="E.164 prefixes, e.g. '+3367'")
    number_digits: int | None = Field(
        default=None, ge=8, le=15, description="digits in a full E.164 number (default: country's)"
    )
    share: float = Field(gt=0, description="relative share of traffic")
    timezone: str | None = Field(default=None, description="IANA zone (default: scenario's)")
    sender_rules: SenderRules = SenderRules()

    @field_validator("prefixes")
    @classmethod
    def _e164_prefixes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for prefix in value:
            if not re.fullmatch(r"\+[1-9]\d{1,9}", prefix):
                raise ValueError(f"prefix {prefix!r} is not '+' followed by 2-10 digits")
        return value

    @model_validator(mode="after")
    def _country_consistent(self) -> Destination:
        code = phonenumbers.country_code_for_region(self.country)
        if code == 0:
            raise ValueError(f"unknown country {self.country!r}")
        for prefix in self.prefixes:
            if not prefix[1:].startswith(str(code)):
                raise ValueError(f"prefix {prefix!r} is not in country {self.country} (+{code})")
        if self.timezone is not None:
            _check_zone(self.timezone)
        return self

    @cached_property
    def calling_code(self) -> str:
        return str(phonenumbers.country_code_for_region(self.country))

    @property
    def full_number_digits(self) -> int:
        if self.number_digits is not None:
            return self.number_digits
        example = phonenumbers.example_number_for_type(
            self.country, phonenumbers.PhoneNumberType.MOBILE
        )
        if example is None:
            return 11
        return len(self.calling_code) + len(str(example.national_number))


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


# --------------------------------------------------------------------------- routes


class RouteKind(StrEnum):
    DIRECT = "direct"
    AGGREGATOR = "aggregator"
    GREY = "grey"


class Outcomes(_Model):
    """Probabilities of what really happens to an accepted message (sum to 1)."""

    delivered: float = Field(default=0.97, ge=0, le=1)
    undelivered: float = Field(default=0.02, ge=0, le=1)
    expired: float = Field(default=0.005, ge=0, le=1)
    lost: float = Field(default=0.005, ge=0, le=1, description="gone, and no receipt ever comes")

    @model_validator(mode="after")
    def _sum_to_one(self) -> Outcomes:
        total = self.delivered + self.undelivered + self.expired + self.lost
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"outcome probabilities sum to {total:.6g}, not 1")
        return self


class FakeDlrMode(StrEnum):
    """Which traffic a lying route fakes receipts for."""

    ALL = "all"
    BULK = "bulk"
    EXCEPT_TEST_NUMBERS = "except_test_numbers"


class DlrBehaviour(_Model):
    """How the route reports: receipt delay, missing receipts, fake ``DELIVRD``."""

    delay: Delay = LogNormalDelay(dist="lognormal", median_s=2.0, p95_s=10.0)
    missing_share: float = _share()
    fake_share: float = Field(
        default=0.0, ge=0, le=1, description="share of NOT delivered messages reported DELIVRD"
    )
    fake_mode: FakeDlrMode = FakeDlrMode.ALL
    fake_delay: Delay = LogNormalDelay(dist="lognormal", median_s=1.0, p95_s=4.0)
    test_number_after: int | None = Field(
        default=None,
        ge=1,
        description="except_test_numbers: a number that got this many messages through the "
        "route is taken for a test number too (how lying routes learn test panels)",
    )


class SenderHandling(_Model):
    """What the route does to the sender ID on the way."""

    numeric_share: float = _share()
    generic_share: float = _share()
    generic_sender: str = "INFO"

    @model_validator(mode="after")
    def _at_most_one(self) -> SenderHandling:
        if self.numeric_share + self.generic_share > 1 + 1e-9:
            raise ValueError("numeric_share + generic_share exceeds 1")
        return self


class ContentHandling(_Model):
    """What the route does to the text on the way."""

    truncate_share: float = _share()
    strip_links_share: float = _share()
    bad_encoding_share: float = _share()

    @model_validator(mode="after")
    def _at_most_one(self) -> ContentHandling:
        if self.truncate_share + self.strip_links_share + self.bad_encoding_share > 1 + 1e-9:
            raise ValueError("content change shares sum above 1")
        return self


class Errors(_Model):
    """Random submit errors (``ESME_RSYSERR`` 0x08)."""

    system_error_share: float = _share()


class OutageMode(StrEnum):
    REJECT = "reject"
    BLACKHOLE = "blackhole"


class Outage(_Model):
    """A window when the route is down: submits refused, or silently swallowed."""

    start_s: float = Field(ge=0)
    end_s: float = Field(gt=0)
    mode: OutageMode = OutageMode.REJECT

    @model_validator(mode="after")
    def _ordered(self) -> Outage:
        if self.end_s <= self.start_s:
            raise ValueError("end_s must be after start_s")
        return self


class Drift(_Model):
    """Quality moving linearly from nominal at ``start_s`` to the factors at ``end_s``."""

    start_s: float = Field(ge=0)
    end_s: float = Field(gt=0)
    delivered_factor: float = Field(default=1.0, ge=0, le=1)
    handset_latency_factor: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Drift:
        if self.end_s <= self.start_s:
            raise ValueError("end_s must be after start_s")
        return self


class PriceChange(_Model):
    """From ``at_s`` on, the route charges ``price_eur`` per segment to ``destination``."""

    at_s: float = Field(ge=0)
    destination: str
    price_eur: float = Field(ge=0)


class Route(_Model):
    """One supplier connection and everything it really does to messages."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    supplier: str
    kind: RouteKind
    prices: Mapping[str, float] = Field(
        min_length=1, description="destination id -> EUR per segment"
    )
    tps: float = Field(gt=0, description="submits per second the supplier accepts")
    tps_burst: float | None = Field(default=None, gt=0, description="token bucket size")
    pace: bool = Field(
        default=True, description="router paces submits to tps; false: carrier throttles 0x58"
    )
    window: int = Field(default=10, ge=1, description="max submits awaiting a response")
    queue_limit: int = Field(default=100_000, ge=1, description="beyond: 0x14 queue full")
    submit_latency: Delay = LogNormalDelay(dist="lognormal", median_s=0.05, p95_s=0.2)
    handset_latency: Delay = LogNormalDelay(dist="lognormal", median_s=3.0, p95_s=15.0)
    validity_s: float = Field(default=3600.0, gt=0, description="EXPIRED receipts come then")
    outcomes: Outcomes = Outcomes()
    dlr: DlrBehaviour = DlrBehaviour()
    sender: SenderHandling = SenderHandling()
    content: ContentHandling = ContentHandling()
    errors: Errors = Errors()
    outages: tuple[Outage, ...] = ()
    drift: Drift | None = None
    price_changes: tuple[PriceChange, ...] = ()

    @field_validator("prices")
    @classmethod
    def _non_negative(cls, value: Mapping[str, float]) -> Mapping[str, float]:
        for dest, price in value.items():
            if price < 0:
                raise ValueError(f"price for {dest!r} is negative")
        return dict(value)

    @property
    def burst(self) -> float:
        return self.tps_burst if self.tps_burst is not None else max(1.0, self.tps)


# --------------------------------------------------------------------------- traffic


class MessageKind(StrEnum):
    OTP = "otp"
    TRANSACTIONAL = "transactional"
    MARKETING = "marketing"
    CONVERSATIONAL = "conversational"


class KindSpec(_Model):
    """One kind of traffic: its share, sender and text templates."""

    share: float = Field(ge=0, description="0: only sent in bursts or attacks")
    sender: str
    templates: tuple[str, ...] = Field(min_length=1)
    bulk: bool | None = Field(default=None, description="bulk traffic (default: marketing)")
    verify_probability: float = Field(
        default=0.0, ge=0, le=1, description="OTP: share of delivered codes the user verifies"
    )
    verify_delay: Delay = LogNormalDelay(dist="lognormal", median_s=20.0, p95_s=90.0)

    @field_validator("sender")
    @classmethod
    def _valid_sender(cls, value: str) -> str:
        classify_sender(value)
        return value

    @field_validator("templates")
    @classmethod
    def _known_placeholders(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for template in value:
            check_template(template)
        return value


class Burst(_Model):
    """A campaign: extra traffic of one kind at a fixed rate for a while."""

    start_s: float = Field(ge=0)
    duration_s: float = Field(gt=0)
    rate_per_s: float = Field(gt=0)
    kind: MessageKind = MessageKind.MARKETING
    destinations: tuple[str, ...] = ()


class AitPattern(StrEnum):
    SEQUENTIAL = "sequential"
    CLUSTERED = "clustered"


class AitAttack(_Model):
    """SMS pumping: bots requesting OTPs to numbers in a few (premium) prefixes."""

    start_s: float = Field(ge=0)
    duration_s: float = Field(gt=0)
    rate_per_s: float = Field(gt=0)
    prefixes: tuple[str, ...] = Field(min_length=1, description="E.164 number ranges pumped")
    pattern: AitPattern = AitPattern.SEQUENTIAL
    kind: MessageKind = MessageKind.OTP

    @field_validator("prefixes")
    @classmethod
    def _e164(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for prefix in value:
            if not re.fullmatch(r"\+[1-9]\d{1,13}", prefix):
                raise ValueError(f"prefix {prefix!r} is not '+' followed by 2-14 digits")
        return value


class Traffic(_Model):
    """Customer traffic: a Poisson stream shaped by a daily profile, plus bursts."""

    rate_per_s: float = Field(gt=0, description="mean messages per second at profile 1.0")
    daily_profile: tuple[float, ...] = Field(
        default=(1.0,) * 24, description="24 hourly multipliers in the scenario's local time"
    )
    kinds: Mapping[MessageKind, KindSpec] = Field(min_length=1)
    bursts: tuple[Burst, ...] = ()
    ait: tuple[AitAttack, ...] = Field(default=(), description="AIT (pumping) attacks")
    locale: str = Field(default="en_GB", description="Faker locale for names in texts")
    text_pool_size: int = Field(default=256, ge=1, le=100_000, description="texts per kind")

    @field_validator("daily_profile")
    @classmethod
    def _hourly(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if len(value) != 24:
            raise ValueError(f"needs 24 hourly values, got {len(value)}")
        if any(v < 0 for v in value) or max(value) <= 0:
            raise ValueError("values must be >= 0 and not all zero")
        return value


# --------------------------------------------------------------------------- market rules


class QuietHoursAction(StrEnum):
    HOLD = "hold"
    REFUSE = "refuse"


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class QuietHours(_Model):
    """When some kinds of traffic may not be sent to some countries (local time)."""

    name: str = "quiet-hours"
    countries: tuple[str, ...] = Field(min_length=1)
    kinds: tuple[MessageKind, ...] = (MessageKind.MARKETING,)
    allowed_from: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    allowed_until: str = Field(default="20:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    quiet_weekdays: tuple[str, ...] = ("sunday",)
    holidays: tuple[date, ...] = ()
    action: QuietHoursAction = QuietHoursAction.HOLD

    @field_validator("quiet_weekdays")
    @classmethod
    def _days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for day in value:
            if day.lower() not in _WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r} (use {', '.join(_WEEKDAYS)})")
        return tuple(d.lower() for d in value)

    @model_validator(mode="after")
    def _window(self) -> QuietHours:
        if self.allowed_until <= self.allowed_from:
            raise ValueError("allowed_until must be after allowed_from")
        if len(self.quiet_weekdays) == 7:
            raise ValueError("every weekday is quiet: nothing could ever be sent")
        return self

    @property
    def quiet_weekday_numbers(self) -> frozenset[int]:
        return frozenset(_WEEKDAYS.index(d) for d in self.quiet_weekdays)


# --------------------------------------------------------------------------- probes


class ProbePanel(StrEnum):
    PUBLIC = "public"
    ROTATING = "rotating"


class ProbeConfig(_Model):
    """Route testing: test messages to test handsets, within a budget per route."""

    per_route_per_hour: float = Field(default=6.0, gt=0, le=3600)
    panel: ProbePanel = Field(
        default=ProbePanel.ROTATING,
        description="public: a vendor panel routes know; rotating: own SIMs that look "
        "like subscribers, retired after rotate_after uses",
    )
    pool_size: int = Field(default=200, ge=1, description="test numbers per destination")
    rotate_after: int = Field(default=2, ge=1)
    timeout_s: float = Field(default=900.0, gt=0, description="no handset by then: not received")
    start_s: float = Field(default=0.0, ge=0)


# --------------------------------------------------------------------------- load tests


class LoadSection(_Model):
    """Thresholds a live load test of this scenario must meet (``routesim load``)."""

    thresholds: tuple[str, ...] = Field(
        default=(), description="'METRIC<=VALUE' checks on the load report, e.g. submit_p99_ms<=50"
    )

    @field_validator("thresholds")
    @classmethod
    def _syntax(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not re.fullmatch(r"\s*[a-z0-9_.]+\s*(<=|>=|==|<|>)\s*[-+0-9.eE]+\s*", item):
                raise ValueError(f"threshold {item!r} is not METRIC<=VALUE")
        return value


# --------------------------------------------------------------------------- strategies


class StrategySpec(_Model):
    """A strategy to compare: a label, what to use (registry name or import path), params,
    and the guards it runs with (e.g. ``{ait: {velocity: 5}}``)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    use: str | None = Field(default=None, description="registry name or 'pkg.module:Class'")
    params: Mapping[str, Any] = Field(default_factory=dict)
    guards: Mapping[str, Mapping[str, Any]] = Field(
        default_factory=dict, description="guard name -> params (built in: ait)"
    )

    @property
    def target(self) -> str:
        return self.use or self.name


class SubmitErrorAction(StrEnum):
    RETRY_SAME = "retry_same"
    FAILOVER = "failover"
    GIVE_UP = "give_up"


class RetryPolicy(_Model):
    """Retries and failover: on submit errors and on negative receipts."""

    max_attempts: int = Field(default=3, ge=1, le=10)
    on_throttled: SubmitErrorAction = SubmitErrorAction.RETRY_SAME
    on_queue_full: SubmitErrorAction = SubmitErrorAction.FAILOVER
    on_system_error: SubmitErrorAction = SubmitErrorAction.FAILOVER
    backoff_s: float = Field(default=1.0, ge=0, description="wait before a retry")
    failover_on_negative_dlr: bool = True


# --------------------------------------------------------------------------- scenario


class Scenario(_Model):
    """A whole world: destinations, routes, traffic, strategies and the retry policy."""

    name: str
    description: str = ""
    seed: int = Field(default=1, ge=0)
    start: datetime = Field(
        default=datetime.fromisoformat("2026-03-10T08:00:00+00:00"),
        description="wall-clock time of t=0 (timezone-aware)",
    )
    timezone: str = "UTC"
    duration_s: float = Field(gt=0)
    replications: int = Field(default=3, ge=1)
    max_segments: int = Field(default=10, ge=1, le=255)
    destinations: tuple[Destination, ...] = Field(min_length=1)
    routes: tuple[Route, ...] = Field(min_length=1)
    traffic: Traffic
    strategies: tuple[StrategySpec, ...] = Field(min_length=1)
    retry: RetryPolicy = RetryPolicy()
    quiet_hours: tuple[QuietHours, ...] = ()
    probes: ProbeConfig | None = None
    load: LoadSection | None = None

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("needs a UTC offset, e.g. 2026-03-10T08:00:00+01:00")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        _check_zone(value)
        return value

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        dest_ids = _unique("destinations", [d.id for d in self.destinations])
        _unique("routes", [r.id for r in self.routes])
        _unique("strategies", [s.name for s in self.strategies])
        served: set[str] = set()
        for i, route in enumerate(self.routes):
            for priced in route.prices:
                if priced not in dest_ids:
                    raise ValueError(f"routes[{i}].prices: unknown destination {priced!r}")
            for change in route.price_changes:
                if change.destination not in route.prices:
                    raise ValueError(
                        f"routes[{i}].price_changes: {change.destination!r} is not priced "
                        "by this route"
                    )
            served.update(route.prices)
        for dest in self.destinations:
            if dest.id not in served:
                raise ValueError(f"destinations: {dest.id!r} has no route pricing it")
        kinds = {k.value for k in MessageKind}
        for i, dest in enumerate(self.destinations):
            rules = dest.sender_rules
            for kind in (*rules.kind_senders, *rules.stop_required):
                if kind not in kinds:
                    raise ValueError(f"destinations[{i}].sender_rules: unknown kind {kind!r}")
        for j, attack in enumerate(self.traffic.ait):
            if attack.kind not in self.traffic.kinds:
                raise ValueError(
                    f"traffic.ait[{j}]: kind {attack.kind.value!r} not in traffic.kinds"
                )
            for prefix in attack.prefixes:
                if destination_for_number(self.destinations, prefix) is None:
                    raise ValueError(f"traffic.ait[{j}]: prefix {prefix!r} is in no destination")
        countries = {d.country for d in self.destinations}
        for j, rule in enumerate(self.quiet_hours):
            for country in rule.countries:
                if country not in countries:
                    raise ValueError(f"quiet_hours[{j}]: no destination in country {country!r}")
        if not any(spec.share > 0 for spec in self.traffic.kinds.values()):
            raise ValueError("traffic.kinds: at least one kind needs a share above 0")
        for kind, spec in self.traffic.kinds.items():
            for j, template in enumerate(spec.templates):
                try:
                    check_template_length(template, self.max_segments)
                except ValueError as exc:
                    raise ValueError(f"traffic.kinds.{kind.value}.templates[{j}]: {exc}") from None
        for j, burst in enumerate(self.traffic.bursts):
            for dest_id in burst.destinations:
                if dest_id not in dest_ids:
                    raise ValueError(f"traffic.bursts[{j}]: unknown destination {dest_id!r}")
            if burst.kind not in self.traffic.kinds:
                raise ValueError(f"traffic.bursts[{j}]: kind {burst.kind!r} not in traffic.kinds")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def strategy(self, name: str) -> StrategySpec:
        """The strategy called ``name``; a registry name or import path not listed gets
        default parameters."""
        for spec in self.strategies:
            if spec.name == name:
                return spec
        label = name.rsplit(":", 1)[-1] if ":" in name else name
        return StrategySpec(name=re.sub(r"[^A-Za-z0-9_.-]", "-", label), use=name)


def destination_for_number(destinations: tuple[Destination, ...], number: str) -> int | None:
    """Index of the destination whose longest prefix starts ``number`` (E.164 text)."""
    best, best_len = None, 0
    for index, dest in enumerate(destinations):
        for prefix in dest.prefixes:
            if number.startswith(prefix) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def _unique(what: str, ids: list[str]) -> set[str]:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"{what}: duplicate id {item!r}")
        seen.add(item)
    return seen


# --------------------------------------------------------------------------- loading


def _format_location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            if part in {"constant", "exponential", "uniform", "lognormal"} or part.startswith(
                "function-"
            ):
                continue
            text += ("." if text else "") + str(part)
    return text


def format_validation_error(source: str, exc: ValidationError) -> str:
    """One line: ``source: path.to.field: reason (and N more)``."""
    errors = exc.errors()
    first = errors[0]
    where = _format_location(tuple(first["loc"]))
    reason = str(first["msg"]).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{source}: {where + ': ' if where else ''}{reason}{more}"


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate already-parsed YAML/JSON data into a :class:`Scenario`."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: the top level must be a mapping of scenario fields")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(source, exc)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{file}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{file}: cannot read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ScenarioError(f"{file}: {where}{problem}") from None
    return parse_scenario(data, str(file))


def json_schema() -> dict[str, Any]:
    """The scenario JSON Schema (for editors and external validation)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "routesim scenario"
    return schema


def with_overrides(
    scenario: Scenario, *, seed: int | None = None, duration_s: float | None = None
) -> Scenario:
    """The scenario with another seed and/or duration (``--seed``, ``--duration``)."""
    updates: dict[str, Any] = {}
    if seed is not None:
        updates["seed"] = seed
    if duration_s is not None:
        updates["duration_s"] = float(duration_s)
    return scenario.model_copy(update=updates) if updates else scenario


def with_duration(scenario: Scenario, duration_s: float | None) -> Scenario:
    """The scenario with another duration."""
    return with_overrides(scenario, duration_s=duration_s)
