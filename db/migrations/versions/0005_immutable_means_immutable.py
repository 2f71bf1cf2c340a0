"""immutable means immutable: REPLACE and TRUNCATE refused; a content hash of the whole invoice row

0002's triggers refuse UPDATE and DELETE, but

- on SQLite ``REPLACE INTO`` / ``INSERT OR REPLACE`` deletes the row it
  conflicts with *without* firing delete triggers (unless the connection
  set ``PRAGMA recursive_triggers``, which db.engine now does), and writes
  its own: a BEFORE INSERT trigger now refuses any insert whose id or unique
  key is already stored, whatever the connection;
- on PostgreSQL TRUNCATE fires no row trigger: a statement-level BEFORE
  TRUNCATE trigger now refuses it (also ``TRUNCATE agency CASCADE``).
  Disabling the triggers takes the table's owner: run the app as a role
  that owns nothing (SECURITY.md, "PostgreSQL roles").

``invoice.snapshot_hash`` (sha256 of the snapshot) lets the v2 content hash
cover every column of the row without reading the snapshot
(db/invoice_hash.py). Rows already issued keep their v1 hash (NULL here):
an immutable row is never re-hashed. (Downgrading drops the column: code of
before 0005 would then take every invoice issued since for a v1 hash that
does not match.)

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("invoice", "invoice_line", "audit_event")
# SQLite: an insert must not meet a stored row on any of these keys (what REPLACE would delete).
STORED_KEYS = {
    "invoice": "id = NEW.id OR number = NEW.number OR (agency_id = NEW.agency_id AND cycle = NEW.cycle)",
    "invoice_line": "id = NEW.id OR (invoice_id = NEW.invoice_id AND position = NEW.position)",
    "audit_event": "id = NEW.id",
}


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: no row is rewritten, no trigger fires.
    op.add_column("invoice", sa.Column("snapshot_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()"
            )
    else:
        for table, keys in STORED_KEYS.items():
            op.execute(
                f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {keys}) "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are immutable: this row is already stored "
                f"(REPLACE refused)'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
    else:
        for table in STORED_KEYS:
            op.execute(f"DROP TRIGGER {table}_no_replace")
    # SQLite drops a column natively (3.35+); the triggers never mention it.
    op.drop_column("invoice", "snapshot_hash")
