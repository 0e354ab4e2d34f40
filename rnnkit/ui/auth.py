"""Classroom mode in the dashboard: the settings (checked, failing closed), who is logged in, the login
form with its throttle, and the teacher's view of lockouts.

Without `.streamlit/secrets.toml` the dashboard is in single-user mode and nobody logs in. A secrets
file that exists but cannot be read, parsed or validated (rnnkit/runs/access.py: `check_settings`)
stops every page with a message saying which file, which line where the parser says, and what is wrong
— never single-user mode. With `mode = "classroom"`, every page asks who you are first: a school account
through Streamlit's `st.login` (OpenID Connect) where secrets.toml has an [auth] table, and/or a name
and personal code from the roster, throttled per name and per address on the server
(rnnkit/runs/throttle.py). The user is kept in the session (`app_user`), and the run store gets it, so
its checks apply. A roster login also lasts through reloads, new tabs and shared links for `login_hours`
(rnnkit/ui/login_cookie.py), and on every page load the roster (and the login's record) is asked again.
"""
from __future__ import annotations

import math
import os
from typing import Any

import streamlit as st
from streamlit import config

from rnnkit.runs.access import (
    SECRETS_FILE,
    Roster,
    SettingsError,
    User,
    check_settings,
    normalise_name,
    secrets_file_problem,
    user_from_identity,
)
from rnnkit.runs.limits import Limits
from rnnkit.runs.sessions import SessionsUnavailable
from rnnkit.runs.throttle import LoginThrottle, ThrottleUnavailable
from rnnkit.ui import login_cookie, safe
from rnnkit.ui.i18n import _


def _secrets() -> dict[str, Any] | None:
    """Every secret, or None when there is no secrets file at all; SettingsError when one exists but
    cannot be loaded (saying where the parser stopped)."""
    try:
        return st.secrets.to_dict()
    except Exception as error:  # noqa: BLE001 - Streamlit raises one type for "no file" and "a broken file"
        existing = [path for path in config.get_option("secrets.files") if os.path.exists(path)]
        if not existing:
            return None
        for path in existing:
            problem = secrets_file_problem(path) if os.path.isfile(path) else None
            if problem:
                raise SettingsError(problem) from None
        raise SettingsError(f"{existing[0]} cannot be loaded ({type(error).__name__})") from None


def _where() -> str:
    existing = [path for path in config.get_option("secrets.files") if os.path.isfile(path)]
    return existing[-1] if existing else SECRETS_FILE


def _settings() -> dict:
    """The checked [rnnkit] table in classroom mode, {} in single-user mode; a page whose settings are
    unusable stops here with what is wrong (the app is closed until the teacher mends the file)."""
    try:
        return check_settings(_secrets(), _where()) or {}
    except SettingsError as error:
        st.error(safe.plain(_("The classroom settings cannot be used, so the dashboard stays closed until the "
                              "teacher mends them: {problem}").format(problem=error)))
        st.stop()


def require_valid_settings() -> None:
    """Stop the page (with the message) when the secrets file exists but is unusable."""
    _settings()


def roster() -> Roster | None:
    settings = _settings()
    return Roster.from_settings(settings) if settings else None


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
    return bool(_settings()) and "auth" in (_secrets() or {})


def current_user() -> User | None:
    """The logged-in user in classroom mode; None in single-user mode (and before logging in). Asked
    again on every page load: a name no longer on the roster (or list of school accounts) is logged out,
    a changed role applies, and a roster login whose record has ended (logged out, expired) is over."""
    classroom = roster()
    if classroom is None:
        return None
    stored = st.session_state.get("app_user")
    if isinstance(stored, dict):
        user = login_cookie.still_valid(_settings(), classroom, stored) or _school_user()
        user = user if user is not None and user.name == stored.get("name") else None
    else:
        user = login_cookie.resume(_settings(), classroom) or _school_user()  # a reload, a new tab, a link
    if user is None:
        for key in ("app_user", "app_session"):
            st.session_state.pop(key, None)
    elif stored != {"name": user.name, "role": user.role}:
        st.session_state["app_user"] = {"name": user.name, "role": user.role}
    return user


def _school_user() -> User | None:
    """The user the school account signed in through st.login is in this class, if any."""
    if school_login() and st.user.get("is_logged_in", False):
        return user_from_identity(st.user.get("email"), _settings())
    return None


def may_use_server_paths() -> bool:
    """Type a path on the server: single-user mode and logged-in teachers; nobody before logging in."""
    if roster() is None:
        return True
    user = current_user()
    return user is not None and user.is_teacher


def log_out() -> None:
    login_cookie.forget(_settings())  # ends the login on the server too: a reload shows the form
    st.session_state.pop("app_user", None)
    if school_login() and st.user.get("is_logged_in", False):
        st.logout()


def require_login() -> None:
    """In classroom mode, stop the page until the user has logged in (the form is on the page)."""
    classroom = roster()
    if classroom is None:
        return
    user = current_user()
    login_cookie.write()  # the browser keeps (or drops) the login cookie
    if user is not None:
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
        name = st.text_input(_("Your name (as on the class list)"), key="auth_name", max_chars=200)
        code = st.text_input(_("Your personal code"), type="password", key="auth_code", max_chars=200)
        if st.form_submit_button(_("Log in")):
            _log_in(classroom, name, code)
    st.stop()


def _log_in(classroom: Roster, name: str, code: str) -> None:
    """Verify the code only when the throttle lets this name and address try now; say when to try again."""
    throttle, client = LoginThrottle(), st.context.ip_address or "local"
    try:
        retry_at = throttle.check_in(normalise_name(name), client)
    except ThrottleUnavailable:
        st.error(_("Logging in is paused: the server cannot record login attempts. Tell your teacher."))
        return
    if retry_at:
        seconds = max(1, math.ceil(retry_at - throttle.clock()))
        if seconds < 120:
            st.error(_("Too many failed attempts: try again in {seconds} s.").format(seconds=seconds))
        else:
            st.error(_("Too many failed attempts: this name or this computer is locked. Try again in {minutes} "
                       "min, or ask your teacher to unlock it.").format(minutes=math.ceil(seconds / 60)))
        return
    user = classroom.authenticate(name, code)
    if user is None:
        st.error(_("Name or code is wrong."))
        return
    try:
        throttle.succeeded(normalise_name(name), client)
    except ThrottleUnavailable:
        pass  # the right code: log in; the recorded failure expires with its window
    try:
        login_cookie.remember(_settings(), classroom, user)
    except SessionsUnavailable:
        st.error(_("Logging in is paused: the server cannot record logins. Tell your teacher."))
        return
    st.session_state["app_user"] = {"name": user.name, "role": user.role}
    st.rerun()


def lockouts() -> None:
    """For a teacher: the names and addresses locked out after failed logins, each with Unlock."""
    throttle = LoginThrottle()
    try:
        locked = throttle.locked()
    except ThrottleUnavailable as error:
        safe.error(error)
        return
    if not locked:
        return
    st.subheader(_("Locked out after failed logins"))
    for key, until in locked:
        minutes = max(1, math.ceil((until - throttle.clock()) / 60))
        left, right = st.columns([4, 1])
        left.text(_("{who}: locked for {minutes} more min").format(who=key, minutes=minutes))
        if right.button(_("Unlock"), key=f"home_unlock_{key}"):
            throttle.unlock(key)
            st.rerun()


def logins() -> None:
    """For a teacher: how long a login lasts, how many are open, and "Log everyone out"."""
    login_cookie.teacher_panel(_settings())
