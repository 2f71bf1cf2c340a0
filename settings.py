"""Deployment settings, read from the environment into one typed object.

A leaf module: ``db``, ``services``, ``reports`` and the pages all read it,
it imports nothing of ours, so configuration never makes a layer point the
wrong way. :func:`current` reads the environment each time it is called
(cheap: a handful of variables), so a test or a command that sets a
variable sees it at once. :func:`check` is called when the app or a command
starts: a bad value stops the start with one line naming the variable.

| variable | meaning | default |
| --- | --- | --- |
| ``DATABASE_URL`` | ``postgresql://…`` or ``sqlite:///…`` | ``sqlite:///data/billing.db`` |
| ``BILLING_TIMEZONE`` | the zone whose days are billing days | ``America/New_York`` |
| ``BILLING_TODAY`` | pin "today" (``YYYY-MM-DD``) for demos and tests | the real date |
| ``BILLING_AUTO_SEED`` | ``1``: fill an empty database (no agencies, no accounts) with the demo; ``scripts/run.sh`` sets it | ``0`` |
| ``BILLING_WARNING_DAYS`` | days before the restriction date an agency is *at risk* | ``5`` |
| ``BILLING_ISSUER_NAME`` | who issues the invoices, printed on every PDF | ``Dialer Platform`` |
| ``BILLING_ISSUER_DETAILS`` | the line under it: address, e-mail | ``Billing · billing@dialer-platform.example`` |
| ``BILLING_LOG_LEVEL`` | ``DEBUG``, ``INFO``, ``WARNING`` or ``ERROR`` | ``INFO`` |
| ``BILLING_SESSION_HOURS`` | hours without activity after which a sign-in ends (1 to 720) | ``8`` |
| ``BILLING_APPROVAL_REQUIRED`` | ``1``: issuing issues only approved, unchanged previews | ``1`` |
| ``BILLING_REVIEW_CHANGE_PCT`` | review: a total that moved more than this share (percent) of the previous one; ``0`` off | ``25`` |
| ``BILLING_REVIEW_CHANGE_AMOUNT`` | review: … or more than this amount (USD); ``0`` off | ``1000.00`` |
| ``BILLING_REVIEW_IDLE_SEATS_PCT`` | review: more than this share of billed seats with no call in the period | ``30`` |
| ``BILLING_REVIEW_MINIMUM_CYCLES`` | review: the contract minimum binding this many cycles in a row | ``3`` |
| ``BILLING_REVIEW_TREND_PCT`` | review: replenishment this far (percent) from the mean of the last three | ``50`` |
| ``BILLING_REVIEW_QUIET_DAYS`` | review: no call on any of the last this many days before the cutoff | ``2`` |
| ``BILLING_SMTP_URL`` | ``smtp://user:pass@host:587?starttls=1`` or ``smtps://…``; empty: ``.eml`` files | empty |
| ``BILLING_SMTP_FROM`` | the sender of every message | ``Dialer Platform Billing <billing@dialer-platform.example>`` |
| ``BILLING_OUTBOX_DIR`` | where ``.eml`` files go without an SMTP server | ``data/outbox`` |
| ``BILLING_NOTICES`` | which messages this deployment sends: comma-separated kinds, ``all`` or ``none`` | ``all`` |
| ``BILLING_PREVIEW_CACHE`` | previews kept while their facts are unchanged (entries, least recently used dropped); ``0`` off | ``50000`` |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "America/New_York"
DEFAULT_SQLITE_PATH = Path(__file__).resolve().parent / "data" / "billing.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_WARNING_DAYS = 14  # the restriction date is 15 days after the due date
MAX_SESSION_HOURS = 720  # a month: longer than that, sign in again
# The portfolio, overview and minute bank of 5,000 agencies read ~15,000 (3 cycles); ~20-40 KB each (services/fact_cache.py).
DEFAULT_PREVIEW_CACHE = 50_000  # ten entries an agency at 5,000 agencies: two cycles, statuses, housekeeping, trends
MAX_PREVIEW_CACHE = 10_000_000
DEFAULT_OUTBOX_DIR = Path(__file__).resolve().parent / "data" / "outbox"
DEFAULT_SMTP_FROM = "Dialer Platform Billing <billing@dialer-platform.example>"
# Every kind of message the app can send (services.messages.MessageKind has the same values).
MESSAGE_KINDS = ("housekeeping_1", "housekeeping_2", "invoice_posted", "payment_received",
                 "overdue", "restriction_warning", "restricted", "restriction_lifted")


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class ReviewThresholds:
    """When a review check of a preview speaks up (services/review): each
    is a deployment's taste, so each is a setting with a sensible default."""

    change_pct: Decimal = Decimal("25")
    change_amount: Decimal = Decimal("1000.00")
    idle_seats_pct: Decimal = Decimal("30")
    minimum_cycles: int = 3
    trend_pct: Decimal = Decimal("50")
    quiet_days: int = 2


