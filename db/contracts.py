"""Contract versions: rates change by adding a version with a later
``effective_from``; an invoice uses the version in force on its invoice date.

A version may not take effect on or before an issued invoice's date: that
would re-price an invoice that can never change. The check holds the
billing-facts lock (:mod:`db.locks`), so a cycle being issued right now is
either issued before it (and the version refused) or after it (and priced
with it).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session

from billing.facts import SignalMode

from . import audit
from .errors import FieldError
from .locks import lock_billing_facts
from .models import Agency, AgencyContract, Invoice

SIGNAL_MODES = tuple(str(mode) for mode in SignalMode)


def contract_history(session: Session, agency_id: str) -> list[AgencyContract]:
    return list(session.scalars(
        select(AgencyContract).where(AgencyContract.agency_id == agency_id).order_by(AgencyContract.effective_from)
    ))


def add_contract_version(
    session: Session, *, agency_id: str, effective_from: date, user_fee: Decimal, minimum_users: int,
    minute_rate: Decimal, licensing_fee: Decimal, minute_block: int, replenish_buffer_pct: Decimal,
    onboarding_minutes_per_user: int, signal_mode: str, signal_rate: Decimal | None,
    number_cleaning_rate: Decimal | None, appointment_fee: Decimal | None, transcription_rate: Decimal | None, actor: str,
) -> AgencyContract:
    """Store a version whose values :mod:`services.contracts` has checked;
    the rules that need the stored facts are enforced here, in the same
    transaction as the insert and its audit entry."""
    lock_billing_facts(session)  # before the last issued invoice is read
    if session.get(Agency, agency_id) is None:
        raise FieldError("Agency", f"there is no agency {agency_id!r}")
    last_issued = session.scalar(select(func.max(Invoice.invoice_date)).where(Invoice.agency_id == agency_id))
    if last_issued is not None and effective_from <= last_issued:
        raise FieldError("In force from", f"must be after {last_issued.isoformat()}, the date of the last issued "
                                          "invoice: issued invoices never change")
    if session.scalar(select(AgencyContract.id).where(AgencyContract.agency_id == agency_id,
                                                      AgencyContract.effective_from == effective_from)):
        raise FieldError("In force from", f"a version already takes effect on {effective_from.isoformat()}")
    if signal_mode not in SIGNAL_MODES:
        raise FieldError("EH Signal", f"must be one of {', '.join(SIGNAL_MODES)}, not {signal_mode!r}")
    if signal_mode != SignalMode.NONE and signal_rate is None:
        raise FieldError("Signal rate or flat amount", "is required with EH Signal")
    row = AgencyContract(
        agency_id=agency_id, effective_from=effective_from, user_fee=user_fee, minimum_users=minimum_users,
        minute_rate=minute_rate, licensing_fee=licensing_fee, minute_block=minute_block,
        replenish_buffer_pct=replenish_buffer_pct, onboarding_minutes_per_user=onboarding_minutes_per_user,
        signal_mode=signal_mode, signal_rate=signal_rate if signal_mode != SignalMode.NONE else None,
        number_cleaning_rate=number_cleaning_rate, appointment_fee=appointment_fee, transcription_rate=transcription_rate,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="add_contract_version", subject=agency_id,
                 effective_from=effective_from.isoformat(), user_fee=str(row.user_fee), minimum_users=minimum_users,
                 minute_rate=str(row.minute_rate), signal=f"{signal_mode} {row.signal_rate or ''}".strip())
    return row
