"""Overdue: aging, who is at risk of or under restricted dialer access, and
recording the payments that lift it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.access import Permission
from services.dates import EARLIEST
from services.errors import BillingError
from services.overdue import invoice_cycle, open_invoice_numbers, overdue_csv
from services.payments import PaymentEffect, payment_effect, record_payment
from ui import cache, charts
from ui.context import page_setup
from ui.format import STATUS_LABELS, counted, day, days, md, money_float, usd
from ui.links import open_picked
from ui.pickers import agency_names

viewer, today = page_setup("Overdue", Permission.VIEW_OVERDUE)
names = agency_names(viewer, "No agencies yet, so nothing can be overdue.")

view = cache.overdue_view(viewer, today)
st.caption(f"As of {md(day(today))}. Access is restricted from 15 days past the due date; "
           "agencies are at risk within 5 days of their restriction date.")

chart_col, numbers_col = st.columns([3, 2])
with chart_col:
    st.plotly_chart(charts.aging_bars(view), width="stretch", key="aging_chart")
with numbers_col:
    for bucket in view.buckets:
        st.markdown(f"**{md(bucket.label)}**: {md(usd(bucket.balance))} · {counted(bucket.invoices, 'open item')} · "
                    f"{counted(bucket.agencies, 'agency')}")

st.subheader("Overdue, at risk and restricted")
if not view.rows:
    st.success("Nobody is overdue.", icon=":material/check_circle:")
else:
    frame = pd.DataFrame({
        # The name, the status and what to pay first: on a phone they are what shows without scrolling.
        "Name": [r.name for r in view.rows],
        "Status": [STATUS_LABELS[r.status.value] for r in view.rows],
        "Pay to avoid or lift": [money_float(r.amount_to_clear) for r in view.rows],
        "Days left": ["restricted" if r.days_to_restriction is None else days(r.days_to_restriction) for r in view.rows],
        "Restriction date": [day(r.restriction_date) for r in view.rows],
        "Days overdue": [r.days_overdue for r in view.rows],
        "Balance": [money_float(r.balance) for r in view.rows],
        "Agency": [r.agency_id for r in view.rows],
        "Oldest open": [r.oldest_open_invoice for r in view.rows],
        "Account manager": [r.account_manager or "—" for r in view.rows],
    })
    picked = st.dataframe(
        frame, hide_index=True, width="stretch", key="overdue_table", on_select="rerun", selection_mode="single-row",
        column_config={
            "Pay to avoid or lift": st.column_config.NumberColumn(format="dollar",
                                                                 help="Restricted: the invoices 15+ days overdue. "
                                                                      "Otherwise: everything past due."),
            "Balance": st.column_config.NumberColumn(format="dollar"),
        },
    )
    open_picked(picked, [r.agency_id for r in view.rows])
    st.caption("Pick a row to open the agency: its ledger, what each payment paid, and the statement.")
st.download_button("Download CSV for ops", data=overdue_csv(view), file_name=f"overdue-{today.isoformat()}.csv",
                   mime="text/csv", icon=":material/download:", key="overdue_csv")

invoiced = [r for r in view.rows if r.oldest_open_invoice and r.oldest_open_invoice.startswith("INV-")]
if invoiced and viewer.can(Permission.VIEW_INVOICES):
    with st.expander("The oldest open invoice of an agency, as a PDF to send"):
        chosen = st.selectbox("Agency", [r.agency_id for r in invoiced], key="overdue_pdf_agency",
                              format_func=lambda a: f"{names.get(a, a)} ({a})")
        number = next(r.oldest_open_invoice for r in invoiced if r.agency_id == chosen)
        file_name, pdf = cache.invoice_pdf(viewer, chosen, invoice_cycle(number), today)
        st.download_button(f"Download {number} (with payments so far)", data=pdf, file_name=file_name,
                           mime="application/pdf", icon=":material/picture_as_pdf:", key="overdue_pdf")

OLD_PAYMENT_DAYS = 31  # older dates are asked about once: a typo in the year is easy to make

if not viewer.can(Permission.RECORD_PAYMENT):
    st.stop()
st.divider()
st.subheader("Record a payment")
last = st.session_state.pop("payment_recorded", None)
if last:
    st.success(last, icon=":material/payments:")
owing = [s.agency_id for s in view.statuses if s.balance > 0]
choices = owing + [a for a in names if a not in owing]
FORM_KEYS = ("pay_amount", "pay_date", "pay_invoice", "pay_reference")


def _reset_form() -> None:
    """A new agency, or a payment just recorded: nothing typed for the last one carries over."""
    for key in (*FORM_KEYS, "pay_pending"):
        st.session_state.pop(key, None)


agency_id = st.selectbox("Agency", choices, format_func=lambda a: f"{names.get(a, a)} ({a})", key="pay_agency",
                         on_change=_reset_form)
with st.form("payment_form", clear_on_submit=False):
    amount_col, date_col = st.columns(2)
    amount = amount_col.text_input("Amount (USD)", placeholder="1,234.56", key="pay_amount")
    # No max_value: a date past it would be replaced silently; the service refuses a future date in words.
    paid_on = date_col.date_input("Received on", value=today, min_value=EARLIEST, key="pay_date", format="YYYY-MM-DD")
    invoice_col, reference_col = st.columns(2)
    open_numbers = open_invoice_numbers(viewer, agency_id, today)
    invoice = invoice_col.selectbox("Apply to invoice", ["Oldest open first", *open_numbers], key="pay_invoice")
    reference = reference_col.text_input("Reference", placeholder="ACH or check number", key="pay_reference",
                                         help="A payment submitted twice with the same reference is recorded once")
    submitted = st.form_submit_button("Record payment", type="primary")


def _record(effect: PaymentEffect) -> None:
    try:
        # What was shown is what is recorded: a possible duplicate was on the summary the person confirmed.
        p = record_payment(viewer, agency_id=effect.agency_id, amount=str(effect.amount), paid_on=effect.paid_on,
                           invoice_number=effect.invoice_number, reference=effect.reference, confirm_duplicate=True)
    except BillingError as error:
        st.error(f"Not recorded. {md(error)}", icon=":material/error:")
    else:
        cache.clear()
        _reset_form()
        st.session_state["payment_recorded"] = (
            f"Recorded {md(usd(p.amount))} from {md(names.get(p.agency_id, p.agency_id))} on {day(p.paid_on)}."
            if p.created else f"Reference {md(p.reference)} was already recorded; nothing changed."
        )
        st.rerun()


def _summary(effect: PaymentEffect) -> str:
    """The effect in sentences: what is recorded, where it goes, what it changes."""
    who = md(names.get(effect.agency_id, effect.agency_id))
    head = (f"**{md(usd(effect.amount))}** from **{who}** ({md(effect.agency_id)}), received on {day(effect.paid_on)}"
            + (f", reference {md(effect.reference)}." if effect.reference else ", no reference."))
    lines = []
    for a in effect.applied:
        rest = "paid in full" if a.left_open == 0 else f"{md(usd(a.left_open))} stays open"
        lines.append(f"- {md(usd(a.amount))} to {md(a.invoice)} ({rest})")
    if effect.to_credit > 0:
        lines.append(f"- {md(usd(effect.to_credit))} becomes credit for the next invoice")
    before, after = STATUS_LABELS[effect.status_before.value], STATUS_LABELS[effect.status_after.value]
    status = f"Status: {before}" + ("" if before == after else f" → **{after}**") + "."
    return "\n\n".join([head, "\n".join(lines), status] if lines else [head, status])


if submitted:
    try:
        found = payment_effect(viewer, agency_id=agency_id, amount=amount, paid_on=paid_on, reference=reference,
                               invoice_number=None if invoice == "Oldest open first" else invoice)
    except BillingError as error:
        st.error(f"Not recorded. {md(error)}", icon=":material/error:")
    else:
        st.session_state["pay_pending"] = found
        st.rerun()

pending = st.session_state.get("pay_pending")
if isinstance(pending, PaymentEffect):
    with st.container(border=True):
        st.markdown("**Check before recording**")
        st.markdown(_summary(pending))
        if pending.days_ago > OLD_PAYMENT_DAYS:
            st.warning(f"Received on {day(pending.paid_on)} is {counted(pending.days_ago, 'day')} ago. "
                       "Is that date right?", icon=":material/help:")
        if pending.possible_duplicate is not None:
            earlier = pending.possible_duplicate
            st.warning(f"{md(usd(earlier.amount))} from this agency was already recorded on {day(earlier.paid_on)}"
                       + (f" (reference {md(earlier.reference)})" if earlier.reference else "")
                       + ". Record this one as a second payment?", icon=":material/content_copy:")
        yes, no = st.columns(2)
        if yes.button("Record it", type="primary", key="pay_confirm", icon=":material/check:"):
            st.session_state.pop("pay_pending", None)
            _record(pending)
        if no.button("Change it", key="pay_cancel", icon=":material/edit:"):
            st.session_state.pop("pay_pending", None)
            st.rerun()
