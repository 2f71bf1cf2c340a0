"""How numbers and dates look on screen: ``$12,345.67``, ``Tue 2026-12-01``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from billing.calendar import weekday_date
from billing.money import format_count, format_signed_usd, format_usd


def usd(value: Decimal | None) -> str:
    return "—" if value is None else format_usd(value)


def signed_usd(value: Decimal | None) -> str:
    """A change: ``+$5.00``, ``-$5.00``; the same minus sign everywhere (see
    :func:`billing.money.format_signed_usd`)."""
    return "—" if value is None else format_signed_usd(value)


def day(value: date | None) -> str:
    return "—" if value is None else weekday_date(value)


def count(value: int | None) -> str:
    return "—" if value is None else format_count(value)


def counted(value: int, noun: str, plural: str | None = None) -> str:
    """``1 invoice``, ``2 invoices``, ``1,204 agencies``: the count and its noun agree."""
    word = noun if value == 1 else plural or (noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou"
                                              else noun + "s")
    return f"{format_count(value)} {word}"


def per_user_day(rate: Fraction) -> str:
    """An exact rate of minutes per user-day to two places, ``13.90`` (display only)."""
    return f"{Decimal(rate.numerator) / Decimal(rate.denominator):,.2f}"


def days(value: int | None) -> str:
    if value is None:
        return "—"
    return f"{value} day" if abs(value) == 1 else f"{value} days"


def money_float(value: Decimal) -> float:
    """For chart axes only: plotly needs floats; every figure shown as text
    still comes from the Decimal."""
    return float(value)


STATUS_LABELS = {
    "paid_up": "Paid up",
    "open": "Open",
    "overdue": "Overdue",
    "at_risk": "At risk",
    "restricted": "Restricted",
}

_BADGE_COLORS = {"paid_up": "green", "open": "blue", "overdue": "yellow", "at_risk": "orange", "restricted": "red"}


def status_badge(status: str) -> str:
    """A coloured markdown badge, e.g. ``:red-badge[Restricted]``."""
    return f":{_BADGE_COLORS[status]}-badge[{STATUS_LABELS[status]}]"

STATUS_COLORS = {
    "paid_up": "#2e7d32",
    "open": "#1565c0",
    "overdue": "#f9a825",
    "at_risk": "#ef6c00",
    "restricted": "#c62828",
}


_MARKDOWN_SPECIAL = "\\`*_{}[]()#+-.!|$<>:~"


def md(text: object, *, limit: int | None = None) -> str:
    """Escape text for ``st.markdown`` (and every widget that renders it:
    errors, warnings, captions): names with ``*`` or ``[`` stay names, a
    ``![image](…)`` or ``[link](…)`` stays text, ``$`` stays a dollar sign
    instead of starting LaTeX, and a newline cannot start a heading.
    ``limit`` cuts text that came from a URL or a file to that many
    characters first."""
    plain = " ".join(str(text).split())
    if limit is not None and len(plain) > limit:
        plain = plain[:limit] + "…"
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in plain)
