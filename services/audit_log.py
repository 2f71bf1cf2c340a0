"""Reading the audit log (finance only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from db.engine import session_scope
from db.models import AuditEvent

from .access import Permission, Viewer
from .clock import billing_zone

LIMIT = 2000


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    subject: str
    details: str


def audit_events(viewer: Viewer, *, start: date, end: date, action: str = "", actor: str = "") -> list[AuditEntry]:
    """Newest first, between ``start`` and ``end`` (inclusive days in the
    billing time zone, the same days as "today" everywhere else); each
    entry's ``at`` is in that zone too."""
    viewer.require(Permission.VIEW_AUDIT)
    zone = ZoneInfo(billing_zone())
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    query = select(AuditEvent).where(AuditEvent.at >= since, AuditEvent.at < until)
    if action.strip():
        query = query.where(AuditEvent.action.contains(action.strip().lower()))  # type: ignore[attr-defined]
    if actor.strip():
        query = query.where(AuditEvent.actor.contains(actor.strip().lower()))  # type: ignore[attr-defined]
    with session_scope() as session:
        rows = session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(LIMIT))  # type: ignore[union-attr]
        return [AuditEntry(r.at.astimezone(zone), r.actor, r.action, r.subject, r.details) for r in rows]
