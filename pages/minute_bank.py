"""Minute bank: daily usage, balance, credits and runway of the running period."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.access import Permission
from services.errors import BillingError
from ui import cache, charts
from ui.context import empty_state, page_setup
from ui.format import count, counted, day, md
from ui.links import open_picked
from ui.pickers import agency_names, agency_picker

viewer, today = page_setup("Minute bank", Permission.VIEW_MINUTE_BANK)
names = agency_names(viewer, "No agencies yet, so no minute banks. Import agencies, users and calls first.")
runways = cache.runways(viewer, today)
if not runways:
    empty_state("No agency has a running period yet.")
    st.stop()

period = runways[0].period
dry = [r for r in runways if r.runs_dry_before_cutoff]
st.caption(f"Running period {md(day(period.start))} – {md(day(period.end))} (cycle {runways[0].cycle}) · "
           "burn rate = average daily minutes of the last 7 complete days")

agency_id = agency_picker(names, key="bank_agency", options=[r.agency_id for r in runways])

try:
    detail = cache.bank_detail(viewer, agency_id, today)
except BillingError as error:
    st.warning(str(error))
    detail = None

if detail is not None:
    runway = detail.runway
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("In the bank now", f"{count(runway.balance_now)} min")
    c2.metric("Burn rate (min/day)", f"{runway.burn_per_day:,.0f}", help="Average of the last 7 complete days")
    if runway.runway_days is None:
        c3.metric("Runway", "No recent usage")
    else:
        c3.metric("Runway", counted(runway.runway_days, "day"), help=f"Runs dry around {day(runway.dry_on)}")
    c4.metric("Projected at period end", f"{count(runway.projected_end_balance)} min")
    if runway.runs_dry_before_cutoff:
        st.warning(f"At this rate the bank runs dry around {day(runway.dry_on)}, before the period ends on "
                 f"{day(runway.period.end)}. The deficit is billed in the next replenishment.", icon=":material/hourglass_empty:")
    st.plotly_chart(charts.bank_chart(detail), width="stretch", key="bank_chart")
    st.markdown(
        f"Opened with **{count(runway.opening_balance)}** min carried from the last cutoff, "
        f"**{count(runway.credited_at_start)}** credited on {md(day(runway.period.start))} (the last invoice's pre-billed minutes)"
        + (f" and **{count(runway.onboarding_credit)}** onboarding minutes" if runway.onboarding_credit else "")
        + f"; **{count(runway.used_so_far)}** used so far."
    )
    if detail.replenishment_line:
        st.markdown("**Replenishment the next invoice will bill** (as the facts stand today)")
        st.info(detail.replenishment_line.description, icon=":material/calculate:")

st.divider()
st.subheader("Portfolio: runway ranking")
st.caption(f"{len(dry)} of {counted(len(runways), 'agency')} run dry before the period ends at their current burn rate.")
frame = pd.DataFrame({
    "Agency": [r.agency_id for r in runways],
    "Name": [r.name for r in runways],
    "In the bank": [r.balance_now for r in runways],
    "Burn per day": [float(r.burn_per_day) for r in runways],
    "Runway (days)": [r.runway_days for r in runways],
    "Runs dry on": [day(r.dry_on) for r in runways],
    "Before cutoff": ["Yes" if r.runs_dry_before_cutoff else "No" for r in runways],
})
picked = st.dataframe(
    frame, hide_index=True, width="stretch", key="runway_table", on_select="rerun", selection_mode="single-row",
    column_config={
        "In the bank": st.column_config.NumberColumn(format="localized"),
        "Burn per day": st.column_config.NumberColumn(format="%.1f"),
    },
)
open_picked(picked, [r.agency_id for r in runways], page="pages/minute_bank.py")
st.caption("Pick a row to see that agency's bank above; its history is on the agency page.")
