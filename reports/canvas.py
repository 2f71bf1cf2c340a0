"""A canvas that knows the page count: "Page N of M" and the PREVIEW mark.

Platypus lays pages out one at a time, so the total is unknown until the end.
The canvas keeps each finished page's state and stamps every page once the
last one is done (the usual two-pass reportlab recipe). The PREVIEW band and
watermark are drawn here too, so no page of a preview can lack them however
the content flows.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from .styles import BOLD, MUTED, PREVIEW_RED, REGULAR, RULE, register_fonts

MARGIN = 0.7 * inch
FOOTER_Y = 0.45 * inch
PREVIEW_BANNER = "PREVIEW — not an invoice. No number; amounts may change until the cycle is issued."
QUOTE_BANNER = "WHAT-IF QUOTE — not an invoice. No number; priced from hypothetical changes, nothing is billed."


def fit(value: str, font: str, size: float, width: float) -> str:
    """``value`` cut with an ellipsis so it fits ``width`` points."""
    if stringWidth(value, font, size) <= width:
        return value
    while value and stringWidth(value + "…", font, size) > width:
        value = value[:-1]
    return value + "…"


class NumberedCanvas(Canvas):
    """Defers each page, then decorates all of them when the count is known."""

    def __init__(self, *args: Any, preview: bool = False, footer: str = "", banner: str = PREVIEW_BANNER,
                 mark: str = "PREVIEW", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._banner = banner
        self._mark = mark
        self._saved_pages: list[dict[str, Any]] = []
        self._preview = preview
        self._footer = footer

    def showPage(self) -> None:
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved_pages)
        for number, state in enumerate(self._saved_pages, start=1):
            self.__dict__.update(state)
            self._decorate(number, total)
            super().showPage()
        super().save()

    def _decorate(self, number: int, total: int) -> None:
        register_fonts()
        width, height = self._pagesize
        right = width - MARGIN
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, FOOTER_Y + 10, right, FOOTER_Y + 10)
        self.setFont(REGULAR, 7)
        self.setFillColor(MUTED)
        page = f"Page {number} of {total}"
        self.drawRightString(right, FOOTER_Y, page)
        room = right - MARGIN - stringWidth(page, REGULAR, 7) - 24
        self.drawString(MARGIN, FOOTER_Y, fit(self._footer, REGULAR, 7, room))
        self.restoreState()
        if self._preview:
            self._preview_mark(width, height)

    def _preview_mark(self, width: float, height: float) -> None:
        self.saveState()
        self.setFillColor(colors.Color(0.70, 0.15, 0.12, alpha=0.08))
        self.setFont(BOLD, 96)
        self.translate(width / 2, height / 2)
        self.rotate(40)
        self.drawCentredString(0, -32, self._mark)
        self.restoreState()
        self.saveState()
        band_bottom = height - 0.46 * inch
        self.setFillColor(PREVIEW_RED)
        self.rect(MARGIN, band_bottom, width - 2 * MARGIN, 0.22 * inch, stroke=0, fill=1)
        self.setFillColor(colors.white)
        self.setFont(BOLD, 7.5)
        self.drawCentredString(width / 2, band_bottom + 5, fit(self._banner, BOLD, 7.5, width - 2 * MARGIN - 12))
        self.restoreState()


def canvas_maker(*, preview: bool, footer: str, banner: str = PREVIEW_BANNER, mark: str = "PREVIEW") -> Any:
    """A ``canvasmaker`` for ``doc.build`` carrying this document's footer
    (and, on a preview or a quote, its band and watermark)."""

    def make(*args: Any, **kwargs: Any) -> NumberedCanvas:
        return NumberedCanvas(*args, preview=preview, footer=footer, banner=banner, mark=mark, **kwargs)

    return make

