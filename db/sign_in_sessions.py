"""Sign-in sessions: what a browser's cookie token stands for.

Only the token's sha256 is stored. Every function takes the caller's
session; the service (``services.sign_in``) owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlmodel import Session

from .models import SignInSession

PRUNE_AFTER = timedelta(days=31)  # ended or expired rows are kept this long, for the audit trail's sake


@dataclass(frozen=True)
class StoredSession:
    id: int
    email: str
    stamp: str
    last_seen_at: datetime
    ended_at: datetime | None
    ended_because: str | None


def start(session: Session, *, token_hash: str, email: str, stamp: str, client: str, at: datetime) -> None:
    """A new row; rows ended or idle for over a month are pruned on the way."""
    session.execute(delete(SignInSession).where(SignInSession.last_seen_at < at - PRUNE_AFTER))
    session.add(SignInSession(token_hash=token_hash, email=email, stamp=stamp, client=client[:64],
                              started_at=at, last_seen_at=at))


def find(session: Session, *, token_hash: str) -> StoredSession | None:
    row = session.scalars(select(SignInSession).where(SignInSession.token_hash == token_hash)).first()
    if row is None or row.id is None:
        return None
    return StoredSession(row.id, row.email, row.stamp, row.last_seen_at, row.ended_at, row.ended_because)


def touch(session: Session, *, session_id: int, at: datetime) -> None:
    session.execute(update(SignInSession).where(SignInSession.id == session_id).values(last_seen_at=at))


def end(session: Session, *, token_hash: str, at: datetime, because: str) -> str | None:
    """End one session; the account's e-mail, or None when none was open."""
    row = session.scalars(select(SignInSession).where(SignInSession.token_hash == token_hash,
                                                      SignInSession.ended_at.is_(None))).first()  # type: ignore[union-attr]
    if row is None:
        return None
    row.ended_at, row.ended_because = at, because
    session.add(row)
    return row.email


def end_all(session: Session, *, email: str, at: datetime, because: str) -> int:
    """End every open session of an account; how many there were."""
    result = session.execute(
        update(SignInSession)
        .where(SignInSession.email == email, SignInSession.ended_at.is_(None))  # type: ignore[union-attr]
        .values(ended_at=at, ended_because=because)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def open_count(session: Session, *, email: str) -> int:
    return len(list(session.scalars(select(SignInSession.id).where(
        SignInSession.email == email, SignInSession.ended_at.is_(None)))))  # type: ignore[union-attr]
