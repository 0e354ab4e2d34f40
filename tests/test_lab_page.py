"""The Lab page under AppTest: every shipped lab renders in English and 中文 without an exception; a bad or
unknown lab id in the address is said plainly (and never rendered as markdown); answers are saved in the
student's progress and come back in a new session; a run step's Start queues the lab's group, and its runs'
results reach the look and check steps."""
import dataclasses
import io

import pytest

from rnnkit.analysis.labs import lab_ids, load_lab, step_configs
from rnnkit.runs.lab_progress import LabProgress
from rnnkit.runs.store import RunStore
from rnnkit.ui.safe import plain
from tests.apptest import page

LEARNER = "0123456789abcdef0123456789abcdef"  # this browser's id, as the page keeps it in the address


@pytest.fixture
def lab_env(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path / "checkpoints"))
    monkeypatch.setenv("RNNKIT_WARM_WORKER", "off")
    return RunStore(tmp_path / "checkpoints")


def lab_page(lab_id: str, language: str = "en", learner: str = LEARNER):
    app = page("lab", app_language=language)
    app.query_params["lab"] = lab_id
    app.query_params["learner"] = learner
    return app.run()


def texts(app) -> str:
    parts = [element.value for kind in ("text", "markdown", "caption", "info", "warning", "success", "error")
             for element in getattr(app, kind)]
    return "\n".join(str(part) for part in parts)


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("lab_id", lab_ids())
def test_every_shipped_lab_renders(lab_env, lab_id, language):
    app = lab_page(lab_id, language)
    assert not app.exception, app.exception
    assert not app.error, [error.value for error in app.error]
    lab = load_lab(lab_id, language)
    assert any(plain(lab.title) in header.value for header in app.header)  # escaped: never markdown
    assert lab.aim.strip() in [text.value.strip() for text in app.text]
    headings = [str(text.value) for text in app.markdown if str(text.value).startswith("**")][1:]  # after the aim
    assert len(headings) == len(lab.steps)  # every step, in order, those ahead of the student too
    assert all(f" {step.index} " in heading for step, heading in zip(lab.steps, headings)), headings


def test_an_unknown_lab_id_in_the_address_is_said_and_the_first_lab_opens(lab_env):
    app = lab_page("no-such-lab*[link](http://x)")
    assert not app.exception
    warning = " ".join(str(element.value) for element in app.warning)
    assert "There is no lab called" in warning
    assert "\\[link\\]\\(http" in warning  # shown literally: escaped, never a link
    assert app.selectbox(key="lab_pick").value == lab_ids()[0]


def test_answers_are_saved_and_come_back_in_a_new_session(lab_env):
    lab = load_lab("memory-horizon")
    choice = next(step for step in lab.steps if step.kind == "question" and step.choices)
    free = next(step for step in lab.steps if step.kind == "question" and not step.choices)
    app = lab_page(lab.id)
    app.radio(key=f"lab_{lab.id}_answer_{choice.id}").set_value(choice.choices[1]).run()
    app.text_area(key=f"lab_{lab.id}_answer_{free.id}").input("the forget gate keeps c_t").run()
    assert not app.exception
    saved = LabProgress(lab_env.root, LEARNER).get(lab.id)
    assert saved["answers"] == {choice.id: choice.choices[1], free.id: "the forget gate keeps c_t"}

    again = lab_page(lab.id)  # a reload, or the server started again: a new session, the same browser id
    assert again.text_area(key=f"lab_{lab.id}_answer_{free.id}").value == "the forget gate keeps c_t"
    assert again.radio(key=f"lab_{lab.id}_answer_{choice.id}").value == choice.choices[1]
    other = lab_page(lab.id, learner="f" * 32)  # another browser: its own, empty answers
    assert other.text_area(key=f"lab_{lab.id}_answer_{free.id}").value == ""


