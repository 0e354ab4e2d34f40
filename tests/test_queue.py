"""The fair queue: groups are admitted whole, first come first served, within the capacity and each
student's caps; waiting groups are files, so nothing is lost when a process dies; a worker that
finishes starts the next group itself."""
import concurrent.futures
import json
import os

import pytest
from filelock import FileLock

from rnnkit.data.presets import build_config
from rnnkit.runs import queue as queue_module
from rnnkit.runs.access import User
from rnnkit.runs.limits import Limits, QueueFull, default_capacity
from rnnkit.runs.machine import MachineLoad
from rnnkit.runs.queue import Queue
from rnnkit.runs.store import RunError, RunStore, delete_run
from tests.apptest import page
from tests.test_access import roster_settings
from tests.waits import patience, wait_until

ALICE, BOB, TEACHER = User("alice", "student"), User("bob", "student"), User("ms-zhang", "teacher")
TINY = {"task": {"sequence_length": 8, "num_samples": 100}, "train": {"epochs": 1, "batch_size": 16}}
STUDENT = Limits(capacity=10, max_running=1, max_waiting=2, max_group_runs=24)


class RecordingLauncher:
    """Starts nothing: records each launch and marks the runs running, as a worker would."""

    def __init__(self, fail: bool = False) -> None:
        self.launched: list[list[str]] = []
        self.fail = fail

    def launch(self, runs, resume=False):
        if self.fail:
            raise OSError("no process could be started")
        self.launched.append([run.run_id for run in runs])
        for run in runs:
            run.worker_path.write_text(json.dumps({"pid": 1, "host": "elsewhere"}))
            run.write_status("running")

    def is_alive(self, run):
        return True

    def stop(self, run):
        pass


def configs(count: int, group: str) -> list:
    return [build_config("recall", None, {**TINY, "model": {"arch": arch}}, group=group)
            for arch in ("rnn", "lstm", "gru", "rnn", "lstm", "gru")[:count]]


def finish(store: RunStore, run_ids: list[str]) -> None:
    for run_id in run_ids:
        store.get(run_id).write_status("completed")


def test_groups_are_admitted_whole_and_in_order_within_the_capacity(tmp_path):
    launcher = RecordingLauncher()
    store = RunStore(tmp_path, launcher, limits=Limits(capacity=2))
    first = [run.run_id for run in store.start(configs(3, "g1"))]  # larger than the capacity: admitted alone
    second = [run.run_id for run in store.start(configs(3, "g2"))]
    third = [run.run_id for run in store.start(configs(1, "g3"))]
    assert launcher.launched == [first]
    assert store.queue.positions() == {**dict.fromkeys(second, 1), **dict.fromkeys(third, 2)}
    assert store.get(second[0]).status()["state"] == "queued"
    finish(store, first[:2])  # one run of the first group still trains: 1 < 2, room for the next group
    assert store.queue.dispatch() == 3
    assert launcher.launched == [first, second]  # the whole group, never part of it
    assert store.queue.dispatch() == 0  # 4 training >= 2: the third group keeps waiting
    finish(store, first[2:] + second)
    store.queue.dispatch()
    assert launcher.launched[-1] == third and store.queue.positions() == {}


def test_a_students_second_group_waits_for_their_first_while_others_go_ahead(tmp_path):
    launcher = RecordingLauncher()
    alice, bob = (RunStore(tmp_path, launcher, user=user, limits=STUDENT) for user in (ALICE, BOB))
    alice_first = [run.run_id for run in alice.start(configs(2, "a1"))]
    alice_second = [run.run_id for run in alice.start(configs(2, "a2"))]
    bob_first = [run.run_id for run in bob.start(configs(2, "b1"))]
    assert launcher.launched == [alice_first, bob_first]  # bob overtakes alice's second group, not the capacity
    assert alice.queue.positions() == dict.fromkeys(alice_second, 1)
    finish(alice, alice_first)
    alice.queue.dispatch()
    assert launcher.launched[-1] == alice_second
    teacher = RunStore(tmp_path, launcher, user=TEACHER, limits=Limits(capacity=10))
    teacher.start(configs(1, "t1"))
    teacher.start(configs(1, "t2"))  # teachers have no per-user cap
    assert len(launcher.launched) == 5


