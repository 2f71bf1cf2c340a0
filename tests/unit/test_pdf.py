"""The invoice PDF: what it says, that it says it exactly, and always the same.

Every check reads the PDF back with pypdf, so it tests what a person would
see, not what we meant to draw.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from billing import facts_from_scenario, price_invoice
from billing.money import format_usd
from billing.snapshot import InvoiceSnapshot, snapshot_of
from reports.document import (
    AgencyHeader,
    BankSummary,
    DocumentLine,
    InvoiceDocument,
    PaymentRow,
    Period,
    document_from_snapshot,
)
from reports.invoice_pdf import (
    PRODUCER,
    pdf_file_name,
    render_cycle_archive,
    render_invoice_pdf,
)

ROOT = Path(__file__).resolve().parents[2]
SHARED_ACME = ROOT.parent / "shared" / "billing-examples" / "acme-2026-11.json"
TRICKY_NAME = 'Agência Łódź & Söhne <b>"Ωμέγα"</b> Страхование > O\'Brien'


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text with runs of whitespace (table cells, wrapped lines) as one space."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def all_text(pdf: bytes) -> str:
    return "\n".join(pages_text(pdf))


def make_document(
    lines: int = 3,
    *,
    number: str | None = "INV-2026-11-0007",
    name: str = "Acme Insurance Group",
    payments: tuple[PaymentRow, ...] = (),
    balance_due: Decimal | None = None,
) -> InvoiceDocument:
    """An invoice of ``lines`` prorated lines, built directly (no engine)."""
    items = tuple(
        DocumentLine(
            code="PRORATED_USER_FEE", title=f"Prorated user fee: u{i:03d}",
            description=f"u{i:03d} from 2026-11-{i % 23 + 1:02d}: {i % 30 + 1} of 31 days × $150.00",
            quantity=i % 30 + 1, unit_price=Decimal("150.00"), amount=Decimal("4.84") * (i % 30 + 1),
            user=f"u{i:03d}",
        )
        for i in range(lines)
    )
    return InvoiceDocument(
        agency=AgencyHeader("A-1001", name, ("1200 Main Street", "Columbus, OH 43215"), "billing@acme.example"),
        number=number, cycle="2026-11", invoice_date=date(2026, 11, 25), due_date=date(2026, 12, 1),
        restriction_date=date(2026, 12, 16),
        closed_period=Period(date(2026, 10, 24), date(2026, 11, 23), 31),
        advance_period=Period(date(2026, 11, 24), date(2026, 12, 23), 30),
        lines=items, bank=BankSummary(8000, 30000, 33250, 4750, 30800),
        total=sum((line.amount for line in items), Decimal("0.00")),
        payments=payments, balance_due=balance_due,
    )


def printed_total(text: str) -> Decimal:
    """The amount on the line table's "Total" row, as printed."""
    match = re.search(r"\bTotal \$([0-9,]+\.[0-9]{2})\b", text)
    assert match, "no Total row"
    return Decimal(match.group(1).replace(",", ""))


# --- an engine invoice, end to end ------------------------------------------

@pytest.fixture(scope="module")
def acme_snapshot() -> InvoiceSnapshot:
    if not SHARED_ACME.exists():
        pytest.skip("../shared/billing-examples is not checked out next to the repository")
    return snapshot_of(price_invoice(facts_from_scenario(json.loads(SHARED_ACME.read_text()))))


def test_an_engine_invoice_prints_its_number_agency_every_amount_and_total(acme_snapshot):
    doc = document_from_snapshot(
        acme_snapshot, AgencyHeader("A-1001", "Acme Insurance Group", ("1200 Main Street",), "ap@acme.example"),
        number="INV-2026-11-0001", payments=[PaymentRow(date(2026, 11, 30), Decimal("1000.00"), "ACH-1")],
        balance_due=Decimal("2688.10"), issued_on=date(2026, 11, 25),
    )
    text = all_text(render_invoice_pdf(doc))
    assert "INV-2026-11-0001" in text and "Acme Insurance Group" in text
    for line in doc.lines:
        assert format_usd(line.amount) in text
        assert line.title in text
    assert doc.total == Decimal("3688.10") and printed_total(text) == doc.total
    assert "Balance due $2,688.10" in text and "-$1,000.00" in text
    assert "30,800 min" in text and "PREVIEW" not in text


