"""Bounds for dates people enter: a typo must not land in year 9999.

A payment cannot be received in the future nor before the agency was
onboarded; an adjustment or a contract version may look ahead, but not
further than :data:`MAX_DAYS_AHEAD`. Out-of-range dates once broke every
status of every agency (a debit due 9999-12-31 overflowed the restriction
date), so they are refused where they are entered.
"""

from __future__ import annotations

from datetime import date, timedelta

from .errors import FieldError

MAX_DAYS_AHEAD = 366
EARLIEST = date(2000, 1, 1)


def require_on_or_before(value: date, latest: date, label: str, why: str) -> None:
    if value > latest:
        raise FieldError(label, f"must be on or before {latest.isoformat()} ({why}), not {value.isoformat()}")


def require_on_or_after(value: date, earliest: date, label: str, why: str) -> None:
    if value < earliest:
        raise FieldError(label, f"must be on or after {earliest.isoformat()} ({why}), not {value.isoformat()}")


def require_within_a_year_of(value: date, today: date, label: str) -> None:
    """Not before :data:`EARLIEST` and not more than a year after ``today``."""
    require_on_or_after(value, EARLIEST, label, "the earliest date the dashboard records")
    require_on_or_before(value, today + timedelta(days=MAX_DAYS_AHEAD), label, "at most a year ahead")
