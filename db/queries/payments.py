"""Payments as the invoice page lists them (recording them is :mod:`db.ledger`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from ..models import Payment


def payment_references_by_day(*, session: Session, agency_id: str, as_of: date) -> dict[date, str]:
    """Payment references per day up to ``as_of`` (joined when several were paid that day)."""
    found: dict[date, list[str]] = {}
    for p in session.scalars(select(Payment).where(Payment.agency_id == agency_id, Payment.paid_on <= as_of)):
        found.setdefault(p.paid_on, []).append(p.reference or "no reference")
    return {day: ", ".join(refs) for day, refs in found.items()}
