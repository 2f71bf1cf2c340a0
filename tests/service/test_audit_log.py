"""Reading the audit log: whole billing-zone days, filters, newest first, finance only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

import clock
from db import audit
from services.access import AccessDenied
from services.audit_log import audit_events

from .conftest import FINANCE, OPS, account_manager

DAY = date(2026, 11, 26)  # after the seed's own day: only these events fall on it


def _record(sessions, at: datetime, actor: str, action: str, subject: str = "") -> None:
    with sessions() as session, clock.frozen(at):
        audit.record(session, actor=actor, action=action, subject=subject, note="test")


@pytest.fixture
def events(sessions):
    _record(sessions, datetime(2026, 11, 26, 14, 0, tzinfo=UTC), "finance@dialer-billing.example", "record_payment", "A-1001")
    _record(sessions, datetime(2026, 11, 26, 15, 0, tzinfo=UTC), "maria.lopez@dialer-billing.example", "add_contract", "A-1002")
    _record(sessions, datetime(2026, 11, 26, 16, 0, tzinfo=UTC), "finance@dialer-billing.example", "issue_cycle", "2026-11")
    # 23:30 in New York on the 26th, already the 27th in UTC
    _record(sessions, datetime(2026, 11, 27, 4, 30, tzinfo=UTC), "ops@dialer-billing.example", "record_adjustment", "A-1003")
    return sessions


def test_the_audit_log_is_newest_first(events):
    found = audit_events(FINANCE, start=DAY, end=DAY, sessions=events)
    assert [e.subject for e in found] == ["A-1003", "2026-11", "A-1002", "A-1001"]


def test_the_audit_log_reads_whole_days_in_the_billing_time_zone(events):
    late = audit_events(FINANCE, start=DAY, end=DAY, actor="ops@", sessions=events)
    assert [e.subject for e in late] == ["A-1003"]
    assert late[0].at.utcoffset() == timedelta(hours=-5) and late[0].at.date() == DAY
    assert audit_events(FINANCE, start=DAY + timedelta(days=1), end=DAY + timedelta(days=1), sessions=events) == []


def test_the_audit_log_filters_by_part_of_the_action_and_the_actor_ignoring_case(events):
    payments = audit_events(FINANCE, start=DAY, end=DAY, action="  PAYMENT ", sessions=events)
    assert [(e.action, e.subject) for e in payments] == [("record_payment", "A-1001")]
    by_finance = audit_events(FINANCE, start=DAY, end=DAY, actor="Finance@", sessions=events)
    assert [e.action for e in by_finance] == ["issue_cycle", "record_payment"]
    both = audit_events(FINANCE, start=DAY, end=DAY, action="record", actor="finance", sessions=events)
    assert [e.subject for e in both] == ["A-1001"]
    assert '"note": "test"' in both[0].details


def test_only_finance_reads_the_audit_log(events):
    for viewer in (OPS, account_manager("A-1001")):
        with pytest.raises(AccessDenied):
            audit_events(viewer, start=DAY, end=DAY, sessions=events)
