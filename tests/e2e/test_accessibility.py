"""Accessibility: axe-core (axe-playwright-python) on the sign-in screen and on
every page each role can open, finds no serious or critical violation in the
app's own content.

Streamlit's sidebar navigation is left out of the check: its markup (``<li>``
inside ``<div>`` inside ``<ul>``) is Streamlit's, not ours, and no app
setting changes it; everything the pages draw, captions and charts included,
is checked.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from . import test_browser as kit

server, browser = kit.server, kit.browser
BLOCKING = {"serious", "critical"}
STREAMLIT_OWN = [['[data-testid="stSidebarNav"]']]
ROLES = {role: (email, password) for email, _, role, password in kit.DEMO_ACCOUNTS}
_axe = Axe()


def _problems(page: Page) -> list[str]:
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)
    page.wait_for_timeout(500)  # charts finish drawing
    results = _axe.run(page, context={"exclude": STREAMLIT_OWN})
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
            for v in results.response["violations"] if v.get("impact") in BLOCKING]


def test_the_sign_in_screen_has_no_serious_violation(server, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.goto(server + "/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert _problems(page) == []
    context.close()


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_page_of_a_role_has_no_serious_violation(server, browser, role):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    email, password = ROLES[role]
    page.goto(server + "/")
    page.locator('input[aria-label="E-mail"]').fill(email)
    page.locator('input[aria-label="Password"]').fill(password)
    page.get_by_role("button", name="Sign in").click()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).to_be_visible(timeout=90_000)  # the first sign-in of a cold server on a busy machine
    kit.wait_for_session_cookie(page)
    links = [link.get_attribute("href") or "" for link in nav.locator("a").all()]
    assert links, f"{role} sees no pages"
    found = {}
    for href in links:
        page.goto(href if href.startswith("http") else server + href)
        expect(page.get_by_test_id("stSidebarNav")).to_be_visible()
        expect(page.locator("h1").first).to_be_visible()
        problems = _problems(page)
        if problems:
            found[href] = problems
    context.close()
    assert found == {}
