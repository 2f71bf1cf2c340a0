"""Dashboard accounts: signing in (OIDC e-mail or local password) to the
:class:`Viewer` every service checks, and managing accounts (finance and
``manage.py user``), one road for both."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import clock
from db import accounts, audit
from db import sign_in_sessions as sign_ins
from db.models import Account

from .access import Permission, Role, Viewer
from .errors import FieldError
from .unit_of_work import SessionFactory, default_sessions

MAX_NAME_LENGTH = 200
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountInfo:
    email: str
    name: str
    role: Role
    password_set: bool


def _stamp(account: Account, assigned: frozenset[str]) -> str:
    """Changes whenever the role, the assigned agencies or the password do,
    and says nothing about the password itself."""
    material = "\n".join([account.role, account.password_hash or "", *sorted(assigned)])
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def _viewer(account: Account, assigned: frozenset[str]) -> Viewer:
    role = Role(account.role)
    if role is Role.AGENCY_CONTACT and len(assigned) > 1:  # never more than one agency, whatever the table holds
        assigned = frozenset()
    return Viewer(account.email, account.name, role, assigned if role.scoped else None,
                  stamp=_stamp(account, assigned))


def still_signed_in(viewer: Viewer, *, sessions: SessionFactory = default_sessions) -> bool:
    """Whether a signed-in session may go on: the account still exists and
    its role, assigned agencies and password are what they were at sign-in.
    Checked on every page run (one primary-key read and one small query), so
    a demotion, a new assignment or a password reset ends open sessions at
    their next click."""
    if not viewer.stamp:  # made in-process (the command line, tests), not by signing in: nothing to compare
        return True
    fresh = viewer_for_email(viewer.email, sessions=sessions)
    return fresh is not None and fresh.stamp == viewer.stamp


def _info(account: Account) -> AccountInfo:
    return AccountInfo(account.email, account.name, Role(account.role), bool(account.password_hash))


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise FieldError("Role", f"must be one of {', '.join(r.value for r in Role)}, not {role!r}") from None


def sign_in_with_password(
    email: str, password: str, *, client: str = "", sessions: SessionFactory = default_sessions,
) -> Viewer:
    """The viewer for a right password; a ``FieldError`` otherwise (a wrong
    password and an unknown e-mail get the same answer, in the same time).

    Every attempt is counted before it is checked (see
    :func:`db.accounts.record_attempt`); past the limits it is refused
    without evaluating the password, right or wrong.
    """
    if not email.strip() or not password:
        raise FieldError("E-mail", "enter your e-mail and password")
    with sessions() as session:
        accounts.record_attempt(session, email=email, client=client)
    typed = email.strip().lower()[:accounts.MAX_EMAIL_LENGTH]
    with sessions() as session:
        if accounts.attempts_exceeded(session, email=email, client=client):
            log.warning("sign-in refused, too many attempts: %s from %s", typed, client or "?")
            audit.record(session, actor="anonymous", action="sign_in_locked", subject=typed, client=client)
            locked = True
        else:
            locked = False
            account = accounts.check_password(session, email=email, password=password)
            assigned = accounts.assigned_agencies(session, account.email) if account else frozenset()
            if account is None:
                audit.record(session, actor="anonymous", action="sign_in_failed", subject=typed, client=client)
            else:
                audit.record(session, actor=account.email, action="sign_in", subject=account.email, client=client)
    if locked:
        raise accounts.TooManyAttempts("Password", "too many wrong passwords; try again in 15 minutes")
    if account is None:
        log.warning("sign-in failed: wrong e-mail or password for %s", typed)
        raise FieldError("Password", "wrong e-mail or password")
    log.info("signed in: %s (%s)", account.email, account.role)
    return _viewer(account, assigned)


def viewer_for_email(email: str, *, sessions: SessionFactory = default_sessions) -> Viewer | None:
    """The viewer for an e-mail confirmed by the identity provider, or None
    when that person has no account here (signed in, but not let in)."""
    normal = email.strip().lower()
    if not normal or len(normal) > accounts.MAX_EMAIL_LENGTH:
        return None
    with sessions() as session:
        account = accounts.find_account(session, normal)
        if account is None:
            return None
        return _viewer(account, accounts.assigned_agencies(session, account.email))


def add_account(
    viewer: Viewer, *, email: str, role: Role | str, name: str = "", password: str | None,
    agency: str | None = None, sessions: SessionFactory = default_sessions,
) -> AccountInfo:
    """A new account; ``password=None`` for one that signs in through OIDC only.

    An agency contact is scoped to exactly one agency, named by ``agency``
    and assigned in the same transaction, so no contact ever exists that
    sees nothing or more than its own agency."""
    viewer.require(Permission.MANAGE_ACCOUNTS)
    chosen = _role(role)
    name = " ".join(name.split())
    if len(name) > MAX_NAME_LENGTH:
        raise FieldError("Name", f"must be at most {MAX_NAME_LENGTH} characters")
    agency = (agency or "").strip() or None
    if chosen is Role.AGENCY_CONTACT and agency is None:
        raise FieldError("Agency", "an agency contact needs the one agency it belongs to (--agency A-1001)")
    if agency is not None and not chosen.scoped:
        raise FieldError("Agency", f"{chosen.label} accounts see every agency; only contacts and managers are assigned one")
    with sessions() as session:
        account = accounts.add_account(session, email=email, name=name or email.strip().lower(), role=chosen.value,
                                       password=password, actor=viewer.email)
        if agency is not None:
            accounts.assign_agencies(session, email=account.email, agency_ids=[agency], actor=viewer.email)
        info = _info(account)
    log.info("account added: %s as %s by %s", info.email, info.role, viewer.email)
    return info


def set_role(viewer: Viewer, *, email: str, role: Role | str, sessions: SessionFactory = default_sessions) -> AccountInfo:
    viewer.require(Permission.MANAGE_ACCOUNTS)
    chosen = _role(role)
    with sessions() as session:
        info = _info(accounts.set_role(session, email=email, role=chosen.value, actor=viewer.email))
        sign_ins.end_all(session, email=info.email, at=clock.real_now(), because="account changed")
    log.info("role changed: %s is now %s, by %s", info.email, info.role, viewer.email)
    return info


def set_password(viewer: Viewer, *, email: str, password: str, sessions: SessionFactory = default_sessions) -> None:
    viewer.require(Permission.MANAGE_ACCOUNTS)
    with sessions() as session:
        accounts.set_password(session, email=email, password=password, actor=viewer.email)
        sign_ins.end_all(session, email=email.strip().lower(), at=clock.real_now(), because="account changed")
    log.info("password set for %s by %s", email.strip().lower(), viewer.email)


def assign_agencies(
    viewer: Viewer, *, email: str, agency_ids: Iterable[str], sessions: SessionFactory = default_sessions,
) -> list[str]:
    """Assign agencies to an account manager (or the one agency of an agency
    contact); returns the ones newly assigned."""
    viewer.require(Permission.MANAGE_ACCOUNTS)
    wanted = [a.strip() for a in agency_ids]
    with sessions() as session:
        role = Role(accounts.get_account(session, email).role)
        if not role.scoped:
            raise FieldError("E-mail", f"{email.strip().lower()} is not an account manager; only they have assigned agencies")
        if role is Role.AGENCY_CONTACT and len(accounts.assigned_agencies(session, email) | set(wanted)) > 1:
            raise FieldError("Agency", "an agency contact belongs to exactly one agency")
        added = accounts.assign_agencies(session, email=email, agency_ids=wanted, actor=viewer.email)
        if added:
            sign_ins.end_all(session, email=email.strip().lower(), at=clock.real_now(), because="account changed")
        return added