def test_a_student_may_keep_two_groups_waiting_and_groups_of_24_runs(tmp_path):
    launcher = RecordingLauncher()
    busy = RunStore(tmp_path, launcher, user=BOB, limits=Limits(capacity=1))
    busy.start(configs(1, "b1"))  # fills the machine
    alice = RunStore(tmp_path, launcher, user=ALICE, limits=Limits.for_student({"capacity": 1}))
    alice.start(configs(3, "a1"))
    alice.start(configs(3, "a2"))
    before = len(alice.runs())
    with pytest.raises(QueueFull, match="already have 2 group.s. waiting") as refused:
        alice.start(configs(3, "a3"))
    assert (refused.value.reason, refused.value.count, refused.value.limit) == ("waiting", 2, 2)
    assert len(alice.runs()) == before  # nothing was created for the refused group
    with pytest.raises(QueueFull, match="at most 24 runs; this one has 25"):
        RunStore(tmp_path / "other", launcher, user=ALICE, limits=Limits.for_student()).start(
            [configs(1, "big")[0]] * 25)


def test_bad_queue_settings_are_refused_with_a_clear_message(monkeypatch):
    with pytest.raises(ValueError, match=r"\[rnnkit.queue\] max_running must be a positive whole number"):
        Limits.for_student({"max_running_groups": 0})
    with pytest.raises(ValueError, match="max_waiting must be"):
        Limits.for_student({"max_waiting_groups": "two"})
    monkeypatch.setenv("RNNKIT_QUEUE_CAPACITY", "lots")
    with pytest.raises(ValueError, match="RNNKIT_QUEUE_CAPACITY must be a whole number"):
        default_capacity()
    monkeypatch.setenv("RNNKIT_QUEUE_CAPACITY", "0")
    with pytest.raises(ValueError, match="at least 1"):
        default_capacity()
    monkeypatch.setenv("RNNKIT_QUEUE_CAPACITY", "")
    assert default_capacity() == os.cpu_count()


def test_the_queue_is_files_a_new_process_finds_it_and_a_dead_worker_frees_its_room(tmp_path):
    launcher = RecordingLauncher()
    store = RunStore(tmp_path, launcher, limits=Limits(capacity=1))
    first = store.start(configs(1, "g1"))[0]
    waiting = store.start(configs(1, "g2"))[0]
    restarted = RunStore(tmp_path, launcher)  # a restarted dashboard: nothing in memory carries over
    assert restarted.queue.positions() == {waiting.run_id: 1}

    class DeadWorkers(RecordingLauncher):
        def is_alive(self, run):
            return run.run_id != first.run_id  # the first run's process was killed

    dead = DeadWorkers()
    dead.launched = launcher.launched
    assert RunStore(tmp_path, dead).queue.dispatch() == 1
    assert launcher.launched[-1] == [waiting.run_id]


def test_a_run_created_but_never_launched_does_not_hold_a_place(tmp_path):
    launcher = RecordingLauncher()
    store = RunStore(tmp_path, launcher, limits=Limits(capacity=1))
    store.create(build_config("recall", None, TINY))  # e.g. an old folder that never started
    store.start(configs(1, "g1"))
    assert len(launcher.launched) == 1


def test_stopping_or_deleting_a_waiting_run_takes_it_out_of_the_queue(tmp_path):
    launcher = RecordingLauncher()
    store = RunStore(tmp_path, launcher, user=ALICE, limits=Limits(capacity=1))
    store.start(configs(1, "g1"))
    waiting = store.start(configs(2, "g2"))
    store.stop(waiting[0].run_id)
    assert waiting[0].status()["state"] == "stopped" and store.queue.positions() == {waiting[1].run_id: 1}
    with pytest.raises(RunError, match="only the owner"):
        RunStore(tmp_path, launcher, user=BOB).stop(waiting[1].run_id)
    store.stop(waiting[1].run_id)
    delete_run(store, waiting[1].run_id)
    assert store.queue.entries() == []


