"""An issued invoice never changes; what it would be from the facts stored
now is shown beside it, with the facts that differ and a draft adjustment."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from db.models import CallDay
from services.errors import BillingError
from services.invoices import issued_vs_now
from services.previews import preview_invoice

from .conftest import FINANCE, NOVEMBER, OCTOBER


def test_an_issued_invoice_with_no_late_facts_has_nothing_to_settle(sessions):
    result = issued_vs_now(FINANCE, "A-1001", OCTOBER, sessions=sessions)
    assert result.difference == 0 and result.draft is None and not result.facts
    assert all(line.difference == 0 for line in result.lines)


def test_late_calls_show_beside_the_frozen_invoice_with_a_draft_debit_that_settles_them(sessions):
    frozen = preview_invoice("A-1001", OCTOBER, sessions=sessions).snapshot
    with sessions() as session:  # 40,000 minutes of calls arrive after issuing, dated in October's closed period
        session.execute(update(CallDay).where(CallDay.agency_id == "A-1001", CallDay.day == date(2026, 10, 1))
                        .values(billable_minutes=CallDay.billable_minutes + 40_000))
    result = issued_vs_now(FINANCE, "A-1001", OCTOBER, sessions=sessions)
    assert preview_invoice("A-1001", OCTOBER, sessions=sessions).snapshot == frozen  # the issued invoice is untouched
    assert result.issued_total == frozen.total and result.now_total > frozen.total
    minutes = {f.what: f for f in result.facts}["Minutes used in the closed period (calls)"]
    assert minutes.now - minutes.issued == 40_000
    assert result.draft is not None and result.draft.kind == "debit" and result.draft.amount == result.difference
    assert result.draft.invoice_number == result.number and result.number in result.draft.reason
    assert sum(line.difference for line in result.lines) == result.difference


def test_a_cycle_not_issued_has_no_comparison(sessions):
    with pytest.raises(BillingError, match="not issued"):
        issued_vs_now(FINANCE, "A-1001", NOVEMBER, sessions=sessions)


def test_the_issued_vs_now_document_holds_both_invoices_and_the_draft(sessions):
    with sessions() as session:
        session.execute(update(CallDay).where(CallDay.agency_id == "A-1001", CallDay.day == date(2026, 10, 1))
                        .values(billable_minutes=CallDay.billable_minutes + 40_000))
    document = issued_vs_now(FINANCE, "A-1001", OCTOBER, sessions=sessions).document()
    assert list(document) == ["number", "issued", "now", "difference", "facts", "draft"]
    assert document["issued"]["total"] != document["now"]["total"] and document["draft"]["kind"] == "debit"
