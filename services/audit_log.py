"""Reading the audit log (finance only)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from db.queries import audit
from db.queries.audit import AuditEntry

from .access import Permission, Viewer
from .audit_sentences import sentence
from .clock import billing_zone
from .unit_of_work import SessionFactory, default_sessions

LIMIT = 2000

__all__ = ["LIMIT", "AuditEntry", "audit_events", "sentence"]


def audit_events(viewer: Viewer, *, start: date, end: date, action: str = "", actor: str = "",
                 sessions: SessionFactory = default_sessions) -> list[AuditEntry]:
    """Newest first, between ``start`` and ``end`` (inclusive days in the
    billing time zone, the same days as "today" everywhere else); each
    entry's ``at`` is in that zone too. ``action`` and ``actor`` match any
    part, ignoring case; at most :data:`LIMIT` entries."""
    viewer.require(Permission.VIEW_AUDIT)
    zone = ZoneInfo(billing_zone())
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    with sessions() as session:
        entries = audit.audit_events(session=session, since=since, until=until, action=action.strip().lower(),
                                     actor=actor.strip().lower(), limit=LIMIT)
    return [replace(e, at=e.at.astimezone(zone)) for e in entries]
