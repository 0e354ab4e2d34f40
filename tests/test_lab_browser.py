"""A guided lab end to end in a real browser (Debian's chromium via Playwright), once in English and once in
中文 (the browser's language picks the interface and the lab's language), on one dashboard server: open the
memory-horizon lab, Start its run step at the quick size, wait for the runs, see a check pass, answer both
questions, reload (the answers stay: this browser's progress), write the report, download it as HTML and PDF,
and open the HTML offline (file://, every network request refused): it shows the answer and a figure.

Screenshots are saved to tests/artifacts/ (docs/labs.md's pictures come from here).
"""
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from rnnkit.analysis.labs import load_lab
from rnnkit.core.i18n import translate
from rnnkit.runs.lab_progress import LabProgress
from rnnkit.runs.store import RunStore
from tests import browser
from tests.waits import patience, patience_ms, wait_until

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAB = "memory-horizon"
pytestmark = pytest.mark.skipif(bool(browser.missing_requirements()), reason=browser.missing_requirements() or "ok")
LOCALES = {"en": "en-US", "zh": "zh-CN"}
ANSWERS = {"en": "The forget gate stays near 1, so c_t carries the symbol forward",
           "zh": "遗忘门接近 1，所以 c_t 把符号一直带到最后"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    ARTIFACTS.mkdir(exist_ok=True)
    checkpoints = tmp_path_factory.mktemp("lab-browser") / "checkpoints"
    with browser.dashboard(checkpoints, ARTIFACTS / "streamlit_lab.log") as url:
        yield url, RunStore(checkpoints)


def lab_runs(store: RunStore) -> list:
    return [run for run in store.runs() if run.config().lab == f"{LAB}/horizon"]


def open_lab(page, url: str, words) -> None:
    page.goto(url)
    page.get_by_role("heading", name="rnnkit").first.wait_for(timeout=patience_ms(60))
    browser.wait_until_idle(page)
    browser.open_page(page, words("Lab"))
    browser.choose_option(page, words("Lab"), words.lab.title)  # the box opens the first lab: choose this one
    page.get_by_role("heading", name=words.lab.title).first.wait_for(timeout=patience_ms(60))
    browser.wait_until_idle(page)


class Words:
    """What a student reads and clicks in one language: the interface's words and the lab's texts."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.lab = load_lab(LAB, language)
        self.choice = next(step for step in self.lab.steps if step.kind == "question" and step.choices)
        self.checks = [step for step in self.lab.steps if step.kind == "check"]

    def __call__(self, message: str) -> str:
        return translate(message, self.language)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_student_does_the_memory_horizon_lab_and_downloads_the_report(server, language, tmp_path):
    url, store = server
    words = Words(language)
    before = {run.run_id for run in lab_runs(store)}
    with browser.browser_page(height=2400, locale=LOCALES[language]) as page:
        open_lab(page, url, words)
        page.get_by_role("button", name=words("Start"), exact=True).first.click()
        browser.wait_until_idle(page)
        runs = wait_until(lambda: len(new := [run for run in lab_runs(store) if run.run_id not in before]) >= 9 and new,
                          60, "the Start click to queue the lab's nine runs")
        assert sorted({run.config().task.options.sequence_length for run in runs}) == [5, 20, 50]
        wait_until(lambda: all(run.status()["state"] == "completed" for run in runs), 600,
                   "the lab's nine runs to complete")
        claim = words.checks[0].text[:20]  # the LSTM's check: passed once the runs' test scores are in
        page.locator("[data-testid='stAlertContentSuccess']").filter(has_text=claim).first.wait_for(
            timeout=patience_ms(90))
        browser.wait_until_idle(page)

        page.get_by_text(words.choice.choices[1], exact=True).first.click()  # the explanation that fits
        browser.wait_until_idle(page)
        page.locator("textarea").first.fill(ANSWERS[language])
        page.get_by_role("button", name=words("Save the answer")).first.click()
        browser.wait_until_idle(page)
        page.screenshot(path=str(ARTIFACTS / f"lab_{language}.png"), full_page=True)

        page.reload()  # a new connection: the cookie (and the address) bring this browser's progress back
        page.get_by_role("heading", name=words.lab.title).first.wait_for(timeout=patience_ms(60))
        browser.wait_until_idle(page)
        wait_until(lambda: page.locator("textarea").first.input_value() == ANSWERS[language], 30,
                   "the saved answer after a reload")
        checked = page.locator("label", has=page.locator("input[type='radio']:checked"))
        assert checked.filter(has_text=words.choice.choices[1]).count() == 1, checked.all_inner_texts()
        learner = parse_qs(urlparse(page.url).query)["learner"][0]
        answers = LabProgress(store.root, learner).get(LAB)["answers"]
        assert answers[words.choice.id] == words.choice.choices[1] and ANSWERS[language] in answers.values()

        page.get_by_role("button", name=words("Write my lab report")).first.click()
        html_button = page.get_by_role("button", name=words("Download the report (HTML)")).first
        html_button.wait_for(timeout=patience_ms(180))
        browser.wait_until_idle(page)
        with page.expect_download() as download:
            html_button.click()
        report = tmp_path / "report.html"
        download.value.save_as(report)
        with page.expect_download() as download:
            page.get_by_role("button", name=words("Download the report (PDF)")).first.click()
        pdf = tmp_path / "report.pdf"
        download.value.save_as(pdf)
        assert pdf.read_bytes()[:5] == b"%PDF-"

        context = page.context.browser.new_context(offline=True, locale=LOCALES[language])
        refused = []
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                      else (refused.append(route.request.url), route.abort()))
        offline = context.new_page()
        offline.goto(report.as_uri())
        offline.wait_for_load_state("load")
        text = offline.locator("body").inner_text()
        assert ANSWERS[language] in text
        assert words.choice.choices[1][:30] in text
        deadline = time.monotonic() + patience(30)
        while offline.locator("svg, img").count() == 0 and time.monotonic() < deadline:
            offline.wait_for_timeout(200)
        assert offline.locator("svg, img").count() > 0, "the report shows no figure offline"
        offline.screenshot(path=str(ARTIFACTS / f"lab_report_{language}.png"), full_page=True)
        assert not refused, refused  # it needs nothing from the network
        context.close()
