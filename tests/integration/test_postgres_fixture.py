"""The database fixtures themselves: both kinds connect, are empty, keep exact decimals."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Numeric,
    Table,
    create_engine,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url


@pytest.fixture
def engine(database_url: str):
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def test_select_one(engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_database_starts_empty(engine) -> None:
    assert inspect(engine).get_table_names() == []


def test_numeric_round_trip_is_exact(engine) -> None:
    """NUMERIC(18,4) gives back the Decimal we stored.

    On SQLite, SQLAlchemy's ``Numeric`` goes through a float, so only values
    within float precision survive there (which is why the data layer keeps
    money as text on SQLite); PostgreSQL must keep all 18 digits.
    """
    metadata = MetaData()
    amounts = Table(
        "amounts",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("value", Numeric(18, 4, asdecimal=True), nullable=False),
    )
    metadata.create_all(engine)
    values = [Decimal("0.0125"), Decimal("1234.5678"), Decimal("-0.0001")]
    if engine.dialect.name == "postgresql":
        values.append(Decimal("12345678901234.5678"))
    with engine.begin() as conn:
        conn.execute(amounts.insert(), [{"value": v} for v in values])
    with engine.connect() as conn:
        stored = conn.execute(select(amounts.c.value).order_by(amounts.c.id)).scalars().all()
    assert stored == values
    assert all(isinstance(v, Decimal) for v in stored)
    assert str(stored[0].normalize()) == "0.0125"


def test_database_url_kind(request: pytest.FixtureRequest, database_url: str) -> None:
    kind = request.node.callspec.params["database_url"]
    backend = make_url(database_url).get_backend_name()
    assert backend == kind
    has_postgres_marker = request.node.get_closest_marker("postgres") is not None
    assert has_postgres_marker == (kind == "postgresql")
    assert request.node.get_closest_marker("integration") is not None


@pytest.mark.postgres
def test_fresh_databases_are_distinct(fresh_postgres_database) -> None:
    first_url = fresh_postgres_database()
    second_url = fresh_postgres_database()
    assert make_url(first_url).database != make_url(second_url).database

    first = create_engine(first_url)
    second = create_engine(second_url)
    try:
        with first.begin() as conn:
            conn.execute(text("CREATE TABLE only_in_first (id int)"))
            name = conn.execute(text("SELECT current_database()")).scalar_one()
            assert name == make_url(first_url).database
        assert inspect(second).get_table_names() == []
        assert inspect(first).get_table_names() == ["only_in_first"]
    finally:
        first.dispose()
        second.dispose()


def test_fresh_databases_are_dropped(postgres_url: str, fresh_postgres_database) -> None:
    """The factory's databases go away at teardown (checked via the pg catalog)."""
    # Create one here; the check that earlier tests' databases are gone is
    # that only the session database and this one exist besides the defaults.
    url = fresh_postgres_database()
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            names = set(
                conn.execute(
                    text("SELECT datname FROM pg_database WHERE datname LIKE 'test\\_%'")
                ).scalars()
            )
    finally:
        engine.dispose()
    assert make_url(url).database in names
    if not os.environ.get("TEST_POSTGRES_URL"):  # a shared server may hold others
        # Only this test's database may exist: every previous test dropped its own.
        assert names == {make_url(url).database}
