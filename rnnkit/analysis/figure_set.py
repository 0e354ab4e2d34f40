"""Which figures a set of runs gets: the one choice the Python API (`rnnkit.api.figures`) and the HTML
report share, so a notebook, a report and the dashboard show the same pictures of the same runs.

    loss                      the step-level training loss of every run
    <metric>                  one per headline metric of the task's job (accuracy, macro_f1 / mae, rmse / perplexity)
                              with its baselines: chance and the majority class (classifiers), the simple rules
    over seeds                mean of each variant with its band, where some variant has several seeds
    gradient reach            the per-epoch gradient probe, where the runs logged it
    calibration               the reliability diagram of the test split (classifiers that recorded it)
    confusion <run label>     each classifier's validation confusion matrix at its best epoch
"""
from __future__ import annotations

import plotly.graph_objects as go

from rnnkit.analysis import figures, frames, reports, seeds
from rnnkit.model.jobs import get_job
from rnnkit.runs.folder import Run


def job_of(runs: list[Run]) -> str:
    """classify | regress | language_model, from the task spec the first started run recorded."""
    starts = next((records for records in (run.metrics("start") for run in runs) if records), [])
    return starts[-1]["spec"]["job"] if starts else "classify"


def monitor_of(runs: list[Run]) -> str:
    """The metric the runs select their best epoch by (accuracy before any epoch has finished)."""
    for run in runs:
        epochs = run.metrics("epoch")
        if epochs:
            return epochs[-1]["monitor"]
    return "accuracy"


def figure_set(runs: list[Run], language: str = "en", projector: bool = False) -> dict[str, go.Figure]:
    """The figures of `runs` by name (see the module docstring), in the order they are best read."""
    style = {"language": language, "projector": projector}
    epochs = frames.epoch_frame(runs, language)
    drawn = {"loss": figures.loss_figure(frames.step_frame(runs, language), epochs, **style)}
    if not epochs.empty and runs:
        chance = reports.chance_accuracy(runs[0])
        for metric in get_job(job_of(runs)).headline:
            drawn[metric] = figures.metric_figure(epochs, metric, reports.chart_baselines(runs[0]), chance, **style)
    variants = seeds.variants(runs)
    if any(len(members) > 1 for members in variants.values()):
        drawn["over seeds"] = figures.band_figure(variants, monitor_of(runs), mean_only=True, **style)
    probes = [(reports.run_label(run, language), reports.arch_of(run), run.metrics("probe")[-1]) for run in runs
              if run.metrics("probe")]
    if probes:
        drawn["gradient reach"] = figures.gradient_reach_figure(probes, **style)
    reliability = frames.reliability_rows(runs, language)
    if reliability:
        drawn["calibration"] = figures.reliability_figure(reliability, **style)
    title = figures.translator(language)("{run}, best epoch, validation split")
    for run in runs:
        found = frames.confusion(run)
        if found:
            matrix, names, _per_class = found
            key = reports.run_label(run)  # the figure's name (a file name in exports) stays in English
            name = f"confusion {key}" if f"confusion {key}" not in drawn else f"confusion {run.run_id}"
            drawn[name] = figures.confusion_figure(matrix, names, True,
                                                   title.format(run=reports.run_label(run, language)), **style)
    return drawn
