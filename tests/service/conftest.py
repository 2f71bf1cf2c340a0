"""Fixtures for the service tests: the use cases, with no Streamlit and no server.

``seeded_template`` (session)  a small deterministic demo portfolio, seeded once
                               through :func:`services.demo.seed_demo` into a
                               SQLite file (8 agencies, 6 months, as of
                               ``TODAY``; past cycles issued, 2026-11 not).
``engine``                     a copy of it for this test, as an engine of
                               its own (not the process-wide one).
``sessions``                   ``sessions_for(engine)``: what every service takes.
``pinned_today``               ``BILLING_TODAY`` set to ``TODAY`` for the use
                               cases that ask the clock (issuing "now").
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from billing import Cycle
from db.engine import create_database_engine
from db.migrate import upgrade_to_head
from services.access import Role, Viewer
from services.demo import SeedOptions, seed_demo
from services.unit_of_work import SessionFactory, sessions_for

TODAY = date(2026, 11, 25)  # the invoice date of cycle 2026-11: past its cutoff, not issued yet
NOVEMBER, OCTOBER = Cycle.parse("2026-11"), Cycle.parse("2026-10")
SEED = SeedOptions(agencies=8, months=6, seed=7, today=TODAY, min_users=5, max_users=40)

FINANCE = Viewer("finance@dialer-billing.example", "Fran Finance", Role.FINANCE)
OPS = Viewer("ops@dialer-billing.example", "Oscar Ops", Role.OPS)


def account_manager(*agency_ids: str) -> Viewer:
    return Viewer("maria.lopez@dialer-billing.example", "Maria Lopez", Role.ACCOUNT_MANAGER, frozenset(agency_ids))


def _engine(path: Path) -> Engine:
    engine = create_database_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    return engine


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("service-seed") / "demo.db"
    engine = _engine(path)
    seed_demo(SEED, sessions=sessions_for(engine))
    engine.dispose()
    with sqlite3.connect(path) as connection:  # fold the WAL in: a plain copy is the whole database
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    return path


@pytest.fixture
def engine(seeded_template: Path, tmp_path: Path) -> Iterator[Engine]:
    copy = tmp_path / "demo.db"
    shutil.copyfile(seeded_template, copy)
    engine = _engine(copy)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> SessionFactory:
    return sessions_for(engine)


@pytest.fixture
def pinned_today(monkeypatch) -> date:
    monkeypatch.setenv("BILLING_TODAY", TODAY.isoformat())
    return TODAY
