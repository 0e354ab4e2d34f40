"""Each task's loader, from tiny files in the real formats, and on the real data when present."""
import os
from pathlib import Path

import pytest
import torch

from rnnkit.analysis.inference import Predictor
from rnnkit.cli.main import main
from rnnkit.config.run import TaskConfig
from rnnkit.data.sources import DataNotFound, DataSource, cached, resolve
from rnnkit.data.tasks import TASK_NAMES, get_task
from rnnkit.data.tasks.poems import check_poem, generate
from rnnkit.runs.store import RunStore
from tests import fixtures

QUIET = {"progress": lambda text: None}


def load(task, root, seed=0, **options):
    return get_task(task).load(TaskConfig(name=task, data_dir=str(root), options=options), seed, **QUIET)


def dry_run(task, data_dir, checkpoints, *extra):
    code = main(["train", "--task", task, "--data-dir", str(data_dir), "--dry-run", "--preset", "none",
                 "--checkpoints-dir", str(checkpoints), *extra])
    runs = RunStore(checkpoints).runs()
    assert code == 0, runs[0].status() if runs else "no run"
    return runs[0]


# ------------------------------------------------------------------------------------------ names
def test_names_loader_deduplicates_and_stratifies(tmp_path):
    data = load("names", fixtures.write_names(tmp_path))
    assert data.spec.class_names == ("German", "Italian", "Japanese")
    assert len(data.train) + len(data.validation) + len(data.test) == 42  # 3 x 14 distinct names
    for split in (data.train, data.validation, data.test):
        assert set(split.targets.tolist()) == {0, 1, 2}  # every language in every split
    vocabulary = data.artifacts["vocabulary"]
    assert vocabulary[:2] == ["<pad>", "<unk>"] and "R" in vocabulary  # characters of the training names


def test_names_class_weights_favour_rare_classes(tmp_path):
    root = fixtures.write_names(tmp_path)
    (root / "names" / "Korean.txt").write_text("Kim\nLee\nPark\nChoi\nJung\nKang\nCho\nYoon\nJang\nLim\n",
                                               encoding="utf-8")
    data = load("names", root, class_weighted=True)
    assert data.spec.class_names[data.class_weights.argmax().item()] == "Korean"  # the rarest
    assert load("names", root).class_weights is None


def test_names_playground_input_is_validated(tmp_path):
    task = get_task("names")
    artifacts = load("names", fixtures.write_names(tmp_path)).artifacts
    inputs, lengths = task.encode(["Rossi", " Sato "], artifacts)
    assert lengths.tolist() == [5, 4]
    for bad, message in (("", "empty"), ("   ", "empty"), ("x" * 41, "too long"),
                         ("王小明", "never saw these characters")):
        with pytest.raises(ValueError, match=message):
            task.encode([bad], artifacts)


# ------------------------------------------------------------------------------------------- imdb
def test_imdb_reads_the_tar_gz_strips_br_and_carves_validation(tmp_path):
    data = load("imdb", fixtures.write_imdb(tmp_path))
    assert len(data.test) == 24 and len(data.train) + len(data.validation) == 24
    assert "br" not in data.artifacts["vocabulary"]
    assert data.spec.class_names == ("negative", "positive")
    task = get_task("imdb")
    inputs, lengths = task.encode(["A wonderful film!"], data.artifacts)
    assert lengths.tolist() == [4]
    with pytest.raises(ValueError, match="no English words"):
        task.encode(["这部电影很好"], data.artifacts)
    with pytest.raises(ValueError, match="empty"):
        task.encode(["  "], data.artifacts)


def test_imdb_corrupt_archive_is_a_clear_error(tmp_path):
    (tmp_path / "imdb").mkdir()
    (tmp_path / "imdb" / "aclImdb_v1.tar.gz").write_bytes(b"not a gzip file")
    with pytest.raises(ValueError, match="not a readable aclImdb tar.gz"):
        load("imdb", tmp_path)


