"""The app's one clock: a pinned day decides every stamp, whatever the real date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

import clock

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _billing_zone(monkeypatch):
    monkeypatch.setenv("BILLING_TIMEZONE", "America/New_York")
    monkeypatch.delenv("BILLING_TODAY", raising=False)


def test_today_is_the_real_date_in_the_billing_zone_when_nothing_is_pinned():
    # 02:30 UTC on Dec 1 is still Nov 30 in New York.
    with time_machine.travel(datetime(2026, 12, 1, 2, 30, tzinfo=UTC), tick=False):
        assert clock.today() == date(2026, 11, 30)
        assert clock.now() == datetime(2026, 12, 1, 2, 30, tzinfo=UTC)


@pytest.mark.parametrize("real", [datetime(2027, 6, 30, 15, 0, tzinfo=UTC), datetime(2026, 1, 1, 4, 0, tzinfo=UTC)],
                         ids=["2027-06-30", "2026-01-01"])
def test_a_pinned_day_stamps_records_on_that_day_at_the_real_time_of_day(monkeypatch, real):
    monkeypatch.setenv("BILLING_TODAY", "2026-11-25")
    with time_machine.travel(real, tick=False):
        assert clock.today() == date(2026, 11, 25)
        stamped = clock.now()
        assert stamped.tzinfo is not None
        assert stamped.astimezone(NEW_YORK).date() == date(2026, 11, 25)
        assert stamped.astimezone(NEW_YORK).time() == real.astimezone(NEW_YORK).time().replace(tzinfo=None)
        assert clock.real_now() == real, "lockouts and sessions keep the machine's clock"


def test_frozen_holds_the_clock_inside_the_block_only(monkeypatch):
    monkeypatch.setenv("BILLING_TODAY", "2026-11-25")
    moment = datetime(2026, 3, 25, 6, 0, tzinfo=NEW_YORK)
    with clock.frozen(moment):
        assert clock.today() == date(2026, 3, 25)
        assert clock.now() == moment
    assert clock.today() == date(2026, 11, 25)


def test_frozen_refuses_a_naive_instant():
    with pytest.raises(ValueError, match="aware"), clock.frozen(datetime(2026, 3, 25, 6, 0)):
        pass


@pytest.mark.parametrize("text", ["20261125", "2026-13-01", "tomorrow", "2026-11-25T10:00"])
def test_a_malformed_pinned_day_is_refused_by_name(monkeypatch, text):
    monkeypatch.setenv("BILLING_TODAY", text)
    with pytest.raises(ValueError, match="BILLING_TODAY must be a date written YYYY-MM-DD"):
        clock.today()
