"""Sign-in for the dashboard.

With an ``[auth]`` section in ``.streamlit/secrets.toml`` people sign in
through the identity provider (``st.login``) and their e-mail is looked up in
the accounts table for a role. Without it, local accounts sign in with an
e-mail and a password (``python manage.py user add …``).
"""

from __future__ import annotations

import logging

import streamlit as st

from services.access import Viewer
from services.accounts import sign_in_with_password, still_signed_in, viewer_for_email
from services.errors import FieldError

from .format import md

VIEWER_KEY = "viewer"
log = logging.getLogger(__name__)


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, AttributeError):  # no secrets.toml at all
        return False
    except Exception:
        # A malformed secrets file must not quietly switch an OIDC install to
        # local passwords: nobody signs in until an operator fixes it.
        log.error("secrets.toml cannot be read; sign-in is off until it is fixed", exc_info=True)
        st.title("Dialer Billing")
        st.error("Sign-in is not available: the server's secrets file cannot be read. "
                 "An operator needs to fix .streamlit/secrets.toml.", icon=":material/error:")
        st.stop()
        raise  # st.stop() ends the run; this line is never reached


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
        st.error(f"You are signed in as {md(email, limit=200) or 'an account without an e-mail'}, but that account has no access "
                 "to the billing dashboard. Ask finance to add you.", icon=":material/block:")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    return viewer


def _sign_in_with_password() -> Viewer:
    viewer = st.session_state.get(VIEWER_KEY)
    if isinstance(viewer, Viewer):
        if still_signed_in(viewer):
            return viewer
        st.session_state.pop(VIEWER_KEY, None)
        st.cache_data.clear()
        st.session_state["_signed_out_because"] = ("Your account changed (role, agencies or password); "
                                                   "sign in again to go on.")
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title("Dialer Billing")
        st.caption("Invoices, minute banks and collections for the dialer platform.")
        reason = st.session_state.pop("_signed_out_because", None)
        if reason:
            st.info(reason, icon=":material/info:")
        with st.form("sign_in"):
            email = st.text_input("E-mail", key="sign_in_email")
            password = st.text_input("Password", type="password", key="sign_in_password")
            submitted = st.form_submit_button("Sign in", type="primary", icon=":material/login:")
        if submitted:
            try:
                st.session_state[VIEWER_KEY] = sign_in_with_password(email, password, client=_client())
            except FieldError as error:
                st.error(error.problem.capitalize() + ".", icon=":material/lock:")
            else:
                st.rerun()
    st.stop()


def _client() -> str:
    """The browser's address as Streamlit sees it (behind a proxy: the proxy's)."""
    try:
        address = st.context.ip_address
    except Exception:  # a bare run has no client
        return ""
    return address if isinstance(address, str) else ""  # AppTest hands out a stand-in object


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
