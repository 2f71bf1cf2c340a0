"""An import running while a cycle is issued (issue #16, class 2), with real
processes: ``manage.py import calls FILE`` and ``manage.py issue --cycle``
started together on a seeded database, a calls file big enough that they
overlap, every call dated inside the cycle being issued.

Whatever the order the database lets them in, after both have finished one
of two things is true for every agency of the file: the issued invoice's
minutes count every imported call of the closed period, or the import's JSON
summary warns about exactly those calls (their number, for that agency and
cycle). Never neither: calls missing from the invoice with no warning.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pg import drop_database
from seeded import seed_postgres_template, seed_sqlite_template, seeded_copy
from sqlalchemy import func, select

from billing import Cycle
from billing.usage import billable_minutes
from db.engine import dispose_engines, get_engine, session_scope
from db.models import Agency, CallDay, DialerUser, Invoice
from services.demo import SeedOptions
from services.unit_of_work import sessions_for

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 25)
NOVEMBER = Cycle.parse("2026-11")
SEED = SeedOptions(agencies=6, months=4, seed=16, today=TODAY, min_users=5, max_users=25)
ROWS = 150_000
WARNING = re.compile(r"^([\d,]+) calls? falls? in cycle (\d{4}-\d{2}), already issued for (\S+):")

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _approval_not_required(monkeypatch):
    """What is under test is the billing-facts lock, not the review: with
    approval on, a preview the import changed is a stale approval and is not
    issued at all (tests/integration/test_review.py)."""
    monkeypatch.setenv("BILLING_APPROVAL_REQUIRED", "0")


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory) -> Path:
    return seed_sqlite_template(tmp_path_factory.mktemp("import-while-issuing") / "template.db", SEED)


@pytest.fixture(scope="module")
def postgres_template(postgres_url) -> str:
    yield seed_postgres_template(postgres_url, "import_while_issuing_template", SEED)
    drop_database(postgres_url, "import_while_issuing_template")


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)])
def seeded_url(request, tmp_path) -> str:
    return seeded_copy(request, tmp_path, "racing")


def _calls_file(path: Path, users: list[tuple[str, str]], rows: int) -> tuple[Counter[str], Counter[str]]:
    """``rows`` calls spread over the closed period of November; returns
    (calls, billable minutes) per agency."""
    rng = random.Random(16)
    period = NOVEMBER.closed_period
    days = (period.end - period.start).days + 1
    start = datetime.combine(period.start, datetime.min.time(), tzinfo=UTC)
    calls: Counter[str] = Counter()
    minutes: Counter[str] = Counter()
    with path.open("w", encoding="utf-8") as out:
        out.write("call_id,agency_id,user_id,started_at,duration_seconds,transcribed_seconds\n")
        for i in range(rows):
            agency_id, user_id = users[i % len(users)]
            # 14:00-22:00 UTC is daytime in the billing zone: the billing date is the UTC date.
            at = start + timedelta(days=rng.randrange(days), hours=14 + rng.randrange(8), seconds=rng.randrange(3600))
            duration = rng.randrange(0, 900)
            out.write(f"RACE-{i:07d},{agency_id},{user_id},{at:%Y-%m-%dT%H:%M:%SZ},{duration},0\n")
            calls[agency_id] += 1
            minutes[agency_id] += billable_minutes(duration)
    return calls, minutes


def _manage(url: str, *args: str) -> subprocess.Popen[str]:
    # Approval off: what is under test is the billing-facts lock. With it on, a
    # preview the import changed is a stale approval and is not issued at all.
    env = {**os.environ, "DATABASE_URL": url, "BILLING_AUTO_SEED": "0", "BILLING_APPROVAL_REQUIRED": "0"}
    env.pop("BILLING_TODAY", None)
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for_line(process: subprocess.Popen[str], fragment: str, timeout: float = 60) -> list[str]:
    """Read ``process``'s stderr until a line holding ``fragment``."""
    seen = []
    deadline = time.monotonic() + timeout
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line)
        if fragment in line:
            return seen
    raise AssertionError(f"no {fragment!r} on stderr: {seen}")


def _finish(process: subprocess.Popen[str], before: list[str] | None = None) -> dict:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, "".join(before or []) + err
    return json.loads(out)


