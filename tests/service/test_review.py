"""The review of a cycle (issue #15): every check fires on a case built for
it and is quiet on a clean preview; approvals, stale approvals, and issuing
that waits for them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update

from db.calls import NewCall, add_calls
from db.models import Agency, AgencyContract, Appointment, AuditEvent, Call, CallDay, DialerUser, Payment
from services.access import AccessDenied
from services.audit_sentences import sentence
from services.errors import BillingError, FieldError
from services.issuing import issue_cycle, issue_cycle_now
from services.review import FindingCode, ReviewState, Severity, acknowledge_finding, approve, review_cycle

from .conftest import FINANCE, NOVEMBER, OPS, TODAY, account_manager

CLEAN = "A-1001"  # no finding in the seeded demo's November
BLOCKED = "A-1007"  # its total moved more than the default threshold


@pytest.fixture(autouse=True)
def _today(pinned_today):
    return pinned_today


def _codes(sessions, agency_id: str = CLEAN) -> set[FindingCode]:
    row = review_cycle(FINANCE, NOVEMBER, sessions=sessions).row(agency_id)
    assert row is not None
    return {f.code for f in row.findings}


def _contract_version(sessions, agency_id: str = CLEAN, **changes) -> None:
    """A new contract version from 2026-11-01: the current one with ``changes``."""
    with sessions() as session:
        current = session.scalars(select(AgencyContract).where(AgencyContract.agency_id == agency_id)
                                  .order_by(AgencyContract.effective_from.desc())).first()  # type: ignore[attr-defined]
        data = current.model_dump(exclude={"id"})
        session.add(AgencyContract(**{**data, "effective_from": date(2026, 11, 1), **changes}))


def _user(sessions, agency_id: str = CLEAN) -> str:
    with sessions() as session:
        return session.scalars(select(DialerUser.user_id).where(DialerUser.agency_id == agency_id)).first()


def _calls(sessions, count: int, seconds: int, day: date = date(2026, 11, 20), agency_id: str = CLEAN) -> None:
    user = _user(sessions, agency_id)
    with sessions() as session:
        add_calls(session, [NewCall(f"review-{agency_id}-{day}-{i}", agency_id, user,
                                    datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=16),
                                    day, seconds, 0) for i in range(count)])


def test_a_clean_preview_has_no_finding(sessions):
    review = review_cycle(FINANCE, NOVEMBER, sessions=sessions)
    clean = review.row(CLEAN)
    assert clean.findings == () and clean.state is ReviewState.READY
    assert {r.agency_id for r in review.with_state(ReviewState.BLOCKED)} == {BLOCKED}


# --- each check, on a case built for it -----------------------------------------------------------

def test_a_total_that_moved_is_blocking_and_names_the_lines_that_moved_it(sessions):
    _contract_version(sessions, user_fee=Decimal("400.00"))
    row = review_cycle(FINANCE, NOVEMBER, sessions=sessions).row(CLEAN)
    finding = next(f for f in row.findings if f.code is FindingCode.TOTAL_CHANGED)
    assert finding.severity is Severity.BLOCKING and row.state is ReviewState.BLOCKED
    assert finding.lines[0].code == "USER_FEE" and finding.lines[0].delta > 0
    assert "up $" in finding.sentence and "Dialer user fee +$" in finding.sentence
    assert Decimal(finding.number("change")) == row.total - row.previous_total


def test_the_change_thresholds_are_settings(sessions, monkeypatch):
    monkeypatch.setenv("BILLING_REVIEW_CHANGE_PCT", "0")
    monkeypatch.setenv("BILLING_REVIEW_CHANGE_AMOUNT", "0")
    assert FindingCode.TOTAL_CHANGED not in _codes(sessions, BLOCKED)
    monkeypatch.setenv("BILLING_REVIEW_CHANGE_AMOUNT", "1.00")
    assert FindingCode.TOTAL_CHANGED in _codes(sessions, CLEAN)


def test_seats_billed_far_from_the_users_who_called(sessions):
    with sessions() as session:
        session.execute(update(DialerUser).where(DialerUser.agency_id == CLEAN).values(last_call_on=date(2026, 9, 1)))
    row = review_cycle(FINANCE, NOVEMBER, sessions=sessions).row(CLEAN)
    finding = next(f for f in row.findings if f.code is FindingCode.IDLE_SEATS)
    assert finding.number("callers") == 0 and finding.number("idle") == finding.number("seats_billed") == row.findings[
        [f.code for f in row.findings].index(FindingCode.IDLE_SEATS)].number("seats_billed")


def test_a_minimum_binding_for_several_cycles(sessions, monkeypatch):
    assert FindingCode.MINIMUM_BINDING in _codes(sessions, "A-1005")  # the demo plans such agencies
    # A-1001's minimum of 15 was billed June to October, but November has 15 active: quiet.
    _contract_version(sessions, minimum_users=40)  # now binding in November too: six in a row
    row = review_cycle(FINANCE, NOVEMBER, sessions=sessions).row(CLEAN)
    finding = next(f for f in row.findings if f.code is FindingCode.MINIMUM_BINDING)
    assert (finding.number("minimum"), finding.number("cycles")) == (40, 6)
    monkeypatch.setenv("BILLING_REVIEW_MINIMUM_CYCLES", "7")
    assert FindingCode.MINIMUM_BINDING not in _codes(sessions)


def test_a_negative_bank_and_a_replenishment_far_from_its_trend(sessions, monkeypatch):
    monkeypatch.setenv("BILLING_REVIEW_TREND_PCT", "900")
    steady = "A-1002"  # replenished 0, 1,400 and 3,100 minutes (A-1001 still lives on its onboarding bank: no trend)
    assert not {FindingCode.BANK_NEGATIVE, FindingCode.REPLENISHMENT_OFF_TREND} & _codes(sessions, steady)
    _calls(sessions, 300, 36_000, agency_id=steady)  # 180,000 minutes more than usual
    assert {FindingCode.BANK_NEGATIVE, FindingCode.REPLENISHMENT_OFF_TREND} <= _codes(sessions, steady)


def test_a_used_service_without_a_rate_blocks(sessions):
    _contract_version(sessions, appointment_fee=None)
    with sessions() as session:
        session.add_all([Appointment(appointment_id=f"rv-{i}", agency_id=CLEAN, day=date(2026, 11, 10), status="completed")
                         for i in range(3)])
    row = review_cycle(FINANCE, NOVEMBER, sessions=sessions).row(CLEAN)
    finding = next(f for f in row.findings if f.code is FindingCode.USAGE_WITHOUT_RATE)
    assert finding.severity is Severity.BLOCKING and finding.number("appointments") >= 3


def test_a_rate_without_usage(sessions):
    _contract_version(sessions, appointment_fee=Decimal("35.00"))
    with sessions() as session:
        session.execute(delete(Appointment).where(Appointment.agency_id == CLEAN))
    row = review_cycle(FINANCE, NOVEMBER, sessions=sessions).row(CLEAN)
    finding = next(f for f in row.findings if f.code is FindingCode.RATE_WITHOUT_USAGE)
    assert finding.severity is Severity.WARNING and "completed appointments" in finding.sentence


def test_no_calls_for_the_last_days_before_the_cutoff_is_late_data(sessions):
    with sessions() as session:
        for model, column in ((Call, Call.started_on), (CallDay, CallDay.day)):
            session.execute(delete(model).where(model.agency_id == CLEAN, column >= date(2026, 11, 22)))
    row = review_cycle(FINANCE, NOVEMBER, sessions=sessions).row(CLEAN)
    finding = next(f for f in row.findings if f.code is FindingCode.LATE_DATA)
    assert finding.severity is Severity.BLOCKING and "Mon 2026-11-23" in finding.sentence
    assert finding.number("last_call_day") < "2026-11-22"


def test_an_agency_onboarded_in_the_period(sessions):
    assert FindingCode.ONBOARDED_IN_PERIOD in _codes(sessions, "A-1008")
    assert FindingCode.ONBOARDED_IN_PERIOD not in _codes(sessions)


def test_an_open_previous_bill_and_a_restricted_agency(sessions):
    with sessions() as session:  # October's invoice (due 2026-11-01) unpaid: 24 days overdue on the 25th
        session.execute(delete(Payment).where(Payment.agency_id == CLEAN))
    codes = _codes(sessions)
    assert {FindingCode.PREVIOUS_OPEN, FindingCode.RESTRICTED} <= codes


def test_facts_of_the_issued_previous_cycle_imported_late_are_import_warnings(sessions, engine, tmp_path):
    from db.imports.command import import_file

    calls = tmp_path / "calls.csv"
    calls.write_text("call_id,agency_id,user_id,started_at,duration_seconds,transcribed_seconds\n"
                     f"LATE-1,{CLEAN},{_user(sessions)},2026-10-02T15:00:00Z,600,0\n"
                     f"LATE-2,{CLEAN},{_user(sessions)},2026-10-03T15:00:00Z,60,0\n")
    summary = import_file("calls", calls, actor="test", engine=engine)
    assert summary["warnings"]  # October is issued: the importer warns, and its audit entry keeps the counts
    row = review_cycle(FINANCE, NOVEMBER, sessions=sessions).row(CLEAN)
    finding = next(f for f in row.findings if f.code is FindingCode.IMPORT_WARNINGS)
    assert finding.number("calls") == 2 and "cycle 2026-10 was issued stored 2 calls" in finding.sentence
    assert "calls.csv" in finding.sentence and finding.severity is Severity.WARNING


def test_an_agency_without_a_billing_contact_blocks(sessions):
    with sessions() as session:
        session.execute(update(Agency).where(Agency.id == CLEAN).values(billing_email=""))
    assert FindingCode.NO_BILLING_CONTACT in _codes(sessions)


# --- acknowledging and approving ------------------------------------------------------------------

def test_approving_an_agency_with_an_open_blocking_finding_is_refused_naming_both(sessions):
    with pytest.raises(BillingError) as refused:
        approve(FINANCE, NOVEMBER, [CLEAN, BLOCKED], sessions=sessions)
    message = str(refused.value)
    assert message.startswith(f"{BLOCKED} (") and "Total changed" in message and "nothing was approved" in message
    assert "\n" not in message
    assert review_cycle(FINANCE, NOVEMBER, sessions=sessions).row(CLEAN).approval is None


def test_an_acknowledged_finding_lets_the_agency_be_approved(sessions):
    with pytest.raises(FieldError):
        acknowledge_finding(FINANCE, NOVEMBER, BLOCKED, "total_changed", "  ", sessions=sessions)
    acknowledge_finding(FINANCE, NOVEMBER, BLOCKED, "total_changed", "Onboarding fees last month", sessions=sessions)
    row = review_cycle(FINANCE, NOVEMBER, sessions=sessions).row(BLOCKED)
    assert row.state is ReviewState.READY and row.findings[0].acknowledged.note == "Onboarding fees last month"
    outcome = approve(FINANCE, NOVEMBER, [BLOCKED], note="ok", sessions=sessions)
    assert outcome.approved == [(BLOCKED, row.total)]
    assert approve(FINANCE, NOVEMBER, [BLOCKED], sessions=sessions).already == [BLOCKED]


def test_an_acknowledgement_covers_the_numbers_it_saw_only(sessions):
    acknowledge_finding(FINANCE, NOVEMBER, BLOCKED, "total_changed", "Seen", sessions=sessions)
    _contract_version(sessions, BLOCKED, user_fee=Decimal("1.00"))  # the total moves further down
    row = review_cycle(FINANCE, NOVEMBER, sessions=sessions).row(BLOCKED)
    assert row.state is ReviewState.BLOCKED and row.findings[0].acknowledged is None


def test_approving_every_ready_agency_leaves_the_blocked_ones_with_the_reason(sessions):
    outcome = approve(FINANCE, NOVEMBER, sessions=sessions)
    review = review_cycle(FINANCE, NOVEMBER, sessions=sessions)
    assert set(outcome.refused) == {BLOCKED} and "Total changed" in outcome.refused[BLOCKED]
    assert {a for a, _ in outcome.approved} == {r.agency_id for r in review.rows} - {BLOCKED}
    assert {r.agency_id for r in review.with_state(ReviewState.APPROVED)} == {a for a, _ in outcome.approved}


def test_only_finance_approves_and_acknowledges_and_managers_read_their_own(sessions):
    manager = account_manager(CLEAN, "A-1003")
    assert [r.agency_id for r in review_cycle(manager, NOVEMBER, sessions=sessions).rows] == [CLEAN, "A-1003"]
    for attempt in (lambda: approve(manager, NOVEMBER, [CLEAN], sessions=sessions),
                    lambda: acknowledge_finding(manager, NOVEMBER, BLOCKED, "total_changed", "x", sessions=sessions),
                    lambda: review_cycle(OPS, NOVEMBER, sessions=sessions)):
        with pytest.raises(AccessDenied):
            attempt()


# --- stale approvals and issuing ------------------------------------------------------------------

def test_issuing_issues_only_approved_agencies_and_lists_the_rest(sessions):
    approve(FINANCE, NOVEMBER, [CLEAN], sessions=sessions)
    result = issue_cycle(NOVEMBER, actor="scheduler", today=TODAY, sessions=sessions)  # what the 25th's run calls
    assert [a for a, _, _ in result.issued] == [CLEAN]
    assert set(result.not_approved) == {r.agency_id for r in review_cycle(FINANCE, NOVEMBER, sessions=sessions).rows} - {CLEAN}
    assert set(result.not_approved.values()) == {"not approved: review and approve it first"}
    with sessions() as session:
        details = session.scalars(select(AuditEvent.details).where(AuditEvent.action == "issue_cycle")
                                  .order_by(AuditEvent.id.desc())).first()  # type: ignore[union-attr]
    assert "waiting for approval" in sentence("issue_cycle", "2026-11", details)


def test_an_approval_goes_stale_when_a_fact_of_its_period_changes_and_issuing_skips_it(sessions):
    approve(FINANCE, NOVEMBER, [CLEAN], sessions=sessions)
    _calls(sessions, 20, 36_000)  # a late import of calls in the closed period
    row = review_cycle(FINANCE, NOVEMBER, sessions=sessions).row(CLEAN)
    assert row.state is ReviewState.STALE and row.approval.content_hash != row.content_hash
    assert [c.title for c in row.approval.changes] == ["Pre-billed minutes"]
    assert row.approval.changes[0].current > row.approval.changes[0].approved
    result = issue_cycle(NOVEMBER, actor="scheduler", today=TODAY, sessions=sessions)
    assert result.issued == [] and result.not_approved[CLEAN].startswith("approval is stale: the preview changed since")
    assert "Pre-billed minutes" in result.not_approved[CLEAN]
    approve(FINANCE, NOVEMBER, [CLEAN], sessions=sessions)  # approved again, as it is now
    assert [a for a, _, _ in issue_cycle(NOVEMBER, actor="t", today=TODAY, sessions=sessions).issued] == [CLEAN]


def test_issuing_without_approval_needs_a_reason_and_finance_and_is_audited(sessions):
    with pytest.raises(FieldError, match="Reason"):
        issue_cycle_now(FINANCE, NOVEMBER, without_approval="  ", sessions=sessions)
    with pytest.raises(AccessDenied):
        issue_cycle_now(replace(FINANCE, role=OPS.role), NOVEMBER, without_approval="The 25th is a holiday",
                        sessions=sessions)
    result = issue_cycle_now(FINANCE, NOVEMBER, without_approval="Reviewed on paper with the CFO", sessions=sessions)
    assert len(result.issued) == 7 and len(result.without_approval) == 7 and not result.not_approved
    with sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "issue_without_approval")).one()
    assert event.actor == FINANCE.email and "Reviewed on paper with the CFO" in event.details
    assert sentence(event.action, event.subject, event.details).startswith("issued 7 invoices of cycle 2026-11 without approval")


def test_with_approval_switched_off_everything_is_issued(sessions, monkeypatch):
    monkeypatch.setenv("BILLING_APPROVAL_REQUIRED", "0")
    result = issue_cycle(NOVEMBER, actor="t", today=TODAY, sessions=sessions)
    assert len(result.issued) == 7 and not result.not_approved
    assert {r.state for r in review_cycle(FINANCE, NOVEMBER, sessions=sessions).rows} == {ReviewState.ISSUED}


def test_approvals_and_acknowledgements_have_sentences_in_the_audit_log(sessions):
    acknowledge_finding(FINANCE, NOVEMBER, BLOCKED, "total_changed", "Seen it", sessions=sessions)
    approve(FINANCE, NOVEMBER, [BLOCKED, CLEAN], note="Checked", sessions=sessions)
    with sessions() as session:
        events = {e.action: e for e in session.scalars(select(AuditEvent))}
    ack, approval = events["acknowledge_finding"], events["approve_invoices"]
    assert sentence(ack.action, ack.subject, ack.details) == (
        f"acknowledged the blocking finding “total changed” for {BLOCKED}, cycle 2026-11: “Seen it”")
    assert sentence(approval.action, approval.subject, approval.details).startswith(
        "approved 2 invoices of cycle 2026-11 totalling $") and approval.details.count("A-10") == 2


def test_an_issued_invoice_says_whether_it_is_the_approved_preview(sessions):
    from services.review import approval_of_invoice

    october = approval_of_invoice(FINANCE, CLEAN, NOVEMBER.previous(), sessions=sessions)
    assert october is not None and not october.stale  # the seed approved its history as issued
    approve(FINANCE, NOVEMBER, [CLEAN], sessions=sessions)
    issue_cycle(NOVEMBER, actor="t", today=TODAY, sessions=sessions)
    issued = approval_of_invoice(FINANCE, CLEAN, NOVEMBER, sessions=sessions)
    assert issued is not None and not issued.stale and issued.changes == ()
    issue_cycle_now(FINANCE, NOVEMBER, without_approval="Paper sign-off", sessions=sessions)
    assert approval_of_invoice(FINANCE, BLOCKED, NOVEMBER, sessions=sessions) is None


def test_the_issue_button_counts_what_issuing_would_freeze(sessions, monkeypatch):
    from services.review import issue_readiness

    approve(FINANCE, NOVEMBER, [CLEAN], sessions=sessions)
    readiness = issue_readiness(FINANCE, NOVEMBER, sessions=sessions)
    assert [a for a, _ in readiness.ready] == [CLEAN] and len(readiness.waiting) == 6
    _calls(sessions, 20, 36_000)  # stale now: nothing would be issued
    assert issue_readiness(FINANCE, NOVEMBER, sessions=sessions).ready == ()
    monkeypatch.setenv("BILLING_APPROVAL_REQUIRED", "0")
    assert len(issue_readiness(FINANCE, NOVEMBER, sessions=sessions).ready) == 7
    with pytest.raises(AccessDenied):
        issue_readiness(OPS, NOVEMBER, sessions=sessions)


# --- a cycle in progress: the checks read the forecast at cutoff ------------------------------------

DECEMBER = NOVEMBER.next()  # closed period 2026-11-24..2026-12-23, 30 days
DAY_7 = date(2026, 12, 1)  # 7 of its 30 days are over
STEADY = "A-1006"  # uses minutes every working day; a tenth of its November is pre-billed minutes


def _steady_week(sessions, monkeypatch, agency_id: str = STEADY) -> None:
    """Pin today to ``DAY_7`` and give ``agency_id`` the week 11-25..11-30 it
    had one week earlier (the demo stored calls up to the 25th only), with
    minutes ten times dearer from November on, so that they weigh in its total."""
    monkeypatch.setenv("BILLING_TODAY", DAY_7.isoformat())
    with sessions() as session:
        for day in (date(2026, 11, d) for d in range(25, 31)):
            week_ago = session.get(CallDay, (agency_id, date(day.year, day.month, day.day - 7)))
            row = session.get(CallDay, (agency_id, day)) or CallDay(agency_id=agency_id, day=day, cycle=str(DECEMBER))
            row.calls, row.billable_minutes = week_ago.calls, week_ago.billable_minutes
            row.transcribed_seconds = week_ago.transcribed_seconds
            session.add(row)
    with sessions() as session:
        rate = session.scalars(select(AgencyContract.minute_rate).where(AgencyContract.agency_id == agency_id)
                               .order_by(AgencyContract.effective_from.desc())).first()  # type: ignore[attr-defined]
    _contract_version(sessions, agency_id, minute_rate=rate * 10)


def test_review_of_a_cycle_in_progress_compares_the_forecast_at_cutoff(sessions, monkeypatch):
    from services.review import review_document

    _steady_week(sessions, monkeypatch)
    review = review_cycle(FINANCE, DECEMBER, sessions=sessions)
    assert review.basis == "forecast" and (review.standing.days_elapsed, review.standing.days) == (7, 30)
    row = review.row(STEADY)
    assert row.previous_total - row.total > row.previous_total / 4  # so far: more than 25 % below November
    assert FindingCode.TOTAL_CHANGED not in {f.code for f in row.findings}
    # Steady: within the 25 % of November, and far closer than so far. (Appointments are not forecast: the one
    # so far stays one, so the forecast is still $780 short of November's 27; its minutes make up the rest.)
    assert abs(row.forecast_total - row.previous_total) * 4 < row.previous_total
    assert abs(row.forecast_total - row.previous_total) * 2 < row.previous_total - row.total
    assert row.compared_total == row.forecast_total and row.change == row.forecast_total - row.previous_total
    assert row.previous_forecast_total is None  # November is over: its preview is final
    document = review_document(review)
    assert (document["basis"], document["standing"]["days_elapsed"], document["standing"]["days"]) == ("forecast", 7, 30)
    agency = next(a for a in document["agencies"] if a["agency_id"] == STEADY)
    assert Decimal(agency["forecast_total"]) == row.forecast_total and Decimal(agency["total"]) == row.total

    monkeypatch.setenv("BILLING_TODAY", "2026-12-24")  # after the cutoff, with no more calls imported: final
    after = review_cycle(FINANCE, DECEMBER, sessions=sessions)
    assert after.basis == "final" and after.standing.state == "final" and review_document(after)["basis"] == "final"
    row = after.row(STEADY)
    assert row.forecast_total is None and row.compared_total == row.total
    finding = next(f for f in row.findings if f.code is FindingCode.TOTAL_CHANGED)  # the usage really stopped
    assert finding.sentence.startswith("The total is ") and "forecast" not in finding.sentence


def test_usage_findings_of_a_cycle_in_progress_say_they_read_the_forecast_at_cutoff(sessions, monkeypatch):
    _steady_week(sessions, monkeypatch)
    monkeypatch.setenv("BILLING_REVIEW_CHANGE_PCT", "1")
    monkeypatch.setenv("BILLING_REVIEW_TREND_PCT", "1")
    row = review_cycle(FINANCE, DECEMBER, sessions=sessions).row(STEADY)
    sentences = {f.code: f.sentence for f in row.findings}
    assert sentences[FindingCode.TOTAL_CHANGED].startswith("The forecast at cutoff (7 of 30 days elapsed) totals ")
    assert "minutes forecast at cutoff (7 of 30 days elapsed)" in sentences[FindingCode.REPLENISHMENT_OFF_TREND]
    assert Decimal(next(f for f in row.findings if f.code is FindingCode.TOTAL_CHANGED).number("total")) \
        == row.forecast_total


def test_a_cycle_in_progress_has_no_late_data_until_its_cutoff(sessions, monkeypatch):
    """Before the cutoff its last days have not happened: the check is skipped, not judged on the elapsed days."""
    monkeypatch.setenv("BILLING_TODAY", DAY_7.isoformat())
    with sessions() as session:  # nothing at all imported for December's period
        for model, column in ((Call, Call.started_on), (CallDay, CallDay.day)):
            session.execute(delete(model).where(model.agency_id == CLEAN, column >= DECEMBER.closed_period.start))
    assert FindingCode.LATE_DATA not in _codes_of(sessions, DECEMBER)
    monkeypatch.setenv("BILLING_TODAY", "2026-12-23")  # the cutoff day itself is not over yet
    assert FindingCode.LATE_DATA not in _codes_of(sessions, DECEMBER)
    monkeypatch.setenv("BILLING_TODAY", "2026-12-24")
    assert FindingCode.LATE_DATA in _codes_of(sessions, DECEMBER)


def _codes_of(sessions, cycle, agency_id: str = CLEAN) -> set[FindingCode]:
    row = review_cycle(FINANCE, cycle, sessions=sessions).row(agency_id)
    assert row is not None
    return {f.code for f in row.findings}


def test_the_cycle_after_the_running_one_is_checked_against_the_running_ones_forecast(sessions):
    january = DECEMBER.next()  # on 2026-11-25 December has just begun and January's period has not
    review = review_cycle(FINANCE, january, sessions=sessions)
    assert review.basis == "forecast" and review.standing.state == "not_started"
    assert all(r.forecast_total is not None for r in review.rows)
    assert all(r.previous_forecast_total is not None for r in review.rows if r.previous_total is not None)
    assert not [r for r in review.rows if FindingCode.RATE_WITHOUT_USAGE in {f.code for f in r.findings}]


def test_an_approval_before_the_cutoff_is_of_the_preview_so_far_and_goes_stale_when_facts_change(sessions, monkeypatch):
    from services.previews import preview_invoice
    from services.review import preview_hash

    _steady_week(sessions, monkeypatch)
    outcome = approve(FINANCE, DECEMBER, [STEADY], sessions=sessions)
    so_far = preview_invoice(STEADY, DECEMBER, sessions=sessions)
    row = review_cycle(FINANCE, DECEMBER, sessions=sessions).row(STEADY)
    assert outcome.approved == [(STEADY, so_far.total)] and row.total == so_far.total != row.forecast_total
    assert row.state is ReviewState.APPROVED and row.approval.content_hash == preview_hash(so_far.snapshot)
    _calls(sessions, 20, 36_000, day=date(2026, 11, 28), agency_id=STEADY)  # a late import into the elapsed days
    row = review_cycle(FINANCE, DECEMBER, sessions=sessions).row(STEADY)
    assert row.state is ReviewState.STALE and "Pre-billed minutes" in [c.title for c in row.approval.changes]
