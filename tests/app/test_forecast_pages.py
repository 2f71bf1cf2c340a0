"""The pages say where a cycle stands, refuse out-of-range cycles at once,
and answer a what-if from a link."""

from __future__ import annotations

import json
import time

import pytest


def _texts(at) -> list[str]:
    out = [m.value for m in at.markdown] + [c.value for c in at.caption] + [str(h.value) for h in at.subheader]
    out += [f"{m.label} {m.value}" for m in at.metric]
    return [t.replace("\\", "") for t in out]  # as read: markdown escapes dropped


def _errors(at) -> list[str]:
    return [e.value.replace("\\", "") for e in at.error]


def _table(at, column: str):
    """The first dataframe that has ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _invoices(viewer_app, **params):
    at = viewer_app("finance")
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page("pages/invoices.py").run()
    assert not at.exception, at.exception
    return at


def test_a_mid_period_preview_is_labelled_in_progress_on_the_invoices_page(viewer_app):
    at = _invoices(viewer_app, agency="A-1001", cycle="2026-12")
    texts = " ".join(_texts(at))
    assert "In progress: 1 of 30 days elapsed" in texts, texts
    labels = [m.label for m in at.metric]
    assert labels[:2] == ["So far", "Forecast at cutoff"], labels
    table = _table(at, "Forecast line is")
    assert set(table["Forecast line is"]) == {"actual", "forecast"}


def test_a_final_preview_shows_one_total(viewer_app):
    at = _invoices(viewer_app, agency="A-1001", cycle="2026-11")
    assert at.metric[0].label == "Total"
    assert not any("In progress" in t for t in _texts(at))


@pytest.mark.parametrize(("cycle", "message"), [
    ("2099-01", "too far ahead to preview; previews go up to 2027-01"),
    ("2027-02", "too far ahead to preview"),
    ("2001-01", "before the agency's first invoice"),
])
def test_an_out_of_range_cycle_in_a_url_answers_in_under_a_second(viewer_app, cycle, message):
    at = viewer_app("finance")
    at.switch_page("pages/invoices.py").run()  # warm: the page and the current cycle are rendered once
    at.query_params["agency"] = "A-1001"
    at.query_params["cycle"] = cycle
    started = time.perf_counter()
    at.switch_page("pages/invoices.py").run()
    elapsed = time.perf_counter() - started
    assert not at.exception
    assert any(message in e for e in _errors(at)), _errors(at)
    assert at.selectbox(key="invoice_cycle").value == "2026-11"
    assert elapsed < 1.0, f"{elapsed:.2f} s"


def test_the_cycle_menu_runs_from_the_agencys_first_invoice_to_the_next_cycle(viewer_app):
    at = _invoices(viewer_app, agency="A-1001")
    options = at.selectbox(key="invoice_cycle").options
    assert options[0] == "2027-01" and "2027-02" not in options


def test_a_whatif_link_shows_the_invoice_next_to_the_baseline(viewer_app):
    changes = {"add_users": [{"count": 10, "from": "2026-12-05"}]}
    at = _invoices(viewer_app, agency="A-1001", cycle="2026-12", whatif=json.dumps(changes))
    assert any(t.startswith("**What if:** add 10 users from 2026-12-05") for t in _texts(at)), _texts(at)
    table = _table(at, "Why (what-if)")
    assert "Licensing fee" in list(table["Line"])
    assert any(m.label == "Difference" and m.value.startswith("+$") for m in at.metric)
    assert at.get("download_button")  # the quote


def test_a_broken_whatif_link_names_the_field(viewer_app):
    at = _invoices(viewer_app, agency="A-1001", cycle="2026-12", whatif=json.dumps({"add_users": [{"count": -1}]}))
    assert any("add_users[0].count" in e for e in _errors(at)), _errors(at)


def test_the_overview_says_the_current_cycle_is_in_progress_before_its_cutoff(viewer_app, monkeypatch):
    monkeypatch.setenv("BILLING_TODAY", "2026-12-01")
    at = viewer_app("finance")
    assert not at.exception, at.exception
    texts = " ".join(_texts(at))
    assert "Cycle 2026-12 · In progress: 7 of 30 days elapsed" in texts, texts
    assert any(m.label.startswith("To be issued") and m.label.endswith(", so far)") for m in at.metric)


def test_the_overview_after_the_cutoff_says_nothing_of_progress(viewer_app):
    at = viewer_app("finance")
    assert not any("In progress" in t for t in _texts(at))


def test_the_minute_bank_page_draws_the_trend_on_one_minutes_axis(viewer_app):
    at = viewer_app("finance")
    at.query_params["agency"] = "A-1001"
    at.switch_page("pages/minute_bank.py").run()
    assert not at.exception, at.exception
    assert any("Trend: the last 12 cycles and the running one" in t for t in _texts(at))
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    for figure in charts[:2]:  # the trend and the running period: no second y-axis
        assert "yaxis2" not in figure["layout"]
    trend = charts[0]
    assert any(t.get("line", {}).get("dash") == "dash" for t in trend["data"])  # the forecast, drawn differently
    at.radio(key="bank_rank_by").set_value("Departure from trend").run()
    assert not at.exception


def test_an_issued_invoice_shows_what_the_facts_now_give_and_prefills_the_adjustment(viewer_app, demo_db):
    from datetime import date

    from sqlalchemy import update

    from db.engine import get_engine, session_scope
    from db.models import CallDay

    with session_scope(get_engine(demo_db)) as session:  # late calls in October's closed period
        session.execute(update(CallDay).where(CallDay.agency_id == "A-1001", CallDay.day == date(2026, 10, 1))
                        .values(billable_minutes=CallDay.billable_minutes + 40_000))
    at = _invoices(viewer_app, agency="A-1001", cycle="2026-10")
    texts = " ".join(_texts(at))
    assert "Facts that differ from when it was issued" in texts and "Draft adjustment:" in texts, texts
    at.button(key="prefill_adjustment").click().run()
    assert not at.exception
    assert at.text_input(key="adj_amount").value not in ("", None)
    assert at.selectbox(key="adj_kind").value == "debit"
    assert at.text_input(key="adj_reason").value.startswith("Correction of INV-2026-10-")
