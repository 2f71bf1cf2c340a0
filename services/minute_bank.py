"""The minute bank of the running period: balance day by day, burn rate,
runway, and the replenishment the next invoice will bill.

The running period is the closed period of the cycle containing ``today``.
Its bank opens with the previous invoice's closing balance plus the minutes
that invoice pre-billed (credited on the period's first day), plus the
onboarding credit in an agency's first period; every day's rounded-up
minutes come off it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import Session

from billing import Cycle, LineCode, Period
from billing.snapshot import SnapshotLine
from db import facts as stored
from db.queries.agencies import agency_record, agency_records
from db.queries.usage import daily_minutes, minutes_between

from .access import Permission, Viewer
from .errors import NotFound
from .fact_cache import kept_result
from .previews import CyclePreview, CyclePreviews, previews_in
from .unit_of_work import SessionFactory, default_sessions

BURN_WINDOW_DAYS = 7


@dataclass(frozen=True)
class BankDay:
    day: date
    used: int
    credited: int
    balance: int  # at the end of the day


@dataclass(frozen=True)
class BankRunway:
    agency_id: str
    name: str
    cycle: Cycle
    period: Period
    opening_balance: int
    credited_at_start: int
    onboarding_credit: int
    used_so_far: int
    balance_now: int
    burn_per_day: Decimal  # minutes per day, recent average
    today: date

    @property
    def runway_days(self) -> int | None:
        """Whole days the balance lasts at the current burn (None: no burn)."""
        if self.burn_per_day <= 0:
            return None
        return max(0, int(Decimal(self.balance_now) / self.burn_per_day))

    @property
    def dry_on(self) -> date | None:
        days = self.runway_days
        return None if days is None else self.today + timedelta(days=days)

    @property
    def runs_dry_before_cutoff(self) -> bool:
        return self.balance_now <= 0 or (self.dry_on is not None and self.dry_on <= self.period.end)

    @property
    def projected_end_balance(self) -> int:
        remaining = (self.period.end - self.today).days
        return int(self.balance_now - (self.burn_per_day * max(0, remaining)).to_integral_value(ROUND_HALF_UP))


@dataclass(frozen=True)
class BankDetail:
    runway: BankRunway
    days: tuple[BankDay, ...]
    projection: tuple[tuple[date, int], ...]  # (day, projected balance) to the end of the period
    replenishment_line: SnapshotLine | None  # the PRE_BILLED_MINUTES line of the cycle's preview


def _runway(preview: CyclePreview, used: int, burn: Decimal, today: date) -> BankRunway:
    """From a preview of the running period's own cycle (one agency's detail)."""
    bank = preview.snapshot.bank
    return BankRunway(
        agency_id=preview.agency_id, name=preview.agency_name, cycle=preview.cycle, period=preview.cycle.closed_period,
        opening_balance=bank.opening_balance, credited_at_start=bank.credited_at_period_start,
        onboarding_credit=bank.onboarding_credit, used_so_far=used,
        balance_now=bank.opening_balance + bank.credited_at_period_start + bank.onboarding_credit - used,
        burn_per_day=burn, today=today,
    )


def _burn_window(today: date) -> tuple[date, date]:
    """The last seven complete days (today is not over yet): a whole week,
    so weekends weigh in as they will for the rest of the period."""
    end = today - timedelta(days=1)
    return end - timedelta(days=BURN_WINDOW_DAYS - 1), end


def runways(viewer: Viewer, today: date, *, sessions: SessionFactory = default_sessions) -> list[BankRunway]:
    """Every agency's bank in the running period, those running dry first."""
    viewer.require(Permission.VIEW_MINUTE_BANK)
    with sessions() as session:
        return runways_in(session, today, viewer.scope)


