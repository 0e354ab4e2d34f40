"""Equal parameter budgets (`match_parameters`): over an audited grid every match is within 2 % of its
reference or flagged with its exact difference, the tolerance is met wherever some hidden and embedding
size meets it, and the run, its log, the memory estimate and the notes all say the same.

Every count here is this file's own arithmetic (weights per gate, torch's two bias vectors, the residual
cell's W_res, the linear head), never the model builder that `rnnkit.model.budget` counts with.
"""
import io
import itertools
import json

import numpy as np
import pytest

from rnnkit.analysis.html_report import html_report
from rnnkit.analysis.matching import matching_notes, parameter_match
from rnnkit.cli.main import main
from rnnkit.config.run import MAX_WIDTH, ModelConfig, TrainConfig
from rnnkit.config.spec import TaskSpec
from rnnkit.data.presets import build_config
from rnnkit.model import memory
from rnnkit.model.budget import TOLERANCE, ParameterMatch, matched_hidden_size, resolve_match
from rnnkit.model.cells import cell_names
from rnnkit.model.heads import build_model
from rnnkit.runs.store import RunStore
from rnnkit.worker.execute import _match_parameters, execute

GATES = {"rnn": 1, "lstm": 4, "gru": 3, "reslstm": 4, "mingru": 2, "minlstm": 3, "slstm": 4,
         "transformer": 0}  # weight blocks per cell (the residual adds W_res below; the Transformer is counted apart)
INPUT_ONLY = ("mingru", "minlstm")  # gates that read x_t only: W_ih and b_ih, no W_hh, no b_hh
EMBEDDING = 64
VOCABULARY = 2000  # a language model's vocabulary: its head has (hidden + 1) x 2000 weights
REFERENCES = ("lstm", "gru", "rnn")
HIDDEN_SIZES = (4, 8, 16, 32, 64, 128, 256)
INPUTS = (("tokens", 500), ("features", 1), ("features", 11), ("features", 64))  # tokens: vocabulary 500
OUTPUTS = (2, 18)
STRUCTURES = ((1, False), (1, True), (2, False))  # (layers, bidirectional)


def count(arch, hidden, width, outputs, layers=1, bidirectional=False):
    """Recurrent + head parameters, by hand: numpy arrays of hidden (and width) give every size at once."""
    hidden, width = np.asarray(hidden, dtype=np.int64), np.asarray(width, dtype=np.int64)
    if arch == "transformer":  # input projection, blocks (norms, W_qkv, W_o, feed-forward 4x), final norm, head
        return width * hidden + hidden + layers * (12 * hidden * hidden + 13 * hidden) + 2 * hidden + \
            (hidden + 1) * outputs
    directions = 2 if bidirectional else 1
    total = (directions * hidden + 1) * outputs  # the head: weights and biases
    for layer in range(layers):
        reads = width if layer == 0 else directions * hidden
        per_direction = GATES[arch] * hidden * (reads + hidden + 2)  # W_ih, W_hh, b_ih, b_hh
        if arch in INPUT_ONLY:
            per_direction = GATES[arch] * hidden * (reads + 1)
        if arch == "reslstm":  # h_t = o ⊙ tanh(c) + F(x_t): F is W_res unless the widths are equal
            per_direction = per_direction + np.where(reads == hidden, 0, reads * hidden)
        total = total + directions * per_direction
    return total


def grid():
    """(arch, reference, hidden, input kind, input size, outputs, layers, bidirectional, job)."""
    for arch, reference, hidden in itertools.product(cell_names(), REFERENCES, HIDDEN_SIZES):
        for (kind, size), outputs, (layers, bidirectional) in itertools.product(INPUTS, OUTPUTS, STRUCTURES):
            yield arch, reference, hidden, kind, size, outputs, layers, bidirectional, "classify"
        for layers in (1, 2):  # a language model reads forwards only
            yield arch, reference, hidden, "tokens", VOCABULARY, VOCABULARY, layers, False, "language_model"


