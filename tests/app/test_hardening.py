"""What an attacker can put into text we print: a URL parameter, an
imported agency name, a cell of the ops CSV. Each payload is shown as the
text it is: no working link, no remote image, no heading, no formula."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import update

from db.engine import get_engine, session_scope
from db.models import Agency
from services.access import SYSTEM
from services.exports import text_cell
from services.overdue import overdue_csv, overdue_view

PAYLOADS = [
    "[click here](https://evil.example/login)",
    "![tracker](https://evil.example/pixel.png)",
    "x`\n# Heading\n`",
    "<img src=https://evil.example/x.png>",
    "$\\frac{1}{0}$",
]


def _markdown_is_inert(text: str) -> None:
    for opening in ("[", "]", "(", "!", "`", "#", "<", "$"):
        unescaped = [i for i, ch in enumerate(text) if ch == opening and (i == 0 or text[i - 1] != "\\")]
        assert not unescaped, f"{opening!r} unescaped in {text!r}"
    assert "\n" not in text


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("parameter", ["agency", "cycle"])
def test_a_url_parameter_is_shown_as_text_in_the_error(viewer_app, parameter, payload):
    at = viewer_app("finance")
    at.query_params[parameter] = payload
    at.switch_page("pages/invoices.py").run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    quoted = error.split("“", 1)[1].rsplit("”", 1)[0]
    _markdown_is_inert(quoted)


def test_a_very_long_url_parameter_is_cut_short(viewer_app):
    at = viewer_app("finance")
    at.query_params["agency"] = "A" * 5000
    at.switch_page("pages/invoices.py").run()
    (error,) = [e.value for e in at.error]
    assert len(error) < 300 and "…" in error


@pytest.mark.parametrize("payload", ["=HYPERLINK(\"https://evil.example\",\"Pay here\")", "+cmd|' /C calc'!A0",
                                     "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3", "\t=1+1", "\r=1+1"])
def test_the_ops_csv_never_hands_a_spreadsheet_a_formula(demo_db, payload):
    with session_scope(get_engine(demo_db)) as session:
        session.execute(update(Agency).values(name=payload, account_manager=payload))
    view = overdue_view(SYSTEM, date(2026, 11, 25))
    assert view.rows, "the demo has overdue agencies"
    rows = list(csv.reader(io.StringIO(overdue_csv(view).decode("utf-8-sig"))))
    for row in rows[1:]:
        for cell in (row[1], row[10]):
            assert cell == "'" + payload


@pytest.mark.parametrize(("value", "cell"), [("Acme & Sons", "Acme & Sons"), ("=1+1", "'=1+1"), ("", ""), (None, ""),
                                             ("-5", "'-5"), ("A-1001", "A-1001")])
def test_text_cells_start_with_an_apostrophe_only_when_a_spreadsheet_would_compute_them(value, cell):
    assert text_cell(value) == cell


@pytest.mark.parametrize("cycle", ["2080-01", "3000-01"])
def test_a_link_to_a_cycle_far_ahead_is_refused_at_once_and_the_current_cycle_shown(viewer_app, cycle):
    at = viewer_app("finance")
    at.query_params["cycle"] = cycle
    at.switch_page("pages/invoices.py").run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert "too far ahead to preview" in error
    assert at.selectbox(key="invoice_cycle").value == "2026-11"


def test_the_shipped_streamlit_config_hides_tracebacks_and_developer_controls():
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["fileWatcherType"] == "none"


def test_a_database_with_real_accounts_is_never_given_the_demo_and_its_passwords(empty_db, monkeypatch):
    from sqlalchemy import func, select

    from db.engine import get_engine, session_scope
    from db.models import Account, Agency
    from services import accounts
    from services.access import SYSTEM
    from services.setup import database_is_empty

    from .conftest import new_app

    accounts.add_account(SYSTEM, email="real.finance@example.com", role="finance", password="a-real-password")
    assert not database_is_empty()
    monkeypatch.setenv("BILLING_AUTO_SEED", "1")
    at = new_app().run()
    assert not at.exception
    with session_scope(get_engine(empty_db)) as session:
        assert session.scalar(select(func.count()).select_from(Agency)) == 0
        emails = set(session.scalars(select(Account.email)))
    assert emails == {"real.finance@example.com"}, "no demo account was added"
