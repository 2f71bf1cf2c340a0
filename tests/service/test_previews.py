"""Previewing: the invoice an agency will get, or got, for a cycle."""

from __future__ import annotations

import json

import pytest
from json_compare import without_descriptions

from billing import facts_from_scenario, invoice_to_json, price_invoice
from billing.snapshot import PUBLIC_KEYS
from services.errors import BillingError, NotFound
from services.previews import invoice_json, preview_cycle, preview_invoice, scenario

from .conftest import NOVEMBER, OCTOBER


def test_a_preview_prices_the_stored_facts_with_the_engine(sessions):
    preview = preview_invoice("A-1001", NOVEMBER, sessions=sessions)
    assert not preview.is_issued and preview.invoice is not None and preview.facts is not None
    assert price_invoice(preview.facts) == preview.invoice
    assert preview.total == preview.invoice.total == sum(line.amount for line in preview.snapshot.lines)
    assert preview.seats_billed == preview.snapshot.lines[0].quantity and preview.snapshot.lines[0].code == "USER_FEE"


def test_the_preview_of_an_issued_cycle_is_the_frozen_invoice(sessions):
    preview = preview_invoice("A-1001", OCTOBER, sessions=sessions)
    assert preview.is_issued and preview.issued.hash_verified
    assert preview.issued.number.startswith("INV-2026-10-")
    assert preview.invoice is None and preview.facts is None  # nothing re-priced


def test_a_preview_carries_the_previous_invoices_seats_and_minute_bank(sessions):
    october = preview_invoice("A-1001", OCTOBER, sessions=sessions)
    november = preview_invoice("A-1001", NOVEMBER, sessions=sessions)
    assert november.facts.seats_paid_in_advance == october.seats_billed
    assert november.snapshot.bank.opening_balance == october.closing_balance
    assert november.snapshot.bank.credited_at_period_start == october.replenishment


def test_a_cycle_preview_leaves_out_agencies_onboarded_after_it(sessions):
    october = preview_cycle(OCTOBER, sessions=sessions)
    november = preview_cycle(NOVEMBER, sessions=sessions)
    assert not october.problems and not november.problems
    newcomers = set(november.previews) - set(october.previews)
    assert newcomers, "the seed onboards an agency during the closed period of 2026-11"
    for agency_id in newcomers:
        assert november.previews[agency_id].snapshot.bank.onboarding_credit > 0
        with pytest.raises(BillingError, match="its first invoice is cycle 2026-11"):
            preview_invoice(agency_id, OCTOBER, sessions=sessions)


def test_an_unknown_agency_is_not_found(sessions):
    with pytest.raises(NotFound, match="no agency 'A-0000'"):
        preview_invoice("A-0000", NOVEMBER, sessions=sessions)


@pytest.mark.parametrize("cycle", [NOVEMBER, OCTOBER], ids=["live", "issued"])
def test_the_invoice_json_is_the_scenario_format_document_in_its_order_then_its_standing(sessions, cycle):
    document = invoice_json("A-1002", cycle, sessions=sessions)
    assert tuple(document) == (*PUBLIC_KEYS, "standing")
    assert document.pop("standing")["state"] == "final"  # both cycles are past their cutoff
    preview = preview_invoice("A-1002", cycle, sessions=sessions)
    expected = invoice_to_json(preview.invoice) if preview.invoice else preview.snapshot.document
    assert document == {key: expected[key] for key in PUBLIC_KEYS}


@pytest.mark.parametrize("cycle", [NOVEMBER, OCTOBER], ids=["live", "issued"])
def test_a_scenario_file_replays_to_its_preview(sessions, cycle):
    document = json.loads(json.dumps(scenario("A-1003", cycle, sessions=sessions)))
    replayed = invoice_to_json(price_invoice(facts_from_scenario(document)))
    preview = invoice_json("A-1003", cycle, sessions=sessions)
    preview.pop("standing")  # the day it is told on: not the engine's business
    assert without_descriptions(replayed) == without_descriptions(preview)
