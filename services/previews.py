"""Previewing invoices: what an agency's invoice for a cycle is, or will be.

A *preview* prices the stored facts with the engine. The carry-over from the
previous cycle (seats paid in advance, minute bank) comes from that cycle's
issued invoice, or — while it is not issued yet — from its own preview, so a
finance manager can look two cycles ahead. The preview of an issued cycle is
the frozen invoice itself: it never changes when facts change.

The ``…_in(session, …)`` functions run inside a caller's transaction (the
portfolio, issuing, the invoice page each price several things at once); the
others open their own from ``sessions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from billing import Cycle, Invoice, InvoiceFacts, MinuteBankCarry, invoice_to_json, price_invoice
from billing.snapshot import InvoiceSnapshot, snapshot_of
from db.invoicing import IssuedRef, invoice_facts, issued_invoices
from db.queries.agencies import AgencyRecord, agency_records
from db.scenario_export import scenario_document

from .clock import billing_today
from .cycles import current_cycle
from .errors import BillingError, FieldError, NotFound
from .unit_of_work import SessionFactory, default_sessions


@dataclass(frozen=True)
class CyclePreview:
    """One agency's invoice for one cycle: live from the facts, or frozen."""

    agency_id: str
    agency_name: str
    cycle: Cycle
    snapshot: InvoiceSnapshot
    invoice: Invoice | None = None
    facts: InvoiceFacts | None = None
    issued: IssuedRef | None = None

    @property
    def is_issued(self) -> bool:
        return self.issued is not None

    @property
    def total(self) -> Decimal:
        return self.snapshot.total

    @property
    def seats_billed(self) -> int:
        return self.snapshot.seats_billed

    @property
    def closing_balance(self) -> int:
        return self.snapshot.minute_bank.closing_balance

    @property
    def replenishment(self) -> int:
        return self.snapshot.minute_bank.replenishment


@dataclass
class CyclePreviews:
    cycle: Cycle
    previews: dict[str, CyclePreview] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def _frozen(session: Session, cycle: Cycle, agency_ids: Sequence[str]) -> dict[str, CyclePreview]:
    return {
        agency_id: CyclePreview(agency_id, frozen.snapshot.agency_name, cycle, frozen.snapshot, issued=frozen.issued)
        for agency_id, frozen in issued_invoices(session=session, cycle=cycle, agency_ids=agency_ids).items()
    }


def _priced(
    session: Session, cycle: Cycle, todo: Sequence[AgencyRecord], carry: dict[str, tuple[int, MinuteBankCarry]]
) -> CyclePreviews:
    """Load the facts of ``todo`` (one query per kind of fact) and price them."""
    batch = invoice_facts(session=session, cycle=cycle, agencies=todo, carry=carry)
    out = CyclePreviews(cycle, problems=dict(batch.problems))
    for agency_id, facts in batch.facts.items():
        invoice = price_invoice(facts)
        out.previews[agency_id] = CyclePreview(
            agency_id, facts.agency_name, cycle, snapshot_of(invoice), invoice=invoice, facts=facts
        )
    return out


def _carry_from(previous: CyclePreview) -> tuple[int, MinuteBankCarry]:
    return previous.seats_billed, MinuteBankCarry(previous.closing_balance, previous.replenishment)


def _previews(session: Session, cycle: Cycle, candidates: list[AgencyRecord],
              earlier: CyclePreviews | None = None) -> CyclePreviews:
    eligible = [a for a in candidates if a.first_cycle <= cycle]
    result = CyclePreviews(cycle)
    result.previews.update(_frozen(session, cycle, [a.id for a in eligible]))
    todo = [a for a in eligible if a.id not in result.previews]
    if not todo:
        return result

    carry: dict[str, tuple[int, MinuteBankCarry]] = {}
    continuing = [a for a in todo if a.first_cycle < cycle]
    for agency in todo:
        if agency.first_cycle == cycle:
            carry[agency.id] = (0, MinuteBankCarry())  # first invoice: nothing paid in advance
    if continuing:
        if earlier is None or earlier.cycle != cycle.previous():
            earlier = _previews(session, cycle.previous(), continuing)
        for agency in continuing:
            previous = earlier.previews.get(agency.id)
            if previous is None:
                reason = earlier.problems.get(agency.id, "no previous invoice")
                result.problems[agency.id] = f"cycle {cycle.previous()}: {reason}"
                continue
            carry[agency.id] = _carry_from(previous)
    priced = _priced(session, cycle, [a for a in todo if a.id in carry], carry)
    result.previews.update(priced.previews)
    result.problems.update(priced.problems)
    return result


PREVIEW_HORIZON = 2  # cycles after the current one that can be previewed
EARLIEST_CYCLE = Cycle(2000, 1)


