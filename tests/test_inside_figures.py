"""The Inside page's figures read on a projector: a colour bar with its range on every heatmap, log axes
labelled at powers of ten only, at most MAX_LABELS labels on a map of many tokens, and embedding neighbours
among the frequent tokens only (said on screen)."""
import json
import math

import numpy as np
import pytest
import torch

from rnnkit.analysis import inside_figures
from rnnkit.analysis.embeddings import NEIGHBOUR_TOKENS, Embedding
from rnnkit.analysis.inside_figures import MAX_LABELS, log_axis
from tests.apptest import page


def heatmaps(figure) -> list[dict]:
    return [trace for trace in json.loads(figure.to_json())["data"] if trace["type"] == "heatmap"]


def lstm_trace(steps: int = 30, units: int = 8) -> dict[str, np.ndarray]:
    generator = np.random.default_rng(0)
    gates = {name: generator.uniform(0, 1, (steps, units)) for name in ("input", "forget", "output")}
    return gates | {"candidate": generator.uniform(-1, 1, (steps, units)),
                    "h": generator.uniform(-1, 1, (steps, units)), "c": generator.normal(0, 5, (steps, units))}


# ---------------------------------------------------------------------------------------- colour bars
def test_every_gate_heatmap_has_a_colour_bar_with_its_range_beside_its_own_row():
    values = lstm_trace()
    figure = inside_figures.gates_figure(values, [f"t{step}" for step in range(30)], np.arange(8), 8)
    maps = heatmaps(figure)
    assert len(maps) == len(values)
    rows = []
    for name, heatmap in zip(values, maps):
        bar = heatmap["colorbar"]
        assert heatmap.get("showscale", True) and bar["title"]["text"]
        assert min(bar["tickvals"]) == heatmap["zmin"] and max(bar["tickvals"]) == heatmap["zmax"]
        rows.append(bar["y"])
        if name in ("input", "forget", "output"):
            assert bar["ticktext"] == ["0 closed", "0.5", "1 open"]
    assert rows == sorted(rows, reverse=True) and len(set(rows)) == len(rows)  # one bar per row, top to bottom


def test_the_colour_bars_speak_chinese():
    figure = inside_figures.gates_figure(lstm_trace(), ["a"] * 30, np.arange(8), 8, language="zh")
    assert all(heatmap["colorbar"]["title"]["text"] in ("门", "数值") for heatmap in heatmaps(figure))


@pytest.mark.parametrize("language, titles", [("en", ("examples", "recall")), ("zh", ("样本数", "召回率"))])
def test_a_confusion_matrix_has_a_colour_bar_even_where_its_cells_hold_no_numbers(language, titles):
    """Names has 18 classes: above 12 the cells hold no numbers, so the colour bar is the only scale."""
    from rnnkit.analysis.figures import confusion_figure

    classes = [f"class {index}" for index in range(18)]
    matrix = np.random.default_rng(2).integers(0, 30, (18, 18)).tolist()
    for normalise, title in zip((False, True), titles):
        (heatmap,) = heatmaps(confusion_figure(matrix, classes, normalise, "t", language=language))
        assert heatmap["showscale"] and heatmap["colorbar"]["title"]["text"] == title
        assert "texttemplate" not in heatmap


def test_the_lab_reports_static_heatmaps_have_a_colour_bar_too():
    from rnnkit.analysis.figures import confusion_figure
    from rnnkit.analysis.labs.report_figures import static_svg

    figure = confusion_figure([[5, 1], [2, 7]], ["neg", "pos"], False, "matrix")
    svg = static_svg(figure)
    assert "examples" in svg  # the bar's label, kept as text (svg.fonttype none)
    plain = confusion_figure([[5, 1], [2, 7]], ["neg", "pos"], False, "matrix")
    plain.data[0].colorbar.title.text = None
    assert svg.count("<g id=\"axes_") == static_svg(plain).count("<g id=\"axes_") == 2  # the map and its bar


