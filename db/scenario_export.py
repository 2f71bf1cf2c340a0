"""Export the stored facts of (agency, cycle) as a scenario file, so any
preview can be reproduced outside the app with ``python -m billing invoice``.

Calls are exported as one record per day of the closed period from the daily
rollup (``user`` is ``"(day total)"``, the duration is the day's billable
minutes × 60): the rollup is what billing reads, and each day's record rounds
up to exactly its minutes, so the scenario prices to the same invoice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session

from billing import InvoiceFacts
from billing.scenario import facts_to_scenario

from .models import Appointment, CallDay, DialingNumber

DAY_TOTAL_USER = "(day total)"


def scenario_document(*, session: Session, facts: InvoiceFacts) -> dict[str, Any]:
    """``facts`` (the engine's input for one agency and cycle, see
    :func:`services.previews.live_facts_in`) with the stored calls, numbers and
    appointments of its closed period, as a scenario file."""
    agency_id, period = facts.agency_id, facts.cycle.closed_period
    days = session.scalars(
        select(CallDay)
        .where(CallDay.agency_id == agency_id, CallDay.day >= period.start, CallDay.day <= period.end)
        .order_by(CallDay.day)
    )
    calls = [
        {"user": DAY_TOTAL_USER, "date": d.day.isoformat(), "duration_seconds": d.billable_minutes * 60,
         "transcribed_seconds": d.transcribed_seconds}
        for d in days
        if d.calls or d.billable_minutes or d.transcribed_seconds
    ]
    numbers = session.scalars(
        select(DialingNumber)
        .where(
            DialingNumber.agency_id == agency_id,
            DialingNumber.active_from <= period.end,
            or_(DialingNumber.active_to.is_(None), DialingNumber.active_to > period.start),  # type: ignore[union-attr]
        )
        .order_by(DialingNumber.number, DialingNumber.active_from)
    )
    appointments = session.scalars(
        select(Appointment)
        .where(Appointment.agency_id == agency_id, Appointment.day >= period.start, Appointment.day <= period.end)
        .order_by(Appointment.day, Appointment.appointment_id)
    )
    return facts_to_scenario(
        facts,
        calls=calls,
        numbers=[
            {"number": n.number, "active_from": n.active_from.isoformat(),
             "active_to": n.active_to.isoformat() if n.active_to else None}
            for n in numbers
        ],
        appointments=[{"id": a.appointment_id, "date": a.day.isoformat(), "status": a.status} for a in appointments],
    )
