"""Every page renders on the demo data and on an empty database, deep links
work, and the payment form records good input and refuses bad input."""

from __future__ import annotations

import time

import pytest
from app_kit import signed_in
from sqlalchemy import func, select

from db.engine import get_engine, session_scope
from db.models import Payment

PAGES = ["pages/overview.py", "pages/calendar.py", "pages/invoices.py", "pages/contracts.py", "pages/minute_bank.py",
         "pages/overdue.py", "pages/import_data.py", "pages/audit_log.py"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_demo_data(demo_db, page):
    at = signed_in("finance")
    started = time.perf_counter()
    at.switch_page(page).run()
    elapsed = time.perf_counter() - started
    print(f"{page}: first render {elapsed * 1000:.0f} ms")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert elapsed < 5


@pytest.mark.parametrize("page", PAGES)
def test_every_page_has_a_friendly_empty_state(empty_db, page):
    at = signed_in("finance")
    at.switch_page(page).run()
    assert not at.exception, at.exception


def test_the_empty_overview_says_what_to_do(empty_db):
    at = signed_in("finance")
    assert any("No agencies yet" in info.value for info in at.info)


def test_a_deep_link_selects_the_agency_and_the_cycle(demo_db):
    at = signed_in("finance")
    at.query_params["agency"] = "A-1003"
    at.query_params["cycle"] = "2026-10"
    at.switch_page("pages/invoices.py").run()
    assert at.selectbox(key="invoice_agency").value == "A-1003"
    assert at.selectbox(key="invoice_cycle").value == "2026-10"
    assert any("Issued INV" in md.value.replace("\\", "") for md in at.markdown)


def test_the_url_follows_the_selection(demo_db):
    at = signed_in("finance")
    at.switch_page("pages/invoices.py").run()
    at.selectbox(key="invoice_agency").set_value("A-1004").run()
    assert at.query_params["agency"] == ["A-1004"] or at.query_params["agency"] == "A-1004"


@pytest.mark.parametrize(("agency", "cycle", "message"), [("A-9999", "2026-11", "does not exist"),
                                                           ("A-1001", "2026-13", "not a cycle")])
def test_a_broken_deep_link_says_so(demo_db, agency, cycle, message):
    at = signed_in("finance")
    at.query_params["agency"] = agency
    at.query_params["cycle"] = cycle
    at.switch_page("pages/invoices.py").run()
    assert not at.exception
    assert any(message in e.value for e in at.error)


def _payments() -> int:
    with session_scope(get_engine()) as session:
        return session.scalar(select(func.count()).select_from(Payment))


def _pay(at, amount: str, reference: str = ""):
    at.text_input(key="pay_amount").input(amount)
    at.text_input(key="pay_reference").input(reference)
    at.button(key="FormSubmitter:payment_form-Record payment").click()
    return at.run()


def test_the_payment_form_records_a_payment_and_the_page_updates(demo_db):
    at = signed_in("finance")
    at.switch_page("pages/overdue.py").run()
    before = _payments()
    _pay(at, "$1,234.50", "ACH-APPTEST-1")
    assert not at.exception and not at.error
    assert any("Recorded $1,234.50" in s.value for s in at.success)
    assert _payments() == before + 1


@pytest.mark.parametrize(("amount", "problem"), [("abc", "not a decimal"), ("0", "more than $0.00"),
                                                 ("1.005", "more than 2 decimal places"), ("-5", "more than $0.00")])
def test_the_payment_form_refuses_bad_amounts_and_records_nothing(demo_db, amount, problem):
    at = signed_in("finance")
    at.switch_page("pages/overdue.py").run()
    before = _payments()
    _pay(at, amount)
    assert any("amount" in e.value and problem in e.value for e in at.error), [e.value for e in at.error]
    assert _payments() == before
