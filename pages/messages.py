"""Messages: the outbox (what was and will be sent to agencies), each
message as the agency sees it, resend, pause, and each agency's contacts.
Finance sees everything; ops the overdue notices; account managers their
agencies' messages."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.access import Permission
from services.contacts import ContactKind, add_contact, agency_contacts, remove_contact
from services.errors import BillingError
from services.messages import MessageKind
from services.outbox import (
    delivery_description,
    give_up_stuck,
    message_attachment,
    message_detail,
    outbox_view,
    preview_due,
    resend,
    send_now,
    set_paused,
)
from ui.context import page_setup
from ui.format import counted, day, md
from ui.pickers import agency_names

STATUS_LABELS = {"pending": "Pending", "sending": "Sending", "sent": "Sent", "failed": "Failed",
                 "blocked": "Blocked: no billing contact"}

viewer, today = page_setup("Messages", Permission.VIEW_MESSAGES)
manages = viewer.can(Permission.MANAGE_MESSAGES)
ops_only = not viewer.can(Permission.VIEW_INVOICES)
st.caption(
    "Housekeeping reminders go out on the 18th and the 22nd, invoices once issued on the 25th, receipts with each "
    "payment, overdue notices from the day after the due date; the daily manage.py notify sends them, each once. "
    f"Messages go to {md(delivery_description(), limit=200)}."
    + (" You see the overdue and restriction notices." if ops_only else "")
)


def _when(moment) -> str:  # type: ignore[no-untyped-def]
    return "—" if moment is None else moment.strftime("%a %Y-%m-%d %H:%M UTC")


def _show(subject: str, sender: str, recipients: tuple[str, ...], html: str, text: str) -> None:
    sent_from = f"From {md(sender)} · " if sender else ""
    st.markdown(f"**{md(subject, limit=300)}**  \n{sent_from}to {md(', '.join(recipients) or '—')}")
    # The stored HTML part as the agency's mail program shows it; st.html sanitises it (DOMPurify),
    # so even a message rendered from hostile data cannot run a script in the dashboard.
    st.html(html)
    with st.expander("The text part"):
        st.text(text)


names = agency_names(viewer, "No agencies yet, so no messages: import agencies.csv (and contacts.csv) first.")
kinds = [k for k in MessageKind if not ops_only or k.is_overdue_notice]
f1, f2, f3 = st.columns([1, 1, 1])
chosen_status = f1.multiselect("Status", list(STATUS_LABELS), format_func=STATUS_LABELS.__getitem__, key="msg_status")
chosen_kinds = f2.multiselect("Kind", [k.value for k in kinds], format_func=lambda k: MessageKind(k).label,
                              key="msg_kind")
agency_choice = f3.selectbox("Agency", ["", *sorted(names)], key="msg_agency",
                             format_func=lambda a: "All agencies" if not a else f"{names.get(a, a)} ({a})")
view = outbox_view(viewer, statuses=chosen_status or None, kinds=chosen_kinds or None, agency_id=agency_choice or None)
rows = list(view.rows)

if view.no_billing_contact:
    flagged = ", ".join(f"{name} ({agency_id})" for agency_id, name in view.no_billing_contact[:20])
    st.warning(f"{counted(len(view.no_billing_contact), 'agency')} without a billing contact: {md(flagged, limit=2000)}. "
               "Their messages are kept, not sent, until one is added below or imported (contacts.csv).",
               icon=":material/contact_mail:")
if view.paused:
    paused_names = ", ".join(f"{names.get(a, a)} ({a})" for a in sorted(view.paused) if a in names)
    if paused_names:
        st.info(f"Paused: {md(paused_names, limit=1000)}. Their messages wait until resumed.", icon=":material/pause:")

if manages:
    with st.expander("Send what is due today"):
        st.caption(f"Renders the messages due on {md(day(today))} and sends them with anything pending, "
                   "like the daily manage.py notify. Nothing already sent goes out again.")
        if st.button("Send now", icon=":material/send:", key="msg_send_now"):
            with st.spinner("Rendering and sending…"):
                summary = send_now(viewer, today)
            st.success(f"{counted(sum(summary.sent.values()), 'message')} sent, "
                       f"{counted(sum(summary.pending.values()), 'message')} still pending, "
                       f"{counted(sum(summary.failed.values()), 'failure')}.", icon=":material/check_circle:")

st.subheader("Outbox")
if not rows:
    st.info("No messages yet." if not view.rows else "No message matches these filters.", icon=":material/inbox:")
else:
    st.caption(counted(len(rows), "message") + (" (newest 500)" if len(view.rows) >= 500 else ""))
    frame = pd.DataFrame({
        "#": [r.message.id for r in rows],
        "Due": [day(r.message.due_on) for r in rows],
        "Agency": [f"{r.agency_name} ({r.message.agency_id})" for r in rows],
        "Kind": [r.kind.label for r in rows],
        "Subject": [r.message.subject for r in rows],
        "To": [", ".join(r.message.recipients) or "—" for r in rows],
        "Status": [STATUS_LABELS[r.message.status] + (" (paused)" if r.paused and r.message.status == "pending" else "")
                   for r in rows],
        "Attempts": [r.message.attempts for r in rows],
        "Server's answer": [r.message.last_answer or "—" for r in rows],
        "Sent": [_when(r.message.sent_at) for r in rows],
    })
    st.dataframe(frame, hide_index=True, width="stretch", key="msg_table")

    picked = st.selectbox("Message", [r.message.id for r in rows], key="msg_pick",
                          format_func=lambda i: next(f"#{i} · {r.kind.label} · {r.agency_name} · "
                                                     f"{STATUS_LABELS[r.message.status]}"
                                                     for r in rows if r.message.id == i))
    message = message_detail(viewer, picked)
    row = next(r for r in rows if r.message.id == picked)
    st.caption(f"{STATUS_LABELS[message.status]} · {counted(message.attempts, 'attempt')} · "
               f"answer: {md(message.last_answer or '—', limit=300)} · sent {_when(message.sent_at)}")
    _show(message.subject, message.sender, message.recipients, message.html_body, message.text_body)
    for index, attachment in enumerate(message.attachments):
        name, content_type, content = message_attachment(viewer, picked, index)
        st.download_button(f"{name} ({len(content):,} bytes, sha256 {attachment.sha256[:12]}…)", data=content,
                           file_name=name, mime=content_type, icon=":material/attach_file:", key=f"msg_file_{index}")
    if manages:
        a1, a2 = st.columns(2)
        if message.status == "sending" and a1.button(
                "Give up on this send", icon=":material/report:", key="msg_give_up",
                help="For a message its sender left half-sent (a crash): marks it failed so you can decide to resend. "
                     "It may already have reached the agency."):
            try:
                give_up_stuck(viewer, picked)
            except BillingError as error:
                st.error(md(error), icon=":material/error:")
            else:
                st.rerun()
        if message.status == "failed" and a1.button("Resend", icon=":material/replay:", key="msg_resend"):
            try:
                resend(viewer, picked)
            except BillingError as error:
                st.error(md(error), icon=":material/error:")
            else:
                st.success("Queued again: it goes out with the next send.", icon=":material/check_circle:")
        label = "Resume this agency's messages" if row.paused else "Pause this agency's messages"
        if a2.button(label, icon=":material/play_arrow:" if row.paused else ":material/pause:", key="msg_pause"):
            set_paused(viewer, message.agency_id, not row.paused)
            st.rerun()

if manages:
    st.subheader("Preview before it goes out")
    p1, p2 = st.columns(2)
    preview_day = p1.date_input("Messages due on", value=today, key="msg_preview_day", format="YYYY-MM-DD")
    preview_agency = p2.selectbox("Agency", sorted(names), key="msg_preview_agency",
                                  format_func=lambda a: f"{names.get(a, a)} ({a})") if names else None
    if preview_agency and st.button("Render", icon=":material/visibility:", key="msg_preview"):
        drafts = preview_due(viewer, preview_day, agency_id=preview_agency)
        if not drafts:
            st.info(f"Nothing is due for {md(names[preview_agency])} on {md(day(preview_day))}.", icon=":material/inbox:")
        for draft in drafts:
            st.markdown(f"**{draft.kind.label}**" + (" · " + ", ".join(a.filename for a in draft.attachments)
                                                      if draft.attachments else ""))
            _show(draft.subject, "", draft.recipients, draft.html, draft.text)

st.subheader("Contacts")
contact_agency = st.selectbox("Agency", sorted(names), key="msg_contacts_agency",
                              format_func=lambda a: f"{names.get(a, a)} ({a})") if names else None
if contact_agency:
    found = agency_contacts(viewer, contact_agency)
    if not any(c.kind is ContactKind.BILLING for c in found):
        st.warning("No billing contact: this agency's messages are held until one is added.", icon=":material/warning:")
    if found:
        st.dataframe(pd.DataFrame({
            "Kind": [c.kind.label for c in found],
            "Name": [c.name or "—" for c in found],
            "E-mail": [c.email for c in found],
            "From": ["the agency's billing e-mail" if c.from_agency_record else "contacts" for c in found],
        }), hide_index=True, width="stretch", key="msg_contacts_table")
    else:
        st.caption("No contacts.")
    if manages:
        with st.form("msg_add_contact", clear_on_submit=True):
            c1, c2, c3 = st.columns([2, 2, 1])
            address = c1.text_input("E-mail", key="msg_contact_email")
            person = c2.text_input("Name", key="msg_contact_name")
            kind = c3.selectbox("Kind", [k.value for k in ContactKind], key="msg_contact_kind",
                                format_func=lambda k: ContactKind(k).label)
            if st.form_submit_button("Add contact", icon=":material/person_add:"):
                try:
                    add_contact(viewer, agency_id=contact_agency, email=address, kind=kind, name=person)
                except BillingError as error:
                    st.error(md(error), icon=":material/error:")
                else:
                    st.rerun()
        removable = [c for c in found if c.id is not None]
        if removable:
            r1, r2 = st.columns([3, 1])
            gone = r1.selectbox("Remove a contact", [c.id for c in removable], key="msg_contact_remove",
                                format_func=lambda i: next(f"{c.email} ({c.kind.label})" for c in removable if c.id == i))
            if r2.button("Remove", icon=":material/person_remove:", key="msg_contact_remove_button") and gone is not None:
                remove_contact(viewer, contact_id=gone)
                st.rerun()
