"""The agency picker every page shares: it follows ``?agency=…`` in the
URL, and the URL follows it, so any view can be pasted into a ticket."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from services.access import Permission, Viewer

from . import cache
from .context import empty_state, query_value
from .format import md


def agency_names(viewer: Viewer, empty_message: str) -> dict[str, str]:
    """Id → name of the agencies this viewer may see; an empty state (and
    nothing more of the page) when there are none."""
    names = {a.agency_id: a.name for a in cache.agencies(viewer)}
    if not names:
        empty_state(no_agencies_message(viewer, empty_message))
        st.stop()
    return names


def no_agencies_message(viewer: Viewer, for_finance: str) -> str:
    """What to do about an empty page, for the person looking at it: only
    finance can import; someone with assigned agencies needs an assignment."""
    if viewer.can(Permission.IMPORT):
        return for_finance
    if viewer.agencies is not None:
        return "No agencies are assigned to you yet. Ask finance to assign yours; they will appear here."
    return "No agencies yet. They appear here once finance has imported them."


def agency_picker(names: dict[str, str], *, key: str, options: Sequence[str] | None = None, container=st) -> str:  # type: ignore[no-untyped-def]
    choices = list(options if options is not None else names)
    wanted = query_value("agency")
    if wanted and wanted not in choices:
        st.error(f"The link names agency “{md(wanted, limit=40)}”, which does not exist or is not yours to see; "
                 "pick one below.")
    agency_id = container.selectbox(
        "Agency", choices, index=choices.index(wanted) if wanted in choices else 0,
        format_func=lambda a: f"{names.get(a, a)} ({a})", key=key,
    )
    st.query_params["agency"] = agency_id
    return agency_id
