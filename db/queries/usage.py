"""Minutes used, from the daily rollup (``call_day``), for the minute bank."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from ..models import CallDay


def minutes_between(*, session: Session, agency_ids: Sequence[str] | None, start: date, end: date) -> dict[str, int]:
    """Billable minutes per agency from ``start`` to ``end`` (inclusive days)."""
    only = True if agency_ids is None else CallDay.agency_id.in_(list(agency_ids))  # type: ignore[attr-defined]
    rows = session.execute(
        select(CallDay.agency_id, func.sum(CallDay.billable_minutes))
        .where(only, CallDay.day >= start, CallDay.day <= end).group_by(CallDay.agency_id)
    ).all()
    return {agency_id: int(minutes or 0) for agency_id, minutes in rows}


def daily_minutes(*, session: Session, agency_id: str, start: date, end: date) -> dict[date, int]:
    """One agency's billable minutes per day from ``start`` to ``end`` (days without calls are absent)."""
    rows = session.execute(
        select(CallDay.day, CallDay.billable_minutes)
        .where(CallDay.agency_id == agency_id, CallDay.day >= start, CallDay.day <= end)
    ).all()
    return {day: int(minutes) for day, minutes in rows}
