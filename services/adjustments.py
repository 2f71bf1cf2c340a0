"""Adjustments: corrections beside an immutable invoice (finance only)."""

from __future__ import annotations

import logging
from datetime import date

from billing.ledger import AdjustmentKind
from db import ledger
from db.ledger import StoredAdjustment

from . import clock
from .access import Permission, Viewer
from .dates import require_on_or_after, require_within_a_year_of
from .errors import FieldError
from .payments import money_typed, require_agency_and_invoice
from .unit_of_work import SessionFactory, default_sessions

MAX_REASON_LENGTH = 500
log = logging.getLogger(__name__)

__all__ = ["StoredAdjustment", "record_adjustment", "reverse_adjustment"]


def record_adjustment(
    viewer: Viewer, *, agency_id: str, kind: AdjustmentKind | str, amount: str, on_date: date, reason: str,
    invoice_number: str | None = None, due_on: date | None = None, sessions: SessionFactory = default_sessions,
) -> StoredAdjustment:
    """A credit reduces what the agency owes; a debit adds to it, due on
    ``due_on`` or with the invoice it corrects (else with the next invoice).
    The reason is shown to the client, so it is required."""
    viewer.require(Permission.RECORD_ADJUSTMENT)
    agency_id = agency_id.strip()
    viewer.require_agency(agency_id)
    try:
        kind = AdjustmentKind(kind)
    except ValueError:
        raise FieldError("Kind", f"must be credit or debit, not {kind!r}") from None
    value = money_typed(amount)
    reason = " ".join(reason.split())
    if not reason:
        raise FieldError("Reason", "is required: an adjustment without a reason cannot be explained to the client")
    if len(reason) > MAX_REASON_LENGTH:
        raise FieldError("Reason", f"must be at most {MAX_REASON_LENGTH} characters")
    today = clock.billing_today()
    require_within_a_year_of(on_date, today, "Dated")
    if due_on is not None:
        if kind is not AdjustmentKind.DEBIT:
            raise FieldError("Due on", "only a debit has a due date")
        require_on_or_after(due_on, on_date, "Due on", "a debit is due on or after its date")
        require_within_a_year_of(due_on, today, "Due on")
    invoice_number = (invoice_number or "").strip() or None
    with sessions() as session:
        require_agency_and_invoice(session, agency_id, invoice_number)
        stored = ledger.record_adjustment(session, agency_id=agency_id, kind=kind, amount=value, on_date=on_date,
                                          reason=reason, actor=viewer.email, invoice_number=invoice_number, due_on=due_on)
    log.info("%s %s recorded: %s %s on %s by %s", kind, stored.number, agency_id, value, on_date.isoformat(), viewer.email)
    return stored


def reverse_adjustment(
    viewer: Viewer, *, number: str, reason: str, on_date: date | None = None, sessions: SessionFactory = default_sessions,
) -> StoredAdjustment:
    """Undo a wrong adjustment with its counter-entry: the opposite kind, the
    same amount, agency and invoice, dated ``on_date`` (today by default).
    Adjustments are never edited or deleted, so the history shows both; an
    adjustment is reversed at most once."""
    viewer.require(Permission.RECORD_ADJUSTMENT)
    reason = " ".join(reason.split())
    if not reason:
        raise FieldError("Reason", "is required: say why the adjustment was wrong")
    with sessions() as session:
        original = ledger.adjustment_by_number(session=session, number=number)
        if original is None:
            raise FieldError("Adjustment", f"there is no adjustment {number.strip()!r}")
        viewer.require_agency(original.agency_id)
        already = ledger.reversal_of(session=session, number=original.number)
        if already is not None:
            raise FieldError("Adjustment", f"{original.number} is already reversed by {already}")
    opposite = AdjustmentKind.DEBIT if original.kind is AdjustmentKind.CREDIT else AdjustmentKind.CREDIT
    return record_adjustment(
        viewer, agency_id=original.agency_id, kind=opposite, amount=str(original.amount),
        on_date=on_date or clock.billing_today(), reason=f"Reverses {original.number}: {reason}"[:MAX_REASON_LENGTH],
        invoice_number=original.invoice_number, sessions=sessions,
    )
