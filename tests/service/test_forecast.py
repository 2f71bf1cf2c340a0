"""A preview knows where it stands: in progress before its cutoff (so far,
and forecast at cutoff), final after it; cycles outside the agency's range are refused."""

from __future__ import annotations

from datetime import date

import pytest

from billing import Cycle, invoice_to_json
from billing.forecast import standing
from db.models import CallDay
from services.errors import FieldError
from services.previews import (
    forecast_invoice,
    forecast_json,
    invoice_json,
    previewable_cycles,
    require_previewable,
)

from .conftest import NOVEMBER, TODAY

DECEMBER = Cycle.parse("2026-12")


def test_a_cycle_is_in_progress_until_its_cutoff_and_final_the_day_after():
    assert standing(DECEMBER, date(2026, 11, 24)).state == "not_started"
    assert standing(DECEMBER, date(2026, 12, 1)).days_elapsed == 7
    assert standing(DECEMBER, date(2026, 12, 23)).state == "in_progress"
    assert standing(DECEMBER, date(2026, 12, 24)).state == "final"
    assert standing(DECEMBER, date(2026, 12, 1)).label == "In progress: 7 of 30 days elapsed"


def test_a_mid_period_preview_is_labelled_in_progress_in_the_service_and_the_json(sessions, pinned_today):
    result = forecast_invoice("A-1001", DECEMBER, TODAY, sessions=sessions)
    assert result.standing.state == "in_progress" and result.standing.days_elapsed == 1 and not result.is_final
    assert "forecast" in result.basis and set(result.basis) == {"actual", "forecast"}
    document = invoice_json("A-1001", DECEMBER, TODAY, sessions=sessions)
    assert document["standing"]["state"] == "in_progress" and document["standing"]["days_elapsed"] == 1
    both = forecast_json("A-1001", DECEMBER, TODAY, sessions=sessions)
    assert list(both) == ["so_far", "forecast", "days_elapsed", "days"]
    assert (both["days_elapsed"], both["days"]) == (1, 30)
    assert both["so_far"]["total"] == document["total"]
    assert both["forecast"]["minute_bank"]["minutes_used"] > both["so_far"]["minute_bank"]["minutes_used"]


def test_after_the_cutoff_the_preview_is_final_and_so_far_equals_the_forecast(sessions, pinned_today):
    both = forecast_json("A-1001", NOVEMBER, TODAY, sessions=sessions)
    assert both["so_far"] == {**both["forecast"]} and both["days_elapsed"] == both["days"] == 31
    assert both["so_far"]["standing"]["state"] == "final"


def test_a_forecast_equals_the_final_preview_when_usage_continues_at_the_recent_rate(sessions, pinned_today):
    early = forecast_invoice("A-1001", DECEMBER, TODAY, sessions=sessions)
    assert early.forecast is not None and early.detail is not None and early.detail.added_minutes > 0
    with sessions() as session:  # the rest of the period's usage arrives, exactly at the recent rate
        session.add(CallDay(agency_id="A-1001", day=date(2026, 12, 10), cycle=str(DECEMBER), calls=1,
                            billable_minutes=early.detail.added_minutes,
                            transcribed_seconds=early.detail.added_transcribed_seconds))
    final = forecast_invoice("A-1001", DECEMBER, date(2026, 12, 24), sessions=sessions)
    assert final.is_final and final.forecast_snapshot == final.so_far
    assert invoice_to_json(final.preview.invoice) == invoice_to_json(early.forecast)


def test_the_next_cycles_forecast_starts_from_the_running_cycles_forecast(sessions, pinned_today):
    running = forecast_invoice("A-1001", DECEMBER, TODAY, sessions=sessions)
    following = forecast_invoice("A-1001", DECEMBER.next(), TODAY, sessions=sessions)
    assert following.standing.state == "not_started" and following.detail is not None
    assert following.detail.facts.minute_bank.credited_at_period_start == running.forecast.minute_bank.minutes


def test_cycles_are_offered_from_the_agencys_onboarding_to_the_next_cycle(pinned_today):
    offered = previewable_cycles(Cycle.parse("2026-06"), TODAY)
    assert str(offered[0]) == "2027-01" and str(offered[-1]) == "2026-06" and len(offered) == 8


@pytest.mark.parametrize(("cycle", "first", "message"), [
    ("2027-02", None, "too far ahead to preview; previews go up to 2027-01"),
    ("2099-01", None, "too far ahead to preview"),
    ("2026-05", "2026-06", "before the agency's first invoice, cycle 2026-06"),
])
def test_a_cycle_outside_the_range_is_refused_in_words(pinned_today, cycle, first, message):
    with pytest.raises(FieldError, match=message):
        require_previewable(Cycle.parse(cycle), Cycle.parse(first) if first else None)


def _pdf_text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_mid_period_preview_pdf_says_in_progress_in_its_banner(sessions, pinned_today):
    from services.invoices import invoice_pdf, invoice_view

    from .conftest import FINANCE

    view = invoice_view(FINANCE, "A-1001", DECEMBER, TODAY, sessions=sessions)
    assert view.in_progress
    text = _pdf_text(invoice_pdf(view)[1])
    assert "PREVIEW — IN PROGRESS: 1 OF 30 DAYS ELAPSED" in text and "In progress: 1 of 30 days elapsed" in text
    final = _pdf_text(invoice_pdf(invoice_view(FINANCE, "A-1001", NOVEMBER, TODAY, sessions=sessions))[1])
    assert "IN PROGRESS" not in final and "PREVIEW — not an invoice" in final


def test_the_batched_forecast_is_each_agencys_forecast_at_cutoff_and_a_final_cycle_passes_through(sessions, pinned_today):
    from services.previews import forecast_in, forecast_previews, previews_in

    with sessions() as session:
        november = previews_in(session, NOVEMBER)
        december = previews_in(session, DECEMBER, earlier=november)
        january = previews_in(session, DECEMBER.next(), earlier=december)
        assert forecast_previews(november, TODAY) is november  # final: the previews themselves
        running = forecast_previews(december, TODAY)
        following = forecast_previews(january, TODAY, earlier=running)  # starts from December's forecast
        for batch, cycle in ((running, DECEMBER), (following, DECEMBER.next())):
            assert set(batch.previews) == set(previews_in(session, cycle).previews) and batch.problems == {}
            for agency_id, preview in batch.previews.items():
                one = forecast_in(session, agency_id, cycle, TODAY)
                assert preview.is_forecast and preview.snapshot == one.forecast_snapshot, agency_id
                assert preview.facts == one.detail.facts and preview.forecast == one.detail
    assert any(running.previews[a].total != december.previews[a].total for a in running.previews)
