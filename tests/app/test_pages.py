"""The dashboard: every page renders on the demo data and on an empty
database, deep links select what they name, and the payment form records
good input and refuses bad input."""

from __future__ import annotations

import re
import time

import pytest
import streamlit as st
from sqlalchemy import func, select

from db.engine import get_engine, session_scope
from db.models import Payment


def _texts(at) -> list[str]:
    """Every piece of text on the page, markdown escapes removed."""
    parts = [el.value for kind in ("title", "subheader", "markdown", "caption", "info", "success", "warning", "error")
             for el in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return [p.replace("\\", "") for p in parts]


def _charts(at) -> list[str]:
    """Keys of the plotly charts on the page."""
    return [chart.proto.id for chart in at.get("plotly_chart")]


def _has(*needles: str):
    return lambda at: all(any(needle in text for text in _texts(at)) for needle in needles)


# page -> what shows it really rendered on the demo data
DEMO_EXPECTATIONS = {
    "pages/overview.py": lambda at: len(at.metric) >= 8 and any("overview_totals" in c for c in _charts(at))
    and any("overview_status" in c for c in _charts(at)),
    "pages/calendar.py": lambda at: len(at.dataframe) == 3 and len(at.dataframe[1].value) == 10
    and list(at.dataframe[2].value.columns) == ["Agency", "Name", "Idle user"],  # the idle users, one table
    "pages/invoices.py": lambda at: _has("Lines", "All agencies, cycle 2026-11")(at) and len(at.dataframe) >= 1
    and at.metric[0].label == "Total",
    "pages/contracts.py": lambda at: len(at.dataframe) == 1 and len(at.dataframe[0].value) >= 1,
    "pages/minute_bank.py": lambda at: any("bank_chart" in c for c in _charts(at)) and any("trend_chart" in c for c in _charts(at))
    and len(at.dataframe[-1].value) == 10,  # the runway ranking (the trend's table comes first)
    "pages/overdue.py": lambda at: any("aging_chart" in c for c in _charts(at)) and len(at.dataframe[0].value) >= 2,
    "pages/import_data.py": lambda at: at.selectbox(key="import_kind").value == "agencies",
    "pages/audit_log.py": lambda at: len(at.dataframe[0].value) > 0,
    "pages/messages.py": _has("Outbox", "Contacts"),
}
PAGES = list(DEMO_EXPECTATIONS)

# page -> the friendly message an empty database gets instead of a traceback
EMPTY_STATES = {
    "pages/overview.py": _has("No agencies yet", "python manage.py seed"),
    "pages/calendar.py": _has("No agencies yet"),
    "pages/invoices.py": _has("No agencies yet: there is nothing to invoice"),
    "pages/contracts.py": _has("No agencies yet"),
    "pages/minute_bank.py": _has("No agencies yet, so no minute banks"),
    "pages/overdue.py": _has("No agencies yet, so nothing can be overdue"),
    "pages/import_data.py": lambda at: at.selectbox(key="import_kind") is not None,  # the way to fill it
    "pages/audit_log.py": _has("0 events"),
    "pages/messages.py": _has("No agencies yet, so no messages"),
}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_demo_data(viewer_app, render_times, page):
    at = viewer_app("finance")
    st.cache_data.clear()  # measure the page pricing its own data, not the overview's leftovers
    started = time.perf_counter()
    at.switch_page(page).run()
    cold = time.perf_counter() - started
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert DEMO_EXPECTATIONS[page](at), _texts(at)
    started = time.perf_counter()
    at.run()
    warm = time.perf_counter() - started
    assert not at.exception, at.exception
    render_times(page.removeprefix("pages/"), cold, warm)
    print(f"{page}: {cold * 1000:.0f} ms cold, {warm * 1000:.0f} ms warm")
    assert cold < 5 and warm < 5  # a sanity bound, not a benchmark


@pytest.mark.parametrize("page", PAGES)
def test_every_page_has_a_friendly_empty_state(empty_db, viewer_app, page):
    at = viewer_app("finance")
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert EMPTY_STATES[page](at), _texts(at)
    assert not any("None" in text.split() for text in _texts(at)), _texts(at)


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/invoices.py", "pages/contracts.py"])
def test_an_account_manager_without_agencies_is_told_to_ask_finance_not_to_import(viewer_app, page):
    at = viewer_app("account_manager", agencies=frozenset())
    at.switch_page(page).run()
    texts = " ".join(_texts(at))
    assert "No agencies are assigned to you yet. Ask finance" in texts and "Import" not in texts, texts


# -- deep links --------------------------------------------------------------------------
def test_a_deep_link_selects_the_agency_and_the_cycle(viewer_app):
    at = viewer_app("finance")
    at.query_params["agency"] = "A-1003"
    at.query_params["cycle"] = "2026-10"
    at.switch_page("pages/invoices.py").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="invoice_agency").value == "A-1003"
    assert at.selectbox(key="invoice_cycle").value == "2026-10"
    assert any("Coastal Family Insurance" in t and "Issued INV-2026-10-" in t for t in _texts(at)), _texts(at)


