"""Housekeeping before the cutoff (reminders on the 18th and 22nd).

What an agency can still tidy up before its usage and configuration are
final: users who are billed but have not dialed for 30 days, seats paid
under the contract minimum that nobody uses, and numbers that will be billed
for cleaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from billing import Cycle
from billing.seats import headcount_on
from db import facts as stored
from db.queries.agencies import AgencyRecord, agency_records, contract_terms_in_force
from db.queries.housekeeping import idle_users

from .access import Permission, Viewer
from .fact_cache import CACHE, fact_scope
from .unit_of_work import SessionFactory, default_sessions

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


def housekeeping(viewer: Viewer, today: date, *, sessions: SessionFactory = default_sessions) -> list[Housekeeping]:
    """One row per agency for the cycle whose period runs on ``today``.

    Each agency's row is kept by its fact revision (:mod:`services.fact_cache`):
    its users and their spans, contract, numbers and calls (through the
    ``call_day`` rollup every calls import writes with ``last_call_on``) all
    give it a new revision, so only agencies whose facts changed are read again.
    """
    viewer.require(Permission.VIEW_CALENDAR)
    with sessions() as session:
        scope = fact_scope(session, viewer.scope)  # before the facts: an entry is never older than its key
        agencies = agency_records(session=session, agency_ids=viewer.scope)
        keys = {a.id: scope.key(a.id, "housekeeping", today) if scope else None for a in agencies}
        found, missing = CACHE.get_many(keys)
        if missing:
            fresh = _read(session, [a for a in agencies if a.id in set(missing)], today)
            CACHE.put_many((keys[row.agency_id], row) for row in fresh)
            found.update((row.agency_id, row) for row in fresh)
    return [found[a.id] for a in agencies]


def _read(session: Session, agencies: list[AgencyRecord], today: date) -> list[Housekeeping]:
    cycle = Cycle.containing(today)
    ids = [a.id for a in agencies]
    users = stored.users(session, ids)
    contracts = contract_terms_in_force(session=session, agency_ids=ids, on=cycle.invoice_date)
    numbers = stored.active_numbers(session, ids, cycle.closed_period)
    idle = idle_users(session=session, agency_ids=ids, today=today, idle_before=today - timedelta(days=IDLE_DAYS))
    rows = []
    for agency in agencies:
        contract = contracts.get(agency.id)
        rows.append(Housekeeping(
            agency_id=agency.id, name=agency.name,
            active_users=headcount_on(users.get(agency.id, ()), today),
            minimum_users=contract.minimum_users if contract else 0,
            idle_users=tuple(
                f"{u.user_id} ({u.name}), " + (f"last call {u.last_call_on.isoformat()}" if u.last_call_on else "no calls yet")
                for u in idle.get(agency.id, ())
            ),
            numbers_to_clean=numbers.get(agency.id, 0),
            cleaning_contracted=bool(contract and contract.number_cleaning_rate is not None),
        ))
    return rows