def test_a_dispatcher_that_finds_the_lock_taken_returns_at_once(tmp_path, monkeypatch):
    """It does not wait for the lock at all: with the lock held for as long as the test lasts (and the
    queue's lock wait made endless), dispatch() still returns, with 0 launched."""
    monkeypatch.setattr(queue_module, "LOCK_WAIT_SECONDS", 10**6)  # a dispatcher that waited would hang
    launcher = RecordingLauncher()
    store = RunStore(tmp_path, launcher, limits=Limits(capacity=1))
    store.start(configs(1, "g1"))
    store.start(configs(1, "g2"))
    finish(store, launcher.launched[0])
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # in a thread, so the test can stop waiting
        with FileLock(str(tmp_path / ".queue" / "lock")):  # another process is dispatching
            launched = pool.submit(Queue(tmp_path, launcher).dispatch)
            assert launched.result(timeout=patience(60)) == 0  # bounded: a waiting dispatcher fails here
    assert Queue(tmp_path, launcher).dispatch() == 1


def test_a_group_that_cannot_be_launched_fails_and_the_queue_goes_on(tmp_path):
    store = RunStore(tmp_path, RecordingLauncher(fail=True), limits=Limits(capacity=1))
    run = store.start(configs(1, "g1"))[0]
    assert run.status()["state"] == "failed" and "no process could be started" in run.status()["error"]
    assert store.queue.entries() == []


def test_resume_goes_through_the_queue(tmp_path):
    launcher = RecordingLauncher()
    store = RunStore(tmp_path, launcher, limits=Limits(capacity=1))
    first = store.start(configs(1, "g1"))[0]
    stopped = store.create(build_config("recall", None, TINY))
    stopped.worker_path.write_text(json.dumps({"pid": 99999999, "host": "elsewhere"}))
    stopped.write_status("stopped")
    store.resume(stopped.run_id)
    assert store.queue.positions() == {stopped.run_id: 1} and not stopped.worker()
    assert stopped.status()["state"] == "queued"  # waiting, not taken for an interrupted run
    finish(store, [first.run_id])
    store.queue.dispatch()
    assert launcher.launched[-1] == [stopped.run_id]


def test_a_worker_that_finishes_starts_the_next_waiting_group(tmp_path, monkeypatch):
    """Real processes: with room for one run, the second group starts when the first run ends,
    with no dashboard and no CLI call in between."""
    monkeypatch.setenv("RNNKIT_QUEUE_CAPACITY", "1")
    store = RunStore(tmp_path)
    tiny = build_config("recall", None, {"task": {"sequence_length": 10, "num_samples": 200},
                                         "train": {"epochs": 1, "batch_size": 32, "num_threads": 1}})
    first = store.start([tiny])[0]
    second = store.start([tiny])[0]
    assert store.queue.positions() == {second.run_id: 1}
    wait_until(lambda: not second.is_active(), 180, "the second group to start after the first and end")
    assert first.status()["state"] == "completed" and second.status()["state"] == "completed"
    assert second.raw_status()["started_at"] >= first.raw_status()["finished_at"] - 0.5


