"""The view model a PDF is drawn from, independent of the database.

Issued invoices are stored as the engine's snapshot and previews produce the
same snapshot on the fly, so one builder (:func:`document_from_snapshot`)
serves both, and a frozen invoice always prints from its frozen numbers. The
renderer sees only these plain values: it can be tested without a database
and can never recompute (and so silently change) an issued invoice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from billing.snapshot import InvoiceSnapshot, SnapshotPeriod


@dataclass(frozen=True)
class DocumentLine:
    """One invoice line as printed: money already rounded by the engine."""

    code: str
    title: str  # "Prorated user fee: u14"
    description: str  # the engine's plain-language explanation
    quantity: int
    unit_price: Decimal
    amount: Decimal
    user: str | None = None


@dataclass(frozen=True)
class BankSummary:
    """The minute bank over the closed period, in whole minutes."""

    opening: int
    credited: int  # credited at the period's start plus onboarding minutes
    used: int
    closing: int
    replenishment: int


@dataclass(frozen=True)
class PaymentRow:
    paid_on: date
    amount: Decimal
    reference: str | None


@dataclass(frozen=True)
class AdjustmentRow:
    """A credit or debit adjustment that names the invoice, with its reason
    (written to be shown to the client) and what of a debit is still open."""

    number: str
    kind: str  # "credit" or "debit"
    on_date: date
    amount: Decimal
    reason: str
    open_balance: Decimal = Decimal("0.00")
    due_on: date | None = None

    @property
    def is_debit(self) -> bool:
        return self.kind == "debit"


@dataclass(frozen=True)
class AgencyHeader:
    """Who the invoice is addressed to (the "Bill to" block)."""

    agency_id: str
    name: str
    address_lines: tuple[str, ...] = ()
    billing_email: str | None = None


class Period(NamedTuple):
    """``(start, end, days)``: a plain tuple that also reads by name."""

    start: date
    end: date
    days: int


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything one PDF shows, and nothing it would have to look up."""

    agency: AgencyHeader
    number: str | None  # None: an unissued preview
    cycle: str
    invoice_date: date
    due_date: date
    restriction_date: date
    closed_period: Period
    advance_period: Period
    lines: tuple[DocumentLine, ...]
    bank: BankSummary
    total: Decimal
    payments: tuple[PaymentRow, ...] = ()
    balance_due: Decimal | None = None
    issued_on: date | None = None
    adjustments: tuple[AdjustmentRow, ...] = ()
    standing: str | None = None  # "In progress: 7 of 30 days elapsed" while the closed period runs
    quote: tuple[str, ...] | None = None  # a what-if quote: the changes it prices, in words

    @property
    def open_debits(self) -> tuple[AdjustmentRow, ...]:
        """Debit adjustments on this invoice not paid yet."""
        return tuple(a for a in self.adjustments if a.is_debit and a.open_balance > 0)

    @property
    def invoice_paid_debit_open(self) -> bool:
        """The invoice itself is paid but a debit that names it is not:
        never "Paid in full"."""
        if self.balance_due is None or not self.open_debits:
            return False
        return self.balance_due == sum((a.open_balance for a in self.open_debits), Decimal("0.00"))

    @property
    def is_preview(self) -> bool:
        """A preview has no number: it must never be mistaken for an invoice."""
        return self.number is None

    @property
    def is_quote(self) -> bool:
        """A what-if quote: never numbered, marked WHAT-IF on every page."""
        return self.quote is not None


def _period(stated: SnapshotPeriod) -> Period:
    return Period(stated.start, stated.end, stated.days)


def lines_from_snapshot(snapshot: InvoiceSnapshot) -> tuple[DocumentLine, ...]:
    """The invoice's lines with their titles, money as ``Decimal``.

    Titles come from :class:`billing.LineCode` (plus ``": user"`` on a
    prorated line), so the dashboard and the PDF name a line the same way.
    """
    return tuple(
        DocumentLine(code=line.code, title=line.title, description=line.description, quantity=line.quantity,
                     unit_price=line.unit_price, amount=line.amount, user=line.user)
        for line in snapshot.lines
    )


def document_from_snapshot(
    snapshot: InvoiceSnapshot,
    agency: AgencyHeader,
    *,
    number: str | None = None,
    payments: Iterable[PaymentRow] = (),
    balance_due: Decimal | None = None,
    issued_on: date | None = None,
    adjustments: Iterable[AdjustmentRow] = (),
    standing: str | None = None,
    quote: tuple[str, ...] | None = None,
) -> InvoiceDocument:
    """Build from an invoice's typed snapshot (:mod:`billing.snapshot`), the
    same for a live preview and a frozen invoice: a frozen invoice prints
    from its frozen numbers."""
    bank = snapshot.bank
    return InvoiceDocument(
        agency=agency,
        number=number,
        cycle=str(snapshot.cycle),
        invoice_date=snapshot.invoice_date,
        due_date=snapshot.due_date,
        restriction_date=snapshot.restriction_date,
        closed_period=_period(snapshot.closed_period),
        advance_period=_period(snapshot.advance_period),
        lines=lines_from_snapshot(snapshot),
        bank=BankSummary(
            opening=bank.opening_balance,
            credited=bank.credited,
            used=bank.minutes_used,
            closing=bank.closing_balance,
            replenishment=bank.replenishment,
        ),
        total=snapshot.total,
        payments=tuple(payments),
        balance_due=balance_due,
        issued_on=issued_on,
        adjustments=tuple(adjustments),
        standing=None if number else standing,
        quote=None if number else quote,
    )
