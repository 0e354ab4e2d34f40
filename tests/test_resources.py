"""What a run may take of the machine: the memory estimate (checked against what torch really keeps), the
refusal before a run starts, the memory limit a worker runs under (in subprocesses: the limit is a process's
own), and the time limit a student's run ends at."""
import dataclasses
import io
import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from rnnkit.config.run import ModelConfig, TrainConfig
from rnnkit.config.spec import TaskSpec
from rnnkit.data.presets import build_config, preset_names
from rnnkit.data.tasks import get_task, task_names
from rnnkit.model import memory
from rnnkit.model.heads import build_model
from rnnkit.model.memory import MachineMemory, RunTooLarge, Setting, check_fits, estimate_memory, format_bytes
from rnnkit.runs import groups
from rnnkit.runs.groups import check_memory, estimated_spec, group_configs
from rnnkit.training.checkpoint import load_checkpoint
from rnnkit.training.engine import StopRequested
from rnnkit.worker.callbacks import TimeLimit
from rnnkit.worker.execute import execute
from rnnkit.worker.limits import out_of_memory_message
from tests import fixtures
from tests.waits import patience

ROOT = Path(__file__).resolve().parent.parent
GB = 10**9
LAPTOP = MachineMemory(total=8 * 2**30, available=6 * 2**30)  # a classroom laptop with 6 GiB free
SMALL_MACHINE = MachineMemory(total=16 * GB, available=8 * GB)


def _small_config(**train):
    return build_config("recall", None, {"task": {"sequence_length": 10, "num_samples": 400},
                                         "model": {"hidden_size": 16},
                                         "train": {"epochs": 2, "batch_size": 16, "log_every_steps": 4, **train}})


def _saved_bytes(model, inputs, lengths, loss_of) -> int:
    """Bytes of the tensors autograd keeps for the backward pass (each storage once)."""
    storages = {}

    def keep(tensor):
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = max(storages.get(storage.data_ptr(), 0), storage.nbytes())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(keep, lambda tensor: tensor):
        loss = loss_of(model(inputs, lengths))
    loss.backward()
    return sum(storages.values())


@pytest.mark.parametrize("job,kind,arch,impl,layers,bidirectional", [
    ("classify", "features", "rnn", "fused", 1, False), ("classify", "features", "lstm", "fused", 2, True),
    ("classify", "tokens", "gru", "scratch", 2, True), ("classify", "tokens", "reslstm", "scratch", 1, False),
    ("classify", "features", "gru", "fused", 1, False), ("language_model", "tokens", "lstm", "fused", 1, False),
    ("language_model", "tokens", "rnn", "scratch", 1, False),
])
def test_the_activation_estimate_covers_what_the_backward_pass_keeps(job, kind, arch, impl, layers, bidirectional):
    torch.manual_seed(0)
    batch, steps, width = 8, 30, (11 if kind == "features" else 300)
    spec = TaskSpec(job=job, input_kind=kind, input_size=width, output_size=10 if job == "classify" else width,
                    max_steps=steps, selection_metric="accuracy")
    config = ModelConfig(arch=arch, impl=impl, hidden_size=24, num_layers=layers, bidirectional=bidirectional,
                         embedding_size=16)
    inputs = torch.randn(batch, steps, width) if kind == "features" else torch.randint(1, width, (batch, steps))
    lengths = torch.full((batch,), steps)
    lengths[0] = steps - 4  # padding takes the masked path
    targets = torch.randint(0, 10, (batch,)) if job == "classify" else torch.randint(0, width, (batch * steps,))
    measured = _saved_bytes(build_model(config, spec), inputs, lengths,
                            lambda outputs: torch.nn.functional.cross_entropy(outputs.reshape(-1, outputs.shape[-1])
                                                                              if job != "classify" else outputs,
                                                                              targets))
    estimated = estimate_memory(config, TrainConfig(batch_size=batch), spec).activations
    assert measured <= estimated <= 6 * measured  # an upper estimate, not a wild one


