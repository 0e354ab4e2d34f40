"""A plotly figure redrawn as a static SVG (matplotlib), for the printed lab report: WeasyPrint runs no
JavaScript, so the PDF shows these where the HTML file shows the interactive figures.

    static_svg(figure, language)  ->  '<svg ...>' (text kept as text, drawn in a CJK font for 中文)

Lines (scatter, with their markers and error bars), bars and heatmaps (confusion matrices) are redrawn with
their titles, axis titles and log axes; any other trace type is left out.
"""
from __future__ import annotations

import io
import re

import plotly.graph_objects as go

CJK_FONTS = ["WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "DejaVu Sans"]


def static_svg(figure: go.Figure, language: str = "en", width: float = 7.0, height: float = 3.6) -> str:
    """`figure` as an SVG document string (without the XML declaration)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    style = {"svg.fonttype": "none", "font.size": 9, "font.family": "sans-serif",
             "font.sans-serif": CJK_FONTS if language == "zh" else ["DejaVu Sans", *CJK_FONTS]}
    with plt.rc_context(style):
        canvas, axes = plt.subplots(figsize=(width, height))
        try:
            heatmap = _draw(axes, figure)
            layout = figure.layout
            axes.set_title(_plain(layout.title.text), fontsize=10)
            axes.set_xlabel(_wrapped(layout.xaxis.title.text, 70))
            axes.set_ylabel(_wrapped(layout.yaxis.title.text, 28))
            for axis, kind in ((axes.xaxis, layout.xaxis.type), (axes.yaxis, layout.yaxis.type)):
                if kind == "log":  # plain numbers on a log axis (5, 10, 50), not powers of ten
                    (axes.set_xscale if axis is axes.xaxis else axes.set_yscale)("log")
                    axis.set_major_formatter(ticker.ScalarFormatter())
                    axis.set_minor_formatter(ticker.NullFormatter())
            if not heatmap and axes.get_legend_handles_labels()[0]:
                axes.legend(fontsize=7, loc="best")
            axes.grid(not heatmap, alpha=0.3)
            canvas.tight_layout()
            buffer = io.StringIO()
            canvas.savefig(buffer, format="svg")
        finally:
            plt.close(canvas)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _draw(axes, figure: go.Figure) -> bool:
    """Draw the traces; True when the figure is a heatmap."""
    heatmap = False
    for trace in figure.data:
        kind = trace.type
        name = _plain(getattr(trace, "name", None))
        if kind in ("scatter", "scattergl") and trace.y is not None:
            x = list(trace.x) if trace.x is not None else list(range(len(trace.y)))
            y = [value if value is not None else float("nan") for value in trace.y]
            colour = _colour(trace)
            if trace.fill in ("toself", "tonexty", "tozeroy"):
                axes.fill(x, y, color=colour, alpha=0.15, linewidth=0)
                continue
            dashed = trace.line.dash not in (None, "solid")
            marker = "o" if trace.mode and "markers" in trace.mode else None
            line = "--" if dashed else ("-" if not trace.mode or "lines" in trace.mode else "none")
            errors = trace.error_y.array if trace.error_y is not None and trace.error_y.array is not None else None
            if errors is not None:
                minus = trace.error_y.arrayminus if trace.error_y.arrayminus is not None else errors
                axes.errorbar(x, y, yerr=[list(minus), list(errors)], color=colour, linestyle=line, marker=marker,
                              markersize=3, capsize=2, label=name if trace.showlegend is not False else None)
            else:
                axes.plot(x, y, color=colour, linestyle=line, marker=marker, markersize=3,
                          label=name if name and trace.showlegend is not False else None)
        elif kind == "bar" and trace.y is not None:
            axes.bar([str(value) for value in trace.x], list(trace.y), color=_colour(trace), label=name, alpha=0.8)
        elif kind == "heatmap" and trace.z is not None:
            heatmap = True
            rows = [list(row) for row in trace.z]
            image = axes.imshow(rows, cmap="Blues", aspect="auto")
            bar = axes.figure.colorbar(image, ax=axes, fraction=0.046, pad=0.02)  # the scale, as on the dashboard
            title = trace.colorbar.title.text if trace.colorbar is not None and trace.colorbar.title else None
            if title:
                bar.set_label(_plain(title), fontsize=7)
            bar.ax.tick_params(labelsize=7)
            columns = [_plain(value) for value in (trace.x if trace.x is not None else range(len(rows[0])))]
            labels = [_plain(value) for value in (trace.y if trace.y is not None else range(len(rows)))]
            axes.set_xticks(range(len(columns)), columns, rotation=45, ha="right", fontsize=7)
            axes.set_yticks(range(len(labels)), labels, fontsize=7)
            if len(rows) <= 12:
                top = max((value for row in rows for value in row if value is not None), default=1) or 1
                for row_index, row in enumerate(rows):
                    for column_index, value in enumerate(row):
                        if value is not None:
                            axes.text(column_index, row_index, f"{value:.2g}", ha="center", va="center", fontsize=6,
                                      color="white" if value > top / 2 else "black")
    return heatmap


def _colour(trace) -> str | None:
    colour = getattr(getattr(trace, "line", None), "color", None) or getattr(getattr(trace, "marker", None),
                                                                              "color", None)
    if isinstance(colour, str) and (colour.startswith("#") or re.match(r"^[a-z]+$", colour)):
        return colour
    match = re.match(r"rgba?\((\d+),\s*(\d+),\s*(\d+)", colour) if isinstance(colour, str) else None
    return "#{:02x}{:02x}{:02x}".format(*map(int, match.groups())) if match else None


def _wrapped(text, width: int) -> str:
    """An axis title on lines of about `width` characters (CJK titles have no spaces: cut anywhere)."""
    plain = _plain(text)
    if len(plain) <= width:
        return plain
    if " " in plain and not any(ord(character) > 0x2e80 for character in plain):
        import textwrap

        return "\n".join(textwrap.wrap(plain, width))
    return "\n".join(plain[start:start + width] for start in range(0, len(plain), width))


def _plain(text) -> str:
    """A plotly text without its HTML tags (<b>, <br>) and entities, as matplotlib draws text literally."""
    if text is None:
        return ""
    text = re.sub(r"<br\s*/?>", " ", str(text))
    text = re.sub(r"<[^>]+>", "", text)
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("$", r"\$")
