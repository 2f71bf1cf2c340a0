"""Getting a database ready: migrate, and seed the demo when it is empty."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import func, select

from db.engine import get_engine, session_scope
from db.models import Agency
from db.seed import SeedOptions, seed_database

from .clock import billing_today

log = logging.getLogger(__name__)


def ensure_database() -> None:
    get_engine()


def database_is_empty() -> bool:
    with session_scope() as session:
        return not session.scalar(select(func.count()).select_from(Agency))


def seed_demo(progress: Callable[[str, float], None] | None = None) -> None:
    """Seed the demo portfolio, all or nothing. If another process seeded it
    at the same moment, that is fine and said so in the log; any other
    failure is raised (the seed has already put the database back to empty)."""
    try:
        seed_database(SeedOptions(today=billing_today()), progress=progress)
    except Exception:
        if database_is_empty():
            raise
        log.info("the demo portfolio was seeded by another process at the same time")
