"""The account history is the ledger's own walk: the same order, the same
allocations and balances as :func:`billing.statuses`, one event at a time."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from unit.scenario_builder import ledger_invoice, payment

from billing import account_history, statuses

OCT = ledger_invoice("INV-2026-10-0001", "600.00", "2026-10")
NOV = ledger_invoice("INV-2026-11-0001", "1000.00", "2026-11")
ON = date(2026, 12, 20)


def test_each_payment_carries_what_it_paid_and_what_it_left_as_credit():
    history = account_history([OCT, NOV], [payment("2026-11-26", "1700.00")], OCT.agency_id, ON)
    assert [e.invoice.number if e.invoice else "payment" for e in history] == [OCT.number, NOV.number, "payment"]
    paid = history[-1]
    assert [(a.invoice, a.amount) for a in paid.allocations] == [(OCT.number, Decimal("600.00")), (NOV.number, Decimal("1000.00"))]
    assert paid.to_credit == Decimal("100.00") and paid.running_balance == Decimal("-100.00")


def test_a_new_invoice_absorbs_credit_and_says_so():
    dec = ledger_invoice("INV-2026-12-0001", "300.00", "2026-12")
    history = account_history([OCT, dec], [payment("2026-11-01", "700.00")], OCT.agency_id, date(2026, 12, 26))
    absorbed = history[-1]
    assert absorbed.invoice == dec and [(a.invoice, a.amount, a.source) for a in absorbed.allocations] == [
        (dec.number, Decimal("100.00"), "credit")]
    assert (absorbed.balance, absorbed.credit) == (Decimal("200.00"), Decimal("0.00"))


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000"), places=2)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=80), amounts, st.booleans()), max_size=8))
def test_the_history_ends_where_the_status_is(paid):
    payments = [payment((date(2026, 10, 25) + timedelta(days=d)).isoformat(), str(a), NOV.number if named else None)
                for d, a, named in paid]
    history = account_history([OCT, NOV], payments, OCT.agency_id, ON)
    (status,) = statuses([OCT, NOV], payments, ON)
    assert (history[-1].balance, history[-1].credit) == (status.balance, status.credit)
    assert tuple(a for e in history for a in e.allocations) == status.allocations
