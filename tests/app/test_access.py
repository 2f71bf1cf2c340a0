"""Who sees what: signing in (local form and OIDC), lockout, signing out,
the pages each role is shown, agencies an account manager may not see, and
the actions only finance may take."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from billing import Cycle
from db.engine import get_engine, session_scope
from db.models import AuditEvent, LoginFailure
from db.seed import DEMO_ACCOUNTS
from services import contracts as contract_service
from services import minute_bank as bank_service
from services import overdue as overdue_service
from services.access import AccessDenied, Role
from services.accounts import viewer_for_email
from services.invoices import invoice_view

TODAY = date(2026, 11, 25)
ACCOUNTS: dict[str, tuple[str, str]] = {}
for _email, _name, _role, _password in DEMO_ACCOUNTS:
    ACCOUNTS.setdefault(_role, (_email, _password))
FINANCE, MANAGER, OPS = ACCOUNTS["finance"], ACCOUNTS["account_manager"], ACCOUNTS["ops"]
MANAGER_AGENCIES = {"A-1001", "A-1004", "A-1007", "A-1010"}  # maria.lopez@ in the seeded demo
OTHER_AGENCY, OTHER_NAME = "A-1002", "Brightpath Benefits"  # sam.okafor@'s

PAGE_FILES = {
    "Overview": "pages/overview.py", "Agency": "pages/agency.py", "Cycle calendar": "pages/calendar.py", "Invoices": "pages/invoices.py",
    "Contracts": "pages/contracts.py", "Minute bank": "pages/minute_bank.py", "Overdue": "pages/overdue.py",
    "Revenue": "pages/revenue.py", "Import data": "pages/import_data.py", "Audit log": "pages/audit_log.py",
    "Review": "pages/review.py", "Messages": "pages/messages.py",
}
VISIBLE = {
    "finance": set(PAGE_FILES),
    # Contracts needs the permission Invoices needs (and is read-only for managers).
    "account_manager": {"Overview", "Agency", "Cycle calendar", "Invoices", "Contracts", "Minute bank", "Overdue", "Review",
                        "Messages"},
    "ops": {"Overview", "Agency", "Minute bank", "Overdue", "Messages"},
}
HIDDEN = [pytest.param(role, title, id=f"{role}-{title}")
          for role in VISIBLE for title in PAGE_FILES if title not in VISIBLE[role]]
ROLES = ["finance", "account_manager", "ops"]
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "not-a-secret",
        "client_id": "dashboard", "client_secret": "not-a-secret",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}


def _texts(at) -> list[str]:
    """All text of the page, tables and select options included."""
    parts = [el.value for kind in ("title", "subheader", "markdown", "caption", "info", "success", "warning", "error")
             for el in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    # str() of every cell: pandas 3's astype(str) keeps missing cells as NaN, not "nan".
    parts += [" ".join(map(str, df.value.to_numpy().ravel())) for df in at.dataframe]
    parts += [" ".join(map(str, box.options)) for box in at.selectbox]
    return [p.replace("\\", "") for p in parts]


def _keys(at, kind: str) -> set[str]:
    return {w.key for w in getattr(at, kind) if w.key}


def _visible(navigation_log) -> set[str]:
    """The menu the last run showed (nothing if it registered no pages)."""
    return {title for title, visible in navigation_log[-1].items() if visible} if navigation_log else set()


def _on_sign_in_screen(at) -> bool:
    return {"sign_in_email", "sign_in_password"} <= _keys(at, "text_input") and "viewer" not in at.session_state


def _main_elements(at) -> list[str]:
    return [type(node).__name__ for node in at.main.children.values()]


# -- the local sign-in form -------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_each_role_signs_in_through_the_form_and_sees_only_its_pages(signed_in_app, navigation_log, role):
    at = signed_in_app(role)
    assert [t.value for t in at.title] == ["Overview"]
    viewer = at.session_state["viewer"]
    assert (viewer.email, viewer.role) == (ACCOUNTS[role][0], Role(role))
    assert any(Role(role).label in m.value for m in at.sidebar.markdown)
    assert _visible(navigation_log) == VISIBLE[role]
    assert set(navigation_log[-1]) == set(PAGE_FILES)  # the others are registered hidden: by URL they say "no access"


def test_the_sign_in_screen_shows_no_menu_and_no_data(bare_app, navigation_log):
    at = bare_app().run()
    assert _on_sign_in_screen(at)
    assert not _visible(navigation_log)
    assert not at.metric and not at.dataframe and not at.get("plotly_chart")


@pytest.mark.parametrize(("email", "password", "message"), [
    (FINANCE[0], "not-the-password", "Wrong e-mail or password."),
    ("nobody@dialer-billing.example", "whatever-password", "Wrong e-mail or password."),
    (FINANCE[0], "", "Enter your e-mail and password."),
])
def test_a_wrong_password_shows_an_error_and_stays_on_the_sign_in_screen(bare_app, sign_in_form, navigation_log,
                                                                          email, password, message):
    at = sign_in_form(bare_app().run(), email, password)
    assert not at.exception
    assert [e.value for e in at.error] == [message]
    assert _on_sign_in_screen(at)
    assert not _visible(navigation_log) and not at.metric and not at.dataframe


def test_the_email_is_not_case_sensitive(bare_app, sign_in_form):
    at = sign_in_form(bare_app().run(), "  " + FINANCE[0].upper(), FINANCE[1])
    assert at.session_state["viewer"].email == FINANCE[0]


def _as_read(markdown: str) -> str:
    """Text as a person reads it: without the markdown escapes of names."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _failures(email: str) -> int:
    with session_scope(get_engine()) as session:
        return session.scalar(select(func.count()).select_from(LoginFailure).where(LoginFailure.email == email))


