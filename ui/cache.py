"""Cached service calls. Every page reads through here, and every write
(payment, issue, import) calls :func:`clear` so the next render is fresh."""

from __future__ import annotations

from datetime import date

import streamlit as st

from billing import Cycle
from services import housekeeping as housekeeping_service
from services import invoices, minute_bank, overdue, portfolio

TTL = 60


@st.cache_data(ttl=TTL, show_spinner=False)
def agencies() -> list[portfolio.AgencySummary]:
    return portfolio.agencies()


@st.cache_data(ttl=TTL, show_spinner="Pricing the portfolio…")
def portfolio_for(cycle: str, scope: tuple[str, ...] | None) -> portfolio.Portfolio:
    return portfolio.portfolio(Cycle.parse(cycle), list(scope) if scope is not None else None)


@st.cache_data(ttl=TTL, show_spinner="Loading the overview…")
def overview(today: date, scope: tuple[str, ...] | None) -> portfolio.Overview:
    return portfolio.overview(today, list(scope) if scope is not None else None)


@st.cache_data(ttl=TTL, show_spinner="Pricing the invoice…")
def invoice_view(agency_id: str, cycle: str, as_of: date) -> invoices.InvoiceView:
    return invoices.invoice_view(agency_id, Cycle.parse(cycle), as_of)


@st.cache_data(ttl=TTL, show_spinner=False)
def invoice_pdf(agency_id: str, cycle: str, as_of: date) -> tuple[str, bytes]:
    return invoices.invoice_pdf(invoice_view(agency_id, cycle, as_of))


@st.cache_data(ttl=TTL, show_spinner="Reading the minute banks…")
def runways(today: date, scope: tuple[str, ...] | None) -> list[minute_bank.BankRunway]:
    return minute_bank.runways(today, list(scope) if scope is not None else None)


@st.cache_data(ttl=TTL, show_spinner=False)
def bank_detail(agency_id: str, today: date) -> minute_bank.BankDetail:
    return minute_bank.bank_detail(agency_id, today)


@st.cache_data(ttl=TTL, show_spinner="Computing statuses…")
def overdue_view(as_of: date, scope: tuple[str, ...] | None) -> overdue.OverdueView:
    return overdue.overdue_view(as_of, list(scope) if scope is not None else None)


@st.cache_data(ttl=TTL, show_spinner=False)
def housekeeping(today: date, scope: tuple[str, ...] | None) -> list[housekeeping_service.Housekeeping]:
    return housekeeping_service.housekeeping(today, list(scope) if scope is not None else None)


def clear() -> None:
    st.cache_data.clear()
