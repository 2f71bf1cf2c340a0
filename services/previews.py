"""Previewing invoices: what an agency's invoice for a cycle is, or will be.

A *preview* prices the stored facts with the engine. The carry-over from the
previous cycle (seats paid in advance, minute bank) comes from that cycle's
issued invoice, or — while it is not issued yet — from its own preview, so a
finance manager can look two cycles ahead. The preview of an issued cycle is
the frozen invoice itself: it never changes when facts change.

The ``…_in(session, …)`` functions run inside a caller's transaction (the
portfolio, issuing, the invoice page each price several things at once); the
others open their own from ``sessions``.

Live previews are kept in :mod:`services.fact_cache` by each agency's fact
revision and carry-over: a batch reads the revisions first, takes what is
cached, and loads and prices only the rest. Issued invoices are read and
checked against their content hash every time; only their parsing is kept.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from billing import Cycle, Invoice, InvoiceFacts, MinuteBankCarry, PeriodUsage, invoice_to_json, price_invoice
from billing.forecast import Forecast, Standing, forecast_facts, line_basis, standing
from billing.snapshot import InvoiceSnapshot, parse_snapshot, snapshot_of
from db.invoicing import FactsBatch, IssuedRef, invoice_facts, verified_issued_invoices
from db.queries.agencies import AgencyRecord, agency_records
from db.scenario_export import scenario_document

from . import fact_cache
from .clock import billing_today
from .errors import BillingError, FieldError, NotFound
from .fact_cache import FactScope, Key
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
    # Set on a forecast at cutoff (:func:`forecast_previews`): how the usage
    # so far was completed; ``facts`` are then the completed facts. None: the
    # preview prices the stored facts as they are.
    forecast: Forecast | None = None

    @property
    def is_issued(self) -> bool:
        return self.issued is not None

    @property
    def is_forecast(self) -> bool:
        return self.forecast is not None

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


def _frozen(session: Session, cycle: Cycle, agency_ids: Sequence[str], scope: FactScope | None) -> dict[str, CyclePreview]:
    """The issued invoices of ``cycle``: read and checked against their
    content hash every time (a row changed behind the triggers' back is
    refused wherever it is used, even by a process that read it before);
    only the parsing is skipped for a row verified with the same ``issued``,
    which names its snapshot exactly (:func:`db.invoicing.verified_issued_invoices`)."""
    rows = verified_issued_invoices(session=session, cycle=cycle, agency_ids=agency_ids)
    keys: dict[str, Key | None] = {
        row.agency_id: (scope.revisions.database, "issued", row.agency_id, cycle, row.issued) if scope else None
        for row in rows
    }
    found, _ = fact_cache.CACHE.get_many(keys) if scope else ({}, [])
    parsed: dict[str, CyclePreview] = {}
    for row in rows:
        if row.agency_id not in found:
            snapshot = parse_snapshot(json.loads(row.snapshot_text))
            parsed[row.agency_id] = CyclePreview(row.agency_id, snapshot.agency_name, cycle, snapshot, issued=row.issued)
    fact_cache.CACHE.put_many((keys[a], p) for a, p in parsed.items())
    out: dict[str, CyclePreview] = {}
    for agency_id in agency_ids:
        preview = found.get(agency_id) or parsed.get(agency_id)
        if preview is not None:
            out[agency_id] = preview
    return out


def _priced(
    session: Session, cycle: Cycle, todo: Sequence[AgencyRecord], carry: dict[str, tuple[int, MinuteBankCarry]],
    scope: FactScope | None = None,
) -> CyclePreviews:
    """The previews of ``todo``: cached ones by revision and carry-over; the
    others' facts loaded (one query per kind of fact) and priced."""
    keys: dict[str, Key | None] = {}
    found: dict[str, Any] = {}
    if scope is not None:
        keys = {a.id: scope.key(a.id, "live", cycle, *carry[a.id]) for a in todo}
        found, _ = fact_cache.CACHE.get_many(keys)
    misses = [a for a in todo if a.id not in found]
    batch = invoice_facts(session=session, cycle=cycle, agencies=misses, carry=carry) if misses else FactsBatch()
    priced: dict[str, CyclePreview] = {}
    for agency_id, facts in batch.facts.items():
        invoice = price_invoice(facts)
        priced[agency_id] = CyclePreview(
            agency_id, facts.agency_name, cycle, snapshot_of(invoice), invoice=invoice, facts=facts
        )
    fact_cache.CACHE.put_many((keys.get(a), p) for a, p in priced.items())  # problems are not kept: they are cheap to find
    out = CyclePreviews(cycle, problems=dict(batch.problems))
    for agency in todo:
        preview = found.get(agency.id) or priced.get(agency.id)
        if preview is not None:
            out.previews[agency.id] = preview
    return out