def test_four_wrong_passwords_do_not_lock_and_the_right_one_clears_them(bare_app, sign_in_form):
    email, password = OPS
    at = bare_app().run()
    for _ in range(4):
        at = sign_in_form(at, email, "wrong-password-123")
    assert _failures(email) == 4
    at = sign_in_form(at, email, password)
    assert at.session_state["viewer"].role is Role.OPS
    assert _failures(email) == 0


def test_five_wrong_passwords_lock_the_account_for_15_minutes(bare_app, sign_in_form):
    email, password = OPS
    at = bare_app().run()
    for _ in range(5):
        at = sign_in_form(at, email, "wrong-password-123")
        assert [e.value for e in at.error] == ["Wrong e-mail or password."]
    at = sign_in_form(at, email, password)  # the right password, refused now
    assert [e.value for e in at.error] == ["Too many wrong passwords; try again in 15 minutes."]
    assert _on_sign_in_screen(at)

    locked_at = datetime.now(UTC)
    with time_machine.travel(locked_at + timedelta(minutes=14)):
        at = sign_in_form(at, email, password)
    assert "viewer" not in at.session_state, "unlocked before 15 minutes"

    with time_machine.travel(locked_at + timedelta(minutes=15, seconds=5)):
        at = sign_in_form(at, email, password)
    assert not at.error
    assert at.session_state["viewer"].role is Role.OPS


def test_a_locked_account_does_not_lock_the_others(bare_app, sign_in_form):
    at = bare_app().run()
    for _ in range(5):
        at = sign_in_form(at, OPS[0], "wrong-password-123")
    at = sign_in_form(at, FINANCE[0], FINANCE[1])
    assert at.session_state["viewer"].role is Role.FINANCE


def test_signing_out_ends_the_session(signed_in_app, navigation_log):
    at = signed_in_app("finance")
    at.button(key="sign_out").click().run()
    assert _on_sign_in_screen(at)
    assert not _visible(navigation_log)
    assert not at.metric and not at.dataframe and "sign_out" not in _keys(at, "button")
    at.switch_page("pages/invoices.py").run()  # the URL of a page, after signing out
    assert _on_sign_in_screen(at) and not at.metric and not at.dataframe


def test_a_deep_link_survives_signing_in(bare_app, sign_in_form):
    at = bare_app().run()
    at.query_params["agency"] = "A-1003"
    at.query_params["cycle"] = "2026-10"
    at.switch_page("pages/invoices.py").run()
    assert _on_sign_in_screen(at)
    at = sign_in_form(at, *FINANCE)
    assert [t.value for t in at.title] == ["Invoices"]
    assert (at.selectbox(key="invoice_agency").value, at.selectbox(key="invoice_cycle").value) == ("A-1003", "2026-10")


# -- pages by role ------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "title"), HIDDEN)
def test_a_page_the_role_may_not_see_says_so_and_shows_nothing_else(viewer_app, navigation_log, role, title):
    at = viewer_app(role)
    assert title not in _visible(navigation_log)
    at.switch_page(PAGE_FILES[title]).run()
    assert not at.exception
    assert [e.value for e in at.error] == [f"Your role ({Role(role).label}) does not have access to this page."]
    assert _main_elements(at) == ["Title", "Error"], _main_elements(at)
    assert not at.dataframe and not at.metric and not at.get("plotly_chart") and not at.get("download_button")


@pytest.mark.parametrize("role", ROLES)
def test_every_page_the_role_sees_opens_without_errors(viewer_app, role):
    for title in sorted(VISIBLE[role]):
        at = viewer_app(role)
        at.switch_page(PAGE_FILES[title]).run()
        assert not at.exception, (role, title, at.exception)
        assert not at.error, (role, title, [e.value for e in at.error])
        assert [t.value for t in at.title] == [title]


