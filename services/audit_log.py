"""Reading the audit log (finance only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from db.engine import session_scope
from db.models import AuditEvent

from .access import Permission, Viewer

LIMIT = 2000


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    subject: str
    details: str


def audit_events(viewer: Viewer, *, start: date, end: date, action: str = "", actor: str = "") -> list[AuditEntry]:
    """Newest first, between ``start`` and ``end`` (inclusive, UTC days)."""
    viewer.require(Permission.VIEW_AUDIT)
    since = datetime.combine(start, time.min, tzinfo=timezone.utc)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=timezone.utc)
    query = select(AuditEvent).where(AuditEvent.at >= since, AuditEvent.at < until)
    if action.strip():
        query = query.where(AuditEvent.action.contains(action.strip().lower()))  # type: ignore[attr-defined]
    if actor.strip():
        query = query.where(AuditEvent.actor.contains(actor.strip().lower()))  # type: ignore[attr-defined]
    with session_scope() as session:
        rows = session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(LIMIT))  # type: ignore[union-attr]
        return [AuditEntry(r.at, r.actor, r.action, r.subject, r.details) for r in rows]
