"""Tests for sim.world.encoding: GSM 03.38 alphabet, detection and segmentation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.world.encoding import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    MAX_SEGMENTS,
    Encoding,
    SegmentInfo,
    check_text,
    detect_encoding,
    segment_info,
    split_segments,
)

EMOJI = "\U0001f600"
GSM_CHARS = sorted(GSM7_BASIC | GSM7_EXTENSION)


def _units(part: str, encoding: Encoding) -> int:
    """Units of ``part`` when sent in ``encoding`` (independent reimplementation)."""
    if encoding is Encoding.GSM7:
        return sum(2 if c in GSM7_EXTENSION else 1 for c in part)
    return len(part.encode("utf-16-le")) // 2


def test_alphabet_sizes() -> None:
    assert len(GSM7_BASIC) == 127  # 128 code points minus ESC
    assert "\x1b" not in GSM7_BASIC
    assert frozenset("^{}\\[~]|€\f") == GSM7_EXTENSION
    assert not GSM7_BASIC & GSM7_EXTENSION
    for c in "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà":
        assert c in GSM7_BASIC
    for c in "`çÀáíóú\t":
        assert c not in GSM7_BASIC


@pytest.mark.parametrize(
    ("length", "segments"), [(0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3)]
)
def test_gsm7_boundaries(length: int, segments: int) -> None:
    info = segment_info("a" * length)
    assert info == SegmentInfo(Encoding.GSM7, length, segments)
    assert len(split_segments("a" * length)) == segments


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_ucs2_boundaries(length: int, segments: int) -> None:
    text = "ж" * length
    assert segment_info(text) == SegmentInfo(Encoding.UCS2, length, segments)
    assert len(split_segments(text)) == segments


def test_empty_text_is_one_segment() -> None:
    assert segment_info("") == SegmentInfo(Encoding.GSM7, 0, 1)
    assert split_segments("") == [""]


def test_extension_char_costs_two_septets() -> None:
    assert segment_info("€").units == 2
    assert segment_info("a" * 158 + "€") == SegmentInfo(Encoding.GSM7, 160, 1)
    text = "a" * 159 + "€"  # 160 characters, 161 septets
    assert len(text) == 160
    assert segment_info(text) == SegmentInfo(Encoding.GSM7, 161, 2)


def test_escape_pair_not_split_at_153() -> None:
    text = "a" * 152 + "€" + "b" * 10  # the pair would occupy septets 153-154
    parts = split_segments(text)
    assert parts == ["a" * 152, "€" + "b" * 10]
    assert segment_info(text).segments == 2
    fits = "a" * 151 + "€" + "b" * 10  # pair occupies septets 152-153: stays
    assert split_segments(fits)[0] == "a" * 151 + "€"


def test_escape_pairs_push_extra_segment() -> None:
    text = "€" * 153  # 306 septets, but only 76 pairs fit per part
    assert segment_info(text) == SegmentInfo(Encoding.GSM7, 306, 3)
    assert [len(p) for p in split_segments(text)] == [76, 76, 1]


def test_emoji_counts_two_units_and_is_not_split() -> None:
    assert segment_info(EMOJI) == SegmentInfo(Encoding.UCS2, 2, 1)
    assert segment_info("a" * 68 + EMOJI) == SegmentInfo(Encoding.UCS2, 70, 1)
    assert segment_info("a" * 69 + EMOJI).segments == 2
    text = "a" * 66 + EMOJI + "b" * 10  # the pair would straddle units 67-68
    assert split_segments(text) == ["a" * 66, EMOJI + "b" * 10]


def test_detection_french() -> None:
    assert detect_encoding("Ça va très bien") is Encoding.GSM7
    assert detect_encoding("français") is Encoding.UCS2
    assert detect_encoding("Prix: 5€ [promo]") is Encoding.GSM7
    assert detect_encoding("") is Encoding.GSM7
    assert detect_encoding("back`tick") is Encoding.UCS2


def test_check_text() -> None:
    assert check_text("hello") == SegmentInfo(Encoding.GSM7, 5, 1)
    with pytest.raises(
        ValueError, match=r"^text needs 12 segments \(ucs2, 790 units\); the limit is 10$"
    ):
        check_text("ж" * 790)
    assert check_text("ж" * 790, max_segments=12).segments == 12
    with pytest.raises(ValueError, match="max_segments"):
        check_text("x", max_segments=0)
    with pytest.raises(ValueError, match="max_segments"):
        check_text("x", max_segments=MAX_SEGMENTS + 1)


def test_gsm_part_of_ucs2_text_uses_ucs2_units() -> None:
    text = "ж" + "€" * 100
    assert segment_info(text) == SegmentInfo(Encoding.UCS2, 101, 2)
    assert [len(p) for p in split_segments(text)] == [67, 34]


def test_long_text_is_linear_enough() -> None:
    text = ("€a" * 20_000) + EMOJI
    info = segment_info(text)
    assert info.segments == len(split_segments(text))


texts = st.one_of(
    st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=700),
    st.text(alphabet=st.sampled_from(["a", "€", "é", "[", "ж", EMOJI]), max_size=700),
    st.text(max_size=400),
)


@given(texts)
def test_split_rejoins(text: str) -> None:
    assert "".join(split_segments(text)) == text


@given(texts)
def test_split_count_matches_info(text: str) -> None:
    assert len(split_segments(text)) == segment_info(text).segments


@given(texts)
def test_every_part_fits(text: str) -> None:
    info = segment_info(text)
    parts = split_segments(text)
    if info.segments == 1:
        limit = 160 if info.encoding is Encoding.GSM7 else 70
    else:
        limit = 153 if info.encoding is Encoding.GSM7 else 67
    for part in parts:
        assert _units(part, info.encoding) <= limit
        assert part or text == ""
    assert sum(_units(p, info.encoding) for p in parts) == info.units


@given(texts, st.characters())
def test_segments_monotone_when_appending(text: str, char: str) -> None:
    assert segment_info(text + char).segments >= segment_info(text).segments
