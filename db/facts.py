"""Stored facts → the engine's input, aggregated in SQL.

Each query answers for a whole set of agencies at once (one round trip per
kind of fact, not per agency), so the portfolio preview of hundreds of
agencies costs a handful of statements. Calls are never loaded: usage comes
from the ``call_day`` rollup, already in per-call rounded-up minutes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import and_, bindparam, func, or_, select, text
from sqlmodel import Session

from billing import AccessSpan as Span
from billing import (
    CallTotals,
    Contract,
    Cycle,
    Period,
    PeriodUsage,
    SignalMode,
    SignalPlan,
    User,
)
from billing.seats import user_days

from .models import (
    Agency,
    AgencyContract,
    Appointment,
    CallDay,
    DialingNumber,
)
from .raw import as_date, as_optional_date

HISTORY_PERIODS = 2  # the engine uses the two most recent periods with user-days


def _only(column, agency_ids: Sequence[str] | None):  # type: ignore[no-untyped-def]
    return True if agency_ids is None else column.in_(list(agency_ids))


def agencies(session: Session, agency_ids: Sequence[str] | None = None) -> list[Agency]:
    return list(session.scalars(select(Agency).where(_only(Agency.id, agency_ids)).order_by(Agency.id)))


def contract_terms(row: AgencyContract) -> Contract:
    signal = None
    if row.signal_mode != "none" and row.signal_rate is not None:
        signal = SignalPlan(SignalMode(row.signal_mode), row.signal_rate)
    return Contract(
        user_fee=row.user_fee,
        minimum_users=row.minimum_users,
        minute_rate=row.minute_rate,
        licensing_fee=row.licensing_fee,
        minute_block=row.minute_block,
        replenish_buffer_pct=row.replenish_buffer_pct,
        onboarding_minutes_per_user=row.onboarding_minutes_per_user,
        signal=signal,
        number_cleaning_rate=row.number_cleaning_rate,
        appointment_fee=row.appointment_fee,
        transcription_rate=row.transcription_rate,
    )


def contracts_in_force(session: Session, agency_ids: Sequence[str] | None, on: date) -> dict[str, AgencyContract]:
    """The contract row in force on ``on`` (the invoice date) per agency."""
    rows = session.scalars(
        select(AgencyContract)
        .where(_only(AgencyContract.agency_id, agency_ids), AgencyContract.effective_from <= on)
        .order_by(AgencyContract.agency_id, AgencyContract.effective_from)
    )
    latest: dict[str, AgencyContract] = {}
    for row in rows:
        latest[row.agency_id] = row  # ordered by date: the last one wins
    return latest


def users(session: Session, agency_ids: Sequence[str] | None) -> dict[str, tuple[User, ...]]:
    """Every user of each agency with all their access spans.

    The one query that returns many rows (every span of every user), so it
    skips the ORM's per-value type processing and parses dates itself.
    """
    statement = "SELECT agency_id, user_id, start_on, end_on FROM access_span"
    params: dict[str, object] = {}
    if agency_ids is not None:
        statement += " WHERE agency_id IN :ids"
        params["ids"] = list(agency_ids)
    query = text(statement + " ORDER BY agency_id, user_id, start_on")
    if agency_ids is not None:
        query = query.bindparams(bindparam("ids", expanding=True))
    spans: dict[str, dict[str, list[Span]]] = defaultdict(lambda: defaultdict(list))
    for agency_id, user_id, start_on, end_on in session.execute(query, params):
        spans[agency_id][user_id].append(Span(as_date(start_on), as_optional_date(end_on)))
    return {
        agency_id: tuple(User(user_id, tuple(s)) for user_id, s in by_user.items())
        for agency_id, by_user in spans.items()
    }


def call_totals(session: Session, agency_ids: Sequence[str] | None, cycle: Cycle) -> dict[str, CallTotals]:
    """Usage of the closed period of ``cycle``, from the daily rollup."""
    rows = session.execute(
        select(
            CallDay.agency_id,
            func.sum(CallDay.billable_minutes),
            func.sum(CallDay.transcribed_seconds),
            func.sum(CallDay.calls),
        )
        .where(CallDay.cycle == str(cycle), _only(CallDay.agency_id, agency_ids))
        .group_by(CallDay.agency_id)
    )
    return {a: CallTotals(int(m or 0), int(t or 0), int(c or 0)) for a, m, t, c in rows}


def minutes_by_cycle(
    session: Session, wanted: dict[str, Sequence[Cycle]]
) -> dict[str, dict[Cycle, int]]:
    """Minutes used in the given closed periods (``agency -> cycles``)."""
    cycles = sorted({str(c) for chosen in wanted.values() for c in chosen})
    if not cycles:
        return {}
    rows = session.execute(
        select(CallDay.agency_id, CallDay.cycle, func.sum(CallDay.billable_minutes))
        .where(CallDay.cycle.in_(cycles), CallDay.agency_id.in_(list(wanted)))  # type: ignore[attr-defined]
        .group_by(CallDay.agency_id, CallDay.cycle)
    )
    result: dict[str, dict[Cycle, int]] = defaultdict(dict)
    for agency_id, cycle, minutes in rows:
        result[agency_id][Cycle.parse(cycle)] = int(minutes or 0)
    return result


def history_periods(agency_users: Iterable[User], cycle: Cycle, first_cycle: Cycle) -> list[tuple[Cycle, int]]:
    """The most recent earlier periods with user-days (cycle, user-days),
    newest first: periods without any are skipped, exactly as the engine
    skips them, so only what it uses is handed over."""
    agency_users = tuple(agency_users)
    found: list[tuple[Cycle, int]] = []
    earlier = cycle.previous()
    while earlier >= first_cycle and len(found) < HISTORY_PERIODS:
        days = user_days(agency_users, earlier.closed_period)
        if days > 0:
            found.append((earlier, days))
        earlier = earlier.previous()
    return found


def usage_history(periods: list[tuple[Cycle, int]], minutes: dict[Cycle, int]) -> tuple[PeriodUsage, ...]:
    return tuple(PeriodUsage(cycle, minutes.get(cycle, 0), days) for cycle, days in periods)


def active_numbers(session: Session, agency_ids: Sequence[str] | None, period: Period) -> dict[str, int]:
    """Distinct dialing numbers active on at least one day of ``period``."""
    rows = session.execute(
        select(DialingNumber.agency_id, func.count(func.distinct(DialingNumber.number)))
        .where(
            _only(DialingNumber.agency_id, agency_ids),
            DialingNumber.active_from <= period.end,
            or_(DialingNumber.active_to.is_(None), DialingNumber.active_to > period.start),  # type: ignore[union-attr]
        )
        .group_by(DialingNumber.agency_id)
    )
    return {agency_id: int(count) for agency_id, count in rows}


def appointment_counts(
    session: Session, agency_ids: Sequence[str] | None, period: Period
) -> dict[str, tuple[int, int]]:
    """(completed, cancelled or no-show) appointments dated in ``period``."""
    rows = session.execute(
        select(Appointment.agency_id, Appointment.status, func.count())
        .where(
            _only(Appointment.agency_id, agency_ids),
            and_(Appointment.day >= period.start, Appointment.day <= period.end),
        )
        .group_by(Appointment.agency_id, Appointment.status)
    )
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for agency_id, status, count in rows:
        counts[agency_id][0 if status == "completed" else 1] += int(count)
    return {agency_id: (c[0], c[1]) for agency_id, c in counts.items()}
