"""Dashboard accounts: roles, assignments and password checks.

Passwords are hashed with bcrypt and never logged. Wrong passwords are
remembered in ``login_failure`` so guessing is rate-limited across every app
instance sharing the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import bcrypt
from sqlalchemy import delete, func, select
from sqlmodel import Session

import clock

from . import audit
from .errors import FieldError, NotFound
from .models import Account, AccountAgency, Agency, LoginFailure

ROLES = ("finance", "account_manager", "ops", "agency_contact")  # services.access.Role is the enumeration; this is what the column holds
MAX_FAILURES = 5  # wrong passwords for one e-mail from one client within LOCKOUT
MAX_PER_CLIENT = 20  # attempts from one client, whatever the e-mail
MAX_PER_EMAIL = 50  # attempts at one e-mail from all clients together
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further; a longer password is refused, never cut short
MAX_EMAIL_LENGTH = 200  # the column's length
# A real hash of a random string: checking it costs what a real check costs,
# so an unknown e-mail cannot be told apart from a wrong password by timing.
_DUMMY_HASH = bcrypt.hashpw(b"not-a-password", bcrypt.gensalt()).decode()


class TooManyAttempts(FieldError):
    pass


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be set, in words, or None when it can."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        return (f"must be at most {MAX_PASSWORD_BYTES} bytes long: {MAX_PASSWORD_BYTES} plain letters, "
                "digits or punctuation, fewer with accents or symbols")
    return None


def hash_password(password: str) -> str:
    problem = password_problem(password)
    if problem is not None:
        raise FieldError("Password", problem)
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def _normal(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or any(ch.isspace() for ch in email):
        raise FieldError("E-mail", f"{email!r} is not an e-mail address")
    if len(email) > MAX_EMAIL_LENGTH:
        raise FieldError("E-mail", f"must be at most {MAX_EMAIL_LENGTH} characters")
    return email


def add_account(session: Session, *, email: str, name: str, role: str, password: str | None, actor: str) -> Account:
    email = _normal(email)
    if role not in ROLES:
        raise FieldError("Role", f"must be one of {', '.join(ROLES)}, not {role!r}")
    if session.get(Account, email) is not None:
        raise FieldError("E-mail", f"{email} already has an account")
    account = Account(email=email, name=name.strip() or email, role=role,
                      password_hash=hash_password(password) if password else None)
    session.add(account)
    session.flush()
    audit.record(session, actor=actor, action="add_account", subject=email, role=role)
    return account


def set_role(session: Session, *, email: str, role: str, actor: str) -> Account:
    account = get_account(session, email)
    if role not in ROLES:
        raise FieldError("Role", f"must be one of {', '.join(ROLES)}, not {role!r}")
    before = account.role
    account.role = role
    session.add(account)
    audit.record(session, actor=actor, action="change_role", subject=account.email, before=before, after=role)
    return account


def set_password(session: Session, *, email: str, password: str, actor: str) -> None:
    account = get_account(session, email)
    account.password_hash = hash_password(password)
    session.add(account)
    audit.record(session, actor=actor, action="set_password", subject=account.email)


def assign_agencies(session: Session, *, email: str, agency_ids: Iterable[str], actor: str) -> list[str]:
    account = get_account(session, email)
    added = []
    for agency_id in agency_ids:
        if session.get(Agency, agency_id) is None:
            raise FieldError("Agency", f"there is no agency {agency_id!r}")
        if session.get(AccountAgency, (account.email, agency_id)) is None:
            session.add(AccountAgency(email=account.email, agency_id=agency_id))
            added.append(agency_id)
    audit.record(session, actor=actor, action="assign_agencies", subject=account.email, added=added)
    return added


def account_count(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Account)) or 0


def find_account(session: Session, email: str) -> Account | None:
    return session.get(Account, email.strip().lower())


def get_account(session: Session, email: str) -> Account:
    account = session.get(Account, _normal(email))
    if account is None:
        raise NotFound(f"no account {email.strip()!r}")
    return account


def assigned_agencies(session: Session, email: str) -> frozenset[str]:
    return frozenset(session.scalars(select(AccountAgency.agency_id).where(AccountAgency.email == _normal(email))))


def record_attempt(session: Session, *, email: str, client: str) -> None:
    """Count a sign-in attempt *before* its password is checked, in its own
    transaction (the caller commits at once), so that thirty attempts sent
    together are thirty rows before any of them is evaluated. Rows older
    than the window are pruned on the way, so the table stays small."""
    now = clock.real_now()
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - LOCKOUT))
    session.add(LoginFailure(email=email.strip().lower()[:MAX_EMAIL_LENGTH], client=client[:64], at=now))


def attempts_exceeded(session: Session, *, email: str, client: str) -> bool:
    """Whether the attempts in the window, this one included, are over a
    limit: per e-mail from one client (``MAX_FAILURES``: someone guessing one
    password), per client (``MAX_PER_CLIENT``: someone trying many e-mails),
    or per e-mail from everywhere (``MAX_PER_EMAIL``: many clients at once)."""
    since = clock.real_now() - LOCKOUT
    email, client = email.strip().lower()[:MAX_EMAIL_LENGTH], client[:64]
    recent = select(func.count()).select_from(LoginFailure).where(LoginFailure.at >= since)
    by_pair = session.scalar(recent.where(LoginFailure.email == email, LoginFailure.client == client)) or 0
    by_client = session.scalar(recent.where(LoginFailure.client == client)) or 0 if client else 0
    by_email = session.scalar(recent.where(LoginFailure.email == email)) or 0
    return by_pair > MAX_FAILURES or by_client > MAX_PER_CLIENT or by_email > MAX_PER_EMAIL


def check_password(session: Session, *, email: str, password: str) -> Account | None:
    """The account if the password is right (its e-mail's attempts are then
    cleared), ``None`` if not. Counting happened before, in
    :func:`record_attempt`; a refused attempt never reaches bcrypt."""
    email = email.strip().lower()[:MAX_EMAIL_LENGTH + 1]
    account = session.get(Account, email)
    stored = account.password_hash if account and account.password_hash else _DUMMY_HASH
    typed = password.encode()
    if len(typed) > MAX_PASSWORD_BYTES:  # no stored password is this long; check the dummy so timing says nothing
        stored, typed = _DUMMY_HASH, typed[:MAX_PASSWORD_BYTES]
        account = None
    if bcrypt.checkpw(typed, stored.encode()) and account is not None and account.password_hash:
        session.execute(delete(LoginFailure).where(LoginFailure.email == email))
        return account
    return None