def test_parameters_are_counted_as_built_and_an_absurd_model_allocates_nothing():
    spec = TaskSpec(job="classify", input_kind="tokens", input_size=500, output_size=3, max_steps=20,
                    selection_metric="accuracy")
    for config in (ModelConfig(arch="reslstm", impl="scratch", hidden_size=12, ngrams=3, num_layers=2),
                   ModelConfig(arch="gru", hidden_size=10, bidirectional=True, match_parameters="lstm")):
        built = build_model(dataclasses.replace(config, match_parameters="none"), spec)
        if config.match_parameters == "none":
            assert memory.count_parameters(config, spec)[0] == sum(p.numel() for p in built.parameters())
        else:  # the worker's matched hidden size, as the worker will pick it
            assert memory.count_parameters(config, spec)[0] > sum(p.numel() for p in built.parameters())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    huge = ModelConfig(arch="lstm", hidden_size=4096, num_layers=16, bidirectional=True)
    total, embedding = memory.count_parameters(huge, spec)
    first = 4 * 4096 * (64 + 4096 + 2) * 2  # torch's layout: 4 gates x hidden rows of [input | hidden | 2 biases]
    later = 4 * 4096 * (2 * 4096 + 4096 + 2) * 2 * 15
    assert total == embedding + first + later + (2 * 4096 + 1) * 3 and embedding == 500 * 64
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # kB: far from its 26 GB


@pytest.mark.parametrize("overrides,lead,lower", [
    ({"model": {"hidden_size": 4096, "num_layers": 16, "bidirectional": True}}, "hidden size 4096",
     "lower the hidden size or the num layers"),
    ({"task": {"num_samples": 1_000_000, "sequence_length": 10_000}}, "sequence length 10000",
     "lower the sequence length or the num samples"),
    ({"train": {"batch_size": 8192}, "task": {"sequence_length": 5000}}, "sequence length 5000",
     "lower the sequence length or the batch size"),  # steps halve the data too, so they lead the batch size
])
def test_a_run_that_cannot_fit_is_refused_before_it_starts_naming_the_setting(overrides, lead, lower):
    config = build_config("recall", None, overrides)
    with pytest.raises(RunTooLarge) as refused:
        check_memory(config, memory=SMALL_MACHINE)
    message = str(refused.value)
    assert message.startswith(lead + " needs about ") and message.endswith(lower)
    assert "this machine has 6.9 GB free" in message and "\n" not in message


def test_group_configs_refuses_a_group_that_no_machine_holds():
    """Where every face builds its groups, on this machine: 1.3 TB of generated sequences."""
    with pytest.raises(RunTooLarge, match=r"^sequence length 10000 needs about 1\.3 TB; this machine has .* free: "
                                          r"lower the sequence length or the num samples$"):
        group_configs("recall", None, ["lstm", "gru"], {"task": {"sequence_length": 10_000, "num_samples": 10**6}})


def test_a_language_model_with_a_huge_vocabulary_is_refused_naming_it():
    with pytest.raises(RunTooLarge, match=r"^vocab size 1000000 needs about .* lower the vocab size or the "):
        check_memory(build_config("poems", None, {"task": {"vocab_size": 1_000_000}}), memory=SMALL_MACHINE)


@pytest.mark.parametrize("task", task_names())
def test_every_shipped_preset_fits_a_laptop(task):
    for preset in (None, *preset_names(task)):
        check_memory(build_config(task, preset), memory=LAPTOP)  # raises if refused


