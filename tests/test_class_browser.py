"""A class in a real browser (Debian's chromium via Playwright) on a classroom server of its own: a teacher and
two students. The teacher pauses the queue and hands out a tiny recall assignment on the Class page; both
students start it on Train, one first through a shared link that changes a locked setting (the run store
refuses it, and the page says which setting and the teacher's value); the teacher's grid shows both
students' runs waiting, stops one student's runs and resumes the queue; that student starts again (their
runs were stopped, so they may); the teacher closes the assignment once every run has ended and the class's
result shows both students' dots and the verdict; a student's view shows "you" and an anonymous peer.

Screenshots of the grid and the class's result, in English and in Chinese, are saved to tests/artifacts/
(docs/screenshots/class-*.png come from here).
"""
from pathlib import Path

import pytest

from rnnkit.analysis.class_figures import verdict_lines
from rnnkit.analysis.class_results import class_result
from rnnkit.runs.access import hash_code
from rnnkit.runs.assignments import Assignments
from rnnkit.runs.class_runs import assignment_runs
from rnnkit.runs.store import RunStore
from tests import browser
from tests.waits import patience_ms, wait_until

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
pytestmark = pytest.mark.skipif(bool(browser.missing_requirements()), reason=browser.missing_requirements() or "ok")
TITLE = "Memory over 8 steps"
ENDED = ("completed", "failed", "stopped", "interrupted")


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    ARTIFACTS.mkdir(exist_ok=True)
    folder = tmp_path_factory.mktemp("class")
    secrets = folder / "secrets.toml"
    users = {"ms-zhang": "teacher", "alice": "student", "bob": "student"}
    secrets.write_text("\n".join(["[rnnkit]", 'mode = "classroom"', ""] + [
        line for name, role in users.items() for line in (
            f"[rnnkit.users.{name}]", f'role = "{role}"', f'code_hash = "{hash_code(name + "-code-9")}"', "")]),
        encoding="utf-8")
    checkpoints = folder / "checkpoints"
    with browser.dashboard(checkpoints, ARTIFACTS / "streamlit_class.log",
                           options=("--secrets.files", str(secrets))) as url:
        yield url, checkpoints


def logged_in(context, url: str, name: str):
    page = context.new_page()
    page.set_default_timeout(patience_ms(60))
    page.set_default_navigation_timeout(patience_ms(120))
    page.goto(url)
    page.get_by_label("Your personal code").first.wait_for()
    browser.log_in(page, name, f"{name}-code-9")
    return page


def states(checkpoints: Path, owner: str) -> list[str]:
    assignment = Assignments(checkpoints).list()[0]
    return [run.status()["state"] for run in assignment_runs(RunStore(checkpoints), assignment.assignment_id)
            if run.owner() == owner]


def plot_labels(page) -> list[list[str]]:
    """The labels of the class result's dots, per trace (plotly keeps them in the chart's data)."""
    return page.locator(".js-plotly-plot").first.evaluate(
        "plot => (plot.data || []).filter(trace => trace.type === 'scatter' && trace.text).map(trace => trace.text)")


def screenshot(page, top, name: str) -> None:
    """The page from `top` down, as a reader scrolls to it."""
    top.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / name))


def start_assignment(page, url: str, assignment_id: str, query: str = "") -> None:
    """Open the assignment's link on Train (a new page load: the login cookie keeps the student in) and Start."""
    page.goto(f"{url}/train?assignment={assignment_id}{query}")
    page.get_by_role("heading", name=f"Assignment: {TITLE}").first.wait_for()
    browser.wait_until_idle(page)
    page.get_by_role("button", name="Start the assignment").first.click()
    browser.wait_until_idle(page)


