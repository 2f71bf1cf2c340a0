"""Previewing and issuing invoices.

A *preview* prices the stored facts with the engine. The carry-over from the
previous cycle (seats paid in advance, minute bank) comes from that cycle's
issued invoice, or — while it is not issued yet — from its own preview, so a
finance manager can look two cycles ahead. The preview of an issued cycle is
the frozen invoice itself.

*Issuing* freezes one invoice per agency per cycle (a unique constraint),
numbered ``INV-YYYY-MM-NNNN``, with a content hash. It is idempotent and safe
when two people press the button at once: the loser of the race retries and
finds everything issued.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from billing import (
    CallTotals,
    Cycle,
    Invoice,
    InvoiceFacts,
    MinuteBankCarry,
    price_invoice,
)
from billing.scenario import invoice_snapshot

from . import audit
from . import facts as stored
from .engine import get_engine, session_scope
from .errors import BillingError, NotFound
from .models import Agency
from .models import Invoice as IssuedInvoice
from .models import InvoiceLine as IssuedLine

ISSUE_ATTEMPTS = 4
ISSUE_LOCK_KEY = 7243002  # pg_advisory_xact_lock key: one issuer at a time


def first_cycle(agency: Agency) -> Cycle:
    """The cycle whose closed period holds the onboarding date."""
    return Cycle.containing(agency.onboarded_on)


@dataclass(frozen=True)
class IssuedRef:
    number: str
    issued_at: datetime
    issued_by: str
    content_hash: str
    hash_verified: bool


@dataclass(frozen=True)
class CyclePreview:
    """One agency's invoice for one cycle: live from the facts, or frozen."""

    agency_id: str
    agency_name: str
    cycle: Cycle
    snapshot: dict[str, Any]
    invoice: Invoice | None = None
    facts: InvoiceFacts | None = None
    issued: IssuedRef | None = None

    @property
    def is_issued(self) -> bool:
        return self.issued is not None

    @property
    def total(self) -> Decimal:
        return Decimal(self.snapshot["total"])

    @property
    def seats_billed(self) -> int:
        return int(self.snapshot["lines"][0]["quantity"])  # USER_FEE always comes first

    @property
    def closing_balance(self) -> int:
        return int(self.snapshot["minute_bank"]["closing_balance"])

    @property
    def replenishment(self) -> int:
        return int(self.snapshot["minute_bank"]["replenishment"])


