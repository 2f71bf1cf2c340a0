"""The sign-in screen lets the browser load the chart and table code while
the person types (ui.auth._preload_browser_code), and draws no data."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import auth


def _html(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [element.proto.body for element in at.get("html")]


def test_this_streamlit_still_ships_the_chart_and_table_code_under_the_names_looked_for():
    chunks = auth._browser_chunks()
    assert [name.split(".")[0] for name in chunks] == list(auth.PRELOADED)
    folder = Path(st.__file__).parent / "static" / "static" / "js"
    assert all((folder / name).is_file() for name in chunks)


def test_the_sign_in_screen_imports_them_and_draws_nothing_else(bare_app):
    at = bare_app().run()
    preload = [body for body in _html(at) if "import(" in body]
    assert len(preload) == 1 and all(name in preload[0] for name in auth._browser_chunks())
    assert not at.get("plotly_chart") and not at.dataframe


def test_a_signed_in_page_does_not_preload_again(signed_in_app):
    at = signed_in_app("finance")
    assert not [body for body in _html(at) if "import(" in body]