def runways_in(
    session: Session, today: date, agency_ids: list[str] | None, previous: CyclePreviews | None = None
) -> list[BankRunway]:
    """The runways, priced from the *previous* cycle's invoices (issued, or
    their previews; pass them in when the caller has them already): they
    hold the bank the running period opened with and the minutes credited on
    its first day. Only agencies onboarded in the running period are priced
    for their onboarding credit."""
    cycle = Cycle.containing(today)
    earlier = previous if previous is not None else previews_in(session, cycle.previous(), agency_ids)
    starts = {a: (p.agency_name, p.closing_balance, p.replenishment, 0) for a, p in earlier.previews.items()}
    newcomers = [a.id for a in agency_records(session=session, agency_ids=agency_ids) if a.first_cycle == cycle]
    for agency_id, preview in (previews_in(session, cycle, newcomers).previews.items() if newcomers else ()):
        starts[agency_id] = (preview.agency_name, 0, 0, preview.snapshot.bank.onboarding_credit)
    used = {a: t.billable_minutes for a, t in stored.call_totals(session, agency_ids, cycle).items()}
    start, end = _burn_window(today)
    recent = minutes_between(session=session, agency_ids=agency_ids, start=start, end=end)
    result = []
    for agency_id, (name, opening, credited, onboarding) in starts.items():
        spent = used.get(agency_id, 0)
        result.append(BankRunway(
            agency_id=agency_id, name=name, cycle=cycle, period=cycle.closed_period, opening_balance=opening,
            credited_at_start=credited, onboarding_credit=onboarding, used_so_far=spent,
            balance_now=opening + credited + onboarding - spent,
            burn_per_day=(Decimal(recent.get(agency_id, 0)) / BURN_WINDOW_DAYS).quantize(Decimal("0.1")),
            today=today,
        ))
    return sorted(result, key=lambda r: (not r.runs_dry_before_cutoff, r.runway_days if r.runway_days is not None else 10**9, r.name))


def bank_detail(viewer: Viewer, agency_id: str, today: date, *, sessions: SessionFactory = default_sessions) -> BankDetail:
    """One agency's bank in the running period, day by day, with the
    projection to the period's end at the current burn rate."""
    viewer.require(Permission.VIEW_MINUTE_BANK)
    viewer.require_agency(agency_id)
    cycle = Cycle.containing(today)
    period = cycle.closed_period
    with sessions() as session:
        agency = agency_record(session=session, agency_id=agency_id)
        if agency is None:
            raise NotFound(f"no agency {agency_id!r}")
        previews = previews_in(session, cycle, [agency_id]).previews
        if agency_id not in previews:
            raise NotFound(f"{agency.name} has no minute bank yet: onboarded {agency.onboarded_on.isoformat()}")
        start, _end = _burn_window(today)
        daily = daily_minutes(session=session, agency_id=agency_id, start=min(start, period.start), end=period.end)
    preview = previews[agency_id]
    window_minutes = sum(daily.get(start + timedelta(days=i), 0) for i in range(BURN_WINDOW_DAYS))
    burn = (Decimal(window_minutes) / BURN_WINDOW_DAYS).quantize(Decimal("0.1"))
    used = sum(minutes for day, minutes in daily.items() if day >= period.start)
    runway = _runway(preview, used, burn, today)

    days, balance = [], runway.opening_balance
    for day in period.dates():
        if day > today:
            break
        credited = (runway.credited_at_start if day == period.start else 0) + (
            runway.onboarding_credit if day == agency.onboarded_on else 0)
        used = int(daily.get(day, 0))
        balance += credited - used
        days.append(BankDay(day, used, credited, balance))
    projection = tuple(
        (day, int(balance - burn * (day - today).days)) for day in period.dates() if day >= today
    )
    line = next(iter(preview.snapshot.lines_with(LineCode.PRE_BILLED_MINUTES.value)), None)
    if not viewer.can(Permission.VIEW_INVOICES):
        line = None  # the replenishment's dollar amount is an invoice amount
    return BankDetail(runway, tuple(days), projection, line)


# --- the trend: the last cycles and the running one ----------------------------------------

TREND_CYCLES = 12


@dataclass(frozen=True)
class TrendPoint:
    """One closed period of the bank: what it opened with, was credited,
    used, closed with, and the replenishment its invoice billed (credited
    on the next period's first day). ``forecast``: the running period at
    its cutoff, as forecast; ``so_far``: the running period today."""

    cycle: Cycle
    period: Period
    opening: int
    credited: int  # replenishment credited at the period's start, plus onboarding minutes
    used: int
    closing: int
    replenishment: int
    kind: str  # "history", "so_far" or "forecast"

    @property
    def is_forecast(self) -> bool:
        return self.kind == "forecast"


