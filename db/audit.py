"""The audit log: who did what, when, written in the same transaction as
the change itself, so a change without its record cannot exist."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from .models import AuditEvent


def record(session: Session, *, actor: str, action: str, subject: str = "", **details: Any) -> None:
    session.add(
        AuditEvent(
            actor=actor,
            action=action,
            subject=subject,
            details=json.dumps(details, default=str, sort_keys=True, ensure_ascii=False),
        )
    )
