"""The cache of previews and statuses is never stale (issue #18), on SQLite and PostgreSQL.

Every kind of fact that feeds an agency's preview, ledger or status — a
call, a user's access span, a contract, a dialing number, an appointment, a
payment, an adjustment, issuing — is written the way the app writes it, and
then for that kind: the agency's revision moved, the next cached preview is
exactly what the same read gives with the cache off, and only that agency
was computed again: every other agency's entry was a hit. Then what would
bring an old revision back: a transaction that rolled back after caching
what it saw, a reset and reseed, a TRUNCATE; an issued invoice changed
behind every trigger's back, refused although its parsing was kept; and a
random sequence of writes, after each of which the cached portfolio is the
uncached one. And migration 0012 goes down and up again.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pg import drop_database
from seeded import seed_postgres_template, seed_sqlite_template, seeded_copy
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from billing import AgencyStatus, Cycle
from db.calls import NewCall, add_calls
from db.engine import dispose_engines, get_engine, session_scope
from db.errors import InvoiceIntegrityError
from db.models import DialerUser
from db.queries.revisions import fact_revisions
from services import fact_cache
from services.access import Role, Viewer
from services.adjustments import record_adjustment
from services.contracts import add_contract_version
from services.demo import SeedOptions, seed_demo
from services.errors import FieldError
from services.importing import import_upload
from services.issuing import issue_cycle
from services.minute_bank import TrendRank, trend_ranking
from services.payments import record_payment
from services.previews import CyclePreviews, preview_cycle, previews_in
from services.reporting import MonthEndAging, Revenue, receivables, revenue
from services.review import CycleReview, acknowledge_finding, approve, review_cycle
from services.statuses import payment_statuses
from services.unit_of_work import SessionFactory, sessions_for

TODAY = date(2026, 11, 25)  # cycle 2026-11 is past its cutoff, not issued; 2026-10 is issued
NOVEMBER, DECEMBER = Cycle.parse("2026-11"), Cycle.parse("2026-12")
SEED = SeedOptions(agencies=5, months=4, seed=18, today=TODAY, min_users=4, max_users=12)
FINANCE = Viewer("finance@dialer-billing.example", "Fran Finance", Role.FINANCE)


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory):
    return seed_sqlite_template(tmp_path_factory.mktemp("preview-cache") / "template.db", SEED)


@pytest.fixture(scope="module")
def postgres_template(postgres_url):
    yield seed_postgres_template(postgres_url, "preview_cache_template", SEED)
    drop_database(postgres_url, "preview_cache_template")


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)])
def seeded_url(request, tmp_path, monkeypatch) -> Iterator[str]:
    url = seeded_copy(request, tmp_path, "preview_cache")
    monkeypatch.setenv("DATABASE_URL", url)  # imports go through the app's engine, as from the Import page
    monkeypatch.setenv("BILLING_TODAY", TODAY.isoformat())
    monkeypatch.setenv("BILLING_PREVIEW_CACHE", "1000")
    fact_cache.CACHE.clear()
    fact_cache.RESULTS.clear()
    yield url
    fact_cache.CACHE.clear()
    fact_cache.RESULTS.clear()
    dispose_engines()


@pytest.fixture
def engine(seeded_url) -> Engine:
    return get_engine(seeded_url)


@pytest.fixture
def sessions(engine) -> SessionFactory:
    return sessions_for(engine)


# --- what is compared -------------------------------------------------------------------

@dataclass(frozen=True)
class Everything:
    """What the portfolio pages read: both cycles a page prices, and the
    statuses (their ledger read and checked every time, each agency's walk
    of it kept by revision)."""

    november: CyclePreviews
    december: CyclePreviews
    statuses: list[AgencyStatus]
    # the portfolio-wide results kept whole (fact_cache.kept_result)
    revenue: Revenue
    receivables: tuple[MonthEndAging, ...]
    trends: list[TrendRank]
    # each agency's preview hash and findings kept by revision, acknowledgements and approvals read afresh
    review: CycleReview


def _everything(sessions: SessionFactory) -> Everything:
    return Everything(preview_cycle(NOVEMBER, sessions=sessions), preview_cycle(DECEMBER, sessions=sessions),
                      payment_statuses(TODAY, sessions=sessions), revenue(FINANCE, TODAY, sessions=sessions),
                      receivables(FINANCE, TODAY, sessions=sessions), trend_ranking(FINANCE, TODAY, sessions=sessions),
                      review_cycle(FINANCE, NOVEMBER, today=TODAY, sessions=sessions))


@contextmanager
def _cache_off(monkeypatch) -> Iterator[None]:
    """Nothing cached, and the process-wide cache left as it was."""
    with monkeypatch.context() as patch:
        patch.setattr(fact_cache, "CACHE", fact_cache.FactCache())
        patch.setattr(fact_cache, "RESULTS", fact_cache.FactCache())
        patch.setenv("BILLING_PREVIEW_CACHE", "0")
        yield


def _uncached(sessions: SessionFactory, monkeypatch) -> Everything:
    with _cache_off(monkeypatch):
        return _everything(sessions)


def _assert_same(cached: Everything, uncached: Everything) -> None:
    for name in ("november", "december"):
        got, expected = getattr(cached, name), getattr(uncached, name)
        assert got.problems == expected.problems, name
        assert got.previews.keys() == expected.previews.keys(), name
        for agency_id, preview in expected.previews.items():
            assert got.previews[agency_id] == preview, f"{name} {agency_id}"
    assert cached.statuses == uncached.statuses
    assert (cached.revenue, cached.receivables, cached.trends) == (uncached.revenue, uncached.receivables,
                                                                   uncached.trends)
    assert cached.review == uncached.review


@contextmanager
def _computed(monkeypatch) -> Iterator[set[str]]:
    """The agencies whose entries were looked up and not found (computed again)."""
    missed: set[str] = set()
    cache = fact_cache.CACHE
    real = cache.get_many

    def spy(keys):  # type: ignore[no-untyped-def]
        found, missing = real(keys)
        missed.update(a for a in missing if keys[a] is not None)
        return found, missing

    with monkeypatch.context() as patch:
        patch.setattr(cache, "get_many", spy)
        yield missed


def _revisions(engine: Engine) -> dict[str, int | None]:
    with session_scope(engine) as session:
        return dict(fact_revisions(session=session).revisions)


def _user_of(engine: Engine, agency_id: str) -> str:
    with session_scope(engine) as session:
        return session.scalars(select(DialerUser.user_id).where(DialerUser.agency_id == agency_id)
                               .order_by(DialerUser.user_id)).first()


def _import(kind: str, header: str, *rows: str) -> None:
    summary = import_upload(FINANCE, kind, "\n".join([header, *rows, ""]).encode(), f"{kind}.csv", timezone=None)
    assert summary["inserted"] == len(rows), summary


# --- each kind of fact ------------------------------------------------------------------

def _a_call(engine: Engine, agency_id: str) -> None:
    user = _user_of(engine, agency_id)
    _import("calls", "call_id,agency_id,user_id,started_at,duration_seconds,transcribed_seconds",
            f"CACHE-1,{agency_id},{user},2026-11-20T15:00:00Z,1800,0")


def _a_user_span(engine: Engine, agency_id: str) -> None:
    _import("users", "agency_id,user_id,name,activated_at,deactivated_at,email",
            f"{agency_id},cache-new-user,New User,2026-11-10T14:00:00Z,,")


def _a_contract(engine: Engine, agency_id: str) -> None:
    add_contract_version(FINANCE, agency_id=agency_id, effective_from=date(2026, 11, 1), user_fee="123.45",
                         minimum_users=1, minute_rate="0.0321", sessions=sessions_for(engine))


def _a_number(engine: Engine, agency_id: str) -> None:
    _import("numbers", "agency_id,number,active_from,active_to", f"{agency_id},+15550001234,2026-11-01,")


def _an_appointment(engine: Engine, agency_id: str) -> None:
    _import("appointments", "appointment_id,agency_id,date,status", f"CACHE-APT-1,{agency_id},2026-11-10,completed")


def _a_payment(engine: Engine, agency_id: str) -> None:
    record_payment(FINANCE, agency_id=agency_id, amount="100.00", paid_on=TODAY, reference="CACHE-PAY-1",
                   sessions=sessions_for(engine))


def _an_adjustment(engine: Engine, agency_id: str) -> None:
    record_adjustment(FINANCE, agency_id=agency_id, kind="debit", amount="25.00", on_date=TODAY,
                      reason="test of the preview cache", sessions=sessions_for(engine))


def _issuing(engine: Engine, agency_id: str) -> None:
    result = issue_cycle(NOVEMBER, actor="test", today=TODAY, agency_ids=[agency_id], sessions=sessions_for(engine),
                         without_approval="the cache test issues one agency")
    assert [a for a, _, _ in result.issued] == [agency_id]


def _changed_preview(before: Everything, after: Everything, agency_id: str) -> bool:
    old, new = before.november.previews[agency_id], after.november.previews[agency_id]
    return old != new


def _changed_status(before: Everything, after: Everything, agency_id: str) -> bool:
    def of(everything: Everything) -> tuple[Any, ...]:
        found = [s for s in everything.statuses if s.agency_id == agency_id]
        return tuple((s.balance, s.credit, s.open_invoices, s.paid) for s in found)
    return of(before) != of(after)


# kind -> (write it, what must differ afterwards)
KINDS: dict[str, tuple[Callable[[Engine, str], None], Callable[[Everything, Everything, str], bool]]] = {
    "call": (_a_call, _changed_preview),
    "user_span": (_a_user_span, _changed_preview),
    "contract": (_a_contract, _changed_preview),
    "number": (_a_number, lambda b, a, x: a.november.previews[x].facts.active_numbers
               == b.november.previews[x].facts.active_numbers + 1),
    "appointment": (_an_appointment, lambda b, a, x: a.november.previews[x].facts.completed_appointments
                    == b.november.previews[x].facts.completed_appointments + 1),
    "payment": (_a_payment, _changed_status),
    "adjustment": (_an_adjustment, _changed_status),
    "issuing": (_issuing, lambda b, a, x: a.november.previews[x].is_issued and not b.november.previews[x].is_issued),
}


def _the_agency(before: Everything) -> str:
    """An agency with a live preview for 2026-11 and a status (history to carry)."""
    with_status = {s.agency_id for s in before.statuses}
    return next(a for a, p in sorted(before.november.previews.items()) if not p.is_issued and a in with_status)


@pytest.mark.parametrize("kind", list(KINDS))
def test_cached_preview_is_recomputed_after_each_kind_of_fact_and_only_for_its_agency(kind, engine, sessions,
                                                                                    monkeypatch):
    write, differs = KINDS[kind]
    before = _everything(sessions)
    _assert_same(before, _uncached(sessions, monkeypatch))
    agency_id = _the_agency(before)
    revisions = _revisions(engine)
    with _computed(monkeypatch) as warm:
        _assert_same(_everything(sessions), before)
    assert not warm, "a second read, with nothing written, is all hits"

    write(engine, agency_id)

    moved = _revisions(engine)
    assert moved[agency_id] != revisions[agency_id], "the agency's revision moved"
    assert {a: r for a, r in moved.items() if a != agency_id} == {a: r for a, r in revisions.items() if a != agency_id}
    stats = fact_cache.CACHE.stats()
    with _computed(monkeypatch) as computed:
        after = _everything(sessions)
    assert computed == {agency_id}, "only the agency written to was computed again"
    later = fact_cache.CACHE.stats()
    assert later.misses > stats.misses
    assert later.hits - stats.hits >= 3 * (len(before.november.previews) - 1), "every other agency: hits"
    _assert_same(after, _uncached(sessions, monkeypatch))
    assert differs(before, after, agency_id), f"the {kind} shows"


# names the issue's "Done when" reads for, one per kind of fact
def test_cached_preview_is_recomputed_after_a_new_call(engine, sessions, monkeypatch):
    test_cached_preview_is_recomputed_after_each_kind_of_fact_and_only_for_its_agency("call", engine, sessions,
                                                                                    monkeypatch)


# --- what could bring an old revision back ------------------------------------------------

def _call(agency_id: str, user_id: str, call_id: str, seconds: int) -> NewCall:
    at = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    return NewCall(call_id, agency_id, user_id, at, date(2026, 11, 20), seconds, 0)


def test_a_preview_cached_inside_a_transaction_that_rolled_back_is_never_served(engine, sessions, monkeypatch):
    """A counter would go R -> R+1 (cached: the rolled-back call) -> R, and
    the next write would make it R+1 again with another call behind it."""
    before = _everything(sessions)
    agency_id = _the_agency(before)
    user = _user_of(engine, agency_id)
    with pytest.raises(RuntimeError, match="roll back"), session_scope(engine) as session:
        add_calls(session, [_call(agency_id, user, "ROLLED-BACK", 600)])
        inside = previews_in(session, NOVEMBER)  # cached under the revision this transaction wrote
        assert inside.previews[agency_id] != before.november.previews[agency_id]
        raise RuntimeError("roll back")
    _assert_same(_everything(sessions), before)
    with session_scope(engine) as session:
        add_calls(session, [_call(agency_id, user, "KEPT", 1200)])
    after = _everything(sessions)
    _assert_same(after, _uncached(sessions, monkeypatch))
    assert after.november.previews[agency_id] != before.november.previews[agency_id]


def test_after_a_reset_and_reseed_no_entry_of_before_is_served(engine, sessions, monkeypatch):
    from db.reset import reset_database

    before = _everything(sessions)
    revisions = _revisions(engine)
    reset_database(engine)
    seed_demo(SeedOptions(agencies=5, months=4, seed=81, today=TODAY, min_users=4, max_users=12), sessions=sessions)
    after_revisions = _revisions(engine)
    assert set(after_revisions) == set(revisions)  # the same agency ids, other facts
    assert not {a for a, r in after_revisions.items() if r == revisions[a]}, "no revision came back"
    after = _everything(sessions)
    _assert_same(after, _uncached(sessions, monkeypatch))
    assert after.november.previews != before.november.previews


def test_a_truncated_fact_table_renews_every_revision(engine, sessions, monkeypatch):
    """PostgreSQL: TRUNCATE fires no row trigger; a statement trigger renews
    every revision. SQLite has no TRUNCATE: a DELETE fires the row triggers."""
    before = _everything(sessions)
    revisions = _revisions(engine)
    statement = "TRUNCATE call_day" if engine.dialect.name == "postgresql" else "DELETE FROM call_day"
    with engine.begin() as connection:
        connection.execute(text(statement))
    assert not {a for a, r in _revisions(engine).items() if r == revisions[a]}
    after = _everything(sessions)
    _assert_same(after, _uncached(sessions, monkeypatch))
    assert after.november.previews != before.november.previews  # no minutes left


def test_an_agency_without_a_revision_has_no_live_preview_cached(engine, sessions, monkeypatch):
    before = _everything(sessions)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM fact_revision"))
    with _computed(monkeypatch) as computed:
        _everything(sessions)
    assert not computed  # live previews: no key at all; issued ones: parsed before, verified again
    stats = fact_cache.CACHE.stats()
    _a_call(engine, _the_agency(before))  # a write gives the agency a revision again
    assert _revisions(engine)[_the_agency(before)] is not None
    _assert_same(_everything(sessions), _uncached(sessions, monkeypatch))
    assert fact_cache.CACHE.stats().entries > stats.entries


def _behind_the_triggers_back(engine: Engine, statement: str, params: dict[str, Any]) -> None:
    """Change an invoice row as only the owner (or whoever has the SQLite file) can:
    with every trigger on the table off, ours included."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ALTER TABLE invoice DISABLE TRIGGER USER")
            connection.execute(text(statement), params)
            connection.exec_driver_sql("ALTER TABLE invoice ENABLE TRIGGER USER")
        else:
            triggers = connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'invoice'").all()
            for name, _ in triggers:
                connection.exec_driver_sql(f"DROP TRIGGER {name}")
            connection.execute(text(statement), params)
            for _, sql in triggers:
                connection.exec_driver_sql(sql)


