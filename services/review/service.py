"""The review of a cycle before it is issued: every agency's findings, the
acknowledgements of them, and approvals that issuing waits for.

While the cycle's closed period is still running on the review's day, the
preview prices only the usage *so far*: compared with a full previous cycle,
every total looks low and every bank looks full. The checks then read the
**forecast at cutoff** instead (:func:`services.previews.forecast_previews`:
the usage completed at the agency's recent rate), and the review says so
(:attr:`CycleReview.basis`). After the cutoff the two are the same.

An approval records who approved which preview — always the preview so far,
never the forecast: what issuing would freeze. It is the SHA-256 of the preview's
canonical snapshot (:func:`preview_hash`, the same JSON an issued invoice
freezes) and the snapshot itself. When the facts change afterwards (a late
import, a contract version), the preview hashes differently and the approval
is *stale*: the review names the lines whose amounts differ, and issuing
skips the agency until someone approves again. Issuing compares the hash of
the very preview it freezes, inside its locked transaction, so what is
issued is exactly what was approved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlmodel import Session

import settings
from billing import Cycle
from billing.calendar import weekday_date
from billing.forecast import Standing, standing
from billing.money import format_usd, plain
from billing.snapshot import InvoiceSnapshot, parse_snapshot
from db import audit
from db.invoicing import canonical_json
from db.queries import review as stored
from db.queries.agencies import AgencyRecord, agency_records
from db.queries.review import ApprovalRecord, IssuedFigures, LateFacts
from settings import ReviewThresholds

from .. import fact_cache
from ..access import Permission, Viewer
from ..clock import billing_today
from ..errors import BillingError, FieldError, NotFound
from ..fact_cache import Key, fact_scope
from ..previews import CyclePreview, CyclePreviews, forecast_previews, invoice_preview_in, previews_in
from ..statuses import statuses_in
from ..unit_of_work import SessionFactory, default_sessions
from .checks import CheckInput, run_checks
from .findings import Acknowledgement, Finding, FindingCode, Severity, counted

NOTE_LIMIT = 1000
HISTORY_CYCLES = 24  # the longest minimum streak a setting may ask about


def preview_hash(snapshot: InvoiceSnapshot) -> str:
    """The content hash of a preview: SHA-256 of its canonical snapshot JSON."""
    return hashlib.sha256(canonical_json(snapshot.document).encode("utf-8")).hexdigest()


class ReviewState(StrEnum):
    ISSUED = "issued"
    APPROVED = "approved"
    STALE = "stale"  # approved, but the preview changed since
    READY = "ready"  # no open blocking finding: can be approved
    BLOCKED = "blocked"  # a blocking finding is not acknowledged

    @property
    def label(self) -> str:
        return {"issued": "Issued", "approved": "Approved", "stale": "Approval stale", "ready": "Ready to approve",
                "blocked": "Blocked"}[self.value]


@dataclass(frozen=True)
class LineDiff:
    """A line whose amount differs between the approved preview and now (None: not on that one)."""

    title: str
    approved: Decimal | None
    current: Decimal | None

    @property
    def delta(self) -> Decimal:
        return (self.current or Decimal("0.00")) - (self.approved or Decimal("0.00"))


@dataclass(frozen=True)
class Approval:
    by: str
    at: datetime
    note: str
    content_hash: str
    total: Decimal
    stale: bool
    changes: tuple[LineDiff, ...] = ()  # when stale: what changed since


@dataclass(frozen=True)
class AgencyReview:
    """One agency's preview for the cycle with what the checks say about it."""

    agency_id: str
    name: str
    account_manager: str | None
    total: Decimal  # the preview so far: what would be issued, and what an approval approves
    previous_total: Decimal | None
    content_hash: str
    findings: tuple[Finding, ...]
    approval: Approval | None
    issued_number: str | None = None
    # While the cycle (or the previous one) is in progress: the forecast at
    # cutoff the checks compared; None when that figure is final.
    forecast_total: Decimal | None = None
    previous_forecast_total: Decimal | None = None

    @property
    def compared_total(self) -> Decimal:
        """The total the checks looked at: the forecast at cutoff while in progress."""
        return self.total if self.forecast_total is None else self.forecast_total

    @property
    def compared_previous_total(self) -> Decimal | None:
        return self.previous_total if self.previous_forecast_total is None else self.previous_forecast_total

    @property
    def change(self) -> Decimal | None:
        """What the checks see moved against the previous cycle (None: no previous invoice)."""
        before = self.compared_previous_total
        return None if before is None else self.compared_total - before

    @property
    def open_blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_open_blocking)

    @property
    def blocking(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.BLOCKING)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    @property
    def state(self) -> ReviewState:
        if self.issued_number:
            return ReviewState.ISSUED
        if self.approval is not None:
            return ReviewState.STALE if self.approval.stale else ReviewState.APPROVED
        return ReviewState.BLOCKED if self.open_blocking else ReviewState.READY

    @property
    def worst(self) -> Severity | None:
        return min((f.severity for f in self.findings), key=lambda s: s.rank, default=None)


