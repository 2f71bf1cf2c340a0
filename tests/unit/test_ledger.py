"""Section 4: payments, balances, days overdue and status."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing import LedgerInvoice, Payment, Status, statuses

NOV = LedgerInvoice("INV-2026-11-0001", "A", date(2026, 11, 25), date(2026, 12, 1), Decimal("1000.00"))
OCT = LedgerInvoice("INV-2026-10-0001", "A", date(2026, 10, 25), date(2026, 11, 1), Decimal("600.00"))


def _one(invoices, payments, on, **kw):
    (status,) = statuses(invoices, payments, on, **kw)
    return status


def test_a_payment_pays_the_oldest_open_invoice_first():
    s = _one([OCT, NOV], [Payment("A", date(2026, 11, 26), Decimal("700.00"))], date(2026, 11, 26))
    assert s.paid == {"INV-2026-10-0001": Decimal("600.00"), "INV-2026-11-0001": Decimal("100.00")}


def test_a_payment_naming_an_invoice_pays_it_first_then_the_oldest():
    s = _one([OCT, NOV], [Payment("A", date(2026, 11, 26), Decimal("1100.00"), "INV-2026-11-0001")], date(2026, 11, 26))
    assert s.paid == {"INV-2026-10-0001": Decimal("100.00"), "INV-2026-11-0001": Decimal("1000.00")}


def test_a_payment_naming_an_invoice_not_dated_yet_goes_to_open_invoices_then_credit():
    s = _one([OCT, NOV], [Payment("A", date(2026, 11, 20), Decimal("700.00"), "INV-2026-11-0001")], date(2026, 11, 20))
    assert s.paid == {"INV-2026-10-0001": Decimal("600.00")} and s.credit == Decimal("100.00")


def test_an_overpayment_becomes_credit_that_the_next_invoice_absorbs():
    payments = [Payment("A", date(2026, 10, 29), Decimal("700.00"))]
    before = _one([OCT, NOV], payments, date(2026, 11, 24))
    assert before.credit == Decimal("100.00") and before.status is Status.PAID_UP
    after = _one([OCT, NOV], payments, date(2026, 11, 25))
    assert after.credit == Decimal("0.00") and after.balance == Decimal("900.00")


def test_on_one_day_invoices_come_before_payments():
    s = _one([NOV], [Payment("A", date(2026, 11, 25), Decimal("1000.00"), "INV-2026-11-0001")], date(2026, 11, 25))
    assert s.status is Status.PAID_UP and s.credit == 0


def test_only_invoices_and_payments_up_to_the_as_of_date_count():
    s = _one([OCT, NOV], [Payment("A", date(2026, 12, 3), Decimal("1600.00"))], date(2026, 11, 30))
    assert s.balance == Decimal("1600.00")


@pytest.mark.parametrize(("day", "status", "days_overdue"), [
    (date(2026, 11, 26), Status.OPEN, 0),
    (date(2026, 12, 1), Status.OPEN, 0),  # due today: not past due
    (date(2026, 12, 2), Status.OVERDUE, 1),
    (date(2026, 12, 10), Status.OVERDUE, 9),
    (date(2026, 12, 11), Status.AT_RISK, 10),  # restriction 2026-12-16 is 5 days away
    (date(2026, 12, 15), Status.AT_RISK, 14),
    (date(2026, 12, 16), Status.RESTRICTED, 15),
    (date(2027, 2, 1), Status.RESTRICTED, 62),
])
def test_status_by_days_overdue(day, status, days_overdue):
    s = _one([NOV], [], day)
    assert (s.status, s.days_overdue) == (status, days_overdue)
    assert s.restriction_date == date(2026, 12, 16) and s.oldest_open_invoice == "INV-2026-11-0001"


def test_warning_window_of_zero_means_never_at_risk():
    assert _one([NOV], [], date(2026, 12, 15), warning_days=0).status is Status.OVERDUE


def test_restriction_lasts_until_that_invoice_is_paid_in_full():
    partial = [Payment("A", date(2026, 12, 20), Decimal("999.99"))]
    assert _one([NOV], partial, date(2026, 12, 20)).status is Status.RESTRICTED
    paid = partial + [Payment("A", date(2026, 12, 21), Decimal("0.01"))]
    assert _one([NOV], paid, date(2026, 12, 21)).status is Status.PAID_UP


def test_the_status_comes_from_the_invoice_with_the_most_days_overdue():
    s = _one([OCT, NOV], [], date(2026, 12, 2))
    assert (s.status, s.days_overdue, s.oldest_open_invoice) == (Status.RESTRICTED, 31, "INV-2026-10-0001")
    assert s.balance == Decimal("1600.00")


def test_amount_to_lift_a_restriction_is_what_is_15_or_more_days_overdue():
    s = _one([OCT, NOV], [], date(2026, 12, 2))
    assert s.amount_to_lift_or_avoid_restriction == Decimal("600.00")


def test_amount_to_avoid_a_restriction_is_everything_past_due():
    s = _one([NOV], [Payment("A", date(2026, 12, 1), Decimal("250.00"))], date(2026, 12, 12))
    assert s.status is Status.AT_RISK and s.amount_to_lift_or_avoid_restriction == Decimal("750.00")
    assert s.days_to_restriction == 4


def test_agencies_are_reported_separately_and_sorted():
    other = LedgerInvoice("INV-2026-11-0002", "B", date(2026, 11, 25), date(2026, 12, 1), Decimal("5.00"))
    result = statuses([other, NOV], [Payment("C", date(2026, 11, 1), Decimal("1.00"))], date(2026, 11, 30))
    assert [s.agency_id for s in result] == ["A", "B", "C"]
    assert result[2].credit == Decimal("1.00") and result[2].status is Status.PAID_UP
