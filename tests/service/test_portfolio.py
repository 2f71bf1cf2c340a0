"""The portfolio of a cycle and the overview: every agency's invoice, in the viewer's scope."""

from __future__ import annotations

import pytest

from services.access import AccessDenied
from services.issuing import issue_cycle
from services.minute_bank import runways
from services.portfolio import agencies, overview, portfolio
from services.previews import preview_cycle
from services.statuses import payment_statuses

from .conftest import FINANCE, NOVEMBER, OCTOBER, OPS, TODAY, account_manager


@pytest.fixture(autouse=True)
def _approval_not_required(monkeypatch):
    """These tests are about issuing itself (cutoff, order, numbering, idempotence);
    issuing that waits for approval is tests/service/test_review.py."""
    monkeypatch.setenv("BILLING_APPROVAL_REQUIRED", "0")

def test_the_portfolio_shows_each_invoice_with_the_previous_total_beside_it(sessions):
    folio = portfolio(FINANCE, NOVEMBER, sessions=sessions)
    current = preview_cycle(NOVEMBER, sessions=sessions).previews
    previous = preview_cycle(OCTOBER, sessions=sessions).previews
    assert [r.agency_id for r in folio.rows] == sorted(current) and not folio.problems
    for row in folio.rows:
        preview = current[row.agency_id]
        assert row.total == preview.total and row.seats_billed == preview.seats_billed
        assert row.headcount == preview.snapshot.headcount_at_cutoff
        assert row.prorated_users == sum(1 for line in preview.snapshot.lines if line.code == "PRORATED_USER_FEE")
        assert row.previous_total == (previous[row.agency_id].total if row.agency_id in previous else None)
    assert folio.total == sum(r.total for r in folio.rows) == folio.pending_total
    assert folio.issued == () and folio.previous_pending == 0  # October is issued


def test_after_issuing_every_row_carries_its_invoice_number(sessions):
    issued = {agency: number for agency, number, _ in issue_cycle(NOVEMBER, actor="test", today=TODAY, sessions=sessions).issued}
    folio = portfolio(FINANCE, NOVEMBER, sessions=sessions)
    assert {r.agency_id: r.number for r in folio.rows} == issued
    assert all(r.state == "Issued" for r in folio.rows) and folio.pending == () and folio.pending_total == 0


def test_an_account_manager_sees_only_their_agencies_in_the_portfolio(sessions):
    viewer = account_manager("A-1001", "A-1003")
    assert [r.agency_id for r in portfolio(viewer, NOVEMBER, sessions=sessions).rows] == ["A-1001", "A-1003"]
    assert [a.agency_id for a in agencies(viewer, sessions=sessions)] == ["A-1001", "A-1003"]


def test_ops_sees_the_overview_without_invoice_amounts(sessions):
    with pytest.raises(AccessDenied):
        portfolio(OPS, NOVEMBER, sessions=sessions)
    view = overview(OPS, TODAY, sessions=sessions)
    assert view.portfolio is None and view.statuses


def test_the_overview_counts_the_banks_running_dry_and_the_statuses(sessions):
    view = overview(FINANCE, TODAY, sessions=sessions)
    assert view.clock.cycle == NOVEMBER and view.clock.past_cutoff
    assert view.portfolio == portfolio(FINANCE, NOVEMBER, sessions=sessions)
    assert view.banks_running_dry == sum(1 for r in runways(FINANCE, TODAY, sessions=sessions) if r.runs_dry_before_cutoff)
    assert view.statuses == tuple(payment_statuses(TODAY, sessions=sessions))
    assert sum(view.status_counts.values()) == len(view.statuses) > 0
