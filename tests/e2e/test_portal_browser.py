"""The billing portal in a real browser: an agency contact signs in, lands on
their agency page, sees only the portal pages in the menu, downloads the
statement, and gets nothing of another agency by URL. An agency link on a
staff page opens in the same tab (no new session, no second sign-in)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from db.seed import DEMO_ACCOUNTS, DEMO_CONTACT_AGENCY

from . import test_browser as kit
from .test_browser import CHROMIUM, FINANCE, browser, page, server  # noqa: F401  (fixtures)

if not Path(CHROMIUM).exists():  # pragma: no cover - test_browser skips the module first
    pytest.skip("no chromium", allow_module_level=True)

from playwright.sync_api import Page, expect

CONTACT = next((email, password) for email, _, role, password in DEMO_ACCOUNTS if role == "agency_contact")


def _sign_in(tab: Page, base: str, account: tuple[str, str], path: str = "/") -> None:
    """Sign in through the form; the session cookie then carries every URL typed into the address bar."""
    tab.goto(base + path)
    tab.locator('input[aria-label="E-mail"]').fill(account[0])
    tab.locator('input[aria-label="Password"]').fill(account[1])
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_test_id("stSidebarNav")).to_be_visible()
    kit.wait_for_session_cookie(tab)


def test_an_agency_contact_reaches_their_agency_and_nothing_else(server, page):  # noqa: F811
    _sign_in(page, server, CONTACT)
    expect(page.get_by_role("heading", name="Agency", exact=True)).to_be_visible()
    expect(page.get_by_text("Account ledger")).to_be_visible()
    menu = page.get_by_test_id("stSidebarNav")
    for shown in ("Agency", "Invoices", "Minute bank"):
        expect(menu.get_by_text(shown, exact=True)).to_be_visible()
    for hidden in ("Overview", "Overdue", "Cycle calendar", "Import data", "Audit log"):
        expect(menu.get_by_text(hidden, exact=True)).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download statement (PDF)").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    assert DEMO_CONTACT_AGENCY in download.value.suggested_filename

    page.goto(f"{server}/agency?agency=A-1002")  # another agency, by URL (still signed in: the session cookie)
    expect(page.get_by_text("not yours to see")).to_be_visible()
    own = re.compile(DEMO_CONTACT_AGENCY.replace("-", "[-\u2011]"))  # the page prints the id with a non-breaking hyphen
    expect(page.get_by_role("heading", name=own)).to_be_visible()  # their own agency instead
    expect(page.get_by_text("Brightpath Benefits")).to_have_count(0)

    page.goto(f"{server}/overdue")
    expect(page.get_by_text("does not have access to this page")).to_be_visible()


def test_the_agency_name_on_an_invoice_opens_the_agency_page_in_the_same_tab(server, page):  # noqa: F811
    _sign_in(page, server, FINANCE, "/invoices?agency=A-1003&cycle=2026-10")
    expect(page.get_by_text("Line and why")).to_be_visible()
    pages_before = len(page.context.pages)
    page.get_by_role("link", name="Coastal Family Insurance: account, ledger and statement").click()
    expect(page.get_by_role("heading", name="Agency", exact=True)).to_be_visible()
    assert "/agency?agency=A-1003" in page.url
    assert len(page.context.pages) == pages_before  # no new tab
    expect(page.get_by_test_id("stSidebarNav")).to_be_visible()  # still signed in: the same session
