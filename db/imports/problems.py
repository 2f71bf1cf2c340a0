"""What is wrong with an import file: each problem names the row, the column
and the reason, and a rejected file carries them all.

Row numbers count data rows from 1: the header is row 0, so row ``N`` is
line ``N + 1`` of the file (as long as no quoted value spans lines). Blank
lines keep their number and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from db.errors import BillingError

PROBLEM_LIMIT = 50  # a person reads the first few; the rest are usually the same mistake
SUMMARY_PROBLEMS = 3  # how many the one-line message quotes


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with a file. ``row`` 0 is the header; ``None`` is the file."""

    file: str
    row: int | None
    column: str | None
    message: str

    def where(self) -> str:
        """``row 1,204, duration_seconds`` — the place, without the file name."""
        parts = []
        if self.row is not None:
            parts.append("header" if self.row == 0 else f"row {self.row:,}")
        if self.column:
            parts.append(self.column)
        return ", ".join(parts)

    def short(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def __str__(self) -> str:
        where = self.where()
        return f"{self.file} {where}: {self.message}" if where else f"{self.file}: {self.message}"


class ImportRejected(BillingError):
    """A file with problems: nothing of it was imported.

    ``str()`` is one line (the count and the first few problems);
    ``problems`` holds up to the first 50, ``total`` counts them all.
    """

    def __init__(self, file: str, problems: Iterable[ImportProblem], total: int | None = None) -> None:
        self.file = file
        self.problems = list(problems)
        self.total = max(total if total is not None else 0, len(self.problems))
        quoted = "; ".join(p.short() for p in self.problems[:SUMMARY_PROBLEMS])
        more = self.total - min(len(self.problems), SUMMARY_PROBLEMS)
        if more > 0:
            quoted += f"; and {more:,} more"
        noun = "problem" if self.total == 1 else "problems"
        message = f"{file}: {self.total:,} {noun}; nothing was imported: {quoted}"
        super().__init__(" ".join(message.split()))  # always one line


class ProblemList:
    """Collects problems: keeps the first ``limit``, counts them all."""

    def __init__(self, file: str, limit: int = PROBLEM_LIMIT) -> None:
        self.file = file
        self.limit = limit
        self.items: list[ImportProblem] = []
        self.total = 0

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.total += 1
        if len(self.items) < self.limit:
            self.items.append(ImportProblem(self.file, row, column, message))

    def count_more(self, count: int) -> None:
        """Count ``count`` more problems like the ones just added, without keeping them
        (the database found them all, only the first few were fetched to explain)."""
        self.total += max(count, 0)

    def __bool__(self) -> bool:
        return self.total > 0

    def __len__(self) -> int:
        return self.total

    def rejection(self) -> ImportRejected:
        return ImportRejected(self.file, self.items, self.total)

    def raise_if_any(self) -> None:
        if self.total:
            raise self.rejection()