@dataclass(frozen=True)
class CycleReview:
    cycle: Cycle
    rows: tuple[AgencyReview, ...]
    problems: dict[str, str] = field(default_factory=dict)
    approval_required: bool = True
    standing: Standing | None = None  # where the cycle stands on the review's day

    @property
    def basis(self) -> str:
        """``forecast``: the checks read the forecast at cutoff (the cycle is
        in progress); ``final``: the preview itself (the period is over)."""
        return "final" if self.standing is None or self.standing.is_final else "forecast"

    @property
    def in_progress(self) -> bool:
        return self.basis == "forecast"

    def with_state(self, *states: ReviewState) -> tuple[AgencyReview, ...]:
        return tuple(r for r in self.rows if r.state in states)

    def row(self, agency_id: str) -> AgencyReview | None:
        return next((r for r in self.rows if r.agency_id == agency_id), None)


# --- building the review ------------------------------------------------------------

def _line_amounts(snapshot: InvoiceSnapshot) -> dict[str, Decimal]:
    amounts: dict[str, Decimal] = {}
    for line in snapshot.lines:
        amounts[line.title] = amounts.get(line.title, Decimal("0.00")) + line.amount
    return amounts


def snapshot_changes(approved: InvoiceSnapshot, current: InvoiceSnapshot) -> tuple[LineDiff, ...]:
    """The lines whose amounts differ between two snapshots of one invoice, in the current invoice's order."""
    before, now = _line_amounts(approved), _line_amounts(current)
    titles = list(now) + [t for t in before if t not in now]
    return tuple(LineDiff(t, before.get(t), now.get(t)) for t in titles if before.get(t) != now.get(t))


def approval_of(record: ApprovalRecord | None, current: CyclePreview, content_hash: str | None = None) -> Approval | None:
    """``content_hash``: the current preview's, when the caller has it (:func:`preview_hash`)."""
    if record is None:
        return None
    stale = record.content_hash != (content_hash or preview_hash(current.snapshot))
    changes = snapshot_changes(parse_snapshot(json.loads(record.snapshot)), current.snapshot) if stale else ()
    return Approval(record.approved_by, record.approved_at, record.note, record.content_hash, record.total, stale, changes)


def _earlier(cycle: Cycle, previous: CyclePreview | None, issued: tuple[IssuedFigures, ...]) -> tuple[IssuedFigures, ...]:
    """Earlier cycles' figures, oldest first, the previous one last (issued or preview)."""
    older = [f for f in issued if f.cycle < cycle.previous()]
    if previous is not None:
        snap = previous.snapshot
        older.append(IssuedFigures(previous.cycle, snap.total, snap.seats_billed, snap.headcount_at_cutoff,
                                   snap.minute_bank.replenishment))
    return tuple(older)


def _acknowledged(finding: Finding, record: stored.AcknowledgementRecord | None) -> Finding:
    if record is None or record.evidence_hash != finding.evidence_hash:
        return finding
    return Finding(finding.code, finding.sentence, finding.numbers, finding.lines,
                   Acknowledgement(record.acknowledged_by, record.acknowledged_at.isoformat(timespec="seconds"), record.note))


def _cycles_before(cycle: Cycle, count: int) -> list[Cycle]:
    found, current = [], cycle
    for _ in range(count):
        current = current.previous()
        found.append(current)
    return found


