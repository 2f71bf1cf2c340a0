"""Invoice PDFs with reportlab (platypus), and the whole-cycle archive.

Deterministic on purpose: the same document gives the same bytes (reportlab
``invariant`` mode, fixed metadata, no timestamps, fixed zip dates), so an
issued invoice's PDF never changes and can be compared byte for byte. Every
piece of user text is escaped before it reaches a Paragraph (see
:func:`reports.styles.text`), and the shipped DejaVu fonts cover accents,
Greek and Cyrillic.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

import settings
from billing.calendar import weekday_date
from billing.money import format_count, format_signed_usd, format_usd

from .canvas import MARGIN, QUOTE_BANNER, canvas_maker
from .document import AgencyHeader, InvoiceDocument, Period
from .styles import ACCENT, ACCENT_LIGHT, RULE, SHADE, styles, text

PRODUCER = "Dialer Billing Dashboard"
ZIP_DATE = (2026, 1, 1, 0, 0, 0)  # zip entries need a date; a fixed one keeps archives reproducible
WIDTH = LETTER[0] - 2 * MARGIN
FRAME_PADDING = 6
# Description, quantity, unit price, amount: room for "$1,234,567.89" in bold.
LINE_COLUMNS = (WIDTH - 2.75 * inch, 0.75 * inch, 0.9 * inch, 1.1 * inch)
# A side-by-side table cell cannot break across pages: past this many
# payments the summary goes below the minute bank instead.
SIDE_BY_SIDE_PAYMENTS = 8
FACT_COLUMNS = (0.9 * inch, 2.3 * inch)
# Small grey labels beside larger values: drop the label 1 pt so baselines meet.
LABEL_BASELINE = [("TOPPADDING", (0, 0), (0, -1), 1)]
DUE_BOX = 1.55 * inch


def _period(period: Period) -> str:
    return f"{period.start.isoformat()} – {period.end.isoformat()} ({period.days} days)"


def _amount_due(doc: InvoiceDocument) -> Decimal:
    return doc.total if doc.balance_due is None else doc.balance_due


def _plain_table(rows: list[list[object]], widths: Iterable[float], extra: list[tuple] | None = None) -> Table:
    """A table with no padding at the edges, for layout rather than data."""
    table = Table(rows, colWidths=list(widths))
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
        *(extra or []),
    ]))
    return table


def _title_block(doc: InvoiceDocument) -> list[Flowable]:
    """Issuer on the left, INVOICE and its number on the right, then a rule."""
    issuer = [text(settings.current().issuer_name, "issuer"), text(settings.current().issuer_details, "small")]
    if doc.is_quote:
        heading = [text("WHAT-IF QUOTE", "title"), text("Not an invoice · no invoice number", "unissued")]
    elif doc.is_preview:
        heading = [text("INVOICE PREVIEW", "title"), text("Not issued · no invoice number", "unissued")]
        if doc.standing:
            heading.append(text(doc.standing, "unissued"))
    else:
        heading = [text("INVOICE", "title"), text(doc.number or "", "number")]
    top = _plain_table([[issuer, heading]], (WIDTH / 2, WIDTH / 2), [("VALIGN", (0, 0), (-1, -1), "BOTTOM")])
    rule = _plain_table([[""]], (WIDTH,), [("LINEBELOW", (0, 0), (-1, -1), 1.5, ACCENT)])
    return [top, Spacer(1, 6), rule, Spacer(1, 10)]


def _bill_to(doc: InvoiceDocument) -> list[Flowable]:
    return _bill_to_cell(doc.agency)


def _bill_to_cell(agency: AgencyHeader) -> list[Flowable]:
    """The "Bill to" block: the agency's name, address, billing e-mail and account id."""
    cell: list[Flowable] = [text("BILL TO", "label"), Spacer(1, 2), text(agency.name, "agency")]
    cell += [text(line) for line in agency.address_lines if line.strip()]
    if agency.billing_email:
        cell.append(text(agency.billing_email, "small"))
    cell.append(text(f"Account {agency.agency_id}", "small"))
    return cell


def _facts(doc: InvoiceDocument) -> Table:
    """Key dates, with weekdays: people pay by the day of the week."""
    rows = [
        ("Cycle", doc.cycle),
        ("Invoice date", weekday_date(doc.invoice_date)),
        ("Due date", weekday_date(doc.due_date)),
        ("Restricted from", weekday_date(doc.restriction_date)),
        ("Closed period", _period(doc.closed_period)),
        ("Advance period", _period(doc.advance_period)),
    ]
    if doc.issued_on is not None and doc.issued_on != doc.invoice_date and not doc.is_preview:
        rows.insert(2, ("Issued", weekday_date(doc.issued_on)))
    return _plain_table(
        [[text(label, "small"), text(value, "bold" if label == "Due date" else "base")] for label, value in rows],
        FACT_COLUMNS, [("BOTTOMPADDING", (0, 0), (-1, -1), 1.5), *LABEL_BASELINE],
    )


