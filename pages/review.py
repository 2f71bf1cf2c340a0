"""Review: every agency's preview of a cycle with what the checks found,
acknowledging findings, approving, and issuing what is approved.

Finance acts; an account manager reads the review of their own agencies.
Deep link: ``/review?cycle=2026-11&agency=A-1001``.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from billing import Cycle
from services import cycles
from services.access import Permission
from services.errors import BillingError
from services.review import AgencyReview, ReviewState, Severity, acknowledge_finding, approve
from ui import cache
from ui.context import empty_state, page_setup, query_value
from ui.format import counted, day, md, money_float, signed_usd, usd
from ui.issuing import issue_button, show_issue_result
from ui.links import invoice_page_link
from ui.pickers import agency_names

ZERO = Decimal("0.00")
FLASH = "review_flash"
STATE_BADGES = {
    ReviewState.ISSUED: ":blue-badge[Issued]",
    ReviewState.APPROVED: ":green-badge[Approved]",
    ReviewState.STALE: ":orange-badge[Approval stale]",
    ReviewState.READY: ":gray-badge[Ready to approve]",
    ReviewState.BLOCKED: ":red-badge[Blocked]",
}
SEVERITY_BADGES = {Severity.BLOCKING: ":red-badge[Blocking]", Severity.WARNING: ":orange-badge[Warning]"}
SORTS = ("Severity", "Amount", "Change", "Agency")

viewer, today = page_setup("Review", Permission.VIEW_REVIEW)
names = agency_names(viewer, "No agencies yet: there is nothing to review.")
acts = viewer.can(Permission.APPROVE)

options = [str(c) for c in cycles.recent_cycles(today)]
wanted = query_value("cycle")
current = str(cycles.current_cycle(today))
left, right = st.columns([1, 3])
cycle_text = left.selectbox("Cycle", options, index=options.index(wanted if wanted in options else current),
                            key="review_cycle", help="The cycle whose previews are reviewed before they are issued.")
st.query_params["cycle"] = cycle_text
cycle = Cycle.parse(cycle_text)
right.caption(f"Closed period {md(day(cycle.closed_period.start))} – {md(day(cycle.closed_period.end))} · "
              f"invoice date {md(day(cycle.invoice_date))}" + ("" if acts else " · read only: finance approves"))

flash = st.session_state.pop(FLASH, None)
if flash:
    kind, text = flash
    (st.success if kind == "ok" else st.warning)(text, icon=":material/check_circle:" if kind == "ok" else ":material/info:")
show_issue_result(cycle, names)

try:
    review = cache.review_for(viewer, cycle_text, today)
except BillingError as error:
    st.warning(md(error), icon=":material/info:")
    st.stop()
if review.in_progress and review.standing is not None:
    where = review.standing
    st.info(f"Cycle {cycle} is in progress: {counted(where.days_elapsed, 'day')} of {where.days} of its closed period "
            f"are over (it ends on {md(day(cycle.cutoff))}). The checks use the **forecast at cutoff**: the usage so far "
            "completed at each agency's recent minutes per user-day, so totals, minute banks and replenishments are "
            f"compared with cycle {cycle.previous()} as they will be at the cutoff (seats, numbers and appointments as "
            "stored so far). Approving approves the preview so far, what would be issued today: it goes stale as the "
            "rest of the period is imported, so review again after the cutoff.",
            icon=":material/hourglass_top:")
if not review.rows:
    empty_state(f"No agency has an invoice in cycle {cycle}.")
    st.stop()
FORECAST = review.in_progress
TOTAL = "Forecast total" if FORECAST else "Total"

live = [r for r in review.rows if r.state is not ReviewState.ISSUED]
ready = review.with_state(ReviewState.READY, ReviewState.STALE)
approvable = [r for r in ready if not r.open_blocking]
approved = review.with_state(ReviewState.APPROVED)
blocked = review.with_state(ReviewState.BLOCKED)
# A horizontal container wraps its tiles on a narrow screen instead of stacking five full-width rows.
with st.container(horizontal=True, gap="medium"):
    st.metric("Agencies", len(review.rows), help=f"{len(live)} not issued yet", width=130)
    st.metric("Blocked", len(blocked), help="An unacknowledged blocking finding: acknowledge it, or fix the facts",
              width=130)
    st.metric("Approved", len(approved), help="Approved and unchanged since: these are issued", width=130)
    st.metric("Stale", len(review.with_state(ReviewState.STALE)), help="Approved, but the preview changed since",
              width=130)
    st.metric("Approved total", usd(sum((r.total for r in approved), ZERO)), width=200)
if not review.approval_required:
    st.info("Approval is switched off (BILLING_APPROVAL_REQUIRED=0): issuing issues every preview.", icon=":material/info:")
for agency, problem in review.problems.items():
    st.warning(f"{md(names.get(agency, agency))} ({md(agency)}): {md(problem)}")

# --- the cycle's actions ----------------------------------------------------------------
if acts and live:
    a1, a2 = st.columns(2)
    with a1:
        total_ready = usd(sum((r.total for r in approvable), ZERO))
        with st.popover(f"Approve {counted(len(approvable), 'ready agency', 'ready agencies')} ({total_ready})",
                        icon=":material/task_alt:", disabled=not approvable):
            st.markdown(f"Approves every agency with no unacknowledged blocking finding: "
                        f"{counted(len(approvable), 'invoice')} totalling **{md(total_ready)}**"
                        + (" so far (not the forecast: what would be issued today)" if FORECAST else "") + ". "
                        f"{counted(len(blocked), 'blocked agency', 'blocked agencies')} stay unapproved.")
            note_all = st.text_input("Note (optional)", key="approve_all_note", max_chars=1000)
            if st.button("Approve all ready", type="primary", key="approve_all"):
                try:
                    outcome = approve(viewer, cycle, None, note=note_all)
                except BillingError as error:
                    st.error(md(error), icon=":material/error:")
                else:
                    cache.clear()
                    st.session_state[FLASH] = ("ok", f"Approved {counted(len(outcome.approved), 'invoice')} "
                                                     f"({usd(outcome.approved_total)}); "
                                                     f"{counted(len(outcome.refused), 'agency', 'agencies')} not approved.")
                    st.rerun()
    with a2:
        if viewer.can(Permission.ISSUE) and today > cycle.cutoff:
            issue_button(viewer, cycle, approved=len(approved) if review.approval_required else len(live),
                         approved_total_text=usd(sum((r.total for r in (approved if review.approval_required else live)), ZERO)),
                         waiting=len(live) - len(approved) if review.approval_required else 0, key="review_issue_now")
        elif viewer.can(Permission.ISSUE):
            st.caption(f"Cycle {cycle} can be issued after its cutoff ({md(day(cycle.cutoff))}).")
elif not live:
    st.success(f"Every invoice of cycle {cycle} is issued: {counted(len(review.rows), 'invoice')}, "
               f"{md(usd(sum((r.total for r in review.rows), ZERO)))}. [See them](/invoices?cycle={cycle}).",
               icon=":material/check_circle:")

# --- every agency ----------------------------------------------------------------------
sort = st.segmented_control("Sort by", SORTS, default="Severity", key="review_sort") or "Severity"


def _sort_key(row: AgencyReview) -> tuple:  # type: ignore[type-arg]
    if sort == "Amount":
        return (-row.compared_total, row.agency_id)
    if sort == "Change":
        return (-abs(row.change or ZERO), row.agency_id)
    if sort == "Agency":
        return (row.agency_id,)
    return (len(row.open_blocking) == 0, -row.blocking, -row.warnings, -row.compared_total, row.agency_id)


rows = sorted(review.rows, key=_sort_key)
columns = {
    "Name": [r.name for r in rows],
    "State": [r.state.label for r in rows],
    "Blocking": [len(r.open_blocking) for r in rows],
    "Warnings": [r.warnings for r in rows],
    "Findings": ["; ".join(f.code.label for f in r.findings) or "—" for r in rows],
    TOTAL: [money_float(r.compared_total) for r in rows],
    "Change": [None if r.change is None else money_float(r.change) for r in rows],
}
if FORECAST:
    columns["So far"] = [money_float(r.total) for r in rows]
frame = pd.DataFrame({**columns, "Approved by": [r.approval.by if r.approval else "—" for r in rows],
                      "Agency": [r.agency_id for r in rows]})
picked = st.dataframe(
    frame, hide_index=True, width="stretch", key="review_table", placeholder="—", on_select="rerun",
    selection_mode="single-row",
    column_config={
        "Blocking": st.column_config.NumberColumn("Blocking", help="Blocking findings not acknowledged"),
        TOTAL: st.column_config.NumberColumn(
            TOTAL, format="dollar",
            help="The forecast at cutoff: what the checks compare" if FORECAST else "The invoice's total"),
        "Change": st.column_config.NumberColumn(
            "Change", format="dollar",
            help=f"{TOTAL} against cycle {cycle.previous()}" + (" (its forecast while it runs too)" if FORECAST else "")),
        "So far": st.column_config.NumberColumn(
            "So far", format="dollar", help="The preview so far: what would be issued today, and what approving approves"),
    },
)
picked_rows = getattr(getattr(picked, "selection", None), "rows", None) or []
if picked_rows and picked_rows[0] < len(rows):  # a row picked: that agency below, in the same tab
    st.session_state.pop("review_agency", None)  # so that the picker below opens on the row's agency
    st.query_params["agency"] = rows[picked_rows[0]].agency_id
st.caption("Pick a row to see its findings below. "
           f"{counted(len(review.rows), 'agency', 'agencies')} · {len(blocked):,} blocked · {len(approved):,} approved · "
           f"{len(review.with_state(ReviewState.ISSUED)):,} issued")

# --- one agency --------------------------------------------------------------------------
st.subheader("One agency")
choices = [r.agency_id for r in rows]
linked = query_value("agency")
agency_id = st.selectbox("Agency", choices, index=choices.index(linked) if linked in choices else 0,
                         format_func=lambda a: f"{names.get(a, a)} ({a})", key="review_agency")
st.query_params["agency"] = agency_id
row = review.row(agency_id)
assert row is not None
st.markdown(f"#### {md(row.name)} ({md(row.agency_id)}) · {STATE_BADGES[row.state]}")
figure = (f"Forecast total at cutoff **{md(usd(row.compared_total))}** (so far {md(usd(row.total))})"
          if row.forecast_total is not None else f"Total **{md(usd(row.total))}**")
st.markdown(f"{figure} · {md(signed_usd(row.change))} against cycle {cycle.previous()}"
            + (" (forecast)" if row.previous_forecast_total is not None else "")
            + (f" · account manager {md(row.account_manager)}" if row.account_manager else ""))
invoice_page_link(row.agency_id, str(cycle), "Open the invoice")
if row.approval is not None:
    approval = row.approval
    said = f": “{md(approval.note)}”" if approval.note else ""
    st.caption(f"Approved by {md(approval.by)} on {md(day(approval.at.date()))} at {md(usd(approval.total))}{said}")
    if approval.stale:
        st.warning("The preview changed since it was approved (facts were imported or edited): approve it again "
                   "before it can be issued.", icon=":material/update:")
        if approval.changes:
            st.dataframe(pd.DataFrame({
                "Line": [c.title for c in approval.changes],
                "Approved": [usd(c.approved) for c in approval.changes],
                "Now": [usd(c.current) for c in approval.changes],
                "Change": [signed_usd(c.delta) for c in approval.changes],
            }), hide_index=True, width="stretch", key="stale_changes")
        else:
            st.caption("No line amount changed; only the details behind them (descriptions, the minute bank).")

if row.state is ReviewState.ISSUED:
    st.caption(f"Issued as {md(row.issued_number)}: issued invoices are not reviewed again.")
elif not row.findings:
    st.caption("No finding: every check is quiet for this preview.")
for index, finding in enumerate(row.findings):
    with st.container(border=True):
        ack = finding.acknowledged
        status = f" · :green-badge[Acknowledged by {md(ack.by)}]" if ack else ""
        st.markdown(f"{SEVERITY_BADGES[finding.severity]} **{md(finding.code.label)}**{status}  \n{md(finding.sentence)}")
        if ack:
            st.caption(f"“{md(ack.note)}” · {md(ack.at_iso.replace('T', ' '))}")
        if finding.lines:
            st.dataframe(pd.DataFrame({
                "Line": [m.title for m in finding.lines],
                f"Cycle {cycle.previous()}" + (" (forecast)" if row.previous_forecast_total is not None else ""):
                    [usd(m.previous) for m in finding.lines],
                f"Cycle {cycle}" + (" (forecast)" if row.forecast_total is not None else ""):
                    [usd(m.current) for m in finding.lines],
                "Change": [signed_usd(m.delta) for m in finding.lines],
            }), hide_index=True, width="stretch", key=f"moves_{index}")
        if acts and not ack and row.state is not ReviewState.ISSUED:
            with st.form(f"ack_{agency_id}_{finding.code}", border=False):
                note = st.text_input("Why this is fine", key=f"ack_note_{finding.code}", max_chars=1000,
                                     placeholder="Checked with the agency: five users joined for the campaign")
                if st.form_submit_button("Acknowledge"):
                    try:
                        acknowledge_finding(viewer, cycle, agency_id, str(finding.code), note)
                    except BillingError as error:
                        st.error(md(error), icon=":material/error:")
                    else:
                        cache.clear()
                        st.session_state[FLASH] = ("ok", f"Acknowledged “{finding.code.label}” for {row.name}.")
                        st.rerun()

if acts and row.state in (ReviewState.READY, ReviewState.STALE, ReviewState.BLOCKED):
    if row.open_blocking:
        st.caption(f"{counted(len(row.open_blocking), 'blocking finding')} to acknowledge before {md(row.name)} can be approved.")
    else:
        with st.form(f"approve_{agency_id}", border=False):
            note = st.text_input("Approval note (optional)", key="approve_note", max_chars=1000)
            if st.form_submit_button(f"Approve {row.name}", type="primary"):
                try:
                    approve(viewer, cycle, [agency_id], note=note)
                except BillingError as error:
                    st.error(md(error), icon=":material/error:")
                else:
                    cache.clear()
                    st.session_state[FLASH] = ("ok", f"Approved {row.name} at {usd(row.total)}.")
                    st.rerun()
