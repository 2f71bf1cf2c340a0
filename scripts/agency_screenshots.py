"""Screenshots of the agency page (1440 px and 390 px), the statement PDF and
an invoice PDF with an adjustment, for docs/screenshots/.

Usage: start the app on a seeded database, then
    .venv/bin/python scripts/agency_screenshots.py http://127.0.0.1:8765 A-1016 2026-11
(chromium at /usr/bin/chromium; PDF pages are rendered with pdftoppm when it is installed).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
FINANCE = ("finance@dialer-billing.example", "finance-demo-2026")


def _sign_in(page, base: str, path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + path)
    page.locator('input[aria-label="E-mail"]').fill(FINANCE[0])
    page.locator('input[aria-label="Password"]').fill(FINANCE[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Account ledger")).to_be_visible(timeout=60_000)
    page.wait_for_timeout(1500)


def _pdf_png(pdf: Path, name: str) -> None:
    if shutil.which("pdftoppm") is None:
        print(f"pdftoppm is not installed: {name}.png skipped")
        return
    stem = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)], check=True)
    shutil.copyfile(f"{stem}.png", SHOTS / f"{name}.png")


def main(base: str, agency: str, cycle: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        for width, name in ((1440, "agency"), (390, "agency-390")):
            context = browser.new_context(viewport={"width": width, "height": 1000}, accept_downloads=True)
            page = context.new_page()
            _sign_in(page, base, f"/agency?agency={agency}")
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
            if width == 1440:
                with page.expect_download() as download:
                    page.get_by_role("button", name="Download statement (PDF)").click()
                download.value.save_as(work / "statement.pdf")
                page.get_by_role("link", name=f"Latest invoice: INV-{cycle}", exact=False).click()  # same session
                expect(page.get_by_text("Line and why")).to_be_visible(timeout=60_000)
                with page.expect_download() as download:
                    page.get_by_role("button", name="Download PDF").click()
                download.value.save_as(work / "invoice.pdf")
            context.close()
        browser.close()
    _pdf_png(work / "statement.pdf", "statement")
    _pdf_png(work / "invoice.pdf", "invoice-with-adjustment")


if __name__ == "__main__":
    main(*sys.argv[1:4])