def test_an_issued_invoice_changed_after_it_was_cached_is_refused_all_the_same(engine, sessions):
    """Issued invoices are checked against their content hash at every use:
    only their parsing is kept, by the row as verified."""
    _everything(sessions)  # every invoice of 2026-10 parsed and kept
    with session_scope(engine) as session:
        number, snapshot = session.execute(text(
            "SELECT number, snapshot FROM invoice WHERE cycle = '2026-10' ORDER BY number LIMIT 1")).one()
    revisions = _revisions(engine)
    document = json.loads(snapshot)
    document["total"] = "0.01"
    _behind_the_triggers_back(engine, "UPDATE invoice SET snapshot = :s WHERE number = :n",
                              {"s": json.dumps(document), "n": number})
    assert _revisions(engine) == revisions  # no trigger fired: the revision cannot tell
    with pytest.raises(InvoiceIntegrityError, match=number):
        preview_cycle(NOVEMBER, sessions=sessions)  # 2026-11 carries over from the changed 2026-10 invoice
    with pytest.raises(InvoiceIntegrityError, match=number):
        preview_cycle(Cycle.parse("2026-10"), sessions=sessions)


def test_a_status_kept_by_revision_is_refused_once_its_invoice_changed_behind_the_triggers_back(engine, sessions):
    """Statuses keep only the engine's walk of an account: the ledger under
    it is read and checked against the invoices' content hashes every time."""
    kept = payment_statuses(TODAY, sessions=sessions)
    assert payment_statuses(TODAY, sessions=sessions) == kept
    with session_scope(engine) as session:
        number = session.execute(text("SELECT number FROM invoice WHERE cycle = '2026-10' ORDER BY number LIMIT 1")).scalar_one()
    revisions = _revisions(engine)
    _behind_the_triggers_back(engine, "UPDATE invoice SET total = total + 1 WHERE number = :n", {"n": number})
    assert _revisions(engine) == revisions
    with pytest.raises(InvoiceIntegrityError, match=number):
        payment_statuses(TODAY, sessions=sessions)


