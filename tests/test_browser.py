"""End to end in a real browser, on one shared dashboard server: a cold deep link; then the classroom
comparison (Train -> live curves for two architectures -> Compare -> Playground) once in English and
once in Chinese (the browser's language picks the interface), with projector mode checked at
1280x720: the running group's loss and accuracy charts must be visible without scrolling.

Screenshots are saved to tests/artifacts/ (the README's pictures come from here).
"""
import contextlib
import os
import re
import signal
import threading
import time
from pathlib import Path

import pytest

from rnnkit.runs.launcher import process_alive
from rnnkit.runs.store import RunStore
from tests import browser
from tests.waits import patience, patience_ms, wait_until

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@contextlib.contextmanager
def held_at_first_epoch(store: RunStore, before: set[str]):
    """Pause (SIGSTOP) each new run of `store` once it has finished its first epoch, until the block ends
    (SIGCONT): a look "while the group trains" must not depend on how fast a busy machine trains, nor on how
    long the browser takes to get there (a watcher thread holds the runs, whatever the test is waiting for).
    Only a process whose pid and start time are the ones its run recorded is signalled. Yields the ids held."""
    held: dict[str, tuple[int, int]] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for run in store.runs():
                if run.run_id in before or run.run_id in held or not run.metrics("epoch") or not run.is_active():
                    continue
                status = run.status()
                pid, start_time = status.get("pid"), status.get("start_time")
                if pid and start_time and process_alive(pid, start_time):
                    os.kill(pid, signal.SIGSTOP)
                    held[run.run_id] = (pid, start_time)
            done.wait(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield held
    finally:
        done.set()
        watcher.join(patience(30))
        for pid, start_time in held.values():
            if process_alive(pid, start_time):
                os.kill(pid, signal.SIGCONT)


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


def gradient_lines(charts) -> list[list[list[str]]]:
    """[colour, dash] of each line, for every chart `charts` finds (a rerun may briefly show the old one
    beside the new one); [] while none can be read."""
    from playwright.sync_api import Error

    try:
        return charts.evaluate_all("plots => plots.map(plot => (plot.data || []).map(trace => "
                                   "[(trace.line || {}).color, (trace.line || {}).dash]))")
    except Error:  # a chart replaced while it was read
        return []


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
        page.get_by_role("heading", name="Compare").first.wait_for(timeout=patience_ms(60))
        browser.wait_until_idle(page)
        assert page.url.rstrip("/").endswith("/compare")
        links = page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()
        assert [link.split()[-1] for link in links] == ["Home", "Train", "Compare", "Playground", "Inside", "Lab",
                                                        "Class"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_train_watch_compare_and_play_in_chromium(server, language):
    url, store = server
    words = WORDS[language]
    before = {run.run_id for run in store.runs()}
    with browser.browser_page(height=2400, locale=words["locale"]) as page:
        page.goto(url)
        page.get_by_role("heading", name="rnnkit").first.wait_for(timeout=patience_ms(60))
        browser.wait_until_idle(page)
        browser.open_page(page, words["train"])
        browser.choose_architectures(page, ["lstm", "gru"], label=words["architectures"])
        browser.open_expander(page, words["hyperparameters"])
        # English also checks projector mode while the group trains: each run is held after its first epoch (see
        # `held_at_first_epoch`) until the look is over, so the group can be as small as the Chinese one
        browser.set_number(page, words["length"], 60)
        browser.set_number(page, words["sequences"], 2000)
        browser.set_number(page, words["epochs"], 8)
        with held_at_first_epoch(store, before) if language == "en" else contextlib.nullcontext({}) as held:
            page.get_by_role("button", name=words["start"], exact=True).first.click()
            browser.wait_until_idle(page)
            runs = wait_until(lambda: len(new := [run for run in store.runs() if run.run_id not in before]) >= 2
                              and new, 60, "the Start click to create the group's two runs")
            assert sorted(run.config().model.arch for run in runs) == ["gru", "lstm"]
            if language == "en":  # projector mode at 1280x720 while the group trains
                wait_until(lambda: len(held) == 2, 300, "both runs' first epoch (then they are held)")
                page.set_viewport_size({"width": 1280, "height": 720})
                page.get_by_text(words["projector"]).first.click()
                browser.wait_until_idle(page)
                page.locator(".js-plotly-plot").nth(1).wait_for(timeout=patience_ms(60))
                page.wait_for_timeout(patience_ms(1.5))  # one live refresh with the larger charts
                charts = page.locator(".js-plotly-plot")
                visible, deadline = False, time.monotonic() + patience(20)
                while not visible and time.monotonic() < deadline:  # between live refreshes (one re-lays it out)
                    visible = all(browser.inside_viewport(page, charts.nth(index)) for index in (0, 1))
                    page.wait_for_timeout(250)
                page.screenshot(path=str(ARTIFACTS / "train_projector_1280x720.png"))
                assert all(run.is_active() for run in runs), [run.status().get("state") for run in runs]
                assert visible  # both charts, while the group trains
        if language == "en":
            page.get_by_text(words["projector"]).first.click()
            page.set_viewport_size({"width": 1400, "height": 2400})
            browser.wait_until_idle(page)

        # the live panel: both runs must reach their last epoch (the progress text reads epoch 8/8 or completed)
        deadline = time.monotonic() + patience(300)
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
        wait_until(lambda: not any(run.is_active() for run in runs), 300,  # Compare needs their test scores
                   "both runs to finish")
        page.locator("[data-testid='stAlertContentSuccess']").first.wait_for(timeout=patience_ms(60))
        browser.wait_until_idle(page)
        page.screenshot(path=str(ARTIFACTS / f"train_done_{language}.png"), full_page=True)

        browser.open_page(page, words["compare"])
        table = page.locator("[data-testid='stDataFrame']").first
        table.wait_for()
        wanted = {run.run_id for run in runs}
        cells: set[str] = set()
        deadline = time.monotonic() + patience(30)
        while time.monotonic() < deadline:  # the grid keeps an accessible copy of its canvas cells; it fills in
            cells = set(table.locator("[role='gridcell']").all_inner_texts())
            if wanted <= cells:
                break
            page.wait_for_timeout(100)
        assert wanted <= cells, cells
        assert any(re.fullmatch(r"\d+\.\d %", cell) for cell in cells), cells  # scores in percent
        page.screenshot(path=str(ARTIFACTS / f"compare_{language}.png"), full_page=True)

        browser.open_page(page, words["playground"])
        page.get_by_text(words["prediction"], exact=True).first.wait_for(timeout=patience_ms(60))  # a prediction ...
        page.get_by_text(words["truth"], exact=True).first.wait_for(timeout=patience_ms(30))  # ... and the truth
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
        page.get_by_role("heading", name="rnnkit").first.wait_for(timeout=patience_ms(60))
        browser.wait_until_idle(page)
        browser.open_page(page, "Inside", heading="Inside the network")
        browser.choose_option(page, "Task", "Recall")
        browser.choose_option(page, "Model", runs[0].run_id)
        charts = page.locator(".js-plotly-plot", has_text="gradient reaching each step")
        charts.first.wait_for(timeout=patience_ms(60))
        colours = {get_cell(arch).colour: arch for arch in ("rnn", "lstm", "gru")}
        lines, deadline = [], time.monotonic() + patience(60)
        while not lines and time.monotonic() < deadline:
            browser.wait_until_idle(page)  # during a rerun the previous model's chart may still be on screen
            lines = next((chart for chart in gradient_lines(charts) if sorted(colours[colour] for colour, dash in chart
                                                                              if colour in colours and dash == "solid")
                          == ["gru", "lstm", "rnn"]), [])
        assert lines, (gradient_lines(charts), page.locator("[data-testid='stMultiSelect']").all_inner_texts())
        assert [get_cell("lstm").colour, "dash"] in lines  # the LSTM's cell state c
        page.screenshot(path=str(ARTIFACTS / "inside_gradients.png"), full_page=True)
        page.get_by_text("Gates and states", exact=True).first.click()
        page.locator(".js-plotly-plot", has_text="hidden state h").first.wait_for(timeout=patience_ms(60))
        browser.wait_until_idle(page)
        page.screenshot(path=str(ARTIFACTS / "inside_gates.png"), full_page=True)