# --------------------------------------------------------------------------------------- shopping
def test_shopping_uses_the_report_split_bom_and_empty_review(tmp_path):
    data = load("shopping", fixtures.write_shopping(tmp_path), word_vector_size=16)
    total = 45
    assert len(data.validation) == len([i for i in range(1, total + 1) if i % 5 == 4])
    assert len(data.test) == len([i for i in range(1, total + 1) if i % 5 == 0])
    assert data.embedding_vectors.shape == (data.spec.input_size, 16)
    assert data.spec.embedding_size == 16
    assert not any("\ufeff" in token for token in data.artifacts["vocabulary"])
    assert int(data.train.lengths.min()) >= 2  # the empty review is "<s> </s>", not a crash


def test_shopping_second_load_uses_the_cache(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RNNKIT_CACHE_DIR", str(tmp_path / "cache"))  # a cold cache of its own
    root = fixtures.write_shopping(tmp_path)
    get_task("shopping").load(TaskConfig(name="shopping", data_dir=str(root), options={"word_vector_size": 16}),
                              0, print)
    first = capsys.readouterr().out
    get_task("shopping").load(TaskConfig(name="shopping", data_dir=str(root), options={"word_vector_size": 16}),
                              0, print)
    second = capsys.readouterr().out
    assert "segmenting" in first and "training word2vec" in first
    assert "segmenting" not in second and "training word2vec" not in second
    assert second.count("using cached preprocessing") == 2


def test_shopping_playground_rejects_latin_text(tmp_path):
    data = load("shopping", fixtures.write_shopping(tmp_path), word_vector_size=16)
    task = get_task("shopping")
    assert task.encode(["手机很好"], data.artifacts)[1].item() >= 3
    with pytest.raises(ValueError, match="no Chinese characters"):
        task.encode(["great phone"], data.artifacts)


# ---------------------------------------------------------------------------------------- weather
def test_jena_format_windows_gaps_and_baselines(tmp_path):
    data = load("weather", fixtures.write_jena(tmp_path), station="jena")
    assert data.train.inputs.shape[1:] == (720, 7)  # 5 days x 144 ten-minute steps, the report's 7 features
    assert data.train.targets.shape[1] == 288  # the next 2 days
    assert len(data.validation) > 0 and len(data.test) > 0
    assert not torch.isnan(data.train.inputs).any()
    assert set(data.baselines) == {"repeat last 2 days", "hourly climatology"}
    assert data.spec.unit == "°C"


def test_beijing_format_and_unknown_source(tmp_path):
    root = fixtures.write_beijing(tmp_path)
    data = load("weather", root)
    assert data.train.inputs.shape[1:] == (120, 9) and data.train.targets.shape[1] == 48
    with pytest.raises(ValueError, match="unknown station 'moon'; valid: beijing, jena"):
        load("weather", root, station="moon")


# ------------------------------------------------------------------------------------------ poems
def test_poems_drop_malformed_lines_and_mask_padding(tmp_path):
    data = load("poems", fixtures.write_poems(tmp_path))
    assert len(data.train) + len(data.validation) + len(data.test) == 60
    assert data.spec.job == "language_model"
    row = data.train.targets[0]
    assert (row[data.train.lengths[0]:] == -100).all()  # padded steps are not targets


def test_poem_check_and_generation_options(tmp_path):
    assert check_poem("春花秋月江，山風雨雲水。天地人心日，夜明清白青。", 5) == (True, "well formed")
    assert not check_poem("春花秋月江，山風雨雲水。", 5)[0]
    assert "line lengths" in check_poem("春花秋月，山風雨雲水。天地人心日，夜明清白青。", 5)[1]
    assert not check_poem("春花秋月江山風，雨雲水天地人心。日夜明清白青春，花秋月江山風雨。", 5)[0]
    data = load("poems", fixtures.write_poems(tmp_path))
    from rnnkit.config.run import ModelConfig
    from rnnkit.model.heads import build_model

    model = build_model(ModelConfig(hidden_size=16, embedding_size=8), data.spec).eval()
    generator = torch.Generator().manual_seed(0)
    poem = generate(model, data.artifacts, acrostic="春秋", line_length=7, enforce_form=True, generator=generator)
    assert check_poem(poem, 7)[0] and poem[0] == "春" and poem[8] == "秋"
    for options, message in (({"start": "hello"}, "Chinese characters"), ({"acrostic": "春夏秋冬雪"}, "limit is 4"),
                             ({"start": "龍"}, "never saw"), ({"temperature": 0}, "temperature"),
                             ({"line_length": 6}, "5 or 7"), ({"start": "春", "acrostic": "春"}, "not both")):
        with pytest.raises(ValueError, match=message):
            generate(model, data.artifacts, **options)


# -------------------------------------------------------------------------------------------- csv
def write_csv(path: Path, text: str, encoding="utf-8") -> Path:
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


@pytest.mark.parametrize("content,options,message", [
    ("", {}, "is empty"),
    ("review,label\n", {}, "no rows"),
    ("review,label\n" + "good,1\n" * 10, {}, "only one class"),
    ("words,stars\n" + "good,1\nbad,0\n" * 5, {}, "cannot tell which column holds the text"),
    ("review,label\n" + "good,1\nbad,0\n" * 5, {"text_column": "body"},
     "no column 'body' in the CSV; its columns are: review, label"),
    ("review,label\n" + "good,1\nbad,0\nodd,2\n", {}, "needs at least 3"),
    (b"review,label\n\x80\x80bad bytes,1\n", {}, "neither UTF-8 nor GBK"),
    ("review,label\n,1\n,0\n", {}, "every row"),
])
def test_csv_bad_inputs_have_clear_errors(tmp_path, content, options, message):
    path = write_csv(tmp_path / "data.csv", content)
    with pytest.raises(ValueError, match=message):
        get_task("csv").load(TaskConfig(name="csv", options={"file": str(path), **options}), 0, **QUIET)


def test_csv_gbk_chinese_with_empty_rows(tmp_path, capsys):
    rows = ["评论,标签"] + ["很好吃，下次还来,好评", "太难吃了，再也不来,差评"] * 10 + [",好评"]
    path = write_csv(tmp_path / "gbk.csv", "\n".join(rows) + "\n", encoding="gbk")
    data = get_task("csv").load(TaskConfig(name="csv", options={"file": str(path)}), 0, print)
    assert "skipping 1 row(s)" in capsys.readouterr().out
    assert data.artifacts["chinese"] is True and data.spec.class_names == ("好评", "差评")
    task = get_task("csv")
    with pytest.raises(ValueError, match="no Chinese characters"):
        task.encode(["very good"], data.artifacts)


def test_csv_needs_a_file():
    with pytest.raises(ValueError, match="--file"):
        get_task("csv").load(TaskConfig(name="csv"), 0, **QUIET)


# --------------------------------------------------------------------------- missing data, cache
def test_missing_data_names_the_file_the_folders_and_the_url(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_OFFLINE", "1")
    monkeypatch.delenv("RNNKIT_DATA_DIR", raising=False)
    with pytest.raises(DataNotFound) as error:
        load("imdb", tmp_path / "empty")
    message = str(error.value)
    assert "imdb/aclImdb_v1.tar.gz" in message and str(tmp_path / "empty") in message
    assert "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz" in message


def test_resolve_prefers_the_named_folder(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.txt").write_text("b")
    monkeypatch.setenv("RNNKIT_DATA_DIR", str(tmp_path / "b"))
    source = DataSource(task="x", candidates=("x.txt",))
    assert resolve(source, str(tmp_path / "a")).read_text() == "a"
    assert resolve(source, None).read_text() == "b"


def test_cache_is_keyed_by_content_and_settings(tmp_path):
    source = tmp_path / "source.txt"
    source.write_text("one")
    calls = []

    def build():
        calls.append(1)
        return {"value": torch.tensor([len(calls)])}

    assert cached("t", source, {"k": 1}, build, **QUIET)["value"].item() == 1
    assert cached("t", source, {"k": 1}, build, **QUIET)["value"].item() == 1  # reused
    assert cached("t", source, {"k": 2}, build, **QUIET)["value"].item() == 2  # other settings
    source.write_text("two")
    assert cached("t", source, {"k": 1}, build, **QUIET)["value"].item() == 3  # other content


# ------------------------------------------------------------------------- dry runs from fixtures
FIXTURE_RUNS = {
    "names": (fixtures.write_names, ("--batch-size", "8")),
    "imdb": (fixtures.write_imdb, ("--batch-size", "8")),
    "shopping": (fixtures.write_shopping, ("--word-vector-size", "16", "--batch-size", "8")),
    "weather": (fixtures.write_jena, ("--source", "jena", "--batch-size", "4")),
    "poems": (fixtures.write_poems, ("--batch-size", "8")),
}


@pytest.mark.parametrize("task", sorted(FIXTURE_RUNS))
def test_dry_run_from_a_fixture_and_predict(task, tmp_path):
    writer, extra = FIXTURE_RUNS[task]
    run = dry_run(task, writer(tmp_path / "data"), tmp_path / "checkpoints", *extra)
    predictor = Predictor.from_run(run)
    if task == "poems":
        assert isinstance(predictor.generate(generator=torch.Generator().manual_seed(0)), str)
    elif task == "weather":
        forecast = predictor.predict_examples(2)
        assert len(forecast[0]["prediction"]) == 288 and len(forecast[0]["target"]) == 288
    else:
        text = {"names": "Rossi", "imdb": "a great film", "shopping": "手机很好"}[task]
        assert predictor.predict([text])[0]["label"] in predictor.spec.class_names


def test_csv_dry_run(tmp_path):
    rows = (["text,label"] + [f"good fine nice {i},pos" for i in range(20)]
            + [f"bad awful poor {i},neg" for i in range(20)])
    path = write_csv(tmp_path / "own.csv", "\n".join(rows) + "\n")
    code = main(["train", "--task", "csv", "--source", str(path), "--dry-run", "--batch-size", "8",
                 "--checkpoints-dir", str(tmp_path / "checkpoints")])
    assert code == 0


# ------------------------------------------------------------------------------ the real data
REAL_DATA = Path(os.environ.get("RNNKIT_DATA_DIR", "/nonexistent"))
REAL_FILES = {"names": "names", "imdb": "imdb/aclImdb_v1.tar.gz",
              "shopping": "online_shopping/online_shopping_10_cats.zip",
              "weather": "beijing_pm25/PRSA_data_2010.1.1-2014.12.31.csv", "poems": "poems/wujue-all.txt"}


@pytest.mark.parametrize("task", sorted(REAL_FILES))
def test_dry_run_on_the_real_data(task, tmp_path):
    if not (REAL_DATA / REAL_FILES[task]).exists():
        pytest.skip(f"real data for {task} not found: set RNNKIT_DATA_DIR to a folder with {REAL_FILES[task]} "
                    "(CI uses ../shared/data)")
    dry_run(task, REAL_DATA, tmp_path / "checkpoints")


def test_every_registered_task_is_covered():
    """Each task has a fixture dry run here, or its own tests/test_task_<task>.py (as tasks added later do)."""
    own_files = {path.stem.removeprefix("test_task_") for path in Path(__file__).parent.glob("test_task_*.py")}
    uncovered = set(TASK_NAMES) - ({"recall", "adding", "csv"} | set(FIXTURE_RUNS) | own_files)
    assert not uncovered
