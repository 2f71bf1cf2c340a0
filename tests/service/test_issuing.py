"""Issuing a cycle: after its cutoff, once, agency by agency in order."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

import clock
from services.access import AccessDenied
from services.audit_log import audit_events
from services.errors import BillingError, FieldError
from services.issuing import issue_cycle, issue_cycle_now
from services.previews import preview_cycle

from .conftest import FINANCE, NOVEMBER, OPS, TODAY

DECEMBER = NOVEMBER.next()



@pytest.fixture(autouse=True)
def _approval_not_required(monkeypatch):
    """These tests are about issuing itself (cutoff, order, numbering, idempotence);
    issuing that waits for approval is tests/service/test_review.py."""
    monkeypatch.setenv("BILLING_APPROVAL_REQUIRED", "0")

def test_issuing_is_refused_before_the_cutoff_has_passed(sessions):
    with pytest.raises(BillingError, match="cannot be issued before its cutoff has passed"):
        issue_cycle(NOVEMBER, actor="test", today=NOVEMBER.cutoff, sessions=sessions)
    assert not any(p.is_issued for p in preview_cycle(NOVEMBER, sessions=sessions).previews.values())


def test_issuing_the_day_after_the_cutoff_issues_every_agency_numbered_in_order(sessions):
    pending = preview_cycle(NOVEMBER, sessions=sessions).previews
    result = issue_cycle(NOVEMBER, actor="test", today=NOVEMBER.cutoff + timedelta(days=1), sessions=sessions)
    assert [agency for agency, _, _ in result.issued] == sorted(pending)
    assert [number for _, number, _ in result.issued] == [f"INV-2026-11-{i:04d}" for i in range(1, len(pending) + 1)]
    assert result.issued_total == sum(p.total for p in pending.values()) and not result.skipped
    frozen = preview_cycle(NOVEMBER, sessions=sessions).previews
    assert all(p.is_issued and p.issued.hash_verified for p in frozen.values())
    assert {a: p.snapshot for a, p in frozen.items()} == {a: p.snapshot for a, p in pending.items()}


def test_issuing_twice_issues_nothing_new(sessions):
    first = issue_cycle(NOVEMBER, actor="test", today=TODAY, sessions=sessions)
    again = issue_cycle(NOVEMBER, actor="test", today=TODAY, sessions=sessions)
    assert first.issued and again.issued == [] and again.skipped == {}
    assert again.already_issued == len(first.issued)


def test_an_agency_whose_previous_cycle_is_not_issued_is_skipped_with_a_reason(sessions):
    december_issuing_day = DECEMBER.cutoff + timedelta(days=1)
    with clock.frozen(datetime.combine(december_issuing_day, time(6, 0), tzinfo=UTC)):
        result = issue_cycle(DECEMBER, actor="test", today=december_issuing_day, sessions=sessions)
        assert result.issued == [] and result.skipped
        assert set(result.skipped.values()) == {"cycle 2026-11 is not issued yet; issue it first"}
        issue_cycle(NOVEMBER, actor="test", today=TODAY, sessions=sessions)
        after = issue_cycle(DECEMBER, actor="test", today=december_issuing_day, sessions=sessions)
    assert {agency for agency, _, _ in after.issued} == set(result.skipped) and not after.skipped


def test_issuing_cannot_be_dated_after_today(sessions, pinned_today):
    with pytest.raises(FieldError, match="is after today"):
        issue_cycle(NOVEMBER, actor="test", today=pinned_today + timedelta(days=1), sessions=sessions)


def test_every_issue_run_leaves_one_audit_entry(sessions, pinned_today):
    result = issue_cycle_now(FINANCE, NOVEMBER, sessions=sessions)
    issue_cycle_now(FINANCE, NOVEMBER, sessions=sessions)
    entries = audit_events(FINANCE, start=pinned_today, end=pinned_today, action="issue_cycle", actor=FINANCE.email,
                           sessions=sessions)
    assert [e.subject for e in entries] == ["2026-11", "2026-11"]
    assert f'"issued": {len(result.issued)}' in entries[1].details and '"issued": 0' in entries[0].details


def test_issuing_now_is_issuing_on_the_billing_day(sessions, monkeypatch):
    monkeypatch.setenv("BILLING_TODAY", date(2026, 11, 23).isoformat())  # the cutoff itself
    with pytest.raises(BillingError, match="cutoff"):
        issue_cycle_now(FINANCE, NOVEMBER, sessions=sessions)


def test_only_finance_may_issue(sessions, pinned_today):
    with pytest.raises(AccessDenied):
        issue_cycle_now(OPS, NOVEMBER, sessions=sessions)
    assert not any(p.is_issued for p in preview_cycle(NOVEMBER, sessions=sessions).previews.values())
