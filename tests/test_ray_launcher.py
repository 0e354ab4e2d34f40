"""The Ray launcher's bookkeeping without a cluster (a fake Jobs client): what a run's status reads
while Ray's job list lags behind a submission, and a dashboard that answers in an unexpected form.
The real cluster is exercised in tests/test_cluster.py."""
import time
from types import SimpleNamespace

import pytest

from rnnkit.data.presets import build_config
from rnnkit.runs.ray_jobs import ClusterError, RayLauncher
from rnnkit.runs.store import RunStore


class FakeClient:
    def __init__(self):
        self.jobs = []
        self.calls = 0

    def list_jobs(self):
        self.calls += 1
        return list(self.jobs)

    def submit_job(self, **job):
        self.jobs.append(SimpleNamespace(status=SimpleNamespace(value="PENDING"), message="", **job))


def job(submission_id: str, status: str):
    return SimpleNamespace(submission_id=submission_id, status=SimpleNamespace(value=status), message="")


@pytest.fixture
def launcher_and_run(tmp_path):
    launcher = RayLauncher("http://127.0.0.1:1")
    launcher._client = FakeClient()
    store = RunStore(tmp_path / "checkpoints", launcher=launcher)
    run = store.create(build_config("recall", None, {}))
    run.write_status("running")
    return launcher, run


def write_worker(run, submission_id: str, seconds_ago: float) -> None:
    from rnnkit.core.files import write_json_atomic

    write_json_atomic(run.worker_path, {"launcher": "ray", "submission_id": submission_id,
                                        "submitted_at": time.time() - seconds_ago})


def test_a_job_submitted_by_another_process_is_not_taken_for_gone(launcher_and_run):
    launcher, run = launcher_and_run
    assert launcher._all_jobs() == {}  # a list cached before the submission
    launcher._client.jobs = [job(f"{run.run_id}-1", "PENDING")]
    write_worker(run, f"{run.run_id}-1", seconds_ago=0.5)
    assert launcher.is_alive(run) and run.status()["state"] == "running"  # the miss asked Ray again


def test_a_job_ray_never_lists_is_trusted_briefly_then_interrupted(launcher_and_run):
    launcher, run = launcher_and_run
    write_worker(run, f"{run.run_id}-1", seconds_ago=1)
    assert launcher.is_alive(run)  # just submitted: Ray's list may not have it yet
    write_worker(run, f"{run.run_id}-1", seconds_ago=600)
    status = run.status()
    assert status["state"] == "interrupted" and "no longer knows" in status["error"]


def test_an_unreachable_cluster_is_asked_once_per_refresh(launcher_and_run):
    launcher, run = launcher_and_run

    class Down(FakeClient):
        def list_jobs(self):
            self.calls += 1
            raise ConnectionError("no route to host")

    launcher._client = Down()
    write_worker(run, f"{run.run_id}-1", seconds_ago=600)
    for _ in range(5):
        assert launcher.is_alive(run)  # cannot tell: the status file is trusted
    assert launcher._client.calls == 1


def test_a_cluster_status_not_written_yet_is_a_clear_error(monkeypatch):
    launcher = RayLauncher("http://127.0.0.1:1")
    answers = {"/api/v0/nodes?limit=1000": {"data": {"result": {"result": [
                   {"state": "ALIVE", "resources_total": {"CPU": 2.0, "GPU": 1.0}}]}}},
               "/api/cluster_status": {"data": {"clusterStatus": None}}}
    monkeypatch.setattr(launcher, "_get", answers.get)
    assert launcher.summary() == {"nodes": 1, "cpus": 2.0, "gpus": 1.0, "free_cpus": 2.0, "free_gpus": 1.0}
    answers["/api/cluster_status"] = {"unexpected": True}
    with pytest.raises(ClusterError, match="unexpected form"):
        launcher.summary()


def test_a_stopped_job_has_time_to_save_its_checkpoint(tmp_path):
    """Ray kills a stopped job RAY_JOB_STOP_WAIT_TIME_S after its SIGTERM; at Ray's default of 3 s, a run on a
    busy node (the cluster test beside `stress -c 8`) was killed before it wrote last.pt. Every job sets it."""
    from rnnkit.runs.ray_jobs import STOP_GRACE_SECONDS

    launcher = RayLauncher("http://127.0.0.1:1")
    launcher._client = FakeClient()
    store = RunStore(tmp_path / "checkpoints", launcher=launcher)
    run = store.create(build_config("recall", None, {}))
    launcher.launch([run])
    (submitted,) = launcher._client.jobs
    assert submitted.submission_id == f"{run.run_id}-1"
    assert submitted.runtime_env["env_vars"]["RAY_JOB_STOP_WAIT_TIME_S"] == str(STOP_GRACE_SECONDS)
    assert STOP_GRACE_SECONDS >= 60