def require_previewable(cycle: Cycle) -> None:
    """Refuse a cycle too far ahead to preview: it has no facts yet, and
    each cycle's carry-over comes from the one before, so ``2080-01`` would
    price 650 guesses in a chain (and ``3000-01`` overflow the stack)."""
    latest = current_cycle(billing_today()).plus(PREVIEW_HORIZON)
    if cycle > latest:
        raise FieldError("Cycle", f"{cycle} is too far ahead to preview; previews go up to {latest}, "
                                  f"{PREVIEW_HORIZON} cycles after the current one")
    if cycle < EARLIEST_CYCLE:
        raise FieldError("Cycle", f"{cycle} is before {EARLIEST_CYCLE}, the first cycle the dashboard keeps")


def previews_in(session: Session, cycle: Cycle, agency_ids: Sequence[str] | None = None, *,
                earlier: CyclePreviews | None = None) -> CyclePreviews:
    """Every (or the given) agency's invoice for ``cycle``, issued or live.

    Agencies onboarded after the cycle's closed period have no invoice yet
    and are left out; agencies that cannot be priced are in ``problems``.
    ``earlier``: the previous cycle's previews of the same agencies, when the
    caller has them already (the review reads both), so they are not read twice.
    """
    require_previewable(cycle)
    return _previews(session, cycle, agency_records(session=session, agency_ids=agency_ids), earlier)


def _agency(session: Session, agency_id: str) -> AgencyRecord:
    found = agency_records(session=session, agency_ids=[agency_id])
    if not found:
        raise NotFound(f"no agency {agency_id!r}")
    return found[0]


def invoice_preview_in(session: Session, agency_id: str, cycle: Cycle) -> CyclePreview:
    """One agency's invoice for ``cycle``; a ``BillingError`` saying why when
    there is none (onboarded later, no contract, a previous cycle unpriceable)."""
    require_previewable(cycle)
    agency = _agency(session, agency_id)
    if agency.first_cycle > cycle:
        raise BillingError(
            f"{agency.name} was onboarded on {agency.onboarded_on.isoformat()}; "
            f"its first invoice is cycle {agency.first_cycle}"
        )
    result = _previews(session, cycle, [agency])
    if agency_id in result.problems:
        raise BillingError(f"{agency.name}, cycle {cycle}: {result.problems[agency_id]}")
    return result.previews[agency_id]


def live_facts_in(session: Session, agency_id: str, cycle: Cycle) -> InvoiceFacts:
    """The facts as stored now (for an issued cycle too), e.g. for a scenario file."""
    agency = _agency(session, agency_id)
    preview = invoice_preview_in(session, agency_id, cycle)
    if preview.facts is not None:
        return preview.facts
    # Issued: re-derive the facts with the carry the frozen chain used.
    if agency.first_cycle == cycle:
        carry = (0, MinuteBankCarry())
    else:
        carry = _carry_from(invoice_preview_in(session, agency_id, cycle.previous()))
    facts = _priced(session, cycle, [agency], {agency_id: carry}).previews[agency_id].facts
    assert facts is not None
    return facts


# --- use cases with their own transaction ----------------------------------------------

def preview_cycle(cycle: Cycle, agency_ids: Sequence[str] | None = None, *,
                  sessions: SessionFactory = default_sessions) -> CyclePreviews:
    """:func:`previews_in`, in a transaction of its own."""
    with sessions() as session:
        return previews_in(session, cycle, agency_ids)


def preview_invoice(agency_id: str, cycle: Cycle, *, sessions: SessionFactory = default_sessions) -> CyclePreview:
    """:func:`invoice_preview_in`, in a transaction of its own."""
    with sessions() as session:
        return invoice_preview_in(session, agency_id, cycle)


def invoice_json(agency_id: str, cycle: Cycle, *, sessions: SessionFactory = default_sessions) -> dict[str, Any]:
    """The invoice document of SCENARIO_FORMAT.md (``manage.py preview``): the
    engine's output for a live preview, the frozen fields as written for an
    issued invoice — either way what ``python -m billing invoice`` prints."""
    preview = preview_invoice(agency_id, cycle, sessions=sessions)
    return invoice_to_json(preview.invoice) if preview.invoice else preview.snapshot.public_document()


def scenario(agency_id: str, cycle: Cycle, *, sessions: SessionFactory = default_sessions) -> dict[str, Any]:
    """The scenario file of (agency, cycle): its stored facts, replayable with
    ``python -m billing invoice`` (``manage.py scenario``)."""
    with sessions() as session:
        return scenario_document(session=session, facts=live_facts_in(session, agency_id, cycle))
