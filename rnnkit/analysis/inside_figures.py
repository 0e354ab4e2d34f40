"""Plotly figures of one trained model on one input: gradients per step, gate heatmaps, the state's path,
attributions and embedding maps (the Inside page; the memory horizon's figure is in horizon_figures), and
the Playground's probabilities and forecast. Colours per architecture are its cell's; every token or class
name goes through `chart_text` (plotly would render HTML tags in a label). No streamlit here: the figures
get the language and projector mode as arguments (rnnkit/ui/charts.py passes the session's).

Readable on a projector: every heatmap has a colour bar with its range and what the ends mean, a log axis
is labelled at powers of ten only (`log_axis`), and a scatter of many tokens labels at most
MAX_LABELS of them (`labelled_points`); the others are hover-only points.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnkit.analysis.figures import chart_text, layout, line_width, translator
from rnnkit.analysis.frames import arch_colour
from rnnkit.analysis.log_axes import MAX_LOG_TICKS, log_axis  # noqa: F401 - MAX_LOG_TICKS: the page's limit

BOUNDED = {"input": (0, 1), "forget": (0, 1), "output": (0, 1), "reset": (0, 1), "update": (0, 1),
           "candidate": (-1, 1), "h": (-1, 1)}  # sigmoid gates in [0, 1], tanh values in [-1, 1]
TEXT_COLUMNS = 12  # tokens per row of the coloured text
MAX_LABELS = 20  # labelled points on a scatter of tokens (more overlap); the rest are hover-only
MAP_PIXELS = (380, 400)  # the plot area of a token map in a half-width column, for placing its labels
PATH_PIXELS = (800, 320)  # the plot area of the path of h_t (full width)


def gate_title(name: str, language: str = "en") -> str:
    _ = translator(language)
    return {"input": _("input gate i"), "forget": _("forget gate f"), "output": _("output gate o"),
            "candidate": _("candidate"), "reset": _("reset gate r"), "update": _("update gate z"),
            "h": _("hidden state h"), "c": _("cell state c"), "n": _("normaliser n"),
            "m": _("stabiliser m")}.get(name, name)


def gradient_flow_figure(lines: list[tuple[str, str, str, list[float]]], title: str, *, language: str = "en",
                         projector: bool = False, from_last: bool = False) -> go.Figure:
    """Per line (label, arch, state name, norms as `gradient_flow` gives them, aligned at the end):
    ||dL/d state_t|| against the step, log scale; the cell state c is dashed. `from_last` (sequences of
    mixed lengths): against the steps back from each sequence's own last step, the last on the right."""
    _ = translator(language)
    figure = go.Figure()
    for label, arch, name, norms in lines:
        kept = [(step, norm) for step, norm in enumerate(norms) if norm > 0]
        x = [len(norms) - step if from_last else step + 1 for step, _norm in kept]
        figure.add_scatter(x=x, y=[norm for _step, norm in kept], mode="lines", name=chart_text(label),
                           line={"color": arch_colour(arch), "width": line_width(2.5, projector),
                                 "dash": "dash" if name == "c" else "solid"})
    axis = ({"xaxis_title": _("steps back from each sequence's own last step (1 = the last)"),
             "xaxis_autorange": "reversed"} if from_last else {"xaxis_title": _("step t")})
    figure.update_layout(title=title, yaxis_title="||dL/dh_t||", **axis, **layout(380, projector=projector))
    figure.update_yaxes(**log_axis([norm for _label, _arch, _name, norms in lines for norm in norms]))
    return figure


