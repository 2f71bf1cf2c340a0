"""Connecting to the database, and migrating it before anything touches it.

``DATABASE_URL`` selects the database (``postgresql://…`` or ``sqlite:///…``);
the default is an embedded SQLite file under ``data/``. The first engine for a
URL in a process runs the Alembic migrations to head, so the app, every
``manage.py`` command and every test start on the current schema.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

import settings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = ROOT / "data" / "billing.db"

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def database_url() -> str:
    """The configured database (``DATABASE_URL``, validated by :mod:`settings`)."""
    return normalize_url(settings.current().database_url)


def normalize_url(url: str) -> str:
    """Accept the usual ``postgres://`` spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # REPLACE deletes the row it conflicts with; only with recursive triggers on
        # does that delete fire the "issued invoices are immutable" DELETE triggers
        # (migration 0005 also refuses such an insert on any connection).
        cursor.execute("PRAGMA recursive_triggers=ON")
        cursor.close()


def _private_file(path: Path) -> None:
    """Create the SQLite file (and its folder) readable by this user only:
    it holds every agency's money and the accounts' password hashes. SQLite
    gives its -wal and -shm files the database file's permissions."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def create_database_engine(url: str) -> Engine:
    """A new engine for ``url``, without migrating (see :func:`get_engine`)."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            _private_file(Path(path))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: ``DATABASE_URL``), migrated."""
    url = normalize_url(url) if url else database_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_database_engine(url)
            from .migrate import upgrade_to_head

            upgrade_to_head(engine)
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
