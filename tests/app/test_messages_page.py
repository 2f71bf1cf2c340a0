"""The Messages page per role: finance sees the whole outbox and manages
contacts, resends and pauses; ops see the overdue notices only; an account
manager sees their agencies' messages only."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.access import SYSTEM
from services.contacts import agency_contacts
from services.mail import FileTransport
from services.outbox import notify, outbox_view

REMINDER = date(2026, 11, 18)


@pytest.fixture
def outbox(demo_db, tmp_path):
    """The demo's messages of the 18th (reminders and overdue notices), sent to .eml files."""
    notify(REMINDER, now=datetime(2026, 11, 18, 14, tzinfo=UTC), transport=FileTransport(tmp_path / "eml"),
           retry_delays=())
    return outbox_view(SYSTEM)


def _table(at):
    [table] = [d for d in at.dataframe if d.proto.id and "msg_table" in d.proto.id] or [at.dataframe[0]]
    return table.value


def _texts(at) -> str:
    parts = [el.value for kind in ("title", "subheader", "markdown", "caption", "info", "success", "warning", "error")
             for el in getattr(at, kind)]
    return " ".join(parts).replace("\\", "")


def test_finance_sees_every_message_with_names_beside_ids_and_weekdays(outbox, viewer_app):
    at = viewer_app("finance").switch_page("pages/messages.py").run()
    assert not at.exception, at.exception
    table = _table(at)
    assert len(table) == len(outbox.rows) and {"Housekeeping reminder 1"} <= set(table["Kind"])
    assert all("(" in agency and ")" in agency for agency in table["Agency"])
    assert set(table["Due"]) == {"Wed 2026-11-18"}
    assert at.button(key="msg_preview") is not None and at.text_input(key="msg_contact_email") is not None
    assert "Outbox" in _texts(at) and "message" in _texts(at)


def test_ops_see_only_the_overdue_notices_and_cannot_manage(outbox, viewer_app):
    at = viewer_app("ops").switch_page("pages/messages.py").run()
    assert not at.exception, at.exception
    kinds = set(_table(at)["Kind"])
    assert kinds and kinds <= {"Overdue", "Restriction warning", "Access restricted", "Restriction lifted"}
    assert not [b for b in at.button if b.key in ("msg_send_now", "msg_resend", "msg_pause", "msg_preview")]
    assert not [t for t in at.text_input if t.key == "msg_contact_email"]


def test_an_account_manager_sees_only_their_agencies_messages(outbox, viewer_app):
    at = viewer_app("account_manager", frozenset({"A-1001"})).switch_page("pages/messages.py").run()
    assert not at.exception, at.exception
    agencies = set(_table(at)["Agency"])
    assert agencies and all(a.endswith("(A-1001)") for a in agencies)


def test_finance_adds_a_contact_from_the_page(outbox, viewer_app):
    at = viewer_app("finance").switch_page("pages/messages.py").run()
    agency = at.selectbox(key="msg_contacts_agency").value
    at.text_input(key="msg_contact_email").input("new.person@example.com")
    at.text_input(key="msg_contact_name").input("New Person")
    at.button(key="FormSubmitter:msg_add_contact-Add contact").click()
    at.run()
    assert not at.exception, at.exception
    assert "new.person@example.com" in [c.email for c in agency_contacts(SYSTEM, agency)]


def test_finance_previews_a_reminder_before_it_goes_out(demo_db, viewer_app):
    at = viewer_app("finance").switch_page("pages/messages.py").run()
    at.date_input(key="msg_preview_day").set_value(REMINDER)
    at.button(key="msg_preview").click()
    at.run()
    assert not at.exception, at.exception
    assert "Housekeeping reminder 1" in _texts(at)


def test_the_page_names_the_smtp_server_but_never_its_password(demo_db, viewer_app, monkeypatch):
    monkeypatch.setenv("BILLING_SMTP_URL", "smtp://mailer:hunter2-secret@smtp.example:587?starttls=1")
    at = viewer_app("finance").switch_page("pages/messages.py").run()
    assert not at.exception, at.exception
    assert "smtp://mailer:***@smtp.example:587" in _texts(at) and "hunter2-secret" not in _texts(at)
