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
from typing import Any, NamedTuple

from billing import LineCode, parse_date


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

    @property
    def is_preview(self) -> bool:
        """A preview has no number: it must never be mistaken for an invoice."""
        return self.number is None


def _period(raw: dict[str, Any]) -> Period:
    return Period(parse_date(raw["start"]), parse_date(raw["end"]), int(raw["days"]))


def lines_from_snapshot(snapshot: dict[str, Any]) -> tuple[DocumentLine, ...]:
    """The invoice's lines with their titles, money as ``Decimal``.

    Titles come from :class:`billing.LineCode` (plus ``": user"`` on a
    prorated line), so the dashboard and the PDF name a line the same way.
    """
    lines = []
    for line in snapshot["lines"]:
        user = line.get("user")
        lines.append(DocumentLine(
            code=line["code"],
            title=LineCode(line["code"]).title + ("" if user is None else f": {user}"),
            description=line["description"],
            quantity=int(line["quantity"]),
            unit_price=Decimal(line["unit_price"]),
            amount=Decimal(line["amount"]),
            user=user,
        ))
    return tuple(lines)


def document_from_snapshot(
    snapshot: dict[str, Any],
    agency: AgencyHeader,
    *,
    number: str | None = None,
    payments: Iterable[PaymentRow] = (),
    balance_due: Decimal | None = None,
    issued_on: date | None = None,
) -> InvoiceDocument:
    """Build from ``billing.scenario.invoice_snapshot(invoice)`` output.

    The snapshot is JSON-shaped (money as strings, dates as ISO text); this
    is the one place it turns back into ``Decimal`` and ``date``.
    """
    bank = snapshot["minute_bank_detail"]
    return InvoiceDocument(
        agency=agency,
        number=number,
        cycle=snapshot["cycle"],
        invoice_date=parse_date(snapshot["invoice_date"]),
        due_date=parse_date(snapshot["due_date"]),
        restriction_date=parse_date(snapshot["restriction_date"]),
        closed_period=_period(snapshot["closed_period"]),
        advance_period=_period(snapshot["advance_period"]),
        lines=lines_from_snapshot(snapshot),
        bank=BankSummary(
            opening=int(bank["opening_balance"]),
            credited=int(bank["credited_at_period_start"]) + int(bank["onboarding_credit"]),
            used=int(bank["minutes_used"]),
            closing=int(bank["closing_balance"]),
            replenishment=int(bank["replenishment"]),
        ),
        total=Decimal(snapshot["total"]),
        payments=tuple(payments),
        balance_due=balance_due,
        issued_on=issued_on,
    )
