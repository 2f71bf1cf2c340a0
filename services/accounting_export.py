"""A cycle's issued invoices, and the payments and adjustments of a date
range, as files an accounting system imports: Xero's sales-invoice CSV,
QuickBooks Online's invoice import CSV (one row per invoice line in both),
and a plain double-entry journal any ledger takes.

Every amount is the stored decimal written as text with two places, so a
file's totals equal the issued invoices' to the cent. A line whose quantity
times unit price is not exactly its amount (a prorated fee, a rate with four
places) is written as one unit at its amount (its description already says
quantity × rate), because both systems recompute a line's amount from
quantity × rate and would round differently. Every text cell that came from outside (names, e-mails,
descriptions, references) goes through :func:`services.exports.text_cell`.

Column lists and date formats are documented, with their sources, in
``docs/ACCOUNTING_EXPORT.md``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billing import Cycle
from billing.invoice import LineCode
from db import audit
from db.queries import reporting as stored
from db.queries.reporting import ExportInvoice, ExportLine, LedgerEntry

from .access import Permission, Viewer
from .errors import FieldError
from .exports import text_cell
from .unit_of_work import SessionFactory, default_sessions

CENT = Decimal("0.01")


class ExportFormat(StrEnum):
    XERO = "xero"
    QUICKBOOKS = "quickbooks"
    JOURNAL = "journal"

    @property
    def label(self) -> str:
        return {"xero": "Xero sales invoices", "quickbooks": "QuickBooks Online invoices", "journal": "Journal"}[self.value]


# Accounts that are not charges: what the journal posts against.
RECEIVABLE, BANK, ADJUSTMENTS = "RECEIVABLE", "BANK", "ADJUSTMENTS"

# charge → (ledger account, product/service item): what a new deployment starts from.
DEFAULT_ACCOUNTS: dict[str, tuple[str, str]] = {
    LineCode.USER_FEE: ("4000", "Dialer user fees"),
    LineCode.PRORATED_USER_FEE: ("4000", "Dialer user fees"),
    LineCode.LICENSING_FEE: ("4010", "Licensing fees"),
    LineCode.ONBOARDING_MINUTES: ("4020", "Dialer minutes"),
    LineCode.PRE_BILLED_MINUTES: ("4020", "Dialer minutes"),
    LineCode.EH_SIGNAL: ("4030", "EH Signal"),
    LineCode.NUMBER_CLEANING: ("4040", "Number cleaning"),
    LineCode.APPOINTMENTS: ("4050", "Appointments"),
    LineCode.AI_TRANSCRIPTION: ("4060", "AI transcription"),
    RECEIVABLE: ("1200", "Accounts receivable"),
    BANK: ("1000", "Bank"),
    ADJUSTMENTS: ("4900", "Billing adjustments"),
}
CHARGE_LABELS = {**{code.value: code.label for code in LineCode}, RECEIVABLE: "Accounts receivable (the invoices' totals)",
                 BANK: "Bank (payments received)", ADJUSTMENTS: "Credit and debit adjustments"}

XERO_COLUMNS = (
    "*ContactName", "EmailAddress", "POAddressLine1", "POAddressLine2", "POAddressLine3", "POAddressLine4",
    "POCity", "PORegion", "POPostalCode", "POCountry", "*InvoiceNumber", "Reference", "*InvoiceDate", "*DueDate",
    "InventoryItemCode", "*Description", "*Quantity", "*UnitAmount", "Discount", "*AccountCode", "*TaxType",
    "TrackingName1", "TrackingOption1", "TrackingName2", "TrackingOption2", "Currency", "BrandingTheme",
)
QUICKBOOKS_COLUMNS = (
    "InvoiceNo", "Customer", "InvoiceDate", "DueDate", "Terms", "Location", "Memo", "Item(Product/Service)",
    "ItemDescription", "ItemQuantity", "ItemRate", "ItemAmount", "Taxable", "TaxRate",
)
JOURNAL_COLUMNS = ("Date", "Account", "Debit", "Credit", "Reference", "Description")
XERO_TAX_TYPE = "Tax Exempt"  # the US organisation's name for a 0 % sales tax rate
US_DATE = "%m/%d/%Y"  # both templates take the organisation's date format; a US organisation's is MM/DD/YYYY


@dataclass(frozen=True)
class AccountCode:
    charge: str
    label: str
    account: str
    item: str
    is_default: bool


@dataclass(frozen=True)
class ExportFile:
    name: str
    format: ExportFormat
    content: str
    invoices: int
    rows: int
    total: Decimal  # the issued invoices' total (invoice exports) or the entries' total (journal of a range)


def money_text(amount: Decimal) -> str:
    """``1234.50``: two places, no thousands separator, never a float."""
    return str(amount.quantize(CENT))


def account_codes(viewer: Viewer, *, sessions: SessionFactory = default_sessions) -> list[AccountCode]:
    viewer.require(Permission.VIEW_REPORTS)
    with sessions() as session:
        stored_codes = stored.account_codes(session=session)
    return [AccountCode(charge, CHARGE_LABELS[charge], *stored_codes.get(charge, default), charge not in stored_codes)
            for charge, default in DEFAULT_ACCOUNTS.items()]


def set_account_codes(viewer: Viewer, changes: Iterable[tuple[str, str, str]], *,
                      sessions: SessionFactory = default_sessions) -> int:
    """Store (charge, account, item) mappings; how many changed. Audited."""
    viewer.require(Permission.EDIT_ACCOUNT_CODES)
    cleaned = []
    for charge, account, item in changes:
        if charge not in DEFAULT_ACCOUNTS:
            raise FieldError("Charge", f"{charge!r} is not a charge the export knows")
        account, item = " ".join(account.split()), " ".join(item.split())
        label = CHARGE_LABELS[charge]
        if not account or len(account) > 40:
            raise FieldError("Account", f"{label}: the account code must be 1 to 40 characters")
        if not item or len(item) > 100:
            raise FieldError("Item", f"{label}: the item name must be 1 to 100 characters")
        cleaned.append((charge, account, item))
    changed = 0
    with sessions() as session:
        for charge, account, item in cleaned:
            if stored.set_account_code(session=session, charge=charge, account=account, item=item, actor=viewer.email):
                changed += 1
                audit.record(session, actor=viewer.email, action="set_account_code", subject=charge, account=account,
                             item=item)
    return changed


def _codes(session) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {**DEFAULT_ACCOUNTS, **stored.account_codes(session=session)}


def _exact(line: ExportLine) -> bool:
    """Whether quantity × unit price is the amount to the cent with a two-place rate."""
    return line.unit_price == line.unit_price.quantize(CENT) and line.quantity * line.unit_price == line.amount


def _as_written(line: ExportLine) -> tuple[str, str, str]:
    """(description, quantity, unit amount) so that the importer's quantity × rate is the amount."""
    if _exact(line):
        return line.description, str(line.quantity), money_text(line.unit_price)
    return line.description, "1", money_text(line.amount)  # the description already says quantity × rate


