"""Helpers for AppTest tests: build the app, sign in (tests/app)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from db.seed import DEMO_ACCOUNTS
from services.access import Role, Viewer

APP = str(Path(__file__).resolve().parents[1] / "app.py")
ACCOUNTS = {role: (email, password) for email, _, role, password in DEMO_ACCOUNTS}


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60)


def signed_in(role: str, agencies: frozenset[str] | None = None) -> AppTest:
    """An app whose session already holds a viewer (sign-in itself is tested
    separately, through the form)."""
    at = app()
    email, _ = ACCOUNTS[role]
    at.session_state["viewer"] = Viewer(email, email, Role(role), agencies if role == "account_manager" else None)
    return at.run()


def sign_in_with_form(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="sign_in_email").input(email)
    at.text_input(key="sign_in_password").input(password)
    at.button(key="FormSubmitter:sign_in-Sign in").click()
    return at.run()
