"""How fast does a big ``calls.csv`` import, and in how much memory?

    .venv/bin/python bench/import_bench.py                      # SQLite, 1,000,000 rows
    .venv/bin/python bench/import_bench.py --rows 200000
    .venv/bin/python bench/import_bench.py --postgres-url postgresql://user@host/empty_db
    DATABASE_URL=postgresql://… .venv/bin/python bench/import_bench.py

For each database: seed a small portfolio (20 agencies, today 2026-11-25),
write a calls file for its users (cached under ``bench/.data/``), then import
it twice through :func:`db.imports.import_file` — the first import inserts
every row, the second finds them all stored (idempotency) — each in a child
process, so that its peak RSS (``ru_maxrss``) is the import's own. Prints
rows/s, seconds and peak MiB, and checks that the ``call_day`` rollup still
sums the calls. The PostgreSQL database must be empty (it is seeded);
``--reset`` drops everything in it first.

The goal: 1,000,000 rows in under 30 seconds, under 1 GiB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT / "bench" / ".data"
TODAY = date(2026, 11, 25)
ZONE = ZoneInfo("America/New_York")
GOAL_SECONDS = 30
GOAL_MIB = 1024


def seed(url: str, reset: bool) -> None:
    from sqlalchemy import func, select

    from db.engine import get_engine, session_scope
    from db.models import Agency
    from services.demo import SeedOptions, seed_demo
    from services.unit_of_work import sessions_for

    engine = get_engine(url)
    if reset:
        from db.reset import reset_database

        reset_database(engine)
    with session_scope(engine) as session:
        if session.scalar(select(func.count()).select_from(Agency)):
            raise SystemExit(f"{_safe(url)} already holds agencies: give an empty database (or --reset)")
    began = time.perf_counter()
    seed_demo(SeedOptions(agencies=20, today=TODAY), sessions=sessions_for(engine))
    print(f"  seeded 20 agencies in {time.perf_counter() - began:.1f}s", flush=True)


def users(url: str) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from db.engine import get_engine, session_scope
    from db.models import DialerUser

    with session_scope(get_engine(url)) as session:
        return sorted((a, u) for a, u in session.execute(select(DialerUser.agency_id, DialerUser.user_id)))


def calls_file(rows: int, people: list[tuple[str, str]]) -> Path:
    """A calls.csv of ``rows`` calls by ``people``: 99% in the running period
    (cycle 2026-12), 1% late arrivals in cycle 2026-10, already issued by the seed."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"calls-{rows}-{len(people)}-late-2026-10.csv"
    if path.exists():
        return path
    rng = random.Random(rows)
    began = time.perf_counter()
    running, issued = date(2026, 11, 24), date(2026, 9, 24)
    partial = path.with_suffix(".partial")
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["call_id", "agency_id", "user_id", "started_at", "duration_seconds", "transcribed_seconds"])
        for number in range(1, rows + 1):
            agency_id, user_id = people[rng.randrange(len(people))]
            late = rng.random() < 0.01
            day = (issued if late else running) + timedelta(days=rng.randrange(30))
            local = datetime.combine(day, clock(rng.randint(8, 19), rng.randrange(60), rng.randrange(60)), ZONE)
            started = (local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if number % 2
                       else local.isoformat())
            duration = int(rng.expovariate(1 / 150))
            writer.writerow([f"B-{number:08d}", agency_id, user_id, started, duration,
                             duration if number % 5 == 0 else 0])
    partial.rename(path)
    print(f"  wrote {path.relative_to(ROOT)} ({path.stat().st_size / 2**20:.0f} MiB) in "
          f"{time.perf_counter() - began:.1f}s", flush=True)
    return path


def child(url: str, path: str, profile: str | None) -> None:
    """Run one import and print its summary with this process's peak RSS."""
    from db.engine import get_engine
    from db.imports import import_file

    engine = get_engine(url)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    summary = import_file("calls", Path(path), actor="bench", engine=engine,
                          progress=lambda message, fraction: print(f"    [{fraction:5.0%}] {message}",
                                                                   file=sys.stderr, flush=True))
    if profiler is not None:
        profiler.stop()
        Path(profile).write_text(profiler.output_text(unicode=True, color=False))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    summary["peak_rss_mib"] = round(peak / 1024, 1)
    summary["rss_before_import_mib"] = round(baseline / 1024, 1)
    print(json.dumps(summary))


def run_import(url: str, path: Path, profile: str | None) -> dict:
    command = [sys.executable, __file__, "--child", url, str(path)]
    if profile:
        command += ["--profile", profile]
    done = subprocess.run(command, capture_output=False, stdout=subprocess.PIPE, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def rollup_matches(url: str) -> bool:
    from sqlalchemy import func, select

    from db.engine import get_engine, session_scope
    from db.models import Call, CallDay

    with session_scope(get_engine(url)) as session:
        calls = session.scalar(select(func.count()).select_from(Call).where(Call.call_id.like("B-%")))
        rolled = session.scalar(select(func.sum(CallDay.calls)))
        stored = session.scalar(select(func.count()).select_from(Call))
    return bool(calls) and rolled is not None and rolled >= stored


def bench(name: str, url: str, rows: int, reset: bool, profile: str | None) -> list[str]:
    print(f"{name}: {_safe(url)}", flush=True)
    seed(url, reset)
    path = calls_file(rows, users(url))
    lines = []
    for label in ("first import", "re-import"):
        summary = run_import(url, path, profile and f"{profile}-{name}-{label.replace(' ', '-')}.txt")
        verdict = "OK" if summary["seconds"] < GOAL_SECONDS and summary["peak_rss_mib"] < GOAL_MIB else "TOO SLOW/BIG"
        line = (f"{name:10} {label:12} {summary['rows']:>9,} rows  inserted {summary['inserted']:>9,}  "
                f"unchanged {summary['unchanged']:>9,}  {summary['seconds']:6.1f} s  "
                f"{summary['rows_per_second']:>8,} rows/s  peak {summary['peak_rss_mib']:6.0f} MiB  {verdict}")
        print("  " + line, flush=True)
        for warning in summary["warnings"][:3]:
            print(f"    warning: {warning}")
        lines.append(line)
    print(f"  rollup sums the calls: {rollup_matches(url)}", flush=True)
    return lines


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres-url", default=None, help="an EMPTY PostgreSQL database (default: DATABASE_URL if PostgreSQL)")
    parser.add_argument("--reset", action="store_true", help="drop everything in the PostgreSQL database first")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--profile", help="write pyinstrument profiles to PREFIX-<db>-<run>.txt")
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.profile)
        return

    postgres = args.postgres_url or os.environ.get("DATABASE_URL", "")
    if not postgres.startswith(("postgres://", "postgresql")):
        postgres = ""
    results = []
    if not args.no_sqlite:
        DATA.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=DATA) as folder:
            results += bench("sqlite", f"sqlite:///{folder}/bench.db", args.rows, False, args.profile)
    if postgres:
        from db.engine import normalize_url

        results += bench("postgresql", normalize_url(postgres), args.rows, args.reset, args.profile)
    print(f"\n{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, goal: {GOAL_SECONDS} s and {GOAL_MIB} MiB")
    print("\n".join(results))


if __name__ == "__main__":
    main()
