"""Reading the audit log (writing it is :mod:`db.audit`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from ..models import AuditEvent


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    subject: str
    details: str  # JSON text, as recorded


def audit_events(*, session: Session, since: datetime, until: datetime, action: str, actor: str, limit: int) -> list[AuditEntry]:
    """Events at ``since`` or later and before ``until``, newest first, at
    most ``limit``; ``action`` and ``actor`` (lower case, may be empty) must
    be contained in the event's action and actor."""
    query = select(AuditEvent).where(AuditEvent.at >= since, AuditEvent.at < until)
    if action:
        query = query.where(AuditEvent.action.contains(action))  # type: ignore[attr-defined]
    if actor:
        query = query.where(AuditEvent.actor.contains(actor))  # type: ignore[attr-defined]
    rows = session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))  # type: ignore[union-attr]
    return [AuditEntry(r.at, r.actor, r.action, r.subject, r.details) for r in rows]
