"""Invoices: one agency's invoice for a cycle, line by line, and the portfolio.

Deep link: ``/invoices?agency=A-1001&cycle=2026-11``; the URL follows the
selection so it can be pasted into a ticket or a chat.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from billing import Cycle
from services import cycles, previews
from services.access import Permission
from services.adjustments import record_adjustment
from services.errors import BillingError, FieldError
from services.invoices import cycle_archive, forecast_side_by_side, invoice_lines
from ui import cache, charts
from ui.context import empty_state, page_setup, query_value
from ui.format import count, counted, day, md, money_float, per_user_day, signed_usd, status_badge, usd
from ui.issuing import issue_button, show_issue_result
from ui.lines_table import lines_table_html
from ui.links import agency_page_link, open_picked
from ui.pickers import agency_names, agency_picker
from ui.whatif import issued_now_section, whatif_section

viewer, today = page_setup("Invoices", Permission.VIEW_INVOICES)
names = agency_names(viewer, "No agencies yet: there is nothing to invoice. Import agencies, contracts and users first.")
left, right = st.columns([3, 1])
agency_id = agency_picker(names, key="invoice_agency", container=left)
onboarded = {a.agency_id: a.onboarded_on for a in cache.agencies(viewer)}
first_cycle = Cycle.containing(onboarded[agency_id]) if agency_id in onboarded else None
# Offered: the agency's onboarding cycle up to the cycle after the running one, nothing else.
cycle_options = [str(c) for c in previews.previewable_cycles(first_cycle or previews.EARLIEST_CYCLE, today)]
default_cycle = str(cycles.current_cycle(today))
if default_cycle not in cycle_options:
    default_cycle = cycle_options[-1] if cycle_options else default_cycle
wanted_cycle = query_value("cycle")
if wanted_cycle and wanted_cycle not in cycle_options:
    # Refused before anything is priced: an out-of-range cycle answers at once.
    try:
        linked = Cycle.parse(wanted_cycle)
        previews.require_previewable(linked, first_cycle)
    except ValueError:
        st.error(f"The link's cycle “{md(wanted_cycle, limit=40)}” is not a cycle (YYYY-MM); showing cycle {default_cycle}.")
    except BillingError as error:
        st.error(f"The link's cycle: {md(error.problem if isinstance(error, FieldError) else error)}; "
                 f"showing cycle {default_cycle}.")
    wanted_cycle = None
if st.session_state.get("invoice_cycle") not in (None, *cycle_options):
    del st.session_state["invoice_cycle"]  # another agency's cycle, before this one's first invoice
cycle_text = right.selectbox(
    "Cycle", options=cycle_options,
    index=cycle_options.index(wanted_cycle or default_cycle), key="invoice_cycle",
    help="Named by the month of its invoice: 2026-11 bills 2026-11-24 to 2026-12-23 and closes 2026-10-24 to 2026-11-23. "
         "Offered from the agency's first invoice to the cycle after the running one.",
)
st.query_params["cycle"] = cycle_text
cycle = Cycle.parse(cycle_text)

try:
    view = cache.invoice_view(viewer, agency_id, cycle_text, today)
except BillingError as error:
    st.warning(str(error), icon=":material/info:")
    view = None

if view is not None:
    preview, snap = view.preview, view.preview.snapshot
    cal = cycle.closed_period
    account_badge = f" · {status_badge(view.status.status.value)}" if view.status is not None else ""
    heading = md(view.agency.name)
    if preview.issued:
        verified = "content hash verified"  # a row that does not match never gets here: it raises InvoiceIntegrityError
        st.markdown(f"### {heading} · :blue-badge[Issued {md(preview.issued.number)}]{account_badge}")
        st.caption(f"Frozen on {md(day(preview.issued.issued_at.date()))} by {md(preview.issued.issued_by)} · {verified}")
        approval = cache.approval_of_invoice(viewer, agency_id, cycle_text)
        if approval is None:
            st.caption("Issued without an approval on record.")
        elif not approval.stale:
            st.caption(f"Approved by {md(approval.by)} on {md(day(approval.at.date()))}: the issued invoice is exactly "
                       "the approved preview, nothing changed.")
        else:
            changed = ", ".join(f"{c.title} {usd(c.approved)} → {usd(c.current)}" for c in approval.changes) or "details only"
            st.warning(f"Differs from the preview {md(approval.by)} approved on {md(day(approval.at.date()))}: "
                       f"{md(changed)}.", icon=":material/difference:")
    elif view.in_progress and view.outlook is not None:
        where = view.outlook.standing
        st.markdown(f"### {heading} · :orange-badge[{md(where.label)}]{account_badge}")
        st.caption(f"The closed period runs to {md(day(cal.end))}: **so far** prices the facts stored now; the "
                   "**forecast at cutoff** adds the remaining days at the agency's recent minutes per user-day, "
                   "with seats and services as known now.")
    else:
        st.markdown(f"### {heading} · :gray-badge[Preview, not issued · final]{account_badge}")
        st.caption("The closed period is over: priced from the facts as stored now; it becomes final when the cycle is issued.")
    agency_page_link(view.agency.agency_id, f"{view.agency.name}: account, ledger and statement")

    outlook = view.outlook if view.in_progress else None
    m1, m2, m3, m4 = st.columns(4)
    change = None if view.previous is None else preview.total - view.previous.total
    if outlook is not None:
        forecast_snap = outlook.forecast_snapshot
        forecast_change = None if view.previous is None else forecast_snap.total - view.previous.total
        m1.metric("So far", usd(preview.total), help="The rules applied to the facts stored now")
        m2.metric("Forecast at cutoff", usd(forecast_snap.total),
                  delta=None if forecast_change is None else f"{signed_usd(forecast_change)} vs {cycle.previous()}",
                  delta_color="off", help="Usage so far plus the remaining days at the recent rate")
    else:
        m1.metric("Total", usd(preview.total), delta=None if change is None else f"{signed_usd(change)} vs {cycle.previous()}",
                  delta_color="off")
        m2.metric("Seats billed", count(preview.seats_billed), help="USER_FEE quantity: users active at cutoff, at least the minimum")
    m3.metric("Due", day(cycle.due_date).split(" ", 1)[1], help=day(cycle.due_date))
    if view.balance_due is not None:
        m4.metric("Balance due", usd(view.balance_due),
                  help="What is still owed on this invoice and on the debit adjustments that name it")
    elif outlook is not None:
        m4.metric("Days elapsed", f"{outlook.standing.days_elapsed} of {outlook.standing.days}",
                  help=f"Days of the closed period over on {day(today)}")
    else:
        m4.metric("Restriction from", day(cycle.restriction_date).split(" ", 1)[1],
                  help="Dialer access is restricted from this day if the invoice is still unpaid")
    st.markdown(f"Invoice date **{md(day(cycle.invoice_date))}** · due **{md(day(cycle.due_date))}** · "
                f"restriction from **{md(day(cycle.restriction_date))}**")
    st.caption(
        f"Closed period {md(day(cal.start))} – {md(day(cal.end))} ({cal.days} days) · advance period "
        f"{md(day(cycle.advance_period.start))} – {md(day(cycle.advance_period.end))} ({cycle.advance_period.days} days) · "
        f"{counted(snap.headcount_at_cutoff, 'user')} active at cutoff"
    )

    if view.status is not None and view.status.status.value != "paid_up":
        s_ = view.status
        when = (f"restricted since {day(s_.restriction_date)}" if s_.status.value == "restricted"
                else f"restriction from {day(s_.restriction_date)}" if s_.restriction_date and s_.days_overdue else "nothing past due")
        st.caption(f"Account of {md(view.agency.name)} on {md(day(today))}: {md(s_.status.label)}, {md(usd(s_.balance))} open "
                   f"(oldest {md(s_.oldest_open_invoice or '—')}, {s_.days_overdue} days overdue; {md(when)}).")
    if view.balance_due is not None:
        if view.balance_due == 0:
            st.success("Paid in full. Thank you.", icon=":material/check_circle:")
        elif view.invoice_balance == 0 and view.open_debits > 0:
            open_items = ", ".join(f"{a.number} ({usd(a.open_balance)}, due {day(a.due_on)})"
                                   for a in view.adjustments if a.open_balance > 0)
            st.warning(f"The invoice itself is paid, but {md(usd(view.open_debits))} of debit adjustments on it is still open: "
                       f"{md(open_items)}.", icon=":material/error:")
        elif view.open_debits > 0:
            st.info(f"{md(usd(view.invoice_balance))} open on the invoice and {md(usd(view.open_debits))} on its debit "
                    "adjustments.", icon=":material/info:")
    if view.status is not None and view.status.credit > 0:
        st.info(f"{md(view.agency.name)} has {md(usd(view.status.credit))} of account credit; it is applied to the next invoice.",
                icon=":material/savings:")

    if outlook is not None:
        st.subheader("So far and forecast at cutoff")
        side = forecast_side_by_side(outlook)
        st.dataframe(pd.DataFrame({
            "Line": [r.title for r in side], "So far": [usd(r.so_far) for r in side],
            "Forecast at cutoff": [usd(r.forecast) for r in side], "Forecast line is": [r.basis for r in side],
        }), hide_index=True, width="stretch", key="forecast_table")
        if outlook.detail is not None:
            st.caption(f"Forecast: {count(outlook.detail.added_minutes)} more minutes over "
                       f"{count(outlook.detail.remaining_user_days)} remaining user-days "
                       f"({per_user_day(outlook.detail.rate)} min per user-day, the recent rate).")
    st.subheader("Lines so far" if outlook is not None else "Lines")
    lines = tuple(replace(line, title=view.with_names(line.title), description=view.with_names(line.description))
                  for line in invoice_lines(view))
    prorated = [line for line in lines if line.code == "PRORATED_USER_FEE"]
    group_prorated = len(prorated) > 8  # a long list of prorations goes in its own table below
    shown = tuple(line for line in lines if not (group_prorated and line.code == "PRORATED_USER_FEE"))
    st.html(lines_table_html(shown, usd(preview.total)))
    if group_prorated:
        prorated_total = usd(sum(line.amount for line in prorated))
        with st.expander(f"Prorated user fees: {counted(len(prorated), 'user')}, {md(prorated_total)} (included in the total)"):
            st.dataframe(
                pd.DataFrame({"User": [view.named(line.user or "") for line in prorated], "Days": [line.quantity for line in prorated],
                              "Amount": [usd(line.amount) for line in prorated], "Why": [line.description for line in prorated]}),
                hide_index=True, width="stretch",
            )
    if view.adjustments:
        st.markdown("**Adjustments to this invoice** (the issued invoice never changes; these are owed or credited beside it)")
        st.dataframe(pd.DataFrame({
            "Date": [day(a.on_date) for a in view.adjustments],
            "Adjustment": [a.number for a in view.adjustments],
            "Kind": [a.kind.value.capitalize() for a in view.adjustments],
            "Amount": [signed_usd(a.amount if a.kind.value == "debit" else -a.amount) for a in view.adjustments],
            "Reason (shown to the client)": [a.reason for a in view.adjustments],
            "Due": [day(a.due_on) if a.kind.value == "debit" else "—" for a in view.adjustments],
            "Still open": [usd(a.open_balance) if a.open_balance else "—" for a in view.adjustments],
        }), hide_index=True, width="stretch", key="invoice_adjustments")
    file_name, pdf = cache.invoice_pdf(viewer, agency_id, cycle_text, today)
    st.download_button("Download PDF", data=pdf, file_name=file_name, mime="application/pdf",
                       icon=":material/picture_as_pdf:", type="primary", key="invoice_pdf")

    bank = snap.bank
    b1, b2, b3, b4, b5 = st.columns(5)
    b1.metric("Bank at previous cutoff", count(bank.opening_balance))
    b2.metric("Credited", count(bank.credited))
    b3.metric("Used", count(bank.minutes_used))
    b4.metric("Closing balance", count(bank.closing_balance))
    b5.metric("Replenishment", count(bank.replenishment), help="Minutes pre-billed for the advance period")

    seats_tab, change_tab, payments_tab = st.tabs(["Seat timeline", "Change from previous invoice", "Payments"])
    with seats_tab:
        prorated_steps = [s for s in view.seat_steps if s.event.value == "prorated"]
        st.caption(
            f"{count(snap.seats_paid_in_advance or 0)} seats were paid in advance for the closed period. "
            "An activation is prorated only when it needs a seat nobody paid for; a freed seat is reused at no charge."
        )
        steady = len({b.user_id for b in view.seat_bars if b.kind == "active"})
        if any(b.kind != "active" for b in view.seat_bars):
            st.plotly_chart(charts.seat_timeline(view), width="stretch", key="seat_timeline")
        st.caption(f"{counted(steady, 'user')} {'was' if steady == 1 else 'were'} active throughout the period (not drawn).")
        if view.seat_steps:
            st.dataframe(
                pd.DataFrame({
                    "Day": [day(s.day) for s in view.seat_steps], "User": [view.named(s.user_id) for s in view.seat_steps],
                    "What happened": [s.event.value.replace("_", " ") for s in view.seat_steps],
                    "Active after": [s.active_after for s in view.seat_steps],
                    "Seats paid after": [s.paid_after for s in view.seat_steps],
                }),
                hide_index=True, width="stretch",
            )
        else:
            st.caption("Nobody joined or left during the closed period.")
        if preview.issued:
            st.caption("Issued invoices are frozen; the timeline shows the access facts as they are stored now.")
    with change_tab:
        if view.previous is None:
            st.caption("This is the agency's first invoice: there is nothing to compare with.")
        else:
            st.plotly_chart(charts.change_waterfall(view), width="stretch", key="change_waterfall")
            st.dataframe(
                pd.DataFrame({
                    "Line": [c.title for c in view.changes],
                    f"Cycle {cycle.previous()}": [usd(c.previous) for c in view.changes],
                    f"Cycle {cycle}": [usd(c.current) for c in view.changes],
                    "Change": [signed_usd(c.delta) for c in view.changes],
                }),
                hide_index=True, width="stretch",
            )
    with payments_tab:
        if not preview.issued:
            st.caption("Payments apply to issued invoices; this cycle is not issued yet.")
        else:
            if view.payments:
                st.dataframe(
                    pd.DataFrame({"Date": [day(p.paid_on) for p in view.payments], "Applied": [usd(p.amount) for p in view.payments],
                                  "From": [p.source for p in view.payments], "Reference": [p.reference or "—" for p in view.payments]}),
                    hide_index=True, width="stretch",
                )
            else:
                st.caption(f"No payment applied as of {day(today)}.")
            st.metric("Balance due on this invoice", usd(view.balance_due),
                      help="Including the debit adjustments that name it" if view.adjustments else None)
            if viewer.can(Permission.RECORD_ADJUSTMENT):
                recorded_message = st.session_state.pop("adjustment_recorded", None)
                if recorded_message:
                    st.success(recorded_message, icon=":material/check_circle:")
                with st.expander("Record an adjustment for this invoice"):
                    st.caption("Issued invoices never change. A credit reduces what the agency owes; "
                               "a debit adds a charge, due with this invoice unless you give another date.")
                    with st.form("adjustment_form"):
                        kind_col, amount_col, date_col = st.columns(3)
                        kind = kind_col.selectbox("Kind", ["credit", "debit"], key="adj_kind")
                        amount = amount_col.text_input("Amount (USD)", placeholder="125.00", key="adj_amount")
                        on_date = date_col.date_input("Dated", value=today, key="adj_date", format="YYYY-MM-DD")
                        reason = st.text_input("Reason (shown to the client)", key="adj_reason",
                                               placeholder="Credit for a seat billed after the user left on the 2nd")
                        recorded = st.form_submit_button("Record adjustment", type="primary")
                    if recorded:
                        try:
                            adjustment = record_adjustment(viewer, agency_id=agency_id, kind=kind, amount=amount,
                                                           on_date=on_date, reason=reason, invoice_number=preview.issued.number)
                        except BillingError as error:
                            st.error(f"Not recorded. {md(error)}", icon=":material/error:")
                        else:
                            cache.clear()
                            st.session_state["adjustment_recorded"] = (
                                f"Recorded a {adjustment.kind} of {usd(adjustment.amount)} on {preview.issued.number}.")
                            st.rerun()  # the balance above is drawn again with the adjustment in it

if view is not None and view.preview.issued:
    with st.expander("Issued vs the facts stored now"):
        issued_now_section(viewer, agency_id, cycle_text)

if view is not None and view.contract_terms is not None:
    st.divider()
    detail = view.outlook.detail if view.in_progress and view.outlook else None
    whatif_section(viewer, agency_id, cycle, today, view.contract_terms,
                   recent_rate=None if detail is None else per_user_day(detail.rate))

st.divider()
st.subheader(f"All agencies, cycle {cycle}")
show_issue_result(cycle, names)
folio = cache.portfolio_for(viewer, cycle_text)
if not folio.rows:
    empty_state("No agency has an invoice in this cycle.")
else:
    frame = pd.DataFrame({
        "Agency": [r.agency_id for r in folio.rows],
        "Name": [r.name for r in folio.rows],
        "State": [r.number or "Preview" for r in folio.rows],
        "Total": [money_float(r.total) for r in folio.rows],
        "Change": [None if r.change is None else money_float(r.change) for r in folio.rows],
        "Seats billed": [r.seats_billed for r in folio.rows],
        "Active at cutoff": [r.headcount for r in folio.rows],
        "Prorated": [r.prorated_users for r in folio.rows],
        "Minutes pre-billed": [r.replenishment for r in folio.rows],
    })
    picked = st.dataframe(
        frame, hide_index=True, width="stretch", key="portfolio_table", on_select="rerun", selection_mode="single-row",
        column_config={
            "Total": st.column_config.NumberColumn("Total", format="dollar"),
            "Change": st.column_config.NumberColumn("Change", format="dollar"),
            "Minutes pre-billed": st.column_config.NumberColumn(format="localized"),
        },
    )
    open_picked(picked, [r.agency_id for r in folio.rows], cycles=[cycle_text] * len(folio.rows))
    st.caption(f"Pick a row to open its invoice · {counted(len(folio.rows), 'invoice')} · {md(usd(folio.total))} · "
               f"{len(folio.issued)} issued, "
               f"{len(folio.pending)} to issue ({md(usd(folio.pending_total))})")
    for agency, problem in folio.problems.items():
        st.warning(f"{md(names.get(agency, agency))} ({md(agency)}): {md(problem)}")

    actions = st.columns(2)
    with actions[0]:
        if st.button(f"Build the PDF archive of cycle {cycle}", icon=":material/folder_zip:", key="build_archive"):
            bar = st.progress(0.0, text="Rendering PDFs…")
            name, archive = cycle_archive(
                viewer, cycle, progress=lambda done, total: bar.progress(done / total, text=f"Rendered {done} of {total} PDFs"))
            bar.empty()
            st.session_state["archive"] = (cycle_text, name, archive)
        ready = st.session_state.get("archive")
        if ready and ready[0] == cycle_text:
            st.download_button(f"Download {ready[1]}", data=ready[2], file_name=ready[1], mime="application/zip",
                               icon=":material/download:", key="archive_download")
    with actions[1]:
        if folio.pending and today > cycle.cutoff and viewer.can(Permission.ISSUE):
            gate = cache.issue_readiness(viewer, cycle_text)
            issue_button(viewer, cycle, approved=len(gate.ready), approved_total_text=usd(gate.ready_total),
                         waiting=len(gate.waiting), key="issue_now")
            if gate.approval_required:
                st.caption(f"Only approved invoices are issued: [review cycle {cycle}](/review?cycle={cycle}) "
                           f"({len(gate.ready)} of {len(folio.pending)} approved).")
        elif folio.pending:
            st.caption(f"Cycle {cycle} can be issued after its cutoff ({day(cycle.cutoff)}).")
        else:
            st.caption(f"Every invoice of cycle {cycle} is issued.")
