"""What the cycle says to agencies, and when: the messages due on a day,
rendered from templates (Jinja2, autoescaped HTML and a text part) with the
agency's own numbers.

| kind | due | about (the idempotency key's scope) |
| --- | --- | --- |
| ``housekeeping_1`` / ``_2`` | the 18th / 22nd of cycle M | the cycle |
| ``invoice_posted`` | once M's invoice is issued, until its due date | the invoice |
| ``payment_received`` | within a week of a payment's date | the payment |
| ``overdue`` | from the day after the due date | the oldest past-due invoice |
| ``restriction_warning`` | when the agency is *at risk* (the warning window) | that invoice |
| ``restricted`` | 15+ days overdue | that invoice |
| ``restriction_lifted`` | the first day an agency told "restricted" is not | that invoice |

A message is keyed ``kind:agency:scope``: the outbox stores each key once,
so the day's list can be computed again and again (a rerun, a second
scheduler, a catch-up after a missed day) without sending anything twice.
Which kinds a deployment sends is ``BILLING_NOTICES``.

"What deactivating the idle users before the cutoff would save" is never an
estimate: the engine prices the agency's invoice twice, with the facts as
they are and with those users' access ending on the cutoff day (a user
deactivated on the 23rd is not active at cutoff), and the saving is the
difference of the two totals (:func:`housekeeping_savings`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from email.utils import parseaddr
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from sqlmodel import Session

import settings
from billing import AgencyStatus, Cycle, InvoiceFacts, Status, price_invoice
from billing.calendar import weekday_date
from billing.facts import AccessSpan, User
from billing.money import format_count, format_usd
from db.ledger import agency_statuses
from db.queries import messages as stored
from db.queries.agencies import agency_records, contract_terms_in_force
from db.queries.housekeeping import IdleUser, idle_users

from .access import SYSTEM
from .contacts import AgencyContact, ContactKind, contacts_in, recipients_of
from .housekeeping import IDLE_DAYS
from .invoices import AgencyInfo, agency_info
from .previews import CyclePreview, previews_in
from .usage_report import UsageReport, file_stem, usage_csv, usage_report

TEMPLATES = Path(__file__).resolve().parent / "templates"
RECEIPT_WINDOW_DAYS = 7  # a payment recorded late still gets its receipt, for a week
NO_BILLING_CONTACT = "no billing contact: add one on the Messages page or import contacts.csv"


class MessageKind(StrEnum):
    HOUSEKEEPING_1 = "housekeeping_1"
    HOUSEKEEPING_2 = "housekeeping_2"
    INVOICE_POSTED = "invoice_posted"
    PAYMENT_RECEIVED = "payment_received"
    OVERDUE = "overdue"
    RESTRICTION_WARNING = "restriction_warning"
    RESTRICTED = "restricted"
    RESTRICTION_LIFTED = "restriction_lifted"

    @property
    def label(self) -> str:
        return {
            "housekeeping_1": "Housekeeping reminder 1", "housekeeping_2": "Housekeeping reminder 2",
            "invoice_posted": "Invoice posted", "payment_received": "Payment received",
            "overdue": "Overdue", "restriction_warning": "Restriction warning",
            "restricted": "Access restricted", "restriction_lifted": "Restriction lifted",
        }[self.value]

    @property
    def is_overdue_notice(self) -> bool:
        """Ops see these (and only these) on the Messages page."""
        return self in OVERDUE_NOTICES


OVERDUE_NOTICES = frozenset({MessageKind.OVERDUE, MessageKind.RESTRICTION_WARNING, MessageKind.RESTRICTED,
                             MessageKind.RESTRICTION_LIFTED})
assert {k.value for k in MessageKind} == set(settings.MESSAGE_KINDS)  # one list of kinds, two layers


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class Draft:
    """A message rendered for one agency, not stored yet."""

    key: str
    agency_id: str
    kind: MessageKind
    scope: str
    due_on: date
    subject: str
    recipients: tuple[str, ...]
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()

    def message_id(self, sender: str) -> str:
        """The same Message-ID for the same key: a receiver can tell a copy."""
        domain = parseaddr(sender)[1].rpartition("@")[2] or "dialer-billing.invalid"
        return f"<{hashlib.sha256(self.key.encode()).hexdigest()[:32]}@{domain}>"


def message_key(kind: MessageKind, agency_id: str, scope: str) -> str:
    return f"{kind.value}:{agency_id}:{scope}"


# --- templates -----------------------------------------------------------------

@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(enabled_extensions=("html",)),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters.update(usd=format_usd, day=weekday_date, count=format_count, nowrap_day=_nowrap_day)
    return env


def _nowrap_day(day: date) -> Markup:
    """A date with its weekday that a narrow mail window never breaks in two (HTML parts)."""
    return Markup('<span style="white-space:nowrap">{}</span>').format(weekday_date(day))


def render(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """(text, HTML) of ``template``: ``<template>.txt`` and ``<template>.html``."""
    env = _environment()
    issuer = settings.current()
    common = {"issuer_name": issuer.issuer_name, "issuer_details": issuer.issuer_details, **context}
    return env.get_template(f"{template}.txt").render(common), env.get_template(f"{template}.html").render(common)


# --- the engine's saving -------------------------------------------------------

@dataclass(frozen=True)
class HousekeepingSavings:
    """The next invoice as the facts stand, and with the idle users deactivated on the cutoff day."""

    total_now: Decimal
    total_after: Decimal
    seats_now: int
    seats_after: int
    users: tuple[str, ...]

    @property
    def saving(self) -> Decimal:
        return self.total_now - self.total_after


def without_access_from(facts: InvoiceFacts, user_ids: Sequence[str], day: date) -> InvoiceFacts:
    """``facts`` with every access of ``user_ids`` ending on ``day`` at the latest."""
    chosen = set(user_ids)

    def cut(user: User) -> User:
        if user.id not in chosen:
            return user
        spans = []
        for span in user.spans:
            if span.start >= day:
                continue  # would only begin after the deactivation
            end = day if span.end is None or span.end > day else span.end
            spans.append(AccessSpan(span.start, end))
        return replace(user, spans=tuple(spans))

    return replace(facts, users=tuple(cut(u) for u in facts.users))


def housekeeping_savings(facts: InvoiceFacts, idle_user_ids: Sequence[str]) -> HousekeepingSavings:
    """Two engine prices of the same invoice; the saving is their difference."""
    now = price_invoice(facts)
    after = price_invoice(without_access_from(facts, idle_user_ids, facts.cycle.cutoff))
    return HousekeepingSavings(now.total, after.total, now.lines[0].quantity, after.lines[0].quantity,
                               tuple(idle_user_ids))


# --- the attachments hook ------------------------------------------------------

def invoice_attachments(info: AgencyInfo, preview: CyclePreview, usage: UsageReport | None = None) -> list[Attachment]:
    """The files sent with an invoice-posted message: the invoice PDF and,
    when given, the usage report of its closed period as CSV (the
    reconciliation the guide promises with "the report and invoice")."""
    from reports.invoice_pdf import pdf_file_name, render_invoice_pdf

    from .invoices import _document

    document = _document(info, preview)
    files = [Attachment(pdf_file_name(document), "application/pdf", render_invoice_pdf(document))]
    if usage is not None:
        files.append(Attachment(f"{file_stem(usage)}.csv", "text/csv", usage_csv(usage)))
    return files


# --- what is due on a day ------------------------------------------------------

@dataclass
class DueDrafts:
    day: date
    drafts: list[Draft] = field(default_factory=list)
    no_billing_contact: set[str] = field(default_factory=set)  # agencies flagged, their messages blocked
    problems: dict[str, str] = field(default_factory=dict)  # agency → why nothing could be drafted
    skipped: list[tuple[str, MessageKind]] = field(default_factory=list)  # keys the caller had stored already


def _recipients(kind: MessageKind, contacts: Sequence[AgencyContact]) -> tuple[str, ...]:
    billing = recipients_of(contacts, [ContactKind.BILLING])
    if not billing:
        return ()
    if kind in (MessageKind.RESTRICTION_WARNING, MessageKind.RESTRICTED, MessageKind.RESTRICTION_LIFTED):
        return recipients_of(contacts, [ContactKind.BILLING, ContactKind.OPS])
    return billing


def _idle_line(user: IdleUser) -> str:
    last = f"last call {weekday_date(user.last_call_on)}" if user.last_call_on else "no calls yet"
    return f"{user.name} ({user.user_id}), {last}"


def _housekeeping(session: Session, day: date, number: int, out: DueDrafts,
                  contacts: dict[str, list[AgencyContact]], names: dict[str, str]) -> None:
    cycle = Cycle(day.year, day.month)
    kind = MessageKind.HOUSEKEEPING_1 if number == 1 else MessageKind.HOUSEKEEPING_2
    priced = previews_in(session, cycle)
    out.problems.update(priced.problems)
    live = {a: p for a, p in priced.previews.items() if p.facts is not None}  # issued already: nothing to tidy
    ids = sorted(live)
    idle = idle_users(session=session, agency_ids=ids, today=day, idle_before=day - timedelta(days=IDLE_DAYS))
    terms = contract_terms_in_force(session=session, agency_ids=ids, on=cycle.invoice_date)
    from billing.seats import headcount_on
    from db import facts as stored_facts

    numbers = stored_facts.active_numbers(session, ids, cycle.closed_period)
    for agency_id in ids:
        preview = live[agency_id]
        assert preview.facts is not None
        users = idle.get(agency_id, ())
        savings = housekeeping_savings(preview.facts, [u.user_id for u in users])
        contract = terms.get(agency_id)
        active = headcount_on(preview.facts.users, day)
        minimum = contract.minimum_users if contract else 0
        cleaning_rate = contract.number_cleaning_rate if contract else None
        to_clean = numbers.get(agency_id, 0)
        text, html = render("housekeeping", {
            "number": number, "agency_name": names[agency_id], "agency_id": agency_id, "cycle": str(cycle),
            "today": day, "cutoff": cycle.cutoff, "invoice_date": cycle.invoice_date,
            "idle_days": IDLE_DAYS, "idle": [_idle_line(u) for u in users], "savings": savings,
            "active_users": active, "minimum_users": minimum, "free_seats": max(0, minimum - active),
            "numbers_to_clean": to_clean if cleaning_rate is not None else 0,
            "cleaning_cost": (cleaning_rate * to_clean) if cleaning_rate is not None else None,
        })
        subject = (f"{'Reminder' if number == 1 else 'Second reminder'}: tidy up before the "
                   f"{weekday_date(cycle.cutoff)} cutoff"
                   + (f" and save {format_usd(savings.saving)}" if savings.saving > 0 else ""))
        _add(out, kind, agency_id, str(cycle), day, subject, text, html, contacts)


def _add(out: DueDrafts, kind: MessageKind, agency_id: str, scope: str, day: date, subject: str, text: str,
         html: str, contacts: dict[str, list[AgencyContact]], attachments: Sequence[Attachment] = ()) -> None:
    recipients = _recipients(kind, contacts.get(agency_id, []))
    if not recipients:
        out.no_billing_contact.add(agency_id)
    out.drafts.append(Draft(message_key(kind, agency_id, scope), agency_id, kind, scope, day, subject,
                            recipients, text, html, tuple(attachments)))


def _invoices_posted(session: Session, day: date, out: DueDrafts, contacts: dict[str, list[AgencyContact]],
                     infos: dict[str, AgencyInfo], skip: Callable[[str], bool]) -> None:
    cycle = Cycle.invoiced_on_or_before(day)
    if day > cycle.due_date:
        return  # past its due date an invoice is the overdue notices' business
    frozen = {a: p for a, p in previews_in(session, cycle).previews.items() if p.issued is not None}
    for agency_id, preview in sorted(frozen.items()):
        assert preview.issued is not None
        number = preview.issued.number
        key = message_key(MessageKind.INVOICE_POSTED, agency_id, number)
        if skip(key):
            out.skipped.append((key, MessageKind.INVOICE_POSTED))
            continue  # stored already: the PDF is not rendered again
        snapshot = preview.snapshot
        from reports.document import lines_from_snapshot

        text, html = render("invoice_posted", {
            "agency_name": infos[agency_id].name, "agency_id": agency_id, "cycle": str(cycle), "number": number,
            "total": snapshot.total, "invoice_date": snapshot.invoice_date, "due_date": snapshot.due_date,
            "restriction_date": snapshot.restriction_date, "lines": lines_from_snapshot(snapshot),
            "advance_start": cycle.advance_period.start, "advance_end": cycle.advance_period.end,
        })
        subject = f"Invoice {number}: {format_usd(snapshot.total)} due {weekday_date(snapshot.due_date)}"
        usage = usage_report(SYSTEM, agency_id, cycle, today=day, sessions=lambda: nullcontext(session))
        _add(out, MessageKind.INVOICE_POSTED, agency_id, number, day, subject, text, html, contacts,
             invoice_attachments(infos[agency_id], preview, usage))


def _receipts(session: Session, day: date, out: DueDrafts, contacts: dict[str, list[AgencyContact]],
              names: dict[str, str]) -> None:
    received = stored.payments_received(session=session, since=day - timedelta(days=RECEIPT_WINDOW_DAYS), until=day)
    by_day: dict[date, list[stored.ReceivedPayment]] = {}
    for payment in received:
        by_day.setdefault(payment.paid_on, []).append(payment)
    for paid_on, payments in sorted(by_day.items()):
        statuses = {s.agency_id: s for s in agency_statuses(session, paid_on, sorted({p.agency_id for p in payments}))}
        for payment in payments:
            status = statuses.get(payment.agency_id)
            if status is None:
                continue
            applied = [(a.invoice, a.amount) for a in status.allocations if a.on == paid_on and a.source == "payment"]
            text, html = render("payment_received", {
                "agency_name": names.get(payment.agency_id, payment.agency_id), "agency_id": payment.agency_id,
                "amount": payment.amount, "paid_on": payment.paid_on, "reference": payment.reference,
                "applied": applied, "several": len([p for p in payments if p.agency_id == payment.agency_id]) > 1,
                "open": [(o.invoice.number, o.balance, o.invoice.due_date) for o in status.open_invoices],
                "balance": status.balance, "credit": status.credit,
            })
            subject = f"Payment received: {format_usd(payment.amount)} on {weekday_date(payment.paid_on)}"
            _add(out, MessageKind.PAYMENT_RECEIVED, payment.agency_id, f"P{payment.id}", day, subject, text, html,
                 contacts)


def _what(number: str | None) -> str:
    """A debit adjustment is owed like an invoice, but it is not one: say which it is."""
    return "Debit adjustment" if (number or "").startswith("ADJ-") else "Invoice"


def _overdue_context(status: AgencyStatus, names: dict[str, str], kind: MessageKind) -> dict[str, Any]:
    return {
        "kind": kind.value, "agency_name": names.get(status.agency_id, status.agency_id), "agency_id": status.agency_id,
        "today": status.as_of, "invoice": status.oldest_open_invoice, "days_overdue": status.days_overdue,
        "what": _what(status.oldest_open_invoice),
        "restriction_date": status.restriction_date, "amount": status.amount_to_lift_or_avoid_restriction,
        "balance": status.balance, "days_to_restriction": status.days_to_restriction,
        "open": [(o.invoice.number, o.balance, o.invoice.due_date, o.days_overdue) for o in status.open_invoices],
    }


def _overdue(session: Session, day: date, out: DueDrafts, contacts: dict[str, list[AgencyContact]],
             names: dict[str, str], kinds: frozenset[str]) -> None:
    statuses = {s.agency_id: s for s in agency_statuses(session, day)}
    for status in statuses.values():
        kind = {Status.OVERDUE: MessageKind.OVERDUE, Status.AT_RISK: MessageKind.RESTRICTION_WARNING,
                Status.RESTRICTED: MessageKind.RESTRICTED}.get(status.status)
        if kind is None or kind.value not in kinds or not status.oldest_open_invoice:
            continue
        text, html = render("overdue", _overdue_context(status, names, kind))
        amount = format_usd(status.amount_to_lift_or_avoid_restriction)
        subject = {
            MessageKind.OVERDUE: f"Overdue: {status.oldest_open_invoice}, please pay {amount}",
            MessageKind.RESTRICTION_WARNING: (f"Dialer access will be restricted on "
                                              f"{weekday_date(status.restriction_date or day)}: pay {amount}"),
            MessageKind.RESTRICTED: f"Dialer access restricted: pay {amount} to lift it",
        }[kind]
        _add(out, kind, status.agency_id, status.oldest_open_invoice, day, subject, text, html, contacts)
    if MessageKind.RESTRICTION_LIFTED.value not in kinds:
        return
    for agency_id, invoice in stored.restricted_notices_open(session=session):
        now = statuses.get(agency_id)
        if now is None or now.status is Status.RESTRICTED:
            continue
        context = _overdue_context(now, names, MessageKind.RESTRICTION_LIFTED)
        context["invoice"] = invoice
        context["what"] = _what(invoice)
        text, html = render("overdue", context)
        _add(out, MessageKind.RESTRICTION_LIFTED, agency_id, invoice, day, "Dialer access restored",
             text, html, contacts)


def drafts_due(session: Session, day: date, kinds: frozenset[str] | None = None,
               skip: Callable[[str], bool] = lambda key: False) -> DueDrafts:
    """Every message due on ``day`` of the ``kinds`` this deployment sends
    (``BILLING_NOTICES``). ``skip(key)`` lets the caller leave out messages
    it has stored already before their attachments are rendered."""
    kinds = settings.current().notices if kinds is None else kinds
    out = DueDrafts(day)
    agencies = agency_records(session=session)
    infos = {a.id: agency_info(a) for a in agencies}
    names = {a.id: a.name for a in agencies}
    contacts = contacts_in(session)
    cycle = Cycle(day.year, day.month)
    for number, reminder in enumerate(cycle.reminder_dates(), start=1):
        if day == reminder and f"housekeeping_{number}" in kinds:
            _housekeeping(session, day, number, out, contacts, names)
    if MessageKind.INVOICE_POSTED.value in kinds:
        _invoices_posted(session, day, out, contacts, infos, skip)
    if MessageKind.PAYMENT_RECEIVED.value in kinds:
        _receipts(session, day, out, contacts, names)
    if kinds & {k.value for k in OVERDUE_NOTICES}:
        _overdue(session, day, out, contacts, names, kinds)
    return out
