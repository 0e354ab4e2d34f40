"""A roster login in a real browser (Debian's chromium via Playwright) on a classroom server: log in,
reload, still logged in; a shared link in a new tab, logged in; log out, reload, the login form.

The server is its own (a roster in a secrets file of this test), not tests/test_browser.py's single-user one.
"""
import base64
import json
from pathlib import Path

import pytest

from rnnkit.runs.access import hash_code
from tests import browser
from tests.waits import patience_ms, wait_until

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
pytestmark = pytest.mark.skipif(bool(browser.missing_requirements()), reason=browser.missing_requirements() or "ok")
LOGIN = "Your personal code"


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    ARTIFACTS.mkdir(exist_ok=True)
    folder = tmp_path_factory.mktemp("classroom")
    secrets = folder / "secrets.toml"
    secrets.write_text("\n".join([
        "[rnnkit]", 'mode = "classroom"', "",
        "[rnnkit.users.alice]", 'role = "student"', f'code_hash = "{hash_code("alice-code")}"', "",
        "[rnnkit.users.ms-zhang]", 'role = "teacher"', f'code_hash = "{hash_code("teacher-code")}"', "",
    ]), encoding="utf-8")
    with browser.dashboard(folder / "checkpoints", ARTIFACTS / "streamlit_classroom.log",
                           options=("--secrets.files", str(secrets))) as url:
        yield url


def new_tab(context):
    tab = context.new_page()
    tab.set_default_timeout(patience_ms(60))
    tab.set_default_navigation_timeout(patience_ms(120))
    return tab


def login_cookies(page) -> list[dict]:
    return [cookie for cookie in page.context.cookies() if cookie["name"].startswith("rnnkit_login_")]


def shows_login_form(page) -> bool:
    browser.wait_until_idle(page)
    return page.get_by_label(LOGIN).count() > 0


def logged_in_as(page, name: str) -> None:
    page.get_by_text(f"Logged in as {name}").first.wait_for(timeout=patience_ms(60))
    browser.wait_until_idle(page)
    assert not shows_login_form(page)


def test_a_login_survives_a_reload_and_a_new_tab_until_logging_out(classroom):
    url = classroom
    with browser.browser_page() as launched:
        context = launched.context.browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        page = new_tab(context)  # a browser window whose tabs share their cookies
        page.goto(url)
        page.get_by_label(LOGIN).first.wait_for(timeout=patience_ms(60))
        browser.log_in(page, "Alice", "alice-code")
        logged_in_as(page, "alice")
        cookie = wait_until(lambda: login_cookies(page), 30, "the login cookie")[0]
        assert cookie["sameSite"] == "Strict" and cookie["path"] == "/" and "alice-code" not in cookie["value"]
        payload = json.loads(base64.urlsafe_b64decode(cookie["value"].split(".")[1] + "=="))
        assert payload["expires"] - payload["issued"] == 4 * 3600  # login_hours' default: 4 h ...
        assert cookie["expires"] > payload["issued"]  # ... and the browser keeps it past this session (not -1)

        page.reload()
        page.get_by_role("heading", name="rnnkit").first.wait_for(timeout=patience_ms(60))
        logged_in_as(page, "alice")

        shared = new_tab(context)  # a link a classmate shared, opened in a new tab
        shared.goto(f"{url}/compare")
        shared.get_by_role("heading", name="Compare").first.wait_for(timeout=patience_ms(60))
        logged_in_as(shared, "alice")
        shared.goto(url.replace("127.0.0.1", "localhost") + "/_stcore/health")  # another site (another host) ...
        shared.set_content(f'<a href="{url}/compare">the class chat</a>')  # ... where the link is clicked
        with shared.expect_request(f"{url}/compare") as navigation:
            shared.get_by_text("the class chat").click()
        assert "rnnkit_login_" not in (navigation.value.all_headers().get("cookie") or "")  # cross-site indeed
        shared.get_by_role("heading", name="Compare").first.wait_for(timeout=patience_ms(60))
        logged_in_as(shared, "alice")  # SameSite=Strict: the page's own connection still sends the cookie
        shared.close()

        page.get_by_role("button", name="Log out").first.click()
        page.get_by_label(LOGIN).first.wait_for(timeout=patience_ms(60))
        wait_until(lambda: not login_cookies(page), 30, "the browser to drop the login cookie")
        page.reload()
        page.get_by_label(LOGIN).first.wait_for(timeout=patience_ms(60))
        assert shows_login_form(page)
        page.screenshot(path=str(ARTIFACTS / "login_after_logout.png"))

        browser.log_in(page, "alice", "alice-code")  # and once more: a new cookie in the same tab
        logged_in_as(page, "alice")
        wait_until(lambda: login_cookies(page) and login_cookies(page)[0]["value"] != cookie["value"], 30,
                   "a new login cookie")
        page.reload()
        page.get_by_role("heading", name="rnnkit").first.wait_for(timeout=patience_ms(60))
        logged_in_as(page, "alice")


def test_a_cookie_the_server_has_ended_shows_the_login_form(classroom):
    """Logging out in one browser ends the login everywhere: a copy of the cookie (another tab, a
    stolen copy) is refused at its next page load."""
    url = classroom
    with browser.browser_page() as page:
        page.goto(url)
        page.get_by_label(LOGIN).first.wait_for(timeout=patience_ms(60))
        browser.log_in(page, "alice", "alice-code")
        cookie = wait_until(lambda: login_cookies(page), 30, "the login cookie")[0]
        elsewhere = page.context.browser.new_context(locale="en-US")  # another browser: it shares no cookie
        elsewhere.add_cookies([{key: cookie[key] for key in ("name", "value", "domain", "path")}])
        thief = new_tab(elsewhere)
        thief.goto(url)
        thief.get_by_role("heading", name="rnnkit").first.wait_for(timeout=patience_ms(60))
        logged_in_as(thief, "alice")  # the copy works while the login lasts ...
        page.get_by_role("button", name="Log out").first.click()
        page.get_by_label(LOGIN).first.wait_for(timeout=patience_ms(60))
        thief.reload()
        thief.get_by_label(LOGIN).first.wait_for(timeout=patience_ms(60))  # ... and ends with it
        assert shows_login_form(thief)
        elsewhere.close()
