"""Every agency's payment status on a day (``manage.py status``, schedulers).

The statuses come from the engine (:func:`billing.statuses`) over the
stored ledger; the overdue page shapes the same statuses for people
(:mod:`services.overdue`). The portfolio's statuses are kept in
:mod:`services.fact_cache` by each agency's fact revision, the day and the
warning window (:func:`statuses_in`): an agency's status depends on its own
invoices, payments and adjustments only, each of which renews its revision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from sqlmodel import Session

import settings
from billing import AgencyStatus
from db.ledger import agency_statuses

from . import fact_cache
from .unit_of_work import SessionFactory, default_sessions

NO_STATUS = object()  # cached: nothing in this agency's ledger at that revision


def _copy(status: AgencyStatus) -> AgencyStatus:
    return replace(status, paid=dict(status.paid))  # the one mutable field: never shared with the cache


def statuses_in(session: Session, as_of: date, agency_ids: Sequence[str] | None = None) -> list[AgencyStatus]:
    """:func:`db.ledger.agency_statuses` of these (or all) agencies, taking
    what this process computed at the same revisions, day and warning window.

    Every ledger row it reads is checked against its content hash, as there;
    an entry found here was computed from rows checked when it was stored.
    """
    scope = fact_cache.fact_scope(session, agency_ids)  # the revisions first: every ledger row read after them is as new
    window = settings.current().warning_days
    if scope is None:
        return agency_statuses(session, as_of, agency_ids, warning_days=window)
    keys = {a: scope.key(a, "status", as_of, window) for a in scope.agency_ids}
    found, missing = fact_cache.CACHE.get_many(keys)
    computed: dict[str, AgencyStatus] = {}
    if missing:
        every = agency_ids is None and len(missing) == len(keys)  # cold: no list of ids to send
        computed = {s.agency_id: s for s in agency_statuses(session, as_of, None if every else missing,
                                                             warning_days=window)}
        fact_cache.CACHE.put_many((keys[a], _copy(computed[a]) if a in computed else NO_STATUS) for a in missing)
    merged = {**{a: _copy(s) for a, s in found.items() if s is not NO_STATUS}, **computed}
    return [merged[a] for a in sorted(merged)]


def payment_statuses(as_of: date, agency_ids: Sequence[str] | None = None, *,
                     sessions: SessionFactory = default_sessions) -> list[AgencyStatus]:
    """Every (or the given) agency's status as of ``as_of``."""
    with sessions() as session:
        return statuses_in(session, as_of, agency_ids)
