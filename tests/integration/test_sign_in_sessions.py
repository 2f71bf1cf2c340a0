"""Staying signed in: a session token resumes the same viewer from any tab or
app instance until it is ended by signing out, by inactivity or by a change
to the account; only the token's hash is stored. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

import clock
from db.engine import dispose_engines, get_engine
from db.models import SignInSession
from services import accounts
from services.access import Role, Viewer
from services.sign_in_sessions import SessionEnded, end_every_session, end_session, resume_session, start_session
from services.unit_of_work import sessions_for

FINANCE = Viewer("finance@test.example", "Finance", Role.FINANCE)
EMAIL, PASSWORD = "ops@test.example", "the-right-password"


@pytest.fixture
def sessions(database_url):
    factory = sessions_for(get_engine(database_url))
    accounts.add_account(FINANCE, email=EMAIL, role="ops", password=PASSWORD, sessions=factory)
    yield factory
    dispose_engines()


def _signed_in(sessions) -> tuple[Viewer, str]:  # type: ignore[no-untyped-def]
    viewer = accounts.sign_in_with_password(EMAIL, PASSWORD, sessions=sessions)
    return viewer, start_session(viewer, client="127.0.0.1", sessions=sessions)


def test_a_token_resumes_the_same_viewer_anywhere(sessions):
    viewer, token = _signed_in(sessions)
    again = resume_session(token, sessions=sessions)
    assert again == viewer and again.role is Role.OPS


def test_only_the_hash_of_the_token_is_stored(sessions):
    _, token = _signed_in(sessions)
    with sessions() as session:
        stored = session.scalars(select(SignInSession.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()] and token not in stored


def test_an_unknown_or_forged_token_signs_nobody_in(sessions):
    _signed_in(sessions)
    for token in ("", "x" * 43, "x" * 5000):
        with pytest.raises(SessionEnded, match="Sign in"):
            resume_session(token, sessions=sessions)


def test_signing_out_ends_the_session_in_every_tab(sessions):
    _, token = _signed_in(sessions)
    end_session(token, sessions=sessions)
    with pytest.raises(SessionEnded, match="You signed out"):
        resume_session(token, sessions=sessions)


def test_signing_out_everywhere_ends_every_device(sessions):
    viewer, laptop = _signed_in(sessions)
    _, phone = _signed_in(sessions)
    assert end_every_session(viewer, sessions=sessions) == 2
    for token in (laptop, phone):
        with pytest.raises(SessionEnded, match="every device"):
            resume_session(token, sessions=sessions)


@pytest.mark.parametrize("change", ["role", "password"])
def test_an_account_change_ends_its_sessions(sessions, change):
    _, token = _signed_in(sessions)
    if change == "role":
        accounts.set_role(FINANCE, email=EMAIL, role="finance", sessions=sessions)
    else:
        accounts.set_password(FINANCE, email=EMAIL, password="another-good-password", sessions=sessions)
    with pytest.raises(SessionEnded, match="account changed"):
        resume_session(token, sessions=sessions)


def test_a_session_ends_after_the_configured_hours_without_activity(sessions, monkeypatch):
    monkeypatch.setenv("BILLING_SESSION_HOURS", "2")
    _, token = _signed_in(sessions)
    start = clock.real_now()
    with time_machine.travel(start + timedelta(hours=1, minutes=50), tick=False):
        resume_session(token, sessions=sessions)  # activity moves the limit on
    with time_machine.travel(start + timedelta(hours=3, minutes=40), tick=False):
        resume_session(token, sessions=sessions)
    with (time_machine.travel(start + timedelta(hours=5, minutes=41), tick=False),
          pytest.raises(SessionEnded, match="2 hours without activity")):
        resume_session(token, sessions=sessions)
    with pytest.raises(SessionEnded, match="2 hours without activity"):  # and it stays ended
        resume_session(token, sessions=sessions)