def test_the_estimated_sizes_cover_the_generated_tasks_and_the_fixtures(tmp_path):
    fixtures.write_names(tmp_path)
    fixtures.write_poems(tmp_path)
    fixtures.write_jena(tmp_path)
    cases = [("recall", {"sequence_length": 40, "num_samples": 100}), ("adding", {"sequence_length": 40}),
             ("names", {"data_dir": str(tmp_path)}), ("poems", {"data_dir": str(tmp_path)}),
             ("weather", {"data_dir": str(tmp_path), "station": "jena"})]
    for task, options in cases:
        config = build_config(task, None, {"task": options})
        estimate, data_bytes = estimated_spec(config)
        loaded = get_task(task).load(config.task, 0, progress=lambda text: None)
        assert estimate.input_size >= loaded.spec.input_size, task
        assert estimate.output_size >= loaded.spec.output_size, task
        assert estimate.max_steps >= loaded.spec.max_steps, task
        if task in ("recall", "adding"):  # generated: the whole set is made, then split
            generated = sum(split.inputs.numel() * split.inputs.element_size() for split in
                            (loaded.train, loaded.validation, loaded.test))
            assert generated <= data_bytes <= 8 * 2 * generated, task


def test_the_refusal_names_the_settings_that_save_most_first():
    settings = [Setting("epochs", 10, 100), Setting("batch size", 64, 60), Setting("hidden size", 512, 30)]
    with pytest.raises(RunTooLarge, match=r"^hidden size 512 needs about 100 bytes; this machine has 50 bytes free: "
                                          r"lower the hidden size or the batch size$"):
        check_fits(100, 50, settings)
    check_fits(100, 100, settings)  # exactly fits
    check_fits(10**15, None, settings)  # the machine's memory unknown: nothing is refused
    with pytest.raises(RunTooLarge, match=r"^this run needs about 100 bytes; this machine has 50 bytes free$"):
        check_fits(100, 50, [Setting("epochs", 10, 100)])  # nothing to lower that would help


def test_an_unknown_machine_refuses_nothing(monkeypatch):
    monkeypatch.setattr(memory, "machine_memory", lambda: None)
    check_memory(build_config("recall", None, {"task": {"num_samples": 1_000_000, "sequence_length": 10_000}}))


def test_the_machine_memory_is_read_and_sizes_are_shown_readably():
    machine = memory.machine_memory()
    if sys.platform.startswith("linux"):
        assert machine is not None and machine.total >= machine.available > 0
    assert [format_bytes(value) for value in (3.7e12, 20e9, 6.93e9, 640e6, 512)] == [
        "3.7 TB", "20 GB", "6.9 GB", "640 MB", "512 bytes"]
    assert memory.run_allowance(2, 0, MachineMemory(total=17 * 2**30, available=0)) == 8 * 2**30
    assert memory.run_allowance(64, 0, MachineMemory(total=17 * 2**30, available=0)) == memory.MIN_ALLOWANCE
    assert memory.run_allowance(64, 5 * GB, MachineMemory(total=17 * 2**30, available=0)) == 10 * GB


def test_the_estimate_is_checked_once_per_architecture_not_per_seed(monkeypatch):
    calls = []
    monkeypatch.setattr(groups, "check_memory", lambda config: calls.append(config.model.arch))
    group_configs("recall", None, ["lstm", "gru"], seeds=5)
    assert sorted(calls) == ["gru", "lstm"]


def test_allocation_failures_are_worded_as_out_of_memory_and_nothing_else_is():
    allocator = RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: "
                             "you tried to allocate 16000000000000 bytes. Error code 12 (Cannot allocate memory)")
    message = out_of_memory_message(allocator, 2 * GB)
    assert message.startswith("out of memory: the run needed more than the 2.0 GB a run may use on this machine")
    assert "16000000000000" not in message and "alloc_cpu" not in message
    assert out_of_memory_message(MemoryError(), None).startswith("out of memory")
    assert "GPU" in out_of_memory_message(RuntimeError("CUDA out of memory. Tried to allocate 2 GiB"), 2 * GB)
    assert out_of_memory_message(RuntimeError("shape mismatch"), 2 * GB) is None


# ------------------------------------------------------------------------------- the time limit