def test_the_url_follows_the_selection(viewer_app):
    at = viewer_app("finance")
    at.switch_page("pages/invoices.py").run()
    at.selectbox(key="invoice_agency").set_value("A-1004").run()
    assert at.query_params["agency"] == "A-1004"
    assert any("Delta Health Advisors" in t for t in _texts(at))
    at.selectbox(key="invoice_cycle").set_value("2026-09").run()
    assert (at.query_params["agency"], at.query_params["cycle"]) == ("A-1004", "2026-09")
    assert not at.exception and not at.error


def test_a_deep_link_selects_the_minute_bank_agency(viewer_app):
    at = viewer_app("finance")
    at.query_params["agency"] = "A-1007"
    at.switch_page("pages/minute_bank.py").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="bank_agency").value == "A-1007"
    at.selectbox(key="bank_agency").set_value("A-1001").run()
    assert at.query_params["agency"] == "A-1001"


@pytest.mark.parametrize(("agency", "cycle", "message"), [
    ("A-9999", "2026-11", "names agency “A-9999”, which does not exist"),
    ("A-1001", "2026-13", "The link's cycle “2026-13” is not a cycle"),
    ("A-1001", "november", "The link's cycle “november” is not a cycle"),
    ("A-1001", "2026-1", "The link's cycle “2026-1” is not a cycle"),
])
def test_a_broken_deep_link_says_so_and_shows_a_valid_invoice(viewer_app, agency, cycle, message):
    at = viewer_app("finance")
    at.query_params["agency"] = agency
    at.query_params["cycle"] = cycle
    at.switch_page("pages/invoices.py").run()
    assert not at.exception, at.exception
    assert any(message in _as_read(e.value) for e in at.error), [e.value for e in at.error]
    assert at.selectbox(key="invoice_agency").value in {agency, "A-1001"}
    assert at.selectbox(key="invoice_cycle").value in {cycle, "2026-11"}
    assert at.metric[0].label == "Total"  # the page still shows an invoice


def test_a_deep_link_to_an_unknown_agency_on_the_minute_bank_says_so(viewer_app):
    at = viewer_app("finance")
    at.query_params["agency"] = "A-9999"
    at.switch_page("pages/minute_bank.py").run()
    assert not at.exception
    assert any("A-9999" in _as_read(e.value) and "does not exist" in e.value for e in at.error)


# -- the payment form ----------------------------------------------------------------------
def _payments() -> int:
    with session_scope(get_engine()) as session:
        return session.scalar(select(func.count()).select_from(Payment))


