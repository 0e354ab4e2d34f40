"""Bounds on everything a student sets: every number an option takes has a lower and an upper bound declared
beside each other, NaN and infinity are refused, seeds stay in the range torch and numpy accept, and a bool
is not a number. Each refusal names the setting and its range, wherever the value comes from: a config
built in Python, a preset with overrides, a config document, the command line. The shipped presets stay
valid, and the dashboard's number widgets carry the same upper bounds."""
import json
import math
import re

import pytest

from rnnkit.config.options import declared, flag_of, kind_of
from rnnkit.config.run import ModelConfig, RunConfig, TaskConfig, TrainConfig
from rnnkit.data.presets import build_config, preset_names
from rnnkit.data.tasks import get_task, task_names


def numeric_options():
    """(section, task, config class, field, declaration) of every option that takes a number."""
    parts = [("model", "recall", ModelConfig), ("train", "recall", TrainConfig), ("task", "recall", TaskConfig)]
    parts += [("task", name, get_task(name).Options) for name in task_names()]
    seen = set()
    for section, task, part in parts:
        if part in seen:  # recall and adding share their options
            continue
        seen.add(part)
        for item, declaration in declared(part):
            if kind_of(item) in (int, float):
                yield pytest.param(section, task, part, item, declaration, id=f"{part.__name__}.{item.name}")


NUMERIC = list(numeric_options())
FLOATS = [param for param in NUMERIC if kind_of(param.values[3]) is float]
BOUNDED = [param for param in NUMERIC if param.values[4].choices is None]

# the values the classroom was attacked with (issue 22), and more of the same
ABSURD = [
    ("recall", "model", "hidden_size", 10**6),
    ("recall", "model", "embedding_size", 10**6),
    ("recall", "model", "num_layers", 10**4),
    ("recall", "task", "num_samples", 10**11),
    ("recall", "task", "sequence_length", 10**8),
    ("recall", "train", "epochs", 10**9),
    ("recall", "train", "batch_size", 10**9),
    ("recall", "train", "patience", 10**9),
    ("recall", "train", "learning_rate", 1e308),
    ("recall", "train", "weight_decay", 1e308),
    ("recall", "train", "gradient_clip", 1e308),
    ("recall", "train", "stop_at_score", 1e308),
    ("recall", "train", "balanced_loss", 1e308),
    ("recall", "train", "checkpoint_every_seconds", 1e308),
    ("recall", "train", "log_every_steps", 10**12),
    ("recall", "train", "num_threads", 10**6),
    ("recall", "train", "seed", 2**80),
    ("recall", "train", "data_seed", 2**80),
    ("imdb", "task", "max_length", 10**9),
    ("imdb", "task", "vocab_size", 10**12),
    ("shopping", "task", "word_vector_size", 10**6),
]


def declaration_of(task: str, section: str, name: str):
    part = {"model": ModelConfig, "train": TrainConfig, "task": get_task(task).Options}[section]
    return next((item, declaration) for item, declaration in declared(part) if item.name == name)


def expected_range(task: str, section: str, name: str) -> str:
    item, declaration = declaration_of(task, section, name)
    return declaration.range_text(kind_of(item))


# ------------------------------------------------------------------------------ the declarations


@pytest.mark.parametrize("section,task,part,item,declaration", BOUNDED)
def test_every_number_has_a_lower_and_an_upper_bound(section, task, part, item, declaration):
    assert declaration.minimum is not None or declaration.above is not None, f"{item.name}: no lower bound"
    assert declaration.maximum is not None or declaration.below is not None, f"{item.name}: no upper bound"


def test_every_absurd_value_of_the_issue_is_covered_and_every_bounded_option_is_tried():
    tried = {(section, name) for _, section, name, _ in ABSURD}
    bounded = {(param.values[0], param.values[3].name) for param in BOUNDED if param.values[4].maximum is not None}
    assert bounded <= tried, f"add an absurd value for {sorted(bounded - tried)}"


@pytest.mark.parametrize("section,task,part,item,declaration", BOUNDED)
def test_the_bounds_themselves_are_allowed_and_one_step_beyond_is_refused(section, task, part, item, declaration):
    whole = kind_of(item) is int
    allowed, refused = [], []
    if declaration.maximum is not None:
        allowed.append(int(declaration.maximum) if whole else float(declaration.maximum))
        refused.append(int(declaration.maximum) + 1 if whole else math.nextafter(declaration.maximum, math.inf))
    if declaration.below is not None:
        allowed.append(math.nextafter(declaration.below, -math.inf))
        refused.append(declaration.below)
    if declaration.minimum is not None:
        allowed.append(int(declaration.minimum) if whole else float(declaration.minimum))
        refused.append(int(declaration.minimum) - 1 if whole else math.nextafter(declaration.minimum, -math.inf))
    if declaration.above is not None:
        allowed.append(int(declaration.above) + 1 if whole else math.nextafter(declaration.above, math.inf))
        refused.append(int(declaration.above) if whole else float(declaration.above))
    for value in allowed:
        assert getattr(part(**{item.name: value}), item.name) == value
    for value in refused:
        with pytest.raises(ValueError) as caught:
            part(**{item.name: value})
        assert str(caught.value).startswith(f"{item.name} must be {declaration.range_text(kind_of(item))}, got ")