def _checked(session: Session, cycle: Cycle, today: date, limits: ReviewThresholds, live: list[str],
             agencies: dict[str, AgencyRecord], current: CyclePreviews, checked: CyclePreviews,
             checked_previous: CyclePreviews, late: dict[str, LateFacts]) -> dict[str, tuple[Finding, ...]]:
    """The findings of the ``live`` (not issued) agencies, before acknowledgements."""
    if not live:
        return {}
    history = stored.issued_history(session=session, agency_ids=live,
                                    cycles=_cycles_before(cycle.previous(), min(HISTORY_CYCLES, limits.minimum_cycles + 3)))
    last_calls = stored.last_call_days(session=session, agency_ids=live, cycle=cycle)
    callers = stored.callers_since(session=session, agency_ids=live, since=cycle.closed_period.start)
    statuses = {s.agency_id: s for s in statuses_in(session, today, live)}  # kept by revision
    found = {}
    for agency_id in live:
        seen, seen_before = checked.previews[agency_id], checked_previous.previews.get(agency_id)
        data = CheckInput(agencies[agency_id], seen, seen_before, _earlier(cycle, seen_before, history.get(agency_id, ())),
                          last_calls.get(agency_id), callers.get(agency_id, frozenset()), statuses.get(agency_id),
                          today, late.get(agency_id))
        found[agency_id] = run_checks(data, limits)
    return found


def review_in(session: Session, cycle: Cycle, agency_ids: Sequence[str] | None, today: date) -> CycleReview:
    """Every (or the given) agency's review for ``cycle``, inside the caller's transaction."""
    return _review(session, cycle, agency_ids, today)[0]


def _forecast_total(checked: CyclePreview | None) -> Decimal | None:
    return checked.total if checked is not None and checked.is_forecast else None


def _review(session: Session, cycle: Cycle, agency_ids: Sequence[str] | None,
            today: date) -> tuple[CycleReview, CyclePreviews]:
    """The review and the previews *so far* it approves (the approval hash is
    theirs). The checks read ``checked``: the same previews after the cutoff,
    the forecast at cutoff before it."""
    limits = settings.current().review
    where = standing(cycle, today)
    scope = fact_scope(session, agency_ids)  # before any fact: an entry is never older than its key
    previous = previews_in(session, cycle.previous(), agency_ids)
    current = previews_in(session, cycle, agency_ids, earlier=previous)
    checked_previous = forecast_previews(previous, today)  # itself unless the previous cycle runs too
    checked = forecast_previews(current, today, earlier=checked_previous)
    agencies = {a.id: a for a in agency_records(session=session, agency_ids=agency_ids)}
    live = [p.agency_id for p in current.previews.values() if not p.is_issued]
    since = datetime.combine(cycle.previous().invoice_date - timedelta(days=1), time(), tzinfo=UTC)
    late = stored.late_facts(session=session, cycle=cycle.previous(), agency_ids=live, since=since)
    approvals = stored.approvals(session=session, cycle=cycle, agency_ids=agency_ids)
    acks = stored.acknowledgements(session=session, cycle=cycle, agency_ids=agency_ids)

    # Each agency's preview hash and findings (before acknowledgements) are a function of its own facts
    # (its revision), the day, the thresholds and the imports' late facts: kept by those, so the facts
    # the checks read beside the previews are queried only for the agencies whose findings are not kept.
    keys: dict[str, Key | None] = {
        agency_id: scope.key(agency_id, "review", cycle, today, limits, late.get(agency_id)) if scope else None
        for agency_id in current.previews
    }
    kept, missing = fact_cache.CACHE.get_many(keys) if scope else ({}, list(current.previews))
    checked_now = _checked(session, cycle, today, limits, [a for a in missing if a in set(live)],
                           agencies, current, checked, checked_previous, late)
    fresh = {agency_id: (preview_hash(current.previews[agency_id].snapshot), checked_now.get(agency_id, ()))
             for agency_id in missing}
    fact_cache.CACHE.put_many((keys[agency_id], value) for agency_id, value in fresh.items())
    kept.update(fresh)

    rows = []
    for agency_id, preview in sorted(current.previews.items()):
        agency = agencies[agency_id]
        before = previous.previews.get(agency_id)
        seen, seen_before = checked.previews[agency_id], checked_previous.previews.get(agency_id)
        content_hash, found = kept[agency_id]
        findings = tuple(_acknowledged(f, acks.get((agency_id, str(f.code)))) for f in found)
        rows.append(AgencyReview(
            agency_id=agency_id, name=preview.agency_name, account_manager=agency.account_manager,
            total=preview.total, previous_total=None if before is None else before.total,
            content_hash=content_hash, findings=findings,
            approval=approval_of(approvals.get(agency_id), preview, content_hash),
            issued_number=preview.issued.number if preview.issued else None,
            forecast_total=_forecast_total(seen), previous_forecast_total=_forecast_total(seen_before),
        ))
    review = CycleReview(cycle, tuple(rows), dict(current.problems), settings.current().approval_required, where)
    return review, current


