"""The demo seed and the database set-up, through the services."""

from __future__ import annotations

import pytest

from services.demo import seed_demo
from services.setup import database_is_empty

from .conftest import SEED


def test_seeding_a_database_that_holds_agencies_is_refused(sessions):
    assert not database_is_empty(sessions=sessions)
    with pytest.raises(RuntimeError, match="already holds agencies"):
        seed_demo(SEED, sessions=sessions)
