"""``contacts.csv``: the people at each agency who receive our messages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from ..models import Contact, utcnow
from . import cells as cell
from .base import Importer, stored_rows
from .source import Column

CONTACT_KINDS = ("billing", "ops", "account_owner")  # services.contacts.ContactKind


class ContactsImporter(Importer):
    kind = "contacts"
    noun = "contacts"
    key_columns = ("agency_id", "email", "kind")
    columns = (Column("agency_id"), Column("email"), Column("kind"), Column("name", False))

    def key(self, record: dict[str, Any]) -> tuple[str, str, str]:
        return (record["agency_id"], record["email"], record["kind"])

    def parse(self, row: int, values: list[str]) -> dict[str, Any] | None:
        cells = self.cells(row, values)
        agency_id = cells.get("agency_id", cell.text, 40)
        self.known_agency(cells, agency_id)
        address = cells.get("email", cell.email)
        record = {
            "agency_id": agency_id,
            "email": address.lower() if address else None,  # one address, however it was typed
            "kind": cells.get("kind", cell.choice, CONTACT_KINDS),
            "name": cells.get("name", cell.optional_text, 200) or "",
        }
        return record if cells.ok else None

    def check(self, chunk: list[tuple[int, dict[str, Any]]]) -> None:
        fresh = [(row, r) for row, r in chunk if self.first_seen(row, self.key(r), self._label(r))]
        agency_ids = sorted({r["agency_id"] for _, r in fresh})
        stored = {(c.agency_id, c.email, c.kind): {"name": c.name} for c in stored_rows(
            self.session, [Contact.agency_id, Contact.email, Contact.kind, Contact.name], Contact.agency_id, agency_ids)}
        for row, record in fresh:
            found = stored.get(self.key(record))
            if found is None:
                self.new_rows += 1
            elif not self.differs(row, self._label(record), found, {"name": record["name"]}):
                self.unchanged.add(self.key(record))

    @staticmethod
    def _label(record: dict[str, Any]) -> str:
        return f"contact {record['email']} ({record['kind']}) of {record['agency_id']}"

    def write(self, records: list[dict[str, Any]]) -> None:
        now = utcnow()
        self.session.execute(insert(Contact.__table__), [{**r, "created_at": now} for r in records])
