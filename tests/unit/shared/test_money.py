"""shared.money: one rounding rule (half up, to the cent), tolerant parsing, 2-decimal wire form."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.money import CENT, ZERO, format_amount, parse_amount, to_cents


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.005"), Decimal("0.01")),
        (Decimal("0.004"), Decimal("0.00")),
        (Decimal("2.675"), Decimal("2.68")),
        (Decimal("2.665"), Decimal("2.67")),
        (Decimal("1.2349"), Decimal("1.23")),
        (Decimal("-0.005"), Decimal("-0.01")),
        (Decimal("-2.675"), Decimal("-2.68")),
        (Decimal("10"), Decimal("10.00")),
        (Decimal("1E+3"), Decimal("1000.00")),
    ],
    ids=str,
)
def test_to_cents_rounds_half_up_away_from_zero(value: Decimal, expected: Decimal) -> None:
    assert to_cents(value) == expected


def test_to_cents_always_has_two_places() -> None:
    assert to_cents(Decimal("7")).as_tuple().exponent == -2
    assert to_cents(Decimal("7.1")).as_tuple().exponent == -2


def test_constants() -> None:
    assert Decimal("0.01") == CENT
    assert str(ZERO) == "0.00"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.34", Decimal("12.34")),
        ("12.345", Decimal("12.345")),
        ("12", Decimal("12")),
        ("  12.30 \t", Decimal("12.30")),
        ("-5.5", Decimal("-5.5")),
        ("0", Decimal("0")),
        (12, Decimal("12")),
        (0, Decimal("0")),
        (-3, Decimal("-3")),
        (Decimal("1.005"), Decimal("1.005")),
    ],
    ids=repr,
)
def test_parse_amount_accepts_strings_ints_and_decimals(
    value: str | int | Decimal, expected: Decimal
) -> None:
    parsed = parse_amount(value)
    assert isinstance(parsed, Decimal)
    assert parsed == expected


def test_parse_amount_keeps_every_decimal_it_was_given() -> None:
    """No rounding on the way in: rounding happens once, in to_cents."""
    assert parse_amount("1.23456").as_tuple().exponent == -5


@pytest.mark.parametrize(
    "value",
    [1.5, 0.0, True, False],
    ids=repr,
)
def test_parse_amount_refuses_floats_and_bools(value: object) -> None:
    with pytest.raises(ValueError, match="float"):
        parse_amount(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        "NaN",
        "nan",
        "sNaN",
        "Infinity",
        "-Infinity",
        "inf",
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
    ],
    ids=repr,
)
def test_parse_amount_refuses_non_finite(value: str | Decimal) -> None:
    with pytest.raises(ValueError, match="finite"):
        parse_amount(value)


@pytest.mark.parametrize(
    "value",
    ["", "   ", "abc", "12,34", "1.2.3", "¥12.00", "12元", "--1"],
    ids=repr,
)
def test_parse_amount_refuses_garbage_strings(value: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(value)


@pytest.mark.parametrize("value", [None, [], {}, b"12.00"], ids=repr)
def test_parse_amount_refuses_other_types(value: object) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0"), "0.00"),
        (Decimal("12"), "12.00"),
        (Decimal("12.3"), "12.30"),
        (Decimal("12.345"), "12.35"),
        (Decimal("2.675"), "2.68"),
        (Decimal("-12.345"), "-12.35"),
        (Decimal("1234567.891"), "1234567.89"),
        (Decimal("1E+3"), "1000.00"),
    ],
    ids=str,
)
def test_format_amount_gives_exactly_two_decimals(value: Decimal, expected: str) -> None:
    assert format_amount(value) == expected


@pytest.mark.parametrize("value", [Decimal("-0.004"), Decimal("-0.00")], ids=str)
def test_format_amount_never_writes_negative_zero(value: Decimal) -> None:
    assert format_amount(value) == "0.00"


@pytest.mark.parametrize("value", ["1e3", "1E+30", "1_000", "0x10", "1.2.3"], ids=repr)
def test_parse_amount_refuses_anything_but_a_plain_decimal(value: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        parse_amount(value)


@pytest.mark.parametrize("value", ["1000000000000", 10**13, Decimal("-1E+12")], ids=repr)
def test_parse_amount_refuses_amounts_no_column_can_hold(value: str | int | Decimal) -> None:
    with pytest.raises(ValueError, match="out of range"):
        parse_amount(value)