def gates_figure(values: dict[str, np.ndarray], steps: list[str], order: np.ndarray, shown_units: int, *,
                 unbounded: tuple[str, ...] = (), language: str = "en", projector: bool = False) -> go.Figure:
    """One heatmap per gate and state (rows: units in `order`, at most `shown_units`; columns: steps);
    the names in `unbounded` (the cell's declaration, e.g. minGRU's positive candidate) scale to the data."""
    _ = translator(language)
    names = list(values)
    units = order[:shown_units]
    figure = make_subplots(rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.03,
                           subplot_titles=[gate_title(name, language) for name in names])
    labels = [chart_text(step) for step in steps]
    for row, name in enumerate(names, start=1):
        matrix = np.round(values[name][:, units].T, 3)  # (units, steps)
        fitted = (-float(np.abs(matrix).max() or 1), float(np.abs(matrix).max() or 1))
        low, high = fitted if name in unbounded else BOUNDED.get(name, fitted)
        figure.add_heatmap(z=matrix, x=list(range(1, len(steps) + 1)), y=[str(unit) for unit in units],
                           zmin=low, zmax=high, colorscale="Viridis" if low == 0 else "RdBu_r",
                           hovertemplate=_("step %{x}, unit %{y}: %{z}") + "<extra></extra>", row=row, col=1)
        figure.update_yaxes(title_text=_("unit"), showticklabels=False, row=row, col=1)
    for row, (name, heatmap) in enumerate(zip(names, figure.data), start=1):  # a colour bar beside each row
        bottom, top = figure.layout[f"yaxis{row if row > 1 else ''}"].domain
        heatmap.colorbar = gate_colour_bar(name, heatmap.zmin, heatmap.zmax, language) | {
            "y": (bottom + top) / 2, "len": top - bottom, "yanchor": "middle", "thickness": 14}
    tick_every = max(1, len(steps) // 30)
    figure.update_xaxes(tickvals=list(range(1, len(steps) + 1, tick_every)), ticktext=labels[::tick_every],
                        row=len(names), col=1, title_text=_("step (token)"))
    figure.update_layout(**layout(max(190 * len(names) + 60, 300), projector=projector, showlegend=False))
    figure.update_annotations(font_size=layout(projector=projector)["font"]["size"] + 2)  # the subplot titles
    return figure


def gate_colour_bar(name: str, low: float, high: float, language: str = "en") -> dict:
    """The colour bar of one gate's or state's heatmap: its range, the ends named for a gate (0 closed,
    1 open), the middle for a tanh value; a state without bounds (c) gets its own symmetric range."""
    _ = translator(language)
    if low == 0:  # a sigmoid gate
        return {"title": {"text": _("gate"), "side": "right"}, "tickvals": [0, 0.5, 1],
                "ticktext": [_("0 closed"), "0.5", _("1 open")]}
    ticks = [low, 0.0, high]
    return {"title": {"text": _("value"), "side": "right"}, "tickvals": ticks,
            "ticktext": [f"{tick:+.2g}" if tick else "0" for tick in ticks]}


def memory_gate_figure(lines: list[tuple[str, str, str, np.ndarray]], steps: list[str], *, language: str = "en",
                       projector: bool = False) -> go.Figure:
    """Per line (label, arch, gate name, (steps, units)): the gate's mean over units per step."""
    _ = translator(language)
    figure = go.Figure()
    for label, arch, gate, values in lines:
        figure.add_scatter(x=list(range(1, len(values) + 1)), y=values.mean(axis=1), mode="lines+markers",
                           name=chart_text(f"{label}: {gate_title(gate, language)}"),
                           customdata=[chart_text(s) for s in steps],
                           hovertemplate="%{customdata}: %{y:.3f}<extra></extra>",
                           line={"color": arch_colour(arch), "width": line_width(2.5, projector)})
    figure.update_layout(title=_("mean memory gate per step (1 = keep everything)"), xaxis_title=_("step t"),
                         yaxis_title=_("mean over units"), yaxis_range=[0, 1], **layout(300, projector=projector))
    return figure


def trajectory_figure(points: np.ndarray, steps: list[str], explained: np.ndarray, arch: str, *,
                      language: str = "en", projector: bool = False) -> go.Figure:
    """h_t on its first two principal components, step by step; labelled: the first and last token and
    those where h_t jumped most (MAX_LABELS at most, where `place_labels` finds room), every token on hover."""
    _ = translator(language)
    labels = [chart_text(step) for step in steps]
    jumps = np.linalg.norm(np.diff(points, axis=0), axis=1)  # step t+1's move away from step t
    order = list(dict.fromkeys([0, len(steps) - 1, *(int(step) + 1 for step in np.argsort(-jumps, kind="stable"))]))
    shown = place_labels(list(steps), points, order, MAX_LABELS, PATH_PIXELS) if len(steps) else {}
    figure = go.Figure()
    figure.add_scatter(x=points[:, 0], y=points[:, 1], mode="lines+markers+text",
                       text=[label if step in shown else "" for step, label in enumerate(labels)],
                       textposition=[shown.get(step, "top center") for step in range(len(steps))],
                       hovertext=labels, hoverinfo="text",
                       marker={"color": list(range(len(steps))), "colorscale": "Viridis", "size": 8,
                               "colorbar": {"title": _("step")}},
                       line={"color": arch_colour(arch), "width": 1})
    figure.update_layout(title=_("path of the hidden state h_t (PCA)"),
                         xaxis_title=_("PC 1 ({share:.0%} of the variance)").format(share=explained[0]),
                         yaxis_title=_("PC 2 ({share:.0%} of the variance)").format(share=explained[1]),
                         showlegend=False, **layout(420, projector=projector))
    return figure


def coloured_text_figure(tokens: list[str], scores: np.ndarray, *, language: str = "en",
                         projector: bool = False) -> go.Figure:
    """The input's tokens in reading order, each on a cell coloured by its score (red: towards the
    explained output, blue: against), TEXT_COLUMNS tokens per row."""
    _ = translator(language)
    rows = int(np.ceil(len(tokens) / TEXT_COLUMNS))
    grid = np.full((rows, TEXT_COLUMNS), np.nan)
    text = np.full((rows, TEXT_COLUMNS), "", dtype=object)
    for index, (token, score) in enumerate(zip(tokens, scores)):
        grid[index // TEXT_COLUMNS, index % TEXT_COLUMNS] = score
        text[index // TEXT_COLUMNS, index % TEXT_COLUMNS] = chart_text(token)
    limit = float(np.nanmax(np.abs(grid))) or 1.0
    figure = go.Figure(go.Heatmap(z=grid, text=text, texttemplate="%{text}", colorscale="RdBu_r", zmid=0,
                                  zmin=-limit, zmax=limit, hovertemplate="%{text}: %{z:.3f}<extra></extra>",
                                  xgap=2, ygap=2, colorbar=attribution_colour_bar(limit, language)))
    figure.update_yaxes(autorange="reversed", showticklabels=False)
    figure.update_xaxes(showticklabels=False)
    figure.update_layout(**layout(max(60 * rows + 80, 200), projector=projector,  # room for the colour bar
                                title=_("the input, coloured by attribution")))
    return figure


def attribution_colour_bar(limit: float, language: str = "en") -> dict:
    """Attribution's colour bar: symmetric around 0, the ends read as towards (red) and against (blue)."""
    _ = translator(language)
    return {"title": {"text": _("attribution"), "side": "top"}, "tickvals": [-limit, 0, limit],
            "ticktext": [_("{value} against").format(value=f"{-limit:.2g}"), "0",
                         _("+{value} towards").format(value=f"{limit:.2g}")]}


def attribution_bars(tokens: list[str], scores: np.ndarray, title: str, axis_title: str, *, language: str = "en",
                     projector: bool = False) -> go.Figure:
    _ = translator(language)
    colours = ["#d62728" if score >= 0 else "#1f77b4" for score in scores]
    figure = go.Figure(go.Bar(x=list(range(1, len(tokens) + 1)), y=scores, marker_color=colours,
                              customdata=[chart_text(token) for token in tokens],
                              hovertemplate="%{customdata}: %{y:.4f}<extra></extra>"))
    tick_every = max(1, len(tokens) // 40)
    figure.update_xaxes(tickvals=list(range(1, len(tokens) + 1, tick_every)),
                        ticktext=[chart_text(token) for token in tokens][::tick_every], title_text=axis_title)
    figure.update_layout(title=title, yaxis_title=_("attribution"), **layout(340, projector=projector))
    return figure


def feature_attribution_figure(scores: np.ndarray, steps: list[str], features: list[str], *, language: str = "en",
                               projector: bool = False) -> go.Figure:
    """(steps, features) integrated gradients as a heatmap: which feature at which step moved the output."""
    _ = translator(language)
    limit = float(np.abs(scores).max()) or 1.0
    figure = go.Figure(go.Heatmap(z=scores.T, x=list(range(1, len(steps) + 1)),
                                  y=[chart_text(name) for name in features],
                                  colorscale="RdBu_r", zmid=0, zmin=-limit, zmax=limit,
                                  colorbar=attribution_colour_bar(limit, language)))
    tick_every = max(1, len(steps) // 12)
    figure.update_xaxes(tickvals=list(range(1, len(steps) + 1, tick_every)),
                        ticktext=[chart_text(step) for step in steps][::tick_every], title_text=_("input step"))
    figure.update_layout(title=_("attribution per input step and feature"),
                         **layout(120 + 22 * len(features), projector=projector))
    return figure


def labelled_points(tokens: list[str], points: np.ndarray, highlight, limit: int = MAX_LABELS,
                    plot_pixels: tuple[int, int] = MAP_PIXELS) -> dict[int, str]:
    """Which points of a token map get a label, and where (index -> plotly textposition): the highlighted
    ones first, in `highlight`'s order (the word looked up, then its neighbours), then those furthest from
    the centre (the edges show what the two axes separate), `limit` in all, placed by `place_labels`."""
    if not len(points):
        return {}
    rank = {token: place for place, token in enumerate(highlight)}
    first = sorted((index for index, token in enumerate(tokens) if token in rank), key=lambda i: rank[tokens[i]])
    distance = np.linalg.norm(points - points.mean(axis=0), axis=1)
    order = first + [int(index) for index in np.argsort(-distance, kind="stable") if tokens[int(index)] not in rank]
    return place_labels(tokens, points, order, limit, plot_pixels)


def place_labels(texts: list[str], points: np.ndarray, order: list[int], limit: int,
                 plot_pixels: tuple[int, int]) -> dict[int, str]:
    """Labels for the points in `order`, `limit` at most (index -> plotly textposition): above, below,
    right or left of the point, the first place where the label covers no label placed before; a point
    with no free place stays hover-only (neighbours crowd together by definition). Sizes in pixels of a
    plot area of `plot_pixels`."""
    span = np.maximum(points.max(axis=0) - points.min(axis=0), 1e-12)
    pixels = (points - points.min(axis=0)) / span * np.array(plot_pixels)  # (points, 2), y upwards
    placed: dict[int, str] = {}
    boxes: list[tuple[float, float, float, float]] = []
    for index in order:
        if len(placed) == limit:
            break
        width = sum(12 if ord(character) > 0x2E80 else 7 for character in texts[index]) + 4  # CJK is wider
        x, y = pixels[index]
        for position, (dx, dy) in (("top center", (0, 16)), ("bottom center", (0, -16)),
                                   ("middle right", (width / 2 + 6, 0)), ("middle left", (-width / 2 - 6, 0))):
            box = (x + dx - width / 2, y + dy - 8, x + dx + width / 2, y + dy + 8)
            if not any(box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]
                       for other in boxes):
                placed[index] = position
                boxes.append(box)
                break
    return dict(sorted(placed.items()))


def embedding_map_figure(tokens: list[str], points: np.ndarray, title: str, highlight, *,
                         projector: bool = False) -> go.Figure:
    """Tokens on their first two principal components; the `highlight`ed ones (the word, then its
    neighbours) red; labelled only where `labelled_points` finds room (MAX_LABELS at most), every token
    named on hover."""
    labels = [chart_text(token) for token in tokens]
    named = labelled_points(tokens, points, highlight)
    figure = go.Figure()
    for labelled in (False, True):  # hover-only points under the labelled ones
        rows = [index for index in range(len(tokens)) if (index in named) == labelled]
        figure.add_scatter(x=points[rows, 0], y=points[rows, 1], mode="markers+text" if labelled else "markers",
                           text=[labels[index] for index in rows] if labelled else None,
                           textposition=[named[index] for index in rows] if labelled else None,
                           hovertext=[labels[index] for index in rows], hoverinfo="text",
                           textfont={"size": 12}, marker={"size": 7 if labelled else 5, "color": [
                               "#d62728" if tokens[index] in highlight else "#7f7f7f" if labelled else "#b0b0b0"
                               for index in rows]})
    figure.update_layout(title=title, xaxis_title="PC 1", yaxis_title="PC 2", showlegend=False,
                         **layout(520, projector=projector))
    return figure


def forecast_figure(history: list[float], prediction: list[float], actual: list[float],
                    baselines: dict[str, list[float]], steps_per_hour: int, start: str, *, language: str = "en",
                    projector: bool = False) -> go.Figure:
    """5 days in, then the next 2 days: model vs actual vs the baselines, in hours from the window start."""
    _ = translator(language)
    hours_in = np.arange(len(history)) / steps_per_hour
    hours_out = (len(history) + np.arange(len(prediction))) / steps_per_hour
    figure = go.Figure()
    figure.add_scatter(x=hours_in, y=history, name=_("last 5 days (input)"), line={"color": "#7f7f7f"})
    figure.add_scatter(x=hours_out, y=actual, name=_("actual"), line={"color": "#000000", "width": 2})
    figure.add_scatter(x=hours_out, y=prediction, name=_("model forecast"), line={"color": "#1f77b4", "width": 3})
    for (name, values), colour in zip(baselines.items(), ("#ff7f0e", "#2ca02c")):
        figure.add_scatter(x=hours_out, y=values, name=name, line={"color": colour, "dash": "dot"})
    figure.update_layout(title=_("temperature from {start}").format(start=start),
                         xaxis_title=_("hours from the window start"), yaxis_title="°C",
                         **layout(height=380, projector=projector))
    return figure


def probability_figure(top: list[dict], *, language: str = "en", projector: bool = False) -> go.Figure:
    _ = translator(language)
    labels = [chart_text(row["label"]) for row in top][::-1]
    figure = go.Figure(go.Bar(x=[row["probability"] * 100 for row in top][::-1], y=labels,
                              orientation="h", marker_color="#1f77b4",
                              text=[f"{row['probability']:.1%}" for row in top][::-1]))
    figure.update_layout(xaxis_range=[0, 101], xaxis_ticksuffix=" %", xaxis_title=_("probability"),
                         **layout(height=90 + 40 * len(top), projector=projector))
    return figure
