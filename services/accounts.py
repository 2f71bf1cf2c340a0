"""Signing in: from an e-mail (OIDC) or e-mail and password (local
accounts) to the :class:`Viewer` every service checks."""

from __future__ import annotations

from db import accounts
from db.engine import session_scope
from db.errors import FieldError
from db.models import Account

from .access import Role, Viewer


def _viewer(account: Account, assigned: frozenset[str]) -> Viewer:
    role = Role(account.role)
    return Viewer(account.email, account.name, role, assigned if role is Role.ACCOUNT_MANAGER else None)


def sign_in_with_password(email: str, password: str) -> Viewer:
    """The viewer for a right password; a ``FieldError`` otherwise."""
    if not email.strip() or not password:
        raise FieldError("email", "enter your e-mail and password")
    with session_scope() as session:
        account = accounts.check_password(session, email=email, password=password)
        assigned = accounts.assigned_agencies(session, account.email) if account else frozenset()
    if account is None:
        raise FieldError("password", "wrong e-mail or password")
    return _viewer(account, assigned)


def viewer_for_email(email: str) -> Viewer | None:
    """The viewer for an e-mail confirmed by the identity provider, or None
    when that person has no account here (signed in, but not let in)."""
    with session_scope() as session:
        account = session.get(Account, email.strip().lower())
        if account is None:
            return None
        return _viewer(account, accounts.assigned_agencies(session, account.email))
