"""Every agency's payment status on a day (``manage.py status``, schedulers).

The statuses come from the engine (:func:`billing.statuses`) over the
stored ledger; the overdue page shapes the same statuses for people
(:mod:`services.overdue`).

For the whole portfolio (:func:`statuses_in`) every issued invoice row is
read and checked against its content hash on every call, as always; what is
kept (:mod:`services.fact_cache`) is each agency's status, keyed by the
agency's fact revision (read before the ledger), the day and the warning
window, and the rest of the ledger (payments, adjustments) is read only for
the agencies whose status is not kept. Invoices, payments and adjustments
all give the agency a new revision, so a kept status is never stale, and a
row changed behind the triggers' back is still refused by the check.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session

import settings
from billing import AgencyStatus, statuses
from db.ledger import check_ledger_invoices, load_ledger

from .fact_cache import CACHE, fact_scope
from .unit_of_work import SessionFactory, default_sessions

FEW = 500  # agencies whose ledger is read by id when their statuses are not kept
NO_STATUS = ("no status",)  # a cache value: None is not one (services.fact_cache)


def statuses_in(session: Session, as_of: date, agency_ids: Sequence[str] | None = None) -> list[AgencyStatus]:
    """Every (or the given) agency's status on ``as_of``, sorted by agency id:
    the same as :func:`db.ledger.agency_statuses`, walking only the accounts
    whose facts changed since this process last did."""
    scope = fact_scope(session, agency_ids)  # before the ledger: an entry is never older than its key
    window = settings.current().warning_days
    if scope is None:
        invoices, payments = load_ledger(session, agency_ids)
        return statuses(invoices, payments, as_of, warning_days=window)
    check_ledger_invoices(session, agency_ids)  # every read: a row changed behind the triggers' back is refused
    keys = {agency_id: scope.key(agency_id, "status", as_of, window) for agency_id in scope.agency_ids}
    found, missing = CACHE.get_many(keys)
    if missing:
        wanted = set(missing)
        # A few agencies are read by id; many, with the rest (one IN list per agency would not scale).
        invoices, payments = load_ledger(session, missing if len(missing) <= FEW else agency_ids)
        fresh = {s.agency_id: s for s in statuses([i for i in invoices if i.agency_id in wanted],
                                                  [p for p in payments if p.agency_id in wanted],
                                                  as_of, warning_days=window)}
        # An agency with nothing in its ledger has no status: kept as such, so it is not read again.
        CACHE.put_many((keys[agency_id], fresh.get(agency_id, NO_STATUS)) for agency_id in missing)
        found.update((agency_id, fresh.get(agency_id, NO_STATUS)) for agency_id in missing)
    return [status for _, status in sorted(found.items()) if status is not NO_STATUS]


def payment_statuses(as_of: date, agency_ids: Sequence[str] | None = None, *,
                     sessions: SessionFactory = default_sessions) -> list[AgencyStatus]:
    """Every (or the given) agency's status as of ``as_of``."""
    with sessions() as session:
        return statuses_in(session, as_of, agency_ids)
