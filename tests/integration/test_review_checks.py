"""Every review check of tests/service/test_review.py, each on the case built
for it and quiet on the clean preview, and the review of a cycle in
progress (the forecast at cutoff), on SQLite **and** PostgreSQL (the
service tests run them on SQLite only, fast). The cases are imported, not
copied: one definition of each case, run here with this module's fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from pg import drop_database
from seeded import seed_postgres_template, seed_sqlite_template, seeded_copy
from service import test_review as cases  # tests/service/test_review.py
from service.conftest import SEED, TODAY

from db.engine import dispose_engines, get_engine
from services.unit_of_work import sessions_for

CHECK_CASES = [
    "test_a_clean_preview_has_no_finding",
    "test_a_total_that_moved_is_blocking_and_names_the_lines_that_moved_it",
    "test_the_change_thresholds_are_settings",
    "test_seats_billed_far_from_the_users_who_called",
    "test_a_minimum_binding_for_several_cycles",
    "test_a_negative_bank_and_a_replenishment_far_from_its_trend",
    "test_a_used_service_without_a_rate_blocks",
    "test_a_rate_without_usage",
    "test_no_calls_for_the_last_days_before_the_cutoff_is_late_data",
    "test_an_agency_onboarded_in_the_period",
    "test_an_open_previous_bill_and_a_restricted_agency",
    "test_facts_of_the_issued_previous_cycle_imported_late_are_import_warnings",
    "test_an_agency_without_a_billing_contact_blocks",
    "test_an_acknowledgement_covers_the_numbers_it_saw_only",
    "test_review_of_a_cycle_in_progress_compares_the_forecast_at_cutoff",
    "test_usage_findings_of_a_cycle_in_progress_say_they_read_the_forecast_at_cutoff",
    "test_a_cycle_in_progress_has_no_late_data_until_its_cutoff",
    "test_the_cycle_after_the_running_one_is_checked_against_the_running_ones_forecast",
    "test_an_approval_before_the_cutoff_is_of_the_preview_so_far_and_goes_stale_when_facts_change",
]
globals().update({name: getattr(cases, name) for name in CHECK_CASES})


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory) -> Path:
    return seed_sqlite_template(tmp_path_factory.mktemp("review-checks") / "template.db", SEED)


@pytest.fixture(scope="module")
def postgres_template(postgres_url) -> str:
    yield seed_postgres_template(postgres_url, "review_checks_template", SEED)
    drop_database(postgres_url, "review_checks_template")


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path, monkeypatch):
    monkeypatch.setenv("BILLING_TODAY", TODAY.isoformat())
    yield get_engine(seeded_copy(request, tmp_path, "review_checks"))
    dispose_engines()


@pytest.fixture
def sessions(engine):
    return sessions_for(engine)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setenv("BILLING_TODAY", TODAY.isoformat())
    return TODAY
