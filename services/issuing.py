"""Issuing a cycle: freezing every agency's invoice, from the dashboard, a
scheduler or the demo seed.

The rules live here: a cycle is issued only after its cutoff (usage is final
only then); an agency whose previous cycle is not issued is skipped with a
reason (its carry-over would come from a preview that may still change);
while approval is required (``BILLING_APPROVAL_REQUIRED``, on by default)
only agencies whose preview is approved *and unchanged since* are issued,
the others are listed with the reason (services/review) — unless the caller
issues without approval, which takes a reason and leaves an audit entry of
its own; issuing twice issues nothing new; every run leaves one audit entry. Locking
and the retry after losing a race to another issuer are persistence
(:func:`db.invoicing.run_issuing`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session

import settings
from billing import Cycle
from db import audit
from db.invoicing import insert_issued_invoice, invoice_number, issued_agency_ids, next_invoice_sequence, run_issuing
from db.queries.agencies import agency_records

from .access import Permission, Viewer
from .clock import billing_today
from .errors import BillingError, FieldError
from .previews import previews_in
from .review.service import approval_gaps_in
from .unit_of_work import SessionFactory, default_sessions

Progress = Callable[[int, int], None]


@dataclass
class IssueResult:
    cycle: Cycle
    issued: list[tuple[str, str, Decimal]] = field(default_factory=list)  # (agency, number, total)
    already_issued: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    not_approved: dict[str, str] = field(default_factory=dict)  # agency -> why it waits for an approval
    without_approval: list[str] = field(default_factory=list)  # issued although not approved (with a reason)

    @property
    def issued_total(self) -> Decimal:
        return sum((total for _, _, total in self.issued), Decimal("0.00"))


def _issue_in(
    session: Session, cycle: Cycle, actor: str, agency_ids: Sequence[str] | None,
    progress: Progress | None, issued_at: datetime | None, unapproved_reason: str | None,
) -> IssueResult:
    result = IssueResult(cycle)
    previews = previews_in(session, cycle, agency_ids)
    result.skipped.update(previews.problems)
    todo = [p for p in previews.previews.values() if not p.is_issued]
    result.already_issued = len(previews.previews) - len(todo)
    if settings.current().approval_required:
        gaps = approval_gaps_in(session, cycle, todo)  # hashes the very previews frozen below
        if unapproved_reason is None:
            result.not_approved.update(gaps)
            todo = [p for p in todo if p.agency_id not in gaps]
        else:
            result.without_approval = sorted(gaps)

    waiting = [p.agency_id for p in todo]
    agencies_by_id = {a.id: a for a in agency_records(session=session, agency_ids=waiting)}
    previous_issued = issued_agency_ids(session=session, cycle=cycle.previous(), agency_ids=waiting)
    sequence = next_invoice_sequence(session=session, cycle=cycle)
    for done, preview in enumerate(sorted(todo, key=lambda p: p.agency_id), start=1):
        agency = agencies_by_id[preview.agency_id]
        if agency.first_cycle < cycle and preview.agency_id not in previous_issued:
            result.skipped[preview.agency_id] = f"cycle {cycle.previous()} is not issued yet; issue it first"
        else:
            number = invoice_number(cycle, sequence)
            sequence += 1
            insert_issued_invoice(session=session, agency_id=preview.agency_id, cycle=cycle, number=number,
                                  snapshot=preview.snapshot, actor=actor, issued_at=issued_at)
            result.issued.append((preview.agency_id, number, preview.total))
        if progress:
            progress(done, len(todo))
    issued_ids = {agency for agency, _, _ in result.issued}
    result.without_approval = [a for a in result.without_approval if a in issued_ids]
    if result.without_approval:
        audit.record(session, actor=actor, action="issue_without_approval", subject=str(cycle),
                     agencies=result.without_approval, reason=unapproved_reason)
    audit.record(
        session, actor=actor, action="issue_cycle", subject=str(cycle),
        issued=len(result.issued), total=str(result.issued_total),
        already_issued=result.already_issued, skipped=result.skipped, not_approved=result.not_approved,
    )
    return result


def _reason(text: str | None) -> str | None:
    """The reason for issuing without approval, required and kept in the audit log."""
    if text is None:
        return None
    reason = " ".join(text.split())
    if len(reason) < 5:
        raise FieldError("Reason", "say why these invoices go out without an approval (at least 5 characters)")
    if len(reason) > 1000:
        raise FieldError("Reason", f"at most 1,000 characters, not {len(reason):,}")
    return reason


def issue_cycle(
    cycle: Cycle,
    *,
    actor: str,
    today: date,
    agency_ids: Sequence[str] | None = None,
    sessions: SessionFactory = default_sessions,
    progress: Progress | None = None,
    issued_at: datetime | None = None,
    without_approval: str | None = None,
) -> IssueResult:
    """Issue ``cycle`` for every agency not issued yet, in one transaction.

    ``issued_at`` defaults to now; the demo seed back-dates its history.
    While approval is required, only approved, unchanged previews are issued
    (the rest are in ``not_approved``); ``without_approval`` is the reason
    to issue the unapproved ones too — the caller checks who may (finance),
    and the run leaves an ``issue_without_approval`` audit entry. This is
    what a scheduler calls on the 25th: it issues what is approved and
    reports what is not.

    Refused before the cutoff has passed: usage is final only then. Issuing
    twice changes nothing; a concurrent issuer loses on the unique
    constraints, rolls back and retries, and then finds the cycle issued.
    """
    if today > billing_today():
        raise FieldError("Today", f"{today.isoformat()} is after today ({billing_today().isoformat()}): a cycle is "
                                  "issued on the day it happens, so nobody can date it past its cutoff early")
    if today <= cycle.cutoff:
        raise BillingError(
            f"cycle {cycle} cannot be issued before its cutoff has passed "
            f"(end of {cycle.cutoff.isoformat()}); usage is not final yet"
        )
    reason = _reason(without_approval)
    return run_issuing(sessions, lambda session: _issue_in(session, cycle, actor, agency_ids, progress, issued_at,
                                                           reason))


def issue_cycle_now(viewer: Viewer, cycle: Cycle, *, sessions: SessionFactory = default_sessions,
                    progress: Progress | None = None, agency_ids: Sequence[str] | None = None,
                    without_approval: str | None = None) -> IssueResult:
    """Issue every not-yet-issued (and, while approval is required, approved)
    invoice of ``cycle`` (idempotent), on today's date. Issuing without
    approval takes a reason and the permission for it (finance)."""
    viewer.require(Permission.ISSUE)
    if without_approval is not None:
        viewer.require(Permission.ISSUE_WITHOUT_APPROVAL)
    scope = viewer.scope if agency_ids is None else viewer.only_visible(agency_ids)
    return issue_cycle(cycle, actor=viewer.email, today=billing_today(), sessions=sessions, progress=progress,
                       agency_ids=scope, without_approval=without_approval)
