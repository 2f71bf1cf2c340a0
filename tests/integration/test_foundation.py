"""The database of billing facts, on SQLite and PostgreSQL: exact money,
frozen invoices, previews that equal their scenario files, idempotent and
race-safe issuing, idempotent payments, and the demo seed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date
from decimal import Decimal
from pathlib import Path

import pytest
from json_compare import without_descriptions
from pg import drop_database
from seeded import seed_postgres_template, seed_sqlite_template, seeded_copy
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError, StatementError

from billing import Cycle, Status, facts_from_scenario, price_invoice
from billing.scenario import invoice_to_json
from db.engine import get_engine, session_scope
from db.errors import BillingError, FieldError
from db.ledger import agency_statuses
from db.models import Agency, AgencyContract, AuditEvent, Invoice, Payment
from services.access import Role, Viewer
from services.demo import SeedOptions
from services.issuing import issue_cycle
from services.payments import record_payment as pay
from services.previews import invoice_preview_in, previews_in, scenario
from services.unit_of_work import sessions_for

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 25)
NOVEMBER, OCTOBER = Cycle.parse("2026-11"), Cycle.parse("2026-10")
SMALL = SeedOptions(agencies=8, months=6, seed=7, today=TODAY, min_users=5, max_users=40)
PUBLIC_FIELDS = ("agency_id", "cycle", "invoice_date", "due_date", "restriction_date", "closed_period", "advance_period",
                 "lines", "minute_bank", "headcount_at_cutoff", "total")



@pytest.fixture
def engine(database_url):
    return get_engine(database_url)


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory) -> Path:
    """The small demo portfolio seeded once; tests get a copy."""
    return seed_sqlite_template(tmp_path_factory.mktemp("seeded") / "template.db", SMALL, approve=[NOVEMBER])


@pytest.fixture(scope="module")
def postgres_template(postgres_url) -> str:
    yield seed_postgres_template(postgres_url, "seeded_template", SMALL, approve=[NOVEMBER])
    drop_database(postgres_url, "seeded_template")


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)])
def seeded_url(request, tmp_path) -> str:
    return seeded_copy(request, tmp_path, "seeded")


@pytest.fixture
def seeded(seeded_url):
    return get_engine(seeded_url)


def _agency(session, agency_id="A-9"):
    session.add(Agency(id=agency_id, name="Exact & Co", onboarded_on=date(2026, 1, 5)))
    session.flush()


# --- money ---------------------------------------------------------------------

@pytest.mark.parametrize("rate", ["0.0125", "0.0150", "0.01", "150.00", "150"])
def test_rates_round_trip_exactly_with_their_trailing_zeros(engine, rate):
    with session_scope(engine) as session:
        _agency(session)
        session.add(AgencyContract(agency_id="A-9", effective_from=date(2026, 1, 5), user_fee=Decimal(rate),
                                   minimum_users=0, minute_rate=Decimal(rate)))
    with session_scope(engine) as session:
        stored = session.scalars(select(AgencyContract)).one()
        assert str(stored.minute_rate) == rate and stored.user_fee == Decimal(rate)


@pytest.mark.parametrize("amount", ["0.01", "999999999.99", "1250.50"])
def test_money_round_trips_exactly(engine, amount):
    with session_scope(engine) as session:
        _agency(session)
        session.add(Payment(agency_id="A-9", paid_on=TODAY, amount=Decimal(amount), recorded_by="t"))
    with session_scope(engine) as session:
        assert str(session.scalars(select(Payment.amount)).one()) == amount


@pytest.mark.parametrize("bad", [Decimal("1.005"), 0.1, "12.345"])
def test_money_with_more_than_two_decimals_or_a_float_is_refused_and_nothing_is_written(engine, bad):
    with pytest.raises((StatementError, ValueError)), session_scope(engine) as session:
        _agency(session)
        session.add(Payment(agency_id="A-9", paid_on=TODAY, amount=bad, recorded_by="t"))
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0
        assert session.scalar(select(func.count()).select_from(Agency)) == 0


def test_trailing_zeros_beyond_cents_are_not_a_change_of_value(engine):
    with session_scope(engine) as session:
        _agency(session)
        session.add(Payment(agency_id="A-9", paid_on=TODAY, amount=Decimal("150.0000"), recorded_by="t"))
    with session_scope(engine) as session:
        assert str(session.scalars(select(Payment.amount)).one()) == "150.00"


# --- previews, scenarios, issuing ------------------------------------------------

@pytest.mark.parametrize("cycle", [NOVEMBER, OCTOBER], ids=["preview", "issued"])
def test_every_preview_equals_the_engine_run_on_its_scenario_file(seeded, cycle):
    with session_scope(seeded) as session:
        previews = previews_in(session, cycle)
        assert not previews.problems and len(previews.previews) >= 6
        for agency_id, preview in previews.previews.items():
            document = json.loads(json.dumps(scenario(agency_id, cycle, sessions=sessions_for(seeded))))
            replayed = invoice_to_json(price_invoice(facts_from_scenario(document)))
            public = preview.snapshot.public_document()
            assert tuple(public) == PUBLIC_FIELDS
            assert without_descriptions(replayed) == without_descriptions(public), agency_id
        assert all(p.is_issued for p in previews.previews.values()) == (cycle == OCTOBER)


def test_a_preview_two_cycles_ahead_carries_the_unissued_cycle_forward(seeded):
    with session_scope(seeded) as session:
        november = invoice_preview_in(session, "A-1001", NOVEMBER)
        december = invoice_preview_in(session, "A-1001", NOVEMBER.next())
    assert december.snapshot.seats_paid_in_advance == november.seats_billed
    assert december.snapshot.bank.opening_balance == november.closing_balance
    assert december.snapshot.bank.credited_at_period_start == november.replenishment
    issue_cycle(NOVEMBER, actor="test", today=TODAY, sessions=sessions_for(seeded))
    with session_scope(seeded) as session:
        again = invoice_preview_in(session, "A-1001", NOVEMBER.next())
    assert again.snapshot == december.snapshot


def test_issuing_is_refused_before_the_cutoff_has_passed(seeded):
    with pytest.raises(BillingError, match="cutoff"):
        issue_cycle(NOVEMBER, actor="test", today=date(2026, 11, 23), sessions=sessions_for(seeded))


def test_issuing_twice_changes_nothing_and_numbers_are_sequential(seeded):
    first = issue_cycle(NOVEMBER, actor="test", today=TODAY, sessions=sessions_for(seeded))
    numbers = sorted(number for _, number, _ in first.issued)
    assert numbers == [f"INV-2026-11-{i:04d}" for i in range(1, len(numbers) + 1)]
    second = issue_cycle(NOVEMBER, actor="test", today=TODAY, sessions=sessions_for(seeded))
    assert second.issued == [] and second.already_issued == len(numbers)
    with session_scope(seeded) as session:
        assert session.scalar(select(func.count()).select_from(Invoice).where(Invoice.cycle == "2026-11")) == len(numbers)
        frozen = invoice_preview_in(session, "A-1001", NOVEMBER)
        assert frozen.is_issued and frozen.issued.hash_verified


def test_an_issued_invoice_never_changes_when_facts_change(seeded):
    issue_cycle(NOVEMBER, actor="test", today=TODAY, sessions=sessions_for(seeded))
    with session_scope(seeded) as session:
        before = invoice_preview_in(session, "A-1001", NOVEMBER).snapshot
    from datetime import datetime

    from db.calls import NewCall, add_calls
    with session_scope(seeded) as session:
        add_calls(session, [NewCall("late-1", "A-1001", "1001-u001", datetime(2026, 11, 10, 15, tzinfo=UTC),
                                    date(2026, 11, 10), 36000, 0)])
    with session_scope(seeded) as session:
        assert invoice_preview_in(session, "A-1001", NOVEMBER).snapshot == before


@pytest.mark.parametrize("statement", ["UPDATE invoice SET total = '0.00'", "DELETE FROM invoice_line",
                                       "DELETE FROM invoice", "UPDATE audit_event SET actor = 'someone else'"])
def test_the_database_refuses_to_change_issued_invoices_and_the_audit_log(seeded, statement):
    with pytest.raises(SQLAlchemyError), seeded.begin() as connection:
        connection.execute(text(statement))


def test_one_invoice_per_agency_and_cycle_is_a_database_constraint(seeded):
    with pytest.raises(IntegrityError), session_scope(seeded) as session:
        original = session.scalars(select(Invoice).where(Invoice.cycle == "2026-10")).first()
        session.add(Invoice(**{**original.model_dump(exclude={"id"}), "number": "INV-2026-10-9999"}))


def test_two_processes_issuing_at_once_make_exactly_one_invoice_per_agency(seeded, seeded_url):
    env = {**os.environ, "DATABASE_URL": seeded_url}
    env.pop("BILLING_TODAY", None)
    command = [sys.executable, "manage.py", "issue", "--cycle", "2026-11", "--today", "2026-11-25", "--quiet"]
    runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=180) for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    issued = [json.loads(out)["issued"] for out, _ in outputs]
    with session_scope(seeded) as session:
        rows = session.execute(select(Invoice.agency_id, func.count()).where(Invoice.cycle == "2026-11")
                               .group_by(Invoice.agency_id)).all()
    assert rows and all(count == 1 for _, count in rows)
    assert len(issued[0]) + len(issued[1]) == len(rows)


# --- payments and statuses --------------------------------------------------------

@pytest.fixture
def finance(monkeypatch):
    monkeypatch.setenv("BILLING_TODAY", TODAY.isoformat())
    return Viewer("finance@test.example", "Finance", Role.FINANCE)


def test_a_resubmitted_payment_reference_is_a_no_op(seeded, finance):
    sessions = sessions_for(seeded)
    first = pay(finance, agency_id="A-1001", amount="125.00", paid_on=TODAY, reference="ACH-77", sessions=sessions)
    again = pay(finance, agency_id="A-1001", amount="$125.00", paid_on=TODAY, reference="ACH-77", sessions=sessions)
    assert first.created and not again.created and again.id == first.id
    with session_scope(seeded) as session:
        assert session.scalar(select(func.count()).select_from(Payment).where(Payment.reference == "ACH-77")) == 1
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "record_payment",
                                                                               AuditEvent.subject == "A-1001")) >= 1


def test_the_same_reference_with_other_details_is_refused(seeded, finance):
    sessions = sessions_for(seeded)
    pay(finance, agency_id="A-1001", amount="125.00", paid_on=TODAY, reference="ACH-78", sessions=sessions)
    with pytest.raises(FieldError) as refused:
        pay(finance, agency_id="A-1001", amount="126.00", paid_on=TODAY, reference="ACH-78", sessions=sessions)
    assert refused.value.field == "Reference"


@pytest.mark.parametrize("amount", ["0", "-5", "1.005", "abc", "1e3", "1_000", "\u0661\u0660\u0660\u0660"])
def test_bad_payment_amounts_are_refused_naming_the_field(seeded, finance, amount):
    with session_scope(seeded) as session:
        before = session.scalar(select(func.count()).select_from(Payment))
    with pytest.raises(FieldError) as refused:
        pay(finance, agency_id="A-1001", amount=amount, paid_on=TODAY, sessions=sessions_for(seeded))
    assert refused.value.field == "Amount"
    with session_scope(seeded) as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == before


def test_a_payment_naming_another_agencys_invoice_is_refused(seeded, finance):
    with session_scope(seeded) as session:
        other = session.scalars(select(Invoice.number).where(Invoice.agency_id == "A-1002")).first()
    with pytest.raises(FieldError) as refused:
        pay(finance, agency_id="A-1001", amount="1.00", paid_on=TODAY, invoice_number=other, sessions=sessions_for(seeded))
    assert refused.value.field == "Invoice"


def test_paying_what_lifts_a_restriction_lifts_it(seeded, finance):
    with session_scope(seeded) as session:
        restricted = [s for s in agency_statuses(session, TODAY) if s.status is Status.RESTRICTED]
        assert restricted, "the seed plans restricted agencies"
        target = restricted[0]
    pay(Viewer("t", "t", Role.FINANCE), agency_id=target.agency_id, amount=str(target.amount_to_lift_or_avoid_restriction),
        paid_on=TODAY, reference="LIFT-1", sessions=sessions_for(seeded))
    with session_scope(seeded) as session:
        (after,) = agency_statuses(session, TODAY, [target.agency_id])
    assert after.status is not Status.RESTRICTED


def test_the_seed_shows_every_status_relative_to_today(seeded):
    with session_scope(seeded) as session:
        found = {s.status for s in agency_statuses(session, TODAY)}
    assert {Status.PAID_UP, Status.RESTRICTED, Status.AT_RISK, Status.OVERDUE, Status.OPEN} <= found
