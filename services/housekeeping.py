"""Housekeeping before the cutoff (reminders on the 18th and 22nd).

What an agency can still tidy up before its usage and configuration are
final: users who are billed but have not dialed for 30 days, seats paid
under the contract minimum that nobody uses, and numbers that will be billed
for cleaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select

from billing import Cycle
from billing.seats import headcount_on
from db import facts as stored
from db.engine import session_scope
from db.models import AccessSpan, DialerUser

from .access import Permission, Viewer

IDLE_DAYS = 30


@dataclass(frozen=True)
class Housekeeping:
    agency_id: str
    name: str
    active_users: int
    minimum_users: int
    idle_users: tuple[str, ...]  # "u12 (Maria Lopez), last call 2026-09-30"
    numbers_to_clean: int
    cleaning_contracted: bool

    @property
    def free_seats_under_minimum(self) -> int:
        return max(0, self.minimum_users - self.active_users)


def housekeeping(viewer: Viewer, today: date) -> list[Housekeeping]:
    """One row per agency for the cycle whose period runs on ``today``."""
    viewer.require(Permission.VIEW_CALENDAR)
    agency_ids = viewer.scope
    cycle = Cycle.containing(today)
    period = cycle.closed_period
    idle_before = today - timedelta(days=IDLE_DAYS)
    with session_scope() as session:
        agencies = stored.agencies(session, agency_ids)
        ids = [a.id for a in agencies]
        users = stored.users(session, ids)
        contracts = stored.contracts_in_force(session, ids, cycle.invoice_date)
        numbers = stored.active_numbers(session, ids, period)
        active_now = (
            select(AccessSpan.agency_id, AccessSpan.user_id)
            .where(AccessSpan.start_on <= today, or_(AccessSpan.end_on.is_(None), AccessSpan.end_on > today))  # type: ignore[union-attr]
            .subquery()
        )
        idle_rows = session.execute(
            select(DialerUser.agency_id, DialerUser.user_id, DialerUser.name, DialerUser.last_call_on)
            .join(active_now, (active_now.c.agency_id == DialerUser.agency_id) & (active_now.c.user_id == DialerUser.user_id))
            .where(
                DialerUser.agency_id.in_(ids),
                or_(DialerUser.last_call_on.is_(None), DialerUser.last_call_on < idle_before),  # type: ignore[union-attr]
            )
            .order_by(DialerUser.agency_id, DialerUser.last_call_on)
        ).all()
    idle: dict[str, list[str]] = {}
    for agency_id, user_id, name, last in idle_rows:
        when = f"last call {last.isoformat()}" if last else "no calls yet"
        idle.setdefault(agency_id, []).append(f"{user_id} ({name}), {when}")
    rows = []
    for agency in agencies:
        contract = contracts.get(agency.id)
        rows.append(Housekeeping(
            agency_id=agency.id, name=agency.name,
            active_users=headcount_on(users.get(agency.id, ()), today),
            minimum_users=contract.minimum_users if contract else 0,
            idle_users=tuple(idle.get(agency.id, ())),
            numbers_to_clean=numbers.get(agency.id, 0),
            cleaning_contracted=bool(contract and contract.number_cleaning_rate is not None),
        ))
    return rows
