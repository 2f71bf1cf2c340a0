"""The audit log in sentences a finance person reads at a glance:
"recorded a payment of $1,250.00 from A-1001 (reference ACH-123)". The raw
details stay available beside them; an action this module does not know
is shown by its name, never hidden."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from billing.money import format_usd

Details = dict[str, Any]


def _money(text: object) -> str:
    try:
        return format_usd(Decimal(str(text)))
    except (InvalidOperation, ValueError):
        return str(text)


def _plural(count: object, noun: str) -> str:
    number = int(count) if isinstance(count, int | str) and str(count).isdigit() else count
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _kind(d: Details) -> str:
    return str(d.get("kind", "")).replace("_", " ")


def _payment(subject: str, d: Details) -> str:
    text = f"recorded a payment of {_money(d.get('amount'))} from {subject}, received {d.get('paid_on')}"
    if d.get("invoice"):
        text += f", for {d['invoice']}"
    return text + (f" (reference {d['reference']})" if d.get("reference") else "")


def _adjustment(kind: str) -> Callable[[str, Details], str]:
    def sentence(subject: str, d: Details) -> str:
        on = f" on {d['invoice']}" if d.get("invoice") else ""
        return f"recorded a {kind} of {_money(d.get('amount'))} for {subject}{on}, dated {d.get('on_date')}: “{d.get('reason', '')}”"
    return sentence


def _issue(subject: str, d: Details) -> str:
    skipped = d.get("skipped") or {}
    text = f"issued cycle {subject}: {_plural(d.get('issued', 0), 'invoice')} totalling {_money(d.get('total', '0'))}"
    if d.get("already_issued"):
        text += f", {d['already_issued']} already issued"
    if skipped:
        text += f", {len(skipped)} {'agency' if len(skipped) == 1 else 'agencies'} skipped"
    waiting = d.get("not_approved") or {}
    if waiting:
        text += f", {len(waiting)} {'agency' if len(waiting) == 1 else 'agencies'} waiting for approval"
    return text


def _approve(subject: str, d: Details) -> str:
    agencies = d.get("agencies") or []
    text = (f"approved {_plural(len(agencies), 'invoice')} of cycle {subject} totalling {_money(d.get('total', '0'))}"
            f" ({', '.join(agencies[:5])}{', …' if len(agencies) > 5 else ''})")
    refused = d.get("refused") or {}
    if refused:
        text += f"; {len(refused)} {'agency' if len(refused) == 1 else 'agencies'} not approved (blocking findings)"
    return text + (f": “{d['note']}”" if d.get("note") else "")


def _acknowledge(subject: str, d: Details) -> str:
    return (f"acknowledged the {d.get('severity', '')} finding “{str(d.get('code', '')).replace('_', ' ')}” "
            f"for {subject}, cycle {d.get('cycle')}: “{d.get('note', '')}”")


def _without_approval(subject: str, d: Details) -> str:
    agencies = d.get("agencies") or []
    return (f"issued {_plural(len(agencies), 'invoice')} of cycle {subject} without approval "
            f"({', '.join(agencies[:5])}{', …' if len(agencies) > 5 else ''}): “{d.get('reason', '')}”")


def _import(subject: str, d: Details) -> str:
    return (f"imported {d.get('file', 'a file')} ({subject}): {_plural(d.get('rows', 0), 'row')}, "
            f"{d.get('inserted', 0)} new, {d.get('unchanged', 0)} unchanged"
            + (f", {_plural(d['warnings'], 'warning')}" if d.get("warnings") else ""))


SENTENCES: dict[str, Callable[[str, Details], str]] = {
    "record_payment": _payment,
    "record_credit_adjustment": _adjustment("credit"),
    "record_debit_adjustment": _adjustment("debit"),
    "issue_cycle": _issue,
    "approve_invoices": _approve,
    "acknowledge_finding": _acknowledge,
    "issue_without_approval": _without_approval,
    "import": _import,
    "add_contract_version": lambda s, d: (f"added a contract version for {s} in force from {d.get('effective_from')}: "
                                          f"user fee {_money(d.get('user_fee'))}, minimum {d.get('minimum_users')} users"),
    "add_account": lambda s, d: f"added the account {s} as {str(d.get('role', '')).replace('_', ' ')}",
    "change_role": lambda s, d: (f"changed {s}'s role from {str(d.get('before', '')).replace('_', ' ')} "
                                 f"to {str(d.get('after', '')).replace('_', ' ')}"),
    "set_password": lambda s, d: f"set a new password for {s}",
    "assign_agencies": lambda s, d: f"assigned {', '.join(d.get('added') or []) or 'no new agencies'} to {s}",
    "sign_in": lambda s, d: "signed in",
    "sign_in_failed": lambda s, d: f"failed to sign in as {s} (wrong e-mail or password)",
    "sign_in_locked": lambda s, d: f"was refused signing in as {s}: too many attempts",
    "export": lambda s, d: f"exported {s} as {d.get('format', 'a file')}",
    "set_account_code": lambda s, d: f"set the account code of {s} to {d.get('account')} ({d.get('item')})",
    "sign_out": lambda s, d: "signed out",
    "sign_out_everywhere": lambda s, d: f"signed out on every device ({_plural(d.get('sessions', 0), 'session')} ended)",
    "session_expired": lambda s, d: "was signed out after a time without activity",
    "send_message": lambda s, d: (f"sent the {_kind(d)} message to {s} ({', '.join(d.get('recipients') or []) or 'nobody'})"
                                  + (f" with {_plural(len(d['attachments']), 'attachment')}" if d.get("attachments") else "")
                                  + f": {d.get('answer', '')}"),
    "message_failed": lambda s, d: f"could not send the {_kind(d)} message to {s}: the server answered {d.get('answer', '')}",
    "resend_message": lambda s, d: f"queued the {_kind(d)} message to {s} again",
    "send_messages_now": lambda s, d: (f"sent the messages due on {s} from the Messages page: "
                                       f"{_plural(d.get('sent', 0), 'message')} sent, {d.get('pending', 0)} pending"),
    "give_up_message": lambda s, d: f"marked the {_kind(d)} message to {s} failed after its sender stopped mid-send",
    "pause_messages": lambda s, d: f"paused every message to {s}",
    "resume_messages": lambda s, d: f"resumed the messages to {s}",
    "add_contact": lambda s, d: f"added {d.get('email')} to the {str(d.get('kind', '')).replace('_', ' ')} contacts of {s}",
    "remove_contact": lambda s, d: f"removed {d.get('email')} ({str(d.get('kind', '')).replace('_', ' ')}) from the contacts of {s}",
}


def sentence(action: str, subject: str, details_json: str) -> str:
    """What happened, in words (without who and when, which the log shows beside it)."""
    try:
        details = json.loads(details_json) if details_json else {}
    except ValueError:
        details = {}
    describe = SENTENCES.get(action)
    if describe is None or not isinstance(details, dict):
        return f"{action.replace('_', ' ')} {subject}".strip()
    try:
        return describe(subject, details)
    except (KeyError, TypeError, ValueError):
        return f"{action.replace('_', ' ')} {subject}".strip()