def test_attribution_heatmaps_name_both_ends_of_their_colour_bar():
    tokens, scores = ["one", "of", "the", "best"], np.array([0.4, -0.1, 0.0, 0.2])
    features = np.random.default_rng(1).normal(size=(10, 3))
    for figure in (inside_figures.coloured_text_figure(tokens, scores),
                   inside_figures.feature_attribution_figure(features, [str(s) for s in range(10)], ["a", "b", "c"])):
        (heatmap,) = heatmaps(figure)
        bar = heatmap["colorbar"]
        assert bar["title"]["text"] == "attribution" and bar["tickvals"][0] == -bar["tickvals"][-1] == heatmap["zmin"]
        assert bar["ticktext"][0].endswith("against") and bar["ticktext"][-1].endswith("towards")


# -------------------------------------------------------------------------------------- log axes
@pytest.mark.parametrize("low, high", [(2.5e-4, 0.08), (0.0055, 0.13), (0.02, 0.08), (1e-13, 3.0), (1.0, 1.0)])
def test_a_log_axis_is_labelled_at_powers_of_ten_only(low, high):
    axis = log_axis([low, high, 0.0, float("nan")])  # zeros and gaps are not drawn on a log axis
    powers = [math.log10(value) for value in axis["tickvals"]]
    assert len(powers) >= 2 and all(power == round(power) for power in powers)
    assert axis["range"][0] <= math.log10(low) and math.log10(high) <= axis["range"][1]
    assert axis["range"][0] <= min(powers) and max(powers) <= axis["range"][1]
    assert len(powers) <= inside_figures.MAX_LOG_TICKS
    assert not any(text in ("2", "5", "20", "50") for text in axis["ticktext"])


def test_the_gradient_chart_reads_1_10_100_not_1_2_5_10():
    norms = [10.0 ** (step / 10) for step in range(25)]  # 1 to about 250
    figure = json.loads(inside_figures.gradient_flow_figure([("gru", "gru", "h", norms)], "t").to_json())
    axis = figure["layout"]["yaxis"]
    assert axis["type"] == "log" and axis["ticktext"] == ["1", "10", "100"]
    tiny = json.loads(inside_figures.gradient_flow_figure([("rnn", "rnn", "h", [1e-13, 1e-6, 1.0])], "t").to_json())
    assert tiny["layout"]["yaxis"]["ticktext"][0] == "10<sup>\u221212</sup>"


# ------------------------------------------------------------------------------------------- labels
def test_a_map_of_100_tokens_labels_the_highlighted_ones_and_keeps_the_rest_on_hover():
    tokens = [f"w{index}" for index in range(100)]
    points = np.random.default_rng(2).normal(size=(100, 2))
    highlight = {"w5", "w50", "w99"}
    figure = json.loads(inside_figures.embedding_map_figure(tokens, points, "after", highlight).to_json())
    labelled = [text for trace in figure["data"] for text in (trace.get("text") or [])]
    hovered = [text for trace in figure["data"] for text in trace["hovertext"]]
    assert len(labelled) == MAX_LABELS and highlight <= set(labelled)
    assert sorted(hovered) == sorted(tokens)


def test_labels_go_to_the_highlighted_then_the_furthest_out():
    points = np.array([[0.0, 0.0], [0.1, 0.0], [9.0, 0.0], [0.0, -8.0], [0.2, 0.1]])
    tokens = ["a", "b", "c", "d", "e"]
    assert list(inside_figures.labelled_points(tokens, points, {"b"}, limit=3)) == [1, 2, 3]


def test_labels_that_would_cover_each_other_move_or_are_left_to_hover():
    """Neighbours crowd together: the first keeps the place above, the next goes below, right, left;
    one with no free place is drawn without a label. The word looked up is labelled first."""
    points = np.array([[0.0, 0.0]] * 6 + [[100.0, 100.0]])
    tokens = ["n1", "n2", "n3", "n4", "n5", "word", "far"]
    placed = inside_figures.labelled_points(tokens, points, ["word", "n1", "n2", "n3", "n4", "n5"])
    crowded = {index: position for index, position in placed.items() if index < 6}
    assert placed[5] == "top center" and sorted(crowded.values()) == sorted(
        ["top center", "bottom center", "middle right", "middle left"])
    assert 6 in placed and len(placed) == 5  # four around the crowded point, and the far one


