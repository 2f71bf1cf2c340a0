"""Contracts: each agency's terms over time; finance adds new versions."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from billing.facts import SignalMode
from services.access import Permission
from services.contracts import add_contract_version, contract_history
from services.errors import BillingError
from ui import cache
from ui.context import page_setup
from ui.format import day, md, usd
from ui.pickers import agency_names, agency_picker

viewer, today = page_setup("Contracts", Permission.VIEW_INVOICES)
names = agency_names(viewer, "No agencies yet. Import agencies.csv and contracts.csv first.")
agency_id = agency_picker(names, key="contract_agency")


def _optional(value) -> str:  # type: ignore[no-untyped-def]
    return "not contracted" if value is None else usd(value)


history = contract_history(viewer, agency_id)
st.caption("An invoice uses the version in force on its invoice date (the 25th).")
st.dataframe(pd.DataFrame({
    "In force from": [day(c.effective_from) for c in history],
    "User fee": [usd(c.user_fee) for c in history],
    "Minimum users": [c.minimum_users for c in history],
    "Minute rate": [usd(c.minute_rate) for c in history],
    "Block": [c.minute_block for c in history],
    "Buffer %": [str(c.replenish_buffer_pct) for c in history],
    "Licensing": [usd(c.licensing_fee) for c in history],
    "EH Signal": ["—" if c.signal_mode is SignalMode.NONE else f"{c.signal_mode.label} {usd(c.signal_rate)}" for c in history],
    "Number cleaning": [_optional(c.number_cleaning_rate) for c in history],
    "Appointments": [_optional(c.appointment_fee) for c in history],
    "Transcription": [_optional(c.transcription_rate) for c in history],
}), hide_index=True, width="stretch", key="contract_history")

if not viewer.can(Permission.EDIT_CONTRACTS) or not history:
    st.stop()
latest = history[-1]
st.subheader("New version")
st.caption("Rates change by adding a version; versions that already priced an issued invoice never change.")
with st.form("contract_form"):
    c1, c2, c3, c4 = st.columns(4)
    effective = c1.date_input("In force from", value=today + timedelta(days=1), key="c_from", format="YYYY-MM-DD")
    user_fee = c2.text_input("User fee", value=str(latest.user_fee), key="c_user_fee")
    minimum = c3.number_input("Minimum users", min_value=0, value=latest.minimum_users, step=1, key="c_minimum")
    minute_rate = c4.text_input("Minute rate", value=str(latest.minute_rate), key="c_minute_rate")
    c5, c6, c7, c8 = st.columns(4)
    block = c5.number_input("Minute block", min_value=1, value=latest.minute_block, step=100, key="c_block")
    buffer = c6.text_input("Replenishment buffer %", value=str(latest.replenish_buffer_pct), key="c_buffer")
    licensing = c7.text_input("Licensing fee", value=str(latest.licensing_fee), key="c_licensing")
    onboarding = c8.number_input("Onboarding minutes per user", min_value=0, value=latest.onboarding_minutes_per_user,
                                 step=100, key="c_onboarding")
    c9, c10, c11, c12, c13 = st.columns(5)
    modes = list(SignalMode)
    signal_mode = c9.selectbox("EH Signal", modes, index=modes.index(latest.signal_mode), key="c_signal_mode",
                               format_func=lambda mode: mode.label)
    signal_rate = c10.text_input("Signal rate or flat amount", value=str(latest.signal_rate or ""), key="c_signal_rate")
    cleaning = c11.text_input("Number cleaning (empty: none)", value=str(latest.number_cleaning_rate or ""), key="c_cleaning")
    appointment = c12.text_input("Appointment fee (empty: none)", value=str(latest.appointment_fee or ""), key="c_appointment")
    transcription = c13.text_input("Transcription rate (empty: none)", value=str(latest.transcription_rate or ""), key="c_transcription")
    saved = st.form_submit_button("Add version", type="primary")
if saved:
    try:
        add_contract_version(
            viewer, agency_id=agency_id, effective_from=effective, user_fee=user_fee, minimum_users=int(minimum),
            minute_rate=minute_rate, licensing_fee=licensing, minute_block=int(block), replenish_buffer_pct=buffer,
            onboarding_minutes_per_user=int(onboarding), signal_mode=signal_mode, signal_rate=signal_rate or None,
            number_cleaning_rate=cleaning or None, appointment_fee=appointment or None, transcription_rate=transcription or None,
        )
    except BillingError as error:
        st.error(f"Not saved. {md(error)}", icon=":material/error:")
    else:
        cache.clear()
        st.success(f"Version in force from {day(effective)} added.")
        st.rerun()