def review_cycle(viewer: Viewer, cycle: Cycle, *, today: date | None = None,
                 sessions: SessionFactory = default_sessions) -> CycleReview:
    """The review page and ``manage.py review``: the viewer's agencies only."""
    viewer.require(Permission.VIEW_REVIEW)
    with sessions() as session:
        return review_in(session, cycle, viewer.scope, today or billing_today())


# --- acting on it ----------------------------------------------------------------------

def _note(note: str | None, *, required: bool) -> str:
    text = " ".join((note or "").split())
    if required and not text:
        raise FieldError("Note", "say why this finding is acceptable (it is kept with the acknowledgement)")
    if len(text) > NOTE_LIMIT:
        raise FieldError("Note", f"at most {NOTE_LIMIT} characters, not {len(text):,}")
    return text


def _live_row(review: CycleReview, viewer: Viewer, agency_id: str) -> AgencyReview:
    viewer.require_agency(agency_id)
    row = review.row(agency_id)
    if row is None:
        reason = review.problems.get(agency_id)
        raise NotFound(f"{agency_id} has no invoice in cycle {review.cycle}" + (f": {reason}" if reason else ""))
    if row.issued_number:
        raise BillingError(f"{agency_id} ({row.name}) is already issued for cycle {review.cycle} as {row.issued_number}")
    return row


def acknowledge_finding(viewer: Viewer, cycle: Cycle, agency_id: str, code: str, note: str, *,
                        sessions: SessionFactory = default_sessions) -> Finding:
    """Accept one finding with a note; it covers the finding while its numbers stay the same."""
    viewer.require(Permission.APPROVE)
    text = _note(note, required=True)
    try:
        wanted = FindingCode(code)
    except ValueError:
        raise FieldError("Finding", f"{code!r} is not a finding; one of {', '.join(c.value for c in FindingCode)}") from None
    with sessions() as session:
        review = review_in(session, cycle, [agency_id], billing_today())
        row = _live_row(review, viewer, agency_id)
        finding = next((f for f in row.findings if f.code is wanted), None)
        if finding is None:
            raise BillingError(f"{agency_id} ({row.name}) has no “{wanted.label}” finding in cycle {cycle} now")
        stored.add_acknowledgement(session=session, cycle=cycle, agency_id=agency_id, code=str(wanted),
                                   evidence_hash=finding.evidence_hash, actor=viewer.email, note=text)
        audit.record(session, actor=viewer.email, action="acknowledge_finding", subject=agency_id, cycle=str(cycle),
                     code=str(wanted), severity=str(finding.severity), finding=finding.sentence, note=text)
    return finding


@dataclass
class ApprovalOutcome:
    cycle: Cycle
    approved: list[tuple[str, Decimal]] = field(default_factory=list)  # (agency, total)
    already: list[str] = field(default_factory=list)  # approved before, and unchanged
    refused: dict[str, str] = field(default_factory=dict)  # agency -> why not

    @property
    def approved_total(self) -> Decimal:
        return sum((t for _, t in self.approved), Decimal("0.00"))


def _refusal(row: AgencyReview) -> str | None:
    blocking = row.open_blocking
    if not blocking:
        return None
    first = blocking[0]
    more = f" (and {counted(len(blocking) - 1, 'more blocking finding')})" if len(blocking) > 1 else ""
    return f"unacknowledged blocking finding “{first.code.label}” ({first.code}){more}: {first.sentence.rstrip('.')}"


