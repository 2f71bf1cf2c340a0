"""Every agency's payment status on a day (``manage.py status``, schedulers).

The statuses come from the engine (:func:`billing.statuses`) over the
stored ledger; the overdue page shapes the same statuses for people
(:mod:`services.overdue`).

For the whole portfolio (:func:`statuses_in`) the ledger is read and every
invoice row checked against its content hash on every call, as always; what
is kept (:mod:`services.fact_cache`) is only the engine's walk of each
agency's account, keyed by the agency's fact revision (read before the
ledger), the day and the warning window. Invoices, payments and adjustments
all give the agency a new revision, so a kept status is never stale, and a
row changed behind the triggers' back is still refused by the check.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session

import settings
from billing import AgencyStatus, statuses
from db.ledger import load_ledger

from .fact_cache import CACHE, fact_scope
from .unit_of_work import SessionFactory, default_sessions


def statuses_in(session: Session, as_of: date, agency_ids: Sequence[str] | None = None) -> list[AgencyStatus]:
    """Every (or the given) agency's status on ``as_of``, sorted by agency id:
    the same as :func:`db.ledger.agency_statuses`, walking only the accounts
    whose facts changed since this process last did."""
    scope = fact_scope(session, agency_ids)  # before the ledger: an entry is never older than its key
    invoices, payments = load_ledger(session, agency_ids)
    window = settings.current().warning_days
    if scope is None:
        return statuses(invoices, payments, as_of, warning_days=window)
    present = {i.agency_id for i in invoices} | {p.agency_id for p in payments}
    found, missing = CACHE.get_many({a: scope.key(a, "status", as_of, window) for a in present})
    if missing:
        wanted = set(missing)
        fresh = statuses([i for i in invoices if i.agency_id in wanted], [p for p in payments if p.agency_id in wanted],
                         as_of, warning_days=window)
        CACHE.put_many((scope.key(s.agency_id, "status", as_of, window), s) for s in fresh)
        found.update((s.agency_id, s) for s in fresh)
    return [found[agency_id] for agency_id in sorted(found)]


def payment_statuses(as_of: date, agency_ids: Sequence[str] | None = None, *,
                     sessions: SessionFactory = default_sessions) -> list[AgencyStatus]:
    """Every (or the given) agency's status as of ``as_of``."""
    with sessions() as session:
        return statuses_in(session, as_of, agency_ids)
