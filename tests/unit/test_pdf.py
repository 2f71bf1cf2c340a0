"""The invoice PDF: what it says, that it says it exactly, and always the same."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from billing import facts_from_scenario, price_invoice
from billing.money import format_usd
from billing.scenario import invoice_snapshot
from reports.document import AgencyHeader, BankSummary, DocumentLine, InvoiceDocument, PaymentRow, Period, document_from_snapshot
from reports.invoice_pdf import pdf_file_name, render_cycle_archive, render_invoice_pdf

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "billing-examples"
TRICKY_NAME = 'Agência Łódź & Söhne <b>"Ωμέγα"</b> Страхование > O\'Brien'


def _text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _document(lines: int = 3, *, number: str | None = "INV-2026-11-0007", name: str = "Acme Insurance Group") -> InvoiceDocument:
    items = tuple(
        DocumentLine("PRORATED_USER_FEE", f"Prorated user fee: u{i:03d}", f"{i % 30 + 1} of 31 days × $150.00",
                     i % 30 + 1, Decimal("150.00"), Decimal("4.84") * (i % 30 + 1), f"u{i:03d}")
        for i in range(lines)
    )
    total = sum((line.amount for line in items), Decimal("0.00"))
    return InvoiceDocument(
        agency=AgencyHeader("A-1001", name, ("1200 Main Street", "Columbus, OH 43215"), "billing@acme.example"),
        number=number, cycle="2026-11", invoice_date=date(2026, 11, 25), due_date=date(2026, 12, 1),
        restriction_date=date(2026, 12, 16), closed_period=Period(date(2026, 10, 24), date(2026, 11, 23), 31),
        advance_period=Period(date(2026, 11, 24), date(2026, 12, 23), 30), lines=items,
        bank=BankSummary(8000, 30000, 33250, 4750, 30800), total=total,
    )


def _acme() -> dict:
    scenario = json.loads((EXAMPLES / "acme-2026-11.json").read_text())
    return invoice_snapshot(price_invoice(facts_from_scenario(scenario)))


def test_issued_invoice_prints_number_agency_every_amount_and_the_engine_total():
    snapshot = _acme()
    doc = document_from_snapshot(snapshot, AgencyHeader("A-1001", "Acme Insurance Group"), number="INV-2026-11-0001",
                                 payments=(PaymentRow(date(2026, 11, 30), Decimal("1000.00"), "ACH-1"),),
                                 balance_due=Decimal("2688.10"))
    text = "\n".join(_text(render_invoice_pdf(doc)))
    assert "INV-2026-11-0001" in text and "Acme Insurance Group" in text
    for line in snapshot["lines"]:
        assert format_usd(Decimal(line["amount"])) in text
    assert format_usd(Decimal(snapshot["total"])) == "$3,688.10"
    assert "$3,688.10" in text and "Balance due" in text and "$2,688.10" in text
    assert "PREVIEW" not in text


def test_preview_says_preview_on_every_page_and_has_no_number():
    pages = _text(render_invoice_pdf(_document(120, number=None)))
    assert len(pages) > 1
    assert all("PREVIEW" in page for page in pages)
    assert not any("INV-" in page for page in pages)


def test_the_same_document_gives_the_same_bytes():
    doc = _document(5)
    assert render_invoice_pdf(doc) == render_invoice_pdf(doc)


def test_names_print_as_written_with_markup_characters_accents_and_other_scripts():
    text = "\n".join(_text(render_invoice_pdf(_document(2, name=TRICKY_NAME))))
    for part in ("Agência Łódź & Söhne", "<b>", "Ωμέγα", "Страхование", "O'Brien", ">"):
        assert part in text


def test_250_prorated_lines_make_a_clean_multipage_document_with_the_header_on_every_page():
    pages = _text(render_invoice_pdf(_document(250)))
    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Description" in page and "Amount" in page  # the header row repeats


def test_file_names_are_safe_and_say_what_they_are():
    assert pdf_file_name(_document(1, name=TRICKY_NAME)).startswith("INV-2026-11-0007_Agencia_")
    assert pdf_file_name(_document(1, number=None)) == "PREVIEW_2026-11_A-1001_Acme_Insurance_Group.pdf"


def test_cycle_archive_holds_one_pdf_per_document_and_reports_progress():
    calls = []
    docs = [(f"{i}.pdf", _document(2, number=f"INV-2026-11-000{i}")) for i in range(1, 4)]
    archive = render_cycle_archive(docs, progress=lambda done, total: calls.append((done, total)))
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert sorted(opened.namelist()) == ["1.pdf", "2.pdf", "3.pdf"]
        assert all(opened.read(name).startswith(b"%PDF") for name in opened.namelist())
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert render_cycle_archive(docs) == archive


@pytest.mark.parametrize("places", ["0.0150", "150.00"])
def test_unit_prices_keep_their_decimals(places):
    doc = _document(1)
    line = doc.lines[0]
    from dataclasses import replace
    doc = replace(doc, lines=(replace(line, unit_price=Decimal(places)),))
    assert format_usd(Decimal(places)) in "\n".join(_text(render_invoice_pdf(doc)))
