"""The outbox: messages are rendered and stored first, then sent, each once.

``notify(day)`` (``manage.py notify``, the daily cron line):

1. drafts every message due on ``day`` (:func:`services.messages.drafts_due`)
   and stores the new ones; a key already stored is not stored again, so a
   rerun, or a second ``notify`` racing this one, adds nothing. An agency
   with no billing contact gets its message stored as ``blocked`` and is
   listed in the summary (``no_billing_contact``), never skipped in silence;
   once it has a contact, the next run sends it.
2. sends every ``pending`` message whose next attempt is due, except those
   of paused agencies: each is *claimed* first (``pending`` → ``sending`` in
   one UPDATE, see :mod:`db.queries.messages`), so of two processes only one
   ever sends it. The claim commits before the SMTP conversation starts and
   the result is written after it, so a message is sent at most once: a
   process killed mid-send leaves its message ``sending`` for a person to
   look at (the Messages page shows it), never sends it again on its own.
3. a temporary failure (4xx, a server down or refusing connections) goes
   back to ``pending`` with ``next_attempt_at`` pushed back exponentially;
   within the run it is tried again after ``retry_delays``; a permanent one
   (5xx) is ``failed`` and waits for finance's "resend". Every answer is
   recorded; every send and failure is audited.
"""

from __future__ import annotations

import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage

import clock
import settings
from db import audit
from db.queries import messages as stored
from db.queries.agencies import agency_records

from .access import Permission, Viewer
from .contacts import contacts_in
from .errors import BillingError, NotFound
from .mail import Delivery, Outcome, Transport, transport_for
from .messages import NO_BILLING_CONTACT, OVERDUE_NOTICES, Draft, MessageKind, _recipients, drafts_due
from .unit_of_work import SessionFactory, default_sessions

BACKOFF_FIRST = timedelta(minutes=5)
BACKOFF_MAX = timedelta(hours=6)
RETRY_DELAYS = (2.0, 8.0)  # seconds between the rounds of one run
ACTOR = "notify"
STUCK_AFTER = timedelta(minutes=15)  # a send takes seconds; a claim this old lost its sender
BLOCKED_RELEASE_DAYS = 7  # a held message older than this is stale (an overdue notice since paid): it stays held
KEY_LOOKBACK_DAYS = 120  # a message due on a day is about that day or the weeks before it


def backoff(attempts: int) -> timedelta:
    """5 min, 10, 20, … up to 6 h after the n-th failed attempt."""
    return min(BACKOFF_MAX, BACKOFF_FIRST * (2 ** max(0, attempts - 1)))


@dataclass
class NotifySummary:
    day: date
    dry_run: bool = False
    rendered: Counter[str] = field(default_factory=Counter)
    sent: Counter[str] = field(default_factory=Counter)
    already_sent: Counter[str] = field(default_factory=Counter)
    pending: Counter[str] = field(default_factory=Counter)
    sending: Counter[str] = field(default_factory=Counter)  # claimed by a sender now (or one that died mid-send)
    failed: Counter[str] = field(default_factory=Counter)
    blocked: Counter[str] = field(default_factory=Counter)
    paused: Counter[str] = field(default_factory=Counter)
    no_billing_contact: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def left_pending(self) -> bool:
        return sum(self.pending.values()) > 0

    def as_json(self) -> dict[str, object]:
        by_kind = ("rendered", "sent", "already_sent", "pending", "sending", "failed", "blocked", "paused")
        return {"date": self.day.isoformat(), "dry_run": self.dry_run,
                **{name: dict(sorted(getattr(self, name).items())) for name in by_kind},
                "no_billing_contact": self.no_billing_contact, "problems": self.problems}


def _email(message: stored.StoredMessage, files: Sequence[tuple[str, str, str, bytes]]) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = message.sender
    email["To"] = ", ".join(message.recipients)
    email["Message-ID"] = message.message_id
    email["X-Billing-Key"] = message.idempotency_key
    email.set_content(message.text_body)
    email.add_alternative(message.html_body, subtype="html")
    for name, content_type, _sha, content in files:
        maintype, _, subtype = content_type.partition("/")
        email.add_attachment(content, maintype=maintype, subtype=subtype or "octet-stream", filename=name)
    return email


