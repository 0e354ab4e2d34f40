"""A roster login that survives a reload, a new tab and a shared link: the login cookie.

After a right code, `remember` records the login on the server (rnnkit/runs/sessions.py) and a tiny
component writes its signed token into a cookie of this site; a new connection (reload, new tab, shared
link) sends the cookie, Streamlit hands it over in `st.context.cookies`, and `resume` logs the user in
without the form. On every page load `still_valid` asks the roster and the record again, so a student
removed from the roster, a changed code, an ended login ("Log out", "Log everyone out") or an expired
one ends here, and a changed role applies at once.

The cookie is `rnnkit_login_<12 hex digits naming the class's secret>`, `SameSite=Strict`, `Secure`
over HTTPS, `Path=/`, expiring with the login. It is not HttpOnly: Streamlit gives a script no HTTP
response to set a cookie on (only its own `st.login` has one), so JavaScript writes it, and JavaScript
on the page can read it. docs/security.md weighs this: the token is revocable, expires, names no code,
and no user text ever reaches the page as HTML or script.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Any, Mapping

import streamlit as st
from streamlit.components.v2 import component

from rnnkit.runs.access import Roster, User
from rnnkit.runs.sessions import Session, SessionStore, SessionsUnavailable, login_seconds
from rnnkit.ui import safe
from rnnkit.ui.i18n import _

COOKIE_PREFIX = "rnnkit_login_"
# runs in the page (a components.v2 component has no iframe): write or delete the cookie it is given
_WRITE_COOKIE_JS = """
export default function ({ data }) {
  if (!data || !/^rnnkit_login_[0-9a-f]{12}$/.test(data.name) || !/^[A-Za-z0-9._-]*$/.test(data.value)) {
    return;
  }
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${data.name}=${data.value}; Max-Age=${Math.max(0, Math.floor(data.max_age))}; ` +
    `Path=/; SameSite=Strict${secure}`;
}
"""
_cookie_writer = component("rnnkit_login_cookie", js=_WRITE_COOKIE_JS)


def browser_cookies() -> Mapping[str, str]:
    """The cookies this connection came with (a reload or a new tab is a new connection)."""
    return st.context.cookies


def _store(settings: Mapping[str, Any]) -> SessionStore:
    return SessionStore.for_settings(settings)


def _code_hash(classroom: Roster, name: str) -> str | None:
    """The roster's code hash of exactly this roster name; None when the name is no longer on it."""
    found = classroom.entry(name)
    return found[2] if found is not None and found[0] == name else None


def remember(settings: Mapping[str, Any], classroom: Roster, user: User) -> None:
    """After a right code: record the login and have the browser keep its cookie. SessionsUnavailable
    when the login cannot be recorded (the caller refuses it: a login nobody could end is no login)."""
    store = _store(settings)
    session, token = store.start(user.name, _code_hash(classroom, user.name) or "")
    st.session_state["app_session"] = asdict(session)
    st.session_state["app_cookie"] = {"name": COOKIE_PREFIX + store.label(), "value": token,
                                      "max_age": session.expires - session.issued}


def resume(settings: Mapping[str, Any], classroom: Roster) -> User | None:
    """The user whose cookie of this class came with this connection, if its login is still valid."""
    cookies = browser_cookies()
    if not any(name.startswith(COOKIE_PREFIX) for name in cookies):
        return None  # (no secret is read, or made, for a browser that never logged in)
    store = _store(settings)
    try:
        token = cookies.get(COOKIE_PREFIX + store.label())
    except SessionsUnavailable:
        return None
    session = store.check(token, lambda name: _code_hash(classroom, name)) if token else None
    if session is None:
        return None
    st.session_state["app_session"] = asdict(session)
    return User(session.name, classroom.entry(session.name)[1])


def still_valid(settings: Mapping[str, Any], classroom: Roster, stored: Mapping[str, Any]) -> User | None:
    """The roster user this session logged in, with the roster's role now; None when the name has left
    the roster or the login has ended (logged out, everyone logged out, expired, the code changed)."""
    name = stored.get("name")
    code_hash = _code_hash(classroom, name) if isinstance(name, str) else None
    if code_hash is None:
        return None
    session = st.session_state.get("app_session")
    if isinstance(session, dict) and not _store(settings).active(Session(**session), code_hash):
        return None
    return User(name, classroom.entry(name)[1])


def forget(settings: Mapping[str, Any]) -> None:
    """Logging out: end this login on the server (every tab that shares it) and delete the cookie."""
    session = st.session_state.pop("app_session", None)
    if isinstance(session, dict):
        store = _store(settings)
        store.revoke(session["id"])
        try:
            st.session_state["app_cookie"] = {"name": COOKIE_PREFIX + store.label(), "value": "", "max_age": 0}
        except SessionsUnavailable:
            pass  # the record is gone: the cookie is refused anyway


def write() -> None:
    """Hand the browser the cookie this session wants it to keep (or drop), until a new connection shows
    it did: the (invisible) component sits at the foot of the sidebar."""
    wanted = st.session_state.get("app_cookie")
    if not isinstance(wanted, dict):
        return
    if browser_cookies().get(wanted["name"], "") == wanted["value"]:
        st.session_state.pop("app_cookie", None)
        return
    with st.sidebar:
        _cookie_writer(key="auth_cookie", data=wanted)


def teacher_panel(settings: Mapping[str, Any]) -> None:
    """For a teacher on Home: how long a login lasts, how many are open, and "Log everyone out"."""
    store = _store(settings)
    st.subheader(_("Logins"))
    st.caption(_("A login lasts {hours} h, through reloads and new tabs ([rnnkit] login_hours in secrets.toml). "
                 "Open logins now: {count}.").format(hours=f"{login_seconds(settings) / 3600:g}", count=store.count()))
    sure = st.checkbox(_("Yes, log every student and teacher out (you stay logged in)"), key="home_logout_all_sure")
    if st.button(_("Log everyone out"), key="home_logout_all", disabled=not sure):
        session = st.session_state.get("app_session") or {}
        try:
            ended = store.revoke_all(keep=session.get("id"))
        except SessionsUnavailable as error:
            safe.error(error)
            return
        st.success(_("Ended {count} login(s): everyone else sees the login form at their next click.")
                   .format(count=ended))
