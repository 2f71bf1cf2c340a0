"""The agency page, adjustments on the invoice page, and the billing portal
(an agency contact), through the real app under AppTest."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from db.engine import get_engine, session_scope
from db.models import Adjustment
from db.seed import DEMO_CONTACT, DEMO_CONTACT_AGENCY
from services.access import AccessDenied, Role
from services.accounts import viewer_for_email
from services.agency_account import account_ledger, agency_page, statement
from services.invoices import invoice_view
from services.usage_report import usage_report

TODAY = date(2026, 11, 25)
OTHER_AGENCY = "A-1002"
OTHER_NAME = "Brightpath Benefits"
CONTACT_PAGES = {"Agency", "Invoices", "Contracts", "Minute bank"}


def _read(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _texts(at) -> list[str]:
    parts = [el.value for kind in ("title", "subheader", "markdown", "caption", "info", "success", "warning", "error")
             for el in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [" ".join(map(str, df.value.to_numpy().ravel())) for df in at.dataframe]
    parts += [" ".join(map(str, box.options)) for box in at.selectbox]
    return [_read(p) for p in parts]


def _visible(navigation_log) -> set[str]:
    return {title for title, visible in navigation_log[-1].items() if visible}


def _adjusted_invoice() -> tuple[str, str, str, str]:
    """(agency, cycle, invoice number, adjustment number) of a seeded debit that names an invoice."""
    with session_scope(get_engine()) as session:
        row = session.scalars(select(Adjustment).where(Adjustment.invoice_number.is_not(None)).order_by(Adjustment.id)).first()
        assert row is not None, "the demo seeds debit adjustments on invoices"
        return row.agency_id, row.invoice_number.removeprefix("INV-")[:7], row.invoice_number, f"ADJ-{row.id:06d}"


# -- the agency page ----------------------------------------------------------------------------
def test_the_agency_page_shows_status_balance_ledger_and_statement_download(viewer_app):
    agency, _, invoice, adjustment = _adjusted_invoice()
    at = viewer_app("finance")
    at.query_params["agency"] = agency
    at.switch_page("pages/agency.py").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Agency"]
    heading = next(m.value for m in at.markdown if m.value.startswith("### "))
    assert re.search(r":(green|blue|yellow|orange|red)-badge\[", heading)
    assert {"Balance", "Credit"} <= {m.label for m in at.metric}
    texts = " ".join(_texts(at))
    assert invoice in texts and adjustment in texts and "Debit adjustment" in texts
    assert at.get("download_button"), "the statement and usage downloads"
    assert any({"Date", "Balance", "Applied to"} <= set(df.value.columns) for df in at.dataframe)


def test_the_adjustment_appears_on_its_invoice_page_with_its_reason(viewer_app):
    agency, cycle, _invoice, adjustment = _adjusted_invoice()
    at = viewer_app("finance")
    at.query_params["agency"] = agency
    at.query_params["cycle"] = cycle
    at.switch_page("pages/invoices.py").run()
    assert not at.exception, at.exception
    table = next(df.value for df in at.dataframe if "Adjustment" in df.value.columns)
    assert adjustment in set(table["Adjustment"])
    assert any("Catch-up" in reason for reason in table["Reason (shown to the client)"])
    heading = next(m.value for m in at.markdown if m.value.startswith("### "))
    assert "-badge[" in heading  # the account's status badge
    assert any("account, ledger and statement" in link.proto.label for link in at.get("page_link"))  # same-tab link home


def test_the_invoice_page_shows_user_names_beside_ids(viewer_app):
    at = viewer_app("finance")
    at.query_params["agency"] = "A-1001"
    at.query_params["cycle"] = "2026-11"
    at.switch_page("pages/invoices.py").run()
    view = invoice_view(viewer_for_email("finance@dialer-billing.example"), "A-1001",
                        __import__("billing").Cycle.parse("2026-11"), TODAY)
    named = [view.named(s.user_id) for s in view.seat_steps]
    assert named and all("(" in n for n in named)
    html = " ".join(h.proto.body for h in at.get("html"))
    prorated = [line for line in view.preview.snapshot.lines if line.user]
    assert all(view.user_names[line.user] in html for line in prorated if line.user in (view.user_names or {}))


# -- the billing portal -----------------------------------------------------------------------
def test_an_agency_contact_signs_in_to_their_agency_page_and_sees_only_portal_pages(signed_in_app, navigation_log):
    at = signed_in_app("agency_contact")
    assert [t.value for t in at.title] == ["Agency"]
    assert _visible(navigation_log) == CONTACT_PAGES
    assert at.selectbox(key="agency_page_agency").options == [f"{at.selectbox(key='agency_page_agency').options[0]}"]
    assert DEMO_CONTACT_AGENCY in at.selectbox(key="agency_page_agency").value
    assert not any(OTHER_NAME in t for t in _texts(at))


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/calendar.py", "pages/overdue.py", "pages/import_data.py",
                                  "pages/audit_log.py"])
def test_an_agency_contact_reaching_a_staff_page_by_url_is_told_no(viewer_app, page):
    at = viewer_app("agency_contact")
    at.switch_page(page).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Your role (Agency billing contact) does not have access to this page."]
    assert not at.dataframe and not at.metric


@pytest.mark.parametrize(("page", "key"), [("pages/agency.py", "agency_page_agency"), ("pages/invoices.py", "invoice_agency"),
                                           ("pages/contracts.py", "contract_agency"), ("pages/minute_bank.py", "bank_agency")])
def test_an_agency_contact_deep_linking_to_another_agency_gets_nothing_of_it(viewer_app, page, key):
    at = viewer_app("agency_contact")
    at.query_params["agency"] = OTHER_AGENCY
    at.query_params["cycle"] = "2026-10"
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert any("not yours to see" in e.value for e in at.error)
    assert at.selectbox(key=key).value == DEMO_CONTACT_AGENCY
    assert not any(OTHER_NAME in t for t in _texts(at)), [t for t in _texts(at) if OTHER_NAME in t]


def test_an_agency_contact_sees_nothing_to_change(viewer_app):
    at = viewer_app("agency_contact")
    at.query_params["agency"] = DEMO_CONTACT_AGENCY
    at.query_params["cycle"] = "2026-10"
    at.switch_page("pages/invoices.py").run()
    assert not at.exception
    keys = {b.key for b in at.button if b.key} | {f.key for f in at.get("form") if getattr(f, "key", None)}
    assert not {"issue_now", "FormSubmitter:adjustment_form-Record adjustment"} & keys
    assert not any("Record an adjustment" in e.label for e in at.expander)


def test_the_services_refuse_an_agency_contact_any_other_agency(demo_db):
    contact = viewer_for_email(DEMO_CONTACT)
    assert contact is not None and contact.role is Role.AGENCY_CONTACT and contact.agencies == {DEMO_CONTACT_AGENCY}
    from billing import Cycle

    for call in (lambda: agency_page(contact, OTHER_AGENCY, TODAY), lambda: account_ledger(contact, OTHER_AGENCY, TODAY),
                 lambda: statement(contact, OTHER_AGENCY, None, TODAY),
                 lambda: usage_report(contact, OTHER_AGENCY, Cycle.parse("2026-10"), today=TODAY),
                 lambda: invoice_view(contact, OTHER_AGENCY, Cycle.parse("2026-10"), TODAY)):
        with pytest.raises(AccessDenied):
            call()
    assert agency_page(contact, DEMO_CONTACT_AGENCY, TODAY).ledger is not None