def _csv(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def _xero_rows(invoices: list[ExportInvoice], codes: dict[str, tuple[str, str]]) -> list[list[str]]:
    rows = []
    for invoice in invoices:
        for line in invoice.lines:
            description, quantity, unit = _as_written(line)
            row = dict.fromkeys(XERO_COLUMNS, "")
            row.update({
                "*ContactName": text_cell(invoice.agency_name), "EmailAddress": text_cell(invoice.billing_email or ""),
                "*InvoiceNumber": invoice.number, "Reference": text_cell(f"{invoice.agency_id} cycle {invoice.cycle}"),
                "*InvoiceDate": invoice.invoice_date.strftime(US_DATE), "*DueDate": invoice.due_date.strftime(US_DATE),
                "*Description": text_cell(description), "*Quantity": quantity, "*UnitAmount": unit,
                "*AccountCode": text_cell(codes[line.code][0]), "*TaxType": XERO_TAX_TYPE, "Currency": "USD",
            })
            rows.append([row[c] for c in XERO_COLUMNS])
    return rows


def _quickbooks_rows(invoices: list[ExportInvoice], codes: dict[str, tuple[str, str]]) -> list[list[str]]:
    rows = []
    for invoice in invoices:
        for line in invoice.lines:
            description, quantity, unit = _as_written(line)
            rows.append([
                invoice.number, text_cell(invoice.agency_name), invoice.invoice_date.strftime(US_DATE),
                invoice.due_date.strftime(US_DATE), "", "", text_cell(f"{invoice.agency_id} cycle {invoice.cycle}"),
                text_cell(codes[line.code][1]), text_cell(description), quantity, unit, money_text(line.amount), "N", "",
            ])
    return rows


def _journal_invoice_rows(invoices: list[ExportInvoice], codes: dict[str, tuple[str, str]]) -> list[list[str]]:
    rows = []
    for invoice in invoices:
        on = invoice.invoice_date.isoformat()
        memo = text_cell(f"{invoice.agency_name} ({invoice.agency_id}) cycle {invoice.cycle}")
        rows.append([on, codes[RECEIVABLE][0], money_text(invoice.total), "", invoice.number, memo])
        by_account: dict[str, Decimal] = {}
        for line in invoice.lines:
            by_account[codes[line.code][0]] = by_account.get(codes[line.code][0], Decimal(0)) + line.amount
        rows += [[on, text_cell(account), "", money_text(amount), invoice.number, memo]
                 for account, amount in by_account.items() if amount]
    return rows


def _journal_entry_rows(entries: list[LedgerEntry], codes: dict[str, tuple[str, str]]) -> list[list[str]]:
    receivable, bank, adjustments = codes[RECEIVABLE][0], codes[BANK][0], codes[ADJUSTMENTS][0]
    rows = []
    for e in entries:
        memo = text_cell(f"{e.agency_name} ({e.agency_id}): {e.memo}" + (f", {e.invoice_number}" if e.invoice_number else ""))
        debit, credit = {"payment": (bank, receivable), "credit": (adjustments, receivable),
                         "debit": (receivable, adjustments)}[e.kind]
        reference, amount, on = text_cell(e.reference), money_text(e.amount), e.on.isoformat()
        rows += [[on, text_cell(debit), amount, "", reference, memo], [on, text_cell(credit), "", amount, reference, memo]]
    return rows


def export_cycle(viewer: Viewer, cycle: Cycle, export_format: ExportFormat | str, *, audited: bool = True,
                 sessions: SessionFactory = default_sessions) -> ExportFile:
    """The cycle's issued invoices in ``export_format``. A page that prepares
    the file before anyone downloads it passes ``audited=False`` and calls
    :func:`note_export` when the file is taken."""
    viewer.require(Permission.VIEW_REPORTS)
    chosen = _format(export_format)
    with sessions() as session:
        invoices = stored.invoices_for_export(session=session, cycle=str(cycle))
        if not invoices:
            raise FieldError("Cycle", f"cycle {cycle} has no issued invoices yet")
        codes = _codes(session)
        if audited:
            audit.record(session, actor=viewer.email, action="export", subject=str(cycle), format=chosen.value,
                         invoices=len(invoices))
    columns: Sequence[str]
    if chosen is ExportFormat.XERO:
        rows, columns = _xero_rows(invoices, codes), XERO_COLUMNS
    elif chosen is ExportFormat.QUICKBOOKS:
        rows, columns = _quickbooks_rows(invoices, codes), QUICKBOOKS_COLUMNS
    else:
        rows, columns = _journal_invoice_rows(invoices, codes), JOURNAL_COLUMNS
    total = sum((i.total for i in invoices), Decimal("0.00"))
    return ExportFile(f"invoices-{cycle}-{chosen.value}.csv", chosen, _csv(columns, rows), len(invoices), len(rows), total)


def note_export(viewer: Viewer, subject: str, export_format: ExportFormat | str, *,
                sessions: SessionFactory = default_sessions) -> None:
    """Audit a file prepared earlier and now downloaded."""
    viewer.require(Permission.VIEW_REPORTS)
    with sessions() as session:
        audit.record(session, actor=viewer.email, action="export", subject=subject, format=_format(export_format).value)


def export_entries(viewer: Viewer, start: date, end: date, *, audited: bool = True,
                   sessions: SessionFactory = default_sessions) -> ExportFile:
    """Payments and adjustments dated ``start`` to ``end`` as journal rows."""
    viewer.require(Permission.VIEW_REPORTS)
    if end < start:
        raise FieldError("To", f"must be on or after the start date {start.isoformat()}, not {end.isoformat()}")
    with sessions() as session:
        entries = stored.ledger_entries(session=session, start=start, end=end)
        codes = _codes(session)
        if audited:
            audit.record(session, actor=viewer.email, action="export", subject=f"{start.isoformat()}..{end.isoformat()}",
                         format=ExportFormat.JOURNAL.value, entries=len(entries))
    rows = _journal_entry_rows(entries, codes)
    total = sum((e.amount for e in entries), Decimal("0.00"))
    return ExportFile(f"payments-and-adjustments-{start.isoformat()}-to-{end.isoformat()}-journal.csv",
                      ExportFormat.JOURNAL, _csv(JOURNAL_COLUMNS, rows), 0, len(rows), total)


def _format(value: ExportFormat | str) -> ExportFormat:
    try:
        return ExportFormat(value)
    except ValueError:
        raise FieldError("Format", f"must be one of {', '.join(f.value for f in ExportFormat)}, not {value!r}") from None
