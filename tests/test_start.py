"""A start that explains itself, and names people read (issue 24, items 5 and 6): each run's row says what it
waits for (its place in the queue, the libraries loading, a machine other programs keep busy), Train warns
when the machine is busy, the workers' nice value is a setting; groups read "recall · rnn/lstm/gru · 08:01"
(editable by their owner or a teacher) wherever a group is shown, and the rows of a seeds group say their seed.
"""
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from rnnkit.analysis.reports import comparison_table, run_label
from rnnkit.analysis.seeds import variants
from rnnkit.core import settings
from rnnkit.data.presets import build_config
from rnnkit.runs import group_names, groups, machine
from rnnkit.runs.access import User
from rnnkit.runs.launcher import LocalLauncher
from rnnkit.runs.limits import Limits
from rnnkit.runs.store import RunError, RunStore, delete_run
from rnnkit.ui.labels import ordinal
from rnnkit.ui.live import progress_text
from tests.apptest import page
from tests.test_access import roster_settings
from tests.test_queue import ALICE, BOB, TINY, RecordingLauncher, configs
from tests.waits import patience

BUSY = machine.MachineLoad(cores=2, other_cores=1.8, other_programs=3)
IDLE = machine.MachineLoad(cores=2, other_cores=0.1, other_programs=0)


# ------------------------------------------------------------------------- the nice value, a setting
def test_the_workers_nice_value_is_a_setting_with_a_clear_error(monkeypatch):
    monkeypatch.delenv("RNNKIT_WORKER_NICE", raising=False)
    assert settings.worker_nice() == 10
    monkeypatch.setenv("RNNKIT_WORKER_NICE", " 0 ")
    assert settings.worker_nice() == 0
    assert "RNNKIT_WORKER_NICE" in settings.NAMES
    for bad in ("low", "20", "-1", "2.5"):
        monkeypatch.setenv("RNNKIT_WORKER_NICE", bad)
        with pytest.raises(ValueError, match="RNNKIT_WORKER_NICE"):
            settings.worker_nice()


def test_threads_per_run_is_a_setting_with_a_clear_error(monkeypatch):
    from rnnkit.runs.launcher import parallel_threads

    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    for unset in (None, "auto", " AUTO "):
        if unset is None:
            monkeypatch.delenv("RNNKIT_THREADS_PER_RUN", raising=False)
        else:
            monkeypatch.setenv("RNNKIT_THREADS_PER_RUN", unset)
        assert settings.threads_per_run() is None
        assert [parallel_threads(runs) for runs in (1, 3, 8, 20)] == [8, 2, 1, 1]  # the cores divided, at least 1
    monkeypatch.setenv("RNNKIT_THREADS_PER_RUN", "2")
    assert settings.threads_per_run() == 2 and [parallel_threads(runs) for runs in (1, 3, 20)] == [2, 2, 2]
    assert "RNNKIT_THREADS_PER_RUN" in settings.NAMES
    for bad in ("many", "0", "-2", "1.5", "5000"):
        monkeypatch.setenv("RNNKIT_THREADS_PER_RUN", bad)
        with pytest.raises(ValueError, match="RNNKIT_THREADS_PER_RUN"):
            settings.threads_per_run()


def test_train_says_how_a_start_shares_the_cores(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    monkeypatch.setattr(machine, "current_load", lambda training_runs=0: IDLE)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.delenv("RNNKIT_THREADS_PER_RUN", raising=False)
    monkeypatch.delenv("RNNKIT_WORKER_NICE", raising=False)
    app = page("train")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    captions = [element.value for element in app.caption]
    assert any(text.startswith("3 runs on 2 cores: 3 train at once, each with 1 CPU thread(s), at low priority "
                               "(nice 10)") and "RNNKIT_THREADS_PER_RUN" in text for text in captions), captions
    monkeypatch.setenv("RNNKIT_THREADS_PER_RUN", "lots")  # a bad setting is said before Start, not a traceback
    app = page("train")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("RNNKIT_THREADS_PER_RUN must be auto or a whole number" in element.value for element in app.caption)


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no nice on this system")
@pytest.mark.parametrize("setting", ["0", "15"])
def test_a_worker_lowers_its_priority_by_the_setting_only(setting):
    """0 leaves a worker at the priority it was started with; 15 puts it at 15 (never lower than it was)."""
    code = "import os; from rnnkit.runs.launcher import lower_priority; lower_priority(); print(os.nice(0))"
    environment = {**os.environ, "RNNKIT_WORKER_NICE": setting}
    found = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                           check=True, cwd=settings.PROJECT_ROOT, timeout=patience(60)).stdout
    assert int(found) == max(os.nice(0), int(setting))


