"""Section 1 of BILLING_RULES.md: the calendar of a cycle."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from billing import Cycle, CycleCalendar, billing_date
from billing.calendar import parse_date


@pytest.mark.parametrize(
    ("cycle", "start", "end", "days"),
    [
        ("2026-11", date(2026, 10, 24), date(2026, 11, 23), 31),  # starts in October: 31 days
        ("2026-10", date(2026, 9, 24), date(2026, 10, 23), 30),  # starts in September: 30 days
        ("2026-03", date(2026, 2, 24), date(2026, 3, 23), 28),  # starts in February: 28 days
        ("2028-03", date(2028, 2, 24), date(2028, 3, 23), 29),  # leap February: 29 days
        ("2027-01", date(2026, 12, 24), date(2027, 1, 23), 31),  # across the new year
    ],
)
def test_closed_period_runs_24th_to_23rd_and_is_as_long_as_the_month_it_starts_in(cycle, start, end, days):
    period = Cycle.parse(cycle).closed_period
    assert (period.start, period.end, period.days) == (start, end, days)


def test_advance_period_is_the_next_period():
    calendar = CycleCalendar.of(Cycle.parse("2026-11"))
    assert (calendar.advance_period.start, calendar.advance_period.end, calendar.advance_period.days) == (
        date(2026, 11, 24), date(2026, 12, 23), 30)


def test_key_dates_of_a_cycle():
    calendar = CycleCalendar.of(Cycle.parse("2026-11"))
    assert calendar.reminders == (date(2026, 11, 18), date(2026, 11, 22))
    assert calendar.cutoff == date(2026, 11, 23)
    assert calendar.invoice_date == date(2026, 11, 25)
    assert calendar.due_date == date(2026, 12, 1)
    assert calendar.restriction_date == date(2026, 12, 16)


def test_december_cycle_is_due_in_january():
    calendar = CycleCalendar.of(Cycle.parse("2026-12"))
    assert (calendar.due_date, calendar.restriction_date) == (date(2027, 1, 1), date(2027, 1, 16))


@pytest.mark.parametrize(("day", "cycle"), [
    (date(2026, 11, 23), "2026-11"), (date(2026, 11, 24), "2026-12"), (date(2026, 12, 31), "2027-01"),
])
def test_a_day_belongs_to_the_cycle_whose_closed_period_holds_it(day, cycle):
    assert str(Cycle.containing(day)) == cycle


def test_a_utc_timestamp_is_dated_in_the_billing_zone():
    assert billing_date(datetime(2026, 11, 24, 3, 30, tzinfo=timezone.utc)) == date(2026, 11, 23)
    assert billing_date(datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc)) == date(2026, 11, 24)
    assert billing_date(datetime(2026, 11, 24, 3, 30, tzinfo=timezone.utc), "America/Los_Angeles") == date(2026, 11, 23)


def test_a_timestamp_without_an_offset_is_refused():
    with pytest.raises(ValueError, match="no UTC offset"):
        billing_date(datetime(2026, 11, 24, 3, 30))


@pytest.mark.parametrize("text", ["2026-02-30", "20261105", "2026-1-5", "", "2026-11-05T00:00"])
def test_dates_must_be_real_and_written_yyyy_mm_dd(text):
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-11", "2026-11-01", "2026/11"])
def test_cycles_must_be_yyyy_mm(text):
    with pytest.raises(ValueError):
        Cycle.parse(text)
