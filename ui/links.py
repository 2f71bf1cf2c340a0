"""Links between pages that open in the same tab.

``st.column_config.LinkColumn`` opens every link in a new tab, which is a
new Streamlit session: the person would have to sign in again. So tables
open the row picked (``open_picked``) with ``st.switch_page``, and text
links are relative markdown links (``/agency?agency=A-1001``), which
Streamlit opens in the same tab.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

import streamlit as st

from .format import md

AGENCY_PAGE = "pages/agency.py"
INVOICES_PAGE = "pages/invoices.py"


def agency_url(agency_id: str) -> str:
    return "/agency?" + urlencode({"agency": agency_id})


def invoice_url(agency_id: str, cycle: str) -> str:
    return "/invoices?" + urlencode({"agency": agency_id, "cycle": cycle})


def minute_bank_url(agency_id: str) -> str:
    return "/minute-bank?" + urlencode({"agency": agency_id})


def agency_link(agency_id: str, name: str | None = None) -> str:
    """``[Acme Insurance](/agency?agency=A-1001)``, escaped, for st.markdown."""
    return f"[{md(name or agency_id)}]({agency_url(agency_id)})"


def invoice_link(agency_id: str, cycle: str, label: str) -> str:
    return f"[{md(label)}]({invoice_url(agency_id, cycle)})"


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
