"""Execute one run folder in this process: load the task, build the model, train, record the outcome.

This is what a background worker (`python -m rnnkit train --run-id ID`) and a foreground
`python -m rnnkit train ...` both call. Whatever happens, status.json ends in a final state:
completed, stopped, or failed with the error text (a diverged loss says "diverged", a run that ran out
of memory "out of memory"). The run's limits.json is enforced here: `time_limit_seconds` ends it as
`stopped` ("time limit", `TimeLimit`); a background worker also runs under a memory limit
(`rnnkit.worker.limits`), which a foreground run in a terminal or a notebook does not.
"""
from __future__ import annotations

import json
import os
import sys
import time
import traceback
from typing import NoReturn, TextIO

import torch

from rnnkit.analysis.embeddings import save_embedding_start
from rnnkit.config.run import RunConfig
from rnnkit.core.files import DiskFull, remove_stale_temporaries, write_json_atomic
from rnnkit.data.tasks import get_task
from rnnkit.model.budget import OFF, core_parameters, resolve_match
from rnnkit.model.heads import build_model, count_parameters
from rnnkit.runs.folder import Run, RunError, exit_status
from rnnkit.runs.launcher import lower_priority, process_identity
from rnnkit.runs.queue import dispatch_after_run
from rnnkit.training.checkpoint import CheckpointError, load_checkpoint
from rnnkit.training.engine import Callback, Diverged, Trainer, resolve_device
from rnnkit.worker.allocator import keep_step_memory
from rnnkit.worker.callbacks import (
    Checkpointer,
    ConsoleProgress,
    EarlyStopping,
    GradientProbe,
    MetricsWriter,
    PosthocFit,
    StopCheck,
    TimeLimit,
)
from rnnkit.worker.limits import apply_memory_limit, memory_limit_for, out_of_memory_message


def execute(
    run: Run,
    resume: bool = False,
    stream: TextIO | None = None,
    install_signals: bool = True,
    extra_callbacks: tuple[Callback, ...] = (),
    memory_limit: bool = False,
) -> str:
    """Train `run` (from scratch, or from last.pt when `resume`); return the final state.
    `extra_callbacks` join the run's own (`run_callbacks`); where they stand in the list changes nothing.
    `memory_limit`: this process is the run's own worker, so it limits its memory (`rnnkit.worker.limits`) and
    keeps what a training step frees for the next (`rnnkit.worker.allocator`)."""
    stream = stream or sys.stdout  # looked up now: tests and notebooks replace sys.stdout
    try:
        config = run.config()
    except RunError as error:  # a config.json no run may train (edited by hand, hostile): the run ends here
        run.write_status("failed", error=str(error))
        raise
    time_limit = run.limits().get("time_limit_seconds")
    limits = [TimeLimit(time_limit)] if time_limit else []  # the clock starts now: loading the data counts
    allowance = _limit_memory(config, stream) if memory_limit else None
    if memory_limit:  # this process is the run's own: its allocator may keep what a step frees for the next
        keep_step_memory()
    stop_check = StopCheck(run)
    if install_signals:
        stop_check.install_signal_handler()
    remove_stale_temporaries(run.path)  # half-written files of a killed earlier attempt
    run.write_status("running", **process_identity(), started_at=time.time(), phase="loading data")
    try:
        if config.train.num_threads:
            torch.set_num_threads(config.train.num_threads)
        device = resolve_device(config.train.device)
        data = get_task(config.task.name).load(config.task, config.train.split_seed,
                                               progress=lambda text: _say(stream, text))
        if config.model.match_parameters != OFF:  # equal budgets: this run's own hidden size, recorded
            config = _match_parameters(run, config, data.spec, stream)
        torch.manual_seed(config.train.seed)  # same seed, same initial weights
        model = build_model(config.model, data.spec)
        if data.embedding_vectors is not None:
            model.load_embedding(data.embedding_vectors, freeze=data.freeze_embeddings)
        if not resume and not config.train.dry_run:
            save_embedding_start(run, model)
        callbacks = [*run_callbacks(run, config, data.artifacts, stream, stop_check), *limits, *extra_callbacks]
        trainer = Trainer(model, data, config.train, callbacks, device=device)
        if resume:
            _restore(run, trainer)
        run.write_status("running", phase="training", device=str(device), parameters=count_parameters(model),
                         core_parameters=core_parameters(model),
                         epoch=trainer.state.epoch, epochs=trainer.epochs, steps_per_epoch=trainer.steps_per_epoch)
        _say(stream, f"[{run.run_id}] {config.model.arch}/{config.model.impl} on {device}, "
                     f"{count_parameters(model):,} parameters, {len(data.train)} training sequences")
        result = trainer.fit()
    except DiskFull as error:  # checkpoints of earlier epochs are intact; resume once there is space
        _record_failure(run, str(error))
        print(f"error: {error}", file=sys.stderr)
        return "failed"
    except Diverged as error:
        run.write_status("failed", error=str(error))
        _say(stream, f"[{run.run_id}] failed: {error}")
        return "failed"
    except ValueError as error:  # bad settings or data: the message says what to change
        run.write_status("failed", error=str(error))
        print(f"error: {error}", file=sys.stderr)
        return "failed"
    except (KeyboardInterrupt, SystemExit):
        run.write_status("stopped", stop_reason="interrupted from the terminal")
        raise
    except Exception as error:  # noqa: BLE001 - every failure must reach status.json
        out_of_memory = out_of_memory_message(error, allowance)
        run.write_status("failed", error=out_of_memory or f"{type(error).__name__}: {error}")
        if out_of_memory:
            print(f"error: {out_of_memory}", file=sys.stderr)
        else:
            traceback.print_exc(file=sys.stderr)
        return "failed"
    if result is None:
        run.write_status("stopped", stop_reason=trainer.stop_reason, epoch=trainer.state.epoch,
                         resume_step=trainer.state.step)
        where = f"epoch {trainer.state.epoch}" + (f", step {trainer.state.step}" if trainer.state.step else "")
        _say(stream, f"[{run.run_id}] stopped after {where}")
        return "stopped"
    run.clear_stop_request()
    run.write_status("completed", epoch=trainer.state.epoch, best_epoch=trainer.state.best_epoch,
                     stop_reason=trainer.stop_reason, finished_at=time.time())
    return "completed"


