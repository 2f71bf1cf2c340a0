"""Which day it is, in the billing time zone.

``BILLING_TODAY=YYYY-MM-DD`` pins the date (demos, tests, screenshots);
otherwise it is the current date in the billing zone, not the server's.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

from billing import parse_date
from billing.calendar import DEFAULT_ZONE


def billing_zone() -> str:
    return os.environ.get("BILLING_TIMEZONE", DEFAULT_ZONE)


def billing_today() -> date:
    pinned = os.environ.get("BILLING_TODAY", "").strip()
    if pinned:
        return parse_date(pinned)
    return datetime.now(ZoneInfo(billing_zone())).date()
