"""Hardening, tried for real on SQLite and PostgreSQL: racing payments in
separate processes, dates a typo puts in year 9999, a wrong adjustment
undone by its counter-entry, issuing dated in the future, previews far
ahead, and a database file only its owner can read."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.engine import dispose_engines, get_engine, session_scope
from db.models import Adjustment, AuditEvent, Payment
from services.demo import SeedOptions, seed_demo
from services.unit_of_work import sessions_for

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 25)
TINY = SeedOptions(agencies=3, months=4, seed=5, today=TODAY, min_users=5, max_users=15)


@pytest.fixture
def seeded(database_url) -> str:
    seed_demo(TINY, sessions=sessions_for(get_engine(database_url)))
    dispose_engines()
    return database_url


def _manage(url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": url, "BILLING_TODAY": TODAY.isoformat(), "BILLING_LOG_LEVEL": "ERROR"}
    return subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    process = _manage(url, *args)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _count(url: str, model, *where) -> int:  # type: ignore[no-untyped-def]
    with session_scope(get_engine(url)) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _together(url: str, commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    """Start every command at once (separate processes), wait for all."""
    processes = [_manage(url, *command) for command in commands]
    with ThreadPoolExecutor(len(processes)) as pool:
        outputs = list(pool.map(lambda p: p.communicate(timeout=180), processes))
    return [subprocess.CompletedProcess(p.args, p.returncode, out, err) for p, (out, err) in zip(processes, outputs, strict=True)]


# -- class 7: a payment race ---------------------------------------------------------------------
def test_eight_processes_racing_one_reference_with_different_amounts_record_one_and_refuse_the_rest(seeded):
    results = _together(seeded, [["pay", "--agency", "A-1001", "--amount", f"{10 + i}.00", "--date", TODAY.isoformat(),
                                  "--reference", "RACE-1"] for i in range(8)])
    recorded = [r for r in results if r.returncode == 0]
    refused = [r for r in results if r.returncode == 1]
    assert len(recorded) == 1 and json.loads(recorded[0].stdout)["recorded"] is True
    assert len(refused) == 7
    for result in refused:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Reference: 'RACE-1' is already recorded for A-1001" in lines[0], result.stderr
    assert _count(seeded, Payment, Payment.reference == "RACE-1") == 1
    assert _count(seeded, AuditEvent, AuditEvent.action == "record_payment", AuditEvent.details.contains("RACE-1")) == 1


def test_eight_processes_resubmitting_the_same_payment_record_it_once(seeded):
    results = _together(seeded, [["pay", "--agency", "A-1001", "--amount", "$25.00", "--date", TODAY.isoformat(),
                                  "--reference", "RACE-2"]] * 8)
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    assert sorted(json.loads(r.stdout)["recorded"] for r in results) == [False] * 7 + [True]
    assert _count(seeded, Payment, Payment.reference == "RACE-2") == 1


# -- class 6: one typo must not break every status -----------------------------------------------
@pytest.mark.parametrize(("flag", "value"), [("--date", "9999-12-31"), ("--due", "9999-12-31"), ("--date", "1900-01-01"),
                                             ("--due", "2030-01-01")])
def test_an_adjustment_dated_out_of_range_is_refused_and_statuses_still_work(seeded, flag, value):
    before = _count(seeded, Adjustment)
    args = {"--date": TODAY.isoformat(), "--due": None} | {flag: value}
    command = ["adjust", "--agency", "A-1001", "--kind", "debit", "--amount", "150", "--reason", "Catch-up",
               "--date", args["--date"]] + (["--due", args["--due"]] if args["--due"] else [])
    result = _run(seeded, *command)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert _count(seeded, Adjustment) == before
    assert _run(seeded, "status", "--as-of", TODAY.isoformat()).returncode == 0


def test_a_debit_stored_in_year_9999_before_dates_were_bounded_no_longer_breaks_statuses(seeded):
    with session_scope(get_engine(seeded)) as session:  # as an older version could have stored it
        session.add(Adjustment(agency_id="A-1001", kind="debit", on_date=TODAY, due_on=date(9999, 12, 31),
                               amount="150.00", reason="typo", recorded_by="old version"))
    status = _run(seeded, "status", "--as-of", TODAY.isoformat())
    assert status.returncode == 0, status.stderr
    assert {a["agency_id"] for a in json.loads(status.stdout)["agencies"]} >= {"A-1001"}


def test_a_wrong_adjustment_is_undone_by_its_counter_entry_once(seeded):
    made = json.loads(_run(seeded, "adjust", "--agency", "A-1001", "--kind", "debit", "--amount", "150", "--date",
                           TODAY.isoformat(), "--reason", "Catch-up fee").stdout)
    status_before = json.loads(_run(seeded, "status", "--as-of", TODAY.isoformat()).stdout)
    reversed_ = _run(seeded, "reverse", made["number"], "--reason", "Billed twice")
    assert reversed_.returncode == 0, reversed_.stderr
    counter = json.loads(reversed_.stdout)
    assert (counter["kind"], counter["amount"], counter["reverses"]) == ("credit", "150.00", made["number"])
    assert counter["reason"] == f"Reverses {made['number']}: Billed twice"
    again = _run(seeded, "reverse", made["number"], "--reason", "again")
    assert again.returncode == 1 and f"already reversed by {counter['number']}" in again.stderr
    status_after = json.loads(_run(seeded, "status", "--as-of", TODAY.isoformat()).stdout)
    balance = {a["agency_id"]: a["balance"] for a in status_after["agencies"]}
    before = {a["agency_id"]: a["balance"] for a in status_before["agencies"]}
    from decimal import Decimal
    assert Decimal(balance["A-1001"]) == Decimal(before["A-1001"]) - Decimal("150.00")
    assert _count(seeded, AuditEvent, AuditEvent.action == "record_credit_adjustment") >= 1


# -- classes 9 and 10: previews far ahead, issuing dated in the future ---------------------------
@pytest.mark.parametrize("cycle", ["2080-01", "3000-01", "9999-12", "1999-12"])
def test_a_preview_far_from_today_is_refused_at_once_by_name(seeded, cycle):
    result = _run(seeded, "preview", "--agency", "A-1001", "--cycle", cycle)
    assert result.returncode == 1, result.stdout[:200]
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: Cycle: {cycle} is ")


@pytest.mark.parametrize("when", ["2026-11-26", "2030-01-01"])
def test_issuing_cannot_be_dated_after_today_to_get_past_the_cutoff(seeded, when):
    result = _run(seeded, "issue", "--cycle", "2026-12", "--today", when)
    assert result.returncode == 1
    assert "is after today (2026-11-25)" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_sqlite_file_and_its_folder_are_readable_by_their_owner_only(tmp_path, database_url):
    url = f"sqlite:///{tmp_path / 'fresh' / 'billing.db'}"
    assert _run(url, "migrate").returncode == 0
    folder, file = tmp_path / "fresh", tmp_path / "fresh" / "billing.db"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
