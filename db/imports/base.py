"""What every kind of import file shares: the context of one import, the
per-row cell reader, stored-versus-file comparison, the lookup of stored
rows by key, and the warnings about cycles that are already issued."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import String, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from billing import Cycle
from billing.money import plain

from ..models import Agency, Invoice
from .cells import CellError, Timestamps, utc_text
from .problems import ProblemList
from .source import Column

WARNING_LIMIT = 50


class IssuedCycles:
    """Which (agency, cycle) pairs have an issued invoice."""

    def __init__(self, session: Session) -> None:
        self.cycles: dict[str, set[str]] = defaultdict(set)
        self.last_cutoff: dict[str, date] = {}
        self.last_invoice_date: dict[str, date] = {}
        for agency_id, cycle_text in session.execute(select(Invoice.agency_id, Invoice.cycle)):
            self.cycles[agency_id].add(cycle_text)
            cycle = Cycle.parse(cycle_text)
            if agency_id not in self.last_cutoff or cycle.cutoff > self.last_cutoff[agency_id]:
                self.last_cutoff[agency_id] = cycle.cutoff
                self.last_invoice_date[agency_id] = cycle.invoice_date

    def pairs(self) -> set[tuple[str, str]]:
        """Every issued (agency, cycle)."""
        return {(agency_id, cycle) for agency_id, cycles in self.cycles.items() for cycle in cycles}

    def cycle_of(self, agency_id: str, day: date | None) -> str | None:
        """The issued cycle whose closed period holds ``day``, if any."""
        if day is None or day > self.last_cutoff.get(agency_id, date.min):
            return None  # the usual case: after everything issued
        cycle = str(Cycle.containing(day))
        return cycle if cycle in self.cycles[agency_id] else None

    def issued_on_or_after(self, agency_id: str, day: date) -> list[str]:
        """Issued cycles whose invoice date is on or after ``day``."""
        return sorted(c for c in self.cycles.get(agency_id, ()) if Cycle.parse(c).invoice_date >= day)


class Warnings:
    """Facts stored although they fall in a cycle already issued."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.other: list[str] = []

    def note(self, agency_id: str, cycle: str, noun: str, count: int = 1) -> None:
        self.counts[(agency_id, cycle, noun)] += count

    def late_facts(self) -> dict[str, dict[str, dict[str, int]]]:
        """agency -> cycle -> {kind of fact: count} stored in an issued cycle,
        kept in the import's audit entry so the next review can say so."""
        found: dict[str, dict[str, dict[str, int]]] = {}
        for (agency_id, cycle, noun), count in sorted(self.counts.items()):
            found.setdefault(agency_id, {}).setdefault(cycle, {})[noun] = count
        return found

    def messages(self) -> list[str]:
        found = []
        for (agency_id, cycle, noun), count in sorted(self.counts.items()):
            what = noun if count != 1 else _singular(noun)
            verb = "fall" if count != 1 else "falls"
            found.append(
                f"{count:,} {what} {verb} in cycle {cycle}, already issued for {agency_id}: "
                f"{'they are' if count != 1 else 'it is'} stored, but the issued invoice does not change "
                f"and will not include {'them' if count != 1 else 'it'}"
            )
        found += self.other
        if len(found) > WARNING_LIMIT:
            found = [*found[:WARNING_LIMIT], f"… and {len(found) - WARNING_LIMIT:,} more warnings like these"]
        return found


def _singular(noun: str) -> str:
    return {"access spans": "access span", "calls": "call", "appointments": "appointment",
            "dialing numbers": "dialing number"}.get(noun, noun)


@dataclass
class Context:
    """One import: its file, its problems, its clock and what is stored."""

    file: str
    problems: ProblemList
    timestamps: Timestamps
    session: Session
    issued: IssuedCycles
    actor: str = "import"
    warnings: Warnings = field(default_factory=Warnings)
    _agencies: set[str] | None = None

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    @property
    def agencies(self) -> set[str]:
        if self._agencies is None:
            self._agencies = set(self.session.scalars(select(Agency.id)))
        return self._agencies