# -- an account manager and other managers' agencies ----------------------------------------------
def test_an_account_manager_picks_only_from_their_agencies(viewer_app):
    for page, key in [("pages/invoices.py", "invoice_agency"), ("pages/contracts.py", "contract_agency"),
                      ("pages/minute_bank.py", "bank_agency")]:
        at = viewer_app("account_manager")
        at.switch_page(page).run()
        shown = {option.rsplit(" (", 1)[1].rstrip(")") for option in at.selectbox(key=key).options}
        assert shown == MANAGER_AGENCIES, (page, shown)


@pytest.mark.parametrize(("page", "key"), [("pages/invoices.py", "invoice_agency"), ("pages/contracts.py", "contract_agency"),
                                           ("pages/minute_bank.py", "bank_agency")])
def test_an_account_manager_deep_linking_to_another_managers_agency_gets_nothing_of_it(viewer_app, page, key):
    at = viewer_app("account_manager")
    at.query_params["agency"] = OTHER_AGENCY
    at.switch_page(page).run()
    assert not at.exception
    assert any(f"“{OTHER_AGENCY}”" in _as_read(e.value) and "not yours to see" in e.value for e in at.error)
    assert at.selectbox(key=key).value in MANAGER_AGENCIES
    assert not any(OTHER_NAME in text for text in _texts(at)), [t for t in _texts(at) if OTHER_NAME in t]
    assert at.query_params["agency"] in MANAGER_AGENCIES  # the URL no longer names it either


def test_an_account_manager_sees_only_their_agencies_everywhere(viewer_app):
    others = {"Brightpath Benefits", "Coastal Family Insurance", "O'Brien & Sons Insurance", "Peña Family Insurance Agency"}
    for page in ["pages/overview.py", "pages/calendar.py", "pages/invoices.py", "pages/minute_bank.py", "pages/overdue.py",
                 "pages/messages.py"]:
        at = viewer_app("account_manager")
        at.switch_page(page).run()
        leaked = [t for t in _texts(at) if any(name in t for name in others)]
        assert not leaked, (page, leaked)


def test_the_services_refuse_another_managers_agency(demo_db):
    manager = viewer_for_email(MANAGER[0])
    assert manager.agencies == frozenset(MANAGER_AGENCIES)
    with pytest.raises(AccessDenied, match=OTHER_AGENCY):
        invoice_view(manager, OTHER_AGENCY, Cycle.parse("2026-10"), TODAY)
    with pytest.raises(AccessDenied):
        bank_service.bank_detail(manager, OTHER_AGENCY, TODAY)
    with pytest.raises(AccessDenied):
        contract_service.contract_history(manager, OTHER_AGENCY)
    with pytest.raises(AccessDenied):
        overdue_service.open_invoice_numbers(manager, OTHER_AGENCY, TODAY)
    assert invoice_view(manager, "A-1001", Cycle.parse("2026-10"), TODAY).agency.agency_id == "A-1001"


# -- ops -----------------------------------------------------------------------------------------
def test_ops_sees_no_invoice_totals_on_the_overview(viewer_app):
    at = viewer_app("ops")
    assert [t.value for t in at.title] == ["Overview"]
    labels = [m.label for m in at.metric]
    assert "Restricted" in labels and not any(label.startswith("To be issued") for label in labels)
    assert not any("overview_totals" in chart.proto.id for chart in at.get("plotly_chart"))
    assert not any("Invoices of cycle" in text or "portfolio total" in text for text in _texts(at))
    assert not any("invoices" in link.proto.page for link in at.get("page_link"))


def test_ops_sees_no_invoice_amounts_on_the_minute_bank(viewer_app):
    at = viewer_app("ops")
    at.switch_page("pages/minute_bank.py").run()
    assert at.get("plotly_chart") and at.dataframe
    assert not [text for text in _texts(at) if "$" in text]  # the replenishment line's price is finance's


def test_the_services_refuse_ops_invoices(demo_db):
    ops = viewer_for_email(OPS[0])
    with pytest.raises(AccessDenied):
        invoice_view(ops, "A-1001", Cycle.parse("2026-11"), TODAY)


# -- actions only finance may take -----------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_only_finance_sees_the_payment_form(viewer_app, role):
    at = viewer_app(role)
    at.switch_page("pages/overdue.py").run()
    has_form = {"pay_amount", "pay_reference"} <= _keys(at, "text_input")
    assert has_form == (role == "finance")
    assert any(s.value == "Record a payment" for s in at.subheader) == (role == "finance")


