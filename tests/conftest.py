"""Shared test fixtures: databases and folder markers.

Databases
---------
``sqlite_url``               a fresh SQLite file URL in ``tmp_path``.
``postgres_url``             (session) URL of a database on a throwaway PostgreSQL
                             server started once per test session, or on the
                             server named by ``TEST_POSTGRES_URL`` if set.
``fresh_postgres_database``  factory: each call creates a new, empty, uniquely
                             named database on that server and returns its URL;
                             all of them are dropped when the test ends.
``database_url``             parametrized ``[sqlite]`` / ``[postgresql]``: a fresh,
                             empty database of each kind.  Integration tests that
                             take it run on both; the postgresql variant carries
                             the ``postgres`` marker (deselect with
                             ``-m "not postgres"``).

If PostgreSQL cannot be started, tests that need it are skipped, except under
``CI=true`` where they fail with the reason.

Markers
-------
Tests under ``tests/unit``, ``tests/integration``, ``tests/service``,
``tests/app`` and ``tests/e2e`` automatically get the ``unit``,
``integration``, ``service``, ``app`` and ``e2e`` markers; tests using the PostgreSQL fixtures get ``postgres``.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pg import PostgresUnavailable, ThrowawayPostgres, create_database, drop_database

TESTS_DIR = Path(__file__).resolve().parent
FOLDER_MARKERS = {"unit": "unit", "integration": "integration", "service": "service", "app": "app", "e2e": "e2e"}
POSTGRES_FIXTURES = {"postgres_url", "fresh_postgres_database"}


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


# Hypothesis: no per-example deadline in CI, where machines are slow and noisy.
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", deadline=None, print_blob=True)
    if running_in_ci():
        _hypothesis_settings.load_profile("ci")
except ImportError:  # pragma: no cover
    pass


# -- markers by folder ---------------------------------------------------------
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        try:
            relative = Path(item.path).resolve().relative_to(TESTS_DIR)
        except ValueError:
            continue
        marker = FOLDER_MARKERS.get(relative.parts[0]) if len(relative.parts) > 1 else None
        if marker:
            item.add_marker(getattr(pytest.mark, marker))
        if POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


# -- PostgreSQL ------------------------------------------------------------------
_server_info: dict[str, object] = {}


def _unavailable(reason: str) -> None:
    message = f"PostgreSQL unavailable: {reason}"
    if running_in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL database for the whole session (see module docstring)."""
    existing = os.environ.get("TEST_POSTGRES_URL", "").strip()
    if existing:
        from sqlalchemy import create_engine, text

        for prefix in ("postgres://", "postgresql://"):  # use the psycopg 3 driver
            if existing.startswith(prefix):
                existing = "postgresql+psycopg://" + existing[len(prefix):]
        try:
            engine = create_engine(existing)
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
        except Exception as exc:
            _unavailable(f"TEST_POSTGRES_URL={existing!r}: {exc}")
        _server_info["source"] = "TEST_POSTGRES_URL"
        yield existing
        return

    server = ThrowawayPostgres()
    try:
        server.start()
    except PostgresUnavailable as exc:
        _unavailable(str(exc))
    _server_info.update(source="throwaway", seconds=server.startup_seconds, url=server.url)

    # A CI timeout sends SIGTERM, which would kill Python without running
    # teardown and leave the server behind: turn it into a clean interrupt.
    def _on_sigterm(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not in the main thread
        previous = None
    try:
        yield server.url
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


@pytest.fixture
def fresh_postgres_database(postgres_url: str) -> Iterator[Callable[[], str]]:
    """Factory: ``fresh_postgres_database()`` -> URL of a new, empty database."""
    from sqlalchemy.engine import make_url

    created: list[str] = []

    def make() -> str:
        url = create_database(postgres_url)
        created.append(make_url(url).database)
        return url

    yield make

    # WITH (FORCE) also disconnects engines/pools that still hold connections.
    for name in created:
        drop_database(postgres_url, name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a fresh SQLite database file (not created until first connect)."""
    return f"sqlite:///{tmp_path}/test.db"


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database URL: once SQLite, once PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("fresh_postgres_database")()


def pytest_report_header(config: pytest.Config) -> str | None:
    if os.environ.get("TEST_POSTGRES_URL"):
        return "postgres: using TEST_POSTGRES_URL"
    return None


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if _server_info.get("source") == "throwaway":
        terminalreporter.write_line(
            f"throwaway PostgreSQL started in {_server_info['seconds']:.2f}s"
        )
