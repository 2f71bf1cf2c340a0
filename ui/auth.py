"""Sign-in for the dashboard.

With an ``[auth]`` section in ``.streamlit/secrets.toml`` people sign in
through the identity provider (``st.login``) and their e-mail is looked up in
the accounts table for a role. Without it, local accounts sign in with an
e-mail and a password (``python manage.py user add …``) and stay signed in
through a cookie holding a session token (``services.sign_in_sessions``):
a reload, a new tab or a pasted link opens a new Streamlit session, which
reads the cookie from its connection and resumes without a password.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import threading
from pathlib import Path

import streamlit as st

import settings
from services.access import Viewer
from services.accounts import sign_in_with_password, still_signed_in, viewer_for_email
from services.errors import FieldError
from services.sign_in_sessions import SessionEnded, end_every_session, end_session, resume_session, start_session

from .format import md

VIEWER_KEY = "viewer"
TOKEN_KEY = "_sign_in_token"
SPENT_COOKIE_KEY = "_spent_cookie"  # a cookie token already found ended: not tried again
COOKIE_WRITE_KEY = "_cookie_to_write"  # a token to put in the cookie, or "" to clear it
COOKIE = "billing_session"
COOKIE_MAX_AGE = settings.MAX_SESSION_HOURS * 3600  # the server ends sessions sooner; the cookie just carries the token
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


def _cookie_token() -> str:
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # a bare run or AppTest: no browser, no cookies
        return ""
    return token if isinstance(token, str) and token != st.session_state.get(SPENT_COOKIE_KEY) else ""


def _resumed_viewer() -> Viewer | None:
    """The viewer of this browser's session, if it can go on; a reason for the
    sign-in screen otherwise."""
    token = st.session_state.get(TOKEN_KEY) or _cookie_token()
    if not token:
        viewer = st.session_state.get(VIEWER_KEY)
        if isinstance(viewer, Viewer) and still_signed_in(viewer):  # put there in-process (tests)
            return viewer
        if isinstance(viewer, Viewer):
            _forget("Your account changed (role, agencies or password); sign in again to go on.")
        return None
    try:
        viewer = resume_session(token)
    except SessionEnded as ended:
        from_cookie = token != st.session_state.get(TOKEN_KEY)
        _forget(str(ended), spent=token if from_cookie else None)
        return None
    st.session_state[VIEWER_KEY], st.session_state[TOKEN_KEY] = viewer, token
    return viewer


def _forget(reason: str, spent: str | None = None) -> None:
    was_signed_in = VIEWER_KEY in st.session_state or TOKEN_KEY in st.session_state or spent
    st.session_state.pop(VIEWER_KEY, None)
    st.session_state.pop(TOKEN_KEY, None)
    if spent:
        st.session_state[SPENT_COOKIE_KEY] = spent
    st.session_state[COOKIE_WRITE_KEY] = ""
    # No cache clearing here: every cached result is keyed by the viewer (with its stamp), and
    # one person's session ending must not make every other person's next page slow.
    if was_signed_in:
        st.session_state["_signed_out_because"] = reason


def write_cookie() -> None:
    """Put a new session token in the browser's cookie (or clear it), once.

    Streamlit has no API to set a cookie, so a small script does it in the
    page; the cookie is ``SameSite=Strict`` and, over HTTPS, ``Secure``.
    """
    token = st.session_state.pop(COOKIE_WRITE_KEY, None)
    if token is None:
        return
    value, age = (token, COOKIE_MAX_AGE) if token else ("", 0)
    st.html(f"""<script>
document.cookie = "{COOKIE}={value}; Path=/; Max-Age={age}; SameSite=Strict"
  + (location.protocol === "https:" ? "; Secure" : "");
</script>""", unsafe_allow_javascript=True, width="content")


_warmed = threading.Event()


def _warm_up() -> None:
    """Import what the first page needs while the person types their
    password: a fresh server otherwise spends seconds on pandas and plotly
    after the click, once per process."""
    if _warmed.is_set():
        return
    _warmed.set()

    def load() -> None:
        try:
            for name in ("pandas", "plotly.graph_objects", "plotly.express", "services.portfolio", "ui.charts"):
                importlib.import_module(name)
            go = importlib.import_module("plotly.graph_objects")
            go.Figure(go.Bar(x=[1], y=[1]), layout={"height": 100}).to_json()  # plotly loads its validators lazily
        except Exception:  # a warm-up must never break the sign-in screen
            log.debug("warm-up failed", exc_info=True)

    threading.Thread(target=load, name="warm-up", daemon=True).start()


PRELOADED = ("PlotlyChart", "DataFrame")  # what the first page after signing in draws: charts and tables


@functools.lru_cache(maxsize=1)
def _browser_chunks() -> tuple[str, ...]:
    """The file names of Streamlit's chart and table code in this version
    (``PlotlyChart.<hash>.js``…); none if its static folder looks different."""
    folder = Path(st.__file__).parent / "static" / "static" / "js"
    found = []
    for name in PRELOADED:
        matches = sorted(folder.glob(f"{name}.*.js"))
        if len(matches) == 1:
            found.append(matches[0].name)
    return tuple(found)


def _preload_browser_code() -> None:
    """Let the browser fetch and run the chart and table code while the
    person types: Streamlit loads it only when the first chart appears, and
    in a browser that has not cached it that was a second after signing in
    before the overview's chart could draw (bench/browser_bench.py). The
    modules are imported from beside Streamlit's own bundle, so they are
    the very modules its pages use later. Draws nothing."""
    chunks = _browser_chunks()
    if not chunks:
        return
    st.html(f"""<script>
setTimeout(() => {{
  const main = document.querySelector('script[src*="/static/js/index."]');
  if (main) for (const name of {json.dumps(list(chunks))}) import(new URL(name, main.src).href).catch(() => {{}});
}}, 300);
</script>""", unsafe_allow_javascript=True, width="content")


def _sign_in_with_password() -> Viewer:
    viewer = _resumed_viewer()
    if viewer is not None:
        return viewer
    _warm_up()
    write_cookie()
    _preload_browser_code()
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
                viewer = sign_in_with_password(email, password, client=_client())
            except FieldError as error:
                st.error(error.problem.capitalize() + ".", icon=":material/lock:")
            else:
                token = start_session(viewer, client=_client())
                st.session_state[VIEWER_KEY], st.session_state[TOKEN_KEY] = viewer, token
                st.session_state[COOKIE_WRITE_KEY] = token
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


def known_viewer() -> Viewer | None:
    """The viewer if this browser is signed in (by session, cookie or the
    identity provider); None, without drawing anything, if not."""
    if oidc_configured():
        return _sign_in_with_provider() if st.user.is_logged_in else None
    return _resumed_viewer()


def sign_out(*, everywhere: bool = False) -> None:
    """Sign out this browser (all its tabs), or every device of the account."""
    token = st.session_state.get(TOKEN_KEY)
    viewer = st.session_state.get(VIEWER_KEY)
    if everywhere and isinstance(viewer, Viewer):
        end_every_session(viewer)
    elif token:
        end_session(token)
    _forget("You signed out on every device." if everywhere else "You signed out.", spent=_cookie_token() or None)
    if oidc_configured():
        st.logout()


def current_viewer() -> Viewer:
    """For pages: the viewer ``app.py`` signed in before routing here."""
    viewer = st.session_state.get(VIEWER_KEY)
    if not isinstance(viewer, Viewer):
        viewer = signed_in_viewer()
    return viewer
