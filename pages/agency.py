"""The agency: one place for an agency's money and people.

Deep link: ``/agency?agency=A-1001``. Header with the engine's status,
balance, credit and what it takes to avoid or lift a restriction; contacts;
the contract in force and its history; the account ledger with a running
balance; invoices with links; the minute bank over time; users with names;
the statement of account and the usage reports as downloads. Each section
shows only what the viewer's role may see (the service leaves the others out).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from billing import Cycle
from services.access import Permission
from services.errors import BillingError
from ui import cache, charts
from ui.context import page_setup
from ui.format import count, counted, day, days, md, status_badge, usd
from ui.links import invoice_page_link, minute_bank_page_link, open_picked
from ui.pickers import agency_names, agency_picker

viewer, today = page_setup("Agency", Permission.VIEW_AGENCY)
names = agency_names(viewer, "No agencies yet. Import agencies, contracts and users first.")
agency_id = agency_picker(names, key="agency_page_agency")

try:
    page = cache.agency_page(viewer, agency_id, today)
except BillingError as error:
    st.warning(str(error), icon=":material/info:")
    st.stop()

info, status = page.agency, page.status
nowrap_id = info.agency_id.replace("-", "\u2011")  # a non-breaking hyphen: the id never splits across lines
st.markdown(f"### {md(info.name)} · {md(nowrap_id)} · {status_badge(page.state.value)}")
st.caption(f"Onboarded {md(day(info.onboarded_on))} · as of {md(day(today))}")

m1, m2, m3, m4 = st.columns(4)
m1.metric("Balance", usd(page.balance), help="Open invoices and debit adjustments, as the engine's ledger has them")
m2.metric("Credit", usd(page.credit), help="Overpayments and credits not applied yet; they go to the next invoice")
if status is not None and status.days_to_restriction is not None:
    m3.metric("Days to restriction", days(status.days_to_restriction), help=f"Restricted from {day(status.restriction_date)}")
elif status is not None and status.restriction_date is not None:
    m3.metric("Restricted since", day(status.restriction_date))
else:
    m3.metric("Days to restriction", "—", help="Nothing is past due")
to_clear = status.amount_to_lift_or_avoid_restriction if status else None
m4.metric("Pay to lift a restriction" if page.state.value == "restricted" else "Pay to avoid a restriction",
          usd(to_clear) if to_clear else "—",
          help="Restricted: the invoices 15+ days overdue. Otherwise: everything past due.")
if status is not None and status.oldest_open_invoice:
    st.caption(f"Oldest open item {md(status.oldest_open_invoice)}, {days(status.days_overdue)} overdue.")

contact, contract_col = st.columns(2)
with contact:
    st.subheader("Contacts")
    address = " · ".join(line.strip() for line in (info.address or "").splitlines() if line.strip())
    st.markdown(
        f"**Billing e-mail** {md(info.billing_email) if info.billing_email else '—'}  \n"
        f"**Address** {md(address) if address else '—'}  \n"
        f"**Account manager** {md(info.account_manager) if info.account_manager else '—'}"
    )
with contract_col:
    st.subheader("Contract")
    contract = page.contract_in_force
    if page.contracts is None:
        st.caption("Contract terms are shown to roles that see invoices.")
    elif contract is None:
        st.caption("No contract in force on this day.")
    else:
        extras = []
        if contract.signal_mode.value != "none":
            extras.append(f"EH Signal {contract.signal_mode.value.replace('_', ' ')} at {usd(contract.signal_rate)}")
        if contract.number_cleaning_rate is not None:
            extras.append(f"number cleaning {usd(contract.number_cleaning_rate)}")
        if contract.appointment_fee is not None:
            extras.append(f"appointments {usd(contract.appointment_fee)}")
        if contract.transcription_rate is not None:
            extras.append(f"transcription {contract.transcription_rate} per minute")
        st.markdown(
            f"In force since **{md(day(contract.effective_from))}**: user fee **{md(usd(contract.user_fee))}**, "
            f"minimum {counted(contract.minimum_users, 'user')}, minutes at {md(str(contract.minute_rate))} each"
            + (f"; {md(', '.join(extras))}" if extras else "") + "."
        )
        if len(page.contracts) > 1:
            with st.expander(f"History: {counted(len(page.contracts), 'version')}"):
                st.dataframe(pd.DataFrame({
                    "In force from": [day(c.effective_from) for c in page.contracts],
                    "User fee": [usd(c.user_fee) for c in page.contracts],
                    "Minimum users": [c.minimum_users for c in page.contracts],
                    "Minute rate": [str(c.minute_rate) for c in page.contracts],
                    "EH Signal": [c.signal_mode.value.replace("_", " ") for c in page.contracts],
                }), hide_index=True, width="stretch", key="contract_history")

if page.ledger is not None:
    st.subheader("Account ledger")
    entries = page.ledger.entries
    if not entries:
        st.caption("Nothing invoiced or paid yet.")
    else:
        newest_first = list(reversed(entries))
        st.dataframe(pd.DataFrame({
            "Date": [day(e.on) for e in newest_first],
            "Kind": [e.kind.capitalize() for e in newest_first],
            "Reference": [e.number or "—" for e in newest_first],
            "Description": [e.description for e in newest_first],
            "Charge": [usd(e.charge) if e.charge else "—" for e in newest_first],
            "Paid": [usd(e.paid) if e.paid else "—" for e in newest_first],
            "Applied to": [e.applied_text or "—" for e in newest_first],
            "Balance": [usd(e.running_balance) if e.running_balance >= 0 else f"{usd(-e.running_balance)} credit"
                        for e in newest_first],
        }), hide_index=True, width="stretch", key="account_ledger")
        st.caption(f"{counted(len(entries), 'entry')}, newest first. Payments apply to the invoice they name, then to the "
                   "oldest open item; what is left stays as credit for the next invoice.")

    st.subheader("Statement of account")
    left, right, button = st.columns([1, 1, 1], vertical_alignment="bottom")
    start = left.date_input("From", value=info.onboarded_on, min_value=info.onboarded_on, max_value=today,
                            key="statement_from", format="YYYY-MM-DD")
    end = right.date_input("To", value=today, min_value=info.onboarded_on, max_value=today, key="statement_to",
                           format="YYYY-MM-DD")
    if isinstance(start, date) and isinstance(end, date) and start <= end:
        file_name, pdf = cache.statement_pdf(viewer, agency_id, start, end)
        button.download_button("Download statement (PDF)", data=pdf, file_name=file_name, mime="application/pdf",
                               icon=":material/picture_as_pdf:", type="primary", key="statement_pdf")
    else:
        button.caption("Pick a first day on or before the last.")

if page.invoices is not None:
    st.subheader("Invoices")
    if not page.invoices:
        st.caption("No invoice issued yet.")
    else:
        event = st.dataframe(pd.DataFrame({
            "Invoice": [i.number for i in page.invoices],
            "Cycle": [i.cycle for i in page.invoices],
            "Invoice date": [day(i.invoice_date) for i in page.invoices],
            "Due": [day(i.due_date) for i in page.invoices],
            "Total": [usd(i.total) for i in page.invoices],
            "Paid": [usd(i.paid) for i in page.invoices],
            "Open": [usd(i.open_balance) if i.open_balance else "—" for i in page.invoices],
            "Days overdue": [str(i.days_overdue) if i.days_overdue else "—" for i in page.invoices],
        }), hide_index=True, width="stretch", key="agency_invoices", on_select="rerun", selection_mode="single-row")
        open_picked(event, [agency_id] * len(page.invoices), cycles=[i.cycle for i in page.invoices])
        latest = page.invoices[0]
        st.caption("Pick a row to open that invoice.")
        invoice_page_link(agency_id, latest.cycle, f"Latest invoice: {latest.number}")

    closed = [Cycle.parse(i.cycle) for i in page.invoices if Cycle.parse(i.cycle).cutoff < today]
    if closed:
        st.markdown("**Usage report** of a closed period: per user and per day, totals as invoiced")
        u1, u2, u3 = st.columns([1, 1, 1], vertical_alignment="bottom")
        chosen = u1.selectbox("Cycle", [str(c) for c in closed], key="usage_cycle")
        try:
            report = cache.usage(viewer, agency_id, chosen, today)
        except BillingError as error:
            st.warning(str(error))
        else:
            from services.usage_report import file_stem, usage_csv, usage_xlsx

            u2.download_button("Usage (Excel)", data=usage_xlsx(report), file_name=f"{file_stem(report)}.xlsx",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               icon=":material/table_view:", key="usage_xlsx")
            u3.download_button("Usage (CSV)", data=usage_csv(report), file_name=f"{file_stem(report)}.csv",
                               mime="text/csv", icon=":material/download:", key="usage_csv")
            st.caption(f"Cycle {md(chosen)}: {count(report.minutes)} minutes, {count(report.user_days)} user-days, "
                       f"{counted(report.calls, 'call')}; "
                       + ("equal to the invoice's quantities." if report.reconciles else "**differs from the invoice**."))

if page.bank is not None:
    st.subheader("Minute bank")
    if not page.bank:
        st.caption("No invoice yet, so no minute bank history.")
    else:
        st.plotly_chart(charts.bank_history(page.bank), width="stretch", key="bank_history")
        last = page.bank[-1]
        st.caption(f"At the {md(day(last.cutoff))} cutoff: {count(last.closing_balance)} min in the bank, "
                   f"{count(last.minutes_used)} used in the period, {count(last.replenishment)} pre-billed for the next one.")
        minute_bank_page_link(agency_id, "The running period, day by day")

st.subheader("Users")
active = page.active_users
st.caption(f"{counted(active, 'user')} active on {md(day(today))}, {counted(len(page.users), 'user')} in all.")
if page.users:
    st.dataframe(pd.DataFrame({
        "User": [u.user_id for u in page.users],
        "Name": [u.name or "—" for u in page.users],
        "E-mail": [u.email or "—" for u in page.users],
        "State": ["Active" if u.active else ("Left" if u.until else "Not started") for u in page.users],
        "Since": [day(u.since) for u in page.users],
        "Left on": [day(u.until) for u in page.users],
        "Last call": [day(u.last_call_on) for u in page.users],
    }), hide_index=True, width="stretch", key="agency_users")

if viewer.can(Permission.VIEW_INVOICES):
    st.page_link("pages/invoices.py", label="The current invoice", icon=":material/receipt_long:",
                 query_params={"agency": agency_id})
