"""The memory horizon over seeds (configs, the table's mean ± std and interval, the figure's error bars, old
single-seed groups, the CLI's --seeds) and perplexity read with its vocabulary (the labels, the note that
refuses a comparison across vocabularies, Compare via AppTest). Crafted run folders: nothing trains here."""
import json
import statistics

import pytest

from rnnkit.analysis.horizon import (
    ARCHITECTURES,
    LENGTHS,
    MAX_HORIZON_RUNS,
    SEEDS,
    horizon_cells,
    horizon_configs,
    horizon_summary,
    horizon_table,
    horizon_verdicts,
    one_seed_only,
    seeds_within,
    verdict_line,
)
from rnnkit.analysis.html_report import html_report
from rnnkit.analysis.seeds import seed_verdicts, variants
from rnnkit.runs.store import RunStore
from tests.apptest import page

BASE_SEED = horizon_configs((5,), ("rnn",), seeds=1)[0].train.seed  # the preset's seed: offset 0
FAMILY = ("rnn", "lstm", "gru", "mingru", "minlstm", "slstm", "transformer")
T_975 = {1: 12.706204736174707, 2: 4.302652729911275, 3: 3.182446305284263}  # t quantiles by degrees of freedom


# ------------------------------------------------------------------------------------ crafted run folders
def finished(store: RunStore, config, accuracy: float | None):
    """A run folder as training leaves it: completed with a test accuracy, or failed without one (None)."""
    run = store.create(config)
    if accuracy is None:
        run.write_status("failed", error="crafted")
    else:
        run.append_metrics({"kind": "test", "epoch": 1, "test": {"accuracy": accuracy, "loss": 0.1}})
        run.write_status("completed")
    return run


def crafted_accuracy(arch: str, length: int, offset: int) -> float | None:
    """Accuracies with a spread that differs per point; (rnn, T=50) has one seed that failed, (gru, T=150) one
    tested seed only; (lstm, 5) three equal values (zero spread)."""
    if (arch, length) == ("rnn", 50) and offset == 2 or (arch, length) == ("gru", 150) and offset > 0:
        return None
    if (arch, length) == ("lstm", 5):
        return 1.0
    return round(min(1.0, 0.1 + 0.9 / (1 + length / (10 if arch == "rnn" else 400)) + 0.03 * offset ** 2), 4)


def horizon_store(tmp_path, seeds: int = SEEDS, lengths=(5, 50, 150)) -> tuple[RunStore, list]:
    store = RunStore(tmp_path / "checkpoints")
    configs = horizon_configs(lengths, ARCHITECTURES, group="gh", seeds=seeds)
    base = configs[0].train.seed
    runs = [finished(store, config, crafted_accuracy(config.model.arch, config.task.options.sequence_length,
                                                     config.train.seed - base)) for config in configs]
    return store, runs


# ------------------------------------------------------------------------------------- horizon configs
def test_the_horizon_group_has_three_seeds_per_length_and_architecture_by_default():
    configs = horizon_configs(group="g1")
    assert len(configs) == len(LENGTHS) * len(ARCHITECTURES) * 3 == 54
    assert {config.kind for config in configs} == {"horizon"} and {config.group for config in configs} == {"g1"}
    points = {}
    for config in configs:
        points.setdefault((config.model.arch, config.task.options.sequence_length), []).append(config.train.seed)
    base = min(config.train.seed for config in configs)
    assert len(points) == 18 and all(sorted(seeds) == [base, base + 1, base + 2] for seeds in points.values())
    assert len(horizon_configs((5, 10), ("rnn",), seeds=1)) == 2
    with pytest.raises(ValueError, match="seeds"):
        horizon_configs(seeds=0)
    assert len(horizon_configs(seeds=4)) == 72  # past a sweep's 64: the horizon has its own bound
    with pytest.raises(ValueError, match=f"168 runs .*at most {MAX_HORIZON_RUNS}"):  # 6 x 7 x 4
        horizon_configs(architectures=FAMILY, seeds=4)


