"""PostgreSQL privileges for the app's runtime role (SECURITY.md, "PostgreSQL roles").

The triggers that keep issued invoices and the audit log immutable can be
disabled or dropped by the tables' owner. So the owner role only runs
migrations; the app runs as a role that owns nothing and may only SELECT and
INSERT :data:`IMMUTABLE_TABLES`, and create temporary tables (the calls
import stages its file in one). ``manage.py grants ROLE`` prints
:func:`grant_statements` for an operator to run as the owner after every
migration (a new table gets its privileges that way, never by default).
"""

from __future__ import annotations

import re

from sqlmodel import SQLModel

import db.models  # noqa: F401 - registers the tables

IMMUTABLE_TABLES = ("audit_event", "invoice", "invoice_line")
READ_ONLY_TABLES = ("alembic_version", "fact_revision")  # fact_revision: written by triggers only (0012)
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_statements(role: str) -> str:
    """The SQL that gives ``role`` exactly the app's rights, idempotent: it
    first takes back whatever the role was granted before."""
    if not ROLE_NAME.fullmatch(role):
        raise ValueError(f"a role name is lower-case letters, digits and _ (at most 63), not {role!r}")
    mutable = sorted(t for t in SQLModel.metadata.tables if t not in (*IMMUTABLE_TABLES, *READ_ONLY_TABLES))
    return "\n".join([
        f"-- The billing app's runtime role {role}: run as the owner role after every migration.",
        "BEGIN;",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role};",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role};",
        f"GRANT USAGE ON SCHEMA public TO {role};",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {', '.join(mutable)} TO {role};",
        f"GRANT SELECT, INSERT ON TABLE {', '.join(IMMUTABLE_TABLES)} TO {role};",
        f"GRANT SELECT ON TABLE {', '.join(READ_ONLY_TABLES)} TO {role};",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role};",
        # The calls import stages its file in a temporary table dropped at commit (db/imports/calls.py).
        f"DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO {role}', current_database()); END $$;",
        "COMMIT;",
    ]) + "\n"