def _new(draft: Draft, sender: str) -> stored.NewMessage:
    return stored.NewMessage(
        idempotency_key=draft.key, agency_id=draft.agency_id, kind=draft.kind.value, scope=draft.scope,
        due_on=draft.due_on, subject=draft.subject, sender=sender, recipients=draft.recipients,
        text_body=draft.text, html_body=draft.html, message_id=draft.message_id(sender),
        attachments=tuple(stored.NewAttachment(a.filename, a.content_type, a.sha256, a.content) for a in draft.attachments),
        status="pending" if draft.recipients else "blocked",
        last_answer=None if draft.recipients else NO_BILLING_CONTACT,
    )


def queue_due(day: date, *, now: datetime, dry_run: bool = False, kinds: frozenset[str] | None = None,
              sessions: SessionFactory = default_sessions, summary: NotifySummary | None = None) -> NotifySummary:
    """Step 1: draft and store what is due on ``day``."""
    config = settings.current()
    summary = summary or NotifySummary(day, dry_run)
    with sessions() as session:
        # What is stored already is not rendered again (the invoice PDFs are the costly part).
        known = stored.key_statuses(session=session, since=day - timedelta(days=KEY_LOOKBACK_DAYS))
        due = drafts_due(session, day, kinds, skip=lambda key: key in known)
        summary.problems.update(due.problems)
        summary.no_billing_contact = sorted(due.no_billing_contact)
        fresh = [d for d in due.drafts if d.key not in known]
        for key, kind in [(d.key, d.kind) for d in due.drafts] + due.skipped:
            if known.get(key) == "sent":
                summary.already_sent[kind.value] += 1
        if dry_run:
            for draft in fresh:
                summary.rendered[draft.kind.value] += 1
            return summary
        added = set(stored.queue_messages(session=session, messages=[_new(d, config.smtp_from) for d in fresh], now=now))
        for draft in fresh:
            if draft.key in added:
                summary.rendered[draft.kind.value] += 1
        # A blocked message whose agency has a billing contact now is released.
        blocked = [m for m in stored.messages(session=session, statuses=["blocked"], limit=1_000_000)
                   if m.due_on >= day - timedelta(days=BLOCKED_RELEASE_DAYS)]
        if blocked:
            contacts = contacts_in(session, sorted({m.agency_id for m in blocked}))
            for message in blocked:
                recipients = _recipients(MessageKind(message.kind), contacts.get(message.agency_id, []))
                if recipients:
                    stored.unblock(session=session, message_id=message.id, recipients=recipients, now=now)
    return summary


def _worker() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def _send_one(message_id: int, transport: Transport, *, now: datetime, due_by: datetime,
              sessions: SessionFactory) -> tuple[str, Delivery] | None:
    """Claim, send and record one message; ``None`` when another process claimed it."""
    with sessions() as session:
        if not stored.claim(session=session, message_id=message_id, now=now, due_by=due_by, worker=_worker()):
            return None
        message = stored.message(session=session, message_id=message_id)
        files = stored.attachment_bytes(session=session, message_id=message_id)
    assert message is not None
    stem = f"{message.id:06d}-{message.kind}-{message.agency_id}"
    delivery = transport.send(_email(message, files), stem)
    with sessions() as session:
        attempts = message.attempts + 1
        if delivery.outcome is Outcome.SENT:
            stored.finish(session=session, message_id=message_id, status="sent", answer=delivery.answer, now=clock.now())
            audit.record(session, actor=ACTOR, action="send_message", subject=message.agency_id, kind=message.kind,
                         key=message.idempotency_key, recipients=list(message.recipients), subject_line=message.subject,
                         answer=delivery.answer, attempts=attempts,
                         attachments=[{"file": n, "sha256": s} for n, _, s, _ in files])
        elif delivery.outcome is Outcome.PERMANENT:
            stored.finish(session=session, message_id=message_id, status="failed", answer=delivery.answer, now=now)
            audit.record(session, actor=ACTOR, action="message_failed", subject=message.agency_id, kind=message.kind,
                         key=message.idempotency_key, answer=delivery.answer, attempts=attempts)
        else:
            stored.finish(session=session, message_id=message_id, status="pending", answer=delivery.answer, now=now,
                          next_attempt_at=now + backoff(attempts))
    return message.kind, delivery