@dataclass
class CyclePreviews:
    cycle: Cycle
    previews: dict[str, CyclePreview] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def canonical_json(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(number: str, snapshot_text: str) -> str:
    return hashlib.sha256(f"{number}\n{snapshot_text}".encode()).hexdigest()


def _issued(session: Session, cycle: Cycle, agency_ids: Sequence[str]) -> dict[str, CyclePreview]:
    if not agency_ids:
        return {}
    rows = session.scalars(
        select(IssuedInvoice).where(IssuedInvoice.cycle == str(cycle), IssuedInvoice.agency_id.in_(list(agency_ids)))  # type: ignore[attr-defined]
    )
    result = {}
    for row in rows:
        snapshot = json.loads(row.snapshot)
        ref = IssuedRef(
            number=row.number,
            issued_at=row.issued_at,
            issued_by=row.issued_by,
            content_hash=row.content_hash,
            hash_verified=content_hash(row.number, row.snapshot) == row.content_hash,
        )
        result[row.agency_id] = CyclePreview(row.agency_id, snapshot["agency_name"], cycle, snapshot, issued=ref)
    return result


def _price_batch(
    session: Session, cycle: Cycle, todo: list[Agency], carry: dict[str, tuple[int, MinuteBankCarry]]
) -> CyclePreviews:
    """Load the facts of ``todo`` with one query per kind of fact and price them."""
    out = CyclePreviews(cycle)
    ids = [a.id for a in todo]
    calendar_period = cycle.closed_period
    contracts = stored.contracts_in_force(session, ids, cycle.invoice_date)
    users = stored.users(session, ids)
    totals = stored.call_totals(session, ids, cycle)
    periods = {a.id: stored.history_periods(users.get(a.id, ()), cycle, first_cycle(a)) for a in todo}
    minutes = stored.minutes_by_cycle(session, {a: [c for c, _ in p] for a, p in periods.items()})
    numbers = stored.active_numbers(session, ids, calendar_period)
    appointments = stored.appointment_counts(session, ids, calendar_period)
    for agency in todo:
        contract = contracts.get(agency.id)
        if contract is None:
            out.problems[agency.id] = f"no contract in force on {cycle.invoice_date.isoformat()}"
            continue
        agency_users = users.get(agency.id, ())
        seats, bank = carry[agency.id]
        completed, not_billed = appointments.get(agency.id, (0, 0))
        facts = InvoiceFacts(
            agency_id=agency.id,
            agency_name=agency.name,
            cycle=cycle,
            onboarded_on=agency.onboarded_on,
            contract=stored.contract_terms(contract),
            seats_paid_in_advance=seats,
            minute_bank=bank,
            usage_history=stored.usage_history(periods[agency.id], minutes.get(agency.id, {})),
            users=agency_users,
            call_totals=totals.get(agency.id, CallTotals()),
            active_numbers=numbers.get(agency.id, 0),
            completed_appointments=completed,
            unbilled_appointments=not_billed,
        )
        invoice = price_invoice(facts)
        out.previews[agency.id] = CyclePreview(
            agency.id, agency.name, cycle, invoice_snapshot(invoice), invoice=invoice, facts=facts
        )
    return out


def _previews(session: Session, cycle: Cycle, candidates: list[Agency]) -> CyclePreviews:
    eligible = [a for a in candidates if first_cycle(a) <= cycle]
    result = CyclePreviews(cycle)
    result.previews.update(_issued(session, cycle, [a.id for a in eligible]))
    todo = [a for a in eligible if a.id not in result.previews]
    if not todo:
        return result

    carry: dict[str, tuple[int, MinuteBankCarry]] = {}
    continuing = [a for a in todo if first_cycle(a) < cycle]
    for agency in todo:
        if first_cycle(agency) == cycle:
            carry[agency.id] = (0, MinuteBankCarry())  # first invoice: nothing paid in advance
    if continuing:
        earlier = _previews(session, cycle.previous(), continuing)
        for agency in continuing:
            previous = earlier.previews.get(agency.id)
            if previous is None:
                reason = earlier.problems.get(agency.id, "no previous invoice")
                result.problems[agency.id] = f"cycle {cycle.previous()}: {reason}"
                continue
            carry[agency.id] = (
                previous.seats_billed,
                MinuteBankCarry(previous.closing_balance, previous.replenishment),
            )
    priced = _price_batch(session, cycle, [a for a in todo if a.id in carry], carry)
    result.previews.update(priced.previews)
    result.problems.update(priced.problems)
    return result


def preview_cycle(session: Session, cycle: Cycle, agency_ids: Sequence[str] | None = None) -> CyclePreviews:
    """Every (or the given) agency's invoice for ``cycle``, issued or live.

    Agencies onboarded after the cycle's closed period have no invoice yet
    and are left out; agencies that cannot be priced are in ``problems``.
    """
    return _previews(session, cycle, stored.agencies(session, agency_ids))


def preview_invoice(session: Session, agency_id: str, cycle: Cycle) -> CyclePreview:
    found = stored.agencies(session, [agency_id])
    if not found:
        raise NotFound(f"no agency {agency_id!r}")
    agency = found[0]
    if first_cycle(agency) > cycle:
        raise BillingError(
            f"{agency.name} was onboarded on {agency.onboarded_on.isoformat()}; "
            f"its first invoice is cycle {first_cycle(agency)}"
        )
    result = _previews(session, cycle, [agency])
    if agency_id in result.problems:
        raise BillingError(f"{agency.name}, cycle {cycle}: {result.problems[agency_id]}")
    return result.previews[agency_id]


def live_facts(session: Session, agency_id: str, cycle: Cycle) -> InvoiceFacts:
    """The facts as stored now (for an issued cycle too), e.g. for a scenario file."""
    agency = stored.agencies(session, [agency_id])
    if not agency:
        raise NotFound(f"no agency {agency_id!r}")
    preview = preview_invoice(session, agency_id, cycle)
    if preview.facts is not None:
        return preview.facts
    # Issued: re-derive the facts with the carry the frozen chain used.
    if first_cycle(agency[0]) == cycle:
        carry = (0, MinuteBankCarry())
    else:
        previous = preview_invoice(session, agency_id, cycle.previous())
        carry = (previous.seats_billed, MinuteBankCarry(previous.closing_balance, previous.replenishment))
    priced = _price_batch(session, cycle, agency, {agency_id: carry})
    facts = priced.previews[agency_id].facts
    assert facts is not None
    return facts


# --- issuing ------------------------------------------------------------------

@dataclass
class IssueResult:
    cycle: Cycle
    issued: list[tuple[str, str, Decimal]] = field(default_factory=list)  # (agency, number, total)
    already_issued: int = 0
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def issued_total(self) -> Decimal:
        return sum((total for _, _, total in self.issued), Decimal("0.00"))


def _next_number(session: Session, cycle: Cycle) -> int:
    numbers = session.scalars(select(IssuedInvoice.number).where(IssuedInvoice.cycle == str(cycle)))
    return max((int(n.rsplit("-", 1)[1]) for n in numbers), default=0) + 1


def invoice_number(cycle: Cycle, sequence: int) -> str:
    return f"INV-{cycle}-{sequence:04d}"


def _freeze(session: Session, preview: CyclePreview, number: str, actor: str, issued_at: datetime | None) -> None:
    snapshot_text = canonical_json(preview.snapshot)
    cal = preview.cycle
    row = IssuedInvoice(
        number=number,
        agency_id=preview.agency_id,
        cycle=str(cal),
        invoice_date=cal.invoice_date,
        due_date=cal.due_date,
        restriction_date=cal.restriction_date,
        total=preview.total,
        seats_billed=preview.seats_billed,
        headcount_at_cutoff=int(preview.snapshot["headcount_at_cutoff"]),
        minutes_used=int(preview.snapshot["minute_bank"]["minutes_used"]),
        closing_balance=preview.closing_balance,
        replenishment=preview.replenishment,
        snapshot=snapshot_text,
        content_hash=content_hash(number, snapshot_text),
        issued_by=actor,
    )
    if issued_at is not None:
        row.issued_at = issued_at
    session.add(row)
    session.flush()
    for position, line in enumerate(preview.snapshot["lines"], start=1):
        session.add(
            IssuedLine(
                invoice_id=row.id,
                position=position,
                code=line["code"],
                user_id=line.get("user"),
                quantity=line["quantity"],
                unit_price=Decimal(line["unit_price"]),
                amount=Decimal(line["amount"]),
                description=line["description"],
            )
        )


def _issue_once(
    session: Session, cycle: Cycle, actor: str, agency_ids: Sequence[str] | None,
    progress: Callable[[int, int], None] | None, issued_at: datetime | None,
) -> IssueResult:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(ISSUE_LOCK_KEY)))
    result = IssueResult(cycle)
    previews = preview_cycle(session, cycle, agency_ids)
    result.skipped.update(previews.problems)
    todo = [p for p in previews.previews.values() if not p.is_issued]
    result.already_issued = len(previews.previews) - len(todo)

    agencies_by_id = {a.id: a for a in stored.agencies(session, [p.agency_id for p in todo])}
    previous = _issued(session, cycle.previous(), [p.agency_id for p in todo])
    sequence = _next_number(session, cycle)
    for done, preview in enumerate(sorted(todo, key=lambda p: p.agency_id), start=1):
        agency = agencies_by_id[preview.agency_id]
        if first_cycle(agency) < cycle and preview.agency_id not in previous:
            result.skipped[preview.agency_id] = f"cycle {cycle.previous()} is not issued yet; issue it first"
        else:
            number = invoice_number(cycle, sequence)
            sequence += 1
            _freeze(session, preview, number, actor, issued_at)
            result.issued.append((preview.agency_id, number, preview.total))
        if progress:
            progress(done, len(todo))
    audit.record(
        session, actor=actor, action="issue_cycle", subject=str(cycle),
        issued=len(result.issued), total=str(result.issued_total),
        already_issued=result.already_issued, skipped=result.skipped,
    )
    return result


