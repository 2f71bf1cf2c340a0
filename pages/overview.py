"""Overview: where the current cycle stands, and what needs attention."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from billing import Status
from services.access import Permission
from ui import cache, charts
from ui.context import empty_state, page_setup
from ui.format import (
    STATUS_LABELS,
    counted,
    day,
    days,
    md,
    money_float,
    status_badge,
    usd,
)
from ui.pickers import no_agencies_message

viewer, today = page_setup("Overview", Permission.VIEW_OVERVIEW)

names = {a.agency_id: a.name for a in cache.agencies(viewer)}
if not names:
    empty_state(no_agencies_message(viewer, "No agencies yet. Import `agencies.csv` and the other files (see the README), "
                                            "or run `python manage.py seed` for the demo portfolio."))
    st.stop()

view = cache.overview(viewer, today)
clock, folio = view.clock, view.portfolio
cal = clock.calendar

running = view.standing
if not running.is_final:
    st.markdown(f":orange-badge[Cycle {md(running.cycle)} · {md(running.label)}] "
                "Its invoice figures are **so far**; the invoice page shows each one's forecast at cutoff.")
st.caption(
    f"As of **{md(day(today))}** · cycle **{md(clock.cycle)}** · closed period {md(day(cal.closed_period.start))} – "
    f"{md(day(cal.closed_period.end))} · invoiced {md(day(cal.invoice_date))}"
)

for cycle, pending in view.unissued_earlier.items():
    st.warning(f"Cycle {cycle} is past its invoice date and {counted(pending, 'agency')} "
               f"{'is' if pending == 1 else 'are'} not issued yet.", icon=":material/priority_high:")

c1, c2, c3, c4 = st.columns(4)
if clock.past_cutoff:
    c1.metric("Cutoff", "Passed", help=f"Usage became final at the end of {day(cal.cutoff)}.")
else:
    c1.metric("Days to cutoff", days(clock.days_to_cutoff), help=f"End of {day(cal.cutoff)}")
c2.metric("Days to invoice date", "Today" if clock.days_to_invoice == 0 else days(clock.days_to_invoice),
          help=f"Invoices are issued on {day(cal.invoice_date)}")
c3.metric("Next housekeeping reminder", day(clock.next_reminder))
if folio is not None:
    so_far = "" if clock.past_cutoff else ", so far"
    c4.metric(f"To be issued ({counted(len(folio.pending), 'agency')}{so_far})", usd(folio.pending_total),
              help="Preview totals of the invoices not issued yet for this cycle"
                   + ("" if clock.past_cutoff else f"; {running.label.lower()}, so usage is not complete"))
else:
    c4.metric("Invoice date", day(cal.invoice_date))
if viewer.can(Permission.VIEW_CALENDAR):
    st.page_link("pages/calendar.py", label="Cycle calendar and housekeeping", icon=":material/calendar_month:")

st.divider()
counts = view.status_counts
s1, s2, s3, s4 = st.columns(4)
s1.metric("Restricted", counts[Status.RESTRICTED], help="15 or more days overdue")
s2.metric("At risk", counts[Status.AT_RISK], help="Overdue, within the warning window of the restriction date")
s3.metric("Overdue", counts[Status.OVERDUE])
s4.metric("Minute banks running dry", view.banks_running_dry,
          help="Balance runs out before the period ends at the current burn rate")
l1, l2, l3 = st.columns(3)
l1.page_link("pages/overdue.py", label="Overdue and restrictions", icon=":material/warning:")
if folio is not None:
    l2.page_link("pages/invoices.py", label=f"Invoices of cycle {clock.cycle}", icon=":material/receipt_long:",
                 query_params={"cycle": str(clock.cycle)})
l3.page_link("pages/minute_bank.py", label="Minute banks", icon=":material/hourglass_bottom:")

left, right = st.columns([3, 2])
with left:
    if folio is None:
        st.subheader("Key dates")
        st.markdown(f"Cutoff {md(day(cal.cutoff))} · invoice {md(day(cal.invoice_date))} · due {md(day(cal.due_date))} · "
                    f"restriction {md(day(cal.restriction_date))}")
    elif folio.rows:
        st.subheader(f"Invoices of cycle {clock.cycle}")
        frame = pd.DataFrame({
            "Agency": [r.name for r in folio.rows],
            "Total": [money_float(r.total) for r in folio.rows],
            "State": [r.state for r in folio.rows],
        }).sort_values("Total", ascending=False).head(15)
        st.plotly_chart(charts.invoice_totals(tuple(frame.itertuples(index=False, name=None))), width="stretch",
                        key="overview_totals")
        shown = f"Largest {len(frame)} of {counted(len(folio.rows), 'invoice')}" if len(folio.rows) > len(frame) \
            else f"All {counted(len(folio.rows), 'invoice')}" if len(folio.rows) > 1 else counted(1, "invoice")
        st.caption(f"{shown} · portfolio total {md(usd(folio.total))}")
    else:
        st.subheader(f"Invoices of cycle {clock.cycle}")
        empty_state("No agency has an invoice in this cycle yet.")
with right:
    st.subheader("Payment status")
    frame = pd.DataFrame({"Status": [STATUS_LABELS[s.value] for s in counts], "Agencies": list(counts.values()),
                          "key": [s.value for s in counts]})
    frame = frame[frame["Agencies"] > 0]
    if not frame.empty:
        st.plotly_chart(charts.payment_status(tuple(frame.itertuples(index=False, name=None))), width="stretch",
                        key="overview_status")
    attention = view.with_status(Status.RESTRICTED, Status.AT_RISK)
    if attention:
        st.markdown("**Needs attention**")
        for s in attention:
            st.markdown(f"- {status_badge(s.status.value)} **{md(names.get(s.agency_id, s.agency_id))}** · "
                        f"{md(usd(s.balance))} · {s.days_overdue} days overdue · restriction {md(day(s.restriction_date))}")
    else:
        st.success("Nobody is at risk of restriction.", icon=":material/check_circle:")

if folio is not None and folio.problems:
    with st.expander(f"{counted(len(folio.problems), 'agency')} cannot be priced"):
        for agency_id, problem in folio.problems.items():
            st.markdown(f"**{md(agency_id)}**: {md(problem)}")