def send_pending(*, now: datetime, transport: Transport | None = None, retry_delays: Sequence[float] = RETRY_DELAYS,
                 sessions: SessionFactory = default_sessions, summary: NotifySummary | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> NotifySummary:
    """Step 2 and 3: send what is pending and due, retrying temporary failures."""
    config = settings.current()
    summary = summary or NotifySummary(now.date())
    transport = transport or transport_for(config.smtp, config.outbox_dir)
    try:
        with sessions() as session:
            paused = sorted(stored.paused_agencies(session=session))
            todo = stored.due_for_sending(session=session, now=now, exclude_agencies=paused)
        due_by = now
        for round_number in range(len(retry_delays) + 1):
            retry: list[int] = []
            for message_id in todo:
                result = _send_one(message_id, transport, now=now, due_by=due_by, sessions=sessions)
                if result is None:
                    continue
                kind, delivery = result
                if delivery.outcome is Outcome.SENT:
                    summary.sent[kind] += 1
                elif delivery.outcome is Outcome.PERMANENT:
                    summary.failed[kind] += 1
                else:
                    retry.append(message_id)
            if not retry or round_number == len(retry_delays):
                break
            sleep(retry_delays[round_number])
            # The pause between rounds is this run's own backoff: its retries are due now,
            # whatever next_attempt_at says for the runs after this one.
            due_by = now + BACKOFF_MAX + timedelta(seconds=1)
            todo = retry
    finally:
        transport.close()
    with sessions() as session:
        paused_now = stored.paused_agencies(session=session)
        for status, kind, agency_id, count in stored.open_counts(session=session):
            if status == "blocked":
                summary.blocked[kind] += count
            elif agency_id in paused_now:
                summary.paused[kind] += count
            elif status == "sending":
                summary.sending[kind] += count
            else:
                summary.pending[kind] += count
    return summary


def notify(day: date, *, dry_run: bool = False, now: datetime | None = None, transport: Transport | None = None,
           retry_delays: Sequence[float] = RETRY_DELAYS, kinds: frozenset[str] | None = None,
           sessions: SessionFactory = default_sessions, sleep: Callable[[float], None] = time.sleep) -> NotifySummary:
    """Render and send everything due on ``day`` and anything still pending."""
    now = now or clock.now()
    summary = queue_due(day, now=now, dry_run=dry_run, kinds=kinds, sessions=sessions)
    if dry_run:
        with sessions() as session:
            for (status, kind), count in stored.status_counts(session=session).items():
                if status == "pending":
                    summary.pending[kind] += count
        return summary
    return send_pending(now=now, transport=transport, retry_delays=retry_delays, sessions=sessions, summary=summary,
                        sleep=sleep)


# --- the Messages page -----------------------------------------------------------

@dataclass(frozen=True)
class OutboxRow:
    message: stored.StoredMessage
    agency_name: str
    paused: bool

    @property
    def kind(self) -> MessageKind:
        return MessageKind(self.message.kind)


@dataclass(frozen=True)
class OutboxView:
    rows: tuple[OutboxRow, ...]
    no_billing_contact: tuple[tuple[str, str], ...]  # (agency id, name): flagged
    paused: frozenset[str]
    names: dict[str, str]


def _visible_kinds(viewer: Viewer) -> list[str] | None:
    """Ops see the overdue notices only (they are about restricted dialers)."""
    return None if viewer.can(Permission.VIEW_INVOICES) else sorted(k.value for k in OVERDUE_NOTICES)


def outbox_view(viewer: Viewer, *, statuses: Sequence[str] | None = None, kinds: Sequence[str] | None = None,
                agency_id: str | None = None, limit: int = 500,
                sessions: SessionFactory = default_sessions) -> OutboxView:
    viewer.require(Permission.VIEW_MESSAGES)
    allowed = _visible_kinds(viewer)
    if allowed is not None:
        kinds = [k for k in (kinds or allowed) if k in allowed]
    scope = viewer.scope
    if agency_id is not None:
        viewer.require_agency(agency_id)
        scope = [agency_id]
    with sessions() as session:
        agencies = agency_records(session=session, agency_ids=viewer.scope)
        names = {a.id: a.name for a in agencies}
        found = stored.messages(session=session, agency_ids=scope, kinds=list(kinds) if kinds else None,
                                statuses=list(statuses) if statuses else None, limit=limit)
        paused = frozenset(stored.paused_agencies(session=session))
        contacts = contacts_in(session, [a.id for a in agencies])
    flagged = tuple((a.id, a.name) for a in agencies if not any(c.kind == "billing" for c in contacts.get(a.id, [])))
    rows = tuple(OutboxRow(m, names.get(m.agency_id, m.agency_id), m.agency_id in paused) for m in found)
    return OutboxView(rows, flagged, paused, names)


def _visible_message(viewer: Viewer, session, message_id: int) -> stored.StoredMessage:  # type: ignore[no-untyped-def]
    message = stored.message(session=session, message_id=message_id)
    if message is None:
        raise NotFound(f"no message {message_id}")
    viewer.require_agency(message.agency_id)
    allowed = _visible_kinds(viewer)
    if allowed is not None and message.kind not in allowed:
        raise NotFound(f"no message {message_id}")
    return message


def message_detail(viewer: Viewer, message_id: int, *, sessions: SessionFactory = default_sessions) -> stored.StoredMessage:
    viewer.require(Permission.VIEW_MESSAGES)
    with sessions() as session:
        return _visible_message(viewer, session, message_id)


def message_attachment(viewer: Viewer, message_id: int, index: int, *,
                       sessions: SessionFactory = default_sessions) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of one attachment, as it was (or will be) sent."""
    viewer.require(Permission.VIEW_MESSAGES)
    with sessions() as session:
        _visible_message(viewer, session, message_id)
        files = stored.attachment_bytes(session=session, message_id=message_id)
    if not 0 <= index < len(files):
        raise NotFound(f"message {message_id} has no attachment {index + 1}")
    name, content_type, _sha, content = files[index]
    return name, content_type, content


def resend(viewer: Viewer, message_id: int, *, sessions: SessionFactory = default_sessions) -> None:
    """A failed message goes back to the queue (the next notify, or "send now")."""
    viewer.require(Permission.MANAGE_MESSAGES)
    with sessions() as session:
        message = _visible_message(viewer, session, message_id)
        if not stored.requeue(session=session, message_id=message_id):
            raise BillingError(f"message {message_id} is {message.status}, not failed: nothing to resend")
        audit.record(session, actor=viewer.email, action="resend_message", subject=message.agency_id,
                     kind=message.kind, key=message.idempotency_key)


def give_up_stuck(viewer: Viewer, message_id: int, *, sessions: SessionFactory = default_sessions) -> None:
    """A message left ``sending`` by a sender that stopped mid-send is marked failed, so
    finance can decide to resend it: it may or may not have reached the agency, which
    is why nothing resends it on its own."""
    viewer.require(Permission.MANAGE_MESSAGES)
    with sessions() as session:
        message = _visible_message(viewer, session, message_id)
        answer = ("its sender stopped while sending it: it may or may not have been delivered "
                  f"(last answer: {message.last_answer or 'none'})")
        if not stored.give_up_stuck(session=session, message_id=message_id, claimed_before=clock.now() - STUCK_AFTER,
                                    answer=answer):
            raise BillingError(f"message {message_id} is not stuck: only a message sending for over "
                               f"{int(STUCK_AFTER.total_seconds() // 60)} minutes can be given up on")
        audit.record(session, actor=viewer.email, action="give_up_message", subject=message.agency_id,
                     kind=message.kind, key=message.idempotency_key)


def set_paused(viewer: Viewer, agency_id: str, paused: bool, *, sessions: SessionFactory = default_sessions) -> bool:
    """Hold (or release) every message to one agency; they stay stored meanwhile."""
    viewer.require(Permission.MANAGE_MESSAGES)
    with sessions() as session:
        if not agency_records(session=session, agency_ids=[agency_id]):
            raise NotFound(f"no agency {agency_id!r}")
        changed = stored.set_paused(session=session, agency_id=agency_id, paused=paused, by=viewer.email)
        if changed:
            audit.record(session, actor=viewer.email, action="pause_messages" if paused else "resume_messages",
                         subject=agency_id)
    return changed


def delivery_description() -> str:
    """Where messages go, for the page: the SMTP server (no password) or the ``.eml`` folder."""
    config = settings.current()
    return f"the SMTP server {config.smtp}" if config.smtp else f".eml files in {config.outbox_dir} (no SMTP server set)"


def preview_due(viewer: Viewer, day: date, *, agency_id: str | None = None,
                sessions: SessionFactory = default_sessions) -> list[Draft]:
    """The messages due on ``day`` as they would be rendered now, stored or not:
    finance checks a reminder or an invoice e-mail before the day it goes out."""
    viewer.require(Permission.MANAGE_MESSAGES)
    with sessions() as session:
        due = drafts_due(session, day)
    return [d for d in due.drafts if agency_id is None or d.agency_id == agency_id]


def send_now(viewer: Viewer, day: date, *, sessions: SessionFactory = default_sessions) -> NotifySummary:
    """What ``manage.py notify --date day`` does, from the page (finance), without in-run retries."""
    viewer.require(Permission.MANAGE_MESSAGES)
    summary = notify(day, retry_delays=(), sessions=sessions)
    with sessions() as session:
        audit.record(session, actor=viewer.email, action="send_messages_now", subject=day.isoformat(),
                     sent=sum(summary.sent.values()), pending=sum(summary.pending.values()))
    return summary
