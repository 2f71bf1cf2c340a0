"""Every worked example of the billing rules, reproduced exactly.

The examples (and their expected output, from an independent reference
implementation) live in ../shared/billing-examples/; a copy is kept in
tests/fixtures/ so a fresh clone without the shared folder still checks them.
Every field is compared except ``description``, which is free text.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from json_compare import without_descriptions

from billing import facts_from_scenario, price_invoice
from billing.calendar import parse_date
from billing.ledger import statuses
from billing.scenario import invoice_to_json, ledger_from_json, statuses_to_json

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "billing-examples"
EXAMPLES = SHARED if SHARED.is_dir() else ROOT / "tests" / "fixtures" / "billing-examples"

INVOICES = sorted(p.stem for p in EXAMPLES.glob("*.json") if not p.name.endswith(".expected.json") and "ledger" not in p.name)
LEDGER_DATES = sorted(p.name.split(".")[1] for p in EXAMPLES.glob("status-ledger.*.expected.json"))



def _expected(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.expected.json").read_text())


def test_the_examples_are_there():
    assert len(INVOICES) >= 4 and len(LEDGER_DATES) >= 2


@pytest.mark.parametrize("name", INVOICES)
def test_example_invoice_from_the_python_api(name):
    facts = facts_from_scenario(json.loads((EXAMPLES / f"{name}.json").read_text()))
    assert without_descriptions(invoice_to_json(price_invoice(facts))) == without_descriptions(_expected(name))


@pytest.mark.parametrize("name", INVOICES)
def test_example_invoice_from_the_command_line(name):
    done = subprocess.run([sys.executable, "-m", "billing", "invoice", str(EXAMPLES / f"{name}.json")],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    assert without_descriptions(json.loads(done.stdout)) == without_descriptions(_expected(name))


@pytest.mark.parametrize("as_of", LEDGER_DATES)
def test_example_statuses_from_the_python_api(as_of):
    invoices, payments, warning_days = ledger_from_json(json.loads((EXAMPLES / "status-ledger.json").read_text()))
    day = parse_date(as_of)
    got = statuses_to_json(day, statuses(invoices, payments, day, warning_days=warning_days))
    assert got == _expected(f"status-ledger.{as_of}")


@pytest.mark.parametrize("as_of", LEDGER_DATES)
def test_example_statuses_from_the_command_line(as_of):
    done = subprocess.run([sys.executable, "-m", "billing", "status", str(EXAMPLES / "status-ledger.json"), "--as-of", as_of],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == _expected(f"status-ledger.{as_of}")