def test_the_audited_grid_is_within_2_percent_or_flagged_with_its_exact_difference(capsys):
    assert set(GATES) == set(cell_names()), "a new cell: add its weight blocks to GATES"
    before = after = total = unreachable = 0
    flagged = []
    for arch, reference, hidden, kind, size, outputs, layers, bidirectional, job in grid():
        spec = TaskSpec(job, kind, size, outputs, 50, "accuracy")
        config = ModelConfig(arch=arch, hidden_size=hidden, num_layers=layers, bidirectional=bidirectional,
                             embedding_size=EMBEDDING, match_parameters=reference)
        width = EMBEDDING if kind == "tokens" else size
        target = int(count(reference, hidden, width, outputs, layers, bidirectional))
        if count(arch, MAX_WIDTH, width, outputs, layers, bidirectional) < target:  # minGRU on 1 feature vs LSTM 256:
            with pytest.raises(ValueError, match="hidden size above"):  # no W_hh, so no width can get there
                resolve_match(config, spec)
            unreachable += 1
            continue
        resolved, match = resolve_match(config, spec)
        case = (arch, reference, hidden, kind, size, outputs, layers, bidirectional)
        trained_width = resolved.embedding_size if kind == "tokens" else size
        trained = int(count(arch, resolved.hidden_size, trained_width, outputs, layers, bidirectional))
        assert (match.reference_core_parameters, match.core_parameters) == (target, trained), case
        assert match.relative_difference == pytest.approx((trained - target) / target, abs=1e-15), case
        assert match.within_tolerance == (abs(trained - target) <= 0.02 * target), case
        assert resolved.match_parameters == "none" and match.hidden_size == resolved.hidden_size
        # before: the best any hidden size alone can do (every size up to the bound, by hand)
        sizes = np.arange(1, MAX_WIDTH + 1)
        gaps = np.abs(count(arch, sizes, width, outputs, layers, bidirectional) - target)
        hidden_alone = bool(gaps.min() <= 0.02 * target)
        assert abs(matched_hidden_size(config, spec)[1] - target) == gaps.min(), case  # step 1 finds the best
        if match.embedding_size is not None:
            assert not hidden_alone and match.within_tolerance, case  # the embedding moves only when it must
        if not match.within_tolerance:
            flagged.append((case, match.relative_difference))
            assert kind == "features" or not _some_embedding_meets_it(arch, width, outputs, layers, bidirectional,
                                                                      target), case
            assert not hidden_alone, case
        before += hidden_alone
        after += match.within_tolerance
        total += 1
    with capsys.disabled():
        worst = max((abs(difference) for _case, difference in flagged), default=0.0)
        print(f"\nparameter matching: {before}/{total} within 2 % by hidden size alone, {after}/{total} now; "
              f"{len(flagged)} flagged (largest {worst * 100:.1f} %)")
    assert after > before and total + unreachable == len(GATES) * 3 * 7 * 26 and unreachable < total / 20


def _some_embedding_meets_it(arch, width, outputs, layers, bidirectional, target) -> bool:
    """Whether any (hidden, embedding) pair up to the bound is within 2 % (by hand, every pair)."""
    hidden = np.arange(1, MAX_WIDTH + 1)[:, None]
    embedding = np.arange(1, MAX_WIDTH + 1)[None, :]
    return bool((np.abs(count(arch, hidden, embedding, outputs, layers, bidirectional) - target)
                 <= 0.02 * target).any())


def test_the_embedding_is_searched_only_for_a_learned_token_embedding():
    tokens = TaskSpec("classify", "tokens", 500, 2, 50, "accuracy")
    config = ModelConfig(arch="gru", hidden_size=4, embedding_size=64, match_parameters="lstm")
    resolved, match = resolve_match(config, tokens)
    assert (resolved.hidden_size, resolved.embedding_size) == (5, 67) and match.within_tolerance
    assert match.searched == ("hidden_size", "embedding_size") and match.configured_embedding_size == 64
    assert int(count("gru", 5, 67, 2)) == match.core_parameters and int(count("lstm", 4, 64, 2)) == 1130
    pretrained = TaskSpec("classify", "tokens", 500, 2, 50, "accuracy", embedding_size=64)  # word2vec's width
    resolved, match = resolve_match(config, pretrained)
    assert resolved.embedding_size == 64 and match.embedding_size is None and match.searched == ("hidden_size",)
    assert not match.within_tolerance and match.core_parameters == int(count("gru", 5, 64, 2))
    same, none = resolve_match(ModelConfig(arch="gru"), tokens)
    assert none is None and same == ModelConfig(arch="gru")


def test_the_memory_estimate_counts_the_model_the_worker_trains():
    spec = TaskSpec("language_model", "tokens", VOCABULARY, VOCABULARY, 30, "perplexity")
    config = ModelConfig(arch="rnn", hidden_size=4, match_parameters="lstm")
    resolved, match = resolve_match(config, spec)
    assert (resolved.hidden_size, resolved.embedding_size) == (4, 274) and match.within_tolerance
    built = build_model(resolved, spec)
    assert memory.count_parameters(config, spec) == (sum(p.numel() for p in built.parameters()),
                                                     VOCABULARY * 274)
    train = TrainConfig(batch_size=4)
    assert memory.estimate_memory(config, train, spec) == memory.estimate_memory(resolved, train, spec)


