"""Getting a database ready: migrate, reset, and seed the demo when it is empty."""

from __future__ import annotations

import logging
from collections.abc import Callable

from db.accounts import account_count
from db.engine import database_url, get_engine
from db.queries.agencies import agency_count
from db.reset import reset_database as _drop_and_migrate

from .clock import billing_today
from .demo import SeedOptions
from .demo import seed_demo as _seed_demo
from .unit_of_work import SessionFactory, default_sessions

log = logging.getLogger(__name__)


def ensure_database() -> None:
    """Connect to the configured database and migrate it to the newest schema."""
    get_engine()


def migrate_database() -> str:
    """Migrate the configured database (``manage.py migrate``); its URL, to say which."""
    get_engine()
    return database_url()


def reset_database() -> None:
    """Drop every table of the configured database and migrate again
    (``manage.py seed --reset``): deliberate, since issued invoices cannot
    be deleted any other way."""
    _drop_and_migrate(get_engine())


def database_is_empty(*, sessions: SessionFactory = default_sessions) -> bool:
    """No agencies and no accounts: the only database the demo may fill. A
    real install with its own accounts never gets the demo's, whose
    passwords are in the README."""
    with sessions() as session:
        return not agency_count(session=session) and not account_count(session=session)


def seed_demo(progress: Callable[[str, float], None] | None = None, *, sessions: SessionFactory = default_sessions) -> None:
    """Seed the demo portfolio as of today, all or nothing. If another process
    seeded it at the same moment, that is fine and said so in the log; any
    other failure is raised (the seed has put the database back to empty)."""
    try:
        _seed_demo(SeedOptions(today=billing_today()), sessions=sessions, progress=progress)
    except Exception:
        if database_is_empty(sessions=sessions):
            raise
        log.info("the demo portfolio was seeded by another process at the same time")
