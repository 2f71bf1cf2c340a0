"""``numbers.csv``, ``appointments.csv`` and ``payments.csv``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from billing.facts import AppointmentStatus

from ..ledger import record_payment
from ..models import Appointment, DialingNumber, Invoice, Payment
from ..types import MONEY_PLACES
from . import cells as cell
from .base import Importer, stored_rows
from .source import Column

APPOINTMENT_STATUSES = tuple(str(status) for status in AppointmentStatus)


class NumbersImporter(Importer):
    kind = "numbers"
    noun = "dialing numbers"
    key_columns = ("agency_id", "number", "active_from")
    columns = (Column("agency_id"), Column("number"), Column("active_from"), Column("active_to", False))
    chunk_size = 20_000

    def key(self, record: dict[str, Any]) -> tuple[str, str, Any]:
        return (record["agency_id"], record["number"], record["active_from"])

    def parse(self, row: int, values: list[str]) -> dict[str, Any] | None:
        cells = self.cells(row, values)
        agency_id = cells.get("agency_id", cell.text, 40)
        self.known_agency(cells, agency_id)
        record = {
            "agency_id": agency_id,
            "number": cells.get("number", cell.e164),
            "active_from": cells.get("active_from", cell.a_date),
            "active_to": cells.get("active_to", cell.optional_date),
        }
        start, end = record["active_from"], record["active_to"]
        if start is not None and end is not None and end <= start:
            cells.fail("active_to", f"must be after active_from ({start.isoformat()}), got {end.isoformat()}")
        return record if cells.ok else None

    @staticmethod
    def _label(record: dict[str, Any]) -> str:
        return f"number {record['number']} of {record['agency_id']} active from {record['active_from'].isoformat()}"

    def check(self, chunk: list[tuple[int, dict[str, Any]]]) -> None:
        fresh = [(row, r) for row, r in chunk if self.first_seen(row, self.key(r), self._label(r))]
        stored = {
            (n.agency_id, n.number, n.active_from): n.active_to
            for n in stored_rows(
                self.session,
                [DialingNumber.agency_id, DialingNumber.number, DialingNumber.active_from, DialingNumber.active_to],
                DialingNumber.number, sorted({r["number"] for _, r in fresh}),
            )
        }
        for row, record in fresh:
            key = self.key(record)
            if key not in stored:
                self.new_rows += 1
                self.note_issued(record["agency_id"], record["active_from"])
            elif not self.differs(row, self._label(record), {"active_to": stored[key]},
                                  {"active_to": record["active_to"]}):
                self.unchanged.add(key)

    def write(self, records: list[dict[str, Any]]) -> None:
        self.session.execute(insert(DialingNumber.__table__), records)


class AppointmentsImporter(Importer):
    kind = "appointments"
    noun = "appointments"
    key_columns = ("appointment_id",)
    columns = (Column("appointment_id"), Column("agency_id"), Column("date"), Column("status"))
    chunk_size = 20_000

    def key(self, record: dict[str, Any]) -> str:
        return record["appointment_id"]

    def parse(self, row: int, values: list[str]) -> dict[str, Any] | None:
        cells = self.cells(row, values)
        agency_id = cells.get("agency_id", cell.text, 40)
        self.known_agency(cells, agency_id)
        record = {
            "appointment_id": cells.get("appointment_id", cell.text, 80),
            "agency_id": agency_id,
            "day": cells.get("date", cell.a_date),
            "status": cells.get("status", cell.choice, APPOINTMENT_STATUSES),
        }
        return record if cells.ok else None

    def check(self, chunk: list[tuple[int, dict[str, Any]]]) -> None:
        fresh = [(row, r) for row, r in chunk
                 if self.first_seen(row, r["appointment_id"], repr(r["appointment_id"]))]
        stored = {
            a.appointment_id: {"agency_id": a.agency_id, "date": a.day, "status": a.status}
            for a in stored_rows(
                self.session, [Appointment.appointment_id, Appointment.agency_id, Appointment.day, Appointment.status],
                Appointment.appointment_id, [r["appointment_id"] for _, r in fresh],
            )
        }
        for row, record in fresh:
            found = stored.get(record["appointment_id"])
            if found is None:
                self.new_rows += 1
                self.note_issued(record["agency_id"], record["day"])
            elif not self.differs(row, f"appointment_id {record['appointment_id']!r}", found,
                                  {"agency_id": record["agency_id"], "date": record["day"], "status": record["status"]}):
                self.unchanged.add(record["appointment_id"])

    def write(self, records: list[dict[str, Any]]) -> None:
        self.session.execute(insert(Appointment.__table__), records)


class PaymentsImporter(Importer):
    """Payments are recorded with :func:`db.ledger.record_payment`, as if typed
    in: each gets its own ``record_payment`` audit event besides the import's.
    A payment changes no invoice; it only settles what is owed."""

    kind = "payments"
    noun = "payments"
    key_columns = ("reference",)
    columns = (Column("reference"), Column("agency_id"), Column("date"), Column("amount"),
               Column("invoice_number", False))
    chunk_size = 5_000

    def key(self, record: dict[str, Any]) -> str:
        return record["reference"]

    def parse(self, row: int, values: list[str]) -> dict[str, Any] | None:
        cells = self.cells(row, values)
        agency_id = cells.get("agency_id", cell.text, 40)
        self.known_agency(cells, agency_id)
        record = {
            "reference": cells.get("reference", cell.text, 120),
            "agency_id": agency_id,
            "paid_on": cells.get("date", cell.a_date),
            "amount": cells.get("amount", cell.decimal, MONEY_PLACES, positive=True, what="an amount"),
            "invoice_number": cells.get("invoice_number", cell.optional_text, 20),
        }
        return record if cells.ok else None

    def check(self, chunk: list[tuple[int, dict[str, Any]]]) -> None:
        fresh = [(row, r) for row, r in chunk if self.first_seen(row, r["reference"], repr(r["reference"]))]
        invoices = {
            i.number: i.agency_id for i in stored_rows(
                self.session, [Invoice.number, Invoice.agency_id], Invoice.number,
                sorted({r["invoice_number"] for _, r in fresh if r["invoice_number"]}),
            )
        }
        stored = {
            p.reference: {"agency_id": p.agency_id, "date": p.paid_on, "amount": p.amount,
                          "invoice_number": p.invoice_number}
            for p in stored_rows(
                self.session, [Payment.reference, Payment.agency_id, Payment.paid_on, Payment.amount,
                               Payment.invoice_number],
                Payment.reference, [r["reference"] for _, r in fresh],
            )
        }
        for row, record in fresh:
            number = record["invoice_number"]
            if number is not None:
                owner = invoices.get(number)
                if owner is None:
                    self.problems.add(row, "invoice_number", f"no issued invoice {number!r}")
                    continue
                if owner != record["agency_id"]:
                    self.problems.add(row, "invoice_number",
                                      f"{number} is an invoice of {owner}, not of {record['agency_id']}")
                    continue
            found = stored.get(record["reference"])
            if found is None:
                self.new_rows += 1
            elif not self.differs(row, f"reference {record['reference']!r}", found, {
                "agency_id": record["agency_id"], "date": record["paid_on"], "amount": record["amount"],
                "invoice_number": number,
            }):
                self.unchanged.add(record["reference"])

    def write(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            record_payment(self.session, actor=self.ctx.actor, **record)
