"""Tests for sim.world.content: truncation, link stripping, bad re-encoding."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.world.content import (
    ContentChange,
    apply_change,
    reencode_badly,
    strip_links,
    truncate,
)
from sim.world.encoding import GSM7_BASIC, GSM7_EXTENSION, split_segments

EMOJI = "\U0001f600"


# --- truncate ---------------------------------------------------------------------


def test_truncate_single_segment_unchanged() -> None:
    assert truncate("a" * 160) == "a" * 160
    assert truncate("é" * 160) == "é" * 160  # é is GSM-7
    assert truncate("ж" * 70) == "ж" * 70
    assert truncate("") == ""


def test_truncate_keeps_first_part() -> None:
    assert truncate("a" * 161) == "a" * 153
    assert truncate("ж" * 71) == "ж" * 67
    assert truncate("a" * 152 + "€" + "b" * 20) == "a" * 152
    assert truncate("a" * 66 + EMOJI + "b" * 10) == "a" * 66


def test_truncate_explicit_max_chars() -> None:
    assert truncate("a" * 100, max_chars=70) == "a" * 70
    assert truncate("a" * 50, max_chars=70) == "a" * 50
    assert truncate("ж" * 71, 10) == "ж" * 10
    assert truncate("abc", 0) == ""
    with pytest.raises(ValueError, match="max_chars"):
        truncate("abc", -1)


@given(st.text(max_size=500))
def test_truncate_is_prefix_of_one_segment(text: str) -> None:
    cut = truncate(text)
    assert text.startswith(cut)
    assert cut == split_segments(text)[0]
    assert len(split_segments(cut)) == 1


# --- strip_links ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Click https://example.com/a?b=1 now", "Click now"),
        ("Click http://x.io now", "Click now"),
        ("See www.shop.example.fr/deal today", "See today"),
        ("Track bit.ly/3xYz9 here", "Track here"),
        ("Visit example.com for more", "Visit for more"),
        ("Visit EXAMPLE.COM", "Visit"),
        ("https://a.b/c first", "first"),
        ("Go to https://x.com/p.", "Go to."),
        ("Two: https://a.com and www.b.org!", "Two: and!"),
        ("line https://x.com\nnext", "line\nnext"),
        ("(https://x.com/a)", "()"),
        ("https://x.com", ""),
        ("a https://x.com https://y.com b", "a b"),
        ("a https://x.com  www.y.com\tbit.ly/z  b", "a b"),
        ("https://x.com https://y.com", ""),
        ("x: https://a.com, https://b.com end", "x:, end"),
    ],
)
def test_strip_links(text: str, expected: str) -> None:
    assert strip_links(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "No links here.",
        "Mail me at john@example.com",
        "Price 3.50 EUR, e.g. soon. Mr.Smith said hi.",
        "Spaces  stay  double when no link",
        "Read file.txt and/or km/h",
        "",
    ],
)
def test_strip_links_leaves_plain_text(text: str) -> None:
    assert strip_links(text) == text


_WORDS = st.sampled_from(["a", "end.", "bit.ly/x", "www.y.fr", "https://z.io/q?r=1", "(x)"])
_BLANKS = st.sampled_from([" ", "  ", "\t", "\n", ", ", " \n "])


@given(st.lists(st.tuples(_WORDS, _BLANKS), max_size=12))
def test_strip_links_idempotent_and_linkless(tokens: list[tuple[str, str]]) -> None:
    text = "".join(word + blank for word, blank in tokens)
    out = strip_links(text)
    assert strip_links(out) == out
    assert "bit.ly" not in out
    assert "www." not in out
    assert "https" not in out


def test_strip_links_long_blank_runs_are_fast() -> None:
    assert strip_links(" " * 50_000 + "x") == " " * 50_000 + "x"
    assert strip_links("a " * 20_000 + "bit.ly/x") == ("a " * 20_000).rstrip()


def test_strip_links_no_double_spaces_left() -> None:
    out = strip_links("a https://x.com b www.y.com c bit.ly/z d")
    assert out == "a b c d"


# --- reencode_badly ---------------------------------------------------------------


def test_reencode_plain_ascii_unchanged() -> None:
    for text in ("Hello, world!", "", "code `x` {y} [z] ~ | ^ \\", "tab\tok"):
        assert reencode_badly(text) == text


def test_reencode_replaces_non_gsm() -> None:
    assert reencode_badly("Merci, ça coûte 5€") == "Merci, ?a co?te 5€"
    assert reencode_badly("Привет") == "??????"
    assert reencode_badly(f"ok {EMOJI}") == "ok ?"
    # GSM-7 accented letters are kept when other characters were replaced.
    assert reencode_badly("déjà vu ç") == "déjà vu ?"


def test_reencode_pure_gsm_loses_accents() -> None:
    # á is not GSM-7: only it is replaced, the GSM-7 accents survive.
    assert reencode_badly("Très élevé à Málaga") == "Très élevé à M?laga"
    assert reencode_badly("Très élevé, où?") == "Tres eleve, ou?"
    assert reencode_badly("Ärger mit Öl, Straße") == "Arger mit Ol, Strasse"
    assert reencode_badly("ÇA ÆØÅ ñ ü ì ò") == "CA AEOA n u i o"
    assert reencode_badly("ΔΩ") == "??"
    assert reencode_badly("£5 €10 ¿¡§") == "£5 €10 ¿¡§"  # no letters to spoil


def test_reencode_keeps_extension_chars() -> None:
    assert reencode_badly("5€ [ж]") == "5€ [?]"


_NON_ASCII_GSM_LETTERS = sorted(c for c in GSM7_BASIC if c.isalpha() and not c.isascii())


@given(
    st.text(max_size=80),
    st.one_of(
        st.sampled_from(_NON_ASCII_GSM_LETTERS),
        st.characters(min_codepoint=128).filter(str.isalpha),
    ),
    st.text(max_size=80),
)
def test_reencode_changes_any_non_ascii_letter(before: str, letter: str, after: str) -> None:
    text = before + letter + after
    assert reencode_badly(text) != text


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_reencode_ascii_identity(text: str) -> None:
    assert reencode_badly(text) == text


@given(st.text(max_size=200))
def test_reencode_output_is_gsm7_or_ascii(text: str) -> None:
    allowed = GSM7_BASIC | GSM7_EXTENSION
    assert all(c.isascii() or c in allowed for c in reencode_badly(text))


# --- apply_change -----------------------------------------------------------------


def test_apply_change_dispatch() -> None:
    text = "Offre: café à 2€ sur https://x.fr/c " + "x" * 200
    assert apply_change(text, ContentChange.KEPT) == text
    assert apply_change(text, ContentChange.TRUNCATED) == truncate(text)
    assert apply_change(text, ContentChange.LINKS_STRIPPED) == strip_links(text)
    assert apply_change(text, ContentChange.BAD_ENCODING) == reencode_badly(text)
    assert {c.value for c in ContentChange} == {
        "kept",
        "truncated",
        "links_stripped",
        "bad_encoding",
    }


@pytest.mark.parametrize("change", list(ContentChange))
def test_apply_change_every_member(change: ContentChange) -> None:
    assert isinstance(apply_change("hello", change), str)
