"""Overdue: aging, who is at risk of or under restricted dialer access, and
recording the payments that lift it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.access import Permission
from services.errors import BillingError
from services.overdue import invoice_cycle, open_invoice_numbers, overdue_csv
from services.payments import record_payment
from ui import cache, charts
from ui.context import page_setup
from ui.format import STATUS_LABELS, day, md, money_float, usd
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
        st.markdown(f"**{md(bucket.label)}**: {md(usd(bucket.balance))} · {bucket.invoices} open items · {bucket.agencies} agencies")

st.subheader("Overdue, at risk and restricted")
if not view.rows:
    st.success("Nobody is overdue.", icon=":material/check_circle:")
else:
    frame = pd.DataFrame({
        "Agency": [f"/invoices?agency={r.agency_id}" for r in view.rows],
        "Name": [r.name for r in view.rows],
        "Status": [STATUS_LABELS[r.status.value] for r in view.rows],
        "Days overdue": [r.days_overdue for r in view.rows],
        "Restriction date": [day(r.restriction_date) for r in view.rows],
        "Days left": ["restricted" if r.days_to_restriction is None else f"{r.days_to_restriction} days" for r in view.rows],
        "Pay to avoid or lift": [money_float(r.amount_to_clear) for r in view.rows],
        "Balance": [money_float(r.balance) for r in view.rows],
        "Oldest open": [r.oldest_open_invoice for r in view.rows],
        "Account manager": [r.account_manager or "" for r in view.rows],
    })
    st.dataframe(
        frame, hide_index=True, width="stretch", key="overdue_table",
        column_config={
            "Agency": st.column_config.LinkColumn("Agency", display_text=r"agency=(.+)$"),
            "Pay to avoid or lift": st.column_config.NumberColumn(format="dollar",
                                                                 help="Restricted: the invoices 15+ days overdue. "
                                                                      "Otherwise: everything past due."),
            "Balance": st.column_config.NumberColumn(format="dollar"),
        },
    )
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

if not viewer.can(Permission.RECORD_PAYMENT):
    st.stop()
st.divider()
st.subheader("Record a payment")
last = st.session_state.pop("payment_recorded", None)
if last:
    st.success(last, icon=":material/payments:")
owing = [s.agency_id for s in view.statuses if s.balance > 0]
choices = owing + [a for a in names if a not in owing]
agency_id = st.selectbox("Agency", choices, format_func=lambda a: f"{names.get(a, a)} ({a})", key="pay_agency")
with st.form("payment_form", clear_on_submit=False):
    amount_col, date_col = st.columns(2)
    amount = amount_col.text_input("Amount (USD)", placeholder="1234.56", key="pay_amount")
    paid_on = date_col.date_input("Received on", value=today, max_value=today, key="pay_date", format="YYYY-MM-DD")
    invoice_col, reference_col = st.columns(2)
    open_numbers = open_invoice_numbers(viewer, agency_id, today)
    invoice = invoice_col.selectbox("Apply to invoice", ["Oldest open first", *open_numbers], key="pay_invoice")
    reference = reference_col.text_input("Reference", placeholder="ACH or check number", key="pay_reference",
                                         help="A payment submitted twice with the same reference is recorded once")
    submitted = st.form_submit_button("Record payment", type="primary")
if submitted:
    try:
        p = record_payment(
            viewer, agency_id=agency_id, amount=amount, paid_on=paid_on,
            invoice_number=None if invoice == "Oldest open first" else invoice, reference=reference,
        )
    except BillingError as error:
        st.error(f"Not recorded. {md(error)}", icon=":material/error:")
    else:
        cache.clear()
        st.session_state["payment_recorded"] = (
            f"Recorded {usd(p.amount)} from {names.get(p.agency_id, p.agency_id)} on {day(p.paid_on)}."
            if p.created else f"Reference {p.reference} was already recorded; nothing changed."
        )
        st.rerun()
