"""Message texts: templates rendered with Faker into a pool per kind of traffic.

Templates use ``{placeholders}`` from :data:`PLACEHOLDERS`. A pool of rendered texts is
drawn once per replication (Faker is seeded from the traffic stream), and messages pick
from it, so segment counts are computed once per text, not per message.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from faker import Faker

from sim.world.encoding import SegmentInfo, check_text

PLACEHOLDERS: dict[str, Callable[[Faker], str]] = {
    "code": lambda f: f.numerify("######"),
    "name": lambda f: str(f.first_name()),
    "company": lambda f: str(f.company()),
    "amount": lambda f: f"{f.pyfloat(min_value=5, max_value=500, right_digits=2):.2f}",
    "date": lambda f: f.date_between("+1d", "+30d").strftime("%d/%m"),
    "time": lambda f: f.time("%H:%M"),
    "order": lambda f: f.bothify("??-#####").upper(),
    "url": lambda f: f"https://{f.domain_name()}/{f.lexify('?????')}",
    "city": lambda f: str(f.city()),
}


def template_fields(template: str) -> list[str]:
    """The placeholder names a template uses."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def check_template(template: str) -> None:
    """Raise ``ValueError`` naming an unknown placeholder."""
    try:
        fields = template_fields(template)
    except ValueError as exc:
        raise ValueError(f"template {template!r}: {exc}") from None
    for name in fields:
        if name not in PLACEHOLDERS:
            known = ", ".join(sorted(PLACEHOLDERS))
            raise ValueError(f"unknown placeholder {{{name}}} (known: {known})")


_SAMPLE_FAKER: Faker | None = None


def check_template_length(template: str, max_segments: int) -> None:
    """Render ``template`` once with sample values; raise ``ValueError`` when the text
    needs more than ``max_segments`` segments."""
    global _SAMPLE_FAKER
    if _SAMPLE_FAKER is None:
        _SAMPLE_FAKER = Faker("en_GB")
    _SAMPLE_FAKER.seed_instance(0)
    values = {name: PLACEHOLDERS[name](_SAMPLE_FAKER) for name in template_fields(template)}
    check_text(template.format(**values), max_segments)


@dataclass(frozen=True, slots=True)
class TextPool:
    """Rendered texts and their segment counts."""

    texts: tuple[str, ...]
    segments: tuple[int, ...]


def render_pool(
    templates: Sequence[str], size: int, faker: Faker, max_segments: int, where: str
) -> TextPool:
    """Render ``size`` texts cycling through ``templates``; raise ``ValueError`` (naming
    ``where``) when a rendered text exceeds ``max_segments``."""
    texts: list[str] = []
    segments: list[int] = []
    for i in range(size):
        template = templates[i % len(templates)]
        values = {name: PLACEHOLDERS[name](faker) for name in template_fields(template)}
        text = template.format(**values)
        try:
            info: SegmentInfo = check_text(text, max_segments)
        except ValueError as exc:
            raise ValueError(f"{where}[{i % len(templates)}]: {exc}") from None
        texts.append(text)
        segments.append(info.segments)
    return TextPool(tuple(texts), tuple(segments))
