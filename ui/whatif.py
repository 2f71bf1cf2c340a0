"""The invoice page's "What if…" section: a small form that builds a changes
document (docs/WHATIF_FORMAT.md), the resulting invoice next to the baseline,
the next cycle it also changes, a shareable link and a WHAT-IF quote PDF.

The changes live in the URL (``?whatif=<JSON>``) so a link reproduces them.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from billing import Cycle
from services.errors import BillingError
from services.whatif import CycleComparison, changes_from_query, changes_to_query, describe

from . import cache
from .context import query_value
from .format import md, signed_usd, usd

QUERY = "whatif"


def _comparison_table(comparison: CycleComparison, key: str, *, nested: bool = False) -> None:
    """The lines side by side; the explanations in full below (in an
    expander, unless already inside one: expanders do not nest)."""
    st.dataframe(pd.DataFrame({
        "Line": [d.title for d in comparison.lines],
        "Baseline": [usd(d.baseline_amount) if d.baseline_quantity is not None else "—" for d in comparison.lines],
        "What-if": [usd(d.whatif_amount) if d.whatif_quantity is not None else "—" for d in comparison.lines],
        "Difference": [signed_usd(d.difference) if d.difference else "—" for d in comparison.lines],
        "Why (what-if)": [d.explanation for d in comparison.lines],
    }), hide_index=True, width="stretch", key=key,
        column_config={"Why (what-if)": st.column_config.TextColumn(width="large")})
    why = "\n".join(f"- **{md(d.title)}**{f' ({md(signed_usd(d.difference))})' if d.difference else ''}: "
                    f"{md(d.explanation)}" for d in comparison.lines)
    if nested:
        st.markdown(why)
    else:
        with st.expander("Why, line by line"):
            st.markdown(why)


def _form(agency_id: str, cycle: Cycle, today: date, current: dict[str, Any], contract: dict[str, Any]) -> dict[str, Any] | None:
    """The form; the changes document it builds when submitted."""
    period = cycle.closed_period
    default_day = min(max(today, period.start), period.end)
    add = (current.get("add_users") or [{}])[0]
    drop = (current.get("deactivate_users") or [{}])[0]
    terms = current.get("contract", {})
    with st.form(f"whatif_form_{agency_id}_{cycle}"):
        a1, a2, d1, d2 = st.columns(4)
        add_count = a1.number_input("Add users", min_value=0, max_value=1000, step=1, value=int(add.get("count", 0)),
                                    key="whatif_add_count")
        add_from = a2.date_input("from", value=date.fromisoformat(add["from"]) if add.get("from") else default_day,
                                 min_value=period.start - timedelta(days=62), max_value=period.end + timedelta(days=62),
                                 format="YYYY-MM-DD", key="whatif_add_from")
        drop_count = d1.number_input("Deactivate users", min_value=0, max_value=1000, step=1,
                                     value=int(drop.get("count", 0)), key="whatif_drop_count")
        drop_on = d2.date_input("on", value=date.fromisoformat(drop["on"]) if drop.get("on") else default_day,
                                min_value=period.start - timedelta(days=62), max_value=period.end + timedelta(days=62),
                                format="YYYY-MM-DD", key="whatif_drop_on")
        r1, c1, c2, c3 = st.columns(4)
        rate = r1.text_input("Minutes per user-day", value=str(current.get("minutes_per_user_day") or ""),
                             placeholder="as stored", key="whatif_rate",
                             help="Replaces the usage of the days not yet past; blank keeps the usage as stored")
        minimum = c1.number_input("Minimum users", min_value=0, max_value=100_000, step=1,
                                  value=int(terms.get("minimum_users", contract["minimum_users"])), key="whatif_minimum")
        fee = c2.text_input("User fee", value=str(terms.get("user_fee", contract["user_fee"])), key="whatif_fee")
        transcription = c3.text_input("AI transcription rate", key="whatif_transcription",
                                      value=str(terms.get("transcription_rate", contract["transcription_rate"]) or ""),
                                      help="Per minute; blank drops the service")
        run = st.form_submit_button("Price the what-if", type="primary", icon=":material/calculate:")
    if not run:
        return None
    changes: dict[str, Any] = {}
    if add_count:
        changes["add_users"] = [{"count": int(add_count), "from": add_from.isoformat()}]
    if drop_count:
        changes["deactivate_users"] = [{"count": int(drop_count), "on": drop_on.isoformat()}]
    if rate.strip():
        changes["minutes_per_user_day"] = rate.strip()
    new_terms: dict[str, Any] = {}
    if int(minimum) != contract["minimum_users"]:
        new_terms["minimum_users"] = int(minimum)
    if fee.strip() != contract["user_fee"]:
        new_terms["user_fee"] = fee.strip()
    wanted_rate = transcription.strip() or None
    if wanted_rate != contract["transcription_rate"]:
        new_terms["transcription_rate"] = wanted_rate
    if new_terms:
        changes["contract"] = new_terms
    return changes


def whatif_section(viewer: Any, agency_id: str, cycle: Cycle, today: date, contract: dict[str, Any],
                   recent_rate: str | None = None) -> None:
    """Draw the section (finance and account managers: whoever sees invoices).
    ``contract`` (the scenario's contract object) gives the form its defaults;
    nothing is priced until there are changes."""
    st.subheader("What if…")
    st.caption("Change this cycle and see the invoice the rules would give, next to the real one. Nothing is saved; "
               "the link keeps the changes."
               + ("" if recent_rate is None else f" The cycle is in progress: the baseline is its usage so far; to compare "
                  f"forecasts, give minutes per user-day for the days not yet past (the recent rate is {recent_rate})."))
    text = query_value(QUERY)
    try:
        changes = changes_from_query(text)
    except BillingError as error:
        st.error(f"The link's what-if: {md(error)}; starting from no changes.")
        changes = changes_from_query(None)
        st.query_params.pop(QUERY, None)
    submitted = _form(agency_id, cycle, today, changes.document(), contract)
    if submitted is not None:
        try:
            changes = changes_from_query(json.dumps(submitted))
        except BillingError as error:
            st.error(f"Not priced. {md(error)}")
            return
        if changes.is_empty:
            st.query_params.pop(QUERY, None)
        else:
            st.query_params[QUERY] = changes_to_query(changes)
    if changes.is_empty:
        st.caption("No changes yet: fill in the form and press “Price the what-if”.")
        return
    key = changes_to_query(changes)
    try:
        result = cache.whatif(viewer, agency_id, str(cycle), key, today)
    except BillingError as error:
        st.error(f"Not priced. {md(error)}")
        return
    st.markdown("**What if:** " + md("; ".join(describe(result.changes))))
    w1, w2, w3 = st.columns(3)
    w1.metric(f"Baseline, cycle {cycle}", usd(result.current.baseline.total))
    w2.metric("What-if", usd(result.current.invoice.total))
    w3.metric("Difference", signed_usd(result.current.difference))
    _comparison_table(result.current, "whatif_table")
    if result.following is not None:
        nxt = result.following
        st.markdown(f"**It also changes cycle {nxt.cycle}** (seats paid in advance and the minute bank carry over): "
                    f"{md(usd(nxt.baseline.total))} → {md(usd(nxt.invoice.total))} ({md(signed_usd(nxt.difference))})")
        with st.expander(f"Cycle {nxt.cycle}, line by line"):
            _comparison_table(nxt, "whatif_next_table", nested=True)
    name, pdf = cache.whatif_quote(viewer, agency_id, str(cycle), key, today)
    st.download_button("Download the WHAT-IF quote (PDF)", data=pdf, file_name=name, mime="application/pdf",
                       icon=":material/request_quote:", key="whatif_pdf")
    st.caption("The quote is marked WHAT-IF on every page and has no invoice number. "
               "To share these changes, copy this page's address: it carries them.")


def issued_now_section(viewer: Any, agency_id: str, cycle: str) -> None:
    """An issued invoice next to what the facts stored now give, and a draft
    adjustment that prefills the adjustment form (recording stays there)."""
    from services.access import Permission

    try:
        result = cache.issued_vs_now(viewer, agency_id, cycle)
    except BillingError as error:
        st.info(md(error))
        return
    st.caption(f"{md(result.number)} is frozen and never changes. This is what the same rules give from the facts "
               "stored now, with the same seats paid in advance and bank carried in.")
    if not result.difference and not result.facts:
        st.caption("No fact behind this invoice has changed since it was issued: nothing to settle.")
        return
    n1, n2, n3 = st.columns(3)
    n1.metric("Issued", usd(result.issued_total))
    n2.metric("From the facts now", usd(result.now_total))
    n3.metric("Difference", signed_usd(result.difference))
    st.dataframe(pd.DataFrame({
        "Line": [line.title for line in result.lines], "Issued": [usd(line.issued) for line in result.lines],
        "Now": [usd(line.now) for line in result.lines],
        "Difference": [signed_usd(line.difference) if line.difference else "—" for line in result.lines],
        "Why (now)": [line.explanation for line in result.lines],
    }), hide_index=True, width="stretch", key="issued_now_table")
    if result.facts:
        st.markdown("**Facts that differ from when it was issued** (stored after issuing: late calls, back-dated changes)")
        for fact in result.facts:
            st.markdown(f"- {md(fact.what)}: {fact.issued:,} then, {fact.now:,} now ({fact.now - fact.issued:+,})")
    draft = result.draft
    if draft is not None:
        st.markdown(f"**Draft adjustment:** a {draft.kind} of {md(usd(draft.amount))} on {md(draft.invoice_number)} — "
                    f"“{md(draft.reason)}”")
        def prefill() -> None:  # a callback: it runs before the form's widgets exist on the next run
            st.session_state["adj_kind"] = draft.kind
            st.session_state["adj_amount"] = str(draft.amount)
            st.session_state["adj_reason"] = draft.reason
            st.session_state["adjustment_prefilled"] = True

        if viewer.can(Permission.RECORD_ADJUSTMENT):
            st.button("Prefill the adjustment form with this draft", key="prefill_adjustment",
                      icon=":material/edit_note:", on_click=prefill)
        if st.session_state.get("adjustment_prefilled"):
            st.caption("Prefilled in Payments → “Record an adjustment for this invoice”: check it and record it there.")