def _carry_from(previous: CyclePreview) -> tuple[int, MinuteBankCarry]:
    return previous.seats_billed, MinuteBankCarry(previous.closing_balance, previous.replenishment)


def _previews(session: Session, cycle: Cycle, candidates: list[AgencyRecord],
              earlier: CyclePreviews | None = None, scope: FactScope | None = None) -> CyclePreviews:
    eligible = [a for a in candidates if a.first_cycle <= cycle]
    result = CyclePreviews(cycle)
    result.previews.update(_frozen(session, cycle, [a.id for a in eligible], scope))
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
            earlier = _previews(session, cycle.previous(), continuing, scope=scope)
        for agency in continuing:
            previous = earlier.previews.get(agency.id)
            if previous is None:
                reason = earlier.problems.get(agency.id, "no previous invoice")
                result.problems[agency.id] = f"cycle {cycle.previous()}: {reason}"
                continue
            carry[agency.id] = _carry_from(previous)
    priced = _priced(session, cycle, [a for a in todo if a.id in carry], carry, scope)
    result.previews.update(priced.previews)
    result.problems.update(priced.problems)
    return result


EARLIEST_CYCLE = Cycle(2000, 1)


def latest_previewable(today: date) -> Cycle:
    """The newest cycle a preview is offered for: the one after the cycle
    whose closed period is running. Later cycles have no facts at all."""
    return Cycle.containing(today).next()


def require_previewable(cycle: Cycle, first_cycle: Cycle | None = None) -> None:
    """Refuse, at once and in words, a cycle outside the range a preview
    means anything for: after the next cycle (no facts yet, and each
    cycle's carry-over comes from the one before, so ``2099-01`` would price
    a chain of guesses) or, given the agency's ``first_cycle``, before it."""
    latest = latest_previewable(billing_today())
    if cycle > latest:
        raise FieldError("Cycle", f"{cycle} is too far ahead to preview; previews go up to {latest}, "
                                  "the cycle after the running one")
    if cycle < EARLIEST_CYCLE:
        raise FieldError("Cycle", f"{cycle} is before {EARLIEST_CYCLE}, the first cycle the dashboard keeps")
    if first_cycle is not None and cycle < first_cycle:
        raise FieldError("Cycle", f"{cycle} is before the agency's first invoice, cycle {first_cycle}")


def previewable_cycles(first_cycle: Cycle, today: date) -> list[Cycle]:
    """The cycles a menu offers for an agency, newest first: from the next
    cycle back to the agency's onboarding cycle (and never before 2000-01)."""
    latest, first = latest_previewable(today), max(first_cycle, EARLIEST_CYCLE)
    return [latest.plus(-i) for i in range(max(0, latest.months_since(first)) + 1)]


def previews_in(session: Session, cycle: Cycle, agency_ids: Sequence[str] | None = None, *,
                earlier: CyclePreviews | None = None) -> CyclePreviews:
    """Every (or the given) agency's invoice for ``cycle``, issued or live.

    Agencies onboarded after the cycle's closed period have no invoice yet
    and are left out; agencies that cannot be priced are in ``problems``.
    ``earlier``: the previous cycle's previews of the same agencies, when the
    caller has them already (the review reads both), so they are not read twice.
    """
    require_previewable(cycle)
    scope = fact_cache.fact_scope(session, agency_ids)  # the revisions first: every fact read after them is as new
    return _previews(session, cycle, agency_records(session=session, agency_ids=agency_ids), earlier, scope)


def _agency(session: Session, agency_id: str) -> AgencyRecord:
    found = agency_records(session=session, agency_ids=[agency_id])
    if not found:
        raise NotFound(f"no agency {agency_id!r}")
    return found[0]


