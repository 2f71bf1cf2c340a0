"""An agency's contacts: who receives reminders, invoices, receipts and
overdue notices. ``agency.billing_email`` (from the agencies import) counts
as a billing contact beside the ``contact`` rows; an agency with neither is
*flagged* wherever messages are listed, never silently left out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from db import audit
from db.queries import messages as stored
from db.queries.agencies import agency_record

from .access import Permission, Viewer
from .errors import FieldError, NotFound
from .unit_of_work import SessionFactory, default_sessions

_EMAIL = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+")


class ContactKind(StrEnum):
    BILLING = "billing"  # reminders, invoices, receipts, overdue notices
    OPS = "ops"  # overdue and restriction notices too (their dialers stop)
    ACCOUNT_OWNER = "account_owner"  # kept for reference; receives nothing automatically

    @property
    def label(self) -> str:
        return {"billing": "Billing", "ops": "Ops", "account_owner": "Account owner"}[self.value]


@dataclass(frozen=True)
class AgencyContact:
    id: int | None  # None: the agency's billing e-mail (edit it with the agencies import)
    agency_id: str
    name: str
    email: str
    kind: ContactKind

    @property
    def from_agency_record(self) -> bool:
        return self.id is None


def _contact(record: stored.ContactRecord) -> AgencyContact:
    return AgencyContact(record.id, record.agency_id, record.name, record.email, ContactKind(record.kind))


def contacts_in(session, agency_ids: Sequence[str] | None = None) -> dict[str, list[AgencyContact]]:  # type: ignore[no-untyped-def]
    """Inside a caller's transaction: every contact per agency."""
    return {a: [_contact(c) for c in found] for a, found in stored.contacts(session=session, agency_ids=agency_ids).items()}


def recipients_of(contacts: Sequence[AgencyContact], kinds: Sequence[ContactKind]) -> tuple[str, ...]:
    """The distinct addresses of the contacts of ``kinds``, in order."""
    seen: list[str] = []
    for contact in contacts:
        if contact.kind in kinds and contact.email not in seen:
            seen.append(contact.email)
    return tuple(seen)


def agency_contacts(viewer: Viewer, agency_id: str, *, sessions: SessionFactory = default_sessions) -> list[AgencyContact]:
    viewer.require(Permission.VIEW_MESSAGES)
    viewer.require_agency(agency_id)
    with sessions() as session:
        return contacts_in(session, [agency_id]).get(agency_id, [])


def add_contact(viewer: Viewer, *, agency_id: str, email: str, kind: str, name: str = "",
                sessions: SessionFactory = default_sessions) -> AgencyContact:
    """Add a contact (audited); adding the same one again changes nothing."""
    viewer.require(Permission.MANAGE_MESSAGES)
    address = email.strip().lower()
    if not _EMAIL.fullmatch(address) or len(address) > 200:
        raise FieldError("E-mail", f"{email.strip()[:80]!r} is not an e-mail address")
    try:
        contact_kind = ContactKind(kind)
    except ValueError:
        raise FieldError("Kind", f"{kind!r} is not one of {', '.join(k.value for k in ContactKind)}") from None
    name = " ".join(name.split())[:200]
    with sessions() as session:
        if agency_record(session=session, agency_id=agency_id) is None:
            raise NotFound(f"no agency {agency_id!r}")
        added = stored.add_contact(session=session, agency_id=agency_id, name=name, email=address, kind=contact_kind.value)
        if added is not None:
            audit.record(session, actor=viewer.email, action="add_contact", subject=agency_id,
                         email=address, kind=contact_kind.value, name=name)
            return _contact(added)
    return AgencyContact(None, agency_id, name, address, contact_kind)


def remove_contact(viewer: Viewer, *, contact_id: int, sessions: SessionFactory = default_sessions) -> AgencyContact:
    viewer.require(Permission.MANAGE_MESSAGES)
    with sessions() as session:
        removed = stored.remove_contact(session=session, contact_id=contact_id)
        if removed is None:
            raise NotFound(f"no contact {contact_id}")
        audit.record(session, actor=viewer.email, action="remove_contact", subject=removed.agency_id,
                     email=removed.email, kind=removed.kind)
        return _contact(removed)