@pytest.mark.parametrize("role", ["finance", "account_manager"])
def test_only_finance_sees_the_issue_button_and_the_adjustment_form(viewer_app, role):
    at = viewer_app(role)
    at.query_params["agency"] = "A-1001"
    at.query_params["cycle"] = "2026-11"  # past its cutoff, not issued yet
    at.switch_page("pages/invoices.py").run()
    popovers = [p.proto.popover.label for p in at.get("popover")]
    assert any(label.startswith("Issue cycle 2026-11") for label in popovers) == (role == "finance"), popovers
    assert ("issue_now" in _keys(at, "button")) == (role == "finance")
    at.selectbox(key="invoice_cycle").set_value("2026-10").run()  # issued: payments and adjustments
    assert ("adj_amount" in _keys(at, "text_input")) == (role == "finance")


@pytest.mark.parametrize("role", ["finance", "account_manager"])
def test_only_finance_sees_the_contract_form(viewer_app, role):
    at = viewer_app(role)
    at.switch_page("pages/contracts.py").run()
    assert at.dataframe  # both read the history
    assert ("c_user_fee" in _keys(at, "text_input")) == (role == "finance")


# -- the audit trail -----------------------------------------------------------------------------
def test_payments_are_written_to_the_audit_log_with_who_and_what(viewer_app):
    at = viewer_app("finance")
    at.switch_page("pages/overdue.py").run()
    at.text_input(key="pay_amount").input("10.00")
    at.text_input(key="pay_reference").input("AUDIT-1")
    at.button(key="FormSubmitter:payment_form-Record payment").click().run()
    at.button(key="pay_confirm").click().run()
    with session_scope(get_engine()) as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "record_payment",
                                                         AuditEvent.details.contains("AUDIT-1"))).one()
        assert event.actor == FINANCE[0]


def test_finance_reads_and_filters_the_audit_log(viewer_app):
    at = viewer_app("finance")
    at.switch_page("pages/audit_log.py").run()
    at.date_input(key="audit_from").set_value(date(2025, 1, 1)).run()
    at.text_input(key="audit_action").input("issue").run()
    frame = at.dataframe[0].value
    assert len(frame) > 0 and set(frame["Action"]) == {"issue_cycle"}


# -- OIDC ------------------------------------------------------------------------------------------
def _oidc_app(bare_app, user: dict):
    at = bare_app()
    at.secrets["auth"] = dict(AUTH)
    at.user = user
    return at.run()


@pytest.mark.parametrize("role", ROLES)
def test_with_oidc_the_identity_providers_email_gets_its_stored_role(bare_app, navigation_log, role):
    at = _oidc_app(bare_app, {"is_logged_in": True, "email": ACCOUNTS[role][0]})
    assert not at.exception and not at.error
    viewer = at.session_state["viewer"]
    assert (viewer.email, viewer.role) == (ACCOUNTS[role][0], Role(role))
    assert [t.value for t in at.title] == ["Overview"] and at.metric
    assert _visible(navigation_log) == VISIBLE[role]
    assert "sign_in_password" not in _keys(at, "text_input")  # no local form when OIDC is configured


def test_with_oidc_an_email_without_an_account_is_told_it_has_no_access(bare_app, navigation_log):
    at = _oidc_app(bare_app, {"is_logged_in": True, "email": "stranger@example.com"})
    assert not at.exception
    assert len(at.error) == 1 and "stranger@example.com" in _as_read(at.error[0].value) and "no access" in at.error[0].value
    assert not at.metric and not at.dataframe and "viewer" not in at.session_state
    assert not _visible(navigation_log)
    assert any(b.label == "Sign out" for b in at.button)


def test_with_oidc_a_signed_out_person_gets_a_sign_in_button(bare_app, navigation_log):
    at = _oidc_app(bare_app, {"is_logged_in": False})
    assert not at.exception and not at.error
    assert [b.label for b in at.button] == ["Sign in"]
    assert "sign_in_password" not in _keys(at, "text_input")
    assert not at.metric and not at.dataframe and "viewer" not in at.session_state
    assert not _visible(navigation_log)


# -- sessions end when the account changes ---------------------------------------------------------
@pytest.mark.parametrize("change", ["role", "password", "agencies"])
def test_an_open_session_ends_when_its_accounts_role_password_or_agencies_change(signed_in_app, change):
    from services import accounts as account_service
    from services.access import SYSTEM

    at = signed_in_app("account_manager")
    email = at.session_state["viewer"].email
    if change == "role":
        account_service.set_role(SYSTEM, email=email, role="ops")
    elif change == "password":
        account_service.set_password(SYSTEM, email=email, password="a-brand-new-password")
    else:
        account_service.assign_agencies(SYSTEM, email=email, agency_ids=[OTHER_AGENCY])
    at.switch_page("pages/overview.py").run()
    assert "viewer" not in at.session_state
    assert _on_sign_in_screen(at)
    assert any("Your account changed" in i.value for i in at.info)
    assert not at.metric and not at.dataframe