def _check_outcome(url: str, summary: dict, issued: dict, calls: Counter[str], minutes: Counter[str]) -> str:
    """Every agency of the file: counted in its invoice, or warned about exactly. Returns which happened."""
    assert summary["inserted"] == sum(calls.values())
    warned = {}
    for message in summary["warnings"]:
        found = WARNING.match(message)
        assert found, message
        count, cycle, agency_id = found.groups()
        assert cycle == str(NOVEMBER), message
        warned[agency_id] = int(count.replace(",", ""))
    engine = get_engine(url)
    with session_scope(engine) as session:
        invoiced = dict(session.execute(select(Invoice.agency_id, Invoice.minutes_used).where(Invoice.cycle == str(NOVEMBER))).all())
        stored = {a: int(m) for a, m in session.execute(select(CallDay.agency_id, func.sum(CallDay.billable_minutes))
                                      .where(CallDay.cycle == str(NOVEMBER)).group_by(CallDay.agency_id))}
    assert {row["agency_id"] for row in issued["issued"]} == set(invoiced) and set(calls) <= set(invoiced)
    outcomes = set()
    for agency_id, count in calls.items():
        if agency_id in warned:
            assert warned[agency_id] == count, (agency_id, warned[agency_id], count)
            assert invoiced[agency_id] == stored[agency_id] - minutes[agency_id], agency_id  # issued before the import
            outcomes.add("warned")
        else:
            assert invoiced[agency_id] == stored[agency_id], (
                f"{agency_id}: the invoice counts {invoiced[agency_id]:,} minutes, the stored calls "
                f"{stored[agency_id]:,} ({minutes[agency_id]:,} imported) and the import did not warn")
            outcomes.add("counted")
    assert set(warned) <= set(calls)
    assert len(outcomes) == 1, "one transaction each: all warned or all counted"
    dispose_engines()
    return outcomes.pop()


def _users(url: str) -> list[tuple[str, str]]:
    """The users of every agency onboarded before November's closed period (so invoiced for all of it)."""
    with session_scope(get_engine(url)) as session:
        users = sorted((agency_id, user_id) for agency_id, user_id in session.execute(
            select(DialerUser.agency_id, DialerUser.user_id).join(Agency, Agency.id == DialerUser.agency_id)
            .where(Agency.onboarded_on < NOVEMBER.closed_period.start)).all())
    with session_scope(get_engine(url)) as session:
        assert not session.scalar(select(func.count()).select_from(Invoice).where(Invoice.cycle == str(NOVEMBER)))
    dispose_engines()
    return users


ISSUE = ("issue", "--cycle", str(NOVEMBER), "--today", TODAY.isoformat(), "--quiet")


def test_issuing_while_an_import_is_checking_counts_its_calls_or_the_import_warns(seeded_url, tmp_path):
    """The import holds the file open and is part-way through it when the issue starts."""
    path = tmp_path / "calls.csv"
    calls, minutes = _calls_file(path, _users(seeded_url), ROWS)
    started = time.monotonic()
    importing = _manage(seeded_url, "import", "calls", str(path))
    progress = _wait_for_line(importing, "checking calls.csv")
    issuing = _manage(seeded_url, *ISSUE)
    issued = _finish(issuing)
    summary = _finish(importing, progress)
    outcome = _check_outcome(seeded_url, summary, issued, calls, minutes)
    print(f"import first, issue joined mid-import: {outcome} in {time.monotonic() - started:.1f} s")
    assert outcome == "counted", "the import held the lock first, so the issue must wait for it and price its calls"


def test_an_import_and_an_issue_started_together_never_lose_calls_silently(seeded_url, tmp_path):
    """Started at the same moment: whichever the database lets in first."""
    path = tmp_path / "calls.csv"
    calls, minutes = _calls_file(path, _users(seeded_url), ROWS)
    started = time.monotonic()
    issuing = _manage(seeded_url, *ISSUE)
    importing = _manage(seeded_url, "import", "calls", str(path), "--quiet")
    issued = _finish(issuing)
    summary = _finish(importing)
    outcome = _check_outcome(seeded_url, summary, issued, calls, minutes)
    print(f"started together: {outcome} in {time.monotonic() - started:.1f} s")


