"""The Inside figure of the lab report: each architecture's memory gate on one input, step by step, from its
trained model (best.pt), as the Inside page's gates view draws it (`inside_figures.memory_gate_figure`).

    memory_gate_report(runs, language)  ->  a figure, or None when no run has a model with a memory gate

One run per architecture (the first seed; for the horizon experiment the longest T it trained), on the task's
ready-made example 0 or its example text. A run whose model cannot be loaded is left out.
"""
from __future__ import annotations

from rnnkit.runs.folder import Run, RunError


def memory_gate_report(runs: list[Run], language: str = "en"):
    """The memory-gate figure of `runs` (finished runs only), or None."""
    from rnnkit.analysis.inference import Predictor
    from rnnkit.analysis.inside import trace
    from rnnkit.analysis.inside_figures import memory_gate_figure
    from rnnkit.data.inputs import read_example, read_text
    from rnnkit.model.cells import get_cell

    chosen: dict[str, Run] = {}
    for run in runs:
        try:
            config = run.config()
        except (RunError, ValueError):
            continue
        if run.status().get("state") != "completed" or not run.metrics("test"):
            continue
        length = getattr(config.task.options, "sequence_length", 0) or 0
        best = chosen.get(config.model.arch)
        if best is None or length > (getattr(best.config().task.options, "sequence_length", 0) or 0):
            chosen[config.model.arch] = run
    lines, steps = [], None
    for arch, run in chosen.items():
        cell = get_cell(arch)
        if not cell.memory_gate:
            continue
        try:
            predictor = Predictor.from_run(run)
            if hasattr(predictor.task, "examples"):
                model_input = read_example(predictor, 0)
            else:
                model_input = read_text(predictor, predictor.task.example_input)
            directions = predictor.model.backbone.directions
            top = trace(predictor.model, model_input.inputs, model_input.lengths)[-directions]
        except (RunError, ValueError, OSError, RuntimeError, KeyError, AttributeError):
            continue  # no model to look inside (a folder without best.pt, an old checkpoint)
        if steps is not None and len(model_input.steps) != len(steps):
            continue  # one figure draws one input's steps
        steps = model_input.steps
        lines.append((cell.title, arch, cell.memory_gate, top.values[cell.memory_gate]))
    return memory_gate_figure(lines, steps, language=language) if lines else None
