"""Where the billing cycle stands on a given day.

The *current cycle* is the one whose invoice is next to be issued: from the
26th it is next month's, up to and including the 25th it is this month's. On
the 24th and 25th its closed period is over (past the cutoff) and its
invoices are waiting to be issued.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from billing import Cycle, CycleCalendar


def current_cycle(today: date) -> Cycle:
    cycle = Cycle(today.year, today.month)
    return cycle if today <= cycle.invoice_date else cycle.next()


@dataclass(frozen=True)
class CycleClock:
    """Days to each milestone of the current cycle, as of ``today``."""

    today: date
    calendar: CycleCalendar

    @property
    def cycle(self) -> Cycle:
        return self.calendar.cycle

    @property
    def days_to_cutoff(self) -> int:
        return (self.calendar.cutoff - self.today).days

    @property
    def days_to_invoice(self) -> int:
        return (self.calendar.invoice_date - self.today).days

    @property
    def past_cutoff(self) -> bool:
        return self.today > self.calendar.cutoff

    @property
    def next_reminder(self) -> date:
        """The next housekeeping reminder, this cycle's or else the next one's."""
        upcoming = [d for d in self.calendar.reminders if d >= self.today]
        return upcoming[0] if upcoming else self.cycle.next().reminder_dates()[0]

    @property
    def period_day(self) -> int:
        """Day number of ``today`` inside the running closed period (1-based)."""
        return min(self.calendar.closed_period.days, max(0, (self.today - self.calendar.closed_period.start).days + 1))


def cycle_clock(today: date) -> CycleClock:
    return CycleClock(today, CycleCalendar.of(current_cycle(today)))


def recent_cycles(today: date, count: int = 14) -> list[Cycle]:
    """The current cycle, the next one and ``count`` before, newest first."""
    newest = current_cycle(today).next()
    return [newest.plus(-i) for i in range(count + 2)]


def calendar_cycles(today: date) -> list[Cycle]:
    """The cycles whose dates matter today: the one just invoiced (its due
    and restriction dates are still ahead in the first half of the month),
    the current one and the next."""
    current = current_cycle(today)
    return [current.previous(), current, current.next()]


# When an alarm rings, relative to the start (midnight) of the all-day event:
# the afternoon before the cutoff, and the morning of the due and restriction dates.
ALARMS = {"Cutoff (end of day)": "-PT9H", "Due date": "PT9H", "Restriction date": "PT9H"}


def ics_calendar(cycles: list[Cycle], *, stamp: date, alarms: bool = False) -> bytes:
    """Key dates of ``cycles`` as an iCalendar file (all-day events); with
    ``alarms``, a reminder before the cutoff and on the due and restriction dates."""
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Dialer Billing Dashboard//Cycle calendar//EN",
        "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:Dialer billing cycles",
    ]
    for cycle in cycles:
        for day, name in CycleCalendar.of(cycle).key_dates():
            uid = f"{cycle}-{day.isoformat()}-{name.lower().replace(' ', '-').replace('(', '').replace(')', '')}@dialer-billing"
            lines += [
                "BEGIN:VEVENT",
                f"UID:{uid}",
                f"DTSTAMP:{stamp:%Y%m%d}T000000Z",
                f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
                f"SUMMARY:{name} (cycle {cycle})",
                "TRANSP:TRANSPARENT",
            ]
            if alarms and name in ALARMS:
                lines += ["BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{name} (cycle {cycle})",
                          f"TRIGGER;RELATED=START:{ALARMS[name]}", "END:VALARM"]
            lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()
