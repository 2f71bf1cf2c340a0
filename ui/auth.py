"""Sign-in for the dashboard.

With an ``[auth]`` section in ``.streamlit/secrets.toml`` people sign in
through the identity provider (``st.login``) and their e-mail is looked up in
the accounts table for a role. Without it, local accounts sign in with an
e-mail and a password (``python manage.py user add …``).
"""

from __future__ import annotations

import streamlit as st

from services.access import Viewer
from services.accounts import sign_in_with_password, viewer_for_email
from services.errors import FieldError

VIEWER_KEY = "viewer"


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, AttributeError):  # no secrets.toml at all
        return False
    except Exception:  # a malformed secrets file must not lock everyone out of local sign-in
        return False


def _sign_in_with_provider() -> Viewer:
    if not st.user.is_logged_in:
        st.title("Dialer Billing")
        st.write("Sign in with your company account to see invoices, minute banks and collections.")
        st.button("Sign in", type="primary", on_click=st.login, icon=":material/login:")
        st.stop()
    email = str(st.user.get("email") or "")
    viewer = viewer_for_email(email) if email else None
    if viewer is None:
        st.title("Dialer Billing")
        st.error(f"You are signed in as {email or 'an account without an e-mail'}, but that account has no access "
                 "to the billing dashboard. Ask finance to add you.", icon=":material/block:")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    return viewer


def _sign_in_with_password() -> Viewer:
    viewer = st.session_state.get(VIEWER_KEY)
    if isinstance(viewer, Viewer):
        return viewer
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title("Dialer Billing")
        st.caption("Invoices, minute banks and collections for the dialer platform.")
        with st.form("sign_in"):
            email = st.text_input("E-mail", key="sign_in_email")
            password = st.text_input("Password", type="password", key="sign_in_password")
            submitted = st.form_submit_button("Sign in", type="primary", icon=":material/login:")
        if submitted:
            try:
                st.session_state[VIEWER_KEY] = sign_in_with_password(email, password)
            except FieldError as error:
                st.error(error.problem.capitalize() + ".", icon=":material/lock:")
            else:
                st.rerun()
    st.stop()


def signed_in_viewer() -> Viewer:
    """The signed-in viewer; otherwise draw the sign-in screen and stop."""
    return _sign_in_with_provider() if oidc_configured() else _sign_in_with_password()


def is_signed_in() -> bool:
    """Whether a viewer is known, without drawing anything."""
    if oidc_configured():
        return bool(st.user.is_logged_in)
    return isinstance(st.session_state.get(VIEWER_KEY), Viewer)


def sign_out() -> None:
    st.session_state.pop(VIEWER_KEY, None)
    st.cache_data.clear()
    if oidc_configured():
        st.logout()


def current_viewer() -> Viewer:
    """For pages: the viewer ``app.py`` signed in before routing here."""
    viewer = st.session_state.get(VIEWER_KEY)
    if not isinstance(viewer, Viewer):
        viewer = signed_in_viewer()
    return viewer