def test_the_snapshot_becomes_typed_values(acme_snapshot):
    doc = document_from_snapshot(acme_snapshot, AgencyHeader("A-1001", "Acme"))
    assert doc.is_preview and doc.number is None
    assert doc.closed_period == (date(2026, 10, 24), date(2026, 11, 23), 31)
    assert doc.advance_period.days == 30 and doc.due_date == date(2026, 12, 1)
    assert [line.title for line in doc.lines if line.user] == ["Prorated user fee: u14", "Prorated user fee: u15"]
    assert doc.lines[0].title == "Dialer user fee" and doc.lines[0].amount == Decimal("2100.00")
    assert doc.bank == BankSummary(opening=8000, credited=30000, used=33250, closing=4750, replenishment=30800)
    assert sum(line.amount for line in doc.lines) == doc.total


# --- what every invoice says ---------------------------------------------------

def test_the_printed_total_is_the_documents_total():
    doc = make_document(7)
    text = all_text(render_invoice_pdf(doc))
    assert printed_total(text) == doc.total
    assert f"AMOUNT DUE {format_usd(doc.total)}" in text


def test_dates_carry_weekdays_and_the_terms_name_the_restriction_date():
    text = all_text(render_invoice_pdf(make_document(2)))
    assert "Due date Tue 2026-12-01" in text and "Invoice date Wed 2026-11-25" in text
    terms = ("Due on Tue 2026-12-01. Invoices 15+ days overdue are subject to restricted dialer access "
             "from Wed 2026-12-16.")
    assert terms in text
    assert "2026-10-24 – 2026-11-23 (31 days)" in text and "2026-11-24 – 2026-12-23 (30 days)" in text


def test_unit_prices_keep_four_decimals_and_counts_get_separators():
    doc = make_document(1)
    line = replace(doc.lines[0], unit_price=Decimal("0.0150"), quantity=30800, amount=Decimal("462.00"))
    text = all_text(render_invoice_pdf(replace(doc, lines=(line,), total=Decimal("462.00"))))
    assert "30,800 $0.0150 $462.00" in text
    assert "8,000 min" in text and "-33,250 min" in text


def test_payments_and_an_overpayment_show_as_credit():
    paid = (PaymentRow(date(2026, 11, 30), Decimal("100.00"), None),)
    doc = make_document(1, payments=paid, balance_due=Decimal("-95.16"))
    text = all_text(render_invoice_pdf(doc))
    assert "CREDIT BALANCE $95.16" in text and "Credit balance $95.16" in text and "-$95.16" not in text  # a credit, never a negative balance


def test_a_paid_invoice_says_so_instead_of_a_due_date():
    doc = make_document(1)
    paid = replace(doc, payments=(PaymentRow(date(2026, 11, 30), doc.total, "ACH-9"),), balance_due=Decimal("0.00"))
    text = all_text(render_invoice_pdf(paid))
    assert "BALANCE DUE $0.00 Paid in full." in text and "by Tue 2026-12-01" not in text


def test_many_payments_still_print_every_one_and_the_balance():
    paid = tuple(PaymentRow(date(2026, 11, 26) + timedelta(days=i), Decimal("1.00"), f"REF-{i:02d}")
                 for i in range(20))
    doc = make_document(3, payments=paid, balance_due=Decimal("9.04"))
    text = all_text(render_invoice_pdf(doc))
    assert all(f"REF-{i:02d}" in text for i in range(20)) and "Balance due $9.04" in text


# --- previews ------------------------------------------------------------------

def test_a_preview_says_preview_on_every_page_and_has_no_number():
    pages = pages_text(render_invoice_pdf(make_document(120, number=None)))
    assert len(pages) > 1
    for page in pages:
        assert "PREVIEW — not an invoice" in page
        assert "INV-" not in page and "Invoice number" not in page


def test_an_issued_invoice_says_neither_preview_nor_unissued():
    text = all_text(render_invoice_pdf(make_document(2)))
    assert "PREVIEW" not in text and "Not issued" not in text and "INV-2026-11-0007" in text


# --- text prints as written ------------------------------------------------------

