"""Which day it is, in the billing time zone.

``BILLING_TODAY=YYYY-MM-DD`` pins the date (demos, tests, screenshots);
otherwise it is the current date in the billing zone, not the server's.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from billing import parse_date
from settings import billing_zone, pinned_today

__all__ = ["billing_today", "billing_zone"]


def billing_today() -> date:
    pinned = pinned_today()
    if pinned:
        return parse_date(pinned)
    return datetime.now(ZoneInfo(billing_zone())).date()