AUTOGROUP = Path("/proc/self/autogroup")


@pytest.mark.skipif(not AUTOGROUP.exists(), reason="no autogroup scheduling on this system")
def test_a_worker_nices_its_scheduling_group_only_when_it_leads_its_own_session():
    """In someone else's session (a terminal's, this test runner's) the scheduling group is the whole session's:
    lower_priority leaves it alone (it once put the test runner's session at nice 15, behind the workers it was
    testing). In a session of its own, as every worker has, it nices its group."""
    code = ("from rnnkit.runs.launcher import lower_priority; lower_priority(); "
            "print(open('/proc/self/autogroup').read())")
    environment = {**os.environ, "RNNKIT_WORKER_NICE": "15"}
    before = AUTOGROUP.read_text().split()  # ['/autogroup-N', 'nice', 'K']
    try:
        shared, own = (subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                                      check=True, cwd=settings.PROJECT_ROOT, timeout=patience(60),
                                      start_new_session=new_session).stdout.split()
                       for new_session in (False, True))
        assert AUTOGROUP.read_text().split() == before  # this session's group: untouched
        assert shared == before
        # Its own group, niced by the setting. Some kernels (a CI container's, autogroup switched off or the
        # session inside a cgroup of its own) report no group for a session, this runner's or a new one: nothing
        # to compare or to nice there.
        assert not own or (own[-1] == "15" and own[0] not in before[:1]), (own, before)
    finally:
        if before and AUTOGROUP.read_text().split() != before:  # undo a failure's damage to the rest of the suite
            AUTOGROUP.write_text(before[-1])


def test_a_bad_nice_setting_fails_the_start_saying_so(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_WORKER_NICE", "very")
    store = RunStore(tmp_path, LocalLauncher(), limits=Limits(capacity=2))
    run = store.start(configs(1, "g1"))[0]
    status = run.raw_status()
    assert status["state"] == "failed" and "RNNKIT_WORKER_NICE" in status["error"]
    assert not run.log_path.exists()  # no process was started


# ------------------------------------------------------------------------- how busy the machine is
def fake_proc(folder, processes):
    """A /proc-like folder: pid -> (command, CPU ticks); the command may hold spaces and brackets."""
    for pid, (command, ticks) in processes.items():
        (folder / str(pid)).mkdir()
        fields = ["S", "1", "1", "1"] + ["0"] * 7 + [str(ticks), "0"] + ["0"] * 6 + ["4242"]
        (folder / str(pid) / "stat").write_text(f"{pid} ({command}) {' '.join(fields)}\n")
    (folder / "self").mkdir()


def test_other_programs_are_counted_from_two_looks_and_our_own_are_not(tmp_path):
    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir()
    after.mkdir()
    fake_proc(before, {10: ("stress (cpu) x", 0), 11: ("chromium", 0), 12: ("worker", 0), 13: ("idle", 0)})
    fake_proc(after, {10: ("stress (cpu) x", 100), 11: ("chromium", 40), 12: ("worker", 100), 13: ("idle", 1),
                      14: ("new", 500)})  # 14 started in between: nothing to compare it with
    first, second = machine.read_processes(before), machine.read_processes(after)
    assert set(second) == {(pid, 4242) for pid in (10, 11, 12, 13, 14)}
    found = machine.compare(first, second, seconds=1.0, cores=2, ticks_per_second=100, ours=lambda pid: pid == 12)
    assert found == machine.MachineLoad(cores=2, other_cores=1.4, other_programs=2)
    assert found.busy
    quiet = machine.compare(first, second, seconds=10.0, cores=2, ticks_per_second=100, ours=lambda pid: pid == 12)
    assert quiet.other_programs == 0 and not quiet.busy  # the same CPU time over 10 s: 0.14 of a core
    assert machine.read_processes(tmp_path / "no-proc") == {}


def test_this_process_is_ours_and_a_plain_process_is_not():
    assert machine.is_ours(os.getpid())
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                          env={key: value for key, value in os.environ.items() if key != "RNNKIT_WORKER_TOKEN"}) \
            as other:
        try:
            assert not machine.is_ours(other.pid)
        finally:
            other.kill()
    load = machine.current_load()  # the real machine: whatever it is doing, an answer of the right shape
    assert load.cores == (os.cpu_count() or 1) and 0 <= load.other_cores <= load.cores


