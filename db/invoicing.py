"""Invoices in the database: the facts an invoice is priced from, the frozen
invoices, and freezing one.

The use cases — previewing a cycle, issuing it, and the rules that go with
them — are :mod:`services.previews` and :mod:`services.issuing`; this module
only reads and writes. An issued invoice is one row per agency per cycle (a
unique constraint), numbered ``INV-YYYY-MM-NNNN``, holding the engine's
snapshot as canonical JSON and a content hash of the whole row
(:mod:`db.invoice_hash`), checked whenever a frozen invoice is read. Issuing
runs in a transaction that holds the billing-facts lock (:mod:`db.locks`:
imports hold it too, so an import and an issue never interleave) and is
retried when a concurrent issuer wins the race on the unique constraints
(:func:`run_issuing`), so the loser finds everything issued.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col

from billing import CallTotals, Cycle, InvoiceFacts, MinuteBankCarry
from billing.snapshot import InvoiceSnapshot, parse_snapshot

from . import facts as stored
from .errors import NotFound
from .invoice_hash import HEADER_COLUMNS, header_hash, header_of, snapshot_digest, verify_frozen
from .locks import lock_billing_facts
from .models import Agency
from .models import Invoice as IssuedInvoice
from .models import InvoiceLine as IssuedLine
from .queries.agencies import AgencyRecord
from .queries.revisions import database_identity

ISSUE_ATTEMPTS = 4

T = TypeVar("T")


def first_cycle(agency: Agency | AgencyRecord) -> Cycle:
    """The cycle whose closed period holds the onboarding date."""
    return Cycle.containing(agency.onboarded_on)


@dataclass(frozen=True)
class IssuedRef:
    number: str
    issued_at: datetime
    issued_by: str
    content_hash: str
    hash_verified: bool  # always True: a row that does not match raises InvoiceIntegrityError


@dataclass(frozen=True)
class FrozenInvoice:
    """An issued invoice as stored: its snapshot and who froze it when."""

    agency_id: str
    snapshot: InvoiceSnapshot
    issued: IssuedRef


@dataclass(frozen=True)
class FactsBatch:
    """The engine's input for a batch of agencies, and why some have none."""

    facts: dict[str, InvoiceFacts] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def canonical_json(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def invoice_number(cycle: Cycle, sequence: int) -> str:
    return f"INV-{cycle}-{sequence:04d}"


# --- reading ---------------------------------------------------------------------

@dataclass(frozen=True)
class VerifiedInvoice:
    """An issued invoice row that matched its content hash when it was read:
    who froze it when, and its snapshot as stored (not parsed yet)."""

    agency_id: str
    issued: IssuedRef
    snapshot_text: str


def verified_issued_invoices(*, session: Session, cycle: Cycle, agency_ids: Sequence[str]) -> list[VerifiedInvoice]:
    """The frozen invoices of ``cycle`` for these agencies, every row checked
    against its content hash as it is read: :class:`~db.errors.InvoiceIntegrityError`
    names any that does not match, and nothing is built on it.

    The content hash covers the snapshot (v2: through ``snapshot_hash``; v1:
    directly), so once a row has matched, its ``issued`` names its snapshot
    exactly: a caller may keep what it parsed from a row verified with the
    same ``issued`` (services.previews does)."""
    if not agency_ids:
        return []
    columns = [col(getattr(IssuedInvoice, name)) for name in ("id", *HEADER_COLUMNS, "content_hash", "snapshot")]
    rows = session.execute(  # columns, not ORM objects: only what is used
        select(*columns).where(col(IssuedInvoice.cycle) == str(cycle), col(IssuedInvoice.agency_id).in_(list(agency_ids)))
    ).all()
    verify_frozen(rows, database_identity(session))
    return [
        VerifiedInvoice(row.agency_id, IssuedRef(number=row.number, issued_at=row.issued_at, issued_by=row.issued_by,
                                                 content_hash=row.content_hash, hash_verified=True), row.snapshot)
        for row in rows
    ]


def issued_invoices(*, session: Session, cycle: Cycle, agency_ids: Sequence[str]) -> dict[str, FrozenInvoice]:
    """:func:`verified_issued_invoices`, each snapshot parsed."""
    return {
        found.agency_id: FrozenInvoice(found.agency_id, parse_snapshot(json.loads(found.snapshot_text)), found.issued)
        for found in verified_issued_invoices(session=session, cycle=cycle, agency_ids=agency_ids)
    }


def issued_agency_ids(*, session: Session, cycle: Cycle, agency_ids: Sequence[str]) -> set[str]:
    """Which of these agencies have an issued invoice for ``cycle``."""
    if not agency_ids:
        return set()
    return set(session.scalars(
        select(IssuedInvoice.agency_id).where(IssuedInvoice.cycle == str(cycle), IssuedInvoice.agency_id.in_(list(agency_ids)))  # type: ignore[attr-defined]
    ))


def invoice_facts(
    *, session: Session, cycle: Cycle, agencies: Sequence[AgencyRecord], carry: Mapping[str, tuple[int, MinuteBankCarry]]
) -> FactsBatch:
    """The stored facts of ``agencies`` for ``cycle``, one query per kind of
    fact for the whole batch; ``carry`` is each agency's (seats paid in
    advance, minute bank) from its previous invoice. An agency without a
    contract in force on the invoice date is a problem, not an invoice."""
    out = FactsBatch()
    ids = [a.id for a in agencies]
    calendar_period = cycle.closed_period
    contracts = stored.contracts_in_force(session, ids, cycle.invoice_date)
    users = stored.users(session, ids)
    totals = stored.call_totals(session, ids, cycle)
    periods = {a.id: stored.history_periods(users.get(a.id, ()), cycle, first_cycle(a)) for a in agencies}
    minutes = stored.minutes_by_cycle(session, {a: [c for c, _ in p] for a, p in periods.items()})
    numbers = stored.active_numbers(session, ids, calendar_period)
    appointments = stored.appointment_counts(session, ids, calendar_period)
    for agency in agencies:
        contract = contracts.get(agency.id)
        if contract is None:
            out.problems[agency.id] = f"no contract in force on {cycle.invoice_date.isoformat()}"
            continue
        seats, bank = carry[agency.id]
        completed, not_billed = appointments.get(agency.id, (0, 0))
        out.facts[agency.id] = InvoiceFacts(
            agency_id=agency.id,
            agency_name=agency.name,
            cycle=cycle,
            onboarded_on=agency.onboarded_on,
            contract=stored.contract_terms(contract),
            seats_paid_in_advance=seats,
            minute_bank=bank,
            usage_history=stored.usage_history(periods[agency.id], minutes.get(agency.id, {})),
            users=users.get(agency.id, ()),
            call_totals=totals.get(agency.id, CallTotals()),
            active_numbers=numbers.get(agency.id, 0),
            completed_appointments=completed,
            unbilled_appointments=not_billed,
        )
    return out


def next_invoice_sequence(*, session: Session, cycle: Cycle) -> int:
    """The next free NNNN of ``INV-YYYY-MM-NNNN`` in ``cycle``."""
    numbers = session.scalars(select(IssuedInvoice.number).where(IssuedInvoice.cycle == str(cycle)))
    return max((int(n.rsplit("-", 1)[1]) for n in numbers), default=0) + 1


def issued_lines(session: Session, number: str) -> list[IssuedLine]:
    invoice = session.scalars(select(IssuedInvoice).where(IssuedInvoice.number == number)).first()
    if invoice is None:
        raise NotFound(f"no invoice {number!r}")
    return list(session.scalars(select(IssuedLine).where(IssuedLine.invoice_id == invoice.id).order_by(IssuedLine.position)))


# --- writing ---------------------------------------------------------------------

def insert_issued_invoice(
    *, session: Session, agency_id: str, cycle: Cycle, number: str, snapshot: InvoiceSnapshot, actor: str,
    issued_at: datetime | None = None,
) -> None:
    """Freeze one invoice and its lines; the snapshot is stored exactly as
    the engine wrote it (canonical JSON), and the row carries a v2 content
    hash of every column (:mod:`db.invoice_hash`)."""
    snapshot_text = canonical_json(snapshot.document)
    row = IssuedInvoice(
        number=number,
        agency_id=agency_id,
        cycle=str(cycle),
        invoice_date=cycle.invoice_date,
        due_date=cycle.due_date,
        restriction_date=cycle.restriction_date,
        total=snapshot.total,
        seats_billed=snapshot.seats_billed,
        headcount_at_cutoff=snapshot.headcount_at_cutoff,
        minutes_used=snapshot.minute_bank.minutes_used,
        closing_balance=snapshot.minute_bank.closing_balance,
        replenishment=snapshot.minute_bank.replenishment,
        snapshot=snapshot_text,
        snapshot_hash=snapshot_digest(snapshot_text),
        content_hash="",
        issued_by=actor,
    )
    if issued_at is not None:
        row.issued_at = issued_at
    row.content_hash = header_hash(header_of(row))
    session.add(row)
    session.flush()
    for position, line in enumerate(snapshot.lines, start=1):
        session.add(
            IssuedLine(
                invoice_id=row.id,
                position=position,
                code=line.code,
                user_id=line.user,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount=line.amount,
                description=line.description,
            )
        )


def run_issuing(sessions: Callable[[], AbstractContextManager[Session]], work: Callable[[Session], T]) -> T:
    """Run ``work`` in one transaction that holds the billing-facts lock
    (:func:`db.locks.lock_billing_facts`) before it reads anything.

    One issuer or import at a time: an import running now finishes first and
    its facts are priced; one that starts later finds the cycle issued and
    warns. Where two issuers still collide (another process that got there
    first) the loser fails on the unique constraints, rolls back, and runs
    ``work`` again from the start — and then finds the invoices issued.
    """
    for attempt in range(ISSUE_ATTEMPTS):
        try:
            with sessions() as session:
                lock_billing_facts(session)
                return work(session)
        except (IntegrityError, OperationalError):
            if attempt == ISSUE_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")
