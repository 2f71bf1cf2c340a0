"""Issuing a cycle from a page (the review page and the invoices page share
it): the button, and what happened, drawn on the next run so the page
behind it already shows the issued state (no stale table, no button)."""

from __future__ import annotations

import streamlit as st

from billing import Cycle
from services.access import Viewer
from services.errors import BillingError
from services.issuing import IssueResult, issue_cycle_now

from . import cache
from .format import counted, md, usd
from .links import invoice_page_link

RESULT_KEY = "issue_result"
SHOWN_LINKS = 12


def issue_button(viewer: Viewer, cycle: Cycle, *, approved: int, approved_total_text: str, waiting: int,
                 key: str) -> None:
    """The "Issue" popover: it issues what is approved (the service decides),
    then stores the result and reruns the page."""
    label = f"Issue cycle {cycle}: {counted(approved, 'approved invoice')}, {approved_total_text}"
    with st.popover(label, icon=":material/send:", disabled=approved == 0):
        st.markdown(f"This freezes {counted(approved, 'approved invoice')} totalling **{md(approved_total_text)}**. "
                    "Issued invoices never change; corrections are adjustments.")
        if waiting:
            st.caption(f"{counted(waiting, 'agency', 'agencies')} not approved (or changed since) will wait.")
        if st.button("Issue now", type="primary", key=key):
            bar = st.progress(0.0, text="Issuing…")
            try:
                result = issue_cycle_now(viewer, cycle, progress=lambda done, total: bar.progress(
                    done / total, text=f"Issued {done} of {total}"))
            except BillingError as error:
                st.error(md(error), icon=":material/error:")
                return
            cache.clear()
            st.session_state[RESULT_KEY] = result
            st.rerun()


def show_issue_result(cycle: Cycle, names: dict[str, str]) -> None:
    """What the last issue of ``cycle`` did, once, at the top of the page."""
    result: IssueResult | None = st.session_state.get(RESULT_KEY)
    if result is None or result.cycle != cycle:
        return
    del st.session_state[RESULT_KEY]
    already = f" {counted(result.already_issued, 'invoice was', 'invoices were')} already issued." if result.already_issued else ""
    st.success(f"Issued {counted(len(result.issued), 'invoice')} of cycle {cycle} totalling "
               f"**{md(usd(result.issued_total))}**.{already}", icon=":material/check_circle:")
    if result.issued:
        columns = st.columns(3)
        for index, (agency, number, _) in enumerate(result.issued[:SHOWN_LINKS]):
            invoice_page_link(agency, str(cycle), f"{number} {names.get(agency, agency)}", container=columns[index % 3])
        more = len(result.issued) - SHOWN_LINKS
        if more > 0:
            st.caption(f"and {counted(more, 'more invoice')} on the invoices page")
    for agency, reason in {**result.not_approved, **result.skipped}.items():
        st.warning(f"Not issued: {md(names.get(agency, agency))} ({md(agency)}): {md(reason)}", icon=":material/schedule:")
