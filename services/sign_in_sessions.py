"""Staying signed in: a reload, a new tab or a pasted deep link keeps the
person signed in until they sign out, stop using the app for
``BILLING_SESSION_HOURS``, or their account changes.

The browser holds a random token in a cookie; the database holds only its
sha256 (``db.sign_in_sessions``), so the sessions work across every app
instance sharing the database and can be ended from any of them. Expiry
runs on real time (``clock.real_now``), never on a pinned demo day.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

import clock
import settings
from db import audit
from db import sign_in_sessions as store

from .access import Viewer
from .accounts import viewer_for_email
from .errors import BillingError
from .unit_of_work import SessionFactory, default_sessions

TOUCH_EVERY = timedelta(minutes=1)  # how stale last_seen_at may get: one write a minute, not one per click
log = logging.getLogger(__name__)


class SessionEnded(BillingError):
    """The cookie's session cannot go on; the message says why, for the sign-in screen."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(hours=settings.current().session_hours)


def start_session(viewer: Viewer, *, client: str = "", sessions: SessionFactory = default_sessions) -> str:
    """A new session for a viewer who has just signed in; the token for the cookie."""
    token = secrets.token_urlsafe(32)
    with sessions() as session:
        store.start(session, token_hash=_hash(token), email=viewer.email, stamp=viewer.stamp, client=client,
                    at=clock.real_now())
    return token


def resume_session(token: str, *, sessions: SessionFactory = default_sessions) -> Viewer:
    """The viewer a cookie's token stands for, or :class:`SessionEnded`."""
    if not token or len(token) > 200:
        raise SessionEnded("Sign in to go on.")
    now = clock.real_now()
    with sessions() as session:
        row = store.find(session, token_hash=_hash(token))
        if row is None:
            raise SessionEnded("Sign in to go on.")
        if row.ended_at is not None:
            raise SessionEnded(_ended_sentence(row.ended_because))
        if now - row.last_seen_at > idle_limit():
            store.end(session, token_hash=_hash(token), at=now, because="inactive")
            audit.record(session, actor=row.email, action="session_expired", subject=row.email)
            ended: str | None = "inactive"
        else:
            ended = None
            if now - row.last_seen_at > TOUCH_EVERY:
                store.touch(session, session_id=row.id, at=now)
    if ended:
        raise SessionEnded(_ended_sentence(ended))
    viewer = viewer_for_email(row.email, sessions=sessions)
    if viewer is None or viewer.stamp != row.stamp:
        with sessions() as session:
            store.end_all(session, email=row.email, at=now, because="account changed")
        raise SessionEnded(_ended_sentence("account changed"))
    return viewer


def _ended_sentence(because: str | None) -> str:
    hours = settings.current().session_hours
    return {
        "signed out": "You signed out. Sign in again to go on.",
        "signed out everywhere": "You signed out on every device. Sign in again to go on.",
        "inactive": f"You were signed out after {hours} hour{'s' if hours != 1 else ''} without activity. "
                    "Sign in again to go on.",
        "account changed": "Your account changed (role, agencies or password); sign in again to go on.",
    }.get(because or "", "Sign in to go on.")


def end_session(token: str, *, sessions: SessionFactory = default_sessions) -> None:
    """Sign out this browser (every tab shares its cookie)."""
    with sessions() as session:
        email = store.end(session, token_hash=_hash(token), at=clock.real_now(), because="signed out")
        if email:
            audit.record(session, actor=email, action="sign_out", subject=email)


def end_every_session(viewer: Viewer, *, sessions: SessionFactory = default_sessions) -> int:
    """Sign out every browser and device of the viewer's account; how many sessions were open."""
    with sessions() as session:
        count = store.end_all(session, email=viewer.email, at=clock.real_now(), because="signed out everywhere")
        audit.record(session, actor=viewer.email, action="sign_out_everywhere", subject=viewer.email, sessions=count)
    log.info("signed out everywhere: %s (%d sessions)", viewer.email, count)
    return count
