"""Fonts, colours and paragraph styles shared by the invoice PDF.

The DejaVu fonts ship with the package (``reports/fonts``) rather than being
looked up on the machine, so an invoice prints the same accents, Greek and
Cyrillic everywhere, and the PDF bytes do not depend on what is installed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"

ACCENT = colors.HexColor("#1f4e79")
ACCENT_LIGHT = colors.HexColor("#e8eef5")
INK = colors.HexColor("#1d2733")
MUTED = colors.HexColor("#5f6b7a")
RULE = colors.HexColor("#c9d3de")
SHADE = colors.HexColor("#f4f6f9")
PREVIEW_RED = colors.HexColor("#b3261e")


@lru_cache(maxsize=1)
def register_fonts() -> tuple[str, str]:
    """Register the shipped fonts with reportlab once per process.

    Parsing a TTF costs ~20 ms; doing it per invoice would dominate an
    archive of hundreds of PDFs.
    """
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
    # No italic face is shipped: map italics to upright rather than fail.
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
    return REGULAR, BOLD


@lru_cache(maxsize=1)
def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("base", fontName=REGULAR, fontSize=8.5, leading=11, textColor=INK)

    def style(name: str, **overrides: object) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **overrides)

    return {
        "base": base,
        "right": style("right", alignment=TA_RIGHT),
        "bold": style("bold", fontName=BOLD),
        "right_bold": style("right_bold", fontName=BOLD, alignment=TA_RIGHT),
        "description": style("description", fontSize=7.5, leading=9.6),
        "small": style("small", fontSize=7.5, leading=9.5, textColor=MUTED),
        "label": style("label", fontName=BOLD, fontSize=6.5, leading=8.5, textColor=MUTED),
        "issuer": style("issuer", fontName=BOLD, fontSize=12, leading=15, textColor=ACCENT),
        "title": style("title", fontName=BOLD, fontSize=22, leading=26, textColor=ACCENT, alignment=TA_RIGHT),
        "number": style("number", fontName=BOLD, fontSize=11, leading=14, alignment=TA_RIGHT),
        "unissued": style("unissued", fontName=BOLD, fontSize=9, leading=12, textColor=PREVIEW_RED,
                          alignment=TA_RIGHT),
        "agency": style("agency", fontName=BOLD, fontSize=10.5, leading=13),
        "h2": style("h2", fontName=BOLD, fontSize=9.5, leading=12, textColor=ACCENT, spaceAfter=3),
        "head": style("head", fontName=BOLD, fontSize=8, textColor=colors.white),
        "head_right": style("head_right", fontName=BOLD, fontSize=8, textColor=colors.white, alignment=TA_RIGHT),
        "due_label": style("due_label", fontName=BOLD, fontSize=7, leading=9, textColor=colors.white),
        "due_amount": style("due_amount", fontName=BOLD, fontSize=15, leading=19, textColor=colors.white),
        "due_date": style("due_date", fontSize=7.5, leading=9.5, textColor=colors.white),
        "total_label": style("total_label", fontName=BOLD, fontSize=10, leading=13),
        "total": style("total", fontName=BOLD, fontSize=10, leading=13, alignment=TA_RIGHT),
    }


def text(value: str, style: str = "base") -> Paragraph:
    """A paragraph of *user text*: escaped, so ``&``, ``<b>`` or quotes in a
    name print as written instead of being read as markup."""
    return Paragraph(escape(value), styles()[style])
