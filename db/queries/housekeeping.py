"""What an agency could tidy up before the cutoff: users billed but idle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlmodel import Session

from ..models import AccessSpan, DialerUser


@dataclass(frozen=True)
class IdleUser:
    user_id: str
    name: str
    last_call_on: date | None  # None: no calls yet


def idle_users(*, session: Session, agency_ids: Sequence[str], today: date, idle_before: date) -> dict[str, tuple[IdleUser, ...]]:
    """Users with access on ``today`` whose last call is before ``idle_before``
    (or who never called), per agency, longest idle first."""
    active_now = (
        select(AccessSpan.agency_id, AccessSpan.user_id)
        .where(AccessSpan.start_on <= today, or_(AccessSpan.end_on.is_(None), AccessSpan.end_on > today))  # type: ignore[union-attr]
        .subquery()
    )
    rows = session.execute(
        select(DialerUser.agency_id, DialerUser.user_id, DialerUser.name, DialerUser.last_call_on)
        .join(active_now, (active_now.c.agency_id == DialerUser.agency_id) & (active_now.c.user_id == DialerUser.user_id))
        .where(
            DialerUser.agency_id.in_(list(agency_ids)),  # type: ignore[attr-defined]
            or_(DialerUser.last_call_on.is_(None), DialerUser.last_call_on < idle_before),  # type: ignore[union-attr]
        )
        .order_by(DialerUser.agency_id, DialerUser.last_call_on)
    ).all()
    found: dict[str, list[IdleUser]] = {}
    for agency_id, user_id, name, last in rows:
        found.setdefault(agency_id, []).append(IdleUser(user_id, name, last))
    return {agency_id: tuple(users) for agency_id, users in found.items()}
