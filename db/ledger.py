"""Payments, adjustments and the statuses the engine derives from them.

The engine's ledger takes invoices and payments. Adjustments are mapped onto
those two: a *credit* adjustment reduces what is owed like a payment (to the
invoice it names, if any); a *debit* adjustment is owed like a small invoice,
due with the invoice it corrects, or with the next invoice when it names none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

import settings
from billing import AgencyStatus, Cycle, LedgerInvoice, statuses
from billing import Payment as LedgerPayment
from billing.calendar import RESTRICTION_AFTER_DAYS
from billing.ledger import AdjustmentKind
from billing.money import format_usd

from . import audit
from .errors import FieldError, NotFound
from .invoice_hash import (
    HEADER_COLUMNS,
    LEDGER_COLUMNS,
    header_hash,
    integrity_error,
    remember_verified,
    row_problems,
    unverified,
)
from .models import Adjustment, Agency, Invoice, Payment
from .queries.revisions import database_identity
from .raw import as_date, as_instant, as_money, rows_of

VERIFY_CHUNK = 1000  # invoice ids per look-up of rows not verified yet
LedgerRow = tuple[int, str, str, date, date, Decimal]  # LEDGER_COLUMNS: id, number, agency_id, invoice_date, due_date, total

@dataclass(frozen=True)
class StoredPayment:
    id: int
    agency_id: str
    amount: Decimal
    paid_on: date
    invoice_number: str | None
    reference: str | None


@dataclass(frozen=True)
class PaymentOutcome:
    """What storing a payment did: ``created`` False when the same payment
    (same reference, same details) was already stored."""

    payment: StoredPayment
    created: bool


class ReferenceTaken(FieldError):
    """The reference is already stored for a different payment."""

    def __init__(self, reference: str, existing: StoredPayment) -> None:
        super().__init__(
            "Reference",
            f"{reference!r} is already recorded for {existing.agency_id}: {format_usd(existing.amount)} on "
            f"{existing.paid_on.isoformat()}; use a new reference",
        )
        self.existing = existing


@dataclass(frozen=True)
class StoredAdjustment:
    number: str
    agency_id: str
    kind: AdjustmentKind
    amount: Decimal
    on_date: date
    due_on: date | None
    invoice_number: str | None
    reason: str


def _stored_payment(row: Payment) -> StoredPayment:
    assert row.id is not None
    return StoredPayment(row.id, row.agency_id, row.amount, row.paid_on, row.invoice_number, row.reference)


def agency_onboarded_on(*, session: Session, agency_id: str) -> date | None:
    """The agency's onboarding date, or None when there is no such agency."""
    return session.scalar(select(Agency.onboarded_on).where(Agency.id == agency_id))


def invoice_agency(*, session: Session, number: str) -> str | None:
    """Whose issued invoice ``number`` is, or None when none is issued."""
    return session.scalar(select(Invoice.agency_id).where(Invoice.number == number))


def first_invoice_date(*, session: Session, agency_id: str) -> date | None:
    return session.scalar(select(func.min(Invoice.invoice_date)).where(Invoice.agency_id == agency_id))


def payment_by_reference(*, session: Session, reference: str) -> StoredPayment | None:
    row = session.scalars(select(Payment).where(Payment.reference == reference)).first()
    return _stored_payment(row) if row is not None else None


def similar_payment(*, session: Session, agency_id: str, amount: Decimal, paid_on: date, within_days: int
                    ) -> StoredPayment | None:
    """A payment of the same agency and amount dated within ``within_days`` of
    ``paid_on``: the one a second entry would most likely repeat."""
    row = session.scalars(
        select(Payment).where(Payment.agency_id == agency_id, Payment.amount == amount,
                              Payment.paid_on >= paid_on - timedelta(days=within_days),
                              Payment.paid_on <= paid_on + timedelta(days=within_days))
        .order_by(Payment.id.desc())
    ).first()
    return _stored_payment(row) if row is not None else None


def record_payment(
    session: Session,
    *,
    agency_id: str,
    amount: Decimal,
    paid_on: date,
    actor: str,
    invoice_number: str | None = None,
    reference: str | None = None,
) -> PaymentOutcome:
    """Store a validated payment once per reference, with its audit entry in
    the same transaction (callers validate what people typed: see
    :mod:`services.payments`).

    A re-submitted reference with the same details is a no-op; the same
    reference with other details is refused, also when another process
    stored it a moment ago (the unique constraint decides the race).
    """
    reference = (reference or "").strip() or None

    def settle(existing: StoredPayment) -> PaymentOutcome:
        same = (existing.agency_id, existing.amount, existing.paid_on, existing.invoice_number) == (
            agency_id, amount, paid_on, invoice_number)
        if not same:
            raise ReferenceTaken(reference or "", existing)
        return PaymentOutcome(existing, created=False)

    if reference is not None and (existing := payment_by_reference(session=session, reference=reference)):
        return settle(existing)
    row = Payment(agency_id=agency_id, paid_on=paid_on, amount=amount, invoice_number=invoice_number,
                  reference=reference, recorded_by=actor)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # the same reference stored a moment ago by someone else
        raced = payment_by_reference(session=session, reference=reference or "")
        if raced is None:
            raise
        return settle(raced)
    audit.record(
        session, actor=actor, action="record_payment", subject=agency_id,
        amount=str(amount), paid_on=paid_on.isoformat(), invoice=invoice_number, reference=reference,
    )
    return PaymentOutcome(_stored_payment(row), created=True)


