"""Sweeps: a grid over any options as one group of kind sweep, from the CLI and the Train page, and
Compare's sweep view (parallel coordinates, ranking on validation, the best configuration)."""
import pytest

from rnnkit.analysis.sweep import MAX_SWEEP_RUNS, parse_grid, sweep_configs, varying_options
from rnnkit.cli.main import main
from rnnkit.runs.store import RunStore
from rnnkit.ui import sweep as sweep_view
from tests.apptest import page

TINY_GRID = ["--grid", "task.sequence_length=8", "--grid", "task.num_samples=160", "--grid", "train.epochs=1",
             "--grid", "train.batch_size=16"]


def test_grid_lines_are_read_as_the_options_types():
    grid = parse_grid("recall", ["model.hidden_size=32, 64", "train.learning_rate=0.001,0.005",
                                 "model.bidirectional=true,false", "model.arch=lstm,gru"])
    assert grid == {("model", "hidden_size"): [32, 64], ("train", "learning_rate"): [0.001, 0.005],
                    ("model", "bidirectional"): [True, False], ("model", "arch"): ["lstm", "gru"]}
    assert parse_grid("imdb", ["task.max_length=128,256"]) == {("task", "max_length"): [128, 256]}


@pytest.mark.parametrize("lines, message", [
    ([], "the grid is empty"),
    (["hidden_size=32"], "a grid line is SECTION.OPTION=V1,V2"),
    (["optimizer.lr=1"], "a grid line is SECTION.OPTION=V1,V2"),
    (["model.width=3"], "model.width cannot be swept for task 'recall'"),
    (["task.max_length=3"], "task.max_length cannot be swept for task 'recall'"),
    (["train.seed=1,2"], "train.seed cannot be swept"),
    (["model.hidden_size=big"], "model.hidden_size: invalid literal"),
    (["model.hidden_size="], "model.hidden_size has no values"),
    (["model.hidden_size=1", "model.hidden_size=2"], "appears twice"),
])
def test_a_bad_grid_says_what_is_wrong(lines, message):
    with pytest.raises(ValueError, match=message):
        parse_grid("recall", lines)


def test_a_grid_is_checked_before_anything_starts():
    with pytest.raises(ValueError, match="hidden_size"):
        sweep_configs("recall", None, parse_grid("recall", ["model.hidden_size=0,8"]))
    with pytest.raises(ValueError, match=f"at most {MAX_SWEEP_RUNS}"):
        sweep_configs("recall", None, parse_grid("recall", ["model.hidden_size=" + ",".join(map(str, range(1, 66)))]))


def test_a_2x2x2_sweep_from_the_cli_is_one_group_ranked_on_validation(tmp_path, capsys):
    assert main(["sweep", "--task", "recall", "--preset", "none", "--arch", "lstm,gru", *TINY_GRID,
                 "--grid", "model.hidden_size=8,16", "--grid", "train.learning_rate=0.001,0.005",
                 "--checkpoints-dir", str(tmp_path)]) == 0
    runs = RunStore(tmp_path).runs()
    assert len(runs) == 8 and len({run.config().group for run in runs}) == 1
    assert {run.config().kind for run in runs} == {"sweep"}
    assert sorted(varying_options(runs)) == [("model", "arch"), ("model", "hidden_size"), ("train", "learning_rate")]
    table = capsys.readouterr().out
    assert "model.hidden_size" in table and "best validation" in table and table.count("completed") == 8


