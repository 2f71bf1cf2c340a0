"""The billing calendar: cycles, periods and their key dates.

A *cycle* is named by the month of its invoice (``2026-11``). Its *closed
period* runs from the 24th of the previous month through the 23rd of the
invoice month; its *advance period* is the next such period, billed in
advance. Everything here is calendar arithmetic on billing-local dates; the
one place a timestamp becomes a date is :func:`billing_date`, so every layer
agrees on which day a call or an activation belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "America/New_York"
PERIOD_START_DAY = 24
CUTOFF_DAY = 23
REMINDER_DAYS = (18, 22)
INVOICE_DAY = 25
RESTRICTION_AFTER_DAYS = 15

_CYCLE_TEXT = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True, order=True)
class Cycle:
    """A billing cycle, named by its invoice month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Cycle:
        match = _CYCLE_TEXT.fullmatch(text) if isinstance(text, str) else None
        if not match:
            raise ValueError(f"must be a cycle YYYY-MM, got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, day: date) -> Cycle:
        """The cycle whose closed period contains ``day``.

        On 2026-11-25 that is ``2026-12``: its period is the one running now.
        """
        cycle = cls(day.year, day.month)
        return cycle.next() if day.day >= PERIOD_START_DAY else cycle

    @classmethod
    def invoiced_on_or_before(cls, day: date) -> Cycle:
        """The latest cycle whose invoice date is on or before ``day``."""
        cycle = cls(day.year, day.month)
        return cycle if day.day >= INVOICE_DAY else cycle.previous()

    def next(self) -> Cycle:
        return self.plus(1)

    def previous(self) -> Cycle:
        return self.plus(-1)

    def plus(self, months: int) -> Cycle:
        index = self.year * 12 + (self.month - 1) + months
        return Cycle(index // 12, index % 12 + 1)

    def months_since(self, other: Cycle) -> int:
        return (self.year - other.year) * 12 + (self.month - other.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    # --- key dates -------------------------------------------------------
    @property
    def closed_period(self) -> Period:
        return Period.starting(self.previous())

    @property
    def advance_period(self) -> Period:
        return Period.starting(self)

    def reminder_dates(self) -> tuple[date, date]:
        return tuple(date(self.year, self.month, d) for d in REMINDER_DAYS)  # type: ignore[return-value]

    @property
    def cutoff(self) -> date:
        """The last day of the closed period; usage is final at its end."""
        return date(self.year, self.month, CUTOFF_DAY)

    @property
    def invoice_date(self) -> date:
        return date(self.year, self.month, INVOICE_DAY)

    @property
    def due_date(self) -> date:
        following = self.next()
        return date(following.year, following.month, 1)

    @property
    def restriction_date(self) -> date:
        return restriction_date_for(self.due_date)


def restriction_date_for(due: date) -> date:
    """Dialer access is restricted from 15 days after the due date."""
    return due + timedelta(days=RESTRICTION_AFTER_DAYS)


@dataclass(frozen=True)
class Period:
    """An inclusive run of billing days ``start..end``."""

    start: date
    end: date

    @classmethod
    def starting(cls, month: Cycle) -> Period:
        """The period that starts on the 24th of ``month``'s month.

        Its length is the length of the month it starts in (28–31 days).
        """
        start = date(month.year, month.month, PERIOD_START_DAY)
        following = month.next()
        return cls(start, date(following.year, following.month, CUTOFF_DAY))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    @property
    def day_before(self) -> date:
        return self.start - timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


@dataclass(frozen=True)
class CycleCalendar:
    """Every key date of one cycle, as people talk about them."""

    cycle: Cycle
    closed_period: Period
    advance_period: Period
    reminders: tuple[date, date]
    cutoff: date
    invoice_date: date
    due_date: date
    restriction_date: date

    @classmethod
    def of(cls, cycle: Cycle) -> CycleCalendar:
        return cls(
            cycle=cycle,
            closed_period=cycle.closed_period,
            advance_period=cycle.advance_period,
            reminders=cycle.reminder_dates(),
            cutoff=cycle.cutoff,
            invoice_date=cycle.invoice_date,
            due_date=cycle.due_date,
            restriction_date=cycle.restriction_date,
        )

    def key_dates(self) -> list[tuple[date, str]]:
        """(date, name) pairs in calendar order, for calendars and .ics files."""
        events = [
            (self.closed_period.start, "Closed period starts"),
            (self.reminders[0], "Housekeeping reminder 1"),
            (self.reminders[1], "Housekeeping reminder 2"),
            (self.cutoff, "Cutoff (end of day)"),
            (self.invoice_date, "Invoice date"),
            (self.due_date, "Due date"),
            (self.restriction_date, "Restriction date"),
        ]
        return sorted(events, key=lambda event: event[0])


_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(text: str) -> date:
    """Strict ``YYYY-MM-DD`` (``date.fromisoformat`` also takes ``20261105``)."""
    if not isinstance(text, str) or not _DATE_TEXT.fullmatch(text):
        raise ValueError(f"must be a date YYYY-MM-DD, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"is not a real date: {text!r}") from None


def billing_date(moment: datetime, zone: str = DEFAULT_ZONE) -> date:
    """The billing-local date of an instant.

    A naive datetime has no instant: refusing it is the only safe answer,
    because guessing a zone moves late-evening calls into the wrong period.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamp has no UTC offset; give one or name the file's time zone")
    return moment.astimezone(ZoneInfo(zone)).date()


def weekday_date(day: date) -> str:
    """``Tue 2026-12-01`` — dates with weekdays, as people scan them."""
    return f"{day:%a} {day.isoformat()}"
