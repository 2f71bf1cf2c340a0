"""Agencies and the contract terms in force, as domain values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from billing import Contract, Cycle

from .. import facts as stored
from ..models import Agency


@dataclass(frozen=True)
class AgencyRecord:
    """An agency as the services see it (not the ``agency`` row)."""

    id: str
    name: str
    onboarded_on: date
    address: str | None = None
    billing_email: str | None = None
    account_manager: str | None = None

    @property
    def first_cycle(self) -> Cycle:
        """The cycle whose closed period holds the onboarding date: its first invoice."""
        return Cycle.containing(self.onboarded_on)


_RECORD_COLUMNS = (Agency.id, Agency.name, Agency.onboarded_on, Agency.address, Agency.billing_email,
                   Agency.account_manager)


def agency_records(*, session: Session, agency_ids: Sequence[str] | None = None) -> list[AgencyRecord]:
    """Every (or the given) agency, by id: the six columns, not ORM rows (every
    portfolio page reads all agencies, several times at 5,000 of them)."""
    query = select(*_RECORD_COLUMNS).order_by(Agency.id)
    if agency_ids is not None:
        query = query.where(Agency.id.in_(list(agency_ids)))  # type: ignore[attr-defined]
    return [AgencyRecord(*row) for row in session.execute(query)]


def agency_record(*, session: Session, agency_id: str) -> AgencyRecord | None:
    found = agency_records(session=session, agency_ids=[agency_id])
    return found[0] if found else None


def agency_count(*, session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Agency)) or 0)


def contract_terms_in_force(*, session: Session, agency_ids: Sequence[str] | None, on: date) -> dict[str, Contract]:
    """The terms of the contract in force on ``on`` (an invoice date) per agency."""
    return {agency_id: stored.contract_terms(row) for agency_id, row in stored.contracts_in_force(session, agency_ids, on).items()}