def record_adjustment(
    session: Session,
    *,
    agency_id: str,
    kind: AdjustmentKind,
    amount: Decimal,
    on_date: date,
    reason: str,
    actor: str,
    invoice_number: str | None = None,
    due_on: date | None = None,
) -> StoredAdjustment:
    """Store a validated adjustment with its audit entry (see
    :mod:`services.adjustments` for what people may enter)."""
    row = Adjustment(
        agency_id=agency_id, kind=str(kind), on_date=on_date, due_on=due_on, amount=amount, reason=reason,
        invoice_number=invoice_number, recorded_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor=actor, action=f"record_{kind}_adjustment", subject=agency_id,
        amount=str(amount), on_date=on_date.isoformat(), invoice=invoice_number, reason=reason,
    )
    return StoredAdjustment(adjustment_number(row), agency_id, AdjustmentKind(kind), amount, on_date, due_on,
                            invoice_number, reason)


def adjustment_number(adjustment: Adjustment) -> str:
    return f"ADJ-{adjustment.id:06d}"


# The latest due date whose restriction date (15 days later) is still a date.
LATEST_DUE = date.max - timedelta(days=RESTRICTION_AFTER_DAYS)


def debit_due_date(adjustment: Adjustment, invoice_due_dates: dict[str, date]) -> date:
    """A debit is due on its own ``due_on`` when one was set; otherwise with
    the invoice it corrects, or else with the next invoice.

    A due date stored before dates were bounded (9999-12-31, say) is read
    as the latest one whose restriction date exists, so one typo cannot
    break every agency's status; it should be reversed (see
    :func:`services.adjustments.reverse_adjustment`)."""
    if adjustment.due_on is not None:
        return min(adjustment.due_on, LATEST_DUE)
    if adjustment.on_date > LATEST_DUE - timedelta(days=31):
        return LATEST_DUE
    named = invoice_due_dates.get(adjustment.invoice_number or "")
    return min(max(named or Cycle.containing(adjustment.on_date).due_date, adjustment.on_date), LATEST_DUE)


