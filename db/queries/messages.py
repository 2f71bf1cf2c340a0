"""Contacts and the outbox: the SQL behind :mod:`services.contacts` and
:mod:`services.outbox`. Values out are frozen dataclasses, never rows.

The two operations that keep a message from going out twice live here:

- :func:`queue_messages` inserts with ``ON CONFLICT (idempotency_key) DO
  NOTHING`` (both databases), so a rerun or a second scheduler that renders
  the same message stores nothing new;
- :func:`claim` moves one row from ``pending`` to ``sending`` in a single
  ``UPDATE … WHERE status = 'pending'``: whichever process's UPDATE matches
  the row sends it, every other sees ``rowcount == 0`` and moves on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from ..models import Agency, Contact, MessagePause, OutboxAttachment, OutboxMessage, Payment

DUE_AT_ONCE = datetime(2000, 1, 1, tzinfo=UTC)  # before any clock a sender could have


# --- contacts ------------------------------------------------------------------

@dataclass(frozen=True)
class ContactRecord:
    id: int | None  # None: the agency's billing_email, not a row of ``contact``
    agency_id: str
    name: str
    email: str
    kind: str


def contacts(*, session: Session, agency_ids: Sequence[str] | None = None) -> dict[str, list[ContactRecord]]:
    """Every contact per agency: the ``contact`` rows, and the agency's
    ``billing_email`` as a billing contact (unless a row repeats it)."""
    found: dict[str, list[ContactRecord]] = {}
    statement = select(Contact).order_by(Contact.agency_id, Contact.kind, Contact.email)
    agencies = select(Agency.id, Agency.billing_email).where(Agency.billing_email.is_not(None))  # type: ignore[union-attr]
    if agency_ids is not None:
        statement = statement.where(Contact.agency_id.in_(list(agency_ids)))  # type: ignore[attr-defined]
        agencies = agencies.where(Agency.id.in_(list(agency_ids)))  # type: ignore[attr-defined]
    for row in session.scalars(statement):
        found.setdefault(row.agency_id, []).append(ContactRecord(row.id, row.agency_id, row.name, row.email, row.kind))
    for agency_id, address in session.execute(agencies):
        listed = found.setdefault(agency_id, [])
        if address and not any(c.kind == "billing" and c.email == address.lower() for c in listed):
            listed.insert(0, ContactRecord(None, agency_id, "", address.lower(), "billing"))
    return found


def add_contact(*, session: Session, agency_id: str, name: str, email: str, kind: str) -> ContactRecord | None:
    """Store a contact; ``None`` when the same (agency, e-mail, kind) is stored."""
    existing = session.scalars(select(Contact).where(
        Contact.agency_id == agency_id, Contact.email == email, Contact.kind == kind)).first()
    if existing is not None:
        return None
    row = Contact(agency_id=agency_id, name=name, email=email, kind=kind)
    session.add(row)
    session.flush()
    return ContactRecord(row.id, agency_id, name, email, kind)


def remove_contact(*, session: Session, contact_id: int) -> ContactRecord | None:
    row = session.get(Contact, contact_id)
    if row is None:
        return None
    record = ContactRecord(row.id, row.agency_id, row.name, row.email, row.kind)
    session.delete(row)
    return record


# --- pauses --------------------------------------------------------------------

def paused_agencies(*, session: Session) -> set[str]:
    return set(session.scalars(select(MessagePause.agency_id)))


def set_paused(*, session: Session, agency_id: str, paused: bool, by: str) -> bool:
    """Pause or resume; ``True`` when that changed anything."""
    row = session.get(MessagePause, agency_id)
    if paused and row is None:
        session.add(MessagePause(agency_id=agency_id, paused_by=by))
        return True
    if not paused and row is not None:
        session.delete(row)
        return True
    return False


# --- payments for receipts -----------------------------------------------------

@dataclass(frozen=True)
class ReceivedPayment:
    id: int
    agency_id: str
    paid_on: date
    amount: Decimal
    invoice_number: str | None
    reference: str | None


def payments_received(*, session: Session, since: date, until: date) -> list[ReceivedPayment]:
    rows = session.execute(
        select(Payment.id, Payment.agency_id, Payment.paid_on, Payment.amount, Payment.invoice_number, Payment.reference)
        .where(Payment.paid_on >= since, Payment.paid_on <= until).order_by(Payment.id)
    ).all()
    return [ReceivedPayment(*row) for row in rows]


# --- the outbox ----------------------------------------------------------------

@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    sha256: str
    content: bytes


@dataclass(frozen=True)
class NewMessage:
    idempotency_key: str
    agency_id: str
    kind: str
    scope: str
    due_on: date
    subject: str
    sender: str
    recipients: tuple[str, ...]
    text_body: str
    html_body: str
    message_id: str
    attachments: tuple[NewAttachment, ...] = ()
    status: str = "pending"  # "blocked": nobody to send it to
    last_answer: str | None = None


@dataclass(frozen=True)
class AttachmentRecord:
    id: int
    filename: str
    content_type: str
    sha256: str
    size: int


@dataclass(frozen=True)
class StoredMessage:
    id: int
    idempotency_key: str
    agency_id: str
    kind: str
    scope: str
    due_on: date
    subject: str
    sender: str
    recipients: tuple[str, ...]
    text_body: str
    html_body: str
    message_id: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_answer: str | None
    created_at: datetime
    sent_at: datetime | None
    attachments: tuple[AttachmentRecord, ...] = ()


def existing_keys(*, session: Session, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    return set(session.scalars(select(OutboxMessage.idempotency_key)
                               .where(OutboxMessage.idempotency_key.in_(list(keys)))))  # type: ignore[attr-defined]


def key_statuses(*, session: Session, since: date) -> dict[str, str]:
    """idempotency key → status of the messages due since ``since`` (no bodies read)."""
    return dict(session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.status)
                                .where(OutboxMessage.due_on >= since)).all())  # type: ignore[arg-type]


def queue_messages(*, session: Session, messages: Sequence[NewMessage], now: datetime) -> list[str]:
    """Store each message unless its key is stored; the keys stored now."""
    dialect = session.get_bind().dialect.name
    inserter = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stored: list[str] = []
    for message in messages:
        statement = inserter(OutboxMessage.__table__).values(
            idempotency_key=message.idempotency_key, agency_id=message.agency_id, kind=message.kind,
            scope=message.scope, due_on=message.due_on, subject=message.subject, sender=message.sender,
            recipients=", ".join(message.recipients), text_body=message.text_body, html_body=message.html_body,
            message_id=message.message_id, status=message.status, attempts=0, next_attempt_at=now,
            last_answer=message.last_answer, created_at=now,
        ).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(OutboxMessage.__table__.c.id)
        new_id = session.execute(statement).scalar()
        if new_id is None:
            continue  # stored already, by an earlier run or by a process racing this one
        if message.attachments:
            session.execute(insert(OutboxAttachment.__table__), [
                {"message_id": new_id, "filename": a.filename, "content_type": a.content_type, "sha256": a.sha256,
                 "size": len(a.content), "content": a.content} for a in message.attachments])
        stored.append(message.idempotency_key)
    return stored


def unblock(*, session: Session, message_id: int, recipients: Sequence[str], now: datetime) -> bool:
    """A blocked message (no recipient) whose agency now has one goes pending."""
    result = session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == "blocked")  # type: ignore[arg-type]
        .values(recipients=", ".join(recipients), status="pending", next_attempt_at=now, last_answer=None))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def due_for_sending(*, session: Session, now: datetime, exclude_agencies: Sequence[str] = (),
                    limit: int | None = None) -> list[int]:
    """Ids of pending messages never tried or whose next attempt is due, oldest first."""
    statement = (select(OutboxMessage.id)
                 .where(OutboxMessage.status == "pending",  # type: ignore[arg-type]
                        or_(OutboxMessage.attempts == 0, OutboxMessage.next_attempt_at <= now))  # type: ignore[arg-type]
                 .order_by(OutboxMessage.id))
    if exclude_agencies:
        statement = statement.where(OutboxMessage.agency_id.not_in(list(exclude_agencies)))  # type: ignore[attr-defined]
    if limit:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


def claim(*, session: Session, message_id: int, now: datetime, worker: str, due_by: datetime | None = None) -> bool:
    """``pending`` → ``sending`` in one statement: ``True`` for exactly one claimer.
    A message never tried is always due (the backoff is for retries: two schedulers'
    clocks need not agree to the second); a retry only once ``next_attempt_at`` is
    by ``due_by`` (default ``now``)."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending",  # type: ignore[arg-type]
               or_(OutboxMessage.attempts == 0,  # type: ignore[arg-type]
                   OutboxMessage.next_attempt_at <= (due_by or now)))  # type: ignore[arg-type]
        .values(status="sending", claimed_at=now, claimed_by=worker, attempts=OutboxMessage.attempts + 1))
    return result.rowcount == 1  # type: ignore[attr-defined]


