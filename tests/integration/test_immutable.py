"""Issued invoices and the audit log are immutable (issue #16, class 3): every
test here really tries the attack, through the app's own engine (and on
SQLite also through a bare connection), and proves it is refused with a clear
message and that nothing changed — on SQLite and PostgreSQL where it applies.

- SQLite ``REPLACE INTO`` / ``INSERT OR REPLACE`` (which deletes the row it
  conflicts with without firing delete triggers), upserts, ``UPDATE OR
  REPLACE``; PostgreSQL ``TRUNCATE`` (also ``CASCADE`` from ``agency``);
- the content hash: a row changed behind the triggers' back (a column the
  ledger reads, one a page reads, the snapshot, a downgrade to the old hash)
  stops statuses, ``manage.py status``, previews and issuing with an error
  naming the invoice, also in a process that had verified it before; and
  invoices hashed the old way (v1) still verify;
- a PostgreSQL runtime role that owns nothing (SECURITY.md): no TRUNCATE,
  DISABLE TRIGGER, UPDATE or DELETE, while recording a payment, importing
  calls and issuing a cycle still work.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from pg import _connect_kwargs, drop_database, with_database
from seeded import seed_postgres_template, seed_sqlite_template, seeded_copy
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from billing import Cycle, Status
from db.engine import dispose_engines, get_engine, session_scope
from db.errors import BillingError, InvoiceIntegrityError
from db.invoice_hash import header_hash, header_of, snapshot_digest, v1_content_hash
from db.ledger import agency_statuses
from db.models import Agency, AuditEvent, Invoice, Payment
from db.roles import grant_statements
from services.access import Role, Viewer
from services.demo import SeedOptions, seed_demo
from services.issuing import issue_cycle
from services.previews import invoice_preview_in, previews_in
from services.review import approve_for_seed
from services.unit_of_work import sessions_for

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 25)
OCTOBER, NOVEMBER = Cycle.parse("2026-10"), Cycle.parse("2026-11")
SMALL = SeedOptions(agencies=8, months=6, seed=7, today=TODAY, min_users=5, max_users=40)
IMMUTABLE = ("invoice", "invoice_line", "audit_event")


# --- databases -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory) -> Path:
    return seed_sqlite_template(tmp_path_factory.mktemp("immutable") / "template.db", SMALL, approve=[NOVEMBER])


@pytest.fixture(scope="module")
def postgres_template(postgres_url) -> str:
    yield seed_postgres_template(postgres_url, "immutable_template", SMALL, approve=[NOVEMBER])
    drop_database(postgres_url, "immutable_template")


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)])
def seeded_url(request, tmp_path) -> str:
    return seeded_copy(request, tmp_path, "immutable")


@pytest.fixture
def seeded(seeded_url):
    from db.invoice_hash import forget_verified

    forget_verified()
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
    with pytest.raises(SQLAlchemyError) as refused, engine.begin() as connection:
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
    number, _, line_id = _an_invoice(engine)
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
            with pytest.raises(sqlite3.IntegrityError, match="immutable"), bare:
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
    with pytest.raises(SQLAlchemyError), seeded.begin() as connection:
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
    from alembic.script import ScriptDirectory

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
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()  # 0005 or a later revision
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head
        assert "snapshot_hash" in _columns(engine, "invoice")
    dispose_engines()


# --- the content hash --------------------------------------------------------------------

def _bypass(engine, *statements: str, params: dict | None = None) -> None:
    """Change invoice rows behind the triggers' back, as only the owner (or
    someone with the SQLite file) can, then put the triggers back."""
    with engine.begin() as connection:
        if _dialect(engine) == "postgresql":
            connection.exec_driver_sql("ALTER TABLE invoice DISABLE TRIGGER USER")
            for statement in statements:
                connection.execute(text(statement), params or {})
            connection.exec_driver_sql("ALTER TABLE invoice ENABLE TRIGGER USER")
        else:
            triggers = connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'invoice'").all()
            for trigger, _ in triggers:
                connection.exec_driver_sql(f"DROP TRIGGER {trigger}")
            for statement in statements:
                connection.execute(text(statement), params or {})
            for _, sql in triggers:
                connection.exec_driver_sql(sql)


def _restricted_invoice(engine) -> tuple[str, str, Invoice]:
    """(agency, number, row) of the oldest open invoice of a restricted agency."""
    with session_scope(engine) as session:
        restricted = [s for s in agency_statuses(session, TODAY) if s.status is Status.RESTRICTED]
        assert restricted, "the seed plans restricted agencies"
        status = restricted[0]
        row = session.scalars(select(Invoice).where(Invoice.number == status.oldest_open_invoice)).one()
        return status.agency_id, row.number, row


def test_every_new_invoice_carries_a_v2_hash_of_every_column_and_its_snapshot(seeded):
    with session_scope(seeded) as session:
        rows = list(session.scalars(select(Invoice)))
    assert rows
    for row in rows:
        assert row.snapshot_hash == snapshot_digest(row.snapshot)
        assert row.content_hash == header_hash(header_of(row))
        assert row.content_hash != v1_content_hash(row.number, row.snapshot)


def _tamperings(engine) -> dict[str, tuple[str, dict, bool]]:
    """name -> (statement, parameters, whether it changes a column statuses read)."""
    _, number, row = _restricted_invoice(engine)
    with session_scope(engine) as session:
        other = session.scalar(select(Agency.id).where(Agency.id.not_in(  # an agency without an invoice that cycle
            select(Invoice.agency_id).where(Invoice.cycle == row.cycle))).limit(1))
        assert other is not None
    where = f"WHERE number = '{number}'"
    return {
        "total": (f"UPDATE invoice SET total = :v {where}", {"v": "0.00"}, True),  # the restricted agency "paid up"
        "due_date": (f"UPDATE invoice SET due_date = :v {where}",
                     {"v": (row.due_date + timedelta(days=90)).isoformat()}, True),
        "invoice_date": (f"UPDATE invoice SET invoice_date = :v {where}", {"v": TODAY.isoformat()}, True),
        "agency_id": (f"UPDATE invoice SET agency_id = :v {where}", {"v": other}, True),
        "number": (f"UPDATE invoice SET number = :v {where}", {"v": number[:-4] + "9999"}, True),
        "v1_downgrade_total": (f"UPDATE invoice SET snapshot_hash = NULL, content_hash = :h, total = '0.00' {where}",
                               {"h": v1_content_hash(number, row.snapshot)}, True),
        "issued_by": (f"UPDATE invoice SET issued_by = :v {where}", {"v": "someone else"}, False),
        "restriction_date": (f"UPDATE invoice SET restriction_date = :v {where}", {"v": "2030-01-01"}, False),
        "minutes_used": (f"UPDATE invoice SET minutes_used = minutes_used + 1 {where}", {}, False),
        "snapshot_hash_null": (f"UPDATE invoice SET snapshot_hash = NULL {where}", {}, False),
    }


TAMPERINGS = ["total", "due_date", "invoice_date", "agency_id", "number", "v1_downgrade_total", "issued_by",
              "restriction_date", "minutes_used", "snapshot_hash_null"]


@pytest.mark.parametrize("name", TAMPERINGS)
def test_a_column_changed_behind_the_triggers_back_stops_statuses_naming_the_invoice(seeded, name, capsys,
                                                                                    monkeypatch):
    from db.invoice_hash import forget_verified

    _, number, row = _restricted_invoice(seeded)  # statuses computed once: this process verified the row
    statement, params, read_by_statuses = _tamperings(seeded)[name]
    stored_as = number[:-4] + "9999" if name == "number" else number
    _bypass(seeded, statement, params=params)
    with session_scope(seeded) as session:
        if read_by_statuses:  # this process had verified the row: the changed columns are caught all the same
            with pytest.raises(InvoiceIntegrityError, match=stored_as):
                agency_statuses(session, TODAY)
        else:  # the columns statuses read were verified and did not change, so statuses stand...
            assert agency_statuses(session, TODAY)
        # ...but the frozen invoice itself is refused wherever it is used (a page, a PDF, the next cycle).
        # (Moved to an agency not invoiced in that cycle, it is not read there: statuses catch it.)
        if name != "agency_id":
            with pytest.raises(InvoiceIntegrityError, match=stored_as):
                previews_in(session, Cycle.parse(row.cycle))
    forget_verified()
    for _ in range(2):  # a process that had not seen it: every column checked; and again, the others now verified
        with session_scope(seeded) as session, pytest.raises(InvoiceIntegrityError) as refused:
            agency_statuses(session, TODAY)
    message = str(refused.value)
    assert refused.value.numbers == [stored_as]
    assert message.startswith(f"Issued invoice {stored_as} (") and "does not match its content hash" in message
    assert "changed outside the app" in message
    if name in ("total", "v1_downgrade_total"):
        assert f"total is 0.00 in the table but {row.total} in the frozen invoice" in message
    if name == "due_date":
        assert f"but {row.due_date.isoformat()} in the frozen invoice" in message

    import manage

    monkeypatch.setattr("services.logs.configure", lambda: None)  # keep pytest's log capture
    monkeypatch.setenv("DATABASE_URL", seeded.url.render_as_string(hide_password=False))
    assert manage.main(["status", "--as-of", TODAY.isoformat()]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert f"error: Issued invoice {stored_as} (" in err and "does not match its content hash" in err


def test_manage_py_status_in_its_own_process_refuses_a_changed_invoice(seeded):
    import os
    import subprocess
    import sys

    _, number, _ = _restricted_invoice(seeded)
    _bypass(seeded, f"UPDATE invoice SET total = '0.00' WHERE number = '{number}'")
    env = {**os.environ, "DATABASE_URL": seeded.url.render_as_string(hide_password=False), "BILLING_AUTO_SEED": "0"}
    done = subprocess.run([sys.executable, "manage.py", "status", "--as-of", TODAY.isoformat()], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].startswith(f"error: Issued invoice {number} (")
    assert "total is 0.00 in the table" in errors[0]


@pytest.mark.parametrize("change", ["snapshot", "issued_at"])
def test_a_changed_frozen_invoice_is_never_shown_printed_or_carried_into_the_next_cycle(seeded, change):
    with session_scope(seeded) as session:
        number, agency_id, snapshot = session.execute(
            select(Invoice.number, Invoice.agency_id, Invoice.snapshot).where(Invoice.cycle == "2026-10")
            .order_by(Invoice.number).limit(1)).one()
    document = json.loads(snapshot)
    if change == "snapshot":
        document["total"] = "0.00"
        statement, params = f"UPDATE invoice SET snapshot = :v WHERE number = '{number}'", {"v": json.dumps(document)}
    else:
        statement, params = f"UPDATE invoice SET issued_at = issued_at - INTERVAL '1 day' WHERE number = '{number}'", {}
        if _dialect(seeded) == "sqlite":
            statement = f"UPDATE invoice SET issued_at = datetime(issued_at, '-1 day') WHERE number = '{number}'"
    before = _dump(seeded)
    _bypass(seeded, statement, params=params)
    assert _dump(seeded) != before
    sessions = sessions_for(seeded)
    with session_scope(seeded) as session:
        for attempt in (lambda: previews_in(session, OCTOBER), lambda: invoice_preview_in(session, agency_id, OCTOBER),
                        lambda: invoice_preview_in(session, agency_id, NOVEMBER)):  # November carries October's bank
            with pytest.raises(InvoiceIntegrityError, match=number):
                attempt()
    with session_scope(seeded) as session:
        invoices_before = session.scalar(select(func.count()).select_from(Invoice))
    with pytest.raises(InvoiceIntegrityError, match=number):
        issue_cycle(NOVEMBER, actor="test", today=TODAY, sessions=sessions)
    with session_scope(seeded) as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == invoices_before
        if change == "snapshot":  # the ledger reads no snapshot: statuses still stand on verified columns
            assert agency_statuses(session, TODAY)
        else:
            with pytest.raises(InvoiceIntegrityError, match=number):
                agency_statuses(session, TODAY)


def test_invoices_hashed_before_v2_still_verify_and_a_change_to_one_is_still_caught(seeded):
    """An invoice issued before migration 0005 keeps its v1 hash (number and
    snapshot); its columns are checked against its own snapshot."""
    with session_scope(seeded) as session:
        statuses_before = agency_statuses(session, TODAY)
        rows = session.execute(select(Invoice.number, Invoice.snapshot)).all()
    _bypass(seeded, *[f"UPDATE invoice SET snapshot_hash = NULL, content_hash = '{v1_content_hash(n, s)}' "
                      f"WHERE number = '{n}'" for n, s in rows])
    from db.invoice_hash import forget_verified

    forget_verified()  # a process starting on a database of v1 invoices
    with session_scope(seeded) as session:
        assert agency_statuses(session, TODAY) == statuses_before
        assert previews_in(session, OCTOBER).previews
        assert session.scalar(select(func.count()).select_from(Invoice).where(Invoice.snapshot_hash.is_(None))) == len(rows)
    _, number, row = _restricted_invoice(seeded)
    _bypass(seeded, f"UPDATE invoice SET due_date = '2027-12-31' WHERE number = '{number}'")
    with session_scope(seeded) as session, pytest.raises(
            InvoiceIntegrityError, match=f"{number}.*due date is 2027-12-31 in the table but {row.due_date.isoformat()} in the frozen invoice"):
        agency_statuses(session, TODAY)
    document = json.loads(row.snapshot)
    document["minute_bank"]["closing_balance"] += 100_000
    _bypass(seeded, f"UPDATE invoice SET due_date = :d, snapshot = :s WHERE number = '{number}'",
            params={"d": row.due_date.isoformat(), "s": json.dumps(document)})
    with session_scope(seeded) as session:
        assert agency_statuses(session, TODAY) == statuses_before  # its ledger columns are as verified...
        with pytest.raises(InvoiceIntegrityError, match=f"{number}.*closing balance is .* in the table but "
                                                        f"{document['minute_bank']['closing_balance']} in the frozen"):
            previews_in(session, Cycle.parse(row.cycle))  # ...but its snapshot no longer matches its v1 hash


def test_statuses_verify_each_invoice_once_per_process(seeded):
    """The first time, every invoice row is read in full and checked; after
    that statuses read only the ledger's columns and look them up."""
    from sqlalchemy import event

    from db.invoice_hash import forget_verified

    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    forget_verified()
    event.listen(seeded, "before_cursor_execute", record)
    try:
        with session_scope(seeded) as session:
            first = agency_statuses(session, TODAY)
        assert any("issued_by" in s for s in statements)  # the full header, once
        statements.clear()
        with session_scope(seeded) as session:
            assert agency_statuses(session, TODAY) == first
        assert statements and not any("issued_by" in s or "snapshot" in s for s in statements), statements
    finally:
        event.remove(seeded, "before_cursor_execute", record)