def test_the_whole_family_is_one_group_of_126_runs_in_seed_order():
    configs = horizon_configs(architectures=FAMILY, group="gf")
    assert len(configs) == 6 * 7 * 3 == 126 <= MAX_HORIZON_RUNS
    base = configs[0].train.seed
    expected = [(offset, length, arch) for offset in range(3) for length in LENGTHS for arch in FAMILY]
    assert [(c.train.seed - base, c.task.options.sequence_length, c.model.arch) for c in configs] == expected
    assert {(c.kind, c.group, c.preset, c.model.hidden_size) for c in configs} == {("horizon", "gf", "horizon", 64)}
    assert {c.model.arch: c.model.impl for c in configs} == {"rnn": "fused", "lstm": "fused", "gru": "fused",
                                                              "mingru": "scratch", "minlstm": "scratch",
                                                              "slstm": "scratch", "transformer": "scratch"}
    with pytest.raises(ValueError, match="once"):
        horizon_configs(architectures=("gru", "gru"))


def test_the_transformer_reads_the_first_step_from_the_last_at_t_150():
    """Recall asks the last step for the symbol at step 1: at the preset's longest T the 150 sinusoidal
    positions are all different, and the last output depends on the first input (causal, no window)."""
    import torch

    from rnnkit.model.heads import build_model
    from rnnkit.model.transformer import sinusoids
    from tests.test_transformer import spec_of

    positions = sinusoids(150, 64, torch.zeros(1, dtype=torch.float64))
    assert float(torch.cdist(positions, positions).add(torch.eye(150) * 9).min()) > 0.1
    config = horizon_configs((150,), ("transformer",), seeds=1)[0].model
    torch.manual_seed(0)
    model = build_model(config, spec_of("classify", vocabulary=12)).eval()
    inputs = torch.randint(1, 12, (2, 150))
    inputs[1, 0] = inputs[0, 0] % 11 + 1  # only the first symbol differs
    inputs[1, 1:] = inputs[0, 1:]
    with torch.no_grad():
        outputs = model(inputs, torch.tensor([150, 150]))
    assert not torch.allclose(outputs[0], outputs[1], atol=1e-6)


def test_a_classroom_group_limit_gets_fewer_seeds_not_a_refusal():
    assert seeds_within(None) == 3 and seeds_within(54) == 3 and seeds_within(60) == 3
    assert seeds_within(53) == 2 and seeds_within(24) == 1 and seeds_within(10) == 1


def test_the_cli_queues_seeds_and_prints_mean_and_std(tmp_path, monkeypatch, capsys):
    from rnnkit.cli.main import main

    started = []

    def start(self, configs):  # the runs finish at once, with crafted accuracies
        started.extend(configs)
        return [finished(self, config, crafted_accuracy(config.model.arch, config.task.options.sequence_length,
                                                        config.train.seed - BASE_SEED)) for config in configs]

    monkeypatch.setattr(RunStore, "start", start)
    assert main(["horizon", "--lengths", "5,50", "--arch", "rnn,lstm", "--seeds", "2", "--checkpoints-dir",
                 str(tmp_path)]) == 0
    assert len(started) == 8 and len({config.train.seed for config in started}) == 2
    printed = capsys.readouterr().out
    rnn_5 = [crafted_accuracy("rnn", 5, offset) * 100 for offset in range(2)]
    expected = f"{statistics.fmean(rnn_5):.1f} ± {statistics.stdev(rnn_5):.1f} (n=2)"
    assert "mean ± std" in printed and expected in printed
    started.clear()
    assert main(["horizon", "--lengths", "5", "--arch", "gru", "--detach", "--checkpoints-dir", str(tmp_path)]) == 0
    assert len(started) == 3  # the default: 3 seeds
    assert main(["horizon", "--seeds", "0", "--detach", "--checkpoints-dir", str(tmp_path)]) == 2


# ---------------------------------------------------------------------------------- table and summary
def test_the_summary_gives_mean_std_interval_and_seeds_per_point(tmp_path):
    store, _runs = horizon_store(tmp_path)
    table = horizon_table(store.runs(group="gh"))
    assert len(table) == 27 and sorted(set(table["seed"] - table["seed"].min())) == [0, 1, 2]
    summary = horizon_summary(table).set_index(["arch", "sequence_length"])
    for arch in ARCHITECTURES:
        for length in (5, 50, 150):
            values = [value for offset in range(3)
                      if (value := crafted_accuracy(arch, length, offset)) is not None]  # independent of the table
            row = summary.loc[(arch, length)]
            assert row["seeds"] == len(values) and row["runs"] == 3
            assert row["mean"] == pytest.approx(statistics.fmean(values), abs=1e-12)
            if len(values) < 2:
                assert row["std"] is None or row["std"] != row["std"]  # None / NaN: no spread from one seed
                continue
            std = statistics.stdev(values)
            half = T_975[len(values) - 1] * std / len(values) ** 0.5
            assert row["std"] == pytest.approx(std, abs=1e-12)
            assert (row["low"], row["high"]) == pytest.approx((statistics.fmean(values) - half,
                                                               statistics.fmean(values) + half), abs=1e-9)
    assert summary.loc[("lstm", 5)]["std"] == 0.0  # equal seeds: zero spread, an interval of width 0
    cells = horizon_cells(horizon_summary(table))
    assert list(cells.columns) == list(ARCHITECTURES) and list(cells.index) == [5, 50, 150]
    assert cells.loc[150, "gru"] == f"{crafted_accuracy('gru', 150, 0) * 100:.1f} (n=1)"
    assert cells.loc[5, "lstm"] == "100.0 ± 0.0 (n=3)" and not one_seed_only(horizon_summary(table))


