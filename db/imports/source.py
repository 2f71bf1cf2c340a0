"""The file itself: opened once, read as often as the import needs (a
validation pass, then an insert pass), one row at a time.

UTF-8 with or without a byte-order mark, any line ends, quoted fields with
commas or line breaks (the ``csv`` module). A stream that cannot seek (a
socket, a pipe) is first spooled to a temporary file so it can be read twice.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from .problems import ProblemList

SPOOL_IN_MEMORY = 64 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = True


def source_name(source: Any, kind: str) -> str:
    """The file's own name for messages (``calls.csv`` when it has none)."""
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    name = getattr(source, "name", None)
    if isinstance(name, str) and name and not name.startswith("<"):
        return Path(name).name
    return f"{kind}.csv"


@contextmanager
def opened(source: Any) -> Iterator[IO[bytes]]:
    """A seekable binary stream over ``source`` (a path or a binary stream)."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as handle:
            yield handle
        return
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(bytes(source))
        return
    if not hasattr(source, "read"):
        raise TypeError(f"import a path or a binary stream, not {type(source).__name__}")
    seekable = getattr(source, "seekable", None)
    if seekable is not None and seekable():
        yield source
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        shutil.copyfileobj(source, spool)
        yield spool  # type: ignore[misc]


def size_of(binary: IO[bytes]) -> int:
    position = binary.tell()
    binary.seek(0, io.SEEK_END)
    size = binary.tell()
    binary.seek(position)
    return size


class CsvFile:
    """Reads a header-checked CSV file as (row number, stripped cells).

    ``index[column]`` is the column's position, or ``None`` when an optional
    column is absent (its cells then read as empty).
    """

    def __init__(self, binary: IO[bytes], columns: tuple[Column, ...], problems: ProblemList) -> None:
        self.binary = binary
        self.columns = columns
        self.problems = problems
        self.size = size_of(binary)
        self.index: dict[str, int | None] = {}
        self.width = 0
        self.bytes_read = 0

    # -- reading -------------------------------------------------------------------
    @contextmanager
    def _reader(self) -> Iterator[Any]:
        self.binary.seek(0)
        text = io.TextIOWrapper(self.binary, encoding="utf-8-sig", newline="")  # type: ignore[arg-type]
        try:
            yield csv.reader(text, strict=True)
        finally:
            text.detach()  # leave the binary stream open for the next pass

    def fraction(self) -> float:
        try:
            return min(1.0, self.binary.tell() / self.size) if self.size else 1.0
        except (OSError, ValueError):
            return 0.0

    def check_header(self) -> bool:
        """Read the header; ``False`` (with problems noted) when it is unusable."""
        names = [c.name for c in self.columns]
        expected = ", ".join(c.name if c.required else f"[{c.name}]" for c in self.columns)
        try:
            with self._reader() as reader:
                header = next(reader, None)
        except UnicodeDecodeError as error:
            self.problems.add(0, None, _not_utf8(error))
            return False
        except csv.Error as error:
            self.problems.add(0, None, f"is not readable CSV: {error}")
            return False
        if header is None or not any(cell.strip() for cell in header):
            self.problems.add(None, None, f"the file is empty: expected a header row with the columns {expected}")
            return False
        cells = [cell.strip() for cell in header]
        seen: dict[str, int] = {}
        for position, cell in enumerate(cells):
            if not cell:
                self.problems.add(0, None, f"column {position + 1} has no name (extra columns are not allowed)")
            elif cell in seen:
                self.problems.add(0, cell, "appears twice in the header")
            elif cell not in names:
                hint = _closest(cell, names)
                self.problems.add(
                    0, cell,
                    f"unknown column{f' (did you mean {hint}?)' if hint else ''}; "
                    f"extra columns are not allowed; the columns are {expected}",
                )
            else:
                seen[cell] = position
        for column in self.columns:
            if column.required and column.name not in seen:
                self.problems.add(0, column.name, "missing column (it is required)")
        if self.problems:
            return False
        self.index = {c.name: seen.get(c.name) for c in self.columns}
        self.width = len(cells)
        return True

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number, cells in column order of ``self.columns``) for each data row.

        Cells are stripped; an absent optional column reads as ``""``. Blank
        lines and rows of empty cells are skipped (they keep their row number). A row with the wrong
        number of cells is noted as a problem and skipped; unreadable CSV or
        text that is not UTF-8 is noted and ends the reading.
        """
        positions = [self.index[c.name] for c in self.columns]
        width = self.width
        strip = str.strip
        # All columns present (the usual case): reorder and strip at C speed.
        pick = itemgetter(*positions) if len(positions) > 1 and None not in positions else None
        row = 0
        problems = self.problems
        try:
            with self._reader() as reader:
                next(reader, None)  # the header
                for row, cells in enumerate(reader, start=1):
                    if len(cells) != width:
                        if not cells or (len(cells) == 1 and not cells[0].strip()):
                            continue  # a blank line
                        problems.add(
                            row, None,
                            f"has {len(cells)} cells but the header has {width} "
                            "(a value with a comma must be in double quotes)",
                        )
                        continue
                    values = (list(map(strip, pick(cells))) if pick is not None
                              else [cells[p].strip() if p is not None else "" for p in positions])
                    if any(values):
                        yield row, values
                    # else: a row of empty cells (",,,,,", as spreadsheets leave them): blank
        except UnicodeDecodeError as error:
            problems.add(None, None, f"{_not_utf8(error)} (after row {row:,})")
        except csv.Error as error:
            problems.add(row + 1, None, f"is not readable CSV ({error}); check the quotes")


def _not_utf8(error: UnicodeDecodeError) -> str:
    return f"is not UTF-8 text (byte 0x{error.object[error.start]:02x}); save the file as CSV UTF-8"


def _closest(name: str, names: list[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name.lower(), names, n=1, cutoff=0.6)
    return found[0] if found else None
