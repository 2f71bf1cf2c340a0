"""Importing CSV files (docs/IMPORT_FORMAT.md): validated, all or nothing,
idempotent, time zones, issued cycles — on SQLite and PostgreSQL.

Every file here is a real file written to ``tmp_path``; every rejection is
checked to have changed nothing (the row count of every table)."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlmodel import SQLModel

from billing import Cycle
from db.engine import get_engine, session_scope
from db.errors import BillingError
from db.imports import KINDS, ImportProblem, ImportRejected, import_file
from db.models import (
    AccessSpan,
    AgencyContract,
    AuditEvent,
    Call,
    CallDay,
    DialerUser,
    Invoice,
    Payment,
)
from services.issuing import issue_cycle
from services.previews import previews_in
from services.review import approve_for_seed
from services.unit_of_work import sessions_for

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
TODAY = date(2026, 11, 25)
CALLS_HEADER = "call_id,agency_id,user_id,started_at,duration_seconds,transcribed_seconds"


@pytest.fixture(autouse=True)
def _billing_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BILLING_TIMEZONE", raising=False)


@pytest.fixture
def engine(database_url: str):
    engine = get_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def loaded(engine):
    """The sample agencies, contracts and users imported."""
    for kind in ("agencies", "contracts", "users"):
        run(engine, kind, SAMPLES / f"{kind}.csv")
    return engine


def run(engine, kind: str, source, **options):
    return import_file(kind, source, actor="test", engine=engine, **options)


def write(tmp_path: Path, name: str, body: str, *, bom: bool = False, crlf: bool = False) -> Path:
    if crlf:
        body = body.replace("\n", "\r\n")
    data = body.encode("utf-8")
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
        }


def rejected(engine, kind: str, source, **options) -> ImportRejected:
    """Import ``source``, expect a rejection, and prove nothing was written."""
    before = counts(engine)
    with pytest.raises(ImportRejected) as caught:
        run(engine, kind, source, **options)
    assert counts(engine) == before
    error = caught.value
    assert "\n" not in str(error)
    assert "nothing was imported" in str(error)
    return error


def messages(error: ImportRejected) -> list[str]:
    return [str(p) for p in error.problems]


def calls_file(tmp_path: Path, *rows: str, name: str = "calls.csv") -> Path:
    return write(tmp_path, name, "\n".join([CALLS_HEADER, *rows]) + "\n")


# --- the samples ---------------------------------------------------------------------

def test_samples_imported_in_order_price_every_agency_without_problems(engine) -> None:
    for kind in KINDS:
        summary = run(engine, kind, SAMPLES / f"{kind}.csv")
        assert summary["inserted"] == summary["rows"] > 0, summary
        assert summary["warnings"] == []
    with session_scope(engine) as session:
        for cycle in ("2026-10", "2026-11"):
            previews = previews_in(session, Cycle.parse(cycle))
            assert previews.problems == {}
        assert set(previews.previews) == {"A-1001", "A-1002", "A-1003"}
        assert all(p.total > 0 for p in previews.previews.values())


def test_importing_the_same_file_twice_adds_nothing(engine) -> None:
    for kind in KINDS:
        run(engine, kind, SAMPLES / f"{kind}.csv")
    before = counts(engine)
    for kind in KINDS:
        summary = run(engine, kind, SAMPLES / f"{kind}.csv")
        assert summary["inserted"] == 0
        assert summary["unchanged"] == summary["rows"] > 0
    after = counts(engine)
    assert after.pop("audit_event") == before.pop("audit_event") + len(KINDS)  # the imports themselves
    assert after == before


def test_rollup_equals_the_sum_of_the_calls_after_import(loaded) -> None:
    run(loaded, "calls", SAMPLES / "calls.csv")
    with session_scope(loaded) as session:
        calls = session.execute(select(Call.agency_id, Call.started_on, Call.duration_seconds, Call.transcribed_seconds)).all()
        days = {(d.agency_id, d.day): d for d in session.scalars(select(CallDay))}
        expected: dict[tuple[str, date], list[int]] = {}
        for agency_id, day, duration, transcribed in calls:
            sums = expected.setdefault((agency_id, day), [0, 0, 0])
            sums[0] += 1
            sums[1] += -(-duration // 60)
            sums[2] += transcribed
        assert {k: [d.calls, d.billable_minutes, d.transcribed_seconds] for k, d in days.items()} == expected
        assert all(d.cycle == str(Cycle.containing(d.day)) for d in days.values())
        last_call: dict[tuple[str, str], date] = {}
        for agency_id, user_id, day in session.execute(select(Call.agency_id, Call.user_id, Call.started_on)):
            last_call[(agency_id, user_id)] = max(day, last_call.get((agency_id, user_id), day))
        stored = {(a, u): d for a, u, d in session.execute(
            select(DialerUser.agency_id, DialerUser.user_id, DialerUser.last_call_on)) if d is not None}
        assert stored == last_call


def test_imported_calls_read_back_as_the_instants_in_the_file(loaded, tmp_path: Path) -> None:
    run(loaded, "calls", calls_file(tmp_path, "C-1,A-1001,u01,2026-11-05T09:30:00.25-05:00,60,0"))
    moment = datetime(2026, 11, 5, 14, 30, 0, 250_000, tzinfo=UTC)
    with session_scope(loaded) as session:
        call = session.scalars(select(Call).where(Call.call_id == "C-1")).one()
        assert (call.started_at, call.started_on) == (moment, date(2026, 11, 5))
        # Stored exactly as the ORM stores that instant: it compares equal in SQL.
        assert session.scalar(select(Call.call_id).where(Call.started_at == moment)) == "C-1"


# --- accepted spellings ------------------------------------------------------------------

def test_bom_crlf_and_quoted_commas_are_accepted(engine, tmp_path: Path) -> None:
    path = write(tmp_path, "agencies.csv", (
        "agency_id,name,onboarded_on,address,billing_email,account_manager\n"
        'A-1,"Smith, Jones & Café",2026-09-24,"1 Main St, Suite 2\nSpringfield",ap@sj.example,\n'
        "A-2,Plain,2026-09-24,,,\n"
    ), bom=True, crlf=True)
    summary = run(engine, "agencies", path)
    assert summary["inserted"] == 2
    with engine.connect() as connection:
        name, address = connection.execute(text("SELECT name, address FROM agency WHERE id = 'A-1'")).one()
    assert name == "Smith, Jones & Café"
    assert address == "1 Main St, Suite 2\r\nSpringfield"  # a line break inside quotes is data


def test_columns_may_come_in_any_order_and_optional_ones_may_be_left_out(engine, tmp_path: Path) -> None:
    path = write(tmp_path, "agencies.csv", "onboarded_on,name,agency_id\n2026-09-24,Reordered,A-9\n")
    assert run(engine, "agencies", path)["inserted"] == 1


def test_binary_streams_are_accepted_and_named_in_messages(loaded) -> None:
    stream = io.BytesIO(f"{CALLS_HEADER}\nX-1,A-1001,u01,2026-11-05T14:30:00Z,60,0\n".encode())
    stream.name = "upload-november.csv"
    assert run(loaded, "calls", stream)["inserted"] == 1

    class Pipe(io.RawIOBase):  # cannot seek: spooled before it is read twice
        def __init__(self, data: bytes) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    assert run(loaded, "calls", io.BufferedReader(Pipe(
        f"{CALLS_HEADER}\nX-2,A-1001,u01,2026-11-05T14:31:00Z,60,0\n".encode())))["inserted"] == 1
    bad = io.BytesIO(f"{CALLS_HEADER}\nX-3,A-1001,u01,2026-11-05T14:31:00Z,-1,0\n".encode())
    bad.name = "upload-november.csv"
    assert str(rejected(loaded, "calls", bad).problems[0]).startswith("upload-november.csv row 1, duration_seconds")


# --- all or nothing ----------------------------------------------------------------------

def test_a_file_with_one_bad_row_writes_nothing_even_after_many_good_ones(loaded, tmp_path: Path) -> None:
    good = [f"C-{i:06d},A-1001,u0{1 + i % 2},2026-11-{1 + i % 20:02d}T15:00:00Z,{i % 300},0" for i in range(60_000)]
    path = calls_file(tmp_path, *good, "C-bad,A-1001,u01,2026-11-05T15:00:00Z,-5,0")
    error = rejected(loaded, "calls", path)
    assert messages(error) == ["calls.csv row 60,001, duration_seconds: must be a whole number ≥ 0, got '-5'"]
    assert str(error) == ("calls.csv: 1 problem; nothing was imported: "
                          "row 60,001, duration_seconds: must be a whole number ≥ 0, got '-5'")


def test_problems_name_row_and_column_and_list_the_first_50(loaded, tmp_path: Path) -> None:
    path = calls_file(tmp_path, *[f"C-{i},A-1001,u01,2026-11-05T15:00:00Z,abc,0" for i in range(120)])
    error = rejected(loaded, "calls", path)
    assert error.total == 120
    assert len(error.problems) == 50
    assert all(isinstance(p, ImportProblem) for p in error.problems)
    first = error.problems[0]
    assert (first.file, first.row, first.column) == ("calls.csv", 1, "duration_seconds")
    assert str(error).startswith("calls.csv: 120 problems; nothing was imported: row 1, duration_seconds:")
    assert str(error).endswith("and 117 more")


def test_a_failed_import_writes_no_audit_event_and_a_good_one_writes_one(loaded, tmp_path: Path) -> None:
    rejected(loaded, "calls", calls_file(tmp_path, "C-1,A-1001,u01,bad,60,0"))
    summary = run(loaded, "calls", calls_file(tmp_path, "C-1,A-1001,u01,2026-11-05T15:00:00Z,60,0"))
    with session_scope(loaded) as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "import", AuditEvent.subject == "calls")).all()
    assert len(events) == 1
    assert events[0].actor == "test"
    details = json.loads(events[0].details)
    assert details["file"] == "calls.csv" and details["rows"] == 1 and details["inserted"] == summary["inserted"] == 1


def test_two_imports_of_the_same_file_at_once_store_it_once(loaded, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    path = calls_file(tmp_path, *[f"C-{i},A-1001,u01,2026-11-05T15:00:00Z,60,0" for i in range(5_000)])
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: run(loaded, "calls", path), range(2)))
    assert sorted((r["inserted"], r["unchanged"]) for r in results) == [(0, 5_000), (5_000, 0)]
    with session_scope(loaded) as session:
        assert session.scalar(select(func.sum(CallDay.calls))) == 5_000


# --- header and file problems ---------------------------------------------------------------

def test_missing_columns_are_rejected(loaded, tmp_path: Path) -> None:
    path = write(tmp_path, "calls.csv", "call_id,agency_id,started_at,duration_seconds,transcribed_seconds\n"
                                        "C-1,A-1001,2026-11-05T15:00:00Z,60,0\n")
    assert messages(rejected(loaded, "calls", path)) == ["calls.csv header, user_id: missing column (it is required)"]


def test_extra_columns_are_rejected(loaded, tmp_path: Path) -> None:
    path = write(tmp_path, "calls.csv", f"{CALLS_HEADER},durations\nC-1,A-1001,u01,2026-11-05T15:00:00Z,60,0,1\n")
    (problem,) = messages(rejected(loaded, "calls", path))
    assert problem.startswith("calls.csv header, durations: unknown column (did you mean duration_seconds?)")


def test_empty_files_are_rejected(loaded, tmp_path: Path) -> None:
    assert messages(rejected(loaded, "calls", write(tmp_path, "calls.csv", ""))) == [
        ("calls.csv: the file is empty: expected a header row with the columns call_id, agency_id, user_id, "
        "started_at, duration_seconds, transcribed_seconds")]
    assert messages(rejected(loaded, "calls", write(tmp_path, "calls.csv", "\r\n", bom=True)))[0].startswith(
        "calls.csv: the file is empty")
    assert messages(rejected(loaded, "calls", write(tmp_path, "calls.csv", CALLS_HEADER + "\r\n"))) == [
        "calls.csv: has a header but no data rows"]


def test_text_that_is_not_utf8_is_rejected(loaded, tmp_path: Path) -> None:
    path = tmp_path / "agencies.csv"
    path.write_bytes("agency_id,name,onboarded_on\nA-7,Caf\xe9,2026-09-24\n".encode("latin-1"))
    (problem,) = messages(rejected(loaded, "agencies", path))
    assert "is not UTF-8 text" in problem


def test_a_row_with_the_wrong_number_of_cells_is_rejected(loaded, tmp_path: Path) -> None:
    path = calls_file(tmp_path, "C-1,A-1001,u01,2026-11-05T15:00:00Z,60,0", "C-2,A-1001,u01,2026-11-05T15:00:00Z,1,200,0")
    assert messages(rejected(loaded, "calls", path)) == [
        "calls.csv row 2: has 7 cells but the header has 6 (a value with a comma must be in double quotes)"]


def test_blank_lines_and_empty_rows_are_skipped_and_keep_their_row_number(loaded, tmp_path: Path) -> None:
    path = calls_file(tmp_path, "C-1,A-1001,u01,2026-11-05T15:00:00Z,60,0", "", ",,, ,,",
                      "C-2,A-1001,u01,2026-11-05T15:00:00Z,x,0")
    assert messages(rejected(loaded, "calls", path)) == [
        "calls.csv row 4, duration_seconds: must be a whole number ≥ 0, got 'x'"]
    fixed = calls_file(tmp_path, "C-1,A-1001,u01,2026-11-05T15:00:00Z,60,0", "", ",,, ,,")
    assert run(loaded, "calls", fixed)["rows"] == 1


def test_an_unknown_kind_is_a_clear_error(engine, tmp_path: Path) -> None:
    with pytest.raises(BillingError, match="unknown kind of file 'invoices'"):
        run(engine, "invoices", calls_file(tmp_path))


# --- cell problems -------------------------------------------------------------------------

def test_bad_dates_and_timestamps_are_rejected(loaded, tmp_path: Path) -> None:
    calls = calls_file(tmp_path, "C-1,A-1001,u01,2026-02-30T10:00:00Z,60,0", "C-2,A-1001,u01,yesterday,60,0",
                       "C-3,A-1001,u01,,60,0")
    assert messages(rejected(loaded, "calls", calls)) == [
        "calls.csv row 1, started_at: is not a real date and time, got '2026-02-30T10:00:00Z'",
        "calls.csv row 2, started_at: must be an ISO 8601 timestamp such as 2026-11-05T09:30:00-05:00, got 'yesterday'",
        "calls.csv row 3, started_at: is required (an ISO 8601 timestamp such as 2026-11-05T09:30:00-05:00)",
    ]
    appointments = write(tmp_path, "appointments.csv", "appointment_id,agency_id,date,status\n"
                         "AP-1,A-1001,2026-13-01,completed\nAP-2,A-1001,11/05/2026,completed\n")
    assert messages(rejected(loaded, "appointments", appointments)) == [
        "appointments.csv row 1, date: is not a real date, got '2026-13-01'",
        "appointments.csv row 2, date: must be a date YYYY-MM-DD, got '11/05/2026'",
    ]


def test_negative_or_non_numeric_values_are_rejected(loaded, tmp_path: Path) -> None:
    path = calls_file(tmp_path, "C-1,A-1001,u01,2026-11-05T15:00:00Z,-5,0", "C-2,A-1001,u01,2026-11-05T15:00:00Z,60,1.5",
                      "C-3,A-1001,u01,2026-11-05T15:00:00Z,,0")
    assert messages(rejected(loaded, "calls", path)) == [
        "calls.csv row 1, duration_seconds: must be a whole number ≥ 0, got '-5'",
        "calls.csv row 2, transcribed_seconds: must be a whole number ≥ 0, got '1.5'",
        "calls.csv row 3, duration_seconds: is required (a whole number ≥ 0)",
    ]
    contracts = write(tmp_path, "contracts.csv", "agency_id,effective_from,user_fee,minimum_users,minute_rate,signal_mode\n"
                      "A-1001,2026-12-01,$150,5,0.0150,none\nA-1001,2026-12-02,150,-1,0.0150,none\n")
    assert messages(rejected(loaded, "contracts", contracts)) == [
        "contracts.csv row 1, user_fee: must be a plain number without a currency sign, like 0.0150, got '$150'",
        "contracts.csv row 2, minimum_users: must be a whole number ≥ 0, got '-1'",
    ]


def test_money_with_more_decimals_than_allowed_is_rejected(loaded, tmp_path: Path) -> None:
    payments = write(tmp_path, "payments.csv", "reference,agency_id,date,amount\n"
                     "P-1,A-1001,2026-11-02,100.005\nP-2,A-1001,2026-11-02,0.00\nP-3,A-1001,2026-11-02,1,000.00\n")
    problems = messages(rejected(loaded, "payments", payments))
    assert problems[:2] == [
        "payments.csv row 1, amount: has more than 2 decimal places: amounts are in cents, got '100.005'",
        "payments.csv row 2, amount: must be more than 0, got '0.00'",
    ]
    assert problems[2].startswith("payments.csv row 3: has 5 cells but the header has 4")
    contracts = write(tmp_path, "contracts.csv", "agency_id,effective_from,user_fee,minimum_users,minute_rate,signal_mode\n"
                      "A-1001,2026-12-01,150.00,5,0.01505,none\nA-1001,2026-12-02,150.0000,5,0.0150,none\n")
    assert messages(rejected(loaded, "contracts", contracts)) == [
        "contracts.csv row 1, minute_rate: has more than 4 decimal places, got '0.01505'"]


def test_unknown_agency_or_user_is_rejected(loaded, tmp_path: Path) -> None:
    path = calls_file(tmp_path, "C-1,A-9999,u01,2026-11-05T15:00:00Z,60,0", "C-2,A-1001,u99,2026-11-05T15:00:00Z,60,0",
                      "C-3,A-1002,u06,2026-11-05T15:00:00Z,60,0")
    assert messages(rejected(loaded, "calls", path)) == [
        "calls.csv row 1, agency_id: unknown agency 'A-9999': import agencies.csv first",
        "calls.csv row 2, user_id: unknown user 'u99' of agency A-1001: import users.csv first",
        "calls.csv row 3, user_id: unknown user 'u06' of agency A-1002: import users.csv first",
    ]
    numbers = write(tmp_path, "numbers.csv", "agency_id,number,active_from\nA-0,+13125550100,2026-11-01\n")
    assert messages(rejected(loaded, "numbers", numbers)) == [
        "numbers.csv row 1, agency_id: unknown agency 'A-0': import agencies.csv first"]


def test_duplicate_keys_within_the_file_are_rejected(loaded, tmp_path: Path) -> None:
    path = calls_file(tmp_path, "C-1,A-1001,u01,2026-11-05T15:00:00Z,60,0", "C-2,A-1001,u01,2026-11-05T15:00:00Z,60,0",
                      "C-1,A-1001,u01,2026-11-05T15:00:00Z,60,0")
    assert messages(rejected(loaded, "calls", path)) == [
        "calls.csv row 3, call_id: duplicate key 'C-1': already on row 1"]
    numbers = write(tmp_path, "numbers.csv", "agency_id,number,active_from\n"
                    "A-1001,+13125550199,2026-11-01\nA-1001,+13125550199,2026-11-01\n")
    assert messages(rejected(loaded, "numbers", numbers)) == [
        "numbers.csv row 2: duplicate key number +13125550199 of A-1001 active from 2026-11-01: already on row 1"]


def test_unknown_statuses_and_signal_modes_are_rejected(loaded, tmp_path: Path) -> None:
    appointments = write(tmp_path, "appointments.csv", "appointment_id,agency_id,date,status\n"
                         "AP-1,A-1001,2026-11-05,done\nAP-2,A-1001,2026-11-05,\n")
    assert messages(rejected(loaded, "appointments", appointments)) == [
        "appointments.csv row 1, status: must be one of completed, cancelled, no_show, got 'done'",
        "appointments.csv row 2, status: is required (one of completed, cancelled, no_show)",
    ]
    contracts = write(tmp_path, "contracts.csv", "agency_id,effective_from,user_fee,minimum_users,minute_rate,signal_mode\n"
                      "A-1001,2026-12-01,150.00,5,0.0150,per_seat\n")
    assert messages(rejected(loaded, "contracts", contracts)) == [
        "contracts.csv row 1, signal_mode: must be one of none, per_user, flat, got 'per_seat'"]


def test_signal_rate_is_required_unless_signal_mode_is_none(loaded, tmp_path: Path) -> None:
    header = "agency_id,effective_from,user_fee,minimum_users,minute_rate,signal_mode,signal_rate\n"
    bad = write(tmp_path, "contracts.csv", header + "A-1001,2026-12-01,150.00,5,0.0150,per_user,\n"
                "A-1001,2026-12-02,150.00,5,0.0150,flat,\nA-1001,2026-12-03,150.00,5,0.0150,none,25.00\n")
    assert messages(rejected(loaded, "contracts", bad)) == [
        "contracts.csv row 1, signal_rate: is required when signal_mode is per_user (the monthly rate per user)",
        "contracts.csv row 2, signal_rate: is required when signal_mode is flat (the flat monthly amount)",
        "contracts.csv row 3, signal_rate: must be empty when signal_mode is none, got '25.00'",
    ]
    good = write(tmp_path, "contracts.csv", header + "A-1001,2026-12-01,150.00,5,0.0150,none,\n")
    assert run(loaded, "contracts", good)["inserted"] == 1


def test_empty_contract_cells_take_the_defaults_of_the_rules(loaded, tmp_path: Path) -> None:
    path = write(tmp_path, "contracts.csv", "agency_id,effective_from,user_fee,minimum_users,minute_rate,"
                 "licensing_fee,minute_block,signal_mode\nA-1003,2026-12-01,99.00,2,0.0175,,,none\n")
    run(loaded, "contracts", path)
    with session_scope(loaded) as session:
        contract = session.scalars(select(AgencyContract).where(AgencyContract.effective_from == date(2026, 12, 1))).one()
    assert (contract.licensing_fee, contract.minute_block, contract.replenish_buffer_pct,
            contract.onboarding_minutes_per_user, contract.signal_rate) == (Decimal("50.00"), 100, Decimal(0), 2500, None)


def test_numbers_must_be_e164(loaded, tmp_path: Path) -> None:
    path = write(tmp_path, "numbers.csv", "agency_id,number,active_from,active_to\n"
                 "A-1001,+1 312 555 0100,2026-11-01,\nA-1001,13125550100,2026-11-01,\nA-1001,+1234567,2026-11-01,\n"
                 "A-1001,+1234567890123456,2026-11-01,\nA-1001,+12345678,2026-11-01,2026-11-01\n")
    problems = messages(rejected(loaded, "numbers", path))
    assert [p.split(":")[0] for p in problems] == [
        "numbers.csv row 1, number", "numbers.csv row 2, number", "numbers.csv row 3, number",
        "numbers.csv row 4, number", "numbers.csv row 5, active_to"]
    assert "must be an E.164 number: + and 8–15 digits" in problems[0]
    assert problems[4] == "numbers.csv row 5, active_to: must be after active_from (2026-11-01), got 2026-11-01"


def test_payment_invoice_number_must_be_an_issued_invoice_of_the_same_agency(loaded, tmp_path: Path) -> None:
    for kind in ("calls", "numbers", "appointments"):
        run(loaded, kind, SAMPLES / f"{kind}.csv")
    approve_for_seed(Cycle.parse("2026-10"), actor="test", note="as imported", sessions=sessions_for(loaded))
    issued = issue_cycle(Cycle.parse("2026-10"), actor="test", today=TODAY, sessions=sessions_for(loaded))
    numbers = {agency: number for agency, number, _ in issued.issued}
    header = "reference,agency_id,date,amount,invoice_number\n"
    bad = write(tmp_path, "payments.csv", header + f"P-1,A-1001,2026-11-02,100.00,INV-2099-01-0001\n"
                f"P-2,A-1002,2026-11-02,100.00,{numbers['A-1001']}\n")
    assert messages(rejected(loaded, "payments", bad)) == [
        "payments.csv row 1, invoice_number: no issued invoice 'INV-2099-01-0001'",
        f"payments.csv row 2, invoice_number: {numbers['A-1001']} is an invoice of A-1001, not of A-1002",
    ]
    good = write(tmp_path, "payments.csv", header + f"P-1,A-1001,2026-11-02,100.00,{numbers['A-1001']}\n")
    assert run(loaded, "payments", good)["inserted"] == 1
    with session_scope(loaded) as session:
        assert session.scalars(select(Payment.invoice_number)).one() == numbers["A-1001"]


# --- access spans ---------------------------------------------------------------------------

USERS_HEADER = "agency_id,user_id,name,activated_at,deactivated_at,email\n"


def test_overlapping_access_spans_in_the_file_are_rejected(loaded, tmp_path: Path) -> None:
    path = write(tmp_path, "users.csv", USERS_HEADER +
                 "A-1003,n1,Nia,2026-11-01T09:00:00-05:00,2026-11-10T09:00:00-05:00,\n"
                 "A-1003,n1,Nia,2026-11-09T09:00:00-05:00,,\n")
    assert messages(rejected(loaded, "users", path)) == [
        ("users.csv row 2, activated_at: the access span 2026-11-09 to (open) (row 2) of user n1 of A-1003 overlaps "
        "the span 2026-11-01 to 2026-11-10 (row 1); a user's spans must not overlap")]


def test_access_spans_overlapping_stored_ones_are_rejected(loaded, tmp_path: Path) -> None:
    # u01 of A-1001 is stored as active from 2026-09-24, open-ended.
    path = write(tmp_path, "users.csv", USERS_HEADER + "A-1001,u01,Ana Álvarez,2026-11-20T09:00:00-05:00,,ana@brightline.example\n")
    assert messages(rejected(loaded, "users", path)) == [
        ("users.csv row 1, activated_at: the access span 2026-11-20 to (open) (row 1) of user u01 of A-1001 overlaps "
        "the span 2026-09-24 to (open) (already stored); a user's spans must not overlap")]


def test_touching_access_spans_are_accepted(loaded, tmp_path: Path) -> None:
    # u06 of A-1001 is stored as 2026-09-24 .. 2026-11-10: a span from the 10th touches it.
    path = write(tmp_path, "users.csv", USERS_HEADER +
                 "A-1001,u06,Farid Haddad,2026-11-10T10:00:00-05:00,2026-11-15T10:00:00-05:00,farid@brightline.example\n"
                 "A-1001,u06,Farid Haddad,2026-11-15T11:00:00-05:00,,farid@brightline.example\n")
    summary = run(loaded, "users", path)
    assert (summary["inserted"], summary["new_users"]) == (2, 0)


def test_deactivation_must_come_after_activation(loaded, tmp_path: Path) -> None:
    path = write(tmp_path, "users.csv", USERS_HEADER +
                 "A-1003,n1,Nia,2026-11-10T09:00:00Z,2026-11-10T09:00:00Z,\n"
                 "A-1003,n2,Noor,2026-11-10T09:00:00-05:00,2026-11-10T17:00:00-05:00,\n")
    assert messages(rejected(loaded, "users", path)) == [
        "users.csv row 1, deactivated_at: must be after activated_at (2026-11-10T09:00:00Z), got 2026-11-10T09:00:00Z",
        ("users.csv row 2, deactivated_at: falls on 2026-11-10, the billing day it was activated (America/New_York): "
        "a span must cover at least one day"),
    ]


def test_new_users_are_created_once_from_their_spans(loaded, tmp_path: Path) -> None:
    path = write(tmp_path, "users.csv", USERS_HEADER +
                 "A-1003,n1,Nia Lee,2026-11-01T09:00:00-05:00,2026-11-05T09:00:00-05:00,nia@nw.example\n"
                 "A-1003,n1,Nia Lee,2026-11-12T09:00:00-05:00,,nia@nw.example\n")
    summary = run(loaded, "users", path)
    assert (summary["inserted"], summary["new_users"]) == (2, 1)
    with session_scope(loaded) as session:
        user = session.get(DialerUser, ("A-1003", "n1"))
        assert (user.name, user.email) == ("Nia Lee", "nia@nw.example")
        spans = session.scalars(select(AccessSpan).where(AccessSpan.user_id == "n1").order_by(AccessSpan.start_on)).all()
        assert [(s.start_on, s.end_on) for s in spans] == [(date(2026, 11, 1), date(2026, 11, 5)), (date(2026, 11, 12), None)]


def test_one_user_must_have_one_name_in_the_file_and_in_the_database(loaded, tmp_path: Path) -> None:
    path = write(tmp_path, "users.csv", USERS_HEADER +
                 "A-1003,n1,Nia Lee,2026-11-01T09:00:00-05:00,2026-11-05T09:00:00-05:00,\n"
                 "A-1003,n1,Nia Leigh,2026-11-12T09:00:00-05:00,,\n"
                 "A-1001,u02,Benjamin Okafor,2026-11-20T09:00:00-05:00,,ben@brightline.example\n")
    problems = messages(rejected(loaded, "users", path))
    assert problems[0] == ("users.csv row 2, name: user n1 of A-1003 is 'Nia Lee' <> on row 1 but 'Nia Leigh' <> here: "
                           "one user, one name and e-mail")
    assert problems[1].startswith("users.csv row 3: user u02 of A-1001 is already stored with different values: "
                                  "name stored 'Ben Okafor', file 'Benjamin Okafor'")


# --- idempotency: a stored row with other values ------------------------------------------------

def test_a_reimported_row_that_differs_is_reported_and_nothing_is_imported(loaded, tmp_path: Path) -> None:
    run(loaded, "calls", calls_file(tmp_path, "C-1,A-1001,u01,2026-11-05T15:00:00Z,60,0"))
    changed = calls_file(tmp_path, "C-2,A-1001,u01,2026-11-05T16:00:00Z,30,0", "C-1,A-1001,u01,2026-11-05T15:00:00Z,65,0",
                         name="calls-again.csv")
    assert messages(rejected(loaded, "calls", changed)) == [
        ("calls-again.csv row 2, call_id: call_id 'C-1' is already stored with different values: "
        "duration_seconds stored 60, file 65. Nothing is overwritten: correct the file (or the stored data) first")]
    with session_scope(loaded) as session:
        assert session.scalars(select(Call.call_id)).all() == ["C-1"]
        assert session.scalar(select(CallDay.billable_minutes)) == 1


def test_differing_reimports_are_reported_for_every_kind(loaded, tmp_path: Path) -> None:
    for kind in ("calls", "numbers", "appointments", "payments", "contacts"):
        run(loaded, kind, SAMPLES / f"{kind}.csv")
    edits = {
        "agencies": ("Brightline Sales & Service", "Brightline Sales and Service", "name stored"),
        "contracts": ("A-1002,2026-10-01,135.00", "A-1002,2026-10-01,136.00", "user_fee stored 135.00, file 136.00"),
        "users": ("A-1003,u03,Leo Grant,2026-11-09T08:30:00-05:00,2026-11-20T09:00:00-05:00",
                  "A-1003,u03,Leo Grant,2026-11-09T08:30:00-05:00,2026-11-21T09:00:00-05:00",
                  "deactivated_at stored 2026-11-20T14:00:00Z, file 2026-11-21T14:00:00Z"),
        "numbers": ("A-1001,+13125550103,2026-09-24,2026-10-30", "A-1001,+13125550103,2026-09-24,",
                    "active_to stored 2026-10-30, file (empty)"),
        "appointments": ("APT-0002,A-1001,2026-11-17,cancelled", "APT-0002,A-1001,2026-11-17,completed",
                         "status stored 'cancelled', file 'completed'"),
        "payments": ("ACH-2026-10-0417,A-1002,2026-10-28,840.50", "ACH-2026-10-0417,A-1002,2026-10-28,845.50",
                     "amount stored 840.50, file 845.50"),
        "contacts": ("A-1001,noc@brightline.example,ops,Dialer operations", "A-1001,NOC@brightline.example,ops,NOC team",
                     "name stored 'Dialer operations', file 'NOC team'"),
    }
    for kind, (old, new, expected) in edits.items():
        original = (SAMPLES / f"{kind}.csv").read_text(encoding="utf-8")
        assert old in original, kind
        path = write(tmp_path, f"{kind}.csv", original.replace(old, new))
        (problem,) = messages(rejected(loaded, kind, path))
        assert "is already stored with different values" in problem and expected in problem, problem


# --- time zones ---------------------------------------------------------------------------------

def test_a_utc_call_late_in_the_new_york_evening_belongs_to_the_previous_day(loaded, tmp_path: Path) -> None:
    run(loaded, "calls", calls_file(tmp_path, "C-1,A-1001,u01,2026-11-24T03:30:00Z,60,0"))
    with session_scope(loaded) as session:
        assert session.scalar(select(Call.started_on)) == date(2026, 11, 23)
        day = session.scalars(select(CallDay)).one()
        assert (day.day, day.cycle) == (date(2026, 11, 23), "2026-11")  # cycle 2026-11's closed period


def test_naive_timestamp_is_rejected_without_a_timezone(loaded, tmp_path: Path) -> None:
    path = calls_file(tmp_path, "C-1,A-1001,u01,2026-11-23T22:30:00,60,0")
    assert messages(rejected(loaded, "calls", path)) == [
        ("calls.csv row 1, started_at: timestamp '2026-11-23T22:30:00' has no UTC offset; write it with one "
        "(2026-11-05T09:30:00-05:00 or …Z) or name the file's time zone (--timezone America/Chicago)")]


def test_naive_timestamp_is_read_in_the_named_timezone(loaded, tmp_path: Path) -> None:
    path = calls_file(tmp_path, "C-1,A-1001,u01,2026-11-23T22:30:00,60,0", "C-2,A-1001,u01,2026-11-23T22:30:00Z,60,0")
    run(loaded, "calls", path, timezone="America/Chicago")
    with session_scope(loaded) as session:
        stored = {c: d for c, d in session.execute(select(Call.call_id, Call.started_on))}
        at = session.scalar(select(Call.started_at).where(Call.call_id == "C-1"))
    assert at == datetime(2026, 11, 24, 4, 30, tzinfo=UTC)  # 22:30 in Chicago is 23:30 in New York
    assert stored == {"C-1": date(2026, 11, 23), "C-2": date(2026, 11, 23)}  # an offset still wins


def test_an_unknown_timezone_name_is_a_clear_error(loaded, tmp_path: Path) -> None:
    before = counts(loaded)
    with pytest.raises(BillingError, match=r"--timezone: unknown time zone 'America/Atlantis'; use an IANA name"):
        run(loaded, "calls", calls_file(tmp_path, "C-1,A-1001,u01,2026-11-23T22:30:00,60,0"), timezone="America/Atlantis")
    assert counts(loaded) == before


def test_the_billing_zone_decides_the_date(loaded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLING_TIMEZONE", "America/Los_Angeles")
    summary = run(loaded, "calls", calls_file(tmp_path, "C-1,A-1001,u01,2026-11-24T06:30:00Z,60,0"))
    assert summary["billing_zone"] == "America/Los_Angeles"
    with session_scope(loaded) as session:
        assert session.scalar(select(Call.started_on)) == date(2026, 11, 23)  # 22:30 in Los Angeles


# --- issued cycles ------------------------------------------------------------------------------

def test_facts_in_an_issued_cycle_are_stored_with_a_warning_and_the_invoice_does_not_change(loaded, tmp_path: Path) -> None:
    for kind in ("calls", "numbers", "appointments"):
        run(loaded, kind, SAMPLES / f"{kind}.csv")
    approve_for_seed(Cycle.parse("2026-10"), actor="test", note="as imported", sessions=sessions_for(loaded))
    issue_cycle(Cycle.parse("2026-10"), actor="test", today=TODAY, sessions=sessions_for(loaded))
    with session_scope(loaded) as session:
        frozen = {i.number: (i.total, i.content_hash) for i in session.scalars(select(Invoice))}

    late = calls_file(tmp_path, *[f"L-{i},A-1001,u01,2026-10-{5 + i:02d}T15:00:00Z,600,0" for i in range(12)],
                      "L-new,A-1001,u01,2026-11-05T15:00:00Z,60,0")
    summary = run(loaded, "calls", late)
    assert summary["inserted"] == 13
    assert summary["warnings"] == [
        ("12 calls fall in cycle 2026-10, already issued for A-1001: they are stored, but the issued invoice "
        "does not change and will not include them")]
    appointments = write(tmp_path, "appointments.csv", "appointment_id,agency_id,date,status\nAP-late,A-1002,2026-10-01,completed\n")
    assert run(loaded, "appointments", appointments)["warnings"] == [
        ("1 appointment falls in cycle 2026-10, already issued for A-1002: it is stored, but the issued invoice "
        "does not change and will not include it")]
    contracts = write(tmp_path, "contracts.csv", "agency_id,effective_from,user_fee,minimum_users,minute_rate,signal_mode\n"
                      "A-1002,2026-10-15,140.00,3,0.0140,none\n")
    (warning,) = run(loaded, "contracts", contracts)["warnings"]
    assert warning.startswith("the contract of A-1002 effective 2026-10-15 (cycle 2026-10) takes effect on or before")

    with session_scope(loaded) as session:
        assert {i.number: (i.total, i.content_hash) for i in session.scalars(select(Invoice))} == frozen
        previews = previews_in(session, Cycle.parse("2026-10"))
        assert all(p.is_issued for p in previews.previews.values())
        assert session.scalar(select(func.count()).select_from(Call).where(Call.call_id.like("L-%"))) == 13


# --- progress and the command line -----------------------------------------------------------

def test_progress_is_reported_while_importing(loaded, tmp_path: Path) -> None:
    path = calls_file(tmp_path, *[f"C-{i},A-1001,u01,2026-11-05T15:00:00Z,60,0" for i in range(120_000)])
    seen: list[tuple[str, float]] = []
    run(loaded, "calls", path, progress=lambda message, fraction: seen.append((message, fraction)))
    fractions = [f for _, f in seen]
    assert len(seen) >= 5
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("120,000" in m for m, _ in seen)


def test_manage_py_import_prints_the_summary_or_one_error_line(loaded, tmp_path: Path, database_url: str,
                                                                monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import manage

    monkeypatch.setenv("DATABASE_URL", database_url)
    good = shutil.copy(SAMPLES / "numbers.csv", tmp_path / "numbers.csv")
    assert manage.main(["import", "numbers", str(good), "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["inserted"] == 7
    bad = calls_file(tmp_path, "C-1,A-1001,u01,2026-11-23T22:30:00,60,0")
    assert manage.main(["import", "calls", str(bad), "--quiet"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith("error: calls.csv: 1 problem; nothing was imported: row 1, started_at: timestamp")
    assert manage.main(["import", "calls", str(bad), "--quiet", "--timezone", "Mars/Olympus"]) == 1
    assert capsys.readouterr().err == ("error: --timezone: unknown time zone 'Mars/Olympus'; "
                                       "use an IANA name such as America/Chicago\n")


# --- the staged calls import ------------------------------------------------------------

def test_every_duplicate_call_id_is_counted_though_only_the_first_fifty_are_listed(loaded, tmp_path: Path) -> None:
    rows = [f"C-{n},A-1001,u01,2026-11-05T09:{n % 60:02d}:00-05:00,60,0" for n in range(1, 81)]
    rows += [f"C-{n},A-1001,u01,2026-11-06T09:{n % 60:02d}:00-05:00,60,0" for n in range(1, 71)]
    before = counts(loaded)
    with pytest.raises(ImportRejected) as rejected:
        run(loaded, "calls", calls_file(tmp_path, *rows))
    assert rejected.value.total == 70
    assert len(rejected.value.problems) == 50
    assert str(rejected.value.problems[0]) == "calls.csv row 81, call_id: duplicate key 'C-1': already on row 1"
    assert [p.row for p in rejected.value.problems] == list(range(81, 131))
    assert counts(loaded) == before


def test_a_rejected_calls_file_leaves_no_staging_behind_and_the_next_import_works(loaded, tmp_path: Path) -> None:
    bad = calls_file(tmp_path, "C-1,A-1001,u01,2026-11-05T09:30:00-05:00,60,0",
                     "C-1,A-1001,u01,2026-11-05T09:31:00-05:00,60,0")
    for _ in range(2):  # the same pooled connection, twice
        with pytest.raises(ImportRejected):
            run(loaded, "calls", bad)
    good = write(tmp_path, "good.csv", CALLS_HEADER + "\nC-1,A-1001,u01,2026-11-05T09:30:00-05:00,61,0\n")
    assert run(loaded, "calls", good)["inserted"] == 1
    assert run(loaded, "calls", good)["unchanged"] == 1
    with session_scope(loaded) as session:
        assert session.scalar(select(func.sum(CallDay.billable_minutes))) == 2


def test_call_ids_with_tabs_backslashes_and_line_breaks_are_stored_as_written(loaded, tmp_path: Path) -> None:
    odd = ["tab\there", "back\\slash", "line\nbreak", 'quote"d']
    body = CALLS_HEADER + "\n" + "".join(
        '"{}",A-1001,u01,2026-11-05T09:3{}:00-05:00,60,0\n'.format(call_id.replace('"', '""'), n)
        for n, call_id in enumerate(odd))
    summary = run(loaded, "calls", write(tmp_path, "calls.csv", body))
    assert summary["inserted"] == 4
    with session_scope(loaded) as session:
        assert sorted(session.scalars(select(Call.call_id))) == sorted(odd)
    assert run(loaded, "calls", write(tmp_path, "calls.csv", body))["unchanged"] == 4


def test_late_calls_are_warned_about_only_when_they_are_new(loaded, tmp_path: Path) -> None:
    run(loaded, "calls", SAMPLES / "calls.csv")
    approve_for_seed(Cycle.parse("2026-10"), actor="test", note="as imported", sessions=sessions_for(loaded))
    issue_cycle(Cycle.parse("2026-10"), actor="test", today=TODAY, sessions=sessions_for(loaded))
    late = calls_file(tmp_path, *[f"L-{i},A-1001,u01,2026-10-{5 + i:02d}T15:00:00Z,600,0" for i in range(3)])
    first = run(loaded, "calls", late)
    again = run(loaded, "calls", late)
    assert len(first["warnings"]) == 1 and first["warnings"][0].startswith("3 calls fall in cycle 2026-10")
    assert (again["inserted"], again["unchanged"], again["warnings"]) == (0, 3, [])


def test_usage_per_user_rounds_each_odd_length_call_up_to_a_whole_minute(loaded, tmp_path: Path) -> None:
    from billing.calendar import Period
    from db.queries.account import usage_by_user

    lengths = (0, 1, 59, 60, 61, 119, 121)  # 0 + 1 + 1 + 1 + 2 + 2 + 3 minutes
    run(loaded, "calls", calls_file(tmp_path, *[f"C-{n},A-1001,u01,2026-11-05T15:0{n}:00Z,{seconds},0"
                                                for n, seconds in enumerate(lengths)]))
    with session_scope(loaded) as session:
        (usage,) = usage_by_user(session=session, agency_id="A-1001",
                                 period=Period(date(2026, 10, 24), date(2026, 11, 23)))
        rolled = session.scalar(select(func.sum(CallDay.billable_minutes)).where(CallDay.agency_id == "A-1001"))
    assert (usage.user_id, usage.calls, usage.billable_minutes) == ("u01", 7, 10)
    assert rolled == 10


TIMESTAMPS_AS_WRITTEN = [
    "2026-11-05T09:30:00Z", "2026-11-05T09:30:00.5Z", "2026-11-05T09:30:00.123456-05:00",
    "2026-11-05T09:30:00+05:30", "2026-11-05T09:30:00-00:00", "2026-11-05T09:30:00+14:00",
    "2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00",  # the same New York wall time, an hour apart
    "2026-03-08T02:30:00-05:00",  # a wall time New York skips, named by its offset
    "2026-11-24T04:59:59.999999Z", "2026-11-24T05:00:00Z",  # either side of midnight in New York
    "2026-11-05 09:30:00-05:00", "2026-11-05T09:30-05:00", "2026-11-05T09:30:00+0530", "2026-11-05T09:30:00,25Z",
]


def test_every_timestamp_form_is_stored_as_the_instant_and_billing_date_python_reads(loaded, tmp_path: Path) -> None:
    """On PostgreSQL most of these go to the server as written (cells.Timestamps.parse_fast_for_server)."""
    from db.imports.cells import Timestamps

    body = CALLS_HEADER + "\n" + "".join(f"T-{n},A-1001,u01,\"{stamp}\",60,0\n"
                                          for n, stamp in enumerate(TIMESTAMPS_AS_WRITTEN))
    assert run(loaded, "calls", write(tmp_path, "calls.csv", body))["inserted"] == len(TIMESTAMPS_AS_WRITTEN)
    expected = Timestamps("America/New_York", None)
    with session_scope(loaded) as session:
        stored = {c: (at, on) for c, at, on in session.execute(select(Call.call_id, Call.started_at, Call.started_on))}
    for n, stamp in enumerate(TIMESTAMPS_AS_WRITTEN):
        assert stored[f"T-{n}"] == expected.parse(stamp), stamp
    assert run(loaded, "calls", write(tmp_path, "calls.csv", body))["unchanged"] == len(TIMESTAMPS_AS_WRITTEN)
