"""``calls.csv``: the big one (a million rows a month is normal).

The hot path is kept lean: a row that is obviously fine costs a few dict
look-ups, one timestamp parse and two ``int()``; only a row that fails the
fast path goes through the cell-by-cell reader that explains what is wrong.

Writing bypasses the ORM: rows go to the database in bulk — ``COPY`` on
PostgreSQL, the driver's ``executemany`` on SQLite, in the exact text the
columns' SQLAlchemy types would store (checked on every chunk) — and the
``call_day`` rollup and ``dialer_user.last_call_on`` are kept in step in the
same transaction by :func:`db.calls.add_to_rollup` and
:func:`db.calls.advance_last_call`, the code :func:`db.calls.add_calls` uses.
(``add_calls`` itself goes through SQLAlchemy's executemany: about 40k rows/s
on PostgreSQL and 70k on SQLite here for the inserts alone, too slow for a
million rows in half a minute once the file is also read twice.)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from billing.usage import billable_minutes

from ..calls import DayTotals, add_to_rollup, advance_last_call
from ..models import Call, DialerUser
from . import cells as cell
from .base import Importer, stored_rows
from .source import Column

CALL_COLUMNS = ("call_id", "agency_id", "user_id", "started_at", "started_on", "duration_seconds",
                "transcribed_seconds")
# A record: (call_id, agency_id, user_id, started_at (UTC), started_on, duration_seconds, transcribed_seconds)
Record = tuple[str, str, str, Any, date, int, int]


class CallsImporter(Importer):
    kind = "calls"
    noun = "calls"
    key_columns = ("call_id",)
    columns = (
        Column("call_id"), Column("agency_id"), Column("user_id"), Column("started_at"),
        Column("duration_seconds"), Column("transcribed_seconds"),
    )
    chunk_size = 50_000

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.users = {(a, u) for a, u in self.session.execute(select(DialerUser.agency_id, DialerUser.user_id))}
        self.any_stored = self.session.scalar(select(Call.id).limit(1)) is not None
        self.parse_timestamp = ctx.timestamps.parse
        self.fast_timestamp = ctx.timestamps.parse_fast

    def key(self, record: Record) -> str:
        return record[0]

    def parse(self, row: int, values: list[str]) -> Record | None:
        call_id, agency_id, user_id, started_at, duration, transcribed = values
        if (
            0 < len(call_id) <= 80
            and (agency_id, user_id) in self.users
            and duration.isdigit() and transcribed.isdigit()
            and len(duration) < 10 and len(transcribed) < 10
            and duration.isascii() and transcribed.isascii()
        ):
            stamp = self.fast_timestamp(started_at)
            if stamp is not None:
                return (call_id, agency_id, user_id, stamp[0], stamp[1], int(duration), int(transcribed))
        return self._explain(row, values)

    def _explain(self, row: int, values: list[str]) -> Record | None:
        cells = self.cells(row, values)
        call_id = cells.get("call_id", cell.text, 80)
        agency_id = cells.get("agency_id", cell.text, 40)
        user_id = cells.get("user_id", cell.text, 80)
        if self.known_agency(cells, agency_id) and user_id is not None and (agency_id, user_id) not in self.users:
            cells.fail("user_id", f"unknown user {user_id!r} of agency {agency_id}: import users.csv first")
        stamp = cells.get("started_at", self.parse_timestamp)
        duration = cells.get("duration_seconds", cell.whole)
        transcribed = cells.get("transcribed_seconds", cell.whole)
        if not cells.ok:
            return None
        return (call_id, agency_id, user_id, stamp[0], stamp[1], duration, transcribed)

    def check(self, chunk: list[tuple[int, Record]]) -> None:
        seen = self.seen
        fresh = []
        for row, record in chunk:
            earlier = seen.get(record[0])
            if earlier is not None:
                self.problems.add(row, "call_id", f"duplicate key {record[0]!r}: already on row {earlier:,}")
                continue
            seen[record[0]] = row
            fresh.append((row, record))
        stored = {}
        if self.any_stored:
            stored = {
                r.call_id: r for r in stored_rows(
                    self.session,
                    [Call.call_id, Call.agency_id, Call.user_id, Call.started_at, Call.duration_seconds,
                     Call.transcribed_seconds],
                    Call.call_id, [record[0] for _, record in fresh],
                )
            }
        issued = self.ctx.issued
        last_cutoff = issued.last_cutoff
        late: Counter[tuple[str, str]] = Counter()
        for row, record in fresh:
            found = stored.get(record[0])
            if found is None:
                self.new_rows += 1
                if last_cutoff and record[4] <= last_cutoff.get(record[1], date.min):
                    cycle = issued.cycle_of(record[1], record[4])
                    if cycle:
                        late[(record[1], cycle)] += 1
                continue
            if tuple(found[1:]) == (record[1], record[2], record[3], record[5], record[6]):
                self.unchanged.add(record[0])
                continue
            given = {"agency_id": record[1], "user_id": record[2], "started_at": record[3],
                     "duration_seconds": record[5], "transcribed_seconds": record[6]}
            if not self.differs(row, f"call_id {record[0]!r}", found._asdict(), given):
                self.unchanged.add(record[0])
        for (agency_id, cycle), count in late.items():
            self.ctx.warnings.note(agency_id, cycle, self.noun, count)

    def write(self, records: list[Record]) -> None:
        insert_calls(self.session, records)


def insert_calls(session: Session, records: list[Record]) -> None:
    """Insert new calls in bulk and keep the rollup and ``last_call_on`` in step."""
    if not records:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _copy_calls(connection, records)
    else:
        _executemany_calls(connection, records)

    totals: dict[tuple[str, date], DayTotals] = defaultdict(DayTotals)
    last_calls: dict[tuple[str, str], date] = {}
    for _call_id, agency_id, user_id, _at, day, duration, transcribed in records:
        sums = totals[(agency_id, day)]
        sums.calls += 1
        sums.billable_minutes += billable_minutes(duration)
        sums.transcribed_seconds += transcribed
        latest = last_calls.get((agency_id, user_id))
        if latest is None or latest < day:
            last_calls[(agency_id, user_id)] = day
    add_to_rollup(session, totals)
    advance_last_call(session, last_calls)


def _copy_calls(connection: Any, records: list[Record]) -> None:
    raw = connection.connection.dbapi_connection  # psycopg 3, inside the session's transaction
    with raw.cursor() as cursor, cursor.copy(f"COPY call ({', '.join(CALL_COLUMNS)}) FROM STDIN") as copy:
        write_row = copy.write_row
        for record in records:
            write_row(record)


def _processor(connection: Any, column: str) -> Any:
    dialect = connection.dialect
    return Call.__table__.c[column].type.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)


def _utc_text(moment: datetime) -> str:
    """A UTC instant as SQLAlchemy's SQLite ``DATETIME`` stores it:
    ``2026-11-24 13:05:00.000000`` (checked against the type at first use)."""
    return moment.isoformat(" ", "microseconds")[:26]


def _executemany_calls(connection: Any, records: list[Record]) -> None:
    at = _processor(connection, "started_at")
    on = _processor(connection, "started_on")
    sample = records[0]
    if at(sample[3]) == _utc_text(sample[3]) and on(sample[4]) == sample[4].isoformat():
        rows = [(c, a, u, t.isoformat(" ", "microseconds")[:26], d.isoformat(), s, x) for c, a, u, t, d, s, x in records]
    else:  # another storage format: let the column types convert every value
        rows = [(c, a, u, at(t), on(d), s, x) for c, a, u, t, d, s, x in records]
    placeholders = ", ".join("?" for _ in CALL_COLUMNS)
    connection.exec_driver_sql(f"INSERT INTO call ({', '.join(CALL_COLUMNS)}) VALUES ({placeholders})", rows)
