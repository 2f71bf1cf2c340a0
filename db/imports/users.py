"""``users.csv``: one row per access span of a dialer user.

A user new to the database is created from the first of its rows (name and
e-mail); every row of one user must give the same name and e-mail, and a
user already stored must keep its name and e-mail (a difference is a
problem, not an update). A span's dates are the billing-zone dates of
``activated_at`` and ``deactivated_at``; a user's spans must not overlap,
across the file and what is stored (touching spans ``[a, b)``, ``[b, c)``
are fine).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select

from ..models import AccessSpan, DialerUser
from . import cells as cell
from .base import Importer, key_in, shown
from .cells import utc_text
from .source import Column


@dataclass(frozen=True)
class SpanRow:
    agency_id: str
    user_id: str
    name: str
    email: str | None
    activated_at: datetime
    start_on: date
    deactivated_at: datetime | None
    end_on: date | None


@dataclass(frozen=True)
class _Span:
    start_on: date
    end_on: date | None
    row: int | None  # None: stored

    def text(self) -> str:
        where = "already stored" if self.row is None else f"row {self.row:,}"
        return f"{self.start_on.isoformat()} to {self.end_on.isoformat() if self.end_on else '(open)'} ({where})"


class UsersImporter(Importer):
    kind = "users"
    noun = "access spans"
    key_columns = ("agency_id", "user_id", "activated_at")
    columns = (
        Column("agency_id"), Column("user_id"), Column("name"), Column("activated_at"),
        Column("deactivated_at", False), Column("email", False),
    )

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.file_spans: list[tuple[int, SpanRow]] = []
        self.people: dict[tuple[str, str], tuple[str, str | None, int]] = {}  # (name, email, first row)
        self.new_users: dict[tuple[str, str], tuple[str, str | None]] = {}

    def key(self, record: SpanRow) -> tuple[str, str, datetime]:
        return (record.agency_id, record.user_id, record.activated_at)

    def parse(self, row: int, values: list[str]) -> SpanRow | None:
        cells = self.cells(row, values)
        agency_id = cells.get("agency_id", cell.text, 40)
        self.known_agency(cells, agency_id)
        user_id = cells.get("user_id", cell.text, 80)
        name = cells.get("name", cell.text, 200)
        email = cells.get("email", cell.optional_email)
        activated = cells.get("activated_at", self.ctx.timestamps.parse)
        deactivated = cells.get("deactivated_at", self.ctx.timestamps.optional)
        if activated is not None and deactivated is not None and deactivated[0] is not None:
            if deactivated[0] <= activated[0]:
                cells.fail("deactivated_at", f"must be after activated_at ({utc_text(activated[0])}), "
                                             f"got {utc_text(deactivated[0])}")
            elif deactivated[1] <= activated[1]:
                cells.fail("deactivated_at", f"falls on {deactivated[1].isoformat()}, the billing day it was activated "
                                             f"({self.ctx.timestamps.billing_zone_name}): a span must cover at least one day")
        if not cells.ok:
            return None
        return SpanRow(agency_id, user_id, name, email, activated[0], activated[1], deactivated[0], deactivated[1])

    def check(self, chunk: list[tuple[int, SpanRow]]) -> None:
        for row, record in chunk:
            if not self.first_seen(row, self.key(record), self._label(record)):
                continue
            person = (record.agency_id, record.user_id)
            first = self.people.get(person)
            if first is None:
                self.people[person] = (record.name, record.email, row)
            elif (first[0], first[1]) != (record.name, record.email):
                self.problems.add(row, "name" if first[0] != record.name else "email",
                                  f"user {record.user_id} of {record.agency_id} is {shown(first[0])} "
                                  f"<{first[1] or ''}> on row {first[2]:,} but {shown(record.name)} "
                                  f"<{record.email or ''}> here: one user, one name and e-mail")
                continue
            self.file_spans.append((row, record))

    @staticmethod
    def _label(record: SpanRow) -> str:
        return f"user {record.user_id} of {record.agency_id} activated at {utc_text(record.activated_at)}"

    def finish(self) -> None:
        agency_ids = sorted({a for a, _ in self.people})
        if not agency_ids:
            return
        dialect = self.ctx.dialect
        stored_people = {
            (u.agency_id, u.user_id): (u.name, u.email)
            for u in self.session.execute(
                select(DialerUser.agency_id, DialerUser.user_id, DialerUser.name, DialerUser.email)
                .where(key_in(DialerUser.agency_id, agency_ids, dialect))
            )
        }
        for person, (name, email, row) in sorted(self.people.items(), key=lambda item: item[1][2]):
            known = stored_people.get(person)
            if known is None:
                self.new_users[person] = (name, email)
            else:
                self.differs(row, f"user {person[1]} of {person[0]}",
                             {"name": known[0], "email": known[1]}, {"name": name, "email": email})

        stored_spans: dict[tuple[str, str], dict[datetime, AccessSpan]] = defaultdict(dict)
        for (span,) in self.session.execute(
            select(AccessSpan).where(key_in(AccessSpan.agency_id, agency_ids, dialect))
        ):
            stored_spans[(span.agency_id, span.user_id)][span.activated_at] = span

        spans: dict[tuple[str, str], list[_Span]] = defaultdict(list)
        for person, by_start in stored_spans.items():
            spans[person] = [_Span(s.start_on, s.end_on, None) for s in by_start.values()]
        for row, record in self.file_spans:
            person = (record.agency_id, record.user_id)
            found = stored_spans.get(person, {}).get(record.activated_at)
            if found is not None:
                if not self.differs(row, self._label(record), {"deactivated_at": found.deactivated_at},
                                    {"deactivated_at": record.deactivated_at}):
                    self.unchanged.add(self.key(record))
                continue
            self.new_rows += 1
            spans[person].append(_Span(record.start_on, record.end_on, row))
            self.note_issued(record.agency_id, record.start_on, record.end_on)

        for person, found in spans.items():
            self._check_overlaps(person, found)

    def _check_overlaps(self, person: tuple[str, str], spans: list[_Span]) -> None:
        if len(spans) < 2:
            return
        spans = sorted(spans, key=lambda s: (s.start_on, s.row or 0))
        reach: _Span = spans[0]  # the span that reaches furthest so far
        for span in spans[1:]:
            if reach.end_on is None or reach.end_on > span.start_on:
                culprit, other = (span, reach) if span.row is not None else (reach, span)
                if culprit.row is not None:
                    self.problems.add(
                        culprit.row, "activated_at",
                        f"the access span {culprit.text()} of user {person[1]} of {person[0]} overlaps "
                        f"the span {other.text()}; a user's spans must not overlap",
                    )
            if reach.end_on is not None and (span.end_on is None or span.end_on > reach.end_on):
                reach = span

    def prepare(self) -> None:
        if self.new_users:
            self.session.execute(insert(DialerUser.__table__), [
                {"agency_id": a, "user_id": u, "name": name, "email": email, "last_call_on": None}
                for (a, u), (name, email) in sorted(self.new_users.items())
            ])

    def write(self, records: list[SpanRow]) -> None:
        self.session.execute(insert(AccessSpan.__table__), [
            {"agency_id": r.agency_id, "user_id": r.user_id, "activated_at": r.activated_at,
             "deactivated_at": r.deactivated_at, "start_on": r.start_on, "end_on": r.end_on}
            for r in records
        ])

    def details(self) -> dict[str, Any]:
        return {"new_users": len(self.new_users)}