def _due_box(doc: InvoiceDocument) -> Table:
    """The one number the reader came for, where the eye lands first."""
    due = _amount_due(doc)
    if due < 0:  # an overpayment stays on the account as credit
        cell = [text("CREDIT BALANCE", "due_label"), text(format_usd(-due), "due_amount"),
                text("applied to your next invoice", "due_date")]
    elif doc.invoice_paid_debit_open:
        first_due = min((a.due_on or doc.due_date) for a in doc.open_debits)
        cell = [text("BALANCE DUE", "due_label"), text(format_usd(due), "due_amount"),
                text(f"Invoice paid; adjustment open, due {weekday_date(first_due)}", "due_date")]
    elif due == 0 and doc.balance_due is not None:
        cell = [text("BALANCE DUE", "due_label"), text(format_usd(due), "due_amount"),
                text("Paid in full. Thank you.", "due_date")]
    else:
        label = "BALANCE DUE" if doc.balance_due is not None else "AMOUNT DUE"
        cell = [text(label, "due_label"), text(format_usd(due), "due_amount"),
                text(f"by {weekday_date(doc.due_date)}", "due_date")]
    box = Table([[cell]], colWidths=[DUE_BOX])
    box.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), ACCENT), ("LEFTPADDING", (0, 0), (-1, -1), 8),
                             ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 7)]))
    return box


def _header(doc: InvoiceDocument) -> list[Flowable]:
    parties = _plain_table([[_bill_to(doc), _facts(doc), _due_box(doc)]],
                           (WIDTH - sum(FACT_COLUMNS) - DUE_BOX, sum(FACT_COLUMNS), DUE_BOX),
                           [("RIGHTPADDING", (0, 0), (0, 0), 10)])
    return [*_title_block(doc), parties, Spacer(1, 12)]


def _description(title: str, explanation: str) -> Paragraph:
    """Title in bold, the engine's explanation below it in small grey type."""
    body = f"<font size=8.5><b>{escape(title)}</b></font>"
    if explanation:
        body += f"<br/><font color='#5f6b7a'>{escape(explanation)}</font>"
    return Paragraph(body, styles()["description"])


def _lines_table(doc: InvoiceDocument) -> Table:
    """The charges; the header row repeats on every page it spans."""
    head = [text("Description", "head"), text("Qty", "head_right"), text("Unit price", "head_right"),
            text("Amount", "head_right")]
    rows: list[list[object]] = [head]
    for line in doc.lines:
        rows.append([_description(line.title, line.description), text(format_count(line.quantity), "right"),
                     text(format_usd(line.unit_price), "right"), text(format_usd(line.amount), "right")])
    rows.append(["", "", text("Total", "right_bold"), text(format_usd(doc.total), "right_bold")])
    last = len(rows) - 1
    style: list[tuple] = [
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("LINEBELOW", (0, 1), (-1, last - 1), 0.4, RULE),
        ("LINEABOVE", (2, last), (-1, last), 1.2, ACCENT),
        ("TOPPADDING", (0, last), (-1, last), 5),
    ]
    style += [("BACKGROUND", (0, row), (-1, row), SHADE) for row in range(2, last, 2)]
    table = Table(rows, colWidths=list(LINE_COLUMNS), repeatRows=1)
    table.setStyle(TableStyle(style))
    return table


def _bank(doc: InvoiceDocument, width: float) -> list[Flowable]:
    bank = doc.bank
    rows = [("Opening balance", format_count(bank.opening)), ("Credited", f"+{format_count(bank.credited)}"),
            ("Used", f"-{format_count(bank.used)}"), ("Closing balance", format_count(bank.closing)),
            ("Replenishment billed", format_count(bank.replenishment))]
    table = Table([[text(label, "small"), text(f"{value} min", "right")] for label, value in rows],
                  colWidths=[width - 1.2 * inch, 1.2 * inch])
    table.setStyle(TableStyle([
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LINEABOVE", (0, 3), (-1, 3), 0.5, RULE), ("BACKGROUND", (0, 4), (-1, 4), ACCENT_LIGHT),
        ("TOPPADDING", (0, 0), (0, -1), 2.5),
    ]))
    return [text("Minute bank", "h2"), table]


