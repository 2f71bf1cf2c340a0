"""Contracts: the history of an agency's terms, and new versions (finance).

Rates change by adding a version with a later ``effective_from``; an invoice
uses the version in force on its invoice date. A version may not take effect
on or before an issued invoice's date, which would re-price an invoice that
can never change.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from billing.facts import SignalMode
from billing.money import AmountError, parse_amount
from db import contracts
from db.models import AgencyContract

from . import clock
from .access import Permission, Viewer
from .dates import require_within_a_year_of
from .errors import FieldError
from .unit_of_work import SessionFactory, default_sessions

RATE_PLACES = 4


@dataclass(frozen=True)
class ContractVersion:
    """One version of an agency's terms, as the pages show it."""

    agency_id: str
    effective_from: date
    user_fee: Decimal
    minimum_users: int
    minute_rate: Decimal
    licensing_fee: Decimal
    minute_block: int
    replenish_buffer_pct: Decimal
    onboarding_minutes_per_user: int
    signal_mode: SignalMode
    signal_rate: Decimal | None
    number_cleaning_rate: Decimal | None
    appointment_fee: Decimal | None
    transcription_rate: Decimal | None


def version_of(row: AgencyContract) -> ContractVersion:
    """A stored contract row as the pages see it."""
    values = {f.name: getattr(row, f.name) for f in fields(ContractVersion)}
    values["signal_mode"] = SignalMode(row.signal_mode)
    return ContractVersion(**values)


def _rate(text: object, label: str, *, required: bool = True) -> Decimal | None:
    """A rate as a person typed it (``$150``, ``0.0150``): up to four decimals, not negative."""
    typed = "" if text is None else str(text).strip()
    if not typed:
        if required:
            raise FieldError(label, "is required")
        return None
    try:
        return parse_amount(typed, places=RATE_PLACES)
    except AmountError as error:
        raise FieldError(label, str(error)) from None


def _count(value: object, label: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        text = str(value).strip()
        if not text.isascii() or not text.isdigit():
            raise FieldError(label, f"must be a whole number of {minimum} or more, not {text!r}")
        value = int(text)
    if value < minimum:
        raise FieldError(label, f"must be {minimum} or more")
    if value > 10_000_000:
        raise FieldError(label, "is larger than any contract we bill")
    return value


def contract_history(viewer: Viewer, agency_id: str, *, sessions: SessionFactory = default_sessions) -> list[ContractVersion]:
    viewer.require(Permission.VIEW_INVOICES)
    viewer.require_agency(agency_id)
    with sessions() as session:
        return [version_of(row) for row in contracts.contract_history(session, agency_id)]


def add_contract_version(
    viewer: Viewer, *, agency_id: str, effective_from: date, user_fee: object, minimum_users: object,
    minute_rate: object, licensing_fee: object = "50.00", minute_block: object = 100, replenish_buffer_pct: object = "0",
    onboarding_minutes_per_user: object = 2500, signal_mode: SignalMode | str = SignalMode.NONE,
    signal_rate: object = None, number_cleaning_rate: object = None, appointment_fee: object = None,
    transcription_rate: object = None, sessions: SessionFactory = default_sessions,
) -> ContractVersion:
    """Add a version; every value is checked here, with the field's label,
    the same way for the Contracts page and for any other caller."""
    viewer.require(Permission.EDIT_CONTRACTS)
    require_within_a_year_of(effective_from, clock.billing_today(), "In force from")
    try:
        mode = SignalMode(signal_mode)
    except ValueError:
        raise FieldError("EH Signal", f"must be one of {', '.join(m.value for m in SignalMode)}, not {signal_mode!r}") from None
    def required(value: object, label: str) -> Decimal:
        rate = _rate(value, label)
        assert rate is not None  # required: _rate refused an empty value
        return rate

    user_fee_rate, minute = required(user_fee, "User fee"), required(minute_rate, "Minute rate")
    licensing, buffer = required(licensing_fee, "Licensing fee"), required(replenish_buffer_pct, "Replenishment buffer %")
    minimum, block = _count(minimum_users, "Minimum users", minimum=0), _count(minute_block, "Minute block", minimum=1)
    onboarding = _count(onboarding_minutes_per_user, "Onboarding minutes per user", minimum=0)
    signal = required(signal_rate, "Signal rate or flat amount") if mode is not SignalMode.NONE else None
    cleaning = _rate(number_cleaning_rate, "Number cleaning", required=False)
    appointment = _rate(appointment_fee, "Appointment fee", required=False)
    transcription = _rate(transcription_rate, "Transcription rate", required=False)
    with sessions() as session:
        row = contracts.add_contract_version(
            session, agency_id=agency_id.strip(), effective_from=effective_from, user_fee=user_fee_rate,
            minimum_users=minimum, minute_rate=minute, licensing_fee=licensing, minute_block=block,
            replenish_buffer_pct=buffer, onboarding_minutes_per_user=onboarding, signal_mode=str(mode), signal_rate=signal,
            number_cleaning_rate=cleaning, appointment_fee=appointment, transcription_rate=transcription, actor=viewer.email,
        )
        return version_of(row)
