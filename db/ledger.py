"""Payments, adjustments and the statuses the engine derives from them.

The engine's ledger takes invoices and payments. Adjustments are mapped onto
those two: a *credit* adjustment reduces what is owed like a payment (to the
invoice it names, if any); a *debit* adjustment is owed like a small invoice,
due with the invoice it corrects, or with the next invoice when it names none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from billing import AgencyStatus, Cycle, LedgerInvoice, statuses
from billing import Payment as LedgerPayment
from billing.facts import DEFAULT_WARNING_DAYS

from . import audit
from .errors import FieldError, NotFound
from .models import Adjustment, Agency, Invoice, Payment
from .types import MONEY_PLACES, to_exact_decimal

ADJUSTMENT_KINDS = ("credit", "debit")


def _positive_money(value: object, field: str) -> Decimal:
    try:
        amount = to_exact_decimal(value, MONEY_PLACES)
    except ValueError as error:
        raise FieldError(field, str(error)) from None
    if amount <= 0:
        raise FieldError(field, f"must be more than $0.00, got {amount}")
    return amount


def _agency(session: Session, agency_id: str) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise FieldError("agency", f"no agency {agency_id!r}")
    return agency


def _invoice_of(session: Session, agency_id: str, number: str | None) -> Invoice | None:
    if not number:
        return None
    invoice = session.scalars(select(Invoice).where(Invoice.number == number)).first()
    if invoice is None:
        raise FieldError("invoice", f"no issued invoice {number!r}")
    if invoice.agency_id != agency_id:
        raise FieldError("invoice", f"{number} belongs to {invoice.agency_id}, not {agency_id}")
    return invoice


@dataclass(frozen=True)
class PaymentOutcome:
    payment: Payment
    created: bool


def record_payment(
    session: Session,
    *,
    agency_id: str,
    amount: object,
    paid_on: date,
    actor: str,
    invoice_number: str | None = None,
    reference: str | None = None,
) -> PaymentOutcome:
    """Record money received. A re-submitted reference is a no-op; the same
    reference with different details is refused rather than overwritten."""
    _agency(session, agency_id)
    value = _positive_money(amount, "amount")
    invoice = _invoice_of(session, agency_id, invoice_number)
    reference = (reference or "").strip() or None
    if reference is not None:
        existing = session.scalars(select(Payment).where(Payment.reference == reference)).first()
        if existing is not None:
            same = (existing.agency_id, existing.amount, existing.paid_on, existing.invoice_number) == (
                agency_id, value, paid_on, invoice.number if invoice else None,
            )
            if same:
                return PaymentOutcome(existing, created=False)
            raise FieldError(
                "reference",
                f"{reference!r} is already recorded for {existing.agency_id}: "
                f"${existing.amount:,} on {existing.paid_on.isoformat()}; use a new reference",
            )
    payment = Payment(
        agency_id=agency_id, paid_on=paid_on, amount=value,
        invoice_number=invoice.number if invoice else None, reference=reference, recorded_by=actor,
    )
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:  # the same reference recorded a moment ago by someone else
        existing = session.scalars(select(Payment).where(Payment.reference == reference)).one()
        return PaymentOutcome(existing, created=False)
    audit.record(
        session, actor=actor, action="record_payment", subject=agency_id,
        amount=str(value), paid_on=paid_on.isoformat(), invoice=payment.invoice_number, reference=reference,
    )
    return PaymentOutcome(payment, created=True)


def record_adjustment(
    session: Session,
    *,
    agency_id: str,
    kind: str,
    amount: object,
    on_date: date,
    reason: str,
    actor: str,
    invoice_number: str | None = None,
    due_on: date | None = None,
) -> Adjustment:
    _agency(session, agency_id)
    if kind not in ADJUSTMENT_KINDS:
        raise FieldError("kind", f"must be credit or debit, got {kind!r}")
    value = _positive_money(amount, "amount")
    if not reason or not reason.strip():
        raise FieldError("reason", "say why: an adjustment without a reason cannot be explained to the client")
    invoice = _invoice_of(session, agency_id, invoice_number)
    if due_on is not None and (kind != "debit" or due_on < on_date):
        raise FieldError("due_on", "only a debit has a due date, on or after its date")
    adjustment = Adjustment(
        agency_id=agency_id, kind=kind, on_date=on_date, due_on=due_on, amount=value, reason=reason.strip(),
        invoice_number=invoice.number if invoice else None, recorded_by=actor,
    )
    session.add(adjustment)
    session.flush()
    audit.record(
        session, actor=actor, action=f"record_{kind}_adjustment", subject=agency_id,
        amount=str(value), on_date=on_date.isoformat(), invoice=adjustment.invoice_number, reason=reason.strip(),
    )
    return adjustment


def adjustment_number(adjustment: Adjustment) -> str:
    return f"ADJ-{adjustment.id:06d}"


def debit_due_date(adjustment: Adjustment, invoice_due_dates: dict[str, date]) -> date:
    """A debit is due on its own ``due_on`` when one was set; otherwise with
    the invoice it corrects, or else with the next invoice."""
    if adjustment.due_on is not None:
        return adjustment.due_on
    named = invoice_due_dates.get(adjustment.invoice_number or "")
    return max(named or Cycle.containing(adjustment.on_date).due_date, adjustment.on_date)


def load_ledger(
    session: Session, agency_ids: Sequence[str] | None = None
) -> tuple[list[LedgerInvoice], list[LedgerPayment]]:
    """Every issued invoice, payment and adjustment, as the engine's ledger."""
    only = (lambda column: True) if agency_ids is None else (lambda column: column.in_(list(agency_ids)))
    # Only the columns the ledger needs: an invoice row also holds its frozen snapshot.
    ledger_invoices = [
        LedgerInvoice(*row) for row in session.execute(
            select(Invoice.number, Invoice.agency_id, Invoice.invoice_date, Invoice.due_date, Invoice.total)
            .where(only(Invoice.agency_id))
        )
    ]
    due = {i.number: i.due_date for i in ledger_invoices}
    # Same-day payments apply in the order they were recorded.
    entries: list[tuple[date, datetime, LedgerPayment]] = []
    for agency_id, paid_on, amount, invoice_number, reference, recorded_at in session.execute(
        select(Payment.agency_id, Payment.paid_on, Payment.amount, Payment.invoice_number, Payment.reference,
               Payment.recorded_at).where(only(Payment.agency_id))
    ):
        entries.append((paid_on, recorded_at, LedgerPayment(agency_id, paid_on, amount, invoice_number, reference)))
    for a in session.scalars(select(Adjustment).where(only(Adjustment.agency_id))):
        if a.kind == "credit":
            entries.append((a.on_date, a.recorded_at, LedgerPayment(a.agency_id, a.on_date, a.amount, a.invoice_number, adjustment_number(a))))
        else:
            ledger_invoices.append(LedgerInvoice(adjustment_number(a), a.agency_id, a.on_date, debit_due_date(a, due), a.amount))
    entries.sort(key=lambda e: (e[0], e[1]))
    return ledger_invoices, [payment for _, _, payment in entries]


def agency_statuses(
    session: Session, as_of: date, agency_ids: Sequence[str] | None = None, *, warning_days: int = DEFAULT_WARNING_DAYS
) -> list[AgencyStatus]:
    invoices, payments = load_ledger(session, agency_ids)
    return statuses(invoices, payments, as_of, warning_days=warning_days)


def agency_status(session: Session, agency_id: str, as_of: date) -> AgencyStatus | None:
    if session.get(Agency, agency_id) is None:
        raise NotFound(f"no agency {agency_id!r}")
    found = agency_statuses(session, as_of, [agency_id])
    return found[0] if found else None