def test_markup_characters_accents_greek_and_cyrillic_print_as_written():
    doc = make_document(2, name=TRICKY_NAME)
    agency = replace(doc.agency, address_lines=("Rua <i>Ação</i> & Filhos",), billing_email="a&b@x.example")
    line = replace(doc.lines[0], title="Fee <font size=40>big</font>", description='Say "hi" & <br/> bye')
    text = all_text(render_invoice_pdf(replace(doc, agency=agency, lines=(line, doc.lines[1]))))
    for part in ("Agência Łódź & Söhne", '<b>"Ωμέγα"</b>', "Страхование > O'Brien", "Rua <i>Ação</i> & Filhos",
                 "a&b@x.example", "Fee <font size=40>big</font>", 'Say "hi" & <br/> bye'):
        assert part in text, part


# --- long invoices -----------------------------------------------------------------

def test_250_lines_make_clean_numbered_pages_with_the_header_row_on_each():
    doc = make_document(250)
    pages = pages_text(render_invoice_pdf(doc))
    total = len(pages)
    assert total >= 4
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page
        assert "Description Qty Unit price Amount" in page
    text = "\n".join(pages)
    for i in range(250):  # every line exactly once: none lost, none repeated at a break
        assert text.count(f"Prorated user fee: u{i:03d} ") == 1
    assert printed_total(pages[-1]) == doc.total


# --- determinism -----------------------------------------------------------------------

def test_the_same_document_gives_the_same_bytes():
    doc = make_document(5)
    first = render_invoice_pdf(doc)
    render_invoice_pdf(make_document(40, name=TRICKY_NAME, number=None))  # fonts used in between
    assert render_invoice_pdf(doc) == first


def test_the_bytes_do_not_depend_on_the_process_or_the_clock():
    script = ("import hashlib, runpy, sys; sys.path.insert(0, '.'); "
              "make = runpy.run_path('tests/unit/test_pdf.py')['make_document']; "
              "from reports.invoice_pdf import render_invoice_pdf; "
              "print(hashlib.sha256(render_invoice_pdf(make(5))).hexdigest())")
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == hashlib.sha256(render_invoice_pdf(make_document(5))).hexdigest()


def test_metadata_is_fixed():
    meta = PdfReader(io.BytesIO(render_invoice_pdf(make_document(1)))).metadata
    assert meta.creator == PRODUCER and meta.producer == PRODUCER
    assert meta.title == "INV-2026-11-0007 · Acme Insurance Group"
    assert "2000" in meta["/CreationDate"]  # reportlab's invariant date, not today


# --- file names and the archive -----------------------------------------------------------

def test_file_names_are_safe_and_say_what_they_are():
    assert pdf_file_name(make_document(1, number="INV-2026-11-0001", name="Acme Insurance")) == \
        "INV-2026-11-0001_Acme_Insurance.pdf"
    assert pdf_file_name(make_document(1, number=None)) == "PREVIEW_2026-11_A-1001.pdf"
    tricky = pdf_file_name(make_document(1, name=TRICKY_NAME))
    assert tricky.startswith("INV-2026-11-0007_Agencia_Lodz_Sohne_b_")
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.pdf", tricky)
    odd = replace(make_document(1, number=None), agency=AgencyHeader("../A 1/2", "x"))
    assert pdf_file_name(odd) == "PREVIEW_2026-11_A_1_2.pdf"


def test_the_archive_holds_one_valid_pdf_per_document_and_reports_progress():
    docs = [(pdf_file_name(d), d) for d in (make_document(2, number=f"INV-2026-11-000{i}") for i in (3, 1, 2))]
    docs.append((pdf_file_name(make_document(2, number=None)), make_document(2, number=None)))
    calls: list[tuple[int, int]] = []
    archive = render_cycle_archive(iter(docs), progress=lambda done, total: calls.append((done, total)))
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        names = opened.namelist()
        assert names == sorted(name for name, _ in docs)
        for name in names:
            pages = pages_text(opened.read(name))
            assert pages and (name.split("_")[0] in pages[0] or name.startswith("PREVIEW"))
        assert {info.date_time for info in opened.infolist()} == {(2026, 1, 1, 0, 0, 0)}
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert render_cycle_archive(reversed(docs)) == archive


def test_the_archive_never_holds_two_entries_with_one_name():
    doc = make_document(1)
    with zipfile.ZipFile(io.BytesIO(render_cycle_archive([("a.pdf", doc), ("a.pdf", doc)]))) as opened:
        assert opened.namelist() == ["a.pdf", "a_2.pdf"]
