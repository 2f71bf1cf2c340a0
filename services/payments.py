"""Recording a payment: the one road for the form, the command line and
schedulers, so the same input gets the same answer everywhere."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from billing import AgencyStatus, statuses
from billing.ledger import Payment as LedgerPayment
from billing.ledger import Status
from billing.money import AmountError, format_usd, parse_amount
from db import ledger
from db.ledger import StoredPayment

from . import clock
from .access import Permission, Viewer
from .dates import require_on_or_after, require_on_or_before
from .errors import FieldError
from .unit_of_work import SessionFactory, default_sessions

MAX_REFERENCE_LENGTH = 100
DUPLICATE_WINDOW_DAYS = 7
log = logging.getLogger(__name__)


class PossibleDuplicate(FieldError):
    """A payment without a reference that repeats one already recorded (same
    agency and amount, dated within a week): recorded only when confirmed."""

    def __init__(self, existing: StoredPayment) -> None:
        super().__init__("Amount", (
            f"{format_usd(existing.amount)} from {existing.agency_id} was already recorded on "
            f"{existing.paid_on.isoformat()}" + (f" (reference {existing.reference})" if existing.reference else "")
            + "; if this is a second payment, confirm it (or give it a reference)"))
        self.existing = existing


@dataclass(frozen=True)
class RecordedPayment:
    id: int
    agency_id: str
    amount: Decimal
    paid_on: date
    invoice_number: str | None
    reference: str | None
    created: bool  # False: the same payment was already recorded under this reference


@dataclass(frozen=True)
class AppliedTo:
    """What a payment would do to one invoice (or debit adjustment)."""

    invoice: str
    amount: Decimal
    left_open: Decimal


@dataclass(frozen=True)
class PaymentEffect:
    """A payment as it would be recorded, before it is: where the engine's
    allocation would put it, what becomes credit, and the status it leads to.
    Shown on the form so that finance sees the effect before confirming."""

    agency_id: str
    amount: Decimal
    paid_on: date
    invoice_number: str | None
    reference: str | None
    applied: tuple[AppliedTo, ...]
    to_credit: Decimal
    status_before: Status
    status_after: Status
    days_ago: int
    possible_duplicate: StoredPayment | None


@dataclass(frozen=True)
class _Checked:
    agency_id: str
    amount: Decimal
    reference: str | None
    invoice_number: str | None


def _checked(viewer: Viewer, agency_id: str, amount: str, reference: str | None, invoice_number: str | None,
             paid_on: date) -> _Checked:
    viewer.require(Permission.RECORD_PAYMENT)
    agency_id = agency_id.strip()
    viewer.require_agency(agency_id)
    value = money_typed(amount)
    reference = (reference or "").strip() or None
    if reference is not None and len(reference) > MAX_REFERENCE_LENGTH:
        raise FieldError("Reference", f"must be at most {MAX_REFERENCE_LENGTH} characters")
    invoice_number = (invoice_number or "").strip() or None
    require_on_or_before(paid_on, clock.billing_today(), "Received on", "a payment cannot be received in the future")
    return _Checked(agency_id, value, reference, invoice_number)


def payment_effect(
    viewer: Viewer, *, agency_id: str, amount: str, paid_on: date, invoice_number: str | None = None,
    reference: str | None = None, sessions: SessionFactory = default_sessions,
) -> PaymentEffect:
    """What :func:`record_payment` would record and where it would go, with
    the same checks, recording nothing. The allocation is the engine's, run
    over the agency's ledger with and without this payment, as of today."""
    checked = _checked(viewer, agency_id, amount, reference, invoice_number, paid_on)
    today = clock.billing_today()
    with sessions() as session:
        onboarded = require_agency_and_invoice(session, checked.agency_id, checked.invoice_number)
        require_on_or_after(paid_on, onboarded, "Received on", f"{checked.agency_id} was onboarded then")
        invoices, payments = ledger.load_ledger(session, [checked.agency_id])
        earlier = None if checked.reference else ledger.similar_payment(
            session=session, agency_id=checked.agency_id, amount=checked.amount, paid_on=paid_on,
            within_days=DUPLICATE_WINDOW_DAYS)
    new = LedgerPayment(checked.agency_id, paid_on, checked.amount, checked.invoice_number, checked.reference)
    before = _status(statuses(invoices, payments, today), checked.agency_id)
    after = _status(statuses(invoices, [*payments, new], today), checked.agency_id)
    applied = []
    if after is not None:
        left = {o.invoice.number: o.balance for o in after.open_invoices}
        for number, paid in after.paid.items():
            more = paid - (before.paid.get(number, Decimal(0)) if before else Decimal(0))
            if more > 0:
                applied.append(AppliedTo(number, more, left.get(number, Decimal(0))))
    credit_before = before.credit if before else Decimal(0)
    return PaymentEffect(
        checked.agency_id, checked.amount, paid_on, checked.invoice_number, checked.reference, tuple(applied),
        (after.credit if after else checked.amount) - credit_before,
        before.status if before else Status.PAID_UP, after.status if after else Status.PAID_UP,
        (today - paid_on).days, earlier,
    )