# --- many writes in a row ----------------------------------------------------------------

def _random_write(rng: random.Random, engine: Engine, agencies: list[str], step: int) -> str:
    agency_id = rng.choice(agencies)
    kind = rng.choice(["call", "call", "user", "payment", "adjustment", "contract", "number", "appointment"])
    try:
        _write(kind, rng, engine, agency_id, step)
    except FieldError as refused:  # e.g. a contract dated on or before an invoice issued meanwhile
        return f"{kind} for {agency_id} refused: {refused}"
    return f"{kind} for {agency_id}"


def _write(kind: str, rng: random.Random, engine: Engine, agency_id: str, step: int) -> None:
    if kind == "call":
        day = date(2026, 10, 24) + timedelta(days=rng.randrange(32))  # the closed period of 2026-11, and 11-24
        _import("calls", "call_id,agency_id,user_id,started_at,duration_seconds,transcribed_seconds",
                f"R-{step},{agency_id},{_user_of(engine, agency_id)},{day.isoformat()}T16:00:00Z,"
                f"{rng.randrange(1, 4000)},{rng.choice([0, 90])}")
    elif kind == "user":
        day = date(2026, 10, 24) + timedelta(days=rng.randrange(32))
        _import("users", "agency_id,user_id,name,activated_at,deactivated_at,email",
                f"{agency_id},r-user-{step},User {step},{day.isoformat()}T14:00:00Z,,")
    elif kind == "payment":
        record_payment(FINANCE, agency_id=agency_id, amount=f"{rng.randrange(1, 900)}.{rng.randrange(100):02d}",
                       paid_on=TODAY - timedelta(days=rng.randrange(20)), reference=f"R-PAY-{step}",
                       sessions=sessions_for(engine))
    elif kind == "adjustment":
        record_adjustment(FINANCE, agency_id=agency_id, kind=rng.choice(["credit", "debit"]),
                          amount=f"{rng.randrange(1, 300)}.00", on_date=TODAY, reason=f"random write {step}",
                          sessions=sessions_for(engine))
    elif kind == "contract":
        add_contract_version(FINANCE, agency_id=agency_id, effective_from=date(2026, 11, 1) + timedelta(days=step),
                             user_fee=f"{rng.randrange(40, 140)}.00", minimum_users=rng.randrange(0, 6),
                             minute_rate="0.02", sessions=sessions_for(engine))
    elif kind == "number":
        _import("numbers", "agency_id,number,active_from,active_to",
                f"{agency_id},+1555{step:07d},2026-11-{rng.randrange(1, 24):02d},")
    else:
        _import("appointments", "appointment_id,agency_id,date,status",
                f"R-APT-{step},{agency_id},2026-11-{rng.randrange(1, 24):02d},"
                f"{rng.choice(['completed', 'cancelled', 'no_show'])}")