# ------------------------------------------------------------------------- what a row says
def status(state="queued", **extra):
    return {"state": state, "phase": "", "epoch": 0, "epochs": 3, "step": None, "steps_per_epoch": None,
            "fraction": 0.0, "eta_seconds": None, "resume_step": 0, "test": {}, "monitor": "", "error": "",
            "stop_reason": "", **extra}


def test_a_rows_text_says_what_the_run_waits_for():
    place = {"position": 3, "training": 2, "capacity": 2, "owner_busy": False}
    assert progress_text(status(queue_place=place)) == "queued: 3rd in line, 2 run(s) ahead use the 2 slot(s)"
    assert progress_text(status(queue_place={**place, "position": 1})) == \
        "queued: next in line, 2 run(s) ahead use the 2 slot(s)"
    assert "owner's group in training" in progress_text(status(queue_place={**place, "owner_busy": True}))
    assert progress_text(status(launched=True)) == "starting (loading libraries)"
    assert progress_text(status(launched=True, phase="loading data")) == "loading data"
    assert progress_text(status()) == "queued"  # created, neither waiting in the queue nor launched
    busy = progress_text(status("running", step=4, steps_per_epoch=10, eta_seconds=90.0, machine=BUSY))
    assert busy == "epoch 1/3 · step 4/10 · ETA 1 min 30 s · the machine is busy: 3 other program(s) use the cores"
    assert "busy" not in progress_text(status("running", machine=IDLE))
    assert "busy" not in progress_text(status("completed", machine=BUSY))
    assert [ordinal(number) for number in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]


def test_the_queue_says_each_waiting_runs_place_and_what_it_waits_for(tmp_path):
    launcher = RecordingLauncher()
    capacity = Limits(capacity=2)
    first = RunStore(tmp_path, launcher, limits=capacity).start(configs(2, "g1"))  # training: fills both slots
    second = RunStore(tmp_path, launcher, limits=capacity).start(configs(1, "g2"))
    third = RunStore(tmp_path, launcher, limits=capacity).start(configs(3, "g3"))
    places = RunStore(tmp_path, launcher).queue.places()
    assert not any(run.run_id in places for run in first)
    assert places[second[0].run_id] == {"position": 1, "training": 2, "capacity": 2, "owner_busy": False}
    assert {places[run.run_id]["position"] for run in third} == {2}


def test_a_students_group_waiting_for_their_own_running_group_says_so(tmp_path):
    launcher = RecordingLauncher()
    student = Limits(capacity=10, max_running=1, max_waiting=2, max_group_runs=24)
    RunStore(tmp_path, launcher, user=ALICE, limits=student).start(configs(1, "g-a1"))
    waiting = RunStore(tmp_path, launcher, user=ALICE, limits=student).start(configs(1, "g-a2"))[0]
    place = RunStore(tmp_path, launcher).queue.places()[waiting.run_id]
    assert place["owner_busy"] and place["training"] == 1


def test_train_shows_the_rows_reason_and_warns_when_the_machine_is_busy(tmp_path, monkeypatch):
    import rnnkit.ui.live

    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    monkeypatch.setattr(machine, "current_load", lambda training_runs=0: BUSY)
    monkeypatch.setattr(rnnkit.ui.live, "current_load", lambda training_runs=0: BUSY)
    launcher = RecordingLauncher()
    RunStore(tmp_path, launcher, user=BOB, limits=Limits(capacity=1)).start(configs(1, "g-bob"))
    RunStore(tmp_path, launcher, user=ALICE, limits=Limits(capacity=1)).start(configs(2, "g-alice"))
    app = page("train", app_user={"name": "alice", "role": "student"}, train_watch="g-alice")
    app.secrets["rnnkit"] = {**roster_settings(), "queue": {"capacity": 1}}
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    texts = [element.proto.text for element in app.get("progress")]
    assert texts == ["queued: next in line, 1 run(s) ahead use the 1 slot(s) · the machine is busy: 3 other "
                     "program(s) use the cores"] * 2
    warnings = [element.value for element in app.warning]
    assert any(text.startswith("This machine is busy: other programs use 1.8 of its 2 cores") and
               "nice 10" in text and "RNNKIT_WORKER_NICE=0" in text for text in warnings), warnings