def _status(found: list[AgencyStatus], agency_id: str) -> AgencyStatus | None:
    return next((s for s in found if s.agency_id == agency_id), None)


def money_typed(text: str, label: str = "Amount") -> Decimal:
    """An amount of money as a person typed it (``$1,250.00``), more than zero."""
    try:
        amount = parse_amount(text)
    except AmountError as error:
        raise FieldError(label, str(error)) from None
    if amount <= 0:
        raise FieldError(label, "must be more than $0.00")
    return amount


def require_agency_and_invoice(session: Session, agency_id: str, invoice_number: str | None) -> date:
    """The agency's onboarding date, after checking that the agency exists
    and that the invoice named (if any) is one of its issued invoices."""
    onboarded = ledger.agency_onboarded_on(session=session, agency_id=agency_id)
    if onboarded is None:
        raise FieldError("Agency", f"there is no agency {agency_id!r}")
    if invoice_number is not None:
        owner = ledger.invoice_agency(session=session, number=invoice_number)
        if owner is None:
            raise FieldError("Invoice", f"there is no issued invoice {invoice_number!r}")
        if owner != agency_id:
            raise FieldError("Invoice", f"{invoice_number} belongs to {owner}, not {agency_id}")
    return onboarded


def record_payment(
    viewer: Viewer, *, agency_id: str, amount: str, paid_on: date, invoice_number: str | None = None,
    reference: str | None = None, confirm_duplicate: bool = False, sessions: SessionFactory = default_sessions,
) -> RecordedPayment:
    """Record money received from an agency, applied to ``invoice_number``
    first when one is named, else to its oldest open invoices.

    A re-submitted reference is a no-op; the same reference with other
    details is refused. Without a reference, a payment that repeats one
    already recorded (same agency and amount within a week) is refused as a
    :class:`PossibleDuplicate` unless ``confirm_duplicate``: a resubmitted
    form must not record $5 twice. A payment cannot be dated in the future
    or before the agency was onboarded.
    """
    checked = _checked(viewer, agency_id, amount, reference, invoice_number, paid_on)
    agency_id, value, reference, invoice_number = (checked.agency_id, checked.amount, checked.reference,
                                                   checked.invoice_number)
    with sessions() as session:
        onboarded = require_agency_and_invoice(session, agency_id, invoice_number)
        require_on_or_after(paid_on, onboarded, "Received on", f"{agency_id} was onboarded then")
        if reference is None and not confirm_duplicate:
            earlier = ledger.similar_payment(session=session, agency_id=agency_id, amount=value, paid_on=paid_on,
                                             within_days=DUPLICATE_WINDOW_DAYS)
            if earlier is not None:
                raise PossibleDuplicate(earlier)
        outcome = ledger.record_payment(session, agency_id=agency_id, amount=value, paid_on=paid_on,
                                        actor=viewer.email, invoice_number=invoice_number, reference=reference)
    p = outcome.payment
    log.info("payment %s: %s %s on %s (reference %s) by %s", "recorded" if outcome.created else "already recorded",
             agency_id, value, paid_on.isoformat(), reference or "none", viewer.email)
    return RecordedPayment(p.id, p.agency_id, p.amount, p.paid_on, p.invoice_number, p.reference, outcome.created)