def test_the_figure_draws_the_mean_with_the_interval_as_error_bars(tmp_path):
    from rnnkit.analysis.horizon_figures import horizon_figure

    store, _runs = horizon_store(tmp_path)
    figure = horizon_figure(horizon_summary(horizon_table(store.runs(group="gh"))))
    assert "95 % t interval" in figure.layout.yaxis.title.text
    from rnnkit.model.cells import get_cell

    traces = {trace.name: trace for trace in figure.data}
    assert set(traces) == {get_cell(arch).title for arch in ARCHITECTURES}
    for arch in ARCHITECTURES:
        trace = traces[get_cell(arch).title]
        for index, length in enumerate(trace.x):
            values = [v * 100 for offset in range(3) if (v := crafted_accuracy(arch, length, offset)) is not None]
            mean = statistics.fmean(values)
            assert trace.y[index] == pytest.approx(mean)
            if len(values) < 2:  # one seed: no bar
                assert trace.error_y.array[index] == 0 and trace.error_y.arrayminus[index] == 0
                continue
            half = T_975[len(values) - 1] * statistics.stdev(values) / len(values) ** 0.5
            assert mean + trace.error_y.array[index] == pytest.approx(min(mean + half, 100.0))  # cut at 100 %
            assert mean - trace.error_y.arrayminus[index] == pytest.approx(max(mean - half, 0.0))


def test_an_old_single_seed_group_still_reads_and_says_it_has_no_error_bars(tmp_path, monkeypatch):
    store, _runs = horizon_store(tmp_path, seeds=1, lengths=(5, 150))
    summary = horizon_summary(horizon_table(store.runs(group="gh")))
    assert one_seed_only(summary) and set(summary["seeds"]) == {1}
    assert horizon_cells(summary).loc[150, "lstm"] == f"{crafted_accuracy('lstm', 150, 0) * 100:.1f} (n=1)"
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(store.root))
    app = page("inside", inside_view="horizon").run()
    assert not app.exception, app.exception
    captions = " ".join(caption.value for caption in app.caption)
    assert "no error bars" in captions and "2 of 6 runs tested" not in captions and "6 of 6" in captions
    figure = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert all(not any(trace.get("error_y", {}).get("array", [0])) for trace in figure["data"])
    assert "3 seeds each (54 runs); about 3-4 minutes" in captions  # the button queues the seeded experiment


def test_the_inside_view_draws_a_group_of_the_whole_family(tmp_path, monkeypatch):
    from rnnkit.model.cells import get_cell

    store = RunStore(tmp_path / "checkpoints")
    for config in horizon_configs((5, 150), FAMILY, group="gf", seeds=1):
        finished(store, config, 1.0 if config.task.options.sequence_length == 5 else 0.1)
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(store.root))
    app = page("inside", inside_view="horizon").run()
    assert not app.exception, app.exception
    figure = json.loads(app.get("plotly_chart")[0].proto.spec)
    titles = [get_cell(arch).title for arch in FAMILY]
    lines = [trace for trace in figure["data"] if trace.get("name") in titles]
    assert sorted(trace["name"] for trace in lines) == sorted(titles)
    assert len({trace["line"]["color"] for trace in lines}) == 7  # one colour per architecture
    assert list(app.dataframe[0].value.columns) == titles


