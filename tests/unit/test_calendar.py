"""Section 1 of BILLING_RULES.md: the calendar of a cycle."""

from __future__ import annotations

import calendar as stdlib_calendar
from datetime import UTC, date, datetime, timedelta

import pytest
from unit.scenario_builder import invoice, steady

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
    assert len(period.dates()) == days and period.dates()[0] == start and period.dates()[-1] == end


@pytest.mark.parametrize("year", [2026, 2027, 2028, 2100])  # 2100 is not a leap year
def test_every_period_of_a_year_is_as_long_as_the_month_it_starts_in(year):
    for month in range(1, 13):
        period = Cycle(year, month).advance_period  # starts on the 24th of this month
        assert period.days == stdlib_calendar.monthrange(year, month)[1]


def test_periods_follow_each_other_without_gap_or_overlap():
    cycle = Cycle.parse("2027-10")
    for _ in range(30):
        assert cycle.closed_period.end + timedelta(days=1) == cycle.advance_period.start
        assert cycle.advance_period == cycle.next().closed_period
        cycle = cycle.next()


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


def test_key_dates_come_in_calendar_order():
    events = CycleCalendar.of(Cycle.parse("2026-11")).key_dates()
    assert [day for day, _ in events] == sorted(day for day, _ in events)
    assert events[0] == (date(2026, 10, 24), "Closed period starts")
    assert events[-1] == (date(2026, 12, 16), "Restriction date")


def test_december_cycle_is_due_in_january():
    calendar = CycleCalendar.of(Cycle.parse("2026-12"))
    assert (calendar.due_date, calendar.restriction_date) == (date(2027, 1, 1), date(2027, 1, 16))


def test_restriction_date_is_15_days_after_the_due_date_even_after_a_short_month():
    calendar = CycleCalendar.of(Cycle.parse("2027-01"))  # due 2027-02-01
    assert calendar.restriction_date == date(2027, 2, 16)


@pytest.mark.parametrize(("cycle", "closed", "advance", "dates"), [
    ("2026-11", ("2026-10-24", "2026-11-23", 31), ("2026-11-24", "2026-12-23", 30),
     ("2026-11-25", "2026-12-01", "2026-12-16")),
    ("2026-03", ("2026-02-24", "2026-03-23", 28), ("2026-03-24", "2026-04-23", 31),
     ("2026-03-25", "2026-04-01", "2026-04-16")),
    ("2028-03", ("2028-02-24", "2028-03-23", 29), ("2028-03-24", "2028-04-23", 31),
     ("2028-03-25", "2028-04-01", "2028-04-16")),
    ("2028-02", ("2028-01-24", "2028-02-23", 31), ("2028-02-24", "2028-03-23", 29),
     ("2028-02-25", "2028-03-01", "2028-03-16")),
    ("2026-10", ("2026-09-24", "2026-10-23", 30), ("2026-10-24", "2026-11-23", 31),
     ("2026-10-25", "2026-11-01", "2026-11-16")),
    ("2026-12", ("2026-11-24", "2026-12-23", 30), ("2026-12-24", "2027-01-23", 31),
     ("2026-12-25", "2027-01-01", "2027-01-16")),
])
def test_the_invoice_states_its_periods_and_key_dates(cycle, closed, advance, dates):
    doc = invoice(cycle=cycle, users=steady(1))
    assert doc["cycle"] == cycle
    assert tuple(doc["closed_period"].values()) == closed
    assert tuple(doc["advance_period"].values()) == advance
    assert (doc["invoice_date"], doc["due_date"], doc["restriction_date"]) == dates


@pytest.mark.parametrize(("day", "cycle"), [
    (date(2026, 11, 23), "2026-11"), (date(2026, 11, 24), "2026-12"), (date(2026, 12, 31), "2027-01"),
    (date(2026, 10, 24), "2026-11"),
])
def test_a_day_belongs_to_the_cycle_whose_closed_period_holds_it(day, cycle):
    assert str(Cycle.containing(day)) == cycle
    assert day in Cycle.parse(cycle).closed_period


@pytest.mark.parametrize(("day", "cycle"), [
    (date(2026, 11, 24), "2026-10"), (date(2026, 11, 25), "2026-11"), (date(2027, 1, 3), "2026-12"),
])
def test_the_latest_invoiced_cycle_changes_on_the_25th(day, cycle):
    assert str(Cycle.invoiced_on_or_before(day)) == cycle


def test_a_utc_timestamp_is_dated_in_the_billing_zone():
    assert billing_date(datetime(2026, 11, 24, 3, 30, tzinfo=UTC)) == date(2026, 11, 23)
    assert billing_date(datetime(2026, 11, 24, 5, 0, tzinfo=UTC)) == date(2026, 11, 24)
    assert billing_date(datetime(2026, 11, 24, 3, 30, tzinfo=UTC), "America/Los_Angeles") == date(2026, 11, 23)


def test_the_billing_zone_follows_daylight_saving_time():
    # 2026-10-24 is in EDT (UTC-4): 03:59 UTC is still the 23rd, 04:00 UTC is the 24th.
    assert billing_date(datetime(2026, 10, 24, 3, 59, tzinfo=UTC)) == date(2026, 10, 23)
    assert billing_date(datetime(2026, 10, 24, 4, 0, tzinfo=UTC)) == date(2026, 10, 24)
    # 2026-11-24 is in EST (UTC-5): 04:59 UTC is still the 23rd.
    assert billing_date(datetime(2026, 11, 24, 4, 59, tzinfo=UTC)) == date(2026, 11, 23)


def test_a_timestamp_without_an_offset_is_refused():
    with pytest.raises(ValueError, match="no UTC offset"):
        billing_date(datetime(2026, 11, 24, 3, 30))


@pytest.mark.parametrize("text", ["2026-02-30", "2027-02-29", "20261105", "2026-1-5", "", "2026-11-05T00:00",
                                  " 2026-11-05", "２０２６-11-05"])
def test_dates_must_be_real_and_written_yyyy_mm_dd(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_leap_day_2028_is_a_date():
    assert parse_date("2028-02-29") == date(2028, 2, 29)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-11", "2026-11-01", "2026/11", "2026-1"])
def test_cycles_must_be_yyyy_mm(text):
    with pytest.raises(ValueError):
        Cycle.parse(text)


def test_cycles_order_and_step_across_years():
    assert Cycle.parse("2026-12").next() == Cycle.parse("2027-01")
    assert Cycle.parse("2027-01").previous() == Cycle.parse("2026-12")
    assert Cycle.parse("2026-11").plus(-12) == Cycle.parse("2025-11")
    assert Cycle.parse("2026-09") < Cycle.parse("2026-10") < Cycle.parse("2027-01")
    assert Cycle.parse("2027-02").months_since(Cycle.parse("2026-11")) == 3
