"""The minute bank of the running period: opening, credits, burn and runway."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete

from billing import Cycle
from db.models import CallDay
from services.access import AccessDenied
from services.minute_bank import BURN_WINDOW_DAYS, bank_detail, runways
from services.previews import preview_cycle

from .conftest import FINANCE, OPS, TODAY, account_manager

RUNNING = Cycle.containing(TODAY)  # 2026-12: its closed period started on 2026-11-24


def test_the_bank_opens_with_the_previous_invoices_closing_balance_and_replenishment(sessions):
    previous = preview_cycle(RUNNING.previous(), sessions=sessions).previews
    found = runways(FINANCE, TODAY, sessions=sessions)
    assert {r.agency_id for r in found} == set(previous)
    for runway in found:
        invoice = previous[runway.agency_id]
        assert (runway.opening_balance, runway.credited_at_start) == (invoice.closing_balance, invoice.replenishment)
        assert runway.balance_now == runway.opening_balance + runway.credited_at_start + runway.onboarding_credit - runway.used_so_far
        assert runway.cycle == RUNNING and runway.period == RUNNING.closed_period


def test_banks_running_dry_before_the_cutoff_come_first(sessions):
    dry = [r.runs_dry_before_cutoff for r in runways(FINANCE, TODAY, sessions=sessions)]
    assert dry == sorted(dry, reverse=True)


def test_the_burn_rate_is_the_average_of_the_last_seven_complete_days(sessions):
    window = [TODAY - timedelta(days=i) for i in range(1, BURN_WINDOW_DAYS + 1)]
    with sessions() as session:
        session.execute(delete(CallDay).where(CallDay.agency_id == "A-1001", CallDay.day.in_([*window, TODAY])))
        for i, day in enumerate(window):
            session.add(CallDay(agency_id="A-1001", day=day, cycle=str(Cycle.containing(day)), calls=1, billable_minutes=100 * (i + 1)))
        session.add(CallDay(agency_id="A-1001", day=TODAY, cycle=str(RUNNING), calls=1, billable_minutes=99_999))  # not over yet
    (runway,) = [r for r in runways(FINANCE, TODAY, sessions=sessions) if r.agency_id == "A-1001"]
    assert runway.burn_per_day == Decimal("400.0")  # (100 + 200 + … + 700) / 7
    assert runway.runway_days == max(0, int(Decimal(runway.balance_now) / Decimal(400)))
    assert bank_detail(FINANCE, "A-1001", TODAY, sessions=sessions).runway == runway


def test_the_daily_balance_ends_today_at_the_balance_now(sessions):
    detail = bank_detail(FINANCE, "A-1003", TODAY, sessions=sessions)
    assert [d.day for d in detail.days] == [RUNNING.closed_period.start + timedelta(days=i) for i in range(len(detail.days))]
    assert detail.days[-1].day == TODAY and detail.days[-1].balance == detail.runway.balance_now
    assert detail.days[0].credited == detail.runway.credited_at_start
    assert detail.projection[0] == (TODAY, detail.runway.balance_now) and detail.projection[-1][0] == RUNNING.closed_period.end


def test_the_replenishment_line_is_an_invoice_amount_ops_does_not_see(sessions):
    line = bank_detail(FINANCE, "A-1001", TODAY, sessions=sessions).replenishment_line
    assert line is not None and line.code == "PRE_BILLED_MINUTES" and line.title == "Pre-billed minutes"
    assert bank_detail(OPS, "A-1001", TODAY, sessions=sessions).replenishment_line is None


def test_an_account_manager_sees_only_their_agencies_banks(sessions):
    viewer = account_manager("A-1002")
    assert [r.agency_id for r in runways(viewer, TODAY, sessions=sessions)] == ["A-1002"]
    with pytest.raises(AccessDenied):
        bank_detail(viewer, "A-1001", TODAY, sessions=sessions)