def _as_read(markdown: str) -> str:
    """Error text as a person reads it: without the markdown escapes of names and amounts."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _pay(at, amount: str, reference: str = ""):
    at.text_input(key="pay_amount").input(amount)
    at.text_input(key="pay_reference").input(reference)
    at.button(key="FormSubmitter:payment_form-Record payment").click()
    at.run()
    if "pay_confirm" in [b.key for b in at.button]:  # the checks passed: confirm the summary
        at.button(key="pay_confirm").click().run()
    return at


def _overdue_rows(at) -> dict[str, str]:
    frame = at.dataframe[0].value if at.dataframe else None
    return {} if frame is None else dict(zip(frame["Name"], frame["Status"], strict=True))


def test_the_payment_form_records_a_payment_and_the_page_updates(viewer_app):
    at = viewer_app("finance")
    at.switch_page("pages/overdue.py").run()
    assert _overdue_rows(at)["Coastal Family Insurance"] == "Restricted"
    restricted_before = {m.label: m.value for m in viewer_app("finance").metric}["Restricted"]
    before = _payments()

    at.selectbox(key="pay_agency").set_value("A-1003").run()
    _pay(at, "$1,700.40", "ACH-APPTEST-1")

    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [_as_read(s.value) for s in at.success] == ["Recorded $1,700.40 from Coastal Family Insurance on Wed 2026-11-25."]
    assert _payments() == before + 1
    assert "Coastal Family Insurance" not in _overdue_rows(at)  # paid: no longer overdue, let alone restricted
    overview = viewer_app("finance")
    assert int({m.label: m.value for m in overview.metric}["Restricted"]) == int(restricted_before) - 1


def test_the_same_reference_twice_is_recorded_once(viewer_app):
    at = viewer_app("finance")
    at.switch_page("pages/overdue.py").run()
    before = _payments()
    _pay(at, "10.00", "ACH-TWICE")
    _pay(at, "10.00", "ACH-TWICE")
    assert _payments() == before + 1
    assert any("already recorded; nothing changed" in s.value for s in at.success)


@pytest.mark.parametrize(("amount", "problem"), [
    ("abc", "Amount: is not an amount; write it like 1,250.00"),
    ("0", "Amount: must be more than $0.00"),
    ("1.005", "Amount: has more than 2 decimal places"),
    ("-5", "Amount: must not be negative"),
    ("", "Amount: is required"),
    ("1,2345", "Amount: has its thousands separators in the wrong places"),
])
def test_the_payment_form_refuses_bad_amounts_and_records_nothing(viewer_app, amount, problem):
    at = viewer_app("finance")
    at.switch_page("pages/overdue.py").run()
    before = _payments()
    _pay(at, amount, "REF-BAD")
    assert not at.exception
    shown = [_as_read(e.value) for e in at.error]
    assert len(shown) == 1 and shown[0].startswith("Not recorded.") and problem in shown[0], shown
    assert not at.success
    assert _payments() == before


@pytest.mark.parametrize("amount", [
    pytest.param("1e3", id="exponent"),
    pytest.param("1_000", id="underscore"),
    pytest.param("\u0661\u0660\u0660", id="arabic-indic-digits"),
])
def test_the_payment_form_refuses_amounts_that_are_not_plain_decimals(viewer_app, amount):
    at = viewer_app("finance")
    at.switch_page("pages/overdue.py").run()
    before = _payments()
    _pay(at, amount, "REF-ODD")
    assert _payments() == before
    assert any("Amount:" in _as_read(e.value) for e in at.error)


# -- small things the pages get wrong ---------------------------------------------------------
def test_the_overview_chart_caption_counts_right(viewer_app):
    at = viewer_app("finance")
    caption = next(t for t in _texts(at) if "· portfolio total" in t)
    assert caption.startswith("All 10 invoices ·"), caption


def _record_credit(at, amount: str):
    at.selectbox(key="adj_kind").set_value("credit")
    at.text_input(key="adj_amount").input(amount)
    at.text_input(key="adj_reason").input("Seat billed after the user left")
    at.button(key="FormSubmitter:adjustment_form-Record adjustment").click()
    return at.run()


def _issued_coastal(viewer_app):
    at = viewer_app("finance")
    at.query_params["agency"] = "A-1003"
    at.query_params["cycle"] = "2026-10"
    return at.switch_page("pages/invoices.py").run()


def test_an_adjustment_is_confirmed_with_the_amount_recorded(viewer_app):
    at = _record_credit(_issued_coastal(viewer_app), "125.000")
    assert [s.value for s in at.success] == ["Recorded a credit of $125.00 on INV-2026-10-0003."]


def test_after_an_adjustment_the_balance_shown_is_the_new_one(viewer_app):
    at = _issued_coastal(viewer_app)
    assert {m.label: m.value for m in at.metric}["Balance due on this invoice"] == "$1,700.40"
    at = _record_credit(at, "100.00")
    assert [s.value for s in at.success] == ["Recorded a credit of $100.00 on INV-2026-10-0003."]
    assert {m.label: m.value for m in at.metric}["Balance due on this invoice"] == "$1,600.40"


# -- finance reporting ----------------------------------------------------------------------
@pytest.mark.parametrize("view", ["Revenue", "Receivables", "Accounting export"])
def test_finance_reads_revenue_receivables_and_the_export(viewer_app, view):
    at = viewer_app("finance")
    at.query_params["view"] = view
    at.switch_page("pages/revenue.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.dataframe, "every view has a table"
    texts = " ".join(_texts(at))
    assert "None" not in texts.split()
    if view == "Accounting export":
        assert any(b.label.startswith("Download invoices-") for b in at.get("download_button"))


@pytest.mark.parametrize("role", ["ops", "account_manager"])
def test_revenue_is_for_finance_only(viewer_app, role):
    at = viewer_app(role)
    at.switch_page("pages/revenue.py").run()
    assert any("does not have access" in e.value for e in at.error)
