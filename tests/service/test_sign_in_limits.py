"""Guessing passwords: every attempt is counted before it is checked, so
thirty attempts sent at once get at most five passwords evaluated, on
SQLite and PostgreSQL; old attempts are pruned."""

from __future__ import annotations

import threading
from datetime import timedelta

import bcrypt
import pytest
import time_machine
from sqlalchemy import func, select

import clock
from db import accounts as stored_accounts
from db.engine import dispose_engines, get_engine
from db.models import LoginFailure
from services import accounts
from services.access import Role, Viewer
from services.errors import FieldError
from services.unit_of_work import sessions_for

FINANCE = Viewer("finance@test.example", "Finance", Role.FINANCE)
EMAIL, PASSWORD = "ops@test.example", "the-right-password"


@pytest.fixture
def sessions(database_url):
    factory = sessions_for(get_engine(database_url))
    accounts.add_account(FINANCE, email=EMAIL, role="ops", password=PASSWORD, sessions=factory)
    yield factory
    dispose_engines()


def _failures(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(LoginFailure)) or 0


def test_thirty_attempts_at_once_get_at_most_five_passwords_evaluated(sessions, monkeypatch):
    evaluated = []
    real_check = bcrypt.checkpw
    monkeypatch.setattr(stored_accounts.bcrypt, "checkpw", lambda *a: evaluated.append(1) or real_check(*a))
    outcomes: list[str] = []
    start = threading.Barrier(30)

    def attempt(index: int) -> None:
        start.wait()
        try:
            accounts.sign_in_with_password(EMAIL, PASSWORD if index == 29 else f"wrong-{index}", client="10.0.0.9",
                                           sessions=sessions)
            outcomes.append("signed in")
        except FieldError as error:
            outcomes.append(error.problem)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == 30
    assert len(evaluated) <= stored_accounts.MAX_FAILURES, f"{len(evaluated)} passwords evaluated"
    assert outcomes.count("too many wrong passwords; try again in 15 minutes") >= 30 - stored_accounts.MAX_FAILURES


def test_one_client_trying_many_emails_is_stopped_too(sessions):
    for index in range(stored_accounts.MAX_PER_CLIENT):
        with pytest.raises(FieldError, match="wrong e-mail or password"):
            accounts.sign_in_with_password(f"someone-{index}@test.example", "guess-guess", client="10.0.0.7", sessions=sessions)
    with pytest.raises(FieldError, match="too many wrong passwords"):
        accounts.sign_in_with_password(EMAIL, PASSWORD, client="10.0.0.7", sessions=sessions)
    assert accounts.sign_in_with_password(EMAIL, PASSWORD, client="10.0.0.8", sessions=sessions).role is Role.OPS


def test_attempts_older_than_the_window_are_pruned(sessions):
    for _ in range(3):
        with pytest.raises(FieldError):
            accounts.sign_in_with_password(EMAIL, "wrong-password", client="10.0.0.5", sessions=sessions)
    assert _failures(sessions) == 3
    with time_machine.travel(clock.real_now() + stored_accounts.LOCKOUT + timedelta(minutes=1)), pytest.raises(FieldError):
        accounts.sign_in_with_password("other@test.example", "wrong-password", client="10.0.0.6", sessions=sessions)
    assert _failures(sessions) == 1, "only the new attempt is left"


def test_a_right_password_clears_the_emails_attempts(sessions):
    with pytest.raises(FieldError):
        accounts.sign_in_with_password(EMAIL, "wrong-password", sessions=sessions)
    assert _failures(sessions) == 1
    accounts.sign_in_with_password(EMAIL, PASSWORD, sessions=sessions)
    assert _failures(sessions) == 0


def test_sign_ins_failed_sign_ins_and_lockouts_are_in_the_audit_log_in_words(sessions):
    from datetime import date

    from services.audit_log import audit_events

    with pytest.raises(FieldError):
        accounts.sign_in_with_password(EMAIL, "wrong-password", client="10.0.0.3", sessions=sessions)
    accounts.sign_in_with_password(EMAIL, PASSWORD, client="10.0.0.3", sessions=sessions)
    for _ in range(stored_accounts.MAX_FAILURES + 1):
        with pytest.raises(FieldError):
            accounts.sign_in_with_password(EMAIL, "wrong-password", client="10.0.0.4", sessions=sessions)
    today = clock.today()
    events = audit_events(FINANCE, start=date(today.year - 1, 1, 1), end=today, action="sign_in", sessions=sessions)
    actions = [e.action for e in reversed(events)]
    assert actions[:2] == ["sign_in_failed", "sign_in"] and actions[-1] == "sign_in_locked"
    from services.audit_log import sentence
    assert sentence(events[0].action, events[0].subject, events[0].details) == f"was refused signing in as {EMAIL}: too many attempts"
    assert "wrong-password" not in "".join(e.details for e in events), "no password is ever written down"