# --- PostgreSQL roles ---------------------------------------------------------------------

def _as(url: str, role: str) -> str:
    return make_url(url).set(username=role).render_as_string(hide_password=False)


def _admin(url: str, *statements: str) -> None:
    with psycopg.connect(**_connect_kwargs(url), autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


RUNTIME_ATTACKS = [
    ("TRUNCATE invoice", "permission denied"), ("TRUNCATE invoice_line", "permission denied"),
    ("TRUNCATE audit_event", "permission denied"), ("TRUNCATE agency CASCADE", "permission denied"),
    ("ALTER TABLE invoice DISABLE TRIGGER invoice_immutable", "must be owner"),
    ("ALTER TABLE audit_event DISABLE TRIGGER ALL", "must be owner"),
    ("ALTER TABLE invoice_line DISABLE TRIGGER USER", "must be owner"),
    ("DROP TRIGGER audit_event_immutable ON audit_event", "must be owner"),
    ("DROP TABLE audit_event", "must be owner"),
    ("ALTER TABLE invoice OWNER TO CURRENT_USER", "must be owner"),
    ("UPDATE invoice SET total = 0", "permission denied"),
    ("UPDATE audit_event SET actor = 'someone else'", "permission denied"),
    ("DELETE FROM invoice_line", "permission denied"),
    ("DELETE FROM audit_event", "permission denied"),
    ("DELETE FROM invoice", "permission denied"),
    ("SET session_replication_role = replica", "permission denied"),
    ("CREATE TABLE mine (id int)", "permission denied"),
]
ROLES_SEED = SeedOptions(agencies=3, months=4, seed=5, today=TODAY, min_users=4, max_users=12)


@pytest.mark.postgres
def test_a_runtime_role_can_neither_truncate_disable_triggers_update_nor_delete_but_the_app_works(postgres_url, tmp_path,
                                                                                                  monkeypatch):
    """SECURITY.md, "PostgreSQL roles", step by step on the throwaway server
    (where the tests run as the superuser ``postgres``)."""
    suffix = uuid.uuid4().hex[:8]
    owner, runtime, name = f"billing_owner_{suffix}", f"billing_app_{suffix}", f"roles_{suffix}"
    admin = with_database(postgres_url, "postgres")
    _admin(admin, f"CREATE ROLE {owner} LOGIN", f"CREATE ROLE {runtime} LOGIN", f"CREATE DATABASE {name} OWNER {owner}")
    try:
        url = with_database(postgres_url, name)
        _admin(url, "REVOKE CREATE ON SCHEMA public FROM PUBLIC", f"REVOKE ALL ON DATABASE {name} FROM PUBLIC",
               f"GRANT CONNECT ON DATABASE {name} TO {runtime}")
        owner_url, runtime_url = _as(url, owner), _as(url, runtime)
        seed_demo(ROLES_SEED, sessions=sessions_for(get_engine(owner_url)))  # the owner migrates (and seeds the demo)
        with psycopg.connect(**_connect_kwargs(owner_url), autocommit=True) as connection:
            connection.execute(grant_statements(runtime))  # as the operator would: manage.py grants ROLE | psql

        engine = get_engine(runtime_url)  # migrates (a no-op at head) as the runtime role
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT current_user").scalar() == runtime
        before = _dump(engine)
        for statement, expected in RUNTIME_ATTACKS:
            _refused(engine, statement, expected)
            assert _dump(engine) == before, statement
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM pg_tables WHERE tablename = 'mine'").scalar() == 0

        # What the app does every day still works as the runtime role.
        from services.payments import record_payment

        monkeypatch.setenv("BILLING_TODAY", TODAY.isoformat())
        sessions = sessions_for(engine)
        paid = record_payment(Viewer("finance@test.example", "Finance", Role.FINANCE), agency_id="A-1001",
                              amount="125.00", paid_on=TODAY, reference=f"ACH-{suffix}", sessions=sessions)
        assert paid.created
        from db.imports.command import import_file

        calls = tmp_path / "calls.csv"
        with session_scope(engine) as session:
            user = session.execute(text("SELECT user_id FROM dialer_user WHERE agency_id = 'A-1001' LIMIT 1")).scalar()
        calls.write_text("call_id,agency_id,user_id,started_at,duration_seconds,transcribed_seconds\n"
                         f"R-1,A-1001,{user},2026-11-20T15:00:00Z,600,0\n")
        with psycopg.connect(**_connect_kwargs(owner_url), autocommit=True) as connection:
            connection.execute(f"REVOKE TEMPORARY ON DATABASE {name} FROM {runtime}")  # as set up before 0012's import
        with pytest.raises(BillingError, match=r"may not create temporary tables.*manage.py grants ROLE"):
            import_file("calls", calls, actor="test", engine=engine)
        with psycopg.connect(**_connect_kwargs(owner_url), autocommit=True) as connection:
            connection.execute(grant_statements(runtime))
        assert import_file("calls", calls, actor="test", engine=engine)["inserted"] == 1
        approve_for_seed(NOVEMBER, actor="test", note="the runtime role approves too", sessions=sessions)
        issued = issue_cycle(NOVEMBER, actor="test", today=TODAY, sessions=sessions)
        assert issued.issued
        with session_scope(engine) as session:
            statuses = agency_statuses(session, TODAY)
            assert statuses and session.scalar(select(func.count()).select_from(Invoice).where(Invoice.cycle == "2026-11"))
            assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "issue_cycle"))

        # Even the owner cannot TRUNCATE (the trigger); it could disable triggers, which is why the app never runs as it.
        owner_engine = get_engine(owner_url)
        _refused(owner_engine, "TRUNCATE audit_event", "rows are immutable")
    finally:
        dispose_engines()
        drop_database(postgres_url, name)
        _admin(admin, f"DROP ROLE IF EXISTS {runtime}", f"DROP ROLE IF EXISTS {owner}")


def test_security_md_shows_the_grants_manage_py_prints(capsys, monkeypatch):
    import manage

    monkeypatch.setattr("services.logs.configure", lambda: None)
    assert manage.main(["grants", "billing_app"]) == 0
    printed = capsys.readouterr().out
    assert printed == grant_statements("billing_app")
    assert printed.strip() in (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    assert manage.main(["grants", "app; DROP TABLE invoice"]) == 1
    assert "ROLE" in capsys.readouterr().err
