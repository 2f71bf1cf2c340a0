"""End to end in a real browser: Debian's chromium driven by Playwright.

Starts the dashboard on a free port against a seeded copy of the demo data,
signs in through the form, visits every page and waits for the element each
page is about (a chart, a table, a heading), downloads an invoice PDF, and
saves screenshots of what it saw for review: to ``BILLING_TEST_SHOTS`` when
set, else a temporary folder. The committed ones in docs/screenshots/ are
made by ``scripts/screenshots.py`` and looked at; a test run never changes them.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from db.engine import dispose_engines, get_engine
from services.demo import DEMO_ACCOUNTS, SeedOptions, seed_demo
from services.unit_of_work import sessions_for

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("BILLING_TEST_SHOTS") or tempfile.mkdtemp(prefix="e2e-shots-"))
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
FINANCE = next((email, password) for email, _, role, password in DEMO_ACCOUNTS if role == "finance")
SERVER_DATABASES: list[str] = []  # the database URL of each server started, for tests that change it from outside

if not Path(CHROMIUM).exists():
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs it with apt-get", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

# A page under a loaded CI machine can take longer than the default 5 s to draw its table.
expect.set_options(timeout=30_000)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The dashboard on a free port, on a seeded database of its own, started
    as ``scripts/run.sh`` starts it (``manage.py serve``: warm-up first)."""
    database = tmp_path_factory.mktemp("e2e") / "demo.db"
    seed_demo(SeedOptions(agencies=12, months=6, seed=5, today=date(2026, 11, 25)),
              sessions=sessions_for(get_engine(f"sqlite:///{database}")))
    dispose_engines()
    port = _free_port()
    SERVER_DATABASES.append(f"sqlite:///{database}")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "BILLING_TODAY": "2026-11-25", "BILLING_AUTO_SEED": "0"}
    log = open(tmp_path_factory.mktemp("e2e-log") / "streamlit.log", "w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a fresh venv compiles every module on the first start
        while True:
            try:
                if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read().strip() == b"ok":
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                log.flush()
                raise RuntimeError(f"streamlit did not become healthy:\n{Path(log.name).read_text()[-3000:]}")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    yield opened
    context.close()


def sign_in(page: Page, base: str, path: str = "/") -> None:
    page.goto(base + path)
    page.locator('input[aria-label="E-mail"]').fill(FINANCE[0])
    page.locator('input[aria-label="Password"]').fill(FINANCE[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("stSidebarNav")).to_be_visible()
    wait_for_session_cookie(page)


def wait_for_session_cookie(page: Page) -> None:
    """The sign-in's session cookie is written by a script in the page just
    after the first signed-in run: wait for it before typing another URL."""
    page.wait_for_function("() => document.cookie.includes('billing_session=')", timeout=30_000)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(800)  # let the last chart finish its transition
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_sign_in_and_visit_every_page_from_the_sidebar(server, page):
    sign_in(page, server)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    shot(page, "overview")

    checks = [
        ("Cycle calendar", "calendar", lambda: expect(page.get_by_text("Housekeeping before the cutoff")).to_be_visible()),
        ("Review", "review", lambda: expect(page.get_by_text("One agency")).to_be_visible()),
        ("Invoices", "invoices", lambda: expect(page.get_by_text("Line and why")).to_be_visible()),
        ("Contracts", "contracts", lambda: expect(page.get_by_test_id("stDataFrame").first).to_be_visible()),
        ("Minute bank", "minute-bank", lambda: expect(page.locator(".js-plotly-plot").first).to_be_visible()),
        ("Overdue", "overdue", lambda: expect(page.get_by_test_id("stDataFrame").first).to_be_visible()),
        ("Import data", "import", lambda: expect(page.get_by_text("Kind of file")).to_be_visible()),
        ("Audit log", "audit", lambda: expect(page.get_by_test_id("stDataFrame").first).to_be_visible()),
    ]
    for link, name, ready in checks:
        page.get_by_test_id("stSidebarNav").get_by_text(link, exact=True).click()
        expect(page.get_by_role("heading", name=link, exact=True)).to_be_visible()
        ready()
        shot(page, name)


def test_a_deep_link_survives_signing_in_and_the_pdf_downloads(server, page):
    sign_in(page, server, "/invoices?agency=A-1003&cycle=2026-10")
    expect(page.get_by_text("Line and why")).to_be_visible()
    assert "agency=A-1003" in page.url and "cycle=2026-10" in page.url
    expect(page.get_by_text("Coastal Family Insurance").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDF").click()
    path = download.value.path()
    assert Path(path).read_bytes().startswith(b"%PDF")
    assert download.value.suggested_filename.startswith("INV-2026-10-")


def test_the_overdue_page_records_a_payment(server, page):
    sign_in(page, server, "/overdue")
    expect(page.get_by_text("Record a payment")).to_be_visible()
    page.locator('input[aria-label="Amount (USD)"]').fill("abc")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_text("Not recorded.")).to_be_visible()
    page.locator('input[aria-label="Amount (USD)"]').fill("25.00")
    page.locator('input[aria-label="Reference"]').fill("E2E-1")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_text("Check before recording")).to_be_visible()
    page.get_by_role("button", name="Record it").click()
    expect(page.get_by_text("Recorded $25.00")).to_be_visible()


def test_the_readme_screenshot_is_the_invoice_page(server, page):
    sign_in(page, server, "/invoices?agency=A-1001&cycle=2026-11")
    expect(page.get_by_text("Line and why")).to_be_visible()
    shot(page, "invoices")
    assert (SHOTS / "invoices.png").stat().st_size > 10_000


def test_the_review_page_approves_and_issues_a_cycle(server, page):
    """Last in this module: it issues 2026-11 on the shared server."""
    sign_in(page, server, "/review?cycle=2026-11")
    expect(page.get_by_role("heading", name="Review", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(page.get_by_text("One agency")).to_be_visible()
    page.set_viewport_size({"width": 1440, "height": 1100})
    shot(page, "review")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "review-390")
    page.set_viewport_size({"width": 1440, "height": 1100})

    page.get_by_role("button", name=re.compile(r"^Approve \d+ ready agenc")).click()
    page.get_by_role("button", name="Approve all ready").click()
    expect(page.get_by_text(re.compile(r"^Approved \d+ invoices? \("))).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Issue cycle 2026-11: \d+ approved invoices?")).click()
    page.get_by_role("button", name="Issue now").click()
    expect(page.get_by_text(re.compile(r"^Issued \d+ invoices? of cycle 2026-11 totalling"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^INV-2026-11-0001 "))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Issue cycle 2026-11"))).to_be_disabled()  # nothing approved left
