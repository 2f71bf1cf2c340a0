"""Pricing: from :class:`InvoiceFacts` to an :class:`Invoice` (section 3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from . import explain, usage
from .calendar import Cycle, CycleCalendar
from .facts import InvoiceFacts, PeriodUsage, SignalMode
from .minute_bank import Replenishment, replenish
from .money import ZERO, exact, round_cents
from .seats import SeatWalk, headcount_on, newly_licensed, returning_users, user_days, walk_seats


class LineCode(StrEnum):
    USER_FEE = "USER_FEE"
    LICENSING_FEE = "LICENSING_FEE"
    PRORATED_USER_FEE = "PRORATED_USER_FEE"
    ONBOARDING_MINUTES = "ONBOARDING_MINUTES"
    PRE_BILLED_MINUTES = "PRE_BILLED_MINUTES"
    EH_SIGNAL = "EH_SIGNAL"
    NUMBER_CLEANING = "NUMBER_CLEANING"
    APPOINTMENTS = "APPOINTMENTS"
    AI_TRANSCRIPTION = "AI_TRANSCRIPTION"

    @property
    def label(self) -> str:
        """The line's name on an invoice ("User fees"); ``title`` is str's own method."""
        return _TITLES[self]


_TITLES = {
    LineCode.USER_FEE: "Dialer user fee",
    LineCode.LICENSING_FEE: "Licensing fee",
    LineCode.PRORATED_USER_FEE: "Prorated user fee",
    LineCode.ONBOARDING_MINUTES: "Onboarding minutes",
    LineCode.PRE_BILLED_MINUTES: "Pre-billed minutes",
    LineCode.EH_SIGNAL: "EH Signal",
    LineCode.NUMBER_CLEANING: "Number cleaning",
    LineCode.APPOINTMENTS: "Appointments",
    LineCode.AI_TRANSCRIPTION: "AI transcription",
}


@dataclass(frozen=True)
class InvoiceLine:
    code: LineCode
    quantity: int
    unit_price: Decimal
    amount: Decimal
    description: str
    user: str | None = None

    @property
    def title(self) -> str:
        return self.code.label if self.user is None else f"{self.code.label}: {self.user}"


@dataclass(frozen=True)
class Invoice:
    agency_id: str
    agency_name: str
    calendar: CycleCalendar
    lines: tuple[InvoiceLine, ...]
    minute_bank: Replenishment
    headcount_at_cutoff: int
    user_days: int
    seat_walk: SeatWalk
    total: Decimal

    @property
    def cycle(self) -> Cycle:
        return self.calendar.cycle


def _line(code: LineCode, quantity: int, unit: Decimal, amount: Decimal | Fraction, why: Callable[[Decimal], str],
          user: str | None = None) -> InvoiceLine:
    rounded = round_cents(amount)
    return InvoiceLine(code, quantity, unit, rounded, why(rounded), user)


@exact
def price_invoice(facts: InvoiceFacts) -> Invoice:
    """Price one invoice. Pure: the same facts always give the same invoice."""
    calendar = CycleCalendar.of(facts.cycle)
    closed, advance = calendar.closed_period, calendar.advance_period
    contract = facts.contract
    users = facts.users
    onboarding = facts.onboarded_on in closed

    headcount = headcount_on(users, closed.end)
    lines: list[InvoiceLine] = []

    # USER_FEE: always present, billed in advance, at least the minimum.
    seats = max(headcount, contract.minimum_users)
    lines.append(_line(LineCode.USER_FEE, seats, contract.user_fee, seats * contract.user_fee,
                       lambda a: explain.user_fee(seats, headcount, contract.minimum_users, contract.user_fee, a, advance)))

    # LICENSING_FEE: one unit per user whose first ever span starts in the period.
    new_users = [u.id for u in newly_licensed(users, closed)]
    if new_users:
        back = [u.id for u in returning_users(users, closed)]
        lines.append(_line(LineCode.LICENSING_FEE, len(new_users), contract.licensing_fee,
                           len(new_users) * contract.licensing_fee,
                           lambda a: explain.licensing_fee(new_users, back, contract.licensing_fee, a)))

    # PRORATED_USER_FEE: one line per activation that needed an unpaid seat.
    walk = walk_seats(users, closed, facts.seats_paid_in_advance)
    for p in walk.prorated:
        lines.append(_line(LineCode.PRORATED_USER_FEE, p.days, contract.user_fee,
                           Fraction(contract.user_fee) * p.days / closed.days,
                           lambda a: explain.prorated_user_fee(p, walk.seats_paid_in_advance, closed.days,  # noqa: B023
                                                               contract.user_fee, a),  # _line calls it at once
                           user=p.user_id))

    # ONBOARDING_MINUTES: the initial bank, credited on the onboarding date.
    onboarding_credit = 0
    if onboarding:
        onboarding_users = headcount_on(users, facts.onboarded_on)
        onboarding_credit = onboarding_users * contract.onboarding_minutes_per_user
        if onboarding_credit:
            lines.append(_line(LineCode.ONBOARDING_MINUTES, onboarding_credit, contract.minute_rate,
                               onboarding_credit * contract.minute_rate,
                               lambda a: explain.onboarding_minutes(facts.onboarded_on, onboarding_users,
                                                                    contract.onboarding_minutes_per_user,
                                                                    contract.minute_rate, a)))

    # PRE_BILLED_MINUTES: always present; replenishes the bank for the advance period.
    period_user_days = user_days(users, closed)
    bank = replenish(
        carry=facts.minute_bank,
        onboarding_credit=onboarding_credit,
        closed=PeriodUsage(facts.cycle, facts.call_totals.billable_minutes, period_user_days),
        history=facts.usage_history,
        headcount=headcount,
        advance_days=advance.days,
        buffer_pct=contract.replenish_buffer_pct,
        block=contract.minute_block,
    )
    lines.append(_line(LineCode.PRE_BILLED_MINUTES, bank.minutes, contract.minute_rate,
                       bank.minutes * contract.minute_rate,
                       lambda a: explain.pre_billed_minutes(bank, advance, contract.minute_rate, a)))

    # EH_SIGNAL: per billed user, or flat; billed in advance.
    plan = contract.signal
    if plan is not None:
        quantity = seats if plan.mode is SignalMode.PER_USER else 1
        if quantity:
            lines.append(_line(LineCode.EH_SIGNAL, quantity, plan.price, quantity * plan.price,
                               lambda a: explain.eh_signal(plan, quantity, a, advance)))

    if contract.number_cleaning_rate is not None and facts.active_numbers:
        rate = contract.number_cleaning_rate
        lines.append(_line(LineCode.NUMBER_CLEANING, facts.active_numbers, rate, facts.active_numbers * rate,
                           lambda a: explain.number_cleaning(facts.active_numbers, rate, a, closed)))

    if contract.appointment_fee is not None and facts.completed_appointments:
        fee = contract.appointment_fee
        lines.append(_line(LineCode.APPOINTMENTS, facts.completed_appointments, fee,
                           facts.completed_appointments * fee,
                           lambda a: explain.appointments(facts.completed_appointments, facts.unbilled_appointments,
                                                          fee, a, closed)))

    transcribed_minutes = usage.transcribed_minutes(facts.call_totals.transcribed_seconds)
    if contract.transcription_rate is not None and transcribed_minutes:
        rate = contract.transcription_rate
        lines.append(_line(LineCode.AI_TRANSCRIPTION, transcribed_minutes, rate, transcribed_minutes * rate,
                           lambda a: explain.ai_transcription(facts.call_totals.transcribed_seconds,
                                                              transcribed_minutes, rate, a)))

    return Invoice(
        agency_id=facts.agency_id,
        agency_name=facts.agency_name,
        calendar=calendar,
        lines=tuple(lines),
        minute_bank=bank,
        headcount_at_cutoff=headcount,
        user_days=period_user_days,
        seat_walk=walk,
        total=sum((line.amount for line in lines), ZERO),
    )
