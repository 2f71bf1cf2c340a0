"""The write use cases as services, without Streamlit and without a server:
payments, adjustments, contract versions and accounts, on a small seeded
SQLite database of their own (a fresh copy per test)."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from billing.facts import SignalMode
from billing.ledger import AdjustmentKind
from db.engine import dispose_engines, get_engine, session_scope
from db.models import Adjustment, AgencyContract, AuditEvent, Invoice, Payment
from services import accounts, adjustments, contracts, payments
from services.access import AccessDenied, Role, Viewer
from services.demo import SeedOptions, seed_demo
from services.errors import FieldError
from services.unit_of_work import SessionFactory, sessions_for

TODAY = date(2026, 11, 25)
SMALL = SeedOptions(agencies=4, months=5, seed=3, today=TODAY, min_users=5, max_users=20)
FINANCE = Viewer("finance@test.example", "Finance", Role.FINANCE)
OPS = Viewer("ops@test.example", "Ops", Role.OPS)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("service") / "template.db"
    seed_demo(SMALL, sessions=sessions_for(get_engine(f"sqlite:///{path}")))
    dispose_engines()
    return path


@pytest.fixture
def url(template, tmp_path, monkeypatch) -> str:
    copy = tmp_path / "db.sqlite"
    shutil.copyfile(template, copy)
    monkeypatch.setenv("BILLING_TODAY", TODAY.isoformat())
    yield f"sqlite:///{copy}"
    dispose_engines()


@pytest.fixture
def sessions(url) -> SessionFactory:
    return sessions_for(get_engine(url))


def _count(url: str, model) -> int:  # type: ignore[no-untyped-def]
    with session_scope(get_engine(url)) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _an_invoice(url: str, agency_id: str = "A-1001") -> str:
    with session_scope(get_engine(url)) as session:
        return session.scalars(select(Invoice.number).where(Invoice.agency_id == agency_id).order_by(Invoice.number)).first()


# -- payments ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "recorded"), [("1000", "1000.00"), ("1,000.00", "1000.00"), ("$1,000.00", "1000.00"),
                                                 ("125.000", "125.00")])
def test_a_payment_is_recorded_as_the_person_meant_it(sessions, url, typed, recorded):
    payment = payments.record_payment(FINANCE, agency_id="A-1001", amount=typed, paid_on=TODAY, sessions=sessions)
    assert payment.created and payment.amount == Decimal(recorded) and str(payment.amount) == recorded
    with session_scope(get_engine(url)) as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "record_payment")
                                .order_by(AuditEvent.id.desc())).first()
        assert event.actor == FINANCE.email and f'"amount": "{recorded}"' in event.details


@pytest.mark.parametrize(("typed", "problem"), [
    ("1e3", "not as an exponent"), ("1_000", "underscores"), ("\u0661\u0660\u0660\u0660", "digits 0-9"),
    ("10.005", "more than 2 decimal places"), ("-5", "must not be negative"), ("0", r"more than \$0\.00"),
    ("", "is required"), ("1e100000", "exponent"), ("9" * 100_000, "too long"),
])
def test_a_payment_amount_that_is_not_plain_money_is_refused_and_nothing_is_written(sessions, url, typed, problem):
    before = _count(url, Payment), _count(url, AuditEvent)
    with pytest.raises(FieldError, match=problem) as refused:
        payments.record_payment(FINANCE, agency_id="A-1001", amount=typed, paid_on=TODAY, sessions=sessions)
    assert refused.value.field == "Amount"
    assert (_count(url, Payment), _count(url, AuditEvent)) == before


def test_a_payment_cannot_be_received_in_the_future_or_before_onboarding(sessions):
    with pytest.raises(FieldError, match="cannot be received in the future"):
        payments.record_payment(FINANCE, agency_id="A-1001", amount="5", paid_on=TODAY + timedelta(days=1), sessions=sessions)
    with pytest.raises(FieldError, match="was onboarded then"):
        payments.record_payment(FINANCE, agency_id="A-1001", amount="5", paid_on=date(2020, 1, 1), sessions=sessions)


def test_a_payment_for_an_unknown_agency_or_someone_elses_invoice_is_refused(sessions, url):
    with pytest.raises(FieldError, match="there is no agency 'A-9999'"):
        payments.record_payment(FINANCE, agency_id="A-9999", amount="5", paid_on=TODAY, sessions=sessions)
    other = _an_invoice(url, "A-1002")
    with pytest.raises(FieldError, match=f"{other} belongs to A-1002, not A-1001"):
        payments.record_payment(FINANCE, agency_id="A-1001", amount="5", paid_on=TODAY, invoice_number=other,
                                sessions=sessions)


def test_a_resubmitted_reference_is_recorded_once_and_a_different_one_is_refused(sessions, url):
    first = payments.record_payment(FINANCE, agency_id="A-1001", amount="10", paid_on=TODAY, reference="ACH-1",
                                    sessions=sessions)
    again = payments.record_payment(FINANCE, agency_id="A-1001", amount="$10.00", paid_on=TODAY, reference=" ACH-1 ",
                                    sessions=sessions)
    assert first.created and not again.created and again.id == first.id
    with pytest.raises(FieldError, match="already recorded for A-1001"):
        payments.record_payment(FINANCE, agency_id="A-1001", amount="11", paid_on=TODAY, reference="ACH-1",
                                sessions=sessions)


def test_only_finance_records_payments(sessions, url):
    before = _count(url, Payment)
    with pytest.raises(AccessDenied):
        payments.record_payment(OPS, agency_id="A-1001", amount="5", paid_on=TODAY, sessions=sessions)
    assert _count(url, Payment) == before


# -- adjustments ---------------------------------------------------------------------------------
def test_a_credit_on_an_invoice_is_recorded_with_its_number_and_audit_entry(sessions, url):
    number = _an_invoice(url)
    adjustment = adjustments.record_adjustment(FINANCE, agency_id="A-1001", kind="credit", amount="$75.00", on_date=TODAY,
                                               reason="  Seat billed after   u12 left ", invoice_number=number,
                                               sessions=sessions)
    assert adjustment.kind is AdjustmentKind.CREDIT and adjustment.amount == Decimal("75.00")
    assert adjustment.number.startswith("ADJ-") and adjustment.reason == "Seat billed after u12 left"
    assert adjustment.invoice_number == number


@pytest.mark.parametrize(("changes", "field", "problem"), [
    ({"kind": "refund"}, "Kind", "must be credit or debit"),
    ({"amount": "1e3"}, "Amount", "exponent"),
    ({"reason": "   "}, "Reason", "is required"),
    ({"on_date": date(9999, 12, 31)}, "Dated", "at most a year ahead"),
    ({"kind": "debit", "due_on": date(9999, 12, 31)}, "Due on", "at most a year ahead"),
    ({"kind": "credit", "due_on": TODAY}, "Due on", "only a debit has a due date"),
    ({"kind": "debit", "due_on": TODAY - timedelta(days=1)}, "Due on", "on or after its date"),
])
def test_an_adjustment_that_cannot_be_explained_or_dated_is_refused(sessions, url, changes, field, problem):
    before = _count(url, Adjustment)
    values = {"agency_id": "A-1001", "kind": "debit", "amount": "20", "on_date": TODAY, "reason": "Catch-up fee"} | changes
    with pytest.raises(FieldError, match=problem) as refused:
        adjustments.record_adjustment(FINANCE, sessions=sessions, **values)
    assert refused.value.field == field
    assert _count(url, Adjustment) == before


# -- contract versions ---------------------------------------------------------------------------
def _terms(**changes: object) -> dict[str, object]:
    return {"user_fee": "$150", "minimum_users": 5, "minute_rate": "0.0150", "licensing_fee": "50.00",
            "minute_block": 100, "replenish_buffer_pct": "10", "onboarding_minutes_per_user": 2500,
            "signal_mode": SignalMode.PER_USER, "signal_rate": "25.00"} | changes


def test_a_contract_version_is_added_after_the_last_issued_invoice(sessions, url):
    version = contracts.add_contract_version(FINANCE, agency_id="A-1001", effective_from=TODAY + timedelta(days=10),
                                             sessions=sessions, **_terms())
    assert version.user_fee == Decimal("150") and version.minute_rate == Decimal("0.0150")
    assert version.signal_mode is SignalMode.PER_USER
    history = contracts.contract_history(FINANCE, "A-1001", sessions=sessions)
    assert history[-1] == version


@pytest.mark.parametrize(("changes", "field", "problem"), [
    ({"user_fee": "1e3"}, "User fee", "exponent"),
    ({"minute_rate": "0.01505"}, "Minute rate", "more than 4 decimal places"),
    ({"user_fee": "-5"}, "User fee", "must not be negative"),
    ({"minimum_users": "-1"}, "Minimum users", "whole number"),
    ({"minute_block": 0}, "Minute block", "1 or more"),
    ({"signal_mode": "sometimes"}, "EH Signal", "must be one of none, per_user, flat"),
    ({"signal_rate": ""}, "Signal rate or flat amount", "is required"),
])
def test_a_contract_version_with_a_bad_value_is_refused_naming_the_field(sessions, url, changes, field, problem):
    before = _count(url, AgencyContract)
    with pytest.raises(FieldError, match=problem) as refused:
        contracts.add_contract_version(FINANCE, agency_id="A-1001", effective_from=TODAY + timedelta(days=10),
                                       sessions=sessions, **_terms(**changes))
    assert refused.value.field == field
    assert _count(url, AgencyContract) == before


def test_a_contract_version_may_not_reprice_an_issued_invoice(sessions):
    with pytest.raises(FieldError, match="issued invoices never change") as refused:
        contracts.add_contract_version(FINANCE, agency_id="A-1001", effective_from=date(2026, 10, 25),
                                       sessions=sessions, **_terms())
    assert refused.value.field == "In force from"


# -- accounts ------------------------------------------------------------------------------------
def test_an_account_signs_in_with_the_password_it_was_given(sessions):
    accounts.add_account(FINANCE, email=" New.Person@Example.com ", role="ops", password="a-long-password", sessions=sessions)
    viewer = accounts.sign_in_with_password("new.person@example.com", "a-long-password", sessions=sessions)
    assert viewer.role is Role.OPS and viewer.email == "new.person@example.com"


@pytest.mark.parametrize(("password", "problem"), [("short", "at least 10 characters"), ("x" * 100, "at most 72 bytes"),
                                                   ("é" * 40, "at most 72 bytes")])
def test_a_password_bcrypt_cannot_hold_exactly_is_refused_in_words(sessions, password, problem):
    with pytest.raises(FieldError, match=problem):
        accounts.add_account(FINANCE, email="p@example.com", role="finance", password=password, sessions=sessions)


def test_signing_in_with_a_100_character_password_is_a_wrong_password_not_a_crash(sessions):
    with pytest.raises(FieldError, match="wrong e-mail or password"):
        accounts.sign_in_with_password("finance@dialer-billing.example", "x" * 100, sessions=sessions)


@pytest.mark.parametrize(("email", "problem"), [("not-an-email", "is not an e-mail address"),
                                                ("a@" + "b" * 250 + ".example", "at most 200 characters")])
def test_an_account_needs_a_real_email_address(sessions, email, problem):
    with pytest.raises(FieldError, match=problem):
        accounts.add_account(FINANCE, email=email, role="ops", password=None, sessions=sessions)


def test_a_role_that_does_not_exist_is_refused(sessions):
    with pytest.raises(FieldError, match="must be one of finance, account_manager, ops"):
        accounts.add_account(FINANCE, email="r@example.com", role="admin", password=None, sessions=sessions)


def test_only_account_managers_get_assigned_agencies(sessions):
    accounts.add_account(FINANCE, email="am@example.com", role="account_manager", password=None, sessions=sessions)
    assert accounts.assign_agencies(FINANCE, email="am@example.com", agency_ids=["A-1001"], sessions=sessions) == ["A-1001"]
    with pytest.raises(FieldError, match="is not an account manager"):
        accounts.assign_agencies(FINANCE, email="finance@dialer-billing.example", agency_ids=["A-1001"], sessions=sessions)


def test_only_finance_manages_accounts(sessions):
    with pytest.raises(AccessDenied):
        accounts.set_role(OPS, email="finance@dialer-billing.example", role="ops", sessions=sessions)