def invoice_preview_in(session: Session, agency_id: str, cycle: Cycle) -> CyclePreview:
    """One agency's invoice for ``cycle``; a ``BillingError`` saying why when
    there is none (onboarded later, no contract, a previous cycle unpriceable)."""
    require_previewable(cycle)
    scope = fact_cache.fact_scope(session, [agency_id])  # before the agency row and its facts
    agency = _agency(session, agency_id)
    if agency.first_cycle > cycle:
        raise BillingError(
            f"{agency.name} was onboarded on {agency.onboarded_on.isoformat()}; "
            f"its first invoice is cycle {agency.first_cycle}"
        )
    result = _previews(session, cycle, [agency], scope=scope)
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


def invoice_json(agency_id: str, cycle: Cycle, as_of: date | None = None, *, sessions: SessionFactory = default_sessions) -> dict[str, Any]:
    """The invoice document of SCENARIO_FORMAT.md (``manage.py preview``): the
    engine's output for a live preview, the frozen fields as written for an
    issued invoice — either way what ``python -m billing invoice`` prints —
    plus ``standing``: in progress or final on ``as_of`` (default today),
    with the days elapsed, so a figure of a running cycle is never read as final."""
    preview = preview_invoice(agency_id, cycle, sessions=sessions)
    document = _document(preview.snapshot, preview.invoice)
    document["standing"] = standing_document(standing(cycle, as_of or billing_today()), _all_actual(preview.snapshot))
    return document


def scenario(agency_id: str, cycle: Cycle, *, sessions: SessionFactory = default_sessions) -> dict[str, Any]:
    """The scenario file of (agency, cycle): its stored facts, replayable with
    ``python -m billing invoice`` (``manage.py scenario``)."""
    with sessions() as session:
        return scenario_document(session=session, facts=live_facts_in(session, agency_id, cycle))


# --- where a cycle stands, and its forecast at cutoff ------------------------------------

@dataclass(frozen=True)
class CycleForecast:
    """A preview *so far* and its forecast at cutoff, side by side.

    ``forecast`` is None when the cycle is final (or issued) on ``as_of``:
    then the forecast is the preview itself. ``basis`` marks each line of
    :attr:`forecast_snapshot` ``actual`` or ``forecast``."""

    preview: CyclePreview
    standing: Standing
    forecast: Invoice | None
    detail: Forecast | None
    basis: tuple[str, ...]

    @property
    def so_far(self) -> InvoiceSnapshot:
        return self.preview.snapshot

    @property
    def forecast_snapshot(self) -> InvoiceSnapshot:
        return self.preview.snapshot if self.forecast is None else snapshot_of(self.forecast)

    @property
    def is_final(self) -> bool:
        return self.forecast is None


def _all_actual(snapshot: InvoiceSnapshot) -> tuple[str, ...]:
    return tuple("actual" for _ in snapshot.lines)


def _with_forecast_previous(facts: InvoiceFacts, previous: Invoice, previous_used: int) -> InvoiceFacts:
    """This cycle's facts as they will be once the running previous cycle is
    over: its forecast invoice's seats and bank carried over, and its
    forecast usage (``previous_used`` minutes) in the history instead of the
    usage so far."""
    history = tuple(PeriodUsage(p.cycle, previous_used, p.user_days) if p.cycle == previous.cycle else p
                    for p in facts.usage_history)
    return replace(facts, seats_paid_in_advance=previous.lines[0].quantity,
                   minute_bank=MinuteBankCarry(previous.minute_bank.closing_balance, previous.minute_bank.minutes),
                   usage_history=history)


def forecast_in(session: Session, agency_id: str, cycle: Cycle, as_of: date) -> CycleForecast:
    """The preview of ``cycle`` and, while its closed period runs on
    ``as_of``, the forecast at cutoff (see :mod:`billing.forecast`). The
    next cycle's forecast starts from the running cycle's forecast, not from
    its usage so far, which would leave a full bank and no replenishment."""
    preview = invoice_preview_in(session, agency_id, cycle)
    where = standing(cycle, as_of)
    if preview.facts is None or where.is_final:
        return CycleForecast(preview, where, None, None, _all_actual(preview.snapshot))
    facts = preview.facts
    if facts.onboarded_on not in cycle.closed_period and not standing(cycle.previous(), as_of).is_final:
        before = forecast_in(session, agency_id, cycle.previous(), as_of)
        if before.forecast is not None and before.detail is not None:
            facts = _with_forecast_previous(facts, before.forecast, before.detail.facts.call_totals.billable_minutes)
    detail = forecast_facts(facts, as_of)
    invoice = price_invoice(detail.facts)
    return CycleForecast(preview, where, invoice, detail, line_basis(invoice, where, forecast=True))