def test_a_teacher_hands_out_watches_stops_and_reads_the_class_result(classroom):
    url, checkpoints = classroom
    with browser.browser_page() as first:
        make = first.context.browser.new_context
        teacher, alice, bob = (logged_in(make(viewport={"width": 1400, "height": 1100}, locale="en-US"), url, name)
                               for name in ("ms-zhang", "alice", "bob"))
        browser.open_page(teacher, "Class")
        teacher.get_by_role("button", name="Pause the queue").click()
        teacher.get_by_text("The queue is paused").first.wait_for()
        browser.open_expander(teacher, "Hand out an assignment")
        teacher.get_by_label("Title").first.fill(TITLE)
        teacher.get_by_label("Instruction for the students (plain text)").first.fill("Train all three, then compare.")
        browser.open_expander(teacher, "Settings the class trains with")
        for label, value in (("sequence length T", 8), ("sequences", 200), ("epochs", 1)):
            browser.set_number(teacher, label, value)
        teacher.get_by_role("button", name="Hand out").first.click()
        teacher.get_by_text(f"Handed out: {TITLE}").first.wait_for()
        handed_out = Assignments(checkpoints).list()[0].assignment_id  # the students' links name it

        start_assignment(alice, url, handed_out)
        wait_until(lambda: states(checkpoints, "alice") == ["queued"] * 3, 30, "alice's runs in the queue")
        start_assignment(bob, url, handed_out, "&model.hidden_size=256")  # a link that changes a locked setting
        bob.get_by_text("Refused: model.hidden_size is locked by your teacher at 64").first.wait_for()
        assert states(checkpoints, "bob") == []
        bob.screenshot(path=str(ARTIFACTS / "class-refused.png"))
        start_assignment(bob, url, handed_out)
        wait_until(lambda: states(checkpoints, "bob") == ["queued"] * 3, 30, "bob's runs in the queue")

        teacher.get_by_text("2 of 2 students started · 6 run(s) queued or training").first.wait_for()
        browser.choose_option(teacher, "Student", "bob")
        teacher.get_by_role("button", name="Stop this student's runs").first.click()
        wait_until(lambda: states(checkpoints, "bob") == ["stopped"] * 3, 30, "bob's runs stopped")
        teacher.get_by_role("button", name="Resume the queue").first.click()
        wait_until(lambda: all(state in ENDED for state in states(checkpoints, "alice")), 180, "alice's runs")
        start_assignment(bob, url, handed_out)  # his runs were stopped: he may start again
        wait_until(lambda: len(states(checkpoints, "bob")) == 6 and all(
            state in ENDED for state in states(checkpoints, "bob")), 180, "bob's second runs")
        assert states(checkpoints, "alice") == ["completed"] * 3

        teacher.get_by_text("2 of 2 students started · 0 run(s) queued or training").first.wait_for()
        screenshot(teacher, teacher.get_by_text("2 of 2 students started").first, "class-grid-en.png")
        teacher.get_by_role("button", name="Close this assignment (no new starts)").first.click()
        browser.wait_until_idle(teacher)
        assignment = Assignments(checkpoints).get(handed_out)
        runs = assignment_runs(RunStore(checkpoints), assignment.assignment_id)
        for line in verdict_lines(class_result(assignment, runs)):  # the verdict, as the class result words it
            assert "needs 2 or more" not in line
            teacher.get_by_text(line).first.wait_for()
        dots = [label for labels in plot_labels(teacher) for label in labels]
        assert dots.count("alice") == 3 and dots.count("bob") == 3  # a dot per student and architecture
        screenshot(teacher, teacher.get_by_role("heading", name="The class's result").first, "class-result-en.png")
        teacher.get_by_text("中文", exact=True).first.click()  # the same two views in Chinese
        browser.wait_until_idle(teacher)
        screenshot(teacher, teacher.locator("[data-testid='stDataFrame']").first, "class-grid-zh.png")
        screenshot(teacher, teacher.locator(".js-plotly-plot").first, "class-result-zh.png")

        browser.open_page(alice, "Class")
        alice.get_by_text("Verdict, paired by student").first.wait_for()
        labels = [label for trace in plot_labels(alice) for label in trace]
        assert labels.count("you") >= 3 and "bob" not in labels and "alice" not in labels  # her dots, and her stars
        peers = [label for label in labels if label.startswith("student ")]
        assert len(peers) >= 3 and len(set(peers)) == 1  # one anonymous peer, the same number everywhere
        assert "bob" not in alice.locator("body").inner_text()
