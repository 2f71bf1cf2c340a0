"""Screenshots of every page at 1440 px and 390 px for docs/screenshots/, and
the time from the sign-in click to the overview's content.

Usage: start the app on a seeded database (``scripts/run.sh --server.port
8765``), then
    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8765 [page …]
Debian's chromium (/usr/bin/chromium) is driven by Playwright; each page is
shot once its main content (a chart, a table or a heading) is visible and
the app is idle. ``name-390.png`` is the phone-width shot of ``name.png``.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
FINANCE = ("finance@dialer-billing.example", "finance-demo-2026")
# (file name, path, heading)
PAGES = [
    ("overview", "/", "Overview"),
    ("agency", "/agency?agency=A-1016", "Agency"),
    ("calendar", "/calendar", "Cycle calendar"),
    ("invoices", "/invoices?agency=A-1001", "Invoices"),
    ("review", "/review", "Review"),
    ("contracts", "/contracts", "Contracts"),
    ("minute-bank", "/minute-bank", "Minute bank"),
    ("overdue", "/overdue", "Overdue"),
    ("messages", "/messages", "Messages"),
    ("revenue", "/revenue", "Revenue"),
    ("receivables", "/revenue?view=Receivables", "Revenue"),
    ("import", "/import", "Import data"),
    ("audit", "/audit", "Audit log"),
]
SIZES = ((1440, 1100, ""), (390, 1700, "-390"))


def idle(page: Page) -> None:
    """The app has finished its run and the charts and tables have drawn."""
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)
    for selector in (".js-plotly-plot", "[data-testid=stDataFrame]"):
        if page.locator(selector).count():
            with contextlib.suppress(AssertionError):  # drawn lazily below the fold: the shot shows the first screen
                expect(page.locator(selector).first).to_be_visible(timeout=20_000)
    page.wait_for_timeout(1500)


def sign_in(page: Page, base: str) -> float:
    page.goto(base + "/")
    page.locator('input[aria-label="E-mail"]').fill(FINANCE[0])
    page.locator('input[aria-label="Password"]').fill(FINANCE[1])
    started = time.monotonic()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=60_000)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)
    return time.monotonic() - started


def main(base: str, only: list[str]) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        timings = []
        for _ in range(3):
            context.clear_cookies()
            timings.append(sign_in(page, base))
        print(f"sign-in to the overview: {', '.join(f'{t:.2f}' for t in timings)} s; median {statistics.median(timings):.2f} s")
        for name, path, heading in PAGES:
            if only and name not in only:
                continue
            for width, height, suffix in SIZES:
                page.set_viewport_size({"width": width, "height": height})
                page.goto(base + path)
                expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=60_000)
                idle(page)
                page.screenshot(path=str(SHOTS / f"{name}{suffix}.png"))
                print(f"{name}{suffix}.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