def finish(*, session: Session, message_id: int, status: str, answer: str, now: datetime,
           next_attempt_at: datetime | None = None) -> None:
    """Record how a claimed send ended: ``sent``, ``failed`` or back to ``pending`` for a retry."""
    values: dict[str, object] = {"status": status, "last_answer": answer[:2000]}
    if status == "sent":
        values["sent_at"] = now
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id,  # type: ignore[arg-type]
                                                OutboxMessage.status == "sending")  # type: ignore[arg-type]
                    .values(**values))


def give_up_stuck(*, session: Session, message_id: int, claimed_before: datetime, answer: str) -> bool:
    """A message claimed before ``claimed_before`` and never finished (its sender died) becomes failed."""
    result = session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == "sending",  # type: ignore[arg-type]
                                    OutboxMessage.claimed_at < claimed_before)  # type: ignore[arg-type,operator]
        .values(status="failed", last_answer=answer))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def requeue(*, session: Session, message_id: int) -> bool:
    """A failed message goes pending again (finance's "resend"), due at once."""
    result = session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == "failed")  # type: ignore[arg-type]
        .values(status="pending", next_attempt_at=DUE_AT_ONCE))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _stored(row: OutboxMessage, attachments: tuple[AttachmentRecord, ...] = ()) -> StoredMessage:
    assert row.id is not None
    return StoredMessage(
        row.id, row.idempotency_key, row.agency_id, row.kind, row.scope, row.due_on, row.subject, row.sender,
        tuple(r.strip() for r in row.recipients.split(",") if r.strip()), row.text_body, row.html_body,
        row.message_id, row.status, row.attempts, row.next_attempt_at, row.last_answer, row.created_at, row.sent_at,
        attachments,
    )


