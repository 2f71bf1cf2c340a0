"""SQLModel tables: the stored billing facts and what was issued from them.

Conventions: every ``DateTime`` column holds an aware UTC instant; every
``date`` column is a billing-local date (the time-zone conversion happens
once, on the way in). Money and rates use :mod:`db.types` so they stay exact
on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

import clock
from billing.facts import SignalMode

from .types import Money, Rate

# A 64-bit key that is still SQLite's auto-incrementing rowid alias.
BigKey = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """When a record is written: the app's one clock (pinned with the demo's day)."""
    return clock.now()


class Agency(SQLModel, table=True):
    __tablename__ = "agency"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    onboarded_on: date
    address: str | None = Field(default=None, sa_type=Text)
    billing_email: str | None = Field(default=None, max_length=200)
    account_manager: str | None = Field(default=None, max_length=200, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class AgencyContract(SQLModel, table=True):
    """Contract terms in force from ``effective_from`` until the next row's date."""

    __tablename__ = "contract"
    __table_args__ = (
        UniqueConstraint("agency_id", "effective_from", name="uq_contract_agency_effective"),
        CheckConstraint(f"signal_mode IN ({', '.join(repr(str(m)) for m in SignalMode)})", name="ck_contract_signal_mode"),
        CheckConstraint("minute_block >= 1", name="ck_contract_minute_block"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_id: str = Field(foreign_key="agency.id", index=True, max_length=40)
    effective_from: date
    user_fee: Decimal = Field(sa_type=Rate())
    minimum_users: int = Field(ge=0)
    minute_rate: Decimal = Field(sa_type=Rate())
    licensing_fee: Decimal = Field(default=Decimal("50.00"), sa_type=Rate())
    minute_block: int = 100
    replenish_buffer_pct: Decimal = Field(default=Decimal("0"), sa_type=Rate())
    onboarding_minutes_per_user: int = 2500
    signal_mode: str = Field(default="none", max_length=10)
    signal_rate: Decimal | None = Field(default=None, sa_type=Rate())
    number_cleaning_rate: Decimal | None = Field(default=None, sa_type=Rate())
    appointment_fee: Decimal | None = Field(default=None, sa_type=Rate())
    transcription_rate: Decimal | None = Field(default=None, sa_type=Rate())


class DialerUser(SQLModel, table=True):
    """A person with a dialer login; their seats come from access spans."""

    __tablename__ = "dialer_user"

    agency_id: str = Field(foreign_key="agency.id", primary_key=True, max_length=40)
    user_id: str = Field(primary_key=True, max_length=80)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=200)
    last_call_on: date | None = None


class AccessSpan(SQLModel, table=True):
    """``[start_on, end_on)`` in billing dates; the timestamps as received."""

    __tablename__ = "access_span"
    __table_args__ = (
        UniqueConstraint("agency_id", "user_id", "activated_at", name="uq_span_user_activated"),
        CheckConstraint("end_on IS NULL OR end_on > start_on", name="ck_span_order"),
        Index("ix_access_span_agency", "agency_id", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_id: str = Field(max_length=40)
    user_id: str = Field(max_length=80)
    activated_at: datetime
    deactivated_at: datetime | None = None
    start_on: date
    end_on: date | None = None


class Call(SQLModel, table=True):
    """One call as exported by the dialer; ``call_id`` makes re-imports no-ops."""

    __tablename__ = "call"
    __table_args__ = (
        Index("ix_call_agency_day", "agency_id", "started_on"),
        CheckConstraint("duration_seconds >= 0 AND transcribed_seconds >= 0", name="ck_call_seconds"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigKey, primary_key=True, autoincrement=True))
    call_id: str = Field(max_length=80, unique=True)
    agency_id: str = Field(max_length=40)
    user_id: str = Field(max_length=80)
    started_at: datetime
    started_on: date
    duration_seconds: int
    transcribed_seconds: int


class CallDay(SQLModel, table=True):
    """Calls summed per agency and billing day, in step with ``call``.

    ``billable_minutes`` already holds per-call rounded-up minutes, so a
    period's usage is a sum of a few dozen rows instead of a scan of calls.
    ``cycle`` names the cycle whose closed period holds ``day``.
    """

    __tablename__ = "call_day"
    __table_args__ = (Index("ix_call_day_cycle", "cycle", "agency_id"),)

    agency_id: str = Field(primary_key=True, max_length=40)
    day: date = Field(primary_key=True)
    cycle: str = Field(max_length=7)
    calls: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    billable_minutes: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    transcribed_seconds: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class DialingNumber(SQLModel, table=True):
    __tablename__ = "dialing_number"
    __table_args__ = (
        UniqueConstraint("agency_id", "number", "active_from", name="uq_number_agency_from"),
        CheckConstraint("active_to IS NULL OR active_to > active_from", name="ck_number_order"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_id: str = Field(max_length=40, index=True)
    number: str = Field(max_length=20)
    active_from: date
    active_to: date | None = None


class Appointment(SQLModel, table=True):
    __tablename__ = "appointment"
    __table_args__ = (
        Index("ix_appointment_agency_day", "agency_id", "day"),
        CheckConstraint("status IN ('completed', 'cancelled', 'no_show')", name="ck_appointment_status"),
    )

    appointment_id: str = Field(primary_key=True, max_length=80)
    agency_id: str = Field(max_length=40)
    day: date
    status: str = Field(max_length=10)


class Invoice(SQLModel, table=True):
    """An issued invoice: frozen. Database triggers refuse updates, deletes,
    truncation and (SQLite) a REPLACE of an existing row; ``content_hash``
    covers every other column (see :mod:`db.invoice_hash`)."""

    __tablename__ = "invoice"
    __table_args__ = (UniqueConstraint("agency_id", "cycle", name="uq_invoice_agency_cycle"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True)
    agency_id: str = Field(foreign_key="agency.id", max_length=40, index=True)
    cycle: str = Field(max_length=7, index=True)
    invoice_date: date
    due_date: date
    restriction_date: date
    total: Decimal = Field(sa_type=Money())
    seats_billed: int
    headcount_at_cutoff: int
    minutes_used: int = Field(sa_column=Column(BigInteger, nullable=False))
    closing_balance: int = Field(sa_column=Column(BigInteger, nullable=False))
    replenishment: int = Field(sa_column=Column(BigInteger, nullable=False))
    snapshot: str = Field(sa_type=Text)
    snapshot_hash: str | None = Field(default=None, max_length=64)  # sha256 of snapshot; NULL: a v1 content hash
    content_hash: str = Field(max_length=64)
    issued_at: datetime = Field(default_factory=utcnow)
    issued_by: str = Field(max_length=200)


class InvoiceLine(SQLModel, table=True):
    __tablename__ = "invoice_line"
    __table_args__ = (UniqueConstraint("invoice_id", "position", name="uq_invoice_line_position"),)

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    position: int
    code: str = Field(max_length=24)
    user_id: str | None = Field(default=None, max_length=80)
    quantity: int = Field(sa_column=Column(BigInteger, nullable=False))
    unit_price: Decimal = Field(sa_type=Rate())
    amount: Decimal = Field(sa_type=Money())
    description: str = Field(sa_type=Text)


class Payment(SQLModel, table=True):
    """Money received; ``reference`` makes a re-submitted payment a no-op."""

    __tablename__ = "payment"
    __table_args__ = (CheckConstraint("paid_on IS NOT NULL", name="ck_payment_date"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: str = Field(foreign_key="agency.id", max_length=40, index=True)
    paid_on: date
    amount: Decimal = Field(sa_type=Money())
    invoice_number: str | None = Field(default=None, max_length=20)
    reference: str | None = Field(default=None, max_length=120, unique=True)
    recorded_at: datetime = Field(default_factory=utcnow)
    recorded_by: str = Field(max_length=200)


class Adjustment(SQLModel, table=True):
    """A correction beside an immutable invoice: a credit (like a payment)
    or a debit (like a small invoice: due on ``due_on``, or with the invoice
    it corrects, or with the next invoice)."""

    __tablename__ = "adjustment"
    __table_args__ = (CheckConstraint("kind IN ('credit', 'debit')", name="ck_adjustment_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: str = Field(foreign_key="agency.id", max_length=40, index=True)
    kind: str = Field(max_length=6)
    on_date: date
    due_on: date | None = None
    amount: Decimal = Field(sa_type=Money())
    reason: str = Field(sa_type=Text)
    invoice_number: str | None = Field(default=None, max_length=20)
    recorded_at: datetime = Field(default_factory=utcnow)
    recorded_by: str = Field(max_length=200)


class FactRevision(SQLModel, table=True):
    """Each agency's revision: a random token that database triggers renew on
    every write to a row that feeds its preview, ledger or status (migration
    0012), so a cache keyed by it can never serve an entry computed from other
    facts (services/fact_cache.py). Written only by those triggers."""

    __tablename__ = "fact_revision"

    agency_id: str = Field(primary_key=True, max_length=40)
    revision: int = Field(sa_column=Column(BigInteger, nullable=False))


class AuditEvent(SQLModel, table=True):
    """Who did what, when. Append-only: the app never updates or deletes."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=40, index=True)
    subject: str = Field(default="", max_length=200)
    details: str = Field(default="{}", sa_type=Text)


class Account(SQLModel, table=True):
    """A person who signs in to the dashboard (not a dialer user)."""

    __tablename__ = "account"

    email: str = Field(primary_key=True, max_length=200)
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    password_hash: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class AccountAgency(SQLModel, table=True):
    """An account manager's assigned agencies."""

    __tablename__ = "account_agency"

    email: str = Field(foreign_key="account.email", primary_key=True, max_length=200)
    agency_id: str = Field(foreign_key="agency.id", primary_key=True, max_length=40)


class AccountCode(SQLModel, table=True):
    """Where a charge goes in the books: the ledger account (Xero, journal)
    and the product/service item (QuickBooks) of each charge, as finance set
    them on the revenue page. A charge without a row uses the default
    (``services.accounting_export.DEFAULT_ACCOUNTS``)."""

    __tablename__ = "account_code"

    charge: str = Field(primary_key=True, max_length=40)
    account: str = Field(max_length=40)
    item: str = Field(max_length=100)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(max_length=200)


class SignInSession(SQLModel, table=True):
    """A signed-in browser: the cookie carries a random token, only its
    sha256 is stored, so a copy of this table signs nobody in. Ended by
    signing out, by inactivity, or by a change to the account."""

    __tablename__ = "sign_in_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    email: str = Field(foreign_key="account.email", max_length=200, index=True)
    stamp: str = Field(max_length=64)  # the account as it was at sign-in: services.accounts._stamp
    client: str = Field(default="", max_length=64)
    started_at: datetime = Field(default_factory=clock.real_now)  # expiry runs on real time, like lockouts
    last_seen_at: datetime = Field(default_factory=clock.real_now)
    ended_at: datetime | None = Field(default=None)
    ended_because: str | None = Field(default=None, max_length=40)


class LoginFailure(SQLModel, table=True):
    """A sign-in attempt not (yet) known to be right, kept to rate-limit
    guessing across app instances; a right password clears its e-mail's."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=200, index=True)
    at: datetime = Field(default_factory=clock.real_now, index=True)  # a lockout window runs on real time
    client: str = Field(default="", max_length=64, index=True)  # the browser's address, as Streamlit sees it


class ReviewApproval(SQLModel, table=True):
    """A finance manager's approval of one agency's previewed invoice for a cycle.

    ``content_hash`` is the SHA-256 of the preview's canonical snapshot as it
    was approved, and ``snapshot`` that snapshot itself, so a later preview
    that hashes differently is a *stale* approval whose changed lines can be
    named. Rows are only ever added: the newest per (cycle, agency) counts.
    """

    __tablename__ = "review_approval"
    __table_args__ = (Index("ix_review_approval_cycle", "cycle", "agency_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle: str = Field(max_length=7)
    agency_id: str = Field(foreign_key="agency.id", max_length=40)
    content_hash: str = Field(max_length=64)
    total: Decimal = Field(sa_type=Money())
    snapshot: str = Field(sa_type=Text)
    approved_by: str = Field(max_length=200)
    approved_at: datetime = Field(default_factory=utcnow)
    note: str = Field(default="", sa_type=Text)


class ReviewAcknowledgement(SQLModel, table=True):
    """A finding of the review looked at and accepted, with a note.

    ``evidence_hash`` fingerprints the numbers the finding stated when it was
    acknowledged: if they change (a late import), the acknowledgement no
    longer covers the finding. The newest per (cycle, agency, code) counts.
    """

    __tablename__ = "review_acknowledgement"
    __table_args__ = (Index("ix_review_ack_cycle", "cycle", "agency_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle: str = Field(max_length=7)
    agency_id: str = Field(foreign_key="agency.id", max_length=40)
    code: str = Field(max_length=40)
    evidence_hash: str = Field(max_length=64)
    acknowledged_by: str = Field(max_length=200)
    acknowledged_at: datetime = Field(default_factory=utcnow)
    note: str = Field(sa_type=Text)
# --- communications (migration 0009) ---------------------------------------------

class Contact(SQLModel, table=True):
    """A person at an agency who receives our messages; ``kind`` is one of
    :class:`services.contacts.ContactKind` (billing, ops, account owner).
    ``agency.billing_email`` counts as a billing contact too (read beside these)."""

    __tablename__ = "contact"
    __table_args__ = (
        UniqueConstraint("agency_id", "email", "kind", name="uq_contact_agency_email_kind"),
        CheckConstraint("kind IN ('billing', 'ops', 'account_owner')", name="ck_contact_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_id: str = Field(foreign_key="agency.id", max_length=40, index=True)
    name: str = Field(default="", max_length=200)
    email: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow)


class OutboxMessage(SQLModel, table=True):
    """A message rendered and stored before it is sent. ``idempotency_key``
    (agency, cycle or invoice or payment, kind) is unique, so no rerun and no
    second scheduler can queue it twice; a sender claims a row by moving it
    from ``pending`` to ``sending`` in one UPDATE, so only one ever sends it."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'blocked')", name="ck_outbox_status"),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    agency_id: str = Field(foreign_key="agency.id", max_length=40, index=True)
    kind: str = Field(max_length=40, index=True)
    scope: str = Field(max_length=40)  # the cycle, invoice number or payment id it is about
    due_on: date
    subject: str = Field(max_length=300)
    sender: str = Field(max_length=200)
    recipients: str = Field(sa_type=Text)  # comma-separated
    text_body: str = Field(sa_type=Text)
    html_body: str = Field(sa_type=Text)
    message_id: str = Field(max_length=200)
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_answer: str | None = Field(default=None, sa_type=Text)  # what the SMTP server (or the file writer) said
    created_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=80)
    sent_at: datetime | None = None


class OutboxAttachment(SQLModel, table=True):
    """A file sent with a message, stored with its bytes and their sha256."""

    __tablename__ = "outbox_attachment"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="outbox_message.id", index=True)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    sha256: str = Field(max_length=64)
    size: int
    content: bytes = Field(sa_type=LargeBinary)


class MessagePause(SQLModel, table=True):
    """An agency whose messages are held (stored, not sent) until resumed."""

    __tablename__ = "message_pause"

    agency_id: str = Field(foreign_key="agency.id", primary_key=True, max_length=40)
    paused_at: datetime = Field(default_factory=utcnow)
    paused_by: str = Field(max_length=200)
