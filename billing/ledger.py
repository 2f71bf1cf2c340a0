"""Payments, balances and overdue status (BILLING_RULES.md section 4).

Events are applied in date order; on one date invoices first (by due date,
then number), then payments in the order given. A new invoice first absorbs
the agency's credit. A payment pays its named invoice up to that invoice's
balance (nothing if the invoice is not dated yet), then the open invoices
oldest first, and what remains becomes credit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from operator import itemgetter
from typing import Any

from .calendar import RESTRICTION_AFTER_DAYS, restriction_date_for
from .facts import DEFAULT_WARNING_DAYS
from .money import ZERO, exact


class AdjustmentKind(StrEnum):
    """A correction beside an immutable invoice: a *credit* is settled like
    a payment; a *debit* is owed like a small invoice."""

    CREDIT = "credit"
    DEBIT = "debit"


class Status(StrEnum):
    PAID_UP = "paid_up"
    OPEN = "open"
    OVERDUE = "overdue"
    AT_RISK = "at_risk"
    RESTRICTED = "restricted"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class LedgerInvoice:
    number: str
    agency_id: str
    invoice_date: date
    due_date: date
    total: Decimal

    @property
    def restriction_date(self) -> date:
        return restriction_date_for(self.due_date)


@dataclass(frozen=True)
class Payment:
    agency_id: str
    paid_on: date
    amount: Decimal
    invoice: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class Allocation:
    """Part of a payment (or of credit) applied to an invoice."""

    invoice: str
    on: date
    amount: Decimal
    source: str  # "payment" or "credit"


@dataclass(frozen=True)
class OpenInvoice:
    invoice: LedgerInvoice
    balance: Decimal
    days_overdue: int


@dataclass(frozen=True)
class AgencyStatus:
    agency_id: str
    as_of: date
    status: Status
    balance: Decimal
    credit: Decimal
    days_overdue: int
    restriction_date: date | None
    oldest_open_invoice: str | None
    open_invoices: tuple[OpenInvoice, ...]
    paid: dict[str, Decimal] = field(compare=False, default_factory=dict)
    allocations: tuple[Allocation, ...] = ()

    @property
    @exact
    def past_due(self) -> Decimal:
        return sum((o.balance for o in self.open_invoices if o.days_overdue > 0), ZERO)

    @property
    @exact
    def amount_to_lift_or_avoid_restriction(self) -> Decimal:
        """What to pay now: to lift a restriction, the invoices 15+ days
        overdue; otherwise every past-due invoice (payments go oldest first)."""
        if self.status is Status.RESTRICTED:
            return sum(
                (o.balance for o in self.open_invoices if o.days_overdue >= RESTRICTION_AFTER_DAYS), ZERO
            )
        return self.past_due

    @property
    def days_to_restriction(self) -> int | None:
        if self.restriction_date is None or self.status is Status.RESTRICTED:
            return None
        return (self.restriction_date - self.as_of).days


class _Account:
    def __init__(self) -> None:
        self.balances: dict[str, Decimal] = {}
        self.invoices: dict[str, LedgerInvoice] = {}
        # The invoices with a balance left: a year of history is mostly paid,
        # and every payment looks for the oldest open ones.
        self.open: dict[str, LedgerInvoice] = {}
        self.credit = ZERO
        self.allocations: list[Allocation] = []

    def open_oldest_first(self) -> list[LedgerInvoice]:
        return sorted(self.open.values(), key=lambda inv: (inv.due_date, inv.number))

    def apply(self, invoice: LedgerInvoice, amount: Decimal, on: date, source: str) -> Decimal:
        """Pay up to ``amount`` of ``invoice``; returns what is left."""
        paid = min(amount, self.balances[invoice.number])
        if paid > 0:
            left = self.balances[invoice.number] - paid
            self.balances[invoice.number] = left
            if left <= 0:
                self.open.pop(invoice.number, None)
            self.allocations.append(Allocation(invoice.number, on, paid, source))
        return amount - paid

    def add_invoice(self, invoice: LedgerInvoice) -> None:
        self.invoices[invoice.number] = invoice
        self.balances[invoice.number] = invoice.total
        if invoice.total > 0:
            self.open[invoice.number] = invoice
        if self.credit > 0:
            self.credit = self.apply(invoice, self.credit, invoice.invoice_date, "credit")

    def pay(self, payment: Payment) -> None:
        left = payment.amount
        if payment.invoice is not None and payment.invoice in self.balances:
            left = self.apply(self.invoices[payment.invoice], left, payment.paid_on, "payment")
        for invoice in self.open_oldest_first():
            if left <= 0:
                break
            left = self.apply(invoice, left, payment.paid_on, "payment")
        self.credit += left


def classify(days_overdue: int, restriction: date | None, as_of: date, balance: Decimal, warning_days: int) -> Status:
    if balance <= 0:
        return Status.PAID_UP
    if days_overdue >= RESTRICTION_AFTER_DAYS:
        return Status.RESTRICTED
    if days_overdue >= 1:
        if warning_days > 0 and restriction is not None and (restriction - as_of).days <= warning_days:
            return Status.AT_RISK
        return Status.OVERDUE
    return Status.OPEN


def _ordered_events(
    invoices: Iterable[LedgerInvoice], payments: Iterable[Payment], as_of: date
) -> list[LedgerInvoice | Payment]:
    """The ledger's events up to ``as_of`` in the one order they apply:
    by date; on one date invoices first (by due date, then number), then
    payments in the order given. :func:`statuses` and :func:`account_history`
    both walk this, so a statement can never tell another story than a status."""
    # Keys differ by their second item (0 invoice, 1 payment) before their types
    # could: (date, 0, due date, number) and (date, 1, position) are each unique.
    events: list[tuple[tuple[Any, ...], LedgerInvoice | Payment]] = [
        ((i.invoice_date, 0, i.due_date, i.number), i) for i in invoices if i.invoice_date <= as_of
    ]
    events += [((p.paid_on, 1, position), p) for position, p in enumerate(payments) if p.paid_on <= as_of]
    events.sort(key=itemgetter(0))
    return [event for _, event in events]


def _apply(account: _Account, event: LedgerInvoice | Payment) -> None:
    if isinstance(event, LedgerInvoice):
        account.add_invoice(event)
    else:
        account.pay(event)


@dataclass(frozen=True)
class LedgerEntry:
    """One event of one agency's account, with what the engine did with it.

    ``allocations`` are the engine's own: for an invoice, the account credit
    it absorbed; for a payment, the invoices it paid. ``to_credit`` is the part
    of a payment left over as credit. ``balance`` and ``credit`` are the
    account's open balance and credit right after the event, so
    ``balance - credit`` is the running balance of a statement.
    """

    on: date
    invoice: LedgerInvoice | None
    payment: Payment | None
    allocations: tuple[Allocation, ...]
    to_credit: Decimal
    balance: Decimal
    credit: Decimal

    @property
    @exact
    def charge(self) -> Decimal:
        """What the event adds to the account (an invoice's total, else 0)."""
        return self.invoice.total if self.invoice is not None else ZERO

    @property
    @exact
    def received(self) -> Decimal:
        """What the event pays into the account (a payment's amount, else 0)."""
        return self.payment.amount if self.payment is not None else ZERO

    @property
    @exact
    def running_balance(self) -> Decimal:
        """Owed minus credit after this event: negative when in credit."""
        return self.balance - self.credit


@exact
def account_history(
    invoices: Iterable[LedgerInvoice], payments: Iterable[Payment], agency_id: str, as_of: date
) -> tuple[LedgerEntry, ...]:
    """Every invoice and payment of ``agency_id`` up to ``as_of``, in the
    order the engine applies them, each with its allocations and the balance
    after it: the statement of account, by the same walk as :func:`statuses`."""
    own_invoices = [i for i in invoices if i.agency_id == agency_id]
    own_payments = [p for p in payments if p.agency_id == agency_id]
    account = _Account()
    entries = []
    for event in _ordered_events(own_invoices, own_payments, as_of):
        before = len(account.allocations)
        credit_before = account.credit
        _apply(account, event)
        applied = tuple(account.allocations[before:])
        is_invoice = isinstance(event, LedgerInvoice)
        to_credit = ZERO if is_invoice else max(ZERO, account.credit - credit_before)
        entries.append(LedgerEntry(
            on=event.invoice_date if isinstance(event, LedgerInvoice) else event.paid_on,
            invoice=event if isinstance(event, LedgerInvoice) else None,
            payment=event if isinstance(event, Payment) else None,
            allocations=applied, to_credit=to_credit,
            balance=sum((b for b in account.balances.values() if b > 0), ZERO), credit=account.credit,
        ))
    return tuple(entries)


@exact
def statuses(
    invoices: Iterable[LedgerInvoice],
    payments: Iterable[Payment],
    as_of: date,
    *,
    warning_days: int = DEFAULT_WARNING_DAYS,
) -> list[AgencyStatus]:
    """Every agency's status on ``as_of``, sorted by agency id.

    Only invoices dated and payments made on or before ``as_of`` count; an
    agency appears as soon as it has any invoice or payment in the ledger.
    """
    invoices = list(invoices)
    payments = list(payments)
    agencies = sorted({i.agency_id for i in invoices} | {p.agency_id for p in payments})
    accounts: dict[str, _Account] = defaultdict(_Account)

    for event in _ordered_events(invoices, payments, as_of):
        _apply(accounts[event.agency_id], event)

    result = []
    for agency_id in agencies:
        account = accounts[agency_id]
        open_invoices = tuple(
            OpenInvoice(inv, account.balances[inv.number], max(0, (as_of - inv.due_date).days))
            for inv in account.open_oldest_first()
        )
        balance = sum((o.balance for o in open_invoices), ZERO)
        worst = open_invoices[0] if open_invoices else None
        days = worst.days_overdue if worst else 0
        restriction = worst.invoice.restriction_date if worst else None
        result.append(
            AgencyStatus(
                agency_id=agency_id,
                as_of=as_of,
                status=classify(days, restriction, as_of, balance, warning_days),
                balance=balance,
                credit=account.credit,
                days_overdue=days,
                restriction_date=restriction,
                oldest_open_invoice=worst.invoice.number if worst else None,
                open_invoices=open_invoices,
                paid={n: inv.total - account.balances[n] for n, inv in account.invoices.items()},
                allocations=tuple(account.allocations),
            )
        )
    return result
