"""Where a use case gets its database session.

Every service takes ``sessions``, a factory of one-transaction sessions
(commit on success, roll back on error), so the same use case runs on the
app's database in production and on a throwaway engine in a test, with no
process-global state and no Streamlit (cosmicpython's service layer).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy.engine import Engine
from sqlmodel import Session

from db.engine import session_scope

SessionFactory = Callable[[], AbstractContextManager[Session]]

__all__ = ["SessionFactory", "default_sessions", "sessions_for"]


def default_sessions() -> AbstractContextManager[Session]:
    """A transaction on the configured database (``DATABASE_URL``)."""
    return session_scope()


def sessions_for(engine: Engine) -> SessionFactory:
    """A factory of transactions on ``engine`` (tests, the seed, benchmarks)."""
    return lambda: session_scope(engine)
