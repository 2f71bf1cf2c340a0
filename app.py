"""The dialer billing dashboard: ``streamlit run app.py``.

This file is the router: it prepares the database, signs the person in,
shows each role only its pages and hands over to the page picked. Pages live
in ``pages/``; a page reached by URL that the role may not see says so
(``ui.context.page_setup``), and the services check again.
"""

from __future__ import annotations

import streamlit as st

import settings
from services import logs
from services.access import Permission, Viewer
from services.errors import InvoiceIntegrityError
from services.runtime import tune_garbage_collector
from ui.auth import VIEWER_KEY, known_viewer, sign_out, signed_in_viewer, write_cookie
from ui.context import bootstrap
from ui.format import counted, md

st.set_page_config(page_title="Dialer Billing", page_icon=":material/receipt_long:", layout="wide")
try:
    settings.check()
except settings.SettingsError as error:
    st.error(f"The dashboard cannot start: {error}. Fix the setting and restart.", icon=":material/error:")
    st.stop()
logs.configure()
tune_garbage_collector()

# (section, file, title, icon, url path, permission)
PAGES = [
    ("Billing", "pages/overview.py", "Overview", ":material/dashboard:", "overview", Permission.VIEW_OVERVIEW),
    ("Billing", "pages/agency.py", "Agency", ":material/apartment:", "agency", Permission.VIEW_AGENCY),
    ("Billing", "pages/calendar.py", "Cycle calendar", ":material/calendar_month:", "calendar", Permission.VIEW_CALENDAR),
    ("Billing", "pages/review.py", "Review", ":material/fact_check:", "review", Permission.VIEW_REVIEW),
    ("Billing", "pages/invoices.py", "Invoices", ":material/receipt_long:", "invoices", Permission.VIEW_INVOICES),
    ("Billing", "pages/contracts.py", "Contracts", ":material/handshake:", "contracts", Permission.VIEW_INVOICES),
    ("Usage and collections", "pages/minute_bank.py", "Minute bank", ":material/hourglass_bottom:", "minute-bank",
     Permission.VIEW_MINUTE_BANK),
    ("Usage and collections", "pages/overdue.py", "Overdue", ":material/warning:", "overdue", Permission.VIEW_OVERDUE),
    ("Usage and collections", "pages/messages.py", "Messages", ":material/mail:", "messages", Permission.VIEW_MESSAGES),
    ("Reporting", "pages/revenue.py", "Revenue", ":material/monitoring:", "revenue", Permission.VIEW_REPORTS),
    ("Administration", "pages/import_data.py", "Import data", ":material/upload_file:", "import", Permission.IMPORT),
    ("Administration", "pages/audit_log.py", "Audit log", ":material/history:", "audit", Permission.VIEW_AUDIT),
]



def navigation_pages(viewer: Viewer | None) -> dict[str, list[st.Page]]:
    """Every page, visible only to the roles allowed to see it.

    The default page is served at ``/``; a hidden twin of it keeps its own
    path working too, so a link such as ``/agency?agency=A-1001`` opens the
    agency page for an agency contact, whose home page it is."""
    sections: dict[str, list[st.Page]] = {}
    default_taken = False
    for section, path, title, icon, url_path, permission in PAGES:
        allowed = viewer is None or viewer.can(permission)
        is_default = allowed and not default_taken
        default_taken = default_taken or is_default
        pages = sections.setdefault(section, [])
        if is_default:  # the twin first: the menu (and a title lookup) ends on the visible page
            pages.append(st.Page(path, title=title, icon=icon, url_path=url_path, visibility="hidden"))
        pages.append(st.Page(
            path, title=title, icon=icon, url_path=f"home-{url_path}" if is_default else url_path, default=is_default,
            visibility="visible" if allowed else "hidden",
        ))
    return sections


bootstrap()
known = known_viewer()
if known is None:
    # Register the pages (hidden) before the sign-in screen, so a deep link
    # such as /invoices?agency=… survives signing in.
    st.navigation(navigation_pages(None), position="hidden")
viewer = known or signed_in_viewer()
st.session_state[VIEWER_KEY] = viewer
page = st.navigation(navigation_pages(viewer))

with st.sidebar:
    write_cookie()  # first: a reload right after signing in should already find the cookie
    scope = f" · {counted(len(viewer.agencies), 'agency')}" if viewer.agencies is not None else ""
    st.markdown(f"**{md(viewer.name, limit=80)}**  \n{viewer.role.label}{scope}")
    if st.button("Sign out", icon=":material/logout:", key="sign_out"):
        sign_out()
        st.rerun()
    if st.button("Sign out everywhere", icon=":material/devices:", key="sign_out_everywhere", type="tertiary",
                 help="Ends your sessions in every browser and on every device"):
        sign_out(everywhere=True)
        st.rerun()
try:
    page.run()
except InvoiceIntegrityError as error:
    # An issued invoice was changed outside the app: every page that would build on
    # it says which one, instead of a status or a total that cannot be trusted.
    st.error(f"**Content hash mismatch.** {md(error, limit=2000)}", icon=":material/gpp_bad:")
