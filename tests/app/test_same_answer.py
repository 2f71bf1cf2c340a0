"""The same input gets the same answer from a form and from the command
line, because both go through the same service: the amounts people get
wrong (1e3, 1_000, ١٠٠٠, 10.005, -5) are refused with the same words, and
$1,000.00 is recorded as the same $1,000.00."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import func, select

from db.engine import get_engine, session_scope
from db.models import Adjustment, AgencyContract, Payment
from services import accounts
from services.access import Role, Viewer
from services.errors import FieldError

from .conftest import ROOT, TODAY

ODD_AMOUNTS = ["1e3", "1_000", "\u0661\u0660\u0660\u0660", "10.005", "-5", "$1,000.00"]


def _cli(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "BILLING_TODAY": TODAY.isoformat()}
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], capture_output=True, text=True, env=env,
                          input=stdin, timeout=120, check=False)


def _count(url: str, model) -> int:  # type: ignore[no-untyped-def]
    with session_scope(get_engine(url)) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _cli_answer(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode in (0, 1), result.stderr
    if result.returncode == 0:
        return "recorded"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0].removeprefix("error: ")


def _form_answer(at) -> str:  # type: ignore[no-untyped-def]
    assert not at.exception, at.exception
    if not at.error:
        return "recorded"
    (error,) = at.error
    shown = re.sub(r"\\(.)", r"\1", error.value)  # the markdown escapes, as a person reads it
    return shown.removeprefix("Not recorded. ").removeprefix("Not saved. ")


@pytest.mark.parametrize("amount", ODD_AMOUNTS)
def test_a_payment_gets_the_same_answer_from_the_form_and_the_command_line(viewer_app, demo_db, amount):
    at = viewer_app("finance")
    at.switch_page("pages/overdue.py").run()
    agency_id = at.selectbox(key="pay_agency").value
    before = _count(demo_db, Payment)
    at.text_input(key="pay_amount").input(amount)
    at.text_input(key="pay_reference").input("FORM-1")
    at.button(key="FormSubmitter:payment_form-Record payment").click()
    at.run()
    if "pay_confirm" in [b.key for b in at.button]:  # the amount passed the checks: confirm the summary
        at.button(key="pay_confirm").click().run()
    form = _form_answer(at)
    cli = _cli_answer(_cli(demo_db, "pay", "--agency", agency_id, "--amount", amount, "--date", TODAY.isoformat(),
                           "--reference", "CLI-1"))
    assert form == cli
    assert _count(demo_db, Payment) == before + (2 if form == "recorded" else 0)
    if form == "recorded":
        with session_scope(get_engine(demo_db)) as session:
            amounts = set(session.scalars(select(Payment.amount).where(Payment.reference.in_(["FORM-1", "CLI-1"]))))
        assert {str(a) for a in amounts} == {"1000.00"}


@pytest.mark.parametrize("amount", ODD_AMOUNTS)
def test_an_adjustment_gets_the_same_answer_from_the_form_and_the_command_line(viewer_app, demo_db, amount):
    at = viewer_app("finance")
    at.query_params["agency"] = "A-1003"
    at.query_params["cycle"] = "2026-10"
    at.switch_page("pages/invoices.py").run()
    before = _count(demo_db, Adjustment)
    at.selectbox(key="adj_kind").set_value("credit")
    at.text_input(key="adj_amount").input(amount)
    at.text_input(key="adj_reason").input("Seat billed after the user left")
    at.button(key="FormSubmitter:adjustment_form-Record adjustment").click()
    form = _form_answer(at.run())
    cli = _cli_answer(_cli(demo_db, "adjust", "--agency", "A-1003", "--kind", "credit", "--amount", amount, "--date",
                           TODAY.isoformat(), "--reason", "Seat billed after the user left",
                           "--invoice", "INV-2026-10-0003"))
    assert form == cli
    assert _count(demo_db, Adjustment) == before + (2 if form == "recorded" else 0)


@pytest.mark.parametrize("rate", ODD_AMOUNTS)
def test_a_contract_version_gets_the_same_answer_from_the_form_and_the_command_line(viewer_app, demo_db, rate):
    at = viewer_app("finance")
    at.switch_page("pages/contracts.py").run()
    agency_id = at.selectbox(key="contract_agency").value
    before = _count(demo_db, AgencyContract)
    at.date_input(key="c_from").set_value(date(2026, 12, 1))
    at.text_input(key="c_user_fee").input(rate)
    at.button(key="FormSubmitter:contract_form-Add version").click()
    at.run()
    form = _form_answer(at)
    with session_scope(get_engine(demo_db)) as session:
        current = session.scalars(select(AgencyContract).where(AgencyContract.agency_id == agency_id)
                                  .order_by(AgencyContract.effective_from.desc())).first()
    terms = ["--minimum-users", str(current.minimum_users), "--minute-rate", str(current.minute_rate),
             "--licensing-fee", str(current.licensing_fee), "--minute-block", str(current.minute_block),
             "--buffer-pct", str(current.replenish_buffer_pct), "--onboarding-minutes", str(current.onboarding_minutes_per_user),
             "--signal-mode", current.signal_mode] + (["--signal-rate", str(current.signal_rate)] if current.signal_rate else [])
    for flag, value in (("--number-cleaning-rate", current.number_cleaning_rate), ("--appointment-fee", current.appointment_fee),
                        ("--transcription-rate", current.transcription_rate)):
        if value is not None:
            terms += [flag, str(value)]
    cli = _cli_answer(_cli(demo_db, "contract", "--agency", agency_id, "--from", "2026-12-02", "--user-fee", rate, *terms))
    assert form == cli
    assert _count(demo_db, AgencyContract) == before + (2 if form == "recorded" else 0)


@pytest.mark.parametrize(("password", "answer"), [
    ("x" * 100, "Password: must be at most 72 bytes long: 72 plain letters, digits or punctuation, fewer with accents or symbols"),
    ("short", "Password: must be at least 10 characters"),
    ("a-fine-password", "recorded"),
])
def test_an_account_gets_the_same_answer_from_the_service_and_the_command_line(demo_db, password, answer):
    cli = _cli_answer(_cli(demo_db, "user", "add", "cli@example.com", "--role", "ops", stdin=password + "\n"))
    try:
        accounts.add_account(Viewer("t", "t", Role.FINANCE), email="service@example.com", role="ops", password=password)
        service = "recorded"
    except FieldError as error:
        service = str(error)
    assert cli == service == answer


def test_a_100_character_password_on_the_sign_in_form_is_a_wrong_password(bare_app, sign_in_form):
    at = sign_in_form(bare_app().run(), "finance@dialer-billing.example", "x" * 100)
    assert not at.exception
    assert [e.value for e in at.error] == ["Wrong e-mail or password."]