def test_an_import_that_starts_while_a_cycle_is_being_issued_warns_about_every_call(seeded_url, tmp_path):
    """The issue holds the lock (its first invoice is written) when the import starts."""
    path = tmp_path / "calls.csv"
    calls, minutes = _calls_file(path, _users(seeded_url), 20_000)
    issuing = _manage(seeded_url, *ISSUE[:-1])  # not --quiet: "issued 1 of N" once it holds the lock
    progress = _wait_for_line(issuing, "issued 1 of")
    importing = _manage(seeded_url, "import", "calls", str(path), "--quiet")
    issued = _finish(issuing, progress)
    summary = _finish(importing)
    assert _check_outcome(seeded_url, summary, issued, calls, minutes) == "warned"


def test_a_contract_version_added_while_a_cycle_is_issued_waits_and_is_then_refused(seeded_url):
    """Contract versions share the lock: one dated into the cycle being issued
    waits for the issue, then sees the invoice and is refused, instead of
    being stored in force for an invoice already priced without it."""
    import threading

    from services import contracts
    from services.access import Role, Viewer
    from services.errors import FieldError
    from services.issuing import issue_cycle

    engine = get_engine(seeded_url)
    sessions = sessions_for(engine)
    finance = Viewer("finance@test.example", "Finance", Role.FINANCE)
    outcome: dict[str, object] = {}
    adding = threading.Thread(target=lambda: outcome.update(result=_add_version(contracts, finance, sessions, FieldError)))

    def halfway(done: int, total: int) -> None:
        if done == 1:
            adding.start()
            time.sleep(1.5)  # holding the lock, one invoice written
            outcome["waited"] = adding.is_alive()

    issue_cycle(NOVEMBER, actor="test", today=TODAY, sessions=sessions, progress=halfway)
    adding.join(timeout=60)
    assert outcome["waited"] is True, "the contract version did not wait for the issue"
    assert isinstance(outcome["result"], FieldError) and "last issued invoice" in str(outcome["result"]), outcome
    dispose_engines()


def _add_version(contracts, viewer, sessions, refusal):  # type: ignore[no-untyped-def]
    try:
        return contracts.add_contract_version(
            viewer, agency_id="A-1001", effective_from=NOVEMBER.invoice_date, user_fee="999.00", minimum_users="1",
            minute_rate="0.0100", sessions=sessions)
    except refusal as error:
        return error


@pytest.mark.postgres
@pytest.mark.parametrize("seeded_url", ["postgresql"], indirect=True)
def test_an_invoice_written_without_the_lock_while_an_import_runs_stops_the_import(seeded_url, tmp_path):
    """Belt and braces: everything that issues takes the lock, but should a
    writer ever skip it, the import re-reads the issued cycles before writing
    and refuses rather than store calls without their warnings."""
    from sqlalchemy import text

    from db.errors import BillingError
    from db.imports.command import import_file

    path = tmp_path / "calls.csv"
    users = _users(seeded_url)
    _calls_file(path, users, 5_000)
    agency_id = users[0][0]
    engine = get_engine(seeded_url)
    with engine.connect() as connection:
        names = connection.execute(text("SELECT * FROM invoice WHERE false")).keys()
    columns = [c for c in names if c != "id"]
    values = ", ".join({"number": "'INV-2026-11-9999'", "cycle": "'2026-11'"}.get(c, c) for c in columns)

    def issue_behind_its_back(message: str, fraction: float) -> None:
        if message.startswith("checked"):
            with engine.begin() as connection:  # another connection, no lock
                connection.exec_driver_sql(
                    f"INSERT INTO invoice ({', '.join(columns)}) SELECT {values} FROM invoice "
                    f"WHERE agency_id = '{agency_id}' AND cycle = '2026-10'")

    with pytest.raises(BillingError, match=f"cycles were issued while the file was being checked \\(2026-11 for {agency_id}\\)"):
        import_file("calls", path, actor="test", engine=engine, progress=issue_behind_its_back)
    with session_scope(engine) as session:
        assert not session.scalar(text("SELECT count(*) FROM call WHERE call_id LIKE 'RACE-%'"))
    dispose_engines()
