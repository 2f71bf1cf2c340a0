"""Staying signed in, in a real browser: a reload, a new tab and a pasted deep
link keep the session; signing out ends it in every tab; a role change ends
it at the next click."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from playwright.sync_api import Page, expect

from . import test_browser as kit

server, browser, page = kit.server, kit.browser, kit.page  # the same fixtures, a server of this module's own

OPS_EMAIL = "ops@dialer-billing.example"
OPS_PASSWORD = "ops-demo-2026"


def _signed_in(page: Page) -> None:
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def _sign_in_form(page: Page) -> None:
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_reload_new_tab_and_pasted_link_stay_signed_in(server, page):
    started = time.monotonic()
    kit.sign_in(page, server)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    signed_in_after = time.monotonic() - started
    page.reload()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    _signed_in(page)

    tab = page.context.new_page()
    tab.goto(server + "/invoices?agency=A-1003&cycle=2026-10")
    expect(tab.get_by_text("Line and why")).to_be_visible()
    expect(tab.get_by_text("Coastal Family Insurance").first).to_be_visible()
    _signed_in(tab)
    assert signed_in_after < 30  # the 2 s target is measured in BENCHMARKS.md, not asserted on a loaded CI machine

    page.get_by_role("button", name="Sign out", exact=True).click()
    _sign_in_form(page)
    expect(page.get_by_text("You signed out.")).to_be_visible()
    tab.reload()
    _sign_in_form(tab)
    page.reload()
    _sign_in_form(page)


def test_a_role_change_ends_the_session_at_the_next_click(server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(server + "/overdue")
    page.locator('input[aria-label="E-mail"]').fill(OPS_EMAIL)
    page.locator('input[aria-label="Password"]').fill(OPS_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    _signed_in(page)
    database = _database_url(page)
    subprocess.run([sys.executable, "manage.py", "user", "role", OPS_EMAIL, "account_manager"], cwd=kit.ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": database}, capture_output=True)
    try:
        page.reload()
        _sign_in_form(page)
        expect(page.get_by_text("Your account changed")).to_be_visible()
    finally:
        subprocess.run([sys.executable, "manage.py", "user", "role", OPS_EMAIL, "ops"], cwd=kit.ROOT, check=True,
                       env={**os.environ, "DATABASE_URL": database}, capture_output=True)
        context.close()


def _database_url(page: Page) -> str:
    return kit.SERVER_DATABASES[-1]
