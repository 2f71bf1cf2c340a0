"""Who sees what: sign-in, roles, assignments, and the audit trail."""

from __future__ import annotations

from datetime import date

import pytest
from app_kit import ACCOUNTS, app, sign_in_with_form, signed_in
from sqlalchemy import func, select

from billing import Cycle
from db.engine import get_engine, session_scope
from db.models import AuditEvent
from services.access import AccessDenied, Role, Viewer
from services.invoices import invoice_view

ALL_PAGES = {"Overview", "Cycle calendar", "Invoices", "Contracts", "Minute bank", "Overdue", "Import data", "Audit log"}
VISIBLE = {
    "finance": ALL_PAGES,
    "account_manager": {"Overview", "Cycle calendar", "Invoices", "Contracts", "Minute bank", "Overdue"},
    "ops": {"Overview", "Minute bank", "Overdue"},
}
HIDDEN_FILES = {"Cycle calendar": "pages/calendar.py", "Invoices": "pages/invoices.py", "Contracts": "pages/contracts.py",
                "Import data": "pages/import_data.py", "Audit log": "pages/audit_log.py"}


def _denied(at) -> bool:
    return any("does not have access" in e.value for e in at.error)


@pytest.mark.parametrize("role", ["finance", "account_manager", "ops"])
def test_each_role_signs_in_through_the_form(demo_db, role):
    at = sign_in_with_form(app().run(), *ACCOUNTS[role])
    assert not at.exception
    assert [t.value for t in at.title] == ["Overview"]
    assert at.session_state["viewer"].role is Role(role)


def test_a_wrong_password_keeps_the_sign_in_screen(demo_db):
    at = sign_in_with_form(app().run(), ACCOUNTS["finance"][0], "not-the-password")
    assert any("Wrong e-mail or password" in e.value for e in at.error)
    assert at.text_input(key="sign_in_password") is not None and "viewer" not in at.session_state


def test_five_wrong_passwords_lock_the_account_for_a_while(demo_db):
    email, password = ACCOUNTS["ops"]
    at = app().run()
    for _ in range(5):
        at = sign_in_with_form(at, email, "wrong-password-123")
    at = sign_in_with_form(at, email, password)  # even the right one, now
    assert any("too many wrong passwords" in e.value.lower() for e in at.error)
    assert "viewer" not in at.session_state


def test_signing_out_ends_the_session(demo_db):
    at = sign_in_with_form(app().run(), *ACCOUNTS["finance"])
    at.button(key="sign_out").click().run()
    assert "viewer" not in at.session_state
    assert at.text_input(key="sign_in_email") is not None


@pytest.mark.parametrize("role", ["account_manager", "ops"])
def test_a_page_reached_by_url_that_the_role_may_not_see_says_so_and_shows_nothing_else(demo_db, role):
    for title, page in HIDDEN_FILES.items():
        if title in VISIBLE[role]:
            continue
        at = signed_in(role, frozenset({"A-1001"}))
        at.switch_page(page).run()
        assert _denied(at), (role, page)
        assert not at.dataframe and not at.metric and not at.get("plotly_chart"), (role, page)


def test_finance_sees_every_page(demo_db):
    for page in HIDDEN_FILES.values():
        at = signed_in("finance")
        at.switch_page(page).run()
        assert not _denied(at) and not at.exception


def test_an_account_manager_sees_only_their_agencies(demo_db):
    at = signed_in("account_manager", frozenset({"A-1001", "A-1004"}))
    at.switch_page("pages/invoices.py").run()
    assert set(at.selectbox(key="invoice_agency").options) == {"Acme Insurance Group (A-1001)", "Delta Health Advisors (A-1004)"}


