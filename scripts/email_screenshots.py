"""Screenshots of a rendered housekeeping reminder and an invoice e-mail
(docs/screenshots/email-reminder.png, email-invoice.png): a small demo
portfolio is seeded in a temporary folder, the messages are drafted exactly
as ``notify`` drafts them, and their HTML parts are opened in Chromium.

``.venv/bin/python scripts/email_screenshots.py`` (needs /usr/bin/chromium).
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BILLING_TODAY", "2026-11-25")

from playwright.sync_api import sync_playwright  # noqa: E402

from billing import Cycle  # noqa: E402
from db.engine import get_engine  # noqa: E402
from db.migrate import upgrade_to_head  # noqa: E402
from services.demo import SeedOptions, seed_demo  # noqa: E402
from services.issuing import issue_cycle  # noqa: E402
from services.messages import drafts_due  # noqa: E402
from services.unit_of_work import sessions_for  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="email-shots-"))
    engine = get_engine(f"sqlite:///{folder / 'demo.db'}")
    upgrade_to_head(engine)
    sessions = sessions_for(engine)
    seed_demo(SeedOptions(agencies=8, months=6, seed=7, today=date(2026, 11, 25)), sessions=sessions)
    with sessions() as session:
        reminder = next(d for d in drafts_due(session, date(2026, 11, 18), frozenset({"housekeeping_1"})).drafts
                        if d.agency_id == "A-1001")
    issue_cycle(Cycle.parse("2026-11"), actor="screenshots", today=date(2026, 11, 25), sessions=sessions)
    with sessions() as session:
        invoice = next(d for d in drafts_due(session, date(2026, 11, 25), frozenset({"invoice_posted"})).drafts
                       if d.agency_id == "A-1001")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 760, "height": 300}, device_scale_factor=1)
        for name, draft in (("email-reminder.png", reminder), ("email-invoice.png", invoice)):
            html = folder / f"{name}.html"
            html.write_text(draft.html, encoding="utf-8")
            page.goto(html.as_uri())
            page.screenshot(path=str(OUT / name), full_page=True)
            print(f"{OUT / name}: {draft.subject}")
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
