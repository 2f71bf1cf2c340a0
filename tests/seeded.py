"""Seeded demo databases for integration tests: seeded once per module as a
template, copied for each test (a file copy on SQLite, ``CREATE DATABASE …
TEMPLATE`` on PostgreSQL), so every test starts from the same data fast."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Sequence
from pathlib import Path

import psycopg
import pytest
from pg import _connect_kwargs, create_database, drop_database, with_database

from billing import Cycle
from db.engine import dispose_engines, get_engine
from services.demo import SeedOptions, seed_demo
from services.review import approve_for_seed
from services.unit_of_work import SessionFactory, sessions_for


def _seed(sessions: SessionFactory, options: SeedOptions, approve: Sequence[Cycle]) -> None:
    """Seed, then approve ``approve`` as it is (for tests of what issuing does
    once a cycle is approved; the approval itself is tested in test_review)."""
    seed_demo(options, sessions=sessions)
    for cycle in approve:
        approve_for_seed(cycle, actor="test-approver@dialer-billing.example", note="approved for the test",
                         sessions=sessions)


def seed_sqlite_template(path: Path, options: SeedOptions, approve: Sequence[Cycle] = ()) -> Path:
    """Seed ``path`` (approving ``approve``) and fold its WAL into the file, so a plain copy is the whole database."""
    _seed(sessions_for(get_engine(f"sqlite:///{path}")), options, approve)
    dispose_engines()
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def seed_postgres_template(server: str, name: str, options: SeedOptions, approve: Sequence[Cycle] = ()) -> str:
    """Create and seed database ``name`` on ``server`` (approving ``approve``); its name, for :func:`copy_of_postgres_template`."""
    url = create_database(server, name)
    _seed(sessions_for(get_engine(url)), options, approve)
    dispose_engines()  # a template database must have no connections
    return name


def copy_of_postgres_template(server: str, template: str, name: str, owner: str | None = None) -> str:
    with psycopg.connect(**_connect_kwargs(with_database(server, "postgres")), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"' + (f' OWNER "{owner}"' if owner else ""))
    return with_database(server, name)


def seeded_copy(request: pytest.FixtureRequest, tmp_path: Path, prefix: str) -> str:
    """The body of a ``seeded_url`` fixture parametrized ``sqlite`` / ``postgresql``:
    a fresh copy of the module's ``sqlite_template`` or ``postgres_template``."""
    if request.param == "sqlite":
        copy = tmp_path / "seeded.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), copy)
        return f"sqlite:///{copy}"
    server = request.getfixturevalue("postgres_url")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    url = copy_of_postgres_template(server, request.getfixturevalue("postgres_template"), name)
    request.addfinalizer(lambda: drop_database(server, name))
    return url
