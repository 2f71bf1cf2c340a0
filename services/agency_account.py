"""One agency's account: every invoice, payment and adjustment in date order
with a running balance, what each payment paid, the status of the account,
and the statement of account for a date range.

The order, the allocations and the balances are the engine's
(:func:`billing.account_history`, the same walk as :func:`billing.statuses`):
nothing here re-derives who paid what, so the statement, the agency page,
the invoice page and ``manage.py status`` cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from billing import AgencyStatus, Cycle, LedgerEntry, Status, account_history
from billing.ledger import AdjustmentKind
from db import facts as stored
from db.contracts import contract_history
from db.ledger import StoredAdjustment, agency_statuses, load_ledger
from db.queries.account import (
    InvoiceHeader,
    UserName,
    agency_adjustments,
    issued_headers,
    user_names,
)
from db.queries.agencies import agency_record

from .access import Permission, Viewer
from .contracts import ContractVersion, version_of
from .errors import FieldError, NotFound
from .invoices import AgencyInfo, agency_info
from .overdue import AGING_BUCKETS, invoice_cycle
from .unit_of_work import SessionFactory, default_sessions

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class AppliedTo:
    """Part of a payment or credit applied to one invoice (or debit)."""

    number: str
    amount: Decimal
    source: str  # "payment" (money received now) or "credit" (account credit absorbed)


@dataclass(frozen=True)
class AccountEntry:
    """One line of the account, as a person reads it."""

    on: date
    kind: str  # "invoice", "debit", "payment" or "credit"
    number: str  # INV-…, ADJ-…, or the payment's reference ("" when it has none)
    description: str
    charge: Decimal  # added to what is owed
    paid: Decimal  # paid into the account
    running_balance: Decimal  # owed minus credit after this line: negative in credit
    applied: tuple[AppliedTo, ...]  # a payment's or credit's allocations; an invoice's credit absorbed
    to_credit: Decimal  # the part of a payment kept as account credit
    due_on: date | None = None  # invoices and debits
    cycle: str | None = None  # invoices: for links

    @property
    def applied_text(self) -> str:
        """``INV-2026-10-0014 $1,200.00; ADJ-000004 $150.00``, plus credit kept."""
        from billing.money import format_usd

        parts = [f"{a.number} {format_usd(a.amount)}" for a in self.applied]
        if self.to_credit > 0:
            parts.append(f"{format_usd(self.to_credit)} kept as credit")
        return "; ".join(parts)


@dataclass(frozen=True)
class AgingRow:
    label: str
    items: int
    balance: Decimal


class _StatusFigures:
    """Balance, credit and state read from the engine's status (paid up when
    there is none yet): one definition for the ledger and the statement."""

    status: AgencyStatus | None

    @property
    def balance(self) -> Decimal:
        return self.status.balance if self.status else ZERO

    @property
    def credit(self) -> Decimal:
        return self.status.credit if self.status else ZERO

    @property
    def state(self) -> Status:
        return self.status.status if self.status else Status.PAID_UP


@dataclass(frozen=True)
class AccountLedger(_StatusFigures):
    """The account up to ``as_of``: entries oldest first, and the engine's status."""

    agency: AgencyInfo
    as_of: date
    entries: tuple[AccountEntry, ...]
    status: AgencyStatus | None  # None: nothing invoiced or paid yet


@dataclass(frozen=True)
class Statement(_StatusFigures):
    """A statement of account for ``start``..``end`` (inclusive)."""

    agency: AgencyInfo
    start: date
    end: date
    opening_balance: Decimal  # owed minus credit at the end of the day before ``start``
    entries: tuple[AccountEntry, ...]
    status: AgencyStatus | None  # the engine's status on ``end``
    aging: tuple[AgingRow, ...]

    @property
    def closing_balance(self) -> Decimal:
        """Owed minus credit on ``end``: what the running balance ends at."""
        return self.balance - self.credit

    @property
    def charges(self) -> Decimal:
        return sum((e.charge for e in self.entries), ZERO)

    @property
    def payments(self) -> Decimal:
        return sum((e.paid for e in self.entries), ZERO)


