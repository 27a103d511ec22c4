"""Tests for sim.world.sender: originator classification and E.164 numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.world.sender import (
    SenderType,
    classify_sender,
    normalize_e164,
    random_numeric_sender,
)

# --- classify_sender --------------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "kind"),
    [
        ("ACME", SenderType.ALPHANUMERIC),
        ("A", SenderType.ALPHANUMERIC),
        ("ACME Bank", SenderType.ALPHANUMERIC),
        ("Tom&Jerry's", SenderType.ALPHANUMERIC),  # exactly 11
        ("my-shop_1.0", SenderType.ALPHANUMERIC),
        ("2FA", SenderType.ALPHANUMERIC),
        ("123", SenderType.SHORTCODE),
        ("12345678", SenderType.SHORTCODE),
        ("123456789", SenderType.LONGCODE),
        ("33612345678", SenderType.LONGCODE),
        ("+33612345678", SenderType.LONGCODE),
        ("+123456789012345", SenderType.LONGCODE),
    ],
)
def test_classify_valid(sender: str, kind: SenderType) -> None:
    assert classify_sender(sender) is kind


@pytest.mark.parametrize(
    ("sender", "reason"),
    [
        ("", "empty"),
        ("ACME Bank Ltd", r"too long for alphanumeric \(max 11\)"),
        ("ACME!", "invalid characters '!'"),
        ("Café", "invalid characters 'é'"),
        ("12", "neither a short code"),
        ("1234567890123456", "neither a short code"),
        ("+12345678", "neither a short code"),  # + with 8 digits is not a short code
        ("+", "long code is \\+ followed by digits only"),
        ("+33 6 12", "long code is \\+ followed by digits only"),
        ("   ", "at least one letter"),
        ("12.34", "at least one letter"),
        ("line\nbreak", "invalid characters"),
    ],
)
def test_classify_invalid(sender: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as info:
        classify_sender(sender)
    message = str(info.value)
    assert message.startswith("sender ")
    assert "\n" not in message


def test_classify_error_names_sender_and_clips_it() -> None:
    with pytest.raises(ValueError, match=r"^sender 'ACME Bank Ltd': too long"):
        classify_sender("ACME Bank Ltd")
    with pytest.raises(ValueError) as info:
        classify_sender("X" * 100)
    assert "…" in str(info.value)
    assert len(str(info.value)) < 100


# --- random_numeric_sender --------------------------------------------------------


def test_random_numeric_sender_shape() -> None:
    assert random_numeric_sender("33", 0.0) == "+33100000000"
    assert random_numeric_sender("+33", 0.0) == "+33100000000"
    assert random_numeric_sender("1", 0.999999999999) == "+1999999999"
    assert random_numeric_sender("44", 0.5) == "+44550000000"


@pytest.mark.parametrize(("cc", "u"), [("", 0.5), ("033", 0.5), ("1234", 0.5), ("3a", 0.5)])
def test_random_numeric_sender_bad_country(cc: str, u: float) -> None:
    with pytest.raises(ValueError, match="country code"):
        random_numeric_sender(cc, u)


@pytest.mark.parametrize("u", [-0.1, 1.0, float("nan"), 2.0])
def test_random_numeric_sender_bad_u(u: float) -> None:
    with pytest.raises(ValueError, match=r"u must be in \[0, 1\)"):
        random_numeric_sender("33", u)


@given(st.sampled_from(["1", "33", "44", "221", "+49"]), st.floats(0.0, 1.0, exclude_max=True))
def test_random_numeric_sender_is_valid_longcode(cc: str, u: float) -> None:
    number = random_numeric_sender(cc, u)
    assert number == random_numeric_sender(cc, u)  # deterministic
    assert classify_sender(number) is SenderType.LONGCODE
    assert normalize_e164(number) == number
    assert number.startswith("+" + cc.removeprefix("+"))
    assert len(number) == 1 + len(cc.removeprefix("+")) + 9


@given(st.floats(0.0, 1.0, exclude_max=True), st.floats(0.0, 1.0, exclude_max=True))
def test_random_numeric_sender_monotone(u: float, v: float) -> None:
    low, high = sorted((u, v))
    assert random_numeric_sender("33", low) <= random_numeric_sender("33", high)


# --- normalize_e164 ---------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "+33612345678",
        "0033 6 12 34 56 78",
        "+33 (6) 12-34-56-78",
        "+33.6.12.34.56.78",
        "  +33 6 12 34 56 78 ",
        "+33 (0)6 12 34 56 78",
        "0033 (0) 612345678",
    ],
)
def test_normalize_valid_french(number: str) -> None:
    assert normalize_e164(number) == "+33612345678"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("+1 (415) 555-0100", "+14155550100"),
        ("+4915112345678", "+4915112345678"),
        ("+12345678", "+12345678"),  # 8 digits: minimum
        ("+123456789012345", "+123456789012345"),  # 15 digits: maximum
    ],
)
def test_normalize_valid_other(number: str, expected: str) -> None:
    assert normalize_e164(number) == expected


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("0612", r"^number '0612': not E\.164 \(needs \+ and 8-15 digits\)$"),
        ("0612345678", r"not E\.164"),
        ("", r"^number '': not E\.164"),
        ("+", r"got 0\)"),
        ("+1234567", r"got 7\)"),
        ("+1234567890123456", r"got 16\)"),
        ("+33 6 12 AB 56 78", "invalid characters 'AB'"),
        ("++33612345678", r"invalid characters '\+'"),
        ("+0612345678", "cannot start with 0"),
        ("000612345678", "cannot start with 0"),
    ],
)
def test_normalize_invalid(number: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as info:
        normalize_e164(number)
    assert str(info.value).startswith("number ")
    assert "\n" not in str(info.value)