@dataclass(frozen=True)
class Settings:
    database_url: str
    billing_zone: str
    pinned_today: date | None
    auto_seed: bool
    warning_days: int
    issuer_name: str
    issuer_details: str
    log_level: str
    session_hours: int
    approval_required: bool = True
    review: ReviewThresholds = ReviewThresholds()
    smtp: SmtpServer | None = None
    smtp_from: str = DEFAULT_SMTP_FROM
    outbox_dir: Path = DEFAULT_OUTBOX_DIR
    notices: frozenset[str] = frozenset(MESSAGE_KINDS)
    preview_cache: int = DEFAULT_PREVIEW_CACHE


@dataclass(frozen=True)
class SmtpServer:
    """Where mail goes. The password is kept out of ``repr`` and ``str``, so
    no log line, page or error message that shows the settings shows it."""

    host: str
    port: int
    implicit_tls: bool  # smtps://: TLS from the first byte
    starttls: bool
    username: str | None
    password: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        who = f"{self.username}:***@" if self.username else ""
        return f"{scheme}://{who}{self.host}:{self.port}" + ("?starttls=1" if self.starttls else "")


def _smtp(environ: Mapping[str, str]) -> SmtpServer | None:
    text = environ.get("BILLING_SMTP_URL", "").strip()
    if not text:
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        # Never echo the value: it may hold the password.
        raise SettingsError("BILLING_SMTP_URL is not a URL like smtp://user:pass@host:587?starttls=1") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SettingsError("BILLING_SMTP_URL must start smtp:// or smtps:// and name a host "
                            "(smtp://user:pass@host:587?starttls=1)")
    query = parse_qs(parts.query)
    flag = (query.get("starttls") or ["0"])[0].strip().lower()
    if flag not in ("0", "1", "true", "false", "yes", "no"):
        raise SettingsError("BILLING_SMTP_URL: starttls is 1 or 0")
    implicit = parts.scheme == "smtps"
    starttls = flag in ("1", "true", "yes")
    if implicit and starttls:
        raise SettingsError("BILLING_SMTP_URL: smtps:// is TLS already; leave starttls out")
    return SmtpServer(
        host=parts.hostname, port=port or (465 if implicit else 587 if starttls else 25),
        implicit_tls=implicit, starttls=starttls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _notices(environ: Mapping[str, str]) -> frozenset[str]:
    text = _text(environ, "BILLING_NOTICES", "all").lower()
    if text == "all":
        return frozenset(MESSAGE_KINDS)
    if text == "none":
        return frozenset()
    kinds = {k.strip() for k in text.split(",") if k.strip()}
    unknown = sorted(kinds - set(MESSAGE_KINDS))
    if unknown:
        raise SettingsError(f"BILLING_NOTICES: {', '.join(unknown)} not known; use all, none or some of "
                            f"{', '.join(MESSAGE_KINDS)}")
    return frozenset(kinds)


def _smtp_from(environ: Mapping[str, str]) -> str:
    from email.utils import parseaddr

    text = _text(environ, "BILLING_SMTP_FROM", DEFAULT_SMTP_FROM)
    if "@" not in parseaddr(text)[1] or "\n" in text or "\r" in text:
        raise SettingsError(f"BILLING_SMTP_FROM: {text[:80]!r} is not an address like Billing <billing@example.com>")
    return text


def _text(environ: Mapping[str, str], name: str, default: str) -> str:
    return environ.get(name, "").strip() or default


def _zone(environ: Mapping[str, str]) -> str:
    name = _text(environ, "BILLING_TIMEZONE", DEFAULT_ZONE)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"BILLING_TIMEZONE: {name!r} is not a time zone; use a name like America/New_York") from None
    return name


def _today(environ: Mapping[str, str]) -> date | None:
    text = environ.get("BILLING_TODAY", "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or len(text) != len("YYYY-MM-DD"):
        raise SettingsError(f"BILLING_TODAY must be a date written YYYY-MM-DD, not {text!r}")
    return day


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    text = environ.get(name, "").strip().lower()
    if not text:
        return default
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name}: {text!r} is neither 1 nor 0")


