"""The review's thresholds and the approval switch are settings: defaults,
and a bad value stops the start with one line naming the variable."""

from __future__ import annotations

from decimal import Decimal

import pytest

import settings


def test_the_defaults():
    found = settings.current({})
    assert found.approval_required is True
    assert found.review == settings.ReviewThresholds(Decimal("25"), Decimal("1000.00"), Decimal("30"), 3, Decimal("50"), 2)


def test_values_are_read_exactly():
    found = settings.current({"BILLING_APPROVAL_REQUIRED": "0", "BILLING_REVIEW_CHANGE_PCT": "12.5",
                              "BILLING_REVIEW_CHANGE_AMOUNT": "250.00", "BILLING_REVIEW_MINIMUM_CYCLES": "6",
                              "BILLING_REVIEW_QUIET_DAYS": "3"})
    assert found.approval_required is False
    assert (found.review.change_pct, found.review.change_amount) == (Decimal("12.5"), Decimal("250.00"))
    assert (found.review.minimum_cycles, found.review.quiet_days) == (6, 3)


@pytest.mark.parametrize(("name", "value"), [
    ("BILLING_APPROVAL_REQUIRED", "maybe"), ("BILLING_REVIEW_CHANGE_PCT", "-1"), ("BILLING_REVIEW_CHANGE_PCT", "1e3"),
    ("BILLING_REVIEW_CHANGE_AMOUNT", "12.345"), ("BILLING_REVIEW_CHANGE_AMOUNT", "NaN"),
    ("BILLING_REVIEW_IDLE_SEATS_PCT", "101"), ("BILLING_REVIEW_MINIMUM_CYCLES", "1"), ("BILLING_REVIEW_TREND_PCT", "x"),
    ("BILLING_REVIEW_QUIET_DAYS", "0"), ("BILLING_REVIEW_QUIET_DAYS", "٣"),
])
def test_a_bad_value_names_its_variable(name, value):
    with pytest.raises(settings.SettingsError, match=f"^{name}: "):
        settings.current({name: value})