def _summary(doc: InvoiceDocument, width: float) -> list[Flowable]:
    """Total, payments received and what is left to pay."""
    rows: list[list[object]] = [[text("Invoice total", "small"), text(format_usd(doc.total), "right")]]
    for payment in doc.payments:
        what = f"Paid {weekday_date(payment.paid_on)}" + (f" · {payment.reference}" if payment.reference else "")
        rows.append([text(what, "small"), text(format_signed_usd(-payment.amount), "right")])
    if doc.balance_due is not None:
        for adjustment in (a for a in doc.adjustments if a.is_debit):
            rows.append([text(f"Debit {adjustment.number} · {weekday_date(adjustment.on_date)}", "small"),
                         text(format_signed_usd(adjustment.amount), "right")])
            paid = adjustment.amount - adjustment.open_balance
            if paid > 0:
                rows.append([text(f"Paid on {adjustment.number}", "small"), text(format_signed_usd(-paid), "right")])
    due = _amount_due(doc)
    if due < 0:
        rows.append([text("Credit balance", "total_label"), text(format_usd(-due), "total")])
    else:
        label = "Balance due" if doc.balance_due is not None else "Total due"
        rows.append([text(label, "total_label"), text(format_usd(due), "total")])
    table = Table(rows, colWidths=[width - 1.1 * inch, 1.1 * inch])
    table.setStyle(TableStyle([
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("TOPPADDING", (0, 0), (0, -1), 2.5),
        ("LINEABOVE", (0, -1), (-1, -1), 1.2, ACCENT), ("TOPPADDING", (0, -1), (-1, -1), 4),
    ]))
    heading = "Payments and balance" if doc.payments or doc.balance_due is not None else "Summary"
    if doc.invoice_paid_debit_open:
        rows.insert(len(rows) - 1, [text("Invoice paid in full; the adjustment above is still open.", "small"), ""])
    return [text(heading, "h2"), table]


def _adjustments(doc: InvoiceDocument) -> list[Flowable]:
    """Every adjustment that names the invoice, with the reason the client is told."""
    if not doc.adjustments:
        return []
    head = [text("Date", "head"), text("Adjustment and reason", "head"), text("Amount", "head_right")]
    rows: list[list[object]] = [head]
    for a in doc.adjustments:
        state = ""
        if a.is_debit:
            state = " · open" if a.open_balance > 0 else " · paid"
        rows.append([text(weekday_date(a.on_date), "small"),
                     _description(f"{a.kind.capitalize()} {a.number}{state}", a.reason),
                     text(format_signed_usd(a.amount if a.is_debit else -a.amount), "right")])
    table = Table(rows, colWidths=[1.2 * inch, WIDTH - 2.3 * inch, 1.1 * inch], repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
    ]))
    intro = text("Adjustments are separate from the issued invoice, which never changes; "
                 "a debit is owed like a small invoice, a credit is applied like a payment.", "small")
    return [Spacer(1, 12), text("Adjustments to this invoice", "h2"), intro, Spacer(1, 4), table]


def _terms(doc: InvoiceDocument) -> Paragraph:
    quote = doc.number or f"account {doc.agency.agency_id}"
    return Paragraph(
        f"<b>Payment terms.</b> Due on {escape(weekday_date(doc.due_date))}. Invoices 15+ days overdue are "
        f"subject to restricted dialer access from {escape(weekday_date(doc.restriction_date))}. "
        f"Please quote {escape(quote)} with your payment.", styles()["small"])


def _closing(doc: InvoiceDocument) -> list[Flowable]:
    """Minute bank beside the summary and terms; stacked when payments are many.

    A table cell cannot break across pages, so the side-by-side layout is
    only used while the summary is short.
    """
    if len(doc.payments) > SIDE_BY_SIDE_PAYMENTS:
        bank = _bank(doc, (WIDTH - 0.35 * inch) / 2)
        bank[-1].hAlign = "LEFT"
        return [Spacer(1, 12), KeepTogether(bank), Spacer(1, 10), *_summary(doc, WIDTH),
                Spacer(1, 8), _terms(doc)]
    gap = 0.35 * inch
    half = (WIDTH - gap) / 2
    right = [*_summary(doc, half), Spacer(1, 8), _terms(doc)]
    return [Spacer(1, 12), _plain_table([[_bank(doc, half), "", right]], (half, gap, half))]


