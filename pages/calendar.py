"""Cycle calendar: the key dates of the cycle just invoiced, the current and
the next one, month by month, and each agency's housekeeping before the cutoff."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from billing import CycleCalendar
from services.access import Permission
from services.cycles import calendar_cycles, current_cycle, ics_calendar
from ui import cache
from ui.calendar_view import month_grid_html
from ui.context import empty_state, page_setup
from ui.format import counted, day, md
from ui.links import open_picked

viewer, today = page_setup("Cycle calendar", Permission.VIEW_CALENDAR)
cycle = current_cycle(today)
calendars = [CycleCalendar.of(c) for c in calendar_cycles(today)]
st.caption(f"Today is {md(day(today))}. Cycle {cycle} is the next to be invoiced, on {md(day(cycle.invoice_date))}.")

months = sorted({(d.year, d.month) for cal in calendars for d, _ in cal.key_dates()})
shown = [m for m in months if m >= (today.year, today.month)][:4]  # this month on: what is still ahead
for pair in range(0, len(shown), 2):  # a row of two months, so a narrow screen stacks them in order
    for column, (year, month) in zip(st.columns(2), shown[pair:pair + 2], strict=False):
        with column:
            st.html(month_grid_html(year, month, calendars, today))

left, right = st.columns([3, 1])
with left:
    # What is still ahead, soonest first: the cycle just invoiced keeps its due and restriction dates here.
    rows = sorted((d, name, str(cal.cycle)) for cal in calendars for d, name in cal.key_dates() if d >= today)
    st.dataframe(
        pd.DataFrame({"Date": [day(d) for d, _, _ in rows], "What": [n for _, n, _ in rows], "Cycle": [c for _, _, c in rows],
                      "In": ["today" if d == today else counted((d - today).days, "day") for d, _, _ in rows]}),
        hide_index=True, width="stretch", key="key_dates",
    )
with right:
    with_alarms = st.toggle("With alarms", value=True, key="ics_alarms",
                            help="The afternoon before the cutoff, and the mornings of the due and restriction dates")
    ics = ics_calendar([c.cycle for c in calendars], stamp=today, alarms=with_alarms)
    st.download_button("Download key dates (.ics)", data=ics,
                       file_name="dialer-billing-cycles.ics", mime="text/calendar", icon=":material/event:", key="ics")
    st.caption(f"Import into Outlook or Google Calendar: reminders, cutoffs, invoice, due and restriction dates "
               f"of cycles {calendars[0].cycle}, {calendars[1].cycle} and {calendars[2].cycle}.")

st.subheader("Housekeeping before the cutoff")
st.caption("Reminders go out on the 18th and the 22nd: what each agency can still tidy up before its usage and "
           "configuration are final at the cutoff.")
if not cache.agencies(viewer):
    empty_state("No agencies yet.")
    st.stop()
rows = cache.housekeeping(viewer, today)
frame = pd.DataFrame({
    "Agency": [r.agency_id for r in rows],
    "Name": [r.name for r in rows],
    "Active users": [r.active_users for r in rows],
    "Minimum": [r.minimum_users for r in rows],
    "Free seats under minimum": [r.free_seats_under_minimum for r in rows],
    "Idle 30+ days (billed)": [len(r.idle_users) for r in rows],
    "Numbers to be cleaned": [str(r.numbers_to_clean) if r.cleaning_contracted else "— not contracted" for r in rows],
})
picked = st.dataframe(frame, hide_index=True, width="stretch", key="housekeeping_table", on_select="rerun",
                      selection_mode="single-row",
                      column_config={"Numbers to be cleaned": st.column_config.TextColumn(help="Dialing numbers the next invoice cleans")})
open_picked(picked, [r.agency_id for r in rows])
st.caption("Pick a row to open the agency.")
idle = [r for r in rows if r.idle_users]
if idle:
    # One table, not a paragraph per agency: at 5,000 agencies that was thousands of elements on every visit.
    with st.expander(f"Idle users to review: {counted(sum(len(r.idle_users) for r in idle), 'user')} "
                     f"across {counted(len(idle), 'agency')}"):
        st.dataframe(pd.DataFrame([{"Agency": r.agency_id, "Name": r.name, "Idle user": user}
                                   for r in idle for user in r.idle_users]),
                     hide_index=True, width="stretch", key="idle_users_table")