def _describe(entry: LedgerEntry, adjustments: dict[str, StoredAdjustment], headers: dict[str, InvoiceHeader]
              ) -> tuple[str, str, str, str | None]:
    """(kind, number, description, cycle) of one engine entry."""
    if entry.invoice is not None:
        number = entry.invoice.number
        adjustment = adjustments.get(number)
        if adjustment is not None:
            on = f" (on {adjustment.invoice_number})" if adjustment.invoice_number else ""
            return "debit", number, f"Debit adjustment{on}: {adjustment.reason}", None
        header = headers.get(number)
        cycle = header.cycle if header else invoice_cycle(number)
        return "invoice", number, f"Invoice, cycle {cycle}", cycle
    assert entry.payment is not None
    reference = entry.payment.reference or ""
    adjustment = adjustments.get(reference)
    if adjustment is not None and adjustment.kind is AdjustmentKind.CREDIT:
        on = f" (on {adjustment.invoice_number})" if adjustment.invoice_number else ""
        return "credit", reference, f"Credit adjustment{on}: {adjustment.reason}", None
    named = f", for {entry.payment.invoice}" if entry.payment.invoice else ""
    return "payment", reference, f"Payment received{named}", None


def _entries(history: tuple[LedgerEntry, ...], adjustments: list[StoredAdjustment],
             headers: list[InvoiceHeader]) -> tuple[AccountEntry, ...]:
    by_number = {a.number: a for a in adjustments}
    by_invoice = {h.number: h for h in headers}
    result = []
    for entry in history:
        kind, number, description, cycle = _describe(entry, by_number, by_invoice)
        result.append(AccountEntry(
            on=entry.on, kind=kind, number=number, description=description, charge=entry.charge, paid=entry.received,
            running_balance=entry.running_balance,
            applied=tuple(AppliedTo(a.invoice, a.amount, a.source) for a in entry.allocations),
            to_credit=entry.to_credit, due_on=entry.invoice.due_date if entry.invoice else None, cycle=cycle,
        ))
    return tuple(result)


def _ledger_in(session: Session, viewer: Viewer, agency_id: str, as_of: date) -> AccountLedger:
    viewer.require(Permission.VIEW_INVOICES)
    viewer.require_agency(agency_id)
    agency = agency_record(session=session, agency_id=agency_id)
    if agency is None:
        raise NotFound(f"no agency {agency_id!r}")
    invoices, payments = load_ledger(session, [agency_id])
    history = account_history(invoices, payments, agency_id, as_of)
    found = agency_statuses(session, as_of, [agency_id])
    entries = _entries(history, agency_adjustments(session=session, agency_id=agency_id),
                       issued_headers(session=session, agency_id=agency_id))
    return AccountLedger(agency_info(agency), as_of, entries, found[0] if found else None)


def account_ledger(viewer: Viewer, agency_id: str, as_of: date, *,
                   sessions: SessionFactory = default_sessions) -> AccountLedger:
    """Every invoice, payment, credit and debit of the agency up to ``as_of``."""
    with sessions() as session:
        return _ledger_in(session, viewer, agency_id, as_of)


def aging_of(status: AgencyStatus | None) -> tuple[AgingRow, ...]:
    """What is open on the status's day, by days overdue (the Overdue page's buckets)."""
    rows = []
    for label, first, last in AGING_BUCKETS:
        items = [o for o in (status.open_invoices if status else ())
                 if o.days_overdue >= first and (last is None or o.days_overdue <= last)]
        rows.append(AgingRow(label, len(items), sum((o.balance for o in items), ZERO)))
    return tuple(rows)


def statement(viewer: Viewer, agency_id: str, start: date | None, end: date, *,
              sessions: SessionFactory = default_sessions) -> Statement:
    """The statement of account from ``start`` (default: the onboarding
    date) to ``end``: the opening balance, every entry between, and the
    closing balance, credit and status, which are the engine's on ``end``."""
    with sessions() as session:
        ledger = _ledger_in(session, viewer, agency_id, end)
    first = start or ledger.agency.onboarded_on
    if first > end:
        raise FieldError("From", f"{first.isoformat()} is after the statement's end, {end.isoformat()}")
    before = [e for e in ledger.entries if e.on < first]
    opening = before[-1].running_balance if before else ZERO
    shown = tuple(e for e in ledger.entries if e.on >= first)
    return Statement(ledger.agency, first, end, opening, shown, ledger.status, aging_of(ledger.status))


