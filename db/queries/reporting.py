"""What finance reports read: issued invoices and their lines summed in SQL
(never a loop over lines in Python), payments and adjustments in a date
range, and the account codes of the accounting export."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session

import clock

from ..ledger import adjustment_number, load_ledger
from ..models import AccountCode, Adjustment, Agency, Invoice, InvoiceLine, Payment


@dataclass(frozen=True)
class ChargeTotal:
    """One charge of one agency's issued invoice of a cycle, summed."""

    cycle: str
    agency_id: str
    code: str
    amount: Decimal
    quantity: int


@dataclass(frozen=True)
class IssuedInvoiceFacts:
    number: str
    agency_id: str
    cycle: str
    invoice_date: date
    due_date: date
    total: Decimal
    seats_billed: int
    minutes_used: int


@dataclass(frozen=True)
class ExportLine:
    position: int
    code: str
    description: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class ExportInvoice:
    number: str
    agency_id: str
    agency_name: str
    billing_email: str | None
    cycle: str
    invoice_date: date
    due_date: date
    total: Decimal
    lines: tuple[ExportLine, ...]


@dataclass(frozen=True)
class LedgerEntry:
    """A payment or an adjustment, for the journal."""

    kind: str  # "payment", "credit" or "debit"
    reference: str
    agency_id: str
    agency_name: str
    on: date
    amount: Decimal
    invoice_number: str | None
    memo: str


def _scoped(column, agency_ids: Sequence[str] | None):  # type: ignore[no-untyped-def]
    return True if agency_ids is None else column.in_(list(agency_ids))


def charge_totals(*, session: Session, cycles: Sequence[str], agency_ids: Sequence[str] | None = None) -> list[ChargeTotal]:
    """Issued amounts per (cycle, agency, charge), summed by the database."""
    rows = session.execute(
        select(Invoice.cycle, Invoice.agency_id, InvoiceLine.code, func.sum(InvoiceLine.amount), func.sum(InvoiceLine.quantity))
        .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .where(Invoice.cycle.in_(list(cycles)), _scoped(Invoice.agency_id, agency_ids))  # type: ignore[attr-defined]
        .group_by(Invoice.cycle, Invoice.agency_id, InvoiceLine.code)
    )
    return [ChargeTotal(cycle, agency, code, Decimal(amount).quantize(Decimal("0.01")), int(quantity))
            for cycle, agency, code, amount, quantity in rows]


def issued_invoice_facts(*, session: Session, cycles: Sequence[str], agency_ids: Sequence[str] | None = None
                         ) -> list[IssuedInvoiceFacts]:
    rows = session.execute(
        select(Invoice.number, Invoice.agency_id, Invoice.cycle, Invoice.invoice_date, Invoice.due_date, Invoice.total,
               Invoice.seats_billed, Invoice.minutes_used)
        .where(Invoice.cycle.in_(list(cycles)), _scoped(Invoice.agency_id, agency_ids))  # type: ignore[attr-defined]
        .order_by(Invoice.cycle, Invoice.number)
    )
    return [IssuedInvoiceFacts(*row) for row in rows]


def issued_cycles(*, session: Session) -> list[str]:
    """Every cycle with an issued invoice, oldest first."""
    return list(session.scalars(select(Invoice.cycle).distinct().order_by(Invoice.cycle)))


def invoices_for_export(*, session: Session, cycle: str) -> list[ExportInvoice]:
    """A cycle's issued invoices with their lines, in number order. The rows
    are checked against their content hashes first (through the ledger), so
    a tampered invoice never reaches the books."""
    agency_ids = list(session.scalars(select(Invoice.agency_id).where(Invoice.cycle == cycle)))
    if not agency_ids:
        return []
    load_ledger(session, agency_ids)  # raises InvoiceIntegrityError for an invoice changed after issuing
    headers = session.execute(
        select(Invoice.id, Invoice.number, Invoice.agency_id, Agency.name, Agency.billing_email, Invoice.cycle,
               Invoice.invoice_date, Invoice.due_date, Invoice.total)
        .join(Agency, Agency.id == Invoice.agency_id)
        .where(Invoice.cycle == cycle).order_by(Invoice.number)
    ).all()
    lines: dict[int, list[ExportLine]] = {}
    for invoice_id, position, code, description, quantity, unit_price, amount in session.execute(
        select(InvoiceLine.invoice_id, InvoiceLine.position, InvoiceLine.code, InvoiceLine.description,
               InvoiceLine.quantity, InvoiceLine.unit_price, InvoiceLine.amount)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.cycle == cycle).order_by(InvoiceLine.invoice_id, InvoiceLine.position)
    ):
        lines.setdefault(invoice_id, []).append(ExportLine(position, code, description, quantity, unit_price, amount))
    return [ExportInvoice(number, agency_id, name, email, cyc, invoice_date, due_date, total, tuple(lines.get(i, ())))
            for i, number, agency_id, name, email, cyc, invoice_date, due_date, total in headers]


def ledger_entries(*, session: Session, start: date, end: date) -> list[LedgerEntry]:
    """Payments and adjustments dated from ``start`` to ``end``, in date order."""
    names = {agency_id: name for agency_id, name in session.execute(select(Agency.id, Agency.name))}
    entries = [
        LedgerEntry("payment", p.reference or f"PAY-{p.id:06d}", p.agency_id, names.get(p.agency_id, p.agency_id),
                    p.paid_on, p.amount, p.invoice_number, "Payment received")
        for p in session.scalars(select(Payment).where(Payment.paid_on >= start, Payment.paid_on <= end))
    ]
    entries += [
        LedgerEntry(a.kind, adjustment_number(a), a.agency_id, names.get(a.agency_id, a.agency_id), a.on_date, a.amount,
                    a.invoice_number, a.reason)
        for a in session.scalars(select(Adjustment).where(Adjustment.on_date >= start, Adjustment.on_date <= end))
    ]
    return sorted(entries, key=lambda e: (e.on, e.kind, e.reference))


def account_codes(*, session: Session) -> dict[str, tuple[str, str]]:
    """charge → (account, item) as finance set them."""
    return {row.charge: (row.account, row.item) for row in session.scalars(select(AccountCode))}


def set_account_code(*, session: Session, charge: str, account: str, item: str, actor: str) -> bool:
    """Store one charge's mapping; whether anything changed."""
    row = session.get(AccountCode, charge)
    if row is not None and (row.account, row.item) == (account, item):
        return False
    if row is None:
        row = AccountCode(charge=charge, account=account, item=item, updated_by=actor)
    else:
        row.account, row.item, row.updated_by, row.updated_at = account, item, actor, clock.now()
    session.add(row)
    return True
