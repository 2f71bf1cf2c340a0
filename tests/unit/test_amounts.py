"""The one parser of money typed by people (forms, the command line, CSV)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.money import AmountError, parse_amount


@pytest.mark.parametrize(("text", "amount"), [
    ("1000", "1000.00"),
    ("1000.00", "1000.00"),
    ("1,000.00", "1000.00"),
    ("$1,000.00", "1000.00"),
    ("  $12,345,678.9 ", "12345678.90"),
    ("0.01", "0.01"),
    ("125.000", "125.00"),
    ("999999999999.99", "999999999999.99"),
])
def test_what_a_person_types_is_read_as_the_amount_they_meant(text, amount):
    assert parse_amount(text) == Decimal(amount)
    assert str(parse_amount(text)) == amount, "money comes back in cents"


@pytest.mark.parametrize(("text", "problem"), [
    ("", "is required"),
    ("   ", "is required"),
    ("1e3", "not as an exponent"),
    ("1E+3", "not as an exponent"),
    ("1_000", "underscores"),
    ("\u0661\u0660\u0660\u0660", "digits 0-9"),
    ("\uff11\uff10\uff10", "digits 0-9"),
    ("10.005", "more than 2 decimal places"),
    ("-5", "must not be negative"),
    ("$-5.00", "must not be negative"),
    ("\u22125", "must not be negative"),
    ("+5", "without a sign"),
    ("1,00", "thousands separators in the wrong places"),
    ("10,0000.00", "thousands separators in the wrong places"),
    ("1 000", "is not an amount"),
    ("NaN", "is not an amount"),
    ("Infinity", "is not an amount"),
    ("ten", "is not an amount"),
    ("1.", "is not an amount"),
    (".5", "is not an amount"),
    ("1000000000000", "larger than any amount"),
    ("9" * 1_000_000, "too long"),
])
def test_anything_else_is_refused_with_the_reason_in_words(text, problem):
    with pytest.raises(AmountError, match=problem):
        parse_amount(text)


def test_rates_keep_up_to_four_places_as_written():
    assert str(parse_amount("0.0150", places=4)) == "0.0150"
    assert str(parse_amount("$150", places=4)) == "150"
    assert str(parse_amount("0.01500", places=4)) == "0.0150"
    with pytest.raises(AmountError, match="more than 4 decimal places"):
        parse_amount("0.01505", places=4)


@pytest.mark.parametrize(("text", "problem"), [
    ("$150.00", "without a currency sign"),
    ("1,000.00", "without thousands separators"),
    ("1e3", "exponent"),
])
def test_a_csv_cell_is_a_plain_decimal(text, problem):
    assert parse_amount("1000.00", typed=False) == Decimal("1000.00")
    with pytest.raises(AmountError, match=problem):
        parse_amount(text, typed=False)

