"""Classroom mode in the dashboard: who is logged in, and the login form.

Without `mode = "classroom"` in `.streamlit/secrets.toml` the dashboard is in single-user mode and
nobody logs in. With it (see rnnkit/runs/access.py), every page asks who you are first: a school account
through Streamlit's `st.login` (OpenID Connect) where secrets.toml has an [auth] table, and/or a name
and personal code from the roster. The user is kept in the session (`app_user`), and the run store
gets it, so its checks apply.
"""
from __future__ import annotations

import streamlit as st

from rnnkit.runs.access import Roster, User, user_from_identity
from rnnkit.runs.queue import Limits
from rnnkit.ui import safe
from rnnkit.ui.i18n import _


def roster() -> Roster | None:
    try:
        settings = st.secrets.get("rnnkit")
    except Exception:  # noqa: BLE001 - no secrets.toml at all: single-user mode
        return None
    return Roster.from_settings(settings)


def _settings() -> dict:
    try:
        settings = st.secrets.get("rnnkit")
    except Exception:  # noqa: BLE001 - no secrets.toml at all
        return {}
    return dict(settings) if settings else {}


def queue_limits(user: User | None) -> Limits:
    """The user's share of the queue: students get the caps of [rnnkit.queue] in secrets.toml (default
    1 group training + 2 waiting, 24 runs per group); teachers and single-user mode only the capacity."""
    settings = dict(_settings().get("queue") or {})
    if user is not None and not user.is_teacher:
        return Limits.for_student(settings)
    capacity = settings.get("capacity", 0)
    return Limits(capacity=capacity if isinstance(capacity, int) and capacity > 0 else 0)


def school_login() -> bool:
    """Is a school identity provider configured (the [auth] table of secrets.toml, for st.login)?"""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets.toml at all
        return False


def current_user() -> User | None:
    """The logged-in user in classroom mode; None in single-user mode (and before logging in)."""
    if roster() is None:
        return None
    stored = st.session_state.get("app_user")
    if isinstance(stored, dict):
        return User(stored["name"], stored["role"])
    if school_login() and st.user.get("is_logged_in", False):
        user = user_from_identity(st.user.get("email"), _settings())
        if user is not None:
            st.session_state["app_user"] = {"name": user.name, "role": user.role}
        return user
    return None


def log_out() -> None:
    st.session_state.pop("app_user", None)
    if school_login() and st.user.get("is_logged_in", False):
        st.logout()


def require_login() -> None:
    """In classroom mode, stop the page until the user has logged in (the form is on the page)."""
    classroom = roster()
    if classroom is None or current_user() is not None:
        return
    st.title(_("Log in"))
    if school_login():
        if st.user.get("is_logged_in", False):  # signed in at the school, but not in this class
            st.error(safe.plain(_("Your school account ({email}) is not on this class's list; ask your teacher.")
                                .format(email=st.user.get("email", "?"))))
            st.button(_("Log out"), on_click=log_out, key="auth_logout")
            st.stop()
        provider = _settings().get("login_provider")
        st.button(_("Log in with your school account"), type="primary", key="auth_school",
                  on_click=st.login, args=(provider,) if provider else ())
        if not classroom.users:
            st.stop()
        st.caption(_("or with your name and personal code:"))
    with st.form("auth_login"):
        name = st.text_input(_("Your name (as on the class list)"), key="auth_name")
        code = st.text_input(_("Your personal code"), type="password", key="auth_code")
        if st.form_submit_button(_("Log in")):
            user = classroom.authenticate(name, code)
            if user is None:
                st.error(_("Name or code is wrong."))
            else:
                st.session_state["app_user"] = {"name": user.name, "role": user.role}
                st.rerun()
    st.stop()
