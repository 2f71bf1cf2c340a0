"""The billing-facts lock: issuing a cycle and importing facts never interleave.

An issue prices the stored facts and freezes them; an import stores facts
and warns about those that fall in a cycle already issued. If they ran side
by side, an import's calls could land in a cycle issued meanwhile: missing
from the invoice, and with no warning, since the import looked up the issued
cycles before the issue committed. So both hold one lock for their whole
transaction and take it before they read anything:

- PostgreSQL: ``pg_advisory_xact_lock(BILLING_FACTS_LOCK_KEY)``, released at
  commit or rollback. Under READ COMMITTED every statement after it sees
  what the previous holder committed.
- SQLite: ``BEGIN IMMEDIATE``, the database's write lock, taken at the start
  instead of at the first write. (The driver otherwise runs the reads before
  the first write outside any transaction, so an issue could price calls
  read before an import committed and then write after it.)

Either the import commits first, and the issue prices its facts; or the
issue commits first, and the import, which reads the issued cycles only once
it holds the lock, warns about every fact that lands in them.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

BILLING_FACTS_LOCK_KEY = 7243002  # pg_advisory_xact_lock: one issuer or import at a time (was the issuers' key)


def lock_billing_facts(session: Session) -> None:
    """Hold the billing-facts lock until ``session``'s transaction ends.

    Call it first in the transaction. On SQLite a transaction that has
    already written holds the write lock, so the lock is already there.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(BILLING_FACTS_LOCK_KEY)))
    elif connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")