def approve(viewer: Viewer, cycle: Cycle, agency_ids: Sequence[str] | None = None, *, note: str | None = None,
            sessions: SessionFactory = default_sessions) -> ApprovalOutcome:
    """Approve the named agencies' previews, all or nothing: any of them with
    an unacknowledged blocking finding refuses the whole call, naming it.
    Without ``agency_ids``: every agency of the viewer with no open blocking
    finding, and the others listed in ``refused`` with the reason."""
    viewer.require(Permission.APPROVE)
    text = _note(note, required=False)
    with sessions() as session:
        named = None if agency_ids is None else sorted({a.strip() for a in agency_ids if a.strip()})
        if named is not None and not named:
            raise FieldError("Agency", "name at least one agency, or none to approve every ready agency")
        scope = named if named is not None else viewer.scope
        review, previews = _review(session, cycle, scope, billing_today())
        outcome = ApprovalOutcome(cycle)
        if named is not None:
            rows = [_live_row(review, viewer, agency_id) for agency_id in named]
        else:
            rows = [r for r in review.rows if not r.issued_number]
        for row in rows:
            why = _refusal(row) if row.approval is None or row.approval.stale else None
            if why:
                outcome.refused[row.agency_id] = why
            elif row.approval is not None and not row.approval.stale:
                outcome.already.append(row.agency_id)
        if named is not None and outcome.refused:
            agency_id, why = next(iter(outcome.refused.items()))
            name = review.row(agency_id).name  # type: ignore[union-attr]
            others = f"; {counted(len(outcome.refused) - 1, 'other agency', 'other agencies')} refused too" \
                if len(outcome.refused) > 1 else ""
            raise BillingError(f"{agency_id} ({name}) cannot be approved: {why}{others}; nothing was approved")
        for row in rows:
            if row.agency_id in outcome.refused or row.agency_id in outcome.already:
                continue
            preview = previews.previews[row.agency_id]
            stored.add_approval(session=session, cycle=cycle, agency_id=row.agency_id,
                                content_hash=preview_hash(preview.snapshot), total=preview.total,
                                snapshot=canonical_json(preview.snapshot.document), actor=viewer.email, note=text)
            outcome.approved.append((row.agency_id, preview.total))
        if outcome.approved:
            audit.record(session, actor=viewer.email, action="approve_invoices", subject=str(cycle),
                         agencies=[a for a, _ in outcome.approved], total=str(outcome.approved_total),
                         refused=outcome.refused, note=text)
    return outcome


def approval_of_invoice(viewer: Viewer, agency_id: str, cycle: Cycle, *,
                        sessions: SessionFactory = default_sessions) -> Approval | None:
    """The approval behind one agency's invoice for ``cycle`` (None: never
    approved), compared with the invoice as it is now: for an issued invoice,
    ``stale`` False means the issued invoice is exactly the approved preview,
    and ``changes`` otherwise names the lines that differ."""
    viewer.require(Permission.VIEW_INVOICES)
    viewer.require_agency(agency_id)
    with sessions() as session:
        preview = invoice_preview_in(session, agency_id, cycle)
        return approval_of(stored.approvals(session=session, cycle=cycle, agency_ids=[agency_id]).get(agency_id), preview)


# --- what issuing asks -----------------------------------------------------------------

def approval_gaps_in(session: Session, cycle: Cycle, previews: Iterable[CyclePreview]) -> dict[str, str]:
    """Why each of these live previews may not be issued yet: not approved,
    or approved but changed since (naming the lines). Empty: all approved."""
    todo = [p for p in previews if not p.is_issued]
    records = stored.approvals(session=session, cycle=cycle, agency_ids=[p.agency_id for p in todo])
    gaps: dict[str, str] = {}
    for preview in todo:
        approval = approval_of(records.get(preview.agency_id), preview)
        if approval is None:
            gaps[preview.agency_id] = "not approved: review and approve it first"
        elif approval.stale:
            changed = ", ".join(f"{c.title} {format_usd(c.approved or Decimal(0))} → {format_usd(c.current or Decimal(0))}"
                                for c in approval.changes[:3]) or "details only"
            gaps[preview.agency_id] = (f"approval is stale: the preview changed since {approval.by} approved it on "
                                       f"{weekday_date(approval.at.date())} ({changed}); approve it again")
    return gaps


