"""The cycle calendar around a month boundary: the cycle just invoiced stays
on it while its due and restriction dates are ahead, with alarms on demand."""

from __future__ import annotations

from datetime import date

from billing import Cycle
from services.cycles import calendar_cycles, ics_calendar


def test_in_december_the_calendar_still_holds_novembers_due_and_restriction_dates():
    assert [str(c) for c in calendar_cycles(date(2026, 12, 1))] == ["2026-11", "2026-12", "2027-01"]
    text = ics_calendar(calendar_cycles(date(2026, 12, 1)), stamp=date(2026, 12, 1)).decode()
    assert "DTSTART;VALUE=DATE:20261201\r\nDTEND;VALUE=DATE:20261202\r\nSUMMARY:Due date (cycle 2026-11)" in text
    assert "DTSTART;VALUE=DATE:20261216\r\nDTEND;VALUE=DATE:20261217\r\nSUMMARY:Restriction date (cycle 2026-11)" in text


def test_on_the_25th_the_cycle_invoiced_that_day_is_the_current_one_and_the_26th_moves_on():
    assert [str(c) for c in calendar_cycles(date(2026, 11, 25))] == ["2026-10", "2026-11", "2026-12"]
    assert [str(c) for c in calendar_cycles(date(2026, 11, 26))] == ["2026-11", "2026-12", "2027-01"]


def test_alarms_ring_before_the_cutoff_and_on_the_due_and_restriction_dates_only_when_asked():
    cycles = [Cycle.parse("2026-12")]
    plain = ics_calendar(cycles, stamp=date(2026, 12, 1)).decode()
    assert "BEGIN:VALARM" not in plain
    alarmed = ics_calendar(cycles, stamp=date(2026, 12, 1), alarms=True).decode()
    assert alarmed.count("BEGIN:VALARM") == 3
    assert "SUMMARY:Cutoff (end of day) (cycle 2026-12)\r\nTRANSP:TRANSPARENT\r\nBEGIN:VALARM" in alarmed
    assert "TRIGGER;RELATED=START:-PT9H" in alarmed and alarmed.count("TRIGGER;RELATED=START:PT9H") == 2
    assert alarmed.count("BEGIN:VEVENT") == alarmed.count("END:VEVENT") == 7
