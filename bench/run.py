"""The work people wait for, at portfolio scale, measured against the floor.

    .venv/bin/python bench/run.py                    # the large dataset (500 agencies) on SQLite
    .venv/bin/python bench/run.py --size xlarge      # 5,000 agencies (small: 50)
    .venv/bin/python bench/run.py --postgres         # ... and on a local PostgreSQL kept in bench/.data/pg
    .venv/bin/python bench/run.py --quick            # a small version for CI (< 1 minute)

Prints one line per item: the median of several runs (min and max beside it),
the target and PASS or MISS. Two floors are measured in the same run:

- the *honest floor* (item 7): bare SQL, on one connection, reading exactly
  what the portfolio preview reads for every agency — the agencies, the
  contracts in force, every access span, the closed period's rollup totals,
  the rollup minutes of the history periods, the active numbers, the
  appointments and the previous cycle's issued invoices, every row fetched.
  The portfolio preview is reported as a multiple of it;
- the *call floor* (item 7b): one SQL sum of per-call rounded-up minutes
  over the raw calls of the closed period, which the preview never reads
  (it reads the daily rollup), kept for comparison with earlier runs.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

os.environ.setdefault("BILLING_TODAY", "2026-11-25")
os.environ["BILLING_AUTO_SEED"] = "0"

from dataset import TODAY, DatasetFacts, postgres_dataset, sqlite_dataset
from sqlalchemy import text

from billing import Cycle
from db.engine import dispose_engines, get_engine
from services.access import SYSTEM
from services.runtime import tune_garbage_collector

CYCLE = Cycle.parse("2026-11")
PAGES = ["pages/overview.py", "pages/agency.py", "pages/calendar.py", "pages/review.py", "pages/invoices.py",
         "pages/contracts.py", "pages/minute_bank.py", "pages/overdue.py", "pages/messages.py", "pages/revenue.py",
         "pages/import_data.py", "pages/audit_log.py"]
CALL_FLOOR_SQL = text(
    "SELECT agency_id, SUM((duration_seconds + 59) / 60), SUM(transcribed_seconds) FROM call "
    "WHERE started_on BETWEEN :start AND :end GROUP BY agency_id"
)
# What the portfolio preview of a cycle reads (db/facts.py, db/invoicing.py), as bare SQL.
HONEST_FLOOR_SQL = [text(statement) for statement in (
    "SELECT id, name, onboarded_on FROM agency ORDER BY id",
    "SELECT * FROM contract WHERE effective_from <= :invoice_date ORDER BY agency_id, effective_from",
    "SELECT agency_id, user_id, start_on, end_on FROM access_span ORDER BY agency_id, user_id, start_on",
    "SELECT agency_id, SUM(billable_minutes), SUM(transcribed_seconds), SUM(calls) FROM call_day "
    "WHERE cycle = :cycle GROUP BY agency_id",
    "SELECT agency_id, cycle, SUM(billable_minutes) FROM call_day WHERE cycle IN (:history_1, :history_2) "
    "GROUP BY agency_id, cycle",
    "SELECT agency_id, COUNT(DISTINCT number) FROM dialing_number WHERE active_from <= :end "
    "AND (active_to IS NULL OR active_to > :start) GROUP BY agency_id",
    "SELECT agency_id, status, COUNT(*) FROM appointment WHERE day >= :start AND day <= :end "
    "GROUP BY agency_id, status",
    "SELECT * FROM invoice WHERE cycle = :previous",
)]


def measure(action: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """(median, min, max) seconds of ``runs`` calls, after one warm-up call."""
    action()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times), max(times)


def line(label: str, figures: tuple[float, float, float], target: float | None, note: str = "") -> str:
    median, low, high = figures
    verdict = "" if target is None else ("PASS" if median <= target else "MISS")
    goal = "" if target is None else f"target < {target * 1000:,.0f} ms"
    return f"{label:<56} {median * 1000:>10,.1f} ms  (min {low * 1000:,.1f}, max {high * 1000:,.1f})  {goal:<18} {verdict} {note}".rstrip()


def first_page_render(url: str, page: str) -> float:
    """One AppTest render of ``page`` with cold caches, signed in as finance."""
    from pathlib import PosixPath

    import streamlit as st
    import streamlit.runtime.pages_manager as pages_manager
    from streamlit.testing.v1 import AppTest

    class NoLegacyPagesFolder(PosixPath):  # route like a running server (see tests/app/conftest.py)
        def exists(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return False if self.name == "pages" else super().exists(*args, **kwargs)

    pages_manager.Path = NoLegacyPagesFolder
    for name in ("streamlit", "streamlit.runtime.caching.cache_data_api", "streamlit.runtime.scriptrunner_utils.script_run_context"):
        logging.getLogger(name).setLevel(logging.ERROR)
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["viewer"] = SYSTEM
    at.run()  # the router and the default page
    st.cache_data.clear()
    started = time.perf_counter()
    at.switch_page(page).run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].value}")
    return elapsed


def run_items(name: str, url: str, facts: DatasetFacts, runs: int, quick: bool, import_rows: int,
              skip: frozenset[str] = frozenset()) -> list[str]:
    from services import fact_cache, invoices, overdue, portfolio

    os.environ["DATABASE_URL"] = url
    dispose_engines()
    engine = get_engine(url)
    cycle = CYCLE
    period = cycle.closed_period
    out = [f"== {name}: {facts.agencies:,} agencies, {facts.users:,} users, {facts.calls_in_closed_period:,} calls in the "
           f"closed period ({facts.calls_total:,} stored), {facts.rollup_rows:,} rollup rows, {facts.numbers:,} numbers, "
           f"{facts.appointments:,} appointments, {facts.invoices:,} invoices, {facts.payments:,} payments; "
           f"generated in {facts.seconds_to_generate:,.0f} s"]

    parameters = {"start": period.start, "end": period.end, "invoice_date": cycle.invoice_date, "cycle": str(cycle),
                  "history_1": str(cycle.previous()), "history_2": str(cycle.previous().previous()),
                  "previous": str(cycle.previous())}

    def honest_floor() -> object:
        with engine.connect() as connection:
            return [connection.execute(statement, parameters).all() for statement in HONEST_FLOOR_SQL]

    def call_floor() -> object:
        with engine.connect() as connection:
            return connection.execute(CALL_FLOOR_SQL, {"start": period.start, "end": period.end}).all()

    floor_figures = measure(honest_floor, runs)
    call_floor_figures = measure(call_floor, runs)
    portfolio_figures = measure(lambda: portfolio.portfolio(SYSTEM, cycle), runs)

    def cold_portfolio() -> object:
        fact_cache.CACHE.clear()  # what a fresh process pays: every agency loaded and priced
        return portfolio.portfolio(SYSTEM, cycle)

    cold_figures = measure(cold_portfolio, runs)
    ratio = portfolio_figures[0] / floor_figures[0] if floor_figures[0] else float("inf")
    target = 3.0 if facts.agencies > 1_000 else 2.0
    out.append(line("1. portfolio preview (every agency)", portfolio_figures, target,
                    f"= {ratio:.2f} x honest floor ({'PASS' if ratio <= 2 else 'MISS'} <= 2x)"))
    out.append(line("1c. portfolio preview, nothing kept (fresh process)", cold_figures, None,
                    f"= {cold_figures[0] / floor_figures[0]:.2f} x honest floor" if floor_figures[0] else ""))
    out.append(line("7. honest floor: bare SQL reads of the preview's facts", floor_figures, None))
    out.append(line("7b. call floor: one bare SQL sum over the calls", call_floor_figures, None,
                    f"(preview = {portfolio_figures[0] / call_floor_figures[0]:.2f} x)" if call_floor_figures[0] else ""))

    from services import review

    scale = max(1.0, facts.agencies / 500)  # the archive and the review are per agency: targets scale with the portfolio
    out.append(line("8. review of the cycle (every agency, checks included)",
                    measure(lambda: review.review_cycle(SYSTEM, cycle, today=TODAY), runs), 2.0 * scale))
    agency = "A-1001"
    out.append(line("2. preview of one agency", measure(lambda: invoices.invoice_view(SYSTEM, agency, cycle, TODAY), runs), 0.150))
    out.append(line("3. overdue statuses of the portfolio", measure(lambda: overdue.overdue_view(SYSTEM, TODAY), runs),
                    1.0 if facts.agencies > 1_000 else 0.500))
    view = invoices.invoice_view(SYSTEM, agency, cycle, TODAY)
    out.append(line("4a. one invoice PDF", measure(lambda: invoices.invoice_pdf(view), max(runs, 5)), 0.100))
    archive_runs = 1 if not quick else runs
    if "4b" not in skip:
        out.append(line(f"4b. PDF archive of all {facts.agencies:,} agencies",
                        measure(lambda: invoices.cycle_archive(SYSTEM, cycle), archive_runs),
                        40.0 * scale))
    if "5" not in skip and import_rows:
        out.append(import_line(name, url, import_rows))
    for page in PAGES if "6" not in skip else []:
        seconds = [first_page_render(url, page) for _ in range(max(1, runs // 2 + 1))]
        out.append(line(f"6. first render of {page}", (statistics.median(seconds), min(seconds), max(seconds)), 2.0))
    return out


def import_line(name: str, url: str, rows: int) -> str:
    """Item 5, through the importer's own benchmark (a child process, for its peak RSS)."""
    import import_bench

    with tempfile.TemporaryDirectory(dir=ROOT / "bench") as folder:
        target = f"sqlite:///{folder}/import.db" if name == "sqlite" else url.rsplit("/", 1)[0] + "/" + _fresh_pg(url)
        import_bench.seed(target, False)
        path = import_bench.calls_file(rows, import_bench.users(target))
        summary = import_bench.run_import(target, path, None)
    limit = 180 if rows >= 10_000_000 else 30  # issue #18: 10 million rows in 3 minutes; 1 million in 30 s
    verdict = "PASS" if summary["seconds"] < limit and summary["peak_rss_mib"] < 1024 else "MISS"
    return (f"{'5. import of ' + format(rows, ',') + ' call rows':<56} {summary['seconds'] * 1000:>10,.1f} ms  "
            f"({summary['rows_per_second']:,} rows/s, peak {summary['peak_rss_mib']:,.0f} MiB)  "
            f"target < {limit} s, < 1 GiB {verdict}")


