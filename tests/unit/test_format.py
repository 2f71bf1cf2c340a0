"""How numbers read on screen: counts agree with their nouns, signed money has
one minus sign everywhere (the one st.metric reads), empty is a dash."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing.money import format_signed_usd
from ui.format import count, counted, day, days, signed_usd, usd


@pytest.mark.parametrize(("value", "noun", "expected"), [
    (0, "invoice", "0 invoices"), (1, "invoice", "1 invoice"), (2, "invoice", "2 invoices"),
    (1, "agency", "1 agency"), (14, "agency", "14 agencies"), (1, "day", "1 day"), (3, "day", "3 days"),
    (1, "open item", "1 open item"), (1_204, "row", "1,204 rows"),
    (1, "completed appointment", "1 completed appointment"),
])
def test_a_count_agrees_with_its_noun(value, noun, expected):
    assert counted(value, noun) == expected


def test_an_irregular_plural_is_given():
    assert counted(2, "person", "people") == "2 people" and counted(1, "person", "people") == "1 person"


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("1452.18"), "+$1,452.18"), (Decimal("-1452.18"), "-$1,452.18"), (Decimal("0"), "$0.00"),
    (Decimal("-0.01"), "-$0.01"),
])
def test_signed_money_has_one_minus_sign(value, expected):
    assert signed_usd(value) == format_signed_usd(value) == expected
    assert "\u2212" not in signed_usd(value)


def test_a_loss_reads_the_same_signed_or_not():
    assert usd(Decimal("-15961.20")) == signed_usd(Decimal("-15961.20")) == "-$15,961.20"


def test_empty_values_are_a_dash():
    assert usd(None) == signed_usd(None) == day(None) == count(None) == days(None) == "—"


def test_days_and_dates_read_as_words():
    assert days(1) == "1 day" and days(-1) == "-1 day" and days(15) == "15 days"
    assert day(date(2026, 12, 1)) == "Tue 2026-12-01"
