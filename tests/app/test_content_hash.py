"""A finance user never sees a status, a balance or an invoice built on an
issued invoice that was changed outside the app: every page says which
invoice does not match its content hash, instead of "content hash verified"
beside a total somebody rewrote."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from billing import Status
from db.engine import get_engine, session_scope
from db.ledger import agency_statuses
from db.models import Invoice

from .conftest import TODAY


def _tamper_a_restricted_agency(url: str) -> tuple[str, str, str]:
    """Rewrite the oldest open invoice of a restricted agency to 0.00 behind the triggers' back."""
    engine = get_engine(url)
    with session_scope(engine) as session:
        status = next(s for s in agency_statuses(session, TODAY) if s.status is Status.RESTRICTED)
        number = status.oldest_open_invoice
        cycle = session.scalar(select(Invoice.cycle).where(Invoice.number == number))
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER invoice_no_update")
        connection.execute(text("UPDATE invoice SET total = '0.00' WHERE number = :n"), {"n": number})
    return status.agency_id, number, cycle


def _shown(at) -> str:  # type: ignore[no-untyped-def]
    """The errors and warnings as people read them (markdown escapes removed)."""
    return " ".join(str(e.value) for e in [*at.error, *at.warning]).replace("\\", "").replace("**", "")


@pytest.mark.parametrize(("role", "page"), [("finance", "pages/overview.py"), ("finance", "pages/overdue.py"),
                                            ("ops", "pages/overdue.py"), ("ops", "pages/minute_bank.py")])
def test_every_page_built_on_statuses_names_the_changed_invoice(demo_db, viewer_app, role, page):
    _, number, _ = _tamper_a_restricted_agency(demo_db)
    at = viewer_app(role)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    shown = _shown(at)
    assert "Content hash mismatch" in shown and f"Issued invoice {number} (" in shown, shown
    assert "total is 0.00 in the table but" in shown
    assert "restore the row from a backup" in shown


def test_the_invoice_page_of_the_changed_invoice_says_so_instead_of_showing_it(demo_db, viewer_app):
    agency_id, number, cycle = _tamper_a_restricted_agency(demo_db)
    at = viewer_app("finance")
    at.query_params["agency"] = agency_id
    at.query_params["cycle"] = cycle
    at.switch_page("pages/invoices.py").run()
    assert not at.exception, at.exception
    shown = _shown(at)
    assert f"Issued invoice {number} (" in shown and "does not match its content hash" in shown, shown
    assert "content hash verified" not in " ".join(str(c.value) for c in at.caption)