def test_after_every_random_write_the_cached_portfolio_is_the_uncached_one(engine, sessions, monkeypatch):
    rng = random.Random(18)
    agencies = sorted(_everything(sessions).november.previews)
    for step in range(12):
        what = _random_write(rng, engine, agencies, step)
        assert _everything(sessions) == _everything(sessions)  # the second one all hits
        with _computed(monkeypatch) as computed:
            cached = _everything(sessions)
        assert not computed, what
        _assert_same(cached, _uncached(sessions, monkeypatch))
        if step == 6:  # and once the cycle is issued for some
            _issuing(engine, agencies[0])
            _assert_same(_everything(sessions), _uncached(sessions, monkeypatch))


# --- the migration -----------------------------------------------------------------------

def test_migration_0012_goes_down_and_up_again(engine, sessions, monkeypatch):
    from alembic import command

    from db.migrate import alembic_config, upgrade_to_head

    def triggers() -> set[str]:
        query = ("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal" if engine.dialect.name == "postgresql"
                 else "SELECT name FROM sqlite_master WHERE type = 'trigger'")
        with engine.connect() as connection:
            return {t for t in connection.exec_driver_sql(query).scalars() if t.startswith("fact_revision")}

    assert triggers()
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
    assert not triggers()
    with engine.connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'fact_revision'"
            if engine.dialect.name == "postgresql" else
            "SELECT count(*) FROM sqlite_master WHERE name = 'fact_revision'").scalar() == 0
    upgrade_to_head(engine)
    assert triggers()
    revisions = _revisions(engine)
    assert revisions and None not in revisions.values(), "every agency stored gets a revision"
    fact_cache.CACHE.clear()
    _a_call(engine, sorted(revisions)[0])
    assert _revisions(engine)[sorted(revisions)[0]] != revisions[sorted(revisions)[0]]
    _assert_same(_everything(sessions), _uncached(sessions, monkeypatch))


