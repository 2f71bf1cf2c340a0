"""Contract versions: rates change by adding a version with a later
``effective_from``; an invoice uses the version in force on its invoice date.

A version may not take effect on or before an issued invoice's date: that
would re-price an invoice that can never change.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session

from . import audit
from .errors import FieldError
from .models import Agency, AgencyContract, Invoice
from .types import RATE_PLACES, to_exact_decimal

SIGNAL_MODES = ("none", "per_user", "flat")


def _rate(value: object, field: str, *, required: bool = True) -> Decimal | None:
    text = "" if value is None else str(value).strip().removeprefix("$")
    if not text:
        if required:
            raise FieldError(field, "is required")
        return None
    try:
        rate = to_exact_decimal(text, RATE_PLACES)
    except ValueError as error:
        raise FieldError(field, str(error)) from None
    if rate < 0:
        raise FieldError(field, f"must not be negative, got {text}")
    return rate


def contract_history(session: Session, agency_id: str) -> list[AgencyContract]:
    return list(session.scalars(
        select(AgencyContract).where(AgencyContract.agency_id == agency_id).order_by(AgencyContract.effective_from)
    ))


def add_contract_version(
    session: Session, *, agency_id: str, effective_from: date, user_fee: object, minimum_users: int,
    minute_rate: object, licensing_fee: object = "50.00", minute_block: int = 100, replenish_buffer_pct: object = "0",
    onboarding_minutes_per_user: int = 2500, signal_mode: str = "none", signal_rate: object = None,
    number_cleaning_rate: object = None, appointment_fee: object = None, transcription_rate: object = None, actor: str,
) -> AgencyContract:
    if session.get(Agency, agency_id) is None:
        raise FieldError("agency", f"no agency {agency_id!r}")
    last_issued = session.scalar(select(func.max(Invoice.invoice_date)).where(Invoice.agency_id == agency_id))
    if last_issued is not None and effective_from <= last_issued:
        raise FieldError("effective_from", f"must be after {last_issued.isoformat()}, the date of the last issued "
                                           "invoice: issued invoices never change")
    if session.scalar(select(AgencyContract.id).where(AgencyContract.agency_id == agency_id,
                                                      AgencyContract.effective_from == effective_from)):
        raise FieldError("effective_from", f"a version already takes effect on {effective_from.isoformat()}")
    if signal_mode not in SIGNAL_MODES:
        raise FieldError("signal_mode", f"must be one of {', '.join(SIGNAL_MODES)}, got {signal_mode!r}")
    if minimum_users < 0:
        raise FieldError("minimum_users", "must be 0 or more")
    if minute_block < 1:
        raise FieldError("minute_block", "must be at least 1")
    row = AgencyContract(
        agency_id=agency_id, effective_from=effective_from,
        user_fee=_rate(user_fee, "user_fee"), minimum_users=minimum_users, minute_rate=_rate(minute_rate, "minute_rate"),
        licensing_fee=_rate(licensing_fee, "licensing_fee"), minute_block=minute_block,
        replenish_buffer_pct=_rate(replenish_buffer_pct, "replenish_buffer_pct"),
        onboarding_minutes_per_user=onboarding_minutes_per_user, signal_mode=signal_mode,
        signal_rate=_rate(signal_rate, "signal_rate", required=signal_mode != "none") if signal_mode != "none" else None,
        number_cleaning_rate=_rate(number_cleaning_rate, "number_cleaning_rate", required=False),
        appointment_fee=_rate(appointment_fee, "appointment_fee", required=False),
        transcription_rate=_rate(transcription_rate, "transcription_rate", required=False),
    )
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="add_contract_version", subject=agency_id,
                 effective_from=effective_from.isoformat(), user_fee=str(row.user_fee), minimum_users=minimum_users,
                 minute_rate=str(row.minute_rate), signal=f"{signal_mode} {row.signal_rate or ''}".strip())
    return row
