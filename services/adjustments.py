"""Adjustments: corrections beside an immutable invoice (finance only)."""

from __future__ import annotations

from datetime import date

from db.engine import session_scope
from db.ledger import record_adjustment
from db.models import Adjustment

from .access import Permission, Viewer


def record_adjustment_from_form(
    viewer: Viewer, *, agency_id: str, kind: str, amount: str, on_date: date, reason: str,
    invoice_number: str | None = None, due_on: date | None = None,
) -> Adjustment:
    """A credit reduces what the agency owes; a debit adds to it, due on
    ``due_on`` or with the invoice it corrects. Errors name the field."""
    viewer.require(Permission.RECORD_ADJUSTMENT)
    viewer.require_agency(agency_id)
    with session_scope() as session:
        return record_adjustment(
            session, agency_id=agency_id, kind=kind, amount=amount.strip().removeprefix("$"), on_date=on_date,
            reason=reason, actor=viewer.email, invoice_number=invoice_number or None, due_on=due_on,
        )