def test_the_inside_view_starts_the_family_in_slices_with_its_own_estimate(tmp_path, monkeypatch):
    slices = []
    monkeypatch.setattr(RunStore, "start", lambda self, configs: slices.append(configs) or [])
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path / "checkpoints"))
    monkeypatch.setenv("RNNKIT_QUEUE_CAPACITY", "2")
    app = page("inside", inside_view="horizon").run()
    (chooser,) = [widget for widget in app.multiselect if widget.label == "Architectures"]
    assert list(chooser.value) == list(ARCHITECTURES)
    app = chooser.set_value(list(FAMILY)).run()
    captions = " ".join(caption.value for caption in app.caption)
    assert "3 seeds each (126 runs); about 14-15 minutes" in captions and "Transformer" in captions
    [button for button in app.button if button.label == "Run the memory-horizon experiment"][0].click().run()
    assert [len(part) for part in slices] == [2] * 63  # one group, 2 at a time
    (group,) = {config.group for part in slices for config in part}
    assert group  # a named group: the view finds its own experiment (horizon_groups skips runs without one)


# ------------------------------------------------------------------------------------------- verdicts
VERDICT_SCORES = {  # (arch, T) -> test accuracy of seed offsets 0, 1, 2: crafted, spreads above the floor
    ("rnn", 5): [0.95, 0.97, 0.92], ("mingru", 5): [0.99, 0.96, 1.0], ("transformer", 5): [1.0, 0.98, 0.99],
    ("rnn", 150): [0.10, 0.12, 0.09], ("mingru", 150): [0.45, 0.80, 0.20], ("transformer", 150): [1.0, 0.99, 1.0],
}


def test_verdicts_are_paired_per_t_and_holm_corrected_over_that_ts_pairs(tmp_path):
    from scipy import stats

    store = RunStore(tmp_path / "checkpoints")
    configs = horizon_configs((5, 150), ("rnn", "mingru", "transformer"), group="gv", seeds=3)
    base = configs[0].train.seed
    for config in configs:
        finished(store, config, VERDICT_SCORES[config.model.arch, config.task.options.sequence_length]
                 [config.train.seed - base])
    verdicts = horizon_verdicts(horizon_table(store.runs(group="gv")))
    assert [length for length, _verdict in verdicts] == [5, 5, 5, 150, 150, 150]
    for length in (5, 150):
        pairs = {(verdict.a, verdict.b): verdict for at, verdict in verdicts if at == length}
        raw = {}
        for first, second in [("rnn", "mingru"), ("rnn", "transformer"), ("mingru", "transformer")]:
            a, b = VERDICT_SCORES[first, length], VERDICT_SCORES[second, length]
            if sum(a) < sum(b):
                first, second, a, b = second, first, b, a
            verdict = pairs[first, second]  # the better on average first
            assert verdict.seeds == 3 and verdict.pairs == 3
            assert verdict.difference == pytest.approx(statistics.fmean(a) - statistics.fmean(b))
            raw[first, second] = stats.ttest_rel(a, b).pvalue  # spreads above the floor: the plain paired t
            assert verdict.p_value == pytest.approx(raw[first, second])
        ranked = sorted(raw, key=raw.get)  # Holm by hand: (m - i + 1) p_(i), running maximum, capped at 1
        adjusted = [min(1.0, max((3 - j) * raw[ranked[j]] for j in range(i + 1))) for i in range(3)]
        for pair, value in zip(ranked, adjusted):
            assert pairs[pair].adjusted_p == pytest.approx(value)
    transformer_150 = [v for at, v in verdicts if at == 150 and (v.a, v.b) == ("transformer", "rnn")][0]
    assert transformer_150.significant and verdict_line(150, transformer_150).startswith("T=150  Transformer > RNN")
    assert "≈" in verdict_line(5, [v for at, v in verdicts if at == 5][0])  # 3 seeds, small gaps: no verdict


def test_the_cli_takes_the_new_architectures_and_prints_verdicts(tmp_path, monkeypatch, capsys):
    from rnnkit.cli.main import main

    started = []

    def start(self, configs):  # one call per slice of the group
        started.extend(configs)
        slices.append(len(configs))
        return [finished(self, config, VERDICT_SCORES.get((config.model.arch, config.task.options.sequence_length),
                                                          [0.5] * 3)[config.train.seed - BASE_SEED])
                for config in configs]

    slices = []
    monkeypatch.setattr(RunStore, "start", start)
    monkeypatch.setenv("RNNKIT_QUEUE_CAPACITY", "4")
    assert main(["horizon", "--lengths", "5,150", "--arch", "rnn,mingru,transformer", "--checkpoints-dir",
                 str(tmp_path)]) == 0
    assert len(started) == 18 and {config.model.arch for config in started} == {"rnn", "mingru", "transformer"}
    assert slices == [4, 4, 4, 4, 2] and len({config.group for config in started}) == 1  # 4 at a time, one group
    printed = capsys.readouterr().out
    lines = [line for line in printed.splitlines() if line.startswith("T=")]
    assert len(lines) == 6 and "T=150  Transformer > RNN" in printed
    assert main(["horizon", "--arch", "rnn,lstm,gru,mingru,minlstm,slstm,transformer", "--detach",
                 "--checkpoints-dir", str(tmp_path)]) == 0
    assert len(started) == 18 + 126
    assert main(["horizon", "--arch", "rnn,attention", "--detach", "--checkpoints-dir", str(tmp_path)]) == 2


