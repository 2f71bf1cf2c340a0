"""Storing calls and keeping the daily rollup in step with them.

Calls are written in bulk (Core ``executemany``, not ORM objects) and the
``call_day`` rollup is incremented in the same transaction with one upsert
per (agency, day) touched, so the rollup can never disagree with the calls
it sums. ``dialer_user.last_call_on`` is advanced for the housekeeping
report ("billed but idle for 30 days").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from billing import Cycle
from billing.usage import billable_minutes

from .models import Call, CallDay, DialerUser


@dataclass(frozen=True)
class NewCall:
    call_id: str
    agency_id: str
    user_id: str
    started_at: datetime
    started_on: date
    duration_seconds: int
    transcribed_seconds: int


@dataclass
class DayTotals:
    calls: int = 0
    billable_minutes: int = 0
    transcribed_seconds: int = 0


def _upsert(session: Session):  # type: ignore[no-untyped-def]
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def add_to_rollup(session: Session, totals: dict[tuple[str, date], DayTotals]) -> None:
    """Add per-(agency, day) sums to ``call_day``, creating rows as needed."""
    if not totals:
        return
    statement = _upsert(session)(CallDay)
    statement = statement.on_conflict_do_update(
        index_elements=["agency_id", "day"],
        set_={
            "calls": CallDay.calls + statement.excluded.calls,
            "billable_minutes": CallDay.billable_minutes + statement.excluded.billable_minutes,
            "transcribed_seconds": CallDay.transcribed_seconds + statement.excluded.transcribed_seconds,
        },
    )
    session.execute(
        statement,
        [
            {
                "agency_id": agency_id,
                "day": day,
                "cycle": str(Cycle.containing(day)),
                "calls": t.calls,
                "billable_minutes": t.billable_minutes,
                "transcribed_seconds": t.transcribed_seconds,
            }
            for (agency_id, day), t in sorted(totals.items())
        ],
    )


def advance_last_call(session: Session, last_calls: dict[tuple[str, str], date]) -> None:
    """Move each user's ``last_call_on`` forward (never back)."""
    if not last_calls:
        return
    users = DialerUser.__table__  # Core table: one executemany, not one ORM round trip per user
    session.execute(
        update(users)
        .where(
            users.c.agency_id == bindparam("a"),
            users.c.user_id == bindparam("u"),
            users.c.last_call_on.is_(None) | (users.c.last_call_on < bindparam("d")),
        )
        .values(last_call_on=bindparam("d")),
        [{"a": a, "u": u, "d": d} for (a, u), d in sorted(last_calls.items())],
    )


def add_calls(session: Session, calls: Sequence[NewCall] | Iterable[NewCall]) -> int:
    """Insert new calls (already de-duplicated) and update the rollup."""
    rows = []
    totals: dict[tuple[str, date], DayTotals] = defaultdict(DayTotals)
    last_calls: dict[tuple[str, str], date] = {}
    for call in calls:
        rows.append(
            {
                "call_id": call.call_id,
                "agency_id": call.agency_id,
                "user_id": call.user_id,
                "started_at": call.started_at,
                "started_on": call.started_on,
                "duration_seconds": call.duration_seconds,
                "transcribed_seconds": call.transcribed_seconds,
            }
        )
        day = totals[(call.agency_id, call.started_on)]
        day.calls += 1
        day.billable_minutes += billable_minutes(call.duration_seconds)
        day.transcribed_seconds += call.transcribed_seconds
        key = (call.agency_id, call.user_id)
        if key not in last_calls or last_calls[key] < call.started_on:
            last_calls[key] = call.started_on
    if rows:
        session.execute(insert(Call), rows)
    add_to_rollup(session, totals)
    advance_last_call(session, last_calls)
    return len(rows)
