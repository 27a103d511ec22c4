"""Content changes: how a bad route alters a message's text (truth side).

A route may deliver the text intact (``KEPT``), cut it to what fits in one SMS
(``TRUNCATED``), remove links (``LINKS_STRIPPED``, a common grey-route filter), or
mangle non-GSM characters (``BAD_ENCODING``). ``apply_change`` returns the text the
handset would actually display.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum

from sim.world.encoding import GSM7_BASIC, GSM7_EXTENSION, split_segments

__all__ = ["ContentChange", "apply_change", "reencode_badly", "strip_links", "truncate"]


class ContentChange(StrEnum):
    """What a route did to a message's text."""

    KEPT = "kept"
    TRUNCATED = "truncated"
    LINKS_STRIPPED = "links_stripped"
    BAD_ENCODING = "bad_encoding"


def truncate(text: str, max_chars: int | None = None) -> str:
    """What a route that passes only one SMS segment delivers.

    With ``max_chars`` omitted (``None``): a text that fits one segment is returned
    unchanged; a longer one is cut to its first concatenation part,
    ``split_segments(text)[0]`` (153 septets for GSM-7, 67 units for UCS-2, never
    splitting an escape or surrogate pair).

    With an explicit ``max_chars``: the text is cut to its first ``max_chars``
    characters (code points) if longer, regardless of encoding, else returned as is.
    Raises ``ValueError`` if ``max_chars`` is negative.
    """
    if max_chars is not None:
        if max_chars < 0:
            raise ValueError(f"max_chars must be >= 0, got {max_chars}")
        return text[:max_chars]
    return split_segments(text)[0]


_TLDS = (
    "com|net|org|info|biz|io|co|ly|me|gl|gd|to|tv|cc|ws|app|dev|link|site|online|shop"
    "|store|club|top|xyz|page|live|click|fr|de|uk|es|it|nl|be|ch|at|pt|pl|se|no|dk|fi"
    "|ie|eu|us|ca|au|nz|br|mx|ar|in|cn|jp|kr|ru|ua|tr|za|ng|ke|ma|sn|ci|ae|sa|il|sg|hk"
)
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# A URL ends on a character that is not trailing punctuation of the sentence.
_TAIL = r"(?:\S*[^\s.,;:!?)\]}'\"»])?"
_URL = (
    r"(?:https?://\S*[^\s.,;:!?)\]}'\"»]"  # scheme URLs
    rf"|www\.{_LABEL}(?:\.{_LABEL})*{_TAIL}"  # www. hosts
    rf"|(?:{_LABEL}\.)+[a-z]{{2,24}}/{_TAIL}"  # bare domain with a path: bit.ly/xyz
    rf"|(?:{_LABEL}\.)+(?:{_TLDS})\b(?![.-]?\w))"  # bare domain, common TLD: example.com
)
_ONE_URL = rf"(?<![\w@./-]){_URL}"
_LINK_RE = re.compile(
    # One match takes a blank-separated run of links with the blanks around it;
    # ``pre`` starts at the beginning of a blank run and is possessive: linear time.
    rf"(?<![ \t])(?P<pre>[ \t]*+){_ONE_URL}(?:[ \t]+{_ONE_URL})*(?P<post>[ \t]*)",
    re.IGNORECASE,
)


def _drop_link(match: re.Match[str]) -> str:
    # Keep one space only when the link sat between two words.
    return " " if match["pre"] and match["post"] else ""


def strip_links(text: str) -> str:
    """Remove URLs (``http(s)://…``, ``www.…``, bare domains such as ``bit.ly/xyz``).

    Spaces around a removed link collapse to one (or none at a line edge or before
    punctuation); other whitespace, including existing double spaces, is untouched.
    E-mail addresses are not links and are kept.
    """
    return _LINK_RE.sub(_drop_link, text)


# GSM-7 non-ASCII letters as a route that "cleans up" accents shows them; Greek
# capitals have no Latin form and become '?'.
_DEACCENT = str.maketrans(
    {
        "à": "a", "ä": "a", "å": "a", "æ": "ae", "è": "e", "é": "e", "ì": "i",
        "ñ": "n", "ò": "o", "ö": "o", "ø": "o", "ù": "u", "ü": "u", "ß": "ss",
        "Ä": "A", "Å": "A", "Æ": "AE", "Ç": "C", "É": "E", "Ñ": "N", "Ö": "O",
        "Ø": "O", "Ü": "U", "Γ": "?", "Δ": "?", "Θ": "?", "Λ": "?", "Ξ": "?",
        "Π": "?", "Σ": "?", "Φ": "?", "Ψ": "?", "Ω": "?",
    }
)  # fmt: skip
_GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION


def reencode_badly(text: str) -> str:
    """What a route that forces GSM-7 without transliteration delivers.

    1. Every non-ASCII character outside the GSM-7 basic and extension tables
       becomes ``?`` (one ``?`` per code point, so an emoji is one ``?``).
       Extension characters (``€``, ``[`` …) are kept.
    2. If step 1 changed nothing (the text was already GSM-7), the other classic
       failure applies: GSM-7 letters with accents lose them (``é``→``e``,
       ``Ä``→``A``, ``ß``→``ss``, ``æ``→``ae``; Greek capitals → ``?``).

    ASCII characters are always passed through, so plain ASCII text is returned
    unchanged; any text containing a non-ASCII letter comes back different.
    """
    if text.isascii():
        return text
    mangled = "".join(c if c.isascii() or c in _GSM7_ALL else "?" for c in text)
    if mangled != text:
        return mangled
    return text.translate(_DEACCENT)


def _keep(text: str) -> str:
    return text


_TRANSFORMS: dict[ContentChange, Callable[[str], str]] = {
    ContentChange.KEPT: _keep,
    ContentChange.TRUNCATED: truncate,
    ContentChange.LINKS_STRIPPED: strip_links,
    ContentChange.BAD_ENCODING: reencode_badly,
}


def apply_change(text: str, change: ContentChange) -> str:
    """The text as delivered after ``change`` (``TRUNCATED`` uses ``truncate(text)``)."""
    return _TRANSFORMS[change](text)
