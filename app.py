"""The dialer billing dashboard: ``streamlit run app.py``.

This file is the router: it prepares the database, draws the sidebar and
hands over to the page picked in the navigation. Pages live in ``pages/``.
"""

from __future__ import annotations

import streamlit as st

from ui.context import bootstrap

st.set_page_config(page_title="Dialer Billing", page_icon=":material/receipt_long:", layout="wide")

PAGES = {
    "Billing": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", url_path="overview", default=True),
        st.Page("pages/calendar.py", title="Cycle calendar", icon=":material/calendar_month:", url_path="calendar"),
        st.Page("pages/invoices.py", title="Invoices", icon=":material/receipt_long:", url_path="invoices"),
    ],
    "Usage and collections": [
        st.Page("pages/minute_bank.py", title="Minute bank", icon=":material/hourglass_bottom:", url_path="minute-bank"),
        st.Page("pages/overdue.py", title="Overdue", icon=":material/warning:", url_path="overdue"),
    ],
}

bootstrap()
page = st.navigation(PAGES)
st.sidebar.markdown("**Dialer Billing**  \nInvoices, minute banks and collections")
page.run()