# ------------------------------------------------------------------------------------------ vocabulary
def poems_run(store: RunStore, vocabulary: int | None, seed: int, perplexity: float):
    """A finished poems run whose task built a vocabulary of `vocabulary` tokens (None: not started)."""
    from rnnkit.data.presets import build_config

    config = build_config("poems", None, {"task": {"vocab_size": vocabulary or 3000},
                                          "train": {"seed": seed, "epochs": 1}}, group="gv")
    run = store.create(config)
    if vocabulary is None:
        return run
    run.append_metrics({"kind": "start", "spec": {"job": "language_model", "input_kind": "tokens",
                                                  "input_size": vocabulary, "output_size": vocabulary,
                                                  "max_steps": 33, "selection_metric": "perplexity"},
                        "baselines": {"validation": {}, "test": {}}})
    run.append_metrics({"kind": "epoch", "epoch": 1, "epochs": 1, "train": {"loss": 5.0},
                        "validation": {"loss": 5.1, "perplexity": perplexity + 1}, "best_epoch": 1,
                        "best_value": perplexity + 1, "monitor": "perplexity", "epoch_seconds": 1.0,
                        "samples_per_second": 100.0})
    run.append_metrics({"kind": "test", "epoch": 1, "test": {"loss": 5.0, "perplexity": perplexity}})
    run.write_status("completed")
    return run


def test_the_vocabulary_note_names_both_sizes_and_stays_quiet_on_one(tmp_path):
    from rnnkit.analysis.vocabulary import perplexity_label, perplexity_note, vocabularies

    store = RunStore(tmp_path / "checkpoints")
    small = [poems_run(store, 3000, seed, 150.0) for seed in (0, 1)]
    large = [poems_run(store, 5000, seed, 210.0) for seed in (0, 1)]
    waiting = poems_run(store, None, 2, 0.0)
    assert vocabularies([*small, *large, waiting]) == {**{run.run_id: 3000 for run in small},
                                                       **{run.run_id: 5000 for run in large}}
    note = perplexity_note([*large, *small, waiting])
    assert note.startswith("Perplexities over different vocabularies (3,000 vs 5,000) are not comparable: "
                           "more <unk> makes it easier")
    assert perplexity_note([*small, waiting]) is None and perplexity_note([large[0]]) is None
    assert perplexity_label(3000) == "perplexity (vocabulary 3,000)"
    assert "3,000" in perplexity_note(small + large, "zh") and "5,000" in perplexity_note(small + large, "zh")


def test_compare_labels_perplexity_with_its_vocabulary_and_refuses_a_verdict_across_two(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "checkpoints")
    small = [poems_run(store, 3000, seed, 150.0) for seed in (0, 1)]
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(store.root))
    app = page("compare", compare_runs=[run.run_id for run in small]).run()
    assert not app.exception, app.exception
    assert "test perplexity (vocabulary 3,000)" in app.dataframe[0].value.columns and not app.warning
    large = [poems_run(store, 5000, seed, 210.0) for seed in (0, 1)]
    app = page("compare", compare_runs=[run.run_id for run in small + large]).run()
    assert not app.exception, app.exception
    warning = app.warning[0].value.replace("\\", "")
    assert "different vocabularies (3,000 vs 5,000) are not comparable: more <unk> makes it easier" in warning
    cells = set(app.dataframe[0].value["test perplexity"])
    assert cells == {"150.000 (vocabulary 3,000)", "210.000 (vocabulary 5,000)"}
    assert "Over seeds" not in [header.value for header in app.subheader]  # no bands, no verdict
    assert not any("beats" in text.value or "Verdict" in text.value for text in [*app.text, *app.markdown])
    assert seed_verdicts(variants(small + large), "perplexity") == []  # nor does the library give one
    document = html_report(small + large, "vocabularies")
    assert "are not comparable: more &lt;unk&gt; makes it easier" in document and "Verdict" not in document
    assert "<th>vocabulary</th>" in document and "<td>3,000</td>" in document