# ------------------------------------------------------------------------------ absurd values, every way in


@pytest.mark.parametrize("task,section,name,value", ABSURD, ids=[f"{row[2]}={row[3]:g}" for row in ABSURD])
def test_an_absurd_value_is_refused_naming_the_setting_and_its_range(task, section, name, value, tmp_path, capsys):
    allowed = expected_range(task, section, name)
    part = {"model": ModelConfig, "train": TrainConfig, "task": get_task(task).Options}[section]
    with pytest.raises(ValueError) as caught:  # a config built in Python
        part(**{name: value})
    assert f"{name} must be {allowed}, got " in str(caught.value)
    with pytest.raises(ValueError) as caught:  # a preset with overrides (the dashboard's way, and the API's)
        build_config(task, None, {section: {name: value}})
    assert f"{name} must be {allowed}, got " in str(caught.value)
    document = build_config(task, None).to_dict()  # a config document (config.json, a shared link's values)
    (document["task"]["options"] if section == "task" else document[section])[name] = value
    with pytest.raises(ValueError) as caught:
        get_task(task).resolve(RunConfig.from_json(json.dumps(document)).task)
    assert f"{name} must be {allowed}, got " in str(caught.value)
    from rnnkit.cli.main import main

    code = main(["train", "--task", task, flag_of(name), str(value), "--checkpoints-dir", str(tmp_path)])
    error = capsys.readouterr().err
    assert code == 2 and error.count("\n") == 1 and f"{name} must be {allowed}, got " in error, error
    assert not list(tmp_path.glob("*/config.json"))  # refused before a run folder was made


def test_a_seed_too_large_for_torch_is_one_line_naming_the_seed():
    with pytest.raises(ValueError) as caught:
        TrainConfig(seed=2**80)
    assert str(caught.value) == "seed must be in [0, 2147483647], got 1208925819614629174706176"
    assert TrainConfig(seed=2**31 - 1, data_seed=2**31 - 1).split_seed == 2**31 - 1


def test_a_whole_number_of_thousands_of_digits_is_refused_without_printing_it():
    for value in (10**5000, -(10**5000)):  # str() of it would itself raise (Python's 4300-digit limit)
        with pytest.raises(ValueError) as caught:
            TrainConfig(epochs=value)
        assert str(caught.value).startswith("epochs must be > 0 and ≤ 1000, got a whole number of about 5001 digits")
    with pytest.raises(ValueError, match="learning_rate must be > 0 and ≤ 10, got a whole number"):
        TrainConfig(learning_rate=10**5000)  # a float option given an int too large for a float


# ------------------------------------------------------------------------------ NaN, infinity, bools


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("section,task,part,item,declaration", FLOATS)
def test_nan_and_infinity_are_refused_for_every_float_option(section, task, part, item, declaration, value):
    with pytest.raises(ValueError) as caught:
        part(**{item.name: value})
    assert str(caught.value) == (f"{item.name} must be a finite number {declaration.range_text(float)}, "
                                 f"got {value!r}")


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_a_config_document_are_refused(text):
    for name in ("learning_rate", "stop_at_score", "weight_decay", "label_smoothing"):
        with pytest.raises(ValueError, match=f"^{name} must be a finite number"):
            RunConfig.from_json(f'{{"version": 2, "train": {{"{name}": {text}}}}}')
    with pytest.raises(ValueError, match="^dropout must be a finite number"):
        RunConfig.from_json(f'{{"version": 2, "model": {{"dropout": {text}}}}}')


@pytest.mark.parametrize("flag,value,name", [("--lr", "nan", "learning_rate"), ("--learning-rate", "inf",
                                                                               "learning_rate"),
                                             ("--stop-at-score", "nan", "stop_at_score"),
                                             ("--dropout", "nan", "dropout"), ("--label-smoothing", "-inf",
                                                                               "label_smoothing"),
                                             ("--weight-decay", "1e308", "weight_decay")])
def test_the_command_line_refuses_nan_and_infinity_with_one_line(flag, value, name, tmp_path, capsys):
    from rnnkit.cli.main import main

    assert main(["train", f"{flag}={value}", "--checkpoints-dir", str(tmp_path)]) == 2  # =: "-inf" is no flag
    error = capsys.readouterr().err
    assert error.startswith(f"error: {name} must be ") and error.count("\n") == 1, error


