"""Values as the two drivers return them parse to the same domain values."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from db.raw import as_date, as_instant, as_money, as_optional_date


def test_a_stored_date_reads_the_same_from_text_and_from_a_date():
    assert as_date("2026-11-25") == as_date(date(2026, 11, 25)) == date(2026, 11, 25)
    assert as_optional_date(None) is None


def test_stored_money_keeps_its_exact_digits():
    assert as_money("150.10") == Decimal("150.10")
    assert str(as_money("0.0150")) == "0.0150"
    assert as_money(Decimal("-5.00")) == Decimal("-5.00")


def test_a_timestamp_stored_without_an_offset_is_utc():
    assert as_instant("2026-11-25 14:03:07.123456") == datetime(2026, 11, 25, 14, 3, 7, 123456, tzinfo=UTC)


def test_a_timestamp_with_an_offset_is_the_same_instant_in_utc():
    eastern = timezone(timedelta(hours=-5))
    moment = as_instant(datetime(2026, 11, 25, 9, 3, tzinfo=eastern))
    assert moment == datetime(2026, 11, 25, 14, 3, tzinfo=UTC) and moment.tzinfo is UTC
    assert as_instant("2026-11-25T09:03:00-05:00") == moment
