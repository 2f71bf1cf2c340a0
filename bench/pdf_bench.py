"""How long invoice PDFs take to render.

A benchmark, not a test: it prints figures and checks only that it rendered
what it meant to. Three measurements, each the median of several runs after
one warm-up render (the first render in a process also registers the fonts,
reported separately as "cold"):

1. one typical invoice: the worked example ``acme-2026-11`` (9 lines, one
   payment) priced by the engine; a synthetic 10-line invoice when
   ``../shared`` is not checked out. Target: under 100 ms.
2. one invoice of 250 prorated lines (about a dozen pages);
3. a cycle archive (zip) of 40 typical invoices.

Run: ``.venv/bin/python bench/pdf_bench.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from billing import facts_from_scenario, price_invoice
from billing.snapshot import snapshot_of
from reports.document import (
    AgencyHeader,
    BankSummary,
    DocumentLine,
    InvoiceDocument,
    PaymentRow,
    Period,
    document_from_snapshot,
)
from reports.invoice_pdf import pdf_file_name, render_cycle_archive, render_invoice_pdf

ACME = ROOT.parent / "shared" / "billing-examples" / "acme-2026-11.json"
AGENCY = AgencyHeader("A-1001", "Acme Insurance Group", ("1200 Main Street, Suite 400", "Columbus, OH 43215"),
                      "billing@acme.example")
TARGET_MS = 100.0


def _synthetic(lines: int) -> InvoiceDocument:
    items = tuple(
        DocumentLine("PRORATED_USER_FEE", f"Prorated user fee: u{i:03d}",
                     f"u{i:03d} from 2026-11-{i % 23 + 1:02d}: {i % 30 + 1} of 31 days × $150.00",
                     i % 30 + 1, Decimal("150.00"), Decimal("4.84") * (i % 30 + 1), f"u{i:03d}")
        for i in range(lines)
    )
    return InvoiceDocument(
        agency=AGENCY, number="INV-2026-11-0001", cycle="2026-11", invoice_date=date(2026, 11, 25),
        due_date=date(2026, 12, 1), restriction_date=date(2026, 12, 16),
        closed_period=Period(date(2026, 10, 24), date(2026, 11, 23), 31),
        advance_period=Period(date(2026, 11, 24), date(2026, 12, 23), 30),
        lines=items, bank=BankSummary(8000, 30000, 33250, 4750, 30800),
        total=sum((line.amount for line in items), Decimal("0.00")),
    )


def typical() -> tuple[str, InvoiceDocument]:
    """The acme invoice as issued and part paid, or 10 synthetic lines."""
    if not ACME.exists():
        return "synthetic 10-line invoice (../shared missing)", _synthetic(10)
    snapshot = snapshot_of(price_invoice(facts_from_scenario(json.loads(ACME.read_text()))))
    doc = document_from_snapshot(snapshot, AGENCY, number="INV-2026-11-0001",
                                 payments=[PaymentRow(date(2026, 11, 30), Decimal("1000.00"), "ACH 0042")],
                                 balance_due=snapshot.total - Decimal("1000.00"))
    return f"acme-2026-11 ({len(doc.lines)} lines, issued, one payment)", doc


def measure(label: str, work: Callable[[], bytes], runs: int, target_ms: float | None = None) -> None:
    work()  # warm-up: fonts registered, caches filled
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        output = work()
        times.append((time.perf_counter() - start) * 1000)
    median = statistics.median(times)
    verdict = "" if target_ms is None else f"  target < {target_ms:.0f} ms: {'PASS' if median < target_ms else 'MISS'}"
    print(f"{label}\n    median {median:.1f} ms (min {min(times):.1f}, max {max(times):.1f}; {runs} runs), "
          f"{len(output) / 1024:.0f} KiB{verdict}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per measurement (default 15)")
    args = parser.parse_args(argv)

    label, doc = typical()
    start = time.perf_counter()
    first = render_invoice_pdf(doc)
    cold = (time.perf_counter() - start) * 1000
    assert first.startswith(b"%PDF") and render_invoice_pdf(doc) == first
    print(f"Python {sys.version.split()[0]}; cold first render (font registration included): {cold:.1f} ms")

    measure(f"one typical invoice: {label}", lambda: render_invoice_pdf(doc), args.runs, TARGET_MS)
    long_doc = _synthetic(250)
    measure("one invoice of 250 prorated lines", lambda: render_invoice_pdf(long_doc), max(3, args.runs // 3))
    docs = [replace(doc, agency=replace(AGENCY, agency_id=f"A-{1001 + i}", name=f"Agency {i:02d} Insurance"),
                    number=f"INV-2026-11-{i + 1:04d}") for i in range(40)]
    items = [(pdf_file_name(d), d) for d in docs]
    measure("cycle archive of 40 typical invoices (zip)", lambda: render_cycle_archive(items), max(3, args.runs // 5))


if __name__ == "__main__":
    main()
