"""Issued invoices and the audit log are immutable (issue #16, class 3): every
test here really tries the attack, through the app's own engine (and on
SQLite also through a bare connection), and proves it is refused with a clear
message and that nothing changed — on SQLite and PostgreSQL where it applies:
SQLite ``REPLACE INTO`` / ``INSERT OR REPLACE`` (which deletes the row it
conflicts with without firing delete triggers), upserts, ``UPDATE OR
REPLACE``; PostgreSQL ``TRUNCATE`` (also ``CASCADE`` from ``agency``).
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from datetime import date
from pathlib import Path

import psycopg
import pytest
from pg import _connect_kwargs, create_database, drop_database, with_database
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from billing import Cycle
from db.engine import dispose_engines, get_engine
from db.models import Payment
from services.demo import SeedOptions, seed_demo
from services.issuing import issue_cycle
from services.unit_of_work import sessions_for

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 25)
OCTOBER, NOVEMBER = Cycle.parse("2026-10"), Cycle.parse("2026-11")
SMALL = SeedOptions(agencies=8, months=6, seed=7, today=TODAY, min_users=5, max_users=40)
IMMUTABLE = ("invoice", "invoice_line", "audit_event")


# --- databases -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("immutable") / "template.db"
    seed_demo(SMALL, sessions=sessions_for(get_engine(f"sqlite:///{path}")))
    dispose_engines()
    with sqlite3.connect(path) as connection:  # one file to copy, no WAL beside it
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="module")
def postgres_template(postgres_url) -> str:
    url = create_database(postgres_url, "immutable_template")
    seed_demo(SMALL, sessions=sessions_for(get_engine(url)))
    dispose_engines()
    yield "immutable_template"
    drop_database(postgres_url, "immutable_template")


def _copy_of_template(server: str, template: str, name: str, owner: str | None = None) -> str:
    with psycopg.connect(**_connect_kwargs(with_database(server, "postgres")), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"' + (f' OWNER "{owner}"' if owner else ""))
    return with_database(server, name)


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)])
def seeded_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        copy = tmp_path / "seeded.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), copy)
        return f"sqlite:///{copy}"
    server = request.getfixturevalue("postgres_url")
    name = f"immutable_{uuid.uuid4().hex[:10]}"
    url = _copy_of_template(server, request.getfixturevalue("postgres_template"), name)
    request.addfinalizer(lambda: drop_database(server, name))
    return url


@pytest.fixture
def seeded(seeded_url):
    yield get_engine(seeded_url)
    dispose_engines()


def _dialect(engine) -> str:
    return engine.dialect.name


def _dump(engine) -> dict[str, list[tuple]]:
    """Every row of the immutable tables, as text."""
    with engine.connect() as connection:
        return {table: sorted(tuple(str(v) for v in row) for row in connection.execute(text(f"SELECT * FROM {table}")))
                for table in IMMUTABLE}


def _columns(engine, table: str) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text(f"SELECT * FROM {table} WHERE 1 = 0")).keys())


def _refused(engine, statement: str, expected: str = "immutable") -> str:
    with pytest.raises(SQLAlchemyError) as refused:
        with engine.begin() as connection:
            connection.exec_driver_sql(statement)
    message = str(refused.value.orig if getattr(refused.value, "orig", None) else refused.value)
    assert expected in message, message
    return message


def _an_invoice(engine) -> tuple[str, int, int]:
    """(number, invoice id, id of its first line) of an issued invoice."""
    with engine.connect() as connection:
        number, invoice_id = connection.execute(text("SELECT number, id FROM invoice ORDER BY number LIMIT 1")).one()
        line = connection.execute(text("SELECT MIN(id) FROM invoice_line WHERE invoice_id = :i"), {"i": invoice_id}).scalar()
    return number, invoice_id, line


def _rewritten(columns: list[str], changes: dict[str, str]) -> str:
    return ", ".join(changes.get(c, c) for c in columns)


# --- SQLite REPLACE, upserts ---------------------------------------------------------

def _replace_payloads(engine) -> list[str]:
    number, invoice_id, line_id = _an_invoice(engine)
    inv, lines, audit = (_columns(engine, t) for t in IMMUTABLE)
    no_id = [c for c in inv if c != "id"]
    line_no_id = [c for c in lines if c != "id"]
    zero, nobody = "'0.00'", "'someone else'"
    one = f"FROM invoice WHERE number = '{number}'"
    return [
        # the same id: the row is deleted and written again, with a total of zero
        f"REPLACE INTO invoice ({', '.join(inv)}) SELECT {_rewritten(inv, {'total': zero})} {one}",
        # a new id, the same number (and agency and cycle)
        f"INSERT OR REPLACE INTO invoice ({', '.join(no_id)}) SELECT {_rewritten(no_id, {'total': zero})} {one}",
        # a new id and number, the same agency and cycle
        f"INSERT OR REPLACE INTO invoice ({', '.join(no_id)}) "
        f"SELECT {_rewritten(no_id, {'number': repr('INV-1999-01-9999'), 'total': zero})} {one}",
        f"REPLACE INTO invoice_line ({', '.join(lines)}) SELECT {_rewritten(lines, {'amount': zero})} "
        f"FROM invoice_line WHERE id = {line_id}",
        # a new id, the same (invoice, position)
        f"INSERT OR REPLACE INTO invoice_line ({', '.join(line_no_id)}) "
        f"SELECT {_rewritten(line_no_id, {'description': repr('nothing to see')})} FROM invoice_line WHERE id = {line_id}",
        f"REPLACE INTO audit_event ({', '.join(audit)}) SELECT {_rewritten(audit, {'actor': nobody})} "
        "FROM audit_event WHERE id = (SELECT MIN(id) FROM audit_event)",
        f"INSERT OR REPLACE INTO audit_event ({', '.join(audit)}) SELECT {_rewritten(audit, {'details': repr('{}')})} "
        "FROM audit_event",
        "UPDATE OR REPLACE invoice SET total = '0.00'",
        "UPDATE OR REPLACE invoice_line SET position = 1",
        "UPDATE OR REPLACE audit_event SET id = id + 1000000",
    ]


def _upsert_payloads(engine) -> list[str]:
    """INSERT … ON CONFLICT DO UPDATE: the same on both databases."""
    number, _, line_id = _an_invoice(engine)
    inv, lines, audit = (_columns(engine, t) for t in IMMUTABLE)
    return [
        f"INSERT INTO invoice ({', '.join(inv)}) SELECT {', '.join(inv)} FROM invoice WHERE number = '{number}' "
        "ON CONFLICT (number) DO UPDATE SET total = 0",
        f"INSERT INTO invoice_line ({', '.join(lines)}) SELECT {', '.join(lines)} FROM invoice_line WHERE id = {line_id} "
        "ON CONFLICT (invoice_id, position) DO UPDATE SET amount = 0",
        f"INSERT INTO audit_event ({', '.join(audit)}) SELECT {', '.join(audit)} FROM audit_event WHERE id > 0 "
        "ON CONFLICT (id) DO UPDATE SET actor = 'someone else'",
    ]


def test_replace_into_an_issued_invoice_its_lines_or_the_audit_log_is_refused_and_changes_nothing(sqlite_url, tmp_path,
                                                                                                  sqlite_template):
    copy = tmp_path / "replace.db"
    shutil.copyfile(sqlite_template, copy)
    engine = get_engine(f"sqlite:///{copy}")
    before = _dump(engine)
    payloads = _replace_payloads(engine)
    for payload in payloads:
        _refused(engine, payload)
        assert _dump(engine) == before, payload
    # The same on a bare connection that set none of the app's pragmas (recursive_triggers off).
    dispose_engines()
    bare = sqlite3.connect(copy)
    try:
        assert bare.execute("PRAGMA recursive_triggers").fetchone() == (0,)
        for payload in payloads:
            with pytest.raises(sqlite3.IntegrityError, match="immutable"):
                with bare:
                    bare.execute(payload)
    finally:
        bare.close()
    assert _dump(get_engine(f"sqlite:///{copy}")) == before
    dispose_engines()


def test_the_app_turns_recursive_triggers_on_so_replace_fires_the_delete_trigger_too(tmp_path, sqlite_template):
    """Belt and braces: with the insert triggers gone, the app's connections
    still refuse a REPLACE, because it fires the BEFORE DELETE trigger."""
    copy = tmp_path / "recursive.db"
    shutil.copyfile(sqlite_template, copy)
    engine = get_engine(f"sqlite:///{copy}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA recursive_triggers").scalar() == 1
    with engine.begin() as connection:
        for table in IMMUTABLE:
            connection.exec_driver_sql(f"DROP TRIGGER {table}_no_replace")
    before = _dump(engine)
    for payload in _replace_payloads(engine)[:7]:
        message = _refused(engine, payload)
        assert "REPLACE refused" not in message  # the delete trigger said no
    assert _dump(engine) == before
    dispose_engines()


def test_upserts_over_issued_invoices_and_the_audit_log_are_refused_and_change_nothing(seeded):
    before = _dump(seeded)
    for payload in _upsert_payloads(seeded):
        _refused(seeded, payload)
        assert _dump(seeded) == before, payload


def test_the_first_issue_after_the_migration_still_inserts_and_a_racing_duplicate_is_refused(seeded):
    """The insert triggers refuse only a row already stored: issuing works, and
    the same invoice again is refused like the unique constraint would."""
    result = issue_cycle(NOVEMBER, actor="test", today=TODAY, sessions=sessions_for(seeded))
    assert result.issued
    before = _dump(seeded)
    inv = [c for c in _columns(seeded, "invoice") if c != "id"]
    number = result.issued[0][1]
    with pytest.raises(SQLAlchemyError):
        with seeded.begin() as connection:
            connection.exec_driver_sql(f"INSERT INTO invoice ({', '.join(inv)}) SELECT {', '.join(inv)} FROM invoice "
                                       f"WHERE number = '{number}'")
    assert _dump(seeded) == before


# --- PostgreSQL TRUNCATE ------------------------------------------------------------------

TRUNCATES = ["TRUNCATE invoice CASCADE", "TRUNCATE invoice_line", "TRUNCATE audit_event", "TRUNCATE TABLE ONLY audit_event",
             "TRUNCATE agency CASCADE", "TRUNCATE invoice, invoice_line, audit_event RESTART IDENTITY",
             "TRUNCATE payment, audit_event"]


@pytest.mark.postgres
@pytest.mark.parametrize("seeded_url", ["postgresql"], indirect=True)  # SQLite has no TRUNCATE (DELETE: 0002)
def test_truncate_is_refused_even_for_the_owner_and_changes_nothing(seeded_url):
    engine = get_engine(seeded_url)
    before = _dump(engine)
    with engine.connect() as connection:
        payments = connection.execute(select(func.count()).select_from(Payment)).scalar()
    for statement in TRUNCATES:
        message = _refused(engine, statement)
        assert "rows are immutable" in message, message
        assert _dump(engine) == before, statement
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Payment)).scalar() == payments
    dispose_engines()


# --- the migration ----------------------------------------------------------------------

def test_migration_0005_goes_down_and_up_again(database_url):
    from alembic import command

    from db.migrate import alembic_config, upgrade_to_head

    engine = get_engine(database_url)
    inspect_triggers = ("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal" if _dialect(engine) == "postgresql"
                        else "SELECT name FROM sqlite_master WHERE type = 'trigger'")
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    with engine.connect() as connection:
        triggers = set(connection.exec_driver_sql(inspect_triggers).scalars())
        assert "snapshot_hash" not in _columns(engine, "invoice")
    assert not {t for t in triggers if t.endswith(("_no_truncate", "_no_replace"))}
    assert {"invoice_immutable", "invoice_no_update"} & triggers  # 0002's stay
    upgrade_to_head(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0005"
        assert "snapshot_hash" in _columns(engine, "invoice")
    dispose_engines()