@pytest.mark.parametrize("section,task,part,item,declaration", NUMERIC)
def test_bools_are_not_numbers(section, task, part, item, declaration):
    for value in (True, False):
        with pytest.raises(ValueError, match=f"^{item.name} must be a (whole )?number, got {value}$"):
            part(**{item.name: value})


def test_a_number_written_as_text_is_not_a_number():
    with pytest.raises(ValueError, match="^epochs must be a whole number, got '10'$"):
        RunConfig.from_json('{"version": 2, "train": {"epochs": "10"}}')
    with pytest.raises(ValueError, match="^epochs must be a whole number, got 10.0$"):
        TrainConfig(epochs=10.0)


# ------------------------------------------------------------------------------ presets and the edges


@pytest.mark.parametrize("task", task_names())
def test_every_preset_builds_within_the_bounds(task):
    for preset in (None, *preset_names(task)):
        config = build_config(task, preset)
        assert config.task.resolved and isinstance(config.task.options, get_task(task).Options)


def test_the_command_line_help_shows_the_ranges(capsys):
    from rnnkit.cli.main import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    shown = " ".join(capsys.readouterr().out.split())  # argparse wraps lines anywhere
    for text in ("units per direction and layer; > 0 and ≤ 4096", "passes over the training split; > 0 and ≤ 1000",
                 "the batch order; in [0, 2147483647]", "in [0, 1)", "sequences generated (split 80/10/10); > 0 "
                 "and ≤ 1000000"):
        assert text in shown, text


def test_the_train_forms_number_widgets_carry_the_declared_upper_bounds(tmp_path, monkeypatch):
    from rnnkit.ui.form import form_fields
    from tests.apptest import page

    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    app = page("train").run()
    assert not app.exception, [error.value for error in app.exception]
    widgets = {widget.key: widget for widget in app.number_input}
    checked = 0
    for section, item, declaration in form_fields("recall"):
        if kind_of(item) in (int, float) and declaration.choices is None and declaration.maximum is not None:
            assert widgets[f"train_{section}_{item.name}"].max == declaration.maximum, item.name
            checked += 1
    assert checked >= 10  # hidden size, layers, epochs, batch size, learning rate, ..., the task's own


@pytest.mark.parametrize("name,text", [("train.learning_rate", "NaN"), ("train.stop_at_score", "Infinity"),
                                       ("train.epochs", "1000000000"), ("train.seed", str(2**80)),
                                       ("model.hidden_size", "1000000"), ("task.num_samples", "100000000000"),
                                       ("train.epochs", "true")])
def test_a_shared_link_with_an_absurd_value_is_refused_naming_the_setting(name, text, tmp_path, monkeypatch):
    from tests.apptest import page

    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    app = page("train")
    app.query_params.update({"task": "recall", "arch": "lstm", name: text})
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    errors = [re.sub(r"\\(.)", r"\1", error.value) for error in app.error]  # as read: markdown escapes undone
    setting = name.split(".")[1]
    assert any(f"settings are not valid: {setting} must be" in error for error in errors), errors
    assert app.number_input(key="train_train_epochs").value == build_config("recall", "quick").train.epochs


# ------------------------------------------------------------------------------ counts beside the config: one home


def test_every_count_has_a_lower_and_an_upper_bound():
    from rnnkit.config.counts import Counts

    for item, declaration in declared(Counts):
        if declaration.choices is None:
            assert declaration.minimum is not None or declaration.above is not None, item.name
            assert declaration.maximum is not None or declaration.below is not None, item.name


def test_the_train_pages_seeds_and_sweep_boxes_carry_the_declared_counts(tmp_path, monkeypatch):
    from rnnkit.config.counts import bounds
    from tests.apptest import page

    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    app = page("train").run()
    assert not app.exception, [error.value for error in app.exception]
    seeds = app.number_input(key="train_seeds")
    assert (seeds.min, seeds.max) == bounds("seeds") == (1, 10)
    assert app.number_input(key="train_sweep_points").max == bounds("trials")[1] == 64


@pytest.mark.parametrize("seeds,refused", [("11", True), ("100000", True), ("10", False)])
def test_a_shared_links_seeds_are_bounded_by_the_same_declaration(seeds, refused, tmp_path, monkeypatch):
    from tests.apptest import page

    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path))
    app = page("train")
    app.query_params.update({"task": "recall", "arch": "lstm", "seeds": seeds})
    app.run()
    assert not app.exception, [error.value for error in app.exception]
    errors = [re.sub(r"\\(.)", r"\1", error.value) for error in app.error]
    assert any("number of seeds must be between 1 and 10" in error for error in errors) == refused, errors
    assert app.number_input(key="train_seeds").value == (1 if refused else 10)
