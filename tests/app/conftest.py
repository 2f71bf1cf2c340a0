"""Fixtures for the Streamlit pages under ``streamlit.testing.v1.AppTest``.

A small demo portfolio is seeded once into a template SQLite file; each test
gets its own copy (``DATABASE_URL``), with "today" pinned to 2026-11-25.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path, PosixPath

import pytest
import streamlit as st
import streamlit.runtime.pages_manager as pages_manager

from db.engine import dispose_engines, get_engine
from db.seed import SeedOptions, seed_database

TODAY = date(2026, 11, 25)
SEED = SeedOptions(agencies=10, months=6, seed=11, today=TODAY, min_users=5, max_users=40)


class _NoLegacyPagesFolder(PosixPath):
    """AppTest resets Streamlit's "a pages/ folder means automatic pages"
    flag before every run, which a real server turns off for good after the
    first ``st.navigation`` (see ``ui.context.ensure_router``). Without this,
    every AppTest run starts in the legacy mode and form submissions are lost
    between runs; with it, AppTest routes exactly like the server does."""

    def exists(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return False if self.name == "pages" else super().exists(*args, **kwargs)


@pytest.fixture(autouse=True)
def _route_like_the_server(monkeypatch):
    monkeypatch.setattr(pages_manager, "Path", _NoLegacyPagesFolder)


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("app-seed") / "demo.db"
    seed_database(SEED, engine=get_engine(f"sqlite:///{path}"))
    dispose_engines()
    return path


def _use_database(monkeypatch, url: str) -> None:
    dispose_engines()
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BILLING_TODAY", TODAY.isoformat())
    monkeypatch.setenv("BILLING_AUTO_SEED", "0")


@pytest.fixture
def demo_db(monkeypatch, tmp_path, seeded_template) -> str:
    copy = tmp_path / "demo.db"
    shutil.copyfile(seeded_template, copy)
    url = f"sqlite:///{copy}"
    _use_database(monkeypatch, url)
    yield url
    dispose_engines()


@pytest.fixture
def empty_db(monkeypatch, tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    _use_database(monkeypatch, url)
    yield url
    dispose_engines()
