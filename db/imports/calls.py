"""``calls.csv``: the big one (a million rows a month is normal, ten million
a month for the largest portfolios).

The file is read ONCE. Each row is parsed in Python (the hot path is lean:
a row that is obviously fine costs a few dict look-ups, one timestamp parse
and two ``int()``; only a row that fails the fast path goes through the
cell-by-cell reader that explains what is wrong) and streamed into a
temporary *staging table* — ``COPY`` on PostgreSQL, the driver's
``executemany`` on SQLite. Everything that needs the whole file is then
asked of the database in a few set-based statements, so the import's
memory does not grow with the file:

- call ids that appear twice in the file (one ``GROUP BY``);
- call ids already stored: identical rows are dropped from the staging
  table and counted as unchanged, differing ones are problems;
- the new rows' ``call_day`` sums and each user's latest call, summed per
  (agency, day) and per user by the database and written with
  :func:`db.calls.add_to_rollup` and :func:`db.calls.advance_last_call`, the
  code :func:`db.calls.add_calls` uses; each call's billable minutes come
  from :func:`billing.usage.billable_minutes`, computed while parsing;
- finally one ``INSERT … SELECT`` moves the new rows into ``call``.

All of it happens in the import's one transaction: a rejected file leaves
nothing behind, the staging table included.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from billing.usage import billable_minutes

from ..calls import DayTotals, add_to_rollup, advance_last_call
from ..models import Call, DialerUser
from ..raw import as_date
from . import cells as cell
from .base import Importer
from .source import Column

CALL_COLUMNS = ("call_id", "agency_id", "user_id", "started_at", "started_on", "duration_seconds",
                "transcribed_seconds")
STAGING = "import_call"
STAGING_COLUMNS = ("file_row", *CALL_COLUMNS, "billable_minutes")
# A record: (call_id, agency_id, user_id, started_at, started_on, duration_seconds, transcribed_seconds);
# started_at is the UTC instant, or on PostgreSQL the file's own text where the server reads the same
# instant from it (cells.Timestamps.parse_fast_for_server): only the COPY into the staging table reads it.
Record = tuple[str, str, str, Any, date, int, int]
Progress = Callable[[str, float], None]
WORK_MEM = "256MB"  # PostgreSQL's, for the import's transaction; the server's default is 4 MB
SHOWN_PROBLEMS = 50  # rows fetched to explain duplicates or differences; the rest are counted


class CallsImporter(Importer):
    kind = "calls"
    noun = "calls"
    key_columns = ("call_id",)
    columns = (
        Column("call_id"), Column("agency_id"), Column("user_id"), Column("started_at"),
        Column("duration_seconds"), Column("transcribed_seconds"),
    )
    chunk_size = 50_000
    staged = True

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.users = {(a, u) for a, u in self.session.execute(select(DialerUser.agency_id, DialerUser.user_id))}
        self.any_stored = self.session.scalar(select(Call.id).limit(1)) is not None
        self.agencies = ctx.agencies  # read now: while the COPY is open, the connection runs nothing else
        self.parse_timestamp = ctx.timestamps.parse
        on_server = self.session.get_bind().dialect.name == "postgresql"
        self.fast_timestamp = ctx.timestamps.parse_fast_for_server if on_server else ctx.timestamps.parse_fast
        self.staged_rows = 0
        self.unchanged_rows = 0
        self._stage_writer: Callable[[list[tuple[int, Record]]], None] | None = None
        self._end_staging: Callable[..., None] = lambda error=None: None

    def key(self, record: Record) -> str:
        return record[0]

    def unchanged_count(self) -> int:
        return self.unchanged_rows

    # -- reading -------------------------------------------------------------------
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

    def stage(self, chunk: list[tuple[int, Record]]) -> None:
        """Add parsed rows to the staging table (created at the first chunk)."""
        if self._stage_writer is None:
            self._stage_writer, self._end_staging = _create_staging(self.session)
        self._stage_writer(chunk)
        self.staged_rows += len(chunk)

    # -- checks against the whole file and what is stored ---------------------------
    def check_staged(self) -> None:
        """Duplicate call ids in the file, and call ids stored with other values.

        Rows stored identically leave the staging table (they are
        ``unchanged``), so what stays there is exactly what is new.
        """
        self._end_staging()
        if not self.staged_rows:
            return
        connection = self.session.connection()
        self._duplicates(connection)
        if self.any_stored:
            self.unchanged_rows = connection.exec_driver_sql(_DELETE_UNCHANGED[connection.dialect.name]).rowcount
            self._differences(connection)
        self.new_rows = self.staged_rows - self.unchanged_rows

    def _duplicates(self, connection: Any) -> None:
        found = connection.exec_driver_sql(
            f"SELECT count(*), min(first_row) FROM (SELECT min(file_row) AS first_row FROM {STAGING} "
            "GROUP BY call_id HAVING count(*) > 1) AS repeated"
        ).one()
        if not found[0]:
            return
        rows = connection.exec_driver_sql(
            f"SELECT s.file_row, s.call_id, f.first_row, count(*) OVER () FROM {STAGING} s JOIN "
            f"(SELECT call_id, min(file_row) AS first_row FROM {STAGING} GROUP BY call_id HAVING count(*) > 1) f "
            f"ON f.call_id = s.call_id WHERE s.file_row > f.first_row ORDER BY s.file_row LIMIT {SHOWN_PROBLEMS}"
        ).all()
        for file_row, call_id, first_row, _total in rows:
            self.problems.add(file_row, "call_id", f"duplicate key {call_id!r}: already on row {first_row:,}")
        self.problems.count_more(rows[0][3] - len(rows))

    def _differences(self, connection: Any) -> None:
        names = ("agency_id", "user_id", "started_at", "duration_seconds", "transcribed_seconds")
        rows = connection.exec_driver_sql(
            f"SELECT s.file_row, s.call_id, {', '.join(f's.{n}' for n in names)}, "
            f"{', '.join(f'c.{n}' for n in names)}, count(*) OVER () "
            f"FROM {STAGING} s JOIN call c ON c.call_id = s.call_id ORDER BY s.file_row LIMIT {SHOWN_PROBLEMS}"
        ).all()
        at_type = _started_at_processor(connection)
        for row in rows:
            given = dict(zip(names, row[2:7], strict=True))
            stored = dict(zip(names, row[7:12], strict=True))
            given["started_at"], stored["started_at"] = at_type(given["started_at"]), at_type(stored["started_at"])
            self.differs(row[0], f"call_id {row[1]!r}", stored, given)
        if rows:
            self.problems.count_more(rows[0][12] - len(rows))

    # -- writing ---------------------------------------------------------------------
    def write_staged(self, report: Progress) -> int:
        """Sum and move the new rows into ``call``; returns how many."""
        if not self.new_rows:
            return 0
        connection = self.session.connection()
        totals: dict[tuple[str, date], DayTotals] = {}
        for agency_id, day, calls, minutes, transcribed in connection.exec_driver_sql(
            f"SELECT agency_id, started_on, count(*), sum(billable_minutes), sum(transcribed_seconds) "
            f"FROM {STAGING} GROUP BY agency_id, started_on"
        ):
            day = as_date(day)
            totals[(agency_id, day)] = DayTotals(int(calls), int(minutes), int(transcribed))
        last_calls = {
            (agency_id, user_id): as_date(day) for agency_id, user_id, day in connection.exec_driver_sql(
                f"SELECT agency_id, user_id, max(started_on) FROM {STAGING} GROUP BY agency_id, user_id"
            )
        }
        self._note_late(totals)
        report("writing calls", 0.8)
        columns = ", ".join(CALL_COLUMNS)
        inserted = connection.exec_driver_sql(
            f"INSERT INTO call ({columns}) SELECT {columns} FROM {STAGING} ORDER BY file_row"
        ).rowcount
        add_to_rollup(self.session, totals)
        advance_last_call(self.session, last_calls)
        connection.exec_driver_sql(f"DROP TABLE {STAGING}")
        self._stage_writer = None
        return int(inserted)

    def _note_late(self, totals: dict[tuple[str, date], DayTotals]) -> None:
        """New calls on days of a cycle already issued for their agency."""
        issued = self.ctx.issued
        late: Counter[tuple[str, str]] = Counter()
        for (agency_id, day), sums in totals.items():
            cycle = issued.cycle_of(agency_id, day)
            if cycle:
                late[(agency_id, cycle)] += sums.calls
        for (agency_id, cycle), count in late.items():
            self.ctx.warnings.note(agency_id, cycle, self.noun, count)

    def abandon(self, error: BaseException) -> None:
        self._end_staging(error)

    def write(self, records: list[Record]) -> None:
        raise NotImplementedError("calls are written from the staging table: see write_staged")


_IDENTICAL = ("c.call_id = s.call_id AND c.agency_id = s.agency_id AND c.user_id = s.user_id "
              "AND c.started_at = s.started_at AND c.duration_seconds = s.duration_seconds "
              "AND c.transcribed_seconds = s.transcribed_seconds")
_DELETE_UNCHANGED = {
    "postgresql": f"DELETE FROM {STAGING} s USING call c WHERE {_IDENTICAL}",
    "sqlite": f"DELETE FROM {STAGING} AS s WHERE EXISTS (SELECT 1 FROM call c WHERE {_IDENTICAL})",
}


def _create_staging(session: Session) -> tuple[Callable[[list[tuple[int, Record]]], None],
                                               Callable[..., None]]:
    """Create the staging table with ``call``'s own column types; return its
    writer and what ends the writing."""
    connection = session.connection()
    columns = ", ".join(CALL_COLUMNS)
    if connection.dialect.name == "postgresql":
        # The whole-file checks hash millions of keys: let them do it in memory, for this transaction only.
        connection.exec_driver_sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {STAGING} ON COMMIT DROP AS SELECT 0::bigint AS file_row, {columns}, "
            "0 AS billable_minutes FROM call WITH NO DATA"
        )
        stream = _CopyStream(connection)
        return stream.write, stream.close
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{STAGING}")
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {STAGING} (file_row INTEGER, call_id TEXT, agency_id TEXT, user_id TEXT, "
        "started_at DATETIME, started_on DATE, duration_seconds INTEGER, transcribed_seconds INTEGER, "
        "billable_minutes INTEGER)"
    )
    return (lambda chunk: _executemany(connection, chunk)), (lambda error=None: None)


class _CopyStream:
    """One ``COPY … FROM STDIN`` into the staging table, open for the whole file,
    so the server stores a chunk while Python parses the next one."""

    def __init__(self, connection: Any) -> None:
        raw = connection.connection.dbapi_connection  # psycopg 3, inside the session's transaction
        self._cursor = raw.cursor()
        self._context: Any = self._cursor.copy(f"COPY {STAGING} ({', '.join(STAGING_COLUMNS)}) FROM STDIN")
        self._copy = self._context.__enter__()

    def write(self, chunk: list[tuple[int, Record]]) -> None:
        minutes = billable_minutes
        text = "".join([f"{row}\t{c}\t{a}\t{u}\t{t}\t{d}\t{s}\t{x}\t{minutes(s)}\n"
                        for row, (c, a, u, t, d, s, x) in chunk])
        if text.count("\t") != 8 * len(chunk) or text.count("\n") != len(chunk) or "\\" in text or "\r" in text:
            text = "".join([f"{row}\t{_escaped(c)}\t{_escaped(a)}\t{_escaped(u)}\t{t}\t{d}\t{s}\t{x}\t{minutes(s)}\n"
                            for row, (c, a, u, t, d, s, x) in chunk])
        self._copy.write(text)

    def close(self, error: BaseException | None = None) -> None:
        """End the COPY: complete it, or (after ``error``) abandon it."""
        if self._context is None:
            return
        context, self._context = self._context, None
        try:
            context.__exit__(type(error) if error else None, error, None)
        finally:
            self._cursor.close()


def _escaped(value: str) -> str:
    """A text value in COPY's text format."""
    return (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def _processor(connection: Any, column: str) -> Any:
    dialect = connection.dialect
    return Call.__table__.c[column].type.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)


