"""Runs on a real Ray cluster: `ray start --head` on 127.0.0.1 (2 CPUs, 1 declared GPU so fractional
GPU requests are scheduled even on a CPU machine; the runs themselves use the CPU), the group
submitted through the run store and queue exactly as the dashboard's Start does, then stop, kill,
resume, logs, and `ray stop`.

Skipped with a reason where Ray is not installed, except under CI=true, where a missing Ray fails.
"""
import os
import signal
import sys

import pytest

from rnnkit.runs.store import RunStore
from rnnkit.ui.launch import group_configs
from tests.browser import free_port
from tests.waits import wait_until

try:
    import ray  # noqa: F401

    MISSING = ""
except ImportError:
    MISSING = "ray is not installed (pip install -r requirements-cluster.txt)"

if MISSING and os.environ.get("CI", "").lower() == "true":
    pytest.fail(f"CI=true but {MISSING}: .ci/run installs it", pytrace=False)
pytestmark = pytest.mark.skipif(bool(MISSING), reason=MISSING or "ok")

TINY = {"task": {"sequence_length": 20, "num_samples": 300}, "train": {"epochs": 2}}
LONG = {"task": {"sequence_length": 50, "num_samples": 2000}, "train": {"epochs": 60}}


@pytest.fixture(scope="module")
def cluster():
    """A one-node Ray cluster for this module; yields the dashboard address (the Jobs API)."""
    from tests.ray_cluster import local_cluster

    with local_cluster(cpus=2, gpus=1) as address:
        yield address


@pytest.fixture
def store(cluster, tmp_path, monkeypatch):
    """A run store whose launcher is the cluster's, chosen as a user chooses it: RNNKIT_RAY_ADDRESS."""
    monkeypatch.setenv("RNNKIT_RAY_ADDRESS", cluster)
    monkeypatch.setenv("RNNKIT_RAY_PYTHON", sys.executable)
    return RunStore(tmp_path / "checkpoints")


def wait(condition, seconds: float = 180.0, what: str = "") -> None:
    """Until `condition()`; `seconds` is for an idle machine (scaled by RNNKIT_TEST_TIME_FACTOR)."""
    wait_until(condition, seconds, what, poll=0.3)


def test_a_recall_group_trains_as_ray_jobs_and_the_home_page_sees_the_cluster(store):
    from rnnkit.runs.ray_jobs import RayLauncher

    assert isinstance(store.launcher, RayLauncher)
    runs = store.start(group_configs("recall", "none", ["rnn", "lstm", "gru"], TINY))
    wait(lambda: not any(run.is_active() for run in runs), what="the group to finish")
    assert [run.status()["state"] for run in runs] == ["completed"] * 3
    for run in runs:
        assert run.metrics("test") and len(run.metrics("epoch")) == 2
        worker = run.worker()
        assert worker["submission_id"] == f"{run.run_id}-1" and worker["launcher"] == "ray"
        assert "test (best epoch" in run.log_text()  # train.log is not here: Ray's job log is
    summary = store.launcher.summary()
    assert summary["nodes"] == 1 and summary["cpus"] == 2 and summary["gpus"] == 1
    jobs = {job.submission_id: job for job in store.launcher.client.list_jobs()}
    job = jobs[runs[1].worker()["submission_id"]]
    assert job.metadata["group"] == runs[1].config().group and job.metadata["num_gpus"] == "0.25"
    assert runs[1].worker()["num_gpus"] == 0.25  # a small run: a quarter of the declared GPU


def test_stop_ends_a_long_run_as_stopped_with_its_checkpoint(store):
    run = store.start(group_configs("recall", "none", ["lstm"], LONG))[0]
    wait(lambda: bool(run.metrics("epoch")), what="the first epoch")
    store.stop(run.run_id)
    wait(lambda: not run.is_active(), seconds=60, what="the stop")
    assert run.status()["state"] == "stopped" and run.last_path.exists()


def test_a_killed_job_is_interrupted_with_rays_message_and_resumes_as_a_new_attempt(store):
    run = store.start(group_configs("recall", "none", ["gru"], LONG))[0]
    wait(lambda: bool(run.metrics("epoch")), what="the first epoch")
    os.kill(run.raw_status()["pid"], signal.SIGKILL)  # the worker dies as on a node crash
    wait(lambda: not run.is_active(), seconds=120, what="Ray to notice")
    status = run.status()
    assert status["state"] == "interrupted" and "Ray reports the job failed" in status["error"]
    assert run.raw_status()["state"] == "running"  # status.json never heard of it: Ray's word decides
    store.resume(run.run_id)
    wait(lambda: run.worker().get("submission_id") == f"{run.run_id}-2", seconds=60, what="the resubmission")
    wait(lambda: run.raw_status().get("state") == "running", seconds=120, what="the second attempt")
    store.stop(run.run_id)
    wait(lambda: not run.is_active(), seconds=60, what="the stop")
    assert run.status()["state"] == "stopped"


def test_an_unreachable_cluster_refuses_the_group_with_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_RAY_ADDRESS", f"http://127.0.0.1:{free_port()}")
    store = RunStore(tmp_path / "checkpoints")
    runs = store.start(group_configs("recall", "none", ["rnn"], TINY))
    status = runs[0].status()
    assert status["state"] == "failed" and "Ray" in status["error"]