def run_callbacks(run: Run, config: RunConfig, artifacts: dict, stream: TextIO, stop_check: StopCheck
                  ) -> list[Callback]:
    """The callbacks that connect a training run to its folder and its log, in no particular order (each
    holds to the contract of `rnnkit.training.events`, so no order is needed)."""
    probe = [GradientProbe(run, stream)] if config.train.gradient_probe and not config.train.dry_run else []
    return [MetricsWriter(run), *probe, PosthocFit(run, stream), Checkpointer(run, config, artifacts), stop_check,
            EarlyStopping(config.train.patience, config.train.stop_at_score),
            ConsoleProgress(stream, prefix=f"[{run.run_id}] ")]


def execute_group(runs: list[Run], resume: bool = False) -> int:
    """Train several runs at once from one launcher process: pay for importing torch once, then fork
    one process per run (Linux/macOS), each in its own session and writing its own train.log.

    The parent touches neither CUDA nor a parallel CPU kernel before forking (both are unsafe to
    fork), and waits for its children, so none is left a zombie. Returns 0 if every run ended
    completed or stopped.
    """
    torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])  # imports torch._dynamo (~1 s) once for all
    children = {}
    for run in runs:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: one run, then exit without returning into the parent's code
            train_in_child(run, resume, "forked by execute_group")
        children[pid] = run
    outcome = 0
    for pid in children:
        _, status = os.waitpid(pid, 0)
        outcome |= int(os.waitstatus_to_exitcode(status) != 0)
    return outcome


def train_in_child(run: Run, resume: bool, command: str) -> NoReturn:
    """The body of a forked child that trains one run (`execute_group`'s, the warm worker's): its own session
    and scheduling group, its output in the run's train.log (never written through a link), its own identity
    in worker.json, the run, then room for the next queued group; it exits, never returning into the
    parent's code."""
    code = 1
    try:
        os.setsid()
        lower_priority()  # a new session is a new scheduling group: nice it again
        log = os.open(run.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0), 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        write_json_atomic(run.worker_path, {**process_identity(), "command": command})
        code = exit_status([execute(run, resume=resume, memory_limit=True)])
        dispatch_after_run(run)  # room for the next waiting group
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _limit_memory(config: RunConfig, stream: TextIO) -> int | None:
    """Put this worker under its memory limit before it loads data; returns the run's allowance (None: no
    limit here). Not for a GPU run: CUDA reserves far more address space than memory, and the GPU's memory
    bounds the run itself. A config the estimate cannot read is left to fail where the run reads it."""
    try:
        if resolve_device(config.train.device).type != "cpu":
            return None
        sizes = memory_limit_for(config)
    except Exception:  # noqa: BLE001 - a safeguard that cannot be computed must not fail the run
        return None
    if sizes is None or apply_memory_limit(sizes[0]) is None:
        return None
    _say(stream, f"memory limit: {sizes[1] / 1e9:.1f} GB for this run ({sizes[0] / 1e9:.1f} GB of address space)")
    return sizes[1]


def _match_parameters(run: Run, config, spec, stream: TextIO):
    """Resolve `match_parameters` now that the task's sizes are known (`rnnkit.model.budget.resolve_match`:
    the hidden size, and the embedding size where that alone misses the tolerance), record the resolved
    config in config.json and the match under run.matched and status.json's `parameter_match`, and say it
    in the log: a match outside the tolerance as a warning."""
    import dataclasses

    model, match = resolve_match(config.model, spec)
    config = dataclasses.replace(config, model=model)
    run.record_resolved_config(config, matched=match.to_dict())
    run.write_status("running", parameter_match=match.to_dict())
    _say(stream, f"[{run.run_id}] {match.summary()}")
    return config


def _restore(run: Run, trainer: Trainer) -> None:
    """Continue from last.pt: weights, optimizer, counters, RNG; cut metrics back to that epoch."""
    try:
        last = load_checkpoint(run.last_path)
    except CheckpointError as error:
        if not run.last_path.exists():  # died before the first epoch ended: start over
            run.truncate_metrics(0)
            return
        raise RunError(f"cannot resume {run.run_id}: {error}") from error
    trainer.model.load_state_dict(last["model"])
    best_state = load_checkpoint(run.best_path)["model"] if run.best_path.exists() else None
    trainer.load_state_dict(last["training"], best_state)
    run.truncate_metrics(int(last["training"]["metrics_offset"]))


def _record_failure(run: Run, message: str) -> None:
    """status.json says `failed` and why, even on a full disk (then it is overwritten in place)."""
    try:
        run.write_status("failed", error=message)
    except OSError:
        try:
            run.status_path.write_text(json.dumps({"state": "failed", "error": message}), encoding="utf-8")
        except OSError:
            pass


def _say(stream: TextIO, text: str) -> None:
    stream.write(text + "\n")
    stream.flush()
