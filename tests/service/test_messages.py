"""The cycle's messages as use cases: what each agency is told, to whom,
and that the reminder's saving is the engine's, not an estimate."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import or_, select, update

from billing import Cycle
from billing.money import format_usd
from db.imports import ImportRejected, import_file
from db.models import AccessSpan, Agency, AuditEvent, OutboxMessage
from db.queries.housekeeping import idle_users
from services.access import AccessDenied
from services.audit_sentences import sentence
from services.contacts import ContactKind, add_contact, agency_contacts, remove_contact
from services.errors import FieldError, NotFound
from services.housekeeping import IDLE_DAYS
from services.mail import FileTransport
from services.messages import MessageKind, drafts_due, housekeeping_savings
from services.outbox import message_detail, notify, outbox_view, set_paused
from services.payments import record_payment
from services.previews import previews_in

from .conftest import FINANCE, OPS, account_manager

REMINDER_1 = date(2026, 11, 18)
NOVEMBER = Cycle.parse("2026-11")
NOW = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)


@pytest.fixture
def outbox_dir(tmp_path: Path) -> Path:
    return tmp_path / "outbox"


def _notify(day: date, sessions, outbox_dir: Path, kinds=None, now=None):
    return notify(day, now=now or datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=14),
                  transport=FileTransport(outbox_dir), sessions=sessions, retry_delays=(), kinds=kinds)


def _eml(outbox_dir: Path, kind: str, agency_id: str) -> email.message.EmailMessage:
    [path] = list(outbox_dir.glob(f"*-{kind}-{agency_id}.eml"))
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[return-value]


def test_the_reminders_saving_is_what_really_deactivating_the_idle_users_saves_for_every_seeded_agency(
        sessions, pinned_today, outbox_dir):
    with sessions() as session:
        before = {a: p for a, p in previews_in(session, NOVEMBER).previews.items() if p.facts is not None}
        idle = idle_users(session=session, agency_ids=sorted(before), today=REMINDER_1,
                          idle_before=REMINDER_1 - timedelta(days=IDLE_DAYS))
        claimed = {a: housekeeping_savings(p.facts, [u.user_id for u in idle.get(a, ())]) for a, p in before.items()}
    assert len(before) >= 6 and any(s.saving > 0 for s in claimed.values())
    summary = _notify(REMINDER_1, sessions, outbox_dir, kinds=frozenset({"housekeeping_1"}))
    assert summary.sent == {"housekeeping_1": len(before)}

    # Now really deactivate them, in the database, on the cutoff day, and price again.
    with sessions() as session:
        for agency_id, users in idle.items():
            for user in users:
                session.execute(update(AccessSpan).where(
                    AccessSpan.agency_id == agency_id, AccessSpan.user_id == user.user_id,
                    AccessSpan.start_on < NOVEMBER.cutoff,
                    or_(AccessSpan.end_on.is_(None), AccessSpan.end_on > NOVEMBER.cutoff),
                ).values(end_on=NOVEMBER.cutoff))
    with sessions() as session:
        after = previews_in(session, NOVEMBER).previews
    for agency_id, preview in before.items():
        saving = preview.total - after[agency_id].total
        assert claimed[agency_id].saving == saving, agency_id
        text = _eml(outbox_dir, "housekeeping_1", agency_id).get_body(("plain",)).get_content()
        if saving > 0:
            assert f"you save {format_usd(saving)} on your next invoice" in text
            assert f"{format_usd(after[agency_id].total)} instead of {format_usd(preview.total)}" in text
        else:
            assert "you save" not in text


def test_the_reminder_names_the_cutoff_with_its_weekday_and_lists_the_idle_users(sessions, pinned_today, outbox_dir):
    _notify(REMINDER_1, sessions, outbox_dir, kinds=frozenset({"housekeeping_1"}))
    message = _eml(outbox_dir, "housekeeping_1", "A-1001")
    text = message.get_body(("plain",)).get_content()
    assert "11:59 PM on Mon 2026-11-23" in text and "Wed 2026-11-25" in text
    assert message["Subject"].startswith("Reminder: tidy up before the Mon 2026-11-23 cutoff")
    with sessions() as session:
        idle = idle_users(session=session, agency_ids=["A-1001"], today=REMINDER_1,
                          idle_before=REMINDER_1 - timedelta(days=IDLE_DAYS)).get("A-1001", ())
    for user in idle:
        assert f"{user.name} ({user.user_id})" in text


def test_nothing_is_due_on_a_day_without_reminders_invoices_or_notices_for_the_kinds_chosen(sessions, pinned_today):
    with sessions() as session:
        assert drafts_due(session, date(2026, 11, 19), frozenset({"housekeeping_1", "housekeeping_2"})).drafts == []


def test_running_notify_twice_for_the_same_day_sends_nothing_new(sessions, pinned_today, outbox_dir):
    first = _notify(REMINDER_1, sessions, outbox_dir)
    files = sorted(p.name for p in outbox_dir.iterdir())
    second = _notify(REMINDER_1, sessions, outbox_dir, now=NOW + timedelta(hours=2))
    assert second.rendered == {} and second.sent == {}
    assert second.already_sent == first.sent
    assert sorted(p.name for p in outbox_dir.iterdir()) == files


def test_a_dry_run_renders_and_counts_but_stores_and_sends_nothing(sessions, pinned_today, outbox_dir):
    dry = notify(REMINDER_1, dry_run=True, now=NOW, transport=FileTransport(outbox_dir), sessions=sessions)
    assert dry.rendered["housekeeping_1"] >= 6 and dry.sent == {}
    assert not outbox_dir.exists()
    with sessions() as session:
        assert session.scalars(select(OutboxMessage)).first() is None


def test_only_the_kinds_the_deployment_chose_are_sent(sessions, pinned_today, outbox_dir, monkeypatch):
    monkeypatch.setenv("BILLING_NOTICES", "overdue,restricted")
    summary = _notify(REMINDER_1, sessions, outbox_dir)
    assert set(summary.sent) <= {"overdue", "restricted"} and summary.sent


def test_an_agency_without_a_billing_contact_is_flagged_and_its_message_waits_until_it_has_one(
        sessions, pinned_today, outbox_dir):
    with sessions() as session:
        session.execute(update(Agency).where(Agency.id == "A-1002").values(billing_email=None))
    summary = _notify(REMINDER_1, sessions, outbox_dir, kinds=frozenset({"housekeeping_1"}))
    assert summary.no_billing_contact == ["A-1002"] and summary.blocked == {"housekeeping_1": 1}
    assert not summary.left_pending and not list(outbox_dir.glob("*-A-1002.eml"))
    view = outbox_view(FINANCE, sessions=sessions)
    assert ("A-1002", view.names["A-1002"]) in view.no_billing_contact
    [blocked] = [r for r in view.rows if r.message.agency_id == "A-1002"]
    assert blocked.message.status == "blocked" and "no billing contact" in blocked.message.last_answer

    add_contact(FINANCE, agency_id="A-1002", email="Pay@Example.COM", kind="billing", name="Pat Payables",
                sessions=sessions)
    again = _notify(REMINDER_1, sessions, outbox_dir, kinds=frozenset({"housekeeping_1"}), now=NOW + timedelta(hours=1))
    assert again.sent == {"housekeeping_1": 1} and again.no_billing_contact == []
    assert _eml(outbox_dir, "housekeeping_1", "A-1002")["To"] == "pay@example.com"


def test_contacts_are_added_and_removed_by_finance_audited_and_validated(sessions):
    added = add_contact(FINANCE, agency_id="A-1001", email=" ops@acme.example ", kind="ops", name="Olga  Ops",
                        sessions=sessions)
    assert added.email == "ops@acme.example" and added.kind is ContactKind.OPS and added.name == "Olga Ops"
    listed = agency_contacts(FINANCE, "A-1001", sessions=sessions)
    assert [c.kind for c in listed].count(ContactKind.BILLING) >= 1  # the agency's billing e-mail counts
    assert any(c.id == added.id for c in listed)
    with pytest.raises(FieldError):
        add_contact(FINANCE, agency_id="A-1001", email="not an address", kind="ops", sessions=sessions)
    with pytest.raises(FieldError):
        add_contact(FINANCE, agency_id="A-1001", email="a@b.example", kind="boss", sessions=sessions)
    with pytest.raises(AccessDenied):
        add_contact(OPS, agency_id="A-1001", email="a@b.example", kind="ops", sessions=sessions)
    assert added.id is not None
    remove_contact(FINANCE, contact_id=added.id, sessions=sessions)
    assert all(c.id != added.id for c in agency_contacts(FINANCE, "A-1001", sessions=sessions))
    with sessions() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action.in_(["add_contact", "remove_contact"]))).all()
    assert [sentence(e.action, e.subject, e.details) for e in events] == [
        "added ops@acme.example to the ops contacts of A-1001",
        "removed ops@acme.example (ops) from the contacts of A-1001",
    ]


def test_a_contacts_file_is_imported_like_the_others_all_or_nothing_and_idempotently(engine, sessions, tmp_path):
    good = tmp_path / "contacts.csv"
    good.write_text("agency_id,email,kind,name\nA-1001,AP@acme.example,billing,Accounts Payable\n"
                    "A-1001,noc@acme.example,ops,\nA-1002,owner@b.example,account_owner,Bea Owner\n")
    summary = import_file("contacts", good, actor="test", engine=engine)
    assert summary["inserted"] == 3
    assert import_file("contacts", good, actor="test", engine=engine)["unchanged"] == 3
    assert "ap@acme.example" in [c.email for c in agency_contacts(FINANCE, "A-1001", sessions=sessions)]
    bad = tmp_path / "bad.csv"
    bad.write_text("agency_id,email,kind,name\nA-1001,x@y.example,boss,\nA-9999,z@y.example,ops,\n"
                   "A-1001,AP@acme.example,billing,Someone Else\n")
    with pytest.raises(ImportRejected) as rejected:
        import_file("contacts", bad, actor="test", engine=engine)
    reasons = " | ".join(p.message for p in rejected.value.problems)
    assert "boss" in reasons and "unknown agency 'A-9999'" in reasons and "different values" in reasons


def test_html_parts_escape_what_agencies_typed_and_text_parts_keep_it(sessions, pinned_today, outbox_dir):
    with sessions() as session:
        session.execute(update(Agency).where(Agency.id == "A-1001").values(name="<script>alert(1)</script> & Co"))
    _notify(REMINDER_1, sessions, outbox_dir, kinds=frozenset({"housekeeping_1"}))
    message = _eml(outbox_dir, "housekeeping_1", "A-1001")
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert "Hello <script>alert(1)</script> & Co," in message.get_body(("plain",)).get_content()


def test_a_paused_agency_gets_nothing_until_resumed(sessions, pinned_today, outbox_dir):
    assert set_paused(FINANCE, "A-1001", True, sessions=sessions)
    paused = _notify(REMINDER_1, sessions, outbox_dir, kinds=frozenset({"housekeeping_1"}))
    assert paused.paused == {"housekeeping_1": 1} and not paused.left_pending
    assert not list(outbox_dir.glob("*-A-1001.eml"))
    set_paused(FINANCE, "A-1001", False, sessions=sessions)
    resumed = _notify(REMINDER_1, sessions, outbox_dir, kinds=frozenset({"housekeeping_1"}), now=NOW + timedelta(hours=1))
    assert resumed.sent == {"housekeeping_1": 1}
    with pytest.raises(AccessDenied):
        set_paused(OPS, "A-1001", True, sessions=sessions)


def test_ops_see_only_overdue_notices_and_account_managers_only_their_agencies(sessions, pinned_today, outbox_dir):
    _notify(REMINDER_1, sessions, outbox_dir)
    everything = outbox_view(FINANCE, sessions=sessions).rows
    assert {r.kind for r in everything} > {MessageKind.HOUSEKEEPING_1}
    ops = outbox_view(OPS, sessions=sessions).rows
    assert ops and all(r.kind.is_overdue_notice for r in ops)
    assert len(ops) == len([r for r in everything if r.kind.is_overdue_notice])
    mine = outbox_view(account_manager("A-1003"), sessions=sessions).rows
    assert mine and {r.message.agency_id for r in mine} == {"A-1003"}
    reminder = next(r for r in everything if r.kind is MessageKind.HOUSEKEEPING_1 and r.message.agency_id == "A-1001")
    with pytest.raises(NotFound, match="no message"):
        message_detail(OPS, reminder.message.id, sessions=sessions)
    with pytest.raises(AccessDenied):
        message_detail(account_manager("A-1003"), reminder.message.id, sessions=sessions)


def test_a_receipt_says_what_the_payment_paid_and_what_stays_open(sessions, pinned_today, outbox_dir):
    agency_id = "A-1001"
    record_payment(FINANCE, agency_id=agency_id, amount="100.00", paid_on=date(2026, 11, 20), reference="R-1",
                   sessions=sessions)
    summary = _notify(date(2026, 11, 20), sessions, outbox_dir, kinds=frozenset({"payment_received"}))
    assert summary.sent["payment_received"] >= 1
    message = _eml(outbox_dir, "payment_received", agency_id)
    text = message.get_body(("plain",)).get_content()
    assert message["Subject"] == "Payment received: $100.00 on Fri 2026-11-20"
    assert "(reference R-1)" in text and ("Applied to" in text or "credit" in text)


def test_a_restricted_agency_that_pays_is_told_its_access_is_restored(sessions, pinned_today, outbox_dir):
    summary = _notify(REMINDER_1, sessions, outbox_dir, kinds=frozenset({"restricted", "restriction_lifted"}))
    assert summary.sent.get("restricted", 0) >= 1
    [path] = list(outbox_dir.glob("*-restricted-*.eml"))[:1]
    restricted = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    agency_id = restricted["X-Billing-Key"].split(":")[1]
    text = restricted.get_body(("plain",)).get_content()
    amount = text.split("To lift the restriction, pay: ")[1].split()[0]
    assert amount.startswith("$")
    record_payment(FINANCE, agency_id=agency_id, amount=amount.replace("$", "").replace(",", ""),
                   paid_on=date(2026, 11, 19), reference="LIFT-1", sessions=sessions)
    lifted = _notify(date(2026, 11, 19), sessions, outbox_dir, kinds=frozenset({"restricted", "restriction_lifted"}))
    assert lifted.sent == {"restriction_lifted": 1}
    assert _eml(outbox_dir, "restriction_lifted", agency_id)["Subject"] == "Dialer access restored"
    again = _notify(date(2026, 11, 20), sessions, outbox_dir, kinds=frozenset({"restricted", "restriction_lifted"}))
    assert again.sent == {}
    assert Decimal(amount.replace("$", "").replace(",", "")) > 0


def test_a_message_left_sending_by_a_dead_sender_is_never_resent_on_its_own_only_given_up_on(
        sessions, pinned_today, outbox_dir):
    from db.queries import messages as stored
    from services.outbox import give_up_stuck, resend

    queued = notify(REMINDER_1, now=NOW, dry_run=False, transport=FileTransport(outbox_dir), sessions=sessions,
                    retry_delays=(), kinds=frozenset({"housekeeping_1"}))
    with sessions() as session:  # a sender claims one and dies before finishing
        row = session.scalars(select(OutboxMessage)).first()
        session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
            status="sending", claimed_at=datetime(2026, 11, 1, tzinfo=UTC)))
        message_id = row.id
    later = _notify(REMINDER_1, sessions, outbox_dir, kinds=frozenset({"housekeeping_1"}), now=NOW + timedelta(days=1))
    assert later.sent == {} and later.sending == {"housekeeping_1": 1} and not later.left_pending
    give_up_stuck(FINANCE, message_id, sessions=sessions)
    with sessions() as session:
        stuck = stored.message(session=session, message_id=message_id)
    assert stuck.status == "failed" and "may or may not have been delivered" in stuck.last_answer
    resend(FINANCE, message_id, sessions=sessions)
    assert _notify(REMINDER_1, sessions, outbox_dir, kinds=frozenset({"housekeeping_1"}),
                   now=NOW + timedelta(days=10)).sent == {"housekeeping_1": 1}  # after the resend (pinned clock)
    assert queued.sent["housekeeping_1"] >= 6


def test_a_held_message_older_than_a_week_stays_held_when_a_contact_arrives(sessions, pinned_today, outbox_dir):
    with sessions() as session:
        session.execute(update(Agency).where(Agency.id == "A-1002").values(billing_email=None))
    _notify(REMINDER_1, sessions, outbox_dir, kinds=frozenset({"housekeeping_1"}))
    add_contact(FINANCE, agency_id="A-1002", email="late@example.com", kind="billing", sessions=sessions)
    stale = _notify(date(2026, 11, 26), sessions, outbox_dir, kinds=frozenset({"housekeeping_1"}))
    assert stale.sent == {} and stale.blocked == {"housekeeping_1": 1}