def test_an_account_manager_asking_for_another_managers_agency_gets_nothing(demo_db):
    at = signed_in("account_manager", frozenset({"A-1001"}))
    at.query_params["agency"] = "A-1002"
    at.switch_page("pages/invoices.py").run()
    assert at.selectbox(key="invoice_agency").value == "A-1001"
    assert not any("Brightpath" in m.value for m in at.markdown)
    manager = Viewer("am@example", "AM", Role.ACCOUNT_MANAGER, frozenset({"A-1001"}))
    with pytest.raises(AccessDenied):
        invoice_view(manager, "A-1002", Cycle.parse("2026-11"), date(2026, 11, 25))


def test_ops_sees_balances_but_no_invoice_totals(demo_db):
    at = signed_in("ops")
    labels = [m.label for m in at.metric]
    assert not any(label.startswith("To be issued") for label in labels)
    assert not any("Invoices of cycle" in s.value for s in at.subheader)
    ops = Viewer("ops@example", "Ops", Role.OPS)
    with pytest.raises(AccessDenied):
        invoice_view(ops, "A-1001", Cycle.parse("2026-11"), date(2026, 11, 25))


@pytest.mark.parametrize("role", ["account_manager", "ops"])
def test_only_finance_can_record_payments(demo_db, role):
    at = signed_in(role, frozenset({"A-1001"}))
    at.switch_page("pages/overdue.py").run()
    assert not any(s.value == "Record a payment" for s in at.subheader)


def test_only_finance_sees_the_issue_button(demo_db):
    manager = signed_in("account_manager", frozenset({"A-1001"}))
    manager.switch_page("pages/invoices.py").run()
    finance = signed_in("finance")
    finance.switch_page("pages/invoices.py").run()
    def labels(at):
        return [p.proto.popover.label for p in at.get("popover")]
    assert any("Issue cycle" in label for label in labels(finance))
    assert not any("Issue cycle" in label for label in labels(manager))


def test_payments_are_written_to_the_audit_log_with_who_and_what(demo_db):
    at = signed_in("finance")
    at.switch_page("pages/overdue.py").run()
    at.text_input(key="pay_amount").input("10.00")
    at.text_input(key="pay_reference").input("AUDIT-1")
    at.button(key="FormSubmitter:payment_form-Record payment").click().run()
    with session_scope(get_engine()) as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "record_payment",
                                                         AuditEvent.details.contains("AUDIT-1"))).one()
        assert event.actor == ACCOUNTS["finance"][0]
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "add_account")) >= 3


def test_finance_reads_and_filters_the_audit_log(demo_db):
    at = signed_in("finance")
    at.switch_page("pages/audit_log.py").run()
    at.date_input(key="audit_from").set_value(date(2025, 1, 1)).run()
    at.text_input(key="audit_action").input("issue").run()
    frame = at.dataframe[0].value
    assert len(frame) > 0 and set(frame["Action"]) == {"issue_cycle"}


def test_with_oidc_the_identity_providers_email_decides_the_role(demo_db):
    at = app()
    at.secrets["auth"] = {"redirect_uri": "http://localhost/oauth2callback", "cookie_secret": "x",
                          "client_id": "x", "client_secret": "x", "server_metadata_url": "http://localhost/.well-known"}
    at.user = {"is_logged_in": True, "email": ACCOUNTS["ops"][0]}
    at.run()
    assert not at.exception
    assert at.session_state["viewer"].role is Role.OPS


def test_with_oidc_an_unknown_email_is_told_it_has_no_access(demo_db):
    at = app()
    at.secrets["auth"] = {"redirect_uri": "http://localhost/oauth2callback", "cookie_secret": "x"}
    at.user = {"is_logged_in": True, "email": "stranger@example.com"}
    at.run()
    assert any("no access" in e.value for e in at.error)


def test_with_oidc_a_signed_out_person_gets_a_sign_in_button(demo_db):
    at = app()
    at.secrets["auth"] = {"redirect_uri": "http://localhost/oauth2callback", "cookie_secret": "x"}
    at.user = {"is_logged_in": False}
    at.run()
    assert any(b.label == "Sign in" for b in at.button)