@dataclass(frozen=True)
class IssueReadiness:
    """What issuing ``cycle`` now would freeze, and what would wait (and why)."""

    cycle: Cycle
    ready: tuple[tuple[str, Decimal], ...]  # (agency, total), approved and unchanged (or approval switched off)
    waiting: dict[str, str]  # agency -> why it would not be issued
    approval_required: bool

    @property
    def ready_total(self) -> Decimal:
        return sum((t for _, t in self.ready), Decimal("0.00"))


def issue_readiness(viewer: Viewer, cycle: Cycle, *, sessions: SessionFactory = default_sessions) -> IssueReadiness:
    """The issue button's figures without the checks (the invoices page):
    the live previews and their approvals, hashed as issuing would."""
    viewer.require(Permission.ISSUE)
    required = settings.current().approval_required
    with sessions() as session:
        previews = [p for p in previews_in(session, cycle, viewer.scope).previews.values() if not p.is_issued]
        gaps = approval_gaps_in(session, cycle, previews) if required else {}
    ready = tuple((p.agency_id, p.total) for p in sorted(previews, key=lambda p: p.agency_id) if p.agency_id not in gaps)
    return IssueReadiness(cycle, ready, gaps, required)


def approve_for_seed(cycle: Cycle, *, actor: str, note: str, sessions: SessionFactory = default_sessions) -> int:
    """Approve every live preview of ``cycle`` as it is, without the checks:
    only the demo seed calls this, for the history it issues (its data is
    generated, so nothing is there to review); people approve through
    :func:`approve`. Returns how many were approved."""
    with sessions() as session:
        previews = previews_in(session, cycle)
        live = [p for p in previews.previews.values() if not p.is_issued]
        for preview in live:
            stored.add_approval(session=session, cycle=cycle, agency_id=preview.agency_id,
                                content_hash=preview_hash(preview.snapshot), total=preview.total,
                                snapshot=canonical_json(preview.snapshot.document), actor=actor, note=note)
    return len(live)


# --- as JSON (manage.py review) --------------------------------------------------------

def _finding_document(finding: Finding) -> dict[str, Any]:
    return {
        "code": str(finding.code), "severity": str(finding.severity), "label": finding.code.label,
        "sentence": finding.sentence, "numbers": dict(finding.numbers),
        "lines": [{"code": m.code, "previous": plain(m.previous), "current": plain(m.current), "change": plain(m.delta)}
                  for m in finding.lines],
        "acknowledged": None if finding.acknowledged is None else {
            "by": finding.acknowledged.by, "at": finding.acknowledged.at_iso, "note": finding.acknowledged.note},
    }


def _approval_document(approval: Approval | None) -> dict[str, Any] | None:
    if approval is None:
        return None
    return {
        "by": approval.by, "at": approval.at.isoformat(timespec="seconds"), "note": approval.note,
        "content_hash": approval.content_hash, "total": plain(approval.total), "stale": approval.stale,
        "changed_lines": [{"line": c.title, "approved": None if c.approved is None else plain(c.approved),
                           "current": None if c.current is None else plain(c.current)} for c in approval.changes],
    }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def _standing_document(where: Standing | None) -> dict[str, Any] | None:
    if where is None:
        return None
    return {"state": where.state, "as_of": where.as_of.isoformat(), "days_elapsed": where.days_elapsed,
            "days": where.days}


def review_document(review: CycleReview) -> dict[str, Any]:
    """The review as JSON: what ``manage.py review --cycle C`` prints.

    ``total`` is the preview so far (what an approval approves); ``basis``
    says what the checks read: ``forecast`` (the cycle is in progress, see
    ``standing``; each agency's ``forecast_total`` is what they compared) or
    ``final``. Keys are only ever added, so scripts reading older keys keep working."""
    return {
        "cycle": str(review.cycle),
        "approval_required": review.approval_required,
        "counts": {state.value: len(review.with_state(state)) for state in ReviewState},
        "agencies": [{
            "agency_id": row.agency_id, "name": row.name, "state": str(row.state), "total": plain(row.total),
            "previous_total": _money(row.previous_total),
            "content_hash": row.content_hash, "issued_number": row.issued_number,
            "findings": [_finding_document(f) for f in row.findings],
            "approval": _approval_document(row.approval),
            "forecast_total": _money(row.forecast_total),
            "previous_forecast_total": _money(row.previous_forecast_total),
        } for row in review.rows],
        "problems": review.problems,
        "basis": review.basis,
        "standing": _standing_document(review.standing),
    }
