"""The command-line contract of SCENARIO_FORMAT.md: ``python -m billing
invoice FILE`` and ``status FILE --as-of DATE`` print one JSON document and
exit 0; anything malformed exits 2 with ONE line on stderr naming the field
and the problem, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from unit.scenario_builder import (
    EVERY_SERVICE_ON,
    ROOT,
    appointment,
    call,
    history,
    ledger_document,
    ledger_invoice,
    number,
    payment,
    scenario,
    steady,
    user,
)

DELETE = object()


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "billing", *args], cwd=ROOT, capture_output=True, check=False,
                          text=True, encoding="utf-8", errors="replace")


def _write(tmp_path: Path, document: Any = None, raw: str | bytes | None = None) -> str:
    path = tmp_path / "input.json"
    if isinstance(raw, bytes):
        path.write_bytes(raw)
    else:
        path.write_text(raw if raw is not None else json.dumps(document), encoding="utf-8")
    return str(path)


def _refused(done: subprocess.CompletedProcess, *fragments: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout[:200], done.stderr[-500:])
    assert "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) == 1 and done.stderr.endswith("\n"), done.stderr
    assert done.stdout == "", done.stdout[:200]
    for fragment in fragments:
        assert fragment in done.stderr, done.stderr
    return done.stderr


def _accepted(done: subprocess.CompletedProcess) -> dict:
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return json.loads(done.stdout)


def _full() -> dict:
    """A scenario that uses every part of the format once."""
    return scenario(
        contract=EVERY_SERVICE_ON,
        seats_paid_in_advance=4,
        usage_history=[history("2026-10", 3000, 120)],
        users=[*steady(3), user("u04", ("2026-11-01", None))],
        calls=[call("2026-11-02", 61, 61)],
        numbers=[number("+13125550100")],
        appointments=[appointment("2026-11-02")],
    )


def _with(path: tuple, value: Any, document: dict | None = None) -> dict:
    document = document if document is not None else _full()
    target = document
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


# --- a valid scenario ------------------------------------------------------------------------------------

def test_a_valid_scenario_prints_the_invoice_and_exits_0(tmp_path):
    out = _accepted(_run("invoice", _write(tmp_path, _full())))
    assert out["agency_id"] == "A-1" and out["cycle"] == "2026-11" and out["lines"][0]["code"] == "USER_FEE"


@pytest.mark.parametrize(("path", "value"), [
    (("users", 0, "access"), [{"from": "2026-01-01", "to": "2026-03-01"}, {"from": "2026-03-01", "to": None}]),
    (("minute_bank", "balance_at_previous_cutoff"), -5000),
    (("contract", "licensing_fee"), DELETE),
    (("contract", "minute_block"), None),
    (("contract", "replenish_buffer_pct"), DELETE),
    (("contract", "onboarding_minutes_per_user"), None),
    (("contract", "signal"), {"mode": "flat", "amount": "199"}),
    (("contract", "user_fee"), "150"),
    (("contract", "minute_rate"), "0.0150"),
    (("calls", 0, "transcribed_seconds"), 0),
    (("calls", 0, "duration_seconds"), 0),
    (("agency", "name"), ""),
], ids=["touching-spans", "negative-bank", "licensing-absent", "block-null", "buffer-absent", "onboarding-null",
        "flat-signal", "money-without-fraction", "four-decimal-rate", "no-transcription", "zero-second-call",
        "empty-name"])
def test_valid_variations_are_accepted(tmp_path, path, value):
    _accepted(_run("invoice", _write(tmp_path, _with(path, value))))


def test_touching_spans_do_not_overlap(tmp_path):
    touching = _with(("users", 0, "access"), [{"from": "2026-01-01", "to": "2026-03-01"},
                                              {"from": "2026-03-01", "to": None}])
    _accepted(_run("invoice", _write(tmp_path, touching)))


# --- malformed scenarios -------------------------------------------------------------------------------------

MISSING = [
    ("cycle",), ("agency",), ("agency", "id"), ("onboarded_on",), ("contract",), ("contract", "user_fee"),
    ("contract", "minimum_users"), ("contract", "minute_rate"), ("contract", "signal"),
    ("contract", "number_cleaning_rate"), ("contract", "appointment_fee"), ("contract", "transcription_rate"),
    ("seats_paid_in_advance",), ("minute_bank",), ("minute_bank", "balance_at_previous_cutoff"),
    ("minute_bank", "credited_at_period_start"), ("usage_history",), ("usage_history", 0, "user_days"), ("users",),
    ("users", 0, "id"), ("users", 0, "access"), ("users", 0, "access", 0, "from"), ("users", 0, "access", 0, "to"),
    ("calls",), ("calls", 0, "user"), ("calls", 0, "date"), ("calls", 0, "duration_seconds"),
    ("calls", 0, "transcribed_seconds"), ("numbers",), ("numbers", 0, "number"), ("numbers", 0, "active_to"),
    ("appointments",), ("appointments", 0, "status"), ("appointments", 0, "date"),
]


def _name(path: tuple) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


@pytest.mark.parametrize("path", MISSING, ids=_name)
def test_a_missing_field_is_refused_by_name(tmp_path, path):
    _refused(_run("invoice", _write(tmp_path, _with(path, DELETE))), f"{_name(path)}: is required")


BAD_VALUES = [
    # dates
    (("onboarded_on",), "2026-02-30", "not a real date"),
    (("onboarded_on",), "20261105", "YYYY-MM-DD"),
    (("onboarded_on",), 20261105, "YYYY-MM-DD"),
    (("users", 0, "access", 0, "from"), "2026-11-5", "YYYY-MM-DD"),
    (("users", 0, "access", 0, "to"), "2026-11-31", "not a real date"),
    (("calls", 0, "date"), "2026-13-01", "not a real date"),
    (("numbers", 0, "active_from"), "2026/01/01", "YYYY-MM-DD"),
    (("appointments", 0, "date"), None, ""),
    (("cycle",), "2026-13", "YYYY-MM"),
    (("cycle",), "2026-1", "YYYY-MM"),
    (("cycle",), 202611, "YYYY-MM"),
    (("usage_history", 0, "cycle"), "2026-10-01", "YYYY-MM"),
    # spans
    (("users", 0, "access", 0, "to"), "2025-01-10", "must be after from"),  # equal to from
    (("users", 0, "access", 0, "to"), "2024-01-01", "must be after from"),  # before from
    (("numbers", 0, "active_to"), "2024-12-31", "must be after active_from"),
    # counts
    (("calls", 0, "duration_seconds"), -1, "at least 0"),
    (("calls", 0, "transcribed_seconds"), -60, "at least 0"),
    (("calls", 0, "duration_seconds"), 1.5, "whole number"),
    (("calls", 0, "duration_seconds"), "60", "whole number"),
    (("contract", "minimum_users"), -1, "at least 0"),
    (("contract", "minimum_users"), "10", "whole number"),
    (("contract", "minimum_users"), True, "whole number"),
    (("contract", "minimum_users"), 10.0, "whole number"),
    (("seats_paid_in_advance",), -1, "at least 0"),
    (("minute_bank", "credited_at_period_start"), -1, "at least 0"),
    (("minute_bank", "balance_at_previous_cutoff"), 1.5, "whole number"),
    (("usage_history", 0, "user_days"), -1, "at least 0"),
    (("usage_history", 0, "minutes_used"), None, "whole number"),
    (("contract", "minute_block"), 0, "at least 1"),
    (("contract", "minute_block"), -100, "at least 1"),
    (("contract", "onboarding_minutes_per_user"), -1, "at least 0"),
    # statuses and modes
    (("appointments", 0, "status"), "done", "completed, cancelled, no_show"),
    (("appointments", 0, "status"), "Completed", "completed, cancelled, no_show"),
    (("appointments", 0, "status"), None, "completed, cancelled, no_show"),
    (("contract", "signal", "mode"), "monthly", "per_user"),
    (("contract", "signal"), "per_user", "must be an object"),
    # identifiers
    (("agency", "id"), "", "non-empty string"),
    (("agency", "id"), 1001, "non-empty string"),
    (("users", 0, "id"), None, "non-empty string"),
    (("numbers", 0, "number"), 13125550100, "non-empty string"),
    (("calls", 0, "user"), None, "must be a string"),
    # structure
    (("users",), {}, "must be a list"),
    (("users", 0), "s01", "must be an object"),
    (("users", 0, "access"), None, "must be a list"),
    (("agency",), "A-1", "must be an object"),
    (("minute_bank",), [], "must be an object"),
]


@pytest.mark.parametrize(("path", "value", "problem"), BAD_VALUES,
                         ids=[f"{_name(p)}={v!r}" for p, v, _ in BAD_VALUES])
def test_a_malformed_field_is_refused_by_name(tmp_path, path, value, problem):
    _refused(_run("invoice", _write(tmp_path, _with(path, value))), f"{_name(path)}: ", problem)


MONEY_FIELDS = [("contract", "user_fee"), ("contract", "minute_rate"), ("contract", "licensing_fee"),
                ("contract", "replenish_buffer_pct"), ("contract", "number_cleaning_rate"),
                ("contract", "appointment_fee"), ("contract", "transcription_rate"), ("contract", "signal", "rate")]
BAD_MONEY = [150, 150.0, 0, "-150", "+150", "1e3", "1E3", " 150", "150 ", "1 500", "1,500.00", "$150", "", "150.",
             ".5", "0x10", "NaN", "Infinity", "١٥٠"]


@pytest.mark.parametrize("money", BAD_MONEY, ids=repr)
def test_money_that_is_not_a_plain_decimal_string_is_refused(tmp_path, money):
    _refused(_run("invoice", _write(tmp_path, _with(("contract", "user_fee"), money))), "contract.user_fee: ",
             "decimal string")


@pytest.mark.parametrize("path", MONEY_FIELDS, ids=_name)
def test_every_money_field_is_checked(tmp_path, path):
    _refused(_run("invoice", _write(tmp_path, _with(path, "-1.00"))), f"{_name(path)}: ")


def test_user_fee_null_is_refused_because_only_services_may_be_null(tmp_path):
    _refused(_run("invoice", _write(tmp_path, _with(("contract", "user_fee"), None))), "contract.user_fee: ")


def test_span_to_not_after_from_names_the_user_and_the_span(tmp_path):
    document = scenario(users=[*steady(3), user("u04", ("2026-01-01", "2026-02-01"), ("2026-11-05", "2026-11-05"))])
    document["users"][3]["access"].reverse()
    stderr = _refused(_run("invoice", _write(tmp_path, document)))
    assert stderr == "error: users[3].access[0].to: must be after from\n"


@pytest.mark.parametrize("spans", [
    [("2026-01-01", "2026-03-01"), ("2026-02-01", None)],
    [("2026-01-01", None), ("2026-02-01", "2026-03-01")],
    [("2026-01-01", None), ("2026-06-01", None)],
    [("2026-02-01", "2026-03-01"), ("2026-01-01", "2026-12-01")],  # one inside the other
    [("2026-01-01", "2026-03-01"), ("2026-01-01", "2026-02-01")],  # same start
], ids=["crossing", "after-open-end", "two-open-ends", "inside", "same-start"])
def test_overlapping_spans_are_refused(tmp_path, spans):
    document = scenario(users=[*steady(1), user("u", *spans)])
    _refused(_run("invoice", _write(tmp_path, document)), "users[1].access[", "overlaps")


def test_duplicate_user_ids_are_refused(tmp_path):
    _refused(_run("invoice", _write(tmp_path, scenario(users=steady(2) + steady(1)))), "users[2].id: ", "duplicate")


def test_duplicate_history_cycles_are_refused(tmp_path):
    document = scenario(usage_history=[history("2026-10", 1, 1), history("2026-09", 1, 1), history("2026-10", 2, 2)])
    _refused(_run("invoice", _write(tmp_path, document)), "usage_history[2].cycle: ", "duplicate")


@pytest.mark.parametrize("mode", ["per_user", "flat"])
def test_a_signal_plan_needs_its_price(tmp_path, mode):
    key = "rate" if mode == "per_user" else "amount"
    _refused(_run("invoice", _write(tmp_path, _with(("contract", "signal"), {"mode": mode}))),
             f"contract.signal.{key}: is required")


# --- files that are not scenarios at all ------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["", "{", "{'cycle': '2026-11'}", '{"cycle": "2026-11",}', "nul", "{} {}"],
                         ids=["empty", "unclosed", "single-quotes", "trailing-comma", "bad-literal", "two-documents"])
def test_invalid_json_is_refused(tmp_path, raw):
    _refused(_run("invoice", _write(tmp_path, raw=raw)), "invalid JSON")


@pytest.mark.parametrize("command", ["invoice", "status"])
@pytest.mark.parametrize("raw", ["[]", '[{"cycle": "2026-11"}]', "null", '"text"', "42", "true"],
                         ids=["empty-array", "array", "null", "string", "number", "true"])
def test_a_document_that_is_not_an_object_is_refused(tmp_path, command, raw):
    extra = ("--as-of", "2026-12-12") if command == "status" else ()
    _refused(_run(command, _write(tmp_path, raw=raw), *extra), "must be an object")


def test_a_json_array_as_the_whole_document_is_refused(tmp_path):
    stderr = _refused(_run("invoice", _write(tmp_path, [scenario()])))
    assert "must be an object, got a list" in stderr


@pytest.mark.parametrize("command", ["invoice", "status"])
def test_an_unreadable_file_is_refused(tmp_path, command):
    extra = ("--as-of", "2026-12-12") if command == "status" else ()
    _refused(_run(command, str(tmp_path / "missing.json"), *extra), "missing.json", "cannot read")
    _refused(_run(command, str(tmp_path), *extra), "cannot read")  # a directory


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    _refused(_run("invoice", _write(tmp_path, raw='{"agency": "Peña"}'.encode("latin-1"))), "UTF-8")


def test_deeply_nested_json_is_refused(tmp_path):
    _refused(_run("invoice", _write(tmp_path, raw="[" * 100000 + "]" * 100000)))


# --- the command line itself ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [(), ("price",), ("invoice",), ("status",), ("invoice", "a.json", "b.json")],
                         ids=["nothing", "unknown-command", "invoice-without-file", "status-without-file", "two-files"])
def test_a_malformed_command_line_is_refused(args):
    _refused(_run(*args))


# --- ledgers ---------------------------------------------------------------------------------------------------------

NOV = ledger_invoice("INV-1", "10.00", "2026-11")
LEDGER = ledger_document([NOV, ledger_invoice("INV-B", "5.00", "2026-11", agency="B")],
                         [payment("2026-12-01", "5.00", "INV-1")])


def test_a_valid_ledger_prints_statuses(tmp_path):
    out = _accepted(_run("status", _write(tmp_path, LEDGER), "--as-of", "2026-12-12"))
    assert out["as_of"] == "2026-12-12"
    assert [(a["agency_id"], a["status"], a["balance"]) for a in out["agencies"]] == [
        ("A", "at_risk", "5.00"), ("B", "at_risk", "5.00")]


@pytest.mark.parametrize(("args", "fragment"), [
    ((), "--as-of"),
    (("--as-of",), "--as-of"),
    (("--as-of", "2026-02-30"), "--as-of: "),
    (("--as-of", "20261105"), "--as-of: "),
    (("--as-of", "tomorrow"), "--as-of: "),
    (("--as-of", ""), "--as-of: "),
    (("--as-of", "2026-12-12T00:00"), "--as-of: "),
], ids=["missing", "no-value", "not-real", "compact", "word", "empty", "timestamp"])
def test_a_missing_or_malformed_as_of_is_refused(tmp_path, args, fragment):
    _refused(_run("status", _write(tmp_path, LEDGER), *args), fragment)


def _ledger_with(path: tuple, value: Any) -> dict:
    return _with(path, value, json.loads(json.dumps(LEDGER)))


LEDGER_BAD = [
    (("payments", 0, "invoice"), "INV-9", "unknown invoice"),
    (("payments", 0, "invoice"), "INV-B", "another agency"),
    (("payments", 0, "invoice"), DELETE, "is required"),
    (("payments", 0, "amount"), 5, "decimal string"),
    (("payments", 0, "amount"), "-5.00", "decimal string"),
    (("payments", 0, "amount"), "5e0", "decimal string"),
    (("payments", 0, "date"), "2026-12-32", "not a real date"),
    (("payments", 0, "agency_id"), DELETE, "is required"),
    (("invoices", 0, "total"), 10.0, "decimal string"),
    (("invoices", 0, "total"), "+10.00", "decimal string"),
    (("invoices", 0, "due_date"), "20261201", "YYYY-MM-DD"),
    (("invoices", 0, "invoice_date"), DELETE, "is required"),
    (("invoices", 0, "number"), "", "non-empty string"),
    (("warning_days",), -1, "at least 0"),
    (("warning_days",), "5", "whole number"),
    (("invoices",), DELETE, "is required"),
    (("payments",), {}, "must be a list"),
]


@pytest.mark.parametrize(("path", "value", "problem"), LEDGER_BAD,
                         ids=[f"{_name(p)}={'absent' if v is DELETE else repr(v)}" for p, v, _ in LEDGER_BAD])
def test_a_malformed_ledger_is_refused_by_name(tmp_path, path, value, problem):
    _refused(_run("status", _write(tmp_path, _ledger_with(path, value)), "--as-of", "2026-12-12"),
             f"{_name(path)}: ", problem)


def test_duplicate_invoice_numbers_are_refused(tmp_path):
    document = ledger_document([NOV, ledger_invoice("INV-2", "1.00"), ledger_invoice("INV-1", "2.00", "2026-12")])
    _refused(_run("status", _write(tmp_path, document), "--as-of", "2026-12-12"), "invoices[2].number: ", "duplicate")


@pytest.mark.parametrize("warning_days", [None, "absent"])
def test_warning_days_may_be_absent_or_null(tmp_path, warning_days):
    document = dict(LEDGER)
    if warning_days is None:
        document["warning_days"] = None
    out = _accepted(_run("status", _write(tmp_path, document), "--as-of", "2026-12-11"))
    assert out["agencies"][0]["status"] == "at_risk"  # 10 days overdue with the default 5-day window


# --- inputs that used to end in a traceback ----------------------------------------------------------------------------
# Found while writing this suite; each is fixed in billing/ by its own commit.


@pytest.mark.parametrize("cycle", ["0001-01", "0000-06", "9999-12"])
def test_a_cycle_whose_periods_fall_outside_the_calendar_is_refused(tmp_path, cycle):
    # 0001-01 closes a period starting in December of year 0; 9999-12 bills one ending in year 10000.
    _refused(_run("invoice", _write(tmp_path, _with(("cycle",), cycle))), "cycle: ")


def test_the_last_cycle_the_calendar_can_hold_is_priced(tmp_path):
    out = _accepted(_run("invoice", _write(tmp_path, scenario(cycle="9999-11", onboarded_on="9999-01-01"))))
    assert out["restriction_date"] == "9999-12-16"


def test_a_due_date_whose_restriction_date_falls_outside_the_calendar_is_refused(tmp_path):
    document = _ledger_with(("invoices", 0, "due_date"), "9999-12-25")
    _refused(_run("status", _write(tmp_path, document), "--as-of", "9999-12-31"), "invoices[0].due_date: ")


def test_an_integer_too_long_to_read_is_refused(tmp_path):
    raw = json.dumps(scenario()).replace('"seats_paid_in_advance": 0', '"seats_paid_in_advance": ' + "9" * 5000)
    _refused(_run("invoice", _write(tmp_path, raw=raw)), "input.json: ")


@pytest.mark.parametrize(("path", "field"), [
    (("agency", "id"), "agency.id: "),
    (("agency", "name"), "agency.name: "),
    (("users", 0, "id"), "users[0].id: "),
    (("calls", 0, "user"), "calls[0].user: "),
], ids=["agency.id", "agency.name", "users.id", "calls.user"])
def test_text_with_an_unpaired_surrogate_is_refused(tmp_path, path, field):
    # JSON may escape a lone surrogate ("\ud800"); it is not text and cannot be written back out as UTF-8.
    _refused(_run("invoice", _write(tmp_path, _with(path, "A\ud800"))), field)


def test_a_ledger_identifier_with_an_unpaired_surrogate_is_refused(tmp_path):
    document = _ledger_with(("invoices", 1, "agency_id"), "B\udfff")
    _refused(_run("status", _write(tmp_path, document), "--as-of", "2026-12-12"), "invoices[1].agency_id: ")


def test_money_beyond_28_digits_is_priced_exactly(tmp_path):
    huge = "1" + "0" * 30
    out = _accepted(_run("invoice", _write(tmp_path, scenario(contract={"user_fee": huge}, users=steady(3),
                                                               seats_paid_in_advance=3))))
    assert out["lines"][0]["amount"] == "3" + "0" * 30 + ".00"
    assert out["total"] == "3" + "0" * 30 + ".00"


def test_ledger_money_beyond_28_digits_is_exact(tmp_path):
    document = ledger_document([ledger_invoice("INV-1", "1" + "0" * 40 + ".01")], [payment("2026-12-01", "0.02")])
    out = _accepted(_run("status", _write(tmp_path, document), "--as-of", "2026-12-12"))
    assert out["agencies"][0]["balance"] == "9" * 40 + ".99"
