"""A pinned demo agrees with itself whatever the real date is.

``BILLING_TODAY`` pins the business day; the seed and the services stamp
what they write (audit events, payments, issued invoices) from the same
clock. Here the machine's clock is moved far from the pinned day, before
and after it, and the demo must read exactly as it does on the day itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from billing import Cycle
from db.engine import get_engine
from services.access import Role, Viewer
from services.accounts import viewer_for_email
from services.audit_log import audit_events
from services.demo import seed_demo
from services.invoices import invoice_view
from services.issuing import issue_cycle_now
from services.payments import record_payment
from services.review import approve
from services.unit_of_work import sessions_for

from .conftest import ACCOUNTS, SEED, TODAY, new_app

NEW_YORK = ZoneInfo("America/New_York")
REAL_DATES = {
    "half a year later": datetime(2027, 6, 30, 15, 0, tzinfo=UTC),
    "eleven months earlier": datetime(2026, 1, 1, 4, 0, tzinfo=UTC),
}


@pytest.fixture(params=sorted(REAL_DATES), ids=lambda name: REAL_DATES[name].date().isoformat())
def elsewhere_in_time(request, empty_db):
    """An empty database pinned to ``TODAY``, the machine's clock elsewhere."""
    with time_machine.travel(REAL_DATES[request.param], tick=True):
        yield empty_db


def test_the_seed_stamps_its_records_on_its_own_today(elsewhere_in_time):
    seed_demo(SEED, sessions=sessions_for(get_engine(elsewhere_in_time)))
    finance = viewer_for_email(ACCOUNTS["finance"][0])
    assert finance is not None
    events = audit_events(finance, start=TODAY, end=TODAY)
    assert events, "the seed's payments and adjustments are on the pinned day"
    assert {e.at.astimezone(NEW_YORK).date() for e in events} == {TODAY}
    issued = audit_events(finance, start=TODAY.replace(year=2025), end=TODAY, action="issue")
    assert issued and all(e.at.astimezone(NEW_YORK).date() < TODAY for e in issued), \
        "past cycles are stamped on their own invoice mornings"


def test_the_audit_log_page_shows_the_demos_events_by_default(elsewhere_in_time):
    seed_demo(SEED, sessions=sessions_for(get_engine(elsewhere_in_time)))
    at = new_app()
    at.session_state["viewer"] = viewer_for_email(ACCOUNTS["finance"][0])
    at.run()
    at.switch_page("pages/audit_log.py").run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert len(frame) > 0
    assert all(when.endswith(("EST", "EDT")) for when in frame["When"])


def test_issuing_and_paying_on_a_pinned_day_are_stamped_on_that_day(elsewhere_in_time):
    seed_demo(SEED, sessions=sessions_for(get_engine(elsewhere_in_time)))
    finance = viewer_for_email(ACCOUNTS["finance"][0])
    assert finance is not None and finance.role is Role.FINANCE
    approve(finance, Cycle.parse("2026-11"))  # every agency with no blocking finding
    result = issue_cycle_now(finance, Cycle.parse("2026-11"))
    assert result.issued
    agency_id = result.issued[0][0]

    view = invoice_view(finance, agency_id, Cycle.parse("2026-11"), TODAY)
    assert view.preview.issued is not None
    assert view.preview.issued.issued_at.astimezone(NEW_YORK).date() == TODAY

    record_payment(finance, agency_id=agency_id, amount="10.00", paid_on=TODAY,
                             invoice_number=None, reference="PINNED-1")
    latest = audit_events(Viewer(finance.email, finance.name, Role.FINANCE, None), start=TODAY, end=TODAY,
                          action="payment")[0]
    assert latest.subject == agency_id or agency_id in latest.details
    assert latest.at.astimezone(NEW_YORK).date() == TODAY
