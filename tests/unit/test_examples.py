"""Every worked example of the billing rules, reproduced exactly.

The examples (and their expected output, from an independent reference
implementation) live in ../shared/billing-examples/ beside the repository; a
copy is committed in tests/fixtures/billing-examples/ so a fresh clone
without the shared folder (CI) still checks them. Each example is checked
through the command line (``python -m billing invoice|status``) and through
the Python API, comparing every field except ``description`` (free text).
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
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "billing-examples"
FIXTURES = ROOT / "tests" / "fixtures" / "billing-examples"
EXAMPLES = SHARED if SHARED.is_dir() else FIXTURES

LEDGER = "status-ledger"
INVOICES = sorted(p.name.removesuffix(".json") for p in EXAMPLES.glob("*.json")
                  if not p.name.endswith(".expected.json") and not p.name.startswith(LEDGER))
LEDGER_DATES = sorted(p.name.split(".")[1] for p in EXAMPLES.glob(f"{LEDGER}.*.expected.json"))


def _load(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _cli(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "billing", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return json.loads(done.stdout)


def test_the_examples_are_there():
    assert {"acme-2026-11", "minimum-binding-2028-03", "negative-bank-2026-12", "onboarding-2026-03"} <= set(INVOICES)
    assert len(LEDGER_DATES) >= 2
    for name in INVOICES:
        assert (EXAMPLES / f"{name}.expected.json").is_file(), name


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not beside this clone")
def test_the_committed_copy_matches_the_shared_examples():
    shared = {p.name: p.read_bytes() for p in SHARED.iterdir() if p.is_file()}
    copied = {p.name: p.read_bytes() for p in FIXTURES.iterdir() if p.is_file()}
    assert sorted(copied) == sorted(shared)
    changed = [name for name in shared if shared[name] != copied[name]]
    assert not changed, f"refresh tests/fixtures/billing-examples/ from ../shared: {changed}"


@pytest.mark.parametrize("name", INVOICES)
def test_example_invoice_from_the_command_line(name):
    got = _cli("invoice", str(EXAMPLES / f"{name}.json"))
    assert without_descriptions(got) == without_descriptions(_load(f"{name}.expected.json"))
    assert all(isinstance(line["description"], str) and line["description"] for line in got["lines"])


@pytest.mark.parametrize("name", INVOICES)
def test_example_invoice_from_the_python_api(name):
    got = invoice_to_json(price_invoice(facts_from_scenario(_load(f"{name}.json"))))
    assert without_descriptions(got) == without_descriptions(_load(f"{name}.expected.json"))
    assert json.loads(json.dumps(got)) == got  # what the command line prints is exactly this


@pytest.mark.parametrize("as_of", LEDGER_DATES)
def test_example_statuses_from_the_command_line(as_of):
    got = _cli("status", str(EXAMPLES / f"{LEDGER}.json"), "--as-of", as_of)
    assert got == _load(f"{LEDGER}.{as_of}.expected.json")


@pytest.mark.parametrize("as_of", LEDGER_DATES)
def test_example_statuses_from_the_python_api(as_of):
    invoices, payments, warning_days = ledger_from_json(_load(f"{LEDGER}.json"))
    day = parse_date(as_of)
    got = statuses_to_json(day, statuses(invoices, payments, day, warning_days=warning_days))
    assert got == _load(f"{LEDGER}.{as_of}.expected.json")


@pytest.mark.parametrize("name", INVOICES)
def test_example_invoice_does_not_depend_on_the_order_of_the_input(name):
    document = _load(f"{name}.json")
    for key in ("users", "calls", "numbers", "appointments", "usage_history"):
        document[key].reverse()
    for user in document["users"]:
        user["access"].reverse()
    got = invoice_to_json(price_invoice(facts_from_scenario(document)))
    assert without_descriptions(got) == without_descriptions(_load(f"{name}.expected.json"))
