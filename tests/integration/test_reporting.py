"""Finance reporting on SQLite and PostgreSQL, for the seeded portfolio: the
revenue per cycle is the sum of the issued invoices and its split adds up to
it; the aging at a month end is what the overdue page (the engine's
statuses) gives on that day; every accounting export's per-invoice sums are
the issued totals, its columns are the template's, and no cell can run as a
formula."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from pg import drop_database
from seeded import seed_postgres_template, seed_sqlite_template, seeded_copy
from sqlalchemy import select, update

from billing import Cycle
from db.engine import get_engine, session_scope
from db.models import Agency, Invoice, InvoiceLine
from services.access import AccessDenied, Role, Viewer
from services.accounting_export import (
    JOURNAL_COLUMNS,
    QUICKBOOKS_COLUMNS,
    XERO_COLUMNS,
    ExportFormat,
    export_cycle,
    export_entries,
    set_account_codes,
)
from services.demo import SeedOptions
from services.errors import FieldError
from services.overdue import overdue_view
from services.reporting import month_ends, receivables, revenue
from services.unit_of_work import sessions_for

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 25)
SMALL = SeedOptions(agencies=8, months=6, seed=7, today=TODAY, min_users=5, max_users=40)
FINANCE = Viewer("finance@test.example", "Finance", Role.FINANCE)
OPS = Viewer("ops@test.example", "Ops", Role.OPS)
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory) -> Path:
    return seed_sqlite_template(tmp_path_factory.mktemp("reporting") / "template.db", SMALL)


@pytest.fixture(scope="module")
def postgres_template(postgres_url) -> str:
    yield seed_postgres_template(postgres_url, "reporting_template", SMALL)
    drop_database(postgres_url, "reporting_template")


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)])
def seeded_url(request, tmp_path) -> str:
    return seeded_copy(request, tmp_path, "reporting")


@pytest.fixture
def sessions(seeded_url):
    return sessions_for(get_engine(seeded_url))


def _issued(seeded_url) -> dict[str, dict[str, Decimal]]:
    """cycle → invoice number → total, read straight from the table."""
    found: dict[str, dict[str, Decimal]] = defaultdict(dict)
    with session_scope(get_engine(seeded_url)) as session:
        for cycle, number, total in session.execute(select(Invoice.cycle, Invoice.number, Invoice.total)):
            found[cycle][number] = total
    return found


def _rows(content: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content)))


# --- revenue -------------------------------------------------------------------------------

def test_revenue_per_cycle_is_the_sum_of_the_issued_invoices(seeded_url, sessions):
    report = revenue(FINANCE, TODAY, sessions=sessions)
    issued = _issued(seeded_url)
    assert report.cycles, "the seed issues past cycles"
    assert {str(c.cycle) for c in report.cycles} == {c for c in issued if Cycle.parse(c).invoice_date <= TODAY}
    for c in report.cycles:
        assert c.billed == sum(issued[str(c.cycle)].values(), Decimal(0))
        assert c.invoices == len(issued[str(c.cycle)])


def test_every_split_of_a_cycle_adds_up_to_its_total(sessions):
    for c in revenue(FINANCE, TODAY, sessions=sessions).cycles:
        for split in (c.by_charge, c.by_manager, c.by_band):
            assert sum(split.values(), Decimal(0)) == c.billed, (c.cycle, split)


def test_collected_never_exceeds_billed_and_changes_chain_cycle_to_cycle(sessions):
    cycles = revenue(FINANCE, TODAY, sessions=sessions).cycles
    for before, after in pairwise(cycles):
        assert after.change == after.billed - before.billed
    assert all(Decimal(0) <= c.collected <= c.billed for c in cycles)


def test_ops_cannot_read_revenue(sessions):
    with pytest.raises(AccessDenied):
        revenue(OPS, TODAY, sessions=sessions)


# --- receivables -----------------------------------------------------------------------------

def test_the_aging_at_each_month_end_is_what_the_overdue_page_gives_that_day(sessions):
    history = receivables(FINANCE, TODAY, sessions=sessions)
    assert [m.month_end for m in history] == month_ends(TODAY)
    for month in history:
        page = overdue_view(FINANCE, month.month_end, sessions=sessions)
        assert month.buckets == {b.label: b.balance for b in page.buckets}, month.month_end
        assert month.receivable == sum((s.balance for s in page.statuses), Decimal(0))


# --- accounting exports ------------------------------------------------------------------------

@pytest.mark.parametrize("export_format", list(ExportFormat))
def test_each_export_sums_to_the_issued_invoices_to_the_cent(seeded_url, sessions, export_format):
    cycle = Cycle.parse("2026-10")
    issued = _issued(seeded_url)["2026-10"]
    exported = export_cycle(FINANCE, cycle, export_format, sessions=sessions)
    rows = _rows(exported.content)
    per_invoice: dict[str, Decimal] = defaultdict(Decimal)
    if export_format is ExportFormat.XERO:
        for row in rows:
            per_invoice[row["*InvoiceNumber"]] += (Decimal(row["*Quantity"]) * Decimal(row["*UnitAmount"])).quantize(CENT)
    elif export_format is ExportFormat.QUICKBOOKS:
        for row in rows:
            assert Decimal(row["ItemQuantity"]) * Decimal(row["ItemRate"]) == Decimal(row["ItemAmount"])
            per_invoice[row["InvoiceNo"]] += Decimal(row["ItemAmount"])
    else:
        debits = sum((Decimal(r["Debit"]) for r in rows if r["Debit"]), Decimal(0))
        credits = sum((Decimal(r["Credit"]) for r in rows if r["Credit"]), Decimal(0))
        assert debits == credits == sum(issued.values(), Decimal(0))
        for row in rows:
            if row["Debit"]:
                per_invoice[row["Reference"]] += Decimal(row["Debit"])
    assert dict(per_invoice) == issued
    assert exported.total == sum(issued.values(), Decimal(0)) and exported.invoices == len(issued)


@pytest.mark.parametrize(("export_format", "columns"), [
    (ExportFormat.XERO, XERO_COLUMNS), (ExportFormat.QUICKBOOKS, QUICKBOOKS_COLUMNS), (ExportFormat.JOURNAL, JOURNAL_COLUMNS),
])
def test_each_export_carries_its_templates_columns_and_dates(sessions, export_format, columns):
    content = export_cycle(FINANCE, Cycle.parse("2026-10"), export_format, sessions=sessions).content
    header, first = next(csv.reader(io.StringIO(content))), _rows(content)[0]
    assert tuple(header) == columns
    if export_format is ExportFormat.XERO:
        assert first["*InvoiceDate"] == "10/25/2026" and first["*TaxType"] and first["*AccountCode"]
    elif export_format is ExportFormat.QUICKBOOKS:
        assert first["InvoiceDate"] == "10/25/2026" and first["Item(Product/Service)"]
    else:
        assert first["Date"] == "2026-10-25"


def test_amounts_are_decimals_with_two_places_never_floats(sessions):
    rows = _rows(export_cycle(FINANCE, Cycle.parse("2026-10"), "quickbooks", sessions=sessions).content)
    assert all(len(r["ItemAmount"].split(".")[1]) == 2 and "e" not in r["ItemAmount"].lower() for r in rows)


def test_no_exported_cell_can_run_as_a_formula(seeded_url, sessions):
    with session_scope(get_engine(seeded_url)) as session:
        agency_id = session.scalars(select(Invoice.agency_id).where(Invoice.cycle == "2026-10")).first()
        session.execute(update(Agency).where(Agency.id == agency_id).values(
            name='=HYPERLINK("http://evil.example","x")', billing_email="@SUM(1)"))
    set_account_codes(FINANCE, [("USER_FEE", "+4000", "-Dialer fees")], sessions=sessions)
    for export_format in ExportFormat:
        for row in csv.reader(io.StringIO(export_cycle(FINANCE, Cycle.parse("2026-10"), export_format,
                                                       sessions=sessions).content)):
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (export_format, cell)
                assert not cell.startswith("-") or _is_number(cell), (export_format, cell)


def _is_number(cell: str) -> bool:
    try:
        Decimal(cell)
    except ArithmeticError:
        return False
    return True


def test_account_codes_set_by_finance_are_used_and_bad_ones_refused(seeded_url, sessions):
    set_account_codes(FINANCE, [("LICENSING_FEE", "4111", "Licences")], sessions=sessions)
    rows = _rows(export_cycle(FINANCE, Cycle.parse("2026-10"), "xero", sessions=sessions).content)
    with session_scope(get_engine(seeded_url)) as session:
        licensing = set(session.scalars(select(InvoiceLine.description).where(InvoiceLine.code == "LICENSING_FEE")))
    assert {r["*AccountCode"] for r in rows if r["*Description"] in licensing} <= {"4111"}
    with pytest.raises(FieldError, match="Licensing fee: the account code must be 1 to 40 characters"):
        set_account_codes(FINANCE, [("LICENSING_FEE", " ", "Licences")], sessions=sessions)


def test_payments_and_adjustments_of_a_range_make_a_balanced_journal(sessions):
    journal = export_entries(FINANCE, date(2026, 6, 1), date(2026, 11, 25), sessions=sessions)
    rows = _rows(journal.content)
    assert rows and len(rows) % 2 == 0
    debits = sum((Decimal(r["Debit"]) for r in rows if r["Debit"]), Decimal(0))
    assert debits == sum((Decimal(r["Credit"]) for r in rows if r["Credit"]), Decimal(0)) == journal.total


def test_a_cycle_with_nothing_issued_is_refused_in_words(sessions):
    with pytest.raises(FieldError, match="cycle 2027-01 has no issued invoices yet"):
        export_cycle(FINANCE, Cycle.parse("2027-01"), "xero", sessions=sessions)


def test_the_command_line_writes_the_same_file_and_a_summary(seeded_url, sessions, tmp_path):
    env = {**os.environ, "DATABASE_URL": seeded_url, "BILLING_TODAY": TODAY.isoformat()}
    target = tmp_path / "xero.csv"
    done = subprocess.run([sys.executable, "manage.py", "export", "--cycle", "2026-10", "--format", "xero", "-o", str(target)],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    summary = json.loads(done.stdout)
    expected = export_cycle(FINANCE, Cycle.parse("2026-10"), "xero", sessions=sessions)
    assert target.read_bytes().decode("utf-8") == expected.content
    assert summary["total"] == str(expected.total) and summary["format"] == "xero"
    bad = subprocess.run([sys.executable, "manage.py", "export", "--cycle", "2026-10", "--from", "2026-10-01",
                          "--format", "journal"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.startswith("error: --from: give either --cycle")
