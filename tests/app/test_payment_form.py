"""The payment form is safe to type into: no date is silently replaced,
every payment is summarised (with the invoices it goes to) before it is
recorded, old dates and likely duplicates are asked about, and nothing typed
for one payment carries over to the next."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from db.engine import get_engine, session_scope
from db.models import Payment

from .conftest import TODAY


def _payments(url: str) -> int:
    with session_scope(get_engine(url)) as session:
        return session.scalar(select(func.count()).select_from(Payment)) or 0


def _read(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def _form(viewer_app):  # type: ignore[no-untyped-def]
    at = viewer_app("finance")
    return at.switch_page("pages/overdue.py").run()


def _submit(at, amount: str, *, paid_on: date | None = None, reference: str = ""):  # type: ignore[no-untyped-def]
    at.text_input(key="pay_amount").input(amount)
    if paid_on is not None:
        at.date_input(key="pay_date").set_value(paid_on)
    at.text_input(key="pay_reference").input(reference)
    at.button(key="FormSubmitter:payment_form-Record payment").click()
    return at.run()


def _confirm(at):  # type: ignore[no-untyped-def]
    at.button(key="pay_confirm").click()
    return at.run()


def test_a_payment_dated_in_the_future_is_refused_in_words_not_moved_to_today(viewer_app, demo_db):
    before = _payments(demo_db)
    at = _submit(_form(viewer_app), "25.00", paid_on=date(2026, 12, 25))
    (error,) = [_read(e.value) for e in at.error]
    assert "Received on: must be on or before 2026-11-25" in error and "not 2026-12-25" in error
    assert _payments(demo_db) == before


def test_a_payment_dated_before_the_agency_was_onboarded_is_refused(viewer_app, demo_db):
    before = _payments(demo_db)
    at = _form(viewer_app)
    at = _submit(at, "25.00", paid_on=date(2020, 1, 1))
    assert any("was onboarded then" in _read(e.value) for e in at.error), "refused before any summary"
    assert "pay_confirm" not in [b.key for b in at.button]
    assert _payments(demo_db) == before


def test_an_old_date_is_asked_about_and_recorded_only_when_confirmed(viewer_app, demo_db):
    before = _payments(demo_db)
    at = _submit(_form(viewer_app), "30.00", paid_on=TODAY - timedelta(days=40), reference="OLD-1")
    (question,) = [_read(w.value) for w in at.warning]
    assert "is 40 days ago" in question
    assert _payments(demo_db) == before
    at.button(key="pay_cancel").click()
    at.run()
    assert not at.warning and _payments(demo_db) == before
    at = _confirm(_submit(at, "30.00", paid_on=TODAY - timedelta(days=40), reference="OLD-1"))
    assert any("Recorded $30.00" in _read(s.value) for s in at.success)
    assert _payments(demo_db) == before + 1


def test_the_same_amount_again_without_a_reference_asks_before_recording_a_second_payment(viewer_app, demo_db):
    before = _payments(demo_db)
    at = _confirm(_submit(_form(viewer_app), "5.00"))
    assert _payments(demo_db) == before + 1
    at = _submit(at, "5.00")
    (question,) = [_read(w.value) for w in at.warning]
    assert "$5.00 from this agency was already recorded on Wed 2026-11-25" in question
    assert _payments(demo_db) == before + 1
    _confirm(at)
    assert _payments(demo_db) == before + 2


def test_the_form_is_empty_again_after_a_payment_and_when_the_agency_changes(viewer_app, demo_db):
    at = _confirm(_submit(_form(viewer_app), "12.00", reference="RESET-1"))
    assert any("Recorded $12.00" in _read(s.value) for s in at.success)
    assert at.text_input(key="pay_amount").value == "" and at.text_input(key="pay_reference").value == ""
    at.text_input(key="pay_amount").input("99.00")
    at.date_input(key="pay_date").set_value(TODAY - timedelta(days=3))
    at.run()
    other = "A-1002" if at.selectbox(key="pay_agency").value != "A-1002" else "A-1003"
    at.selectbox(key="pay_agency").set_value(other).run()
    assert at.text_input(key="pay_amount").value == ""
    assert at.date_input(key="pay_date").value == TODAY


def test_nothing_is_recorded_until_the_summary_is_confirmed(viewer_app, demo_db):
    before = _payments(demo_db)
    at = _submit(_form(viewer_app), "40.00", reference="SUM-1")
    assert _payments(demo_db) == before
    summary = " ".join(_read(m.value) for m in at.markdown)
    assert "Check before recording" in summary and "$40.00" in summary and "reference SUM-1" in summary
    assert "Status:" in summary
    at.button(key="pay_cancel").click()
    at.run()
    assert _payments(demo_db) == before and not at.success


def test_the_summary_names_the_invoices_the_payment_goes_to(viewer_app, demo_db):
    at = _form(viewer_app)
    owing = at.selectbox(key="pay_agency").value  # agencies that owe come first
    at = _submit(at, "1.00", reference="SUM-2")
    summary = " ".join(_read(m.value) for m in at.markdown)
    assert re.search(r"\$1\.00 to (INV-\d{4}-\d{2}-\d{4}|ADJ-\d+) \(\$[\d,]+\.\d\d stays open\)", summary), (owing, summary)