def _fresh_pg(url: str) -> str:
    from pg import create_database
    from sqlalchemy.engine import make_url

    created = create_database(url)
    return make_url(created).database


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small dataset and fewer runs (CI)")
    parser.add_argument("--size", choices=["small", "large", "xlarge"], default="large",
                        help="50, 500 or 5,000 agencies (bench/dataset.py)")
    parser.add_argument("--postgres", action="store_true", help="also on a local PostgreSQL cluster (bench/pgserver.py)")
    parser.add_argument("--postgres-url", help="an existing PostgreSQL server instead of a throwaway one")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--import-rows", type=int, default=None, help="rows of the calls import (item 5; 0 skips it)")
    parser.add_argument("--skip", default="", help="comma-separated item numbers not to run, e.g. 4b,5,6")
    args = parser.parse_args()
    size = "quick" if args.quick else args.size
    runs = args.runs or (2 if args.quick else 5)
    import_rows = args.import_rows or (20_000 if args.quick else 1_000_000)
    tune_garbage_collector()  # as the app and manage.py do
    skip = frozenset(item.strip() for item in args.skip.split(",") if item.strip())
    report: list[str] = []
    url, facts = sqlite_dataset(size, log=lambda message: print(message, file=sys.stderr, flush=True))
    report += run_items("sqlite", url, facts, runs, args.quick, import_rows, skip)
    print("\n".join(report), flush=True)
    if args.postgres or args.postgres_url:
        server = None
        if not args.postgres_url:
            from pgserver import BenchPostgres

            server = BenchPostgres().start()  # its datasets are kept under bench/.data/pg for the next run
        try:
            pg_url, pg_facts = postgres_dataset(size, args.postgres_url or server.url,  # type: ignore[union-attr]
                                                log=lambda message: print(message, file=sys.stderr, flush=True))
            lines = run_items("postgresql", pg_url, pg_facts, runs, args.quick, import_rows, skip)
            print("\n".join(lines), flush=True)
        finally:
            dispose_engines()
            if server is not None:
                server.stop()
    print(f"\nmachine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; today pinned to {TODAY}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