def adjustment_by_number(*, session: Session, number: str) -> StoredAdjustment | None:
    """``ADJ-000004`` as stored, or None."""
    digits = number.strip().upper().removeprefix("ADJ-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 12:
        return None
    row = session.get(Adjustment, int(digits))
    if row is None:
        return None
    return StoredAdjustment(adjustment_number(row), row.agency_id, AdjustmentKind(row.kind), row.amount, row.on_date,
                            row.due_on, row.invoice_number, row.reason)


def reversal_of(*, session: Session, number: str) -> str | None:
    """The number of the adjustment that reverses ``number``, if one does."""
    row = session.scalars(select(Adjustment).where(Adjustment.reason.startswith(f"Reverses {number}:"))).first()  # type: ignore[attr-defined]
    return adjustment_number(row) if row is not None else None


def load_ledger(
    session: Session, agency_ids: Sequence[str] | None = None
) -> tuple[list[LedgerInvoice], list[LedgerPayment]]:
    """Every issued invoice, payment and adjustment, as the engine's ledger.

    Every invoice row used is checked against its content hash first
    (:func:`verify_ledger_invoices`): one that was changed after issuing
    raises :class:`~db.errors.InvoiceIntegrityError` instead of a status.
    """
    only = (lambda column: True) if agency_ids is None else (lambda column: column.in_(list(agency_ids)))
    rows = [_ledger_row(row) for row in _ledger_rows(session, agency_ids)]
    verify_ledger_invoices(session, rows)
    ledger_invoices = [LedgerInvoice(number, agency_id, invoice_date, due_date, total)
                       for _, number, agency_id, invoice_date, due_date, total in rows]
    due = {i.number: i.due_date for i in ledger_invoices}
    # Same-day payments apply in the order they were recorded.
    entries: list[tuple[date, datetime, LedgerPayment]] = []
    for agency_id, paid_on, amount, invoice_number, reference, recorded_at in rows_of(
        session, "SELECT agency_id, paid_on, amount, invoice_number, reference, recorded_at FROM payment",
        agency_ids=agency_ids,
    ):
        day = as_date(paid_on)
        entries.append((day, as_instant(recorded_at),
                        LedgerPayment(agency_id, day, as_money(amount), invoice_number, reference)))
    for a in session.scalars(select(Adjustment).where(only(Adjustment.agency_id))):
        if a.kind == AdjustmentKind.CREDIT:
            credit = LedgerPayment(a.agency_id, a.on_date, a.amount, a.invoice_number, adjustment_number(a))
            entries.append((a.on_date, a.recorded_at, credit))
        else:
            ledger_invoices.append(LedgerInvoice(adjustment_number(a), a.agency_id, a.on_date, debit_due_date(a, due), a.amount))
    entries.sort(key=lambda e: (e[0], e[1]))
    return ledger_invoices, [payment for _, _, payment in entries]


def _ledger_row(values: Sequence[Any]) -> LedgerRow:
    invoice_id, number, agency_id, invoice_date, due_date, total = values
    return invoice_id, number, agency_id, as_date(invoice_date), as_date(due_date), as_money(total)


def _ledger_rows(session: Session, agency_ids: Sequence[str] | None) -> Sequence[Sequence[Any]]:
    """Driver values (db.raw), not the ORM's or the column types' processing:
    60,000 rows at 5,000 agencies, and only the columns the ledger needs (an
    invoice row also holds its frozen snapshot)."""
    return rows_of(session, f"SELECT {', '.join(LEDGER_COLUMNS)} FROM invoice", agency_ids=agency_ids)


def check_ledger_invoices(session: Session, agency_ids: Sequence[str] | None = None) -> None:
    """Raise unless every (or these agencies') issued invoice row is as
    issued, as far as the ledger reads it (:func:`verify_ledger_invoices`).

    For a caller that keeps what it computed from the ledger (services.statuses):
    the rows are read as the driver returns them, and a row this process has
    verified before, every value the same, is not even parsed."""
    database = database_identity(session)
    unseen = unverified(database, _ledger_rows(session, agency_ids))
    verify_ledger_invoices(session, [_ledger_row(row) for row in unseen])
    remember_verified(database, unseen)  # as the driver returned them, beside the parsed form


def verify_ledger_invoices(session: Session, rows: Sequence[Sequence[object]]) -> None:
    """Raise unless every ledger row (``LEDGER_COLUMNS``: id, number,
    agency_id, invoice_date, due_date, total) is as issued.

    A row this process has verified before in this database is looked up and
    done. The others are read again in full — every column the hash covers,
    and for a v1 invoice (or one that does not match, to say what differs)
    its snapshot — and checked; the row the ledger read must then be one of
    those verified, so a row changed between the two reads is caught too.
    """
    database = database_identity(session)
    unseen = unverified(database, rows)
    if not unseen:
        return
    ids = sorted({int(str(row[0])) for row in unseen})
    columns = [getattr(Invoice, name) for name in HEADER_COLUMNS]
    verified: list[tuple[object, ...]] = []
    suspect: dict[int, tuple[dict[str, object], str, tuple[object, ...]]] = {}  # v1, or not matching
    for chunk in _chunks(ids):
        for row in session.execute(select(Invoice.id, *columns, Invoice.content_hash).where(Invoice.id.in_(chunk))):  # type: ignore[union-attr]
            invoice_id, *header, content_hash = row
            ledger_row = (invoice_id, row.number, row.agency_id, row.invoice_date, row.due_date, row.total)
            if row.snapshot_hash is not None and header_hash(header) == content_hash:
                verified.append(ledger_row)
            else:
                suspect[invoice_id] = dict(zip(HEADER_COLUMNS, header, strict=True)), content_hash, ledger_row
    problems: dict[int, list[str]] = {}
    for chunk in _chunks(sorted(suspect)):
        for invoice_id, snapshot in session.execute(select(Invoice.id, Invoice.snapshot).where(Invoice.id.in_(chunk))):  # type: ignore[union-attr]
            header, content_hash, ledger_row = suspect[invoice_id]
            found = row_problems(header, content_hash, snapshot)
            if found is None:  # a v1 invoice that matches
                verified.append(ledger_row)
            else:
                problems[invoice_id] = found
    remember_verified(database, verified)
    bad = unverified(database, unseen)
    if bad:
        raise integrity_error([(str(row[1]), str(row[2]), problems.get(int(str(row[0])), [])) for row in bad])


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start:start + VERIFY_CHUNK] for start in range(0, len(ids), VERIFY_CHUNK)]


def agency_statuses(
    session: Session, as_of: date, agency_ids: Sequence[str] | None = None, *, warning_days: int | None = None
) -> list[AgencyStatus]:
    """Every agency's status on ``as_of``; the warning window is the
    deployment's (``BILLING_WARNING_DAYS``) unless given."""
    invoices, payments = load_ledger(session, agency_ids)
    window = settings.current().warning_days if warning_days is None else warning_days
    return statuses(invoices, payments, as_of, warning_days=window)


def agency_status(session: Session, agency_id: str, as_of: date) -> AgencyStatus | None:
    if session.get(Agency, agency_id) is None:
        raise NotFound(f"no agency {agency_id!r}")
    found = agency_statuses(session, as_of, [agency_id])
    return found[0] if found else None
