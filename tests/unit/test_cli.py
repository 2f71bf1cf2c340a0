"""The command line contract: malformed input is exit 2 and one line on
stderr naming the field and the problem, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from unit.scenario_builder import scenario, steady

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path: Path, document, *args: str, raw: str | None = None) -> subprocess.CompletedProcess:
    path = tmp_path / "input.json"
    path.write_text(raw if raw is not None else json.dumps(document), encoding="utf-8")
    command = [sys.executable, "-m", "billing", *(args or ("invoice",)), str(path)]
    if args and args[0] == "status":
        command = [sys.executable, "-m", "billing", "status", str(path), *args[1:]]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True)


def _refused(done: subprocess.CompletedProcess, *fragments: str) -> None:
    assert done.returncode == 2, done.stdout
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    for fragment in fragments:
        assert fragment in done.stderr, done.stderr


def _with(**changes):
    document = scenario(users=steady(1))
    for path, value in changes.items():
        target = document
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        if value is KeyError:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return document


@pytest.mark.parametrize(("changes", "fragments"), [
    ({"cycle": KeyError}, ("cycle: is required",)),
    ({"cycle": "2026-13"}, ("cycle:",)),
    ({"onboarded_on": "2026-02-30"}, ("onboarded_on:", "not a real date")),
    ({"onboarded_on": "20261105"}, ("onboarded_on:",)),
    ({"users__0__access__0__to": "2025-01-10"}, ("users[0].access[0].to: must be after from",)),
    ({"contract__user_fee": 150}, ("contract.user_fee:",)),
    ({"contract__user_fee": "-150"}, ("contract.user_fee:",)),
    ({"contract__user_fee": "1e3"}, ("contract.user_fee:",)),
    ({"contract__user_fee": " 150"}, ("contract.user_fee:",)),
    ({"contract__minute_block": 0}, ("contract.minute_block:",)),
    ({"contract__signal": {"mode": "monthly", "rate": "1"}}, ("contract.signal.mode:",)),
    ({"contract__transcription_rate": KeyError}, ("contract.transcription_rate: is required",)),
    ({"seats_paid_in_advance": -1}, ("seats_paid_in_advance:",)),
    ({"seats_paid_in_advance": 1.5}, ("seats_paid_in_advance:",)),
    ({"seats_paid_in_advance": True}, ("seats_paid_in_advance:",)),
    ({"calls": [{"user": "s01", "date": "2026-11-01", "duration_seconds": -5, "transcribed_seconds": 0}]}, ("calls[0].duration_seconds:",)),
    ({"calls": [{"user": "s01", "date": "2026-11-01", "duration_seconds": 5}]}, ("calls[0].transcribed_seconds: is required",)),
    ({"appointments": [{"id": "a", "date": "2026-11-01", "status": "done"}]}, ("appointments[0].status:",)),
    ({"numbers": [{"number": "+1", "active_from": "2026-11-01"}]}, ("numbers[0].active_to: is required",)),
    ({"usage_history": [{"cycle": "2026-10", "minutes_used": 1, "user_days": 1}] * 2}, ("usage_history[1].cycle:", "duplicate")),
])
def test_malformed_scenarios_are_refused_naming_the_field(tmp_path, changes, fragments):
    _refused(_run(tmp_path, _with(**changes)), *fragments)


def test_overlapping_spans_are_refused_but_touching_spans_are_fine(tmp_path):
    overlapping = scenario(users=[{"id": "u", "access": [{"from": "2026-01-01", "to": "2026-03-01"},
                                                         {"from": "2026-02-01", "to": None}]}])
    _refused(_run(tmp_path, overlapping), "users[0].access[1]", "overlaps")
    touching = scenario(users=[{"id": "u", "access": [{"from": "2026-01-01", "to": "2026-03-01"},
                                                      {"from": "2026-03-01", "to": None}]}])
    assert _run(tmp_path, touching).returncode == 0


def test_duplicate_user_ids_are_refused(tmp_path):
    _refused(_run(tmp_path, scenario(users=steady(1) + steady(1))), "users[1].id", "duplicate")


@pytest.mark.parametrize("raw", ["", "{", "[1, 2]", "null", "\"text\""])
def test_invalid_json_or_a_document_that_is_not_an_object_is_refused(tmp_path, raw):
    _refused(_run(tmp_path, None, raw=raw))


def test_an_unreadable_file_is_refused(tmp_path):
    done = subprocess.run([sys.executable, "-m", "billing", "invoice", str(tmp_path / "missing.json")],
                          cwd=ROOT, capture_output=True, text=True)
    _refused(done, "cannot read")


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"agency": "Peña"}'.encode("latin-1"))
    done = subprocess.run([sys.executable, "-m", "billing", "invoice", str(path)], cwd=ROOT, capture_output=True, text=True)
    _refused(done, "UTF-8")


LEDGER = {"invoices": [{"number": "I-1", "agency_id": "A", "invoice_date": "2026-11-25", "due_date": "2026-12-01",
                        "total": "10.00"}], "payments": []}


@pytest.mark.parametrize(("args", "fragments"), [
    (("status",), ("--as-of",)),
    (("status", "--as-of", "2026-02-30"), ("--as-of",)),
    (("status", "--as-of", "tomorrow"), ("--as-of",)),
])
def test_a_missing_or_malformed_as_of_is_refused(tmp_path, args, fragments):
    _refused(_run(tmp_path, LEDGER, *args), *fragments)


@pytest.mark.parametrize(("payments", "fragments"), [
    ([{"agency_id": "A", "date": "2026-12-01", "amount": "5.00", "invoice": "I-9"}], ("payments[0].invoice:", "unknown")),
    ([{"agency_id": "B", "date": "2026-12-01", "amount": "5.00", "invoice": "I-1"}], ("payments[0].invoice:", "another agency")),
    ([{"agency_id": "A", "date": "2026-12-01", "amount": "5.00"}], ("payments[0].invoice: is required",)),
    ([{"agency_id": "A", "date": "2026-12-01", "amount": 5, "invoice": None}], ("payments[0].amount:",)),
])
def test_malformed_ledgers_are_refused(tmp_path, payments, fragments):
    _refused(_run(tmp_path, dict(LEDGER, payments=payments), "status", "--as-of", "2026-12-12"), *fragments)


def test_duplicate_invoice_numbers_are_refused(tmp_path):
    document = dict(LEDGER, invoices=LEDGER["invoices"] * 2)
    _refused(_run(tmp_path, document, "status", "--as-of", "2026-12-12"), "invoices[1].number", "duplicate")


def test_a_valid_ledger_prints_statuses(tmp_path):
    done = _run(tmp_path, LEDGER, "status", "--as-of", "2026-12-12")
    assert done.returncode == 0
    assert json.loads(done.stdout)["agencies"][0]["status"] == "at_risk"
