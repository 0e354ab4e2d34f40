"""Runs as Ray jobs: the launcher for a cluster (`RNNKIT_RAY_ADDRESS=http://head:8265`).

    dashboard / CLI ── queue (when) ── RayLauncher (where) ── Ray Jobs API ── head ── worker nodes
                                                                               │
          run store on a shared filesystem (NFS, any volume every node mounts) ┘

The queue still decides *when* a group may start (per-user caps, group admission); Ray decides
*where* each run trains. Each run is one job:

    entrypoint      python -m rnnkit train --run-id RUN --checkpoints-dir ROOT [--resume], the command
                    the local launcher runs; ROOT must be the same path on every node
    submission_id   RUN-<attempt>: Ray refuses a reused id, and a resume is a new attempt
    resources       entrypoint_num_cpus = the run's threads (at least 1); entrypoint_num_gpus = 0 on a
                    CPU run or a cluster without GPUs, else a fraction by model size (0.25 for up to
                    256 recurrent units, 0.5 up to 1024, else 1), so four small runs share a GPU
    runtime_env     environment variables only (RNNKIT_*, PYTHONPATH to this project): no working_dir
                    upload, so .git, data and checkpoints never travel (Ray caps uploads at 100 MiB)
    metadata        run id, owner, group

Status: Ray's job status is reconciled with status.json. A job that Ray reports FAILED while the run
says running (the process or its node died) reads as `interrupted` with Ray's message, resumable; a
job STOPPED after a stop request reads as `stopped`. Stop writes stop.request (read within a batch)
and calls `stop_job`: Ray sends SIGTERM, the worker saves its checkpoint and writes `stopped`, and Ray
kills it after RAY_JOB_STOP_WAIT_TIME_S, which every job sets to STOP_GRACE_SECONDS (Ray's own default, 3 s,
killed a run on a busy node before its checkpoint was written). Logs come from `get_job_logs`.
Nothing here imports torch; ray is imported when a launcher is first used.
"""
from __future__ import annotations

import json
import shlex
import time
import urllib.request
from typing import Any

from rnnkit.core import settings
from rnnkit.core.files import write_json_atomic
from rnnkit.runs.folder import Run, RunError

CACHE_SECONDS = 2.0  # one list_jobs call serves every run's status for this long (the dashboard polls)
ACTIVE_JOB_STATES = ("PENDING", "RUNNING")
SUBMIT_GRACE_SECONDS = 60.0  # a job missing from Ray's list this soon after its submission is not yet gone
STOP_GRACE_SECONDS = 120  # after stop_job's SIGTERM, the time a run has to finish its batch and save last.pt


class ClusterError(RunError):
    """The cluster cannot be reached or refused a request; the message says which and how to fix it."""


def gpu_fraction(config, cluster_gpus: float) -> float:
    """GPUs one run asks for: none for a CPU run or a cluster without GPUs, else by model size."""
    if config.train.device == "cpu" or cluster_gpus <= 0:
        return 0.0
    units = config.model.hidden_size * config.model.num_layers * (2 if config.model.bidirectional else 1)
    fraction = 0.25 if units <= 256 else 0.5 if units <= 1024 else 1.0
    return min(fraction, cluster_gpus)


