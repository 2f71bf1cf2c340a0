"""Values as the driver returns them, parsed once, for the reads of many rows.

SQLAlchemy's result processing (the ORM's, or a column type's) costs a few
microseconds per value: at 5,000 agencies the ledger alone is 120,000 rows,
and the type chain of a time-zone-aware timestamp was most of reading it. The
reads of many rows therefore select plain text (:func:`rows_of`) and parse
here. The two drivers differ: SQLite returns dates, decimals and timestamps
as the text SQLAlchemy stored, psycopg returns ``date``, ``Decimal`` and
aware ``datetime`` values. Every parser takes either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection, Row
from sqlmodel import Session


def as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def as_optional_date(value: date | str | None) -> date | None:
    return None if value is None else as_date(value)


def as_money(value: Decimal | str) -> Decimal:
    """A stored ``ExactDecimal``: the exact text on SQLite, ``NUMERIC`` on PostgreSQL."""
    return value if isinstance(value, Decimal) else Decimal(value)


def as_instant(value: datetime | str) -> datetime:
    """A stored timestamp as an aware UTC instant (SQLite keeps UTC without an offset)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.utcoffset() is None else moment.astimezone(UTC)


def rows_of(
    session: Session | Connection,
    statement: str,
    params: Mapping[str, object] | None = None,
    *,
    agency_ids: Sequence[str] | None = None,
    order_by: str = "",
) -> Sequence[Row[Any]]:
    """Every row of ``statement`` (a ``SELECT … FROM …`` without ``WHERE``),
    of the given agencies only when ``agency_ids`` is not None (the table's
    ``agency_id`` column), ordered by ``order_by`` when given."""
    values = dict(params or {})
    if agency_ids is not None:
        statement += " WHERE agency_id IN :agency_ids"
        values["agency_ids"] = list(agency_ids)
    if order_by:
        statement += f" ORDER BY {order_by}"
    query = text(statement)
    if agency_ids is not None:
        query = query.bindparams(bindparam("agency_ids", expanding=True))
    return session.execute(query, values).all()
