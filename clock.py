"""One clock for the app, the command line, the seed and the tests.

Everything that asks "which day is it?" or stamps a record (audit events,
payments recorded, invoices issued, imports) asks this module, so a demo
pinned with ``BILLING_TODAY`` agrees with itself: an invoice issued on the
pinned day says it was frozen on the pinned day, and the audit log of a
pinned demo holds events on that day whatever the real date is.

- ``today()``: the business day in the billing time zone: the one
  :func:`frozen` holds, else ``BILLING_TODAY``, else the real date there.
- ``now()``: an aware UTC instant on that day. With a pinned day it is the
  pinned day at the real time of day in the billing zone, so events of one
  session still come in order.
- ``real_now()``: the machine's clock, for windows that protect people
  rather than describe business (sign-in lockouts, session expiry): a pinned
  demo must not make a lockout last a day or end at once.

A leaf module like :mod:`settings`: it imports nothing of ours but that.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from settings import billing_zone, pinned_today

__all__ = ["frozen", "now", "real_now", "today"]

_frozen: ContextVar[datetime | None] = ContextVar("frozen_clock", default=None)


def real_now() -> datetime:
    """The machine's clock, aware, in UTC."""
    return datetime.now(UTC)


def _zone() -> ZoneInfo:
    return ZoneInfo(billing_zone())


def _pinned_day() -> date | None:
    return pinned_today()  # validated there: SettingsError names BILLING_TODAY


def today() -> date:
    """The business day, in the billing time zone."""
    held = _frozen.get()
    if held is not None:
        return held.astimezone(_zone()).date()
    pinned = _pinned_day()
    if pinned is not None:
        return pinned
    return real_now().astimezone(_zone()).date()


def now() -> datetime:
    """An aware UTC instant on the business day (see the module docstring)."""
    held = _frozen.get()
    if held is not None:
        return held
    pinned = _pinned_day()
    if pinned is None:
        return real_now()
    zone = _zone()
    wall = real_now().astimezone(zone).time().replace(tzinfo=None)
    return datetime.combine(pinned, wall, tzinfo=zone).astimezone(UTC)


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Hold the clock at ``at`` (aware) inside the block, in this context only.

    The demo seed uses it so that everything it writes is stamped on the
    seed's own ``today``, not on the day the seed happens to run.
    """
    if at.tzinfo is None:
        raise ValueError("the clock holds aware instants only")
    token = _frozen.set(at.astimezone(UTC))
    try:
        yield
    finally:
        _frozen.reset(token)
