"""Cached service calls. Every page reads through here, and every write
(payment, issue, import) calls :func:`clear` so the next render is fresh.

The viewer is part of every cache key: what one role may see is never served
to another from the cache.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from billing import Cycle
from services import agency_account, invoices, minute_bank, overdue, portfolio, review, usage_report
from services import housekeeping as housekeeping_service
from services import whatif as whatif_service
from services.access import Viewer

TTL = 60


@st.cache_data(ttl=TTL, show_spinner=False)
def agencies(viewer: Viewer) -> list[portfolio.AgencySummary]:
    return portfolio.agencies(viewer)


@st.cache_data(ttl=TTL, show_spinner="Pricing the portfolio…")
def portfolio_for(viewer: Viewer, cycle: str) -> portfolio.Portfolio:
    return portfolio.portfolio(viewer, Cycle.parse(cycle))


@st.cache_data(ttl=TTL, show_spinner="Loading the overview…")
def overview(viewer: Viewer, today: date) -> portfolio.Overview:
    return portfolio.overview(viewer, today)


@st.cache_data(ttl=TTL, show_spinner="Pricing the invoice…")
def invoice_view(viewer: Viewer, agency_id: str, cycle: str, as_of: date) -> invoices.InvoiceView:
    return invoices.invoice_view(viewer, agency_id, Cycle.parse(cycle), as_of)


@st.cache_data(ttl=TTL, show_spinner=False)
def invoice_pdf(viewer: Viewer, agency_id: str, cycle: str, as_of: date) -> tuple[str, bytes]:
    return invoices.invoice_pdf(invoice_view(viewer, agency_id, cycle, as_of))


@st.cache_data(ttl=TTL, show_spinner="Reading the minute banks…")
def runways(viewer: Viewer, today: date) -> list[minute_bank.BankRunway]:
    return minute_bank.runways(viewer, today)


@st.cache_data(ttl=TTL, show_spinner=False)
def bank_detail(viewer: Viewer, agency_id: str, today: date) -> minute_bank.BankDetail:
    return minute_bank.bank_detail(viewer, agency_id, today)


@st.cache_data(ttl=TTL, show_spinner="Computing statuses…")
def overdue_view(viewer: Viewer, as_of: date) -> overdue.OverdueView:
    return overdue.overdue_view(viewer, as_of)


@st.cache_data(ttl=TTL, show_spinner=False)
def housekeeping(viewer: Viewer, today: date) -> list[housekeeping_service.Housekeeping]:
    return housekeeping_service.housekeeping(viewer, today)


@st.cache_data(ttl=TTL, show_spinner="Reading the account…")
def agency_page(viewer: Viewer, agency_id: str, as_of: date) -> agency_account.AgencyPage:
    return agency_account.agency_page(viewer, agency_id, as_of)


@st.cache_data(ttl=TTL, show_spinner=False)
def statement_pdf(viewer: Viewer, agency_id: str, start: date | None, end: date) -> tuple[str, bytes]:
    return agency_account.statement_pdf(agency_account.statement(viewer, agency_id, start, end))


@st.cache_data(ttl=TTL, show_spinner="Adding up the usage…")
def usage(viewer: Viewer, agency_id: str, cycle: str, today: date) -> usage_report.UsageReport:
    return usage_report.usage_report(viewer, agency_id, Cycle.parse(cycle), today=today)


@st.cache_data(ttl=TTL, show_spinner="Checking every preview…")
def review_for(viewer: Viewer, cycle: str, today: date) -> review.CycleReview:
    return review.review_cycle(viewer, Cycle.parse(cycle), today=today)


@st.cache_data(ttl=TTL, show_spinner=False)
def approval_of_invoice(viewer: Viewer, agency_id: str, cycle: str) -> review.Approval | None:
    return review.approval_of_invoice(viewer, agency_id, Cycle.parse(cycle))


@st.cache_data(ttl=TTL, show_spinner=False)
def issue_readiness(viewer: Viewer, cycle: str) -> review.IssueReadiness:
    return review.issue_readiness(viewer, Cycle.parse(cycle))


def clear() -> None:
    st.cache_data.clear()


@st.cache_data(ttl=TTL, show_spinner="Pricing the what-if…")
def whatif(viewer: Viewer, agency_id: str, cycle: str, changes: str, as_of: date) -> whatif_service.WhatIf:
    """``changes`` is the changes document as JSON text (a hashable cache key)."""
    return whatif_service.what_if(viewer, agency_id, Cycle.parse(cycle), whatif_service.changes_from_query(changes), as_of)


@st.cache_data(ttl=TTL, show_spinner=False)
def whatif_quote(viewer: Viewer, agency_id: str, cycle: str, changes: str, as_of: date) -> tuple[str, bytes]:
    view = invoice_view(viewer, agency_id, cycle, as_of)
    return whatif_service.quote_pdf(whatif(viewer, agency_id, cycle, changes, as_of), view.agency.name,
                                    view.agency.address, view.agency.billing_email)


@st.cache_data(ttl=TTL, show_spinner="Reading the minute-bank trend…")
def bank_trend(viewer: Viewer, agency_id: str, today: date) -> minute_bank.BankTrend:
    return minute_bank.bank_trend(viewer, agency_id, today)


@st.cache_data(ttl=TTL, show_spinner="Ranking the minute banks…")
def trend_ranking(viewer: Viewer, today: date) -> list[minute_bank.TrendRank]:
    return minute_bank.trend_ranking(viewer, today)


@st.cache_data(ttl=TTL, show_spinner="Re-pricing from the facts stored now…")
def issued_vs_now(viewer: Viewer, agency_id: str, cycle: str) -> invoices.IssuedVsNow:
    return invoices.issued_vs_now(viewer, agency_id, Cycle.parse(cycle))
