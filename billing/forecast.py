"""Where a cycle stands on a day, and its forecast at cutoff.

Before its cutoff a cycle's preview prices usage *so far* against seats and
user-days of the whole period: a low figure that looks final. The forecast
completes the usage: the days not yet past get the agency's recent minutes
per user-day (the rate of section 3 step 3, with the running period counted
only over its elapsed days) times the users active on them, as known now.
Seats, numbers and appointments stay as stored: only usage is forecast, so
only the lines that depend on it (:data:`FORECAST_CODES`) are marked so.

A day is *elapsed* once it is over: on day ``d`` the days before ``d`` are
past, ``d`` itself is still running. On the 24th (the day after the cutoff)
every day is past and the cycle is final: forecast and so-far are the same.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from fractions import Fraction

from .calendar import Cycle, Period
from .facts import CallTotals, InvoiceFacts, PeriodUsage
from .invoice import Invoice, LineCode
from .minute_bank import usage_rate
from .seats import user_days

FORECAST_CODES = frozenset({LineCode.PRE_BILLED_MINUTES, LineCode.AI_TRANSCRIPTION})


@dataclass(frozen=True)
class Standing:
    """How much of a cycle's closed period is over on ``as_of``."""

    cycle: Cycle
    as_of: date
    days_elapsed: int
    days: int

    @property
    def is_final(self) -> bool:
        return self.days_elapsed >= self.days

    @property
    def state(self) -> str:
        """``final``, ``in_progress`` or ``not_started`` (no day is over yet)."""
        if self.is_final:
            return "final"
        return "in_progress" if self.days_elapsed else "not_started"

    @property
    def label(self) -> str:
        """"In progress: 7 of 30 days elapsed", for banners and captions."""
        if self.is_final:
            return "Final: the closed period is over"
        if not self.days_elapsed:
            return f"Not started: 0 of {self.days} days elapsed"
        return f"In progress: {self.days_elapsed} of {self.days} days elapsed"

    @property
    def elapsed(self) -> Period | None:
        if not self.days_elapsed:
            return None
        start = self.cycle.closed_period.start
        return Period(start, start + timedelta(days=self.days_elapsed - 1))

    @property
    def remaining(self) -> Period | None:
        if self.is_final:
            return None
        closed = self.cycle.closed_period
        return Period(closed.start + timedelta(days=self.days_elapsed), closed.end)


def standing(cycle: Cycle, as_of: date) -> Standing:
    closed = cycle.closed_period
    elapsed = min(closed.days, max(0, (as_of - closed.start).days))
    return Standing(cycle, as_of, elapsed, closed.days)


@dataclass(frozen=True)
class Forecast:
    """The facts completed to the cutoff, and how."""

    standing: Standing
    facts: InvoiceFacts  # the facts with the remaining days' usage added
    rate: Fraction  # minutes per user-day the remaining days are given
    remaining_user_days: int
    added_minutes: int
    added_transcribed_seconds: int


def _round_half_up(value: Fraction) -> int:
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def forecast_facts(facts: InvoiceFacts, as_of: date) -> Forecast:
    """``facts`` with the usage of the days not yet past on ``as_of`` added.

    Minutes added = rate x user-days of the remaining days, rounded half-up
    once; transcribed seconds follow the period's own ratio of transcribed
    seconds to minutes so far (none so far: none forecast). A final cycle's
    facts are returned unchanged.
    """
    where = standing(facts.cycle, as_of)
    remaining = where.remaining
    if remaining is None:
        return Forecast(where, facts, Fraction(0), 0, 0, 0)
    elapsed = where.elapsed
    so_far = facts.call_totals
    elapsed_user_days = user_days(facts.users, elapsed) if elapsed else 0
    rate = usage_rate(PeriodUsage(facts.cycle, so_far.billable_minutes, elapsed_user_days),
                      facts.usage_history).per_user_day
    remaining_user_days = user_days(facts.users, remaining)
    minutes = _round_half_up(rate * remaining_user_days)
    seconds = _round_half_up(Fraction(so_far.transcribed_seconds, so_far.billable_minutes) * minutes) \
        if so_far.billable_minutes else 0
    completed = replace(facts, call_totals=CallTotals(so_far.billable_minutes + minutes,
                                                      so_far.transcribed_seconds + seconds, so_far.calls))
    return Forecast(where, completed, rate, remaining_user_days, minutes, seconds)


def line_basis(invoice: Invoice, where: Standing, *, forecast: bool) -> tuple[str, ...]:
    """``actual`` or ``forecast`` for each line of ``invoice``: in a forecast
    of a cycle still running, the usage-driven lines are forecast."""
    return tuple("forecast" if forecast and not where.is_final and line.code in FORECAST_CODES else "actual"
                 for line in invoice.lines)