def test_a_run_past_its_time_limit_ends_stopped_with_its_checkpoint_and_resumes(store):
    """limits.json's time_limit_seconds (a student's, written by the run store) ends the run like a user
    stop: `stopped`, stop_reason "time limit", last.pt at the step reached; resume continues from there."""
    run = store.create(_small_config())
    run.write_limits(time_limit_seconds=1e-9)  # already over when the first batch ends
    assert execute(run, stream=io.StringIO(), install_signals=False) == "stopped"
    status = run.status()
    assert status["state"] == "stopped" and status["stop_reason"] == "time limit" and "error" not in status
    assert status["resume_step"] == 1 and load_checkpoint(run.last_path)["training"]["step"] == 1
    run.write_limits()  # e.g. a teacher lifts the limit
    store.prepare_resume(run.run_id)
    assert execute(run, resume=True, stream=io.StringIO(), install_signals=False) == "completed"
    steps = [(record["epoch"], record["step"]) for record in run.metrics("step")]
    assert steps[0] == (1, 1) and len(steps) == len(set(steps))  # on from step 1, nothing twice
    assert [record["epoch"] for record in run.metrics("epoch")] == [1, 2]


@pytest.mark.parametrize("limits", [{"time_limit_seconds": 0}, {"time_limit_seconds": -5},
                                    {"time_limit_seconds": "soon"}, {"time_limit_seconds": True}, {}])
def test_no_limit_or_a_malformed_one_lets_the_run_complete(store, limits):
    run = store.create(_small_config(epochs=1))
    run.limits_path.write_text(json.dumps(limits))
    assert execute(run, stream=io.StringIO(), install_signals=False) == "completed"


def test_the_time_limit_counts_from_the_start_and_stops_only_after_it():
    now = [100.0]
    limit = TimeLimit(30, clock=lambda: now[0])
    now[0] = 129.9
    limit.on_batch_end(None)  # still within the limit
    now[0] = 130.0
    with pytest.raises(StopRequested, match="^time limit$"):
        limit.on_batch_end(None)


# ------------------------------------------------------------------ the worker's memory limit (subprocesses)
WORKER = textwrap.dedent('''
    import io, json, resource, sys
    from rnnkit.data.presets import build_config
    from rnnkit.runs.store import RunStore
    import rnnkit.worker.limits as limits
    from rnnkit.worker.execute import execute

    allowance, overrides = int(sys.argv[2]), json.loads(sys.argv[3])
    if allowance:  # a small machine: this run may grow by `allowance` bytes
        limits.run_allowance = lambda *args, **kwargs: allowance
    run = RunStore(sys.argv[1]).create(build_config("recall", None, overrides))
    state = execute(run, stream=io.StringIO(), install_signals=False, memory_limit=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    print(json.dumps({"state": state, "status": run.status(), "soft": soft, "hard": hard}))
''')


def _worker(tmp_path, allowance: int, overrides: dict) -> dict:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", WORKER, str(tmp_path / "checkpoints"), str(allowance),
                           json.dumps(overrides)], capture_output=True, text=True, timeout=patience(600),
                          env=environment, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced on Linux")
def test_a_runaway_worker_fails_alone_with_out_of_memory(tmp_path):
    ours = resource.getrlimit(resource.RLIMIT_AS)
    greedy = {"task": {"sequence_length": 200, "num_samples": 2000}, "model": {"hidden_size": 2048},
              "train": {"batch_size": 1024, "epochs": 1, "gradient_probe": False}}  # one batch: ~36 GB of activations
    result = _worker(tmp_path, 256 << 20, greedy)
    assert result["state"] == "failed" and result["status"]["state"] == "failed"
    assert result["status"]["error"].startswith("out of memory: the run needed more than the 268 MB")
    assert result["soft"] != resource.RLIM_INFINITY and result["hard"] == ours[1]  # only the soft limit is set
    assert resource.getrlimit(resource.RLIMIT_AS) == ours  # this process is untouched


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced on Linux")
def test_a_normal_run_never_meets_the_default_limit(tmp_path):
    tiny = {"task": {"sequence_length": 12, "num_samples": 300}, "model": {"hidden_size": 16},
            "train": {"epochs": 2, "batch_size": 32}}
    result = _worker(tmp_path, 0, tiny)
    assert result["state"] == "completed", result["status"].get("error")
    assert result["soft"] != resource.RLIM_INFINITY  # it ran under the limit