def test_the_path_of_a_long_input_labels_the_first_last_and_biggest_jumps():
    points = np.cumsum(np.ones((150, 2)) * 0.01, axis=0)
    points[70] += 5  # the state jumps at step 71 and back at 72
    figure = json.loads(inside_figures.trajectory_figure(points, [f"s{s}" for s in range(150)], np.array([0.5, 0.2]),
                                                         "lstm").to_json())
    texts = figure["data"][0]["text"]
    shown = [text for text in texts if text]
    assert len(shown) <= MAX_LABELS and {"s0", "s149", "s70", "s71"} <= set(shown)
    assert figure["data"][0]["hovertext"] == [f"s{s}" for s in range(150)]


# -------------------------------------------------------------------------------------- neighbours
def test_neighbours_are_looked_for_among_the_most_frequent_tokens_only():
    vectors = np.array([[0, 0], [0, 0], [1, 0], [0, 1], [0.7, 0.7], [1, 0.05]], dtype=float)
    embedding = Embedding(["<pad>", "<unk>", "mess", "boring", "crap", "sholay"], vectors)  # sholay: the rarest
    assert embedding.neighbours("mess", 1)[0][0] == "sholay"
    assert [token for token, _ in embedding.neighbours("mess", 5, among=3)] == ["crap", "boring"]
    assert embedding.neighbours("sholay", 1, among=2)[0][0] == "mess"  # a rare word can still be looked up
    assert embedding.frequent_end(2) == 4 and embedding.frequent_end(10) == 6 and embedding.frequent_end(0) == 0


def test_the_imdb_demo_says_its_neighbours_come_from_the_frequent_tokens(tmp_path, monkeypatch):
    from rnnkit.runs.store import demo_root

    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path / "none"))  # the demos only
    model = demo_root() / "imdb-gru" / "best.pt"
    app = page("inside", inside_view="embeddings", inside_task="imdb", inside_model=str(model),
               **{"inside_embeddings_query_imdb-gru": "mess"})
    app.run()
    assert not app.exception and not app.error, (app.exception, app.error)
    captions = " ".join(caption.value for caption in app.caption)
    assert f"Neighbours among the {NEIGHBOUR_TOKENS:,} most frequent tokens" in captions
    assert "hover" in captions
    vocabulary = list(torch.load(model, weights_only=True)["artifacts"]["vocabulary"])
    for table in app.dataframe:
        neighbours = list(table.value.iloc[:, 0])
        assert neighbours and all(vocabulary.index(token) < NEIGHBOUR_TOKENS + 2 for token in neighbours)
        assert not {"missile", "sholay"} & set(neighbours)


def test_a_map_can_include_a_space_among_the_neighbours():
    """A name's characters include the space: as a neighbour it is drawn on the map, not refused as empty input."""
    vectors = np.array([[0, 0], [0, 0], [1, 0], [0.9, 0.1], [0, 1]], dtype=float)
    embedding = Embedding(["<pad>", "<unk>", "a", " ", "b"], vectors)
    assert embedding.neighbours("a", 1)[0][0] == " "
    tokens, points = embedding.map(1, include=("a", " "))
    assert tokens == ["a", " "] and points.shape == (2, 2)


def test_the_gates_view_says_which_steps_of_a_long_path_are_labelled(tmp_path, monkeypatch):
    from rnnkit.runs.store import demo_root

    monkeypatch.setenv("RNNKIT_CHECKPOINTS_DIR", str(tmp_path / "none"))  # the demos only
    app = page("inside", inside_view="gates", inside_task="recall",
               inside_model=str(demo_root() / "recall-lstm" / "best.pt"))
    app.run()
    assert not app.exception and not app.error, (app.exception, app.error)
    assert "moved most" in " ".join(caption.value for caption in app.caption)
