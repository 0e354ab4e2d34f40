"""End to end in a real browser, on one shared dashboard server: a cold deep link; then the classroom
comparison (Train -> live curves for two architectures -> Compare -> Playground) once in English and
once in Chinese (the browser's language picks the interface), with projector mode checked at
1280x720: the running group's loss and accuracy charts must be visible without scrolling.

Screenshots are saved to tests/artifacts/ (the README's pictures come from here).
"""
import re
import time
from pathlib import Path

import pytest

from rnnkit.runs.store import RunStore
from tests import browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
pytestmark = pytest.mark.skipif(bool(browser.missing_requirements()), reason=browser.missing_requirements() or "ok")

WORDS = {  # what a user reads and clicks, per interface language
    "en": {"locale": "en-US", "train": "Train", "compare": "Compare", "playground": "Playground",
           "architectures": "Architectures", "hyperparameters": "Hyperparameters", "length": "sequence length T",
           "sequences": "sequences", "epochs": "epochs", "start": "Start", "projector": "Projector mode",
           "done": r"epoch 8/8|completed", "prediction": "prediction", "truth": "truth"},
    "zh": {"locale": "zh-CN", "train": "训练", "compare": "比较", "playground": "试一试",
           "architectures": "网络结构", "hyperparameters": "超参数", "length": "序列长度 T",
           "sequences": "序列数", "epochs": "轮数", "start": "开始", "projector": "投影模式",
           "done": r"第 8/8 轮|已完成", "prediction": "预测", "truth": "真实值"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    ARTIFACTS.mkdir(exist_ok=True)
    checkpoints = tmp_path_factory.mktemp("browser") / "checkpoints"
    with browser.dashboard(checkpoints, ARTIFACTS / "streamlit.log") as url:
        yield url, RunStore(checkpoints)


def test_a_cold_deep_link_opens_the_page_it_names(server):
    """Before app.py has run once, Streamlit serves /compare from its legacy pages/ discovery; the page
    must still come up inside the app (sidebar navigation included), not on Home. (Runs first.)"""
    url, _ = server
    with browser.browser_page() as page:
        page.goto(f"{url}/compare")
        page.get_by_role("heading", name="Compare").first.wait_for(timeout=60_000)
        browser.wait_until_idle(page)
        assert page.url.rstrip("/").endswith("/compare")
        links = page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()
        assert [link.split()[-1] for link in links] == ["Home", "Train", "Compare", "Playground", "Inside"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_train_watch_compare_and_play_in_chromium(server, language):
    url, store = server
    words = WORDS[language]
    before = {run.run_id for run in store.runs()}
    with browser.browser_page(height=2400, locale=words["locale"]) as page:
        page.goto(url)
        page.get_by_role("heading", name="rnnkit").wait_for(timeout=60_000)
        browser.open_page(page, words["train"])
        browser.choose_architectures(page, ["lstm", "gru"], label=words["architectures"])
        page.get_by_text(words["hyperparameters"]).click()
        browser.set_number(page, words["length"], 60)
        browser.set_number(page, words["sequences"], 2000)
        browser.set_number(page, words["epochs"], 8)
        page.get_by_role("button", name=words["start"], exact=True).click()
        browser.wait_until_idle(page)
        runs = []
        for _ in range(100):
            runs = [run for run in store.runs() if run.run_id not in before]
            if len(runs) == 2:
                break
            time.sleep(0.1)
        assert sorted(run.config().model.arch for run in runs) == ["gru", "lstm"]

        if language == "en":  # projector mode at 1280x720 while the group trains
            while not all(run.metrics("epoch") for run in runs):
                time.sleep(0.5)
            page.set_viewport_size({"width": 1280, "height": 720})
            page.get_by_text(words["projector"]).click()
            browser.wait_until_idle(page)
            page.locator(".js-plotly-plot").nth(1).wait_for(timeout=30_000)
            time.sleep(1.5)  # one live refresh with the larger charts
            charts = page.locator(".js-plotly-plot")
            visible = False
            for _ in range(40):  # measured between live refreshes (a refresh briefly re-lays out the page)
                visible = browser.inside_viewport(page, charts.nth(0)) and browser.inside_viewport(page, charts.nth(1))
                if visible:
                    break
                time.sleep(0.25)
            page.screenshot(path=str(ARTIFACTS / "train_projector_1280x720.png"))
            assert visible and any(run.is_active() for run in runs)  # both charts, while the group trains
            page.get_by_text(words["projector"]).click()
            page.set_viewport_size({"width": 1400, "height": 2400})
            browser.wait_until_idle(page)

        # the live panel: both runs must reach their last epoch (the progress text reads epoch 8/8 or completed)
        deadline = time.monotonic() + 240
        texts = []
        while time.monotonic() < deadline:
            texts = page.locator("[data-testid='stProgress']").all_inner_texts()
            trained = all(len(run.metrics("epoch")) >= 2 for run in runs)
            if trained and len(texts) == 2 and len([t for t in texts if re.search(words["done"], t)]) == 2:
                break
            time.sleep(1)
        else:
            pytest.fail(f"live view did not reach epoch 8 for both runs; progress: {texts}")
        assert all(len(run.metrics("epoch")) >= 2 for run in runs), (texts, [run.status() for run in runs])
        assert page.locator(".js-plotly-plot").count() >= 2
        for run in runs:  # let them finish so Compare has test scores and the winner line shows
            while run.is_active():
                time.sleep(0.5)
        page.locator("[data-testid='stAlertContentSuccess']").first.wait_for(timeout=30_000)
        browser.wait_until_idle(page)
        page.screenshot(path=str(ARTIFACTS / f"train_done_{language}.png"), full_page=True)

        browser.open_page(page, words["compare"])
        table = page.locator("[data-testid='stDataFrame']").first
        table.wait_for()
        wanted = {run.run_id for run in runs}
        cells: set[str] = set()
        for _ in range(100):  # the grid keeps an accessible copy of its canvas cells; it fills in shortly
            cells = set(table.locator("[role='gridcell']").all_inner_texts())
            if wanted <= cells:
                break
            time.sleep(0.1)
        assert wanted <= cells, cells
        assert any(re.fullmatch(r"\d+\.\d %", cell) for cell in cells), cells  # scores in percent
        page.screenshot(path=str(ARTIFACTS / f"compare_{language}.png"), full_page=True)

        browser.open_page(page, words["playground"])
        page.get_by_text(words["prediction"], exact=True).first.wait_for(timeout=30_000)  # a prediction ...
        page.get_by_text(words["truth"], exact=True).first.wait_for(timeout=5_000)  # ... next to the true symbol
        page.screenshot(path=str(ARTIFACTS / f"playground_{language}.png"), full_page=True)


def test_inside_draws_a_gradient_line_per_architecture_of_the_recall_group(server):
    """Inside on a finished rnn/lstm/gru recall group: the gradient-flow chart has the RNN's, LSTM's and
    GRU's lines in their colours (the LSTM's cell state dashed beside), then the gate heatmaps draw."""
    import io

    from rnnkit.data.presets import build_config
    from rnnkit.model.cells import get_cell
    from rnnkit.worker.execute import execute

    url, store = server
    tiny = {"task": {"sequence_length": 40, "num_samples": 200}, "train": {"epochs": 1, "batch_size": 32}}
    configs = [build_config("recall", None, {**tiny, "model": {"arch": arch}}, group="ginside")
               for arch in ("rnn", "lstm", "gru")]
    runs = [store.create(config) for config in configs]
    for run in runs:
        assert execute(run, stream=io.StringIO(), install_signals=False) == "completed"
    with browser.browser_page(height=1800) as page:
        page.goto(url)
        page.get_by_role("heading", name="rnnkit").wait_for(timeout=60_000)
        browser.open_page(page, "Inside", heading="Inside the network")
        browser.choose_option(page, "Task", "Recall")
        browser.choose_option(page, "Model", runs[0].run_id)
        chart = page.locator(".js-plotly-plot", has_text="gradient reaching each step")
        chart.wait_for(timeout=30_000)
        colours = {get_cell(arch).colour: arch for arch in ("rnn", "lstm", "gru")}
        for _ in range(60):  # the chart of the model shown before the choice may still be on screen
            lines = chart.evaluate("plot => plot.data.map(trace => [trace.line.color, trace.line.dash])")
            drawn = sorted(colours[colour] for colour, dash in lines if colour in colours and dash == "solid")
            if drawn == ["gru", "lstm", "rnn"]:
                break
            time.sleep(0.5)
        assert drawn == ["gru", "lstm", "rnn"], (lines, page.locator("[data-testid='stMultiSelect']").inner_text())
        assert [get_cell("lstm").colour, "dash"] in lines  # the LSTM's cell state c
        page.screenshot(path=str(ARTIFACTS / "inside_gradients.png"), full_page=True)
        page.get_by_text("Gates and states", exact=True).click()
        page.locator(".js-plotly-plot", has_text="hidden state h").first.wait_for(timeout=30_000)
        browser.wait_until_idle(page)
        page.screenshot(path=str(ARTIFACTS / "inside_gates.png"), full_page=True)
