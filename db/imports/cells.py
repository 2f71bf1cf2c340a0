"""Reading one cell: each function returns the value or raises
:class:`CellError` with the reason, phrased to follow "column: ".

Timestamps become an aware UTC instant plus their billing-zone date, the one
conversion every layer agrees on (:func:`billing.calendar.billing_date`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from billing.calendar import billing_date, parse_date
from billing.money import AmountError, parse_amount
from db.errors import BillingError

MAX_INT = 2_147_483_647  # the INTEGER columns of PostgreSQL

_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,6})?)?"
    r"(?P<offset>Z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
# What PostgreSQL's timestamptz input reads as exactly the instant Python reads
# (tests/integration/test_import.py proves it on the server): date, T, seconds,
# up to six decimals, and Z or an offset with a colon.
_SERVER_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})"
)
_E164 = re.compile(r"\+[0-9]{8,15}")
_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")


class CellError(ValueError):
    """A value that cannot be used; the message follows ``column: ``."""


def show(value: str) -> str:
    """A value quoted for a message, shortened, on one line."""
    if len(value) > 60:
        value = value[:57] + "..."
    return repr(value)


def zone_named(name: str, what: str) -> ZoneInfo:
    try:
        if not name or name != name.strip() or name.startswith(("/", ".")):
            raise ValueError
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise BillingError(f"{what}: unknown time zone {name!r}; use an IANA name such as America/Chicago") from None


def text(value: str, max_length: int) -> str:
    if not value:
        raise CellError("is required")
    if len(value) > max_length:
        raise CellError(f"is longer than {max_length} characters ({len(value):,})")
    return value


def optional_text(value: str, max_length: int) -> str | None:
    return text(value, max_length) if value else None


def email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise CellError(f"must be an e-mail address, got {show(value)}")
    return text(value, 200)


def optional_email(value: str) -> str | None:
    return email(value) if value else None


def a_date(value: str) -> date:
    if not value:
        raise CellError("is required (a date YYYY-MM-DD)")
    try:
        return parse_date(value)
    except ValueError:
        if _DATE_SHAPE.fullmatch(value):
            raise CellError(f"is not a real date, got {show(value)}") from None
        raise CellError(f"must be a date YYYY-MM-DD, got {show(value)}") from None


_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def optional_date(value: str) -> date | None:
    return a_date(value) if value else None


def whole(value: str, *, minimum: int = 0) -> int:
    """A whole number ``>= minimum`` written with digits only."""
    if value.isdigit() and value.isascii():
        number = int(value)
        if number < minimum:
            raise CellError(f"must be a whole number ≥ {minimum}, got {show(value)}")
        if number > MAX_INT:
            raise CellError(f"is too large ({value})")
        return number
    if not value:
        raise CellError(f"is required (a whole number ≥ {minimum})")
    raise CellError(f"must be a whole number ≥ {minimum}, got {show(value)}")


def optional_whole(value: str, default: int, *, minimum: int = 0) -> int:
    return whole(value, minimum=minimum) if value else default


def decimal(value: str, places: int, *, positive: bool = False, what: str = "a decimal") -> Decimal:
    """A plain decimal (``150.00``, ``0.0150``) with at most ``places``
    decimals, read by the one parser of typed money in CSV mode: no signs,
    exponents, spaces, currency signs or thousands separators."""
    bound = "> 0" if positive else "≥ 0"
    if not value:
        raise CellError(f"is required ({what} {bound})")
    try:
        number = parse_amount(value, places=places, typed=False)
    except AmountError as error:
        raise CellError(f"{error}, got {show(value)}") from None
    if positive and number <= 0:
        raise CellError(f"must be more than 0, got {show(value)}")
    return number


def optional_decimal(value: str, places: int, default: Decimal | None = None) -> Decimal | None:
    return decimal(value, places) if value else default


def choice(value: str, allowed: tuple[str, ...]) -> str:
    if value in allowed:
        return value
    listed = ", ".join(allowed)
    if not value:
        raise CellError(f"is required (one of {listed})")
    raise CellError(f"must be one of {listed}, got {show(value)}")


def e164(value: str) -> str:
    if not _E164.fullmatch(value):
        raise CellError(f"must be an E.164 number: + and 8–15 digits, no spaces (+13125550123), got {show(value)}")
    return value


class Timestamps:
    """Parses ISO 8601 timestamps into (UTC instant, billing date).

    A timestamp with an offset or ``Z`` is taken as written. One without is
    refused, unless the file's zone was named (``naive_zone``): then it is
    read as a wall-clock time in that zone.
    """

    def __init__(self, billing_zone: str, naive_zone: str | None, zone_field: str = "--timezone") -> None:
        self.billing_zone_name = billing_zone
        self.billing_zone = zone_named(billing_zone, "BILLING_TIMEZONE")
        self.naive_zone_name = naive_zone
        self.zone_field = zone_field  # where the person names the file's zone: a flag, or a field on the page
        self.naive_zone = zone_named(naive_zone, zone_field) if naive_zone is not None else None

    def _zone_hint(self) -> str:
        if self.zone_field.startswith("--"):
            return f"{self.zone_field} America/Chicago"
        return f"in “{self.zone_field}”, for example America/Chicago"

    def parse(self, value: str) -> tuple[datetime, date]:
        match = _TIMESTAMP.fullmatch(value)
        if match is None:
            if not value:
                raise CellError("is required (an ISO 8601 timestamp such as 2026-11-05T09:30:00-05:00)")
            raise CellError(f"must be an ISO 8601 timestamp such as 2026-11-05T09:30:00-05:00, got {show(value)}")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise CellError(f"is not a real date and time, got {show(value)}") from None
        if match.group("offset") is None:
            if self.naive_zone is None:
                raise CellError(
                    f"timestamp {show(value)} has no UTC offset; write it with one "
                    f"(2026-11-05T09:30:00-05:00 or …Z) or name the file's time zone ({self._zone_hint()})"
                )
            moment = moment.replace(tzinfo=self.naive_zone)
        return moment.astimezone(UTC), billing_date(moment, self.billing_zone_name)

    def parse_fast(self, value: str) -> tuple[datetime, date] | None:
        """:meth:`parse` for the common case (an offset or Z), ``None`` for anything else.

        The same instant and date as :meth:`parse` (and so as
        :func:`billing.calendar.billing_date`), without its checks and messages.
        """
        match = _TIMESTAMP.fullmatch(value)
        if match is None:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        if match.group("offset") is None:
            if self.naive_zone is None:
                return None
            moment = moment.replace(tzinfo=self.naive_zone)
        return moment.astimezone(UTC), moment.astimezone(self.billing_zone).date()

    def parse_fast_for_server(self, value: str) -> tuple[datetime | str, date] | None:
        """:meth:`parse_fast` for a ``COPY`` to PostgreSQL: a timestamp the
        server reads as the same instant is handed on as written, with its
        billing date, instead of converted to UTC and formatted again (about
        5 µs a row of the 10-million-row import); any other as :meth:`parse_fast`."""
        if _SERVER_INSTANT.fullmatch(value) is None:
            return self.parse_fast(value)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        return value, moment.astimezone(self.billing_zone).date()

    def optional(self, value: str) -> tuple[datetime, date] | tuple[None, None]:
        return self.parse(value) if value else (None, None)


def utc_text(moment: datetime | None) -> str:
    """An instant for a message: ``2026-11-05T14:30:00Z``."""
    if moment is None:
        return "(empty)"
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
