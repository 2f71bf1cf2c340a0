"""Drop everything and migrate again (``manage.py seed --reset``, tests).

Issued invoices refuse DELETE by trigger; dropping the tables is the one
way to start over, and it is meant to be deliberate.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from .migrate import upgrade_to_head


def reset_database(engine: Engine) -> None:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        else:
            SQLModel.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade_to_head(engine)
