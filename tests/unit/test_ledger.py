"""Section 4 of BILLING_RULES.md and the ledger of SCENARIO_FORMAT.md:
payments, credit, balances, days overdue and status.

NOV is invoiced 2026-11-25, due 2026-12-01, restricted from 2026-12-16;
OCT is invoiced 2026-10-25, due 2026-11-01, restricted from 2026-11-16."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from unit.scenario_builder import ledger_document, ledger_invoice, payment

from billing import LedgerInvoice, Status, statuses
from billing.scenario import ledger_from_json, statuses_to_json

NOV = ledger_invoice("INV-2026-11-0001", "1000.00", "2026-11")
OCT = ledger_invoice("INV-2026-10-0001", "600.00", "2026-10")
DEC = ledger_invoice("INV-2026-12-0001", "300.00", "2026-12")


def _one(invoices, payments, on, **kw):
    (status,) = statuses(invoices, payments, date.fromisoformat(on) if isinstance(on, str) else on, **kw)
    return status


def _balances(status):
    return {o.invoice.number: o.balance for o in status.open_invoices}


# --- how a payment is applied -------------------------------------------------------------------

def test_a_payment_pays_the_oldest_open_invoice_first():
    s = _one([OCT, NOV], [payment("2026-11-26", "700.00")], "2026-11-26")
    assert s.paid == {"INV-2026-10-0001": Decimal("600.00"), "INV-2026-11-0001": Decimal("100.00")}


def test_a_payment_naming_an_invoice_pays_it_first_then_the_oldest():
    s = _one([OCT, NOV], [payment("2026-11-26", "1100.00", "INV-2026-11-0001")], "2026-11-26")
    assert s.paid == {"INV-2026-10-0001": Decimal("100.00"), "INV-2026-11-0001": Decimal("1000.00")}


def test_a_payment_naming_an_invoice_pays_it_only_up_to_its_balance():
    payments = [payment("2026-11-26", "900.00", "INV-2026-11-0001"), payment("2026-11-27", "300.00", "INV-2026-11-0001")]
    s = _one([OCT, NOV], payments, "2026-11-27")
    assert s.paid == {"INV-2026-10-0001": Decimal("200.00"), "INV-2026-11-0001": Decimal("1000.00")}
    assert s.balance == Decimal("400.00") and s.credit == 0


def test_a_payment_naming_an_invoice_not_dated_yet_goes_to_open_invoices_then_credit():
    s = _one([OCT, NOV], [payment("2026-11-20", "700.00", "INV-2026-11-0001")], "2026-11-20")
    assert s.paid == {"INV-2026-10-0001": Decimal("600.00")} and s.credit == Decimal("100.00")
    later = _one([OCT, NOV], [payment("2026-11-20", "700.00", "INV-2026-11-0001")], "2026-11-25")
    assert later.credit == 0 and later.balance == Decimal("900.00")  # the credit went to NOV when it was dated


def test_an_overpayment_becomes_credit_that_the_next_invoice_absorbs():
    payments = [payment("2026-10-29", "700.00")]
    before = _one([OCT, NOV], payments, "2026-11-24")
    assert before.credit == Decimal("100.00") and before.status is Status.PAID_UP and before.balance == 0
    after = _one([OCT, NOV], payments, "2026-11-25")
    assert after.credit == Decimal("0.00") and after.balance == Decimal("900.00")


def test_credit_larger_than_the_next_invoice_pays_it_and_the_rest_stays_credit():
    s = _one([OCT, DEC], [payment("2026-10-29", "1000.00")], "2026-12-25")
    assert s.status is Status.PAID_UP and s.credit == Decimal("100.00")
    assert s.paid == {"INV-2026-10-0001": Decimal("600.00"), "INV-2026-12-0001": Decimal("300.00")}


def test_a_payment_before_any_invoice_is_credit():
    s = _one([NOV], [payment("2026-11-01", "250.00")], "2026-12-12")
    assert s.balance == Decimal("750.00") and s.credit == 0
    assert [(a.invoice, a.amount, a.source) for a in s.allocations] == [("INV-2026-11-0001", Decimal("250.00"), "credit")]


# --- order of events --------------------------------------------------------------------------------

def test_on_one_day_invoices_come_before_payments():
    s = _one([NOV], [payment("2026-11-25", "1000.00", "INV-2026-11-0001")], "2026-11-25")
    assert s.status is Status.PAID_UP and s.credit == 0


def test_on_one_day_an_unnamed_payment_pays_the_invoice_dated_that_day():
    s = _one([NOV], [payment("2026-11-25", "400.00")], "2026-11-25")
    assert s.balance == Decimal("600.00") and s.credit == 0


def test_on_one_day_invoices_take_credit_by_due_date_then_number():
    late_due = LedgerInvoice("I-1", "A", date(2026, 11, 25), date(2026, 12, 15), Decimal("100.00"))
    b = LedgerInvoice("I-3", "A", date(2026, 11, 25), date(2026, 12, 1), Decimal("100.00"))
    a = LedgerInvoice("I-2", "A", date(2026, 11, 25), date(2026, 12, 1), Decimal("100.00"))
    s = _one([late_due, b, a], [payment("2026-11-01", "150.00")], "2026-11-25")
    assert _balances(s) == {"I-3": Decimal("50.00"), "I-1": Decimal("100.00")}
    assert s.paid == {"I-1": Decimal("0.00"), "I-2": Decimal("100.00"), "I-3": Decimal("50.00")}


def test_open_invoices_are_paid_oldest_first_by_due_date_then_number():
    b = LedgerInvoice("I-B", "A", date(2026, 11, 25), date(2026, 12, 1), Decimal("100.00"))
    a = LedgerInvoice("I-A", "A", date(2026, 11, 26), date(2026, 12, 1), Decimal("100.00"))
    early = LedgerInvoice("I-Z", "A", date(2026, 11, 27), date(2026, 11, 30), Decimal("100.00"))
    s = _one([b, a, early], [payment("2026-11-28", "150.00")], "2026-11-28")
    assert s.paid == {"I-Z": Decimal("100.00"), "I-A": Decimal("50.00"), "I-B": Decimal("0.00")}


def test_payments_on_one_day_are_applied_in_file_order():
    first_named = [payment("2026-11-26", "300.00", "INV-2026-11-0001"), payment("2026-11-26", "300.00")]
    s = _one([OCT, NOV], first_named, "2026-11-26")
    assert [(a.invoice, a.amount) for a in s.allocations] == [
        ("INV-2026-11-0001", Decimal("300.00")), ("INV-2026-10-0001", Decimal("300.00"))]
    s = _one([OCT, NOV], first_named[::-1], "2026-11-26")
    assert [(a.invoice, a.amount) for a in s.allocations] == [
        ("INV-2026-10-0001", Decimal("300.00")), ("INV-2026-11-0001", Decimal("300.00"))]


def test_only_invoices_and_payments_up_to_the_as_of_date_count():
    s = _one([OCT, NOV], [payment("2026-12-03", "1600.00")], "2026-11-30")
    assert s.balance == Decimal("1600.00")
    assert _one([OCT, NOV], [], "2026-11-24").balance == Decimal("600.00")


# --- statuses -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "status", "days_overdue"), [
    ("2026-11-26", Status.OPEN, 0),
    ("2026-12-01", Status.OPEN, 0),  # due today: not past due
    ("2026-12-02", Status.OVERDUE, 1),  # day 1
    ("2026-12-10", Status.OVERDUE, 9),  # day 9: restriction 6 days away
    ("2026-12-11", Status.AT_RISK, 10),  # day 10: restriction 2026-12-16 is 5 days away
    ("2026-12-15", Status.AT_RISK, 14),  # day 14
    ("2026-12-16", Status.RESTRICTED, 15),  # day 15: the restriction date
    ("2027-02-01", Status.RESTRICTED, 62),
])
def test_status_by_days_overdue_with_the_default_warning_of_5_days(day, status, days_overdue):
    s = _one([NOV], [], day)
    assert (s.status, s.days_overdue) == (status, days_overdue)
    assert s.restriction_date == date(2026, 12, 16) and s.oldest_open_invoice == "INV-2026-11-0001"


def test_nothing_invoiced_yet_is_paid_up():
    s = _one([NOV], [], "2026-11-24")
    assert (s.status, s.balance, s.days_overdue, s.restriction_date, s.oldest_open_invoice) == (
        Status.PAID_UP, Decimal(0), 0, None, None)


def test_an_invoice_of_zero_is_never_open():
    zero = ledger_invoice("I-0", "0.00")
    assert _one([zero], [], "2027-01-01").status is Status.PAID_UP


@pytest.mark.parametrize(("warning_days", "day", "status"), [
    (0, "2026-12-15", Status.OVERDUE),  # 0 means never at risk
    (0, "2026-12-02", Status.OVERDUE),
    (0, "2026-12-16", Status.RESTRICTED),
    (1, "2026-12-14", Status.OVERDUE),
    (1, "2026-12-15", Status.AT_RISK),
    (14, "2026-12-02", Status.AT_RISK),  # restriction 14 days away on day 1
    (14, "2026-12-01", Status.OPEN),  # never at risk before it is overdue
    (30, "2026-12-01", Status.OPEN),
])
def test_the_warning_window_decides_when_overdue_becomes_at_risk(warning_days, day, status):
    assert _one([NOV], [], day, warning_days=warning_days).status is status


def test_restriction_lasts_until_that_invoice_is_paid_in_full():
    partial = [payment("2026-12-20", "999.99")]
    assert _one([NOV], partial, "2026-12-20").status is Status.RESTRICTED
    paid = [*partial, payment("2026-12-21", "0.01")]
    assert _one([NOV], paid, "2026-12-21").status is Status.PAID_UP


def test_the_status_comes_from_the_invoice_with_the_most_days_overdue():
    s = _one([OCT, NOV], [], "2026-12-02")
    assert (s.status, s.days_overdue, s.oldest_open_invoice) == (Status.RESTRICTED, 31, "INV-2026-10-0001")
    assert s.restriction_date == date(2026, 11, 16)
    assert s.balance == Decimal("1600.00")  # the sum of every open balance


def test_paying_the_restricted_invoice_leaves_the_status_of_the_next_one():
    s = _one([OCT, NOV], [payment("2026-12-12", "600.00")], "2026-12-12")
    assert (s.status, s.days_overdue, s.oldest_open_invoice) == (Status.AT_RISK, 11, "INV-2026-11-0001")


# --- what to pay ----------------------------------------------------------------------------------------

def test_amount_to_lift_a_restriction_is_what_is_15_or_more_days_overdue():
    s = _one([OCT, NOV], [], "2026-12-02")
    assert s.amount_to_lift_or_avoid_restriction == Decimal("600.00")
    assert s.days_to_restriction is None


def test_amount_to_avoid_a_restriction_is_everything_past_due():
    s = _one([NOV], [payment("2026-12-01", "250.00")], "2026-12-12")
    assert s.status is Status.AT_RISK and s.amount_to_lift_or_avoid_restriction == Decimal("750.00")
    assert s.days_to_restriction == 4


def test_amount_to_avoid_a_restriction_leaves_out_invoices_not_yet_due():
    later = LedgerInvoice("I-LATER", "A", date(2026, 12, 5), date(2026, 12, 20), Decimal("40.00"))
    s = _one([NOV, later], [], "2026-12-06")
    assert (s.status, s.days_overdue, s.balance) == (Status.OVERDUE, 5, Decimal("1040.00"))
    assert s.amount_to_lift_or_avoid_restriction == Decimal("1000.00")


@pytest.mark.parametrize(("day", "expected"), [("2026-11-26", Decimal(0)), ("2026-11-24", Decimal(0))])
def test_nothing_to_pay_when_nothing_is_past_due(day, expected):
    s = _one([NOV], [], day)
    assert s.status in (Status.OPEN, Status.PAID_UP) and s.amount_to_lift_or_avoid_restriction == expected


# --- agencies and the JSON of SCENARIO_FORMAT.md ----------------------------------------------------------

def test_agencies_are_reported_separately_and_sorted():
    other = ledger_invoice("INV-2026-11-0002", "5.00", agency="B")
    result = statuses([other, NOV], [payment("2026-11-01", "1.00", agency="C")], date(2026, 11, 30))
    assert [s.agency_id for s in result] == ["A", "B", "C"]
    assert result[2].credit == Decimal("1.00") and result[2].status is Status.PAID_UP


def test_an_agency_whose_only_invoice_is_not_dated_yet_is_listed_paid_up():
    (s,) = statuses([NOV], [], date(2026, 11, 1))
    assert (s.agency_id, s.status, s.balance) == ("A", Status.PAID_UP, 0)


def test_one_agencys_payment_never_pays_another_agencys_invoice():
    result = statuses([NOV, ledger_invoice("B-1", "10.00", agency="B")], [payment("2026-11-26", "10.00", agency="B")],
                      date(2026, 11, 26))
    assert [(s.agency_id, s.balance) for s in result] == [("A", Decimal("1000.00")), ("B", Decimal("0.00"))]


def test_the_status_document_has_two_decimal_money_and_nulls_when_nothing_is_open():
    day = date(2026, 12, 12)
    document = ledger_document([NOV, ledger_invoice("B-1", "10", agency="B")],
                               [payment("2026-11-26", "10.5", agency="B")])
    invoices, payments, warning_days = ledger_from_json(document)
    assert warning_days == 5  # absent: the default
    out = statuses_to_json(day, statuses(invoices, payments, day, warning_days=warning_days))
    assert out == {"as_of": "2026-12-12", "agencies": [
        {"agency_id": "A", "status": "at_risk", "balance": "1000.00", "credit": "0.00", "days_overdue": 11,
         "restriction_date": "2026-12-16", "oldest_open_invoice": "INV-2026-11-0001"},
        {"agency_id": "B", "status": "paid_up", "balance": "0.00", "credit": "0.50", "days_overdue": 0,
         "restriction_date": None, "oldest_open_invoice": None},
    ]}


@pytest.mark.parametrize(("value", "expected"), [(None, 5), (0, 0), (3, 3)])
def test_warning_days_come_from_the_ledger_file_defaulting_to_5(value, expected):
    document = ledger_document([NOV], warning_days=value)
    assert ledger_from_json(document)[2] == expected
