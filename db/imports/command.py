"""Import one CSV file of docs/IMPORT_FORMAT.md: validated, all or nothing.

:func:`import_file` is what ``manage.py import`` and the dashboard's Import
page call. In ONE transaction it

1. reads the whole file (streaming, chunk by chunk) and checks every row:
   its cells, the keys within the file, and against what is stored (unknown
   agencies and users, overlapping access spans, a key already stored with
   different values, …);
2. if there was any problem, rolls back and raises :class:`ImportRejected`
   (a :class:`~db.errors.BillingError`) listing the first 50: nothing at all
   is written;
3. otherwise reads the file again and writes the rows that are new, keeping
   the ``call_day`` rollup in step, adds one audit event and commits.

``calls.csv`` (ten million rows is a real month) is *staged* instead: the
file is read once into a temporary table of the same transaction, the
checks that need the whole file (duplicate keys, stored rows) are asked of
the database, and the new rows move from there (:mod:`db.imports.calls`).
The other files are small and take the two passes above.

Re-importing a file adds nothing: a row whose key is stored with the same
values is counted as ``unchanged``; with other values it is a problem (never
silently overwritten). Facts that fall in a cycle already issued for their
agency are stored (they are facts), but issued invoices never change: the
summary's ``warnings`` say so, per agency and cycle.

Writers wait for each other: the transaction first takes the billing-facts
lock (:mod:`db.locks`: ``BEGIN IMMEDIATE`` on SQLite, an advisory lock on
PostgreSQL), the same lock issuing holds, and only then reads what is stored
— the issued cycles included — so the checks see exactly what the writes
will be checked against, and a cycle issued while the file was on its way
is either issued after the import (and prices its facts) or before it (and
the import warns about every fact that lands in it). Right before writing,
the issued cycles are read again: had anything issued without the lock, the
import stops and nothing is written. The unique keys stop anything else that
races it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import IO, Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from settings import billing_zone  # the configured zone (BILLING_TIMEZONE)

from .. import audit
from ..engine import get_engine
from ..errors import BillingError
from ..locks import lock_billing_facts
from .agencies import AgenciesImporter, ContractsImporter
from .base import Context, Importer, IssuedCycles
from .calls import CallsImporter
from .cells import Timestamps
from .contacts import ContactsImporter
from .facts import AppointmentsImporter, NumbersImporter, PaymentsImporter
from .problems import ImportRejected, ProblemList
from .source import CsvFile, opened, source_name
from .users import UsersImporter

Progress = Callable[[str, float], None]



class ImportKind(StrEnum):
    """The files of IMPORT_FORMAT.md, in the order to import them in."""

    AGENCIES = "agencies"
    CONTRACTS = "contracts"
    USERS = "users"
    CALLS = "calls"
    NUMBERS = "numbers"
    APPOINTMENTS = "appointments"
    PAYMENTS = "payments"
    CONTACTS = "contacts"


IMPORTERS: dict[ImportKind, type[Importer]] = {
    ImportKind.AGENCIES: AgenciesImporter,
    ImportKind.CONTRACTS: ContractsImporter,
    ImportKind.USERS: UsersImporter,
    ImportKind.CALLS: CallsImporter,
    ImportKind.NUMBERS: NumbersImporter,
    ImportKind.APPOINTMENTS: AppointmentsImporter,
    ImportKind.PAYMENTS: PaymentsImporter,
    ImportKind.CONTACTS: ContactsImporter,
}
KINDS = tuple(str(kind) for kind in ImportKind)
PROGRESS_EVERY = 50_000  # rows


def import_file(
    kind: str,
    source: str | Any | IO[bytes],
    *,
    timezone: str | None = None,
    timezone_field: str = "--timezone",
    actor: str,
    progress: Progress | None = None,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """Import ``source`` (a path, or a binary stream such as an upload) as ``kind``.

    ``timezone`` names the zone of timestamps written without an offset
    (otherwise they are refused). Returns the summary: ``kind``, ``file``,
    ``rows`` (data rows), ``inserted``, ``unchanged`` (already stored
    identically), ``seconds``, ``rows_per_second``, ``warnings`` and
    ``billing_zone``. Raises :class:`ImportRejected` (nothing imported) when
    the file has problems; row numbers in it count data rows from 1, the
    header being row 0.
    """
    began = time.perf_counter()
    importer_class = IMPORTERS.get(kind)
    if importer_class is None:
        raise BillingError(f"unknown kind of file {kind!r}; one of {', '.join(KINDS)}")
    zone = billing_zone()
    timestamps = Timestamps(zone, timezone, timezone_field)  # refuses an unknown zone name, naming the field
    report = progress or (lambda message, fraction: None)
    name = source_name(source, kind)
    problems = ProblemList(name)
    engine = engine or get_engine()

    with opened(source) as binary:
        csv_file = CsvFile(binary, importer_class.columns, problems)
        if not csv_file.check_header():
            raise problems.rejection()
        with Session(engine, expire_on_commit=False) as session:
            try:
                lock_billing_facts(session)  # before anything is read: see the module docstring
                context = Context(name, problems, timestamps, session, IssuedCycles(session), actor)
                importer = importer_class(context)
                if importer.staged:
                    rows = _stage(importer, csv_file, name, report)
                    report(f"checking {name} against itself and what is stored", 0.6)
                    importer.check_staged()
                    report(f"checked {name}: {rows:,} rows", 0.7)
                else:
                    rows = _validate(importer, csv_file, name, report)
                problems.raise_if_any()
                _still_issued_as_checked(context, name)
                if importer.staged:
                    inserted = importer.write_staged(report)
                else:
                    inserted = _write(importer, csv_file, name, rows, report)
                summary = {
                    "kind": kind,
                    "file": name,
                    "rows": rows,
                    "inserted": inserted,
                    "unchanged": importer.unchanged_count(),
                    **importer.details(),
                    "warnings": context.warnings.messages(),
                    "billing_zone": zone,
                }
                audit.record(
                    session, actor=actor, action="import", subject=kind, file=name, rows=rows,
                    inserted=inserted, unchanged=summary["unchanged"], warnings=len(summary["warnings"]),
                    timezone=timezone, late_facts=context.warnings.late_facts(),
                )
                session.commit()
            except ImportRejected:
                session.rollback()
                raise
            except (DBAPIError, *_driver_errors(engine)) as error:
                session.rollback()
                if "temporary tables" in str(error):
                    raise BillingError(
                        f"{name}: the database role may not create temporary tables, which the import stages "
                        "the file in, so nothing was imported; run the grants of `manage.py grants ROLE` "
                        "(SECURITY.md) as the owner role"
                    ) from error
                raise BillingError(
                    f"{name}: the database refused the import, so nothing was imported "
                    f"({_first_line(error)}); if someone changed the same data at the same time, import again"
                ) from error
            except BaseException:
                session.rollback()
                raise
    seconds = time.perf_counter() - began
    timing = {"seconds": round(seconds, 3), "rows_per_second": round(rows / seconds) if seconds > 0 else rows}
    summary = {**{k: summary[k] for k in ("kind", "file", "rows", "inserted", "unchanged")}, **timing, **summary}
    report(f"{name}: {summary['inserted']:,} new rows, {summary['unchanged']:,} already stored", 1.0)
    return summary


def _still_issued_as_checked(context: Context, name: str) -> None:
    """The warnings were counted against the cycles issued when the import
    took the lock; refuse to write if that is no longer what is stored."""
    now = IssuedCycles(context.session).pairs()
    if now != context.issued.pairs():
        added = sorted(f"{cycle} for {agency_id}" for agency_id, cycle in now - context.issued.pairs())
        raise BillingError(
            f"{name}: cycles were issued while the file was being checked ({', '.join(added[:5]) or 'changed'}), "
            "so nothing was imported: import it again to see which facts fall in them"
        )


def _parsed_chunks(importer: Importer, csv_file: CsvFile, name: str, report: Progress,
                   handle: Callable[[list[tuple[int, Any]]], None], verb: str, share: float) -> int:
    """Every row parsed, and handed on ``importer.chunk_size`` good rows at a
    time; ``share`` is the part of the progress bar this pass fills. Returns
    the number of data rows."""
    rows = 0
    chunk: list[tuple[int, Any]] = []
    size = importer.chunk_size
    parse = importer.parse
    for row, values in csv_file.rows():
        rows += 1
        record = parse(row, values)
        if record is not None:
            chunk.append((row, record))
        if len(chunk) >= size:
            handle(chunk)
            chunk = []
        if rows % PROGRESS_EVERY == 0:
            report(f"{verb} {name}: {rows:,} rows", share * csv_file.fraction())
    if chunk:
        handle(chunk)
    if rows == 0 and not importer.problems:
        importer.problems.add(None, None, "has a header but no data rows")
    return rows


def _validate(importer: Importer, csv_file: CsvFile, name: str, report: Progress) -> int:
    """Pass 1: every row parsed and checked. Returns the number of data rows."""
    rows = _parsed_chunks(importer, csv_file, name, report, importer.check, "checking", 0.5)
    importer.finish()
    report(f"checked {name}: {rows:,} rows", 0.5)
    return rows


def _stage(importer: Importer, csv_file: CsvFile, name: str, report: Progress) -> int:
    """The one pass of a staged import: every row parsed, its cells checked,
    and the good ones put in the staging table. Returns the number of data rows."""
    try:
        rows = _parsed_chunks(importer, csv_file, name, report, importer.stage, "reading", 0.6)
    except BaseException as error:  # an unreadable file, an interrupt: leave no COPY half-open
        importer.abandon(error)
        raise
    report(f"read {name}: {rows:,} rows", 0.6)
    return rows


def _write(importer: Importer, csv_file: CsvFile, name: str, rows: int, report: Progress) -> int:
    """Pass 2: the new rows written, chunk by chunk."""
    if importer.new_rows == 0:
        return 0
    importer.prepare()
    written = done = 0
    chunk: list[Any] = []
    size = importer.chunk_size
    parse, is_new = importer.parse, importer.is_new
    for row, values in csv_file.rows():
        done += 1
        record = parse(row, values)
        if record is not None and is_new(record):
            chunk.append(record)
        if len(chunk) >= size:
            importer.write(chunk)
            written += len(chunk)
            chunk = []
        if done % PROGRESS_EVERY == 0:
            report(f"importing {name}: {done:,} of {rows:,} rows", 0.5 + 0.5 * done / max(rows, 1))
    if chunk:
        importer.write(chunk)
        written += len(chunk)
    if importer.problems or done != rows or written != importer.new_rows:
        raise BillingError(f"{name} changed while it was being imported; nothing was imported, import it again")
    return written


def _driver_errors(engine: Engine) -> tuple[type[BaseException], ...]:
    error = getattr(engine.dialect.dbapi, "Error", None)
    return (error,) if isinstance(error, type) else ()


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