def test_a_match_outside_the_tolerance_is_recorded_logged_and_noted(tmp_path, capsys):
    store = RunStore(tmp_path)
    config = build_config("recall", None, {"task": {"sequence_length": 8, "num_samples": 160},
                                           "model": {"arch": "gru", "hidden_size": 4, "match_parameters": "lstm"},
                                           "train": {"epochs": 1, "batch_size": 16}})
    run = store.create(config)
    log = io.StringIO()
    assert execute(run, stream=log, install_signals=False) == "completed"
    recorded = run.raw_status()["parameter_match"]
    spec_line = json.loads(run.metrics_path.read_text().splitlines()[0])["spec"]
    width, outputs = spec_line["input_size"], spec_line["output_size"]
    target, trained = int(count("lstm", 4, width, outputs)), int(count("gru", recorded["hidden_size"], width, outputs))
    assert (recorded["reference_core_parameters"], recorded["core_parameters"]) == (target, trained)
    assert recorded["within_tolerance"] is False and recorded["relative_difference"] == (trained - target) / target
    assert run.info()["matched"] == recorded and run.config().model.hidden_size == recorded["hidden_size"]
    percent = f"{abs(trained - target) / target * 100:.1f}"
    assert "warning:" in log.getvalue() and f"({(trained - target) / target * 100:+.1f} %)" in log.getvalue()
    more = "more" if trained > target else "fewer"
    assert matching_notes([run]) == [
        f"GRU has {percent} % {more} recurrent + head parameters than LSTM ({trained:,} vs {target:,}): the closest "
        f"hidden size ({recorded['hidden_size']}); the 2 % tolerance cannot be met here."]
    document = html_report([run], "matched")  # the report says it too, escaped, under its heading
    assert "Equal parameter budgets" in document and f"GRU has {percent} % {more} recurrent" in document
    assert main(["report", run.run_id, "--html", str(tmp_path / "r.html"), "--checkpoints-dir", str(tmp_path)]) == 0
    assert f"note: GRU has {percent} % {more} recurrent + head parameters" in capsys.readouterr().out


def test_an_old_run_gets_its_note_from_the_counts_it_recorded(tmp_path):
    store = RunStore(tmp_path)
    config = build_config("recall", None, {"model": {"arch": "gru", "hidden_size": 19}})
    old = store.create(config)  # matched the old way: config.json's run.matched holds sizes and counts only
    old.record_resolved_config(config, matched={"reference": "lstm", "reference_hidden_size": 16, "hidden_size": 19,
                                                "core_parameters": 1302, "reference_core_parameters": 1250})
    fine = store.create(config)
    fine.record_resolved_config(config, matched={"reference": "lstm", "reference_hidden_size": 16, "hidden_size": 19,
                                                 "core_parameters": 1262, "reference_core_parameters": 1250})
    plain = store.create(build_config("recall", None, {}))
    assert parameter_match(plain) is None
    assert parameter_match(old) == ParameterMatch("lstm", 16, 1250, "gru", 19, 1302)
    assert matching_notes([old, fine, plain]) == [
        "GRU has 4.2 % more recurrent + head parameters than LSTM (1,302 vs 1,250): the closest hidden size (19); "
        "the 2 % tolerance cannot be met here.",
        "1 of 2 matched runs within 2 % of the reference's recurrent + head parameters (largest difference +1.0 %)."]
    assert matching_notes([plain]) == []


def test_an_embedding_change_is_recorded_in_config_and_status_and_noted(tmp_path):
    store = RunStore(tmp_path)
    config = build_config("recall", None, {"model": {"arch": "reslstm", "hidden_size": 4, "match_parameters": "lstm",
                                                     "embedding_size": 64}})
    run = store.create(config)
    run.write_status("running", phase="loading data")
    spec = TaskSpec("classify", "tokens", 500, 2, 50, "accuracy")
    log = io.StringIO()
    resolved = _match_parameters(run, config, spec, log)
    model = run.config().model
    assert model == resolved.model and (model.hidden_size, model.embedding_size) == (3, 70)
    assert run.raw_status()["parameter_match"]["embedding_size"] == 70 == run.info()["matched"]["embedding_size"]
    assert "embedding size 70 (configured 64)" in log.getvalue() and "warning" not in log.getvalue()
    target, trained = int(count("lstm", 4, 64, 2)), int(count("reslstm", 3, 70, 2))
    assert abs(trained - target) <= TOLERANCE * target
    assert matching_notes([run], "en")[0] == (
        f"residual LSTM matches LSTM within 2 % ({trained:,} vs {target:,} recurrent + head parameters) at hidden "
        "size 3 and embedding size 70 instead of 64: the hidden size alone could not (the embedding table, not "
        "counted, changes with it).")
