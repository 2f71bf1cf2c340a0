"""Finance reporting: what was billed and collected over the last twelve
issued cycles, and what was owed at each month end.

Billed amounts are the issued invoices' lines summed by the database;
"collected" and every receivable come from the engine's own ledger
(:func:`billing.statuses` over the stored invoices, payments and
adjustments), never from a second formula: collected is what the engine's
allocation has applied to a cycle's invoices by today (payments and credits
alike), and the aging at a month end is the statuses on that day, bucketed
like the overdue page.
"""

from __future__ import annotations

import calendar as month_math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session

import settings
from billing import AgencyStatus, Cycle, statuses
from billing.invoice import LineCode
from db.ledger import load_ledger
from db.queries import reporting as stored
from db.queries.agencies import agency_records

from .access import Permission, Viewer
from .fact_cache import kept_result
from .overdue import AGING_BUCKETS, bucket_of
from .unit_of_work import SessionFactory, default_sessions

ZERO = Decimal("0.00")
CYCLES_SHOWN = 12
DSO_WINDOW_DAYS = 90  # days sales outstanding: what is owed ÷ what was billed in the last 90 days × 90
# Agencies by seats billed on the cycle's invoice: (label, fewest seats).
SIZE_BANDS: tuple[tuple[str, int], ...] = (("1–24 seats", 0), ("25–99 seats", 25), ("100–249 seats", 100),
                                          ("250+ seats", 250))
UNASSIGNED = "Unassigned"


@dataclass(frozen=True)
class CycleRevenue:
    cycle: Cycle
    invoices: int
    billed: Decimal
    by_charge: dict[str, Decimal] = field(compare=False)  # LineCode label → amount
    by_manager: dict[str, Decimal] = field(compare=False)
    by_band: dict[str, Decimal] = field(compare=False)
    collected: Decimal = ZERO
    change: Decimal | None = None  # against the previous cycle shown
    change_year: Decimal | None = None  # against the same cycle a year before, when it was issued
    average_days_to_pay: Decimal | None = None  # over invoices paid in full
    seats: int = 0
    minutes: int = 0


@dataclass(frozen=True)
class Revenue:
    as_of: date
    cycles: tuple[CycleRevenue, ...]  # oldest first

    @property
    def charges(self) -> list[str]:
        return [code.label for code in LineCode if any(c.by_charge.get(code.label) for c in self.cycles)]


@dataclass(frozen=True)
class MonthEndAging:
    month_end: date
    buckets: dict[str, Decimal] = field(compare=False)  # bucket label → balance owed
    receivable: Decimal = ZERO
    billed_last_90_days: Decimal = ZERO
    dso: Decimal | None = None  # days; None when nothing was billed in the window


def _band(seats: int) -> str:
    return next(label for label, fewest in reversed(SIZE_BANDS) if seats >= fewest)


def _add(totals: dict[str, Decimal], key: str, amount: Decimal) -> None:
    totals[key] = totals.get(key, ZERO) + amount


def revenue(viewer: Viewer, as_of: date, *, last: int = CYCLES_SHOWN,
            sessions: SessionFactory = default_sessions) -> Revenue:
    """The last ``last`` issued cycles (by ``as_of``), each split by charge,
    account manager and size band, with what has been collected of it."""
    viewer.require(Permission.VIEW_REPORTS)
    window = settings.current().warning_days
    with sessions() as session:
        # In the key: a cycle issued only for agencies outside a manager's scope is still a cycle shown.
        cycles = tuple(stored.issued_cycles(session=session))
        return kept_result(session, viewer.scope, ("revenue", as_of, last, window, cycles),
                           lambda: _revenue(session, viewer.scope, as_of, last, window, cycles))


