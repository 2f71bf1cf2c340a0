"""What every page shares: a ready database, the as-of date, deep links."""

from __future__ import annotations

from datetime import date

import streamlit as st

import settings
from services.access import Permission, Viewer
from services.clock import billing_today
from services.setup import database_is_empty, ensure_database, seed_demo
from ui.auth import current_viewer
from ui.network import send_without_delay


@st.cache_resource(show_spinner=False)
def _database_ready() -> bool:
    ensure_database()
    return True


@st.cache_resource(show_spinner=False)
def _sockets_without_delay() -> int:
    """Once a process: the server's sockets send at once (see ``ui.network``)."""
    return send_without_delay()


def bootstrap() -> None:
    """Migrate, and fill an empty database with demo data (with a progress
    bar), unless ``BILLING_AUTO_SEED=0``: then an empty database stays empty
    and the pages show their empty states."""
    _sockets_without_delay()
    _database_ready()
    if not settings.current().auto_seed or st.session_state.get("_seed_checked"):
        return
    if database_is_empty():
        bar = st.progress(0.0, text="Setting up the demo portfolio (one time only)…")
        seed_demo(progress=lambda message, fraction: bar.progress(min(1.0, fraction), text=f"Demo data: {message}"))
        bar.empty()
        st.cache_data.clear()
    st.session_state["_seed_checked"] = True


def as_of() -> date:
    """The sidebar's "as of" date: today unless someone picks another day."""
    today = billing_today()
    picked = st.sidebar.date_input(
        "As of", value=st.session_state.get("as_of", today), key="as_of_input",
        help="Look at the portfolio as it was, or will be, on another day.",
        format="YYYY-MM-DD",
    )
    st.session_state["as_of"] = picked
    if picked != today:
        st.sidebar.caption(f"Today is {today:%a %Y-%m-%d}; showing {picked:%a %Y-%m-%d}.")
    return picked


def query_value(name: str) -> str | None:
    value = st.query_params.get(name)
    return value or None


def empty_state(message: str) -> None:
    st.info(message, icon=":material/inventory_2:")


def ensure_router() -> None:
    """Make sure ``app.py`` (the ``st.navigation`` router) frames this page.

    Streamlit still has its legacy rule "a ``pages/`` folder next to the
    entrypoint means automatic pages" until ``st.navigation`` has run once in
    the process. A first visit straight to a deep link (``/invoices?...``)
    would otherwise run the page bare, without the router's sidebar and
    layout. Turning the legacy mode off and rerunning routes it properly;
    this happens at most once per server process.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_setup(title: str, permission: Permission) -> tuple[Viewer, date]:
    """The first line of every page: router check, access check, as-of
    date, title. A role that may not see the page is told so, and nothing
    else is drawn."""
    ensure_router()
    viewer = current_viewer()
    st.title(title)
    if not viewer.can(permission):
        st.error(f"Your role ({viewer.role.label}) does not have access to this page.", icon=":material/block:")
        st.stop()
    return viewer, as_of()
