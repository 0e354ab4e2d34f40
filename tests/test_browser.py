"""End to end in a real browser: Train -> live curves for two architectures -> Compare -> Playground.

Screenshots of each page are saved to tests/artifacts/ (the README's pictures come from here).
"""
import re
import time
from pathlib import Path

import pytest

from rnnkit.runs import RunStore
from tests import browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
pytestmark = pytest.mark.skipif(bool(browser.missing_requirements()), reason=browser.missing_requirements() or "ok")


def test_train_watch_compare_and_play_in_chromium(tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    checkpoints = tmp_path / "checkpoints"
    store = RunStore(checkpoints)
    with browser.dashboard(checkpoints, ARTIFACTS / "streamlit.log") as url, browser.browser_page(height=2400) as page:
        page.goto(url)
        page.get_by_role("heading", name="rnnkit").wait_for(timeout=60_000)
        browser.open_page(page, "Train")
        browser.choose_architectures(page, ["lstm", "gru"])
        page.get_by_text("Hyperparameters").click()
        browser.set_number(page, "sequence length T", 60)
        browser.set_number(page, "sequences", 2000)
        browser.set_number(page, "epochs", 3)
        page.get_by_role("button", name="Start").click()

        # the live panel: both runs must get past epoch 2 (their progress text reads epoch 3/3 or completed)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            texts = page.locator("[data-testid='stProgress']").all_inner_texts()
            past_two = [t for t in texts if re.search(r"epoch 3/3|completed", t)]
            if len(texts) == 2 and len(past_two) == 2:
                break
            time.sleep(1)
        else:
            pytest.fail(f"live view did not reach epoch 3 for both runs; progress: {texts}")
        runs = store.runs()
        assert sorted(run.config().model.arch for run in runs) == ["gru", "lstm"]
        assert all(len(run.metrics("epoch")) >= 2 for run in runs)  # what the charts are drawing
        assert page.locator(".js-plotly-plot").count() >= 2
        page.get_by_text("Hyperparameters").click()  # fold the form so the picture shows the live panel
        browser.wait_until_idle(page)
        page.screenshot(path=str(ARTIFACTS / "train_live.png"), full_page=True)

        for run in runs:  # let them finish so Compare has test scores
            while run.is_active():
                time.sleep(0.5)
        browser.open_page(page, "Compare")
        table = page.locator("[data-testid='stDataFrame']").first
        table.wait_for()
        wanted = {run.run_id for run in runs}
        for _ in range(100):  # the grid keeps an accessible copy of its canvas cells; it fills in shortly
            cells = set(table.locator("[role='gridcell']").all_inner_texts())
            if wanted <= cells:
                break
            time.sleep(0.1)
        assert wanted <= cells, cells
        page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)

        browser.open_page(page, "Playground")
        page.get_by_text("prediction", exact=True).first.wait_for(timeout=30_000)  # a prediction ...
        page.get_by_text("truth", exact=True).first.wait_for(timeout=5_000)  # ... next to the true symbol
        page.screenshot(path=str(ARTIFACTS / "playground.png"), full_page=True)


def test_a_cold_deep_link_opens_the_page_it_names(tmp_path):
    """Before app.py has run once, Streamlit serves /compare from its legacy pages/ discovery; the page
    must still come up inside the app (sidebar navigation included), not on Home."""
    with browser.dashboard(tmp_path / "checkpoints", tmp_path / "streamlit.log") as url, browser.browser_page() as page:
        page.goto(f"{url}/compare")
        page.get_by_role("heading", name="Compare").first.wait_for(timeout=60_000)
        browser.wait_until_idle(page)
        assert page.url.rstrip("/").endswith("/compare")
        links = page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()
        assert [link.split()[-1] for link in links] == ["Home", "Train", "Compare", "Playground"]