class RayLauncher:
    """Runs as jobs on the Ray cluster at `address` (the head's dashboard URL, e.g. http://head:8265)."""

    def __init__(self, address: str, python: str | None = None) -> None:
        self.address = address.rstrip("/")
        self.python = python or settings.ray_python()  # the interpreter on the nodes
        self._client = None
        self._jobs: tuple[float, dict[str, Any]] = (0.0, {})
        self._gpus: tuple[float, float] | None = None

    # ------------------------------------------------------------------------------ the interface
    def launch(self, runs: list["Run"], resume: bool = False) -> None:
        """Submit one job per run; returns at once (Ray queues what does not fit yet)."""
        for run in runs:
            config = run.config()
            attempt = self._next_attempt(run.run_id)
            submission_id = f"{run.run_id}-{attempt}"
            command = [self.python, "-m", "rnnkit", "train", "--run-id", run.run_id,
                       "--checkpoints-dir", str(run.path.parent.resolve()), *(("--resume",) if resume else ())]
            cpus, gpus = max(1, int(config.train.num_threads or 1)), gpu_fraction(config, self.cluster_gpus())
            try:
                self.client.submit_job(
                    entrypoint=shlex.join(command), submission_id=submission_id,
                    entrypoint_num_cpus=cpus, entrypoint_num_gpus=gpus,
                    runtime_env={"env_vars": self._environment()},
                    metadata={"rnnkit_run": run.run_id, "owner": run.owner(), "group": config.group,
                              "num_cpus": str(cpus), "num_gpus": str(gpus)})
            except Exception as error:  # connection refused, 500s: one message for the run
                raise ClusterError(f"the Ray cluster at {self.address} refused run {run.run_id}: "
                                   f"{_first_line(error)}") from error
            write_json_atomic(run.worker_path, {"launcher": "ray", "ray_address": self.address,
                                                "submission_id": submission_id, "attempt": attempt,
                                                "num_cpus": cpus, "num_gpus": gpus,
                                                "submitted_at": time.time(), "command": command})
        self._jobs = (0.0, {})  # the next status read asks Ray again

    def is_alive(self, run: "Run") -> bool:
        """Whether Ray still has the run's job pending or running. True when it cannot tell (not submitted
        yet, or the cluster does not answer): then the status file is trusted."""
        job = self._job_of(run)
        if job is None:
            return True
        return job.get("status") in ACTIVE_JOB_STATES

    def stop(self, run: "Run") -> None:
        submission_id = run.worker().get("submission_id")
        if not submission_id:
            return
        try:
            self.client.stop_job(submission_id)
        except Exception:  # noqa: BLE001 - the job ended already, or the cluster is gone: stop.request remains
            pass
        self._jobs = (0.0, {})

    def ended(self, run: "Run") -> dict[str, Any]:
        """What status.json should have said when Ray's job is no longer active (see Run.status)."""
        job = self._job_of(run) or {}
        state, message = job.get("status"), _first_line(job.get("message") or "")  # its logs: `rnnkit logs RUN`
        if state == "STOPPED" and run.stop_requested():
            return {"state": "stopped", "stop_reason": "stopped through Ray"}
        if state == "FAILED":
            return {"state": "interrupted", "error": f"Ray reports the job failed: {message}".strip()}
        if state == "STOPPED":
            return {"state": "interrupted", "error": "Ray stopped the job (no stop was asked here)"}
        if state is None:
            return {"state": "interrupted", "error": "Ray no longer knows the job (the cluster restarted?)"}
        return {"state": "interrupted", "error": f"the job ended ({state}) without writing its result"}

    def logs(self, run: "Run") -> str:
        submission_id = run.worker().get("submission_id")
        if not submission_id:
            return ""
        try:
            return self.client.get_job_logs(submission_id)
        except Exception as error:
            raise ClusterError(f"could not read the logs of {submission_id} from {self.address}: "
                               f"{_first_line(error)}") from error

    # -------------------------------------------------------------------------------- the cluster
    @property
    def client(self):
        if self._client is None:
            try:
                from ray.job_submission import JobSubmissionClient
            except ImportError as error:
                raise ClusterError("RNNKIT_RAY_ADDRESS is set but ray is not installed: "
                                   "pip install -r requirements-cluster.txt") from error
            try:
                self._client = JobSubmissionClient(self.address)
            except Exception as error:
                raise ClusterError(f"no Ray cluster answers at {self.address} ({_first_line(error)}); start "
                                   "one with `ray start --head` or fix RNNKIT_RAY_ADDRESS") from error
        return self._client

    def summary(self) -> dict[str, Any]:
        """Nodes alive, CPUs and GPUs in total and free (the Home page's cluster line)."""
        try:
            nodes = [node for node in self._get("/api/v0/nodes?limit=1000")["data"]["result"]["result"]
                     if node.get("state") == "ALIVE"]
            status = self._get("/api/cluster_status")["data"].get("clusterStatus") or {}  # None while Ray starts
            usage = (status.get("loadMetricsReport") or {}).get("usage") or {}
        except (KeyError, TypeError, AttributeError) as error:
            raise ClusterError(f"the Ray dashboard at {self.address} answered in an unexpected form "
                               f"({type(error).__name__})") from error
        total = {name: sum(node["resources_total"].get(name, 0.0) for node in nodes) for name in ("CPU", "GPU")}
        used = {name: float(usage.get(name, [0.0, 0.0])[0]) for name in ("CPU", "GPU")}
        return {"nodes": len(nodes), "cpus": total["CPU"], "gpus": total["GPU"],
                "free_cpus": max(total["CPU"] - used["CPU"], 0.0), "free_gpus": max(total["GPU"] - used["GPU"], 0.0)}

    def cluster_gpus(self) -> float:
        if self._gpus is None or time.monotonic() - self._gpus[0] > 60:
            try:
                self._gpus = (time.monotonic(), self.summary()["gpus"])
            except ClusterError:
                return 0.0
        return self._gpus[1]

    # ------------------------------------------------------------------------------------ helpers
    def _environment(self) -> dict[str, str]:
        passed = settings.passed_to_workers()
        return {**passed, "RNNKIT_RAY_ADDRESS": self.address, "RNNKIT_RAY_PYTHON": self.python,
                "PYTHONPATH": str(settings.PROJECT_ROOT), "PYTHONUNBUFFERED": "1", "RAY_USAGE_STATS_ENABLED": "0",
                "RAY_JOB_STOP_WAIT_TIME_S": str(STOP_GRACE_SECONDS)}  # the job's supervisor reads it

    def _all_jobs(self, fresh: bool = False) -> dict[str, Any] | None:
        """Every job Ray knows, by submission id; None when the cluster does not answer. One list serves
        CACHE_SECONDS, a failure too (an unreachable head is not asked again for every run on the page)."""
        stamp, jobs = self._jobs
        if fresh or time.monotonic() - stamp > CACHE_SECONDS:
            try:
                listed = self.client.list_jobs()
                jobs = {job.submission_id: {"status": str(getattr(job.status, "value", job.status)),
                                            "message": job.message} for job in listed if job.submission_id}
            except Exception:  # noqa: BLE001 - the cluster does not answer: nobody can tell
                jobs = None
            self._jobs = (time.monotonic(), jobs)
        return jobs

    def _job_of(self, run: "Run") -> dict[str, Any] | None:
        worker = run.worker()
        submission_id = worker.get("submission_id")
        if not submission_id:
            return None
        jobs = self._all_jobs()
        if jobs is not None and submission_id not in jobs:  # submitted since the list (maybe by another process)
            jobs = self._all_jobs(fresh=True)
        if jobs is None:
            return None
        if submission_id not in jobs:
            if time.time() - float(worker.get("submitted_at", 0)) < SUBMIT_GRACE_SECONDS:
                return None  # just submitted: Ray's list has not caught up, trust the status file
            return {"status": None, "message": ""}
        return jobs[submission_id]

    def _next_attempt(self, run_id: str) -> int:
        jobs = self._all_jobs(fresh=True) or {}
        attempts = [int(sid.rsplit("-", 1)[1]) for sid in jobs if sid.rsplit("-", 1)[0] == run_id
                    and sid.rsplit("-", 1)[1].isdigit()]
        return max(attempts, default=0) + 1

    def _get(self, path: str) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(self.address + path, timeout=5) as response:
                return json.loads(response.read())
        except (OSError, ValueError) as error:
            raise ClusterError(f"no Ray dashboard answers at {self.address} ({_first_line(error)})") from error


def _first_line(error: BaseException | str) -> str:
    text = str(error).strip()
    if not text:
        return "" if isinstance(error, str) else type(error).__name__
    return text.splitlines()[0][:300].rstrip(",:")
