"""Invoice PDFs with reportlab (platypus), and the whole-cycle archive.

Deterministic on purpose: the same document gives the same bytes (reportlab
``invariant`` mode, fixed metadata, no timestamps), so an issued invoice's
PDF never changes. Every piece of user text is escaped before it reaches a
Paragraph, so ``&``, ``<b>`` or quotes in a name print as written, and the
shipped DejaVu fonts cover accents, Greek and Cyrillic.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from billing.calendar import weekday_date
from billing.money import format_count, format_usd

from .document import InvoiceDocument

FONTS = Path(__file__).resolve().parent / "fonts"
ACCENT = colors.HexColor("#1f4e79")
MUTED = colors.HexColor("#5f6b7a")
RULE = colors.HexColor("#c9d3de")
SHADE = colors.HexColor("#f2f5f9")
PREVIEW_RED = colors.HexColor("#b3261e")
ISSUER = ("Dialer Platform Billing", "billing@dialer-platform.example")
ZIP_DATE = (2026, 1, 1, 0, 0, 0)


@lru_cache(maxsize=1)
def _fonts() -> tuple[str, str]:
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(FONTS / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold",
                                  italic="DejaVuSans", boldItalic="DejaVuSans-Bold")
    return "DejaVuSans", "DejaVuSans-Bold"


@lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = _fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=8.5, leading=11)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor=MUTED),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=20, leading=24, textColor=ACCENT),
        "h2": ParagraphStyle("h2", parent=base, fontName=bold, fontSize=10.5, leading=14, textColor=ACCENT, spaceBefore=8, spaceAfter=4),
        "bold": ParagraphStyle("bold", parent=base, fontName=bold),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        "right_bold": ParagraphStyle("right_bold", parent=base, fontName=bold, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=base, fontName=bold, textColor=colors.white),
        "head_right": ParagraphStyle("head_right", parent=base, fontName=bold, textColor=colors.white, alignment=TA_RIGHT),
        "total": ParagraphStyle("total", parent=base, fontName=bold, fontSize=12, leading=15, alignment=TA_RIGHT),
        "preview": ParagraphStyle("preview", parent=base, fontName=bold, fontSize=9, textColor=PREVIEW_RED),
    }


def _p(text: str, style: str = "base") -> Paragraph:
    """A paragraph of *user text*: escaped, never interpreted as markup."""
    return Paragraph(escape(text), _styles()[style])


def _usd(value) -> str:  # type: ignore[no-untyped-def]
    return format_usd(value)


class _NumberedCanvas(pdf_canvas.Canvas):
    """Two passes: remember every page, then stamp "Page N of M" (and the
    PREVIEW mark) once the total is known."""

    def __init__(self, *args, preview: bool = False, footer: str = "", **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []  # type: ignore[type-arg]
        self._preview = preview
        self._footer = footer

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._decorate(number, total)
            super().showPage()
        super().save()

    def _decorate(self, number: int, total: int) -> None:
        regular, bold = _fonts()
        width, height = LETTER
        self.setFont(regular, 7.5)
        self.setFillColor(MUTED)
        self.drawString(0.75 * inch, 0.5 * inch, self._footer)
        self.drawRightString(width - 0.75 * inch, 0.5 * inch, f"Page {number} of {total}")
        if self._preview:
            self.saveState()
            self.setFont(bold, 68)
            self.setFillColor(colors.Color(0.70, 0.15, 0.12, alpha=0.10))
            self.translate(width / 2, height / 2)
            self.rotate(35)
            self.drawCentredString(0, 0, "PREVIEW")
            self.restoreState()
            self.setFont(bold, 8)
            self.setFillColor(PREVIEW_RED)
            self.drawCentredString(width / 2, height - 0.45 * inch, "PREVIEW — not an invoice: amounts may still change until the cycle is issued")


def _header(doc: InvoiceDocument) -> list:  # type: ignore[type-arg]
    title = "Invoice preview" if doc.is_preview else "Invoice"
    number = "No number until issued" if doc.is_preview else doc.number or ""
    agency = [_p(doc.agency.name, "bold"), *(_p(line) for line in doc.agency.address_lines)]
    if doc.agency.billing_email:
        agency.append(_p(doc.agency.billing_email, "small"))
    agency.append(_p(f"Account {doc.agency.agency_id}", "small"))
    facts = [
        ("Invoice number", number),
        ("Cycle", doc.cycle),
        ("Invoice date", weekday_date(doc.invoice_date)),
        ("Due date", weekday_date(doc.due_date)),
        ("Restriction date", weekday_date(doc.restriction_date)),
    ]
    if doc.issued_on and not doc.is_preview:
        facts.append(("Issued", weekday_date(doc.issued_on)))
    facts_table = Table([[_p(k, "small"), _p(v, "right_bold" if k == "Invoice number" else "right")] for k, v in facts],
                        colWidths=[1.2 * inch, 1.9 * inch])
    facts_table.setStyle(TableStyle([("BOTTOMPADDING", (0, 0), (-1, -1), 1), ("TOPPADDING", (0, 0), (-1, -1), 1)]))
    top = Table([[_p(title, "title"), _p(f"{ISSUER[0]}\n{ISSUER[1]}".replace("\n", " · "), "small")]],
                colWidths=[4.0 * inch, 3.0 * inch])
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("ALIGN", (1, 0), (1, 0), "RIGHT")]))
    parties = Table([[[_p("Bill to", "small"), *agency], facts_table]], colWidths=[3.9 * inch, 3.1 * inch])
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    periods = _p(
        f"Closed period {weekday_date(doc.closed_period.start)} to {weekday_date(doc.closed_period.end)} "
        f"({doc.closed_period.days} days): usage and activations. Advance period "
        f"{weekday_date(doc.advance_period.start)} to {weekday_date(doc.advance_period.end)} "
        f"({doc.advance_period.days} days): user fees and minutes billed in advance.", "small")
    flow: list = [top, Spacer(1, 4), _rule(), Spacer(1, 8), parties, Spacer(1, 8), periods, Spacer(1, 10)]  # type: ignore[type-arg]
    if doc.is_preview:
        flow.insert(0, _p("PREVIEW — this is not an invoice and has no number.", "preview"))
    return flow


def _rule() -> Table:
    line = Table([[""]], colWidths=[7.0 * inch], rowHeights=[1.2])
    line.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), ACCENT)]))
    return line


def _lines_table(doc: InvoiceDocument) -> Table:
    styles = _styles()
    rows = [[Paragraph("Description", styles["head"]), Paragraph("Quantity", styles["head_right"]),
             Paragraph("Unit price", styles["head_right"]), Paragraph("Amount", styles["head_right"])]]
    for line in doc.lines:
        description = Paragraph(f"<b>{escape(line.title)}</b><br/><font size=7.5 color='#5f6b7a'>{escape(line.description)}</font>",
                                styles["base"])
        rows.append([description, _p(format_count(line.quantity), "right"), _p(_usd(line.unit_price), "right"),
                     _p(_usd(line.amount), "right")])
    rows.append(["", "", _p("Total", "right_bold"), _p(_usd(doc.total), "right_bold")])
    table = Table(rows, colWidths=[4.15 * inch, 0.85 * inch, 0.95 * inch, 1.05 * inch], repeatRows=1)
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 1), (-1, -2), 0.4, RULE),
        ("LINEABOVE", (2, -1), (-1, -1), 1.0, ACCENT),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    for index in range(2, len(rows) - 1, 2):
        style.append(("BACKGROUND", (0, index), (-1, index), SHADE))
    table.setStyle(TableStyle(style))
    return table


def _bank_table(doc: InvoiceDocument) -> KeepTogether:
    bank = doc.bank
    cells = [("Opening balance", bank.opening), ("Credited", bank.credited), ("Used", bank.used),
             ("Closing balance", bank.closing), ("Replenishment (billed)", bank.replenishment)]
    table = Table([[_p(k, "small") for k, _ in cells], [_p(f"{format_count(v)} min", "bold") for _, v in cells]],
                  colWidths=[1.4 * inch] * 5)
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, RULE), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                               ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
    return KeepTogether([_p("Minute bank", "h2"), table])


def _payments(doc: InvoiceDocument) -> list:  # type: ignore[type-arg]
    if doc.is_preview or (not doc.payments and doc.balance_due is None):
        return []
    rows = [[_p("Date", "small"), _p("Reference", "small"), _p("Applied", "small")]]
    rows += [[_p(weekday_date(p.paid_on)), _p(p.reference or ""), _p(_usd(p.amount), "right")] for p in doc.payments]
    if not doc.payments:
        rows.append([_p("No payment received yet", "small"), "", ""])
    if doc.balance_due is not None:
        rows.append(["", _p("Balance due", "right_bold"), _p(_usd(doc.balance_due), "right_bold")])
    table = Table(rows, colWidths=[1.6 * inch, 3.9 * inch, 1.5 * inch])
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE), ("TOPPADDING", (0, 0), (-1, -1), 2)]))
    return [KeepTogether([_p("Payments", "h2"), table])]


def _terms(doc: InvoiceDocument) -> KeepTogether:
    due = _usd(doc.balance_due if doc.balance_due is not None else doc.total)
    return KeepTogether([
        Spacer(1, 10),
        _p(f"Total due: {due}", "total"),
        Spacer(1, 6),
        _p(f"Payment terms: due on {weekday_date(doc.due_date)}. Invoices 15 or more days overdue are subject to "
           f"restricted dialer access from {weekday_date(doc.restriction_date)} until paid in full. Please quote "
           f"{doc.number or 'your account ' + doc.agency.agency_id} with your payment.", "small"),
    ])


def render_invoice_pdf(doc: InvoiceDocument) -> bytes:
    """The PDF of one invoice (or preview), always the same bytes for the same document."""
    buffer = io.BytesIO()
    footer = f"{doc.agency.name} · {doc.number or 'PREVIEW, cycle ' + doc.cycle}"
    template = SimpleDocTemplate(
        buffer, pagesize=LETTER, leftMargin=0.75 * inch, rightMargin=0.75 * inch, topMargin=0.7 * inch,
        bottomMargin=0.8 * inch, title=f"{doc.number or 'Invoice preview'} · {doc.agency.name}",
        author=ISSUER[0], subject=f"Cycle {doc.cycle}", creator="Dialer Billing Dashboard", producer="Dialer Billing Dashboard",
        invariant=1,
    )
    story = [*_header(doc), _lines_table(doc), _bank_table(doc), *_payments(doc), _terms(doc)]
    template.build(story, canvasmaker=lambda *a, **k: _NumberedCanvas(*a, preview=doc.is_preview, footer=footer, **k))
    return buffer.getvalue()


def _safe(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "_", ascii_text).strip("_")[:40] or "agency"


def pdf_file_name(doc: InvoiceDocument) -> str:
    """``INV-2026-11-0001_Acme_Insurance_Group.pdf`` or ``PREVIEW_2026-11_A-1001_Acme….pdf``."""
    if doc.number:
        return f"{doc.number}_{_safe(doc.agency.name)}.pdf"
    return f"PREVIEW_{doc.cycle}_{doc.agency.agency_id}_{_safe(doc.agency.name)}.pdf"


def render_cycle_archive(
    documents: Iterable[tuple[str, InvoiceDocument]],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """A zip of one PDF per (file name, document), deterministic like the PDFs."""
    items = sorted(documents, key=lambda item: item[0])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, (name, doc) in enumerate(items, start=1):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, render_invoice_pdf(doc))
            if progress:
                progress(done, len(items))
    return buffer.getvalue()
