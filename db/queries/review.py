"""The review of a cycle: approvals, acknowledgements and the stored facts
its checks read beside the engine's output (services/review)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session

from billing import Cycle

from ..models import AuditEvent, CallDay, DialerUser, Invoice, ReviewAcknowledgement, ReviewApproval


@dataclass(frozen=True)
class ApprovalRecord:
    """The newest approval of one agency's preview for a cycle."""

    agency_id: str
    cycle: str
    content_hash: str
    total: Decimal
    snapshot: str  # the approved preview's canonical snapshot JSON
    approved_by: str
    approved_at: datetime
    note: str


@dataclass(frozen=True)
class AcknowledgementRecord:
    """The newest acknowledgement of one finding of one agency for a cycle."""

    agency_id: str
    cycle: str
    code: str
    evidence_hash: str
    acknowledged_by: str
    acknowledged_at: datetime
    note: str


@dataclass(frozen=True)
class IssuedFigures:
    """The figures of an issued invoice a trend check reads (from its columns)."""

    cycle: Cycle
    total: Decimal
    seats_billed: int
    headcount_at_cutoff: int
    replenishment: int


def _in(column, agency_ids: Sequence[str] | None):  # type: ignore[no-untyped-def]
    return True if agency_ids is None else column.in_(list(agency_ids))


def approvals(*, session: Session, cycle: Cycle, agency_ids: Sequence[str] | None = None) -> dict[str, ApprovalRecord]:
    """The newest approval per agency for ``cycle`` (rows are only ever added)."""
    rows = session.scalars(
        select(ReviewApproval)
        .where(ReviewApproval.cycle == str(cycle), _in(ReviewApproval.agency_id, agency_ids))
        .order_by(ReviewApproval.id)  # type: ignore[arg-type]
    )
    return {
        row.agency_id: ApprovalRecord(row.agency_id, row.cycle, row.content_hash, row.total, row.snapshot,
                                      row.approved_by, row.approved_at, row.note)
        for row in rows
    }


def acknowledgements(
    *, session: Session, cycle: Cycle, agency_ids: Sequence[str] | None = None
) -> dict[tuple[str, str], AcknowledgementRecord]:
    """The newest acknowledgement per (agency, finding code) for ``cycle``."""
    rows = session.scalars(
        select(ReviewAcknowledgement)
        .where(ReviewAcknowledgement.cycle == str(cycle), _in(ReviewAcknowledgement.agency_id, agency_ids))
        .order_by(ReviewAcknowledgement.id)  # type: ignore[arg-type]
    )
    return {
        (row.agency_id, row.code): AcknowledgementRecord(row.agency_id, row.cycle, row.code, row.evidence_hash,
                                                         row.acknowledged_by, row.acknowledged_at, row.note)
        for row in rows
    }


def add_approval(
    *, session: Session, cycle: Cycle, agency_id: str, content_hash: str, total: Decimal, snapshot: str,
    actor: str, note: str,
) -> None:
    session.add(ReviewApproval(cycle=str(cycle), agency_id=agency_id, content_hash=content_hash, total=total,
                               snapshot=snapshot, approved_by=actor, note=note))


def add_acknowledgement(
    *, session: Session, cycle: Cycle, agency_id: str, code: str, evidence_hash: str, actor: str, note: str
) -> None:
    session.add(ReviewAcknowledgement(cycle=str(cycle), agency_id=agency_id, code=code, evidence_hash=evidence_hash,
                                      acknowledged_by=actor, note=note))


def issued_history(
    *, session: Session, agency_ids: Sequence[str] | None, cycles: Sequence[Cycle]
) -> dict[str, tuple[IssuedFigures, ...]]:
    """The issued invoices of ``cycles`` per agency, oldest first, from the
    invoice columns (the review only warns on them; it never bills from them)."""
    if not cycles:
        return {}
    rows = session.execute(
        select(Invoice.agency_id, Invoice.cycle, Invoice.total, Invoice.seats_billed, Invoice.headcount_at_cutoff,
               Invoice.replenishment)
        .where(Invoice.cycle.in_([str(c) for c in cycles]), _in(Invoice.agency_id, agency_ids))  # type: ignore[attr-defined]
        .order_by(Invoice.agency_id, Invoice.cycle)
    ).all()
    found: dict[str, list[IssuedFigures]] = {}
    for agency_id, cycle, total, seats, headcount, replenishment in rows:
        found.setdefault(agency_id, []).append(IssuedFigures(Cycle.parse(cycle), total, seats, headcount, replenishment))
    return {agency_id: tuple(figures) for agency_id, figures in found.items()}


def last_call_days(*, session: Session, agency_ids: Sequence[str] | None, cycle: Cycle) -> dict[str, date]:
    """The last day of ``cycle``'s closed period with a call, per agency that has one."""
    rows = session.execute(
        select(CallDay.agency_id, func.max(CallDay.day))
        .where(CallDay.cycle == str(cycle), CallDay.calls > 0, _in(CallDay.agency_id, agency_ids))
        .group_by(CallDay.agency_id)
    ).all()
    return {agency_id: last for agency_id, last in rows if last is not None}


def callers_since(*, session: Session, agency_ids: Sequence[str] | None, since: date) -> dict[str, frozenset[str]]:
    """The users of each agency whose last call is on or after ``since``."""
    rows = session.execute(
        select(DialerUser.agency_id, DialerUser.user_id)
        .where(DialerUser.last_call_on >= since, _in(DialerUser.agency_id, agency_ids))  # type: ignore[operator]
    ).all()
    found: dict[str, set[str]] = {}
    for agency_id, user_id in rows:
        found.setdefault(agency_id, set()).add(user_id)
    return {agency_id: frozenset(users) for agency_id, users in found.items()}


@dataclass(frozen=True)
class LateFacts:
    """Facts of an issued cycle imported after it was issued (the imports' warnings)."""

    counts: tuple[tuple[str, int], ...]  # (kind of fact, count), e.g. ("calls", 12)
    files: tuple[str, ...]
    last_at: datetime


def late_facts(*, session: Session, cycle: Cycle, agency_ids: Sequence[str] | None, since: datetime) -> dict[str, LateFacts]:
    """Per agency, what imports since ``since`` stored in ``cycle`` although it
    was already issued, from the ``late_facts`` their audit entries keep."""
    wanted = None if agency_ids is None else set(agency_ids)
    rows = session.execute(
        select(AuditEvent.at, AuditEvent.details)
        .where(AuditEvent.action == "import", AuditEvent.at >= since, AuditEvent.details.contains('"late_facts"'))  # type: ignore[attr-defined]
        .order_by(AuditEvent.id)  # type: ignore[arg-type]
    ).all()
    counts: dict[str, dict[str, int]] = {}
    files: dict[str, list[str]] = {}
    last: dict[str, datetime] = {}
    for at, details in rows:
        try:
            document = json.loads(details)
        except ValueError:
            continue
        for agency_id, cycles in (document.get("late_facts") or {}).items():
            kinds = cycles.get(str(cycle)) if isinstance(cycles, dict) else None
            if not kinds or (wanted is not None and agency_id not in wanted):
                continue
            mine = counts.setdefault(agency_id, {})
            for noun, count in kinds.items():
                mine[noun] = mine.get(noun, 0) + int(count)
            if document.get("file") and document["file"] not in files.setdefault(agency_id, []):
                files[agency_id].append(str(document["file"]))
            last[agency_id] = at
    return {a: LateFacts(tuple(sorted(c.items())), tuple(files.get(a, ())), last[a]) for a, c in counts.items()}
