"""Housekeeping before the cutoff: who is billed but idle, seats under the minimum."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from db.models import AccessSpan, DialerUser
from services.access import AccessDenied
from services.housekeeping import IDLE_DAYS, housekeeping

from .conftest import FINANCE, OPS, TODAY, account_manager


def _user(session, user_id: str, last_call_on: date | None, start: date, end: date | None = None) -> None:
    session.add(DialerUser(agency_id="A-1001", user_id=user_id, name=user_id.title(), last_call_on=last_call_on))
    session.add(AccessSpan(agency_id="A-1001", user_id=user_id, activated_at=datetime.combine(start, datetime.min.time(), UTC),
                           start_on=start, end_on=end))


def _row(rows, agency_id: str):
    (row,) = [r for r in rows if r.agency_id == agency_id]
    return row


def test_a_user_with_access_and_no_call_for_thirty_days_is_idle(sessions):
    before = _row(housekeeping(FINANCE, TODAY, sessions=sessions), "A-1001")
    with sessions() as session:
        _user(session, "idle-1", TODAY - timedelta(days=IDLE_DAYS + 1), date(2026, 1, 5))
        _user(session, "never-1", None, date(2026, 11, 2))
        _user(session, "busy-1", TODAY - timedelta(days=IDLE_DAYS - 1), date(2026, 1, 5))
        _user(session, "gone-1", TODAY - timedelta(days=60), date(2026, 1, 5), end=date(2026, 11, 1))
    after = _row(housekeeping(FINANCE, TODAY, sessions=sessions), "A-1001")
    added = set(after.idle_users) - set(before.idle_users)
    assert added == {"idle-1 (Idle-1), last call 2026-10-25", "never-1 (Never-1), no calls yet"}
    assert after.active_users == before.active_users + 3  # idle, never and busy hold a seat today; gone does not


def test_every_visible_agency_has_a_row_with_the_minimum_of_the_contract_in_force(sessions):
    rows = housekeeping(FINANCE, TODAY, sessions=sessions)
    assert [r.agency_id for r in rows] == [f"A-{1001 + i}" for i in range(8)]
    for row in rows:
        assert row.free_seats_under_minimum == max(0, row.minimum_users - row.active_users)
    with_contract = [r for r in rows if r.minimum_users]
    assert with_contract and all(r.active_users > 0 for r in with_contract)
    # an agency whose contract starts later (onboarded after today) has no minimum and nobody active yet
    assert all(r.active_users == 0 and not r.cleaning_contracted for r in rows if not r.minimum_users)


def test_an_account_manager_sees_only_their_agencies(sessions):
    assert [r.agency_id for r in housekeeping(account_manager("A-1002", "A-1004"), TODAY, sessions=sessions)] == ["A-1002", "A-1004"]


def test_ops_may_not_see_housekeeping(sessions):
    with pytest.raises(AccessDenied):
        housekeeping(OPS, TODAY, sessions=sessions)
