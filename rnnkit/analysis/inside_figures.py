"""Plotly figures of one trained model on one input: gradients per step, gate heatmaps, the state's path,
attributions and embedding maps (the Inside page; the memory horizon's figure is in horizon_figures), and
the Playground's probabilities and forecast. Colours per architecture are its cell's; every token or class
name goes through `chart_text` (plotly would render HTML tags in a label). No streamlit here: the figures
get the language and projector mode as arguments (rnnkit/ui/charts.py passes the session's).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnkit.analysis.figures import chart_text, layout, line_width, translator
from rnnkit.analysis.frames import arch_colour

BOUNDED = {"input": (0, 1), "forget": (0, 1), "output": (0, 1), "reset": (0, 1), "update": (0, 1),
           "candidate": (-1, 1), "h": (-1, 1)}  # sigmoid gates in [0, 1], tanh values in [-1, 1]
TEXT_COLUMNS = 12  # tokens per row of the coloured text


def gate_title(name: str, language: str = "en") -> str:
    _ = translator(language)
    return {"input": _("input gate i"), "forget": _("forget gate f"), "output": _("output gate o"),
            "candidate": _("candidate"), "reset": _("reset gate r"), "update": _("update gate z"),
            "h": _("hidden state h"), "c": _("cell state c")}.get(name, name)


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
    figure.update_layout(title=title, yaxis_title="||dL/dh_t||", yaxis_type="log", yaxis_exponentformat="power",
                         **axis, **layout(380, projector=projector))
    return figure


def gates_figure(values: dict[str, np.ndarray], steps: list[str], order: np.ndarray, shown_units: int, *,
                 language: str = "en", projector: bool = False) -> go.Figure:
    """One heatmap per gate and state (rows: units in `order`, at most `shown_units`; columns: steps)."""
    _ = translator(language)
    names = list(values)
    units = order[:shown_units]
    figure = make_subplots(rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.03,
                           subplot_titles=[gate_title(name, language) for name in names])
    labels = [chart_text(step) for step in steps]
    for row, name in enumerate(names, start=1):
        matrix = np.round(values[name][:, units].T, 3)  # (units, steps)
        low, high = BOUNDED.get(name, (-float(np.abs(matrix).max() or 1), float(np.abs(matrix).max() or 1)))
        figure.add_heatmap(z=matrix, x=list(range(1, len(steps) + 1)), y=[str(unit) for unit in units],
                           zmin=low, zmax=high,
                           colorscale="Viridis" if low == 0 else "RdBu_r", showscale=False,
                           hovertemplate=_("step %{x}, unit %{y}: %{z}") + "<extra></extra>", row=row, col=1)
        figure.update_yaxes(title_text=_("unit"), showticklabels=False, row=row, col=1)
    tick_every = max(1, len(steps) // 30)
    figure.update_xaxes(tickvals=list(range(1, len(steps) + 1, tick_every)), ticktext=labels[::tick_every],
                        row=len(names), col=1, title_text=_("step (token)"))
    figure.update_layout(**layout(max(190 * len(names) + 60, 300), projector=projector, showlegend=False))
    return figure


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
    """h_t on its first two principal components, step by step, the tokens as labels."""
    _ = translator(language)
    labels = [chart_text(step) for step in steps]
    figure = go.Figure()
    mode = "lines+markers+text" if len(steps) <= 60 else "lines+markers"  # labels only where they can be read
    figure.add_scatter(x=points[:, 0], y=points[:, 1], mode=mode,
                       text=labels, textposition="top center", hovertext=labels, hoverinfo="text",
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
                                  xgap=2, ygap=2, colorbar={"title": _("attribution")}))
    figure.update_yaxes(autorange="reversed", showticklabels=False)
    figure.update_xaxes(showticklabels=False)
    figure.update_layout(**layout(60 * rows + 80, projector=projector, title=_("the input, coloured by attribution")))
    return figure


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
                                  colorbar={"title": _("attribution")}))
    tick_every = max(1, len(steps) // 12)
    figure.update_xaxes(tickvals=list(range(1, len(steps) + 1, tick_every)),
                        ticktext=[chart_text(step) for step in steps][::tick_every], title_text=_("input step"))
    figure.update_layout(title=_("attribution per input step and feature"),
                         **layout(120 + 22 * len(features), projector=projector))
    return figure


def embedding_map_figure(tokens: list[str], points: np.ndarray, title: str, highlight: set[str], *,
                         projector: bool = False) -> go.Figure:
    colours = ["#d62728" if token in highlight else "#7f7f7f" for token in tokens]
    labels = [chart_text(token) for token in tokens]
    figure = go.Figure(go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers+text", text=labels,
                                  textposition="top center", marker={"color": colours, "size": 6},
                                  textfont={"size": 11}, hoverinfo="text"))
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
