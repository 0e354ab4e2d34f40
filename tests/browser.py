"""Helpers to drive the real dashboard: a `streamlit run app.py` server and Debian's chromium via Playwright.

Used by tests/test_browser.py and benchmarks/bench_app.py. No browser is downloaded: Playwright
launches /usr/bin/chromium (`apt install chromium`) through `executable_path`.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.waits import patience, patience_ms

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
APP = "[data-testid='stApp']"  # the app root; it carries the script's state (running, notRunning)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def missing_requirements() -> str:
    """Why the browser test cannot run here, or '' when it can."""
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed (apt install chromium); .ci/run installs it"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    return ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def dashboard(checkpoints: Path, log: Path, seconds: float = 120.0, options: tuple[str, ...] = ()):
    """Serve app.py headless on a free port (with extra `streamlit run` options); yields the base URL.
    `seconds` is for an idle machine (scaled by RNNKIT_TEST_TIME_FACTOR, see tests/waits.py)."""
    port = free_port()
    environment = {**os.environ, "RNNKIT_CHECKPOINTS_DIR": str(checkpoints), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               *options]
    with open(log, "wb") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + patience(seconds)
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=patience(5)).read() == b"ok":
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"streamlit did not start; see {log}")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=patience(30))
        except subprocess.TimeoutExpired:
            server.kill()


def log_in(page, name: str, code: str) -> None:
    """Classroom mode: fill the login form the dashboard shows first."""
    page.get_by_label("Your name (as on the class list)").first.fill(name)
    page.get_by_label("Your personal code").first.fill(code)
    page.get_by_role("button", name="Log in").first.click()
    page.get_by_role("heading", name="rnnkit").first.wait_for(timeout=patience_ms(60))
    wait_until_idle(page)


@contextlib.contextmanager
def browser_page(width: int = 1400, height: int = 1000, locale: str = "en-US"):
    """A chromium page; `locale` is the browser language the dashboard picks its default from. Every
    Playwright action and wait on it gives up after patience(60) s unless told otherwise."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                             timeout=patience_ms(120))
        try:
            page = browser.new_page(viewport={"width": width, "height": height}, locale=locale)
            page.set_default_timeout(patience_ms(60))
            page.set_default_navigation_timeout(patience_ms(120))
            yield page
        finally:
            browser.close()


def wait_until_idle(page, seconds: float = 60.0) -> None:
    """Wait until Streamlit has finished running the script: its app root says `notRunning` and no
    'Running...' widget is shown (that widget appears only half a second into a run, so it alone
    says nothing about a rerun that just started). A rerun that a click asked for starts a moment
    after the click, so that moment is given first. `seconds` is for an idle machine (scaled)."""
    page.wait_for_timeout(patience_ms(0.3))
    page.wait_for_load_state("networkidle", timeout=patience_ms(seconds))
    page.locator(f"{APP}[data-test-script-state='notRunning']").wait_for(state="attached",
                                                                         timeout=patience_ms(seconds))
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=patience_ms(seconds))


def choose_architectures(page, names: list[str], label: str = "Architectures") -> None:
    """Replace the Architectures multiselect's choice with `names` (checked, and retried once, because a
    click that lands while Streamlit reruns the script can be lost)."""
    box = page.locator("[data-testid='stMultiSelect']").filter(has_text=label).first
    for _ in range(3):
        box.locator("[aria-label='Clear all']").first.click()
        wait_until_idle(page)
        for name in names:
            box.locator("input").click()
            page.get_by_role("option", name=name, exact=True).first.click()
            wait_until_idle(page)
        page.keyboard.press("Escape")
        wait_until_idle(page)
        chosen = [tag.get_attribute("aria-label") for tag in box.locator("[data-tag]").all()]
        if sorted(chosen) == sorted(names):
            return
    raise AssertionError(f"could not choose architectures {names}; the box shows {chosen}")


def open_expander(page, title: str) -> None:
    """Open the expander `title` (checked, and clicked again if needed: a click that lands while Streamlit reruns
    the script, e.g. the rerun of a text field that the click took the focus from, can be lost)."""
    summary = page.locator("[data-testid='stExpander'] summary").filter(has_text=title).first  # its own title only
    details = summary.locator("xpath=..")
    for _ in range(3):
        wait_until_idle(page)
        if details.get_attribute("open") is not None:
            return
        summary.click()
        wait_until_idle(page)
        if details.get_attribute("open") is not None:
            return
    raise AssertionError(f"the expander {title!r} did not open")


def set_number(page, label: str, value: float) -> None:
    field = page.get_by_label(label, exact=True).first  # .first: a rerun may briefly show two
    field.fill(str(value))
    field.press("Enter")
    wait_until_idle(page)


HEADINGS = {"Home": "rnnkit", "首页": "rnnkit"}  # the Home page's title is the product name


def open_page(page, title: str, heading: str | None = None) -> None:
    """Click the sidebar link `title` and wait for the page's heading (`heading`, else the title)."""
    page.locator("[data-testid='stSidebarNavLink']").filter(has_text=title).first.click()
    page.get_by_role("heading", name=heading or HEADINGS.get(title, title)).first.wait_for(timeout=patience_ms(60))
    wait_until_idle(page)


def choose_option(page, label: str, text: str) -> None:
    """In the selectbox labelled `label` (its label starts so), pick the option containing `text`: type
    it to filter the (virtualised) list, press Enter, and check the box shows it (retried: a click
    that lands while Streamlit reruns the script can be lost)."""
    field = page.locator("[data-testid='stSelectbox']").filter(has_text=label).first.locator("input")
    for _ in range(3):
        if text in field.input_value():
            return
        field.click()
        field.press("Control+a")  # the box is a combobox holding the current choice as text
        field.press_sequentially(text)
        page.get_by_role("option").filter(has_text=text).first.click()
        wait_until_idle(page)
    if text not in field.input_value():
        raise AssertionError(f"could not choose {text!r} in {label!r}; it shows {field.input_value()!r}")


def inside_viewport(page, locator) -> bool:
    """True when the element is drawn completely within the visible viewport (no scrolling needed)."""
    box = locator.bounding_box()
    viewport = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"] + 1