@dataclass(frozen=True)
class BankTrend:
    agency_id: str
    name: str
    points: tuple[TrendPoint, ...]
    runway: BankRunway | None
    days_elapsed: int
    days: int


def _point(preview: CyclePreview, kind: str) -> TrendPoint:
    bank = preview.snapshot.bank
    return TrendPoint(preview.cycle, preview.cycle.closed_period, bank.opening_balance, bank.credited,
                      bank.minutes_used, bank.closing_balance, bank.replenishment, kind)


def bank_trend(viewer: Viewer, agency_id: str, today: date, *, sessions: SessionFactory = default_sessions) -> BankTrend:
    """The last :data:`TREND_CYCLES` closed periods of one agency's bank,
    the running period so far and its forecast at cutoff, and the runway."""
    from billing.snapshot import snapshot_of

    from .previews import forecast_in

    viewer.require(Permission.VIEW_MINUTE_BANK)
    viewer.require_agency(agency_id)
    running = Cycle.containing(today)
    with sessions() as session:
        agency = agency_record(session=session, agency_id=agency_id)
        if agency is None:
            raise NotFound(f"no agency {agency_id!r}")
        first = max(agency.first_cycle, running.plus(-TREND_CYCLES))
        points = []
        for offset in range(running.months_since(first)):
            cycle = first.plus(offset)
            found = previews_in(session, cycle, [agency_id]).previews.get(agency_id)
            if found is not None:
                points.append(_point(found, "history"))
        outlook = None
        if agency.first_cycle <= running:
            outlook = forecast_in(session, agency_id, running, today)
            points.append(_point(outlook.preview, "so_far"))
            if outlook.forecast is not None:
                forecast = CyclePreview(agency_id, agency.name, running, snapshot_of(outlook.forecast), outlook.forecast)
                points.append(_point(forecast, "forecast"))
        runway = next(iter(runways_in(session, today, [agency_id])), None)
    where = outlook.standing if outlook else None
    return BankTrend(agency_id, agency.name, tuple(points), runway,
                     where.days_elapsed if where else 0, where.days if where else running.closed_period.days)


@dataclass(frozen=True)
class TrendRank:
    """One agency in the portfolio ranking: its runway, and how far the
    running period's forecast usage departs from its recent trend."""

    runway: BankRunway
    forecast_used: int
    trend_used: int  # average minutes used in the last closed periods (up to 3)

    @property
    def departure_pct(self) -> Decimal | None:
        if not self.trend_used:
            return None
        return (Decimal(self.forecast_used - self.trend_used) * 100 / self.trend_used).quantize(Decimal("0.1"))


def trend_ranking(viewer: Viewer, today: date, *, sessions: SessionFactory = default_sessions) -> list[TrendRank]:
    """Every agency's runway with its forecast usage against its trend,
    those running dry first (as :func:`runways`); kept while the facts of
    every agency shown are unchanged (:func:`services.fact_cache.kept_result`)."""
    viewer.require(Permission.VIEW_MINUTE_BANK)
    with sessions() as session:
        return kept_result(session, viewer.scope, ("trend_ranking", today),
                           lambda: _trend_ranking(session, viewer.scope, today))


def _trend_ranking(session: Session, scope: list[str] | None, today: date) -> list[TrendRank]:
    from billing.forecast import forecast_facts

    running = Cycle.containing(today)
    banks = runways_in(session, today, scope)
    current = previews_in(session, running, scope).previews
    out = []
    for runway in banks:
        preview = current.get(runway.agency_id)
        facts = preview.facts if preview else None
        if facts is None:
            out.append(TrendRank(runway, runway.used_so_far, 0))
            continue
        forecast = forecast_facts(facts, today).facts.call_totals.billable_minutes
        recent = sorted((p for p in facts.usage_history if p.cycle < running and p.user_days > 0),
                        key=lambda p: p.cycle, reverse=True)[:3]
        trend = round(sum(p.minutes_used for p in recent) / len(recent)) if recent else 0
        out.append(TrendRank(runway, forecast, trend))
    return out
