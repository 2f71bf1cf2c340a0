"""The benchmark datasets, generated through the demo seed (``services.demo.seed_demo``,
the same code as ``manage.py seed``) and cached by their options.

Three sizes of one shape, so costs can be compared as the portfolio grows:
"small" 50 agencies, "large" 500 (~14,000 users, ~1,200,000 calls in the
closed period of cycle 2026-11, the one being previewed) and "xlarge" 5,000
(~140,000 users, ~12,000,000 calls); each with 14 months of daily rollup
history, dialing numbers, appointments and a year of issued invoices and
payments. "quick": the same shape, small enough for CI.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from db.engine import dispose_engines, get_engine, session_scope
from db.models import Agency, Appointment, Call, CallDay, DialerUser, DialingNumber, Invoice, Payment
from services.demo import SeedOptions, seed_demo
from services.unit_of_work import sessions_for

CACHE = Path(__file__).resolve().parent / ".data"
TODAY = date(2026, 11, 25)


def _portfolio(agencies: int) -> SeedOptions:
    """The benchmark portfolio's shape at ``agencies`` agencies (one seed per size)."""
    return SeedOptions(agencies=agencies, months=14, seed=agencies, today=TODAY, min_users=4, max_users=45,
                       calls_per_user_day=8.2, numbers_per_user=1.7, appointments_scale=0.22)


SIZES = {
    "small": _portfolio(50),
    "large": _portfolio(500),
    "xlarge": _portfolio(5_000),
    "quick": SeedOptions(agencies=20, months=6, seed=20, today=TODAY, min_users=5, max_users=30,
                         calls_per_user_day=3.0, numbers_per_user=1.0, appointments_scale=0.5),
}


@dataclass(frozen=True)
class DatasetFacts:
    agencies: int
    users: int
    calls_in_closed_period: int
    calls_total: int
    rollup_rows: int
    numbers: int
    appointments: int
    invoices: int
    payments: int
    seconds_to_generate: float


def _key(options: SeedOptions) -> str:
    return hashlib.sha256(repr(sorted(asdict(options).items())).encode()).hexdigest()[:12]


def count_facts(url: str, seconds: float) -> DatasetFacts:
    closed = (date(2026, 10, 24), date(2026, 11, 23))
    with session_scope(get_engine(url)) as session:
        def count(model, *where):  # type: ignore[no-untyped-def]
            return session.scalar(select(func.count()).select_from(model).where(*where)) or 0
        return DatasetFacts(
            agencies=count(Agency), users=count(DialerUser),
            calls_in_closed_period=count(Call, Call.started_on >= closed[0], Call.started_on <= closed[1]),
            calls_total=count(Call), rollup_rows=count(CallDay), numbers=count(DialingNumber),
            appointments=count(Appointment), invoices=count(Invoice), payments=count(Payment),
            seconds_to_generate=round(seconds, 1),
        )


def sqlite_dataset(size: str, *, log=print) -> tuple[str, DatasetFacts]:  # type: ignore[no-untyped-def]
    """A seeded SQLite file for ``size``, generated once and then reused."""
    options = SIZES[size]
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{size}-{_key(options)}.db"
    stamp = path.with_suffix(".seconds")
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        log(f"generating the {size} dataset into {path.name} (one time)…")
        started = time.perf_counter()
        seed_demo(options, sessions=sessions_for(get_engine(f"sqlite:///{partial}")),
                  progress=lambda message, fraction: log(f"  [{fraction:5.0%}] {message}")
                  if size in ("large", "xlarge") and message.startswith(("users", "issuing", "payments", "done")) else None)
        dispose_engines()
        stamp.write_text(f"{time.perf_counter() - started:.1f}")
        shutil.move(partial, path)
    url = f"sqlite:///{path}"
    return url, count_facts(url, float(stamp.read_text()) if stamp.exists() else 0.0)


def postgres_dataset(size: str, server_url: str, *, log=print) -> tuple[str, DatasetFacts]:  # type: ignore[no-untyped-def]
    """``size`` seeded into database ``bench_<size>_<key>`` on the server of
    ``server_url``: generated once (into a ``…_partial`` database renamed when
    complete) and reused while it exists, like the SQLite files."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import psycopg
    from pg import _connect_kwargs, create_database, drop_database, with_database

    name = f"bench_{size}_{_key(SIZES[size])}"
    with psycopg.connect(**_connect_kwargs(server_url), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    seconds_file = CACHE / f"{name}.pg-seconds"
    if not exists:
        drop_database(server_url, f"{name}_partial")
        url = create_database(server_url, f"{name}_partial")
        log(f"generating the {size} dataset on PostgreSQL (one time)…")
        started = time.perf_counter()
        seed_demo(SIZES[size], sessions=sessions_for(get_engine(url)))
        seconds_file.write_text(f"{time.perf_counter() - started:.1f}")
        dispose_engines()
        with psycopg.connect(**_connect_kwargs(server_url), autocommit=True) as connection:
            connection.execute(f'ALTER DATABASE "{name}_partial" RENAME TO "{name}"')
    url = with_database(server_url, name)
    return url, count_facts(url, float(seconds_file.read_text()) if seconds_file.exists() else 0.0)
