"""One agency's account as stored: its invoices, payments, adjustments,
users and usage, as domain values for :mod:`services.agency_account` and
:mod:`services.usage_report`.

Usage is aggregated in SQL: per user from ``call`` (``GROUP BY user_id``,
each call rounded up to a whole minute by the same integer expression the
rollup uses), per day from the ``call_day`` rollup, which is what the
invoice was priced from. Calls are never loaded into Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session

from billing import Period
from billing.ledger import AdjustmentKind

from .. import facts as stored
from ..ledger import StoredAdjustment, StoredPayment, adjustment_number
from ..models import Adjustment, Call, CallDay, DialerUser, Invoice, Payment


@dataclass(frozen=True)
class InvoiceHeader:
    """An issued invoice's header columns (the ledger checks their hash)."""

    number: str
    cycle: str
    invoice_date: date
    due_date: date
    total: Decimal
    minutes_used: int
    closing_balance: int
    replenishment: int
    seats_billed: int


@dataclass(frozen=True)
class UserName:
    user_id: str
    name: str
    email: str | None
    last_call_on: date | None


@dataclass(frozen=True)
class UserUsage:
    """One user's calls in a period, from the call detail."""

    user_id: str
    calls: int
    billable_minutes: int  # each call rounded up
    transcribed_seconds: int


@dataclass(frozen=True)
class DayUsage:
    """One day of the rollup the invoice was priced from."""

    day: date
    calls: int
    billable_minutes: int
    transcribed_seconds: int


def issued_headers(*, session: Session, agency_id: str) -> list[InvoiceHeader]:
    """Every issued invoice of the agency, oldest first."""
    rows = session.execute(
        select(Invoice.number, Invoice.cycle, Invoice.invoice_date, Invoice.due_date, Invoice.total,
               Invoice.minutes_used, Invoice.closing_balance, Invoice.replenishment, Invoice.seats_billed)
        .where(Invoice.agency_id == agency_id).order_by(Invoice.invoice_date, Invoice.number)
    ).all()
    return [InvoiceHeader(*row) for row in rows]


def agency_payments(*, session: Session, agency_id: str) -> list[StoredPayment]:
    """Every payment of the agency, in the order the ledger applies same-day payments."""
    rows = session.scalars(select(Payment).where(Payment.agency_id == agency_id)
                           .order_by(Payment.paid_on, Payment.recorded_at, Payment.id))
    return [StoredPayment(r.id or 0, r.agency_id, r.amount, r.paid_on, r.invoice_number, r.reference) for r in rows]


def agency_adjustments(*, session: Session, agency_id: str, invoice_number: str | None = None) -> list[StoredAdjustment]:
    """The agency's adjustments (only those naming ``invoice_number`` when given), by date."""
    query = select(Adjustment).where(Adjustment.agency_id == agency_id)
    if invoice_number is not None:
        query = query.where(Adjustment.invoice_number == invoice_number)
    rows = session.scalars(query.order_by(Adjustment.on_date, Adjustment.id))
    return [StoredAdjustment(adjustment_number(r), r.agency_id, AdjustmentKind(r.kind), r.amount, r.on_date, r.due_on,
                             r.invoice_number, r.reason) for r in rows]


def user_names(*, session: Session, agency_id: str) -> list[UserName]:
    """The agency's dialer users with their stored names, by id."""
    rows = session.execute(
        select(DialerUser.user_id, DialerUser.name, DialerUser.email, DialerUser.last_call_on)
        .where(DialerUser.agency_id == agency_id).order_by(DialerUser.user_id)
    ).all()
    return [UserName(*row) for row in rows]


def usage_by_user(*, session: Session, agency_id: str, period: Period) -> list[UserUsage]:
    """Calls, billable minutes and transcribed seconds per user, from the
    call detail of ``period``: one ``GROUP BY`` in the database."""
    minutes = func.sum((Call.duration_seconds + 59) // 60)  # integer division: ceil per call, as the rollup stores it
    rows = session.execute(
        select(Call.user_id, func.count(), minutes, func.sum(Call.transcribed_seconds))
        .where(Call.agency_id == agency_id, Call.started_on >= period.start, Call.started_on <= period.end)
        .group_by(Call.user_id).order_by(Call.user_id)
    ).all()
    return [UserUsage(user_id, int(calls), int(billable or 0), int(transcribed or 0))
            for user_id, calls, billable, transcribed in rows]


def usage_by_day(*, session: Session, agency_id: str, period: Period) -> list[DayUsage]:
    """The rollup's days of ``period`` (days without calls are absent)."""
    rows = session.execute(
        select(CallDay.day, CallDay.calls, CallDay.billable_minutes, CallDay.transcribed_seconds)
        .where(CallDay.agency_id == agency_id, CallDay.day >= period.start, CallDay.day <= period.end)
        .order_by(CallDay.day)
    ).all()
    return [DayUsage(day, int(calls), int(billable), int(transcribed)) for day, calls, billable, transcribed in rows]


def detail_days(*, session: Session, agency_id: str, period: Period) -> list[date]:
    """The days of ``period`` that have call detail (older days may be kept in the rollup only)."""
    return list(session.scalars(
        select(Call.started_on).where(Call.agency_id == agency_id, Call.started_on >= period.start,
                                      Call.started_on <= period.end).group_by(Call.started_on).order_by(Call.started_on)
    ))


def numbers_billed(*, session: Session, agency_id: str, period: Period) -> int:
    """Distinct dialing numbers active on a day of ``period`` (the NUMBER_CLEANING quantity)."""
    return stored.active_numbers(session, [agency_id], period).get(agency_id, 0)


def completed_appointments(*, session: Session, agency_id: str, period: Period) -> int:
    """Completed appointments dated in ``period`` (the APPOINTMENTS quantity)."""
    return stored.appointment_counts(session, [agency_id], period).get(agency_id, (0, 0))[0]
