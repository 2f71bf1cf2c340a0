"""fact revisions: every write to an agency's facts gives it a new revision, kept by the database

A process-wide cache of previews and statuses (services/fact_cache.py) keys
each entry by the agency's revision, so an entry can only be found while
nothing it was computed from has changed. Triggers keep ``fact_revision`` in
step with every table whose rows feed an agency's preview, ledger or status,
on every connection, whatever wrote the row (the app, an import, a console):
AFTER INSERT, UPDATE and DELETE on ``agency``, ``contract``, ``dialer_user``
(its identity and name, not ``last_call_on``, which feeds nothing cached and
which every calls import advances), ``access_span``, ``call_day``,
``dialing_number``, ``appointment``, ``invoice``, ``payment`` and
``adjustment``. An UPDATE that moves a row to another agency renews both.

- ``call`` itself has no trigger: calls are read only through the
  ``call_day`` rollup, which every write of calls keeps in step in the same
  transaction (db/calls.py), so a trigger per call would cost a million
  firings per import for nothing.
- ``invoice_line`` has none either: lines are inserted with their invoice,
  in its transaction (whose trigger fires), and can never change (0002, 0005).

A revision is a random 64-bit token, not a counter. A counter can come back:
a transaction that bumped it, cached a preview under the new value and then
rolled back leaves the old value, and the next write reuses the new one for
other facts; a database reset, a restored backup or a copied template
restarts counters at values a running process has seen. A fresh random token
per write names one state of the agency's facts and never recurs by chance
(2**-60 per pair). On PostgreSQL TRUNCATE fires no row trigger, so a
statement trigger on each of those tables renews every agency's revision;
an agency without a row here (``fact_revision`` itself truncated or rows
deleted) is simply never cached until its next write.

PostgreSQL: the trigger functions are SECURITY DEFINER, owned by the owner
role that migrates, so the runtime role only reads ``fact_revision``
(db/roles.py) and cannot set a revision back.

Revision ID: 0012
Revises: 0009
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None

# table -> the column naming its agency
FACT_TABLES = {
    "agency": "id",
    "contract": "agency_id",
    "dialer_user": "agency_id",
    "access_span": "agency_id",
    "call_day": "agency_id",
    "dialing_number": "agency_id",
    "appointment": "agency_id",
    "invoice": "agency_id",
    "payment": "agency_id",
    "adjustment": "agency_id",
}
# UPDATE triggers fire only when one of these columns is SET (default: any column).
UPDATE_COLUMNS = {"dialer_user": ("agency_id", "user_id", "name", "email")}

_PG_TOKEN = """
CREATE FUNCTION fact_revision_token() RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT ('x' || translate(gen_random_uuid()::text, '-', ''))::bit(64)::bigint
$$
"""
_PG_BUMP = """
CREATE FUNCTION fact_revision_bump() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    new_agency text;
    old_agency text;
BEGIN
    -- Separate statements: a row of "agency" has no agency_id, the others no id.
    IF TG_OP <> 'DELETE' THEN
        IF TG_TABLE_NAME = 'agency' THEN new_agency := NEW.id; ELSE new_agency := NEW.agency_id; END IF;
        INSERT INTO fact_revision (agency_id, revision) VALUES (new_agency, fact_revision_token())
        ON CONFLICT (agency_id) DO UPDATE SET revision = EXCLUDED.revision;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        IF TG_TABLE_NAME = 'agency' THEN old_agency := OLD.id; ELSE old_agency := OLD.agency_id; END IF;
        IF old_agency IS DISTINCT FROM new_agency THEN
            INSERT INTO fact_revision (agency_id, revision) VALUES (old_agency, fact_revision_token())
            ON CONFLICT (agency_id) DO UPDATE SET revision = EXCLUDED.revision;
        END IF;
    END IF;
    RETURN NULL;
END;
$$
"""
_PG_RENEW_ALL = """
CREATE FUNCTION fact_revision_renew_all() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE fact_revision SET revision = fact_revision_token();
    RETURN NULL;
END;
$$
"""


def _sqlite_bump(agency: str, when: str = "") -> str:
    where = f" WHERE {when}" if when else " WHERE true"  # WHERE: SQLite's INSERT … SELECT … ON CONFLICT needs one
    return (f"INSERT INTO fact_revision (agency_id, revision) SELECT {agency}, random(){where} "
            "ON CONFLICT (agency_id) DO UPDATE SET revision = excluded.revision;")


def _sqlite_triggers(table: str, column: str) -> list[str]:
    columns = UPDATE_COLUMNS.get(table)
    update_of = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
    return [
        f"CREATE TRIGGER fact_revision_{table}_insert AFTER INSERT ON {table} "
        f"BEGIN {_sqlite_bump(f'NEW.{column}')} END",
        f"CREATE TRIGGER fact_revision_{table}_update AFTER {update_of} ON {table} "
        f"BEGIN {_sqlite_bump(f'NEW.{column}')} "
        f"{_sqlite_bump(f'OLD.{column}', f'OLD.{column} IS NOT NEW.{column}')} END",
        f"CREATE TRIGGER fact_revision_{table}_delete AFTER DELETE ON {table} "
        f"BEGIN {_sqlite_bump(f'OLD.{column}')} END",
    ]


def _pg_triggers(table: str) -> list[str]:
    columns = UPDATE_COLUMNS.get(table)
    update_of = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
    return [
        f"CREATE TRIGGER fact_revision_{table} AFTER INSERT OR {update_of} OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION fact_revision_bump()",
        f"CREATE TRIGGER fact_revision_{table}_truncate AFTER TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION fact_revision_renew_all()",
    ]


def upgrade() -> None:
    op.create_table(
        "fact_revision",
        sa.Column("agency_id", sa.String(length=40), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for function in (_PG_TOKEN, _PG_BUMP, _PG_RENEW_ALL):
            op.execute(function)
        op.execute("INSERT INTO fact_revision (agency_id, revision) SELECT id, fact_revision_token() FROM agency")
        for table in FACT_TABLES:
            for statement in _pg_triggers(table):
                op.execute(statement)
    else:
        op.execute("INSERT INTO fact_revision (agency_id, revision) SELECT id, random() FROM agency")
        for table, column in FACT_TABLES.items():
            for statement in _sqlite_triggers(table, column):
                op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in FACT_TABLES:
            op.execute(f"DROP TRIGGER fact_revision_{table}_truncate ON {table}")
            op.execute(f"DROP TRIGGER fact_revision_{table} ON {table}")
        for function in ("fact_revision_renew_all", "fact_revision_bump", "fact_revision_token"):
            op.execute(f"DROP FUNCTION {function}()")
    else:
        for table in FACT_TABLES:
            for action in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER fact_revision_{table}_{action}")
    op.drop_table("fact_revision")
