"""``agencies.csv`` and ``contracts.csv``: a few hundred rows at most."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import insert

from billing.facts import SignalMode

from ..models import Agency, AgencyContract, utcnow
from ..types import RATE_PLACES
from . import cells as cell
from .base import Importer, stored_rows
from .source import Column

SIGNAL_MODES = tuple(str(mode) for mode in SignalMode)

# Contract defaults (BILLING_RULES.md): the model's own, so they cannot drift.
_DEFAULTS = {name: AgencyContract.model_fields[name].default for name in (
    "licensing_fee", "minute_block", "replenish_buffer_pct", "onboarding_minutes_per_user")}


class AgenciesImporter(Importer):
    kind = "agencies"
    noun = "agencies"
    key_columns = ("agency_id",)
    columns = (
        Column("agency_id"), Column("name"), Column("onboarded_on"), Column("address", False),
        Column("billing_email", False), Column("account_manager", False),
    )

    def key(self, record: dict[str, Any]) -> str:
        return record["id"]

    def parse(self, row: int, values: list[str]) -> dict[str, Any] | None:
        cells = self.cells(row, values)
        record = {
            "id": cells.get("agency_id", cell.text, 40),
            "name": cells.get("name", cell.text, 200),
            "onboarded_on": cells.get("onboarded_on", cell.a_date),
            "address": cells.get("address", cell.optional_text, 2000),
            "billing_email": cells.get("billing_email", cell.optional_email),
            "account_manager": cells.get("account_manager", cell.optional_email),
        }
        return record if cells.ok else None

    def check(self, chunk: list[tuple[int, dict[str, Any]]]) -> None:
        fresh = [(row, r) for row, r in chunk if self.first_seen(row, r["id"], repr(r["id"]))]
        fields = ("name", "onboarded_on", "address", "billing_email", "account_manager")
        stored = {a.id: a._asdict() for a in stored_rows(
            self.session, [Agency.id, *(getattr(Agency, f) for f in fields)], Agency.id, [r["id"] for _, r in fresh])}
        for row, record in fresh:
            found = stored.get(record["id"])
            if found is None:
                self.new_rows += 1
            elif not self.differs(row, f"agency_id {record['id']!r}", found, {f: record[f] for f in fields}):
                self.unchanged.add(record["id"])

    def write(self, records: list[dict[str, Any]]) -> None:
        now = utcnow()
        self.session.execute(insert(Agency.__table__), [{**r, "created_at": now} for r in records])
        self.ctx.agencies.update(r["id"] for r in records)


class ContractsImporter(Importer):
    kind = "contracts"
    noun = "contracts"
    key_columns = ("agency_id", "effective_from")
    columns = (
        Column("agency_id"), Column("effective_from"), Column("user_fee"), Column("minimum_users"),
        Column("minute_rate"), Column("licensing_fee", False), Column("minute_block", False),
        Column("replenish_buffer_pct", False), Column("onboarding_minutes_per_user", False),
        Column("signal_mode"), Column("signal_rate", False), Column("number_cleaning_rate", False),
        Column("appointment_fee", False), Column("transcription_rate", False),
    )
    FIELDS = ("user_fee", "minimum_users", "minute_rate", "licensing_fee", "minute_block", "replenish_buffer_pct",
              "onboarding_minutes_per_user", "signal_mode", "signal_rate", "number_cleaning_rate",
              "appointment_fee", "transcription_rate")

    def key(self, record: dict[str, Any]) -> tuple[str, Any]:
        return (record["agency_id"], record["effective_from"])

    def parse(self, row: int, values: list[str]) -> dict[str, Any] | None:
        cells = self.cells(row, values)
        rate = RATE_PLACES
        agency_id = cells.get("agency_id", cell.text, 40)
        self.known_agency(cells, agency_id)
        record = {
            "agency_id": agency_id,
            "effective_from": cells.get("effective_from", cell.a_date),
            "user_fee": cells.get("user_fee", cell.decimal, rate, what="a fee"),
            "minimum_users": cells.get("minimum_users", cell.whole),
            "minute_rate": cells.get("minute_rate", cell.decimal, rate, what="a rate"),
            "licensing_fee": cells.get("licensing_fee", cell.optional_decimal, rate, _DEFAULTS["licensing_fee"]),
            "minute_block": cells.get("minute_block", cell.optional_whole, _DEFAULTS["minute_block"], minimum=1),
            "replenish_buffer_pct": cells.get("replenish_buffer_pct", cell.optional_decimal, rate,
                                              _DEFAULTS["replenish_buffer_pct"]),
            "onboarding_minutes_per_user": cells.get("onboarding_minutes_per_user", cell.optional_whole,
                                                     _DEFAULTS["onboarding_minutes_per_user"]),
            "signal_mode": cells.get("signal_mode", cell.choice, SIGNAL_MODES),
            "signal_rate": cells.get("signal_rate", cell.optional_decimal, rate),
            "number_cleaning_rate": cells.get("number_cleaning_rate", cell.optional_decimal, rate),
            "appointment_fee": cells.get("appointment_fee", cell.optional_decimal, rate),
            "transcription_rate": cells.get("transcription_rate", cell.optional_decimal, rate),
        }
        mode, signal_rate = record["signal_mode"], record["signal_rate"]
        if mode in ("per_user", "flat") and signal_rate is None and not cells.raw("signal_rate"):
            what = "the monthly rate per user" if mode == "per_user" else "the flat monthly amount"
            cells.fail("signal_rate", f"is required when signal_mode is {mode} ({what})")
        elif mode == "none" and signal_rate is not None:
            cells.fail("signal_rate", f"must be empty when signal_mode is none, got {cell.show(cells.raw('signal_rate'))}")
        return record if cells.ok else None

    def check(self, chunk: list[tuple[int, dict[str, Any]]]) -> None:
        fresh = [(row, r) for row, r in chunk
                 if self.first_seen(row, self.key(r), self._label(r))]
        stored: dict[tuple[str, Any], dict[str, Any]] = {}
        agency_ids = sorted({r["agency_id"] for _, r in fresh})
        for found in stored_rows(self.session, [AgencyContract], AgencyContract.agency_id, agency_ids):
            contract = found[0]
            stored[(contract.agency_id, contract.effective_from)] = {f: getattr(contract, f) for f in self.FIELDS}
        late: dict[str, list[str]] = defaultdict(list)
        for row, record in fresh:
            found = stored.get(self.key(record))
            if found is None:
                self.new_rows += 1
                cycles = self.ctx.issued.issued_on_or_after(record["agency_id"], record["effective_from"])
                if cycles:
                    late[record["agency_id"]].append(f"{record['effective_from'].isoformat()} (cycle {', '.join(cycles)})")
            elif not self.differs(row, self._label(record), found, {f: record[f] for f in self.FIELDS}):
                self.unchanged.add(self.key(record))
        for agency_id, dates in sorted(late.items()):
            self.ctx.warnings.other.append(
                f"the contract of {agency_id} effective {'; '.join(dates)} takes effect on or before the invoice "
                "date of a cycle already issued: it is stored, but the issued invoices do not change"
            )

    @staticmethod
    def _label(record: dict[str, Any]) -> str:
        return f"contract {record['agency_id']} effective {record['effective_from'].isoformat()}"

    def write(self, records: list[dict[str, Any]]) -> None:
        self.session.execute(insert(AgencyContract.__table__), records)
