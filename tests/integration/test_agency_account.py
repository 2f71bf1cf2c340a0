"""The agency account on SQLite and PostgreSQL: the statement ends where the
engine's status is, an adjustment shows on its invoice, in its PDF and on
the statement, and the usage report adds up to what every invoice billed."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pg import drop_database
from pypdf import PdfReader
from seeded import seed_postgres_template, seed_sqlite_template, seeded_copy

from billing import Cycle, LineCode
from db.engine import get_engine
from db.queries.agencies import agency_records
from services.access import SYSTEM
from services.adjustments import record_adjustment
from services.agency_account import account_ledger, agency_page, statement, statement_json, statement_pdf
from services.demo import SeedOptions
from services.invoices import invoice_pdf, invoice_view
from services.payments import record_payment
from services.statuses import payment_statuses
from services.unit_of_work import sessions_for
from services.usage_report import usage_csv, usage_json, usage_report, usage_xlsx

TODAY = date(2026, 11, 25)
SEED = SeedOptions(agencies=12, months=6, seed=5, today=TODAY, min_users=5, max_users=30)
ZERO = Decimal("0.00")


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory):
    return seed_sqlite_template(tmp_path_factory.mktemp("account") / "template.db", SEED)


@pytest.fixture(scope="module")
def postgres_template(postgres_url):
    yield seed_postgres_template(postgres_url, "account_template", SEED)
    drop_database(postgres_url, "account_template")


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)])
def sessions(request, tmp_path):
    return sessions_for(get_engine(seeded_copy(request, tmp_path, "account")))


def _agencies(sessions):
    with sessions() as session:
        return agency_records(session=session)


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


@pytest.mark.parametrize("on", [TODAY, date(2026, 10, 20), date(2026, 9, 2)])
def test_every_agencys_statement_closes_at_the_engines_balance_credit_and_status(sessions, on):
    engine = {s.agency_id: s for s in payment_statuses(on, sessions=sessions)}
    for agency in _agencies(sessions):
        if agency.onboarded_on > on:
            continue
        found = statement(SYSTEM, agency.id, None, on, sessions=sessions)
        status = engine.get(agency.id)
        assert (found.balance, found.credit) == ((status.balance, status.credit) if status else (ZERO, ZERO)), agency.id
        assert found.state == (status.status if status else found.state)
        # The running balance walks from the opening balance to the closing one.
        assert (found.entries[-1].running_balance if found.entries else found.opening_balance) == found.closing_balance
        assert found.opening_balance + found.charges - found.payments == found.closing_balance


def test_the_statement_json_closing_status_is_manage_py_status(sessions):
    from billing.scenario import statuses_to_json

    listed = {a["agency_id"]: a for a in statuses_to_json(TODAY, payment_statuses(TODAY, sessions=sessions))["agencies"]}
    for agency in _agencies(sessions):
        document = statement_json(statement(SYSTEM, agency.id, None, TODAY, sessions=sessions))
        if agency.id in listed:
            assert document["status"] == listed[agency.id]
            assert document["entries"] and all("running_balance" in e for e in document["entries"])
        else:  # nothing invoiced yet: no entries, paid up
            assert not document["entries"] and document["status"]["status"] == "paid_up"
        assert Decimal(document["closing_balance"]) == Decimal(document["status"]["balance"]) - Decimal(document["status"]["credit"])


def test_a_statement_from_a_later_day_opens_with_the_balance_it_had_then(sessions):
    agency = _agencies(sessions)[0]
    whole = statement(SYSTEM, agency.id, None, TODAY, sessions=sessions)
    start = date(2026, 9, 1)
    part = statement(SYSTEM, agency.id, start, TODAY, sessions=sessions)
    before = [e for e in whole.entries if e.on < start]
    assert part.opening_balance == before[-1].running_balance
    assert part.entries == tuple(e for e in whole.entries if e.on >= start)
    assert part.closing_balance == whole.closing_balance


def test_every_payment_lists_what_the_engine_applied_it_to(sessions):
    for agency in _agencies(sessions):
        ledger = account_ledger(SYSTEM, agency.id, TODAY, sessions=sessions)
        for entry in ledger.entries:
            if entry.kind in ("payment", "credit"):
                assert sum((a.amount for a in entry.applied), ZERO) + entry.to_credit == entry.paid
        paid = {}
        for entry in ledger.entries:
            for a in entry.applied:
                paid[a.number] = paid.get(a.number, ZERO) + a.amount
        assert paid == {n: v for n, v in ledger.status.paid.items() if v} if ledger.status else not paid


def test_an_adjustment_shows_on_its_invoice_page_in_its_pdf_and_on_the_statement(sessions):
    cycle = Cycle.parse("2026-10")
    agency, view = next((a, v) for a in _agencies(sessions) if a.first_cycle <= cycle
                        for v in [invoice_view(SYSTEM, a.id, cycle, TODAY, sessions=sessions)] if not v.adjustments)
    number = view.preview.issued.number
    record_payment(SYSTEM, agency_id=agency.id, amount=str(view.balance_due), paid_on=TODAY, invoice_number=number,
                   reference="TEST-FULL", sessions=sessions) if view.balance_due else None
    debit = record_adjustment(SYSTEM, agency_id=agency.id, kind="debit", amount="150.00", on_date=TODAY,
                              reason="Catch-up: licensing fees for two users reported late", invoice_number=number,
                              sessions=sessions)
    credit = record_adjustment(SYSTEM, agency_id=agency.id, kind="credit", amount="20.00", on_date=TODAY,
                               reason="Goodwill credit for the outage on the 3rd", invoice_number=number, sessions=sessions)

    view = invoice_view(SYSTEM, agency.id, cycle, TODAY, sessions=sessions)
    shown = {a.number: a for a in view.adjustments}
    assert set(shown) == {debit.number, credit.number}
    assert view.balance_due == Decimal("130.00")  # the invoice paid, the debit open less the credit applied to it
    assert view.invoice_balance == ZERO and view.open_debits == Decimal("130.00")

    text = _pdf_text(invoice_pdf(view)[1])
    for expected in (debit.number, "Catch-up: licensing fees for two users reported late", credit.number,
                     "Goodwill credit for the outage on the 3rd", "$150.00", "$130.00", "Invoice paid"):
        assert expected in text, expected
    assert "Paid in full" not in text

    found = statement(SYSTEM, agency.id, TODAY - timedelta(days=40), TODAY, sessions=sessions)
    kinds = {e.number: e for e in found.entries}
    assert kinds[debit.number].kind == "debit" and kinds[debit.number].charge == Decimal("150.00")
    assert kinds[credit.number].kind == "credit" and kinds[credit.number].paid == Decimal("20.00")
    statement_text = _pdf_text(statement_pdf(found)[1])
    assert debit.number in statement_text, statement_text
    assert "Goodwill credit" in statement_text and "STATEMENT" in statement_text


def test_an_overpayment_is_account_credit_on_the_agency_page_and_the_statement(sessions):
    agency = _agencies(sessions)[1]
    before = agency_page(SYSTEM, agency.id, TODAY, sessions=sessions)
    record_payment(SYSTEM, agency_id=agency.id, amount=str(before.balance + Decimal("76.00")), paid_on=TODAY,
                   reference="TEST-OVER", sessions=sessions)
    page = agency_page(SYSTEM, agency.id, TODAY, sessions=sessions)
    assert (page.balance, page.credit) == (ZERO, Decimal("76.00"))
    last = page.ledger.entries[-1]
    assert last.to_credit == Decimal("76.00") and "kept as credit" in last.applied_text
    assert statement(SYSTEM, agency.id, None, TODAY, sessions=sessions).closing_balance == Decimal("-76.00")


def _closed_cycles(agency, today):
    cycle = agency.first_cycle
    while cycle.cutoff < today:
        yield cycle
        cycle = cycle.next()


def test_usage_report_totals_equal_the_invoice_quantities_for_every_agency_and_cycle(sessions):
    checked = 0
    for agency in _agencies(sessions):
        for cycle in _closed_cycles(agency, TODAY):
            report = usage_report(SYSTEM, agency.id, cycle, today=TODAY, sessions=sessions)
            view = invoice_view(SYSTEM, agency.id, cycle, TODAY, sessions=sessions)
            snap = view.preview.snapshot
            quantities = {line.code: line.quantity for line in snap.lines}
            assert report.minutes == snap.bank.minutes_used, (agency.id, cycle)
            assert report.user_days == snap.user_days, (agency.id, cycle)
            assert sum(r.days_active for r in report.users) == snap.user_days
            assert sum(r.minutes for r in report.users) == report.minutes  # per user (or not attributed) adds up
            if LineCode.NUMBER_CLEANING.value in quantities:
                assert report.numbers_billed == quantities[LineCode.NUMBER_CLEANING.value]
            if LineCode.APPOINTMENTS.value in quantities:
                assert report.completed_appointments == quantities[LineCode.APPOINTMENTS.value]
            if LineCode.AI_TRANSCRIPTION.value in quantities:
                assert report.transcribed_minutes == quantities[LineCode.AI_TRANSCRIPTION.value]
            assert report.reconciles and usage_json(report)["reconciles"]
            checked += 1
    assert checked >= 30


def test_the_usage_report_names_users_from_call_detail_and_writes_typed_cells(sessions):
    agency = _agencies(sessions)[0]
    report = usage_report(SYSTEM, agency.id, Cycle.parse("2026-11"), today=TODAY, sessions=sessions)
    named = [r for r in report.users if r.user_id]
    assert named and all(r.name for r in named) and sum(r.calls for r in named) == report.calls  # detail kept for 2026-11
    assert usage_csv(report).decode("utf-8-sig").splitlines()[1].startswith("user_id,name,days_active")
    with zipfile.ZipFile(io.BytesIO(usage_xlsx(report))) as book:
        users = book.read("xl/worksheets/sheet1.xml").decode()
        days = book.read("xl/worksheets/sheet2.xml").decode()
    assert re.search(r'<c r="A2"[^>]* t="s"', users)  # the user id is text
    assert re.search(r'<c r="D2"[^>]*><v>\d+</v>', users) and not re.search(r'<c r="D2"[^>]* t=', users)  # calls: a number
    first_day = (report.period.start - date(1899, 12, 30)).days  # Excel's serial date
    assert re.search(rf'<c r="A2"[^>]*><v>{first_day}</v>', days)  # a date cell, not text
    assert json.dumps(usage_json(report))
