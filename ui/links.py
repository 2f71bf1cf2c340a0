"""Links between pages that open in the same tab.

``st.column_config.LinkColumn`` opens every link in a new tab, and so does
a markdown link, even a relative one (Streamlit 1.67 renders it with
``target="_blank"``; the browser test proves it): a new tab is a new
Streamlit session, and the person would have to sign in again. So tables
open the row picked (``open_picked``) with ``st.switch_page``, and links
are ``st.page_link`` (:func:`agency_page_link`), which navigates in place.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

AGENCY_PAGE = "pages/agency.py"
INVOICES_PAGE = "pages/invoices.py"


def agency_page_link(agency_id: str, label: str, *, container=st) -> None:  # type: ignore[no-untyped-def]
    """A same-tab link to ``/agency?agency=…``."""
    container.page_link(AGENCY_PAGE, label=label, icon=":material/apartment:", query_params={"agency": agency_id})


def invoice_page_link(agency_id: str, cycle: str, label: str, *, container=st) -> None:  # type: ignore[no-untyped-def]
    """A same-tab link to ``/invoices?agency=…&cycle=…``."""
    container.page_link(INVOICES_PAGE, label=label, icon=":material/receipt_long:",
                        query_params={"agency": agency_id, "cycle": cycle})


def minute_bank_page_link(agency_id: str, label: str, *, container=st) -> None:  # type: ignore[no-untyped-def]
    container.page_link("pages/minute_bank.py", label=label, icon=":material/hourglass_bottom:",
                        query_params={"agency": agency_id})


def open_picked(event: object, agency_ids: Sequence[str], *, cycles: Sequence[str] | None = None,
                page: str = AGENCY_PAGE) -> None:
    """After a table with ``on_select="rerun"``: open the agency page of the
    row picked (or ``page`` for that agency), or its invoice when ``cycles``
    name one per row."""
    rows = getattr(getattr(event, "selection", None), "rows", None) or []
    if not rows or rows[0] >= len(agency_ids):
        return
    row = rows[0]
    if cycles is not None:
        st.switch_page(INVOICES_PAGE, query_params={"agency": agency_ids[row], "cycle": cycles[row]})
    st.switch_page(page, query_params={"agency": agency_ids[row]})