def _started_at_processor(connection: Any) -> Callable[[Any], Any]:
    """Stored ``started_at`` values (text on SQLite) as instants, for messages."""
    dialect = connection.dialect
    result = Call.__table__.c.started_at.type.dialect_impl(dialect).result_processor(dialect, None)
    return result or (lambda value: value)


def _utc_text(moment: datetime) -> str:
    """A UTC instant as SQLAlchemy's SQLite ``DATETIME`` stores it:
    ``2026-11-24 13:05:00.000000`` (checked against the type at first use)."""
    return moment.isoformat(" ", "microseconds")[:26]


def _executemany(connection: Any, chunk: list[tuple[int, Record]]) -> None:
    at = _processor(connection, "started_at")
    on = _processor(connection, "started_on")
    minutes = billable_minutes
    sample = chunk[0][1]
    if at(sample[3]) == _utc_text(sample[3]) and on(sample[4]) == sample[4].isoformat():
        rows = [(row, c, a, u, t.isoformat(" ", "microseconds")[:26], d.isoformat(), s, x, minutes(s))
                for row, (c, a, u, t, d, s, x) in chunk]
    else:  # another storage format: let the column types convert every value
        rows = [(row, c, a, u, at(t), on(d), s, x, minutes(s)) for row, (c, a, u, t, d, s, x) in chunk]
    placeholders = ", ".join("?" for _ in STAGING_COLUMNS)
    connection.exec_driver_sql(f"INSERT INTO temp.{STAGING} ({', '.join(STAGING_COLUMNS)}) VALUES ({placeholders})",
                               rows)