def messages(*, session: Session, agency_ids: Sequence[str] | None = None, kinds: Sequence[str] | None = None,
             statuses: Sequence[str] | None = None, keys: Sequence[str] | None = None,
             limit: int = 500) -> list[StoredMessage]:
    """Stored messages, newest first, with their attachments' metadata (not bytes)."""
    statement = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)  # type: ignore[union-attr]
    if agency_ids is not None:
        statement = statement.where(OutboxMessage.agency_id.in_(list(agency_ids)))  # type: ignore[attr-defined]
    if kinds is not None:
        statement = statement.where(OutboxMessage.kind.in_(list(kinds)))  # type: ignore[attr-defined]
    if statuses is not None:
        statement = statement.where(OutboxMessage.status.in_(list(statuses)))  # type: ignore[attr-defined]
    if keys is not None:
        statement = statement.where(OutboxMessage.idempotency_key.in_(list(keys)))  # type: ignore[attr-defined]
    rows = list(session.scalars(statement))
    files: dict[int, list[AttachmentRecord]] = {}
    if rows:
        for a in session.execute(
            select(OutboxAttachment.id, OutboxAttachment.message_id, OutboxAttachment.filename,
                   OutboxAttachment.content_type, OutboxAttachment.sha256, OutboxAttachment.size)
            .where(OutboxAttachment.message_id.in_([r.id for r in rows]))  # type: ignore[attr-defined]
            .order_by(OutboxAttachment.id)
        ):
            files.setdefault(a.message_id, []).append(AttachmentRecord(a.id, a.filename, a.content_type, a.sha256, a.size))
    return [_stored(r, tuple(files.get(r.id or 0, ()))) for r in rows]


def message(*, session: Session, message_id: int) -> StoredMessage | None:
    row = session.get(OutboxMessage, message_id)
    if row is None:
        return None
    attachments = tuple(AttachmentRecord(a.id or 0, a.filename, a.content_type, a.sha256, a.size) for a in session.scalars(
        select(OutboxAttachment).where(OutboxAttachment.message_id == message_id).order_by(OutboxAttachment.id)))  # type: ignore[arg-type]
    return _stored(row, attachments)


def attachment_bytes(*, session: Session, message_id: int) -> list[tuple[str, str, str, bytes]]:
    """(file name, content type, sha256, bytes) of a message's attachments, in order."""
    return [tuple(r) for r in session.execute(  # type: ignore[misc]
        select(OutboxAttachment.filename, OutboxAttachment.content_type, OutboxAttachment.sha256, OutboxAttachment.content)
        .where(OutboxAttachment.message_id == message_id).order_by(OutboxAttachment.id))]


def status_counts(*, session: Session, keys: Sequence[str] | None = None) -> dict[tuple[str, str], int]:
    """(status, kind) → count, over every message or the given keys."""
    statement = select(OutboxMessage.status, OutboxMessage.kind, func.count()).group_by(
        OutboxMessage.status, OutboxMessage.kind)
    if keys is not None:
        statement = statement.where(OutboxMessage.idempotency_key.in_(list(keys)))  # type: ignore[attr-defined]
    return {(status, kind): count for status, kind, count in session.execute(statement)}


def open_counts(*, session: Session) -> list[tuple[str, str, str, int]]:
    """(status, kind, agency, count) of the messages not sent or failed yet."""
    return [tuple(r) for r in session.execute(  # type: ignore[misc]
        select(OutboxMessage.status, OutboxMessage.kind, OutboxMessage.agency_id, func.count())
        .where(OutboxMessage.status.in_(["pending", "sending", "blocked"]))  # type: ignore[attr-defined]
        .group_by(OutboxMessage.status, OutboxMessage.kind, OutboxMessage.agency_id))]


def restricted_notices_open(*, session: Session) -> list[tuple[str, str]]:
    """(agency, invoice) pairs told "restricted" and not yet told "lifted"."""
    lifted = select(OutboxMessage.agency_id, OutboxMessage.scope).where(OutboxMessage.kind == "restriction_lifted")
    told = session.execute(select(OutboxMessage.agency_id, OutboxMessage.scope)
                           .where(OutboxMessage.kind == "restricted")).all()
    done = {tuple(r) for r in session.execute(lifted)}
    return [tuple(r) for r in told if tuple(r) not in done]  # type: ignore[misc]

