"""Issuing waits for approval (issue #15), on SQLite and PostgreSQL: an
unapproved agency is not issued by the page, the command or the service a
schedule calls; an approval goes stale when a fact of its period changes,
and issuing then skips it; two finance managers approving and issuing at
once still give one invoice per agency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path, PosixPath

import pytest
from pg import drop_database
from seeded import seed_postgres_template, seed_sqlite_template, seeded_copy
from sqlalchemy import func, select

from billing import Cycle
from db.calls import NewCall, add_calls
from db.engine import dispose_engines, get_engine, session_scope
from db.models import AuditEvent, DialerUser, Invoice
from services.access import Role, Viewer
from services.demo import SeedOptions
from services.issuing import issue_cycle, issue_cycle_now
from services.review import ReviewState, approve, review_cycle
from services.unit_of_work import sessions_for

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 25)
NOVEMBER = Cycle.parse("2026-11")
SEED = SeedOptions(agencies=8, months=6, seed=7, today=TODAY, min_users=5, max_users=40)
FINANCE = Viewer("finance@dialer-billing.example", "Fran Finance", Role.FINANCE)
OTHER_FINANCE = Viewer("finance2@dialer-billing.example", "Frank Finance", Role.FINANCE)
CLEAN = "A-1001"


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory) -> Path:
    return seed_sqlite_template(tmp_path_factory.mktemp("review") / "template.db", SEED)


@pytest.fixture(scope="module")
def postgres_template(postgres_url) -> str:
    yield seed_postgres_template(postgres_url, "review_template", SEED)
    drop_database(postgres_url, "review_template")


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)])
def seeded_url(request, tmp_path, monkeypatch) -> str:
    url = seeded_copy(request, tmp_path, "review")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BILLING_TODAY", TODAY.isoformat())
    monkeypatch.setenv("BILLING_AUTO_SEED", "0")
    yield url
    dispose_engines()


@pytest.fixture
def sessions(seeded_url):
    return sessions_for(get_engine(seeded_url))


def _issued(url: str) -> dict[str, int]:
    with session_scope(get_engine(url)) as session:
        return dict(session.execute(select(Invoice.agency_id, func.count()).where(Invoice.cycle == str(NOVEMBER))
                                    .group_by(Invoice.agency_id)).all())


def _manage(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "BILLING_AUTO_SEED": "0", "BILLING_TODAY": TODAY.isoformat()}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, text=True, capture_output=True,
                          timeout=180)


def _late_call(url: str, agency_id: str = CLEAN) -> None:
    with session_scope(get_engine(url)) as session:
        user = session.scalars(select(DialerUser.user_id).where(DialerUser.agency_id == agency_id)).first()
        add_calls(session, [NewCall(f"late-{i}", agency_id, user, datetime(2026, 11, 20, 16, tzinfo=UTC),
                                    date(2026, 11, 20), 36_000, 0) for i in range(20)])


def test_the_service_a_schedule_calls_issues_only_what_is_approved(seeded_url, sessions):
    nothing = issue_cycle(NOVEMBER, actor="scheduler", today=TODAY, sessions=sessions)
    assert nothing.issued == [] and len(nothing.not_approved) == 7 and _issued(seeded_url) == {}
    approve(FINANCE, NOVEMBER, [CLEAN], sessions=sessions)
    result = issue_cycle(NOVEMBER, actor="scheduler", today=TODAY, sessions=sessions)
    assert [a for a, _, _ in result.issued] == [CLEAN] and CLEAN not in result.not_approved
    assert _issued(seeded_url) == {CLEAN: 1}


def test_the_command_issues_only_what_is_approved_and_says_why_not(seeded_url):
    out = _manage(seeded_url, "issue", "--cycle", "2026-11", "--quiet")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["issued"] == [] and _issued(seeded_url) == {}
    refused = _manage(seeded_url, "approve", "--cycle", "2026-11", "--agency", "A-1007", "--actor", FINANCE.email)
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert refused.stderr.startswith("error: A-1007 (") and "“Total changed” (total_changed)" in refused.stderr
    approved = _manage(seeded_url, "approve", "--cycle", "2026-11", "--agency", CLEAN, "--actor", FINANCE.email,
                       "--note", "Looked at it")
    assert approved.returncode == 0, approved.stderr
    assert [a["agency_id"] for a in json.loads(approved.stdout)["approved"]] == [CLEAN]
    review = json.loads(_manage(seeded_url, "review", "--cycle", "2026-11").stdout)
    assert review["basis"] == "final" and review["standing"]["state"] == "final"
    assert {a["forecast_total"] for a in review["agencies"]} == {None}
    states = {a["agency_id"]: a["state"] for a in review["agencies"]}
    assert states[CLEAN] == "approved" and states["A-1007"] == "blocked"
    assert next(a for a in review["agencies"] if a["agency_id"] == CLEAN)["approval"]["by"] == FINANCE.email
    issued = json.loads(_manage(seeded_url, "issue", "--cycle", "2026-11", "--quiet").stdout)
    assert [a["agency_id"] for a in issued["issued"]] == [CLEAN]
    assert issued["not_approved"]["A-1007"] == "not approved: review and approve it first"
    assert _issued(seeded_url) == {CLEAN: 1}
    no_reason = _manage(seeded_url, "issue", "--cycle", "2026-11", "--without-approval", "--quiet")
    assert no_reason.returncode == 1 and "--reason" in no_reason.stderr
    forced = _manage(seeded_url, "issue", "--cycle", "2026-11", "--without-approval", "--reason", "CFO signed off",
                     "--actor", FINANCE.email, "--quiet")
    assert forced.returncode == 0 and len(json.loads(forced.stdout)["issued_without_approval"]) == 6
    with session_scope(get_engine(seeded_url)) as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "issue_without_approval")).one()
    assert event.actor == FINANCE.email and "CFO signed off" in event.details


class _NoLegacyPagesFolder(PosixPath):
    """As tests/app/conftest.py: AppTest routes like the server (no legacy pages/ mode)."""

    def exists(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return False if self.name == "pages" else super().exists(*args, **kwargs)


def test_the_page_issues_only_what_is_approved(seeded_url, sessions, monkeypatch):
    import streamlit as st
    from streamlit.runtime import pages_manager
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(pages_manager, "Path", _NoLegacyPagesFolder)
    st.cache_data.clear()
    st.cache_resource.clear()
    approve(FINANCE, NOVEMBER, [CLEAN], sessions=sessions)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["viewer"] = FINANCE
    at.run()
    at.query_params["cycle"] = "2026-11"
    at.switch_page("pages/review.py").run()
    assert not at.exception, at.exception
    at.button(key="review_issue_now").click().run()
    assert not at.exception, at.exception
    assert any("Issued 1 invoice of cycle 2026-11" in s.value for s in at.success), [s.value for s in at.success]
    assert _issued(seeded_url) == {CLEAN: 1}
    st.cache_data.clear()
    st.cache_resource.clear()


def test_an_approval_goes_stale_when_a_fact_changes_and_issuing_skips_it(seeded_url, sessions):
    approve(FINANCE, NOVEMBER, sessions=sessions)  # every ready agency
    _late_call(seeded_url)
    review = review_cycle(FINANCE, NOVEMBER, sessions=sessions)
    assert review.row(CLEAN).state is ReviewState.STALE
    assert [c.title for c in review.row(CLEAN).approval.changes] == ["Pre-billed minutes"]
    result = issue_cycle(NOVEMBER, actor="scheduler", today=TODAY, sessions=sessions)
    assert CLEAN not in {a for a, _, _ in result.issued} and result.not_approved[CLEAN].startswith("approval is stale")
    assert len(result.issued) == 5 and CLEAN not in _issued(seeded_url)  # six approved, one of them stale


def test_two_finance_managers_approving_and_issuing_at_once_give_one_invoice_per_agency(seeded_url, sessions):
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def work(viewer: Viewer) -> None:
        try:
            start.wait()
            approve(viewer, NOVEMBER, sessions=sessions)
            outcomes.append(issue_cycle_now(viewer, NOVEMBER, sessions=sessions))
        except Exception as error:
            outcomes.append(error)

    threads = [threading.Thread(target=work, args=(v,)) for v in (FINANCE, OTHER_FINANCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    issued = _issued(seeded_url)
    assert set(issued.values()) == {1} and len(issued) == 6  # every approvable agency, once
    numbers = [n for o in outcomes for _, n, _ in o.issued]  # type: ignore[attr-defined]
    assert len(numbers) == len(set(numbers)) == 6


def test_the_command_says_a_cycle_in_progress_was_checked_on_its_forecast_at_cutoff(seeded_url):
    out = _manage(seeded_url, "review", "--cycle", "2026-12")
    assert out.returncode == 0, out.stderr
    review = json.loads(out.stdout)
    assert list(review) == ["cycle", "approval_required", "counts", "agencies", "problems", "basis", "standing"]
    assert review["basis"] == "forecast"
    assert review["standing"] == {"state": "in_progress", "as_of": "2026-11-25", "days_elapsed": 1, "days": 30}
    agencies = review["agencies"]
    assert {"agency_id", "total", "previous_total", "content_hash", "findings", "approval"} <= set(agencies[0])
    assert all(Decimal(a["forecast_total"]) >= Decimal(a["total"]) for a in agencies)
    assert all(a["previous_forecast_total"] is None for a in agencies)  # November is over