def statement_json(found: Statement) -> dict[str, object]:
    """The statement as ``manage.py statement`` prints it. The closing part
    uses ``manage.py status``'s field names and values for the same day."""
    from billing.scenario import statuses_to_json

    if found.status is not None:
        closing = statuses_to_json(found.end, [found.status])["agencies"][0]
    else:
        closing = {"agency_id": found.agency.agency_id, "status": Status.PAID_UP.value, "balance": "0.00",
                   "credit": "0.00", "days_overdue": 0, "restriction_date": None, "oldest_open_invoice": None}
    return {
        "agency_id": found.agency.agency_id,
        "agency": found.agency.name,
        "from": found.start.isoformat(),
        "to": found.end.isoformat(),
        "opening_balance": str(found.opening_balance),
        "entries": [
            {"date": e.on.isoformat(), "kind": e.kind, "number": e.number or None, "description": e.description,
             "charge": str(e.charge), "paid": str(e.paid), "running_balance": str(e.running_balance),
             "due_date": e.due_on.isoformat() if e.due_on else None,
             "applied_to": [{"number": a.number, "amount": str(a.amount), "source": a.source} for a in e.applied],
             "kept_as_credit": str(e.to_credit)}
            for e in found.entries
        ],
        "closing_balance": str(found.closing_balance),
        "aging": [{"bucket": a.label, "items": a.items, "balance": str(a.balance)} for a in found.aging],
        "status": closing,
    }


def adjustments_of_invoice(viewer: Viewer, agency_id: str, invoice_number: str, *,
                           sessions: SessionFactory = default_sessions) -> list[StoredAdjustment]:
    """The adjustments that name ``invoice_number``, by date."""
    viewer.require(Permission.VIEW_INVOICES)
    viewer.require_agency(agency_id)
    with sessions() as session:
        return agency_adjustments(session=session, agency_id=agency_id, invoice_number=invoice_number)


def names_of_users(viewer: Viewer, agency_id: str, *, sessions: SessionFactory = default_sessions) -> list[UserName]:
    """The agency's dialer users with their names."""
    viewer.require(Permission.VIEW_AGENCY)
    viewer.require_agency(agency_id)
    with sessions() as session:
        return user_names(session=session, agency_id=agency_id)


# --- the agency page -------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceRow:
    """An issued invoice with what the engine says is paid and still open."""

    number: str
    cycle: str
    invoice_date: date
    due_date: date
    total: Decimal
    paid: Decimal
    open_balance: Decimal
    days_overdue: int


@dataclass(frozen=True)
class BankPoint:
    """The minute bank at one issued invoice: the closed period's use, the
    bank at cutoff, and what the invoice pre-billed for the next period."""

    cycle: str
    cutoff: date
    minutes_used: int
    closing_balance: int
    replenishment: int

    @property
    def after_replenishment(self) -> int:
        """The bank the advance period opens with."""
        return self.closing_balance + self.replenishment


@dataclass(frozen=True)
class AgencyUser:
    user_id: str
    name: str
    email: str | None
    active: bool  # active on the page's day
    since: date | None  # start of the current (or last) access span
    until: date | None  # end of the last span (deactivation date), None while active
    last_call_on: date | None

    @property
    def label(self) -> str:
        return f"{self.user_id} ({self.name})" if self.name and self.name != self.user_id else self.user_id


@dataclass(frozen=True)
class AgencyPage:
    """Everything the agency page shows; a section the viewer may not see is
    None (ops: no invoice amounts), never filled and hidden."""

    agency: AgencyInfo
    as_of: date
    status: AgencyStatus | None
    ledger: AccountLedger | None  # None without VIEW_INVOICES
    invoices: tuple[InvoiceRow, ...] | None
    contracts: tuple[ContractVersion, ...] | None
    contract_in_force: ContractVersion | None
    bank: tuple[BankPoint, ...] | None  # None without VIEW_MINUTE_BANK
    users: tuple[AgencyUser, ...]

    @property
    def state(self) -> Status:
        return self.status.status if self.status else Status.PAID_UP

    @property
    def balance(self) -> Decimal:
        return self.status.balance if self.status else ZERO

    @property
    def credit(self) -> Decimal:
        return self.status.credit if self.status else ZERO

    @property
    def active_users(self) -> int:
        return sum(1 for u in self.users if u.active)