def _quote_changes(doc: InvoiceDocument) -> list[Flowable]:
    """A quote says what it assumes, before any amount."""
    if not doc.is_quote:
        return []
    items = [text("What if: " + ("; ".join(doc.quote or ()) or "no changes (the invoice as the facts stand)"), "small")]
    return [*items, Spacer(1, 8)]


def render_invoice_pdf(doc: InvoiceDocument) -> bytes:
    """The PDF of one invoice (or preview), always the same bytes for the same document."""
    buffer = io.BytesIO()
    number = doc.number or (f"WHAT-IF {doc.cycle}" if doc.is_quote else f"PREVIEW {doc.cycle}")
    # A frame pads its content by 6 pt: pull the margins out by as much so the
    # content spans exactly MARGIN..page-MARGIN, like the banner and footer.
    template = SimpleDocTemplate(
        buffer, pagesize=LETTER, leftMargin=MARGIN - FRAME_PADDING, rightMargin=MARGIN - FRAME_PADDING,
        topMargin=0.6 * inch - FRAME_PADDING, bottomMargin=0.75 * inch - FRAME_PADDING, title=f"{number} · {doc.agency.name}",
        author=settings.current().issuer_name,
        subject=f"What-if quote, cycle {doc.cycle}" if doc.is_quote else f"Invoice, cycle {doc.cycle}",
        creator=PRODUCER, producer=PRODUCER, keywords="",
        invariant=1,
    )
    story = [*_header(doc), *_quote_changes(doc), _lines_table(doc), *_adjustments(doc), *_closing(doc)]
    footer = f"{doc.agency.name} · {number} · cycle {doc.cycle}" if doc.number else f"{doc.agency.name} · {number}"
    if doc.is_quote:
        maker = canvas_maker(preview=True, footer=footer, banner=QUOTE_BANNER, mark="WHAT-IF")
    elif doc.standing:
        maker = canvas_maker(preview=True, footer=footer, banner=f"PREVIEW — {doc.standing.upper()}. Not an invoice; "
                                                                 "amounts change until the cycle is issued.")
    else:
        maker = canvas_maker(preview=doc.is_preview, footer=footer)
    template.build(story, canvasmaker=maker)
    return buffer.getvalue()


# --- the cycle archive ------------------------------------------------------

# Latin letters that Unicode does not decompose into a base letter and a mark.
_LATIN = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "ß": "ss",
                        "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "Th", "þ": "th"})


def safe_file_part(value: str, limit: int = 40) -> str:
    """ASCII letters, digits, ``-`` and ``_`` only: safe in any zip tool and
    file system (no separators, no ``..``, no spaces). Accents are dropped
    (``Łódź`` → ``Lodz``); other scripts vanish, so callers need a fallback."""
    ascii_text = unicodedata.normalize("NFKD", value.translate(_LATIN)).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9-]+", "_", ascii_text).strip("_-")[:limit].strip("_-")


def pdf_file_name(doc: InvoiceDocument) -> str:
    """``INV-2026-11-0001_Acme_Insurance.pdf`` or ``PREVIEW_2026-11_A-1001.pdf``."""
    if doc.number:
        name = safe_file_part(doc.agency.name)
        return f"{safe_file_part(doc.number, 60) or 'invoice'}{'_' + name if name else ''}.pdf"
    if doc.is_quote:
        return f"WHATIF_{safe_file_part(doc.cycle)}_{safe_file_part(doc.agency.agency_id, 60) or 'agency'}.pdf"
    return f"PREVIEW_{safe_file_part(doc.cycle)}_{safe_file_part(doc.agency.agency_id, 60) or 'agency'}.pdf"


def _unique(names: list[str]) -> list[str]:
    """Two entries with one name would make the zip ambiguous: number them."""
    seen: dict[str, int] = {}
    result = []
    for name in names:
        count = seen.get(name, 0) + 1
        seen[name] = count
        stem, dot, ext = name.rpartition(".")
        result.append(name if count == 1 else (f"{stem}_{count}.{ext}" if dot else f"{name}_{count}"))
    return result


def render_cycle_archive(
    docs: Iterable[tuple[str, InvoiceDocument]],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """A zip of one PDF per ``(file name, document)``, in name order.

    Deterministic like the PDFs (fixed entry dates, sorted names), and
    ``progress(done, total)`` is called after each PDF, because a cycle of
    hundreds of agencies takes long enough that people want to see it move.
    """
    items = sorted(docs, key=lambda item: item[0])
    names = _unique([name for name, _ in items])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, (name, (_, doc)) in enumerate(zip(names, items, strict=True), start=1):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, render_invoice_pdf(doc))
            if progress is not None:
                progress(done, len(items))
    return buffer.getvalue()