def test_the_live_view_shows_a_waiting_groups_position(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    launcher = RecordingLauncher()
    RunStore(tmp_path, launcher, user=BOB, limits=Limits(capacity=1)).start(configs(1, "g-bob"))
    RunStore(tmp_path, launcher, user=ALICE, limits=Limits(capacity=1)).start(configs(2, "g-alice"))
    app = page("train", app_user={"name": "alice", "role": "student"}, train_watch="g-alice")
    app.secrets["rnnkit"] = {**roster_settings(), "queue": {"capacity": 1}}
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    texts = [element.proto.text for element in app.get("progress")]
    assert all(text.startswith("queued: next in line, 1 run(s) ahead use the 1 slot(s)") for text in texts), texts
    assert len(texts) == 2
    assert "This group waits for its turn" in app.info[0].value


def test_the_capacity_has_one_rule_and_malformed_stored_limits_give_the_default():
    assert Limits(capacity=3).resolved_capacity() == 3
    assert Limits().resolved_capacity() == default_capacity()
    assert Limits.capacity_of({"capacity": 2}) == 2
    for hostile in ({"capacity": "9"}, {"capacity": True}, {"capacity": -1}, {"capacity": [1]}, [], None, "x"):
        assert Limits.capacity_of(hostile) == default_capacity(), hostile


def test_a_group_shares_the_cores_and_explicit_threads_stay(monkeypatch):
    from rnnkit.runs import groups

    monkeypatch.setattr(groups, "parallel_threads", lambda runs: 8 // runs)
    monkeypatch.setattr(groups.machine, "current_load", lambda training_runs=0: IDLE)  # whatever else runs here
    configs = groups.group_configs("recall", "quick", ["rnn", "reslstm"], seeds=2)
    assert [config.model.impl for config in configs] == ["fused", "scratch"] * 2  # auto, resolved once
    assert len({config.group for config in configs}) == 1 and [c.train.seed for c in configs] == [0, 0, 1, 1]
    assert {config.train.num_threads for config in groups.share_threads(configs)} == {2}
    explicit = groups.group_configs("recall", "quick", ["gru"], {"train": {"num_threads": 1}}, seeds=2)
    assert {config.train.num_threads for config in groups.share_threads(explicit)} == {1}
    with pytest.raises(ValueError, match="unknown architecture 'foo'"):
        groups.group_configs("recall", "quick", ["foo"])


def test_a_students_group_larger_than_the_capacity_starts_as_room_frees(tmp_path):
    """24 runs on a 2-core server start 2 at a time, keeping their place; a teacher's group starts whole."""
    launcher = RecordingLauncher()
    alice = RunStore(tmp_path, launcher, user=ALICE, limits=Limits.for_student({"capacity": 2}))
    group = [run.run_id for run in alice.start(configs(5, "a1"))]
    bob = [run.run_id for run in RunStore(tmp_path, launcher, user=BOB,
                                          limits=Limits.for_student({"capacity": 2})).start(configs(1, "b1"))]
    assert launcher.launched == [group[:2]]
    assert alice.queue.positions() == {**dict.fromkeys(group[2:], 1), **dict.fromkeys(bob, 2)}
    assert alice.queue.dispatch() == 0  # no room: nothing more starts
    finish(alice, group[:1])
    assert alice.queue.dispatch() == 1 and launcher.launched[-1] == group[2:3]  # one freed place, one run
    finish(alice, group[1:3])
    alice.queue.dispatch()
    assert launcher.launched[-1] == group[3:5] and alice.queue.positions() == dict.fromkeys(bob, 1)
    finish(alice, group[3:])
    alice.queue.dispatch()
    assert launcher.launched[-1] == bob
    teacher = RunStore(tmp_path / "t", launcher, user=TEACHER, limits=Limits(capacity=2))
    assert [run.run_id for run in teacher.start(configs(5, "t1"))] == launcher.launched[-1]  # whole, as before


def test_a_students_group_never_takes_the_machine_past_the_capacity(tmp_path):
    launcher = RecordingLauncher()
    RunStore(tmp_path, launcher, user=BOB, limits=Limits(capacity=3)).start(configs(2, "b1"))
    alice = RunStore(tmp_path, launcher, user=ALICE, limits=Limits.for_student({"capacity": 3}))
    group = [run.run_id for run in alice.start(configs(3, "a1"))]  # fits the capacity, not the free room
    assert launcher.launched[-1] == group[:1] and alice.queue.summary()["training_runs"] == 3


def test_a_teachers_caps_refuse_a_students_config_that_names_the_setting(tmp_path):
    launcher = RecordingLauncher()
    limits = Limits.for_student({"max_epochs": 5, "max_hidden_size": 64, "max_run_minutes": 10})
    alice = RunStore(tmp_path, launcher, user=ALICE, limits=limits)
    too_long = build_config("recall", None, {**TINY, "train": {**TINY["train"], "epochs": 6}})
    too_wide = build_config("recall", None, {**TINY, "model": {"hidden_size": 128}})
    for config, setting, message in ((too_long, "epochs", "at most 5 epochs per run; this run asks for 6"),
                                     (too_wide, "hidden_size", "hidden size of at most 64; this run asks for 128")):
        with pytest.raises(QueueFull, match=message) as refused:
            alice.start([configs(1, "ok")[0], config])
        assert refused.value.reason == setting and setting in str(refused.value)
    assert alice.runs() == [] and launcher.launched == []  # nothing was created for a refused group
    run = alice.start([build_config("recall", None, {**TINY, "model": {"hidden_size": 64}})])[0]
    assert run.limits() == {"time_limit_seconds": 600}  # the worker ends it as stopped (time limit)
    assert RunStore(tmp_path, launcher, user=ALICE, limits=Limits.for_student()).start(
        configs(1, "d"))[0].limits() == {"time_limit_seconds": 1800}  # a student's default: 30 minutes
    teacher = RunStore(tmp_path, launcher, user=TEACHER, limits=Limits(capacity=10))
    assert teacher.start([too_long, too_wide])[0].limits() == {}  # no caps and no time limit for teachers


def test_caps_hold_when_a_student_resumes_and_the_resumed_run_gets_a_time_limit(tmp_path):
    launcher = RecordingLauncher()
    two_epochs = build_config("recall", None, {**TINY, "train": {**TINY["train"], "epochs": 2}})
    run = RunStore(tmp_path, launcher, user=ALICE, limits=Limits.for_student()).start([two_epochs])[0]
    run.write_status("stopped")
    run.limits_path.unlink()
    RunStore(tmp_path, launcher, user=ALICE, limits=Limits.for_student({"max_run_minutes": 5})).resume(run.run_id)
    assert run.limits() == {"time_limit_seconds": 300} and run.status()["state"] == "running"
    run.write_status("stopped")
    lowered = Limits.for_student({"max_epochs": 1})  # the teacher lowered the cap since it started
    with pytest.raises(QueueFull, match="at most 1 epochs per run; this run asks for 2"):
        RunStore(tmp_path, launcher, user=ALICE, limits=lowered).resume(run.run_id)
    assert run.status()["state"] == "stopped"  # refused before anything changed


@pytest.mark.parametrize("settings,name", [({"max_epochs": 0}, "max_epochs"), ({"max_hidden_size": "big"},
                                           "max_hidden_size"), ({"max_run_minutes": 2.5}, "max_run_minutes"),
                                           ({"max_run_minutes": None}, "max_run_minutes")])
def test_bad_caps_are_refused_with_the_setting_named(settings, name):
    with pytest.raises(ValueError, match=rf"\[rnnkit.queue\] {name} must be a positive whole number"):
        Limits.for_student(settings)


IDLE = MachineLoad(cores=8, other_cores=0.4, other_programs=1)
BUSY = MachineLoad(cores=8, other_cores=6.0, other_programs=9)


def test_on_a_busy_machine_each_run_gets_one_thread_unless_set_by_hand(monkeypatch):
    """A parallel region waits for every one of its threads; where other programs keep the cores busy, one of
    them is often not running (an epoch of the lesson's LSTM under stress -c 8 on 2 cores: 7.5 s with 2 threads,
    2.0 s with 1). The Train page's line says the same number as the runs get."""
    from rnnkit.runs import groups

    monkeypatch.delenv("RNNKIT_THREADS_PER_RUN", raising=False)
    monkeypatch.setattr(groups, "parallel_threads", lambda runs: 8 // runs)
    assert [groups.run_threads(runs, IDLE) for runs in (1, 3, 8)] == [8, 2, 1]
    assert [groups.run_threads(runs, BUSY) for runs in (1, 3, 8)] == [1, 1, 1]
    monkeypatch.setattr(groups.machine, "current_load", lambda training_runs=0: BUSY)
    configs = groups.group_configs("recall", "quick", ["rnn", "gru"])
    assert {config.train.num_threads for config in groups.share_threads(configs)} == {1}
    explicit = groups.group_configs("recall", "quick", ["gru"], {"train": {"num_threads": 3}})
    assert {config.train.num_threads for config in groups.share_threads(explicit)} == {3}  # the user's choice
    monkeypatch.setenv("RNNKIT_THREADS_PER_RUN", "4")
    monkeypatch.setattr(groups, "parallel_threads", lambda runs: 4)
    assert groups.run_threads(2, BUSY) == 4  # the setting is the teacher's: it wins over the look at the machine
