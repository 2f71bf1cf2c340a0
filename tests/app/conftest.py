"""Fixtures for the Streamlit pages under ``streamlit.testing.v1.AppTest``.

Databases
---------
``seeded_template`` (session)  a small deterministic demo portfolio, seeded once
                               into a SQLite file; checked to hold at least one
                               restricted and one at-risk agency.
``demo_db``                    a copy of it for this test: ``DATABASE_URL``,
                               ``BILLING_TODAY=2026-11-25`` and
                               ``BILLING_AUTO_SEED=0`` are set, engines and
                               Streamlit caches are reset before and after.
``empty_db``                   the same, on an empty (migrated) database.

Apps
----
``signed_in_app(role)``        ``app.py`` signed in through the local sign-in
                               form with that role's demo account.
``viewer_app(role, agencies)`` ``app.py`` with ``session_state["viewer"]``
                               injected (fast; for tests where signing in is
                               not what is under test).
``bare_app()``                 ``app.py``, not run, nobody signed in.
``sign_in_form(at, e, p)``     fill in and submit the sign-in form.
``navigation_log``             what ``st.navigation`` registered on each run:
                               ``[{title: visible?}]``.
``render_times``               record a page's render time; the figures are
                               printed in the terminal summary.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PosixPath

import pytest
import streamlit as st
from streamlit.runtime import pages_manager
from streamlit.testing.v1 import AppTest

from db.engine import dispose_engines, get_engine
from services.demo import DEMO_ACCOUNTS, SeedOptions, seed_demo
from services.unit_of_work import sessions_for

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TODAY = date(2026, 11, 25)
# months >= 5: the seed plans paid-up / overdue / at-risk / restricted
# statuses only for agencies with at least three issued invoices.
SEED = SeedOptions(agencies=10, months=6, seed=11, today=TODAY, min_users=5, max_users=40)
# role -> (e-mail, password) of its first demo account
ACCOUNTS: dict[str, tuple[str, str]] = {}
for _email, _name, _role, _password in DEMO_ACCOUNTS:
    ACCOUNTS.setdefault(_role, (_email, _password))


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


# -- databases ---------------------------------------------------------------------
def _reset_process_state() -> None:
    """Nothing survives from one test to the next: engines, cached data,
    cached resources (``_database_ready`` is per database)."""
    dispose_engines()
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("app-seed") / "demo.db"
    url = f"sqlite:///{path}"
    seed_demo(SEED, sessions=sessions_for(get_engine(url)))

    from billing import Status
    from db.engine import session_scope
    from db.ledger import agency_statuses

    with session_scope(get_engine(url)) as session:
        found = {s.status for s in agency_statuses(session, TODAY)}
    dispose_engines()
    missing = {Status.RESTRICTED, Status.AT_RISK, Status.OVERDUE} - found
    assert not missing, f"{SEED} no longer seeds an agency that is {sorted(m.value for m in missing)}"
    # Fold the WAL into the file so a plain copy of demo.db is the whole database.
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    return path


def _use_database(monkeypatch, url: str) -> None:
    _reset_process_state()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BILLING_TODAY", TODAY.isoformat())
    monkeypatch.setenv("BILLING_AUTO_SEED", "0")


@pytest.fixture
def demo_db(monkeypatch, tmp_path, seeded_template) -> Iterator[str]:
    copy = tmp_path / "demo.db"
    shutil.copyfile(seeded_template, copy)
    url = f"sqlite:///{copy}"
    _use_database(monkeypatch, url)
    yield url
    _reset_process_state()


@pytest.fixture
def empty_db(monkeypatch, tmp_path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    _use_database(monkeypatch, url)
    yield url
    _reset_process_state()


# -- apps ----------------------------------------------------------------------------
def new_app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60)


def _sign_in_form(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="sign_in_email").input(email)
    at.text_input(key="sign_in_password").input(password)
    at.button(key="FormSubmitter:sign_in-Sign in").click()
    return at.run()


@pytest.fixture
def bare_app(request) -> Callable[[], AppTest]:
    """``bare_app()``: the app, not run yet, nobody signed in."""
    _database_of(request)
    return new_app


@pytest.fixture
def sign_in_form() -> Callable[[AppTest, str, str], AppTest]:
    """``sign_in_form(at, email, password)``: fill in the local form and submit."""
    return _sign_in_form


def _database_of(request) -> str:
    """The demo copy, unless the test asked for the empty database."""
    return request.getfixturevalue("empty_db" if "empty_db" in request.fixturenames else "demo_db")


@pytest.fixture
def signed_in_app(request) -> Callable[[str], AppTest]:
    """``signed_in_app(role)``: the app after signing in through the form
    with that role's demo account (an account manager: the first one)."""
    _database_of(request)

    def make(role: str) -> AppTest:
        at = _sign_in_form(new_app().run(), *ACCOUNTS[role])
        assert not at.exception, at.exception
        viewer = at.session_state.get("viewer")
        assert viewer is not None and viewer.role.value == role, [e.value for e in at.error]
        return at

    return make


@pytest.fixture
def viewer_app(request) -> Callable[..., AppTest]:
    """``viewer_app(role, agencies=None)``: the app with the viewer put in
    the session directly. Without ``agencies`` the demo account's own
    viewer is used (an account manager with their stored assignments)."""
    from services.access import Role, Viewer
    from services.accounts import viewer_for_email

    _database_of(request)
    empty = "empty_db" in request.fixturenames  # no accounts stored: make the viewer up

    def make(role: str, agencies: frozenset[str] | None = None) -> AppTest:
        email, _ = ACCOUNTS[role]
        viewer = Viewer(email, email, Role(role), frozenset()) if empty else viewer_for_email(email)
        assert viewer is not None and viewer.role is Role(role)
        if agencies is not None:
            viewer = Viewer(viewer.email, viewer.name, viewer.role, agencies)
        at = new_app()
        at.session_state["viewer"] = viewer
        return at.run()

    return make


@pytest.fixture
def navigation_log(monkeypatch) -> list[dict[str, bool]]:
    """Every ``st.navigation`` call of the runs that follow, as
    ``{page title: visible in the menu}`` (hidden pages are registered, so a
    URL reaches them, but not listed)."""
    calls: list[dict[str, bool]] = []
    original = st.navigation

    def recording(pages, *args, **kwargs):  # type: ignore[no-untyped-def]
        flat = [page for section in pages.values() for page in section] if isinstance(pages, dict) else list(pages)
        hidden_menu = kwargs.get("position") == "hidden"
        calls.append({page.title: (page._visibility != "hidden" and not hidden_menu) for page in flat})
        return original(pages, *args, **kwargs)

    monkeypatch.setattr(st, "navigation", recording)
    return calls


# -- render times ----------------------------------------------------------------------
@dataclass
class _Timing:
    page: str
    cold: float
    warm: float


_TIMINGS: list[_Timing] = []


@pytest.fixture
def render_times() -> Callable[[str, float, float], None]:
    def record(page: str, cold: float, warm: float) -> None:
        _TIMINGS.append(_Timing(page, cold, warm))

    return record


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not _TIMINGS:
        return
    terminalreporter.section("page render times (AppTest, demo data, finance)")
    terminalreporter.write_line(f"{'page':<24}{'cold cache':>12}{'warm cache':>12}")
    for t in _TIMINGS:
        terminalreporter.write_line(f"{t.page:<24}{t.cold * 1000:>9.0f} ms{t.warm * 1000:>9.0f} ms")
