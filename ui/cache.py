"""Cached service calls. Every page reads through here, and every write
(payment, issue, import) calls :func:`clear` so the next render is fresh.

Results are keyed by what the viewer may see, not by who they are: the role
and the assigned agencies (:func:`scope_of`). What one role or one manager's
agencies may see is never served to another, and the finance team, who all
see the same portfolio, share one entry instead of each pricing it again:
on the 24th, twenty people on the portfolio pages would otherwise be twenty
computations of the same figures (issue #18). The cached services read
nothing else of the viewer (the e-mail only goes into audit entries, which
reads never write); the first viewer of a scope computes with their own
viewer, so a refusal still names them, and refusals are never cached.
Streamlit computes a missing entry once while the other sessions asking for
it wait (its per-key compute lock), so twenty people arriving together are
one computation. A signed-in session is re-checked against the accounts on
every run (``services.accounts.still_signed_in``), so the account's stamp
need not be part of the key.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import streamlit as st

from billing import Cycle
from services import agency_account, invoices, minute_bank, overdue, portfolio, reporting, review, usage_report
from services import housekeeping as housekeeping_service
from services import whatif as whatif_service
from services.access import Viewer

TTL = 60
Scope = tuple[str, tuple[str, ...] | None]
Result = TypeVar("Result")


def scope_of(viewer: Viewer) -> Scope:
    """What a viewer may see: the role and the agencies (None: all of them)."""
    return viewer.role.value, None if viewer.agencies is None else tuple(sorted(viewer.agencies))


def by_scope(*, show_spinner: bool | str) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    """``st.cache_data`` keyed by the viewer's scope and the other arguments.

    The viewer itself is passed through unhashed (Streamlit skips arguments
    whose name starts with an underscore). Each wrapped function gets its
    own qualified name, because Streamlit tells cached functions apart by
    module, qualified name and source, which nested functions share."""

    def decorate(compute: Callable[..., Result]) -> Callable[..., Result]:
        def cached(scope: Scope, _viewer: Viewer, *args: Any) -> Result:
            return compute(_viewer, *args)

        cached.__qualname__ = f"{compute.__qualname__}.by_scope"
        cached.__name__ = compute.__name__
        shared = st.cache_data(ttl=TTL, show_spinner=show_spinner)(cached)

        @functools.wraps(compute)
        def call(viewer: Viewer, *args: Any) -> Result:
            return shared(scope_of(viewer), viewer, *args)

        return call

    return decorate


@by_scope(show_spinner=False)
def agencies(viewer: Viewer) -> list[portfolio.AgencySummary]:
    return portfolio.agencies(viewer)


@by_scope(show_spinner="Pricing the portfolio…")
def portfolio_for(viewer: Viewer, cycle: str) -> portfolio.Portfolio:
    return portfolio.portfolio(viewer, Cycle.parse(cycle))


@by_scope(show_spinner="Loading the overview…")
def overview(viewer: Viewer, today: date) -> portfolio.Overview:
    return portfolio.overview(viewer, today)


@by_scope(show_spinner="Pricing the invoice…")
def invoice_view(viewer: Viewer, agency_id: str, cycle: str, as_of: date) -> invoices.InvoiceView:
    return invoices.invoice_view(viewer, agency_id, Cycle.parse(cycle), as_of)


@by_scope(show_spinner=False)
def invoice_pdf(viewer: Viewer, agency_id: str, cycle: str, as_of: date) -> tuple[str, bytes]:
    return invoices.invoice_pdf(invoice_view(viewer, agency_id, cycle, as_of))


@by_scope(show_spinner="Reading the minute banks…")
def runways(viewer: Viewer, today: date) -> list[minute_bank.BankRunway]:
    return minute_bank.runways(viewer, today)


@by_scope(show_spinner=False)
def bank_detail(viewer: Viewer, agency_id: str, today: date) -> minute_bank.BankDetail:
    return minute_bank.bank_detail(viewer, agency_id, today)


@by_scope(show_spinner="Computing statuses…")
def overdue_view(viewer: Viewer, as_of: date) -> overdue.OverdueView:
    return overdue.overdue_view(viewer, as_of)


@by_scope(show_spinner=False)
def housekeeping(viewer: Viewer, today: date) -> list[housekeeping_service.Housekeeping]:
    return housekeeping_service.housekeeping(viewer, today)


@by_scope(show_spinner="Reading the account…")
def agency_page(viewer: Viewer, agency_id: str, as_of: date) -> agency_account.AgencyPage:
    return agency_account.agency_page(viewer, agency_id, as_of)


@by_scope(show_spinner=False)
def statement_pdf(viewer: Viewer, agency_id: str, start: date | None, end: date) -> tuple[str, bytes]:
    return agency_account.statement_pdf(agency_account.statement(viewer, agency_id, start, end))


@by_scope(show_spinner="Adding up the usage…")
def usage(viewer: Viewer, agency_id: str, cycle: str, today: date) -> usage_report.UsageReport:
    return usage_report.usage_report(viewer, agency_id, Cycle.parse(cycle), today=today)


@by_scope(show_spinner="Checking every preview…")
def review_for(viewer: Viewer, cycle: str, today: date) -> review.CycleReview:
    return review.review_cycle(viewer, Cycle.parse(cycle), today=today)


@by_scope(show_spinner=False)
def approval_of_invoice(viewer: Viewer, agency_id: str, cycle: str) -> review.Approval | None:
    return review.approval_of_invoice(viewer, agency_id, Cycle.parse(cycle))


@by_scope(show_spinner=False)
def issue_readiness(viewer: Viewer, cycle: str) -> review.IssueReadiness:
    return review.issue_readiness(viewer, Cycle.parse(cycle))


@by_scope(show_spinner="Adding up the issued cycles…")
def revenue(viewer: Viewer, today: date) -> reporting.Revenue:
    return reporting.revenue(viewer, today)


@by_scope(show_spinner="Ageing the month ends…")
def receivables(viewer: Viewer, today: date) -> tuple[reporting.MonthEndAging, ...]:
    return reporting.receivables(viewer, today)


def clear() -> None:
    st.cache_data.clear()


@by_scope(show_spinner="Pricing the what-if…")
def whatif(viewer: Viewer, agency_id: str, cycle: str, changes: str, as_of: date) -> whatif_service.WhatIf:
    """``changes`` is the changes document as JSON text (a hashable cache key)."""
    return whatif_service.what_if(viewer, agency_id, Cycle.parse(cycle), whatif_service.changes_from_query(changes), as_of)


@by_scope(show_spinner=False)
def whatif_quote(viewer: Viewer, agency_id: str, cycle: str, changes: str, as_of: date) -> tuple[str, bytes]:
    view = invoice_view(viewer, agency_id, cycle, as_of)
    return whatif_service.quote_pdf(whatif(viewer, agency_id, cycle, changes, as_of), view.agency.name,
                                    view.agency.address, view.agency.billing_email)


@by_scope(show_spinner="Reading the minute-bank trend…")
def bank_trend(viewer: Viewer, agency_id: str, today: date) -> minute_bank.BankTrend:
    return minute_bank.bank_trend(viewer, agency_id, today)


@by_scope(show_spinner="Ranking the minute banks…")
def trend_ranking(viewer: Viewer, today: date) -> list[minute_bank.TrendRank]:
    return minute_bank.trend_ranking(viewer, today)


@by_scope(show_spinner="Re-pricing from the facts stored now…")
def issued_vs_now(viewer: Viewer, agency_id: str, cycle: str) -> invoices.IssuedVsNow:
    return invoices.issued_vs_now(viewer, agency_id, Cycle.parse(cycle))
