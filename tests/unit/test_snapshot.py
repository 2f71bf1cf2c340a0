"""The typed snapshot: one reading of what an invoice states, equal to the
engine's invoice however it was stored."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from billing import facts_from_scenario, invoice_to_json, price_invoice
from billing.scenario import invoice_snapshot
from billing.snapshot import PUBLIC_KEYS, parse_snapshot, snapshot_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "billing-examples"
INVOICES = sorted(p.name.removesuffix(".json") for p in FIXTURES.glob("*.json")
                  if not p.name.endswith(".expected.json") and not p.name.startswith("status-"))


def _invoice(name: str):  # type: ignore[no-untyped-def]
    return price_invoice(facts_from_scenario(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))))


@pytest.mark.parametrize("name", INVOICES)
def test_the_snapshot_states_the_engines_invoice_as_typed_values(name):
    invoice = _invoice(name)
    snapshot = snapshot_of(invoice)
    assert (snapshot.agency_id, snapshot.agency_name, snapshot.cycle) == (invoice.agency_id, invoice.agency_name, invoice.cycle)
    assert snapshot.total == invoice.total and isinstance(snapshot.total, Decimal)
    assert [(line.code, line.quantity, line.unit_price, line.amount, line.description, line.user) for line in snapshot.lines] == [
        (line.code.value, line.quantity, line.unit_price, line.amount, line.description, line.user) for line in invoice.lines]
    assert [line.title for line in snapshot.lines] == [line.title for line in invoice.lines]
    assert snapshot.seats_billed == invoice.lines[0].quantity
    assert snapshot.headcount_at_cutoff == invoice.headcount_at_cutoff and snapshot.user_days == invoice.user_days
    assert snapshot.seats_paid_in_advance == invoice.seat_walk.seats_paid_in_advance
    bank = invoice.minute_bank
    assert (snapshot.bank.opening_balance, snapshot.bank.closing_balance, snapshot.bank.replenishment, snapshot.bank.rate_periods) == (
        bank.opening_balance, bank.closing_balance, bank.minutes, bank.rate.periods)
    assert snapshot.minute_bank.replenishment == bank.minutes and snapshot.minute_bank.minutes_used == bank.minutes_used
    calendar = invoice.calendar
    assert (snapshot.invoice_date, snapshot.due_date, snapshot.restriction_date) == (
        calendar.invoice_date, calendar.due_date, calendar.restriction_date)
    assert snapshot.closed_period.period == calendar.closed_period and snapshot.closed_period.days == calendar.closed_period.days
    assert snapshot.advance_period.period == calendar.advance_period


@pytest.mark.parametrize("name", INVOICES)
def test_a_frozen_snapshot_reads_the_same_as_the_live_one_and_states_the_same_document(name):
    invoice = _invoice(name)
    document = invoice_snapshot(invoice)
    frozen = parse_snapshot(json.loads(json.dumps(document, sort_keys=True, separators=(",", ":"))))  # as issued
    assert frozen == snapshot_of(invoice)
    assert tuple(frozen.public_document()) == PUBLIC_KEYS == tuple(invoice_to_json(invoice))
    assert frozen.public_document() == invoice_to_json(invoice)


def test_a_snapshot_frozen_before_seats_paid_in_advance_was_kept_reads_as_unknown():
    document = invoice_snapshot(_invoice(INVOICES[0]))
    del document["seats_paid_in_advance"]
    assert parse_snapshot(document).seats_paid_in_advance is None


def test_the_document_is_a_copy_nothing_outside_can_change():
    document = invoice_snapshot(_invoice(INVOICES[0]))
    snapshot = parse_snapshot(document)
    document["total"] = "0.00"
    assert snapshot.document["total"] == str(snapshot.total) != "0.00"
    assert snapshot.invoice_date >= date(2000, 1, 1)