def _users(session: Session, agency_id: str, on: date) -> tuple[AgencyUser, ...]:
    spans = {u.id: u for u in stored.users(session, [agency_id]).get(agency_id, ())}
    result = []
    for named in user_names(session=session, agency_id=agency_id):
        user = spans.get(named.user_id)
        own = [s for s in (user.spans if user else ()) if s.start <= on]
        last = own[-1] if own else None
        active = last is not None and (last.end is None or on < last.end)
        result.append(AgencyUser(named.user_id, named.name, named.email, active, last.start if last else None,
                                 None if active or last is None else last.end, named.last_call_on))
    return tuple(sorted(result, key=lambda u: (not u.active, u.user_id)))


def agency_page(viewer: Viewer, agency_id: str, as_of: date, *, sessions: SessionFactory = default_sessions) -> AgencyPage:
    """One agency's home: status, contacts, contract, ledger, invoices,
    minute bank and users, each as far as the viewer may see it."""
    viewer.require(Permission.VIEW_AGENCY)
    viewer.require_agency(agency_id)
    with sessions() as session:
        agency = agency_record(session=session, agency_id=agency_id)
        if agency is None:
            raise NotFound(f"no agency {agency_id!r}")
        found = agency_statuses(session, as_of, [agency_id])
        status = found[0] if found else None
        ledger = invoices = contracts = None
        in_force = None
        if viewer.can(Permission.VIEW_INVOICES):
            ledger = _ledger_in(session, viewer, agency_id, as_of)
            open_by_number = {o.invoice.number: o for o in (status.open_invoices if status else ())}
            invoices = tuple(
                InvoiceRow(h.number, h.cycle, h.invoice_date, h.due_date, h.total,
                           (status.paid.get(h.number, ZERO) if status else ZERO),
                           open_by_number[h.number].balance if h.number in open_by_number else ZERO,
                           open_by_number[h.number].days_overdue if h.number in open_by_number else 0)
                for h in reversed(issued_headers(session=session, agency_id=agency_id)) if h.invoice_date <= as_of
            )
            contracts = tuple(version_of(row) for row in contract_history(session, agency_id))
            in_force = next((c for c in reversed(contracts) if c.effective_from <= as_of), None)
        bank = None
        if viewer.can(Permission.VIEW_MINUTE_BANK):
            bank = tuple(BankPoint(h.cycle, Cycle.parse(h.cycle).cutoff, h.minutes_used, h.closing_balance, h.replenishment)
                         for h in issued_headers(session=session, agency_id=agency_id) if h.invoice_date <= as_of)
        users = _users(session, agency_id, as_of)
    return AgencyPage(agency_info(agency), as_of, status, ledger, invoices, contracts, in_force, bank, users)


def statement_pdf(found: Statement) -> tuple[str, bytes]:
    """(file name, PDF bytes) of the statement."""
    from reports.document import AgencyHeader
    from reports.statement_pdf import StatementDocument, StatementRow, render_statement_pdf, statement_file_name

    info = found.agency
    status = found.status
    document = StatementDocument(
        agency=AgencyHeader(info.agency_id, info.name, tuple((info.address or "").splitlines()), info.billing_email),
        start=found.start, end=found.end, opening_balance=found.opening_balance,
        rows=tuple(StatementRow(e.on, e.number, e.description, e.charge, e.paid, e.running_balance, e.applied_text)
                   for e in found.entries),
        closing_balance=found.closing_balance, balance=found.balance, credit=found.credit,
        status_label=found.state.label, aging=tuple((a.label, a.items, a.balance) for a in found.aging),
        days_overdue=status.days_overdue if status else 0,
        restriction_date=status.restriction_date if status else None,
        amount_to_clear=status.amount_to_lift_or_avoid_restriction if status else ZERO,
    )
    return statement_file_name(document), render_statement_pdf(document)
