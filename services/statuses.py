"""Every agency's payment status on a day (``manage.py status``, schedulers).

The statuses come from the engine (:func:`billing.statuses`) over the
stored ledger; the overdue page shapes the same statuses for people
(:mod:`services.overdue`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from billing import AgencyStatus
from db.ledger import agency_statuses

from .unit_of_work import SessionFactory, default_sessions


def payment_statuses(as_of: date, agency_ids: Sequence[str] | None = None, *,
                     sessions: SessionFactory = default_sessions) -> list[AgencyStatus]:
    """Every (or the given) agency's status as of ``as_of``."""
    with sessions() as session:
        return list(agency_statuses(session, as_of, agency_ids))