def test_start_queues_the_step_and_its_runs_reach_the_look_and_check_steps(lab_env, monkeypatch):
    """Start queues the run step's group through the queue (tagged with the lab) and saves it as this student's;
    a group of the step trained here at a tiny size then feeds the horizon view and the checks."""
    from rnnkit.runs.launcher import LocalLauncher
    from rnnkit.worker.execute import execute

    monkeypatch.setattr(LocalLauncher, "launch", lambda self, runs, resume=False: None)  # queued, not trained
    lab = load_lab("memory-horizon")
    step = lab.run_steps()[0]
    app = lab_page(lab.id)
    app.button(key=f"lab_{lab.id}_{step.index}_start").click().run()
    assert not app.exception
    group = LabProgress(lab_env.root, LEARNER).get(lab.id)["groups"][step.name]
    queued = lab_env.runs(group=group)
    assert len(queued) == len(step_configs(lab, step)) == 9
    assert {run.config().lab for run in queued} == {f"{lab.id}/{step.name}"}
    assert "0 of 9 run(s) of this step completed." in texts(app)

    tiny = []
    for config in step_configs(lab, step)[:3]:  # T = 5 for each architecture, 200 sequences, one epoch
        options = dataclasses.replace(config.task.options, num_samples=200)
        tiny.append(dataclasses.replace(config, task=dataclasses.replace(config.task, options=options),
                                        train=dataclasses.replace(config.train, epochs=1), group="gtiny"))
    for config in tiny:
        assert execute(lab_env.create(config), stream=io.StringIO(), install_signals=False) == "completed"
    progress = LabProgress(lab_env.root, LEARNER)
    record = progress.get(lab.id)
    record["groups"][step.name] = "gtiny"
    progress.save(lab.id, record)
    app = lab_page(lab.id)
    assert not app.exception
    shown = texts(app)
    assert "3 of 3 run(s) of this step completed." in shown
    assert "Latest experiment: 3 of 3 runs tested." in shown  # the horizon view of these runs
    checks = [step for step in lab.steps if step.kind == "check"]
    verdicts = " ".join(str(element.value) for kind in ("success", "warning") for element in getattr(app, kind))
    assert all(check.text[:20] in verdicts for check in checks), verdicts  # decided: passed or not yet


def test_a_teacher_sees_each_students_progress_and_report_and_a_student_only_their_own(lab_env):
    from tests.test_access import roster_settings

    lab = load_lab("memory-horizon")
    free = next(step for step in lab.steps if step.kind == "question" and not step.choices)
    for name, answer in (("alice", "alice's own words"), ("bob", "bob's own words")):
        LabProgress(lab_env.root, name).save(lab.id, {"step": 2, "answers": {free.id: answer}, "groups": {}})

    student = page("lab", app_user={"name": "alice", "role": "student"})
    student.secrets["rnnkit"] = roster_settings()
    student.query_params["lab"] = lab.id
    student.run()
    assert not student.exception
    assert student.text_area(key=f"lab_{lab.id}_answer_{free.id}").value == "alice's own words"
    assert "bob" not in texts(student) and "Students in this lab" not in [head.value for head in student.subheader]

    teacher = page("lab", app_user={"name": "ms-zhang", "role": "teacher"})
    teacher.secrets["rnnkit"] = roster_settings()
    teacher.query_params["lab"] = lab.id
    teacher.run()
    assert not teacher.exception
    assert "Students in this lab" in [head.value for head in teacher.subheader]
    table = teacher.dataframe[0].value  # the only table: no runs yet
    assert list(table["student"]) == ["alice", "bob"] and list(table["answers"]) == [1, 1]
    teacher.selectbox(key=f"lab_student_{lab.id}").set_value("bob").run()
    teacher.button(key=f"lab_teacher_write_{lab.id}").click().run()
    assert not teacher.exception
    report = teacher.session_state["lab_teacher_report_bob"]["html"]
    assert "bob's own words" in report.replace("&#x27;", "'") and "alice's own words" not in report
