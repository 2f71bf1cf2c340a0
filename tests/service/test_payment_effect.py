"""Before a payment is recorded, the form shows where the engine's allocation
will put it (the oldest open invoice first, or the one named), what becomes
credit and the status it leads to; working it out records nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from billing.ledger import Status
from db.models import Payment
from services import payments
from services.statuses import payment_statuses

from .conftest import FINANCE, TODAY


def _owing(sessions):  # type: ignore[no-untyped-def]
    found = [s for s in payment_statuses(TODAY, sessions=sessions) if len(s.open_invoices) >= 1]
    assert found, "the seeded portfolio has agencies with open invoices"
    return max(found, key=lambda s: len(s.open_invoices))


def _count(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Payment)) or 0


def test_a_payment_goes_to_the_oldest_open_invoice_first(sessions, pinned_today):
    status = _owing(sessions)
    oldest = status.open_invoices[0]
    effect = payments.payment_effect(FINANCE, agency_id=status.agency_id, amount="1.00", paid_on=TODAY,
                                     sessions=sessions)
    assert [(a.invoice, a.amount, a.left_open) for a in effect.applied] == [
        (oldest.invoice.number, Decimal("1.00"), oldest.balance - Decimal("1.00"))]
    assert effect.to_credit == 0 and effect.status_before is status.status


def test_paying_everything_owed_and_more_pays_each_invoice_and_leaves_credit(sessions, pinned_today):
    status = _owing(sessions)
    effect = payments.payment_effect(FINANCE, agency_id=status.agency_id, amount=str(status.balance + 10),
                                     paid_on=TODAY, sessions=sessions)
    assert {a.invoice: a.amount for a in effect.applied} == {o.invoice.number: o.balance for o in status.open_invoices}
    assert all(a.left_open == 0 for a in effect.applied)
    assert effect.to_credit == Decimal("10.00") and effect.status_after is Status.PAID_UP


def test_working_out_the_effect_records_nothing(sessions, pinned_today):
    before = _count(sessions)
    status = _owing(sessions)
    payments.payment_effect(FINANCE, agency_id=status.agency_id, amount="5.00", paid_on=TODAY, sessions=sessions)
    assert _count(sessions) == before


def test_the_effect_says_when_the_same_amount_was_recorded_days_ago(sessions, pinned_today):
    status = _owing(sessions)
    payments.record_payment(FINANCE, agency_id=status.agency_id, amount="7.00", paid_on=TODAY, sessions=sessions)
    effect = payments.payment_effect(FINANCE, agency_id=status.agency_id, amount="$7", paid_on=TODAY,
                                     sessions=sessions)
    assert effect.possible_duplicate is not None and effect.possible_duplicate.amount == Decimal("7.00")
    with_reference = payments.payment_effect(FINANCE, agency_id=status.agency_id, amount="7.00", paid_on=TODAY,
                                             reference="CHK-1", sessions=sessions)
    assert with_reference.possible_duplicate is None