def test_train_says_nothing_of_the_load_on_an_idle_machine(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    monkeypatch.setattr(machine, "current_load", lambda training_runs=0: IDLE)
    app = page("train")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not any("busy" in element.value for element in app.warning)


# ------------------------------------------------------------------------- names people read
GROUP = "g20261205-080152-e012"
DAY = date(2026, 12, 5)


def test_a_group_is_named_from_its_content_and_time(tmp_path):
    store = RunStore(tmp_path, RecordingLauncher())
    runs = store.start(configs(3, GROUP))  # rnn, lstm, gru, created in that order
    assert group_names.default_label(runs, GROUP, today=DAY) == "recall · rnn/lstm/gru · 08:01"
    assert group_names.default_label(runs, GROUP, today=date(2026, 12, 6)) == "recall · rnn/lstm/gru · 2026-12-05 08:01"
    chosen = [build_config("recall", None, {**TINY, "model": {"arch": arch}}, group="by-hand")
              for arch in ("gru", "rnn")]
    by_hand = store.start(chosen)  # an id the CLI was given: the time of its first run, archs as chosen
    label = group_names.group_labels(store.runs(), tmp_path)["by-hand"]
    assert label.startswith("recall · gru/rnn · ") and label[-5:-3].isdigit() and label[-3] == ":"
    assert group_names.group_labels(store.runs(), tmp_path, today=DAY)[GROUP] == "recall · rnn/lstm/gru · 08:01"
    assert len(by_hand) == 2


def test_two_groups_that_would_read_the_same_get_the_end_of_their_id(tmp_path):
    store = RunStore(tmp_path, RecordingLauncher())
    store.start(configs(2, "g20261205-080152-aaaa"))
    store.start(configs(2, "g20261205-080159-bbbb"))
    labels = group_names.group_labels(store.runs(), tmp_path, today=DAY)
    assert labels == {"g20261205-080159-bbbb": "recall · rnn/lstm · 08:01 · bbbb",
                      "g20261205-080152-aaaa": "recall · rnn/lstm · 08:01 · aaaa"}


def test_the_owner_or_a_teacher_renames_a_group_and_its_id_stays(tmp_path):
    launcher = RecordingLauncher()
    runs = RunStore(tmp_path, launcher, user=ALICE, limits=Limits(capacity=9)).start(configs(2, GROUP))
    with pytest.raises(RunError, match="owner"):
        group_names.rename_group(tmp_path, GROUP, "Bob's now", runs, BOB)
    stored = group_names.rename_group(tmp_path, GROUP, "  Tuesday:\n why\tLSTMs  remember ", runs, ALICE)
    assert stored == "Tuesday: why LSTMs remember"
    assert group_names.group_labels(RunStore(tmp_path, launcher).runs(), tmp_path)[GROUP] == stored
    assert all(run.config().group == GROUP for run in runs)  # folders, links and the CLI keep the id
    group_names.rename_group(tmp_path, GROUP, "x" * 500, runs, User("ms-zhang", "teacher"))
    assert len(group_names.stored_label(tmp_path, GROUP)) == group_names.MAX_LABEL_CHARACTERS
    group_names.rename_group(tmp_path, GROUP, "   ", runs, ALICE)  # empty: back to the default
    assert group_names.stored_label(tmp_path, GROUP) == ""
    with pytest.raises(RunError, match="plain name"):
        group_names.rename_group(tmp_path, "../elsewhere", "x", runs, ALICE)


def test_a_damaged_label_file_reads_as_no_label_and_goes_with_the_last_run(tmp_path):
    store = RunStore(tmp_path, RecordingLauncher())
    runs = store.start(configs(2, GROUP))
    group_names.rename_group(tmp_path, GROUP, "lesson one", runs, None)
    path = tmp_path / group_names.GROUPS_FOLDER / f"{GROUP}.json"
    assert path.is_file()
    for run in runs:
        run.write_status("completed")
    delete_run(store, runs[0].run_id)
    assert path.is_file()  # one run of the group is left
    path.write_text('{"label": ["not", "text"]}')
    assert group_names.stored_label(tmp_path, GROUP) == ""
    delete_run(store, runs[1].run_id)
    assert not path.exists()


def test_every_row_of_a_seeds_group_says_its_seed_and_a_one_seed_group_does_not(tmp_path):
    store = RunStore(tmp_path, RecordingLauncher())
    seeded_runs = store.start(groups.group_configs("recall", None, ["lstm", "gru"], TINY, seeds=3))
    single = store.start(groups.group_configs("recall", None, ["rnn", "lstm"], TINY))
    assert sorted(run_label(run) for run in seeded_runs) == [
        "gru · seed 0", "gru · seed 1", "gru · seed 2", "lstm · seed 0", "lstm · seed 1", "lstm · seed 2"]
    assert sorted(run_label(run) for run in single) == ["lstm", "rnn"]
    assert sorted(variants(seeded_runs)) == ["gru", "lstm"]  # Compare's views over seeds still gather them
    table = comparison_table(seeded_runs)
    assert all(" · seed " in label for label in table["model"])


def test_train_and_compare_show_the_groups_name(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    monkeypatch.setattr(machine, "current_load", lambda training_runs=0: IDLE)
    store = RunStore(tmp_path, RecordingLauncher())
    runs = store.start(groups.group_configs("recall", None, ["lstm"], TINY, seeds=2, group=GROUP))
    other = store.start(configs(2, "g20261205-090000-cccc"))
    for run in runs + other:
        run.write_status("completed")
    app = page("train", train_watch=GROUP)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    watching = app.selectbox(key="train_watch")
    assert watching.value == GROUP
    assert any(option.startswith("recall · lstm · ") and option.endswith("08:01") for option in watching.options)
    app.text_input(key=f"live_rename_{GROUP}").input("Lesson 1: seeds")
    app.button(key=f"live_rename_save_{GROUP}").click()
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert "Lesson 1: seeds" in app.selectbox(key="train_watch").options
    compare = page("compare", compare_runs=[run.run_id for run in runs + other])
    compare.run()
    assert not compare.exception, [e.value for e in compare.exception]
    options = compare.multiselect(key="compare_runs").options
    assert sorted(option for option in options if "Lesson 1" in option) == [
        "lstm · seed 0 · Lesson 1: seeds", "lstm · seed 1 · Lesson 1: seeds"]
    table = compare.dataframe[0].value
    assert list(table.columns[:3]) == ["run", "group", "model"]
    assert set(table["group"]) >= {"Lesson 1: seeds"}


def test_the_start_checks_count_parameters_without_importing_torchs_compiler():
    """Start checks every run's memory on the dashboard's side, counting parameters on the meta device. A random
    draw there (the forget-gate initialisation) imported torch._dynamo: 1.1 s of the first Start's 1.2 s before
    any folder existed. Counting every architecture leaves it unimported."""
    code = ("import sys; from rnnkit.data.presets import build_config; from rnnkit.model.cells import cell_names; "
            "from rnnkit.runs.groups import memory_needed; "
            "[memory_needed(build_config('recall', 'quick', {'model': {'arch': arch}})) for arch in cell_names()]; "
            "print('torch._dynamo' in sys.modules)")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=settings.PROJECT_ROOT, timeout=patience(120)).stdout.split()
    assert found[-1] == "False"


def test_the_dashboard_watches_no_source_files_and_skips_the_collection_after_each_run():
    """Both ran after every script run, live refreshes included, on a server with torch loaded: the file watcher
    walked every imported module's path on the event loop (1.6 s of the 5 s after a Start, py-spy), the
    collection took half the server's CPU in bench_classroom."""
    import tomllib

    config = tomllib.loads((settings.PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["fileWatcherType"] == "none"
    assert config["runner"]["postScriptGC"] is False
