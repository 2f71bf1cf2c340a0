"""The minute-bank trend: closed periods chain into each other, the running
period is drawn so far and as forecast, and the portfolio ranks departures."""

from __future__ import annotations

import itertools

from services.minute_bank import bank_trend, trend_ranking

from .conftest import FINANCE, TODAY


def test_the_trend_holds_the_closed_periods_then_the_running_one_so_far_and_forecast(sessions, pinned_today):
    trend = bank_trend(FINANCE, "A-1001", TODAY, sessions=sessions)
    kinds = [p.kind for p in trend.points]
    assert kinds[-2:] == ["so_far", "forecast"] and set(kinds[:-2]) == {"history"} and len(kinds) - 2 <= 12
    history = [p for p in trend.points if p.kind == "history"]
    for before, after in itertools.pairwise(history):  # each period opens with the last one's closing
        assert after.opening == before.closing
    for p in trend.points:
        assert p.closing == p.opening + p.credited - p.used
    so_far, forecast = trend.points[-2:]
    assert forecast.used >= so_far.used and forecast.opening == so_far.opening
    assert trend.runway is not None and (trend.days_elapsed, trend.days) == (1, 30)


def test_the_portfolio_ranks_runways_and_says_how_far_forecast_usage_departs_from_trend(sessions, pinned_today):
    ranking = trend_ranking(FINANCE, TODAY, sessions=sessions)
    assert len(ranking) >= 7
    measured = [r for r in ranking if r.departure_pct is not None]
    assert measured and all(r.trend_used > 0 for r in measured)
