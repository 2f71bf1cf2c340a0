"""Contracts: the history of an agency's terms, and new versions (finance)."""

from __future__ import annotations

from datetime import date
from typing import Any

from db import contracts
from db.engine import session_scope
from db.models import AgencyContract

from .access import Permission, Viewer


def contract_history(viewer: Viewer, agency_id: str) -> list[AgencyContract]:
    viewer.require(Permission.VIEW_INVOICES)
    viewer.require_agency(agency_id)
    with session_scope() as session:
        return contracts.contract_history(session, agency_id)


def add_contract_version(viewer: Viewer, *, agency_id: str, effective_from: date, **terms: Any) -> AgencyContract:
    viewer.require(Permission.EDIT_CONTRACTS)
    with session_scope() as session:
        return contracts.add_contract_version(session, agency_id=agency_id, effective_from=effective_from,
                                              actor=viewer.email, **terms)
