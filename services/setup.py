"""Getting a database ready: migrate, and seed the demo when it is empty."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from db.engine import get_engine, session_scope
from db.models import Agency
from db.seed import SeedOptions, seed_database

from .clock import billing_today


def ensure_database() -> None:
    get_engine()


def database_is_empty() -> bool:
    with session_scope() as session:
        return not session.scalar(select(func.count()).select_from(Agency))


def seed_demo(progress: Callable[[str, float], None] | None = None) -> None:
    """Seed the demo portfolio; if another process got there first, fine."""
    try:
        seed_database(SeedOptions(today=billing_today()), progress=progress)
    except Exception:
        if database_is_empty():
            raise
