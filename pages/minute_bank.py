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
    try:
        trend = cache.bank_trend(viewer, agency_id, today)
    except BillingError as error:
        st.warning(str(error))
        trend = None
    forecast_point = next((p for p in trend.points if p.is_forecast), None) if trend else None
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("In the bank now", f"{count(runway.balance_now)} min")
    c2.metric("Burn rate (min/day)", f"{runway.burn_per_day:,.0f}", help="Average of the last 7 complete days")
    if runway.runway_days is None:
        c3.metric("Runway", "No recent usage")
    else:
        c3.metric("Runway", counted(runway.runway_days, "day"), help=f"Runs dry around {day(runway.dry_on)}")
    if forecast_point is not None:
        c4.metric("Forecast at cutoff", f"{count(forecast_point.closing)} min",
                  help="Usage so far plus the remaining days at the recent minutes per user-day: the invoice's forecast. "
                       f"At the 7-day burn rate it would be {count(runway.projected_end_balance)} min.")
    else:
        c4.metric("Projected at period end", f"{count(runway.projected_end_balance)} min",
                  help="The balance now minus the burn rate for each remaining day (the bank before any replenishment)")
    if runway.runs_dry_before_cutoff:
        st.warning(f"At this rate the bank runs dry around {day(runway.dry_on)}, before the period ends on "
                 f"{day(runway.period.end)}. The deficit is billed in the next replenishment.", icon=":material/hourglass_empty:")
    if trend is not None and trend.points:
        st.subheader("Trend: the last 12 cycles and the running one")
        st.caption(f"One axis, in minutes. The running period ({trend.days_elapsed} of {trend.days} days elapsed) is drawn "
                   "twice: used so far (solid) and its forecast at cutoff (hatched bar, dashed balance) at the recent "
                   "minutes per user-day." + (f" Runway: runs dry around {day(trend.runway.dry_on)}."
                                              if trend.runway and trend.runway.dry_on else ""))
        st.plotly_chart(charts.trend_chart(trend), width="stretch", key="trend_chart")
        with st.expander("The trend as a table"):
            kinds = {"history": "closed", "so_far": "so far", "forecast": "forecast at cutoff"}
            st.dataframe(pd.DataFrame({
                "Cycle": [str(p.cycle) for p in trend.points], "": [kinds[p.kind] for p in trend.points],
                "Opening": [p.opening for p in trend.points], "Credited": [p.credited for p in trend.points],
                "Used": [p.used for p in trend.points], "Closing": [p.closing for p in trend.points],
                "Replenishment billed": [p.replenishment for p in trend.points],
            }), hide_index=True, width="stretch")
    st.subheader("The running period, day by day")
    st.plotly_chart(charts.bank_chart(detail), width="stretch", key="bank_chart")
    st.markdown(
        f"Opened with **{count(runway.opening_balance)}** min carried from the last cutoff, "
        f"**{count(runway.credited_at_start)}** credited on {md(day(runway.period.start))} (the last invoice's pre-billed minutes)"
        + (f" and **{count(runway.onboarding_credit)}** onboarding minutes" if runway.onboarding_credit else "")
        + f"; **{count(runway.used_so_far)}** used so far."
    )
    if forecast_point is not None and detail.replenishment_line:
        st.markdown(f"**Replenishment the next invoice will bill, forecast at cutoff: {count(forecast_point.replenishment)} min** "
                    f"(bank at cutoff {count(forecast_point.closing)} min). From the usage so far it would be "
                    f"{count(detail.replenishment_line.quantity)} min:")
    elif detail.replenishment_line:
        st.markdown("**Replenishment the next invoice will bill** (as the facts stand today)")
    if detail.replenishment_line:
        st.info(detail.replenishment_line.description, icon=":material/calculate:")

st.divider()
st.subheader("Portfolio: runway ranking")
st.caption(f"{len(dry)} of {counted(len(runways), 'agency')} run dry before the period ends at their current burn rate. "
           "Departure: the running period's forecast usage at cutoff against the average of its last three closed periods.")
ranking = cache.trend_ranking(viewer, today)
frame = pd.DataFrame({
    "Agency": [r.runway.agency_id for r in ranking],
    "Name": [r.runway.name for r in ranking],
    "In the bank": [r.runway.balance_now for r in ranking],
    "Burn per day": [float(r.runway.burn_per_day) for r in ranking],
    "Runway (days)": [r.runway.runway_days for r in ranking],
    "Runs dry on": [day(r.runway.dry_on) for r in ranking],
    "Before cutoff": ["Yes" if r.runway.runs_dry_before_cutoff else "No" for r in ranking],
    "Forecast use": [r.forecast_used for r in ranking],
    "Trend use": [r.trend_used for r in ranking],
    "Departure %": [None if r.departure_pct is None else float(r.departure_pct) for r in ranking],
})
order = st.radio("Rank by", ["Runway", "Departure from trend"], horizontal=True, key="bank_rank_by")
if order != "Runway":
    frame = frame.reindex(frame["Departure %"].abs().sort_values(ascending=False, na_position="last").index)
picked = st.dataframe(
    frame, hide_index=True, width="stretch", key="runway_table", on_select="rerun", selection_mode="single-row",
    column_config={
        "In the bank": st.column_config.NumberColumn(format="localized"),
        "Burn per day": st.column_config.NumberColumn(format="%.1f"),
        "Forecast use": st.column_config.NumberColumn(format="localized"),
        "Trend use": st.column_config.NumberColumn(format="localized"),
        "Departure %": st.column_config.NumberColumn(format="%+.1f%%"),
    },
)
open_picked(picked, list(frame["Agency"]), page="pages/minute_bank.py")  # in the order shown
st.caption("Pick a row to see that agency's bank above; its history is on the agency page.")
