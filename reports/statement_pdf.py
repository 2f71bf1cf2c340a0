"""The statement of account as a PDF (reportlab), from plain values.

Like the invoice PDF it is deterministic (``invariant`` mode, fixed
metadata), every piece of user text is escaped, and it never computes a
number: the service hands over the entries with their running balances and
the engine's closing status.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

import settings
from billing.calendar import weekday_date
from billing.money import format_usd

from .canvas import MARGIN, canvas_maker
from .document import AgencyHeader
from .invoice_pdf import FRAME_PADDING, WIDTH, _bill_to_cell, _plain_table, safe_file_part
from .styles import ACCENT, ACCENT_LIGHT, RULE, SHADE, styles, text

PRODUCER = "Dialer Billing Dashboard"


@dataclass(frozen=True)
class StatementRow:
    on: date
    reference: str
    description: str
    charge: Decimal
    paid: Decimal
    running_balance: Decimal
    applied: str = ""  # what a payment paid, in words


@dataclass(frozen=True)
class StatementDocument:
    agency: AgencyHeader
    start: date
    end: date
    opening_balance: Decimal
    rows: tuple[StatementRow, ...]
    closing_balance: Decimal
    balance: Decimal
    credit: Decimal
    status_label: str
    aging: tuple[tuple[str, int, Decimal], ...]
    days_overdue: int = 0
    restriction_date: date | None = None
    amount_to_clear: Decimal = Decimal("0.00")


def _signed(value: Decimal) -> str:
    """A running balance: in credit shows as ``$76.00 CR``."""
    return f"{format_usd(-value)} CR" if value < 0 else format_usd(value)


def _money(value: Decimal) -> str:
    return format_usd(value) if value else "—"


def _title(doc: StatementDocument) -> list[Flowable]:
    issuer = [text(settings.current().issuer_name, "issuer"), text(settings.current().issuer_details, "small")]
    heading = [text("STATEMENT", "title"),
               text(f"of account · {weekday_date(doc.start)} – {weekday_date(doc.end)}", "number")]
    top = _plain_table([[issuer, heading]], (WIDTH * 0.4, WIDTH * 0.6), [("VALIGN", (0, 0), (-1, -1), "BOTTOM")])
    rule = _plain_table([[""]], (WIDTH,), [("LINEBELOW", (0, 0), (-1, -1), 1.5, ACCENT)])
    return [top, Spacer(1, 6), rule, Spacer(1, 10)]


def _summary(doc: StatementDocument) -> Table:
    rows = [
        ("Opening balance", _signed(doc.opening_balance)),
        ("Charges in the period", format_usd(sum((r.charge for r in doc.rows), Decimal("0.00")))),
        ("Payments and credits", format_usd(sum((r.paid for r in doc.rows), Decimal("0.00")))),
        ("Closing balance", _signed(doc.closing_balance)),
        ("Open invoices", format_usd(doc.balance)),
        ("Account credit", format_usd(doc.credit)),
        ("Status", doc.status_label),
    ]
    if doc.restriction_date is not None:
        rows.append(("Restriction date", weekday_date(doc.restriction_date)))
    if doc.amount_to_clear > 0:
        rows.append(("To pay now (avoids or lifts restriction)", format_usd(doc.amount_to_clear)))
    table = Table([[text(label, "small"), text(value, "right_bold" if label == "Closing balance" else "right")]
                   for label, value in rows], colWidths=[2.2 * inch, 1.1 * inch])
    table.setStyle(TableStyle([("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                               ("LINEABOVE", (0, 3), (-1, 3), 1.0, ACCENT), ("BACKGROUND", (0, 3), (-1, 3), ACCENT_LIGHT)]))
    return table


def _entries(doc: StatementDocument) -> Table:
    """Date, then the reference in bold with the description and what a
    payment paid below it, then the money columns: nothing wraps mid-number."""
    head = [text("Date", "head"), text("Reference and description", "head"),
            text("Charges", "head_right"), text("Payments", "head_right"), text("Balance", "head_right")]
    rows: list[list[object]] = [head, [text(weekday_date(doc.start), "small"), text("Opening balance", "bold"), "", "",
                                      text(_signed(doc.opening_balance), "right")]]
    for r in doc.rows:
        body = f"<font size=8><b>{_escape(r.reference or '—')}</b></font><br/>{_escape(r.description)}"
        if r.applied:
            body += f"<br/><font color='#5f6b7a'>Applied: {_escape(r.applied)}</font>"
        rows.append([text(weekday_date(r.on), "small"), Paragraph(body, styles()["description"]),
                     text(_money(r.charge), "right"), text(_money(r.paid), "right"), text(_signed(r.running_balance), "right")])
    rows.append(["", text("Closing balance", "bold"), "", "", text(_signed(doc.closing_balance), "right_bold")])
    money = 1.05 * inch
    widths = [1.05 * inch, WIDTH - 1.05 * inch - 3 * money, money, money, money]
    table = Table(rows, colWidths=widths, repeatRows=1)
    last = len(rows) - 1
    style: list[tuple] = [
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("LINEBELOW", (0, 1), (-1, last - 1), 0.4, RULE), ("LINEABOVE", (0, last), (-1, last), 1.2, ACCENT),
    ]
    style += [("BACKGROUND", (0, row), (-1, row), SHADE) for row in range(2, last, 2)]
    table.setStyle(TableStyle(style))
    return table


def _aging(doc: StatementDocument) -> list[Flowable]:
    head = [text(label, "head_right") for label, _, _ in doc.aging]
    amounts = [text(format_usd(balance), "right") for _, _, balance in doc.aging]
    items = [text(f"{n} open" if n else "—", "right") for _, n, _ in doc.aging]
    width = WIDTH / len(doc.aging)
    table = Table([head, amounts, items], colWidths=[width] * len(doc.aging))
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), ACCENT), ("TOPPADDING", (0, 0), (-1, -1), 3),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 3), ("LINEBELOW", (0, 1), (-1, 1), 0.4, RULE)]))
    return [text(f"Aging of what is open on {weekday_date(doc.end)} (days past the due date)", "h2"), table]


def _escape(value: str) -> str:
    from xml.sax.saxutils import escape

    return escape(value)


def render_statement_pdf(doc: StatementDocument) -> bytes:
    """The statement's PDF: the same bytes for the same document."""
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer, pagesize=LETTER, leftMargin=MARGIN - FRAME_PADDING, rightMargin=MARGIN - FRAME_PADDING,
        topMargin=0.6 * inch - FRAME_PADDING, bottomMargin=0.75 * inch - FRAME_PADDING,
        title=f"Statement of account · {doc.agency.name}", author=settings.current().issuer_name,
        subject=f"Statement {doc.start.isoformat()} to {doc.end.isoformat()}", creator=PRODUCER, producer=PRODUCER,
        keywords="", invariant=1,
    )
    parties = _plain_table([[_bill_to_cell(doc.agency), _summary(doc)]], (WIDTH - 3.3 * inch, 3.3 * inch))
    story = [*_title(doc), parties, Spacer(1, 12), _entries(doc), Spacer(1, 12), *_aging(doc)]
    footer = f"{doc.agency.name} · statement {doc.start.isoformat()} – {doc.end.isoformat()}"
    template.build(story, canvasmaker=canvas_maker(preview=False, footer=footer))
    return buffer.getvalue()


def statement_file_name(doc: StatementDocument) -> str:
    return f"statement_{safe_file_part(doc.agency.agency_id, 40) or 'agency'}_{doc.start.isoformat()}_{doc.end.isoformat()}.pdf"