def _forecast_of(preview: CyclePreview, as_of: date, before: CyclePreview | None) -> CyclePreview:
    """One live preview's forecast at cutoff on ``as_of``, as a preview; the
    preview itself when it is issued or its cycle is final. ``before``: the
    previous cycle's preview of the same agency as :func:`forecast_previews`
    made it (a forecast when that cycle runs too), as in :func:`forecast_in`."""
    facts = preview.facts
    if facts is None or preview.is_issued or standing(preview.cycle, as_of).is_final:
        return preview
    if before is not None and before.forecast is not None and before.invoice is not None and before.facts is not None \
            and facts.onboarded_on not in preview.cycle.closed_period:
        facts = _with_forecast_previous(facts, before.invoice, before.facts.call_totals.billable_minutes)
    detail = forecast_facts(facts, as_of)
    invoice = price_invoice(detail.facts)
    return CyclePreview(preview.agency_id, preview.agency_name, preview.cycle, snapshot_of(invoice), invoice=invoice,
                        facts=detail.facts, forecast=detail)


def forecast_previews(previews: CyclePreviews, as_of: date, *, earlier: CyclePreviews | None = None) -> CyclePreviews:
    """Every agency's *forecast at cutoff* of ``previews.cycle`` on ``as_of``,
    in the shape of the previews (what the review's checks read).

    Computed from the live previews' own facts (:func:`billing.forecast.forecast_facts`,
    then the engine): one pass, no query, so a portfolio costs one more
    pricing per agency and nothing more. Issued previews and a final cycle's
    pass through unchanged (the same objects). ``earlier``: the previous
    cycle's previews *after* this function, when that cycle is running too
    (the review of the cycle after the running one): each agency then starts
    from the previous cycle's forecast, as :func:`forecast_in` does.
    """
    if standing(previews.cycle, as_of).is_final:
        return previews
    before = earlier.previews if earlier is not None and earlier.cycle == previews.cycle.previous() else {}
    return CyclePreviews(previews.cycle,
                         {agency_id: _forecast_of(preview, as_of, before.get(agency_id))
                          for agency_id, preview in previews.previews.items()},
                         dict(previews.problems))


def forecast_invoice(agency_id: str, cycle: Cycle, as_of: date, *,
                     sessions: SessionFactory = default_sessions) -> CycleForecast:
    """:func:`forecast_in`, in a transaction of its own."""
    with sessions() as session:
        return forecast_in(session, agency_id, cycle, as_of)


def standing_document(where: Standing, basis: Sequence[str]) -> dict[str, Any]:
    """The ``standing`` object a preview document carries: whether the
    cycle is final, how many days are over, and each line's basis."""
    return {"state": where.state, "as_of": where.as_of.isoformat(), "days_elapsed": where.days_elapsed,
            "days": where.days, "lines": list(basis)}


def _document(snapshot: InvoiceSnapshot, invoice: Invoice | None) -> dict[str, Any]:
    return invoice_to_json(invoice) if invoice else snapshot.public_document()


def forecast_documents(result: CycleForecast) -> dict[str, Any]:
    """``{"so_far", "forecast", "days_elapsed", "days"}`` (``manage.py forecast``)."""
    so_far = {**_document(result.so_far, result.preview.invoice),
              "standing": standing_document(result.standing, _all_actual(result.so_far))}
    forecast = {**_document(result.forecast_snapshot, result.forecast or result.preview.invoice),
                "standing": standing_document(result.standing, result.basis)}
    return {"so_far": so_far, "forecast": forecast, "days_elapsed": result.standing.days_elapsed,
            "days": result.standing.days}


def forecast_json(agency_id: str, cycle: Cycle, as_of: date | None = None, *,
                  sessions: SessionFactory = default_sessions) -> dict[str, Any]:
    return forecast_documents(forecast_invoice(agency_id, cycle, as_of or billing_today(), sessions=sessions))