def _warning_days(environ: Mapping[str, str]) -> int:
    text = _text(environ, "BILLING_WARNING_DAYS", "5")
    if not text.isascii() or not text.isdigit() or not 0 <= int(text) <= MAX_WARNING_DAYS:
        raise SettingsError(f"BILLING_WARNING_DAYS: {text!r} is not a whole number of days from 0 to {MAX_WARNING_DAYS}")
    return int(text)


def _session_hours(environ: Mapping[str, str]) -> int:
    text = _text(environ, "BILLING_SESSION_HOURS", "8")
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_SESSION_HOURS:
        raise SettingsError(f"BILLING_SESSION_HOURS: {text!r} is not a whole number of hours from 1 to {MAX_SESSION_HOURS}")
    return int(text)


def _decimal(environ: Mapping[str, str], name: str, default: str, *, places: int, top: Decimal) -> Decimal:
    text = _text(environ, name, default)
    try:  # digits and one optional point only: no sign, exponent or NaN
        value = Decimal(text) if text.replace(".", "", 1).isascii() and text.replace(".", "", 1).isdigit() else None
    except InvalidOperation:
        value = None
    exponent = value.as_tuple().exponent if value is not None and value.is_finite() else None
    if value is None or not isinstance(exponent, int) or -exponent > places or not 0 <= value <= top:
        raise SettingsError(f"{name}: {text!r} is not a number from 0 to {top} with at most {places} decimals")
    return value


def _whole(environ: Mapping[str, str], name: str, default: str, *, low: int, high: int) -> int:
    text = _text(environ, name, default)
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise SettingsError(f"{name}: {text!r} is not a whole number from {low} to {high}")
    return int(text)


def _review(environ: Mapping[str, str]) -> ReviewThresholds:
    return ReviewThresholds(
        change_pct=_decimal(environ, "BILLING_REVIEW_CHANGE_PCT", "25", places=2, top=Decimal(1000)),
        change_amount=_decimal(environ, "BILLING_REVIEW_CHANGE_AMOUNT", "1000.00", places=2, top=Decimal(10_000_000)),
        idle_seats_pct=_decimal(environ, "BILLING_REVIEW_IDLE_SEATS_PCT", "30", places=2, top=Decimal(100)),
        minimum_cycles=_whole(environ, "BILLING_REVIEW_MINIMUM_CYCLES", "3", low=2, high=24),
        trend_pct=_decimal(environ, "BILLING_REVIEW_TREND_PCT", "50", places=2, top=Decimal(1000)),
        quiet_days=_whole(environ, "BILLING_REVIEW_QUIET_DAYS", "2", low=1, high=20),
    )


def _log_level(environ: Mapping[str, str]) -> str:
    level = _text(environ, "BILLING_LOG_LEVEL", "INFO").upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"BILLING_LOG_LEVEL: {level!r} is not one of {', '.join(LOG_LEVELS)}")
    return level


def _database_url(environ: Mapping[str, str]) -> str:
    url = environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{DEFAULT_SQLITE_PATH}"
    if not url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://", "sqlite://")):
        scheme = url.split(":", 1)[0] if ":" in url else url[:20]
        raise SettingsError(f"DATABASE_URL: {scheme!r} databases are not supported; use postgresql://… or sqlite:///…")
    return url


def current(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings in force now (see the module docstring)."""
    env = os.environ if environ is None else environ
    return Settings(
        database_url=_database_url(env),
        billing_zone=_zone(env),
        pinned_today=_today(env),
        auto_seed=_flag(env, "BILLING_AUTO_SEED", False),
        warning_days=_warning_days(env),
        issuer_name=_text(env, "BILLING_ISSUER_NAME", "Dialer Platform"),
        issuer_details=_text(env, "BILLING_ISSUER_DETAILS", "Billing · billing@dialer-platform.example"),
        log_level=_log_level(env),
        session_hours=_session_hours(env),
        approval_required=_flag(env, "BILLING_APPROVAL_REQUIRED", True),
        review=_review(env),
        smtp=_smtp(env),
        smtp_from=_smtp_from(env),
        outbox_dir=Path(_text(env, "BILLING_OUTBOX_DIR", str(DEFAULT_OUTBOX_DIR))),
        notices=_notices(env),
        preview_cache=_whole(env, "BILLING_PREVIEW_CACHE", str(DEFAULT_PREVIEW_CACHE), low=0, high=MAX_PREVIEW_CACHE),
    )


def check() -> Settings:
    """Validate every setting at start-up; raises :class:`SettingsError`."""
    return current()


def billing_zone() -> str:
    return current().billing_zone


def pinned_today() -> date | None:
    return _today(os.environ)