class Cells:
    """One row's cells, read column by column; a bad cell is noted, not raised."""

    __slots__ = ("ok", "positions", "problems", "row", "values")

    def __init__(self, row: int, values: list[str], positions: dict[str, int], problems: ProblemList) -> None:
        self.row = row
        self.values = values
        self.positions = positions
        self.problems = problems
        self.ok = True

    def raw(self, column: str) -> str:
        return self.values[self.positions[column]]

    def get(self, column: str, reader: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return reader(self.raw(column), *args, **kwargs)
        except CellError as error:
            self.fail(column, str(error))
            return None

    def fail(self, column: str | None, message: str) -> None:
        self.problems.add(self.row, column, message)
        self.ok = False


class Importer:
    """One kind of file. The import runs, in one transaction:

    1. ``parse`` every row and ``check`` each chunk against the file so far
       and against what is stored (``unchanged`` collects the keys already
       stored identically), then ``finish`` (file-wide checks);
    2. only when there was no problem at all: ``prepare`` and ``write``
       the rows that are new, chunk by chunk, parsing the file again.
    """

    kind: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]
    noun: ClassVar[str]  # plural, for warnings: "calls"
    key_columns: ClassVar[tuple[str, ...]]
    chunk_size: ClassVar[int] = 5_000
    staged: ClassVar[bool] = False  # read once into a staging table: see CallsImporter

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.session = ctx.session
        self.problems = ctx.problems
        self.positions = {c.name: i for i, c in enumerate(self.columns)}
        self.unchanged: set[Any] = set()
        self.new_rows = 0
        self.seen: dict[Any, int] = {}  # key -> first row in the file

    # -- pass 1 ------------------------------------------------------------------
    def parse(self, row: int, values: list[str]) -> Any | None:
        raise NotImplementedError

    def key(self, record: Any) -> Any:
        raise NotImplementedError

    def check(self, chunk: list[tuple[int, Any]]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """File-wide checks after every row was seen."""

    # -- pass 2 ------------------------------------------------------------------
    def is_new(self, record: Any) -> bool:
        return self.key(record) not in self.unchanged

    def prepare(self) -> None:
        """Writes that must come before the rows (e.g. new users before their spans)."""

    def write(self, records: list[Any]) -> None:
        raise NotImplementedError

    def unchanged_count(self) -> int:
        """Rows of the file already stored identically."""
        return len(self.unchanged)

    def stage(self, chunk: list[tuple[int, Any]]) -> None:
        raise NotImplementedError

    def check_staged(self) -> None:
        raise NotImplementedError

    def abandon(self, error: BaseException) -> None:
        """Stop whatever writing is under way, before the transaction rolls back."""

    def write_staged(self, report: Callable[[str, float], None]) -> int:
        raise NotImplementedError

    def details(self) -> dict[str, Any]:
        """Extra figures for the summary."""
        return {}

    # -- helpers -----------------------------------------------------------------
    def cells(self, row: int, values: list[str]) -> Cells:
        return Cells(row, values, self.positions, self.problems)

    def known_agency(self, cells: Cells, agency_id: str | None) -> bool:
        if agency_id is None:
            return False
        if agency_id not in self.ctx.agencies:
            cells.fail("agency_id", f"unknown agency {agency_id!r}: import agencies.csv first")
            return False
        return True

    def first_seen(self, row: int, key: Any, label: str) -> bool:
        """``False`` (and a problem) when ``key`` was already on an earlier row."""
        earlier = self.seen.get(key)
        if earlier is not None:
            self.problems.add(row, self.key_columns[0] if len(self.key_columns) == 1 else None,
                              f"duplicate key {label}: already on row {earlier:,}")
            return False
        self.seen[key] = row
        return True

    def differs(self, row: int, label: str, stored: dict[str, Any], given: dict[str, Any]) -> bool:
        """Note a problem when a stored row differs from the file's; ``True`` if it does."""
        changes = [f"{name} stored {shown(stored[name])}, file {shown(value)}"
                   for name, value in given.items() if not same(stored[name], value)]
        if changes:
            self.problems.add(
                row, self.key_columns[0] if len(self.key_columns) == 1 else None,
                f"{label} is already stored with different values: {'; '.join(changes)}. "
                "Nothing is overwritten: correct the file (or the stored data) first",
            )
            return True
        return False

    def note_issued(self, agency_id: str, *days: date | None) -> None:
        cycles = {c for c in (self.ctx.issued.cycle_of(agency_id, d) for d in days) if c}
        for cycle in cycles:
            self.ctx.warnings.note(agency_id, cycle, self.noun)


def same(stored: Any, given: Any) -> bool:
    """Equal values: ``Decimal("150") == Decimal("150.00")``, instants in any zone."""
    return bool(stored == given)


def shown(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    return str(value)


def key_in(column: Any, values: Sequence[str], dialect: str) -> Any:
    """``column IN (values)`` as ONE bound parameter, for any number of values:
    ``= ANY(array)`` on PostgreSQL, ``IN (SELECT value FROM json_each(?))`` on SQLite."""
    if dialect == "postgresql":
        return column == any_(bindparam("keys", list(values), type_=postgresql.ARRAY(String)))
    return column.in_(
        select(literal_column("value")).select_from(func.json_each(bindparam("keys", json.dumps(list(values)))))
    )


def stored_rows(session: Session, columns: Iterable[Any], key_column: Any, keys: Sequence[str],
                *extra_where: Any) -> list[Any]:
    """Rows whose ``key_column`` is one of ``keys`` (one statement)."""
    if not keys:
        return []
    dialect = session.get_bind().dialect.name
    statement = select(*columns).where(key_in(key_column, keys, dialect), *extra_where)
    return list(session.execute(statement))
