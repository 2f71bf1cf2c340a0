"""The portfolio: every agency's invoice for a cycle, and the overview.

One preview of the whole portfolio is a handful of SQL aggregates plus the
engine; each agency's live preview is kept while its facts do not change
(:mod:`services.fact_cache`), and pages cache the result for a short while
(see ``ui.cache``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from billing import AgencyStatus, Cycle, LineCode, Status
from billing.forecast import Standing, standing
from db.queries.agencies import agency_records

from .access import Permission, Viewer
from .cycles import CycleClock, cycle_clock
from .minute_bank import runways_in
from .previews import CyclePreviews, previews_in
from .statuses import statuses_in
from .unit_of_work import SessionFactory, default_sessions

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class AgencySummary:
    agency_id: str
    name: str
    onboarded_on: date
    account_manager: str | None


@dataclass(frozen=True)
class PortfolioRow:
    agency_id: str
    name: str
    account_manager: str | None
    number: str | None  # None while not issued
    total: Decimal
    previous_total: Decimal | None
    seats_billed: int
    headcount: int
    replenishment: int
    prorated_users: int

    @property
    def change(self) -> Decimal | None:
        return None if self.previous_total is None else self.total - self.previous_total

    @property
    def state(self) -> str:
        return "Issued" if self.number else "Preview"


@dataclass(frozen=True)
class Portfolio:
    cycle: Cycle
    rows: tuple[PortfolioRow, ...]
    problems: dict[str, str]
    previous_pending: int = 0  # agencies whose previous cycle is not issued yet

    @property
    def total(self) -> Decimal:
        return sum((r.total for r in self.rows), ZERO)

    @property
    def issued(self) -> tuple[PortfolioRow, ...]:
        return tuple(r for r in self.rows if r.number)

    @property
    def pending(self) -> tuple[PortfolioRow, ...]:
        return tuple(r for r in self.rows if not r.number)

    @property
    def pending_total(self) -> Decimal:
        return sum((r.total for r in self.pending), ZERO)


def agencies(viewer: Viewer, *, sessions: SessionFactory = default_sessions) -> list[AgencySummary]:
    """The agencies this viewer may see."""
    with sessions() as session:
        found = agency_records(session=session, agency_ids=viewer.scope)
    return [AgencySummary(a.id, a.name, a.onboarded_on, a.account_manager) for a in found]


def _rows(current: CyclePreviews, previous: CyclePreviews, managers: dict[str, str | None]) -> tuple[PortfolioRow, ...]:
    rows = []
    for agency_id, preview in sorted(current.previews.items()):
        before = previous.previews.get(agency_id)
        rows.append(PortfolioRow(
            agency_id=agency_id,
            name=preview.agency_name,
            account_manager=managers.get(agency_id),
            number=preview.issued.number if preview.issued else None,
            total=preview.total,
            previous_total=before.total if before else None,
            seats_billed=preview.seats_billed,
            headcount=preview.snapshot.headcount_at_cutoff,
            replenishment=preview.replenishment,
            prorated_users=len(preview.snapshot.lines_with(LineCode.PRORATED_USER_FEE.value)),
        ))
    return tuple(rows)


def portfolio(viewer: Viewer, cycle: Cycle, *, sessions: SessionFactory = default_sessions) -> Portfolio:
    """Every agency's invoice for ``cycle`` (issued or preview) with the
    previous cycle's total beside it."""
    viewer.require(Permission.VIEW_INVOICES)
    with sessions() as session:
        previous = previews_in(session, cycle.previous(), viewer.scope)
        current = previews_in(session, cycle, viewer.scope, earlier=previous)  # its carry-over reads them: once
        return _portfolio(session, viewer, current, previous)


def _portfolio(session: Session, viewer: Viewer, current: CyclePreviews, previous: CyclePreviews) -> Portfolio:
    managers = {a.id: a.account_manager for a in agency_records(session=session, agency_ids=viewer.scope)}
    pending = sum(1 for p in previous.previews.values() if not p.is_issued)
    return Portfolio(current.cycle, _rows(current, previous, managers), dict(current.problems), pending)


@dataclass(frozen=True)
class Overview:
    clock: CycleClock
    portfolio: Portfolio | None  # None for viewers who may not see invoice amounts
    statuses: tuple[AgencyStatus, ...]
    banks_running_dry: int = 0
    unissued_earlier: dict[str, int] = field(default_factory=dict)  # cycle -> agencies not issued

    @property
    def standing(self) -> Standing:
        """Where the current cycle stands today: in progress until its cutoff."""
        return standing(self.clock.cycle, self.clock.today)

    def with_status(self, *wanted: Status) -> list[AgencyStatus]:
        return [s for s in self.statuses if s.status in wanted]

    @property
    def status_counts(self) -> dict[Status, int]:
        counts = {status: 0 for status in Status}
        for s in self.statuses:
            counts[s.status] += 1
        return counts


def overview(viewer: Viewer, today: date, *, sessions: SessionFactory = default_sessions) -> Overview:
    """The current cycle, statuses and minute banks, pricing each cycle once."""
    viewer.require(Permission.VIEW_OVERVIEW)
    clock = cycle_clock(today)
    with sessions() as session:
        previous = previews_in(session, clock.cycle.previous(), viewer.scope)
        current = previews_in(session, clock.cycle, viewer.scope, earlier=previous)
        folio = _portfolio(session, viewer, current, previous) if viewer.can(Permission.VIEW_INVOICES) else None
        statuses = tuple(statuses_in(session, today, viewer.scope))
        running = Cycle.containing(today)
        opened_by = current if running.previous() == clock.cycle else previous
        dry = sum(1 for r in runways_in(session, today, viewer.scope, opened_by) if r.runs_dry_before_cutoff)
    earlier = clock.cycle.previous()
    unissued = {}
    if folio is not None and folio.previous_pending and today > earlier.invoice_date:
        unissued = {str(earlier): folio.previous_pending}
    return Overview(clock, folio, statuses, dry, unissued)
