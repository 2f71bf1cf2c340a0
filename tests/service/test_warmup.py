"""The warm-up before a new server accepts anyone (``manage.py serve``)."""

from __future__ import annotations

import pytest

from services import portfolio, reporting, warmup
from services.fact_cache import CACHE

from .conftest import FINANCE, SEED, TODAY


@pytest.fixture
def empty_cache():
    CACHE.clear()
    yield CACHE
    CACHE.clear()


def test_after_the_warm_up_the_first_overview_prices_no_agency(sessions, empty_cache):
    done = warmup.warm_up(TODAY, sessions=sessions)
    assert done.agencies == SEED.agencies and not done.failed
    missed = empty_cache.stats().misses
    first = portfolio.overview(FINANCE, TODAY, sessions=sessions)
    assert empty_cache.stats().misses == missed  # everything the first sign-in needs was kept
    assert first.portfolio is not None and first.portfolio.rows


def test_what_the_warm_up_kept_equals_what_a_fresh_process_computes(sessions, empty_cache):
    warmup.warm_up(TODAY, sessions=sessions)
    kept = portfolio.overview(FINANCE, TODAY, sessions=sessions), reporting.receivables(FINANCE, TODAY, sessions=sessions)
    empty_cache.clear()
    assert (portfolio.overview(FINANCE, TODAY, sessions=sessions),
            reporting.receivables(FINANCE, TODAY, sessions=sessions)) == kept


def test_a_failing_step_is_reported_and_the_others_still_run(sessions, empty_cache, monkeypatch):
    def refused(*args, **kwargs):
        raise RuntimeError("invoice INV-2026-10-A-1001 does not match its content hash\nmore detail")

    monkeypatch.setattr(warmup.review, "review_cycle", refused)
    done = warmup.warm_up(TODAY, sessions=sessions)
    (failed,) = done.failed
    assert failed.name == "the review of 2026-11"
    assert failed.error == "invoice INV-2026-10-A-1001 does not match its content hash"
    assert [step.name for step in done.steps][-1] == "receivables at the month ends"


def test_progress_names_each_step_and_ends_full(sessions, empty_cache):
    said: list[tuple[str, float]] = []
    warmup.warm_up(TODAY, sessions=sessions, progress=lambda message, fraction: said.append((message, fraction)))
    assert said[0] == ("warming up: the overview (both cycles priced, statuses)", 0.0)
    assert said[-1] == (f"warmed up {SEED.agencies} agencies", 1.0)
    assert [fraction for _, fraction in said] == sorted(fraction for _, fraction in said)