def _revenue(session: Session, scope: list[str] | None, as_of: date, last: int, window: int,
             cycles: tuple[str, ...]) -> Revenue:
    issued = [c for c in cycles if Cycle.parse(c).invoice_date <= as_of]
    shown = issued[-last:]
    wanted = shown + [str(Cycle.parse(c).previous()) for c in shown[:1]] + [_year_before(c) for c in shown]
    facts = stored.issued_invoice_facts(session=session, cycles=sorted(set(wanted)), agency_ids=scope)
    charges = stored.charge_totals(session=session, cycles=shown, agency_ids=scope)
    managers = {a.id: a.account_manager or UNASSIGNED for a in agency_records(session=session, agency_ids=scope)}
    invoices, payments = load_ledger(session, scope)
    today = statuses(invoices, payments, as_of, warning_days=window)
    paid = {number: amount for s in today for number, amount in s.paid.items()}
    settled_on = _settled_on(today)
    totals_by_cycle: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for f in facts:
        totals_by_cycle[f.cycle] += f.total
    by_charge: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for c in charges:
        _add(by_charge[c.cycle], LineCode(c.code).label, c.amount)
    result = []
    previous_billed: Decimal | None = totals_by_cycle.get(str(Cycle.parse(shown[0]).previous())) if shown else None
    for cycle in shown:
        mine = [f for f in facts if f.cycle == cycle]
        billed = sum((f.total for f in mine), ZERO)
        by_manager: dict[str, Decimal] = {}
        by_band: dict[str, Decimal] = {}
        for f in mine:
            _add(by_manager, managers.get(f.agency_id, UNASSIGNED), f.total)
            _add(by_band, _band(f.seats_billed), f.total)
        waits = [Decimal((settled_on[f.number] - f.invoice_date).days) for f in mine if f.number in settled_on]
        year = _year_before(cycle)
        result.append(CycleRevenue(
            Cycle.parse(cycle), len(mine), billed, by_charge.get(cycle, {}), by_manager, by_band,
            collected=sum((min(paid.get(f.number, ZERO), f.total) for f in mine), ZERO),
            change=None if previous_billed is None else billed - previous_billed,
            change_year=billed - totals_by_cycle[year] if year in totals_by_cycle else None,
            average_days_to_pay=(sum(waits, Decimal(0)) / len(waits)).quantize(Decimal("0.1")) if waits else None,
            seats=sum(f.seats_billed for f in mine), minutes=sum(f.minutes_used for f in mine),
        ))
        previous_billed = billed
    return Revenue(as_of, tuple(result))


def _year_before(cycle: str) -> str:
    parsed = Cycle.parse(cycle)
    return f"{parsed.year - 1:04d}-{parsed.month:02d}"


def _settled_on(found: list[AgencyStatus]) -> dict[str, date]:
    """Invoice number → the day its last open cent was applied, for invoices paid in full."""
    last: dict[str, date] = {}
    for s in found:
        still_open = {o.invoice.number for o in s.open_invoices}
        for allocation in s.allocations:
            if allocation.invoice not in still_open:
                last[allocation.invoice] = max(last.get(allocation.invoice, allocation.on), allocation.on)
    return last


def month_ends(as_of: date, count: int = CYCLES_SHOWN) -> list[date]:
    """The last ``count`` month ends before ``as_of``, oldest first."""
    ends = []
    year, month = as_of.year, as_of.month
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        ends.append(date(year, month, month_math.monthrange(year, month)[1]))
    return sorted(ends)


def receivables(viewer: Viewer, as_of: date, *, count: int = CYCLES_SHOWN,
                sessions: SessionFactory = default_sessions) -> tuple[MonthEndAging, ...]:
    """What was owed at each of the last ``count`` month ends, by age, and DSO."""
    viewer.require(Permission.VIEW_REPORTS)
    window = settings.current().warning_days
    with sessions() as session:
        return kept_result(session, viewer.scope, ("receivables", as_of, count, window),
                           lambda: _receivables(session, viewer.scope, as_of, count, window))


def _receivables(session: Session, scope: list[str] | None, as_of: date, count: int,
                 window: int) -> tuple[MonthEndAging, ...]:
    invoices, payments = load_ledger(session, scope)
    result = []
    for end in month_ends(as_of, count):
        buckets = dict.fromkeys((label for label, _, _ in AGING_BUCKETS), ZERO)
        for status in statuses(invoices, payments, end, warning_days=window):
            for item in status.open_invoices:
                buckets[bucket_of(item.days_overdue)] += item.balance
        receivable = sum(buckets.values(), ZERO)
        since = end - timedelta(days=DSO_WINDOW_DAYS)
        billed = sum((i.total for i in invoices if since < i.invoice_date <= end), ZERO)
        dso = (receivable / billed * DSO_WINDOW_DAYS).quantize(Decimal("0.1")) if billed else None
        result.append(MonthEndAging(end, buckets, receivable, billed, dso))
    return tuple(result)
