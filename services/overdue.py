"""Overdue tracking: aging buckets, who is at risk or restricted, and what
it takes to avoid or lift a restriction. Statuses come from the engine."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing import AgencyStatus, Status
from db.ledger import agency_statuses
from db.queries.agencies import agency_records

from .access import Permission, Viewer
from .exports import text_cell
from .statuses import statuses_in
from .unit_of_work import SessionFactory, default_sessions

ZERO = Decimal("0.00")

# (label, first day overdue, last day overdue or None)
AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("Current", 0, 0),
    ("1–14 days", 1, 14),
    ("15–30 days", 15, 30),
    ("31–60 days", 31, 60),
    ("60+ days", 61, None),
)


@dataclass(frozen=True)
class AgingBucket:
    label: str
    invoices: int
    agencies: int
    balance: Decimal


@dataclass(frozen=True)
class OverdueRow:
    agency_id: str
    name: str
    account_manager: str | None
    status: Status
    balance: Decimal
    past_due: Decimal
    days_overdue: int
    oldest_open_invoice: str | None
    restriction_date: date | None
    days_to_restriction: int | None
    amount_to_clear: Decimal


@dataclass(frozen=True)
class OverdueView:
    as_of: date
    buckets: tuple[AgingBucket, ...]
    rows: tuple[OverdueRow, ...]  # overdue, at risk and restricted, worst first
    statuses: tuple[AgencyStatus, ...]


def bucket_of(days: int) -> str:
    for label, first, last in AGING_BUCKETS:
        if days >= first and (last is None or days <= last):
            return label
    raise AssertionError(days)


def overdue_view(viewer: Viewer, as_of: date, *, sessions: SessionFactory = default_sessions) -> OverdueView:
    viewer.require(Permission.VIEW_OVERDUE)
    agency_ids = viewer.scope
    with sessions() as session:
        agencies = {a.id: a for a in agency_records(session=session, agency_ids=agency_ids)}
        statuses = tuple(statuses_in(session, as_of, agency_ids))
    counts = dict.fromkeys((label for label, _, _ in AGING_BUCKETS), 0)
    who: dict[str, set[str]] = {label: set() for label, _, _ in AGING_BUCKETS}
    totals = dict.fromkeys(counts, ZERO)
    for status in statuses:
        for item in status.open_invoices:
            label = bucket_of(item.days_overdue)
            counts[label] += 1
            who[label].add(status.agency_id)
            totals[label] += item.balance
    buckets = tuple(AgingBucket(label, counts[label], len(who[label]), totals[label]) for label in counts)

    severity = {Status.RESTRICTED: 0, Status.AT_RISK: 1, Status.OVERDUE: 2}
    rows = []
    for s in statuses:
        if s.status not in severity:
            continue
        agency = agencies.get(s.agency_id)
        rows.append(OverdueRow(
            agency_id=s.agency_id,
            name=agency.name if agency else s.agency_id,
            account_manager=agency.account_manager if agency else None,
            status=s.status,
            balance=s.balance,
            past_due=s.past_due,
            days_overdue=s.days_overdue,
            oldest_open_invoice=s.oldest_open_invoice,
            restriction_date=s.restriction_date,
            days_to_restriction=s.days_to_restriction,
            amount_to_clear=s.amount_to_lift_or_avoid_restriction,
        ))
    rows.sort(key=lambda r: (severity[r.status], -r.days_overdue, r.name))
    return OverdueView(as_of, buckets, tuple(rows), statuses)


def overdue_csv(view: OverdueView) -> bytes:
    """The ops export: one row per agency that is overdue, at risk or restricted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["agency_id", "agency", "status", "days_overdue", "restriction_date", "days_to_restriction",
                     "balance", "past_due", "amount_to_avoid_or_lift", "oldest_open_invoice", "account_manager"])
    for r in view.rows:
        writer.writerow([
            text_cell(r.agency_id), text_cell(r.name), r.status.value, r.days_overdue,
            r.restriction_date.isoformat() if r.restriction_date else "",
            "" if r.days_to_restriction is None else r.days_to_restriction,
            f"{r.balance:.2f}", f"{r.past_due:.2f}", f"{r.amount_to_clear:.2f}",
            text_cell(r.oldest_open_invoice), text_cell(r.account_manager),
        ])
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read the accents right


def invoice_cycle(number: str) -> str:
    """``INV-2026-10-0024`` → ``2026-10``: invoice numbers name their cycle."""
    return number.removeprefix("INV-")[:7]


def open_invoice_numbers(viewer: Viewer, agency_id: str, as_of: date, *,
                         sessions: SessionFactory = default_sessions) -> list[str]:
    viewer.require(Permission.VIEW_OVERDUE)
    viewer.require_agency(agency_id)
    with sessions() as session:
        found = agency_statuses(session, as_of, [agency_id])
    return [o.invoice.number for o in found[0].open_invoices if not o.invoice.number.startswith("ADJ-")] if found else []

