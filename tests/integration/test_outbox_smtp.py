"""The cycle's messages, sent to a real SMTP server (aiosmtpd on a free
local port) and parsed back with the standard library: on SQLite and
PostgreSQL, each message arrives exactly once, whatever the server does."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pg import drop_database
from pypdf import PdfReader
from seeded import seed_postgres_template, seed_sqlite_template, seeded_copy
from smtp_kit import LocalSmtp
from sqlalchemy import select

from billing import Cycle
from billing.money import format_usd
from db.engine import get_engine
from db.models import Agency, AuditEvent, Invoice, OutboxAttachment, OutboxMessage
from services.access import SYSTEM
from services.demo import SeedOptions
from services.issuing import issue_cycle
from services.mail import SmtpTransport
from services.outbox import notify, resend
from services.unit_of_work import sessions_for
from settings import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 25)
NOVEMBER = Cycle.parse("2026-11")
SMALL = SeedOptions(agencies=8, months=6, seed=7, today=TODAY, min_users=5, max_users=40)
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
POSTED = frozenset({"invoice_posted"})


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory) -> Path:
    return seed_sqlite_template(tmp_path_factory.mktemp("outbox") / "template.db", SMALL)


@pytest.fixture(scope="module")
def postgres_template(postgres_url) -> str:
    yield seed_postgres_template(postgres_url, "outbox_template", SMALL)
    drop_database(postgres_url, "outbox_template")


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)])
def seeded_url(request, tmp_path) -> str:
    return seeded_copy(request, tmp_path, "outbox")


@pytest.fixture
def sessions(seeded_url, monkeypatch):
    monkeypatch.setenv("BILLING_TODAY", TODAY.isoformat())
    monkeypatch.setenv("BILLING_APPROVAL_REQUIRED", "0")  # the review is tested elsewhere; here: the invoices exist
    factory = sessions_for(get_engine(seeded_url))
    issue_cycle(NOVEMBER, actor="test", today=TODAY, sessions=factory)
    return factory


@pytest.fixture
def smtp():
    with LocalSmtp() as server:
        yield server


def _transport(server: LocalSmtp) -> SmtpTransport:
    return SmtpTransport(SmtpServer("127.0.0.1", server.port, implicit_tls=False, starttls=False, username=None))


def _issued(sessions) -> dict[str, Invoice]:
    with sessions() as session:
        return {i.agency_id: i for i in session.scalars(select(Invoice).where(Invoice.cycle == str(NOVEMBER)))}


def _billing_emails(sessions) -> dict[str, str]:
    with sessions() as session:
        return {a.id: a.billing_email.lower() for a in session.scalars(select(Agency)) if a.billing_email}


def _outbox(sessions) -> list[OutboxMessage]:
    with sessions() as session:
        rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        session.expunge_all()
        return rows


def test_each_posted_invoice_arrives_once_with_its_total_and_its_pdf(sessions, smtp):
    invoices = _issued(sessions)
    emails = _billing_emails(sessions)
    assert invoices
    summary = notify(TODAY, now=NOW, kinds=POSTED, transport=_transport(smtp), sessions=sessions, retry_delays=())
    assert summary.sent == {"invoice_posted": len(invoices)} and not summary.left_pending
    received = smtp.messages()
    assert len(received) == len(invoices)
    by_agency = {m["X-Billing-Key"].split(":")[1]: m for m in received}
    for agency_id, invoice in invoices.items():
        message = by_agency[agency_id]
        assert message["To"] == emails[agency_id]
        assert message["Subject"] == f"Invoice {invoice.number}: {format_usd(invoice.total)} due Tue 2026-12-01"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert f"Total due:   {format_usd(invoice.total)}" in text
        assert format_usd(invoice.total) in html and "Wed 2026-12-16" in html  # the restriction date, with its weekday
        pdf, usage = list(message.iter_attachments())
        assert pdf.get_content_type() == "application/pdf" and pdf.get_filename().startswith(invoice.number)
        assert usage.get_content_type() == "text/csv" and usage.get_filename() == f"usage-{agency_id}-2026-11.csv"
        assert "user_id,name,days_active,calls,minutes,transcribed_minutes" in usage.get_content()  # the usage report
        content = pdf.get_content()
        pages = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
        assert invoice.number in pages and format_usd(invoice.total) in pages
        with sessions() as session:
            stored = session.scalars(select(OutboxAttachment).join(OutboxMessage, OutboxMessage.id == OutboxAttachment.message_id)
                                     .where(OutboxMessage.agency_id == agency_id,
                                            OutboxAttachment.content_type == "application/pdf")).one()
            assert stored.sha256 == hashlib.sha256(content).hexdigest() and stored.size == len(content)

    again = notify(TODAY, now=NOW + timedelta(hours=1), kinds=POSTED, transport=_transport(smtp), sessions=sessions)
    assert again.rendered == {} and again.sent == {} and again.already_sent == {"invoice_posted": len(invoices)}
    assert len(smtp.received) == len(invoices)
    with sessions() as session:
        audited = session.scalars(select(AuditEvent).where(AuditEvent.action == "send_message")).all()
    assert len(audited) == len(invoices) and all(json.loads(a.details)["answer"].startswith("250") for a in audited)


def test_a_server_that_is_down_then_answers_4xx_then_comes_back_gets_every_message_exactly_once(sessions):
    server = LocalSmtp()  # not started: connections are refused
    count = len(_issued(sessions))
    down = notify(TODAY, now=NOW, kinds=POSTED, transport=_transport(server), sessions=sessions, retry_delays=())
    assert down.rendered == {"invoice_posted": count} and down.pending == {"invoice_posted": count} and down.left_pending
    assert {m.status for m in _outbox(sessions)} == {"pending"}
    assert all("cannot reach" in (m.last_answer or "") for m in _outbox(sessions))

    server.answer = "451 4.3.0 Mailbox busy, try again later"
    server.start()
    try:
        busy = notify(TODAY, now=NOW + timedelta(hours=1), kinds=POSTED, transport=_transport(server),
                      sessions=sessions, retry_delays=())
        assert busy.pending == {"invoice_posted": count} and busy.sent == {}
        assert all(m.attempts == 2 and m.last_answer.startswith("451") for m in _outbox(sessions))
        assert all(m.next_attempt_at > NOW + timedelta(hours=1) for m in _outbox(sessions))  # backed off

        # Within one run: the first round is answered 451, the server recovers during the pause, the retry goes through.
        def recover(seconds: float) -> None:
            server.answer = "250 OK"

        back = notify(TODAY, now=NOW + timedelta(hours=3), kinds=POSTED, transport=_transport(server),
                      sessions=sessions, retry_delays=(0.01,), sleep=recover)
        assert back.sent == {"invoice_posted": count} and back.pending == {} and not back.left_pending
        keys = [m["X-Billing-Key"] for m in server.messages()]
        assert len(keys) == count == len(set(keys))
        later = notify(TODAY, now=NOW + timedelta(days=1), kinds=POSTED, transport=_transport(server), sessions=sessions)
        assert later.sent == {} and len(server.received) == count
    finally:
        server.stop()


def test_a_permanent_refusal_marks_the_message_failed_until_finance_resends_it(sessions, smtp):
    smtp.answer = "554 5.7.1 Message rejected"
    count = len(_issued(sessions))
    summary = notify(TODAY, now=NOW, kinds=POSTED, transport=_transport(smtp), sessions=sessions, retry_delays=(0.01,))
    assert summary.failed == {"invoice_posted": count} and summary.pending == {} and not summary.left_pending
    rows = _outbox(sessions)
    assert {m.status for m in rows} == {"failed"} and all(m.attempts == 1 for m in rows)  # a 5xx is not retried
    assert rows[0].last_answer.startswith("554 5.7.1")
    with sessions() as session:
        assert len(session.scalars(select(AuditEvent).where(AuditEvent.action == "message_failed")).all()) == count

    smtp.answer = "250 OK"
    resend(SYSTEM, rows[0].id, sessions=sessions)
    retried = notify(TODAY, now=NOW + timedelta(days=2), kinds=POSTED, transport=_transport(smtp), sessions=sessions)
    assert retried.sent == {"invoice_posted": 1} and len(smtp.received) == 1


def test_the_smtp_password_never_appears_in_an_answer_a_summary_or_the_audit_log(sessions, smtp, monkeypatch):
    # The test server offers no AUTH, so signing in fails; the message waits and says why, without the password.
    monkeypatch.setenv("BILLING_SMTP_URL", f"smtp://mailer:wrong-horse-battery@127.0.0.1:{smtp.port}")
    refused = notify(TODAY, now=NOW, kinds=POSTED, sessions=sessions, retry_delays=())
    assert refused.left_pending and smtp.received == []
    monkeypatch.delenv("BILLING_SMTP_URL")
    down = notify(TODAY, now=NOW + timedelta(days=1), kinds=POSTED, sessions=sessions, retry_delays=(),
                  transport=_transport(LocalSmtp()))
    with sessions() as session:
        details = " ".join(a.details for a in session.scalars(select(AuditEvent)))
    answers = " ".join(m.last_answer or "" for m in _outbox(sessions))
    for text in (answers, details, json.dumps(refused.as_json()), json.dumps(down.as_json())):
        assert "wrong-horse-battery" not in text


@pytest.mark.postgres
@pytest.mark.parametrize("seeded_url", ["postgresql"], indirect=True)
def test_two_notify_processes_at_once_send_each_message_once(seeded_url, sessions, smtp):
    env = {**os.environ, "DATABASE_URL": seeded_url, "BILLING_SMTP_URL": smtp.url, "BILLING_TODAY": TODAY.isoformat(),
           "BILLING_NOTICES": "all", "PYTHONPATH": str(ROOT)}
    runs = [subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "notify", "--date", TODAY.isoformat()],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(run.wait(timeout=180), run.stdout.read(), run.stderr.read()) for run in runs]
    assert [code for code, _, _ in results] == [0, 0, 0], [(code, err) for code, _, err in results]
    summaries = [json.loads(out) for _, out, _ in results]
    stored = _outbox(sessions)
    assert stored and {m.status for m in stored} == {"sent"}
    keys = [m["X-Billing-Key"] for m in smtp.messages()]
    assert sorted(keys) == sorted(m.idempotency_key for m in stored)  # every message once, none twice
    assert sum(sum(s["sent"].values()) for s in summaries) == len(stored)
    assert sum(sum(s["rendered"].values()) for s in summaries) == len(stored)


@pytest.mark.postgres
@pytest.mark.parametrize("seeded_url", ["postgresql"], indirect=True)
def test_four_threads_sending_the_same_queue_send_each_message_once(seeded_url, sessions, smtp):
    notify(TODAY, now=NOW, kinds=POSTED, sessions=sessions, transport=_transport(LocalSmtp()), retry_delays=())
    errors: list[BaseException] = []

    def run() -> None:
        try:
            notify(TODAY, now=NOW + timedelta(days=1), kinds=POSTED, transport=_transport(smtp), sessions=sessions,
                   retry_delays=())
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    keys = [m["X-Billing-Key"] for m in smtp.messages()]
    assert len(keys) == len(set(keys)) == len(_issued(sessions))


def _manage(url: str, *args: str, smtp_url: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "BILLING_SMTP_URL": smtp_url, "BILLING_TODAY": TODAY.isoformat(),
           "BILLING_NOTICES": "invoice_posted", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, capture_output=True, text=True,
                          timeout=180)


@pytest.mark.parametrize("seeded_url", ["sqlite"], indirect=True)
def test_notify_exits_3_while_messages_stay_queued_0_once_sent_and_2_on_bad_input(seeded_url, sessions, smtp):
    down = _manage(seeded_url, "notify", "--date", "2026-11-25", smtp_url=f"smtp://mailer:pw-secret@127.0.0.1:{LocalSmtp().port}")
    assert down.returncode == 3, down.stderr
    queued = json.loads(down.stdout)
    assert queued["pending"] == {"invoice_posted": len(_issued(sessions))} and "pw-secret" not in down.stdout + down.stderr
    with sessions() as session:  # the retry is due: the command's clock is the pinned day at today's wall time
        session.execute(OutboxMessage.__table__.update().values(next_attempt_at=NOW - timedelta(days=1)))
    up = _manage(seeded_url, "notify", "--date", "2026-11-25", smtp_url=smtp.url)
    assert up.returncode == 0, up.stderr
    assert json.loads(up.stdout)["sent"] == {"invoice_posted": len(_issued(sessions))}
    rerun = _manage(seeded_url, "notify", "--date", "2026-11-25", smtp_url=smtp.url)
    assert rerun.returncode == 0 and json.loads(rerun.stdout)["sent"] == {}
    assert len(smtp.received) == len(_issued(sessions))
    assert _manage(seeded_url, "notify", "--date", "2026-02-30").returncode == 2
    assert _manage(seeded_url, "notify").returncode == 2
    far = _manage(seeded_url, "notify", "--date", "2031-01-18")
    assert far.returncode == 2 and "more than 62 days ahead" in far.stderr
