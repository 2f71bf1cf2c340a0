"""Audit log: who did what and when. Read-only: the log cannot be edited
from the app (and the database refuses updates and deletes)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from services.access import Permission
from services.audit_log import audit_events, sentence
from ui.context import page_setup
from ui.format import counted

viewer, today = page_setup("Audit log", Permission.VIEW_AUDIT)
st.caption("Every issue, payment, adjustment, import and account change, with who did it and when (billing time zone).")

f1, f2, f3, f4 = st.columns([1, 1, 1, 1])
start = f1.date_input("From", value=today - timedelta(days=30), key="audit_from", format="YYYY-MM-DD")
end = f2.date_input("To", value=today, key="audit_to", format="YYYY-MM-DD")
action = f3.text_input("Action contains", key="audit_action", placeholder="payment, issue, import…")
actor = f4.text_input("Who", key="audit_actor", placeholder="e-mail")
events = audit_events(viewer, start=start, end=end, action=action, actor=actor)
st.caption(counted(len(events), "event") + (" (newest 2,000 shown)" if len(events) >= 2000 else ""))
raw = st.toggle("Show the raw details", key="audit_raw", help="Each entry's stored fields, as recorded")
table = {
    "When": [e.at.strftime("%a %Y-%m-%d %H:%M:%S %Z") for e in events],
    "Who": [e.actor for e in events],
    "What happened": [sentence(e.action, e.subject, e.details) for e in events],
    "Action": [e.action for e in events],
}
if raw:
    table |= {"Subject": [e.subject for e in events], "Details": [e.details for e in events]}
st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch", key="audit_table")
