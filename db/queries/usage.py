"""Minutes used, from the daily rollup (``call_day``), for the minute bank."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from ..models import Agency, CallDay


def minutes_between(*, session: Session, agency_ids: Sequence[str] | None, start: date, end: date) -> dict[str, int]:
    """Billable minutes per agency from ``start`` to ``end`` (inclusive days).

    Joined from the agencies, so each agency's days are one range of the
    primary key (agency_id, day): filtering the rollup by day alone scanned
    every row of 14 months (0.45 s against 0.06 s at 5,000 agencies on SQLite)."""
    only = True if agency_ids is None else col(Agency.id).in_(list(agency_ids))
    rows = session.execute(
        select(col(Agency.id), func.sum(CallDay.billable_minutes))
        .join(CallDay, and_(col(CallDay.agency_id) == col(Agency.id), col(CallDay.day) >= start, col(CallDay.day) <= end))
        .where(only).group_by(col(Agency.id))
    ).all()
    return {agency_id: int(minutes or 0) for agency_id, minutes in rows}


def daily_minutes(*, session: Session, agency_id: str, start: date, end: date) -> dict[date, int]:
    """One agency's billable minutes per day from ``start`` to ``end`` (days without calls are absent)."""
    rows = session.execute(
        select(CallDay.day, CallDay.billable_minutes)
        .where(CallDay.agency_id == agency_id, CallDay.day >= start, CallDay.day <= end)
    ).all()
    return {day: int(minutes) for day, minutes in rows}