def test_compare_shows_the_sweep_and_train_this_fills_the_form(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    assert main(["sweep", "--task", "recall", "--preset", "none", *TINY_GRID, "--grid", "model.hidden_size=8,16",
                 "--checkpoints-dir", str(tmp_path)]) == 0
    app = page("compare").run()
    assert not app.exception, [e.value for e in app.exception]
    assert "Sweep" in [header.value for header in app.subheader]
    assert any(chart.proto.spec and "parcoords" in chart.proto.spec for chart in app.get("plotly_chart"))
    assert app.success[0].value.replace("\\", "").startswith("Best on validation: model.hidden_size = ")
    runs = RunStore(tmp_path).runs()
    link = sweep_view.link_of(runs[0], ["model.hidden_size"])
    form = page("train", train_pending_link=link).run()
    assert not form.exception, [e.value for e in form.exception]
    assert form.number_input(key="train_model_hidden_size").value == runs[0].config().model.hidden_size


def test_the_train_page_starts_a_sweep_as_one_group(tmp_path, monkeypatch):
    from rnnkit.runs.launcher import LocalLauncher

    launched = []
    monkeypatch.setattr(LocalLauncher, "launch", lambda self, runs, resume=False: launched.append(runs))
    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    app = page("train").run()
    app.text_area(key="train_grid").set_value("model.hidden_size = nope").run()
    app.button(key="train_sweep_start").click().run()
    assert any("model.hidden_size" in error.value.replace("\\", "") for error in app.error) and not launched
    app.text_area(key="train_grid").set_value("model.hidden_size = 8, 16\ntrain.learning_rate = 0.001, 0.005").run()
    app.button(key="train_sweep_start").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert len(launched) == 1 and len(launched[0]) == 2 * 2 * 3  # the grid x rnn, lstm, gru
    assert {run.config().kind for run in launched[0]} == {"sweep"}
    app.number_input(key="train_sweep_points").set_value(3).run()  # random search: 3 of the 4 combinations
    app.button(key="train_sweep_start").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert len(launched) == 2 and len(launched[1]) == 3 * 3
    assert len({(run.config().model.hidden_size, run.config().train.learning_rate) for run in launched[1]}) == 3


# ----------------------------------------------------------------------- random and TPE search modes
def test_random_points_are_distinct_points_of_the_grid_and_repeatable():
    from rnnkit.analysis.sweep import random_points

    grid = {("model", "hidden_size"): [8, 16, 32], ("train", "learning_rate"): [0.001, 0.003],
            ("model", "ngrams"): [1, 2]}
    points = random_points(grid, 5, seed=3)
    assert len(points) == 5 and len({tuple(point.values()) for point in points}) == 5
    assert all(point[key] in values for point in points for key, values in grid.items())
    assert points == random_points(grid, 5, seed=3) and points != random_points(grid, 5, seed=4)
    assert len(random_points(grid, 99)) == 12  # never more than the grid holds
    with pytest.raises(ValueError, match="at least 1"):
        random_points(grid, 0)


def test_tpe_finds_the_best_point_without_training_a_point_twice():
    from rnnkit.analysis.search import tpe_search

    grid = {("model", "hidden_size"): list(range(10)), ("train", "epochs"): list(range(1, 6))}
    calls = []

    def score(point):
        calls.append(point)
        x, y = point[("model", "hidden_size")], point[("train", "epochs")]
        return None if x == 0 else -((x - 7) ** 2) - (y - 3) ** 2  # one failed row; best at (7, 3)

    trained = tpe_search(grid, 25, score, maximise=True, seed=0)
    assert len(trained) == len(calls) == 25
    assert len({tuple(point.values()) for point in calls}) == 25  # no point trained twice
    best = max((value for _point, value in trained if value is not None))
    assert best >= -1  # at or next to the optimum after 25 of 50 points
    assert len(tpe_search({("train", "epochs"): [1, 2, 3]}, 10, lambda point: 0.5, maximise=False)) == 3


def test_tpe_and_random_sweeps_from_the_cli(tmp_path, capsys):
    assert main(["sweep", "--task", "recall", "--preset", "none", *TINY_GRID, "--grid", "model.hidden_size=8,16",
                 "--grid", "train.learning_rate=0.001,0.005", "--search", "tpe", "--trials", "3",
                 "--objective", "macro_f1", "--checkpoints-dir", str(tmp_path / "tpe")]) == 0
    runs = RunStore(tmp_path / "tpe").runs()
    assert len(runs) == 3 and len({run.config().group for run in runs}) == 1
    assert {run.config().kind for run in runs} == {"sweep"}
    assert {run.status()["state"] for run in runs} == {"completed"}
    out = capsys.readouterr().out
    assert out.count("trial ") == 3 and "validation macro_f1 0." in out and "best validation" in out
    assert "failed" not in out
    assert main(["sweep", "--task", "recall", "--preset", "none", *TINY_GRID, "--grid", "model.hidden_size=8,16",
                 "--grid", "train.learning_rate=0.001,0.005", "--search", "random", "--trials", "2",
                 "--checkpoints-dir", str(tmp_path / "random")]) == 0
    assert len(RunStore(tmp_path / "random").runs()) == 2


@pytest.mark.parametrize("extra,message", [
    (["--search", "tpe", "--detach"], "foreground"),
    (["--search", "tpe", "--objective", "speed"], "reports loss, accuracy, macro_f1"),
    (["--search", "tpe", "--task", "adding", "--objective", "accuracy"], "reports loss, mae, rmse"),
    (["--trials", "3"], "only apply to --search random or tpe"),
    (["--search", "random", "--objective", "accuracy"], "only applies to --search tpe"),
])
def test_search_options_that_cannot_apply_are_refused(tmp_path, capsys, extra, message):
    assert main(["sweep", "--task", "recall", *TINY_GRID, *extra, "--checkpoints-dir", str(tmp_path)]) != 0
    assert message in capsys.readouterr().err and not RunStore(tmp_path).runs()


def test_a_sweep_refuses_an_unknown_architecture_and_stores_the_implementation_it_trains(tmp_path, capsys):
    command = ["sweep", "--task", "recall", "--preset", "none", *TINY_GRID, "--checkpoints-dir", str(tmp_path)]
    assert main([*command, "--grid", "model.arch=foo,lstm"]) == 2
    assert "unknown architecture 'foo'; valid: rnn, lstm, gru, reslstm" in capsys.readouterr().err
    assert main(["sweep", "--task", "recall", "--preset", "none", "--arch", "reslstm", "--grid", "model.impl=fused",
                 *TINY_GRID, "--checkpoints-dir", str(tmp_path)]) == 2
    assert "exists only as impl='scratch'" in capsys.readouterr().err
    assert RunStore(tmp_path).runs() == []  # refused before any folder exists
    configs = sweep_configs("recall", None, parse_grid("recall", ["model.arch=reslstm,gru"]))
    assert {config.model.arch: config.model.impl for config in configs} == {"reslstm": "scratch", "gru": "fused"}