def issue_cycle(
    cycle: Cycle,
    *,
    actor: str,
    today: date,
    agency_ids: Sequence[str] | None = None,
    engine: Engine | None = None,
    progress: Callable[[int, int], None] | None = None,
    issued_at: datetime | None = None,
) -> IssueResult:
    """Issue ``cycle`` for every agency not issued yet, in one transaction.

    ``issued_at`` defaults to now; the demo seed back-dates its history.

    Refused before the cutoff has passed: usage is final only then. Issuing
    twice changes nothing; a concurrent issuer loses on the unique
    constraints, rolls back and retries, and then finds the cycle issued.
    """
    if today <= cycle.cutoff:
        raise BillingError(
            f"cycle {cycle} cannot be issued before its cutoff has passed "
            f"(end of {cycle.cutoff.isoformat()}); usage is not final yet"
        )
    engine = engine or get_engine()
    for attempt in range(ISSUE_ATTEMPTS):
        try:
            with session_scope(engine) as session:
                return _issue_once(session, cycle, actor, agency_ids, progress, issued_at)
        except (IntegrityError, OperationalError):
            if attempt == ISSUE_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def issued_lines(session: Session, number: str) -> list[IssuedLine]:
    invoice = session.scalars(select(IssuedInvoice).where(IssuedInvoice.number == number)).first()
    if invoice is None:
        raise NotFound(f"no invoice {number!r}")
    return list(session.scalars(select(IssuedLine).where(IssuedLine.invoice_id == invoice.id).order_by(IssuedLine.position)))