@pytest.mark.parametrize("write", [_a_call, _a_user_span], ids=["call", "user span"])
def test_cached_housekeeping_is_read_again_only_for_the_agency_written_to(write, engine, sessions, monkeypatch):
    from services.housekeeping import housekeeping

    before = housekeeping(FINANCE, TODAY, sessions=sessions)
    with _computed(monkeypatch) as warm:
        assert housekeeping(FINANCE, TODAY, sessions=sessions) == before
    assert not warm, "a second read, with nothing written, is all hits"
    agency_id = before[0].agency_id

    write(engine, agency_id)

    with _computed(monkeypatch) as computed:
        after = housekeeping(FINANCE, TODAY, sessions=sessions)
    assert computed == {agency_id}
    with _cache_off(monkeypatch):
        assert after == housekeeping(FINANCE, TODAY, sessions=sessions)


def test_portfolio_results_are_kept_whole_until_a_fact_of_any_agency_changes(engine, sessions, monkeypatch):
    """Revenue, receivables and the minute banks' trends cost seconds at
    5,000 agencies; a repeat with nothing written prices nothing and reads
    no ledger, and one agency's new call makes all three be computed again."""
    before = _everything(sessions)
    kept = fact_cache.RESULTS.stats()
    again = _everything(sessions)
    assert fact_cache.RESULTS.stats().hits == kept.hits + 3
    assert (again.revenue, again.receivables, again.trends) == (before.revenue, before.receivables, before.trends)
    _a_call(engine, _the_agency(before))
    misses = fact_cache.RESULTS.stats().misses
    after = _everything(sessions)
    assert fact_cache.RESULTS.stats().misses == misses + 3
    _assert_same(after, _uncached(sessions, monkeypatch))
    assert after.trends != before.trends, "the new call's minutes show in the trend"


def test_kept_review_findings_show_a_new_acknowledgement_and_approval_at_once(engine, sessions, monkeypatch):
    """The review keeps each agency's preview hash and findings by revision;
    acknowledgements and approvals are not facts of a preview, so they are
    read afresh and apply to the kept findings on the next visit."""
    before = review_cycle(FINANCE, NOVEMBER, today=TODAY, sessions=sessions)
    row = next(r for r in before.rows if r.findings and not r.issued_number)
    finding = row.findings[0]
    with _computed(monkeypatch) as computed:
        acknowledge_finding(FINANCE, NOVEMBER, row.agency_id, str(finding.code), "Checked with the client.",
                            sessions=sessions)
        approve(FINANCE, NOVEMBER, sessions=sessions)
        after = review_cycle(FINANCE, NOVEMBER, today=TODAY, sessions=sessions)
    assert not computed, "no fact changed: every agency's findings are the kept ones"
    now = after.row(row.agency_id)
    assert now is not None
    assert next(f for f in now.findings if f.code == finding.code).acknowledged is not None
    assert any(r.approval is not None for r in after.rows)
    with _cache_off(monkeypatch):
        assert after == review_cycle(FINANCE, NOVEMBER, today=TODAY, sessions=sessions)
